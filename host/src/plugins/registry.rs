//! Which plugins exist: the built-ins compiled into the binary, those
//! dropped into the plugins directory and those uploaded by operators. A
//! plugin is its key, its version (both from `info()`) and the sha256 of
//! its component.
//!
//! New work resolves to the newest *enabled* version of a key (or to the
//! pinned one); work already accepted holds the exact build by hash, so a
//! plugin replaced, disabled or retired meanwhile still finishes what it
//! started. Retired builds therefore stay in memory, only out of reach of
//! new jobs.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

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

/// Where the build left every plugin component (built-ins and the test
/// components the sandbox tests use), for tools and tests.
pub const PLUGIN_BUILD_DIR: &str = env!("PATCHART_PLUGIN_BUILD_DIR");

/// Where a registered plugin came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginSource {
    Builtin,
    Directory,
    Upload,
}

impl PluginSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginSource::Builtin => "builtin",
            PluginSource::Directory => "directory",
            PluginSource::Upload => "upload",
        }
    }
}

/// Whether new jobs may use a plugin build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginStatus {
    Enabled,
    /// Kept, but refused for new jobs until enabled again.
    Disabled,
    /// Gone for good: its file was removed or an operator retired it.
    Retired,
}

impl PluginStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginStatus::Enabled => "enabled",
            PluginStatus::Disabled => "disabled",
            PluginStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(PluginStatus::Enabled),
            "disabled" => Some(PluginStatus::Disabled),
            "retired" => Some(PluginStatus::Retired),
            _ => None,
        }
    }
}

/// One registered build of a plugin.
#[derive(Debug, Clone)]
pub struct Registered {
    pub plugin: Arc<LoadedPlugin>,
    pub source: PluginSource,
    /// The crate name, file path or uploaded file name it came from.
    pub origin: String,
    pub status: PluginStatus,
    /// RFC 3339 time of registration in this process.
    pub registered_at: String,
    /// Registration order, which breaks ties between builds of one version.
    seq: u64,
}

impl Registered {
    pub fn key(&self) -> &str {
        &self.plugin.info.key
    }

    pub fn version(&self) -> &str {
        &self.plugin.info.version
    }

    pub fn sha256(&self) -> &str {
        &self.plugin.sha256
    }
}

#[derive(Default)]
struct Inner {
    /// Every build ever registered in this process, by key.
    by_key: BTreeMap<String, Vec<Registered>>,
    next_seq: u64,
}

impl Inner {
    fn find_sha(&self, sha256: &str) -> Option<&Registered> {
        self.by_key
            .values()
            .flatten()
            .find(|r| r.plugin.sha256 == sha256)
    }

    fn find_sha_mut(&mut self, sha256: &str) -> Option<&mut Registered> {
        self.by_key
            .values_mut()
            .flatten()
            .find(|r| r.plugin.sha256 == sha256)
    }
}

/// Loaded plugins by key; several versions of one key may coexist.
pub struct PluginRegistry {
    runtime: Arc<PluginRuntime>,
    inner: RwLock<Inner>,
}

/// What happened when a build was registered.
#[derive(Debug, Clone)]
pub struct Registration {
    pub entry: Registered,
    /// False when this exact build was already registered and not retired.
    pub created: bool,
    /// Builds of the same key and version this one replaced (now retired).
    pub replaced: Vec<String>,
}

impl PluginRegistry {
    pub fn new(runtime: Arc<PluginRuntime>) -> Self {
        PluginRegistry {
            runtime,
            inner: RwLock::new(Inner::default()),
        }
    }

    pub fn runtime(&self) -> &Arc<PluginRuntime> {
        &self.runtime
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads every built-in plugin. A built-in that fails to load is a
    /// defect of the build, reported with its crate name.
    pub fn load_builtins(&self) -> Result<()> {
        for b in BUILTIN_PLUGINS {
            self.load_builtin(b)?;
        }
        Ok(())
    }

    fn load_builtin(&self, b: &BuiltinPlugin) -> Result<Registered> {
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
        Ok(self
            .register(plugin, PluginSource::Builtin, b.crate_name)
            .entry)
    }

    /// Loads a component from bytes and registers it as an upload.
    pub fn load_bytes(&self, wasm: &[u8]) -> Result<Arc<LoadedPlugin>> {
        let plugin = self.runtime.load(wasm, None)?;
        Ok(self.register(plugin, PluginSource::Upload, "").entry.plugin)
    }

    /// Adds `plugin` as enabled. Registering a build that is already
    /// registered (same hash) brings it back if it was retired and
    /// otherwise changes nothing. Any other live build of the same key and
    /// version is retired: one version names one build for new work.
    pub fn register(
        &self,
        plugin: LoadedPlugin,
        source: PluginSource,
        origin: &str,
    ) -> Registration {
        let mut inner = self.write();
        if let Some(existing) = inner.find_sha_mut(&plugin.sha256) {
            let created = existing.status == PluginStatus::Retired;
            if created {
                existing.status = PluginStatus::Enabled;
                existing.source = source;
                existing.origin = origin.to_string();
            }
            return Registration {
                entry: existing.clone(),
                created,
                replaced: Vec::new(),
            };
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let entry = Registered {
            plugin: Arc::new(plugin),
            source,
            origin: origin.to_string(),
            status: PluginStatus::Enabled,
            registered_at: crate::store::now(),
            seq,
        };
        let builds = inner.by_key.entry(entry.key().to_string()).or_default();
        let mut replaced = Vec::new();
        for other in builds.iter_mut() {
            if other.version() == entry.version() && other.status != PluginStatus::Retired {
                other.status = PluginStatus::Retired;
                replaced.push(other.sha256().to_string());
            }
        }
        builds.push(entry.clone());
        builds.sort_by(|a, b| {
            compare_versions(a.version(), b.version()).then_with(|| a.seq.cmp(&b.seq))
        });
        Registration {
            entry,
            created: true,
            replaced,
        }
    }

    /// Sets the status of the build `sha256`; returns the updated entry.
    pub fn set_status(&self, sha256: &str, status: PluginStatus) -> Option<Registered> {
        let mut inner = self.write();
        let entry = inner.find_sha_mut(sha256)?;
        entry.status = status;
        Some(entry.clone())
    }

    /// The plugin new work on `key` should use: the pinned `version` or the
    /// newest enabled one. Disabled and retired builds are refused with a
    /// message saying so. A built-in not yet loaded is loaded on first use,
    /// so one-off commands compile only what they need.
    pub fn get(&self, key: &str, version: Option<&str>) -> Result<Arc<LoadedPlugin>> {
        if !self.read().by_key.contains_key(key)
            && let Some(b) = BUILTIN_PLUGINS.iter().find(|b| b.crate_name == key)
        {
            self.load_builtin(b)?;
        }
        let inner = self.read();
        let Some(builds) = inner.by_key.get(key) else {
            return Err(Error::new(
                ErrorCode::PluginNotFound,
                format!(
                    "unknown algorithm {key:?}; available: {}",
                    enabled_keys(&inner).join(", ")
                ),
            ));
        };
        let enabled = || builds.iter().filter(|r| r.status == PluginStatus::Enabled);
        // A version may also be a prefix of whole components: the replaced
        // Jobs API named builds "1.0", which means the newest enabled 1.0.x.
        let found = match version {
            Some(v) => enabled().rfind(|r| r.version() == v).or_else(|| {
                let prefix = format!("{v}.");
                enabled().rfind(|r| r.version().starts_with(&prefix))
            }),
            None => enabled().next_back(),
        };
        if let Some(r) = found {
            return Ok(r.plugin.clone());
        }
        let live: Vec<&str> = enabled().map(Registered::version).collect();
        let message = match version {
            Some(v) => match builds.iter().rfind(|r| r.version() == v) {
                Some(r) => format!(
                    "algorithm {key} version {v} is {}; enabled versions: {}",
                    r.status.as_str(),
                    list_or_none(&live)
                ),
                None => format!(
                    "no version {v} of algorithm {key}; enabled versions: {}",
                    list_or_none(&live)
                ),
            },
            None => format!(
                "algorithm {key} has no enabled version (every build is disabled or retired); \
                 an operator can enable one with PATCH /api/plugins/{key}/<version>/"
            ),
        };
        Err(Error::new(ErrorCode::PluginNotFound, message))
    }

    /// The exact build `sha256`, whatever its status: work already
    /// accepted runs on what it was accepted with.
    pub fn by_sha(&self, sha256: &str) -> Option<Arc<LoadedPlugin>> {
        self.read().find_sha(sha256).map(|r| r.plugin.clone())
    }

    /// The registration of build `sha256`.
    pub fn entry(&self, sha256: &str) -> Option<Registered> {
        self.read().find_sha(sha256).cloned()
    }

    /// The live (not retired) build of `key` at `version`, or else the
    /// built-in one (which can always be brought back), or else the latest
    /// retired one.
    pub fn entry_for(&self, key: &str, version: &str) -> Option<Registered> {
        let inner = self.read();
        let builds = inner.by_key.get(key)?;
        builds
            .iter()
            .filter(|r| r.version() == version)
            .max_by_key(|r| {
                (
                    r.status != PluginStatus::Retired,
                    r.source == PluginSource::Builtin,
                    r.seq,
                )
            })
            .cloned()
    }

    /// Every enabled build, by key then version (oldest first).
    pub fn list(&self) -> Vec<Arc<LoadedPlugin>> {
        self.read()
            .by_key
            .values()
            .flatten()
            .filter(|r| r.status == PluginStatus::Enabled)
            .map(|r| r.plugin.clone())
            .collect()
    }

    /// Every registered build, retired ones included, by key then version.
    pub fn entries(&self) -> Vec<Registered> {
        self.read().by_key.values().flatten().cloned().collect()
    }
}

fn enabled_keys(inner: &Inner) -> Vec<String> {
    inner
        .by_key
        .iter()
        .filter(|(_, b)| b.iter().any(|r| r.status == PluginStatus::Enabled))
        .map(|(k, _)| k.clone())
        .collect()
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
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
