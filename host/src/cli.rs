//! The `patchart` command line: the plugin author's loop (`inspect`,
//! `render`, `plugin list|validate`) runs in the same sandbox as the server.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::ingest::{self, IngestLimits};
use crate::pipeline::{self, ChartRequest, OutputFormats};
use crate::plugins::{PluginRegistry, PluginRuntime, RuntimeConfig};
use crate::render::{Rasterizer, Scale};
use crate::style;

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
    /// Inspect plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Time repeated renders of one chart: instantiate, plugin render and
    /// rasterize, reported as medians (warm, after one untimed render).
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The export to chart.
    #[arg(long)]
    pub input: PathBuf,
    /// Algorithm key.
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

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// One line per available algorithm: key, version, name.
    List {
        /// Also load these components.
        #[arg(long)]
        plugin: Vec<PathBuf>,
    },
    /// Load a component the way the server would and report what it is.
    Validate { file: PathBuf },
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
        Command::Plugin(PluginCommand::List { plugin }) => plugin_list(&cli.global, &plugin),
        Command::Plugin(PluginCommand::Validate { file }) => plugin_validate(&cli.global, &file),
        Command::Bench(args) => bench(&cli.global, args),
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

fn plugin_list(global: &GlobalArgs, extra: &[PathBuf]) -> Result<()> {
    let registry = PluginRegistry::new(PluginRuntime::new(global.runtime_config())?);
    registry.load_builtins()?;
    for path in extra {
        registry.load_bytes(&read_file(path)?)?;
    }
    for p in registry.list() {
        println!("{}\t{}\t{}", p.info.key, p.info.version, p.info.name);
    }
    Ok(())
}

fn plugin_validate(global: &GlobalArgs, file: &Path) -> Result<()> {
    let runtime = PluginRuntime::new(global.runtime_config())?;
    let p = runtime.load(&read_file(file)?, None)?;
    println!("ok: {} {} — {}", p.info.key, p.info.version, p.info.name);
    println!("sha256:          {}", p.sha256);
    println!("required facets: {}", p.info.required_facets.join(", "));
    println!("params schema:   {}", p.info.params_schema);
    Ok(())
}

fn bench(global: &GlobalArgs, args: BenchArgs) -> Result<()> {
    use std::time::{Duration, Instant};

    let params: Value = parse_json_arg("--params", &args.params)?;
    let style = style::resolve(&parse_json_arg("--style", &args.style)?)?;
    let dataset = ingest::ingest_path("espacenet_excel", &args.input, &IngestLimits::default())?;
    let runtime = PluginRuntime::new(global.runtime_config())?;
    let registry = PluginRegistry::new(runtime.clone());
    let plugin = registry.get(&args.algorithm, None)?;
    let rasterizer = Rasterizer::new();
    let formats = OutputFormats {
        svg: true,
        png: Some(args.scale),
    };
    let once = || {
        let t = Instant::now();
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
        .map_err(|f| f.error)?;
        Ok::<_, Error>((art.timings, t.elapsed()))
    };
    once()?;
    let n = args.iterations.max(1);
    let mut inst = Vec::with_capacity(n);
    let mut call = Vec::with_capacity(n);
    let mut svg_path = Vec::with_capacity(n);
    let mut raster = Vec::with_capacity(n);
    let mut total = Vec::with_capacity(n);
    for _ in 0..n {
        let (t, wall) = once()?;
        inst.push(t.plugin.instantiate);
        call.push(t.plugin.call);
        svg_path.push(t.plugin.instantiate + t.plugin.call + t.plugin.validate);
        raster.push(t.rasterize);
        total.push(wall);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let rows = [
        ("instantiate_ms", median(&mut inst)),
        ("plugin_render_ms", median(&mut call)),
        ("svg_path_ms", median(&mut svg_path)),
        ("rasterize_ms", median(&mut raster)),
        ("png_path_ms", median(&mut total)),
    ];
    if args.json {
        let mut obj = serde_json::Map::new();
        obj.insert("algorithm".into(), Value::from(args.algorithm.clone()));
        obj.insert("iterations".into(), Value::from(n));
        for (k, v) in rows {
            obj.insert(k.into(), Value::from(v));
        }
        println!("{}", Value::Object(obj));
    } else {
        println!(
            "{} on {} ({} renders, medians):",
            args.algorithm,
            args.input.display(),
            n
        );
        for (k, v) in rows {
            println!("  {k:<18} {v:>9.3}");
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
