//! # cpc_treemap
//!
//! Which technical fields does a search cover? A squarified treemap of the
//! `top_n` CPC subgroups of the `cpc_subgroups` facet: each cell's area is
//! proportional to its document count, and each cell is labelled with its
//! code, count and share as far as the cell allows (smaller cells show
//! fewer lines; cells too small for any label are listed in a footnote).
//! On request (`others: true`) the remaining subgroups are summed into one
//! neutral "Others" cell. It is off by default: on real exports the long
//! tail outweighs the top subgroups and would take most of the area, and
//! the replaced chart (whose numbers we match by default) had none. With `group_by_main_group` the cells are
//! clustered and coloured by CPC main group ("G01N33" for "G01N33/24"),
//! with a legend of the groups.
//!
//! Shares are of what the treemap's area stands for: every classification
//! of the facet when Others is drawn, the shown subgroups otherwise (the
//! replaced chart's convention, which had no Others cell).
//!
//! Params (JSON): `{"top_n": 15, "others": false, "group_by_main_group": false}`;
//! `num_groups` is accepted for `top_n` (the replaced Jobs API's name).

mod texts;

use patchart_sdk::chart_data::{ChartData, ChartType};
use patchart_sdk::treemap_chart::{Treemap, TreemapChart};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "cpc_treemap";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "cpc_subgroups";

const TOP_N_DEFAULT: u32 = 15;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = 50;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "cpc_treemap parameters",
  "type": "object",
  "additionalProperties": false,
  "not": { "required": ["top_n", "num_groups"] },
  "properties": {
    "top_n": {
      "description": "Number of CPC subgroups drawn as their own cell.",
      "type": "integer",
      "minimum": 1,
      "maximum": 50,
      "default": 15
    },
    "num_groups": {
      "description": "Deprecated: the replaced Jobs API's name for top_n, accepted so its clients keep working. Send top_n.",
      "deprecated": true,
      "type": "integer",
      "minimum": 1,
      "maximum": 50
    },
    "others": {
      "description": "Draw the remaining subgroups as one Others cell; shares are then of all classifications rather than of the shown subgroups.",
      "type": "boolean",
      "default": false
    },
    "group_by_main_group": {
      "description": "Cluster and colour the cells by CPC main group (G01N33 for G01N33/24), with a legend of the groups.",
      "type": "boolean",
      "default": false
    }
  }
}"#;

/// The chart algorithm.
pub struct CpcTreemap;

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// `num_groups` is the replaced Jobs API's name for it.
    #[serde(alias = "num_groups")]
    pub top_n: u32,
    pub others: bool,
    pub group_by_main_group: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            top_n: TOP_N_DEFAULT,
            others: false,
            group_by_main_group: false,
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

/// The CPC main group of a subgroup: the part before the slash
/// ("G01N33/24" -> "G01N33"). A label without a slash is its own group, so
/// odd labels still get a colour rather than an error.
pub(crate) fn main_group(subgroup: &str) -> String {
    subgroup
        .split('/')
        .next()
        .unwrap_or(subgroup)
        .trim()
        .to_owned()
}

impl ChartPlugin for CpcTreemap {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "CPC subgroups treemap".to_owned(),
            description: "Squarified treemap of the CPC subgroups with most documents, each cell \
                          sized by its count and labelled with code, count and share; the rest \
                          summed as Others, optionally grouped by CPC main group."
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
        let texts = Texts::new(locale);
        let ranked = facet.ranked();
        let groups: Option<Vec<String>> = params
            .group_by_main_group
            .then(|| ranked.iter().map(|e| main_group(&e.label)).collect());
        let map = Treemap::new(
            &ranked,
            groups.as_deref(),
            params.top_n,
            params.others,
            texts.others(),
        );

        let mut warnings = Vec::new();
        if map.entries < params.top_n as usize {
            warnings.push(texts.warn_fewer_than_top_n(params.top_n, map.entries));
        }
        let title = texts.title(map.shown);
        let subtitle = texts.subtitle(&map);
        let words = texts.treemap();
        let drawing = TreemapChart::new(&title, &map, &words)
            .subtitle(&subtitle)
            .notes(&static_notes(&map, &texts))
            .draw(style, measure);
        if drawing.groups_cut > 0 {
            warnings.push(texts.warn_groups_cut(drawing.groups_cut));
        }
        if !drawing.unlabelled.is_empty() {
            warnings.push(texts.warn_unlabelled(drawing.unlabelled.len()));
        }
        if drawing.notes_cut > 0 {
            warnings.push(texts.warn_notes_cut(drawing.notes_cut));
        }

        let mut cd = ChartData::new(ChartType::Treemap, KEY, &title, locale);
        cd.subtitle = Some(subtitle);
        cd.series
            .push(map.series(texts.series_name(), &drawing.unlabelled));
        if let Some(groups) = map.group_series(texts.groups_name()) {
            cd.series.push(groups);
        }
        if let Some(of_cell) = map.group_of_cell() {
            cd.metrics.insert("main_group_of_cell".to_owned(), of_cell);
        }
        map.write_totals(&mut cd.totals, drawing.unlabelled.len());
        if !map.groups.is_empty() {
            cd.totals.set("main_groups", map.groups.len());
        }
        cd.notes = drawing.notes.clone();
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

/// The notes that do not depend on the layout.
fn static_notes(map: &Treemap, t: &Texts) -> Vec<String> {
    let mut notes = vec![t.note_cpc().to_owned(), t.note_counts(map)];
    if map.others_count > 0 {
        notes.push(t.note_rest(map));
    }
    if !map.groups.is_empty() {
        notes.push(t.note_groups().to_owned());
    }
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(CpcTreemap);
