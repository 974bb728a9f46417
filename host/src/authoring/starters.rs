//! `patchart plugin new --lang rust|python|js <dir>`: a working plugin to
//! start from, written from files compiled into the binary, so the
//! starter matches the contract and SDK of the host that wrote it.
//!
//! - Rust: `plugins/template`, the crate the Rust guide starts from;
//! - Python: `plugins/starters/python`, one module and a pinned
//!   componentize-py;
//! - JavaScript: `plugins/starters/js`, an npm package whose
//!   `package.json` and `package-lock.json` pin componentize-js.
//!
//! Python and JavaScript starters carry no WIT: `patchart plugin build`
//! builds them against the contract compiled into the binary, the one the
//! host that loads them implements.

use std::path::{Path, PathBuf};

use super::Lang;
use crate::error::{Error, ErrorCode, Result};

/// The key each starter is committed with; replaced by the new plugin's.
const RUST_KEY: &str = "patchart_plugin_template";
const STARTER_KEY: &str = "starter_chart";

const RUST: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../../plugins/template/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../plugins/template/src/lib.rs"),
    ),
    (
        "src/draw.rs",
        include_str!("../../../plugins/template/src/draw.rs"),
    ),
    (
        "src/texts.rs",
        include_str!("../../../plugins/template/src/texts.rs"),
    ),
    (
        "src/tests.rs",
        include_str!("../../../plugins/template/src/tests.rs"),
    ),
    (".gitignore", "/target\n/*.wasm\n"),
];

const PYTHON: &[(&str, &str)] = &[
    (
        "app.py",
        include_str!("../../../plugins/starters/python/app.py"),
    ),
    (
        "requirements.txt",
        include_str!("../../../plugins/starters/python/requirements.txt"),
    ),
    (".gitignore", "/*.wasm\n__pycache__/\n"),
];

const JS: &[(&str, &str)] = &[
    (
        "app.js",
        include_str!("../../../plugins/starters/js/app.js"),
    ),
    (
        "package.json",
        include_str!("../../../plugins/starters/js/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../../plugins/starters/js/package-lock.json"),
    ),
    (".gitignore", "/*.wasm\nnode_modules/\n"),
];

/// The SDK of the checkout this binary was built from: where a new Rust
/// plugin's Cargo.toml points, since the SDK is not on crates.io.
const SDK_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/sdk");

/// What `new` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Starter {
    pub key: String,
    pub files: Vec<PathBuf>,
}

/// Writes the `lang` starter into `dir` (created; it must be empty if it
/// exists) with the key derived from the directory's name.
pub fn write(lang: Lang, dir: &Path) -> Result<Starter> {
    let key = key_for(dir)?;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::new(
                ErrorCode::PluginStarterRefused,
                format!(
                    "{} already exists and is not empty; name a new directory (its name becomes the plugin key)",
                    dir.display()
                ),
            ));
        }
    }
    let files: Vec<(&str, &str)> = match lang {
        Lang::Rust => RUST.to_vec(),
        Lang::Python => PYTHON.to_vec(),
        Lang::Js => JS.to_vec(),
    };
    let sdk = std::fs::canonicalize(SDK_PATH).unwrap_or_else(|_| PathBuf::from(SDK_PATH));
    let mut written = Vec::new();
    for (name, text) in files {
        let text = match lang {
            Lang::Rust => {
                let t = text.replace(RUST_KEY, &key);
                if name == "Cargo.toml" {
                    t.replace(
                        r#"patchart-sdk = { path = "../sdk" }"#,
                        &format!(
                            "patchart-sdk = {{ path = {:?} }}",
                            sdk.display().to_string()
                        ),
                    )
                } else {
                    t
                }
            }
            Lang::Python | Lang::Js => text.replace(STARTER_KEY, &key),
        };
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    Ok(Starter {
        key,
        files: written,
    })
}

/// The plugin key for `dir`: its name, lower-cased, with every character
/// outside a-z and 0-9 turned into `_`.
pub fn key_for(dir: &Path) -> Result<String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let key: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() || key.len() > 64 || !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(Error::new(
            ErrorCode::PluginStarterRefused,
            format!(
                "the directory name {name:?} does not make a plugin key: it must start with a letter \
                 and have at most 64 characters (e.g. `applicant_concentration`)"
            ),
        ));
    }
    Ok(key)
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorCode::Internal, format!("{}: {e}", path.display()))
}
