//! The hostile plugin suite: real components built in this workspace that
//! misbehave on purpose. Each must end with its stable error code within
//! its deadline + 1 s, and the same runtime must draw a normal chart right
//! after.

use std::time::{Duration, Instant};

use patchart::ErrorCode;
use patchart::plugins::{CancelToken, PluginLimits};
use patchart::style::ResolvedStyle;
use patchart_suite::{plugin_wasm, registry, runtime, sample_dataset};
use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_millis(1500);

fn limits() -> PluginLimits {
    PluginLimits {
        timeout: DEADLINE,
        ..PluginLimits::default()
    }
}

/// Runs `name` once; returns the error code (or `None` on success), the
/// error message and how long it took.
fn run_hostile(name: &str, params: Value) -> (Option<ErrorCode>, String, Duration) {
    let rt = runtime();
    let plugin = rt
        .load(&plugin_wasm(name), Some(limits()))
        .expect("hostile plugins load");
    let started = Instant::now();
    let result = rt.render(
        &plugin,
        &sample_dataset(),
        &params,
        &ResolvedStyle::default(),
        None,
    );
    let elapsed = started.elapsed();
    match result {
        Ok(out) => (None, out.warnings.join("; "), elapsed),
        Err(f) => (Some(f.error.code), f.error.message, elapsed),
    }
}

/// A normal chart renders on the same runtime.
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

fn expect_code(name: &str, params: Value, code: ErrorCode) -> String {
    let (got, message, elapsed) = run_hostile(name, params);
    assert_eq!(
        got,
        Some(code),
        "{name}: expected {code}, got {got:?}: {message}"
    );
    assert!(
        elapsed < DEADLINE + Duration::from_secs(1),
        "{name} took {elapsed:?}, more than the deadline + 1 s"
    );
    assert_normal_chart_renders(name);
    message
}

#[test]
fn infinite_loop_times_out() {
    let (code, message, elapsed) = run_hostile("hostile_spin", json!({}));
    assert_eq!(code, Some(ErrorCode::PluginTimeout), "{message}");
    assert!(
        elapsed >= DEADLINE,
        "stopped before its deadline: {elapsed:?}"
    );
    assert!(elapsed < DEADLINE + Duration::from_secs(1), "{elapsed:?}");
    assert!(message.contains("1500 ms"), "{message}");
    assert_normal_chart_renders("hostile_spin");
}

#[test]
fn memory_bomb_is_out_of_memory() {
    let message = expect_code("hostile_memory_bomb", json!({}), ErrorCode::PluginOom);
    assert!(message.contains("64 MiB"), "{message}");
}

#[test]
fn unbounded_recursion_traps() {
    expect_code("hostile_recursion", json!({}), ErrorCode::PluginTrap);
}

#[test]
fn panic_traps_with_its_message() {
    let message = expect_code("hostile_panic", json!({}), ErrorCode::PluginTrap);
    assert!(message.contains("panicked on purpose"), "{message}");
}

#[test]
fn fifty_megabyte_svg_is_invalid_output() {
    let message = expect_code(
        "hostile_huge_svg",
        json!({}),
        ErrorCode::PluginInvalidOutput,
    );
    assert!(message.contains("8388608"), "names the limit: {message}");
}

#[test]
fn chart_data_that_is_not_json_is_invalid_output() {
    let message = expect_code(
        "hostile_bad_chart_data",
        json!({}),
        ErrorCode::PluginInvalidOutput,
    );
    assert!(message.contains("not JSON"), "{message}");
}

#[test]
fn chart_data_outside_the_schema_is_invalid_output() {
    let message = expect_code(
        "hostile_bad_chart_data",
        json!({"mode": "wrong_shape"}),
        ErrorCode::PluginInvalidOutput,
    );
    assert!(message.contains("schema"), "{message}");
}

#[test]
fn params_failing_the_plugin_schema_are_refused_before_render() {
    let message = expect_code(
        "hostile_bad_chart_data",
        json!({"mode": "explode"}),
        ErrorCode::PluginInvalidParams,
    );
    assert!(message.contains("/mode"), "names the field: {message}");
}

#[test]
fn files_and_environment_are_out_of_reach() {
    let (code, message, _) = run_hostile("hostile_open_file", json!({}));
    assert_eq!(
        code,
        Some(ErrorCode::PluginFailed),
        "the plugin reached something it must not: {message}"
    );
    assert!(message.contains("sandbox held"), "{message}");
    assert!(message.contains("/etc/passwd"), "{message}");
    assert_normal_chart_renders("hostile_open_file");
}

#[test]
fn a_component_exporting_another_world_does_not_load() {
    let err = runtime()
        .load(&plugin_wasm("hostile_wrong_world"), None)
        .expect_err("wrong world must not load");
    assert_eq!(err.code, ErrorCode::PluginLoadFailed);
    assert!(err.message.contains("chart-plugin"), "{}", err.message);
    assert_normal_chart_renders("hostile_wrong_world");
}

#[test]
fn core_modules_and_garbage_do_not_load() {
    let rt = runtime();
    let core = rt.load(b"\0asm\x01\0\0\0", None).expect_err("core module");
    assert_eq!(core.code, ErrorCode::PluginLoadFailed);
    assert!(core.message.contains("not a component"), "{}", core.message);
    let garbage = rt
        .load(b"PK\x03\x04 definitely not wasm", None)
        .expect_err("garbage");
    assert_eq!(garbage.code, ErrorCode::PluginLoadFailed);
    assert!(
        garbage.message.contains("not WebAssembly"),
        "{}",
        garbage.message
    );
}

#[test]
fn output_floods_are_captured_bounded_and_harmless() {
    let rt = runtime();
    let plugin = rt
        .load(&plugin_wasm("hostile_chatty"), Some(limits()))
        .expect("loads");
    let out = rt
        .render(
            &plugin,
            &sample_dataset(),
            &json!({}),
            &ResolvedStyle::default(),
            None,
        )
        .expect("a chatty plugin still succeeds");
    let cap = limits().max_log_bytes as usize;
    for (name, log) in [("stdout", &out.logs.stdout), ("stderr", &out.logs.stderr)] {
        assert!(log.starts_with("yyyy"), "{name} kept the start");
        assert!(
            log.len() < cap + 100,
            "{name} is bounded: {} bytes",
            log.len()
        );
        assert!(log.contains("more bytes dropped"), "{name} says it was cut");
    }
}

#[test]
fn cancelling_interrupts_a_running_plugin_within_250_ms() {
    let rt = runtime();
    let plugin = rt
        .load(
            &plugin_wasm("hostile_spin"),
            Some(PluginLimits {
                timeout: Duration::from_secs(30),
                ..PluginLimits::default()
            }),
        )
        .expect("loads");
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let at = Instant::now();
            token.cancel();
            at
        })
    };
    let result = rt.render(
        &plugin,
        &sample_dataset(),
        &json!({}),
        &ResolvedStyle::default(),
        Some(&token),
    );
    let stopped = Instant::now();
    let cancelled_at = canceller.join().expect("canceller thread");
    let err = result.expect_err("cancelled");
    assert_eq!(err.error.code, ErrorCode::PluginCancelled, "{}", err.error);
    let lag = stopped.duration_since(cancelled_at);
    assert!(
        lag < Duration::from_millis(250),
        "stopped {lag:?} after cancel"
    );
}

#[test]
fn clocks_randomness_and_output_are_deterministic() {
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in");
    let render = || {
        runtime()
            .render(
                &plugin,
                &sample_dataset(),
                &json!({"top_n": 5}),
                &ResolvedStyle::default(),
                None,
            )
            .expect("renders")
    };
    let (a, b) = (render(), render());
    assert_eq!(a.svg, b.svg, "byte-identical SVG for identical input");
    assert_eq!(a.chart_data, b.chart_data);
}
