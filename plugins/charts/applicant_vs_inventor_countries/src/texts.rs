//! Every sentence the chart writes, in English and Spanish. Numbers inside
//! them are formatted by the SDK for the same locale.

use patchart_sdk::format::{self, Locale, plural};

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

    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Applicant and inventor country".to_owned(),
            (Locale::En, n) => format!("Applicant vs inventor countries: top {n}"),
            (Locale::Es, 1) => "País de solicitantes e inventores".to_owned(),
            (Locale::Es, n) => {
                format!("Países de solicitantes frente a inventores: los {n} principales")
            }
        }
    }

    pub fn subtitle(&self, applicants: u64, inventors: u64, countries: usize) -> String {
        let (a, i, c) = (
            self.count(applicants),
            self.count(inventors),
            self.count(countries as u64),
        );
        match self.locale {
            Locale::En => format!(
                "{a} applicant and {i} inventor country {} in {c} {}",
                plural(applicants.max(inventors), "mention", "mentions"),
                plural(countries as u64, "country", "countries"),
            ),
            Locale::Es => format!(
                "{a} {} de país de solicitantes y {i} de inventores en {c} {}",
                plural(applicants, "mención", "menciones"),
                plural(countries as u64, "país", "países"),
            ),
        }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Country",
            Locale::Es => "País",
        }
    }

    pub fn y_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Patent documents",
            Locale::Es => "Documentos de patente",
        }
    }

    pub fn applicants(&self) -> &'static str {
        match self.locale {
            Locale::En => "Applicants",
            Locale::Es => "Solicitantes",
        }
    }

    pub fn inventors(&self) -> &'static str {
        match self.locale {
            Locale::En => "Inventors",
            Locale::Es => "Inventores",
        }
    }

    /// A bar's value label.
    pub fn value_label(&self, count: u64) -> String {
        self.count(count)
    }

    pub fn note_reading(&self) -> String {
        match self.locale {
            Locale::En => "For each country, the left bar counts documents with an applicant from \
                           it and the right bar documents with an inventor from it; an inventor \
                           bar well above the applicant bar suggests inventions made there are \
                           filed by applicants from elsewhere"
                .to_owned(),
            Locale::Es => "En cada país, la barra izquierda cuenta los documentos con un \
                           solicitante de ese país y la derecha los documentos con un inventor de \
                           él; una barra de inventores muy por encima de la de solicitantes sugiere \
                           que lo inventado allí lo solicitan titulares de otros países"
                .to_owned(),
        }
    }

    pub fn note_counting(&self, applicants: u64, inventors: u64) -> String {
        let (a, i) = (self.count(applicants), self.count(inventors));
        match self.locale {
            Locale::En => format!(
                "Only documents whose applicants or inventors have a country on record are counted, \
                 once per country: {a} applicant and {i} inventor country mentions in all"
            ),
            Locale::Es => format!(
                "Solo cuentan los documentos cuyos solicitantes o inventores tienen país registrado, \
                 una vez por país: {a} menciones de país de solicitantes y {i} de inventores en total"
            ),
        }
    }

    pub fn note_not_shown(&self, countries: usize, applicants: u64, inventors: u64) -> String {
        let (c, a, i) = (
            self.count(countries as u64),
            self.count(applicants),
            self.count(inventors),
        );
        match self.locale {
            Locale::En => format!(
                "Not shown: {c} more {} with {a} applicant and {i} inventor {}",
                plural(countries as u64, "country", "countries"),
                plural(applicants.max(inventors), "mention", "mentions"),
            ),
            Locale::Es => format!(
                "No se muestran: {c} {} más, con {a} {} de solicitantes y {i} de inventores",
                plural(countries as u64, "país", "países"),
                plural(applicants, "mención", "menciones"),
            ),
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, countries: usize) -> String {
        let shown = self.count(countries as u64);
        match self.locale {
            Locale::En => format!(
                "top_n is {top_n} but the data has only {shown} {}; all are shown",
                plural(countries as u64, "country", "countries")
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {shown} {}; se muestran todos",
                plural(countries as u64, "país", "países")
            ),
        }
    }

    pub fn warn_no_value_labels(&self) -> &'static str {
        match self.locale {
            Locale::En => "Bars are too narrow for value labels; the counts are in the chart data",
            Locale::Es => {
                "Las barras son demasiado estrechas para rotular sus valores; los recuentos están en los datos del gráfico"
            }
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
            Locale::En => format!("{n} long labels were shortened with “…” to fit"),
            Locale::Es => format!("Se acortaron {n} etiquetas largas con «…» para que quepan"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_follow_the_locale() {
        let en = Texts::new(Locale::En);
        let es = Texts::new(Locale::Es);
        assert_eq!(en.title(10), "Applicant vs inventor countries: top 10");
        assert_eq!(
            en.subtitle(101, 112, 17),
            "101 applicant and 112 inventor country mentions in 17 countries"
        );
        assert_eq!(
            es.subtitle(1, 1, 1),
            "1 mención de país de solicitantes y 1 de inventores en 1 país"
        );
        assert_eq!(es.value_label(12_000), "12.000");
        assert_eq!(
            en.note_not_shown(7, 4, 1_234),
            "Not shown: 7 more countries with 4 applicant and 1,234 inventor mentions"
        );
    }
}
