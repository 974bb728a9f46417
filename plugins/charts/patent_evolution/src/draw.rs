//! The picture: a line of yearly counts with a point per year, the
//! incomplete years shaded and dashed, value labels where they fit
//! ([`series::draw_year_line`]).

use patchart_sdk::series::{self, DrawnYearLine, YearLine, YearSpan, YearTexts};
use patchart_sdk::{Measure, Style};

use crate::texts::Texts;

pub(crate) fn draw(
    span: &YearSpan,
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
        values: &span.counts,
        max: span.counts.iter().copied().max().unwrap_or(0) as f64,
        area_opacity: None,
        class: "observed",
        tips: span
            .years()
            .zip(&span.counts)
            .map(|(y, c)| t.point(y, *c))
            .collect(),
        label_order: series::label_order(span),
    };
    series::draw_year_line(span, &line, years, style, measure)
}
