//! Every sentence of this chart, in English and Spanish (the sentences
//! about years shared by the time charts are in `patchart_sdk::series`).

use patchart_sdk::format::{self, Locale};
use patchart_sdk::series::YearSpan;

use crate::Cagr;

pub(crate) struct Texts {
    pub locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    pub fn title(&self) -> String {
        match self.locale {
            Locale::En => "Patent publications per year and cumulative".to_owned(),
            Locale::Es => "Publicaciones de patentes por año y acumuladas".to_owned(),
        }
    }

    pub fn subtitle(&self, span: &YearSpan) -> String {
        let total = span.total();
        let docs = format::count(total, self.locale);
        let (first, last) = (span.first, span.last());
        match self.locale {
            Locale::En => format!(
                "{docs} {} published {first}\u{2013}{last}",
                if total == 1 { "document" } else { "documents" }
            ),
            Locale::Es => format!(
                "{docs} {} {first}\u{2013}{last}",
                if total == 1 {
                    "documento publicado"
                } else {
                    "documentos publicados"
                }
            ),
        }
    }

    pub fn left_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Documents per year",
            Locale::Es => "Documentos por año",
        }
    }

    pub fn right_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Cumulative documents",
            Locale::Es => "Documentos acumulados",
        }
    }

    pub fn yearly_series(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published in the year (left axis)",
            Locale::Es => "Publicados en el año (eje izquierdo)",
        }
    }

    pub fn cumulative_series(&self) -> &'static str {
        match self.locale {
            Locale::En => "Cumulative (right axis)",
            Locale::Es => "Acumulados (eje derecho)",
        }
    }

    fn percent(&self, v: f64) -> String {
        format::percent(v, 1, self.locale)
    }

    /// The annotation in the plot: "CAGR 2011–2021: +31.5% per year".
    pub fn cagr_label(&self, c: &Cagr) -> String {
        let years = format!("{}\u{2013}{}", c.start_year, c.end_year);
        match (self.locale, c.percent) {
            (Locale::En, Some(p)) => {
                format!("CAGR {years}: {}{} per year", sign(p), self.percent(p))
            }
            (Locale::Es, Some(p)) => format!("TCAC {years}: {}{} anual", sign(p), self.percent(p)),
            (Locale::En, None) => format!("CAGR {years}: undefined (starts at 0)"),
            (Locale::Es, None) => format!("TCAC {years}: no definida (parte de 0)"),
        }
    }

    pub fn note_cagr(&self, c: &Cagr) -> String {
        let (a, b) = (
            format::count(c.start_value, self.locale),
            format::count(c.end_value, self.locale),
        );
        let n = c.end_year - c.start_year;
        match self.locale {
            Locale::En => format!(
                "CAGR (compound annual growth rate) of the documents per year from {} ({a}) to {} ({b}): (({b} / {a})^(1/{n}) \u{2212} 1) \u{d7} 100; the constant yearly growth that leads from the first value to the last.",
                c.start_year, c.end_year
            ),
            Locale::Es => format!(
                "TCAC (tasa de crecimiento anual compuesta) de los documentos por año de {} ({a}) a {} ({b}): (({b} / {a})^(1/{n}) \u{2212} 1) \u{d7} 100; el crecimiento anual constante que lleva del primer valor al último.",
                c.start_year, c.end_year
            ),
        }
    }

    pub fn note_no_cagr(&self) -> String {
        match self.locale {
            Locale::En => "No growth rate: fewer than two complete years to compare.".to_owned(),
            Locale::Es => {
                "Sin tasa de crecimiento: menos de dos años completos para comparar.".to_owned()
            }
        }
    }

    pub fn warn_cagr_incomplete(&self, c: &Cagr) -> String {
        match self.locale {
            Locale::En => format!(
                "The growth rate ends in {}, a year whose count is still incomplete; it understates growth",
                c.end_year
            ),
            Locale::Es => format!(
                "La tasa de crecimiento termina en {}, un año cuyo recuento aún está incompleto; subestima el crecimiento",
                c.end_year
            ),
        }
    }

    /// A year's tooltip: "2019: 26 (cumulative 105)".
    pub fn point(&self, year: i32, count: u64, cumulative: u64) -> String {
        let (c, t) = (
            format::count(count, self.locale),
            format::count(cumulative, self.locale),
        );
        match self.locale {
            Locale::En => format!("{year}: {c} (cumulative {t})"),
            Locale::Es => format!("{year}: {c} (acumulados {t})"),
        }
    }
}

fn sign(v: f64) -> &'static str {
    if v > 0.0 { "+" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cagr_label_follows_the_locale() {
        let c = Cagr {
            start_year: 2011,
            end_year: 2021,
            start_value: 2,
            end_value: 31,
            percent: Some(31.53),
            uses_incomplete: false,
        };
        assert_eq!(
            Texts::new(Locale::En).cagr_label(&c),
            "CAGR 2011\u{2013}2021: +31.5% per year"
        );
        assert_eq!(
            Texts::new(Locale::Es).cagr_label(&c),
            "TCAC 2011\u{2013}2021: +31,5\u{a0}% anual"
        );
    }
}
