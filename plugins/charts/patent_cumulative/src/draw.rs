//! The picture: the running total as a line with points over a light
//! area, the incomplete years shaded and dashed, value labels where they
//! fit.

use patchart_sdk::format;
use patchart_sdk::layout::Rect;
use patchart_sdk::series::{
    self, FrameSpec, LineStyle, ValueAxisSpec, YearFrame, YearSpan, YearTexts,
};
use patchart_sdk::svg::{Group, Paint, Svg};
use patchart_sdk::{Measure, Style};

use crate::texts::Texts;

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

/// Opacity of the area under the line: enough to read as "volume", light
/// enough for gridlines to show through.
const AREA_OPACITY: f32 = 0.18;

pub(crate) fn draw(
    span: &YearSpan,
    cumulative: &[u64],
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

    let max = cumulative.last().copied().unwrap_or(0) as f64;
    let frame = YearFrame::layout(
        &FrameSpec {
            title: &title,
            subtitle: Some(&subtitle),
            legend: Vec::new(),
            notes,
            x_title: years.x_axis(),
            first_year: span.first,
            last_year: span.last(),
            // Headroom for the value label above the last point.
            left: ValueAxisSpec {
                title: t.y_axis(),
                max: max * 1.08,
                color: None,
            },
            right: None,
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

    let points: Vec<(f32, f32)> = span
        .years()
        .zip(cumulative)
        .map(|(y, c)| (frame.year_x(y), frame.y.map(*c as f64)))
        .collect();
    let color = style.color(0);
    series::draw_area(&mut svg, &points, frame.y.map(0.0), color, AREA_OPACITY);
    let marker = series::marker_radius(plot.width, span.len());
    let dashed_from = span.first_incomplete().and_then(|y| span.index(y));
    series::draw_line(
        &mut svg,
        &points.iter().copied().map(Some).collect::<Vec<_>>(),
        dashed_from,
        &LineStyle::new(color, 2.0).markers(marker),
        &style.background,
        "cumulative",
    );
    svg.open_group(&Group::new().class("points"));
    for (i, (x, y)) in points.iter().enumerate() {
        let tip = t.point(span.year(i), cumulative[i], span.counts[i]);
        svg.open_group(&Group::new().class("point").title(&tip));
        svg.circle(*x, *y, marker.max(4.0), &Paint::fill(color).opacity(0.0));
        svg.close_group();
    }
    svg.close_group();

    let labels: Vec<String> = cumulative
        .iter()
        .map(|c| format::count(*c, style.locale()))
        .collect();
    // The running total only grows: the last years matter most.
    let order: Vec<usize> = (0..span.len()).rev().collect();
    series::draw_point_labels(
        &mut svg,
        measure,
        &points,
        &labels,
        &order,
        frame.sizes.tick * 0.9,
        &style.text,
        Rect::new(
            plot.x,
            plot.y - frame.sizes.tick * 0.6,
            plot.width,
            plot.height,
        ),
    );
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
