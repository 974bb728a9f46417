//! The Python example, `plugins/examples/applicant_concentration`, built
//! with componentize-py by `patchart plugin build` (the SDK component
//! composed in): its numbers checked against a workbook written here,
//! its picture drawn by the SDK, and the same component uploaded to a
//! running server and run as a job.

use patchart::ingest::{IngestLimits, ingest_bytes};
use patchart::style::resolve;
use patchart_suite::server::TestServer;
use patchart_suite::workbook::{facet, query_sheet, xlsx};
use patchart_suite::{polyglot, runtime};
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
