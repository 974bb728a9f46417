//! The `patchart` command line: the plugin author's loop (`inspect`,
//! `render`, `plugin new|build|list|validate`) runs in the same sandbox as
//! the server.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::ingest::{self, IngestLimits};
use crate::pipeline::{self, ChartRequest, OutputFormats};
use crate::plugins::{PluginRegistry, PluginRuntime, RuntimeConfig};
use crate::render::{Rasterizer, Scale};
use crate::style;

mod plugin;
mod token;

pub use plugin::PluginCommand;

#[derive(Debug, Parser)]
#[command(
    name = "patchart",
    version,
    about = "Patent-search exports to publication-quality charts, drawn by sandboxed WebAssembly plugins."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory of compiled plugins (skips recompiling on the next run).
    /// Defaults to $XDG_CACHE_HOME/patchart or ~/.cache/patchart.
    #[arg(long, global = true, env = "PATCHART_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile plugins every time instead of using the cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise the canonical dataset of an export: facets, entry counts,
    /// query. Exits 1 with the error on files that cannot be read.
    Inspect {
        file: PathBuf,
        /// Source format of the file.
        #[arg(long, default_value = "espacenet_excel")]
        source_type: String,
        /// Print the whole canonical dataset as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw one chart: writes chart.svg, chart.png and chart_data.json.
    Render(RenderArgs),
    /// Write, build and inspect plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Run the server: REST API, WebSocket progress and workers, on SQLite
    /// and local disk under --data-dir. On a fresh data dir it creates an
    /// admin and prints its token once.
    Serve(ServeArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Time repeated renders of one chart: instantiate, plugin render and
    /// rasterize, reported as medians (warm, after one untimed render).
    Bench(BenchArgs),
    /// Write the built-in `facts` description of a chart_data.json (as
    /// `render` writes it): offline, the paragraph the server's default
    /// provider writes.
    Describe {
        /// A chart_data.json file.
        #[arg(long)]
        chart_data: PathBuf,
        /// en or es.
        #[arg(long, default_value = "en")]
        locale: String,
    },
}

/// Where a command finds the database.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Where the SQLite database (without --database-url), uploads,
    /// artifacts and compiled plugins live.
    #[arg(long, env = "PATCHART_DATA_DIR", default_value = "patchart-data")]
    pub data_dir: PathBuf,
    /// A PostgreSQL database several nodes share
    /// (`postgres://user@host:5432/patchart`); without it, SQLite under
    /// --data-dir.
    #[arg(long, env = "PATCHART_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    pub(crate) async fn open(&self) -> Result<crate::store::Store> {
        crate::store::Store::connect(self.database_url.as_deref(), &self.data_dir).await
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "PATCHART_BIND", default_value = "127.0.0.1:8000")]
    pub bind: std::net::SocketAddr,
    /// Workers (default: one per core on SQLite, two per core on
    /// PostgreSQL; 0 for an API-only node).
    #[arg(long)]
    pub workers: Option<usize>,
    /// This node's name in leases, logs, metrics and `GET /api/nodes/`
    /// (letters, digits, `.` and `-`; default: random at each start).
    /// Give each node sharing a database its own.
    #[arg(long, env = "PATCHART_NODE_ID", value_parser = parse_node_id)]
    pub node_id: Option<String>,
    /// Delete jobs (with their charts, descriptions and events) this many
    /// days after they ended; default: keep them until deleted.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub retain_days: Option<u32>,
    /// Seconds a claimed task stays owned; a dead worker's task runs again
    /// after this.
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// Largest upload, in MiB.
    #[arg(long, default_value_t = 50)]
    pub max_upload_mb: u64,
    /// Jobs one user may have pending or running at once.
    #[arg(long, default_value_t = 20)]
    pub max_active_jobs: i64,
    /// Largest plugin component `POST /api/plugins/` accepts, in MiB.
    #[arg(long, default_value_t = 50)]
    pub max_plugin_mb: u64,
    /// Directory watched for plugin components (`*.wasm`): dropped in is
    /// loaded, replaced is upgraded, removed is retired. Default:
    /// `<data dir>/plugins`.
    #[arg(long, env = "PATCHART_PLUGINS_DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Seconds a client may take to send a request's head (line and
    /// headers); also how long an idle kept-alive connection stays open.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may pause while the server waits for it; a
    /// slow upload that keeps moving is not cut.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_read_timeout_secs: u64,
    #[command(flatten)]
    pub ai: AiArgs,
}

/// Chart descriptions. With none of these set, descriptions are written
/// by the built-in, offline `facts` describer.
#[derive(Debug, Args)]
pub struct AiArgs {
    /// An OpenAI-compatible endpoint, up to the version segment
    /// (https://api.openai.com/v1, http://127.0.0.1:11434/v1 ...).
    /// Default https://api.openai.com/v1 when a key or model is given.
    #[arg(long, env = "PATCHART_OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    /// Its API key, sent as a bearer token.
    #[arg(long, env = "PATCHART_OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,
    /// Models clients may ask for, comma-separated; the first is the default.
    #[arg(long, env = "PATCHART_OPENAI_MODEL", value_delimiter = ',')]
    pub openai_model: Vec<String>,
    /// Milliseconds to connect and get headers, and between two streamed
    /// chunks; past it the next provider of the chain writes the text.
    #[arg(long, env = "PATCHART_OPENAI_TIMEOUT_MS", default_value_t = 30_000)]
    pub openai_timeout_ms: u64,
    /// Retries on HTTP 429 and 5xx, with exponential backoff.
    #[arg(long, env = "PATCHART_OPENAI_MAX_RETRIES", default_value_t = 2)]
    pub openai_max_retries: u32,
    /// Stream answers (server-sent events) so text reaches clients as it
    /// is written.
    #[arg(long, env = "PATCHART_OPENAI_STREAM", default_value_t = true, action = clap::ArgAction::Set)]
    pub openai_stream: bool,
    /// Fallback chain, comma-separated `provider[:model]`, e.g.
    /// `openai:gpt-4o,openai:gpt-4o-mini,facts`; it always ends at facts.
    #[arg(long, env = "PATCHART_AI_CHAIN", value_delimiter = ',')]
    pub ai_chain: Vec<String>,
    /// Concurrent description workers.
    #[arg(long, env = "PATCHART_DESCRIBE_WORKERS", default_value_t = 2)]
    pub describe_workers: usize,
}

impl AiArgs {
    /// The description settings these flags make.
    pub fn describe_config(&self) -> crate::describe::DescribeConfig {
        let models: Vec<String> = self
            .openai_model
            .iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        let wanted =
            self.openai_base_url.is_some() || self.openai_api_key.is_some() || !models.is_empty();
        let openai = wanted.then(|| {
            let base = self
                .openai_base_url
                .as_deref()
                .unwrap_or("https://api.openai.com/v1");
            let mut c = crate::describe::openai::OpenAiConfig::new(base, models);
            c.api_key = self.openai_api_key.clone().filter(|k| !k.is_empty());
            c.timeout = std::time::Duration::from_millis(self.openai_timeout_ms.max(1));
            c.max_retries = self.openai_max_retries;
            c.stream = self.openai_stream;
            c
        });
        crate::describe::DescribeConfig {
            openai,
            chain: self
                .ai_chain
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            workers: self.describe_workers,
            ..crate::describe::DescribeConfig::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (and the user, if new); prints the token alone on the
    /// last line.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// User name.
        #[arg(long)]
        user: String,
        /// Make the user an admin.
        #[arg(long)]
        admin: bool,
        /// A note on what the token is for, shown by `token list`.
        #[arg(long)]
        label: Option<String>,
        /// Days until it stops authenticating (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_days: Option<u32>,
    },
    /// List tokens (never their secrets): id, user, role, label, expiry,
    /// whether revoked.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (from `token list`): it stops
    /// authenticating at once, on every node.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The export to chart.
    #[arg(long)]
    pub input: PathBuf,
    /// Algorithm key, or `all` for every built-in chart (default params).
    #[arg(long, default_value = "top_patent_countries")]
    pub algorithm: String,
    /// Plugin params as a JSON object.
    #[arg(long, default_value = "{}")]
    pub params: String,
    /// Style as a JSON object.
    #[arg(long, default_value = "{}")]
    pub style: String,
    /// Timed renders.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// PNG scale: 1 or 2.
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    pub scale: Scale,
    /// Print the medians as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Time this component instead of the built-in plugin of that key.
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    /// With `--algorithm all`: also time the replaced system's eight charts
    /// rendered together on this many threads, as the server's workers do.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The export to chart.
    #[arg(long)]
    pub input: PathBuf,
    /// Algorithm key, e.g. top_patent_countries.
    #[arg(long)]
    pub algorithm: String,
    /// Plugin params as a JSON object, e.g. '{"top_n": 10}'.
    #[arg(long, default_value = "{}")]
    pub params: String,
    /// Style as a JSON object, e.g. '{"palette": "ocean", "locale": "es"}'.
    #[arg(long, default_value = "{}")]
    pub style: String,
    /// Use this component instead of the built-in plugin of that key.
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    /// PNG scale: 1 or 2.
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    pub scale: Scale,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Source format of the input.
    #[arg(long, default_value = "espacenet_excel")]
    pub source_type: String,
}

fn parse_scale(s: &str) -> std::result::Result<Scale, String> {
    Scale::parse(s).ok_or_else(|| format!("scale must be 1 or 2, got {s:?}"))
}

impl GlobalArgs {
    pub fn runtime_config(&self) -> RuntimeConfig {
        let cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(default_cache_dir)
        };
        RuntimeConfig {
            cache_dir,
            ..RuntimeConfig::default()
        }
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("patchart").join("compiled"))
}

/// Runs a parsed command line; the error, if any, is printed by `main`.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Inspect {
            file,
            source_type,
            json,
        } => inspect(&file, &source_type, json),
        Command::Render(args) => render(&cli.global, args),
        Command::Plugin(command) => plugin::run(&cli.global, command),
        Command::Bench(args) => bench(&cli.global, args),
        Command::Serve(args) => serve(&cli.global, args),
        Command::Describe { chart_data, locale } => describe(&chart_data, &locale),
        Command::Token(command) => token::run(command),
    }
}

fn inspect(file: &Path, source_type: &str, json: bool) -> Result<()> {
    let ds = ingest::ingest_path(source_type, file, &IngestLimits::default())?;
    if json {
        println!(
            "{}",
            to_pretty(&serde_json::to_value(&ds).map_err(internal)?)
        );
        return Ok(());
    }
    println!("file:        {}", ds.file_name);
    println!("source type: {}", ds.source_type);
    println!("sha256:      {}", ds.sha256);
    println!("query:       {}", ds.query.as_deref().unwrap_or("(none)"));
    if let Some(n) = ds.result_count {
        println!("results:     {n}");
    }
    println!("facets:      {}", ds.facets.len());
    let width = ds.facets.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in &ds.facets {
        let top = f
            .entries
            .iter()
            .take(3)
            .map(|e| format!("{} {}", e.label, e.count))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "  {:width$}  {:>5} entries  total {:>6}  sheet {:?}  top: {top}",
            f.name,
            f.entries.len(),
            f.total(),
            f.source_name
        );
    }
    Ok(())
}

fn render(global: &GlobalArgs, args: RenderArgs) -> Result<()> {
    let params: Value = parse_json_arg("--params", &args.params)?;
    let style = style::resolve(&parse_json_arg("--style", &args.style)?)?;
    let dataset = ingest::ingest_path(&args.source_type, &args.input, &IngestLimits::default())?;
    let runtime = PluginRuntime::new(global.runtime_config())?;
    let registry = PluginRegistry::new(runtime.clone());
    let plugin = match &args.plugin {
        Some(path) => {
            let p = registry.load_bytes(&read_file(path)?)?;
            if p.info.key != args.algorithm {
                return Err(Error::new(
                    ErrorCode::PluginNotFound,
                    format!(
                        "{} is plugin {:?}, not {:?}; pass --algorithm {}",
                        path.display(),
                        p.info.key,
                        args.algorithm,
                        p.info.key
                    ),
                ));
            }
            p
        }
        None => registry.get(&args.algorithm, None)?,
    };
    let rasterizer = Rasterizer::new();
    let formats = OutputFormats {
        svg: true,
        png: Some(args.scale),
    };
    let art = pipeline::render_chart(
        &runtime,
        &rasterizer,
        &plugin,
        &ChartRequest {
            dataset: &dataset,
            params: &params,
            style: &style,
            formats,
        },
        None,
    )
    .map_err(|f| {
        print_logs(&f.logs);
        f.error
    })?;
    print_logs(&art.logs);
    std::fs::create_dir_all(&args.out).map_err(|e| io_error(&args.out, e))?;
    let write = |name: &str, bytes: &[u8]| {
        let p = args.out.join(name);
        std::fs::write(&p, bytes).map_err(|e| io_error(&p, e))
    };
    write("chart.svg", art.svg.as_bytes())?;
    if let Some(png) = &art.png {
        write("chart.png", png)?;
    }
    write("chart_data.json", to_pretty(&art.chart_data).as_bytes())?;
    for w in &art.warnings {
        eprintln!("warning: {w}");
    }
    let t = art.timings;
    println!(
        "{} {} ({}): wrote chart.svg, chart.png, chart_data.json to {} [instantiate {:.2} ms, render {:.2} ms, rasterize {:.2} ms]",
        plugin.info.key,
        plugin.info.version,
        &plugin.sha256[..12],
        args.out.display(),
        t.plugin.instantiate.as_secs_f64() * 1e3,
        t.plugin.call.as_secs_f64() * 1e3,
        t.rasterize.as_secs_f64() * 1e3,
    );
    Ok(())
}

pub(crate) fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

fn serve(global: &GlobalArgs, args: ServeArgs) -> Result<()> {
    let mut config = crate::server::ServerConfig::new(args.store.data_dir.clone(), args.bind);
    config.database_url = args.store.database_url.clone();
    if global.no_cache {
        config.runtime.cache_dir = None;
    } else if let Some(dir) = &global.cache_dir {
        config.runtime.cache_dir = Some(dir.clone());
    }
    config.workers.workers = match args.workers {
        Some(w) => w,
        // A worker on PostgreSQL spends a good part of each task waiting
        // on round trips to the database (the claim, the blob writes, the
        // ends); with one per core the cores idle meanwhile. Measured
        // with cluster_bench on 2 cores: 4 workers got 980-1140 trivial
        // tasks/s through the queue, 2 workers 820-910.
        None if config.database_url.is_some() => 2 * config.workers.workers,
        None => config.workers.workers,
    };
    if let Some(id) = &args.node_id {
        config.workers.node_id = id.clone();
    }
    config.workers.lease = std::time::Duration::from_secs(args.lease_secs.max(6));
    config.retain = args
        .retain_days
        .map(|d| std::time::Duration::from_secs(u64::from(d) * 24 * 3600));
    config.limits.max_upload_bytes = args.max_upload_mb << 20;
    config.limits.ingest.max_upload_bytes = args.max_upload_mb << 20;
    config.limits.max_active_jobs_per_user = args.max_active_jobs;
    config.limits.max_plugin_bytes = args.max_plugin_mb << 20;
    if let Some(dir) = &args.plugins_dir {
        config.plugins_dir = dir.clone();
    }
    config.read_timeouts = crate::http::ReadTimeouts {
        header: std::time::Duration::from_secs(args.header_read_timeout_secs),
        body: std::time::Duration::from_secs(args.body_read_timeout_secs),
    };
    config.describe = args.ai.describe_config();
    tokio_runtime()?.block_on(async move {
        let store = args.store.open().await?;
        let first_token = if store.user_count().await? == 0 {
            let admin = store.ensure_user("admin", true).await?;
            Some(store.create_token(&admin).await?)
        } else {
            None
        };
        // Like Jupyter, every start prints a fresh console login URL: its
        // token works once, for a day, and signs in as the admin; whoever
        // reads this output runs the server anyway.
        let login = match store.user_named("admin").await? {
            Some(admin) if admin.is_admin() => Some(store.create_login_token(&admin).await?),
            _ => None,
        };
        let server = crate::server::start(config).await?;
        let url = format!("http://{}", server.addr());
        println!(
            "patchart listening on {url} (node {}, data dir {}, database {})",
            server.node_id(),
            args.store.data_dir.display(),
            store.backend().as_str()
        );
        if let Some(token) = first_token {
            println!("created user admin; its token (shown once, keep it):");
            println!("{token}");
            println!("try: curl -H 'Authorization: Bearer {token}' {url}/api/algorithms/");
        }
        if let Some(login) = login {
            println!("console: {url}/login?token={login}");
        }
        println!("ready: {url}/healthz");
        server.wait_for_signal().await;
        Ok(())
    })
}

fn describe(chart_data: &Path, locale: &str) -> Result<()> {
    let locale = patchart_sdk::format::Locale::parse(locale).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidStyle,
            format!("unknown locale {locale:?}; valid: en, es"),
        )
    })?;
    let cd: Value = serde_json::from_slice(&read_file(chart_data)?).map_err(|e| {
        Error::new(
            ErrorCode::AiNoChartData,
            format!("{} is not JSON: {e}", chart_data.display()),
        )
    })?;
    println!("{}", crate::describe::facts::describe(&cd, locale)?);
    Ok(())
}

/// The eight charts of the replaced system, for the benchmark's totals.
const REPLACED_SYSTEM_CHARTS: &[&str] = &[
    "top_patent_countries",
    "top_patent_applicants",
    "top_patent_inventors",
    "patent_evolution",
    "patent_cumulative",
    "patent_trends_cumulative",
    "patent_forecast",
    "cpc_treemap",
];

fn bench(global: &GlobalArgs, args: BenchArgs) -> Result<()> {
    use std::time::{Duration, Instant};

    let params: Value = parse_json_arg("--params", &args.params)?;
    let style = style::resolve(&parse_json_arg("--style", &args.style)?)?;
    let dataset = ingest::ingest_path("espacenet_excel", &args.input, &IngestLimits::default())?;
    let runtime = PluginRuntime::new(global.runtime_config())?;
    let registry = PluginRegistry::new(runtime.clone());
    if let Some(path) = &args.plugin {
        registry.load_bytes(&read_file(path)?)?;
    }
    let keys: Vec<String> = if args.algorithm == "all" {
        crate::plugins::BUILTIN_PLUGINS
            .iter()
            .map(|b| b.crate_name.to_string())
            .collect()
    } else {
        vec![args.algorithm.clone()]
    };
    let plugins = keys
        .iter()
        .map(|k| registry.get(k, None))
        .collect::<Result<Vec<_>>>()?;
    let rasterizer = Rasterizer::new();
    let formats = OutputFormats {
        svg: true,
        png: Some(args.scale),
    };
    let once = |plugin: &crate::plugins::LoadedPlugin| {
        let t = Instant::now();
        let p = if args.algorithm == "all" {
            Value::Object(Default::default())
        } else {
            params.clone()
        };
        let art = pipeline::render_chart(
            &runtime,
            &rasterizer,
            plugin,
            &ChartRequest {
                dataset: &dataset,
                params: &p,
                style: &style,
                formats,
            },
            None,
        )
        .map_err(|f| {
            Error::new(
                f.error.code,
                format!("{}: {}", plugin.info.key, f.error.message),
            )
        })?;
        Ok::<_, Error>((art.timings, t.elapsed()))
    };
    for p in &plugins {
        once(p)?;
    }
    let n = args.iterations.max(1);
    // Per plugin: instantiate, call, svg path, rasterize, total.
    let mut samples: Vec<[Vec<Duration>; 5]> = plugins.iter().map(|_| Default::default()).collect();
    let mut totals_all = Vec::with_capacity(n);
    let mut totals_eight = Vec::with_capacity(n);
    for _ in 0..n {
        let mut all = Duration::ZERO;
        let mut eight = Duration::ZERO;
        for (i, p) in plugins.iter().enumerate() {
            let (t, wall) = once(p)?;
            let s = &mut samples[i];
            s[0].push(t.plugin.instantiate);
            s[1].push(t.plugin.call);
            s[2].push(t.plugin.instantiate + t.plugin.call + t.plugin.validate);
            s[3].push(t.rasterize);
            s[4].push(wall);
            all += wall;
            if REPLACED_SYSTEM_CHARTS.contains(&p.info.key.as_str()) {
                eight += wall;
            }
        }
        totals_all.push(all);
        totals_eight.push(eight);
    }
    let mut eight_parallel = Vec::new();
    if args.parallel > 1 {
        let eight: Vec<&crate::plugins::LoadedPlugin> = plugins
            .iter()
            .filter(|p| REPLACED_SYSTEM_CHARTS.contains(&p.info.key.as_str()))
            .map(|p| p.as_ref())
            .collect();
        for _ in 0..n {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let t = Instant::now();
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..args.parallel)
                    .map(|_| {
                        scope.spawn(|| {
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                let Some(p) = eight.get(i) else { return Ok(()) };
                                once(p)?;
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| {
                        w.join().unwrap_or_else(|_| {
                            Err(Error::new(ErrorCode::Internal, "a bench thread panicked"))
                        })
                    })
                    .collect::<Result<Vec<()>>>()
            })?;
            eight_parallel.push(t.elapsed());
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let names = [
        "instantiate_ms",
        "plugin_render_ms",
        "svg_path_ms",
        "rasterize_ms",
        "png_path_ms",
    ];
    let mut per_chart = serde_json::Map::new();
    for (p, s) in plugins.iter().zip(samples.iter_mut()) {
        let mut obj = serde_json::Map::new();
        for (name, v) in names.iter().zip(s.iter_mut()) {
            obj.insert((*name).into(), Value::from(median(v)));
        }
        per_chart.insert(p.info.key.clone(), Value::Object(obj));
    }
    let total_all = median(&mut totals_all);
    let total_eight = median(&mut totals_eight);
    if args.json {
        let mut out = serde_json::Map::new();
        out.insert("iterations".into(), Value::from(n));
        if let [single] = keys.as_slice() {
            out.insert("algorithm".into(), Value::from(single.clone()));
            if let Some(Value::Object(m)) = per_chart.get(single) {
                out.extend(m.clone());
            }
        }
        out.insert("charts".into(), Value::Object(per_chart));
        out.insert("total_all_ms".into(), Value::from(total_all));
        out.insert("total_eight_ms".into(), Value::from(total_eight));
        if !eight_parallel.is_empty() {
            out.insert(
                "eight_parallel_ms".into(),
                Value::from(median(&mut eight_parallel)),
            );
            out.insert("parallel".into(), Value::from(args.parallel));
        }
        println!("{}", Value::Object(out));
    } else {
        println!(
            "{} renders of each chart on {} (medians, ms):",
            n,
            args.input.display()
        );
        println!(
            "  {:<32} {:>11} {:>9} {:>9} {:>10} {:>9}",
            "chart", "instantiate", "render", "svg path", "rasterize", "png path"
        );
        for (key, v) in &per_chart {
            let g = |k: &str| v[k].as_f64().unwrap_or(0.0);
            println!(
                "  {key:<32} {:>11.3} {:>9.3} {:>9.3} {:>10.3} {:>9.3}",
                g("instantiate_ms"),
                g("plugin_render_ms"),
                g("svg_path_ms"),
                g("rasterize_ms"),
                g("png_path_ms")
            );
        }
        if keys.len() > 1 {
            println!(
                "  total, all {} charts: {total_all:.3} ms; the replaced system's eight: {total_eight:.3} ms",
                keys.len()
            );
        }
        if !eight_parallel.is_empty() {
            println!(
                "  the eight on {} threads together: {:.3} ms",
                args.parallel,
                median(&mut eight_parallel)
            );
        }
    }
    Ok(())
}

fn print_logs(logs: &crate::plugins::PluginLogs) {
    for (name, text) in [("stdout", &logs.stdout), ("stderr", &logs.stderr)] {
        if !text.trim().is_empty() {
            eprintln!("--- plugin {name} ---\n{}", text.trim_end());
        }
    }
}

/// Node ids end up in lease owners (`<node>/<worker>`) matched by prefix
/// and in metric labels: no separators, no SQL wildcards.
fn parse_node_id(s: &str) -> std::result::Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(s.to_string())
    } else {
        Err("a node id is 1-64 letters, digits, '.' or '-'".to_string())
    }
}

fn parse_json_arg(flag: &str, s: &str) -> Result<Value> {
    serde_json::from_str(s).map_err(|e| {
        Error::new(
            ErrorCode::PluginInvalidParams,
            format!("{flag} is not valid JSON ({e}); pass an object such as '{{}}'"),
        )
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorCode::Internal, format!("{}: {e}", path.display()))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Internal, e.to_string())
}

fn to_pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}
