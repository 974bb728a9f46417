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

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, ChartData, ChartType, Series};
use patchart_sdk::{
    Chart, ChartPlugin, Dataset, Entry, Measure, PluginInfo, RenderError, Style, params,
};
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

/// One cell of the treemap.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub label: String,
    pub count: u64,
    /// Percent of the treemap's whole (see [`Treemap::whole`]), two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
    /// Index into [`Treemap::groups`] when grouping.
    pub group: Option<usize>,
    pub is_others: bool,
}

/// A CPC main group of the shown subgroups.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MainGroup {
    pub code: String,
    /// Sum of its shown subgroups' counts.
    pub count: u64,
    pub share: f64,
    /// Indices into [`Treemap::cells`], largest first.
    pub cells: Vec<usize>,
}

/// The figures of the chart: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Treemap {
    /// Ranked subgroups, then Others when drawn.
    pub cells: Vec<Cell>,
    /// Main groups by descending count, ties by code; empty unless grouping.
    pub groups: Vec<MainGroup>,
    /// Sum of the facet's counts (classifications, not documents).
    pub total: u64,
    pub entries: usize,
    pub top_n: u32,
    pub shown: usize,
    pub shown_total: u64,
    pub others_count: u64,
    pub others_entries: usize,
    pub others_drawn: bool,
    /// What the area stands for and shares are of: `total` with Others,
    /// `shown_total` without.
    pub whole: u64,
}

impl Treemap {
    fn new(ranked: &[Entry], params: &Params, others_label: &str) -> Treemap {
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        // Zero-count subgroups have no area; drawing them would only add
        // unlabelled slivers.
        let shown = ranked
            .iter()
            .take(params.top_n as usize)
            .take_while(|e| e.count > 0)
            .count();
        let shown_total: u64 = ranked[..shown].iter().map(|e| e.count).sum();
        let rest = &ranked[shown..];
        let others_count: u64 = rest.iter().map(|e| e.count).sum();
        let others_entries = rest.iter().filter(|e| e.count > 0).count();
        let others_drawn = params.others && others_count > 0;
        let whole = if others_drawn { total } else { shown_total };

        let mut cells: Vec<Cell> = ranked[..shown]
            .iter()
            .enumerate()
            .map(|(i, e)| Cell {
                label: e.label.clone(),
                count: e.count,
                share: chart_data::share(e.count, whole),
                rank: Some(i as u64 + 1),
                group: None,
                is_others: false,
            })
            .collect();
        let groups = if params.group_by_main_group {
            group_cells(&mut cells, whole)
        } else {
            Vec::new()
        };
        if others_drawn {
            cells.push(Cell {
                label: others_label.to_owned(),
                count: others_count,
                share: chart_data::share(others_count, whole),
                rank: None,
                group: None,
                is_others: true,
            });
        }
        Treemap {
            cells,
            groups,
            total,
            entries: ranked.len(),
            top_n: params.top_n,
            shown,
            shown_total,
            others_count,
            others_entries,
            others_drawn,
            whole,
        }
    }
}

/// Groups the ranked cells by main group, setting each cell's group. The
/// cells are ranked, so each group's cells come out largest first.
fn group_cells(cells: &mut [Cell], whole: u64) -> Vec<MainGroup> {
    let mut groups: Vec<MainGroup> = Vec::new();
    // A map from code to group index keeps this linear in the cells.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, cell) in cells.iter().enumerate() {
        let code = main_group(&cell.label);
        let g = *index.entry(code.clone()).or_insert_with(|| {
            groups.push(MainGroup {
                code,
                count: 0,
                share: 0.0,
                cells: Vec::new(),
            });
            groups.len() - 1
        });
        groups[g].count += cell.count;
        groups[g].cells.push(i);
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        groups[b]
            .count
            .cmp(&groups[a].count)
            .then_with(|| groups[a].code.cmp(&groups[b].code))
    });
    let mut sorted: Vec<MainGroup> = Vec::with_capacity(groups.len());
    for (new_index, &old) in order.iter().enumerate() {
        let mut g = groups[old].clone();
        g.share = chart_data::share(g.count, whole);
        for &c in &g.cells {
            cells[c].group = Some(new_index);
        }
        sorted.push(g);
    }
    sorted
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
        let map = Treemap::new(&facet.ranked(), &params, texts.others());

        let mut warnings = Vec::new();
        if map.entries < params.top_n as usize {
            warnings.push(texts.warn_fewer_than_top_n(params.top_n, map.entries));
        }
        let drawing = draw::draw(&map, &texts, style, measure);
        warnings.extend(drawing.warnings.iter().cloned());

        let title = texts.title(map.shown);
        let mut cd = ChartData::new(ChartType::Treemap, KEY, &title, locale);
        cd.subtitle = Some(texts.subtitle(&map));
        let flags: Vec<String> = map
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.is_others {
                    "others".to_owned()
                } else if drawing.unlabelled.contains(&i) {
                    "unlabelled".to_owned()
                } else {
                    String::new()
                }
            })
            .collect();
        cd.series.push(Series {
            name: texts.series_name().to_owned(),
            kind: Some("observed".to_owned()),
            labels: map.cells.iter().map(|c| c.label.clone()).collect(),
            values: map.cells.iter().map(|c| Some(c.count as f64)).collect(),
            shares: Some(map.cells.iter().map(|c| Some(c.share)).collect()),
            ranks: Some(map.cells.iter().map(|c| c.rank).collect()),
            flags: Some(flags),
        });
        if !map.groups.is_empty() {
            cd.series.push(Series {
                name: texts.groups_name().to_owned(),
                kind: Some("group".to_owned()),
                labels: map.groups.iter().map(|g| g.code.clone()).collect(),
                values: map.groups.iter().map(|g| Some(g.count as f64)).collect(),
                shares: Some(map.groups.iter().map(|g| Some(g.share)).collect()),
                ranks: None,
                flags: None,
            });
            // The main group of each cell of the first series, aligned with
            // its labels (null for Others): the schema's series have no
            // per-point text field besides flags, which mark states.
            let of_cell: Vec<serde_json::Value> = map
                .cells
                .iter()
                .map(|c| match c.group {
                    Some(g) => serde_json::Value::String(map.groups[g].code.clone()),
                    None => serde_json::Value::Null,
                })
                .collect();
            cd.metrics
                .insert("main_group_of_cell".to_owned(), of_cell.into());
        }
        cd.totals
            .set("total", map.total)
            .set("entries", map.entries)
            .set("top_n", map.top_n)
            .set("shown_count", map.shown)
            .set("shown_total", map.shown_total)
            .set("top_share", chart_data::share(map.shown_total, map.total))
            .set("others_count", map.others_count)
            .set("others_entries", map.others_entries)
            .set(
                "others_share",
                chart_data::share(map.others_count, map.total),
            )
            .set(
                "share_base",
                if map.others_drawn {
                    "total"
                } else {
                    "shown_total"
                },
            )
            .set("share_base_count", map.whole)
            .set("unlabelled_cells", drawing.unlabelled.len());
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

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(CpcTreemap);
