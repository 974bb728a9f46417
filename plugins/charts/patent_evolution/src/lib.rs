//! # patent_evolution
//!
//! How many patent documents were published each year? A line with a
//! point per year of the `publication_years` facet, years without
//! documents drawn as 0. The last `lag_years` years are still filling up
//! (documents are published up to 18 months after filing): the replaced
//! system silently dropped them, this chart shows them dashed, with hollow
//! points over a shaded band, flags them `incomplete` in chart_data and
//! explains them in a footnote.
//!
//! Params (JSON), all optional:
//! `{"first_year": 2006, "last_year": 2025, "lag_years": 2}`.
//! - `first_year`: default, the first year with documents among the last
//!   20 years of the range (the replaced system's "last 20 years", which
//!   gives 2006 on the reference export);
//! - `last_year`: default, the last year with documents. The plugin has no
//!   clock, so the incomplete years are counted back from this year;
//! - `lag_years` (0..5, default 2): trailing years marked incomplete.

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::series::{YearSpan, YearTexts, YearlyCounts};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

pub use patchart_sdk::series::YearParams as Params;

use crate::texts::Texts;

pub const KEY: &str = "patent_evolution";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "publication_years";

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
fn params_schema() -> String {
    patchart_sdk::series::year_params_schema(
        KEY,
        "First year drawn.",
        "drawn dashed over a shaded band",
        serde_json::json!({}),
    )
}

/// The chart algorithm.
pub struct PatentEvolution;

impl ChartPlugin for PatentEvolution {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Patent evolution".to_owned(),
            description: "Patent documents published per year as a line with points; the last, \
                          still incomplete years are shown dashed over a shaded band."
                .to_owned(),
            params_schema: params_schema(),
            required_facets: vec![FACET.to_owned()],
        }
    }

    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let window = Params::window(params)?;
        let facet = data.require(FACET)?;
        let counts = YearlyCounts::from_facet(facet);
        let span = window.select(&counts, FACET)?;
        let locale = style.locale();
        let texts = Texts::new(locale);
        let years = YearTexts::new(locale);

        let mut warnings: Vec<String> = years.warn_ignored(FACET, &counts).into_iter().collect();
        let notes = notes(&span, &years);
        let drawing = draw::draw(&span, &texts, &years, &notes, style, measure);
        warnings.extend(drawing.warnings);

        let mut cd = ChartData::new(ChartType::Line, KEY, &texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(&span));
        cd.x_axis = Some(Axis::new(years.x_axis()).categories(span.labels()));
        cd.y_axis = Some(Axis::new(texts.y_axis()).unit("documents"));
        let total = span.total();
        cd.series.push(Series {
            name: texts.series().to_owned(),
            kind: Some("observed".to_owned()),
            labels: span.labels(),
            values: span.counts.iter().map(|c| Some(*c as f64)).collect(),
            shares: Some(
                span.counts
                    .iter()
                    .map(|c| Some(chart_data::share(*c, total)))
                    .collect(),
            ),
            ranks: None,
            flags: Some(span.flags()),
        });
        set_totals(&mut cd, &span);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

/// Every figure a description needs: the span, its total, the peak, and
/// what is complete.
fn set_totals(cd: &mut ChartData, span: &YearSpan) {
    let (peak_year, peak_value) = span.peak();
    let complete = span.complete_len();
    let last_complete = span.last_complete();
    let last_complete_value = last_complete
        .and_then(|y| span.index(y))
        .map(|i| span.counts[i]);
    let previous_value = last_complete
        .and_then(|y| span.index(y - 1))
        .map(|i| span.counts[i] as f64);
    let yoy = match (previous_value, last_complete_value) {
        (Some(p), Some(l)) if p > 0.0 => Some(chart_data::round2((l as f64 / p - 1.0) * 100.0)),
        _ => None,
    };
    let mean =
        (complete > 0).then(|| chart_data::round2(span.complete_total() as f64 / complete as f64));
    cd.totals
        .set("total", span.total())
        .set("first_year", i64::from(span.first))
        .set("last_year", i64::from(span.last()))
        .set("years", span.len())
        .set("peak_year", i64::from(peak_year))
        .set("peak_value", peak_value)
        .set("lag_years", span.lag_years)
        .set("complete_years", complete)
        .set("complete_total", span.complete_total())
        .set("last_complete_year", last_complete.map(i64::from))
        .set("last_complete_value", last_complete_value)
        .set("last_complete_yoy_percent", yoy)
        .set("mean_per_complete_year", mean)
        .set("incomplete_from", span.first_incomplete().map(i64::from))
        .set("incomplete_total", span.total() - span.complete_total())
        .set("documents_before_first_year", span.before)
        .set("documents_after_last_year", span.after);
}

/// The footnotes: what the shaded years mean, and documents not drawn.
fn notes(span: &YearSpan, years: &YearTexts) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(from) = span.first_incomplete() {
        notes.push(years.note_incomplete(from, span.last()));
    }
    notes.extend(years.note_outside(span));
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(PatentEvolution);
