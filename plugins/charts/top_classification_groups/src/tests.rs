//! Native tests of the chart: the figures, the scheme parameter, the
//! footnotes that explain classification counts, and the picture.

use patchart_sdk::page_check::{outside_page, text_boxes};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, Facet, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// The 21 largest CPC main groups of the reference export (as its "CPC
/// main groups" sheet lists them; the replaced system had no chart of
/// main groups to compare with) and 80 smaller ones, 762 classifications
/// in 101 groups as in the export. Listed smallest first.
fn cpc_entries() -> Vec<Entry> {
    let top: &[(&str, u64)] = &[
        ("G01N33", 217),
        ("G01N1", 45),
        ("G01N27", 39),
        ("G01N21", 33),
        ("G06Q50", 27),
        ("G06Q10", 20),
        ("B09C1", 19),
        ("C02F2101", 14),
        ("C12Q1", 12),
        ("C02F1", 11),
        ("G01N2001", 11),
        ("C02F3", 10),
        ("G01D21", 10),
        ("G06F17", 10),
        ("G16C20", 9),
        ("C12N15", 9),
        ("G01N2021", 8),
        ("Y02A20", 8),
        ("Y02A50", 8),
        ("A01B79", 7),
        ("A01G7", 7),
    ];
    let mut v: Vec<Entry> = (0..80)
        .map(|i| entry(&format!("H01M{}", 100 + i), if i < 68 { 3 } else { 2 }))
        .collect();
    v.extend(top.iter().rev().map(|(l, c)| entry(l, *c)));
    v
}

fn entry(label: &str, count: u64) -> Entry {
    Entry {
        label: label.to_owned(),
        count,
    }
}

fn dataset(cpc: Vec<Entry>, ipc: Vec<Entry>) -> Dataset {
    let mut facets = vec![Facet {
        name: "countries".into(),
        entries: vec![entry("CN", 5)],
    }];
    if !cpc.is_empty() {
        facets.push(Facet {
            name: "cpc_main_groups".into(),
            entries: cpc,
        });
    }
    if !ipc.is_empty() {
        facets.push(Facet {
            name: "ipc_main_groups".into(),
            entries: ipc,
        });
    }
    Dataset {
        source_type: "espacenet_excel".into(),
        query: None,
        facets,
    }
}

fn ipc_entries() -> Vec<Entry> {
    vec![entry("G01N1", 47), entry("G01N33", 211), entry("C12Q1", 20)]
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    <TopClassificationGroups as ChartPlugin>::render(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(
        &dataset(cpc_entries(), ipc_entries()),
        params,
        &Style::default(),
    )
    .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn chart_data(chart: &Chart) -> Value {
    serde_json::from_str(&chart.chart_data).unwrap_or_else(|e| panic!("bad chart_data: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cpc_groups_are_ranked_with_shares_of_all_classifications() {
    let cd = chart_data(&render(""));
    let series = &cd["series"][0];
    assert_eq!(
        strings(&series["labels"]),
        [
            "G01N33", "G01N1", "G01N27", "G01N21", "G06Q50", "G06Q10", "B09C1", "C02F2101",
            "C12Q1", "C02F1", "G01N2001", "C02F3", "G01D21", "G06F17", "C12N15", "Others"
        ]
    );
    assert_eq!(series["values"][0], 217);
    assert_eq!(series["shares"][0], 28.48);
    assert_eq!(series["values"][15], 275);
    assert_eq!(series["shares"][15], 36.09);
    assert_eq!(cd["y_axis"]["categories"], series["labels"]);
    let t = &cd["totals"];
    assert_eq!(t["scheme"], "cpc");
    assert_eq!(t["facet"], "cpc_main_groups");
    assert_eq!(t["total"], 762);
    assert_eq!(t["entries"], 101);
    assert_eq!(t["others_entries"], 86);
    assert_eq!(t["top_share"], 63.91);
    assert_eq!(cd["title"], "Top 15 CPC main groups");
    assert_eq!(cd["y_axis"]["label"], "CPC main group");
    assert_eq!(cd["type"], "horizontal_bar");
    assert_eq!(cd["algorithm"], "top_classification_groups");
}

#[test]
fn footnotes_explain_counting_scheme_and_special_codes() {
    let notes = strings(&chart_data(&render(""))["notes"]);
    assert!(
        notes[0].contains("several main groups")
            && notes[0].contains("762 classifications, not of documents"),
        "{}",
        notes[0]
    );
    assert!(notes[1].starts_with("CPC: Cooperative Patent Classification"));
    assert_eq!(
        notes[2],
        "Others: 275 classifications in 86 more main groups"
    );
    assert!(notes[3].contains("(e.g. C02F2101) are CPC indexing codes"));
    assert_eq!(
        notes.len(),
        4,
        "no section Y group among the bars: {notes:?}"
    );
    let wider = strings(&chart_data(&render(r#"{"top_n": 20}"#))["notes"]);
    assert!(
        wider
            .iter()
            .any(|n| n.starts_with("Section Y (e.g. Y02A20)"))
    );
}

#[test]
fn ipc_scheme_reads_the_ipc_facet() {
    let chart = render(r#"{"scheme": "ipc", "top_n": 2}"#);
    let cd = chart_data(&chart);
    assert_eq!(
        strings(&cd["series"][0]["labels"]),
        ["G01N33", "G01N1", "Others"]
    );
    assert_eq!(cd["totals"]["scheme"], "ipc");
    assert_eq!(cd["totals"]["total"], 278);
    assert_eq!(cd["title"], "Top 2 IPC main groups");
    let notes = strings(&cd["notes"]);
    assert!(notes[1].starts_with("IPC: International Patent Classification"));
    assert!(!notes.iter().any(|n| n.contains("indexing")));
}

#[test]
fn missing_facet_names_the_scheme_facet() {
    let cases = [
        ("", dataset(vec![], ipc_entries()), "`cpc_main_groups`"),
        (
            r#"{"scheme": "ipc"}"#,
            dataset(cpc_entries(), vec![]),
            "`ipc_main_groups`",
        ),
        (
            "",
            dataset(vec![entry("G01N33", 0)], vec![]),
            "`cpc_main_groups`",
        ),
    ];
    for (params, data, facet) in cases {
        match render_with(&data, params, &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains(facet), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

#[test]
fn invalid_params_name_the_field() {
    let data = dataset(cpc_entries(), ipc_entries());
    for (params, field) in [
        (r#"{"scheme": "ecla"}"#, "`scheme`"),
        (r#"{"scheme": "CPC"}"#, "`scheme`"),
        (r#"{"scheme": 1}"#, "`scheme`"),
        (r#"{"top_n": 0}"#, "`top_n`"),
        (r#"{"top_n": 101}"#, "`top_n`"),
        (r#"{"groups": 5}"#, "`groups`"),
    ] {
        match render_with(&data, params, &Style::default()) {
            Err(RenderError::InvalidParams(m)) => assert!(m.contains(field), "{params}: {m}"),
            other => panic!("expected invalid params for {params}, got {other:?}"),
        }
    }
}

#[test]
fn main_group_numbers_are_read_from_symbols() {
    assert_eq!(main_group_number("C02F2101"), Some(2101));
    assert_eq!(main_group_number("G01N33"), Some(33));
    assert_eq!(main_group_number("G01N"), None);
    assert_eq!(main_group_number("G01N33/24"), None);
    assert_eq!(main_group_number("Ünï"), None);
    assert_eq!(main_group_number("東京大学東京"), None);
}

#[test]
fn hostile_labels_spanish_and_determinism() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut cpc = cpc_entries();
    cpc.push(entry("<script>x</script>", 12_000));
    let data = dataset(cpc, vec![]);
    let a = render_with(&data, "", &style).unwrap_or_else(|e| panic!("{e}"));
    let b = render_with(&data, "", &style).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.chart_data, b.chart_data);
    assert!(!a.svg.contains("<script>"));
    let cd = chart_data(&a);
    assert_eq!(cd["title"], "Los 15 grupos principales CPC más frecuentes");
    assert!(a.svg.contains(">12.000 (94,03\u{a0}%)</text>"), "{}", a.svg);
    assert!(strings(&cd["notes"])[1].starts_with("CPC: Clasificación Cooperativa"));
}

#[test]
fn nothing_leaves_the_page_or_overlaps() {
    let cases: Vec<(&str, Style)> = vec![
        ("", Style::default()),
        (
            r#"{"top_n": 100}"#,
            Style {
                width: 480,
                height: 900,
                ..Style::default()
            },
        ),
        (
            "",
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (
            r#"{"top_n": 3}"#,
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
    ];
    for (params, style) in cases {
        let chart = render_with(&dataset(cpc_entries(), vec![]), params, &style)
            .unwrap_or_else(|e| panic!("{e}"));
        let out = outside_page(&chart.svg, style.width as f32, style.height as f32, &M);
        assert!(out.is_empty(), "{params}: {out:?}");
        let boxes = text_boxes(&chart.svg, &M);
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!a.overlaps(b), "{params}: {a:?} overlaps {b:?}");
            }
        }
    }
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let info = <TopClassificationGroups as ChartPlugin>::info();
    assert_eq!(info.key, KEY);
    let schema: Value = serde_json::from_str(&info.params_schema).unwrap_or(Value::Null);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(props["top_n"]["minimum"], TOP_N_MIN);
    assert_eq!(props["top_n"]["maximum"], TOP_N_MAX);
    assert_eq!(props["scheme"]["enum"], serde_json::json!(["cpc", "ipc"]));
    let from_schema: Params =
        params::parse(&patchart_sdk::testing::schema_defaults(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(keys, ["scheme", "top_n"]);
}
