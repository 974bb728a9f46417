//! # patent_cumulative
//!
//! How has the body of published documents grown? The running total of
//! the `publication_years` facet, as an area under a line with a point per
//! year (years without documents add 0). Sums start at the first year
//! drawn, as in the replaced system; documents published earlier are
//! counted in a footnote. The last `lag_years` years are still filling up
//! (publication lags filing by about 18 months): the replaced system
//! dropped them, this chart shows them dashed over a shaded band and flags
//! them `incomplete`.
//!
//! Params (JSON), all optional, the same as `patent_evolution`:
//! `{"first_year": 2006, "last_year": 2025, "lag_years": 2}` (see
//! `patchart_sdk::series::YearWindow` for the defaults: the last 20 years
//! from the first with documents, up to the last year with documents).

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::series::{YearSpan, YearTexts, YearlyCounts};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

pub use patchart_sdk::series::YearParams as Params;

use crate::texts::Texts;

pub const KEY: &str = "patent_cumulative";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "publication_years";

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
fn params_schema() -> String {
    patchart_sdk::series::year_params_schema(
        KEY,
        "First year drawn, where the running total starts.",
        "drawn dashed over a shaded band",
        serde_json::json!({}),
    )
}

/// The chart algorithm.
pub struct PatentCumulative;

impl ChartPlugin for PatentCumulative {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Cumulative patent publications".to_owned(),
            description: "Running total of patent documents published up to each year, as an \
                          area under a line; the last, still incomplete years are shown dashed \
                          over a shaded band."
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
        let cumulative = span.cumulative();

        let mut warnings: Vec<String> = years.warn_ignored(FACET, &counts).into_iter().collect();
        let notes = notes(&span, &years);
        let drawing = draw::draw(&span, &cumulative, &texts, &years, &notes, style, measure);
        warnings.extend(drawing.warnings);

        let mut cd = ChartData::new(ChartType::Area, KEY, &texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(&span));
        cd.x_axis = Some(Axis::new(years.x_axis()).categories(span.labels()));
        cd.y_axis = Some(Axis::new(texts.y_axis()).unit("documents"));
        let total = span.total();
        cd.series.push(Series {
            name: texts.series().to_owned(),
            kind: Some("cumulative".to_owned()),
            labels: span.labels(),
            values: cumulative.iter().map(|c| Some(*c as f64)).collect(),
            // Share of the final total reached by each year.
            shares: Some(
                cumulative
                    .iter()
                    .map(|c| Some(chart_data::share(*c, total)))
                    .collect(),
            ),
            ranks: None,
            flags: Some(span.flags()),
        });
        cd.series.push(Series {
            name: texts.yearly_series().to_owned(),
            kind: Some("observed".to_owned()),
            labels: span.labels(),
            values: span.counts.iter().map(|c| Some(*c as f64)).collect(),
            shares: None,
            ranks: None,
            flags: Some(span.flags()),
        });
        set_totals(&mut cd, &span, &cumulative);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

/// The figures a description needs: where the total ends, what of it is
/// complete, and how recent the bulk of it is.
fn set_totals(cd: &mut ChartData, span: &YearSpan, cumulative: &[u64]) {
    let total = span.total();
    let complete = span.complete_len();
    let at_last_complete = complete.checked_sub(1).map(|i| cumulative[i]);
    // The first year by which half of all documents were published: a
    // late year says the field is young.
    let half_year = cumulative
        .iter()
        .position(|c| c.saturating_mul(2) >= total)
        .map(|i| i64::from(span.year(i)));
    cd.totals
        .set("total", total)
        .set("first_year", i64::from(span.first))
        .set("last_year", i64::from(span.last()))
        .set("years", span.len())
        .set("lag_years", span.lag_years)
        .set("complete_years", complete)
        .set("last_complete_year", span.last_complete().map(i64::from))
        .set("cumulative_at_last_complete_year", at_last_complete)
        .set("incomplete_from", span.first_incomplete().map(i64::from))
        .set("incomplete_total", total - span.complete_total())
        .set("half_reached_year", half_year)
        .set("documents_before_first_year", span.before)
        .set("documents_after_last_year", span.after);
}

/// The footnotes: what the shaded years mean, and documents not counted.
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

patchart_sdk::export_plugin!(PatentCumulative);
