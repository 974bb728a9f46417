//! The Python examples, built with componentize-py by `patchart plugin
//! build` (the SDK component composed in), their numbers checked against
//! workbooks written here:
//!
//! - `plugins/examples/applicant_concentration` (a Lorenz curve,
//!   `draw-curves`), also uploaded to a running server and run as a job;
//! - `plugins/examples/search_overview`: a yearly series, a treemap and a
//!   donut (`draw-yearly-series`, `draw-treemap`, `draw-donut`), compared
//!   with the built-in charts of the same kind on the same workbook and
//!   rasterized (the PNGs are left in `target/polyglot/` to look at).

use patchart::ingest::{IngestLimits, ingest_bytes};
use patchart::render::{Rasterizer, Scale};
use patchart::style::{ResolvedStyle, resolve};
use patchart_suite::server::TestServer;
use patchart_suite::workbook::{facet, query_sheet, xlsx};
use patchart_suite::{polyglot, registry, runtime};
use serde_json::{Value, json};

const EXAMPLE: &str = "examples/applicant_concentration";
const KEY: &str = "applicant_concentration";

/// Five applicants, 40 applicant–document pairs, deliberately unsorted.
const APPLICANTS: &[(&str, f64)] = &[
    ("UNIV ZHEJIANG", 20.0),
    ("ESSENLIX CORP", 2.0),
    ("UNIV CENTRAL SOUTH", 10.0),
    ("BASF SE", 6.0),
    ("SOLO INVENTOR", 2.0),
];

fn workbook() -> Vec<u8> {
    xlsx(&[
        query_sheet("40 results found for ctxt all \"phytorem*\""),
        facet(
            "Countries (family)",
            "Countries (family)",
            &[("CN", 30.0), ("US", 10.0)],
        ),
        facet("Applicants", "Applicants", APPLICANTS),
    ])
}

/// Gini and HHI computed here independently: Gini as the mean absolute
/// difference over twice the mean, HHI as the sum of squared percent
/// shares.
fn expected() -> (f64, f64) {
    let counts: Vec<f64> = APPLICANTS.iter().map(|(_, c)| *c).collect();
    let n = counts.len() as f64;
    let total: f64 = counts.iter().sum();
    let mean = total / n;
    let mad: f64 = counts
        .iter()
        .flat_map(|a| counts.iter().map(move |b| (a - b).abs()))
        .sum::<f64>()
        / (n * n);
    let hhi = counts.iter().map(|c| (100.0 * c / total).powi(2)).sum();
    (mad / (2.0 * mean), hhi)
}

fn render(wasm: &[u8], locale: &str) -> Value {
    let dataset = ingest_bytes(
        "espacenet_excel",
        "Filters.xlsx",
        &workbook(),
        &IngestLimits::default(),
    )
    .expect("the workbook ingests");
    let rt = runtime();
    let plugin = rt.load(wasm, None).expect("the Python example loads");
    assert_eq!(plugin.info.key, KEY);
    let style = resolve(&json!({ "locale": locale })).expect("style");
    let out = rt
        .render(&plugin, &dataset, &json!({}), &style, None)
        .unwrap_or_else(|f| panic!("the Python example renders: {f}"));
    assert!(out.svg.starts_with("<svg"), "an SVG");
    out.chart_data
}

#[test]
fn lorenz_curve_gini_and_hhi_match_the_workbook() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let cd = render(&wasm, "en");
    let (gini, hhi) = expected();
    assert_eq!(cd["type"], "line");
    assert_eq!(cd["algorithm"], KEY);
    let totals = &cd["totals"];
    assert!(
        (totals["gini"].as_f64().expect("gini") - gini).abs() < 1e-3,
        "gini {} != {gini}",
        totals["gini"]
    );
    assert!(
        (totals["hhi"].as_f64().expect("hhi") - hhi).abs() < 0.01,
        "hhi {} != {hhi}",
        totals["hhi"]
    );
    assert_eq!(totals["applicants"], 5.0);
    assert_eq!(totals["total"], 40.0);
    // Both figures are in the subtitle too, as the chart shows them
    // (shares 50, 25, 15, 5, 5 %: HHI 2500 + 625 + 225 + 25 + 25).
    assert_eq!(hhi, 3400.0);
    assert_eq!(
        cd["subtitle"],
        "Gini 0.44 · HHI 3,400 · 5 applicants, 40 applicant–document pairs"
    );
    // The Lorenz curve: applicants from fewest documents to most, so the
    // cumulative shares are 2, 2, 6, 10, 20 of 40.
    let lorenz = &cd["series"][1];
    assert_eq!(lorenz["kind"], "observed");
    let values: Vec<f64> = lorenz["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert_eq!(values, [0.0, 5.0, 10.0, 25.0, 50.0, 100.0]);
    assert_eq!(cd["series"][0]["kind"], "reference");
    assert_eq!(cd["x_axis"]["unit"], "%");
}

#[test]
fn spanish_words_and_numbers_come_from_the_sdk() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let cd = render(&wasm, "es");
    assert_eq!(cd["locale"], "es");
    assert_eq!(cd["title"], "Concentración de solicitantes");
    let subtitle = cd["subtitle"].as_str().expect("subtitle");
    let (gini, _) = expected();
    let gini = format!("{gini:.2}").replace('.', ",");
    assert!(
        subtitle.starts_with(&format!("Gini {gini} · HHI ")),
        "{subtitle}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_to_a_server_it_runs_as_a_job() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let s = TestServer::start().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(wasm).file_name("applicant_concentration.wasm"),
    );
    let r = reqwest::Client::new()
        .post(s.url("/api/plugins/"))
        .bearer_auth(&s.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("POST /api/plugins/");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(status, 201, "the upload is accepted: {body}");

    let (status, job) = s
        .post_job(
            &s.admin_token,
            workbook(),
            &json!([{"algorithm_key": KEY, "output_format": "png"}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let done = s
        .wait_job(&s.admin_token, job["job_id"].as_str().expect("job id"))
        .await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    let task = &done["image_tasks"][0];
    assert_eq!(task["chart_data"]["algorithm"], KEY, "{task}");
    let (gini, _) = expected();
    assert!(
        (task["chart_data"]["totals"]["gini"].as_f64().expect("gini") - gini).abs() < 1e-3,
        "{task}"
    );
}

// ---- search_overview: yearly series, treemap, donut --------------------------------

const OVERVIEW: &str = "examples/search_overview";
const OVERVIEW_KEY: &str = "search_overview";

/// Publication years with a gap (2012) and one year (1998) before the
/// 20-year window, deliberately unsorted.
const YEARS: &[(&str, f64)] = &[
    ("2016", 9.0),
    ("1998", 1.0),
    ("2010", 1.0),
    ("2011", 2.0),
    ("2013", 4.0),
    ("2014", 6.0),
    ("2015", 5.0),
    ("2017", 12.0),
    ("2018", 15.0),
    ("2019", 14.0),
    ("2020", 20.0),
    ("2021", 22.0),
    ("2022", 11.0),
    ("2023", 3.0),
];

/// Fourteen subgroups in eight main groups, with a tie (G01N1/28 and
/// G01N33/1813 at 12) that must be broken by label.
const SUBGROUPS: &[(&str, f64)] = &[
    ("G01N33/24", 70.0),
    ("G01N33/18", 30.0),
    ("G01N33/0098", 28.0),
    ("G01N33/245", 20.0),
    ("G01N33/1813", 12.0),
    ("G01N1/28", 12.0),
    ("G06Q50/02", 8.0),
    ("Y02A20/152", 7.0),
    ("G01N27/26", 6.0),
    ("B09C1/105", 5.0),
    ("C02F1/28", 4.0),
    ("G01N21/31", 3.0),
    ("B09C1/08", 2.0),
    ("C02F1/62", 1.0),
];

const LANGUAGES: &[(&str, f64)] = &[
    ("zh", 120.0),
    ("en", 150.0),
    ("es", 6.0),
    ("de", 8.0),
    ("ko", 7.0),
    ("ja", 3.0),
    ("fr", 2.0),
    ("ru", 1.0),
];

fn overview_workbook() -> Vec<u8> {
    xlsx(&[
        query_sheet("110 results found for ctxt all \"heavy metal\""),
        facet(
            "Earliest publication date (fam",
            "Earliest publication date (family)",
            YEARS,
        ),
        facet("CPC subgroups", "CPC subgroups", SUBGROUPS),
        facet("Languages (family)", "Languages (family)", LANGUAGES),
    ])
}

fn overview_dataset() -> patchart::Dataset {
    ingest_bytes(
        "espacenet_excel",
        "Filters.xlsx",
        &overview_workbook(),
        &IngestLimits::default(),
    )
    .expect("the workbook ingests")
}

/// The view drawn by the example, rasterized; its PNG is written to
/// `target/polyglot/search_overview_<view>_<locale>.png`.
fn overview(wasm: &[u8], view: &str, locale: &str) -> (Value, String) {
    let rt = runtime();
    let plugin = rt.load(wasm, None).expect("the Python example loads");
    assert_eq!(plugin.info.key, OVERVIEW_KEY);
    let style = resolve(&json!({ "locale": locale })).expect("style");
    let out = rt
        .render(
            &plugin,
            &overview_dataset(),
            &json!({ "view": view }),
            &style,
            None,
        )
        .unwrap_or_else(|f| panic!("the {view} view renders: {f}"));
    assert_rasterizes(&out.svg, &style, &format!("{OVERVIEW_KEY}_{view}_{locale}"));
    assert_eq!(
        out.chart_data["warnings"],
        json!(out.warnings),
        "chart_data carries the warnings"
    );
    (out.chart_data, out.svg)
}

/// A built-in chart on the same workbook, rasterized beside the example's.
fn builtin(key: &str, params: Value) -> Value {
    let plugin = registry().get(key, None).expect("built-in");
    let style = ResolvedStyle::default();
    let out = runtime()
        .render(&plugin, &overview_dataset(), &params, &style, None)
        .unwrap_or_else(|f| panic!("{key}: {f}"));
    assert_rasterizes(&out.svg, &style, &format!("{OVERVIEW_KEY}_builtin_{key}"));
    out.chart_data
}

/// The SVG rasterizes to a PNG of the page's size, written out to look at.
fn assert_rasterizes(svg: &str, style: &ResolvedStyle, name: &str) {
    let png = Rasterizer::new()
        .png(svg, Scale::X1)
        .unwrap_or_else(|e| panic!("{name} does not rasterize: {e}"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: a PNG");
    // IHDR, the first chunk, holds the width and height.
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!(
        (be(16), be(20)),
        (style.width, style.height),
        "{name}: page size"
    );
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/polyglot");
    std::fs::create_dir_all(&dir).expect("target/polyglot");
    std::fs::write(dir.join(format!("{name}.png")), &png).expect("write the PNG");
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `part` of `whole` in percent, two decimals, computed here.
fn pct(part: f64, whole: f64) -> f64 {
    (part * 100.0 / whole * 100.0).round() / 100.0
}

/// (label, count) ranked by count, ties by label.
fn ranked(rows: &[(&str, f64)]) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = rows.iter().map(|(l, c)| ((*l).to_owned(), *c)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[test]
fn a_yearly_series_fills_the_gaps_and_shades_the_incomplete_years() {
    let Some(wasm) = polyglot::built(OVERVIEW) else {
        return;
    };
    let (cd, svg) = overview(&wasm, "years", "en");
    assert_eq!(cd["type"], "line");
    assert_eq!(cd["algorithm"], OVERVIEW_KEY);
    let series = &cd["series"][0];
    // From the first year with documents in the 20-year window up to the
    // last year with documents; 2012 has none and 1998 is outside.
    let years: Vec<String> = (2010..=2023).map(|y| y.to_string()).collect();
    assert_eq!(labels(&series["labels"]), years);
    let expected: Vec<f64> = years
        .iter()
        .map(|y| YEARS.iter().find(|(l, _)| l == y).map_or(0.0, |(_, c)| *c))
        .collect();
    assert_eq!(expected[2], 0.0, "2012 is a gap");
    assert_eq!(numbers(&series["values"]), expected);
    let flags = labels(&series["flags"]);
    assert_eq!(flags[..12], vec![String::new(); 12][..]);
    assert_eq!(flags[12..], ["incomplete", "incomplete"]);
    let totals = &cd["totals"];
    assert_eq!(totals["total"], expected.iter().sum::<f64>());
    assert_eq!(totals["first_year"], 2010);
    assert_eq!(totals["last_year"], 2023);
    assert_eq!(totals["incomplete_from"], 2022);
    assert_eq!(totals["documents_before_first_year"], 1);
    assert_eq!(cd["subtitle"], "2010\u{2013}2023");
    let notes = labels(&cd["notes"]);
    assert_eq!(notes[0], "Counts are of the families' earliest publication");
    assert!(notes.iter().any(|n| n.contains("2022")), "{notes:?}");
    assert!(svg.contains(">22</text>"), "the peak is labelled");
    // The built-in year chart on the same facet counts the same.
    let evolution = builtin("patent_evolution", json!({}));
    assert_eq!(evolution["series"][0]["labels"], series["labels"]);
    assert_eq!(evolution["series"][0]["values"], series["values"]);
}

#[test]
fn a_treemap_ranks_groups_and_shares_as_the_builtin_treemap_does() {
    let Some(wasm) = polyglot::built(OVERVIEW) else {
        return;
    };
    let (cd, svg) = overview(&wasm, "fields", "en");
    assert_eq!(cd["type"], "treemap");
    let cells = &cd["series"][0];
    let ranked = ranked(SUBGROUPS);
    let total: f64 = ranked.iter().map(|(_, c)| c).sum();
    let (top, rest) = ranked.split_at(10);
    let mut want_labels: Vec<String> = top.iter().map(|(l, _)| l.clone()).collect();
    want_labels.push("Others".into());
    assert_eq!(labels(&cells["labels"]), want_labels);
    assert_eq!(
        want_labels[4..6],
        ["G01N1/28", "G01N33/1813"],
        "a tie by label"
    );
    let rest_count: f64 = rest.iter().map(|(_, c)| c).sum();
    let mut want_values: Vec<f64> = top.iter().map(|(_, c)| *c).collect();
    want_values.push(rest_count);
    assert_eq!(numbers(&cells["values"]), want_values);
    // Others is drawn, so shares are of every classification.
    let want_shares: Vec<f64> = want_values.iter().map(|v| pct(*v, total)).collect();
    assert_eq!(numbers(&cells["shares"]), want_shares);
    assert_eq!(cells["flags"][10], "others");
    // The main groups of the ten cells, by their summed counts.
    let groups = &cd["series"][1];
    assert_eq!(groups["kind"], "group");
    assert_eq!(groups["name"], "CPC main group");
    let mut sums: Vec<(String, f64)> = Vec::new();
    for (label, count) in top {
        let g = label.split('/').next().unwrap_or_default().to_owned();
        match sums.iter_mut().find(|(k, _)| *k == g) {
            Some(slot) => slot.1 += count,
            None => sums.push((g, *count)),
        }
    }
    sums.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(
        labels(&groups["labels"]),
        sums.iter().map(|(g, _)| g.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        numbers(&groups["values"]),
        sums.iter().map(|(_, v)| *v).collect::<Vec<_>>()
    );
    let totals = &cd["totals"];
    assert_eq!(totals["total"], total);
    assert_eq!(totals["others_count"], rest_count);
    assert_eq!(totals["others_entries"], 4);
    assert_eq!(totals["share_base"], "total");
    assert_eq!(totals["groups"], sums.len());
    assert_eq!(totals["main_groups_in_export"], 8.0);
    assert_eq!(cd["subtitle"], "14 subgroups in 8 main groups");
    assert_eq!(
        cd["metrics"]["group_of_cell"][0], "G01N33",
        "each cell's group"
    );
    assert!(
        svg.contains(">G01N33/24</text>"),
        "the largest cell is labelled"
    );
    assert!(
        svg.contains(">CPC main group</text>"),
        "the legend of groups"
    );
    // The built-in treemap with the same choices draws the same cells.
    let builtin = builtin(
        "cpc_treemap",
        json!({"top_n": 10, "others": true, "group_by_main_group": true}),
    );
    for k in ["labels", "values", "shares", "ranks"] {
        assert_eq!(builtin["series"][0][k], cells[k], "{k}");
    }
    assert_eq!(builtin["series"][1]["values"], groups["values"]);
}

#[test]
fn a_donut_sums_the_small_languages_into_others() {
    let Some(wasm) = polyglot::built(OVERVIEW) else {
        return;
    };
    let (cd, svg) = overview(&wasm, "languages", "en");
    assert_eq!(cd["type"], "donut");
    let slices = &cd["series"][0];
    let total: f64 = LANGUAGES.iter().map(|(_, c)| c).sum();
    // Below 2% of 297 (ja 3, fr 2, ru 1): Others; es, at 2.02%, is drawn.
    assert_eq!(
        labels(&slices["labels"]),
        [
            "English", "Chinese", "German", "Korean", "Spanish", "Others"
        ]
    );
    let values = [150.0, 120.0, 8.0, 7.0, 6.0, 6.0];
    assert_eq!(numbers(&slices["values"]), values);
    let shares: Vec<f64> = values.iter().map(|v| pct(*v, total)).collect();
    assert_eq!(numbers(&slices["shares"]), shares);
    assert_eq!(labels(&slices["flags"])[5], "others");
    let totals = &cd["totals"];
    assert_eq!(totals["total"], total);
    assert_eq!(totals["others_count"], 6);
    assert_eq!(totals["others_entries"], 3);
    assert_eq!(totals["shown_count"], 5);
    assert_eq!(totals["top_share"], pct(150.0, total));
    let others = &cd["metrics"]["others"];
    assert_eq!(others[0]["label"], "Japanese");
    assert_eq!(others[0]["count"], 3);
    assert_eq!(
        labels(&cd["notes"]),
        [
            "A family published in several languages counts once in each",
            "Others: Japanese 3, French 2, Russian 1"
        ]
    );
    assert!(svg.contains(">297</text>"), "the total in the hole");
    assert!(svg.contains(">counts in 8 languages</text>"), "its caption");
    // The built-in donut with the same limits cuts the same slices.
    let builtin = builtin("family_languages", json!({"top_n": 6, "min_share": 2}));
    for k in ["labels", "values", "shares", "ranks", "flags"] {
        assert_eq!(builtin["series"][0][k], slices[k], "{k}");
    }
}

#[test]
fn the_three_views_speak_spanish_through_the_sdk() {
    let Some(wasm) = polyglot::built(OVERVIEW) else {
        return;
    };
    let (years, _) = overview(&wasm, "years", "es");
    assert_eq!(years["locale"], "es");
    assert_eq!(years["x_axis"]["label"], "Año de publicación");
    let (fields, svg) = overview(&wasm, "fields", "es");
    assert_eq!(labels(&fields["series"][0]["labels"])[10], "Otros");
    // Shares on the cells in Spanish: a decimal comma and a spaced sign.
    assert!(
        svg.contains(">70 (33,65\u{a0}%)</text>"),
        "es shares on the cells"
    );
    let (donut, _) = overview(&wasm, "languages", "es");
    assert_eq!(labels(&donut["series"][0]["labels"])[0], "inglés");
    assert_eq!(
        labels(&donut["notes"])[1],
        "Otros: japonés 3, francés 2, ruso 1"
    );
}
