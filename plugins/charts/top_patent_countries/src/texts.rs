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

    fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    /// The chart title; `shown` is the number of countries drawn
    /// individually (fewer than `top_n` when the data has fewer).
    pub fn title(&self, shown: usize) -> String {
        match (self.locale, shown) {
            (Locale::En, 1) => "Top patent country".to_owned(),
            (Locale::En, n) => format!("Top {n} patent countries"),
            (Locale::Es, 1) => "Principal país de publicación de patentes".to_owned(),
            (Locale::Es, n) => format!("Los {n} principales países de publicación de patentes"),
        }
    }

    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let docs = self.count(total);
        let places = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "{docs} published patent {} in {places} {}",
                plural(total, "document", "documents"),
                plural(entries as u64, "country or office", "countries and offices"),
            ),
            Locale::Es => format!(
                "{docs} {} de patente {} en {places} {}",
                plural(total, "documento", "documentos"),
                plural(total, "publicado", "publicados"),
                plural(entries as u64, "país u oficina", "países y oficinas"),
            ),
        }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published patent documents",
            Locale::Es => "Documentos de patente publicados",
        }
    }

    /// "Jurisdiction" rather than "country": WO and EP are offices, not
    /// countries, and the replaced chart used this word.
    pub fn y_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Jurisdiction",
            Locale::Es => "Jurisdicción",
        }
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    /// A bar's value label: "192 (52.75%)".
    pub fn value_label(&self, count: u64, share: f64) -> String {
        format!("{} ({})", self.count(count), self.percent(share))
    }

    pub fn note_wo(&self) -> &'static str {
        match self.locale {
            Locale::En => "WO: international application under the PCT, published by WIPO",
            Locale::Es => "WO: solicitud internacional en virtud del PCT, publicada por la OMPI",
        }
    }

    pub fn note_ep(&self) -> &'static str {
        match self.locale {
            Locale::En => "EP: European Patent Office publication",
            Locale::Es => "EP: publicación de la Oficina Europea de Patentes",
        }
    }

    /// What the Others bar sums: `count` documents of `entries` countries;
    /// `capped`: the bar is drawn cut short, so its length is not its count.
    pub fn note_others(&self, count: u64, entries: usize, capped: bool) -> String {
        let docs = self.count(count);
        let places = self.count(entries as u64);
        let note = match self.locale {
            Locale::En => format!(
                "Others: {docs} {} from {places} more {}",
                plural(count, "document", "documents"),
                plural(entries as u64, "country or office", "countries and offices"),
            ),
            Locale::Es => format!(
                "Otros: {docs} {} de {places} {} más",
                plural(count, "documento", "documentos"),
                plural(entries as u64, "país u oficina", "países y oficinas"),
            ),
        };
        match (capped, self.locale) {
            (false, _) => note,
            (true, Locale::En) => format!("{note} (bar cut short, not to scale)"),
            (true, Locale::Es) => format!("{note} (barra acortada, no a escala)"),
        }
    }

    /// A highlighted country that is not drawn as its own bar.
    pub fn note_highlight_outside(
        &self,
        label: &str,
        rank: u64,
        entries: usize,
        count: u64,
        share: f64,
    ) -> String {
        let docs = self.count(count);
        let (rank, entries, pct) = (
            self.count(rank),
            self.count(entries as u64),
            self.percent(share),
        );
        match self.locale {
            Locale::En => format!(
                "{label}: rank {rank} of {entries}, {docs} {} ({pct}), counted in Others",
                plural(count, "document", "documents"),
            ),
            Locale::Es => format!(
                "{label}: puesto {rank} de {entries}, {docs} {} ({pct}), incluido en Otros",
                plural(count, "documento", "documentos"),
            ),
        }
    }

    /// A highlighted country with no documents in the export.
    pub fn note_highlight_absent(&self, label: &str) -> String {
        match self.locale {
            Locale::En => format!("{label}: no documents in this export"),
            Locale::Es => format!("{label}: sin documentos en esta exportación"),
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, entries: usize) -> String {
        let entries = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "top_n is {top_n} but the data has only {entries} countries and offices; all are shown"
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {entries} países y oficinas; se muestran todos"
            ),
        }
    }

    pub fn warn_elided(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!("{n} long labels were shortened with “…” to fit"),
            Locale::Es => format!("Se acortaron {n} etiquetas largas con «…» para que quepan"),
        }
    }

    pub fn warn_notes_cut(&self, n: usize) -> String {
        let n = n as u64;
        match self.locale {
            Locale::En => format!(
                "{n} {} left out of the picture for lack of room (all are in the chart data)",
                plural(n, "footnote was", "footnotes were")
            ),
            Locale::Es => format!(
                "{n} {} del gráfico por falta de espacio (todas están en los datos del gráfico)",
                plural(n, "nota al pie se omitió", "notas al pie se omitieron")
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_agree_with_the_number_shown() {
        assert_eq!(Texts::new(Locale::En).title(15), "Top 15 patent countries");
        assert_eq!(Texts::new(Locale::En).title(1), "Top patent country");
        assert_eq!(
            Texts::new(Locale::Es).title(15),
            "Los 15 principales países de publicación de patentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = Texts::new(Locale::En);
        let es = Texts::new(Locale::Es);
        assert_eq!(en.value_label(192, 52.75), "192 (52.75%)");
        assert_eq!(es.value_label(1234, 2.2), "1234 (2,20\u{a0}%)");
        assert_eq!(
            en.subtitle(12345, 35),
            "12,345 published patent documents in 35 countries and offices"
        );
        assert_eq!(
            es.subtitle(1, 1),
            "1 documento de patente publicado en 1 país u oficina"
        );
        assert_eq!(
            en.note_others(28, 20, false),
            "Others: 28 documents from 20 more countries and offices"
        );
        assert_eq!(
            es.note_others(1, 1, false),
            "Otros: 1 documento de 1 país u oficina más"
        );
        assert_eq!(
            en.note_others(900, 80, true),
            "Others: 900 documents from 80 more countries and offices (bar cut short, not to scale)"
        );
    }
}
