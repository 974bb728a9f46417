//! Plugins written in Python and JavaScript, built by the tests with the
//! host's own `plugin build` (authoring::toolchain), once per test process
//! and plugin. Where the toolchain is missing the test [`skip`]s with the
//! install command (CI installs both, through `.ci/run`, and runs strict).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use patchart::ErrorCode;
pub use patchart::authoring::toolchain::Contract;

use crate::skip;

/// The repository's `plugins/` directory.
pub fn plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins")
}

/// The component built from `plugins/<sub>`, or `None` (skipped, with the
/// reason) when its language's toolchain is not installed. Any other build
/// failure fails the test.
pub fn built(sub: &str) -> Option<Vec<u8>> {
    built_with(sub, &Contract::Host)
}

/// [`built`], against `contract` (a plugin's own world).
pub fn built_with(sub: &str, contract: &Contract) -> Option<Vec<u8>> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let cache = BUILT.get_or_init(Default::default);
    // Held while building: two tests of one process asking for the same
    // plugin wait for one build instead of running two.
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(wasm) = cache.get(sub) {
        return Some(wasm.clone());
    }
    let wasm = build(&plugins_dir().join(sub), contract)?;
    cache.insert(sub.to_owned(), wasm.clone());
    Some(wasm)
}

/// Builds the plugin in `dir` into `target/polyglot/`.
pub fn build(dir: &Path, contract: &Contract) -> Option<Vec<u8>> {
    let out_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/polyglot");
    std::fs::create_dir_all(&out_dir).expect("target/polyglot");
    let name = dir
        .file_name()
        .expect("a plugin directory")
        .to_string_lossy();
    let out = out_dir.join(format!("{name}.wasm"));
    match patchart::authoring::toolchain::build_with(dir, Some(&out), contract) {
        Ok(built) => Some(std::fs::read(&built.wasm).expect("the built component")),
        Err(e) if e.code == ErrorCode::PluginToolMissing => {
            skip(format!("{}: {}", dir.display(), e.message));
            None
        }
        Err(e) => panic!("building {} failed: {e}", dir.display()),
    }
}
