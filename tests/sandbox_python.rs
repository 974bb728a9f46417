//! The sandbox against a real CPython guest: `plugins/hostile-python`,
//! built with componentize-py by `patchart plugin build`. CPython imports
//! `wasi:sockets` and the filesystem whether or not a plugin uses them, so
//! the sandbox links them; these tests prove that linking them granted
//! nothing, and that Python guests stop at the same limits as Rust ones.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use patchart::ErrorCode;
use patchart::plugins::PluginLimits;
use patchart::style::ResolvedStyle;
use patchart_suite::{polyglot, registry, runtime, sample_dataset};
use serde_json::{Value, json};

const HOSTILE: &str = "hostile-python/hostile_python";

/// The hostile plugin, built against its own world (the chart contract
/// plus `wasi:sockets`, see its `wit/hostile.wit`).
fn hostile() -> Option<Vec<u8>> {
    polyglot::built_with(
        HOSTILE,
        &polyglot::Contract::Own {
            world: "hostile-python".into(),
        },
    )
}

/// The deadline of the plugin that never stops by itself.
const DEADLINE: Duration = Duration::from_millis(1500);

fn limits(timeout: Duration) -> PluginLimits {
    PluginLimits {
        timeout,
        ..PluginLimits::default()
    }
}

/// A normal chart renders on the same runtime right after.
fn assert_normal_chart_renders(after: &str) {
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in loads");
    let out = runtime()
        .render(
            &plugin,
            &sample_dataset(),
            &json!({}),
            &ResolvedStyle::default(),
            None,
        )
        .unwrap_or_else(|f| panic!("normal chart failed right after {after}: {f}"));
    assert!(out.svg.contains("<svg"), "after {after}");
}

/// Renders the hostile plugin in `mode`; the result and how long the call
/// took.
fn run(
    wasm: &[u8],
    params: Value,
    timeout: Duration,
) -> (
    Result<patchart::plugins::PluginOutput, patchart::plugins::PluginFailure>,
    Duration,
) {
    let rt = runtime();
    let plugin = rt
        .load(wasm, Some(limits(timeout)))
        .unwrap_or_else(|e| panic!("the Python plugin loads (CPython's imports are linked): {e}"));
    let started = Instant::now();
    let result = rt.render(
        &plugin,
        &sample_dataset(),
        &params,
        &ResolvedStyle::default(),
        None,
    );
    (result, started.elapsed())
}

#[test]
fn a_python_plugin_cannot_open_a_file_a_socket_or_read_the_host_environment() {
    let Some(wasm) = hostile() else {
        return;
    };
    // A listener the plugin is told to connect to: if the sandbox let the
    // connection through, it would be waiting here.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("its port").port();
    // A file that certainly exists on the host.
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");

    let (result, _) = run(
        &wasm,
        json!({"mode": "escape", "port": port, "file": file, "env": "PATH"}),
        Duration::from_secs(30),
    );
    let out = result.unwrap_or_else(|f| panic!("the escape attempt renders its report: {f}"));
    let report = out.chart_data["notes"][0].as_str().expect("a report");
    let tries: Value = serde_json::from_str(report).expect("the report is JSON");
    for attempt in [
        "open_file",
        "write_file",
        "list_root",
        "getenv",
        "socket",
        "resolve",
        "python_socket",
    ] {
        assert_eq!(
            tries[attempt]["ok"], false,
            "{attempt} succeeded inside the sandbox: {}",
            tries[attempt]
        );
    }
    assert_eq!(
        tries["environ"]["value"], "{}",
        "the environment is empty: {}",
        tries["environ"]
    );
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the plugin connected to the host from {from}"),
        Err(e) => panic!("the listener failed: {e}"),
    }
    assert!(
        !report.contains(&std::env::var("PATH").unwrap_or_else(|_| "/usr/bin".into())),
        "the host's PATH leaked into the report: {report}"
    );
    assert_normal_chart_renders("the Python escape attempt");
}

#[test]
fn a_python_infinite_loop_times_out_within_its_deadline_plus_a_second() {
    let Some(wasm) = hostile() else {
        return;
    };
    let (result, elapsed) = run(&wasm, json!({"mode": "spin"}), DEADLINE);
    let failure = result.expect_err("an endless loop does not return");
    assert_eq!(
        failure.error.code,
        ErrorCode::PluginTimeout,
        "{}",
        failure.error
    );
    assert!(elapsed >= DEADLINE, "stopped early: {elapsed:?}");
    assert!(
        elapsed < DEADLINE + Duration::from_secs(1),
        "stopped {elapsed:?} after it started, more than a second past its deadline"
    );
    assert_normal_chart_renders("the Python endless loop");
}

#[test]
fn a_python_memory_bomb_is_out_of_memory() {
    let Some(wasm) = hostile() else {
        return;
    };
    let (result, elapsed) = run(&wasm, json!({"mode": "bomb"}), Duration::from_secs(30));
    let failure = result.expect_err("an endless allocation does not return");
    assert_eq!(
        failure.error.code,
        ErrorCode::PluginOom,
        "{} (after {elapsed:?})",
        failure.error
    );
    assert_normal_chart_renders("the Python memory bomb");
}
