//! Every sentence the chart writes, in English and Spanish. Keeping them in
//! one place makes a new locale one match arm per sentence, and numbers
//! inside them are formatted by the SDK for the same locale ("12,345" in
//! English, "12.345" in Spanish).

use patchart_sdk::format::{self, Locale, plural};

/// The strings of one locale.
pub(crate) struct Texts {
    locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    /// A document count, grouped per locale.
    pub fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    /// The title; `shown` is the number of bars actually drawn (fewer than
    /// `top_n` when the data has fewer countries), so it never overclaims.
    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Top country by patent documents".to_owned(),
            (Locale::En, n) => format!("Top {n} countries by patent documents"),
            (Locale::Es, 1) => "País con más documentos de patente".to_owned(),
            (Locale::Es, n) => format!("Los {n} países con más documentos de patente"),
        }
    }

    /// The subtitle: what the whole facet holds.
    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let (docs, places) = (self.count(total), self.count(entries as u64));
        match self.locale {
            Locale::En => format!(
                "{docs} {} in {places} {}",
                plural(total, "document", "documents"),
                plural(entries as u64, "country or office", "countries and offices"),
            ),
            Locale::Es => format!(
                "{docs} {} en {places} {}",
                plural(total, "documento", "documentos"),
                plural(entries as u64, "país u oficina", "países y oficinas"),
            ),
        }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Country or office",
            Locale::Es => "País u oficina",
        }
    }

    pub fn y_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Patent documents",
            Locale::Es => "Documentos de patente",
        }
    }

    /// What the bars leave out, so a reader knows the chart is a top-N.
    pub fn note_rest(&self, count: u64, entries: usize) -> String {
        let (docs, places) = (self.count(count), self.count(entries as u64));
        match self.locale {
            Locale::En => format!(
                "Not shown: {docs} {} from {places} more {}",
                plural(count, "document", "documents"),
                plural(entries as u64, "country or office", "countries and offices"),
            ),
            Locale::Es => format!(
                "No se muestran: {docs} {} de {places} {} más",
                plural(count, "documento", "documentos"),
                plural(entries as u64, "país u oficina", "países y oficinas"),
            ),
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, entries: usize) -> String {
        let entries = self.count(entries as u64);
        match self.locale {
            Locale::En => {
                format!("top_n is {top_n} but the data has only {entries} countries; all are shown")
            }
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {entries} países; se muestran todos"
            ),
        }
    }

    pub fn warn_no_value_labels(&self) -> &'static str {
        match self.locale {
            Locale::En => "bars are too narrow for their counts; value labels were left out",
            Locale::Es => {
                "las barras son demasiado estrechas para sus valores; se omitieron las etiquetas"
            }
        }
    }
}
