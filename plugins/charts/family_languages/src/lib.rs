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

mod languages;
mod texts;

use patchart_sdk::chart_data::{self, ChartData, ChartType};
use patchart_sdk::donut::{Donut, DonutChart, MAX_SLICES};
use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style, params};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "family_languages";
pub const VERSION: &str = "1.0.0";
const FACET: &str = "languages";

const TOP_N_DEFAULT: u32 = 8;
const TOP_N_MIN: u32 = 1;
const TOP_N_MAX: u32 = MAX_SLICES;
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
        let donut = Donut::new(
            &facet.ranked(),
            params.top_n,
            params.min_share,
            |code| languages::name(code, locale),
            texts.others(),
        );

        let notes = notes(&donut, &texts);
        let drawing = DonutChart::new(texts.title())
            .subtitle(&texts.subtitle(donut.total, donut.entries))
            .hole_caption(&texts.hole_caption(donut.entries))
            .notes(&notes)
            .draw(&donut, style, measure);
        let mut warnings = Vec::new();
        if drawing.elided > 0 {
            warnings.push(texts.warn_elided(drawing.elided));
        }
        if drawing.unlabelled > 0 {
            warnings.push(texts.warn_unlabelled(drawing.unlabelled));
        }

        let mut cd = ChartData::new(ChartType::Donut, KEY, texts.title(), locale);
        cd.subtitle = Some(texts.subtitle(donut.total, donut.entries));
        cd.series.push(donut.series(texts.series_name()));
        // The codes behind the localized labels, aligned with them (null for
        // Others), and the languages inside Others: the schema's series
        // carry one label per point, and a description may need both.
        let codes: Vec<serde_json::Value> = donut
            .slices
            .iter()
            .map(|s| s.label.clone().map_or(serde_json::Value::Null, Into::into))
            .collect();
        cd.metrics.insert("language_codes".to_owned(), codes.into());
        let others: Vec<serde_json::Value> = donut
            .others
            .iter()
            .map(|e| {
                serde_json::json!({
                    "code": e.label,
                    "name": languages::name(&e.label, locale),
                    "count": e.count,
                    "share": chart_data::share(e.count, donut.total),
                })
            })
            .collect();
        cd.metrics
            .insert("others_languages".to_owned(), others.into());
        let top = donut.slices.first();
        cd.totals
            .set("total", donut.total)
            .set("languages", donut.entries);
        donut.write_limits(&mut cd.totals, params.top_n, params.min_share);
        cd.totals
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
            .map(|e| (languages::name(&e.label, t.locale), e.count))
            .collect();
        notes.push(t.note_others(&named));
    }
    notes
}

#[cfg(test)]
mod tests;

patchart_sdk::export_plugin!(FamilyLanguages);
