//! Asks for the network in `render`. The sandbox links no `wasi:sockets`,
//! so the component must not even load (`PLUGIN_LOAD_FAILED`); should it
//! load and get a handle, it returns a chart saying so, which the sandbox
//! tests treat as an escape.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

mod wasi_sockets {
    wit_bindgen::generate!({ path: "wit", world: "socket", generate_all });
}

struct Socket;

impl ChartPlugin for Socket {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_socket", "Asks for the network.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let _network = wasi_sockets::wasi::sockets::instance_network::instance_network();
        Ok(Chart {
            svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
            chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
            warnings: vec!["got a network handle".to_string()],
        })
    }
}

patchart_sdk::export_plugin!(Socket);
