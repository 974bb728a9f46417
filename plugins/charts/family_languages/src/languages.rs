//! Names of the publication languages Espacenet reports, by ISO 639-1
//! code, in the locales patchart writes. Espacenet labels the
//! `languages` facet with lower-case two-letter codes ("en", "zh"); codes
//! not in the table are shown as they are, so a new language is never
//! mislabelled, only left untranslated.

use patchart_sdk::format::Locale;

/// (code, English name, Spanish name). Spanish names of languages are
/// lower case, as the RAE writes them.
const NAMES: &[(&str, &str, &str)] = &[
    ("ar", "Arabic", "árabe"),
    ("bg", "Bulgarian", "búlgaro"),
    ("ca", "Catalan", "catalán"),
    ("cs", "Czech", "checo"),
    ("da", "Danish", "danés"),
    ("de", "German", "alemán"),
    ("el", "Greek", "griego"),
    ("en", "English", "inglés"),
    ("es", "Spanish", "español"),
    ("et", "Estonian", "estonio"),
    ("eu", "Basque", "euskera"),
    ("fa", "Persian", "persa"),
    ("fi", "Finnish", "finés"),
    ("fr", "French", "francés"),
    ("ga", "Irish", "irlandés"),
    ("gl", "Galician", "gallego"),
    ("he", "Hebrew", "hebreo"),
    ("hi", "Hindi", "hindi"),
    ("hr", "Croatian", "croata"),
    ("hu", "Hungarian", "húngaro"),
    ("id", "Indonesian", "indonesio"),
    ("is", "Icelandic", "islandés"),
    ("it", "Italian", "italiano"),
    ("ja", "Japanese", "japonés"),
    ("ka", "Georgian", "georgiano"),
    ("kk", "Kazakh", "kazajo"),
    ("ko", "Korean", "coreano"),
    ("lt", "Lithuanian", "lituano"),
    ("lv", "Latvian", "letón"),
    ("mk", "Macedonian", "macedonio"),
    ("ms", "Malay", "malayo"),
    ("mt", "Maltese", "maltés"),
    ("nb", "Norwegian Bokmål", "noruego bokmål"),
    ("nl", "Dutch", "neerlandés"),
    ("nn", "Norwegian Nynorsk", "noruego nynorsk"),
    ("no", "Norwegian", "noruego"),
    ("pl", "Polish", "polaco"),
    ("pt", "Portuguese", "portugués"),
    ("ro", "Romanian", "rumano"),
    ("ru", "Russian", "ruso"),
    ("sk", "Slovak", "eslovaco"),
    ("sl", "Slovenian", "esloveno"),
    ("sq", "Albanian", "albanés"),
    ("sr", "Serbian", "serbio"),
    ("sv", "Swedish", "sueco"),
    ("th", "Thai", "tailandés"),
    ("tr", "Turkish", "turco"),
    ("uk", "Ukrainian", "ucraniano"),
    ("vi", "Vietnamese", "vietnamita"),
    ("zh", "Chinese", "chino"),
];

/// The name of the language `code` in `locale`; the code itself (trimmed)
/// when it is not a known ISO 639-1 code. Codes are matched without
/// regard to case or surrounding space ("EN", " en").
pub(crate) fn name(code: &str, locale: Locale) -> String {
    let key = code.trim().to_ascii_lowercase();
    match NAMES.binary_search_by(|(c, _, _)| (*c).cmp(key.as_str())) {
        Ok(i) => {
            let (_, en, es) = NAMES[i];
            match locale {
                Locale::En => en.to_owned(),
                Locale::Es => es.to_owned(),
            }
        }
        Err(_) => code.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_for_binary_search() {
        for pair in NAMES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn common_codes_are_named_in_both_locales() {
        assert_eq!(name("en", Locale::En), "English");
        assert_eq!(name("zh", Locale::En), "Chinese");
        assert_eq!(name("en", Locale::Es), "inglés");
        assert_eq!(name("zh", Locale::Es), "chino");
        assert_eq!(name(" DE ", Locale::Es), "alemán");
    }

    #[test]
    fn unknown_codes_are_shown_as_given() {
        assert_eq!(name("xx", Locale::En), "xx");
        assert_eq!(name(" Klingon ", Locale::Es), "Klingon");
        assert_eq!(name("", Locale::En), "");
    }
}
