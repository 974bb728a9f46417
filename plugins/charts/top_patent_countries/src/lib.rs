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

mod draw;
mod texts;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Highlight, Series};
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

/// What a bar stands for, which decides its colour and its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BarKind {
    Ranked,
    Highlighted,
    Others,
}

/// One bar, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    pub label: String,
    pub count: u64,
    /// Percent of all documents, two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
    pub kind: BarKind,
}

/// The figures of the chart: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranking {
    pub bars: Vec<Bar>,
    pub total: u64,
    /// Number of countries in the facet.
    pub entries: usize,
    /// Number of countries with their own bar.
    pub shown: usize,
    pub top_n: u32,
    pub others_count: u64,
    pub others_entries: usize,
    pub highlights: Vec<Highlight>,
}

impl Ranking {
    fn new(ranked: &[Entry], params: &Params, others_label: &str) -> Ranking {
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        let shown = ranked.len().min(params.top_n as usize);
        let highlights: Vec<Highlight> = params
            .highlights()
            .iter()
            .map(|code| Highlight::locate(code, ranked, total, shown))
            .collect();
        let is_highlighted =
            |label: &str| highlights.iter().any(|h| h.in_chart && h.label == label);
        let mut bars: Vec<Bar> = ranked[..shown]
            .iter()
            .enumerate()
            .map(|(i, e)| Bar {
                label: e.label.clone(),
                count: e.count,
                share: chart_data::share(e.count, total),
                rank: Some(i as u64 + 1),
                kind: if is_highlighted(&e.label) {
                    BarKind::Highlighted
                } else {
                    BarKind::Ranked
                },
            })
            .collect();
        let rest = &ranked[shown..];
        let others_count: u64 = rest.iter().map(|e| e.count).sum();
        // A zero-height Others bar would claim a category that holds
        // nothing; leave it out.
        if others_count > 0 {
            bars.push(Bar {
                label: others_label.to_owned(),
                count: others_count,
                share: chart_data::share(others_count, total),
                rank: None,
                kind: BarKind::Others,
            });
        }
        Ranking {
            bars,
            total,
            entries: ranked.len(),
            shown,
            top_n: params.top_n,
            others_count,
            others_entries: rest.len(),
            highlights,
        }
    }

    fn shows(&self, label: &str) -> bool {
        self.bars
            .iter()
            .any(|b| b.kind != BarKind::Others && b.label == label)
    }
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
        let ranking = Ranking::new(&facet.ranked(), &params, texts.others());

        let notes = notes(&ranking, &texts);
        let mut warnings = Vec::new();
        if ranking.entries < params.top_n as usize {
            warnings.push(texts.warn_fewer_than_top_n(params.top_n, ranking.entries));
        }
        let drawing = draw::draw(&ranking, &texts, &notes, style, measure);
        warnings.extend(drawing.warnings);

        let mut cd = ChartData::new(
            ChartType::HorizontalBar,
            KEY,
            &texts.title(ranking.shown),
            locale,
        );
        cd.subtitle = Some(texts.subtitle(ranking.total, ranking.entries));
        cd.x_axis = Some(Axis::new(texts.x_axis()));
        let labels: Vec<String> = ranking.bars.iter().map(|b| b.label.clone()).collect();
        cd.y_axis = Some(Axis::new(texts.y_axis()).categories(labels.clone()));
        cd.series.push(Series {
            name: texts.x_axis().to_owned(),
            kind: Some("observed".to_owned()),
            labels,
            values: ranking.bars.iter().map(|b| Some(b.count as f64)).collect(),
            shares: Some(ranking.bars.iter().map(|b| Some(b.share)).collect()),
            ranks: Some(ranking.bars.iter().map(|b| b.rank).collect()),
            flags: Some(
                ranking
                    .bars
                    .iter()
                    .map(|b| match b.kind {
                        BarKind::Ranked => String::new(),
                        BarKind::Highlighted => "highlight".to_owned(),
                        BarKind::Others => "others".to_owned(),
                    })
                    .collect(),
            ),
        });
        let top_count: u64 = ranking
            .bars
            .iter()
            .filter(|b| b.kind != BarKind::Others)
            .map(|b| b.count)
            .sum();
        cd.totals
            .set("total", ranking.total)
            .set("entries", ranking.entries)
            .set("top_n", ranking.top_n)
            .set("shown_count", ranking.shown)
            .set("others_count", ranking.others_count)
            .set("others_entries", ranking.others_entries)
            .set(
                "others_share",
                chart_data::share(ranking.others_count, ranking.total),
            )
            .set("top_share", chart_data::share(top_count, ranking.total));
        cd.highlights = Some(ranking.highlights.clone());
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
fn notes(r: &Ranking, t: &Texts) -> Vec<String> {
    let mut notes = Vec::new();
    if r.shows("WO") {
        notes.push(t.note_wo().to_owned());
    }
    if r.shows("EP") {
        notes.push(t.note_ep().to_owned());
    }
    if r.others_count > 0 {
        notes.push(t.note_others(r.others_count, r.others_entries));
    }
    for h in &r.highlights {
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
