//! # family_languages
//!
//! In which languages are the patent families of a search published? A
//! donut of the `languages` facet: one slice per language, named in the
//! chart's locale ("English", "inglés"), with its share on the slice or
//! beside it on a leader line; languages below `min_share` percent or
//! beyond the `top_n` largest are summed into one neutral "Others" slice.
//! A legend lists every slice with its count and share, and the hole holds
//! the total.
//!
//! Espacenet counts a family once for every language it is published in,
//! so the counts add up to more than the number of families; the shares
//! are of that sum, and a footnote says so.
//!
//! Params (JSON): `{"top_n": 8, "min_share": 2}`, both optional.

mod draw;
mod languages;
mod texts;

use patchart_sdk::chart_data::{self, ChartData, ChartType, Series};
use patchart_sdk::{
    Chart, ChartPlugin, Dataset, Entry, Measure, PluginInfo, RenderError, Style, params,
};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "family_languages";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "languages";

const TOP_N_DEFAULT: u32 = 8;
const TOP_N_MIN: u32 = 1;
/// More slices than this cannot be told apart by colour (palettes have
/// eight) nor labelled around a donut.
const TOP_N_MAX: u32 = 20;
const MIN_SHARE_DEFAULT: f64 = 2.0;
const MIN_SHARE_MIN: f64 = 0.0;
const MIN_SHARE_MAX: f64 = 50.0;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "family_languages parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "top_n": {
      "description": "Largest number of languages drawn as their own slice; the rest are summed into Others (which is never a single language: that one is drawn by name).",
      "type": "integer",
      "minimum": 1,
      "maximum": 20,
      "default": 8
    },
    "min_share": {
      "description": "Languages below this share of all counts, in percent, are summed into Others; 0 keeps every language up to top_n.",
      "type": "number",
      "minimum": 0,
      "maximum": 50,
      "default": 2
    }
  }
}"#;

/// The chart algorithm.
pub struct FamilyLanguages;

/// What the user can ask for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub top_n: u32,
    pub min_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            top_n: TOP_N_DEFAULT,
            min_share: MIN_SHARE_DEFAULT,
        }
    }
}

impl Params {
    fn parse(raw: &str) -> Result<Params, RenderError> {
        let p: Params = params::parse(raw)?;
        params::check_range("top_n", p.top_n, TOP_N_MIN, TOP_N_MAX)?;
        if !p.min_share.is_finite() {
            return Err(RenderError::InvalidParams(
                "`min_share` must be a finite number".to_owned(),
            ));
        }
        params::check_range("min_share", p.min_share, MIN_SHARE_MIN, MIN_SHARE_MAX)?;
        Ok(p)
    }
}

/// One slice of the donut, clockwise from twelve o'clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slice {
    /// The language code as the facet gives it; `None` for Others.
    pub code: Option<String>,
    /// The language's name in the chart's locale, or "Others".
    pub name: String,
    pub count: u64,
    /// Percent of all counts, two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
}

impl Slice {
    pub fn is_others(&self) -> bool {
        self.code.is_none()
    }
}

/// The figures of the chart: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Donut {
    pub slices: Vec<Slice>,
    pub total: u64,
    /// Languages with a count above zero.
    pub languages: usize,
    /// Languages summed into Others, largest first, with their counts.
    pub others: Vec<(String, u64)>,
    pub others_count: u64,
}

impl Donut {
    fn new(ranked: &[Entry], params: &Params, t: &Texts) -> Donut {
        let ranked: Vec<&Entry> = ranked.iter().filter(|e| e.count > 0).collect();
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        // Ranked by count, so the languages that pass both limits form a
        // prefix; the largest is always drawn, whatever `min_share` says.
        let mut kept = ranked
            .iter()
            .take(params.top_n as usize)
            .take_while(|e| chart_data::share(e.count, total) >= params.min_share)
            .count()
            .max(1)
            .min(ranked.len());
        // An "Others" of one language hides a name for nothing.
        if ranked.len() - kept == 1 {
            kept += 1;
        }
        let mut slices: Vec<Slice> = ranked[..kept]
            .iter()
            .enumerate()
            .map(|(i, e)| Slice {
                code: Some(e.label.clone()),
                name: languages::name(&e.label, t.locale),
                count: e.count,
                share: chart_data::share(e.count, total),
                rank: Some(i as u64 + 1),
            })
            .collect();
        let others: Vec<(String, u64)> = ranked[kept..]
            .iter()
            .map(|e| (e.label.clone(), e.count))
            .collect();
        let others_count: u64 = others.iter().map(|(_, c)| c).sum();
        if others_count > 0 {
            slices.push(Slice {
                code: None,
                name: t.others().to_owned(),
                count: others_count,
                share: chart_data::share(others_count, total),
                rank: None,
            });
        }
        Donut {
            slices,
            total,
            languages: ranked.len(),
            others,
            others_count,
        }
    }
}

impl ChartPlugin for FamilyLanguages {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Family publication languages".to_owned(),
            description: "Donut of the languages the patent families are published in, named in \
                          the chart's language, with small languages summed as Others and the \
                          total in the middle."
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
        let donut = Donut::new(&facet.ranked(), &params, &texts);

        let notes = notes(&donut, &texts);
        let drawing = draw::draw(&donut, &texts, &notes, style, measure);
        let warnings = drawing.warnings.clone();

        let mut cd = ChartData::new(ChartType::Donut, KEY, texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(donut.total, donut.languages));
        cd.series.push(Series {
            name: texts.series_name().to_owned(),
            kind: Some("observed".to_owned()),
            labels: donut.slices.iter().map(|s| s.name.clone()).collect(),
            values: donut.slices.iter().map(|s| Some(s.count as f64)).collect(),
            shares: Some(donut.slices.iter().map(|s| Some(s.share)).collect()),
            ranks: Some(donut.slices.iter().map(|s| s.rank).collect()),
            flags: Some(
                donut
                    .slices
                    .iter()
                    .map(|s| if s.is_others() { "others" } else { "" }.to_owned())
                    .collect(),
            ),
        });
        // The codes behind the localized labels, aligned with them (null for
        // Others), and the languages inside Others: the schema's series
        // carry one label per point, and a description may need both.
        let codes: Vec<serde_json::Value> = donut
            .slices
            .iter()
            .map(|s| s.code.clone().map_or(serde_json::Value::Null, Into::into))
            .collect();
        cd.metrics.insert("language_codes".to_owned(), codes.into());
        let others: Vec<serde_json::Value> = donut
            .others
            .iter()
            .map(|(code, count)| {
                serde_json::json!({
                    "code": code,
                    "name": languages::name(code, locale),
                    "count": count,
                    "share": chart_data::share(*count, donut.total),
                })
            })
            .collect();
        cd.metrics
            .insert("others_languages".to_owned(), others.into());
        let top = donut.slices.first();
        cd.totals
            .set("total", donut.total)
            .set("languages", donut.languages)
            .set("top_n", params.top_n)
            .set("min_share", params.min_share)
            .set(
                "shown_count",
                donut.slices.iter().filter(|s| !s.is_others()).count(),
            )
            .set("others_count", donut.others_count)
            .set("others_entries", donut.others.len())
            .set(
                "others_share",
                chart_data::share(donut.others_count, donut.total),
            )
            .set("top_language", top.map(|s| s.name.as_str()))
            .set("top_share", top.map(|s| s.share));
        cd.notes = notes;
        cd.warnings = warnings.clone();

        Ok(Chart {
            svg: drawing.svg,
            chart_data: cd.to_json()?,
            warnings,
        })
    }
}

/// The footnotes: what a count is, and which languages Others holds.
fn notes(d: &Donut, t: &Texts) -> Vec<String> {
    let mut notes = vec![t.note_counts(d.total)];
    if !d.others.is_empty() {
        let named: Vec<(String, u64)> = d
            .others
            .iter()
            .map(|(code, count)| (languages::name(code, t.locale), *count))
            .collect();
        notes.push(t.note_others(&named));
    }
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(FamilyLanguages);
