//! `patchart plugin build <dir>`: one command for every language. It
//! finds the language from the files in `dir`, runs that language's
//! toolchain (cargo, componentize-py, componentize-js) and, for Python and
//! JavaScript, composes the SDK component into the result
//! ([`super::compose`]). A missing tool is named with the command that
//! installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{COMPONENTIZE_PY_VERSION, GUEST_WORLD, Lang, compose};
use crate::error::{Error, ErrorCode, Result};

/// WASI features componentize-js leaves out: with them the component
/// would import `wasi:http`, which the sandbox does not grant.
const JS_DISABLED: &[&str] = &["http", "fetch-event"];

/// The contract Python and JavaScript plugins are built against, as the
/// host implements it: written into the build's scratch directory, so a
/// plugin directory needs no copy of `wit/` that could fall out of date.
const WIT: &[(&str, &str)] = &[
    ("chart.wit", include_str!("../../../wit/chart.wit")),
    (
        "deps/sdk/draw.wit",
        include_str!("../../../wit/deps/sdk/draw.wit"),
    ),
];

/// A built plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub lang: Lang,
    pub wasm: PathBuf,
    pub bytes: usize,
    /// Whether the SDK component was composed in.
    pub with_sdk: bool,
}

/// Which language the plugin in `dir` is written in.
pub fn detect(dir: &Path) -> Result<Lang> {
    if dir.join("Cargo.toml").is_file() {
        Ok(Lang::Rust)
    } else if dir.join("package.json").is_file() {
        Ok(Lang::Js)
    } else if dir.join("app.py").is_file() {
        Ok(Lang::Python)
    } else {
        Err(Error::new(
            ErrorCode::PluginBuildFailed,
            format!(
                "{} holds no plugin: expected Cargo.toml (Rust), package.json (JavaScript) or \
                 app.py (Python); `patchart plugin new --lang <rust|python|js> <dir>` writes one",
                dir.display()
            ),
        ))
    }
}

/// Which WIT a Python or JavaScript plugin is built against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Contract {
    /// The contract compiled into this binary, world `drawing-plugin`.
    #[default]
    Host,
    /// The plugin's own `wit/` directory and the named world in it: for a
    /// world that includes `patchart:chart/chart-plugin` and imports more
    /// (which the sandbox must then grant, or refuse to load).
    Own { world: String },
}

/// Builds the plugin in `dir` into `out` (default `<dir>/<dir name>.wasm`)
/// against the host's contract.
pub fn build(dir: &Path, out: Option<&Path>) -> Result<Built> {
    build_with(dir, out, &Contract::Host)
}

/// [`build`], against `contract`.
pub fn build_with(dir: &Path, out: Option<&Path>, contract: &Contract) -> Result<Built> {
    let lang = detect(dir)?;
    // Absolute, because each toolchain runs in the plugin's directory and
    // is handed paths inside it.
    let dir = &dir.canonicalize().map_err(|e| io(dir, e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".to_owned());
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(format!("{name}.wasm")));
    let (wasm, with_sdk) = match lang {
        Lang::Rust => (build_rust(dir)?, false),
        Lang::Python => compose_guest(&build_python(dir, contract)?)?,
        Lang::Js => compose_guest(&build_js(dir, contract)?)?,
    };
    std::fs::write(&out, &wasm).map_err(|e| io(&out, e))?;
    Ok(Built {
        lang,
        wasm: out,
        bytes: wasm.len(),
        with_sdk,
    })
}

fn compose_guest(guest: &[u8]) -> Result<(Vec<u8>, bool)> {
    let c = compose::with_sdk(guest)?;
    Ok((c.wasm, c.with_sdk))
}

/// A tool the build runs: its name and how an author gets it.
struct Tool {
    program: &'static str,
    install: &'static str,
}

const CARGO: Tool = Tool {
    program: "cargo",
    install: "install Rust with rustup (https://rustup.rs), then `rustup target add wasm32-wasip2`",
};
const COMPONENTIZE_PY: Tool = Tool {
    program: "componentize-py",
    install: "pip install componentize-py==0.25.1",
};
const NPM: Tool = Tool {
    program: "npm",
    install: "install Node.js 20 or newer with npm (e.g. `apt-get install nodejs npm`, or from https://nodejs.org)",
};
const NODE: Tool = Tool {
    program: "node",
    install: "install Node.js 20 or newer with npm (e.g. `apt-get install nodejs npm`, or from https://nodejs.org)",
};

/// Runs `cmd` (whose program is `tool`), turning "not found" into
/// `PLUGIN_TOOL_MISSING` with the install command, and a failure into
/// `PLUGIN_BUILD_FAILED` with the end of what it printed.
fn run(tool: &Tool, cmd: &mut Command, what: &str) -> Result<Output> {
    let output = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                ErrorCode::PluginToolMissing,
                format!(
                    "{what} needs `{}`, which is not on PATH; {}",
                    tool.program, tool.install
                ),
            )
        } else {
            Error::new(
                ErrorCode::PluginBuildFailed,
                format!("could not run `{}`: {e}", tool.program),
            )
        }
    })?;
    if !output.status.success() {
        let mut printed = String::from_utf8_lossy(&output.stderr).into_owned();
        printed.push_str(&String::from_utf8_lossy(&output.stdout));
        let tail: Vec<&str> = printed.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::new(
            ErrorCode::PluginBuildFailed,
            format!(
                "{what} failed (`{}` exited with {}):\n{}",
                tool.program,
                output.status,
                tail.join("\n")
            ),
        ));
    }
    Ok(output)
}

fn build_rust(dir: &Path) -> Result<Vec<u8>> {
    let target = dir.join("target");
    let output = run(
        &CARGO,
        Command::new("cargo")
            .current_dir(dir)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--message-format=json-render-diagnostics",
            ])
            .arg("--target-dir")
            .arg(&target),
        "building the Rust plugin",
    )?;
    // The component is the cdylib artifact cargo reports; reading it from
    // cargo's messages avoids guessing the crate's file name.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let wasm = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
        })
        .rfind(|f| f.extension().is_some_and(|x| x == "wasm"))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::PluginBuildFailed,
                "cargo built no .wasm: the crate needs `crate-type = [\"cdylib\", \"rlib\"]` under [lib]",
            )
        })?;
    std::fs::read(&wasm).map_err(|e| io(&wasm, e))
}

/// The WIT directory and world a build uses.
fn contract_of(dir: &Path, tmp: &TempDir, contract: &Contract) -> (PathBuf, String) {
    match contract {
        Contract::Host => (tmp.wit(), GUEST_WORLD.to_owned()),
        Contract::Own { world } => (dir.join("wit"), world.clone()),
    }
}

fn build_python(dir: &Path, contract: &Contract) -> Result<Vec<u8>> {
    let version = run(
        &COMPONENTIZE_PY,
        Command::new("componentize-py").arg("--version"),
        "building the Python plugin",
    )?;
    let version = String::from_utf8_lossy(&version.stdout);
    if !version.contains(COMPONENTIZE_PY_VERSION) {
        tracing::warn!(
            found = %version.trim(),
            "plugins are built and tested with componentize-py {COMPONENTIZE_PY_VERSION}; \
             `pip install componentize-py=={COMPONENTIZE_PY_VERSION}` installs it"
        );
    }
    let tmp = scratch()?;
    let guest = tmp.path().join("guest.wasm");
    let (wit, world) = contract_of(dir, &tmp, contract);
    run(
        &COMPONENTIZE_PY,
        Command::new("componentize-py")
            .current_dir(dir)
            .arg("-d")
            .arg(&wit)
            .args(["-w", &world, "componentize", "app", "-p", "."])
            .arg("-o")
            .arg(&guest),
        "building the Python plugin",
    )?;
    std::fs::read(&guest).map_err(|e| io(&guest, e))
}

fn build_js(dir: &Path, contract: &Contract) -> Result<Vec<u8>> {
    let cli = dir.join("node_modules/@bytecodealliance/componentize-js/src/cli.js");
    if !cli.is_file() {
        // The lock file pins the toolchain: `npm ci` installs exactly it.
        run(
            &NPM,
            Command::new("npm")
                .current_dir(dir)
                .args(["ci", "--no-audit", "--no-fund"]),
            "installing the plugin's locked toolchain (npm ci)",
        )?;
    }
    if !cli.is_file() {
        return Err(Error::new(
            ErrorCode::PluginToolMissing,
            format!(
                "{} does not install @bytecodealliance/componentize-js; add it to devDependencies \
                 (`npm install --save-exact --save-dev @bytecodealliance/componentize-js@0.23.0`)",
                dir.join("package.json").display()
            ),
        ));
    }
    let tmp = scratch()?;
    let guest = tmp.path().join("guest.wasm");
    let (wit, world) = contract_of(dir, &tmp, contract);
    let mut cmd = Command::new("node");
    cmd.current_dir(dir)
        .arg(&cli)
        .arg("app.js")
        .arg("--wit")
        .arg(&wit)
        .args(["--world-name", &world]);
    for feature in JS_DISABLED {
        cmd.args(["--disable", feature]);
    }
    cmd.arg("--out").arg(&guest);
    run(&NODE, &mut cmd, "building the JavaScript plugin")?;
    std::fs::read(&guest).map_err(|e| io(&guest, e))
}

/// A directory for the contract and a toolchain's intermediate component,
/// removed after.
fn scratch() -> Result<TempDir> {
    TempDir::new()
}

/// A scratch directory removed on drop (std has none; the host has no
/// tempfile dependency outside its tests).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!(
            "patchart-build-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).map_err(|e| io(&path, e))?;
        let dir = TempDir(path);
        for (name, text) in WIT {
            let file = dir.wit().join(name);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(&file, text).map_err(|e| io(&file, e))?;
        }
        Ok(dir)
    }

    /// The contract, as [`WIT`] lists it.
    fn wit(&self) -> PathBuf {
        self.0.join("wit")
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorCode::Internal, format!("{}: {e}", path.display()))
}
