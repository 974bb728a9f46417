//! Native tests of the chart: the figures, the parameters, and the
//! picture (everything inside the page, labels escaped, output stable).

use patchart_sdk::testing::{self, TextBoxTuple as TextBox, chart_data, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, Measure, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// The top 15 of the reference export (as the replaced system counted
/// them) and a tail of 14 offices with 2 documents each, so Others holds 28
/// documents as in the reference chart. Listed out of order, with the tied
/// counts of 3 in reverse label order, so only ranking can produce the
/// expected bars.
fn reference_entries() -> Vec<Entry> {
    let rows: &[(&str, u64)] = &[
        ("NL", 3),
        ("US", 29),
        ("BE", 2),
        ("IT", 3),
        ("CN", 192),
        ("FR", 3),
        ("KR", 13),
        ("DK", 3),
        ("EP", 18),
        ("BR", 3),
        ("WO", 30),
        ("CA", 11),
        ("JP", 10),
        ("AU", 8),
        ("DE", 6),
        ("AT", 4),
        ("CH", 2),
        ("ES", 2),
        ("GB", 2),
        ("HU", 2),
        ("RU", 2),
        ("SE", 2),
        ("ZA", 2),
        ("CZ", 2),
        ("IL", 2),
        ("MX", 2),
        ("NO", 2),
        ("PL", 2),
        ("PT", 2),
    ];
    rows.iter()
        .map(|(l, c)| Entry {
            label: (*l).to_owned(),
            count: *c,
        })
        .collect()
}

fn dataset(entries: Vec<Entry>) -> Dataset {
    testing::dataset(
        Some("solar AND panel"),
        vec![
            ("languages", vec![testing::entry("EN", 5)]),
            ("countries", entries),
        ],
    )
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<TopPatentCountries>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    match render_with(&dataset(reference_entries()), params, &Style::default()) {
        Ok(c) => c,
        Err(e) => panic!("render failed: {e}"),
    }
}

fn invalid_params(params: &str) -> String {
    testing::invalid_params::<TopPatentCountries>(&dataset(reference_entries()), params, &M)
}

#[test]
fn bars_are_ranked_by_count_then_label_with_others_last() {
    let cd = chart_data(&render(""));
    let series = &cd["series"][0];
    assert_eq!(
        strings(&series["labels"]),
        [
            "CN", "WO", "US", "EP", "KR", "CA", "JP", "AU", "DE", "AT", "BR", "DK", "FR", "IT",
            "NL", "Others"
        ]
    );
    let values: Vec<u64> = series["values"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert_eq!(
        values,
        [192, 30, 29, 18, 13, 11, 10, 8, 6, 4, 3, 3, 3, 3, 3, 28]
    );
    assert_eq!(cd["y_axis"]["categories"], series["labels"]);
    let ranks = &series["ranks"];
    assert_eq!(ranks[0], 1);
    assert_eq!(ranks[14], 15);
    assert!(ranks[15].is_null(), "Others has no rank");
    assert_eq!(strings(&series["flags"])[15], "others");
    assert_eq!(strings(&series["flags"])[0], "");
    assert_eq!(
        cd["highlights"],
        serde_json::json!([]),
        "highlighting supported, none asked"
    );
}

#[test]
fn totals_match_the_reference_figures() {
    let cd = chart_data(&render(r#"{"top_n": 15}"#));
    let t = &cd["totals"];
    assert_eq!(t["total"], 364);
    assert_eq!(t["entries"], 29);
    assert_eq!(t["top_n"], 15);
    assert_eq!(t["shown_count"], 15);
    assert_eq!(t["others_count"], 28);
    assert_eq!(t["others_entries"], 14);
    assert_eq!(t["others_share"], 7.69);
    assert_eq!(t["top_share"], 92.31);
    let shares = &cd["series"][0]["shares"];
    assert_eq!(shares[0], 52.75);
    assert_eq!(shares[1], 8.24);
    assert_eq!(shares[7], 2.2);
    assert_eq!(cd["schema_version"], 1);
    assert_eq!(cd["type"], "horizontal_bar");
    assert_eq!(cd["algorithm"], "top_patent_countries");
    assert_eq!(cd["title"], "Top 15 patent countries");
    assert_eq!(cd["locale"], "en");
    assert_eq!(cd["x_axis"]["label"], "Published patent documents");
    assert_eq!(cd["y_axis"]["label"], "Jurisdiction");
}

#[test]
fn others_is_omitted_when_every_country_has_a_bar() {
    let chart = render(r#"{"top_n": 100}"#);
    let cd = chart_data(&chart);
    let labels = strings(&cd["series"][0]["labels"]);
    assert_eq!(labels.len(), 29);
    assert!(!labels.contains(&"Others".to_owned()));
    assert_eq!(cd["totals"]["others_count"], 0);
    assert_eq!(cd["title"], "Top 29 patent countries");
    assert!(
        chart.warnings.iter().any(|w| w.contains("only 29")),
        "{:?}",
        chart.warnings
    );
    assert!(!chart.svg.contains(">Others<"));
}

#[test]
fn top_n_outside_1_to_100_names_the_field() {
    for bad in [r#"{"top_n": 0}"#, r#"{"top_n": 101}"#] {
        let m = invalid_params(bad);
        assert!(
            m.contains("`top_n`") && m.contains("between 1 and 100"),
            "{m}"
        );
    }
    let m = invalid_params(r#"{"top_n": "15"}"#);
    assert!(m.contains("`top_n`"), "{m}");
    let m = invalid_params(r#"{"top_n": -3}"#);
    assert!(m.contains("`top_n`"), "{m}");
    assert_eq!(
        chart_data(&render(r#"{"top_n": 1}"#))["totals"]["shown_count"],
        1
    );
    assert_eq!(
        chart_data(&render(r#"{"top_n": 100}"#))["totals"]["top_n"],
        100
    );
}

#[test]
fn unknown_params_are_rejected_by_name() {
    let m = invalid_params(r#"{"top": 5}"#);
    assert!(m.contains("unknown field `top`"), "{m}");
    let m = invalid_params(r#"{"highlight": [""]}"#);
    assert!(m.contains("`highlight`"), "{m}");
    let m = invalid_params(r#"{"highlight": "EC"}"#);
    assert!(m.contains("`highlight`"), "{m}");
}

#[test]
fn missing_or_empty_countries_facet_is_missing_data() {
    let no_facet = Dataset {
        facets: vec![],
        ..dataset(vec![])
    };
    for data in [no_facet, dataset(vec![])] {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`countries`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
    let zeros = dataset(vec![Entry {
        label: "CN".into(),
        count: 0,
    }]);
    match render_with(&zeros, "", &Style::default()) {
        Err(RenderError::MissingData(m)) => assert!(m.contains("`countries`"), "{m}"),
        other => panic!("expected missing data, got {other:?}"),
    }
}

#[test]
fn highlights_are_reported_wherever_they_rank() {
    let chart = render(r#"{"top_n": 5, "highlight": ["kr", "AT", "EC", "KR "]}"#);
    let cd = chart_data(&chart);
    let h = cd["highlights"].as_array().cloned().unwrap_or_default();
    assert_eq!(h.len(), 3, "repeats are dropped: {h:?}");
    assert_eq!(h[0]["label"], "KR");
    assert_eq!(
        (
            h[0]["found"].clone(),
            h[0]["rank"].clone(),
            h[0]["in_chart"].clone()
        ),
        (true.into(), 5.into(), true.into())
    );
    assert_eq!(h[1]["label"], "AT");
    assert_eq!(h[1]["rank"], 10);
    assert_eq!(h[1]["count"], 4);
    assert_eq!(h[1]["share"], 1.1);
    assert_eq!(h[1]["in_chart"], false);
    assert_eq!(h[2]["label"], "EC");
    assert_eq!(h[2]["found"], false);
    assert!(h[2]["rank"].is_null());

    let flags = strings(&cd["series"][0]["flags"]);
    assert_eq!(flags, ["", "", "", "", "highlight", "others"]);
    let notes = strings(&cd["notes"]);
    assert!(
        notes.contains(&"AT: rank 10 of 29, 4 documents (1.10%), counted in Others".to_owned()),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"EC: no documents in this export".to_owned()),
        "{notes:?}"
    );
    // The highlighted bar is drawn in the accent colour, its labels bold.
    let accent = patchart_sdk::palette::highlight(&Style::default().palette);
    assert_eq!(chart.svg.matches(&format!("fill=\"{accent}\"")).count(), 1);
    assert!(chart.svg.contains("font-weight=\"bold\" text-anchor=\"end\" dominant-baseline=\"central\" fill=\"#1f2933\">KR</text>"));
}

#[test]
fn footnotes_explain_wo_and_ep_only_when_they_have_a_bar() {
    let cd = chart_data(&render(""));
    let notes = strings(&cd["notes"]);
    assert_eq!(
        notes[0],
        "WO: international application under the PCT, published by WIPO"
    );
    assert_eq!(notes[1], "EP: European Patent Office publication");
    assert_eq!(
        notes[2],
        "Others: 28 documents from 14 more countries and offices"
    );
    let chart = render(r#"{"top_n": 1}"#);
    let notes = strings(&chart_data(&chart)["notes"]);
    assert!(
        notes
            .iter()
            .all(|n| !n.starts_with("WO") && !n.starts_with("EP")),
        "{notes:?}"
    );
    assert!(!chart.svg.contains("WIPO"));
}

#[test]
fn hostile_labels_are_escaped() {
    let mut entries = reference_entries();
    entries.push(Entry {
        label: "<script>alert(1)</script> & co".into(),
        count: 500,
    });
    let chart = match render_with(&dataset(entries), "", &Style::default()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert!(!chart.svg.contains("<script>"));
    assert!(chart.svg.contains("&lt;script&gt;"), "label drawn escaped");
    let cd = chart_data(&chart);
    assert_eq!(
        cd["series"][0]["labels"][0],
        "<script>alert(1)</script> & co"
    );
}

#[test]
fn rendering_is_deterministic() {
    let params = r#"{"top_n": 12, "highlight": ["US"]}"#;
    let a = render(params);
    let b = render(params);
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.chart_data, b.chart_data);
    assert_eq!(a.warnings, b.warnings);
}

#[test]
fn spanish_formats_numbers_and_words() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut entries = reference_entries();
    entries.push(Entry {
        label: "XX".into(),
        count: 12_000,
    });
    let chart = match render_with(&dataset(entries), "", &style) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let cd = chart_data(&chart);
    assert_eq!(cd["locale"], "es");
    assert_eq!(
        cd["title"],
        "Los 15 principales países de publicación de patentes"
    );
    assert_eq!(cd["y_axis"]["label"], "Jurisdicción");
    assert!(strings(&cd["series"][0]["labels"]).contains(&"Otros".to_owned()));
    // 12,000 of 12,364 documents: grouped Spanish style, comma decimals.
    assert!(
        chart.svg.contains(">12.000 (97,06\u{a0}%)</text>"),
        "{}",
        chart.svg
    );
    assert!(chart.svg.contains(">192 (1,55\u{a0}%)</text>"));
    assert!(
        strings(&cd["notes"])
            .iter()
            .any(|n| n.starts_with("WO: solicitud internacional"))
    );
}

#[test]
fn english_value_labels_read_count_and_share() {
    let chart = render("");
    assert!(chart.svg.contains(">192 (52.75%)</text>"));
    assert!(chart.svg.contains(">28 (7.69%)</text>"));
    assert!(chart.svg.contains("<title>CN: 192 (52.75%)</title>"));
    assert!(chart.svg.contains(">Top 15 patent countries</text>"));
}

fn text_boxes(svg: &str, m: &dyn Measure) -> Vec<TextBox> {
    testing::text_box_tuples(svg, m)
}

fn assert_inside_page(chart: &Chart, style: &Style) {
    testing::assert_inside_page(chart, style, &M);
}

#[test]
fn nothing_leaves_the_page_at_any_size() {
    let long = Entry {
        label: "UNITED KINGDOM INTELLECTUAL PROPERTY OFFICE".into(),
        count: 7,
    };
    let mut with_long = reference_entries();
    with_long.push(long);
    let cases: Vec<(Vec<Entry>, &str, Style)> = vec![
        (reference_entries(), "", Style::default()),
        (reference_entries(), r#"{"top_n": 3}"#, Style::default()),
        (
            with_long.clone(),
            r#"{"top_n": 100, "highlight": ["DE"]}"#,
            Style {
                width: 480,
                height: 320,
                ..Style::default()
            },
        ),
        (
            with_long,
            "",
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (
            vec![Entry {
                label: "CN".into(),
                count: 123_456_789,
            }],
            "",
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
    ];
    for (entries, params, style) in cases {
        let chart = match render_with(&dataset(entries), params, &style) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_inside_page(&chart, &style);
    }
}

#[test]
fn value_labels_sit_right_of_their_bars_without_overlap() {
    let chart = render("");
    let boxes = text_boxes(&chart.svg, &M);
    let labels: Vec<&TextBox> = boxes.iter().filter(|b| b.4.contains('%')).collect();
    assert_eq!(labels.len(), 16);
    for pair in labels.windows(2) {
        assert!(
            pair[0].3 <= pair[1].1 + 0.01,
            "{:?} overlaps {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn crowded_and_elided_labels_are_warned_about() {
    let many: Vec<Entry> = (0..100)
        .map(|i| Entry {
            label: format!("A VERY LONG PATENT OFFICE NAME THAT GOES ON AND ON NUMBER {i:03}"),
            count: 1000 - i,
        })
        .collect();
    let style = Style {
        width: 640,
        height: 400,
        ..Style::default()
    };
    let chart = match render_with(&dataset(many), r#"{"top_n": 100}"#, &style) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert!(
        chart
            .warnings
            .iter()
            .any(|w| w.contains("too many to label")),
        "{:?}",
        chart.warnings
    );
    assert!(
        chart.warnings.iter().any(|w| w.contains("shortened")),
        "{:?}",
        chart.warnings
    );
    assert_eq!(strings(&chart_data(&chart)["warnings"]), chart.warnings);
    assert_inside_page(&chart, &style);
}

#[test]
fn info_publishes_a_complete_params_schema() {
    let info = <TopPatentCountries as ChartPlugin>::info();
    assert_eq!(info.key, "top_patent_countries");
    assert_eq!(info.version, "1.0.0");
    assert_eq!(info.required_facets, ["countries"]);
    let schema: Value = serde_json::from_str(&info.params_schema).unwrap_or(Value::Null);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    let top_n = &schema["properties"]["top_n"];
    assert_eq!(top_n["minimum"], TOP_N_MIN);
    assert_eq!(top_n["maximum"], TOP_N_MAX);
    assert_eq!(
        schema["properties"]["highlight"]["maxItems"],
        HIGHLIGHT_MAX_ITEMS
    );
    assert_eq!(
        schema["properties"]["highlight"]["items"]["maxLength"],
        HIGHLIGHT_MAX_CHARS
    );
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let schema: Value = serde_json::from_str(PARAMS_SCHEMA).unwrap_or(Value::Null);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let from_schema: Params =
        params::parse(&patchart_sdk::testing::schema_defaults(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    // Every field of Params is in the schema (additionalProperties is
    // false, so a missing one could never be set).
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(keys, ["highlight", "top_n"]);
}
