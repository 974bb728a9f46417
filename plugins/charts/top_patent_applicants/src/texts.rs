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

    /// The chart title; `shown` is the number of applicants drawn
    /// individually (fewer than `top_n` when the data has fewer).
    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Top patent applicant".to_owned(),
            (Locale::En, n) => format!("Top {n} patent applicants"),
            (Locale::Es, 1) => "Principal solicitante de patentes".to_owned(),
            (Locale::Es, n) => format!("Los {n} principales solicitantes de patentes"),
        }
    }

    /// `total` is the sum over applicants, not a number of documents: a
    /// document with several applicants is in several counts.
    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let docs = self.count(total);
        let names = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "{names} {} · {docs} {} counted once per applicant",
                plural(entries as u64, "applicant", "applicants"),
                plural(total, "document", "documents"),
            ),
            Locale::Es => format!(
                "{names} {} · {docs} {} una vez por solicitante",
                plural(entries as u64, "solicitante", "solicitantes"),
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
            Locale::En => "Applicants",
            Locale::Es => "Solicitantes",
        }
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

    /// What an applicant is: the replaced chart's two footnotes in one.
    pub fn note_applicant(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "Applicants are the persons or organisations that file a patent application and \
                 hold the right to protect and commercially exploit the invention"
            }
            Locale::Es => {
                "Los solicitantes son las personas físicas o jurídicas que presentan la solicitud \
                 de patente y tienen el derecho a proteger y explotar comercialmente la invención"
            }
        }
    }

    /// How the counts and shares are to be read.
    pub fn note_counting(&self, total: u64) -> String {
        let total = self.count(total);
        match self.locale {
            Locale::En => format!(
                "Counts are documents per applicant; a document with several applicants counts \
                 for each, so percentages are of the {total} applicant–document pairs, not of documents"
            ),
            Locale::Es => format!(
                "Se cuentan documentos por solicitante; un documento con varios solicitantes cuenta \
                 para cada uno, así que los porcentajes son de los {total} pares solicitante–documento, \
                 no de documentos"
            ),
        }
    }

    pub fn note_names(&self) -> &'static str {
        match self.locale {
            Locale::En => {
                "Names as Espacenet records them (with its abbreviations, e.g. Univ, Inst), \
                 shown in title case"
            }
            Locale::Es => {
                "Nombres como los registra Espacenet (con sus abreviaturas, p. ej. Univ, Inst), \
                 con mayúscula inicial"
            }
        }
    }

    /// What the Others bar sums: `count` documents of `entries` applicants.
    /// `capped`: the bar is drawn cut short (not to scale).
    pub fn note_others(&self, count: u64, entries: usize, capped: bool) -> String {
        let docs = self.count(count);
        let names = self.count(entries as u64);
        let note = match self.locale {
            Locale::En => format!(
                "Others: {docs} {} of {names} more {}",
                plural(count, "document", "documents"),
                plural(entries as u64, "applicant", "applicants"),
            ),
            Locale::Es => format!(
                "Otros: {docs} {} de {names} {} más",
                plural(count, "documento", "documentos"),
                plural(entries as u64, "solicitante", "solicitantes"),
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
                plural(n, "applicant", "applicants")
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {shown} {}; se muestran todos",
                plural(n, "solicitante", "solicitantes")
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
        assert_eq!(Texts::new(Locale::En).title(15), "Top 15 patent applicants");
        assert_eq!(Texts::new(Locale::En).title(1), "Top patent applicant");
        assert_eq!(
            Texts::new(Locale::Es).title(15),
            "Los 15 principales solicitantes de patentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = Texts::new(Locale::En);
        let es = Texts::new(Locale::Es);
        assert_eq!(en.value_label(7, 2.23), "7 (2.23%)");
        assert_eq!(es.value_label(1234, 2.2), "1234 (2,20\u{a0}%)");
        assert_eq!(
            en.subtitle(12345, 278),
            "278 applicants · 12,345 documents counted once per applicant"
        );
        assert_eq!(
            es.subtitle(1, 1),
            "1 solicitante · 1 documento contado una vez por solicitante"
        );
        assert_eq!(
            en.note_others(257, 263, false),
            "Others: 257 documents of 263 more applicants"
        );
        assert_eq!(
            es.note_others(1, 1, false),
            "Otros: 1 documento de 1 solicitante más"
        );
    }
}
