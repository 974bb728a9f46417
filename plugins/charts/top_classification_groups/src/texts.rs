//! Every sentence the chart writes, in English and Spanish. Numbers inside
//! them are formatted by the SDK for the same locale.

use patchart_sdk::format::{self, Locale, plural};

use crate::Scheme;

/// The strings of one locale, for one scheme.
pub(crate) struct Texts {
    pub locale: Locale,
    /// "CPC" or "IPC".
    pub scheme: &'static str,
}

impl Texts {
    pub fn new(locale: Locale, scheme: &'static str) -> Texts {
        Texts { locale, scheme }
    }

    fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    pub fn title(&self, shown: usize) -> String {
        let s = self.scheme;
        match (self.locale, shown) {
            (Locale::En, 1) => format!("Top {s} main group"),
            (Locale::En, n) => format!("Top {n} {s} main groups"),
            (Locale::Es, 1) => format!("Grupo principal {s} más frecuente"),
            (Locale::Es, n) => format!("Los {n} grupos principales {s} más frecuentes"),
        }
    }

    /// `total` counts classifications (document–group pairs), not
    /// documents.
    pub fn subtitle(&self, total: u64, entries: usize) -> String {
        let n = self.count(total);
        let groups = self.count(entries as u64);
        match self.locale {
            Locale::En => format!(
                "{groups} main {} · {n} {} of documents",
                plural(entries as u64, "group", "groups"),
                plural(total, "classification", "classifications"),
            ),
            Locale::Es => format!(
                "{groups} {} · {n} {} de documentos",
                plural(entries as u64, "grupo principal", "grupos principales"),
                plural(total, "clasificación", "clasificaciones"),
            ),
        }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Patent documents",
            Locale::Es => "Documentos de patente",
        }
    }

    pub fn y_axis(&self) -> String {
        match self.locale {
            Locale::En => format!("{} main group", self.scheme),
            Locale::Es => format!("Grupo principal {}", self.scheme),
        }
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    /// A bar's value label: "217 (28.48%)".
    pub fn value_label(&self, count: u64, share: f64) -> String {
        format!("{} ({})", self.count(count), self.percent(share))
    }

    /// Shares are of the facet total, which counts a document once per
    /// main group it is classified in.
    pub fn note_counting(&self, total: u64) -> String {
        let total = self.count(total);
        match self.locale {
            Locale::En => format!(
                "A document is usually classified in several main groups and counts in each, so \
                 percentages are of the {total} classifications, not of documents, and a document \
                 can be in several bars"
            ),
            Locale::Es => format!(
                "Un documento suele estar clasificado en varios grupos principales y cuenta en cada \
                 uno, así que los porcentajes son de las {total} clasificaciones, no de documentos, \
                 y un documento puede estar en varias barras"
            ),
        }
    }

    pub fn note_scheme(&self, scheme: Scheme) -> String {
        match (self.locale, scheme) {
            (Locale::En, Scheme::Cpc) => {
                "CPC: Cooperative Patent Classification of the EPO and the USPTO; a main group \
                 such as G01N33 is subclass G01N, group 33"
            }
            (Locale::En, Scheme::Ipc) => {
                "IPC: International Patent Classification of WIPO; a main group such as G01N33 \
                 is subclass G01N, group 33"
            }
            (Locale::Es, Scheme::Cpc) => {
                "CPC: Clasificación Cooperativa de Patentes de la EPO y la USPTO; un grupo \
                 principal como G01N33 es la subclase G01N, grupo 33"
            }
            (Locale::Es, Scheme::Ipc) => {
                "IPC: Clasificación Internacional de Patentes de la OMPI; un grupo principal como \
                 G01N33 es la subclase G01N, grupo 33"
            }
        }
        .to_owned()
    }

    /// What the Others bar sums.
    /// `capped`: the bar is drawn cut short (not to scale).
    pub fn note_others(&self, count: u64, entries: usize, capped: bool) -> String {
        let n = self.count(count);
        let groups = self.count(entries as u64);
        let note = match self.locale {
            Locale::En => format!(
                "Others: {n} {} in {groups} more main {}",
                plural(count, "classification", "classifications"),
                plural(entries as u64, "group", "groups"),
            ),
            Locale::Es => format!(
                "Otros: {n} {} en {groups} {} más",
                plural(count, "clasificación", "clasificaciones"),
                plural(entries as u64, "grupo principal", "grupos principales"),
            ),
        };
        match (capped, self.locale) {
            (false, _) => note,
            (true, Locale::En) => format!("{note} (bar cut short, not to scale)"),
            (true, Locale::Es) => format!("{note} (barra acortada, no a escala)"),
        }
    }

    /// CPC groups numbered 2000 and up are indexing codes, which readers
    /// mistake for ordinary groups.
    pub fn note_indexing_codes(&self, example: &str) -> String {
        match self.locale {
            Locale::En => format!(
                "Groups numbered 2000 and above (e.g. {example}) are CPC indexing codes, which add \
                 detail to a classification"
            ),
            Locale::Es => format!(
                "Los grupos numerados desde 2000 (p. ej. {example}) son códigos de indexación CPC, \
                 que añaden detalle a una clasificación"
            ),
        }
    }

    pub fn note_section_y(&self, example: &str) -> String {
        match self.locale {
            Locale::En => format!(
                "Section Y (e.g. {example}) tags technologies across fields, such as climate \
                 change mitigation and adaptation"
            ),
            Locale::Es => format!(
                "La sección Y (p. ej. {example}) etiqueta tecnologías transversales, como la \
                 mitigación del cambio climático y la adaptación a él"
            ),
        }
    }

    pub fn warn_fewer_than_top_n(&self, top_n: u32, entries: usize) -> String {
        let shown = self.count(entries as u64);
        let n = entries as u64;
        match self.locale {
            Locale::En => format!(
                "top_n is {top_n} but the data has only {shown} main {}; all are shown",
                plural(n, "group", "groups")
            ),
            Locale::Es => format!(
                "top_n es {top_n}, pero los datos solo tienen {shown} {}; se muestran todos",
                plural(n, "grupo principal", "grupos principales")
            ),
        }
    }

    pub fn warn_elided(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!("{n} long labels were shortened with “…” to fit"),
            Locale::Es => format!("Se acortaron {n} etiquetas largas con «…» para que quepan"),
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
    fn titles_name_the_scheme_and_the_number_shown() {
        assert_eq!(
            Texts::new(Locale::En, "CPC").title(15),
            "Top 15 CPC main groups"
        );
        assert_eq!(Texts::new(Locale::En, "IPC").title(1), "Top IPC main group");
        assert_eq!(
            Texts::new(Locale::Es, "CPC").title(15),
            "Los 15 grupos principales CPC más frecuentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = Texts::new(Locale::En, "CPC");
        let es = Texts::new(Locale::Es, "CPC");
        assert_eq!(en.value_label(217, 28.48), "217 (28.48%)");
        assert_eq!(es.value_label(1234, 2.2), "1234 (2,20\u{a0}%)");
        assert_eq!(
            en.subtitle(12345, 101),
            "101 main groups · 12,345 classifications of documents"
        );
        assert_eq!(
            es.subtitle(1, 1),
            "1 grupo principal · 1 clasificación de documentos"
        );
        assert_eq!(
            en.note_others(1, 1, false),
            "Others: 1 classification in 1 more main group"
        );
    }
}
