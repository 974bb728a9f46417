//! The picture: heading, gridlines, bars with their counts, two axes.
//!
//! Everything is measured before anything is drawn. The page is cut, top
//! down and outside in, into the heading, the y axis, the x axis and a
//! strip for the value labels; the bars get what is left. Because every
//! cut is the exact size of what goes there (measured through the host's
//! `measure`, i.e. the real font), nothing is clipped whatever the data,
//! the locale, the font size or the page size.

use patchart_sdk::axis::{BandAxis, LinearAxis, Side};
use patchart_sdk::layout::{FontSizes, Heading, Rect, page_margin};
use patchart_sdk::scale::{BandScale, LinearScale};
use patchart_sdk::svg::{Anchor, Group, Paint, Svg, Text};
use patchart_sdk::{Measure, Style, text};

use crate::Figures;
use crate::texts::Texts;

/// About this many ticks on the y axis. Fixed rather than derived from
/// the plot height so the tick labels (and so the axis width) are known
/// before the plot is.
const Y_TICKS: usize = 5;

/// Below this size a count is not legible; value labels are left out (with
/// a warning) rather than drawn smaller.
const MIN_LABEL_SIZE: f32 = 7.0;

/// Category labels never take more than this share of the page height (a
/// long label is elided instead of squeezing the bars away).
const MAX_LABEL_SHARE: f32 = 0.25;

/// The finished SVG and what the reader should know about it.
pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

/// Draws `f` in `style`.
pub(crate) fn draw(f: &Figures, t: &Texts, style: &Style, measure: &dyn Measure) -> Drawing {
    let sizes = FontSizes::from_style(style);
    let mut warnings = Vec::new();
    let mut svg = Svg::new(style.width, style.height, style);
    let title = t.title(f.bars.len());
    let subtitle = t.subtitle(f.total, f.entries);
    // <title> and <desc> make the SVG accessible to screen readers.
    svg.set_title(&title);
    svg.set_description(&subtitle);

    let mut page = Rect::page(style).inset(page_margin(style));
    let heading = Heading::new(&title).subtitle(&subtitle);
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));

    // The y domain is made "nice" (0..192 becomes 0..200) from the data
    // alone, and its ticks fixed, so the y axis' width is known now.
    let max = f.bars.iter().map(|e| e.count).max().unwrap_or(0);
    let y = LinearScale::new((0.0, max as f64), (0.0, 1.0))
        .integer()
        .nice(Y_TICKS);
    let y_ticks = y.ticks(Y_TICKS);
    let y_probe = LinearAxis::new(Side::Left, y, style)
        .ticks(y_ticks.clone())
        .title(t.y_axis());
    page.cut_left(y_probe.thickness(measure));

    // Bands across the remaining width; the x axis is as tall as its
    // labels need (it turns them 45° when they do not fit side by side).
    let bands = BandScale::new(f.bars.len(), (page.x, page.right()))
        .padding_inner(0.2)
        .padding_outer(0.1);
    let labels: Vec<String> = f.bars.iter().map(|e| e.label.clone()).collect();
    let x_axis = BandAxis::new(Side::Bottom, bands, labels, style)
        .max_label_width(style.height as f32 * MAX_LABEL_SHARE)
        .title(t.x_axis());
    page.cut_bottom(x_axis.thickness(measure));

    // One size for every value label: the largest at which the widest
    // count fits its bar. `fit_size` asks the host's font, so this holds
    // in the PNG too, not just approximately.
    let values: Vec<String> = f.bars.iter().map(|e| t.count(e.count)).collect();
    let value_size = values
        .iter()
        .map(|v| {
            text::fit_size(
                measure,
                v,
                bands.bandwidth(),
                sizes.label,
                MIN_LABEL_SIZE,
                false,
            )
        })
        .try_fold(sizes.label, |acc, s| s.map(|s| acc.min(s)));
    if value_size.is_none() {
        warnings.push(t.warn_no_value_labels().to_owned());
    }
    // Room above the tallest bar for its label.
    let gap = (sizes.label * 0.3).round();
    if let Some(size) = value_size {
        page.cut_top(size + gap);
    }
    let plot = page;

    // Pixels grow downwards, so the domain maps bottom-up.
    let y = y.with_range((plot.bottom(), plot.y));
    let y_axis = LinearAxis::new(Side::Left, y, style)
        .ticks(y_ticks)
        .title(t.y_axis());

    // Back to front: heading, grid, bars, labels, axes.
    heading.draw(&mut svg, measure, heading_area, &sizes, style);
    y_axis.draw_grid(&mut svg, measure, plot.x, plot.right());

    svg.open_group(&Group::new().class("bars"));
    for (i, (e, value)) in f.bars.iter().zip(&values).enumerate() {
        let top = y.map(e.count as f64);
        // A <title> per bar gives a tooltip in browsers.
        svg.open_group(
            &Group::new()
                .class("bar")
                .title(&format!("{}: {value}", e.label)),
        );
        svg.rect(
            bands.position(i),
            top,
            bands.bandwidth(),
            plot.bottom() - top,
            &Paint::fill(style.color(0)),
        );
        svg.close_group();
    }
    svg.close_group();

    if let Some(size) = value_size {
        svg.open_group(&Group::new().class("value-labels"));
        for (i, (e, value)) in f.bars.iter().zip(&values).enumerate() {
            // Default baseline (alphabetic): the text sits just above `y`.
            svg.text(
                &Text::new(bands.center(i), y.map(e.count as f64) - gap, value)
                    .size(size)
                    .anchor(Anchor::Middle),
            );
        }
        svg.close_group();
    }

    x_axis.draw(&mut svg, measure, plot.bottom());
    y_axis.draw(&mut svg, measure, plot.x);

    Drawing {
        svg: svg.finish(),
        warnings,
    }
}
