//! The sandboxed plugin runtime: one [`Engine`] with the pooling allocator,
//! compiled components cached on disk, one `InstancePre` per plugin and a
//! fresh `Store` per call. Limits are enforced here: memory through the
//! store's limiter, time through epoch interruption, output size and shape
//! after the call returns.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

use super::bindings::patchart::chart::types as wit;
use super::bindings::{CONTRACT_PACKAGE, ChartPluginPre, SUPPORTED_CONTRACT_VERSIONS};
use super::cache::CompileCache;
use super::sandbox::{self, PluginLimits, PluginState};
use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::render::TextMeasurer;
use crate::style::ResolvedStyle;

/// The chart-data schema every plugin's output is checked against.
pub const CHART_DATA_SCHEMA: &str = include_str!("../../../wit/chart-data.schema.json");

/// Engine-wide settings, fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Directory of the compile cache; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Plugin instances that may exist at once (the pool's size).
    pub max_instances: u32,
    /// The largest memory any plugin may be granted, even by an operator
    /// override; the pool reserves slots of this size.
    pub memory_ceiling_bytes: u64,
    /// Granularity of deadlines and cancellation.
    pub epoch_tick: Duration,
    /// Wasm stack a plugin may use before a stack-overflow trap.
    pub max_wasm_stack: usize,
    /// Limits applied to plugins with no override.
    pub default_limits: PluginLimits,
    /// Budget of `info()` while loading: it only describes the plugin, so
    /// one that does not answer quickly is rejected rather than waited for.
    pub info_timeout: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            max_instances: 64,
            memory_ceiling_bytes: 1 << 30,
            epoch_tick: Duration::from_millis(5),
            max_wasm_stack: 1 << 20,
            default_limits: PluginLimits::default(),
            info_timeout: Duration::from_secs(2),
        }
    }
}

/// What a plugin says about itself, checked and parsed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PluginInfo {
    pub key: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub params_schema: Value,
    pub required_facets: Vec<String>,
}

/// A plugin ready to render: compiled, linked against the sandbox and
/// pre-instantiated.
pub struct LoadedPlugin {
    pub info: PluginInfo,
    /// sha256 of the component bytes, lower-case hex.
    pub sha256: String,
    /// Operators may change these while the plugin is loaded; a call reads
    /// them once when it starts.
    limits: std::sync::RwLock<PluginLimits>,
    /// Whether the compiled code came from the on-disk cache.
    pub from_cache: bool,
    pre: ChartPluginPre<PluginState>,
    params_validator: jsonschema::Validator,
}

impl LoadedPlugin {
    /// The limits the next call will run under.
    pub fn limits(&self) -> PluginLimits {
        *self.limits.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_limits(&self, limits: PluginLimits) {
        *self.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
    }

    /// Checks `params` against the plugin's published schema; the error
    /// names each failing field (`params/top_n: 500 is greater than ...`).
    pub fn validate_params(&self, params: &Value) -> Result<()> {
        check_params(&self.params_validator, params)
    }

    /// Each parameter's `default` from the schema's top-level properties.
    pub fn param_defaults(&self) -> Value {
        let mut out = serde_json::Map::new();
        if let Some(props) = self
            .info
            .params_schema
            .get("properties")
            .and_then(Value::as_object)
        {
            for (k, v) in props {
                if let Some(d) = v.get("default") {
                    out.insert(k.clone(), d.clone());
                }
            }
        }
        Value::Object(out)
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("key", &self.info.key)
            .field("version", &self.info.version)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// Set to interrupt a running plugin (job cancellation). The plugin stops
/// at its next epoch check, within one tick.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// stdout and stderr of one call, bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PluginLogs {
    pub stdout: String,
    pub stderr: String,
}

/// Where the time of a render went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderTimings {
    pub instantiate: Duration,
    pub call: Duration,
    pub validate: Duration,
}

/// A plugin's successful answer, validated.
#[derive(Debug, Clone)]
pub struct PluginOutput {
    pub svg: String,
    pub chart_data: Value,
    pub warnings: Vec<String>,
    pub logs: PluginLogs,
    pub timings: RenderTimings,
}

/// A failed call: the error (with its stable code) and what the plugin
/// printed before it failed.
#[derive(Debug, Clone)]
pub struct PluginFailure {
    pub error: Error,
    pub logs: PluginLogs,
}

impl std::fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for PluginFailure {}

impl From<Error> for PluginFailure {
    fn from(error: Error) -> Self {
        PluginFailure {
            error,
            logs: PluginLogs::default(),
        }
    }
}

/// Why the epoch callback stopped a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Interrupted {
    #[error("deadline exceeded")]
    Deadline,
    #[error("cancelled")]
    Cancelled,
}

/// Bytes of a plugin's linear memory, and of its tables, that a reset
/// slot keeps resident; see [`PluginRuntime::new`].
const KEEP_RESIDENT_MEMORY: usize = 16 << 20;
const KEEP_RESIDENT_TABLE: usize = 1 << 20;
/// Slots kept warm (affine to a plugin, its pages resident) while unused.
const MAX_UNUSED_WARM_SLOTS: u32 = 16;

/// The engine, the sandbox's linker and the shared services plugins use.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: CompileCache,
    measurer: Arc<TextMeasurer>,
    config: RuntimeConfig,
}

impl PluginRuntime {
    pub fn new(config: RuntimeConfig) -> Result<Arc<Self>> {
        let mut pool = PoolingAllocationConfig::default();
        let n = config.max_instances.max(1);
        pool.total_component_instances(n)
            // A Rust component has one core instance with one memory, plus
            // a few small shim instances that the component linker adds.
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 8)
            .total_stacks(n)
            .max_memory_size(usize::try_from(config.memory_ceiling_bytes).unwrap_or(usize::MAX))
            // A slot given back is reset by copying its dirtied pages from
            // the module's image (found with PAGEMAP_SCAN) instead of
            // discarding them, up to this much: the next render of that
            // plugin then takes no page faults on them. A Python plugin's
            // 12 MiB pre-initialised heap took ~1,000 faults per render,
            // 5 ms of kernel time on this kind of VM, more than half its
            // render (measured with `patchart bench --plugin`).
            .linear_memory_keep_resident(KEEP_RESIDENT_MEMORY)
            .table_keep_resident(KEEP_RESIDENT_TABLE)
            // What resetting keeps resident stays with the slot while it is
            // unused, so the number of warm unused slots bounds that memory:
            // (plugins running + this) x KEEP_RESIDENT_MEMORY at most, and a
            // long-running server stops acquiring warm slots once it has
            // this many.
            .max_unused_warm_slots(MAX_UNUSED_WARM_SLOTS);
        let mut wc = Config::new();
        wc.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = match Engine::new(&wc) {
            Ok(engine) => engine,
            // The pool reserves its whole address space up front, which a
            // `ulimit -v` (or a tool like valgrind) refuses. Instances then
            // come from the heap: slower to create, still bounded by each
            // store's limiter, so the sandbox's limits hold either way.
            Err(pool_error) => {
                tracing::warn!(
                    error = %format!("{pool_error:#}"),
                    "the plugin instance pool could not reserve its memory; allocating instances on demand"
                );
                wc.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                Engine::new(&wc).map_err(|e| {
                    Error::new(
                        ErrorCode::Internal,
                        format!("could not create the wasm engine: {e:#} (with the instance pool: {pool_error:#})"),
                    )
                })?
            }
        };
        let mut linker = Linker::new(&engine);
        sandbox::add_to_linker(&mut linker).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("could not link the sandbox: {e:#}"),
            )
        })?;
        spawn_epoch_ticker(&engine, config.epoch_tick).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("could not start the epoch ticker thread: {e}"),
            )
        })?;
        let cache = CompileCache::new(&engine, config.cache_dir.clone());
        Ok(Arc::new(PluginRuntime {
            engine,
            linker,
            cache,
            measurer: Arc::new(TextMeasurer::new()),
            config,
        }))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    pub fn measurer(&self) -> &Arc<TextMeasurer> {
        &self.measurer
    }

    /// The on-disk cache of compiled plugins (and of the checks they
    /// passed).
    pub fn compile_cache(&self) -> &CompileCache {
        &self.cache
    }

    /// Compiles (or fetches from cache), links and checks a component, then
    /// asks it for its `info()`. Every failure is `PLUGIN_LOAD_FAILED` with
    /// the reason.
    pub fn load(&self, wasm: &[u8], limits: Option<PluginLimits>) -> Result<LoadedPlugin> {
        self.load_hashed(wasm, &hex::encode(Sha256::digest(wasm)), limits)
    }

    /// [`Self::load`] of bytes whose sha256 the caller computed already
    /// (hashing a Python plugin's 18 MB twice was most of a restart).
    pub fn load_hashed(
        &self,
        wasm: &[u8],
        sha256: &str,
        limits: Option<PluginLimits>,
    ) -> Result<LoadedPlugin> {
        let fail = |m: String| Error::new(ErrorCode::PluginLoadFailed, m);
        if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
            return Err(fail(
                "the file is not WebAssembly (no \\0asm header)".into(),
            ));
        }
        // Byte 4..8: version + layer. Core modules are layer 0, components 1.
        if wasm[6..8] == [0, 0] {
            return Err(fail(
                "this is a core WebAssembly module, not a component; build the plugin for the \
                 wasm32-wasip2 target (cargo build --target wasm32-wasip2) which produces a component"
                    .into(),
            ));
        }
        let (component, from_cache) = self
            .cache
            .load_or_compile(&self.engine, sha256, wasm)
            .map_err(|e| fail(format!("the component does not compile: {e:#}")))?;
        self.inspect(component, sha256, from_cache, limits)
    }

    /// The build `sha256` from the compile cache alone, without its bytes:
    /// `None` when the cache does not hold it (or cannot read it).
    pub fn load_compiled(
        &self,
        sha256: &str,
        limits: Option<PluginLimits>,
    ) -> Option<Result<LoadedPlugin>> {
        let component = self.cache.load(&self.engine, sha256)?;
        Some(self.inspect(component, sha256, true, limits))
    }

    /// Links a compiled component into the sandbox, checks its contract
    /// and asks it for its `info()`.
    fn inspect(
        &self,
        component: wasmtime::component::Component,
        sha256: &str,
        from_cache: bool,
        limits: Option<PluginLimits>,
    ) -> Result<LoadedPlugin> {
        let limits = limits.unwrap_or(self.config.default_limits);
        let fail = |m: String| Error::new(ErrorCode::PluginLoadFailed, m);
        check_contract_version(&self.engine, &component).map_err(fail)?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            fail(format!(
                "the component needs an import the sandbox does not grant (plugins get \
                 patchart:chart/text and a minimal WASI: no network, no files): {e:#}"
            ))
        })?;
        let pre = ChartPluginPre::new(instance_pre).map_err(|e| {
            fail(format!(
                "the component does not export the patchart:chart/chart-plugin world \
                 (info and render): {e:#}"
            ))
        })?;

        let info_limits = PluginLimits {
            timeout: limits.timeout.min(self.config.info_timeout),
            ..limits
        };
        let info = self
            .call(&pre, &info_limits, None, |bindings, store| {
                bindings.call_info(store)
            })
            .map_err(|f| fail(format!("info() failed: {}", f.error)))?
            .0;
        let params_schema: Value = serde_json::from_str(&info.params_schema)
            .map_err(|e| fail(format!("info().params_schema is not JSON: {e}")))?;
        let params_validator = compile_params_schema(&params_schema).map_err(fail)?;
        if !is_valid_key(&info.key) {
            return Err(fail(format!(
                "info().key {:?} must be 1-64 chars of a-z, 0-9 and _",
                info.key
            )));
        }
        if info.version.trim().is_empty() {
            return Err(fail("info().version is empty".into()));
        }
        Ok(LoadedPlugin {
            info: PluginInfo {
                key: info.key,
                version: info.version,
                name: info.name,
                description: info.description,
                params_schema,
                required_facets: info.required_facets,
            },
            sha256: sha256.to_string(),
            limits: std::sync::RwLock::new(limits),
            from_cache,
            pre,
            params_validator,
        })
    }

    /// Validates `params` against the plugin's schema, runs `render` in a
    /// fresh store and validates what comes back.
    pub fn render(
        &self,
        plugin: &LoadedPlugin,
        dataset: &Dataset,
        params: &Value,
        style: &ResolvedStyle,
        cancel: Option<&CancelToken>,
    ) -> std::result::Result<PluginOutput, PluginFailure> {
        plugin.validate_params(params)?;
        let limits = plugin.limits();
        let params_json = params.to_string();
        let data = to_wit_dataset(dataset);
        let wit_style = style.to_wit();
        let (result, logs, timings) =
            self.call(&plugin.pre, &limits, cancel, |bindings, store| {
                bindings.call_render(store, &data, &params_json, &wit_style)
            })?;
        let t = Instant::now();
        let fail = |code, message: String| PluginFailure {
            error: Error::new(code, message),
            logs: logs.clone(),
        };
        let chart = match result {
            Ok(c) => c,
            Err(wit::RenderError::InvalidParams(m)) => {
                return Err(fail(ErrorCode::PluginInvalidParams, m));
            }
            Err(wit::RenderError::MissingData(m)) => {
                return Err(fail(ErrorCode::PluginMissingData, m));
            }
            Err(wit::RenderError::Failed(m)) => return Err(fail(ErrorCode::PluginFailed, m)),
        };
        let chart_data = validate_output(&limits, &chart)
            .map_err(|m| fail(ErrorCode::PluginInvalidOutput, m))?;
        Ok(PluginOutput {
            svg: chart.svg,
            chart_data,
            warnings: chart.warnings,
            logs,
            timings: RenderTimings {
                validate: t.elapsed(),
                ..timings
            },
        })
    }

    /// Instantiates `pre` in a fresh, limited store and runs `f` on it,
    /// classifying any failure.
    fn call<R>(
        &self,
        pre: &ChartPluginPre<PluginState>,
        limits: &PluginLimits,
        cancel: Option<&CancelToken>,
        f: impl FnOnce(&super::bindings::ChartPlugin, &mut Store<PluginState>) -> wasmtime::Result<R>,
    ) -> std::result::Result<(R, PluginLogs, RenderTimings), PluginFailure> {
        let mut limits = *limits;
        limits.memory_bytes = limits.memory_bytes.min(self.config.memory_ceiling_bytes);
        // "Instantiate" covers everything a render pays before the guest
        // runs: the WASI context, the store and the instance.
        let started = Instant::now();
        let mut store = Store::new(
            &self.engine,
            PluginState::new(&limits, self.measurer.clone()),
        );
        store.limiter(|s| &mut s.limiter);
        let deadline = started + limits.timeout;
        let cancel = cancel.cloned();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                return Err(Interrupted::Cancelled.into());
            }
            if Instant::now() >= deadline {
                return Err(Interrupted::Deadline.into());
            }
            Ok(UpdateDeadline::Continue(1))
        });

        let outcome = pre.instantiate(&mut store).map(|b| {
            let instantiated = started.elapsed();
            (b, instantiated)
        });
        let (result, timings) = match outcome {
            Ok((bindings, instantiate)) => {
                let t = Instant::now();
                let r = f(&bindings, &mut store);
                (
                    r,
                    RenderTimings {
                        instantiate,
                        call: t.elapsed(),
                        validate: Duration::ZERO,
                    },
                )
            }
            Err(e) => (Err(e), RenderTimings::default()),
        };
        let state = store.data();
        let logs = PluginLogs {
            stdout: state.stdout.text(),
            stderr: state.stderr.text(),
        };
        match result {
            Ok(r) => Ok((r, logs, timings)),
            Err(e) => {
                let error = classify(&e, state.limiter.denied, &limits, &logs);
                Err(PluginFailure { error, logs })
            }
        }
    }
}

/// Turns a wasmtime error into the stable code a user sees.
fn classify(
    e: &wasmtime::Error,
    memory_denied: bool,
    limits: &PluginLimits,
    logs: &PluginLogs,
) -> Error {
    if let Some(i) = e.downcast_ref::<Interrupted>() {
        return match i {
            Interrupted::Deadline => Error::new(
                ErrorCode::PluginTimeout,
                format!(
                    "the plugin did not finish within its {} ms deadline and was stopped",
                    limits.timeout.as_millis()
                ),
            ),
            Interrupted::Cancelled => Error::new(
                ErrorCode::PluginCancelled,
                "the plugin was stopped because its job was cancelled",
            ),
        };
    }
    if memory_denied {
        return Error::new(
            ErrorCode::PluginOom,
            format!(
                "the plugin tried to use more than its {} MiB memory limit and was stopped",
                limits.memory_bytes >> 20
            ),
        );
    }
    // Rust prints "thread '…' panicked at file:line:col:" and the message on
    // the next line.
    let panic_line = {
        let mut lines = logs.stderr.lines();
        lines.find(|l| l.contains("panicked at")).map(|at| {
            let msg = lines.next().unwrap_or("").trim();
            format!("{} {msg}", at.trim()).trim().to_string()
        })
    };
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::StackOverflow) => Error::new(
            ErrorCode::PluginTrap,
            "the plugin overflowed its stack (recursion too deep) and was stopped",
        ),
        Some(trap) => {
            let mut m = format!("the plugin trapped: {trap}");
            if let Some(p) = panic_line {
                m.push_str(&format!(" ({p})"));
            }
            Error::new(ErrorCode::PluginTrap, m)
        }
        None => Error::new(ErrorCode::PluginTrap, format!("the plugin failed: {e:#}")),
    }
}

/// Checks `params` against a compiled params schema; the error names each
/// failing field (`params/top_n: 500 is greater than ...`), at most five.
#[doc(hidden)]
pub fn check_params(validator: &jsonschema::Validator, params: &Value) -> Result<()> {
    let errors: Vec<String> = validator
        .iter_errors(params)
        .take(5)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                format!("params: {e}")
            } else {
                format!("params{path}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::PluginInvalidParams,
            errors.join("; "),
        ))
    }
}

/// Compiles the params schema a plugin publishes in `info()`: a plugin is
/// refused at load time unless this succeeds. Public (hidden) so the fuzz
/// targets and the corpus replay test call exactly what loading calls.
#[doc(hidden)]
pub fn compile_params_schema(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    // `meta::is_valid` panics when the `$schema` names no meta-schema it
    // can resolve (a plugin's choice: any string, even one that is no
    // URI); `meta::validator_for` says so as an error.
    let meta = jsonschema::meta::validator_for(schema).map_err(|e| {
        format!(
            "info().params_schema declares a $schema this host cannot check it against ({e}); \
             omit $schema or name a JSON Schema draft (4, 6, 7, 2019-09 or 2020-12)"
        )
    })?;
    if !meta.is_valid(schema) {
        return Err("info().params_schema is not a valid JSON Schema".to_string());
    }
    jsonschema::validator_for(schema)
        .map_err(|e| format!("info().params_schema cannot be compiled: {e}"))
}

fn chart_data_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(CHART_DATA_SCHEMA)
            .expect("the committed chart-data schema is JSON");
        jsonschema::validator_for(&schema).expect("the committed chart-data schema compiles")
    })
}

/// [`validate_output`] on a plugin answer given as its parts: what the
/// fuzz targets and the corpus replay test call, so they exercise the very
/// checks a render's output goes through.
#[doc(hidden)]
pub fn validate_chart_output(
    limits: &PluginLimits,
    svg: String,
    chart_data: String,
) -> std::result::Result<Value, String> {
    validate_output(
        limits,
        &wit::Chart {
            svg,
            chart_data,
            warnings: Vec::new(),
        },
    )
}

/// Checks sizes, then that chart_data is JSON following the schema.
/// Returns the parsed chart_data.
fn validate_output(
    limits: &PluginLimits,
    chart: &wit::Chart,
) -> std::result::Result<Value, String> {
    if chart.svg.len() as u64 > limits.max_svg_bytes {
        return Err(format!(
            "the SVG is {} bytes; the limit is {} bytes",
            chart.svg.len(),
            limits.max_svg_bytes
        ));
    }
    if chart.chart_data.len() as u64 > limits.max_chart_data_bytes {
        return Err(format!(
            "chart_data is {} bytes; the limit is {} bytes",
            chart.chart_data.len(),
            limits.max_chart_data_bytes
        ));
    }
    let head = chart.svg.trim_start();
    if !(head.starts_with("<svg") || head.starts_with("<?xml")) {
        return Err("the SVG does not start with <svg or <?xml".into());
    }
    let data: Value = serde_json::from_str(&chart.chart_data)
        .map_err(|e| format!("chart_data is not JSON: {e}"))?;
    let errors: Vec<String> = chart_data_validator()
        .iter_errors(&data)
        .take(5)
        .map(|e| format!("chart_data{}: {e}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "chart_data does not follow the chart-data schema: {}",
            errors.join("; ")
        ));
    }
    Ok(data)
}

fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Refuses a component whose imports or exports name another version of
/// the patchart contract, saying which version it targets.
fn check_contract_version(
    engine: &Engine,
    component: &Component,
) -> std::result::Result<(), String> {
    let ty = component.component_type();
    let names = ty
        .imports(engine)
        .map(|(n, _)| n.to_string())
        .chain(ty.exports(engine).map(|(n, _)| n.to_string()));
    let prefix = format!("{CONTRACT_PACKAGE}/");
    for name in names {
        if let Some(rest) = name.strip_prefix(&prefix) {
            let version = rest
                .split_once('@')
                .map(|(_, v)| v)
                .unwrap_or("(unversioned)");
            if !SUPPORTED_CONTRACT_VERSIONS.contains(&version) {
                return Err(format!(
                    "the component targets {CONTRACT_PACKAGE}@{version}; this host accepts {}",
                    SUPPORTED_CONTRACT_VERSIONS
                        .iter()
                        .map(|v| format!("{CONTRACT_PACKAGE}@{v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    Ok(())
}

fn to_wit_dataset(d: &Dataset) -> wit::Dataset {
    wit::Dataset {
        source_type: d.source_type.clone(),
        query: d.query.clone(),
        facets: d
            .facets
            .iter()
            .map(|f| wit::Facet {
                name: f.name.clone(),
                entries: f
                    .entries
                    .iter()
                    .map(|e| wit::Entry {
                        label: e.label.clone(),
                        count: e.count,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Advances the engine's epoch every `tick` for as long as the engine
/// lives; deadlines and cancellation are checked on each advance.
fn spawn_epoch_ticker(engine: &Engine, tick: Duration) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("patchart-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::compile_params_schema;

    #[test]
    fn a_params_schema_with_an_unusable_meta_schema_is_refused_not_a_panic() {
        // Found by the params fuzzer: jsonschema's `meta::is_valid` panics
        // on these, and plugins choose their schema.
        for bad in ["::pr:::::p]*", "https://example.com/my-own-meta-schema"] {
            let e = compile_params_schema(&json!({"$schema": bad, "type": "object"}))
                .expect_err("refused");
            assert!(e.contains("$schema"), "{e}");
        }
        for draft in [
            "http://json-schema.org/draft-07/schema#",
            "https://json-schema.org/draft/2020-12/schema",
        ] {
            assert!(compile_params_schema(&json!({"$schema": draft, "type": "object"})).is_ok());
        }
        assert!(compile_params_schema(&json!({"type": "nonsense"})).is_err());
    }
}
