//! The picture: heading, bars with value labels, axes, footnotes.
//!
//! Layout runs top-down and is measured before anything is drawn: the
//! heading and the footnotes are cut off the page, then the x axis, then a
//! left margin as wide as the longest category label; the bars get the
//! rest. The x scale is then squeezed just enough that the value label of
//! every bar fits to its right, so no label is ever clipped whatever the
//! counts, the locale or the font.

use patchart_sdk::axis::{BandAxis, LinearAxis, Side};
use patchart_sdk::footnote::Footnote;
use patchart_sdk::layout::{FontSizes, Heading, Rect, page_margin};
use patchart_sdk::scale::{BandScale, LinearScale};
use patchart_sdk::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use patchart_sdk::{Measure, Style, palette};

use crate::texts::Texts;
use crate::{BarKind, Ranking};

/// Below this size labels stop being legible; bars stay labelled at it
/// and the chart warns instead.
const MIN_LABEL_SIZE: f32 = 6.0;

/// Category labels never take more than this share of the width, so a
/// long label cannot squeeze the bars away (it is elided instead).
const MAX_LABEL_SHARE: f32 = 0.3;

/// Bars get at least this share of the plot width even when value labels
/// are long; value labels shrink before the bars do.
const MIN_BAR_SHARE: f32 = 0.4;

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

pub(crate) fn draw(
    r: &Ranking,
    t: &Texts,
    notes: &[String],
    style: &Style,
    measure: &dyn Measure,
) -> Drawing {
    let sizes = FontSizes::from_style(style);
    let mut warnings = Vec::new();
    let mut svg = Svg::new(style.width, style.height, style);
    let title = t.title(r.shown);
    let subtitle = t.subtitle(r.total, r.entries);
    svg.set_title(&title);
    let mut description = vec![subtitle.clone()];
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let mut page = Rect::page(style).inset(page_margin(style));
    let heading = Heading::new(&title).subtitle(&subtitle);
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
    let footnote = Footnote::new(notes, sizes.footnote, style);
    let footnote_area = page.cut_bottom(footnote.height(measure, page.width));

    // A bottom axis is one line of tick labels plus its title whatever the
    // ticks, so its thickness is known before the x scale is.
    let x_title = t.x_axis();
    let probe = LinearAxis::new(
        Side::Bottom,
        LinearScale::new((0.0, 1.0), (0.0, 1.0)),
        style,
    )
    .title(x_title);
    page.cut_bottom(probe.thickness(measure));

    let n = r.bars.len();
    let bands = BandScale::new(n, (page.y, page.bottom()))
        .padding_inner(0.25)
        .padding_outer(0.15);
    let fitted = ((bands.step() * 0.8) * 2.0).floor() / 2.0;
    let label_size = sizes.label.min(fitted).max(MIN_LABEL_SIZE);
    if fitted < MIN_LABEL_SIZE {
        warnings.push(t.warn_crowded(n, style.height));
    }

    let labels: Vec<String> = r.bars.iter().map(|b| b.label.clone()).collect();
    let emphasis: Vec<bool> = r
        .bars
        .iter()
        .map(|b| b.kind == BarKind::Highlighted)
        .collect();
    let y_axis = BandAxis::new(Side::Left, bands, labels, style)
        .emphasis(emphasis.clone())
        .label_size(label_size)
        .max_label_width(page.width * MAX_LABEL_SHARE)
        .title(t.y_axis());
    let elided = y_axis.elided_count(measure);
    if elided > 0 {
        warnings.push(t.warn_elided(elided));
    }
    page.cut_left(y_axis.thickness(measure));
    let plot = page;

    // The x domain is made nice above the largest bar, with about one tick
    // per 90 px.
    let max_count = r.bars.iter().map(|b| b.count).max().unwrap_or(0);
    let tick_count = ((plot.width / 90.0).floor() as usize).clamp(2, 10);
    let x = LinearScale::new((0.0, max_count as f64), (plot.x, plot.right()))
        .integer()
        .nice(tick_count);
    let domain_max = x.domain().1;
    let tick_overhang = LinearAxis::new(Side::Bottom, x, style)
        .max_ticks(tick_count)
        .overhang(measure)
        .1;

    let value_labels: Vec<String> = r
        .bars
        .iter()
        .map(|b| t.value_label(b.count, b.share))
        .collect();
    let (value_size, bar_width) = fit_value_labels(
        r,
        &value_labels,
        &emphasis,
        plot.width - tick_overhang,
        plot.width,
        domain_max,
        label_size,
        measure,
    );
    // The ticks chosen for the final width may differ from the ones the
    // overhang was measured with; pull the range in until the last tick
    // label ends inside the plot too.
    let mut bar_width = bar_width;
    let mut x = x.with_range((plot.x, plot.x + bar_width));
    for _ in 0..3 {
        let overhang = LinearAxis::new(Side::Bottom, x, style)
            .max_ticks(tick_count)
            .overhang(measure)
            .1;
        let excess = plot.x + bar_width + overhang - plot.right();
        if excess <= 0.0 {
            break;
        }
        bar_width = (bar_width - excess).max(0.0);
        x = x.with_range((plot.x, plot.x + bar_width));
    }
    let x_axis = LinearAxis::new(Side::Bottom, x, style)
        .max_ticks(tick_count)
        .title(x_title)
        .title_span(plot.x, plot.right());

    heading.draw(&mut svg, measure, heading_area, &sizes, style);
    x_axis.draw_grid(&mut svg, measure, plot.y, plot.bottom());

    let accent = palette::highlight(&style.palette);
    svg.open_group(&Group::new().class("bars"));
    for (i, (bar, value)) in r.bars.iter().zip(&value_labels).enumerate() {
        let color = match bar.kind {
            BarKind::Ranked => style.color(0),
            BarKind::Highlighted => accent,
            BarKind::Others => palette::others_color(),
        };
        svg.open_group(
            &Group::new()
                .class("bar")
                .title(&format!("{}: {value}", bar.label)),
        );
        let end = x.map(bar.count as f64);
        svg.rect(
            plot.x,
            bands.position(i),
            end - plot.x,
            bands.bandwidth(),
            &Paint::fill(color),
        );
        svg.close_group();
    }
    svg.close_group();

    svg.open_group(&Group::new().class("value-labels"));
    let gap = value_gap(value_size);
    for (i, (bar, value)) in r.bars.iter().zip(&value_labels).enumerate() {
        svg.text(
            &Text::new(x.map(bar.count as f64) + gap, bands.center(i), value)
                .size(value_size)
                .weight(emphasis[i])
                .anchor(Anchor::Start)
                .baseline(Baseline::Central),
        );
    }
    svg.close_group();

    y_axis.draw(&mut svg, measure, plot.x);
    x_axis.draw(&mut svg, measure, plot.bottom());
    footnote.draw(&mut svg, measure, footnote_area);

    Drawing {
        svg: svg.finish(),
        warnings,
    }
}

/// Space between a bar's end and its value label.
fn value_gap(size: f32) -> f32 {
    (size * 0.5).round()
}

/// The value label size and the pixel width of the x range (`domain_max`
/// maps to `plot.x + width`) such that every value label ends inside the
/// plot: for a bar of `count`, `count / domain_max × width + gap + label
/// width <= plot_width`. Labels start at `size` and shrink (down to
/// [`MIN_LABEL_SIZE`]) only if the bars would otherwise get less than
/// [`MIN_BAR_SHARE`] of the plot.
#[allow(clippy::too_many_arguments)]
fn fit_value_labels(
    r: &Ranking,
    labels: &[String],
    bold: &[bool],
    max_width: f32,
    plot_width: f32,
    domain_max: f64,
    size: f32,
    measure: &dyn Measure,
) -> (f32, f32) {
    let width_at = |size: f32| {
        let gap = value_gap(size);
        let mut width = max_width.max(0.0);
        for ((bar, label), bold) in r.bars.iter().zip(labels).zip(bold) {
            if bar.count == 0 || domain_max <= 0.0 {
                continue;
            }
            let room = plot_width - gap - measure.width(label, size, *bold);
            let fraction = (bar.count as f64 / domain_max) as f32;
            width = width.min(room / fraction);
        }
        width.max(0.0)
    };
    let mut s = size;
    loop {
        let width = width_at(s);
        if width >= plot_width * MIN_BAR_SHARE || s <= MIN_LABEL_SIZE {
            return (s, width);
        }
        s = (s - 0.5).max(MIN_LABEL_SIZE);
    }
}
