//! A yearly series from a spec: one line with a point per year over a
//! light area, the last `lag_years` years shaded and dashed as still
//! incomplete, as the built-in year charts draw it
//! ([`crate::series::draw_year_line`]).

use super::{Figure, write_figures};
use crate::chart_data::{Axis, ChartData, ChartType, Series};
use crate::series::{self, YearLine, YearTexts, YearWindow, YearlyCounts};
use crate::{Chart, Entry, Facet, Measure, RenderError, Style, format};

/// What a yearly chart shows (see `yearly-series` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YearlySpec {
    pub algorithm: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The value axis title.
    pub y_title: String,
    /// The series' name in chart_data.
    pub series_name: String,
    /// Facet rows whose labels are years ("2019"); other labels are left
    /// out with a warning, missing years count 0.
    pub years: Vec<Entry>,
    /// The facet the rows come from, named in messages.
    pub facet: String,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub lag_years: u32,
    /// Draw the running total instead of the yearly counts.
    pub cumulative: bool,
    pub notes: Vec<String>,
    pub totals: Vec<Figure>,
}

/// Opacity of the area under the line, as the built-in year charts use.
const AREA_OPACITY: f32 = 0.18;

/// Draws `spec` in `style`: the SVG, chart_data and warnings of the chart.
pub fn draw_yearly(
    spec: &YearlySpec,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    let facet = Facet {
        name: spec.facet.clone(),
        entries: spec.years.clone(),
    };
    let counts = YearlyCounts::from_facet(&facet);
    let window = YearWindow::checked(spec.first_year, spec.last_year, spec.lag_years)?;
    let span = window.select(&counts, &spec.facet)?;
    let locale = style.locale();
    let years = YearTexts::new(locale);
    let values = if spec.cumulative {
        span.cumulative()
    } else {
        span.counts.clone()
    };

    let mut notes = spec.notes.clone();
    if let Some(from) = span.first_incomplete() {
        notes.push(years.note_incomplete(from, span.last()));
    }
    notes.extend(years.note_outside(&span));
    let subtitle = spec
        .subtitle
        .clone()
        .unwrap_or_else(|| years.years(span.first, span.last()));
    let mut warnings: Vec<String> = years
        .warn_ignored(&spec.facet, &counts)
        .into_iter()
        .collect();
    let line = YearLine {
        title: &spec.title,
        subtitle: &subtitle,
        notes: &notes,
        y_title: &spec.y_title,
        values: &values,
        max: values.iter().copied().max().unwrap_or(0) as f64,
        area_opacity: Some(AREA_OPACITY),
        class: "yearly",
        tips: span
            .years()
            .zip(&values)
            .map(|(y, v)| format!("{y}: {}", format::count(*v, locale)))
            .collect(),
        label_order: series::label_order(&span),
    };
    let drawn = series::draw_year_line(&span, &line, &years, style, measure);
    warnings.extend(drawn.warnings);

    let kind = if spec.cumulative {
        ChartType::Area
    } else {
        ChartType::Line
    };
    let mut cd = ChartData::new(kind, &spec.algorithm, &spec.title, locale);
    cd.subtitle = Some(subtitle);
    cd.x_axis = Some(Axis::new(years.x_axis()).categories(span.labels()));
    cd.y_axis = Some(Axis::new(&spec.y_title));
    cd.series.push(Series {
        name: spec.series_name.clone(),
        kind: Some(
            if spec.cumulative {
                "cumulative"
            } else {
                "observed"
            }
            .to_owned(),
        ),
        labels: span.labels(),
        values: values.iter().map(|v| Some(*v as f64)).collect(),
        shares: None,
        ranks: None,
        flags: Some(span.flags()),
    });
    cd.totals
        .set("total", span.total())
        .set("first_year", i64::from(span.first))
        .set("last_year", i64::from(span.last()))
        .set("years", span.len())
        .set("lag_years", span.lag_years)
        .set("incomplete_from", span.first_incomplete().map(i64::from))
        .set("documents_before_first_year", span.before)
        .set("documents_after_last_year", span.after);
    write_figures(&mut cd.totals, &spec.totals)?;
    cd.notes = notes;
    cd.warnings = warnings.clone();
    Ok(Chart {
        svg: drawn.svg,
        chart_data: cd.to_json()?,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chart_data, entry};
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn spec(cumulative: bool) -> YearlySpec {
        YearlySpec {
            algorithm: "demo".into(),
            title: "Documents per year".into(),
            y_title: "Patent documents".into(),
            series_name: "Documents".into(),
            years: vec![entry("2021", 4), entry("2019", 2), entry("n/a", 9)],
            facet: "publication_years".into(),
            lag_years: 1,
            cumulative,
            ..YearlySpec::default()
        }
    }

    #[test]
    fn fills_missing_years_flags_the_incomplete_one_and_warns_of_the_rest() {
        let style = Style::default();
        let chart = draw_yearly(&spec(false), &style, &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "line");
        assert_eq!(cd["series"][0]["values"], serde_json::json!([2, 0, 4]));
        assert_eq!(cd["series"][0]["flags"][2], "incomplete");
        assert_eq!(cd["totals"]["incomplete_from"], 2021);
        assert!(
            chart.warnings.iter().any(|w| w.contains("n/a")),
            "{:?}",
            chart.warnings
        );
        crate::testing::assert_inside_page(&chart, &style, &M);
    }

    #[test]
    fn cumulative_adds_up_year_by_year() {
        let chart =
            draw_yearly(&spec(true), &Style::default(), &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "area");
        assert_eq!(cd["series"][0]["values"], serde_json::json!([2, 2, 6]));
    }
}
