//! Plugin management for a running server: what operators add, upgrade,
//! disable and retire, kept in step between the in-memory registry (what
//! workers run) and the database (what survives a restart).
//!
//! Three sources feed the registry: the built-ins, the plugins directory
//! under the data dir (watched, see [`watcher`]) and uploads through the
//! admin API. An upload is checked end to end before anything is kept: it
//! must compile as a component of a supported contract version, answer
//! `info()` in time with a valid params schema, and draw a chart of a small
//! built-in dataset that the rasterizer accepts.

pub mod watcher;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::dataset::{Dataset, Entry, Facet};
use crate::error::{Error, ErrorCode, Result};
use crate::pipeline::{self, ChartRequest, OutputFormats};
use crate::plugins::registry::{PluginSource, PluginStatus, Registered, Registration};
use crate::plugins::{LoadedPlugin, PluginLimits, PluginRegistry};
use crate::render::{Rasterizer, Scale};
use crate::store::Store;

/// Extension of uploaded components in the file store.
const WASM_EXT: &str = "wasm";

/// What the plugins directory held at the last scan, per file.
#[derive(Debug, Clone)]
struct DirFile {
    len: u64,
    modified: Option<SystemTime>,
    sha256: String,
    /// The build registered from this file, if it loaded.
    registered: Option<String>,
    error: Option<String>,
}

/// A file in the plugins directory that could not be loaded.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DirectoryError {
    pub file: String,
    pub message: String,
}

/// A change an operator asks for with `PATCH /api/plugins/<key>/<version>/`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginPatch {
    /// Enable (true) or disable (false) the build for new jobs.
    pub enabled: Option<bool>,
    /// Limits to change; fields left out keep their value.
    pub limits: Option<LimitsPatch>,
}

/// Per-plugin limits an operator may set.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsPatch {
    #[serde(default, deserialize_with = "crate::wholenum::opt_u64")]
    pub memory_bytes: Option<u64>,
    #[serde(default, deserialize_with = "crate::wholenum::opt_u64")]
    pub timeout_ms: Option<u64>,
    #[serde(default, deserialize_with = "crate::wholenum::opt_u64")]
    pub max_svg_bytes: Option<u64>,
    #[serde(default, deserialize_with = "crate::wholenum::opt_u64")]
    pub max_chart_data_bytes: Option<u64>,
    #[serde(default, deserialize_with = "crate::wholenum::opt_u64")]
    pub max_log_bytes: Option<u64>,
}

/// Keeps the registry, the plugins directory and the database in step.
pub struct PluginCatalog {
    registry: Arc<PluginRegistry>,
    store: Store,
    rasterizer: Rasterizer,
    dir: PathBuf,
    dir_files: Mutex<BTreeMap<PathBuf, DirFile>>,
    /// Registrations change the registry and the database together; one
    /// at a time keeps the two consistent.
    changes: tokio::sync::Mutex<()>,
}

impl PluginCatalog {
    /// `dir` is the watched plugins directory; it is created if missing.
    pub fn new(
        registry: Arc<PluginRegistry>,
        store: Store,
        rasterizer: Rasterizer,
        dir: PathBuf,
    ) -> Result<Arc<Self>> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("cannot create the plugins directory {}: {e}", dir.display()),
            )
        })?;
        Ok(Arc::new(PluginCatalog {
            registry,
            store,
            rasterizer,
            dir,
            dir_files: Mutex::new(BTreeMap::new()),
            changes: tokio::sync::Mutex::new(()),
        }))
    }

    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings the registry up at start: the built-ins (already loaded by
    /// the caller), the uploads kept from earlier runs, the plugins
    /// directory; then what operators decided about each build (status,
    /// limits) is applied from the database.
    pub async fn start(&self) -> Result<()> {
        let _guard = self.changes.lock().await;
        let records = self.store.plugin_records().await?;
        self.load_uploads(&records).await;
        self.scan_directory_locked().await;

        let by_sha: BTreeMap<&str, _> = records.iter().map(|r| (r.sha256.as_str(), r)).collect();
        let loaded = self.registry.entries();
        for entry in &loaded {
            match by_sha.get(entry.sha256()) {
                Some(r) => {
                    if let Some(mut status) = PluginStatus::parse(&r.status) {
                        // A built-in of this binary recorded as retired (by
                        // an older server, or while a same-version build
                        // stood in for it) is loaded and nothing replaces
                        // it now: it comes back disabled, for the operator
                        // to enable, rather than lost for good.
                        if status == PluginStatus::Retired
                            && entry.source == PluginSource::Builtin
                            && entry.status != PluginStatus::Retired
                        {
                            status = PluginStatus::Disabled;
                            self.store
                                .set_plugin_status(entry.sha256(), status.as_str())
                                .await?;
                        }
                        self.apply_record(entry, r, status);
                    }
                    if r.source != entry.source.as_str() || r.origin != entry.origin {
                        self.record(entry, None).await?;
                    }
                }
                None => self.record(entry, Some(PluginStatus::Enabled)).await?,
            }
        }
        // Built-ins of an older binary and directory files removed while
        // the server was down are gone: say so in the database too.
        for r in &records {
            if r.status != "retired"
                && r.source != PluginSource::Upload.as_str()
                && !loaded.iter().any(|e| e.sha256() == r.sha256)
            {
                self.store.set_plugin_status(&r.sha256, "retired").await?;
            }
        }
        Ok(())
    }

    /// Brings this node in line with what the database records, for when
    /// another node sharing it uploaded, changed or retired a build:
    /// uploads not loaded here are fetched from the blob store and
    /// compiled (through the compile cache), and recorded statuses and
    /// limits are applied. Writes nothing, so nodes syncing after each
    /// other's announcements do not echo.
    pub async fn sync(&self) -> Result<()> {
        let _guard = self.changes.lock().await;
        let records = self.store.plugin_records().await?;
        self.load_uploads(&records).await;
        for entry in self.registry.entries() {
            if let Some(r) = records.iter().find(|r| r.sha256 == entry.sha256())
                && let Some(status) = PluginStatus::parse(&r.status)
            {
                self.apply_record(&entry, r, status);
            }
        }
        Ok(())
    }

    /// The build `sha256`: loaded here already, or an upload another node
    /// recorded, fetched and compiled now. `None` when no node has it.
    pub async fn build(&self, sha256: &str) -> Result<Option<Arc<LoadedPlugin>>> {
        if let Some(p) = self.registry.by_sha(sha256) {
            return Ok(Some(p));
        }
        self.sync().await?;
        Ok(self.registry.by_sha(sha256))
    }

    /// Loads the uploads recorded (and not retired) that this node does
    /// not have yet.
    async fn load_uploads(&self, records: &[crate::store::PluginRecord]) {
        for r in records.iter().filter(|r| {
            r.source == PluginSource::Upload.as_str()
                && r.status != "retired"
                && self.registry.entry(&r.sha256).is_none()
        }) {
            let bytes = match self.store.blobs().get(&r.sha256, WASM_EXT).await {
                Ok(Some(b)) => b,
                Ok(None) => {
                    tracing::error!(key = %r.key, version = %r.version, "uploaded plugin file is missing");
                    continue;
                }
                Err(e) => {
                    tracing::error!(key = %r.key, version = %r.version, error = %e, "uploaded plugin file is unreadable");
                    continue;
                }
            };
            match self.load_blocking(bytes).await {
                Ok(plugin) => {
                    self.registry
                        .register(plugin, PluginSource::Upload, &r.origin);
                }
                Err(e) => {
                    tracing::error!(key = %r.key, version = %r.version, error = %e, "uploaded plugin no longer loads")
                }
            }
        }
    }

    /// Applies a recorded status and limits to a loaded build.
    fn apply_record(
        &self,
        entry: &Registered,
        r: &crate::store::PluginRecord,
        status: PluginStatus,
    ) {
        if status != entry.status {
            self.registry.set_status(entry.sha256(), status);
        }
        if let Some(limits) = r
            .limits
            .as_deref()
            .and_then(|l| serde_json::from_str::<PluginLimits>(l).ok())
        {
            entry.plugin.set_limits(limits);
        }
    }

    async fn record(&self, entry: &Registered, status: Option<PluginStatus>) -> Result<()> {
        self.store
            .record_plugin(
                entry.sha256(),
                entry.key(),
                entry.version(),
                entry.source.as_str(),
                &entry.origin,
                status.map(PluginStatus::as_str),
            )
            .await
    }

    async fn load_blocking(&self, bytes: Vec<u8>) -> Result<LoadedPlugin> {
        let runtime = self.registry.runtime().clone();
        tokio::task::spawn_blocking(move || runtime.load(&bytes, None))
            .await
            .map_err(|e| Error::new(ErrorCode::Internal, format!("loading task failed: {e}")))?
    }

    /// Loads `bytes` and draws the smoke chart with it, in one blocking
    /// task: the checks every new build passes before it is registered.
    /// The smoke render is skipped for bytes this node's compile cache
    /// records as passed by this version of patchart (a restart with a
    /// watched directory of Python plugins spent a quarter of a second
    /// drawing them again). The bytes come back for storing.
    async fn check(&self, bytes: Vec<u8>) -> Result<(LoadedPlugin, Vec<u8>)> {
        let sha = hex::encode(Sha256::digest(&bytes));
        self.check_hashed(bytes, sha).await
    }

    async fn check_hashed(&self, bytes: Vec<u8>, sha: String) -> Result<(LoadedPlugin, Vec<u8>)> {
        let runtime = self.registry.runtime().clone();
        let rasterizer = self.rasterizer.clone();
        tokio::task::spawn_blocking(move || {
            let plugin = runtime.load_hashed(&bytes, &sha, None)?;
            let cache = runtime.compile_cache();
            let limits = runtime.config().default_limits;
            if !cache.passed_checks(&plugin.sha256, &limits) {
                smoke_render(&runtime, &rasterizer, &plugin)?;
                cache.mark_passed_checks(&plugin.sha256, &limits);
            }
            Ok((plugin, bytes))
        })
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("plugin check task failed: {e}"),
            )
        })?
    }

    /// Validates and registers an uploaded component. Returns the entry
    /// and whether it is new (false: this exact build was already live).
    pub async fn upload(&self, bytes: Vec<u8>, file_name: &str) -> Result<(Registered, bool)> {
        let sha = hex::encode(Sha256::digest(&bytes));
        if let Some(existing) = self.registry.entry(&sha)
            && existing.status != PluginStatus::Retired
        {
            return Ok((existing, false));
        }
        let (plugin, bytes) = self.check(bytes).await?;
        let _guard = self.changes.lock().await;
        if let Some(live) = self
            .registry
            .entry_for(&plugin.info.key, &plugin.info.version)
            .filter(|e| e.status != PluginStatus::Retired && e.sha256() != sha)
        {
            return Err(Error::new(
                ErrorCode::PluginVersionExists,
                format!(
                    "{} version {} is already registered with other content (sha256 {}); \
                     bump the version in info(), or retire that build first with \
                     DELETE /api/plugins/{}/{}/",
                    live.key(),
                    live.version(),
                    live.sha256(),
                    live.key(),
                    live.version()
                ),
            ));
        }
        self.store
            .blobs()
            .put(bytes::Bytes::from(bytes), WASM_EXT)
            .await?;
        let origin = sanitize_origin(file_name);
        let Registration { entry, created, .. } =
            self.registry
                .register(plugin, PluginSource::Upload, &origin);
        self.record(&entry, Some(PluginStatus::Enabled)).await?;
        tracing::info!(key = %entry.key(), version = %entry.version(), sha256 = %entry.sha256(), "plugin uploaded");
        Ok((entry, created))
    }

    /// The live build of `key` at `version` (or the latest retired one).
    pub fn find(&self, key: &str, version: &str) -> Result<Registered> {
        self.registry.entry_for(key, version).ok_or_else(|| {
            Error::new(
                ErrorCode::PluginNotFound,
                format!("no plugin {key} version {version} is registered"),
            )
        })
    }

    /// Applies an operator's change to the live build of `key` at `version`.
    pub async fn patch(&self, key: &str, version: &str, patch: &PluginPatch) -> Result<Registered> {
        let _guard = self.changes.lock().await;
        let entry = self.find(key, version)?;
        // A built-in is retired only while another build of the same
        // version stood in for it (a directory file or an upload, since
        // gone); it is still in the binary, so it can always come back.
        if entry.status == PluginStatus::Retired && entry.source != PluginSource::Builtin {
            return Err(Error::new(
                ErrorCode::PluginRetired,
                format!("{key} version {version} is retired; upload it again to bring it back"),
            ));
        }
        if let Some(l) = &patch.limits {
            let limits = apply_limits(entry.plugin.limits(), l, self.registry.runtime().config())?;
            let json = serde_json::to_string(&limits)
                .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
            self.store.set_plugin_limits(entry.sha256(), &json).await?;
            entry.plugin.set_limits(limits);
        }
        if let Some(enabled) = patch.enabled {
            let status = if enabled {
                PluginStatus::Enabled
            } else {
                PluginStatus::Disabled
            };
            self.store
                .set_plugin_status(entry.sha256(), status.as_str())
                .await?;
            self.registry.set_status(entry.sha256(), status);
        }
        self.find(key, version)
    }

    /// Retires the live build of `key` at `version`: new jobs can no longer
    /// name it; tasks already accepted on it still run.
    ///
    /// Built-ins are refused: retiring is for builds whose bytes an
    /// operator holds and can upload again, and a built-in's bytes are
    /// inside the binary. Disabling hides one just as well and can be
    /// undone.
    pub async fn retire(&self, key: &str, version: &str) -> Result<Registered> {
        let _guard = self.changes.lock().await;
        let entry = self.find(key, version)?;
        if entry.source == PluginSource::Builtin {
            return Err(Error::new(
                ErrorCode::PluginBuiltin,
                format!(
                    "{key} version {version} is built into this server and cannot be retired; \
                     hide it from new jobs with PATCH /api/plugins/{key}/{version}/ \
                     {{\"enabled\": false}} (and bring it back with {{\"enabled\": true}})"
                ),
            ));
        }
        self.store
            .set_plugin_status(entry.sha256(), PluginStatus::Retired.as_str())
            .await?;
        self.registry
            .set_status(entry.sha256(), PluginStatus::Retired);
        tracing::info!(key, version, sha256 = %entry.sha256(), "plugin retired");
        self.find(key, version)
    }

    /// Files of the plugins directory that did not load, with why.
    pub fn directory_errors(&self) -> Vec<DirectoryError> {
        let files = self.dir_files.lock().unwrap_or_else(|p| p.into_inner());
        files
            .iter()
            .filter_map(|(path, f)| {
                f.error.as_ref().map(|m| DirectoryError {
                    file: path.display().to_string(),
                    message: m.clone(),
                })
            })
            .collect()
    }

    /// Brings the registry in line with the plugins directory: new files
    /// are loaded, changed ones replace the build they gave, removed ones
    /// retire it.
    pub async fn scan_directory(&self) {
        let _guard = self.changes.lock().await;
        self.scan_directory_locked().await;
    }

    async fn scan_directory_locked(&self) {
        let present = match list_wasm_files(&self.dir) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(dir = %self.dir.display(), error = %e, "cannot read the plugins directory");
                return;
            }
        };
        let known = self
            .dir_files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();

        for (path, _) in known.iter().filter(|(p, _)| !present.contains_key(*p)) {
            self.forget_file(path).await;
        }
        for (path, (len, modified)) in present {
            if let Some(k) = known.get(&path)
                && k.len == len
                && k.modified == modified
            {
                continue;
            }
            let modified_ns = modified
                .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let cache = self.registry.runtime().compile_cache().clone();
            // A file as it was when it last loaded here: its build comes from
            // the compile cache, unread, and its checks were passed then.
            let remembered = match cache.dir_file_sha(&path, len, modified_ns) {
                Some(sha) if known.get(&path).is_some_and(|k| k.sha256 == sha) => {
                    self.set_file(&path, |f| {
                        f.len = len;
                        f.modified = modified;
                    });
                    continue;
                }
                Some(sha)
                    if cache
                        .passed_checks(&sha, &self.registry.runtime().config().default_limits) =>
                {
                    let runtime = self.registry.runtime().clone();
                    let sha_ = sha.clone();
                    tokio::task::spawn_blocking(move || runtime.load_compiled(&sha_, None))
                        .await
                        .ok()
                        .flatten()
                        .and_then(|loaded| loaded.ok())
                        .map(|plugin| (plugin, sha))
                }
                _ => None,
            };
            let (outcome, sha) = match remembered {
                Some((plugin, sha)) => (Ok(plugin), sha),
                None => {
                    let bytes = match std::fs::read(&path) {
                        Ok(b) => b,
                        // Removed between listing and reading: the next scan sees it.
                        Err(_) => continue,
                    };
                    let sha = hex::encode(Sha256::digest(&bytes));
                    if known.get(&path).is_some_and(|k| k.sha256 == sha) {
                        self.set_file(&path, |f| {
                            f.len = len;
                            f.modified = modified;
                        });
                        continue;
                    }
                    let outcome = self
                        .check_hashed(bytes, sha.clone())
                        .await
                        .map(|(plugin, _)| plugin);
                    if outcome.is_ok() {
                        cache.remember_dir_file(&path, len, modified_ns, &sha);
                    }
                    (outcome, sha)
                }
            };
            let previous = known.get(&path).and_then(|k| k.registered.clone());
            let mut file = DirFile {
                len,
                modified,
                sha256: sha.clone(),
                registered: None,
                error: None,
            };
            match outcome {
                Ok(plugin) => {
                    let origin = path.display().to_string();
                    let reg = self
                        .registry
                        .register(plugin, PluginSource::Directory, &origin);
                    if let Err(e) = self.record(&reg.entry, Some(PluginStatus::Enabled)).await {
                        tracing::error!(error = %e, "could not record a directory plugin");
                    }
                    for sha in &reg.replaced {
                        let _ = self.store.set_plugin_status(sha, "retired").await;
                    }
                    tracing::info!(file = %origin, key = %reg.entry.key(), version = %reg.entry.version(), "plugin loaded from the plugins directory");
                    file.registered = Some(reg.entry.sha256().to_string());
                    // The file's earlier build is gone from disk.
                    if let Some(prev) = previous.filter(|p| *p != sha) {
                        self.retire_sha(&prev).await;
                    }
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "plugin in the plugins directory did not load");
                    file.error = Some(e.message);
                    // A half-written copy must not take down the build the
                    // file held before; it is replaced once the copy loads.
                    file.registered = previous;
                }
            }
            self.dir_files
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(path, file);
        }
    }

    fn set_file(&self, path: &Path, f: impl FnOnce(&mut DirFile)) {
        if let Some(file) = self
            .dir_files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(path)
        {
            f(file);
        }
    }

    async fn forget_file(&self, path: &Path) {
        let removed = self
            .dir_files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        if let Some(sha) = removed.and_then(|f| f.registered) {
            tracing::info!(file = %path.display(), "plugin file removed; its build is retired");
            self.retire_sha(&sha).await;
        }
    }

    async fn retire_sha(&self, sha: &str) {
        // Only a build that still comes from the directory: an upload of
        // the same bytes keeps it alive.
        let Some(entry) = self
            .registry
            .entry(sha)
            .filter(|e| e.source == PluginSource::Directory)
        else {
            return;
        };
        self.registry.set_status(sha, PluginStatus::Retired);
        if let Err(e) = self.store.set_plugin_status(sha, "retired").await {
            tracing::error!(error = %e, "could not record a retired plugin");
        }
        // The file stood in for the built-in of the same version: with the
        // file gone, the built-in is what that version means again.
        if let Some(builtin) = self
            .registry
            .entry_for(entry.key(), entry.version())
            .filter(|b| b.source == PluginSource::Builtin && b.status == PluginStatus::Retired)
        {
            self.registry
                .set_status(builtin.sha256(), PluginStatus::Enabled);
            if let Err(e) = self
                .store
                .set_plugin_status(builtin.sha256(), PluginStatus::Enabled.as_str())
                .await
            {
                tracing::error!(error = %e, "could not record a restored built-in");
            }
            tracing::info!(key = %builtin.key(), version = %builtin.version(), "built-in restored");
        }
    }
}

/// `*.wasm` files directly in `dir` (hidden ones skipped: editors and
/// copy tools write there first), with size and modification time.
fn list_wasm_files(dir: &Path) -> std::io::Result<BTreeMap<PathBuf, (u64, Option<SystemTime>)>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || path.extension().and_then(|e| e.to_str()) != Some("wasm") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            out.insert(path, (meta.len(), meta.modified().ok()));
        }
    }
    Ok(out)
}

fn sanitize_origin(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.is_empty() {
        "upload.wasm".to_string()
    } else {
        clean
    }
}

fn apply_limits(
    mut limits: PluginLimits,
    patch: &LimitsPatch,
    config: &crate::plugins::RuntimeConfig,
) -> Result<PluginLimits> {
    let bad = |m: String| Error::new(ErrorCode::InvalidLimits, m);
    if let Some(m) = patch.memory_bytes {
        if !(1 << 20..=config.memory_ceiling_bytes).contains(&m) {
            return Err(bad(format!(
                "limits.memory_bytes must be between 1 MiB and this server's ceiling of {} MiB",
                config.memory_ceiling_bytes >> 20
            )));
        }
        limits.memory_bytes = m;
    }
    if let Some(t) = patch.timeout_ms {
        if !(10..=600_000).contains(&t) {
            return Err(bad(
                "limits.timeout_ms must be between 10 and 600000".to_string()
            ));
        }
        limits.timeout = std::time::Duration::from_millis(t);
    }
    for (name, value, slot) in [
        (
            "max_svg_bytes",
            patch.max_svg_bytes,
            &mut limits.max_svg_bytes,
        ),
        (
            "max_chart_data_bytes",
            patch.max_chart_data_bytes,
            &mut limits.max_chart_data_bytes,
        ),
        (
            "max_log_bytes",
            patch.max_log_bytes,
            &mut limits.max_log_bytes,
        ),
    ] {
        if let Some(v) = value {
            if !(1024..=(256 << 20)).contains(&v) {
                return Err(bad(format!(
                    "limits.{name} must be between 1 KiB and 256 MiB"
                )));
            }
            *slot = v;
        }
    }
    Ok(limits)
}

/// Draws a chart of [`smoke_dataset`] with default params and style; an
/// upload that cannot is not registered.
fn smoke_render(
    runtime: &crate::plugins::PluginRuntime,
    rasterizer: &Rasterizer,
    plugin: &LoadedPlugin,
) -> Result<()> {
    let dataset = smoke_dataset();
    let style = crate::style::resolve(&Value::Null)?;
    let params = json!({});
    let request = ChartRequest {
        dataset: &dataset,
        params: &params,
        style: &style,
        formats: OutputFormats {
            svg: true,
            png: Some(Scale::X1),
        },
    };
    pipeline::render_chart(runtime, rasterizer, plugin, &request, None).map_err(|f| {
        Error::new(
            ErrorCode::PluginSmokeFailed,
            format!(
                "the smoke render (default params, a small dataset with every standard facet) failed: {}: {}",
                f.error.code.as_str(),
                f.error.message
            ),
        )
    })?;
    Ok(())
}

/// A small export with every canonical facet, enough history for
/// forecasts: what every upload must be able to draw.
pub fn smoke_dataset() -> Dataset {
    fn facet(name: &str, entries: &[(&str, u64)]) -> Facet {
        Facet {
            name: name.to_string(),
            source_name: name.to_string(),
            entries: entries
                .iter()
                .map(|(l, c)| Entry {
                    label: l.to_string(),
                    count: *c,
                })
                .collect(),
        }
    }
    let years: Vec<(String, u64)> = (2005..=2024)
        .map(|y| (y.to_string(), 10 + (y as u64 - 2005) * 3 + (y as u64 % 3)))
        .collect();
    let years: Vec<(&str, u64)> = years.iter().map(|(y, c)| (y.as_str(), *c)).collect();
    let countries = [
        ("CN", 120),
        ("US", 60),
        ("WO", 30),
        ("EP", 25),
        ("JP", 20),
        ("KR", 12),
        ("DE", 8),
    ];
    let people = [
        ("ACME CORP", 14),
        ("GLOBEX GMBH", 9),
        ("INITECH LTD", 7),
        ("UMBRELLA SA", 5),
        ("STARK IND INC", 3),
    ];
    let inventors = [
        ("SMITH JOHN", 6),
        ("GARCIA MARIA", 5),
        ("WANG LEI", 4),
        ("MULLER ANNA", 2),
    ];
    let facets = vec![
        facet("countries", &countries),
        facet(
            "languages",
            &[("en", 150), ("zh", 90), ("de", 20), ("fr", 10)],
        ),
        facet("publication_years", &years),
        facet("priority_years", &years),
        facet(
            "ipc_main_groups",
            &[("H04L 9/00", 40), ("G06F 21/00", 25), ("H04W 12/00", 10)],
        ),
        facet(
            "ipc_subgroups",
            &[("H04L 9/32", 30), ("G06F 21/60", 20), ("H04W 12/06", 8)],
        ),
        facet(
            "cpc_main_groups",
            &[("H04L 9/00", 42), ("G06F 21/00", 27), ("H04W 12/00", 11)],
        ),
        facet(
            "cpc_subgroups",
            &[
                ("H04L 9/3239", 31),
                ("G06F 21/602", 22),
                ("H04W 12/069", 9),
                ("H04L 2209/56", 6),
            ],
        ),
        facet("cpc_offices", &[("EP", 20), ("US", 18), ("CN", 15)]),
        facet("applicants", &people),
        facet("inventors", &inventors),
        facet("applicant_countries", &[("US", 20), ("CN", 15), ("DE", 6)]),
        facet("inventor_countries", &[("US", 18), ("CN", 16), ("DE", 7)]),
    ];
    Dataset {
        source_type: "espacenet_excel".to_string(),
        file_name: "smoke.xlsx".to_string(),
        sha256: "0".repeat(64),
        query: Some("smoke test".to_string()),
        result_count: Some(275),
        facets,
    }
}
