//! Which plugins exist: the built-ins compiled into the binary and any
//! loaded from files, each identified by key, version and content hash.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::runtime::{LoadedPlugin, PluginRuntime};
use crate::error::{Error, ErrorCode, Result};

/// A plugin component compiled into the binary by `host/build.rs`.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPlugin {
    /// Crate name under `plugins/charts/`, which is also the plugin's key.
    pub crate_name: &'static str,
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// Where the build left every plugin component (built-ins and the hostile
/// ones the sandbox tests use), for tools and tests.
pub const PLUGIN_BUILD_DIR: &str = env!("PATCHART_PLUGIN_BUILD_DIR");

/// Loaded plugins by key; several versions of one key may coexist.
pub struct PluginRegistry {
    runtime: Arc<PluginRuntime>,
    plugins: RwLock<BTreeMap<String, Vec<Arc<LoadedPlugin>>>>,
}

impl PluginRegistry {
    pub fn new(runtime: Arc<PluginRuntime>) -> Self {
        PluginRegistry {
            runtime,
            plugins: RwLock::new(BTreeMap::new()),
        }
    }

    pub fn runtime(&self) -> &Arc<PluginRuntime> {
        &self.runtime
    }

    /// Loads every built-in plugin. A built-in that fails to load is a
    /// defect of the build, reported with its crate name.
    pub fn load_builtins(&self) -> Result<()> {
        for b in BUILTIN_PLUGINS {
            self.load_builtin(b)?;
        }
        Ok(())
    }

    fn load_builtin(&self, b: &BuiltinPlugin) -> Result<Arc<LoadedPlugin>> {
        let plugin = self.runtime.load(b.wasm, None).map_err(|e| {
            Error::new(
                e.code,
                format!("built-in plugin {}: {}", b.crate_name, e.message),
            )
        })?;
        if plugin.info.key != b.crate_name {
            return Err(Error::new(
                ErrorCode::PluginLoadFailed,
                format!(
                    "built-in plugin crate {} reports key {:?}; the two must match",
                    b.crate_name, plugin.info.key
                ),
            ));
        }
        Ok(self.register(plugin))
    }

    /// Loads a component from bytes and registers it.
    pub fn load_bytes(&self, wasm: &[u8]) -> Result<Arc<LoadedPlugin>> {
        let plugin = self.runtime.load(wasm, None)?;
        Ok(self.register(plugin))
    }

    /// Adds `plugin`, replacing one with the same key and version.
    pub fn register(&self, plugin: LoadedPlugin) -> Arc<LoadedPlugin> {
        let plugin = Arc::new(plugin);
        let mut map = self.plugins.write().unwrap_or_else(|p| p.into_inner());
        let versions = map.entry(plugin.info.key.clone()).or_default();
        versions.retain(|p| p.info.version != plugin.info.version);
        versions.push(plugin.clone());
        versions.sort_by(|a, b| compare_versions(&a.info.version, &b.info.version));
        plugin
    }

    /// The plugin `key` at `version`, or its newest version. A built-in not
    /// yet loaded is loaded on first use, so one-off commands compile only
    /// what they need.
    pub fn get(&self, key: &str, version: Option<&str>) -> Result<Arc<LoadedPlugin>> {
        if let Some(p) = self.find(key, version) {
            return Ok(p);
        }
        if let Some(b) = BUILTIN_PLUGINS.iter().find(|b| b.crate_name == key) {
            self.load_builtin(b)?;
            if let Some(p) = self.find(key, version) {
                return Ok(p);
            }
        }
        let known = self.keys();
        Err(Error::new(
            ErrorCode::PluginNotFound,
            match version {
                Some(v) => format!(
                    "no plugin {key} version {v}; available: {}",
                    self.versions(key).join(", ")
                ),
                None => format!("unknown algorithm {key:?}; available: {}", known.join(", ")),
            },
        ))
    }

    fn find(&self, key: &str, version: Option<&str>) -> Option<Arc<LoadedPlugin>> {
        let map = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        let versions = map.get(key)?;
        match version {
            Some(v) => versions.iter().find(|p| p.info.version == v).cloned(),
            None => versions.last().cloned(),
        }
    }

    fn versions(&self, key: &str) -> Vec<String> {
        let map = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .map(|v| v.iter().map(|p| p.info.version.clone()).collect())
            .unwrap_or_default()
    }

    /// Every key, loaded or built in.
    pub fn keys(&self) -> Vec<String> {
        let map = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<String> = map.keys().cloned().collect();
        keys.extend(BUILTIN_PLUGINS.iter().map(|b| b.crate_name.to_string()));
        keys.sort();
        keys.dedup();
        keys
    }

    /// Every loaded plugin version, by key then version.
    pub fn list(&self) -> Vec<Arc<LoadedPlugin>> {
        let map = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        map.values().flat_map(|v| v.iter().cloned()).collect()
    }
}

/// Orders versions numerically where they are dotted numbers ("1.10.0" >
/// "1.9.0"), falling back to text order.
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
