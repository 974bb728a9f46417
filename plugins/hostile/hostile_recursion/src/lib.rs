//! Recurses without bound: must end in `PLUGIN_TRAP` (stack overflow),
//! never take the host down.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct Recursion;

#[inline(never)]
fn descend(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 16]);
    if std::hint::black_box(n) == u64::MAX {
        return frame[1];
    }
    descend(n + 1).wrapping_add(frame[3])
}

impl ChartPlugin for Recursion {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_recursion", "Recurses without bound.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let depth = descend(0);
        Err(RenderError::Failed(format!("came back from depth {depth}")))
    }
}

patchart_sdk::export_plugin!(Recursion);
