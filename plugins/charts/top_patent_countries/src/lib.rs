//! # top_patent_countries
//!
//! Which countries and patent offices publish the documents of a search?
//! Horizontal bars of the `top_n` entries of the `countries` facet, largest
//! at the top, followed by one neutral "Others" bar that sums the rest.
//! Each bar ends in its count and its share of all documents ("192
//! (52.75%)"). Countries the user names in `highlight` are drawn in an
//! accent colour when they are among the bars, and reported with their rank
//! in `chart_data` (and in a footnote) wherever they rank. Footnotes explain
//! the office codes WO and EP when they appear.
//!
//! Params (JSON): `{"top_n": 15, "highlight": ["EC"]}`, both optional.

mod texts;

use patchart_sdk::chart_data::{Axis, ChartData, ChartType, Highlight};
use patchart_sdk::ranked_bars::{BarKind, RankedBars, Ranking};
use patchart_sdk::{
    Chart, ChartPlugin, Dataset, Entry, Measure, PluginInfo, RenderError, Style, params,
};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "top_patent_countries";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "countries";

const TOP_N_DEFAULT: u32 = 15;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = 100;
const HIGHLIGHT_MAX_ITEMS: usize = 50;
const HIGHLIGHT_MAX_CHARS: usize = 64;

/// The published parameter schema; `params_schema_matches_params` keeps
/// it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "top_patent_countries parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "top_n": {
      "description": "Number of countries drawn as their own bar; the rest are summed into Others.",
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 15
    },
    "highlight": {
      "description": "Country or office codes (e.g. EC) to emphasise in the chart and to report with their rank wherever they rank.",
      "type": "array",
      "items": { "type": "string", "minLength": 1, "maxLength": 64 },
      "maxItems": 50,
      "default": []
    }
  }
}"#;

/// The chart algorithm.
pub struct TopPatentCountries;

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub top_n: u32,
    pub highlight: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            top_n: TOP_N_DEFAULT,
            highlight: Vec::new(),
        }
    }
}

impl Params {
    fn parse(raw: &str) -> Result<Params, RenderError> {
        let p: Params = params::parse(raw)?;
        params::check_range("top_n", p.top_n, TOP_N_MIN, TOP_N_MAX)?;
        params::check_len("highlight", &p.highlight, HIGHLIGHT_MAX_ITEMS)?;
        for code in &p.highlight {
            let len = code.trim().chars().count();
            if len == 0 || len > HIGHLIGHT_MAX_CHARS {
                return Err(RenderError::InvalidParams(format!(
                    "`highlight` items must be 1 to {HIGHLIGHT_MAX_CHARS} characters, got {code:?}"
                )));
            }
        }
        Ok(p)
    }

    /// The requested codes, trimmed, without case-insensitive repeats, in
    /// the order given.
    fn highlights(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for code in &self.highlight {
            let key = code.trim().to_lowercase();
            if !seen.contains(&key) {
                seen.push(key);
                out.push(code.trim().to_owned());
            }
        }
        out
    }
}

/// The ranking with the countries asked for in `highlight` drawn in the
/// accent colour when they have a bar, and located wherever they rank.
fn rank(ranked: &[Entry], params: &Params, others_label: &str) -> (Ranking, Vec<Highlight>) {
    let mut ranking = Ranking::top(ranked, params.top_n as usize, others_label);
    let highlights: Vec<Highlight> = params
        .highlights()
        .iter()
        .map(|code| Highlight::locate(code, ranked, ranking.total, ranking.shown))
        .collect();
    for bar in &mut ranking.bars {
        if bar.kind == BarKind::Ranked
            && highlights
                .iter()
                .any(|h| h.in_chart && h.label == bar.label)
        {
            bar.kind = BarKind::Highlighted;
        }
    }
    (ranking, highlights)
}

/// Whether `label` has a bar of its own.
fn shows(r: &Ranking, label: &str) -> bool {
    r.bars
        .iter()
        .any(|b| b.kind != BarKind::Others && b.label == label)
}

impl ChartPlugin for TopPatentCountries {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Top patent countries".to_owned(),
            description: "Horizontal bars of the countries and patent offices that published the \
                          most documents, with the rest summed as Others; highlighted countries \
                          are reported wherever they rank."
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
        let (ranking, highlights) = rank(&facet.ranked(), &params, texts.others());

        let notes = notes(&ranking, &highlights, &texts);
        let mut warnings = Vec::new();
        if ranking.entries < params.top_n as usize {
            warnings.push(texts.warn_fewer_than_top_n(params.top_n, ranking.entries));
        }
        let title = texts.title(ranking.shown);
        let subtitle = texts.subtitle(ranking.total, ranking.entries);
        let labels: Vec<String> = ranking.bars.iter().map(|b| b.label.clone()).collect();
        let values = ranking
            .bars
            .iter()
            .map(|b| texts.value_label(b.count, b.share))
            .collect();
        let drawing = RankedBars::new(&title, &ranking, labels.clone(), values)
            .subtitle(&subtitle)
            .x_title(texts.x_axis())
            .y_title(texts.y_axis())
            .notes(&notes)
            .draw(style, measure);
        if drawing.crowded {
            warnings.push(texts.warn_crowded(ranking.bars.len(), style.height));
        }
        if drawing.elided > 0 {
            warnings.push(texts.warn_elided(drawing.elided));
        }
        if drawing.dropped_notes > 0 {
            warnings.push(texts.warn_notes_cut(drawing.dropped_notes));
        }

        let mut cd = ChartData::new(ChartType::HorizontalBar, KEY, &title, locale);
        cd.subtitle = Some(subtitle);
        cd.x_axis = Some(Axis::new(texts.x_axis()));
        cd.y_axis = Some(Axis::new(texts.y_axis()).categories(labels));
        cd.series.push(ranking.series(texts.x_axis()));
        ranking.write_totals(&mut cd.totals);
        cd.highlights = Some(highlights);
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

/// The footnotes: what the office codes among the bars mean, what Others
/// holds, and where highlighted countries outside the bars rank.
fn notes(r: &Ranking, highlights: &[Highlight], t: &Texts) -> Vec<String> {
    let mut notes = Vec::new();
    if shows(r, "WO") {
        notes.push(t.note_wo().to_owned());
    }
    if shows(r, "EP") {
        notes.push(t.note_ep().to_owned());
    }
    if r.others_count > 0 {
        notes.push(t.note_others(r.others_count, r.others_entries, r.others_capped()));
    }
    for h in highlights {
        match (h.found, h.in_chart, h.rank, h.count, h.share) {
            (true, false, Some(rank), Some(count), Some(share)) => {
                notes.push(t.note_highlight_outside(&h.label, rank, r.entries, count, share));
            }
            (false, ..) => notes.push(t.note_highlight_absent(&h.label)),
            _ => {}
        }
    }
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(TopPatentCountries);
