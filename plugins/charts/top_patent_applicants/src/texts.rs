//! The words of the chart, in English and Spanish: what an applicant is
//! and how names are recorded. The sentences are built from them by
//! [`patchart_sdk::name_ranking::NameTexts`].

use patchart_sdk::name_ranking::{Localized, NameRanking, Noun};

use crate::{FACET, KEY, MAX_LABEL_LINES};

pub(crate) const CHART: NameRanking = NameRanking {
    key: KEY,
    facet: FACET,
    max_label_lines: MAX_LABEL_LINES,
    noun_en: Noun {
        one: "applicant",
        many: "applicants",
    },
    noun_es: Noun {
        one: "solicitante",
        many: "solicitantes",
    },
    y_axis: Localized {
        en: "Applicants",
        es: "Solicitantes",
    },
    // What an applicant is: the replaced chart's two footnotes in one.
    note_about: Localized {
        en: "Applicants are the persons or organisations that file a patent application and \
             hold the right to protect and commercially exploit the invention",
        es: "Los solicitantes son las personas físicas o jurídicas que presentan la solicitud \
             de patente y tienen el derecho a proteger y explotar comercialmente la invención",
    },
    note_names: Localized {
        en: "Names as Espacenet records them (with its abbreviations, e.g. Univ, Inst), \
             shown in title case",
        es: "Nombres como los registra Espacenet (con sus abreviaturas, p. ej. Univ, Inst), \
             con mayúscula inicial",
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use patchart_sdk::format::Locale;

    #[test]
    fn titles_agree_with_the_number_shown() {
        assert_eq!(
            CHART.texts(Locale::En).title(15),
            "Top 15 patent applicants"
        );
        assert_eq!(CHART.texts(Locale::En).title(1), "Top patent applicant");
        assert_eq!(
            CHART.texts(Locale::Es).title(15),
            "Los 15 principales solicitantes de patentes"
        );
    }

    #[test]
    fn numbers_in_sentences_follow_the_locale() {
        let en = CHART.texts(Locale::En);
        let es = CHART.texts(Locale::Es);
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
