//! # top_patent_inventors
//!
//! Who invents the patents of a search? Horizontal bars of the `top_n`
//! entries of the `inventors` facet, largest at the top, followed by one
//! neutral "Others" bar that sums the rest. Each bar ends in its count and
//! its share of the facet total ("4 (0.37%)"); since a document with
//! several inventors counts for each, that total is of inventor–document
//! pairs, and a footnote says so. Names are shown in one casing
//! ([`patchart_sdk::names::display_name`]) and wrapped onto up to two
//! lines; chart_data keeps them as Espacenet wrote them.
//!
//! Params (JSON): `{"top_n": 15}`, optional.

mod texts;

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

pub use patchart_sdk::name_ranking::{Params, TOP_N_DEFAULT, TOP_N_MAX, TOP_N_MIN};

use crate::texts::CHART;

pub const KEY: &str = "top_patent_inventors";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "inventors";

/// Personal names are short ("Ma Li", "Bryant Jr Jerry L"); two lines
/// hold the long ones that Espacenet sometimes writes with every given
/// name.
const MAX_LABEL_LINES: usize = 2;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "top_patent_inventors parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "top_n": {
      "description": "Number of inventors drawn as their own bar; the rest are summed into Others.",
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 15
    }
  }
}"#;

/// The chart algorithm.
pub struct TopPatentInventors;

impl ChartPlugin for TopPatentInventors {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Top patent inventors".to_owned(),
            description: "Horizontal bars of the inventors named on the most patent documents, \
                          with the rest summed as Others."
                .to_owned(),
            params_schema: PARAMS_SCHEMA.to_owned(),
            required_facets: vec![FACET.to_owned()],
        }
    }

    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        CHART.render(data, params, style, measure)
    }
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(TopPatentInventors);
