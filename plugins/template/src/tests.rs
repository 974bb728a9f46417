//! Native unit tests: `cargo test -p patchart_plugin_template`.
//!
//! They run the plugin as ordinary Rust (no WebAssembly, no host), with
//! `UniformMeasure` standing in for the host's font metrics: every
//! character is 0.6 em wide, which is close to the real font and, more
//! importantly, the same on every machine, so layout assertions are stable.
//! `patchart_sdk::testing` builds datasets and reads chart_data back.

use patchart_sdk::testing::{self, chart_data, entry, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, Dataset, Entry, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// A small `countries` facet, deliberately out of order and with a tie
/// (IT and FR, 3 each) listed in reverse label order, so only the plugin's
/// ranking can produce the expected bars.
fn entries() -> Vec<Entry> {
    vec![
        entry("US", 29),
        entry("IT", 3),
        entry("CN", 192),
        entry("FR", 3),
        entry("WO", 30),
        entry("EP", 18),
        entry("KR", 13),
    ]
}

/// An Espacenet-like dataset with another facet before `countries`, as real
/// exports have.
fn dataset(countries: Vec<Entry>) -> Dataset {
    testing::dataset(
        Some("solar AND panel"),
        vec![
            ("languages", vec![entry("EN", 5)]),
            ("countries", countries),
        ],
    )
}

fn render(params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<TemplateChart>(&dataset(entries()), params, style, &M)
}

/// The happy path: the right bars in the right order, the figures in
/// chart_data, and a picture that stays inside its page.
#[test]
fn renders_the_top_n_largest_first() {
    let style = Style::default();
    let chart = render(r#"{"top_n": 5}"#, &style).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["type"], "bar");
    assert_eq!(cd["algorithm"], KEY);
    assert_eq!(cd["title"], "Top 5 countries by patent documents");
    // Ties break by label: FR before IT; only FR makes the top 5.
    assert_eq!(
        strings(&cd["series"][0]["labels"]),
        ["CN", "WO", "US", "EP", "KR"]
    );
    assert_eq!(cd["series"][0]["values"][0], 192);
    assert_eq!(cd["totals"]["total"], 288);
    assert_eq!(cd["totals"]["others_entries"], 2);
    assert_eq!(
        strings(&cd["notes"]),
        ["Not shown: 6 documents from 2 more countries and offices"]
    );
    assert!(chart.svg.contains(">192</text>"), "value label drawn");
    // Every text and bar is inside the page, at the default size and a
    // small one (the layout is measured, so it must adapt).
    testing::assert_inside_page(&chart, &style, &M);
    let small = Style {
        width: 400,
        height: 300,
        ..Style::default()
    };
    let chart = render(r#"{"top_n": 30}"#, &small).unwrap_or_else(|e| panic!("{e}"));
    testing::assert_inside_page(&chart, &small, &M);
    assert!(
        chart.warnings.iter().any(|w| w.contains("only 7")),
        "{:?}",
        chart.warnings
    );
}

/// Spanish: words and number formats both follow the locale.
#[test]
fn spanish_translates_words_and_numbers() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let data = dataset(vec![entry("CN", 12_000), entry("US", 29)]);
    let chart =
        testing::render::<TemplateChart>(&data, "", &style, &M).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["locale"], "es");
    assert_eq!(cd["title"], "Los 2 países con más documentos de patente");
    assert!(chart.svg.contains(">12.000</text>"), "{}", chart.svg);
}

/// Invalid params are the user's to fix, so the message must name the
/// field: out of range, of the wrong type, or unknown.
#[test]
fn invalid_params_name_the_field() {
    let data = dataset(entries());
    for bad in [r#"{"top_n": 0}"#, r#"{"top_n": 31}"#] {
        let m = testing::invalid_params::<TemplateChart>(&data, bad, &M);
        assert!(
            m.contains("`top_n`") && m.contains("between 1 and 30"),
            "{m}"
        );
    }
    let m = testing::invalid_params::<TemplateChart>(&data, r#"{"top_n": "ten"}"#, &M);
    assert!(m.contains("`top_n`"), "{m}");
    let m = testing::invalid_params::<TemplateChart>(&data, r#"{"topn": 5}"#, &M);
    assert!(m.contains("unknown field `topn`"), "{m}");
}

/// Without the facet (or with an empty one) the answer is `missing-data`
/// naming `countries`, never a blank chart.
#[test]
fn missing_facet_is_missing_data_naming_it() {
    let without = testing::dataset(None, vec![("languages", vec![entry("EN", 5)])]);
    for data in [without, dataset(vec![]), dataset(vec![entry("CN", 0)])] {
        match testing::render::<TemplateChart>(&data, "", &Style::default(), &M) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`countries`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

/// Same input, same bytes: charts are cached and compared by hash, and a
/// golden test can only work if output is deterministic.
#[test]
fn output_is_deterministic() {
    let a = render("", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    let b = render("", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
}

/// The published schema and the Rust defaults agree, and the schema lists
/// every field (with `additionalProperties: false` a missing one could
/// never be set).
#[test]
fn schema_defaults_are_the_params_defaults() {
    let info = <TemplateChart as ChartPlugin>::info();
    assert_eq!(info.key, KEY);
    assert_eq!(info.required_facets, [FACET]);
    let schema: Value = serde_json::from_str(&info.params_schema).unwrap_or(Value::Null);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let from_schema: Params =
        params::parse(&patchart_sdk::testing::schema_defaults(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    assert_eq!(props["top_n"]["minimum"], TOP_N_MIN);
    assert_eq!(props["top_n"]["maximum"], TOP_N_MAX);
}
