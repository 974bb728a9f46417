//! Numbers and percentages as a reader of each locale expects them.
//!
//! | | en | es |
//! |---|---|---|
//! | integer | `1,234,567` / `1,234` | `1.234.567` / `1234` |
//! | decimal | `52.75` | `52,75` |
//! | percent | `52.75%` | `52,75 %` |
//!
//! Spanish follows the RAE: four-digit numbers take no group separator, and
//! the percent sign is separated from the number. That space is a no-break
//! space (U+00A0) so that wrapping never leaves a lone `%` on a line.
//!
//! Plugins keep their own translated strings; this module only formats
//! numbers, and picks the word that agrees with one ([`plural`]).

use serde::{Deserialize, Serialize};

/// A locale patchart writes charts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Es,
}

/// Every supported locale, in the order a UI should list them.
pub const LOCALES: &[Locale] = &[Locale::En, Locale::Es];

impl Locale {
    /// Reads `en`, `es` and their regional forms (`en-GB`, `es_EC`),
    /// case-insensitively; anything else is `None`.
    pub fn parse(s: &str) -> Option<Locale> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else if primary.eq_ignore_ascii_case("es") {
            Some(Locale::Es)
        } else {
            None
        }
    }

    /// The code written in `chart_data` and accepted by [`Locale::parse`].
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
        }
    }

    fn group_separator(self) -> char {
        match self {
            Locale::En => ',',
            Locale::Es => '.',
        }
    }

    fn decimal_separator(self) -> char {
        match self {
            Locale::En => '.',
            Locale::Es => ',',
        }
    }

    /// The smallest number of integer digits that gets grouped.
    fn min_grouping_digits(self) -> usize {
        match self {
            Locale::En => 4,
            Locale::Es => 5,
        }
    }
}

/// A count, grouped: en `1,234,567`, es `1.234.567` (and es `1234`).
pub fn count(value: u64, locale: Locale) -> String {
    group_digits(&value.to_string(), locale)
}

/// A signed integer, grouped like [`count`].
pub fn integer(value: i64, locale: Locale) -> String {
    let grouped = group_digits(&value.unsigned_abs().to_string(), locale);
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// `value` with exactly `decimals` decimals: en `1,234.50`, es `1234,50`.
/// Rounds to the nearest printed digit and never writes `-0` (a share that
/// rounds to zero is zero, not negative).
pub fn decimal(value: f64, decimals: usize, locale: Locale) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let printed = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match printed.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (printed.as_str(), None),
    };
    let is_zero = printed.bytes().all(|b| b == b'0' || b == b'.');
    let mut out = String::new();
    if value < 0.0 && !is_zero {
        out.push('-');
    }
    out.push_str(&group_digits(int_part, locale));
    if let Some(f) = frac_part {
        out.push(locale.decimal_separator());
        out.push_str(f);
    }
    out
}

/// Like [`decimal`] with at most `max_decimals`, trailing zeros trimmed:
/// for axis ticks (`2.5`, `0.25`, `10`).
pub fn number(value: f64, max_decimals: usize, locale: Locale) -> String {
    let mut s = decimal(value, max_decimals, locale);
    let sep = locale.decimal_separator();
    if s.contains(sep) {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with(sep) {
            s.pop();
        }
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// A percentage (`value` already in percent) with exactly `decimals`
/// decimals: en `52.75%`, es `52,75 %` (no-break space).
pub fn percent(value: f64, decimals: usize, locale: Locale) -> String {
    let n = decimal(value, decimals, locale);
    match locale {
        Locale::En => format!("{n}%"),
        Locale::Es => format!("{n}\u{a0}%"),
    }
}

/// The one-or-many choice every sentence with a count needs: `one` for
/// exactly 1, `many` otherwise (0 included, as both English and Spanish
/// say "0 documents", "0 documentos").
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The number of decimals that tells ticks `step` apart: 0 for 50, 1 for
/// 0.5, 2 for 0.25.
pub fn decimals_for_step(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 {
        return 0;
    }
    // Ticks are 1, 2 or 5 × 10^k (or 2.5 × 10^k); try each precision until
    // the step is printed exactly.
    for d in 0..=10usize {
        let scaled = step * 10f64.powi(d as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
            return d;
        }
    }
    10
}

fn group_digits(digits: &str, locale: Locale) -> String {
    if digits.len() < locale.min_grouping_digits() {
        return digits.to_owned();
    }
    let sep = locale.group_separator();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locale_codes_and_regional_forms() {
        assert_eq!(Locale::parse("en"), Some(Locale::En));
        assert_eq!(Locale::parse("ES"), Some(Locale::Es));
        assert_eq!(Locale::parse("es-EC"), Some(Locale::Es));
        assert_eq!(Locale::parse("en_GB"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(Locale::parse(""), None);
        assert_eq!(Locale::parse("english"), None);
        for l in LOCALES {
            assert_eq!(Locale::parse(l.code()), Some(*l));
        }
    }

    #[test]
    fn english_groups_every_three_digits() {
        assert_eq!(count(0, Locale::En), "0");
        assert_eq!(count(999, Locale::En), "999");
        assert_eq!(count(1234, Locale::En), "1,234");
        assert_eq!(count(1_234_567, Locale::En), "1,234,567");
        assert_eq!(integer(-1_234_567, Locale::En), "-1,234,567");
        assert_eq!(count(u64::MAX, Locale::En), "18,446,744,073,709,551,615");
    }

    #[test]
    fn spanish_leaves_four_digit_numbers_ungrouped() {
        assert_eq!(count(1234, Locale::Es), "1234");
        assert_eq!(count(12_345, Locale::Es), "12.345");
        assert_eq!(count(1_234_567, Locale::Es), "1.234.567");
        assert_eq!(integer(-9999, Locale::Es), "-9999");
        assert_eq!(integer(i64::MIN, Locale::Es), "-9.223.372.036.854.775.808");
    }

    #[test]
    fn decimals_use_the_locale_separator() {
        assert_eq!(decimal(52.747, 2, Locale::En), "52.75");
        assert_eq!(decimal(52.747, 2, Locale::Es), "52,75");
        assert_eq!(decimal(2.2, 2, Locale::En), "2.20");
        assert_eq!(decimal(12345.5, 1, Locale::En), "12,345.5");
        assert_eq!(decimal(12345.5, 1, Locale::Es), "12.345,5");
        assert_eq!(decimal(1234.5, 1, Locale::Es), "1234,5");
        assert_eq!(decimal(7.0, 0, Locale::En), "7");
        assert_eq!(decimal(-0.001, 2, Locale::En), "0.00");
        assert_eq!(decimal(-1.5, 1, Locale::Es), "-1,5");
        assert_eq!(decimal(f64::NAN, 2, Locale::En), "–");
    }

    #[test]
    fn numbers_trim_trailing_zeros() {
        assert_eq!(number(2.5, 2, Locale::En), "2.5");
        assert_eq!(number(0.25, 2, Locale::Es), "0,25");
        assert_eq!(number(200.0, 2, Locale::En), "200");
        assert_eq!(number(10000.0, 0, Locale::Es), "10.000");
        assert_eq!(number(-0.0001, 2, Locale::En), "0");
    }

    #[test]
    fn percentages_follow_each_locale() {
        assert_eq!(percent(52.747_252, 2, Locale::En), "52.75%");
        assert_eq!(percent(52.747_252, 2, Locale::Es), "52,75\u{a0}%");
        assert_eq!(percent(100.0, 1, Locale::En), "100.0%");
    }

    #[test]
    fn decimals_for_step_matches_nice_steps() {
        assert_eq!(decimals_for_step(50.0), 0);
        assert_eq!(decimals_for_step(0.5), 1);
        assert_eq!(decimals_for_step(0.25), 2);
        assert_eq!(decimals_for_step(0.1 + 0.2), 1);
        assert_eq!(decimals_for_step(0.0), 0);
    }
}
