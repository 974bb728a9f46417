//! Native tests of the chart: the figures against the replaced system's,
//! the parameters, and the picture (inside the page, stable, escaped).

use patchart_sdk::testing::{self, chart_data, numbers, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// Publications per year 2006–2023 as the replaced system reported them
/// for the reference export (`patent_forecast.chart_data.json`,
/// `historical_series`).
const REFERENCE_YEARS: [(i32, u64); 18] = testing::REFERENCE_PUBLICATION_YEARS;
const REFERENCE_TOTAL: u64 = 233;

/// An export shaped like the reference one: a few early documents, the
/// years with documents (no rows for 0), newest first, plus a label that
/// is not a year.
fn reference_entries() -> Vec<Entry> {
    testing::year_entries(&REFERENCE_YEARS, &testing::REFERENCE_EARLY_YEARS)
}

fn dataset(entries: Vec<Entry>) -> Dataset {
    testing::dataset(None, vec![("publication_years", entries)])
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<PatentForecast>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&dataset(reference_entries()), params, &Style::default())
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn assert_inside(chart: &Chart, style: &Style) {
    testing::assert_series_inside(chart, style, &M);
}

fn series<'a>(cd: &'a Value, kind: &str, method: &str) -> &'a Value {
    cd["series"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|s| s["kind"] == kind && s["name"].as_str().unwrap_or("").starts_with(method))
        })
        .unwrap_or(&Value::Null)
}

#[test]
fn history_equals_the_reference_and_lag_years_are_not_fitted() {
    let cd = chart_data(&render(""));
    let h = &cd["series"][0];
    let expected: Vec<f64> = REFERENCE_YEARS.iter().map(|(_, c)| *c as f64).collect();
    assert_eq!(numbers(&h["values"]), expected);
    assert_eq!(strings(&h["flags"])[16..], ["incomplete", "incomplete"]);
    let t = &cd["totals"];
    assert_eq!(t["total"], REFERENCE_TOTAL);
    assert_eq!(
        (t["fit_first_year"].clone(), t["fit_last_year"].clone()),
        (2006.into(), 2021.into())
    );
    assert_eq!(t["fit_years"], 16);
    // The forecast covers the incomplete years and 6 years past 2023.
    assert_eq!(
        (
            t["forecast_first_year"].clone(),
            t["forecast_last_year"].clone()
        ),
        (2022.into(), 2029.into())
    );
    assert_eq!(cd["type"], "forecast");
    assert_eq!(cd["metrics"]["fit"]["excluded_incomplete_years"], 2);
    assert!(strings(&cd["notes"])[0].contains("not used to fit the models"));
}

#[test]
fn incomplete_counts_do_not_move_the_forecast() {
    let base = chart_data(&render(""));
    let mut entries = reference_entries();
    for e in &mut entries {
        if e.label == "2023" {
            e.count = 5;
        }
    }
    let changed = chart_data(
        &render_with(&dataset(entries), "", &Style::default()).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(base["metrics"]["holt"], changed["metrics"]["holt"]);
    assert_eq!(base["metrics"]["arima"], changed["metrics"]["arima"]);
}

#[test]
fn models_on_the_reference_export() {
    // The replaced system forecast 2026–2031 (ETS 41.90 … 61.71, ARIMA
    // 38.70 … 51.68) from all of 2006–2023, incomplete years included,
    // without parameters or intervals. We fit 2006–2021 only and label
    // the steps from 2022, so the numbers are not comparable one to one;
    // they agree in level (40–60 documents a year by 2026–2029).
    let cd = chart_data(&render(""));
    let holt = &cd["metrics"]["holt"];
    let alpha = holt["alpha"].as_f64().unwrap_or(-1.0);
    let beta = holt["beta"].as_f64().unwrap_or(-1.0);
    assert!(
        alpha > 0.0 && alpha < 1.0 && beta >= 0.0 && beta <= alpha,
        "{holt}"
    );
    // Holt's forecast is a straight line with the final trend as slope.
    let fc = numbers(&series(&cd, "forecast", "Holt")["values"]);
    let trend = holt["final_trend"].as_f64().unwrap_or(0.0);
    for w in fc.windows(2) {
        assert!((w[1] - w[0] - trend).abs() < 0.02, "{fc:?} vs {trend}");
    }
    // ARIMA: one difference (KPSS 0.56 > 0.463, then 0.41), a random walk
    // with drift by AICc: the drift is the mean yearly change 2008–2021.
    let arima = &cd["metrics"]["arima"];
    assert_eq!(arima["order"], serde_json::json!([0, 1, 0]));
    assert_eq!(arima["constant_meaning"], "drift");
    assert_eq!(arima["constant"], 2.3846);
    assert_eq!(cd["totals"]["arima_order"], "(0,1,0)");
    let fc = numbers(&series(&cd, "forecast", "ARIMA")["values"]);
    assert_eq!(fc[0], 33.38, "31 in 2021 plus one drift");
    assert!(fc[7] > 45.0 && fc[7] < 55.0 && fc[4] > 38.0, "{fc:?}");
}

#[test]
fn intervals_nest_and_widen() {
    let cd = chart_data(&render(r#"{"horizon": 15}"#));
    for m in ["Holt", "ARIMA"] {
        let get = |k: &str| numbers(&series(&cd, k, m)["values"]);
        let (p, l80, u80, l95, u95) = (
            get("forecast"),
            get("lower_80"),
            get("upper_80"),
            get("lower_95"),
            get("upper_95"),
        );
        assert_eq!(p.len(), 17);
        for i in 0..p.len() {
            assert!(
                l95[i] <= l80[i] && l80[i] <= p[i] && p[i] <= u80[i] && u80[i] <= u95[i],
                "{m} {i}"
            );
        }
        for i in 1..p.len() {
            assert!(
                u95[i] - p[i] >= u95[i - 1] - p[i - 1] - 0.011,
                "{m} widens at {i}"
            );
        }
    }
}

#[test]
fn falling_counts_are_clamped_at_zero() {
    let entries: Vec<Entry> = (2000..2016)
        .map(|y| Entry {
            label: y.to_string(),
            count: (2016 - y) as u64 * 3,
        })
        .collect();
    let chart = render_with(
        &dataset(entries),
        r#"{"horizon": 15, "lag_years": 0}"#,
        &Style::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    for m in ["Holt", "ARIMA"] {
        assert!(
            numbers(&series(&cd, "lower_95", m)["values"])
                .iter()
                .all(|v| *v >= 0.0)
        );
        assert!(
            numbers(&series(&cd, "forecast", m)["values"])
                .iter()
                .all(|v| *v >= 0.0)
        );
    }
    assert!(
        strings(&cd["notes"])
            .iter()
            .any(|n| n == "Negative forecasts and bounds are shown as 0.")
    );
    assert_inside(&chart, &Style::default());
}

#[test]
fn too_little_history_is_missing_data_with_the_reason() {
    let entries: Vec<Entry> = (2017..2024)
        .map(|y| Entry {
            label: y.to_string(),
            count: 5,
        })
        .collect();
    match render_with(&dataset(entries.clone()), "", &Style::default()) {
        Err(RenderError::MissingData(m)) => {
            assert!(
                m.contains("`publication_years`")
                    && m.contains("has 5 complete years")
                    && m.contains("at least 6"),
                "{m}"
            );
        }
        other => panic!("expected missing data, got {other:?}"),
    }
    assert!(render_with(&dataset(entries), r#"{"lag_years": 0}"#, &Style::default()).is_ok());
    match render_with(&dataset(vec![]), "", &Style::default()) {
        Err(RenderError::MissingData(m)) => assert!(m.contains("`publication_years`"), "{m}"),
        other => panic!("expected missing data, got {other:?}"),
    }
}

#[test]
fn params_out_of_range_name_the_field() {
    for (p, field) in [
        (r#"{"horizon": 0}"#, "`horizon`"),
        (r#"{"horizon": 16}"#, "`horizon`"),
        (r#"{"interval": 90}"#, "`interval`"),
        (r#"{"lag_years": 9}"#, "`lag_years`"),
        (r#"{"method": "x"}"#, "`method`"),
    ] {
        match render_with(&dataset(reference_entries()), p, &Style::default()) {
            Err(RenderError::InvalidParams(m)) => assert!(m.contains(field), "{p}: {m}"),
            other => panic!("{p}: expected invalid params, got {other:?}"),
        }
    }
}

#[test]
fn drawn_inside_the_page_in_every_shape() {
    let small = Style {
        width: 320,
        height: 240,
        ..Style::default()
    };
    let many: Vec<Entry> = (1000..10_000)
        .map(|y| Entry {
            label: y.to_string(),
            count: (y % 97) as u64,
        })
        .collect();
    let cases = [
        (dataset(reference_entries()), "", Style::default()),
        (
            dataset(reference_entries()),
            r#"{"horizon": 15, "interval": 80}"#,
            small.clone(),
        ),
        (
            dataset(reference_entries()),
            r#"{"first_year": 1973}"#,
            Style::default(),
        ),
        (dataset(many), r#"{"first_year": 1000}"#, Style::default()),
    ];
    for (data, params, style) in cases {
        let chart = render_with(&data, params, &style).unwrap_or_else(|e| panic!("{e}"));
        assert_inside(&chart, &style);
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render(r#"{"horizon": 9}"#), render(r#"{"horizon": 9}"#));
}

#[test]
fn spanish_texts() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let chart =
        render_with(&dataset(reference_entries()), "", &style).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["title"], "Publicaciones de patentes por año: previsión");
    assert!(
        strings(&cd["notes"])
            .iter()
            .any(|n| n.starts_with("Holt: suavizado exponencial"))
    );
    assert!(chart.svg.contains("Intervalos de predicción del 95\u{a0}%"));
    assert!(
        chart.svg.contains("(95\u{a0}%: "),
        "tooltips use Spanish decimals"
    );
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let schema: Value = serde_json::from_str(PARAMS_SCHEMA).unwrap_or(Value::Null);
    assert_eq!(schema["additionalProperties"], false);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let from_schema: Params =
        params::parse(&patchart_sdk::testing::schema_defaults(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "first_year",
            "horizon",
            "interval",
            "lag_years",
            "last_year"
        ]
    );
    assert_eq!(props["horizon"]["maximum"], HORIZON_MAX);
    assert_eq!(
        <PatentForecast as ChartPlugin>::info().required_facets,
        ["publication_years"]
    );
}
