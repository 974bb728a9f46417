//! `patchart plugin …`: the plugin author's commands. `new` and `build`
//! cover Rust, Python and JavaScript ([`crate::authoring`]); `list` and
//! `validate` load components exactly as the server does.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{GlobalArgs, read_file};
use crate::authoring::toolchain::Contract;
use crate::authoring::{self, Lang};
use crate::error::Result;
use crate::plugins::{PluginRegistry, PluginRuntime};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a working starter plugin into a new directory; the
    /// directory's name becomes the plugin key.
    New {
        /// The language of the plugin.
        #[arg(long, value_enum, default_value = "rust")]
        lang: Lang,
        dir: PathBuf,
    },
    /// Build the plugin in a directory (Rust, Python or JavaScript, found
    /// from its files) into one component, ready to validate, render,
    /// upload or drop into the watched plugins directory.
    Build {
        dir: PathBuf,
        /// Where to write the component; default `<dir>/<dir name>.wasm`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Python and JavaScript only: build against the plugin's own
        /// `wit/` directory and this world instead of the host's
        /// `drawing-plugin` (a world including patchart:chart/chart-plugin).
        #[arg(long)]
        world: Option<String>,
    },
    /// One line per available algorithm: key, version, name.
    List {
        /// Also load these components.
        #[arg(long)]
        plugin: Vec<PathBuf>,
    },
    /// Load a component the way the server would and report what it is.
    Validate { file: PathBuf },
}

pub fn run(global: &GlobalArgs, command: PluginCommand) -> Result<()> {
    match command {
        PluginCommand::New { lang, dir } => new(lang, &dir),
        PluginCommand::Build { dir, out, world } => build(&dir, out.as_deref(), world),
        PluginCommand::List { plugin } => list(global, &plugin),
        PluginCommand::Validate { file } => validate(global, &file),
    }
}

fn new(lang: Lang, dir: &Path) -> Result<()> {
    let starter = authoring::starters::write(lang, dir)?;
    println!(
        "wrote a {} plugin `{}` in {}:",
        lang.name(),
        starter.key,
        dir.display()
    );
    for f in &starter.files {
        println!("  {}", f.display());
    }
    let setup = match lang {
        Lang::Rust => String::new(),
        Lang::Python => format!(
            "  pip install componentize-py=={}   (once)\n",
            authoring::COMPONENTIZE_PY_VERSION
        ),
        Lang::Js => "  (the build runs `npm ci` once to install the locked toolchain)\n".to_owned(),
    };
    println!(
        "next:\n{setup}  patchart plugin build {d}\n  patchart plugin validate {d}/{k}.wasm",
        d = dir.display(),
        k = dir
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    Ok(())
}

fn build(dir: &Path, out: Option<&Path>, world: Option<String>) -> Result<()> {
    let started = std::time::Instant::now();
    let contract = match world {
        Some(world) => Contract::Own { world },
        None => Contract::Host,
    };
    let built = authoring::toolchain::build_with(dir, out, &contract)?;
    println!(
        "built {} ({} plugin{}, {:.1} MB) in {:.1} s",
        built.wasm.display(),
        built.lang.name(),
        if built.with_sdk {
            ", SDK composed in"
        } else {
            ""
        },
        built.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn list(global: &GlobalArgs, extra: &[PathBuf]) -> Result<()> {
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

fn validate(global: &GlobalArgs, file: &Path) -> Result<()> {
    let runtime = PluginRuntime::new(global.runtime_config())?;
    let p = runtime.load(&read_file(file)?, None)?;
    println!("ok: {} {} — {}", p.info.key, p.info.version, p.info.name);
    println!("sha256:          {}", p.sha256);
    println!("required facets: {}", p.info.required_facets.join(", "));
    println!("params schema:   {}", p.info.params_schema);
    Ok(())
}
