//! Small fixtures for plugin tests and for the sandbox's hostile plugins:
//! a minimal valid SVG and chart_data, and a ready-made `info()`.

use crate::PluginInfo;

/// The smallest SVG the host accepts and rasterizes.
pub const MINIMAL_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200"><rect width="320" height="200" fill="#ffffff"/></svg>"##;

/// The smallest chart_data that follows the chart-data schema.
pub const MINIMAL_CHART_DATA: &str = r#"{"schema_version":1,"type":"bar","algorithm":"test","title":"test","locale":"en","series":[],"totals":{},"notes":[],"warnings":[]}"#;

/// An `info()` with an open params schema and no required facets.
pub fn hostile_info(key: &str, description: &str) -> PluginInfo {
    PluginInfo {
        key: key.to_string(),
        version: "0.1.0".to_string(),
        name: key.to_string(),
        description: description.to_string(),
        params_schema: r#"{"type":"object"}"#.to_string(),
        required_facets: vec![],
    }
}
