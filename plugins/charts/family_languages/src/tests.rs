//! Native tests of the chart: the slices and Others, the localized names,
//! the parameters, and the picture (no label overlaps another, everything
//! inside the page, stable output).

use patchart_sdk::testing::{self, TextBoxTuple as TextBox, chart_data, entry, numbers, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, Measure, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// A languages facet shaped like a typical Espacenet export: two dominant
/// languages, a few small ones and a tail of single families; listed out of
/// order, with tied counts in reverse code order.
fn entries() -> Vec<Entry> {
    [
        ("pt", 1),
        ("no", 1),
        ("it", 1),
        ("zh", 180),
        ("de", 15),
        ("sv", 2),
        ("ru", 2),
        ("en", 260),
        ("ko", 10),
        ("fr", 8),
        ("ja", 5),
        ("es", 3),
    ]
    .iter()
    .map(|(l, c)| Entry {
        label: (*l).to_owned(),
        count: *c,
    })
    .collect()
}

fn dataset(entries: Vec<Entry>) -> Dataset {
    testing::dataset(
        None,
        vec![
            ("countries", vec![testing::entry("CN", 5)]),
            ("languages", entries),
        ],
    )
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<FamilyLanguages>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&dataset(entries()), params, &Style::default())
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn invalid_params(params: &str) -> String {
    testing::invalid_params::<FamilyLanguages>(&dataset(entries()), params, &M)
}

#[test]
fn small_languages_are_summed_into_others() {
    let cd = chart_data(&render(""));
    let s = &cd["series"][0];
    // fr holds 1.64% (< 2%), so it and everything smaller go to Others.
    assert_eq!(
        strings(&s["labels"]),
        ["English", "Chinese", "German", "Korean", "Others"]
    );
    assert_eq!(numbers(&s["values"]), [260.0, 180.0, 15.0, 10.0, 23.0]);
    assert_eq!(numbers(&s["shares"]), [53.28, 36.89, 3.07, 2.05, 4.71]);
    assert_eq!(s["ranks"][3], 4);
    assert!(s["ranks"][4].is_null());
    assert_eq!(strings(&s["flags"]), ["", "", "", "", "others"]);
    assert_eq!(
        cd["metrics"]["language_codes"],
        serde_json::json!(["en", "zh", "de", "ko", null])
    );
    let others = &cd["metrics"]["others_languages"];
    assert_eq!(others[0]["code"], "fr");
    assert_eq!(others[0]["name"], "French");
    assert_eq!(others[0]["count"], 8);
    assert_eq!(others[0]["share"], 1.64);
    // Ties by code: no, then pt, after it.
    assert_eq!(others[7]["code"], "pt");
    let t = &cd["totals"];
    assert_eq!(t["total"], 488);
    assert_eq!(t["languages"], 12);
    assert_eq!(t["shown_count"], 4);
    assert_eq!(t["others_count"], 23);
    assert_eq!(t["others_entries"], 8);
    assert_eq!(t["others_share"], 4.71);
    assert_eq!(t["top_language"], "English");
    assert_eq!(t["top_share"], 53.28);
    assert_eq!(t["min_share"], 2);
    assert_eq!(t["top_n"], 8);
    assert_eq!(cd["type"], "donut");
    assert_eq!(cd["algorithm"], "family_languages");
}

#[test]
fn top_n_and_min_share_both_limit_the_slices() {
    let cd = chart_data(&render(r#"{"top_n": 2}"#));
    assert_eq!(
        strings(&cd["series"][0]["labels"]),
        ["English", "Chinese", "Others"]
    );
    let cd = chart_data(&render(r#"{"top_n": 20, "min_share": 0}"#));
    let labels = strings(&cd["series"][0]["labels"]);
    assert_eq!(labels.len(), 12);
    assert!(!labels.contains(&"Others".to_owned()));
    assert_eq!(cd["totals"]["others_count"], 0);
    // A threshold above every language still draws the largest.
    let cd = chart_data(&render(r#"{"min_share": 50}"#));
    assert_eq!(strings(&cd["series"][0]["labels"]), ["English", "Others"]);
}

#[test]
fn others_is_never_a_single_language() {
    let data = dataset(vec![entry("en", 90), entry("zh", 9), entry("de", 1)]);
    let chart = render_with(&data, "", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(
        strings(&cd["series"][0]["labels"]),
        ["English", "Chinese", "German"]
    );
}

#[test]
fn names_are_localized_and_unknown_codes_kept() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut e = entries();
    e.push(entry("xx", 40));
    let chart = render_with(&dataset(e), "", &style).unwrap_or_else(|err| panic!("{err}"));
    let cd = chart_data(&chart);
    assert_eq!(
        strings(&cd["series"][0]["labels"]),
        ["inglés", "chino", "xx", "alemán", "Otros"]
    );
    assert_eq!(
        cd["title"],
        "Idiomas de publicación de las familias de patentes"
    );
    assert!(
        chart
            .svg
            .contains("<title>inglés: 260 (49,24\u{a0}%)</title>")
    );
    let notes = strings(&cd["notes"]);
    assert!(notes[0].starts_with("Se cuentan familias de patentes por idioma"));
    assert!(
        notes[1].starts_with("Otros: coreano 10, francés 8"),
        "{notes:?}"
    );
}

#[test]
fn footnotes_say_what_is_counted_and_what_others_holds() {
    let cd = chart_data(&render(""));
    let notes = strings(&cd["notes"]);
    assert_eq!(
        notes[0],
        "Counts are of patent families per publication language: a family with documents in \
         several languages is counted once in each, so the 488 counts exceed the number of \
         families; shares are of the 488"
    );
    assert_eq!(
        notes[1],
        "Others: French 8, Japanese 5, Spanish 3, Russian 2, Swedish 2, Italian 1, Norwegian 1, Portuguese 1"
    );
    assert_eq!(
        cd["subtitle"],
        "Families per language of publication: 488 counts in 12 languages"
    );
}

#[test]
fn the_hole_holds_the_total_and_the_legend_the_counts() {
    let chart = render("");
    assert!(chart.svg.contains("font-weight=\"bold\" text-anchor=\"middle\" dominant-baseline=\"central\" fill=\"#1f2933\">488</text>"));
    assert!(chart.svg.contains(">counts in 12 languages</text>"));
    for figure in [
        ">260</text>",
        ">53.3%</text>",
        ">23</text>",
        ">Others</text>",
    ] {
        assert!(chart.svg.contains(figure), "legend lacks {figure}");
    }
}

#[test]
fn small_slices_are_labelled_beside_the_donut_on_leader_lines() {
    let chart = render("");
    let texts: Vec<String> = text_boxes(&chart.svg, &M)
        .into_iter()
        .map(|b| b.4)
        .collect();
    // German (3.07%) and Korean (2.05%) are too thin for a label inside.
    assert!(chart.svg.contains(">German 3.1%</text>"), "{texts:?}");
    assert!(chart.svg.contains(">Korean 2.0%</text>"), "{texts:?}");
    // One leader per label beside the donut, and those labels are the
    // only texts anchored at the side (legend figures are anchored at
    // their end too, so count by content).
    let beside = texts
        .iter()
        .filter(|t| t.contains('%') && t.contains(' ') && !t.starts_with("Families"))
        .count();
    assert_eq!(chart.svg.matches("<polyline").count(), beside);
    // English is labelled inside its slice with its name and share.
    assert!(chart.svg.contains(">English</text>"));
    assert!(chart.svg.contains(">53.3%</text>"));
}

#[test]
fn params_are_checked_by_name() {
    for bad in [r#"{"top_n": 0}"#, r#"{"top_n": 21}"#] {
        let m = invalid_params(bad);
        assert!(
            m.contains("`top_n`") && m.contains("between 1 and 20"),
            "{m}"
        );
    }
    for bad in [r#"{"min_share": -1}"#, r#"{"min_share": 50.5}"#] {
        let m = invalid_params(bad);
        assert!(
            m.contains("`min_share`") && m.contains("between 0 and 50"),
            "{m}"
        );
    }
    assert!(invalid_params(r#"{"min_share": "2"}"#).contains("`min_share`"));
    assert!(invalid_params(r#"{"threshold": 2}"#).contains("unknown field `threshold`"));
    let cd = chart_data(&render(r#"{"min_share": 2.5}"#));
    assert_eq!(cd["totals"]["min_share"], 2.5);
}

#[test]
fn missing_empty_or_zero_facet_is_missing_data() {
    let no_facet = Dataset {
        facets: vec![],
        ..dataset(vec![])
    };
    for data in [no_facet, dataset(vec![]), dataset(vec![entry("en", 0)])] {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`languages`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

#[test]
fn one_language_is_a_full_ring() {
    let chart = render_with(
        &dataset(vec![entry("en", 7), entry("de", 0)]),
        "",
        &Style::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(strings(&cd["series"][0]["labels"]), ["English"]);
    assert_eq!(numbers(&cd["series"][0]["shares"]), [100.0]);
    // Two half arcs outside and two inside: a closed ring, not nothing.
    let path = chart
        .svg
        .lines()
        .find(|l| l.trim().starts_with("<path"))
        .unwrap_or_else(|| panic!("no slice drawn"));
    assert_eq!(
        path.matches(" A").count() + path.matches("\"A").count(),
        4,
        "{path}"
    );
}

fn text_boxes(svg: &str, m: &dyn Measure) -> Vec<TextBox> {
    testing::text_box_tuples(svg, m)
}

/// Every text inside the page and no two texts overlapping.
fn assert_clean(chart: &Chart, style: &Style) {
    testing::assert_inside_page(chart, style, &M);
    let boxes = text_boxes(&chart.svg, &M);
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let overlap_w = a.2.min(b.2) - a.0.max(b.0);
            let overlap_h = a.3.min(b.3) - a.1.max(b.1);
            assert!(
                overlap_w <= 0.5 || overlap_h <= 0.5,
                "{:?} overlaps {:?}",
                a.4,
                b.4
            );
        }
    }
}

#[test]
fn no_label_overlaps_another_or_leaves_the_page() {
    let many: Vec<Entry> = (0..40u64)
        .map(|i| entry(&format!("l{i:02}"), 40 - i))
        .collect();
    let long = "a language with a very long name ".repeat(15);
    let cases: Vec<(Vec<Entry>, &str, Style)> = vec![
        (entries(), "", Style::default()),
        (
            entries(),
            r#"{"top_n": 20, "min_share": 0}"#,
            Style::default(),
        ),
        (
            many.clone(),
            r#"{"top_n": 20, "min_share": 0}"#,
            Style::default(),
        ),
        (
            many,
            r#"{"top_n": 20, "min_share": 0}"#,
            Style {
                width: 480,
                height: 320,
                ..Style::default()
            },
        ),
        (
            vec![
                entry(&long, 500),
                entry("<script>alert(1)</script> & co", 3),
                entry("東京", 2),
                entry("zh", 1),
            ],
            r#"{"min_share": 0}"#,
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (
            entries(),
            "",
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
        (
            (0..10_000u64)
                .map(|i| entry(&format!("c{i}"), 1 + i % 7))
                .collect(),
            "",
            Style::default(),
        ),
    ];
    for (entries, params, style) in cases {
        let chart = render_with(&dataset(entries), params, &style)
            .unwrap_or_else(|e| panic!("{params}: {e}"));
        assert_clean(&chart, &style);
        assert!(!chart.svg.contains("<script>"));
        chart_data(&chart);
    }
}

#[test]
fn rendering_is_deterministic() {
    let p = r#"{"top_n": 20, "min_share": 0}"#;
    let (a, b) = (render(p), render(p));
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.chart_data, b.chart_data);
}

#[test]
fn info_and_schema_match_the_params() {
    let info = <FamilyLanguages as ChartPlugin>::info();
    assert_eq!(info.key, "family_languages");
    assert_eq!(info.required_facets, ["languages"]);
    let schema: Value = serde_json::from_str(&info.params_schema).unwrap_or(Value::Null);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["top_n"]["maximum"], TOP_N_MAX);
    assert_eq!(schema["properties"]["min_share"]["maximum"], MIN_SHARE_MAX);
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
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(keys, ["min_share", "top_n"]);
}
