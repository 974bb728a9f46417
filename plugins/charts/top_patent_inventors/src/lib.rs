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

use patchart_sdk::chart_data::{Axis, ChartData, ChartType};
use patchart_sdk::names::display_name;
use patchart_sdk::ranked_bars::{BarKind, RankedBars, Ranking};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "top_patent_inventors";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "inventors";

const TOP_N_DEFAULT: u32 = 15;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = 100;

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

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
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
    fn parse(raw: &str) -> Result<Params, RenderError> {
        let p: Params = params::parse(raw)?;
        params::check_range("top_n", p.top_n, TOP_N_MIN, TOP_N_MAX)?;
        Ok(p)
    }
}

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
        let params = Params::parse(params)?;
        let facet = data.require(FACET)?;
        if facet.total() == 0 {
            return Err(RenderError::MissingData(format!(
                "facet `{FACET}` lists {} entries but no documents (every count is 0)",
                facet.entries.len()
            )));
        }
        let locale = style.locale();
        let t = Texts::new(locale);
        let ranking = Ranking::top(&facet.ranked(), params.top_n as usize, t.others());

        // Most important first: a small page keeps only the first notes.
        let mut notes = vec![t.note_counting(ranking.total), t.note_inventor().to_owned()];
        if ranking.others_count > 0 {
            notes.push(t.note_others(
                ranking.others_count,
                ranking.others_entries,
                ranking.others_capped(),
            ));
        }
        notes.push(t.note_names().to_owned());
        let mut warnings = Vec::new();
        if ranking.entries < params.top_n as usize {
            warnings.push(t.warn_fewer_than_top_n(params.top_n, ranking.entries));
        }

        let title = t.title(ranking.shown);
        let subtitle = t.subtitle(ranking.total, ranking.entries);
        let labels: Vec<String> = ranking
            .bars
            .iter()
            .map(|b| match b.kind {
                BarKind::Others => b.label.clone(),
                _ => display_name(&b.label),
            })
            .collect();
        let values = ranking
            .bars
            .iter()
            .map(|b| t.value_label(b.count, b.share))
            .collect();
        let drawn = RankedBars::new(&title, &ranking, labels.clone(), values)
            .subtitle(&subtitle)
            .x_title(t.x_axis())
            .y_title(t.y_axis())
            .notes(&notes)
            .max_label_lines(MAX_LABEL_LINES)
            .draw(style, measure);
        if drawn.crowded {
            warnings.push(t.warn_crowded(ranking.bars.len(), style.height));
        }
        if drawn.elided > 0 {
            warnings.push(t.warn_elided(drawn.elided));
        }
        if drawn.dropped_notes > 0 {
            warnings.push(t.warn_notes_dropped(drawn.dropped_notes));
        }

        let mut cd = ChartData::new(ChartType::HorizontalBar, KEY, &title, locale);
        cd.subtitle = Some(subtitle);
        cd.x_axis = Some(Axis::new(t.x_axis()));
        // The axis lists the names as drawn; the series keeps them as the
        // source wrote them, so both can be quoted.
        cd.y_axis = Some(Axis::new(t.y_axis()).categories(labels));
        cd.series.push(ranking.series(t.x_axis()));
        ranking.write_totals(&mut cd.totals);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawn.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(TopPatentInventors);
