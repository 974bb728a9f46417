//! Shared fixtures of patchart's end-to-end suite: datasets built in code,
//! a plugin runtime with a compile cache under `target/`, and the location
//! of the optional shared Espacenet export.

pub mod integrity;
pub mod server;
pub mod workbook;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use patchart::plugins::{PluginRegistry, PluginRuntime, RuntimeConfig};
use patchart::{Dataset, Entry, Facet};

/// `../shared/data/<sub>` next to the repository, when this checkout has
/// it. Tests that need it print why they skip and pass when it is absent.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("data").join(sub))
        .find(|p| p.exists())
}

/// The shared Espacenet export, or `None` with a skip message printed.
pub fn shared_export() -> Option<PathBuf> {
    let dir = match shared_data("espacenet") {
        Some(d) => d,
        None => {
            eprintln!("skipping: ../shared/data/espacenet not found");
            return None;
        }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .collect();
    files.sort();
    files.into_iter().next()
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
