//! The author's loop from the command line, per language: `patchart
//! plugin new --lang …` writes a starter, `plugin build` turns it into one
//! component, and `plugin validate` and `render --plugin` take that
//! component as they take any other. Run against the built `patchart`
//! binary (`cargo build -p patchart` first when running one test alone).

use std::path::Path;
use std::process::{Command, Output};

use patchart_suite::workbook::standard_export;
use patchart_suite::{patchart_bin, skip};
use serde_json::Value;

fn patchart(dir: &Path, args: &[&str]) -> Output {
    Command::new(patchart_bin())
        .current_dir(dir)
        .args(args)
        .env("PATCHART_CACHE_DIR", dir.join("cache"))
        .output()
        .expect("patchart runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Writes, builds, validates and renders a `lang` starter called `key`;
/// the chart_data of the render, or `None` when the toolchain is missing
/// (skipped with the install command patchart printed).
fn starter_round_trip(lang: &str, key: &str) -> Option<Value> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let new = patchart(dir, &["plugin", "new", "--lang", lang, key]);
    assert!(new.status.success(), "plugin new: {}", text(&new));
    let build = patchart(dir, &["plugin", "build", key]);
    if !build.status.success() && text(&build).contains("PLUGIN_TOOL_MISSING") {
        skip(text(&build));
        return None;
    }
    assert!(build.status.success(), "plugin build: {}", text(&build));
    let wasm = format!("{key}/{key}.wasm");
    let validate = patchart(dir, &["plugin", "validate", &wasm]);
    assert!(
        validate.status.success(),
        "plugin validate: {}",
        text(&validate)
    );
    assert!(
        text(&validate).starts_with(&format!("ok: {key} 0.1.0")),
        "{}",
        text(&validate)
    );
    std::fs::write(dir.join("export.xlsx"), standard_export()).expect("workbook");
    let render = patchart(
        dir,
        &[
            "render",
            "--input",
            "export.xlsx",
            "--algorithm",
            key,
            "--plugin",
            &wasm,
            "--out",
            "out",
        ],
    );
    assert!(
        render.status.success(),
        "render --plugin: {}",
        text(&render)
    );
    let png = std::fs::read(dir.join("out/chart.png")).expect("chart.png");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let cd = std::fs::read_to_string(dir.join("out/chart_data.json")).expect("chart_data");
    Some(serde_json::from_str(&cd).expect("chart_data is JSON"))
}

/// The Python and JavaScript starters draw through the SDK: the same
/// ranked bars (and chart_data) as a built-in ranking.
fn assert_starter_chart(cd: &Value, key: &str) {
    assert_eq!(cd["algorithm"], key);
    assert_eq!(cd["type"], "horizontal_bar");
    assert_eq!(cd["series"][0]["labels"][0], "CN");
    assert_eq!(cd["series"][0]["values"][0], 20);
    assert_eq!(cd["totals"]["total"], 42);
}

#[test]
fn the_python_starter_builds_validates_and_renders() {
    if let Some(cd) = starter_round_trip("python", "py_starter") {
        assert_starter_chart(&cd, "py_starter");
    }
}

#[test]
fn the_javascript_starter_builds_validates_and_renders() {
    if let Some(cd) = starter_round_trip("js", "js_starter") {
        assert_starter_chart(&cd, "js_starter");
    }
}

#[test]
fn the_rust_starter_is_the_template_and_builds_validates_and_renders() {
    if let Some(cd) = starter_round_trip("rust", "rust_starter") {
        assert_eq!(cd["algorithm"], "rust_starter");
        assert_eq!(cd["type"], "bar");
        assert_eq!(cd["totals"]["total"], 42);
    }
}

#[test]
fn a_missing_toolchain_is_named_with_its_install_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let new = patchart(dir, &["plugin", "new", "--lang", "python", "lonely"]);
    assert!(new.status.success(), "{}", text(&new));
    // No PATH: componentize-py cannot be found.
    let build = Command::new(patchart_bin())
        .current_dir(dir)
        .args(["plugin", "build", "lonely"])
        .env_clear()
        .output()
        .expect("patchart runs");
    assert!(!build.status.success());
    let said = text(&build);
    assert!(said.contains("PLUGIN_TOOL_MISSING"), "{said}");
    assert!(
        said.contains("`componentize-py`") && said.contains("pip install componentize-py==0.25.1"),
        "{said}"
    );
}

#[test]
fn a_starter_is_never_written_over_existing_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("taken")).expect("dir");
    std::fs::write(dir.join("taken/app.py"), "mine").expect("file");
    let new = patchart(dir, &["plugin", "new", "--lang", "python", "taken"]);
    assert!(!new.status.success());
    assert!(
        text(&new).contains("PLUGIN_STARTER_REFUSED"),
        "{}",
        text(&new)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("taken/app.py")).expect("file"),
        "mine"
    );
}
