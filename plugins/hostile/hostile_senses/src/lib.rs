//! Reads everything that could make two renders of the same input differ:
//! the wall clock, the monotonic clock, the secure and insecure random
//! sources, the insecure seed (what Rust's `HashMap` seeds itself from),
//! the environment and the arguments. It reports what it read in
//! `chart_data.totals`, so the sandbox tests can compare it with what the
//! sandbox promises (clocks frozen, fixed seeds, nothing in the
//! environment).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

mod wasi_random {
    wit_bindgen::generate!({ path: "wit", world: "senses", generate_all });
}

use wasi_random::wasi::random::{insecure, insecure_seed, random};

struct Senses;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ChartPlugin for Senses {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info(
            "hostile_senses",
            "Reports the clocks, random sources and environment it sees.",
        )
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos().to_string())
            .unwrap_or_else(|e| format!("before the epoch by {:?}", e.duration()));
        let start = Instant::now();
        let mut spin: u64 = 0;
        for i in 0..2_000_000u64 {
            spin = std::hint::black_box(spin.wrapping_add(i));
        }
        std::hint::black_box(spin);
        let monotonic = start.elapsed().as_nanos().to_string();
        let secure = hex(&random::get_random_bytes(16));
        let secure_u64 = random::get_random_u64().to_string();
        let insecure = hex(&insecure::get_insecure_random_bytes(16));
        let (seed_lo, seed_hi) = insecure_seed::insecure_seed();
        let hash = RandomState::new().hash_one("patchart").to_string();
        let env: Vec<String> = std::env::vars_os()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        let args = std::env::args_os().count().to_string();
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();

        let totals = [
            ("wall_clock_ns", wall),
            ("monotonic_elapsed_ns", monotonic),
            ("random_bytes", secure),
            ("random_u64", secure_u64),
            ("insecure_random_bytes", insecure),
            ("insecure_seed", format!("{seed_lo:016x}:{seed_hi:016x}")),
            ("hashmap_hash", hash),
            ("environment", env.join(",")),
            ("args", args),
            ("cwd", cwd),
        ];
        let totals: Vec<String> = totals.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
        Ok(Chart {
            svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
            chart_data: format!(
                r#"{{"schema_version":1,"type":"bar","algorithm":"hostile_senses","title":"senses","locale":"en","series":[],"totals":{{{}}},"notes":[],"warnings":[]}}"#,
                totals.join(",")
            ),
            warnings: vec![],
        })
    }
}

patchart_sdk::export_plugin!(Senses);
