//! Everything a plugin may touch, in one place.
//!
//! A plugin is untrusted code. It gets exactly these imports and nothing
//! else — the list in [`add_to_linker`] is the whole grant:
//!
//! - `patchart:chart/text` — text metrics of the bundled font;
//! - `wasi:io/{error,poll,streams}` — needed for stdio to exist at all;
//! - `wasi:cli/{stdout,stderr}` — captured into bounded buffers, returned
//!   with the result, never inherited from the host;
//! - `wasi:cli/{stdin,environment,exit,terminal-*}` — empty stdin, no
//!   environment variables, no arguments, no terminal;
//! - `wasi:clocks/{wall-clock,monotonic-clock}` — a wall clock frozen at the
//!   Unix epoch and a monotonic clock frozen at zero, so output can never
//!   depend on time;
//! - `wasi:random/*` — a fixed-seed generator, so Rust's `HashMap` seeding
//!   and any sampling a plugin does is reproducible;
//! - `wasi:filesystem/{types,preopens}` — linked because Rust's std imports
//!   them, but with no preopened directory there is nothing to open;
//! - `wasi:sockets/{network,instance-network,tcp,tcp-create-socket,udp,
//!   udp-create-socket,ip-name-lookup}` — linked because the runtimes that
//!   componentize-py (CPython) and componentize-js (StarlingMonkey) embed
//!   import them whether or not a plugin uses the network. Every use is
//!   refused: TCP, UDP and name lookup are switched off, and the address
//!   check denies every address, so creating a socket, binding, connecting
//!   or resolving a name all fail with an error the guest can see.
//!
//! No HTTP (`wasi:http`) and nothing else: a component importing anything
//! not listed here fails to load with `PLUGIN_LOAD_FAILED`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use wasmtime::component::{HasData, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::cli::WasiCliView;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::clocks::WasiClocksView;
use wasmtime_wasi::filesystem::WasiFilesystemView;
use wasmtime_wasi::p2::bindings::sync as wasi;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::random::WasiRandomView;
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use super::bindings::ChartPlugin;
use crate::render::TextMeasurer;

/// Per-plugin resource limits. Defaults follow DESIGN.md; operators can
/// override them per plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PluginLimits {
    /// Largest linear memory a plugin may grow to, in bytes.
    pub memory_bytes: u64,
    /// Wall-clock budget of one `render` (or `info`) call.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Largest SVG accepted from a plugin.
    pub max_svg_bytes: u64,
    /// Largest chart_data accepted from a plugin.
    pub max_chart_data_bytes: u64,
    /// Bytes of stdout and of stderr kept per call; the rest is counted and
    /// dropped, never an error for the plugin.
    pub max_log_bytes: u64,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_bytes: 64 << 20,
            timeout: Duration::from_secs(5),
            max_svg_bytes: 8 << 20,
            max_chart_data_bytes: 1 << 20,
            max_log_bytes: 64 << 10,
        }
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// The state of one plugin call's store: its WASI context, its resource
/// table, the memory limiter and the text measurer behind the import.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    measurer: Arc<TextMeasurer>,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
}

impl PluginState {
    pub fn new(limits: &PluginLimits, measurer: Arc<TextMeasurer>) -> Self {
        let stdout = CapturedOutput::new(limits.max_log_bytes as usize);
        let stderr = CapturedOutput::new(limits.max_log_bytes as usize);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(Deterministic::new(fixed_bytes(0x7061_7463_6861_7274)))
            .insecure_random(Deterministic::new(fixed_bytes(0x5eed_5eed_5eed_5eed)))
            .insecure_random_seed(0x7061_7463_6861_7274)
            // The network interfaces are linked (see the module docs) but
            // grant nothing: each switch is off, and should one ever be
            // turned on by mistake, the address check still refuses every
            // address.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        PluginState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(limits.memory_bytes),
            measurer,
            stdout,
            stderr,
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl super::bindings::patchart::chart::text::Host for PluginState {
    fn measure(&mut self, text: String, size: f32, bold: bool) -> f32 {
        self.measurer.width(&text, size, bold)
    }
}

/// The `types` interface only defines records; it has no functions to grant.
impl super::bindings::patchart::chart::types::Host for PluginState {}

struct Table;

impl HasData for Table {
    type Data<'a> = &'a mut ResourceTable;
}

/// Links the grants listed in the module documentation, one by one.
pub fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    use wasmtime_wasi::cli::WasiCli;
    use wasmtime_wasi::clocks::WasiClocks;
    use wasmtime_wasi::filesystem::WasiFilesystem;
    use wasmtime_wasi::p2::bindings as nb;
    use wasmtime_wasi::random::WasiRandom;
    use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsView};

    let l = linker;
    ChartPlugin::add_to_linker::<_, HasSelf<_>>(l, |s| s)?;

    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<_, Table>(l, |s| &mut s.table)?;
    wasi::io::poll::add_to_linker::<_, Table>(l, |s| &mut s.table)?;
    wasi::io::streams::add_to_linker::<_, Table>(l, |s| &mut s.table)?;

    nb::cli::stdin::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::stdout::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::stderr::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::environment::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::exit::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::terminal_input::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::terminal_output::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::terminal_stdin::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::terminal_stdout::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;
    nb::cli::terminal_stderr::add_to_linker::<_, WasiCli>(l, PluginState::cli)?;

    nb::clocks::wall_clock::add_to_linker::<_, WasiClocks>(l, PluginState::clocks)?;
    nb::clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(l, PluginState::clocks)?;

    nb::random::random::add_to_linker::<_, WasiRandom>(l, PluginState::random)?;
    nb::random::insecure::add_to_linker::<_, WasiRandom>(l, PluginState::random)?;
    nb::random::insecure_seed::add_to_linker::<_, WasiRandom>(l, PluginState::random)?;

    wasi::filesystem::types::add_to_linker::<_, WasiFilesystem>(l, PluginState::filesystem)?;
    nb::filesystem::preopens::add_to_linker::<_, WasiFilesystem>(l, PluginState::filesystem)?;

    // Linked so CPython and StarlingMonkey components load; every call is
    // refused by the context built in `PluginState::new`.
    let network = nb::sockets::network::LinkOptions::default();
    nb::sockets::network::add_to_linker::<_, WasiSockets>(l, &network, PluginState::sockets)?;
    nb::sockets::instance_network::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    nb::sockets::tcp_create_socket::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    wasi::sockets::tcp::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    wasi::sockets::udp_create_socket::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    wasi::sockets::udp::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    nb::sockets::ip_name_lookup::add_to_linker::<_, WasiSockets>(l, PluginState::sockets)?;
    Ok(())
}

/// Denies memory growth past the plugin's limit and remembers that it did,
/// so the trap that follows (Rust aborts on allocation failure) is reported
/// as `PLUGIN_OOM` rather than a generic trap.
pub struct MemoryLimiter {
    limit: usize,
    pub(crate) denied: bool,
}

impl MemoryLimiter {
    fn new(limit: u64) -> Self {
        MemoryLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            denied: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.limit && maximum.is_none_or(|m| desired <= m);
        if !ok {
            self.denied = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000 && maximum.is_none_or(|m| desired <= m))
    }
}

/// A stdout/stderr sink that keeps the first `capacity` bytes and counts the
/// rest. Unlike a pipe that errors when full, it never fails a write: a
/// chatty plugin must not turn into a trapped one.
#[derive(Clone)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    capacity: usize,
    kept: Vec<u8>,
    dropped: u64,
}

impl CapturedOutput {
    fn new(capacity: usize) -> Self {
        CapturedOutput {
            inner: Arc::new(Mutex::new(Captured {
                capacity,
                ..Captured::default()
            })),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let room = c.capacity.saturating_sub(c.kept.len());
        let take = room.min(bytes.len());
        c.kept.extend_from_slice(&bytes[..take]);
        c.dropped += (bytes.len() - take) as u64;
    }

    /// What was written, lossily decoded, with a marker when bytes were
    /// dropped.
    pub fn text(&self) -> String {
        let c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = String::from_utf8_lossy(&c.kept).into_owned();
        if c.dropped > 0 {
            s.push_str(&format!("\n[… {} more bytes dropped]", c.dropped));
        }
        s
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Both clocks stand still: charts must not depend on when they are drawn.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

/// 256 bytes from a fixed seed (SplitMix64), cycled by `Deterministic`.
/// Plugins get reproducible "randomness": nothing in a chart needs
/// unpredictability, and Rust's `HashMap` seeding then cannot make two
/// renders of the same input differ.
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
