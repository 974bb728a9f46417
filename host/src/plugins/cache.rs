//! Compiled plugins cached on disk, keyed by the sha256 of the component
//! and the engine's compatibility hash, so a restart skips Cranelift and a
//! changed engine (other wasmtime version, other settings) never loads a
//! stale artifact.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components live. `None` disables caching.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_tag: String,
}

impl CompileCache {
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        CompileCache {
            dir,
            engine_tag: format!("{:016x}", h.finish()),
        }
    }

    fn path_for(&self, sha256: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.engine_tag)))
    }

    fn check_marker(&self, sha256: &str, limits: &impl std::fmt::Debug) -> Option<PathBuf> {
        let mut h = DefaultHasher::new();
        format!("{limits:?}").hash(&mut h);
        self.dir.as_ref().map(|d| {
            d.join(format!(
                "{sha256}-{}-{}-{:016x}.checked",
                self.engine_tag,
                env!("CARGO_PKG_VERSION"),
                h.finish()
            ))
        })
    }

    /// Whether this version of patchart, on this engine and under these
    /// limits, has seen the component `sha256` pass the checks a new build
    /// passes (the smoke render): the same bytes pass them the same way,
    /// so a restart need not draw every plugin of the watched directory
    /// again.
    pub fn passed_checks(&self, sha256: &str, limits: &impl std::fmt::Debug) -> bool {
        self.check_marker(sha256, limits)
            .is_some_and(|p| p.is_file())
    }

    /// Remembers that `sha256` passed (see [`Self::passed_checks`]). A
    /// marker that cannot be written only costs a check on the next start.
    pub fn mark_passed_checks(&self, sha256: &str, limits: &impl std::fmt::Debug) {
        if let Some(p) = self.check_marker(sha256, limits)
            && let Err(e) = std::fs::write(&p, b"")
        {
            tracing::warn!(path = %p.display(), error = %e, "could not remember a passed plugin check");
        }
    }

    /// The compiled component `sha256` if the cache holds a loadable one.
    pub fn load(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let p = self.path_for(sha256).filter(|p| p.is_file())?;
        // SAFETY: as in `load_or_compile`.
        match unsafe { Component::deserialize_file(engine, &p) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "discarding unreadable compiled plugin");
                None
            }
        }
    }

    fn dir_file_marker(&self, path: &Path, len: u64, modified_ns: u128) -> Option<PathBuf> {
        let mut h = DefaultHasher::new();
        (path, len, modified_ns, &self.engine_tag).hash(&mut h);
        self.dir
            .as_ref()
            .map(|d| d.join(format!("file-{:016x}.sha256", h.finish())))
    }

    /// The sha256 a file of the plugins directory had when it last loaded
    /// with this length and modification time: a restart then loads its
    /// build from the cache without reading and hashing the file again,
    /// trusting size and time as the directory scan does between scans.
    pub fn dir_file_sha(&self, path: &Path, len: u64, modified_ns: u128) -> Option<String> {
        let sha = std::fs::read_to_string(self.dir_file_marker(path, len, modified_ns)?).ok()?;
        let sha = sha.trim();
        (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha.to_string())
    }

    /// Remembers the sha256 of a directory file that loaded.
    pub fn remember_dir_file(&self, path: &Path, len: u64, modified_ns: u128, sha256: &str) {
        if let Some(p) = self.dir_file_marker(path, len, modified_ns)
            && let Err(e) = std::fs::write(&p, sha256)
        {
            tracing::warn!(path = %p.display(), error = %e, "could not remember a plugin file's hash");
        }
    }

    /// The compiled component for `wasm` (whose hash is `sha256`): from the
    /// cache when present and loadable, else compiled and stored.
    /// Returns the component and whether it came from the cache.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        sha256: &str,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let path = self.path_for(sha256);
        if let Some(p) = path.as_deref().filter(|p| p.is_file()) {
            // SAFETY: files in the cache directory are written only by
            // `store` below from `Component::serialize` of this same engine
            // configuration (the engine tag is in the name). A corrupt file
            // fails deserialisation's header checks and is recompiled.
            match unsafe { Component::deserialize_file(engine, p) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "discarding unreadable compiled plugin")
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Some(p) = path
            && let Err(e) = store(&p, &component)
        {
            tracing::warn!(path = %p.display(), error = %e, "could not cache compiled plugin");
        }
        Ok((component, false))
    }
}

fn store(path: &Path, component: &Component) -> anyhow::Result<()> {
    let bytes = component.serialize()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Write then rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::CompileCache;

    #[test]
    fn a_passed_check_is_remembered_per_build_and_limits() {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = wasmtime::Engine::default();
        let cache = CompileCache::new(&engine, Some(dir.path().to_path_buf()));
        assert!(!cache.passed_checks("abc", &1));
        cache.mark_passed_checks("abc", &1);
        assert!(cache.passed_checks("abc", &1));
        assert!(!cache.passed_checks("abd", &1), "another build");
        assert!(!cache.passed_checks("abc", &2), "other limits");
        let file = std::path::Path::new("/plugins/a.wasm");
        assert_eq!(cache.dir_file_sha(file, 10, 7), None);
        cache.remember_dir_file(file, 10, 7, &"ab".repeat(32));
        assert_eq!(cache.dir_file_sha(file, 10, 7), Some("ab".repeat(32)));
        assert_eq!(cache.dir_file_sha(file, 11, 7), None, "another length");
        assert_eq!(cache.dir_file_sha(file, 10, 8), None, "another time");
        // Without a cache directory nothing is remembered.
        let none = CompileCache::new(&engine, None);
        none.mark_passed_checks("abc", &1);
        assert!(!none.passed_checks("abc", &1));
    }
}
