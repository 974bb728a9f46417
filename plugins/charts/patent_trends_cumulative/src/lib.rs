//! # patent_trends_cumulative
//!
//! Is publishing accelerating, and how much has piled up? Documents
//! published per year of the `publication_years` facet as bars on the left
//! axis, their running total as a line on the right axis, and the compound
//! annual growth rate (CAGR) of the yearly count between two years, written
//! in the plot and reported in chart_data. The last `lag_years` years are
//! still filling up (publication lags filing by about 18 months): drawn
//! lighter and dashed over a shaded band, flagged `incomplete`, and kept
//! out of the default CAGR window.
//!
//! Params (JSON), all optional: `first_year`, `last_year`, `lag_years` as
//! in `patent_evolution`, and
//! - `cagr_start`, `cagr_end`: the CAGR window. Default: it ends at the
//!   last complete year and starts 10 years earlier (or at the first year
//!   drawn), moved forward to the first year with documents, since growth
//!   from 0 is undefined. `((end / start)^(1 / (end_year - start_year)) - 1)
//!   × 100`.

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::series::{self, YearSpan, YearTexts, YearWindow, YearlyCounts};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;
use serde_json::json;

use crate::texts::Texts;

pub const KEY: &str = "patent_trends_cumulative";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "publication_years";

/// Length of the default CAGR window, in years.
const CAGR_DEFAULT_YEARS: i32 = 10;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
fn params_schema() -> String {
    let year = |description: &str| {
        serde_json::json!({
            "description": description,
            "type": ["integer", "null"],
            "minimum": patchart_sdk::series::YEAR_MIN,
            "maximum": patchart_sdk::series::YEAR_MAX,
            "default": null
        })
    };
    patchart_sdk::series::year_params_schema(
        KEY,
        "First year drawn, where the running total starts.",
        "drawn lighter and dashed over a shaded band",
        serde_json::json!({
            "cagr_start": year(
                "First year of the compound annual growth rate. Default (null): 10 years before \
                 cagr_end, or the first year drawn, moved forward to the first year with documents."
            ),
            "cagr_end": year(
                "Last year of the compound annual growth rate. Default (null): the last complete year."
            ),
        }),
    )
}

/// The chart algorithm.
pub struct PatentTrendsCumulative;

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub lag_years: u32,
    pub cagr_start: Option<i32>,
    pub cagr_end: Option<i32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            first_year: None,
            last_year: None,
            lag_years: series::DEFAULT_LAG_YEARS,
            cagr_start: None,
            cagr_end: None,
        }
    }
}

impl Params {
    fn parse(raw: &str) -> Result<(Params, YearWindow), RenderError> {
        let p: Params = params::parse(raw)?;
        let window = YearWindow::checked(p.first_year, p.last_year, p.lag_years)?;
        for (field, v) in [("cagr_start", p.cagr_start), ("cagr_end", p.cagr_end)] {
            if let Some(v) = v {
                params::check_range(field, v, series::YEAR_MIN, series::YEAR_MAX)?;
            }
        }
        Ok((p, window))
    }
}

/// The growth rate reported, once its window is settled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cagr {
    pub start_year: i32,
    pub end_year: i32,
    pub start_value: u64,
    pub end_value: u64,
    /// `None` when undefined (a start of 0).
    pub percent: Option<f64>,
    /// Whether the window reaches into incomplete years.
    pub uses_incomplete: bool,
}

impl Cagr {
    /// The window from the params, or the default one; `Ok(None)` when the
    /// span has no two years to compare.
    fn settle(span: &YearSpan, p: &Params) -> Result<Option<Cagr>, RenderError> {
        let in_span = |field: &str, y: i32| -> Result<i32, RenderError> {
            if span.index(y).is_none() {
                return Err(RenderError::InvalidParams(format!(
                    "`{field}` ({y}) is outside the years drawn ({}\u{2013}{})",
                    span.first,
                    span.last()
                )));
            }
            Ok(y)
        };
        let end = match p.cagr_end {
            Some(y) => in_span("cagr_end", y)?,
            None => match span.last_complete() {
                Some(y) => y,
                None => return Ok(None),
            },
        };
        let start = match p.cagr_start {
            Some(y) => in_span("cagr_start", y)?,
            None => {
                let from = (end - CAGR_DEFAULT_YEARS).max(span.first);
                // Growth from 0 is undefined: start at the first year with
                // documents instead.
                (from..end)
                    .find(|y| span.index(*y).is_some_and(|i| span.counts[i] > 0))
                    .unwrap_or(from)
            }
        };
        if start >= end {
            if p.cagr_start.is_none() && p.cagr_end.is_none() {
                return Ok(None);
            }
            return Err(RenderError::InvalidParams(format!(
                "`cagr_start` ({start}) must be before `cagr_end` ({end})"
            )));
        }
        let value = |y: i32| span.index(y).map(|i| span.counts[i]).unwrap_or(0);
        let (start_value, end_value) = (value(start), value(end));
        Ok(Some(Cagr {
            start_year: start,
            end_year: end,
            start_value,
            end_value,
            percent: series::cagr_percent(start_value as f64, end_value as f64, end - start)
                .map(chart_data::round2),
            uses_incomplete: span.first_incomplete().is_some_and(|f| end >= f),
        }))
    }
}

impl ChartPlugin for PatentTrendsCumulative {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Patent trends and cumulative publications".to_owned(),
            description: "Documents published per year (bars, left axis) and their running total \
                          (line, right axis), with the compound annual growth rate over a window \
                          of complete years."
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
        let (p, window) = Params::parse(params)?;
        let facet = data.require(FACET)?;
        let counts = YearlyCounts::from_facet(facet);
        let span = window.select(&counts, FACET)?;
        let cagr = Cagr::settle(&span, &p)?;
        let cumulative = span.cumulative();
        let locale = style.locale();
        let texts = Texts::new(locale);
        let years = YearTexts::new(locale);

        let mut warnings: Vec<String> = years.warn_ignored(FACET, &counts).into_iter().collect();
        if let Some(c) = &cagr
            && c.uses_incomplete
        {
            warnings.push(texts.warn_cagr_incomplete(c));
        }
        let notes = notes(&span, cagr.as_ref(), &texts, &years);
        let drawing = draw::draw(
            &span,
            &cumulative,
            cagr.as_ref(),
            &texts,
            &years,
            &notes,
            style,
            measure,
        );
        warnings.extend(drawing.warnings);

        let mut cd = ChartData::new(ChartType::DualAxis, KEY, &texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(&span));
        cd.x_axis = Some(Axis::new(years.x_axis()).categories(span.labels()));
        cd.y_axis = Some(Axis::new(texts.left_axis()).unit("documents"));
        let total = span.total();
        cd.series.push(Series {
            name: texts.yearly_series().to_owned(),
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
        cd.series.push(Series {
            name: texts.cumulative_series().to_owned(),
            kind: Some("cumulative".to_owned()),
            labels: span.labels(),
            values: cumulative.iter().map(|c| Some(*c as f64)).collect(),
            shares: None,
            ranks: None,
            flags: Some(span.flags()),
        });
        set_totals(&mut cd, &span, &cumulative, cagr.as_ref());
        cd.metrics.insert(
            "axes".to_owned(),
            json!({
                "left": { "label": texts.left_axis(), "series": texts.yearly_series() },
                "right": { "label": texts.right_axis(), "series": texts.cumulative_series() },
            }),
        );
        if let Some(c) = &cagr {
            cd.metrics.insert(
                "cagr".to_owned(),
                json!({
                    "start_year": c.start_year,
                    "end_year": c.end_year,
                    "start_value": c.start_value,
                    "end_value": c.end_value,
                    "years": c.end_year - c.start_year,
                    "percent": c.percent,
                    "includes_incomplete_years": c.uses_incomplete,
                    "formula": "((end_value / start_value)^(1 / years) - 1) * 100",
                }),
            );
        }
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

fn set_totals(cd: &mut ChartData, span: &YearSpan, cumulative: &[u64], cagr: Option<&Cagr>) {
    let (peak_year, peak_value) = span.peak();
    let complete = span.complete_len();
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
        .set("last_complete_year", span.last_complete().map(i64::from))
        .set(
            "cumulative_at_last_complete_year",
            complete.checked_sub(1).map(|i| cumulative[i]),
        )
        .set("incomplete_from", span.first_incomplete().map(i64::from))
        .set("incomplete_total", span.total() - span.complete_total())
        .set("cagr_percent", cagr.and_then(|c| c.percent))
        .set("cagr_start_year", cagr.map(|c| i64::from(c.start_year)))
        .set("cagr_end_year", cagr.map(|c| i64::from(c.end_year)))
        .set("cagr_start_value", cagr.map(|c| c.start_value))
        .set("cagr_end_value", cagr.map(|c| c.end_value))
        .set("documents_before_first_year", span.before)
        .set("documents_after_last_year", span.after);
}

fn notes(span: &YearSpan, cagr: Option<&Cagr>, t: &Texts, years: &YearTexts) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(from) = span.first_incomplete() {
        notes.push(years.note_incomplete(from, span.last()));
    }
    notes.push(match cagr {
        Some(c) => t.note_cagr(c),
        None => t.note_no_cagr(),
    });
    notes.extend(years.note_outside(span));
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(PatentTrendsCumulative);
