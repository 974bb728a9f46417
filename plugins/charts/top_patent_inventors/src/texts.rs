//! The words of the chart, in English and Spanish: what an inventor is
//! and how names are recorded. The sentences are built from them by
//! [`patchart_sdk::name_ranking::NameTexts`].

use patchart_sdk::name_ranking::{Localized, NameRanking, Noun};

use crate::{FACET, KEY, MAX_LABEL_LINES};

pub(crate) const CHART: NameRanking = NameRanking {
    key: KEY,
    facet: FACET,
    max_label_lines: MAX_LABEL_LINES,
    noun_en: Noun {
        one: "inventor",
        many: "inventors",
    },
    noun_es: Noun {
        one: "inventor",
        many: "inventores",
    },
    y_axis: Localized {
        en: "Inventors",
        es: "Inventores",
    },
    // What an inventor is: the replaced chart's two footnotes in one.
    note_about: Localized {
        en: "Inventors are the natural persons who contributed originally and directly to \
             conceiving the invention; they are named as such in the application and cannot \
             be companies",
        es: "Los inventores son las personas físicas que contribuyeron de manera original y \
             directa a concebir la invención; se nombran como tales en la solicitud y no pueden \
             ser personas jurídicas",
    },
    // Espacenet writes inventors family name first, which readers of
    // Western names may not expect; homonyms are a real risk with common
    // names such as "Chen Wei".
    note_names: Localized {
        en: "Names as Espacenet records them (family name first), shown in title case; \
             different people with the same name are counted together",
        es: "Nombres como los registra Espacenet (apellido primero), con mayúscula inicial; \
             personas distintas con el mismo nombre se cuentan juntas",
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use patchart_sdk::format::Locale;

    #[test]
    fn titles_agree_with_the_number_shown() {
        assert_eq!(CHART.texts(Locale::En).title(15), "Top 15 patent inventors");
        assert_eq!(CHART.texts(Locale::En).title(1), "Top patent inventor");
        assert_eq!(
            CHART.texts(Locale::Es).title(15),
            "Los 15 principales inventores de patentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = CHART.texts(Locale::En);
        let es = CHART.texts(Locale::Es);
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
