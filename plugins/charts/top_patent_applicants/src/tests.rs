//! Native tests of the chart: the figures (against the replaced system's
//! numbers), the parameters, and the picture (everything inside the page,
//! names wrapped rather than clipped, labels escaped, output stable).

use patchart_sdk::page_check::text_boxes;
use patchart_sdk::params;
use patchart_sdk::testing::{self, chart_data, entry, strings};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// The replaced system's figures for the reference export
/// (top_patent_applicants.chart_data.json): facet total 314, and the top
/// 15 counts with their shares in percent of that total.
const REFERENCE_TOTAL: u64 = 314;
const REFERENCE_TOP: &[(&str, u64, f64)] = &[
    ("UNIV ZHEJIANG", 7, 2.23),
    ("UNIV CENTRAL SOUTH", 6, 1.91),
    ("NANJING UNIVERSITY OF TECHNOLOGY", 5, 1.59),
    ("NANJING INST OF ENVIRONMENTAL SCIENCES MEE", 3, 0.96),
    ("UNIV KUNMING SCIENCE & TECHNOLOGY", 3, 0.96),
    ("UNIV YUNNAN", 3, 0.96),
    (LONGEST, 2, 0.64),
    ("CHINESE RES ACAD ENV SCIENCES", 2, 0.64),
    ("CHO SUNG KOOK", 2, 0.64),
    ("ESSENLIX CORP", 2, 0.64),
    ("HYORIM CO LTD", 2, 0.64),
    ("NORTHEAST INST GEO & AGROECOLO", 2, 0.64),
    (
        "NUCLEAR INDUSTRY TIANJIN ENGINEERING INVESTIG INSTITUTE CO LTD",
        2,
        0.64,
    ),
    ("UNIV CALIFORNIA", 2, 0.64),
    ("UNIV CHINA GEOSCIENCES WUHAN", 2, 0.64),
];
const LONGEST: &str = "AGRO ENVIRONMENTAL PROT INSTITUTE MINISTRY OF AGRICULTURE AND RURAL AFFAIRS";

/// An export shaped like the reference one: the reference top 15, six more
/// applicants with 2 documents (listed before the leaders, so only ranking
/// puts them right) and 257 with one, 278 applicants and 314 in all.
fn reference_entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = [
        "ZHEJIANG INST OF GEOLOGICAL SURVEY",
        "VYRIPHARM ENTPR LLC",
        "UNIV TIANJIN",
        "UNIV LIAONING",
        "UNIV DONGGUAN TECHNOLOGY",
        "UNIV COLUMBIA",
    ]
    .iter()
    .map(|l| entry(l, 2))
    .collect();
    v.extend(REFERENCE_TOP.iter().rev().map(|(l, c, _)| entry(l, *c)));
    v.extend((0..257).map(|i| entry(&format!("APPLICANT {i:03}"), 1)));
    v
}

fn dataset(entries: Vec<Entry>) -> Dataset {
    testing::dataset(
        Some("heavy metal"),
        vec![("countries", vec![entry("CN", 5)]), ("applicants", entries)],
    )
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<TopPatentApplicants>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&dataset(reference_entries()), params, &Style::default())
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn invalid_params(params: &str) -> String {
    testing::invalid_params::<TopPatentApplicants>(&dataset(reference_entries()), params, &M)
}

#[test]
fn counts_and_shares_equal_the_reference() {
    let cd = chart_data(&render(""));
    let series = &cd["series"][0];
    let labels = strings(&series["labels"]);
    for (i, (label, count, share)) in REFERENCE_TOP.iter().enumerate() {
        assert_eq!(labels[i], *label, "rank {}", i + 1);
        assert_eq!(series["values"][i], *count, "{label}");
        assert_eq!(series["shares"][i], *share, "{label}");
        assert_eq!(series["ranks"][i], i + 1);
    }
    let t = &cd["totals"];
    assert_eq!(t["total"], REFERENCE_TOTAL);
    assert_eq!(t["entries"], 278);
    assert_eq!(t["shown_count"], 15);
    // The reference chart has no Others bar; ours sums the other 263.
    assert_eq!(labels[15], "Others");
    assert_eq!(series["values"][15], 269);
    assert_eq!(t["others_entries"], 263);
    assert_eq!(strings(&series["flags"])[15], "others");
    assert!(series["ranks"][15].is_null());
    assert_eq!(cd["type"], "horizontal_bar");
    assert_eq!(cd["algorithm"], "top_patent_applicants");
    assert_eq!(cd["schema_version"], 1);
}

#[test]
fn axis_shows_display_names_and_series_keeps_the_source() {
    let chart = render("");
    let cd = chart_data(&chart);
    let categories = strings(&cd["y_axis"]["categories"]);
    assert_eq!(categories[0], "Univ Zhejiang");
    assert_eq!(categories[2], "Nanjing University of Technology");
    assert_eq!(categories[3], "Nanjing Inst of Environmental Sciences MEE");
    assert_eq!(categories[10], "Hyorim Co Ltd");
    assert_eq!(categories[15], "Others");
    assert_eq!(cd["series"][0]["labels"][0], "UNIV ZHEJIANG");
    assert!(chart.svg.contains(">Univ Zhejiang</text>"));
    assert!(!chart.svg.contains(">UNIV ZHEJIANG</text>"));
}

#[test]
fn long_names_wrap_onto_lines_instead_of_being_cut() {
    let chart = render("");
    let boxes = text_boxes(&chart.svg, &M);
    // The 76-character name is drawn whole, over two or three lines.
    let words: Vec<&str> = boxes
        .iter()
        .filter(|b| b.content.starts_with("Agro") || b.content.contains("Rural"))
        .map(|b| b.content.as_str())
        .collect();
    assert!(!words.is_empty(), "{words:?}");
    let drawn: String = boxes
        .iter()
        .map(|b| b.content.clone())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(drawn.contains("Affairs"), "{drawn}");
    assert!(!drawn.contains('…'), "{drawn}");
    assert!(chart.warnings.is_empty(), "{:?}", chart.warnings);
}

#[test]
fn footnotes_explain_applicants_and_counting() {
    let cd = chart_data(&render(""));
    let notes = strings(&cd["notes"]);
    assert!(
        notes[0].contains("counts for each") && notes[0].contains("314 applicant–document pairs"),
        "{}",
        notes[0]
    );
    assert!(notes[1].starts_with("Applicants are the persons or organisations"));
    assert_eq!(
        notes[2],
        "Others: 269 documents of 263 more applicants (bar cut short, not to scale)"
    );
    assert!(notes[3].starts_with("Names as Espacenet records them"));
}

#[test]
fn top_n_bounds_and_unknown_params_name_the_field() {
    for bad in [r#"{"top_n": 0}"#, r#"{"top_n": 101}"#] {
        let m = invalid_params(bad);
        assert!(
            m.contains("`top_n`") && m.contains("between 1 and 100"),
            "{m}"
        );
    }
    assert!(invalid_params(r#"{"top_n": "15"}"#).contains("`top_n`"));
    assert!(invalid_params(r#"{"highlight": []}"#).contains("unknown field `highlight`"));
    let cd = chart_data(&render(r#"{"top_n": 1}"#));
    assert_eq!(cd["title"], "Top patent applicant");
    assert_eq!(cd["totals"]["top_n"], 1);
}

#[test]
fn fewer_applicants_than_top_n_shows_all_without_others() {
    let chart = render_with(
        &dataset(vec![entry("B", 1), entry("A", 1)]),
        "",
        &Style::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(strings(&cd["series"][0]["labels"]), ["A", "B"]);
    assert_eq!(cd["totals"]["others_count"], 0);
    assert!(
        chart
            .warnings
            .iter()
            .any(|w| w.contains("only 2 applicants"))
    );
}

#[test]
fn missing_empty_or_zero_applicants_is_missing_data() {
    let no_facet = Dataset {
        facets: vec![],
        ..dataset(vec![])
    };
    for data in [no_facet, dataset(vec![]), dataset(vec![entry("X", 0)])] {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`applicants`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

#[test]
fn hostile_labels_are_escaped_and_deterministic() {
    let mut entries = reference_entries();
    entries.push(entry("<script>alert(1)</script> & co", 50));
    entries.push(entry(&"ÑANDÚ 東京 ".repeat(60), 40));
    let data = dataset(entries);
    let a = render_with(&data, "", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    let b = render_with(&data, "", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.chart_data, b.chart_data);
    assert!(!a.svg.contains("<script>"));
    assert!(a.svg.contains("&lt;script&gt;"));
    assert!(
        a.warnings.iter().any(|w| w.contains("shortened")),
        "{:?}",
        a.warnings
    );
    assert_eq!(
        chart_data(&a)["series"][0]["labels"][0],
        "<script>alert(1)</script> & co"
    );
}

#[test]
fn spanish_words_and_numbers() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut entries = reference_entries();
    entries.push(entry("BIG APPLICANT", 12_000));
    let chart = render_with(&dataset(entries), "", &style).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["title"], "Los 15 principales solicitantes de patentes");
    assert_eq!(cd["y_axis"]["label"], "Solicitantes");
    assert!(
        chart.svg.contains(">12.000 (97,45\u{a0}%)</text>"),
        "{}",
        chart.svg
    );
    assert!(strings(&cd["notes"])[1].starts_with("Los solicitantes son"));
    assert!(strings(&cd["series"][0]["labels"]).contains(&"Otros".to_owned()));
}

#[test]
fn nothing_leaves_the_page_or_overlaps() {
    let many: Vec<Entry> = (0..300)
        .map(|i| entry(&format!("{LONGEST} {i:03}"), 1000 - i))
        .collect();
    let cases: Vec<(Vec<Entry>, &str, Style)> = vec![
        (reference_entries(), "", Style::default()),
        (
            reference_entries(),
            r#"{"top_n": 100}"#,
            Style {
                width: 480,
                height: 320,
                ..Style::default()
            },
        ),
        (
            reference_entries(),
            "",
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (many, r#"{"top_n": 40}"#, Style::default()),
        (
            vec![entry("X", 123_456_789)],
            "",
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
    ];
    for (entries, params, style) in cases {
        let chart =
            render_with(&dataset(entries), params, &style).unwrap_or_else(|e| panic!("{e}"));
        // Bars thinner than the smallest legible label are warned about
        // instead of checked for overlaps (their labels may touch).
        if testing::assert_fits_page(&chart, &style, &M) {
            assert_eq!(
                params, r#"{"top_n": 100}"#,
                "{:?} {}x{}",
                chart.warnings, style.width, style.height
            );
        }
    }
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let info = <TopPatentApplicants as ChartPlugin>::info();
    assert_eq!(info.key, KEY);
    assert_eq!(info.required_facets, ["applicants"]);
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
    let from_schema: Params =
        params::parse(&patchart_sdk::testing::schema_defaults(&schema.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    assert_eq!(props.keys().collect::<Vec<_>>(), ["top_n"]);
}

/// Every measurement is a call into the host that shapes text; the chart
/// must stay well under the 5 ms render budget on a real export.
#[test]
fn render_makes_few_host_measurements() {
    let n = testing::measurements::<TopPatentApplicants>(
        &dataset(reference_entries()),
        "",
        &Style::default(),
        &M,
    );
    assert!(n <= 250, "{n} measurements");
}
