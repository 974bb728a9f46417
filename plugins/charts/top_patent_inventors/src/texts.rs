//! Every sentence the chart writes, in English and Spanish. Numbers inside
//! them are formatted by the SDK for the same locale.

use patchart_sdk::format::{self, Locale};

/// The strings of one locale.
pub(crate) struct Texts {
    pub locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    /// The chart title; `shown` is the number of inventors drawn
    /// individually (fewer than `top_n` when the data has fewer).
    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Top patent inventor".to_owned(),
            (Locale::En, n) => format!("Top {n} patent inventors"),
            (Locale::Es, 1) => "Principal inventor de patentes".to_owned(),
            (Locale::Es, n) => format!("Los {n} principales inventores de patentes"),
        }
    }

    /// `total` is the sum over inventors, not a number of documents: a
    /// document with several inventors is in several counts.
    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let docs = self.count(total);
        let names = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "{names} {} · {docs} {} counted once per inventor",
                plural(entries as u64, "inventor", "inventors"),
                plural(total, "document", "documents"),
            ),
            Locale::Es => format!(
                "{names} {} · {docs} {} una vez por inventor",
                plural(entries as u64, "inventor", "inventores"),
                plural(total, "documento contado", "documentos contados"),
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
        match self.locale {
            Locale::En => "Inventors",
            Locale::Es => "Inventores",
        }
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    /// A bar's value label: "4 (0.37%)".
    pub fn value_label(&self, count: u64, share: f64) -> String {
        format!("{} ({})", self.count(count), self.percent(share))
    }

    /// What an inventor is: the replaced chart's two footnotes in one.
    pub fn note_inventor(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "Inventors are the natural persons who contributed originally and directly to \
                 conceiving the invention; they are named as such in the application and cannot \
                 be companies"
            }
            Locale::Es => {
                "Los inventores son las personas físicas que contribuyeron de manera original y \
                 directa a concebir la invención; se nombran como tales en la solicitud y no pueden \
                 ser personas jurídicas"
            }
        }
    }

    /// How the counts and shares are to be read.
    pub fn note_counting(&self, total: u64) -> String {
        let total = self.count(total);
        match self.locale {
            Locale::En => format!(
                "Counts are documents per inventor; a document with several inventors counts \
                 for each, so percentages are of the {total} inventor–document pairs, not of documents"
            ),
            Locale::Es => format!(
                "Se cuentan documentos por inventor; un documento con varios inventores cuenta \
                 para cada uno, así que los porcentajes son de los {total} pares inventor–documento, \
                 no de documentos"
            ),
        }
    }

    /// Espacenet writes inventors family name first, which readers of
    /// Western names may not expect; homonyms are a real risk with common
    /// names such as "Chen Wei".
    pub fn note_names(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "Names as Espacenet records them (family name first), shown in title case; \
                 different people with the same name are counted together"
            }
            Locale::Es => {
                "Nombres como los registra Espacenet (apellido primero), con mayúscula inicial; \
                 personas distintas con el mismo nombre se cuentan juntas"
            }
        }
    }

    /// What the Others bar sums: `count` documents of `entries` inventors.
    /// `capped`: the bar is drawn cut short (not to scale).
    pub fn note_others(&self, count: u64, entries: usize, capped: bool) -> String {
        let docs = self.count(count);
        let names = self.count(entries as u64);
        let note = match self.locale {
            Locale::En => format!(
                "Others: {docs} {} of {names} more {}",
                plural(count, "document", "documents"),
                plural(entries as u64, "inventor", "inventors"),
            ),
            Locale::Es => format!(
                "Otros: {docs} {} de {names} {} más",
                plural(count, "documento", "documentos"),
                plural(entries as u64, "inventor", "inventores"),
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
                plural(n, "inventor", "inventors")
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {shown} {}; se muestran todos",
                plural(n, "inventor", "inventores")
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

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_agree_with_the_number_shown() {
        assert_eq!(Texts::new(Locale::En).title(15), "Top 15 patent inventors");
        assert_eq!(Texts::new(Locale::En).title(1), "Top patent inventor");
        assert_eq!(
            Texts::new(Locale::Es).title(15),
            "Los 15 principales inventores de patentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = Texts::new(Locale::En);
        let es = Texts::new(Locale::Es);
        assert_eq!(en.value_label(4, 0.37), "4 (0.37%)");
        assert_eq!(es.value_label(1234, 2.2), "1234 (2,20\u{a0}%)");
        assert_eq!(
            en.subtitle(12345, 1000),
            "1,000 inventors · 12,345 documents counted once per inventor"
        );
        assert_eq!(
            es.subtitle(1, 1),
            "1 inventor · 1 documento contado una vez por inventor"
        );
        assert_eq!(
            en.note_others(1041, 985, false),
            "Others: 1,041 documents of 985 more inventors"
        );
        assert_eq!(
            es.note_others(1, 1, false),
            "Otros: 1 documento de 1 inventor más"
        );
    }
}
