//! Every sentence of this chart, in English and Spanish (the sentences
//! about years shared by the time charts are in `patchart_sdk::series`).

use patchart_sdk::format::{self, Locale};
use patchart_sdk::series::YearSpan;

pub(crate) struct Texts {
    pub locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    pub fn title(&self) -> String {
        match self.locale {
            Locale::En => "Patent documents published per year".to_owned(),
            Locale::Es => "Documentos de patente publicados por año".to_owned(),
        }
    }

    /// "233 documents, 2006–2023; peak 43 in 2023".
    pub fn subtitle(&self, span: &YearSpan) -> String {
        let total = span.total();
        let (peak_year, peak) = span.peak();
        let docs = format::count(total, self.locale);
        let peak = format::count(peak, self.locale);
        let (first, last) = (span.first, span.last());
        match self.locale {
            Locale::En => format!(
                "{docs} {} published {first}\u{2013}{last}; most in {peak_year} ({peak})",
                if total == 1 { "document" } else { "documents" }
            ),
            Locale::Es => format!(
                "{docs} {} {first}\u{2013}{last}; máximo en {peak_year} ({peak})",
                if total == 1 {
                    "documento publicado"
                } else {
                    "documentos publicados"
                }
            ),
        }
    }

    pub fn y_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published patent documents",
            Locale::Es => "Documentos de patente publicados",
        }
    }

    pub fn series(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published documents",
            Locale::Es => "Documentos publicados",
        }
    }

    /// A point's tooltip: "2019: 26".
    pub fn point(&self, year: i32, count: u64) -> String {
        format!("{year}: {}", format::count(count, self.locale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitle_follows_the_locale() {
        let span = YearSpan {
            first: 2006,
            counts: vec![2, 12_000],
            lag_years: 0,
            before: 0,
            after: 0,
        };
        assert_eq!(
            Texts::new(Locale::En).subtitle(&span),
            "12,002 documents published 2006\u{2013}2007; most in 2007 (12,000)"
        );
        assert_eq!(
            Texts::new(Locale::Es).subtitle(&span),
            "12.002 documentos publicados 2006\u{2013}2007; máximo en 2007 (12.000)"
        );
    }
}
