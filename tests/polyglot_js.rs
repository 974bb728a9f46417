//! The JavaScript example, `plugins/examples/ipc_sections`, built with
//! componentize-js by `patchart plugin build` (its locked toolchain
//! installed by `npm ci`, the SDK component composed in): sections summed
//! from a workbook written here, named in English and Spanish, drawn as
//! ranked bars and as a donut, and the same component dropped into a
//! running server's plugins directory and run as a job.

use std::time::{Duration, Instant};

use patchart::ingest::{IngestLimits, ingest_bytes};
use patchart::style::resolve;
use patchart_suite::server::TestServer;
use patchart_suite::workbook::{facet, query_sheet, xlsx};
use patchart_suite::{polyglot, runtime};
use serde_json::{Value, json};

const EXAMPLE: &str = "examples/ipc_sections";
const KEY: &str = "ipc_sections";

fn workbook() -> Vec<u8> {
    xlsx(&[
        query_sheet("42 results found for ctxt all \"phytorem*\""),
        facet(
            "IPC main groups",
            "IPC main groups",
            &[
                ("G01N33", 150.0),
                ("C02F1", 12.0),
                ("G01N1", 30.0),
                ("B09C1", 9.0),
                ("A01G22", 4.0),
                ("C12N15", 8.0),
                ("H01M10", 1.0),
                ("not a symbol", 5.0),
            ],
        ),
    ])
}

fn render(wasm: &[u8], locale: &str) -> (Value, Vec<String>) {
    let (cd, warnings, _) = render_with(wasm, locale, &json!({}));
    (cd, warnings)
}

fn render_with(wasm: &[u8], locale: &str, params: &Value) -> (Value, Vec<String>, String) {
    let dataset = ingest_bytes(
        "espacenet_excel",
        "Filters.xlsx",
        &workbook(),
        &IngestLimits::default(),
    )
    .expect("the workbook ingests");
    let rt = runtime();
    let plugin = rt.load(wasm, None).expect("the JavaScript example loads");
    assert_eq!(plugin.info.key, KEY);
    let style = resolve(&json!({ "locale": locale })).expect("style");
    let out = rt
        .render(&plugin, &dataset, params, &style, None)
        .unwrap_or_else(|f| panic!("the JavaScript example renders: {f}"));
    (out.chart_data, out.warnings, out.svg)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sections_are_summed_from_the_main_groups_and_ranked() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let (cd, warnings) = render(&wasm, "en");
    assert_eq!(cd["type"], "horizontal_bar");
    assert_eq!(cd["algorithm"], KEY);
    let series = &cd["series"][0];
    assert_eq!(
        strings(&series["labels"]),
        [
            "G – Physics",
            "C – Chemistry; metallurgy",
            "B – Performing operations; transporting",
            "A – Human necessities",
            "H – Electricity",
        ]
    );
    assert_eq!(series["values"], json!([180, 20, 9, 4, 1]));
    let totals = &cd["totals"];
    assert_eq!(totals["total"], 214);
    assert_eq!(totals["groups"], 7.0);
    assert_eq!(totals["sections"], 5.0);
    assert_eq!(totals["section_G"], 180.0);
    assert_eq!(totals["section_D"], 0.0);
    assert_eq!(totals["skipped_labels"], 1.0);
    assert!(
        warnings
            .iter()
            .any(|w| w == "Left out, not IPC symbols: 1 of the ipc_main_groups labels (5 pairs)"),
        "{warnings:?}"
    );
}

#[test]
fn spanish_names_the_sections_in_spanish() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let (cd, _) = render(&wasm, "es");
    assert_eq!(cd["locale"], "es");
    assert_eq!(cd["title"], "Documentos de patente por sección de la CIP");
    let labels = strings(&cd["series"][0]["labels"]);
    assert_eq!(labels[0], "G – Física");
    assert_eq!(labels[1], "C – Química; metalurgia");
    assert_eq!(
        cd["subtitle"],
        "214 pares grupo–documento en 7 grupos principales de la CIP, 5 secciones"
    );
}

#[test]
fn as_a_donut_every_section_is_a_slice_with_its_share() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    let (cd, _, svg) = render_with(&wasm, "en", &json!({"shape": "donut"}));
    assert_eq!(cd["type"], "donut");
    let series = &cd["series"][0];
    assert_eq!(
        strings(&series["labels"])[..2],
        ["G – Physics", "C – Chemistry; metallurgy"]
    );
    // 180, 20, 9, 4 and 1 of 214 pairs; no Others, whatever their size.
    assert_eq!(series["values"], json!([180, 20, 9, 4, 1]));
    assert_eq!(series["shares"], json!([84.11, 9.35, 4.21, 1.87, 0.47]));
    assert_eq!(strings(&series["flags"]), ["", "", "", "", ""]);
    let totals = &cd["totals"];
    assert_eq!(totals["total"], 214);
    assert_eq!(totals["others_count"], 0);
    assert_eq!(totals["min_share"], 0);
    assert_eq!(totals["section_G"], 180.0, "the plugin's own figures");
    assert!(svg.contains(">214</text>"), "the total in the hole");
    assert!(svg.contains(">pairs in 5 sections</text>"), "its caption");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_into_the_plugins_directory_it_runs_as_a_job() {
    let Some(wasm) = polyglot::built(EXAMPLE) else {
        return;
    };
    // Compiled beforehand (the cache is shared), so the wait is for the
    // watcher alone.
    runtime().load(&wasm, None).expect("loads");
    let s = TestServer::start().await;
    std::fs::write(
        s.dir.path().join("plugins").join("ipc_sections.wasm"),
        &wasm,
    )
    .expect("drop the component in");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = s.get_json(&s.admin_token, "/api/algorithms/").await;
        let found = list
            .as_array()
            .or_else(|| list["algorithms"].as_array())
            .is_some_and(|a| a.iter().any(|x| x["key"] == KEY));
        if found {
            break;
        }
        assert!(Instant::now() < deadline, "not picked up: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    assert_eq!(
        done["image_tasks"][0]["chart_data"]["totals"]["section_G"], 180.0,
        "{done}"
    );
}
