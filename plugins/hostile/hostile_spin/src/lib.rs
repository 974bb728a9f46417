//! Loops forever in `render`: the epoch deadline must stop it with
//! `PLUGIN_TIMEOUT`.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct Spin;

impl ChartPlugin for Spin {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_spin", "Loops forever.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

patchart_sdk::export_plugin!(Spin);
