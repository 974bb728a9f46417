//! The picture: the running total as a line with points over a light
//! area, the incomplete years shaded and dashed, value labels where they
//! fit ([`series::draw_year_line`]).

use patchart_sdk::series::{self, DrawnYearLine, YearLine, YearSpan, YearTexts};
use patchart_sdk::{Measure, Style};

use crate::texts::Texts;

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
) -> DrawnYearLine {
    let title = t.title();
    let subtitle = t.subtitle(span);
    let line = YearLine {
        title: &title,
        subtitle: &subtitle,
        notes,
        y_title: t.y_axis(),
        values: cumulative,
        // The running total ends at its largest value.
        max: cumulative.last().copied().unwrap_or(0) as f64,
        area_opacity: Some(AREA_OPACITY),
        class: "cumulative",
        tips: (0..span.len())
            .map(|i| t.point(span.year(i), cumulative[i], span.counts[i]))
            .collect(),
        // The running total only grows: the last years matter most.
        label_order: (0..span.len()).rev().collect(),
    };
    series::draw_year_line(span, &line, years, style, measure)
}
