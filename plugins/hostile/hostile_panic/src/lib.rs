//! Panics in `render`: must end in `PLUGIN_TRAP` with the panic message
//! captured from stderr.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct Panic;

impl ChartPlugin for Panic {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_panic", "Panics.")
    }

    fn render(data: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        panic!(
            "hostile plugin panicked on purpose ({} facets)",
            data.facets.len()
        );
    }
}

patchart_sdk::export_plugin!(Panic);
