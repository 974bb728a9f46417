//! Writes 4 MiB to stdout and to stderr, then draws a valid chart. The host
//! must keep only its bounded share of the output and still succeed.

use std::io::Write;

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct Chatty;

impl ChartPlugin for Chatty {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_chatty", "Floods stdout and stderr.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let line = [b'y'; 1023];
        let mut out = std::io::stdout().lock();
        let mut err = std::io::stderr().lock();
        for _ in 0..4096 {
            let _ = out.write_all(&line).and_then(|()| out.write_all(b"\n"));
            let _ = err.write_all(&line).and_then(|()| err.write_all(b"\n"));
        }
        let _ = out.flush();
        Ok(Chart {
            svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
            chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
            warnings: vec![],
        })
    }
}

patchart_sdk::export_plugin!(Chatty);
