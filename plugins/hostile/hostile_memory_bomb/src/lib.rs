//! Allocates (and touches) memory until the allocator fails: the memory
//! limit must stop it with `PLUGIN_OOM`.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct MemoryBomb;

impl ChartPlugin for MemoryBomb {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_memory_bomb", "Allocates without bound.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk = vec![0u8; 1 << 20];
            chunk[0] = 1;
            hoard.push(std::hint::black_box(chunk));
        }
    }
}

patchart_sdk::export_plugin!(MemoryBomb);
