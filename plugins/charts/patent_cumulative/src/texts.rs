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
            Locale::En => "Cumulative patent documents published".to_owned(),
            Locale::Es => "Documentos de patente publicados acumulados".to_owned(),
        }
    }

    /// "233 documents published 2006–2023".
    pub fn subtitle(&self, span: &YearSpan) -> String {
        let total = span.total();
        let docs = format::count(total, self.locale);
        let (first, last) = (span.first, span.last());
        match self.locale {
            Locale::En => format!(
                "{docs} {} published {first}\u{2013}{last}, added up year by year",
                if total == 1 { "document" } else { "documents" }
            ),
            Locale::Es => format!(
                "{docs} {} {first}\u{2013}{last}, sumados año a año",
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
            Locale::En => "Cumulative published documents",
            Locale::Es => "Documentos publicados acumulados",
        }
    }

    pub fn series(&self) -> &'static str {
        match self.locale {
            Locale::En => "Cumulative documents",
            Locale::Es => "Documentos acumulados",
        }
    }

    pub fn yearly_series(&self) -> &'static str {
        match self.locale {
            Locale::En => "Documents published in the year",
            Locale::Es => "Documentos publicados en el año",
        }
    }

    /// A point's tooltip: "2019: 105 (+26)".
    pub fn point(&self, year: i32, cumulative: u64, added: u64) -> String {
        format!(
            "{year}: {} (+{})",
            format::count(cumulative, self.locale),
            format::count(added, self.locale)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitle_and_tooltips_follow_the_locale() {
        let span = YearSpan {
            first: 2006,
            counts: vec![2, 12_000],
            lag_years: 0,
            before: 0,
            after: 0,
        };
        assert_eq!(
            Texts::new(Locale::En).subtitle(&span),
            "12,002 documents published 2006\u{2013}2007, added up year by year"
        );
        assert_eq!(
            Texts::new(Locale::Es).point(2007, 12_002, 12_000),
            "2007: 12.002 (+12.000)"
        );
    }
}
