//! # patent_forecast
//!
//! Where is publishing heading? The documents published per year of the
//! `publication_years` facet, and a forecast `horizon` years past the last
//! year by two documented methods, each with 80% and 95% prediction
//! intervals (one of them drawn, both in chart_data):
//!
//! - Holt's linear trend, ETS(A,A,N), by maximum likelihood ([`holt`]);
//! - an ARIMA(p,d,q) chosen by AICc after KPSS differencing ([`arima`]).
//!
//! The last `lag_years` years are still filling up (publication lags
//! filing by about 18 months): they are drawn (dashed, shaded) but left out
//! of the fitting, which would otherwise read the lag as a downturn; the
//! forecast starts right after the last complete year, so it also covers
//! them. Negative forecasts and bounds are shown as 0 (counts cannot be
//! negative). At least 6 complete years are needed.
//!
//! The replaced system forecast 6 years too (its chart_data has
//! `forecast_ets` and `forecast_arima`), but labelled them from the year
//! after its clock's "current year" (2026–2031 for data ending in 2023)
//! and gave no model parameters or intervals, so its numbers are not
//! comparable with ours beyond their rough level; see tests.rs.
//!
//! Params (JSON), all optional: `first_year`, `last_year`, `lag_years` as
//! in `patent_evolution`; `horizon` (1..15, default 6) years past the last
//! year; `interval` (80 or 95, default 95) the prediction interval drawn.

mod arima;
mod draw;
mod holt;
mod optim;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::series::{self, YearSpan, YearTexts, YearWindow, YearlyCounts};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::texts::Texts;

pub const KEY: &str = "patent_forecast";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "publication_years";

const HORIZON_DEFAULT: u32 = 6;
const HORIZON_MIN: u32 = 1;
const HORIZON_MAX: u32 = 15;
/// Fewer complete years than this give models with nothing to learn from.
pub const MIN_FIT_YEARS: usize = 6;
/// Models are fitted on at most this many of the last complete years:
/// older dynamics say little about the next few years, and the fit's cost
/// grows with the series (a user may ask for centuries).
pub const MAX_FIT_YEARS: usize = 50;

/// z quantiles of the standard normal for the two interval levels.
const Z80: f64 = 1.281_551_565_544_600_4;
const Z95: f64 = 1.959_963_984_540_054;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "patent_forecast parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "first_year": {
      "description": "First year drawn and fitted. Default (null): the first year with documents among the last 20 years up to last_year.",
      "type": ["integer", "null"],
      "minimum": 1000,
      "maximum": 9999,
      "default": null
    },
    "last_year": {
      "description": "Last year of data. Default (null): the last year with documents. Incomplete years are counted back from it.",
      "type": ["integer", "null"],
      "minimum": 1000,
      "maximum": 9999,
      "default": null
    },
    "lag_years": {
      "description": "How many trailing years are still incomplete because of the publication lag (about 18 months); drawn but not fitted.",
      "type": "integer",
      "minimum": 0,
      "maximum": 5,
      "default": 2
    },
    "horizon": {
      "description": "Years forecast past the last year.",
      "type": "integer",
      "minimum": 1,
      "maximum": 15,
      "default": 6
    },
    "interval": {
      "description": "Prediction interval drawn, in percent (both are in chart_data).",
      "type": "integer",
      "enum": [80, 95],
      "default": 95
    }
  }
}"#;

/// The chart algorithm.
pub struct PatentForecast;

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub lag_years: u32,
    pub horizon: u32,
    pub interval: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            first_year: None,
            last_year: None,
            lag_years: series::DEFAULT_LAG_YEARS,
            horizon: HORIZON_DEFAULT,
            interval: 95,
        }
    }
}

impl Params {
    fn parse(raw: &str) -> Result<(Params, YearWindow), RenderError> {
        let p: Params = params::parse(raw)?;
        let window = YearWindow::checked(p.first_year, p.last_year, p.lag_years)?;
        params::check_range("horizon", p.horizon, HORIZON_MIN, HORIZON_MAX)?;
        if p.interval != 80 && p.interval != 95 {
            return Err(RenderError::InvalidParams(format!(
                "`interval` must be 80 or 95, got {}",
                p.interval
            )));
        }
        Ok((p, window))
    }
}

/// Which of the two models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Holt,
    Arima,
}

/// One method's forecast, ready to draw and report: values for the
/// forecast years, clamped at 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Projection {
    pub method: Method,
    /// Fitted values over the fit years (None where the model conditions).
    pub fitted: Vec<Option<f64>>,
    pub point: Vec<f64>,
    pub lower80: Vec<f64>,
    pub upper80: Vec<f64>,
    pub lower95: Vec<f64>,
    pub upper95: Vec<f64>,
    /// Whether any value was raised to 0.
    pub clamped: bool,
}

impl Projection {
    fn new(method: Method, fitted: Vec<Option<f64>>, point: Vec<f64>, var: Vec<f64>) -> Projection {
        let mut clamped = false;
        let mut bound = |v: f64| {
            if v < 0.0 {
                clamped = true;
                0.0
            } else {
                chart_data::round2(v)
            }
        };
        let sd: Vec<f64> = var.iter().map(|v| v.max(0.0).sqrt()).collect();
        let band = |z: f64, sign: f64, bound: &mut dyn FnMut(f64) -> f64| -> Vec<f64> {
            point
                .iter()
                .zip(&sd)
                .map(|(p, s)| bound(p + sign * z * s))
                .collect()
        };
        let lower80 = band(Z80, -1.0, &mut bound);
        let upper80 = band(Z80, 1.0, &mut bound);
        let lower95 = band(Z95, -1.0, &mut bound);
        let upper95 = band(Z95, 1.0, &mut bound);
        let point: Vec<f64> = point.iter().map(|v| bound(*v)).collect();
        Projection {
            method,
            fitted: fitted
                .into_iter()
                .map(|v| v.map(chart_data::round2))
                .collect(),
            point,
            lower80,
            upper80,
            lower95,
            upper95,
            clamped,
        }
    }

    pub fn bounds(&self, interval: u32) -> (&[f64], &[f64]) {
        if interval == 80 {
            (&self.lower80, &self.upper80)
        } else {
            (&self.lower95, &self.upper95)
        }
    }
}

/// Everything the chart shows: the data, what was fitted, both forecasts.
pub(crate) struct Forecasts {
    pub span: YearSpan,
    /// Complete years: span years 0..fit_len; the models are fitted on
    /// fit_start..fit_len.
    pub fit_len: usize,
    pub fit_start: usize,
    pub horizon: u32,
    pub interval: u32,
    /// Years of the forecast: right after the last fitted year up to the
    /// last year + horizon.
    pub years: Vec<i32>,
    pub holt: holt::HoltFit,
    pub arima: arima::ArimaFit,
    pub projections: [Projection; 2],
}

impl Forecasts {
    fn new(span: YearSpan, p: &Params) -> Result<Forecasts, RenderError> {
        let fit_len = span.complete_len();
        if fit_len < MIN_FIT_YEARS {
            return Err(RenderError::MissingData(format!(
                "facet `{FACET}` has {fit_len} complete years between {} and {} (after leaving \
                 out the last {} incomplete), but a forecast needs at least {MIN_FIT_YEARS}; \
                 widen the years (first_year) or lower lag_years",
                span.first,
                span.last(),
                span.lag_years
            )));
        }
        let fit_start = fit_len.saturating_sub(MAX_FIT_YEARS);
        let y: Vec<f64> = span.counts[fit_start..fit_len]
            .iter()
            .map(|c| *c as f64)
            .collect();
        let steps = span.len() - fit_len + p.horizon as usize;
        let holt = holt::fit(&y).ok_or_else(|| {
            RenderError::Failed("Holt's model could not be fitted to the yearly counts".into())
        })?;
        let arima = arima::fit(&y).ok_or_else(|| {
            RenderError::Failed("no ARIMA model could be fitted to the yearly counts".into())
        })?;
        let first = span.year(fit_len);
        let years: Vec<i32> = (0..steps).map(|i| first + i as i32).collect();
        let projections = [
            Projection::new(
                Method::Holt,
                holt.fitted.iter().map(|v| Some(*v)).collect(),
                holt.forecast(steps),
                holt.variances(steps),
            ),
            Projection::new(
                Method::Arima,
                arima.fitted.clone(),
                arima.forecast(steps),
                arima.variances(steps),
            ),
        ];
        Ok(Forecasts {
            span,
            fit_len,
            fit_start,
            horizon: p.horizon,
            interval: p.interval,
            years,
            holt,
            arima,
            projections,
        })
    }

    pub fn fit_first_year(&self) -> i32 {
        self.span.year(self.fit_start)
    }

    pub fn fit_last_year(&self) -> i32 {
        self.span.year(self.fit_len - 1)
    }

    pub fn last_forecast_year(&self) -> i32 {
        self.years.last().copied().unwrap_or(self.span.last())
    }
}

impl ChartPlugin for PatentForecast {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Patent publication forecast".to_owned(),
            description: "Documents published per year with a forecast by Holt's linear trend \
                          (ETS(A,A,N)) and by an ARIMA model chosen by AIC, each with 80% and 95% \
                          prediction intervals; incomplete recent years are shown but not fitted."
                .to_owned(),
            params_schema: PARAMS_SCHEMA.to_owned(),
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
        let f = Forecasts::new(span, &p)?;
        let locale = style.locale();
        let texts = Texts::new(locale);
        let years = YearTexts::new(locale);

        let mut warnings: Vec<String> = years.warn_ignored(FACET, &counts).into_iter().collect();
        let notes = notes(&f, &texts, &years);
        let drawing = draw::draw(&f, &texts, &years, &notes, style, measure);
        warnings.extend(drawing.warnings);

        let mut cd = ChartData::new(ChartType::Forecast, KEY, &texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(&f));
        let mut categories = f.span.labels();
        categories.extend(
            f.years
                .iter()
                .filter(|y| **y > f.span.last())
                .map(|y| y.to_string()),
        );
        cd.x_axis = Some(Axis::new(years.x_axis()).categories(categories));
        cd.y_axis = Some(Axis::new(texts.y_axis()).unit("documents"));
        push_series(&mut cd, &f, &texts);
        set_totals(&mut cd, &f);
        set_metrics(&mut cd, &f);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

fn year_labels(years: &[i32]) -> Vec<String> {
    years.iter().map(|y| y.to_string()).collect()
}

fn push_series(cd: &mut ChartData, f: &Forecasts, t: &Texts) {
    let span = &f.span;
    cd.series.push(Series {
        name: t.history().to_owned(),
        kind: Some("observed".to_owned()),
        labels: span.labels(),
        values: span.counts.iter().map(|c| Some(*c as f64)).collect(),
        shares: None,
        ranks: None,
        flags: Some(span.flags()),
    });
    let fit_labels: Vec<String> = span.labels()[f.fit_start..f.fit_len].to_vec();
    let forecast_labels = year_labels(&f.years);
    // Forecast years that overlap incomplete data are flagged, so a reader
    // can compare the forecast with the partial count there.
    let forecast_flags: Vec<String> = f
        .years
        .iter()
        .map(|y| {
            if *y <= span.last() {
                series::INCOMPLETE.to_owned()
            } else {
                String::new()
            }
        })
        .collect();
    for proj in &f.projections {
        let name = t.method(proj.method, &f.arima);
        let values = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        cd.series.push(Series {
            name: format!("{name} \u{2013} {}", t.fitted()),
            kind: Some("fitted".to_owned()),
            labels: fit_labels.clone(),
            values: proj.fitted.clone(),
            ..Series::default()
        });
        cd.series.push(Series {
            name: format!("{name} \u{2013} {}", t.forecast()),
            kind: Some("forecast".to_owned()),
            labels: forecast_labels.clone(),
            values: values(&proj.point),
            flags: Some(forecast_flags.clone()),
            ..Series::default()
        });
        for (level, lower, upper) in [
            (80, &proj.lower80, &proj.upper80),
            (95, &proj.lower95, &proj.upper95),
        ] {
            for (kind, v) in [("lower", lower), ("upper", upper)] {
                cd.series.push(Series {
                    name: format!("{name} \u{2013} {}", t.bound(kind, level)),
                    kind: Some(format!("{kind}_{level}")),
                    labels: forecast_labels.clone(),
                    values: values(v),
                    ..Series::default()
                });
            }
        }
    }
}

fn set_totals(cd: &mut ChartData, f: &Forecasts) {
    let span = &f.span;
    let last = f.projections.iter().map(|p| p.point.last().copied());
    let [holt_last, arima_last]: [Option<f64>; 2] = {
        let v: Vec<Option<f64>> = last.collect();
        [v[0], v[1]]
    };
    cd.totals
        .set("total", span.total())
        .set("first_year", i64::from(span.first))
        .set("last_year", i64::from(span.last()))
        .set("fit_first_year", i64::from(f.fit_first_year()))
        .set("fit_last_year", i64::from(f.fit_last_year()))
        .set("fit_years", f.fit_len - f.fit_start)
        .set(
            "fit_total",
            span.counts[f.fit_start..f.fit_len].iter().sum::<u64>(),
        )
        .set("incomplete_from", span.first_incomplete().map(i64::from))
        .set("horizon", f.horizon)
        .set(
            "forecast_first_year",
            f.years.first().map(|y| i64::from(*y)),
        )
        .set("forecast_last_year", i64::from(f.last_forecast_year()))
        .set("interval_percent", f.interval)
        .set("holt_alpha", chart_data::round2(f.holt.alpha))
        .set("holt_beta", chart_data::round2(f.holt.beta))
        .set("holt_aic", chart_data::round2(f.holt.aic))
        .set("holt_forecast_last_year", holt_last)
        .set("arima_order", f.arima.order().as_str())
        .set("arima_aic", chart_data::round2(f.arima.aic))
        .set("arima_aicc", chart_data::round2(f.arima.aicc))
        .set("arima_forecast_last_year", arima_last)
        .set("documents_before_first_year", span.before);
}

fn forecast_rows(f: &Forecasts, p: &Projection) -> Value {
    Value::Array(
        f.years
            .iter()
            .enumerate()
            .map(|(i, y)| {
                json!({
                    "year": y,
                    "value": p.point[i],
                    "lower_80": p.lower80[i],
                    "upper_80": p.upper80[i],
                    "lower_95": p.lower95[i],
                    "upper_95": p.upper95[i],
                    "overlaps_incomplete_data": *y <= f.span.last(),
                })
            })
            .collect(),
    )
}

/// Rounds model figures to 4 decimals: enough to reproduce the forecast,
/// and stable across platforms in the last bits.
fn r4(v: f64) -> f64 {
    let r = (v * 10_000.0).round() / 10_000.0;
    if r == 0.0 { 0.0 } else { r }
}

fn set_metrics(cd: &mut ChartData, f: &Forecasts) {
    let h = &f.holt;
    cd.metrics.insert(
        "holt".to_owned(),
        json!({
            "method": "ETS(A,A,N): Holt's linear trend, maximum likelihood",
            "equations": "yhat(t) = l(t-1) + b(t-1); l(t) = l(t-1) + b(t-1) + alpha*e(t); b(t) = b(t-1) + beta*e(t)",
            "alpha": r4(h.alpha),
            "beta": r4(h.beta),
            "beta_star": r4(if h.alpha > 0.0 { h.beta / h.alpha } else { 0.0 }),
            "initial_level": r4(h.level0),
            "initial_trend": r4(h.trend0),
            "final_level": r4(h.level),
            "final_trend": r4(h.trend),
            "sigma": r4(h.sigma2.sqrt()),
            "log_likelihood": r4(h.log_likelihood),
            "aic": r4(h.aic),
            "observations": h.n,
            "forecast": forecast_rows(f, &f.projections[0]),
        }),
    );
    let a = &f.arima;
    let candidates: Vec<Value> = a
        .candidates
        .iter()
        .map(|c| {
            json!({
                "order": [c.p, c.d, c.q],
                "constant": c.constant,
                "aic": r4(c.aic),
                "aicc": r4(c.aicc),
            })
        })
        .collect();
    cd.metrics.insert(
        "arima".to_owned(),
        json!({
            "method": "ARIMA(p,d,q): d by KPSS tests (5%), p,q <= 2 and constant by AICc, conditional sum of squares",
            "order": [a.p, a.d, a.q],
            "constant": a.constant.map(r4),
            "constant_meaning": match (a.constant.is_some(), a.d) {
                (false, _) => "none",
                (true, 0) => "mean",
                _ => "drift",
            },
            "ar": a.ar.iter().map(|v| r4(*v)).collect::<Vec<_>>(),
            "ma": a.ma.iter().map(|v| r4(*v)).collect::<Vec<_>>(),
            "sigma": r4(a.sigma2.sqrt()),
            "log_likelihood": r4(a.log_likelihood),
            "aic": r4(a.aic),
            "aicc": r4(a.aicc),
            "kpss_statistics": a.kpss.iter().map(|v| r4(*v)).collect::<Vec<_>>(),
            "candidates": candidates,
            "forecast": forecast_rows(f, &f.projections[1]),
        }),
    );
    cd.metrics.insert(
        "fit".to_owned(),
        json!({
            "first_year": f.fit_first_year(),
            "last_year": f.fit_last_year(),
            "excluded_incomplete_years": f.span.len() - f.fit_len,
            "interval_drawn_percent": f.interval,
        }),
    );
}

fn notes(f: &Forecasts, t: &Texts, years: &YearTexts) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(from) = f.span.first_incomplete() {
        notes.push(t.note_incomplete(&years.years(from, f.span.last())));
    }
    notes.push(t.note_holt(&f.holt));
    notes.push(t.note_arima(&f.arima));
    notes.push(t.note_interval(f.interval));
    if f.projections.iter().any(|p| p.clamped) {
        notes.push(t.note_clamped().to_owned());
    }
    notes.extend(years.note_outside(&f.span));
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(PatentForecast);
