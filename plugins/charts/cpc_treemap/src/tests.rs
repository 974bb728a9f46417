//! Native tests of the chart: the figures (against the replaced system's
//! numbers), the parameters, and the picture (cells proportional to counts,
//! every label inside its cell, everything inside the page, stable output).

use patchart_sdk::testing::{
    self, TextBoxTuple as TextBox, chart_data, numbers, strings, svg_attr as attr, svg_num as num,
    svg_unescape as unescape,
};
use patchart_sdk::text::UniformMeasure;
use patchart_sdk::{Chart, ChartPlugin, Dataset, Entry, Measure, RenderError, Style};
use serde_json::Value;

use super::*;

const M: UniformMeasure = UniformMeasure { em: 0.6 };

/// The top 15 subgroups as the replaced system counted them on the
/// reference export (`series[].name/value` of its chart_data).
const REFERENCE_TOP: [(&str, u64); 15] = [
    ("G01N33/24", 98),
    ("G01N33/18", 40),
    ("G01N33/0098", 39),
    ("G01N33/245", 27),
    ("G01N1/28", 17),
    ("G01N33/1813", 17),
    ("G06Q50/02", 16),
    ("C02F2101/20", 13),
    ("B09C1/105", 12),
    ("G06Q50/26", 12),
    ("G01D21/02", 10),
    ("G01N1/08", 9),
    ("G01N33/00", 9),
    ("G01N27/626", 8),
    ("B09C2101/00", 7),
];

/// Its `percentage` of each, of the 334 documents of the 15 shown.
const REFERENCE_PERCENT: [f64; 15] = [
    29.34, 11.98, 11.68, 8.08, 5.09, 5.09, 4.79, 3.89, 3.59, 3.59, 2.99, 2.69, 2.69, 2.4, 2.1,
];
/// Its `total_publications` and `num_groups`.
const REFERENCE_TOTAL: u64 = 334;
const REFERENCE_GROUPS: u64 = 15;

/// The reference top 15, listed in reverse so only ranking can order them,
/// and a synthetic tail of 136 subgroups holding 425 classifications (17 of
/// 4 and 119 of 3), the size of the real export's tail.
fn entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = REFERENCE_TOP
        .iter()
        .rev()
        .map(|(l, c)| Entry {
            label: (*l).to_owned(),
            count: *c,
        })
        .collect();
    for i in 0..136u64 {
        v.push(Entry {
            label: format!("H01L{}/{:02}", 21 + i / 10, i % 10),
            count: if i < 17 { 4 } else { 3 },
        });
    }
    v
}

fn dataset(entries: Vec<Entry>) -> Dataset {
    testing::dataset(
        None,
        vec![
            ("cpc_main_groups", vec![testing::entry("G01N33", 5)]),
            ("cpc_subgroups", entries),
        ],
    )
}

fn render_with(data: &Dataset, params: &str, style: &Style) -> Result<Chart, RenderError> {
    testing::render::<CpcTreemap>(data, params, style, &M)
}

fn render(params: &str) -> Chart {
    render_with(&dataset(entries()), params, &Style::default())
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn invalid_params(params: &str) -> String {
    testing::invalid_params::<CpcTreemap>(&dataset(entries()), params, &M)
}

#[test]
fn without_others_the_numbers_equal_the_replaced_chart() {
    let cd = chart_data(&render(r#"{"others": false}"#));
    let s = &cd["series"][0];
    let expected: Vec<&str> = REFERENCE_TOP.iter().map(|(l, _)| *l).collect();
    assert_eq!(strings(&s["labels"]), expected);
    let counts: Vec<f64> = REFERENCE_TOP.iter().map(|(_, c)| *c as f64).collect();
    assert_eq!(numbers(&s["values"]), counts);
    assert_eq!(numbers(&s["shares"]), REFERENCE_PERCENT);
    assert_eq!(cd["totals"]["shown_total"], REFERENCE_TOTAL);
    assert_eq!(cd["totals"]["shown_count"], REFERENCE_GROUPS);
    assert_eq!(cd["totals"]["share_base"], "shown_total");
    assert_eq!(cd["type"], "treemap");
    assert_eq!(cd["algorithm"], "cpc_treemap");
}

#[test]
fn with_others_the_rest_is_a_cell_and_shares_are_of_all_classifications() {
    // On request, unlike the replaced chart (which silently dropped the 56%
    // of classifications outside the top 15): Others is drawn, so shares
    // are of all 759.
    let chart = render(r#"{"others": true}"#);
    let cd = chart_data(&chart);
    let s = &cd["series"][0];
    let labels = strings(&s["labels"]);
    assert_eq!(labels.len(), 16);
    assert_eq!(labels[15], "Others");
    assert_eq!(s["values"][15], 425);
    assert_eq!(s["shares"][0], 12.91);
    assert_eq!(s["shares"][15], 55.99);
    assert!(s["ranks"][15].is_null());
    assert_eq!(s["ranks"][14], 15);
    assert_eq!(strings(&s["flags"])[15], "others");
    let t = &cd["totals"];
    assert_eq!(t["total"], 759);
    assert_eq!(t["entries"], 151);
    assert_eq!(t["top_n"], 15);
    assert_eq!(t["shown_total"], 334);
    assert_eq!(t["top_share"], 44.01);
    assert_eq!(t["others_count"], 425);
    assert_eq!(t["others_entries"], 136);
    assert_eq!(t["others_share"], 55.99);
    assert_eq!(t["share_base"], "total");
    assert_eq!(t["share_base_count"], 759);
    assert_eq!(cd["title"], "Top 15 CPC subgroups");
    assert_eq!(
        cd["subtitle"],
        "The top 15 of 151 subgroups hold 334 of 759 classifications (44.01%)"
    );
    let notes = strings(&cd["notes"]);
    assert!(notes[0].starts_with("CPC subgroup: the finest level"));
    assert!(notes[1].ends_with("shares are of all 759 classifications"));
    assert_eq!(
        notes[2],
        "Others: 425 classifications in 136 more subgroups"
    );
    assert!(cd.get("metrics").is_none(), "no groups without grouping");
}

/// Every cell of the SVG: its rectangle and the boxes of its label lines.
struct DrawnCell {
    title: String,
    rect: (f32, f32, f32, f32),
    fill: String,
    texts: Vec<TextBox>,
    text_fills: Vec<String>,
}

fn cells(svg: &str) -> Vec<DrawnCell> {
    let mut out: Vec<DrawnCell> = Vec::new();
    let mut inside = false;
    for line in svg.lines().map(str::trim) {
        if line == "<g class=\"cell\">" {
            inside = true;
            out.push(DrawnCell {
                title: String::new(),
                rect: (0.0, 0.0, 0.0, 0.0),
                fill: String::new(),
                texts: Vec::new(),
                text_fills: Vec::new(),
            });
        } else if !inside {
            continue;
        } else if line == "</g>" {
            inside = false;
        } else if let Some(cell) = out.last_mut() {
            if let Some(t) = line.strip_prefix("<title>") {
                cell.title = unescape(t.trim_end_matches("</title>"));
            } else if line.starts_with("<rect") {
                cell.rect = (
                    num(line, "x"),
                    num(line, "y"),
                    num(line, "width"),
                    num(line, "height"),
                );
                cell.fill = attr(line, "fill").unwrap_or_default();
            } else if line.starts_with("<text") {
                cell.texts.extend(text_boxes(line, &M));
                cell.text_fills.push(attr(line, "fill").unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn cell_areas_are_proportional_to_counts_and_labels_stay_inside() {
    for params in [
        "",
        r#"{"group_by_main_group": true}"#,
        r#"{"others": false, "top_n": 50}"#,
    ] {
        let chart = render(params);
        let cd = chart_data(&chart);
        let values = numbers(&cd["series"][0]["values"]);
        let drawn = cells(&chart.svg);
        assert_eq!(drawn.len(), values.len());
        let total: f64 = values.iter().sum();
        let area = |c: &DrawnCell| f64::from(c.rect.2) * f64::from(c.rect.3);
        let covered: f64 = drawn.iter().map(area).sum();
        for (c, v) in drawn.iter().zip(&values) {
            let expected = v / total * covered;
            // SVG coordinates carry two decimals.
            assert!(
                (area(c) - expected).abs() <= expected * 0.01 + 2.0,
                "{params}: {} has area {} for {v}, expected {expected}",
                c.title,
                area(c)
            );
            let (x, y, w, h) = c.rect;
            for (l, t, r, b, text) in &c.texts {
                assert!(
                    *l >= x - 0.01 && *t >= y - 0.01 && *r <= x + w + 0.01 && *b <= y + h + 0.01,
                    "{params}: label {text:?} ({l},{t})-({r},{b}) leaves cell {} {:?}",
                    c.title,
                    c.rect
                );
            }
        }
    }
}

#[test]
fn labels_shrink_to_fewer_lines_and_small_cells_are_listed() {
    let chart = render(r#"{"others": false, "top_n": 50}"#);
    let cd = chart_data(&chart);
    let drawn = cells(&chart.svg);
    // The largest cell shows code, count and share.
    let big = &drawn[0];
    let texts: Vec<&str> = big.texts.iter().map(|t| t.4.as_str()).collect();
    assert_eq!(texts[0], "G01N33/24");
    assert!(texts.iter().any(|t| t.contains("98")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains('%')), "{texts:?}");
    // At 50 cells on a default page some cells carry no label; each is
    // flagged, listed in a note and counted in a warning.
    let flags = strings(&cd["series"][0]["flags"]);
    let unlabelled: Vec<usize> = (0..flags.len())
        .filter(|&i| flags[i] == "unlabelled")
        .collect();
    assert!(!unlabelled.is_empty(), "expected some unlabelled cells");
    for &i in &unlabelled {
        assert!(
            drawn[i].texts.is_empty(),
            "{} is flagged but labelled",
            drawn[i].title
        );
    }
    for (i, c) in drawn.iter().enumerate() {
        if c.texts.is_empty() {
            assert!(
                unlabelled.contains(&i),
                "{} has no label and no flag",
                c.title
            );
        }
    }
    assert_eq!(cd["totals"]["unlabelled_cells"], unlabelled.len());
    let labels = strings(&cd["series"][0]["labels"]);
    let notes = strings(&cd["notes"]);
    let note = notes
        .iter()
        .find(|n| n.starts_with("Too small to label: "))
        .unwrap_or_else(|| panic!("no note in {notes:?}"));
    assert!(
        note.contains(&format!("{} (", labels[unlabelled[0]])),
        "{note}"
    );
    assert!(
        chart
            .warnings
            .iter()
            .any(|w| w.contains("too small to label"))
    );
}

#[test]
fn grouping_colours_cells_by_main_group_with_a_legend() {
    let chart = render(r#"{"group_by_main_group": true}"#);
    let cd = chart_data(&chart);
    let groups = &cd["series"][1];
    assert_eq!(groups["name"], "CPC main groups");
    let codes = strings(&groups["labels"]);
    assert_eq!(codes[0], "G01N33");
    // G01N33: 98 + 40 + 39 + 27 + 17 + 9 of the top 15.
    assert_eq!(groups["values"][0], 230);
    assert_eq!(codes.len(), 8);
    assert_eq!(cd["totals"]["main_groups"], 8);
    let of_cell = &cd["metrics"]["main_group_of_cell"];
    assert_eq!(of_cell[0], "G01N33");
    assert_eq!(of_cell[4], "G01N1");
    assert!(of_cell[15].is_null(), "Others has no main group");
    let drawn = cells(&chart.svg);
    let labels = strings(&cd["series"][0]["labels"]);
    for (i, a) in drawn.iter().enumerate().take(15) {
        for (j, b) in drawn.iter().enumerate().take(15) {
            let same = main_group(&labels[i]) == main_group(&labels[j]);
            assert_eq!(a.fill == b.fill, same, "{} vs {}", a.title, b.title);
        }
    }
    assert!(chart.svg.contains(">CPC main group</text>"));
    assert!(chart.svg.contains(">G01N33</text>"));
    assert!(
        strings(&cd["notes"])
            .iter()
            .any(|n| n.starts_with("Colours group"))
    );
}

#[test]
fn main_group_is_the_code_before_the_slash() {
    assert_eq!(main_group("G01N33/24"), "G01N33");
    assert_eq!(main_group("C02F2101/20"), "C02F2101");
    assert_eq!(main_group("ODD LABEL"), "ODD LABEL");
    assert_eq!(main_group(""), "");
}

#[test]
fn text_colour_contrasts_with_each_cell() {
    let chart = render(r#"{"group_by_main_group": true, "top_n": 30}"#);
    let drawn = cells(&chart.svg);
    assert!(drawn.iter().any(|c| !c.text_fills.is_empty()));
    for c in drawn {
        let expected = patchart_sdk::palette::text_on(&c.fill);
        for fill in &c.text_fills {
            assert_eq!(fill, expected, "text on {} ({})", c.title, c.fill);
        }
    }
    // Dark blue cells get white text, the light grey Others black.
    let chart = render(r#"{"others": true}"#);
    let drawn = cells(&chart.svg);
    assert!(chart.svg.contains("fill=\"#ffffff\">G01N33/24</text>"));
    assert_eq!(drawn[15].fill, patchart_sdk::palette::others_color());
    assert!(chart.svg.contains("fill=\"#000000\">Others</text>"));
}

#[test]
fn params_are_checked_by_name() {
    for bad in [r#"{"top_n": 0}"#, r#"{"top_n": 51}"#] {
        let m = invalid_params(bad);
        assert!(
            m.contains("`top_n`") && m.contains("between 1 and 50"),
            "{m}"
        );
    }
    assert!(invalid_params(r#"{"top_n": "15"}"#).contains("`top_n`"));
    assert!(invalid_params(r#"{"others": "yes"}"#).contains("`others`"));
    assert!(invalid_params(r#"{"group_by_main_group": 1}"#).contains("`group_by_main_group`"));
    assert!(invalid_params(r#"{"group": true}"#).contains("unknown field `group`"));
}

#[test]
fn missing_empty_or_zero_facet_is_missing_data() {
    let no_facet = Dataset {
        facets: vec![],
        ..dataset(vec![])
    };
    let zeros = dataset(vec![Entry {
        label: "G01N33/24".into(),
        count: 0,
    }]);
    for data in [no_facet, dataset(vec![]), zeros] {
        match render_with(&data, "", &Style::default()) {
            Err(RenderError::MissingData(m)) => assert!(m.contains("`cpc_subgroups`"), "{m}"),
            other => panic!("expected missing data, got {other:?}"),
        }
    }
}

#[test]
fn odd_inputs_never_panic_and_stay_on_the_page() {
    let long = "G01N33/".to_owned() + &"9".repeat(493);
    let cases: Vec<(Vec<Entry>, &str, Style)> = vec![
        (
            vec![Entry {
                label: "G01N33/24".into(),
                count: 1,
            }],
            "",
            Style::default(),
        ),
        (
            (0..10_000u64)
                .map(|i| Entry {
                    label: format!("A{:02}B{}/{}", i % 97, i / 97, i),
                    count: 10_000 - i,
                })
                .collect(),
            r#"{"top_n": 50, "group_by_main_group": true}"#,
            Style {
                width: 480,
                height: 320,
                ..Style::default()
            },
        ),
        (
            vec![
                Entry {
                    label: long,
                    count: 50,
                },
                Entry {
                    label: "東京/ñ <script>alert(1)</script> & co".into(),
                    count: 7,
                },
                Entry {
                    label: "Z".into(),
                    count: 0,
                },
            ],
            r#"{"group_by_main_group": true}"#,
            Style {
                font_size: 22.0,
                locale: "es".into(),
                ..Style::default()
            },
        ),
        (
            entries(),
            r#"{"group_by_main_group": true, "top_n": 50}"#,
            Style {
                width: 320,
                height: 240,
                ..Style::default()
            },
        ),
    ];
    for (entries, params, style) in cases {
        let chart = render_with(&dataset(entries), params, &style)
            .unwrap_or_else(|e| panic!("{params}: {e}"));
        assert_inside_page(&chart, &style);
        assert!(!chart.svg.contains("<script>"));
        chart_data(&chart);
    }
}

#[test]
fn hostile_labels_are_escaped_and_zero_counts_have_no_cell() {
    let mut e = entries();
    e.push(Entry {
        label: "<script>alert(1)</script>/1".into(),
        count: 500,
    });
    e.push(Entry {
        label: "EMPTY/0".into(),
        count: 0,
    });
    let chart = render_with(
        &dataset(e),
        r#"{"top_n": 50, "others": false}"#,
        &Style::default(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert!(!chart.svg.contains("<script>"));
    assert!(chart.svg.contains("&lt;script&gt;"));
    let cd = chart_data(&chart);
    assert_eq!(cd["series"][0]["labels"][0], "<script>alert(1)</script>/1");
    assert!(!strings(&cd["series"][0]["labels"]).contains(&"EMPTY/0".to_owned()));
}

#[test]
fn fewer_subgroups_than_top_n_are_all_shown_with_a_warning() {
    let few: Vec<Entry> = REFERENCE_TOP[..3]
        .iter()
        .map(|(l, c)| Entry {
            label: (*l).to_owned(),
            count: *c,
        })
        .collect();
    let chart = render_with(&dataset(few), "", &Style::default()).unwrap_or_else(|e| panic!("{e}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["title"], "Top 3 CPC subgroups");
    assert_eq!(cd["subtitle"], "177 classifications in 3 subgroups");
    assert_eq!(cd["totals"]["others_count"], 0);
    assert!(
        chart.warnings.iter().any(|w| w.contains("only 3")),
        "{:?}",
        chart.warnings
    );
    assert_eq!(strings(&cd["warnings"]), chart.warnings);
}

#[test]
fn rendering_is_deterministic() {
    let p = r#"{"group_by_main_group": true, "top_n": 40}"#;
    let (a, b) = (render(p), render(p));
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.chart_data, b.chart_data);
}

#[test]
fn spanish_formats_numbers_and_words() {
    let style = Style {
        locale: "es".into(),
        ..Style::default()
    };
    let mut e = entries();
    e.push(Entry {
        label: "A01B1/00".into(),
        count: 12_000,
    });
    let chart = render_with(&dataset(e), r#"{"others": true}"#, &style)
        .unwrap_or_else(|err| panic!("{err}"));
    let cd = chart_data(&chart);
    assert_eq!(cd["locale"], "es");
    assert_eq!(cd["title"], "Los 15 principales subgrupos CPC");
    assert!(strings(&cd["series"][0]["labels"]).contains(&"Otros".to_owned()));
    // 12,000 of 12,759: grouped Spanish style, comma decimals.
    assert!(
        chart
            .svg
            .contains("<title>A01B1/00: 12.000 (94,05\u{a0}%)</title>")
    );
    assert!(strings(&cd["notes"])[0].starts_with("Subgrupo CPC"));
}

#[test]
fn info_and_schema_match_the_params() {
    let info = <CpcTreemap as ChartPlugin>::info();
    assert_eq!(info.key, "cpc_treemap");
    assert_eq!(info.required_facets, ["cpc_subgroups"]);
    let schema: Value = serde_json::from_str(&info.params_schema).unwrap_or(Value::Null);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["top_n"]["minimum"], TOP_N_MIN);
    assert_eq!(schema["properties"]["top_n"]["maximum"], TOP_N_MAX);
}

#[test]
fn params_schema_defaults_are_the_params_defaults() {
    let schema: Value = serde_json::from_str(PARAMS_SCHEMA).unwrap_or(Value::Null);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // A deprecated alias has no default of its own: it stands for top_n.
    let mut current = schema.clone();
    if let Some(p) = current["properties"].as_object_mut() {
        p.retain(|_, v| v["deprecated"] != true);
    }
    let from_schema: Params = params::parse(&patchart_sdk::testing::schema_defaults(
        &current.to_string(),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_schema, Params::default());
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["group_by_main_group", "num_groups", "others", "top_n"]
    );
    assert_eq!(props["num_groups"]["deprecated"], true);
}

#[test]
fn num_groups_is_the_old_name_of_top_n() {
    let old: Params = params::parse(r#"{"num_groups": 7}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.top_n, 7);
    assert!(params::parse::<Params>(r#"{"num_groups": 7, "top_n": 8}"#).is_err());
}

/// The box of every `<text>` in `svg`; the treemap turns no text.
fn text_boxes(svg: &str, m: &dyn Measure) -> Vec<TextBox> {
    for l in svg
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<text"))
    {
        let tag = &l[..l.find('>').unwrap_or(l.len())];
        assert!(attr(tag, "transform").is_none(), "unexpected transform");
    }
    testing::text_box_tuples(svg, m)
}

fn assert_inside_page(chart: &Chart, style: &Style) {
    text_boxes(&chart.svg, &M);
    testing::assert_inside_page(chart, style, &M);
}
