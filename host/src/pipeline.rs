//! One chart, end to end: dataset + plugin + params + style → SVG, PNG and
//! chart_data. The CLI and the job workers both go through here, so a chart
//! drawn locally is exactly the chart the server would draw.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dataset::Dataset;
use crate::error::Error;
use crate::plugins::{
    CancelToken, LoadedPlugin, PluginFailure, PluginLogs, PluginRuntime, RenderTimings,
};
use crate::render::{Rasterizer, Scale};
use crate::style::ResolvedStyle;

/// Which artifacts to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFormats {
    pub svg: bool,
    pub png: Option<Scale>,
}

impl Default for OutputFormats {
    fn default() -> Self {
        OutputFormats {
            svg: true,
            png: Some(Scale::X1),
        }
    }
}

/// Everything a rendered chart produced.
#[derive(Debug, Clone)]
pub struct ChartArtifacts {
    pub svg: String,
    pub png: Option<Vec<u8>>,
    pub chart_data: Value,
    pub warnings: Vec<String>,
    pub logs: PluginLogs,
    pub timings: ChartTimings,
}

/// Where the time of one chart went.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChartTimings {
    pub plugin: RenderTimings,
    pub rasterize: Duration,
}

/// What to draw: the input of one chart.
#[derive(Debug, Clone, Copy)]
pub struct ChartRequest<'a> {
    pub dataset: &'a Dataset,
    pub params: &'a Value,
    pub style: &'a ResolvedStyle,
    pub formats: OutputFormats,
}

/// Runs `plugin` on the request's dataset and rasterizes its SVG. The SVG is always
/// parsed (even when no PNG is wanted) so a plugin cannot hand out SVG the
/// rasterizer would reject.
pub fn render_chart(
    runtime: &PluginRuntime,
    rasterizer: &Rasterizer,
    plugin: &LoadedPlugin,
    request: &ChartRequest<'_>,
    cancel: Option<&CancelToken>,
) -> Result<ChartArtifacts, PluginFailure> {
    let out = runtime.render(
        plugin,
        request.dataset,
        request.params,
        request.style,
        cancel,
    )?;
    let t = Instant::now();
    let with_logs = |error: Error| PluginFailure {
        error,
        logs: out.logs.clone(),
    };
    let tree = rasterizer.parse(&out.svg).map_err(with_logs)?;
    let png = match request.formats.png {
        Some(scale) => Some(rasterizer.png_from_tree(&tree, scale).map_err(with_logs)?),
        None => None,
    };
    Ok(ChartArtifacts {
        svg: out.svg,
        png,
        chart_data: out.chart_data,
        warnings: out.warnings,
        logs: out.logs,
        timings: ChartTimings {
            plugin: out.timings,
            rasterize: t.elapsed(),
        },
    })
}
