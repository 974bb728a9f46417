//! The "who is behind the patents" charts (applicants, inventors):
//! horizontal bars of the `top_n` entries of a facet of names, largest at
//! the top, followed by one neutral "Others" bar that sums the rest, each
//! bar ending in its count and its share of the facet total ("7 (2.23%)").
//! Names are shown in one casing ([`crate::names::display_name`]);
//! chart_data keeps them as the source wrote them.
//!
//! Such charts differ only in what they rank: the facet, the noun for one
//! entry and its definition, how names are recorded and how many lines a
//! name may wrap onto. A plugin describes that in a [`NameRanking`] and
//! calls [`NameRanking::render`]; every sentence is written by
//! [`NameTexts`] from the nouns.

use serde::Deserialize;

use crate::chart_data::{Axis, ChartData, ChartType};
use crate::format::{self, Locale, plural};
use crate::names::display_name;
use crate::ranked_bars::{BarKind, RankedBars, Ranking};
use crate::{Chart, Dataset, Measure, RenderError, Style, params};

pub const TOP_N_DEFAULT: u32 = 15;
pub const TOP_N_MIN: u32 = 1;
pub const TOP_N_MAX: u32 = 100;

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
    pub fn parse(raw: &str) -> Result<Params, RenderError> {
        let p: Params = params::parse(raw)?;
        params::check_range("top_n", p.top_n, TOP_N_MIN, TOP_N_MAX)?;
        Ok(p)
    }
}

/// A noun in its two numbers: "applicant", "applicants".
#[derive(Debug, Clone, Copy)]
pub struct Noun {
    pub one: &'static str,
    pub many: &'static str,
}

impl Noun {
    fn of(&self, n: u64) -> &'static str {
        plural(n, self.one, self.many)
    }
}

/// A fixed sentence in every locale.
#[derive(Debug, Clone, Copy)]
pub struct Localized {
    pub en: &'static str,
    pub es: &'static str,
}

impl Localized {
    pub fn get(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.en,
            Locale::Es => self.es,
        }
    }
}

/// What one ranking chart ranks, and the words for it.
#[derive(Debug, Clone, Copy)]
pub struct NameRanking {
    /// The plugin key, written into chart_data as the algorithm.
    pub key: &'static str,
    /// The facet ranked.
    pub facet: &'static str,
    /// How many lines a name may wrap onto.
    pub max_label_lines: usize,
    /// The noun for one entry, in English ("applicant") and Spanish
    /// ("solicitante"); Spanish sentences take it as masculine.
    pub noun_en: Noun,
    pub noun_es: Noun,
    /// The category axis title ("Applicants").
    pub y_axis: Localized,
    /// What an entry is (the second footnote).
    pub note_about: Localized,
    /// How names are recorded and shown (the last footnote).
    pub note_names: Localized,
}

impl NameRanking {
    pub fn texts(&self, locale: Locale) -> NameTexts<'_> {
        NameTexts { locale, spec: self }
    }

    /// The chart: bars, chart_data and warnings.
    pub fn render(
        &self,
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let params = Params::parse(params)?;
        let facet_name = self.facet;
        let facet = data.require(facet_name)?;
        if facet.total() == 0 {
            return Err(RenderError::MissingData(format!(
                "facet `{facet_name}` lists {} entries but no documents (every count is 0)",
                facet.entries.len()
            )));
        }
        let locale = style.locale();
        let t = self.texts(locale);
        let ranking = Ranking::top(&facet.ranked(), params.top_n as usize, t.others());

        // Most important first: a small page keeps only the first notes.
        let mut notes = vec![t.note_counting(ranking.total), t.note_about().to_owned()];
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
            .max_label_lines(self.max_label_lines)
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

        let mut cd = ChartData::new(ChartType::HorizontalBar, self.key, &title, locale);
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

/// Every sentence a [`NameRanking`] chart writes, in English and Spanish.
/// Numbers inside them are formatted for the same locale.
pub struct NameTexts<'a> {
    pub locale: Locale,
    spec: &'a NameRanking,
}

impl NameTexts<'_> {
    fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    /// The chart title; `shown` is the number of entries drawn
    /// individually (fewer than `top_n` when the data has fewer).
    pub fn title(&self, shown: usize) -> String {
        let (en, es) = (self.spec.noun_en, self.spec.noun_es);
        match (self.locale, shown) {
            (Locale::En, 1) => format!("Top patent {}", en.one),
            (Locale::En, n) => format!("Top {n} patent {}", en.many),
            (Locale::Es, 1) => format!("Principal {} de patentes", es.one),
            (Locale::Es, n) => format!("Los {n} principales {} de patentes", es.many),
        }
    }

    /// `total` is the sum over entries, not a number of documents: a
    /// document with several entries is in several counts.
    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let docs = self.count(total);
        let names = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "{names} {} · {docs} {} counted once per {}",
                self.spec.noun_en.of(entries as u64),
                plural(total, "document", "documents"),
                self.spec.noun_en.one,
            ),
            Locale::Es => format!(
                "{names} {} · {docs} {} una vez por {}",
                self.spec.noun_es.of(entries as u64),
                plural(total, "documento contado", "documentos contados"),
                self.spec.noun_es.one,
            ),
        }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Patent documents",
            Locale::Es => "Documentos de patente",
        }
    }

    pub fn y_axis(&self) -> &'static str {
        self.spec.y_axis.get(self.locale)
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    /// A bar's value label: "7 (2.23%)".
    pub fn value_label(&self, count: u64, share: f64) -> String {
        format!("{} ({})", self.count(count), self.percent(share))
    }

    /// What an entry is.
    pub fn note_about(&self) -> &'static str {
        self.spec.note_about.get(self.locale)
    }

    /// How the counts and shares are to be read.
    pub fn note_counting(&self, total: u64) -> String {
        let total = self.count(total);
        match self.locale {
            Locale::En => {
                let Noun { one, many } = self.spec.noun_en;
                format!(
                    "Counts are documents per {one}; a document with several {many} counts \
                     for each, so percentages are of the {total} {one}–document pairs, not of documents"
                )
            }
            Locale::Es => {
                let Noun { one, many } = self.spec.noun_es;
                format!(
                    "Se cuentan documentos por {one}; un documento con varios {many} cuenta \
                     para cada uno, así que los porcentajes son de los {total} pares {one}–documento, \
                     no de documentos"
                )
            }
        }
    }

    pub fn note_names(&self) -> &'static str {
        self.spec.note_names.get(self.locale)
    }

    /// What the Others bar sums: `count` documents of `entries` entries.
    /// `capped`: the bar is drawn cut short (not to scale).
    pub fn note_others(&self, count: u64, entries: usize, capped: bool) -> String {
        let docs = self.count(count);
        let names = self.count(entries as u64);
        let note = match self.locale {
            Locale::En => format!(
                "Others: {docs} {} of {names} more {}",
                plural(count, "document", "documents"),
                self.spec.noun_en.of(entries as u64),
            ),
            Locale::Es => format!(
                "Otros: {docs} {} de {names} {} más",
                plural(count, "documento", "documentos"),
                self.spec.noun_es.of(entries as u64),
            ),
        };
        match (capped, self.locale) {
            (false, _) => note,
            (true, Locale::En) => format!("{note} (bar cut short, not to scale)"),
            (true, Locale::Es) => format!("{note} (barra acortada, no a escala)"),
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, entries: usize) -> String {
        let shown = self.count(entries as u64);
        let n = entries as u64;
        match self.locale {
            Locale::En => format!(
                "top_n is {top_n} but the data has only {shown} {}; all are shown",
                self.spec.noun_en.of(n)
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {shown} {}; se muestran todos",
                self.spec.noun_es.of(n)
            ),
        }
    }

    pub fn warn_notes_dropped(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!(
                "{n} {} left out of the picture for lack of room (all are in the chart data)",
                plural(n as u64, "footnote was", "footnotes were")
            ),
            Locale::Es => format!(
                "{n} {} del gráfico por falta de espacio (todas están en los datos del gráfico)",
                plural(
                    n as u64,
                    "nota al pie se omitió",
                    "notas al pie se omitieron"
                )
            ),
        }
    }

    pub fn warn_elided(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!("{n} long names were shortened with “…” to fit"),
            Locale::Es => format!("Se acortaron {n} nombres largos con «…» para que quepan"),
        }
    }

    pub fn warn_crowded(&self, bars: usize, height: u32) -> String {
        match self.locale {
            Locale::En => format!(
                "{bars} bars are too many to label legibly in {height} px; raise the chart height or lower top_n"
            ),
            Locale::Es => format!(
                "{bars} barras son demasiadas para rotularlas de forma legible en {height} px; aumente la altura del gráfico o reduzca top_n"
            ),
        }
    }
}
