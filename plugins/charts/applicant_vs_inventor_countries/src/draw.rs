//! The picture: heading, legend, one group of two columns per country,
//! value labels above the columns when they fit, axes and footnotes.
//!
//! Vertical columns because the categories are two-letter country codes:
//! they sit side by side under their groups without rotation, and the two
//! columns of a country read as a pair. Layout is measured before anything
//! is drawn: heading, legend and footnotes are cut off the page, then the
//! axes; the columns get the rest, with room above the tallest one for its
//! value label.

use patchart_sdk::axis::{BandAxis, LinearAxis, Side};
use patchart_sdk::layout::{FontSizes, Heading, Rect, page_margin};
use patchart_sdk::legend::{Legend, LegendItem};
use patchart_sdk::measure_cache::MeasureCache;
use patchart_sdk::ranked_bars::{MAX_NOTES_SHARE, footnote_within};
use patchart_sdk::scale::{BandScale, LinearScale};
use patchart_sdk::svg::{Anchor, Group, Paint, Svg, Text};
use patchart_sdk::text::LINE_HEIGHT;
use patchart_sdk::{Measure, Style};

use crate::Comparison;
use crate::texts::Texts;

/// Value labels shrink down to this size to fit over their columns; below
/// it they are left out (and the chart warns).
const MIN_VALUE_SIZE: f32 = 7.0;

/// Country labels longer than this share of the plot height are elided,
/// so a hostile 500-character label cannot push the columns off the page.
const MAX_LABEL_SHARE: f32 = 0.2;

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

pub(crate) fn draw(
    c: &Comparison,
    t: &Texts,
    title: &str,
    subtitle: &str,
    notes: &[String],
    style: &Style,
    measure: &dyn Measure,
) -> Drawing {
    let cache = MeasureCache::new(measure);
    let measure: &dyn Measure = &cache;
    let sizes = FontSizes::from_style(style);
    let mut warnings = Vec::new();
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(title);
    let mut description = vec![subtitle.to_owned()];
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let mut page = Rect::page(style).inset(page_margin(style));
    let heading = Heading::new(title).subtitle(subtitle);
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
    let colors = [style.color(0).to_owned(), style.color(1).to_owned()];
    let legend = Legend::new(
        vec![
            LegendItem::new(t.applicants(), &colors[0]),
            LegendItem::new(t.inventors(), &colors[1]),
        ],
        sizes.legend,
        style,
    );
    let legend_area = page.cut_top(legend.height(measure, page.width));
    page.cut_top(sizes.legend * 0.6);
    let (footnote, shown_notes) = footnote_within(
        notes,
        sizes.footnote,
        style,
        measure,
        page.width,
        page.height * MAX_NOTES_SHARE,
    );
    if shown_notes < notes.len() {
        warnings.push(t.warn_notes_dropped(notes.len() - shown_notes));
    }
    let footnote_area = page.cut_bottom(footnote.height(measure, page.width));

    // The y domain is nice above the tallest column, with about one tick
    // per 50 px; the left axis is as wide as its widest tick label.
    let max = c
        .countries
        .iter()
        .map(|x| x.applicants.max(x.inventors))
        .max()
        .unwrap_or(0);
    let tick_count = ((page.height / 50.0).floor() as usize).clamp(2, 10);
    let y = LinearScale::new((0.0, max as f64), (page.bottom(), page.y))
        .integer()
        .nice(tick_count);
    let left = LinearAxis::new(Side::Left, y, style)
        .max_ticks(tick_count)
        .title(t.y_axis())
        .thickness(measure);
    page.cut_left(left);
    // The last tick label is centred on the top of the range; half of it
    // sticks out above.
    page.cut_top(sizes.tick / 2.0);

    let labels: Vec<String> = c.countries.iter().map(|x| x.label.clone()).collect();
    let n = labels.len();
    let bands = BandScale::new(n.max(1), (page.x, page.right()))
        .padding_inner(0.3)
        .padding_outer(0.2);
    let x_axis = BandAxis::new(Side::Bottom, bands, labels, style)
        .max_label_width(page.height * MAX_LABEL_SHARE)
        .title(t.x_axis());
    let elided = x_axis.elided_count(measure);
    if elided > 0 {
        warnings.push(t.warn_elided(elided));
    }
    page.cut_bottom(x_axis.thickness(measure));
    let plot = page;

    // Columns of a group touch; groups are separated by the band padding.
    let column = bands.bandwidth() / 2.0;
    let value_labels: Vec<[String; 2]> = c
        .countries
        .iter()
        .map(|x| [t.value_label(x.applicants), t.value_label(x.inventors)])
        .collect();
    let value_size = fit_value_size(&value_labels, column, sizes.label, measure);
    if value_size.is_none() && n > 0 {
        warnings.push(t.warn_no_value_labels().to_owned());
    }
    let headroom = value_size.map_or(0.0, |s| s * LINE_HEIGHT);
    let y = y.with_range((plot.bottom(), plot.y + headroom));
    let y_axis = LinearAxis::new(Side::Left, y, style)
        .max_ticks(tick_count)
        .title(t.y_axis())
        .title_span(plot.y, plot.bottom());

    heading.draw(&mut svg, measure, heading_area, &sizes, style);
    legend.draw(&mut svg, measure, legend_area);
    y_axis.draw_grid(&mut svg, measure, plot.x, plot.right());

    svg.open_group(&Group::new().class("bars"));
    for (i, country) in c.countries.iter().enumerate() {
        let counts = [country.applicants, country.inventors];
        let series = [t.applicants(), t.inventors()];
        for k in 0..2 {
            // A country absent from a facet has no column there (its "0"
            // label says so); a zero-height rectangle is invalid SVG.
            if counts[k] == 0 {
                continue;
            }
            let x = bands.position(i) + column * k as f32;
            let top = y.map(counts[k] as f64);
            svg.open_group(&Group::new().class("bar").title(&format!(
                "{} · {}: {}",
                country.label, series[k], value_labels[i][k]
            )));
            svg.rect(
                x,
                top,
                column,
                plot.bottom() - top,
                &Paint::fill(&colors[k]),
            );
            svg.close_group();
        }
    }
    svg.close_group();

    if let Some(size) = value_size {
        svg.open_group(&Group::new().class("value-labels"));
        for (i, country) in c.countries.iter().enumerate() {
            let counts = [country.applicants, country.inventors];
            for k in 0..2 {
                let x = bands.position(i) + column * (k as f32 + 0.5);
                let top = y.map(counts[k] as f64);
                svg.text(
                    &Text::new(x, top - size * 0.3, &value_labels[i][k])
                        .size(size)
                        .anchor(Anchor::Middle),
                );
            }
        }
        svg.close_group();
    }

    y_axis.draw(&mut svg, measure, plot.x);
    x_axis.draw(&mut svg, measure, plot.bottom());
    footnote.draw(&mut svg, measure, footnote_area);

    Drawing {
        svg: svg.finish(),
        warnings,
    }
}

/// The largest size from `size` down to [`MIN_VALUE_SIZE`] at which every
/// value label is no wider than its column, or `None` when not even the
/// smallest fits.
fn fit_value_size(
    labels: &[[String; 2]],
    column: f32,
    size: f32,
    measure: &dyn Measure,
) -> Option<f32> {
    let widest = |s: f32| {
        labels
            .iter()
            .flatten()
            .map(|l| measure.width(l, s, false))
            .fold(0.0, f32::max)
    };
    let mut s = size;
    while s >= MIN_VALUE_SIZE {
        if widest(s) <= column {
            return Some(s);
        }
        s -= 0.5;
    }
    None
}
