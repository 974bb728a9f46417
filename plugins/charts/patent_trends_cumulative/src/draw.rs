//! The picture: bars of yearly counts on the left axis, the running total
//! as a line on the right axis, each axis in its series' colour, the
//! incomplete years lighter and dashed over a shaded band, and the growth
//! rate written in the plot with its two years marked.

use patchart_sdk::layout::Rect;
use patchart_sdk::legend::LegendItem;
use patchart_sdk::series::{
    self, FrameSpec, LineStyle, ValueAxisSpec, YearFrame, YearSpan, YearTexts,
};
use patchart_sdk::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use patchart_sdk::text::elide;
use patchart_sdk::{Measure, Style, palette};

use crate::Cagr;
use crate::texts::Texts;

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

/// Bars take this share of a year's width.
const BAR_SHARE: f32 = 0.7;
/// Incomplete years' bars are drawn this opaque.
const INCOMPLETE_OPACITY: f32 = 0.45;

#[allow(clippy::too_many_arguments)]
pub(crate) fn draw(
    span: &YearSpan,
    cumulative: &[u64],
    cagr: Option<&Cagr>,
    t: &Texts,
    years: &YearTexts,
    notes: &[String],
    style: &Style,
    measure: &dyn Measure,
) -> Drawing {
    let title = t.title();
    let subtitle = t.subtitle(span);
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(&title);
    let mut description = vec![subtitle.clone()];
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let bar_color = style.color(0);
    // The line must stand out against the bars: the next palette colour,
    // or the accent when the palette has only one.
    let line_color = if style.palette.len() > 1 {
        style.color(1)
    } else {
        palette::highlight(&style.palette)
    };
    let max_yearly = span.counts.iter().copied().max().unwrap_or(0) as f64;
    let max_cumulative = cumulative.last().copied().unwrap_or(0) as f64;
    let frame = YearFrame::layout(
        &FrameSpec {
            title: &title,
            subtitle: Some(&subtitle),
            legend: vec![
                LegendItem::new(t.yearly_series(), bar_color),
                LegendItem::new(t.cumulative_series(), line_color),
            ],
            notes,
            x_title: years.x_axis(),
            first_year: span.first,
            last_year: span.last(),
            // Headroom above the tallest bar for the growth-rate label.
            left: ValueAxisSpec {
                title: t.left_axis(),
                max: max_yearly * 1.15,
                color: Some(bar_color.to_owned()),
            },
            right: Some(ValueAxisSpec {
                title: t.right_axis(),
                max: max_cumulative * 1.15,
                color: Some(line_color.to_owned()),
            }),
        },
        style,
        measure,
    );
    frame.draw_back(&mut svg, measure, style);
    let plot = frame.plot;
    if let Some(from) = span.first_incomplete() {
        series::draw_incomplete_band(
            &mut svg,
            measure,
            &frame.x,
            plot,
            from,
            span.last(),
            years.incomplete_caption(),
            frame.sizes.tick,
            style,
        );
    }

    let year_width = (frame.year_x(span.first + 1) - frame.year_x(span.first)).abs();
    let bar_width = (year_width * BAR_SHARE).max(0.5);
    let base = frame.y.map(0.0);
    let marked = |y: i32| cagr.is_some_and(|c| c.start_year == y || c.end_year == y);
    svg.open_group(&Group::new().class("bars"));
    for (i, c) in span.counts.iter().enumerate() {
        let year = span.year(i);
        // A year without documents has no bar (a zero-height rect is
        // invalid for some SVG readers); its tooltip is on the line.
        if *c == 0 {
            continue;
        }
        let top = frame.y.map(*c as f64);
        let mut paint = Paint::fill(bar_color);
        if span.incomplete(i) {
            paint = paint
                .opacity(INCOMPLETE_OPACITY)
                .with_stroke(bar_color, 1.0)
                .dashed(&series::INCOMPLETE_DASH);
        }
        if marked(year) {
            paint = paint.with_stroke(&style.text, 1.5);
        }
        svg.open_group(
            &Group::new()
                .class("bar")
                .title(&t.point(year, *c, cumulative[i])),
        );
        svg.rect(
            frame.year_x(year) - bar_width / 2.0,
            top,
            bar_width,
            base - top,
            &paint,
        );
        svg.close_group();
    }
    svg.close_group();

    let y2 = frame.y2.unwrap_or(frame.y);
    let points: Vec<Option<(f32, f32)>> = span
        .years()
        .zip(cumulative)
        .map(|(y, c)| Some((frame.year_x(y), y2.map(*c as f64))))
        .collect();
    let dashed_from = span.first_incomplete().and_then(|y| span.index(y));
    series::draw_line(
        &mut svg,
        &points,
        dashed_from,
        &LineStyle::new(line_color, 2.0).markers(series::marker_radius(plot.width, span.len())),
        &style.background,
        "cumulative",
    );

    if let Some(c) = cagr {
        draw_cagr_label(
            &mut svg,
            measure,
            &t.cagr_label(c),
            plot,
            frame.sizes.label,
            style,
        );
    }
    frame.draw_front(&mut svg, measure);
    let warnings = (frame.notes_hidden > 0)
        .then(|| years.warn_notes_hidden(frame.notes_hidden))
        .into_iter()
        .collect();
    Drawing {
        svg: svg.finish(),
        warnings,
    }
}

/// The growth rate in the top left corner of the plot, on a background
/// panel so gridlines do not cross it, elided to the plot width.
fn draw_cagr_label(
    svg: &mut Svg,
    measure: &dyn Measure,
    label: &str,
    plot: Rect,
    size: f32,
    style: &Style,
) {
    let pad = size * 0.5;
    let text = elide(measure, label, plot.width - 2.0 * pad - 2.0, size, true);
    if text.is_empty() {
        return;
    }
    let w = measure.width(&text, size, true);
    svg.open_group(&Group::new().class("cagr"));
    svg.rect(
        plot.x + 1.0,
        plot.y + 1.0,
        w + 2.0 * pad,
        size + 2.0 * pad,
        &Paint::fill(&style.background).opacity(0.85),
    );
    svg.text(
        &Text::new(plot.x + 1.0 + pad, plot.y + 1.0 + pad + size / 2.0, &text)
            .size(size)
            .bold()
            .anchor(Anchor::Start)
            .baseline(Baseline::Central),
    );
    svg.close_group();
}
