//! # top_classification_groups
//!
//! Which technical fields does a search cover? Horizontal bars of the
//! `top_n` main groups of the CPC or the IPC (param `scheme`), largest at
//! the top, followed by one neutral "Others" bar that sums the rest. Each
//! bar ends in its count and its share of the facet total ("217
//! (28.48%)"). A document is classified in several groups and counts in
//! each, so that total is of classifications, not of documents; a footnote
//! says so, names the scheme, and explains CPC indexing codes (groups 2000
//! and above) and section Y tags when they have a bar.
//!
//! Params (JSON): `{"scheme": "cpc", "top_n": 15}`, both optional.

mod texts;

use patchart_sdk::chart_data::{Axis, ChartData, ChartType};
use patchart_sdk::ranked_bars::{BarKind, RankedBars, Ranking};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "top_classification_groups";
pub const VERSION: &str = "1.0.0";

const TOP_N_DEFAULT: u32 = 15;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = 100;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "top_classification_groups parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "scheme": {
      "description": "Classification scheme: cpc (Cooperative Patent Classification) or ipc (International Patent Classification).",
      "type": "string",
      "enum": ["cpc", "ipc"],
      "default": "cpc"
    },
    "top_n": {
      "description": "Number of main groups drawn as their own bar; the rest are summed into Others.",
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 15
    }
  }
}"#;

/// The chart algorithm.
pub struct TopClassificationGroups;

/// A patent classification scheme, each with its facet of main groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Cpc,
    Ipc,
}

impl Scheme {
    pub fn facet(self) -> &'static str {
        match self {
            Scheme::Cpc => "cpc_main_groups",
            Scheme::Ipc => "ipc_main_groups",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Scheme::Cpc => "cpc",
            Scheme::Ipc => "ipc",
        }
    }

    /// The acronym as written in prose.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Cpc => "CPC",
            Scheme::Ipc => "IPC",
        }
    }
}

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub scheme: Scheme,
    pub top_n: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scheme: Scheme::Cpc,
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

/// The main group number of a symbol such as "C02F2101" (subclass
/// "C02F", group 2101), if the label has that shape.
fn main_group_number(label: &str) -> Option<u32> {
    let label = label.trim();
    let digits = label.get(4..)?;
    let subclass = label.get(..4)?.as_bytes();
    let is_subclass = subclass[0].is_ascii_uppercase()
        && subclass[1].is_ascii_digit()
        && subclass[2].is_ascii_digit()
        && subclass[3].is_ascii_uppercase();
    if !is_subclass || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl ChartPlugin for TopClassificationGroups {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Top classification groups".to_owned(),
            description: "Horizontal bars of the CPC or IPC main groups in which the most \
                          documents are classified, with the rest summed as Others."
                .to_owned(),
            params_schema: PARAMS_SCHEMA.to_owned(),
            // Either facet serves, depending on `scheme`; CPC is the default.
            required_facets: vec![Scheme::Cpc.facet().to_owned()],
        }
    }

    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let params = Params::parse(params)?;
        let scheme = params.scheme;
        let facet = data.require(scheme.facet())?;
        if facet.total() == 0 {
            return Err(RenderError::MissingData(format!(
                "facet `{}` lists {} entries but no documents (every count is 0)",
                scheme.facet(),
                facet.entries.len()
            )));
        }
        let locale = style.locale();
        let t = Texts::new(locale, scheme.name());
        let ranking = Ranking::top(&facet.ranked(), params.top_n as usize, t.others());

        let drawn_groups = || {
            ranking
                .bars
                .iter()
                .filter(|b| b.kind != BarKind::Others)
                .map(|b| b.label.as_str())
        };
        // Most important first: a small page keeps only the first notes.
        let mut notes = vec![t.note_counting(ranking.total), t.note_scheme(scheme)];
        if ranking.others_count > 0 {
            notes.push(t.note_others(
                ranking.others_count,
                ranking.others_entries,
                ranking.others_capped(),
            ));
        }
        if scheme == Scheme::Cpc
            && let Some(example) = drawn_groups().find(|l| main_group_number(l) >= Some(2000))
        {
            notes.push(t.note_indexing_codes(example));
        }
        if let Some(example) = drawn_groups().find(|l| l.trim_start().starts_with('Y')) {
            notes.push(t.note_section_y(example));
        }

        let mut warnings = Vec::new();
        if ranking.entries < params.top_n as usize {
            warnings.push(t.warn_fewer_than_top_n(params.top_n, ranking.entries));
        }
        let title = t.title(ranking.shown);
        let subtitle = t.subtitle(ranking.total, ranking.entries);
        let labels: Vec<String> = ranking.bars.iter().map(|b| b.label.clone()).collect();
        let values = ranking
            .bars
            .iter()
            .map(|b| t.value_label(b.count, b.share))
            .collect();
        let drawn = RankedBars::new(&title, &ranking, labels.clone(), values)
            .subtitle(&subtitle)
            .x_title(t.x_axis())
            .y_title(&t.y_axis())
            .notes(&notes)
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
        cd.y_axis = Some(Axis::new(&t.y_axis()).categories(labels));
        cd.series.push(ranking.series(t.x_axis()));
        cd.totals
            .set("scheme", scheme.code())
            .set("facet", scheme.facet());
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

patchart_sdk::export_plugin!(TopClassificationGroups);
