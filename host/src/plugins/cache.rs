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
