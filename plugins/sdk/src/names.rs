//! Display casing of applicant and inventor names.
//!
//! Espacenet writes most names in capitals ("UNIV ZHEJIANG", "MA LI") but
//! some in mixed case ("Univ California"); a chart that shows both looks
//! inconsistent and capitals are hard to read in long lists. The rule of
//! [`display_name`], the same for every chart that shows names:
//!
//! - a name that already has lower-case letters is kept as written: its
//!   source chose the case, and we cannot do better ("iRobot", "McGill");
//! - a name in capitals is title-cased word by word ("Univ Zhejiang",
//!   "Ma Li"), also after a hyphen or an opening bracket ("Agro-Environmental",
//!   "(Beijing)") and after the apostrophe of a one-letter prefix
//!   ("O'Brien", but "Xi'an" and "Chang'e");
//! - "of", "and", "the", "for" are lower case inside a name ("Nanjing
//!   University of Technology");
//! - acronyms stay in capitals: words without vowels ("LLC", "KK", "MCC"),
//!   except the common abbreviations Ltd, Mfg, Jr, Sr, Dr, St and the
//!   surname Ng; legal forms and agencies in [`ACRONYMS`] ("AG", "SA",
//!   "CAS", "MEE"); words with digits ("3M"); single letters (initials);
//! - a few legal forms have their own spelling: "GmbH", "KGaA".
//!
//! Charts show the display name and keep the original in chart_data, so a
//! description can quote the source.

/// Words kept in capitals although they have vowels: legal forms and the
/// agencies that appear in applicant names. "SE" and "AS" are not here:
/// they are also syllables of Korean given names ("Kim Se Hoon").
pub const ACRONYMS: &[&str] = &[
    "AB", "AG", "BV", "CAS", "CNRS", "EU", "IBM", "KG", "MEE", "MIT", "NASA", "NV", "OY", "OYJ",
    "PLC", "SA", "SARL", "SAS", "SPA", "UK", "USA", "ZTE",
];

/// Vowel-less words that are ordinary abbreviations (or names), spelt in
/// title case rather than kept as acronyms.
const TITLE_ABBREVIATIONS: &[&str] = &["LTD", "MFG", "JR", "SR", "DR", "ST", "NG", "MR", "MRS"];

/// Connecting words written in lower case inside a name.
const SMALL_WORDS: &[&str] = &["OF", "AND", "THE", "FOR"];

/// Legal forms with a spelling of their own.
const SPECIAL: &[(&str, &str)] = &[("GMBH", "GmbH"), ("KGAA", "KGaA")];

/// `raw` in the display casing described in the module documentation.
pub fn display_name(raw: &str) -> String {
    let name = raw.trim();
    if name.chars().any(char::is_lowercase) {
        return name.to_owned();
    }
    name.split(' ')
        .enumerate()
        .map(|(i, word)| display_word(word, i == 0))
        .collect::<Vec<_>>()
        .join(" ")
}

fn display_word(word: &str, first: bool) -> String {
    if word.is_empty() {
        return String::new();
    }
    // Punctuation around the word ("(BEIJING)", "METROLOGIIA\"") does not
    // change which rule applies to its letters.
    let core = word.trim_matches(|c: char| !c.is_alphanumeric());
    if let Some((_, spelt)) = SPECIAL.iter().find(|(k, _)| *k == core) {
        return word.replacen(core, spelt, 1);
    }
    if !first && SMALL_WORDS.contains(&core) {
        return word.to_lowercase();
    }
    if keeps_capitals(core) {
        return word.to_owned();
    }
    title_case(word)
}

fn keeps_capitals(core: &str) -> bool {
    let letters = core.chars().filter(|c| c.is_alphabetic()).count();
    if letters <= 1 || core.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    if ACRONYMS.contains(&core) {
        return true;
    }
    let has_vowel = core
        .chars()
        .any(|c| matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y'));
    // Only plain ASCII words are judged by their vowels: "ÅS" or "ŁÓDŹ"
    // have vowels this test does not know.
    !has_vowel && core.is_ascii() && !TITLE_ABBREVIATIONS.contains(&core)
}

/// Upper-case first letter of each part, lower case after; parts start
/// after a hyphen, a bracket, a slash or a one-letter apostrophe prefix.
fn title_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    let mut letters_in_part = 0usize;
    for c in word.chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
            letters_in_part += 1;
        } else {
            out.push(c);
            start = match c {
                '-' | '(' | '/' | '.' | '"' => true,
                // O'BRIEN -> O'Brien, D'ANGELO -> D'Angelo; XI'AN -> Xi'an.
                '\'' | '’' => letters_in_part == 1,
                _ => start,
            };
            if start {
                letters_in_part = 0;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_become_title_case() {
        assert_eq!(display_name("UNIV ZHEJIANG"), "Univ Zhejiang");
        assert_eq!(display_name("MA LI"), "Ma Li");
        assert_eq!(display_name("HYORIM CO LTD"), "Hyorim Co Ltd");
        assert_eq!(
            display_name("NANJING UNIVERSITY OF TECHNOLOGY"),
            "Nanjing University of Technology"
        );
        assert_eq!(
            display_name("UNIV KUNMING SCIENCE & TECHNOLOGY"),
            "Univ Kunming Science & Technology"
        );
        assert_eq!(display_name("BRYANT JR JERRY L"), "Bryant Jr Jerry L");
        assert_eq!(display_name("THE SECOND INST"), "The Second Inst");
    }

    #[test]
    fn acronyms_and_legal_forms_keep_their_spelling() {
        assert_eq!(display_name("VYRIPHARM ENTPR LLC"), "Vyripharm Entpr LLC");
        assert_eq!(display_name("SIEMENS AG"), "Siemens AG");
        assert_eq!(display_name("ROBERT BOSCH GMBH"), "Robert Bosch GmbH");
        assert_eq!(
            display_name("NANJING INST OF ENVIRONMENTAL SCIENCES MEE"),
            "Nanjing Inst of Environmental Sciences MEE"
        );
        assert_eq!(
            display_name("SHENYANG INST GUANGZHOU CAS"),
            "Shenyang Inst Guangzhou CAS"
        );
        assert_eq!(
            display_name("3M INNOVATIVE PROPERTIES CO"),
            "3M Innovative Properties Co"
        );
        assert_eq!(display_name("NG KWOK"), "Ng Kwok");
        assert_eq!(display_name("KIM SE HOON"), "Kim Se Hoon");
    }

    #[test]
    fn apostrophes_hyphens_and_brackets() {
        assert_eq!(display_name("LIU CHANG'E"), "Liu Chang'e");
        assert_eq!(display_name("XI'AN TESTING"), "Xi'an Testing");
        assert_eq!(display_name("O'BRIEN JOHN"), "O'Brien John");
        assert_eq!(
            display_name("AGRO-ENVIRONMENTAL PROT INST"),
            "Agro-Environmental Prot Inst"
        );
        assert_eq!(
            display_name("INST OF (BEIJING) RES"),
            "Inst of (Beijing) Res"
        );
    }

    #[test]
    fn mixed_case_and_odd_input_are_kept() {
        assert_eq!(display_name("Univ California"), "Univ California");
        assert_eq!(display_name("  "), "");
        assert_eq!(display_name("MÜLLER JÖRG"), "Müller Jörg");
        assert_eq!(display_name("東京大学"), "東京大学");
        assert_eq!(display_name("A  B"), "A  B");
        assert_eq!(display_name("<SCRIPT>"), "<Script>");
    }
}
