//! Returns a 50 MB SVG: the output limit must refuse it with
//! `PLUGIN_INVALID_OUTPUT`.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct HugeSvg;

const SIZE: usize = 50 << 20;

impl ChartPlugin for HugeSvg {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_huge_svg", "Returns a 50 MB SVG.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let open = "<svg xmlns=\"http://www.w3.org/2000/svg\"><!--";
        let close = "--></svg>";
        let mut svg = String::with_capacity(SIZE);
        svg.push_str(open);
        svg.extend(std::iter::repeat_n('x', SIZE - open.len() - close.len()));
        svg.push_str(close);
        Ok(Chart {
            svg,
            chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
            warnings: vec![],
        })
    }
}

patchart_sdk::export_plugin!(HugeSvg);
