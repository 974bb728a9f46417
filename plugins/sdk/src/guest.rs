//! Adapts a [`ChartPlugin`] to the generated bindings: converts the WIT
//! records to the SDK's own types (which also exist outside wasm, so the
//! drawing code is unit-testable natively) and back.

use crate::bindings::patchart::chart::{text, types as wit};
use crate::{ChartPlugin, Dataset, Entry, Facet, Measure, RenderError, Style};

/// [`Measure`] answered by the host's `measure` import.
pub struct HostMeasure;

impl Measure for HostMeasure {
    fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        text::measure(s, size, bold)
    }
}

pub fn info<P: ChartPlugin>() -> wit::PluginInfo {
    let i = P::info();
    wit::PluginInfo {
        key: i.key,
        version: i.version,
        name: i.name,
        description: i.description,
        params_schema: i.params_schema,
        required_facets: i.required_facets,
    }
}

pub fn render<P: ChartPlugin>(
    data: wit::Dataset,
    params: String,
    style: wit::Style,
) -> Result<wit::Chart, wit::RenderError> {
    let data = Dataset {
        source_type: data.source_type,
        query: data.query,
        facets: data
            .facets
            .into_iter()
            .map(|f| Facet {
                name: f.name,
                entries: f
                    .entries
                    .into_iter()
                    .map(|e| Entry {
                        label: e.label,
                        count: e.count,
                    })
                    .collect(),
            })
            .collect(),
    };
    let style = Style {
        palette: style.palette,
        background: style.background,
        text: style.text,
        grid: style.grid,
        font_family: style.font_family,
        font_size: style.font_size,
        width: style.width,
        height: style.height,
        locale: style.locale,
    };
    match P::render(&data, &params, &style, &HostMeasure) {
        Ok(c) => Ok(wit::Chart {
            svg: c.svg,
            chart_data: c.chart_data,
            warnings: c.warnings,
        }),
        Err(RenderError::InvalidParams(m)) => Err(wit::RenderError::InvalidParams(m)),
        Err(RenderError::MissingData(m)) => Err(wit::RenderError::MissingData(m)),
        Err(RenderError::Failed(m)) => Err(wit::RenderError::Failed(m)),
    }
}
