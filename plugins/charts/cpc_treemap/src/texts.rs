//! Every sentence the chart writes, in English and Spanish. Numbers inside
//! them are formatted by the SDK for the same locale.

use patchart_sdk::chart_data;
use patchart_sdk::format::{self, Locale, plural};
use patchart_sdk::treemap_chart::{Treemap, TreemapTexts};

/// The strings of one locale.
pub(crate) struct Texts {
    pub locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    pub fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    pub fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    /// `shown` is the number of subgroups with their own cell.
    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Top CPC subgroup".to_owned(),
            (Locale::En, n) => format!("Top {n} CPC subgroups"),
            (Locale::Es, 1) => "Principal subgrupo CPC".to_owned(),
            (Locale::Es, n) => format!("Los {n} principales subgrupos CPC"),
        }
    }

    pub fn subtitle(&self, m: &Treemap) -> String {
        let (shown, entries) = (self.count(m.shown as u64), self.count(m.entries as u64));
        let (part, total) = (self.count(m.shown_total), self.count(m.total));
        let pct = self.percent(chart_data::share(m.shown_total, m.total));
        if m.shown == m.entries {
            return match self.locale {
                Locale::En => format!(
                    "{total} {} in {entries} {}",
                    plural(m.total, "classification", "classifications"),
                    plural(m.entries as u64, "subgroup", "subgroups"),
                ),
                Locale::Es => format!(
                    "{total} {} en {entries} {}",
                    plural(m.total, "clasificación", "clasificaciones"),
                    plural(m.entries as u64, "subgrupo", "subgrupos"),
                ),
            };
        }
        match self.locale {
            Locale::En => format!(
                "The top {shown} of {entries} subgroups hold {part} of {total} classifications ({pct})"
            ),
            Locale::Es => format!(
                "Los {shown} principales de {entries} subgrupos reúnen {part} de {total} clasificaciones ({pct})"
            ),
        }
    }

    pub fn series_name(&self) -> &'static str {
        match self.locale {
            Locale::En => "Documents per CPC subgroup",
            Locale::Es => "Documentos por subgrupo CPC",
        }
    }

    pub fn groups_name(&self) -> &'static str {
        match self.locale {
            Locale::En => "CPC main groups",
            Locale::Es => "Grupos principales CPC",
        }
    }

    /// The words the SDK's treemap draws besides labels and notes.
    pub fn treemap(&self) -> TreemapTexts {
        let (heading, one, many) = match self.locale {
            Locale::En => ("CPC main group", "subgroup", "subgroups"),
            Locale::Es => ("Grupo principal CPC", "subgrupo", "subgrupos"),
        };
        TreemapTexts {
            locale: self.locale,
            legend_heading: heading.to_owned(),
            entry_one: one.to_owned(),
            entry_many: many.to_owned(),
        }
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    pub fn note_cpc(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "CPC subgroup: the finest level of the Cooperative Patent Classification, which sorts inventions by technology and field of application"
            }
            Locale::Es => {
                "Subgrupo CPC: el nivel más fino de la Clasificación Cooperativa de Patentes, que ordena las invenciones según su tecnología y campo de aplicación"
            }
        }
    }

    /// What a count is and what the shares are of.
    pub fn note_counts(&self, m: &Treemap) -> String {
        let base = match (self.locale, m.others_drawn) {
            (Locale::En, true) => {
                format!("shares are of all {} classifications", self.count(m.total))
            }
            (Locale::En, false) => format!(
                "shares are of the {} classifications of the subgroups shown",
                self.count(m.shown_total)
            ),
            (Locale::Es, true) => format!(
                "los porcentajes son del total de {} clasificaciones",
                self.count(m.total)
            ),
            (Locale::Es, false) => format!(
                "los porcentajes son de las {} clasificaciones de los subgrupos mostrados",
                self.count(m.shown_total)
            ),
        };
        match self.locale {
            Locale::En => format!(
                "A document is usually classified in several subgroups and counts in each; {base}"
            ),
            Locale::Es => format!(
                "Un documento suele clasificarse en varios subgrupos y cuenta en cada uno; {base}"
            ),
        }
    }

    /// What the Others cell holds, or what is left out when it is not drawn.
    pub fn note_rest(&self, m: &Treemap) -> String {
        let (count, entries) = (m.others_count, m.others_entries as u64);
        let (c, e) = (self.count(count), self.count(entries));
        match (self.locale, m.others_drawn) {
            (Locale::En, true) => format!(
                "Others: {c} {} in {e} more {}",
                plural(count, "classification", "classifications"),
                plural(entries, "subgroup", "subgroups"),
            ),
            (Locale::En, false) => format!(
                "Not drawn: {c} {} in {e} more {}",
                plural(count, "classification", "classifications"),
                plural(entries, "subgroup", "subgroups"),
            ),
            (Locale::Es, true) => format!(
                "Otros: {c} {} en {e} {} más",
                plural(count, "clasificación", "clasificaciones"),
                plural(entries, "subgrupo", "subgrupos"),
            ),
            (Locale::Es, false) => format!(
                "No se muestran: {c} {} en {e} {} más",
                plural(count, "clasificación", "clasificaciones"),
                plural(entries, "subgrupo", "subgrupos"),
            ),
        }
    }

    pub fn note_groups(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "Colours group the subgroups by CPC main group, the code before the slash (G01N33 for G01N33/24)"
            }
            Locale::Es => {
                "Los colores agrupan los subgrupos por grupo principal CPC, el código antes de la barra (G01N33 para G01N33/24)"
            }
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, entries: usize) -> String {
        let entries = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "top_n is {top_n} but the data has only {entries} CPC subgroups; all are shown"
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {entries} subgrupos CPC; se muestran todos"
            ),
        }
    }

    pub fn warn_unlabelled(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!(
                "{n} {} too small to label; listed in the notes",
                plural(n as u64, "cell is", "cells are")
            ),
            Locale::Es => format!(
                "{n} {} demasiado {} para rotular; se enumeran en las notas",
                plural(n as u64, "celda es", "celdas son"),
                plural(n as u64, "pequeña", "pequeñas"),
            ),
        }
    }

    pub fn warn_notes_cut(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!(
                "{n} {} not fit under the chart; see chart_data",
                plural(n as u64, "note does", "notes do")
            ),
            Locale::Es => format!(
                "{n} {} bajo el gráfico; véase chart_data",
                plural(n as u64, "nota no cabe", "notas no caben")
            ),
        }
    }

    pub fn warn_groups_cut(&self, n: usize) -> String {
        match self.locale {
            Locale::En => {
                format!("{n} main groups do not fit in the legend; they are summed in its last row")
            }
            Locale::Es => {
                format!("{n} grupos principales no caben en la leyenda; se suman en su última fila")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_agree_with_the_number_shown() {
        assert_eq!(Texts::new(Locale::En).title(15), "Top 15 CPC subgroups");
        assert_eq!(Texts::new(Locale::En).title(1), "Top CPC subgroup");
        assert_eq!(
            Texts::new(Locale::Es).title(15),
            "Los 15 principales subgrupos CPC"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = Texts::new(Locale::En);
        let es = Texts::new(Locale::Es);
        assert_eq!(en.treemap().count_and_share(1234, 12.9), "1,234 (12.90%)");
        assert_eq!(es.treemap().others_entries(1), "1 subgrupo");
        assert_eq!(es.treemap().others_entries(26), "26 subgrupos");
        assert_eq!(
            en.warn_unlabelled(1),
            "1 cell is too small to label; listed in the notes"
        );
        assert_eq!(es.treemap().more_groups(1), "1 grupo más");
    }
}
