//! Compiles every crate under `plugins/charts/` and `plugins/hostile/` to a
//! `wasm32-wasip2` component, so a plain `cargo build` / `cargo test` /
//! `cargo run` yields a host with its built-in plugins and no second command.
//!
//! It also builds the SDK component (plugins/sdk-component), embedded so
//! `patchart plugin build` can compose it into Python and JavaScript
//! plugins with no other tool.
//!
//! The built-in charts are embedded into the binary; the hostile plugins
//! (used by the sandbox test suite) are only left on disk, and their
//! directory is exported as `PATCHART_PLUGIN_BUILD_DIR`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";
/// The crate of plugins/sdk-component.
const SDK_COMPONENT: &str = "patchart_sdk_component";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    // What the components are built from; not all of plugins/, which also
    // holds the Python and JavaScript examples with their node_modules and
    // built .wasm files, none of which this script builds.
    for watched in [
        "plugins/charts",
        "plugins/hostile",
        "plugins/sdk",
        "plugins/sdk-component",
        "wit",
        // sqlx::migrate! embeds these: a new migration alone must rebuild.
        "migrations",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let charts = crate_dirs(&root.join("plugins/charts"));
    let hostile = crate_dirs(&root.join("plugins/hostile"));
    let packages: Vec<String> = charts.iter().chain(hostile.iter()).cloned().collect();

    // A separate target dir: the outer cargo holds the lock on its own, and
    // sharing one dir between debug and release host builds means plugins
    // are compiled once.
    let target_dir = cargo_target_dir(&out_dir).join("wasm");
    ensure_wasm_target();
    build_plugins(&root, &target_dir, &packages);
    // On its own: in the same cargo invocation as the plugins, feature
    // unification would build the SDK with its `plugin` feature, whose
    // chart-plugin type section would then be part of this component.
    build_plugins(&root, &target_dir, &[SDK_COMPONENT.to_string()]);

    let wasm_dir = target_dir.join(WASM_TARGET).join(PROFILE);
    let mut code = String::new();
    code.push_str("/// Plugins compiled into this binary, in key order.\n");
    code.push_str("pub static BUILTIN_PLUGINS: &[BuiltinPlugin] = &[\n");
    for name in &charts {
        let wasm = wasm_dir.join(format!("{name}.wasm"));
        assert!(
            wasm.is_file(),
            "plugin build did not produce {}",
            wasm.display()
        );
        writeln!(
            code,
            "    BuiltinPlugin {{ crate_name: {name:?}, wasm: include_bytes!({:?}) }},",
            wasm.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");
    let sdk = wasm_dir.join(format!("{SDK_COMPONENT}.wasm"));
    assert!(
        sdk.is_file(),
        "plugin build did not produce {}",
        sdk.display()
    );
    writeln!(
        code,
        "/// The SDK's drawing as a component exporting `patchart:sdk/draw`.\n\
         pub static SDK_COMPONENT: &[u8] = include_bytes!({:?});",
        sdk.display().to_string()
    )
    .expect("writing to a String cannot fail");
    fs::write(out_dir.join("builtin_plugins.rs"), code).expect("write builtin_plugins.rs");
    println!(
        "cargo:rustc-env=PATCHART_PLUGIN_BUILD_DIR={}",
        wasm_dir.display()
    );
}

/// Sorted names of the crates (directories with a Cargo.toml) under `dir`.
/// Each crate's directory name is its package name.
fn crate_dirs(dir: &Path) -> Vec<String> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Makes sure the toolchain building the host has the guest target's standard
/// library, adding it with rustup when it is missing.
///
/// rustup installs a toolchain file's `targets` only when it installs the
/// toolchain itself: where 1.95.0 was already present without
/// `wasm32-wasip2`, the plugin build would otherwise compile for minutes and
/// then fail with "can't find crate for `std`". This runs before any plugin
/// is compiled, so the fix (or the exact command to run) comes in seconds.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let Some(sysroot) = sysroot else {
        // No sysroot to look in: let the plugin build report what is wrong.
        return;
    };
    if sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        return;
    }
    // Set by rustup's proxies to the toolchain running this build, e.g.
    // `1.95.0-x86_64-unknown-linux-gnu`.
    let toolchain = env::var("RUSTUP_TOOLCHAIN").ok();
    let mut add = Command::new("rustup");
    add.args(["target", "add", WASM_TARGET]);
    if let Some(t) = &toolchain {
        add.args(["--toolchain", t]);
    }
    let command = match &toolchain {
        Some(t) => format!("rustup target add {WASM_TARGET} --toolchain {t}"),
        None => format!("rustup target add {WASM_TARGET}"),
    };
    println!("cargo:warning=the {WASM_TARGET} target is missing; running `{command}`");
    let added = add.status().map(|s| s.success()).unwrap_or(false);
    if !added || !sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        panic!(
            "the plugins need the {WASM_TARGET} standard library, which the toolchain at {} \
             lacks, and `{command}` did not add it. Run that command, then build again.",
            sysroot.display()
        );
    }
}

fn cargo_target_dir(out_dir: &Path) -> PathBuf {
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("target"))
}

fn build_plugins(root: &Path, target_dir: &Path, packages: &[String]) {
    if packages.is_empty() {
        return;
    }
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target")
        .arg(WASM_TARGET)
        .arg("--profile")
        .arg(PROFILE)
        .arg("--target-dir")
        .arg(target_dir);
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    // The outer build's flags and wrappers are for the host target (and for
    // clippy when it drives the build); none of them apply to wasm guests.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("could not run cargo to build plugins: {e}"));
    if !status.success() {
        panic!("building the plugins for {WASM_TARGET} failed (see the errors above).");
    }
}
