//! Native tests of the chart: the figures against the replaced system's,
//! the parameters, and the picture (inside the page, stable, escaped).

use patchart_sdk::params;
use patchart_sdk::series;
use patchart_sdk::testing::{self, chart_data, numbers, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// Publications per year 2006–2023 as the replaced system reported them
/// for the reference export (`patent_evolution.chart_data.json`).
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
    testing::render::<PatentEvolution>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&dataset(reference_entries()), params, &Style::default())
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn assert_inside(chart: &Chart, style: &Style) {
    testing::assert_series_inside(chart, style, &M);
}

#[test]
fn yearly_counts_equal_the_reference() {
    let cd = chart_data(&render(""));
    let s = &cd["series"][0];
    let years: Vec<String> = REFERENCE_YEARS.iter().map(|(y, _)| y.to_string()).collect();
    assert_eq!(strings(&s["labels"]), years);
    let expected: Vec<f64> = REFERENCE_YEARS.iter().map(|(_, c)| *c as f64).collect();
    assert_eq!(numbers(&s["values"]), expected);
    let t = &cd["totals"];
    assert_eq!(t["total"], REFERENCE_TOTAL);
    assert_eq!(
        (t["first_year"].clone(), t["last_year"].clone()),
        (2006.into(), 2023.into())
    );
    assert_eq!(t["peak_year"], 2023);
    assert_eq!(t["peak_value"], 43);
    assert_eq!(t["documents_before_first_year"], 8);
    assert_eq!(cd["type"], "line");
    assert_eq!(cd["algorithm"], "patent_evolution");
    assert_eq!(cd["x_axis"]["categories"], s["labels"]);
}

#[test]
fn the_last_two_years_are_shown_and_flagged_incomplete() {
    // The replaced system dropped the lag years; we keep them, flagged.
    let chart = render("");
    let cd = chart_data(&chart);
    let flags = strings(&cd["series"][0]["flags"]);
    assert_eq!(flags[16..], ["incomplete", "incomplete"]);
    assert!(flags[..16].iter().all(String::is_empty));
    let t = &cd["totals"];
    assert_eq!(t["incomplete_from"], 2022);
    assert_eq!(t["last_complete_year"], 2021);
    assert_eq!(t["last_complete_value"], 31);
    assert_eq!(t["complete_years"], 16);
    assert_eq!(t["complete_total"], REFERENCE_TOTAL - 27 - 43);
    assert_eq!(t["incomplete_total"], 70);
    assert_eq!(t["last_complete_yoy_percent"], 14.81);
    let notes = strings(&cd["notes"]);
    assert!(
        notes[0].starts_with("2022\u{2013}2023 (shaded, dashed)"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("8 documents published before 2006"),
        "{notes:?}"
    );
    assert!(chart.svg.contains("class=\"incomplete-years\""));
    assert!(chart.svg.contains("stroke-dasharray=\"5 4\""));
    let none = chart_data(&render(r#"{"lag_years": 0}"#));
    assert!(
        strings(&none["series"][0]["flags"])
            .iter()
            .all(String::is_empty)
    );
    assert!(none["totals"]["incomplete_from"].is_null());
}

#[test]
fn first_and_last_year_widen_the_span_with_zeros() {
    let cd = chart_data(&render(r#"{"first_year": 1999, "last_year": 2025}"#));
    let s = &cd["series"][0];
    assert_eq!(strings(&s["labels"]).len(), 27);
    let v = numbers(&s["values"]);
    assert_eq!((v[0], v[26], v[25]), (2.0, 0.0, 0.0));
    assert_eq!(cd["totals"]["total"], REFERENCE_TOTAL + 2);
    assert_eq!(cd["totals"]["incomplete_from"], 2024);
    assert_eq!(cd["totals"]["documents_before_first_year"], 6);
}

#[test]
fn params_out_of_range_name_the_field() {
    for (p, field) in [
        (r#"{"lag_years": 6}"#, "`lag_years`"),
        (r#"{"first_year": 999}"#, "`first_year`"),
        (r#"{"last_year": "2020"}"#, "`last_year`"),
        (r#"{"first_year": 2020, "last_year": 2010}"#, "`first_year`"),
        (r#"{"years": 5}"#, "`years`"),
    ] {
        match render_with(&dataset(reference_entries()), p, &Style::default()) {
            Err(RenderError::InvalidParams(m)) => assert!(m.contains(field), "{p}: {m}"),
            other => panic!("{p}: expected invalid params, got {other:?}"),
        }
    }
}

#[test]
fn missing_or_unusable_years_are_missing_data_naming_the_facet() {
    let no_facet = Dataset {
        facets: vec![],
        ..dataset(vec![])
    };
    let not_years = dataset(vec![Entry {
        label: "<script>alert(1)</script>".into(),
        count: 4,
    }]);
    let zeros = dataset(vec![Entry {
        label: "2020".into(),
        count: 0,
    }]);
    for data in [no_facet, dataset(vec![]), not_years, zeros] {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`publication_years`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

#[test]
fn non_year_labels_are_ignored_with_a_warning() {
    let mut entries = reference_entries();
    entries.push(Entry {
        label: "<script>alert(1)</script>".into(),
        count: 5,
    });
    entries.push(Entry {
        label: "x".repeat(500),
        count: 1,
    });
    let chart =
        render_with(&dataset(entries), "", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        chart.warnings[0].starts_with("2 labels of `publication_years` are not a year"),
        "{:?}",
        chart.warnings
    );
    assert!(!chart.svg.contains("<script>"));
    assert_eq!(chart_data(&chart)["totals"]["total"], REFERENCE_TOTAL);
}

#[test]
fn one_year_and_many_years_are_drawn_inside_the_page() {
    let one = dataset(vec![Entry {
        label: "2020".into(),
        count: 7,
    }]);
    let many: Vec<Entry> = (1000..10_000)
        .map(|y| Entry {
            label: y.to_string(),
            count: (y % 97) as u64,
        })
        .collect();
    let small = Style {
        width: 320,
        height: 240,
        ..Style::default()
    };
    let cases = [
        (one.clone(), "", Style::default()),
        (one, "", small.clone()),
        (dataset(reference_entries()), "", small),
        (dataset(many.clone()), "", Style::default()),
        (dataset(many), r#"{"first_year": 1000}"#, Style::default()),
        (
            dataset(reference_entries()),
            r#"{"lag_years": 5}"#,
            Style::default(),
        ),
    ];
    for (data, params, style) in cases {
        let chart = render_with(&data, params, &style).unwrap_or_else(|e| panic!("{e}"));
        assert_inside(&chart, &style);
    }
}

#[test]
fn rendering_is_deterministic() {
    let a = render(r#"{"last_year": 2024}"#);
    let b = render(r#"{"last_year": 2024}"#);
    assert_eq!(a, b);
}

#[test]
fn spanish_texts_and_numbers() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut entries = reference_entries();
    entries.push(Entry {
        label: "2015".into(),
        count: 12_000,
    });
    let chart = render_with(&dataset(entries), "", &style).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["locale"], "es");
    assert_eq!(cd["title"], "Documentos de patente publicados por año");
    assert_eq!(cd["x_axis"]["label"], "Año de publicación");
    assert!(
        chart.svg.contains(">12.008</text>"),
        "value label grouped the Spanish way"
    );
    assert!(strings(&cd["notes"])[0].contains("recuentos aún incompletos"));
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let schema: Value = serde_json::from_str(&params_schema()).unwrap_or(Value::Null);
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
    assert_eq!(keys, ["first_year", "lag_years", "last_year"]);
    assert_eq!(props["lag_years"]["maximum"], series::MAX_LAG_YEARS);
    let info = <PatentEvolution as ChartPlugin>::info();
    assert_eq!(info.required_facets, ["publication_years"]);
}
