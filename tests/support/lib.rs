//! Shared fixtures of patchart's end-to-end suite: datasets built in code,
//! a plugin runtime with a compile cache under `target/`, the location
//! of the optional shared Espacenet export, and skips that CI refuses.

pub mod browser;
pub mod cluster;
pub mod console;
pub mod integrity;
pub mod polyglot;
pub mod process;
pub mod server;
pub mod workbook;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use patchart::plugins::{PluginRegistry, PluginRuntime, RuntimeConfig};
use patchart::{Dataset, Entry, Facet};

/// Set to `1` (CI does) to make every [`skip`] a failure: CI has the shared
/// data, so a test that would skip there has lost its input, and passing
/// would hide that it checked nothing.
pub const STRICT_ENV: &str = "PATCHART_TEST_STRICT";

/// Ends a test's run early with `skipping: <reason>`, or panics with the
/// reason when [`STRICT_ENV`] is `1`. The caller returns after it.
pub fn skip(reason: impl std::fmt::Display) {
    if std::env::var(STRICT_ENV).is_ok_and(|v| v == "1") {
        panic!("{STRICT_ENV}=1 and this test would skip: {reason}");
    }
    note(format_args!("skipping: {reason}"));
}

/// A line for whoever runs the suite. Written to the process's stderr
/// itself, past the test harness's capture, so a test that passes still
/// shows it.
pub fn note(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `../shared/data/<sub>` next to the repository, when this checkout has
/// it. Callers that cannot run without it [`skip`] when it is `None`.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("data").join(sub))
        .find(|p| p.exists())
}

/// Every `.xlsx` of the shared Espacenet exports, sorted; empty, with the
/// reason [`skip`]ped, when there is none.
pub fn shared_exports() -> Vec<PathBuf> {
    let Some(dir) = shared_data("espacenet") else {
        skip("../shared/data/espacenet not found");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("xlsx"))
            })
            .collect(),
        Err(e) => {
            skip(format!("{} cannot be read: {e}", dir.display()));
            return Vec::new();
        }
    };
    if files.is_empty() {
        skip(format!("{} holds no .xlsx export", dir.display()));
    }
    files.sort();
    files
}

/// The first shared Espacenet export, or `None` with the reason
/// [`skip`]ped.
pub fn shared_export() -> Option<PathBuf> {
    shared_exports().into_iter().next()
}

/// A process-wide runtime whose compile cache lives in `target/`, so the
/// many tests of one run compile each plugin once.
pub fn runtime() -> Arc<PluginRuntime> {
    static RT: OnceLock<Arc<PluginRuntime>> = OnceLock::new();
    RT.get_or_init(|| {
        let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("test-compile-cache");
        PluginRuntime::new(RuntimeConfig {
            cache_dir: Some(cache),
            ..RuntimeConfig::default()
        })
        .expect("plugin runtime starts")
    })
    .clone()
}

/// A registry over [`runtime`] with no plugins loaded yet (built-ins load
/// on first use).
pub fn registry() -> PluginRegistry {
    PluginRegistry::new(runtime())
}

/// A component left by the build in the plugin build directory.
pub fn plugin_wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(patchart::plugins::PLUGIN_BUILD_DIR).join(format!("{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (host/build.rs builds it)", path.display()))
}

/// The registry-test plugin (`hostile_variant`, key `variant_probe`) as
/// `mode` at `version`: its marker rewritten in the component's data.
/// `salt` changes the bytes (and hash) without changing what the plugin
/// says about itself.
pub fn variant(mode: &str, version: &str, salt: u8) -> Vec<u8> {
    const MARKER: &[u8] = b"PATCHART-VARIANT:";
    let mut wasm = plugin_wasm("hostile_variant");
    let at: Vec<usize> = wasm
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == MARKER)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the marker must occur exactly once");
    let text = format!("PATCHART-VARIANT:{mode}:{version}");
    let mut marker = [0u8; 64];
    marker[..text.len()].copy_from_slice(text.as_bytes());
    marker[63] = salt;
    wasm[at[0]..at[0] + 64].copy_from_slice(&marker);
    wasm
}

fn facet(name: &str, rows: &[(&str, u64)]) -> Facet {
    Facet {
        name: name.to_string(),
        source_name: name.to_string(),
        entries: rows
            .iter()
            .map(|(l, c)| Entry {
                label: l.to_string(),
                count: *c,
            })
            .collect(),
    }
}

/// A small dataset shaped like an Espacenet export, built in code.
pub fn sample_dataset() -> Dataset {
    Dataset {
        source_type: "espacenet_excel".into(),
        file_name: "sample.xlsx".into(),
        sha256: "0".repeat(64),
        query: Some("ctxt all \"sample\"".into()),
        result_count: Some(120),
        facets: vec![
            facet(
                "countries",
                &[
                    ("CN", 50),
                    ("US", 20),
                    ("WO", 12),
                    ("EP", 9),
                    ("EC", 2),
                    ("KR", 9),
                    ("<script>alert(1)</script> & co", 3),
                    ("ES", 5),
                    ("MX", 1),
                ],
            ),
            facet("languages", &[("en", 70), ("zh", 50), ("es", 5)]),
            facet(
                "publication_years",
                &[
                    ("2018", 8),
                    ("2019", 11),
                    ("2020", 15),
                    ("2021", 19),
                    ("2022", 22),
                    ("2023", 25),
                    ("2024", 14),
                    ("2025", 6),
                ],
            ),
        ],
    }
}

/// The `patchart` binary cargo built for this test run (next to the test
/// executable's `deps/` directory), for tests that run the server as a
/// process.
pub fn patchart_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("patchart"))
        .expect("target dir");
    assert!(
        bin.is_file(),
        "{} not built; run the suite with `cargo test --workspace`",
        bin.display()
    );
    bin
}
