//! The picture: a line of yearly counts with a point per year, the
//! incomplete years shaded and dashed, value labels where they fit.

use patchart_sdk::layout::Rect;
use patchart_sdk::series::{
    self, FrameSpec, LineStyle, ValueAxisSpec, YearFrame, YearSpan, YearTexts,
};
use patchart_sdk::svg::{Group, Svg};
use patchart_sdk::{Measure, Style};

use crate::texts::Texts;

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

pub(crate) fn draw(
    span: &YearSpan,
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

    let max = span.counts.iter().copied().max().unwrap_or(0) as f64;
    let frame = YearFrame::layout(
        &FrameSpec {
            title: &title,
            subtitle: Some(&subtitle),
            legend: Vec::new(),
            notes,
            x_title: years.x_axis(),
            first_year: span.first,
            last_year: span.last(),
            // Headroom for the value label above the highest point.
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
        .zip(&span.counts)
        .map(|(y, c)| (frame.year_x(y), frame.y.map(*c as f64)))
        .collect();
    let color = style.color(0);
    let marker = series::marker_radius(plot.width, span.len());
    let dashed_from = span.first_incomplete().and_then(|y| span.index(y));
    series::draw_line(
        &mut svg,
        &points.iter().copied().map(Some).collect::<Vec<_>>(),
        dashed_from,
        &LineStyle::new(color, 2.0).markers(marker),
        &style.background,
        "observed",
    );
    // Invisible hit areas with a tooltip per year, for SVG viewers.
    svg.open_group(&Group::new().class("points"));
    for ((y, c), (x, py)) in span.years().zip(&span.counts).zip(&points) {
        svg.open_group(&Group::new().class("point").title(&t.point(y, *c)));
        svg.circle(
            *x,
            *py,
            marker.max(4.0),
            &patchart_sdk::svg::Paint::fill(color).opacity(0.0),
        );
        svg.close_group();
    }
    svg.close_group();

    let labels: Vec<String> = span
        .counts
        .iter()
        .map(|c| patchart_sdk::format::count(*c, style.locale()))
        .collect();
    series::draw_point_labels(
        &mut svg,
        measure,
        &points,
        &labels,
        &series::label_order(span),
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
