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

    pub fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    pub fn title(&self) -> &'static str {
        match self.locale {
            Locale::En => "Publication languages of the patent families",
            Locale::Es => "Idiomas de publicación de las familias de patentes",
        }
    }

    pub fn subtitle(&self, total: u64, languages: usize) -> String {
        let (c, n) = (self.count(total), self.count(languages as u64));
        match self.locale {
            Locale::En => format!(
                "Families per language of publication: {c} {} in {n} {}",
                plural(total, "count", "counts"),
                plural(languages as u64, "language", "languages"),
            ),
            Locale::Es => format!(
                "Familias por idioma de publicación: {c} {} en {n} {}",
                plural(total, "recuento", "recuentos"),
                plural(languages as u64, "idioma", "idiomas"),
            ),
        }
    }

    pub fn series_name(&self) -> &'static str {
        match self.locale {
            Locale::En => "Patent families per publication language",
            Locale::Es => "Familias de patentes por idioma de publicación",
        }
    }

    pub fn others(&self) -> &'static str {
        match self.locale {
            Locale::En => "Others",
            Locale::Es => "Otros",
        }
    }

    /// The caption under the total in the hole.
    pub fn hole_caption(&self, languages: usize) -> String {
        let n = self.count(languages as u64);
        match self.locale {
            Locale::En => format!(
                "counts in {n} {}",
                plural(languages as u64, "language", "languages")
            ),
            Locale::Es => format!(
                "recuentos en {n} {}",
                plural(languages as u64, "idioma", "idiomas")
            ),
        }
    }

    /// Espacenet's "Languages (family)" facet counts a family under every
    /// language one of its documents is published in.
    pub fn note_counts(&self, total: u64) -> String {
        let c = self.count(total);
        match self.locale {
            Locale::En => format!(
                "Counts are of patent families per publication language: a family with documents in several languages is counted once in each, so the {c} counts exceed the number of families; shares are of the {c}"
            ),
            Locale::Es => format!(
                "Se cuentan familias de patentes por idioma de publicación: una familia con documentos en varios idiomas se cuenta una vez en cada uno, por lo que los {c} recuentos superan el número de familias; los porcentajes son de los {c}"
            ),
        }
    }

    /// The languages summed into Others, with their counts.
    pub fn note_others(&self, items: &[(String, u64)]) -> String {
        let list: Vec<String> = items
            .iter()
            .map(|(name, count)| format!("{name} {}", self.count(*count)))
            .collect();
        match self.locale {
            Locale::En => format!("Others: {}", list.join(", ")),
            Locale::Es => format!("Otros: {}", list.join(", ")),
        }
    }

    pub fn warn_elided(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!("{n} long language names were shortened with “…” to fit"),
            Locale::Es => {
                format!("Se acortaron {n} nombres de idioma largos con «…» para que quepan")
            }
        }
    }

    pub fn warn_unlabelled(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!(
                "{n} {} no room for a percentage label; see the legend",
                plural(n as u64, "slice has", "slices have")
            ),
            Locale::Es => format!(
                "{n} {} sin espacio para su porcentaje; véase la leyenda",
                plural(n as u64, "porción queda", "porciones quedan")
            ),
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
        assert_eq!(
            en.subtitle(1478, 12),
            "Families per language of publication: 1,478 counts in 12 languages"
        );
        assert_eq!(
            es.subtitle(1, 1),
            "Familias por idioma de publicación: 1 recuento en 1 idioma"
        );
        assert_eq!(
            es.note_others(&[("francés".into(), 9), ("japonés".into(), 6)]),
            "Otros: francés 9, japonés 6"
        );
    }
}
