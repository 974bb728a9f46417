//! Every built-in chart, rendered through the sandbox:
//! - on a workbook this test writes itself, the SVG is byte-identical across
//!   runs and equal to the committed golden file (`tests/golden/<key>.svg`;
//!   regenerate with `PATCHART_UPDATE_GOLDENS=1 cargo test --test goldens`
//!   and review the diff);
//! - chart_data validates against the committed chart-data schema;
//! - on the shared export (when present) every number the replaced system
//!   reported for the same chart is found in ours; which charts have no
//!   reference is written down, and every reference compares something.

use std::path::PathBuf;

use patchart::ingest::{IngestLimits, ingest_bytes, ingest_path};
use patchart::plugins::{BUILTIN_PLUGINS, CHART_DATA_SCHEMA};
use patchart::style::ResolvedStyle;
use patchart_suite::workbook::full_export;
use patchart_suite::{note, registry, runtime, shared_data, shared_export, skip};
use serde_json::{Value, json};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn render(
    key: &str,
    dataset: &patchart::Dataset,
    params: &Value,
) -> patchart::plugins::PluginOutput {
    let plugin = registry().get(key, None).expect("built-in");
    runtime()
        .render(&plugin, dataset, params, &ResolvedStyle::default(), None)
        .unwrap_or_else(|f| panic!("{key}: {f}"))
}

#[test]
fn every_chart_matches_its_golden_svg_and_the_schema() {
    let dataset = ingest_bytes(
        "espacenet_excel",
        "golden.xlsx",
        &full_export(),
        &IngestLimits::default(),
    )
    .expect("fixture");
    let schema: Value = serde_json::from_str(CHART_DATA_SCHEMA).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let update = std::env::var_os("PATCHART_UPDATE_GOLDENS").is_some();
    let mut mismatched = Vec::new();
    assert!(BUILTIN_PLUGINS.len() >= 11, "eleven charts are built in");
    for b in BUILTIN_PLUGINS {
        let a = render(b.crate_name, &dataset, &json!({}));
        let again = render(b.crate_name, &dataset, &json!({}));
        assert_eq!(
            a.svg, again.svg,
            "{}: SVG differs between two runs",
            b.crate_name
        );
        let errors: Vec<String> = validator
            .iter_errors(&a.chart_data)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{}: chart_data breaks the schema: {errors:?}",
            b.crate_name
        );
        assert_eq!(a.chart_data["algorithm"], b.crate_name);
        let path = golden_dir().join(format!("{}.svg", b.crate_name));
        if update {
            std::fs::create_dir_all(golden_dir()).expect("mkdir");
            std::fs::write(&path, &a.svg).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(golden) if golden == a.svg => {}
            Ok(_) => mismatched.push(b.crate_name),
            Err(e) => panic!(
                "{}: {e}; run with PATCHART_UPDATE_GOLDENS=1 to create it",
                path.display()
            ),
        }
    }
    assert!(
        mismatched.is_empty(),
        "SVG differs from the golden file for {mismatched:?}"
    );
}

/// Lower-case, single-spaced; the old system title-cased and wrapped names.
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// (label, value) pairs the old system reported, per shape it used.
fn reference_pairs(chart_data: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let series = chart_data["series"].as_array().cloned().unwrap_or_default();
    for item in series.iter().chain(
        chart_data["historical_series"]
            .as_array()
            .into_iter()
            .flatten(),
    ) {
        if let (Some(name), Some(v)) = (item["name"].as_str(), item["value"].as_f64()) {
            out.push((name.to_string(), v));
        }
        if let Some(year) = item["year"].as_i64() {
            for k in [
                "publications",
                "annual_publications",
                "cumulative_publications",
                "value",
            ] {
                if let Some(v) = item[k].as_f64() {
                    out.push((year.to_string(), v));
                }
            }
        }
        // Bar charts: one series of parallel `labels` and `data`.
        if let (Some(labels), Some(data)) = (item["labels"].as_array(), item["data"].as_array()) {
            assert_eq!(
                labels.len(),
                data.len(),
                "a reference series has {} labels for {} values",
                labels.len(),
                data.len()
            );
            for (label, v) in labels.iter().zip(data) {
                if let (Some(label), Some(v)) = (label.as_str(), v.as_f64()) {
                    out.push((label.to_string(), v));
                }
            }
        }
    }
    out
}

/// Whether some series of ours has `label` with `value`.
fn ours_has(chart_data: &Value, label: &str, value: f64) -> bool {
    let want = norm(label);
    let prefix = want.strip_suffix("...").map(str::to_string);
    let matches = |l: &str| {
        let l = norm(l);
        match &prefix {
            Some(p) => l.starts_with(p.trim_end()),
            None => l == want,
        }
    };
    chart_data["series"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| {
            let labels = s["labels"].as_array().cloned().unwrap_or_default();
            let values = s["values"].as_array().cloned().unwrap_or_default();
            labels.iter().zip(values.iter()).any(|(l, v)| {
                l.as_str().is_some_and(matches)
                    && v.as_f64().is_some_and(|x| (x - value).abs() < 1e-6)
            })
        })
}

/// Built-in charts the replaced system never drew, so there is no reference
/// to compare them with. A reference appearing for one of them, or missing
/// for any other, fails the comparison below instead of changing what it
/// compares.
const WITHOUT_REFERENCE: [&str; 3] = [
    "applicant_vs_inventor_countries",
    "family_languages",
    "top_classification_groups",
];

#[test]
fn numbers_equal_the_replaced_system_on_the_shared_export() {
    let Some(export) = shared_export() else {
        return;
    };
    let Some(references) = shared_data("reference") else {
        skip("../shared/data/reference not found");
        return;
    };
    let keys: Vec<&str> = BUILTIN_PLUGINS.iter().map(|b| b.crate_name).collect();
    for key in WITHOUT_REFERENCE {
        assert!(keys.contains(&key), "{key} is not a built-in chart");
    }
    let mut strays: Vec<String> = std::fs::read_dir(&references)
        .expect("read the reference folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".chart_data.json").map(str::to_string))
        .filter(|k| !keys.contains(&k.as_str()))
        .collect();
    strays.sort();
    assert!(
        strays.is_empty(),
        "references for charts that are not built in: {strays:?}"
    );

    let dataset =
        ingest_path("espacenet_excel", &export, &IngestLimits::default()).expect("ingest");
    let mut compared = Vec::new();
    let mut missing = Vec::new();
    for b in BUILTIN_PLUGINS {
        let path = references.join(format!("{}.chart_data.json", b.crate_name));
        let expected = !WITHOUT_REFERENCE.contains(&b.crate_name);
        match (path.exists(), expected) {
            (true, true) => {}
            (false, false) => continue,
            (true, false) => panic!(
                "{}: a reference appeared for {}; take it off WITHOUT_REFERENCE so it is compared",
                path.display(),
                b.crate_name
            ),
            (false, true) => panic!(
                "{}: the reference for {} is gone",
                path.display(),
                b.crate_name
            ),
        }
        let reference: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        // Same params as the old run; where we add an Others aggregate the
        // old charts lacked, the per-label numbers still compare.
        let params = reference["params"].clone();
        let params = if params.is_object() {
            params
        } else {
            json!({})
        };
        let ours = render(b.crate_name, &dataset, &params);
        let pairs = reference_pairs(&reference["chart_data"]);
        assert!(
            !pairs.is_empty(),
            "{}: no number of the reference was read; reference_pairs does not know its shape",
            b.crate_name
        );
        for (label, value) in &pairs {
            // The old forecast's "history" is the same yearly series; its
            // forecasts come from other models and are not compared.
            if !ours_has(&ours.chart_data, label, *value) {
                missing.push(format!("{}: {label:?} = {value}", b.crate_name));
            }
        }
        compared.push((b.crate_name, pairs.len()));
    }
    note(format_args!(
        "compared with the replaced system: {compared:?}; no reference (never drawn by it): {WITHOUT_REFERENCE:?}"
    ));
    assert!(
        missing.is_empty(),
        "numbers the old system reported that ours does not have: {missing:#?}"
    );
    let total: usize = compared.iter().map(|(_, n)| n).sum();
    assert!(total > 50, "compared only {total} numbers");
}
