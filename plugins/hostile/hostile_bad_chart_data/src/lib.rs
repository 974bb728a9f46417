//! Returns malformed chart_data: `{"mode": "not_json"}` (the default) sends
//! text that is not JSON, `{"mode": "wrong_shape"}` sends JSON that does not
//! follow the chart-data schema. Both must be `PLUGIN_INVALID_OUTPUT`.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct BadChartData;

impl ChartPlugin for BadChartData {
    fn info() -> PluginInfo {
        let mut info = patchart_sdk::testing::hostile_info(
            "hostile_bad_chart_data",
            "Returns malformed chart_data.",
        );
        info.params_schema = r#"{"type":"object","properties":{"mode":{"enum":["not_json","wrong_shape"]}},"additionalProperties":false}"#.to_string();
        info
    }

    fn render(_: &Dataset, params: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let chart_data = if params.contains("wrong_shape") {
            r#"{"type":"pie","values":[1,2,3]}"#
        } else {
            r#"{"type": "horizontal_bar", "title": "unterminated"#
        };
        Ok(Chart {
            svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
            chart_data: chart_data.to_string(),
            warnings: vec![],
        })
    }
}

patchart_sdk::export_plugin!(BadChartData);
