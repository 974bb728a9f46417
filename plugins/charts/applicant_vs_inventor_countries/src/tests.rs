//! Native tests of the chart: the union of countries and its aligned
//! series, the totals, errors naming the missing facet, and the picture.

use patchart_sdk::page_check::{outside_page, text_boxes};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, Facet, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

fn entries(rows: &[(&str, u64)]) -> Vec<Entry> {
    rows.iter()
        .map(|(l, c)| Entry {
            label: (*l).to_owned(),
            count: *c,
        })
        .collect()
}

/// The "Applicants - country" sheet of the reference export (101 in all),
/// listed out of order.
fn applicant_rows() -> Vec<Entry> {
    entries(&[
        ("TR", 1),
        ("KR", 11),
        ("US", 63),
        ("CN", 9),
        ("DE", 8),
        ("CA", 3),
        ("IT", 2),
        ("RU", 2),
        ("FR", 1),
        ("JP", 1),
    ])
}

/// The "Inventors - country" sheet of the reference export (112 in all).
fn inventor_rows() -> Vec<Entry> {
    entries(&[
        ("US", 62),
        ("KR", 9),
        ("CN", 9),
        ("DE", 6),
        ("CA", 3),
        ("CH", 3),
        ("EE", 3),
        ("FI", 3),
        ("GB", 3),
        ("ES", 2),
        ("IT", 2),
        ("NL", 2),
        ("RU", 2),
        ("FR", 1),
        ("JP", 1),
        ("TR", 1),
    ])
}

fn dataset(applicants: Option<Vec<Entry>>, inventors: Option<Vec<Entry>>) -> Dataset {
    let mut facets = vec![Facet {
        name: "countries".into(),
        entries: entries(&[("CN", 5)]),
    }];
    if let Some(e) = applicants {
        facets.push(Facet {
            name: "applicant_countries".into(),
            entries: e,
        });
    }
    if let Some(e) = inventors {
        facets.push(Facet {
            name: "inventor_countries".into(),
            entries: e,
        });
    }
    Dataset {
        source_type: "espacenet_excel".into(),
        query: None,
        facets,
    }
}

fn reference() -> Dataset {
    dataset(Some(applicant_rows()), Some(inventor_rows()))
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    <ApplicantVsInventorCountries as ChartPlugin>::render(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&reference(), params, &Style::default())
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

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[test]
fn countries_are_the_top_of_the_union_by_combined_count() {
    let cd = chart_data(&render(""));
    let countries = ["US", "KR", "CN", "DE", "CA", "IT", "RU", "CH", "EE", "FI"];
    assert_eq!(strings(&cd["x_axis"]["categories"]), countries);
    let (a, i) = (&cd["series"][0], &cd["series"][1]);
    assert_eq!(a["name"], "Applicants");
    assert_eq!(i["name"], "Inventors");
    assert_eq!(strings(&a["labels"]), countries);
    assert_eq!(strings(&i["labels"]), countries);
    assert_eq!(numbers(&a["values"]), [63, 11, 9, 8, 3, 2, 2, 0, 0, 0]);
    assert_eq!(numbers(&i["values"]), [62, 9, 9, 6, 3, 2, 2, 3, 3, 3]);
    // Shares of each facet's own total: 63 of 101, 62 of 112.
    assert_eq!(a["shares"][0], 62.38);
    assert_eq!(i["shares"][0], 55.36);
    assert_eq!(a["ranks"][1], 2);
    assert_eq!(i["ranks"][1], 3, "KR ties CN at 9 and ranks after it");
    assert!(a["ranks"][7].is_null());
    assert_eq!(strings(&a["flags"])[7], "absent");
    assert_eq!(strings(&i["flags"])[7], "");
    assert_eq!(cd["type"], "grouped_bar");
    assert_eq!(cd["algorithm"], "applicant_vs_inventor_countries");
}

#[test]
fn totals_carry_both_facets_and_what_is_not_shown() {
    let cd = chart_data(&render(""));
    let t = &cd["totals"];
    assert_eq!(t["applicant_total"], 101);
    assert_eq!(t["inventor_total"], 112);
    assert_eq!(t["applicant_entries"], 10);
    assert_eq!(t["inventor_entries"], 16);
    assert_eq!(t["countries"], 16);
    assert_eq!(t["countries_only_applicants"], 0);
    assert_eq!(t["countries_only_inventors"], 6);
    assert_eq!(t["shown_count"], 10);
    assert_eq!(t["applicant_shown_count"], 98);
    assert_eq!(t["inventor_shown_count"], 102);
    assert_eq!(t["applicant_others_count"], 3);
    assert_eq!(t["inventor_others_count"], 10);
    let notes = strings(&cd["notes"]);
    assert!(notes[0].starts_with("For each country, the left bar"));
    assert!(notes[1].contains("101 applicant and 112 inventor country mentions"));
    assert_eq!(
        notes[2],
        "Not shown: 6 more countries with 3 applicant and 10 inventor mentions"
    );
}

#[test]
fn every_column_and_value_is_drawn_with_a_legend() {
    let chart = render("");
    let colors = [
        Style::default().color(0).to_owned(),
        Style::default().color(1).to_owned(),
    ];
    // Columns of each colour (none for the three countries without
    // applicants), plus one legend swatch each.
    let counts: Vec<usize> = colors
        .iter()
        .map(|c| chart.svg.matches(&format!("fill=\"{c}\"")).count())
        .collect();
    assert_eq!(counts, [7 + 1, 10 + 1]);
    assert!(
        chart.svg.contains(">0</text>"),
        "absent columns are labelled 0"
    );
    assert!(chart.svg.contains(">Applicants</text>"));
    assert!(chart.svg.contains(">Inventors</text>"));
    assert!(chart.svg.contains("<title>US · Applicants: 63</title>"));
    assert!(
        chart.svg.contains(">63</text>"),
        "value labels fit at 960 px"
    );
    assert!(chart.warnings.is_empty(), "{:?}", chart.warnings);
}

#[test]
fn missing_either_facet_names_it() {
    let cases = [
        (
            dataset(None, Some(inventor_rows())),
            "`applicant_countries`",
        ),
        (
            dataset(Some(applicant_rows()), None),
            "`inventor_countries`",
        ),
        (
            dataset(Some(vec![]), Some(inventor_rows())),
            "`applicant_countries`",
        ),
        (
            dataset(Some(applicant_rows()), Some(entries(&[("US", 0)]))),
            "`inventor_countries`",
        ),
    ];
    for (data, facet) in cases {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains(facet), "{m}"),
            other => panic!("expected missing data naming {facet}, got {other:?}"),
        }
    }
}

#[test]
fn invalid_params_name_the_field() {
    for (params, field) in [
        (r#"{"top_n": 0}"#, "`top_n`"),
        (r#"{"top_n": 51}"#, "`top_n`"),
        (r#"{"top_n": 2.5}"#, "`top_n`"),
        (r#"{"top": 5}"#, "`top`"),
    ] {
        match render_with(&reference(), params, &Style::default()) {
            Err(RenderError::InvalidParams(m)) => assert!(m.contains(field), "{params}: {m}"),
            other => panic!("expected invalid params for {params}, got {other:?}"),
        }
    }
}

#[test]
fn fewer_countries_than_top_n_are_all_shown() {
    let chart = render(r#"{"top_n": 50}"#);
    let cd = chart_data(&chart);
    assert_eq!(cd["totals"]["shown_count"], 16);
    assert_eq!(cd["totals"]["applicant_others_count"], 0);
    assert_eq!(strings(&cd["notes"]).len(), 2);
    assert!(
        chart
            .warnings
            .iter()
            .any(|w| w.contains("only 16 countries"))
    );
}

#[test]
fn hostile_labels_spanish_and_determinism() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut a = applicant_rows();
    a.push(Entry {
        label: "<script>alert(1)</script>".repeat(20),
        count: 12_000,
    });
    let data = dataset(Some(a), Some(inventor_rows()));
    let one = render_with(&data, "", &style).unwrap_or_else(|e| panic!("{e}"));
    let two = render_with(&data, "", &style).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.svg, two.svg);
    assert_eq!(one.chart_data, two.chart_data);
    assert!(!one.svg.contains("<script>"));
    let cd = chart_data(&one);
    assert_eq!(cd["series"][0]["name"], "Solicitantes");
    assert!(
        cd["title"]
            .as_str()
            .unwrap_or("")
            .starts_with("Países de solicitantes")
    );
    assert!(one.svg.contains(">12.000</text>"), "{}", one.svg);
    assert!(
        one.warnings.iter().any(|w| w.contains("acortaron")),
        "{:?}",
        one.warnings
    );
}

#[test]
fn nothing_leaves_the_page_or_overlaps() {
    let many: Vec<Entry> = (0..300)
        .map(|i| Entry {
            label: format!("C{i:03}"),
            count: 100_000 + i,
        })
        .collect();
    let cases: Vec<(Dataset, &str, Style)> = vec![
        (reference(), "", Style::default()),
        (
            reference(),
            r#"{"top_n": 50}"#,
            Style {
                width: 480,
                height: 320,
                ..Style::default()
            },
        ),
        (
            reference(),
            "",
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (
            dataset(Some(many.clone()), Some(many)),
            r#"{"top_n": 50}"#,
            Style::default(),
        ),
        (
            dataset(
                Some(entries(&[("US", 123_456_789)])),
                Some(entries(&[("CN", 1)])),
            ),
            "",
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
    ];
    for (data, params, style) in cases {
        let chart = render_with(&data, params, &style).unwrap_or_else(|e| panic!("{e}"));
        let out = outside_page(&chart.svg, style.width as f32, style.height as f32, &M);
        assert!(
            out.is_empty(),
            "{params} {}x{}: {out:?}",
            style.width,
            style.height
        );
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
    let info = <ApplicantVsInventorCountries as ChartPlugin>::info();
    assert_eq!(info.key, KEY);
    assert_eq!(
        info.required_facets,
        ["applicant_countries", "inventor_countries"]
    );
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
