//! # applicant_vs_inventor_countries
//!
//! Where are inventions made, and where are their owners? For the `top_n`
//! countries by combined count, two bars side by side: documents with an
//! applicant from the country (facet `applicant_countries`) and documents
//! with an inventor from it (facet `inventor_countries`). A country absent
//! from one facet gets a zero bar there, so the two series stay aligned.
//! An inventor bar well above the applicant bar hints that inventions made
//! in a country are filed by applicants from elsewhere; a note says how to
//! read it.
//!
//! Params (JSON): `{"top_n": 10}`, optional.

mod draw;
mod texts;

use std::collections::BTreeMap;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Series};
use patchart_sdk::{
    Chart, ChartPlugin, Dataset, Facet, Measure, PluginInfo, RenderError, Style, params,
};
use serde::Deserialize;

use crate::texts::Texts;

pub const KEY: &str = "applicant_vs_inventor_countries";
pub const VERSION: &str = "1.0.0";
const APPLICANTS: &str = "applicant_countries";
const INVENTORS: &str = "inventor_countries";

const TOP_N_DEFAULT: u32 = 10;
const TOP_N_MIN: u32 = 1;
/// Fifty countries are a hundred bars, about what a wide page can label.
const TOP_N_MAX: u32 = 50;

/// The published parameter schema; `params_schema_defaults_are_the_params_defaults`
/// keeps it in step with [`Params`].
const PARAMS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "applicant_vs_inventor_countries parameters",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "top_n": {
      "description": "Number of countries compared, the ones with the most applicant plus inventor documents.",
      "type": "integer",
      "minimum": 1,
      "maximum": 50,
      "default": 10
    }
  }
}"#;

/// The chart algorithm.
pub struct ApplicantVsInventorCountries;

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

/// One compared country.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Country {
    pub label: String,
    pub applicants: u64,
    pub inventors: u64,
    /// 1-based rank in each facet; `None` where the country is absent.
    pub applicant_rank: Option<u64>,
    pub inventor_rank: Option<u64>,
}

/// The figures of the chart: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    /// Shown countries, by combined count, ties by label.
    pub countries: Vec<Country>,
    pub applicant_total: u64,
    pub inventor_total: u64,
    pub applicant_entries: usize,
    pub inventor_entries: usize,
    /// Countries in either facet.
    pub union: usize,
    pub only_applicants: usize,
    pub only_inventors: usize,
}

impl Comparison {
    fn new(applicants: &Facet, inventors: &Facet, top_n: usize) -> Comparison {
        // Ranks within each facet, the same way every ranking chart ranks.
        let ranks = |f: &Facet| -> BTreeMap<String, u64> {
            let mut m = BTreeMap::new();
            for (i, e) in f.ranked().into_iter().enumerate() {
                m.entry(e.label).or_insert(i as u64 + 1);
            }
            m
        };
        let (a_ranks, i_ranks) = (ranks(applicants), ranks(inventors));
        // A label listed twice in a facet is one country: its counts add.
        let mut both: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for e in &applicants.entries {
            let slot = &mut both.entry(e.label.as_str()).or_default().0;
            *slot = slot.saturating_add(e.count);
        }
        for e in &inventors.entries {
            let slot = &mut both.entry(e.label.as_str()).or_default().1;
            *slot = slot.saturating_add(e.count);
        }
        let only_applicants = both.values().filter(|(a, i)| *a > 0 && *i == 0).count();
        let only_inventors = both.values().filter(|(a, i)| *a == 0 && *i > 0).count();
        let mut all: Vec<(&str, u64, u64)> = both
            .iter()
            .filter(|(_, (a, i))| a.saturating_add(*i) > 0)
            .map(|(l, (a, i))| (*l, *a, *i))
            .collect();
        let union = all.len();
        // BTreeMap order is by label, and the sort is stable: ties by label.
        all.sort_by_key(|x| std::cmp::Reverse(x.1.saturating_add(x.2)));
        let countries = all
            .into_iter()
            .take(top_n)
            .map(|(label, a, i)| Country {
                label: label.to_owned(),
                applicants: a,
                inventors: i,
                applicant_rank: if a > 0 {
                    a_ranks.get(label).copied()
                } else {
                    None
                },
                inventor_rank: if i > 0 {
                    i_ranks.get(label).copied()
                } else {
                    None
                },
            })
            .collect();
        Comparison {
            countries,
            applicant_total: applicants.total(),
            inventor_total: inventors.total(),
            applicant_entries: applicants.entries.len(),
            inventor_entries: inventors.entries.len(),
            union,
            only_applicants,
            only_inventors,
        }
    }

    fn shown_applicants(&self) -> u64 {
        self.countries.iter().map(|c| c.applicants).sum()
    }

    fn shown_inventors(&self) -> u64 {
        self.countries.iter().map(|c| c.inventors).sum()
    }

    /// One aligned series per facet.
    fn series(
        &self,
        name: &str,
        total: u64,
        pick: impl Fn(&Country) -> (u64, Option<u64>),
    ) -> Series {
        let picked: Vec<(u64, Option<u64>)> = self.countries.iter().map(&pick).collect();
        Series {
            name: name.to_owned(),
            kind: Some("observed".to_owned()),
            labels: self.countries.iter().map(|c| c.label.clone()).collect(),
            values: picked.iter().map(|(v, _)| Some(*v as f64)).collect(),
            shares: Some(
                picked
                    .iter()
                    .map(|(v, _)| Some(chart_data::share(*v, total)))
                    .collect(),
            ),
            ranks: Some(picked.iter().map(|(_, r)| *r).collect()),
            flags: Some(
                picked
                    .iter()
                    .map(|(_, r)| if r.is_none() { "absent" } else { "" }.to_owned())
                    .collect(),
            ),
        }
    }
}

impl ChartPlugin for ApplicantVsInventorCountries {
    fn info() -> PluginInfo {
        PluginInfo {
            key: KEY.to_owned(),
            version: VERSION.to_owned(),
            name: "Applicant vs inventor countries".to_owned(),
            description: "Grouped bars comparing, for the leading countries, the documents with \
                          an applicant from the country and those with an inventor from it."
                .to_owned(),
            params_schema: PARAMS_SCHEMA.to_owned(),
            required_facets: vec![APPLICANTS.to_owned(), INVENTORS.to_owned()],
        }
    }

    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let params = Params::parse(params)?;
        let applicants = data.require(APPLICANTS)?;
        let inventors = data.require(INVENTORS)?;
        for f in [applicants, inventors] {
            if f.total() == 0 {
                return Err(RenderError::MissingData(format!(
                    "facet `{}` lists {} entries but no documents (every count is 0)",
                    f.name,
                    f.entries.len()
                )));
            }
        }
        let locale = style.locale();
        let t = Texts::new(locale);
        let c = Comparison::new(applicants, inventors, params.top_n as usize);
        let shown = c.countries.len();

        let mut notes = vec![
            t.note_reading(),
            t.note_counting(c.applicant_total, c.inventor_total),
        ];
        if shown < c.union {
            notes.push(t.note_not_shown(
                c.union - shown,
                c.applicant_total - c.shown_applicants(),
                c.inventor_total - c.shown_inventors(),
            ));
        }
        let mut warnings = Vec::new();
        if c.union < params.top_n as usize {
            warnings.push(t.warn_fewer_than_top_n(params.top_n, c.union));
        }

        let title = t.title(shown);
        let subtitle = t.subtitle(c.applicant_total, c.inventor_total, c.union);
        let drawn = draw::draw(&c, &t, &title, &subtitle, &notes, style, measure);
        warnings.extend(drawn.warnings);

        let mut cd = ChartData::new(ChartType::GroupedBar, KEY, &title, locale);
        cd.subtitle = Some(subtitle);
        let labels: Vec<String> = c.countries.iter().map(|x| x.label.clone()).collect();
        cd.x_axis = Some(Axis::new(t.x_axis()).categories(labels));
        cd.y_axis = Some(Axis::new(t.y_axis()));
        cd.series
            .push(c.series(t.applicants(), c.applicant_total, |x| {
                (x.applicants, x.applicant_rank)
            }));
        cd.series
            .push(c.series(t.inventors(), c.inventor_total, |x| {
                (x.inventors, x.inventor_rank)
            }));
        cd.totals
            .set("applicant_total", c.applicant_total)
            .set("inventor_total", c.inventor_total)
            .set("applicant_entries", c.applicant_entries)
            .set("inventor_entries", c.inventor_entries)
            .set("countries", c.union)
            .set("countries_only_applicants", c.only_applicants)
            .set("countries_only_inventors", c.only_inventors)
            .set("top_n", params.top_n)
            .set("shown_count", shown)
            .set("applicant_shown_count", c.shown_applicants())
            .set("inventor_shown_count", c.shown_inventors())
            .set(
                "applicant_others_count",
                c.applicant_total - c.shown_applicants(),
            )
            .set(
                "inventor_others_count",
                c.inventor_total - c.shown_inventors(),
            );
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

patchart_sdk::export_plugin!(ApplicantVsInventorCountries);
