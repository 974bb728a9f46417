//! With `{"giant": true}` returns small, well-formed SVG on a canvas of
//! 20000 x 20000 px: the SVG passes every check of plugin output, and only
//! rasterizing it would need gigabytes of pixels, which the host refuses
//! with `RENDER_FAILED`. Otherwise it draws a minimal chart, so it passes
//! an upload's smoke render and can run in jobs.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct GiantCanvas;

impl ChartPlugin for GiantCanvas {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_giant_canvas", "Draws on a huge canvas.")
    }

    fn render(_: &Dataset, params: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let giant = params.replace(' ', "").contains(r#""giant":true"#);
        let svg = if giant {
            GIANT
        } else {
            patchart_sdk::testing::MINIMAL_SVG
        };
        Ok(Chart {
            svg: svg.to_string(),
            chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
            warnings: vec![],
        })
    }
}

const GIANT: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000" viewBox="0 0 20000 20000"><rect width="20000" height="20000" fill="#ffffff"/></svg>"##;

patchart_sdk::export_plugin!(GiantCanvas);
