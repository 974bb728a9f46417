//! The hostile plugin suite: real components built in this workspace that
//! misbehave on purpose. Each must end with its stable error code (a
//! plugin whose deadline were lost would run on: the watchdog below fails
//! it instead of hanging), and the same runtime must draw a normal chart
//! right after.

use std::time::{Duration, Instant};

use patchart::ErrorCode;
use patchart::pipeline::{self, ChartRequest, OutputFormats};
use patchart::plugins::{CancelToken, PluginLimits};
use patchart::render::{Rasterizer, Scale};
use patchart::style::ResolvedStyle;
use patchart_suite::{plugin_wasm, registry, runtime, sample_dataset};
use serde_json::{Value, json};

/// The deadline of the plugin that never stops by itself.
const DEADLINE: Duration = Duration::from_millis(1500);

/// The deadline of plugins that stop by themselves (a trap, an allocation
/// refused, output refused): only a backstop, long enough that a busy
/// machine cannot turn their own failure into a timeout.
const BACKSTOP: Duration = Duration::from_secs(30);

/// How long past its deadline a hostile plugin may run before the test
/// calls the deadline lost: generous, as a busy 2-core machine can stall a
/// thread for seconds, and a lost deadline runs on forever anyway.
const SLACK: Duration = Duration::from_secs(20);

fn limits() -> PluginLimits {
    limits_with(BACKSTOP)
}

fn limits_with(timeout: Duration) -> PluginLimits {
    PluginLimits {
        timeout,
        ..PluginLimits::default()
    }
}

/// Runs `name` once; returns the error code (or `None` on success), the
/// error message and how long it took.
fn run_hostile(
    name: &str,
    params: Value,
    timeout: Duration,
) -> (Option<ErrorCode>, String, Duration) {
    let wasm = plugin_wasm(name);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = runtime();
        let plugin = rt
            .load(&wasm, Some(limits_with(timeout)))
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
        let _ = tx.send(match result {
            Ok(out) => (None, out.warnings.join("; "), elapsed),
            Err(f) => (Some(f.error.code), f.error.message, elapsed),
        });
    });
    rx.recv_timeout(timeout + SLACK)
        .unwrap_or_else(|_| panic!("{name} still ran {:?} after its deadline", SLACK))
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
    let (got, message, elapsed) = run_hostile(name, params, BACKSTOP);
    assert_eq!(
        got,
        Some(code),
        "{name}: expected {code}, got {got:?}: {message}"
    );
    assert!(
        elapsed < BACKSTOP,
        "{name} took {elapsed:?}: its own failure did not stop it"
    );
    assert_normal_chart_renders(name);
    message
}

#[test]
fn infinite_loop_times_out() {
    let (code, message, elapsed) = run_hostile("hostile_spin", json!({}), DEADLINE);
    assert_eq!(code, Some(ErrorCode::PluginTimeout), "{message}");
    assert!(
        elapsed >= DEADLINE,
        "stopped before its deadline: {elapsed:?}"
    );
    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
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
    let (code, message, _) = run_hostile("hostile_open_file", json!({}), BACKSTOP);
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
fn cancelling_interrupts_a_running_plugin_long_before_its_deadline() {
    // How quickly a cancel lands (one epoch tick) is a matter of speed;
    // what this test asserts is that the cancel, not the deadline, stops
    // the plugin.
    const LONG_DEADLINE: Duration = Duration::from_secs(120);
    let rt = runtime();
    let plugin = rt
        .load(
            &plugin_wasm("hostile_spin"),
            Some(PluginLimits {
                timeout: LONG_DEADLINE,
                ..PluginLimits::default()
            }),
        )
        .expect("loads");
    let token = CancelToken::new();
    let started = Instant::now();
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
    assert!(cancelled_at > started, "cancelled after the call began");
    let lag = stopped.duration_since(cancelled_at);
    eprintln!("stopped {lag:?} after the cancel");
    assert!(
        lag < LONG_DEADLINE / 4,
        "stopped {lag:?} after the cancel: the deadline, not the cancel, ended it"
    );
    assert_normal_chart_renders("a cancelled hostile_spin");
}

#[test]
fn a_built_in_chart_renders_byte_identical_twice() {
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

/// The sandbox's fixed random stream (`host/src/plugins/sandbox.rs`):
/// 256 bytes of SplitMix64 from `seed`, cycled.
fn fixed_bytes(mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    while out.len() < 256 {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out
}

const SECURE_SEED: u64 = 0x7061_7463_6861_7274;
const INSECURE_SEED: u64 = 0x5eed_5eed_5eed_5eed;

/// What the host's random interfaces make of the fixed stream: each byte
/// asked for is the low byte of the next big-endian u32 of the stream,
/// and a u64 is the next eight bytes, big-endian.
fn expected_random(seed: u64) -> (String, u64) {
    let stream = fixed_bytes(seed);
    let bytes: String = (0..16)
        .map(|i| format!("{:02x}", stream[4 * i + 3]))
        .collect();
    let u64_bytes: [u8; 8] = stream[64..72].try_into().expect("8 bytes");
    (bytes, u64::from_be_bytes(u64_bytes))
}

/// What `hostile_senses` read, from a fresh load of it.
fn senses() -> serde_json::Map<String, Value> {
    let rt = runtime();
    let plugin = rt
        .load(&plugin_wasm("hostile_senses"), Some(limits()))
        .expect("hostile_senses loads");
    let out = rt
        .render(
            &plugin,
            &sample_dataset(),
            &json!({}),
            &ResolvedStyle::default(),
            None,
        )
        .unwrap_or_else(|f| panic!("hostile_senses failed: {f}"));
    out.chart_data["totals"]
        .as_object()
        .expect("totals")
        .clone()
}

#[test]
fn clocks_are_frozen_randomness_is_seeded_and_the_environment_is_empty() {
    let (first, second) = (senses(), senses());
    assert_eq!(first, second, "two renders read the same world");
    let read = |k: &str| {
        first[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {first:?}"))
    };
    assert_eq!(
        read("wall_clock_ns"),
        "0",
        "the wall clock is frozen at the epoch"
    );
    assert_eq!(
        read("monotonic_elapsed_ns"),
        "0",
        "the monotonic clock stands still over two million iterations"
    );
    let (secure_bytes, secure_u64) = expected_random(SECURE_SEED);
    assert_eq!(
        read("random_bytes"),
        secure_bytes,
        "wasi:random from its fixed seed"
    );
    assert_eq!(read("random_u64"), secure_u64.to_string());
    let (insecure_bytes, _) = expected_random(INSECURE_SEED);
    assert_eq!(read("insecure_random_bytes"), insecure_bytes);
    assert_eq!(
        read("insecure_seed"),
        format!("{SECURE_SEED:016x}:{:016x}", 0),
        "the seed HashMap keys come from"
    );
    assert!(!read("hashmap_hash").is_empty());
    assert_eq!(read("environment"), "", "no environment variables");
    assert_eq!(read("args"), "0", "no arguments");
    // wasi-libc's default: with nothing preopened, there is nothing under it.
    assert_eq!(read("cwd"), "/");
}

/// `wasi:sockets` is linked (CPython and StarlingMonkey import it) but
/// grants nothing: the plugin loads, and its attempt to connect to a
/// listener on the host is refused before any packet leaves.
#[test]
fn a_plugin_using_sockets_loads_but_every_connection_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("its port").port();
    let (code, outcome, _) = run_hostile("hostile_socket", json!({ "port": port }), BACKSTOP);
    assert_eq!(code, None, "the plugin renders its report: {outcome}");
    assert!(
        outcome.starts_with("refused: create-tcp-socket"),
        "creating a socket must be refused: {outcome}"
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the plugin connected to the host from {from}"),
        Err(e) => panic!("the listener failed: {e}"),
    }
    assert_normal_chart_renders("hostile_socket");
}

#[test]
fn a_dataset_without_the_facet_a_plugin_needs_is_missing_data() {
    let rt = runtime();
    let plugin = rt
        .load(&plugin_wasm("hostile_variant"), Some(limits()))
        .expect("loads");
    let mut dataset = sample_dataset();
    dataset.facets.retain(|f| f.name != "countries");
    let err = rt
        .render(
            &plugin,
            &dataset,
            &json!({}),
            &ResolvedStyle::default(),
            None,
        )
        .expect_err("no countries facet");
    assert_eq!(
        err.error.code,
        ErrorCode::PluginMissingData,
        "{}",
        err.error
    );
    assert!(err.error.message.contains("countries"), "{}", err.error);
}

#[test]
fn svg_too_large_to_rasterize_is_render_failed() {
    let rt = runtime();
    let plugin = rt
        .load(&plugin_wasm("hostile_giant_canvas"), Some(limits()))
        .expect("loads");
    let dataset = sample_dataset();
    let params = json!({"giant": true});
    let style = ResolvedStyle::default();
    let rasterizer = Rasterizer::new();
    let request = |png: Option<Scale>| ChartRequest {
        dataset: &dataset,
        params: &params,
        style: &style,
        formats: OutputFormats { svg: true, png },
    };
    let svg_only = pipeline::render_chart(&rt, &rasterizer, &plugin, &request(None), None)
        .unwrap_or_else(|f| panic!("the SVG itself is valid: {f}"));
    assert!(svg_only.svg.contains("20000"));
    let err = pipeline::render_chart(&rt, &rasterizer, &plugin, &request(Some(Scale::X1)), None)
        .expect_err("too large to rasterize");
    assert_eq!(err.error.code, ErrorCode::RenderFailed, "{}", err.error);
    assert!(err.error.message.contains("16384"), "{}", err.error);
}
