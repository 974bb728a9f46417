//! `patchart serve` as a process of its own, for tests that kill it,
//! signal it or run several side by side.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A server process and what it printed at start.
pub struct ServeProcess {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The admin token a fresh data dir prints once.
    pub token: Option<String>,
    /// The console's one-time login URL, printed at every start.
    pub login_url: Option<String>,
}

/// Starts `patchart serve` on an ephemeral loopback port with `data_dir`,
/// the suite's compile cache and `args`; returns once it says it is ready.
pub fn serve(data_dir: &Path, args: &[&str]) -> ServeProcess {
    serve_logged(data_dir, args, None)
}

/// [`serve`], with its log (`PATCHART_LOG=<filter>`) written to `log`.
pub fn serve_logged(data_dir: &Path, args: &[&str], log: Option<(&str, &Path)>) -> ServeProcess {
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-compile-cache");
    let mut cmd = Command::new(crate::patchart_bin());
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .stdout(Stdio::piped());
    match log {
        Some((filter, path)) => {
            let file = std::fs::File::create(path).expect("log file");
            cmd.env("PATCHART_LOG", filter).stderr(file);
        }
        None => {
            cmd.stderr(Stdio::null());
        }
    }
    let mut child = cmd.spawn().expect("spawn patchart serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    let mut token = None;
    let mut login_url = None;
    let mut next_is_token = false;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if next_is_token {
            token = Some(line.trim().to_string());
            next_is_token = false;
        } else if let Some(rest) = line.strip_prefix("patchart listening on ") {
            base = rest.split_whitespace().next().map(str::to_string);
        } else if let Some(rest) = line.strip_prefix("console: ") {
            login_url = Some(rest.trim().to_string());
        } else if line.contains("its token") {
            next_is_token = true;
        } else if line.starts_with("ready:") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    ServeProcess {
        child,
        base: base.expect("listening line"),
        token,
        login_url,
    }
}
