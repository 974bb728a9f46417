//! # patchart_plugin_template
//!
//! A minimal, complete chart plugin to copy when starting a new chart (see
//! `docs/plugins.md`). It draws vertical bars of the `top_n` countries (and
//! patent offices) of the `countries` facet, largest first, each with its
//! count above it, on a nicely ticked axis, in English or Spanish.
//!
//! The crate is split the way the built-in charts are:
//!
//! - `lib.rs` (this file): identity, parameters, the figures, `chart_data`;
//! - `draw.rs`: the picture (layout, bars, axes), nothing else;
//! - `texts.rs`: every sentence, per locale;
//! - `tests.rs`: native unit tests, run with `cargo test -p <crate>`.
//!
//! Params (JSON): `{"top_n": 10}`, optional.

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::{
    Chart, ChartPlugin, Dataset, Entry, Measure, PluginInfo, RenderError, Style, params,
};
use serde::Deserialize;

use crate::texts::Texts;

/// The algorithm key: what users pass as `algorithm_key` / `--algorithm`.
/// 1-64 characters of a-z, 0-9 and _. For a built-in chart it must equal
/// the package name and the directory name under `plugins/charts/`.
pub const KEY: &str = "patchart_plugin_template";
/// The plugin's semantic version; bump it when the picture or the
/// chart_data changes, so stored charts say which version drew them.
pub const VERSION: &str = "0.1.0";
/// The one facet this chart needs. Listed in `required_facets` so the host
/// can tell a user up front which exports the chart works with.
const FACET: &str = "countries";

const TOP_N_DEFAULT: u32 = 10;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = 30;

/// The published parameter schema (JSON Schema draft 2020-12). The host
/// validates params against it and shows the defaults to users, so it must
/// agree with [`Params`]: the test `schema_defaults_are_the_params_defaults`
/// keeps the two in step.
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "patchart_plugin_template parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "top_n": {
      "description": "Number of countries drawn as bars, largest first.",
      "type": "integer",
      "minimum": 1,
      "maximum": 30,
      "default": 10
    }
  }
}"#;

/// The chart algorithm. A unit struct: a plugin keeps no state between
/// calls (each render may run in a fresh instance).
pub struct TemplateChart;

/// What the user can ask for.
///
/// `default` lets every field be omitted (an empty `{}` or `""` means all
/// defaults); `deny_unknown_fields` turns a typo such as `{"topn": 5}` into
/// an error that names the field instead of a silently ignored option.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// How many countries get a bar.
    pub top_n: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            top_n: TOP_N_DEFAULT,
        }
    }
}

impl Params {
    /// Parses and checks the params. The host has already validated them
    /// against the schema, but tests, the CLI and older hosts may not have,
    /// so the plugin checks again; every error names the field.
    fn parse(raw: &str) -> Result<Params, RenderError> {
        let p: Params = params::parse(raw)?;
        params::check_range("top_n", p.top_n, TOP_N_MIN, TOP_N_MAX)?;
        Ok(p)
    }
}

/// The figures of the chart, computed once, then drawn (`draw.rs`) and
/// reported (`chart_data`), so the picture and the data cannot disagree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figures {
    /// The drawn countries, largest first (ties by label).
    pub bars: Vec<Entry>,
    /// Documents in the whole facet.
    pub total: u64,
    /// Countries in the whole facet.
    pub entries: usize,
    /// Documents of the countries without a bar.
    pub rest_count: u64,
    /// Countries without a bar.
    pub rest_entries: usize,
}

impl Figures {
    fn new(ranked: &[Entry], top_n: u32) -> Figures {
        let shown = ranked.len().min(top_n as usize);
        let (bars, rest) = ranked.split_at(shown);
        Figures {
            bars: bars.to_vec(),
            total: ranked.iter().map(|e| e.count).sum(),
            entries: ranked.len(),
            rest_count: rest.iter().map(|e| e.count).sum(),
            rest_entries: rest.len(),
        }
    }
}

impl ChartPlugin for TemplateChart {
    /// Describes the plugin. Called once when the host loads it; must not
    /// depend on any input.
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Template: top countries".to_owned(),
            description: "Vertical bars of the countries and patent offices that published the \
                          most documents (a template for new plugins)."
                .to_owned(),
            params_schema: PARAMS_SCHEMA.to_owned(),
            required_facets: vec![FACET.to_owned()],
        }
    }

    /// Draws the chart. Order matters for the user: bad params are
    /// reported before missing data, because they are the user's to fix
    /// whatever the dataset.
    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let params = Params::parse(params)?;
        // `require` returns the `missing-data` error that names the facet
        // (and lists the facets present) when it is absent or empty.
        let facet = data.require(FACET)?;
        if facet.total() == 0 {
            return Err(RenderError::MissingData(format!(
                "facet `{FACET}` lists {} entries but no documents (every count is 0)",
                facet.entries.len()
            )));
        }
        let locale = style.locale();
        let texts = Texts::new(locale);
        // `ranked()` sorts by count and breaks ties by label, so the bars do
        // not depend on the order the source happened to list them in.
        let figures = Figures::new(&facet.ranked(), params.top_n);

        let mut notes = Vec::new();
        if figures.rest_entries > 0 {
            notes.push(texts.note_rest(figures.rest_count, figures.rest_entries));
        }
        let mut warnings = Vec::new();
        if figures.entries < params.top_n as usize {
            warnings.push(texts.warn_fewer_than_top_n(params.top_n, figures.entries));
        }
        let drawing = draw::draw(&figures, &texts, style, measure);
        warnings.extend(drawing.warnings);

        // chart_data carries every number a reader (or a generated
        // description) needs; descriptions are written from it alone,
        // never from the SVG.
        let title = texts.title(figures.bars.len());
        let mut cd = ChartData::new(ChartType::Bar, KEY, &title, locale);
        cd.subtitle = Some(texts.subtitle(figures.total, figures.entries));
        let labels: Vec<String> = figures.bars.iter().map(|e| e.label.clone()).collect();
        cd.x_axis = Some(Axis::new(texts.x_axis()).categories(labels.clone()));
        cd.y_axis = Some(Axis::new(texts.y_axis()));
        cd.series.push(Series {
            name: texts.y_axis().to_owned(),
            kind: Some("observed".to_owned()),
            labels,
            values: figures.bars.iter().map(|e| Some(e.count as f64)).collect(),
            shares: Some(
                figures
                    .bars
                    .iter()
                    .map(|e| Some(chart_data::share(e.count, figures.total)))
                    .collect(),
            ),
            ranks: Some((1..=figures.bars.len() as u64).map(Some).collect()),
            flags: None,
        });
        cd.totals
            .set("total", figures.total)
            .set("entries", figures.entries)
            .set("top_n", params.top_n)
            .set("shown_count", figures.bars.len())
            .set("others_count", figures.rest_count)
            .set("others_entries", figures.rest_entries);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            // `to_json` checks the series are consistent and serializes
            // deterministically (same input, same bytes).
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests;

// Generates the component exports (`info` and `render` of the WIT world)
// from the trait implementation. Exactly one per crate.
patchart_sdk::export_plugin!(TemplateChart);
