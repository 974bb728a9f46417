//! Fitting text into space: wrapping, eliding and sizing labels.
//!
//! Every function measures through [`Measure`], which in a plugin answers
//! with the metrics of the font the host rasterizes with, so "fits" here
//! means "fits in the PNG". Text is cut only at `char` boundaries, so
//! labels such as `Zürich`, `東京大学` or emoji never panic or garble.

use crate::Measure;

/// The ellipsis that marks elided text.
pub const ELLIPSIS: &str = "…";

/// Distance between baselines of consecutive lines, in multiples of the
/// font size.
pub const LINE_HEIGHT: f32 = 1.3;

/// A [`Measure`] without a font: every character is `em × size` wide, bold
/// ones 10% wider. For native unit tests of plugins and for previews; real
/// renders use the host's metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UniformMeasure {
    pub em: f32,
}

impl Default for UniformMeasure {
    /// 0.6 em per character: close to DejaVu Sans' average advance.
    fn default() -> Self {
        UniformMeasure { em: 0.6 }
    }
}

impl Measure for UniformMeasure {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let w = text.chars().count() as f32 * self.em * size;
        if bold { w * 1.1 } else { w }
    }
}

/// The width of the widest of `texts`.
pub fn widest<'a>(
    measure: &dyn Measure,
    texts: impl IntoIterator<Item = &'a str>,
    size: f32,
    bold: bool,
) -> f32 {
    texts
        .into_iter()
        .map(|t| measure.width(t, size, bold))
        .fold(0.0, f32::max)
}

/// Breaks `text` into lines no wider than `max_width`, at spaces. A word
/// wider than a line on its own is broken between characters rather than
/// overflowing. Explicit newlines start a new line; blank text gives no
/// lines. No-break spaces (U+00A0) are kept inside their line.
pub fn wrap(
    measure: &dyn Measure,
    text: &str,
    max_width: f32,
    size: f32,
    bold: bool,
) -> Vec<String> {
    let fits = |s: &str| measure.width(s, size, bold) <= max_width;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        for word in paragraph.split([' ', '\t', '\r']).filter(|w| !w.is_empty()) {
            if !current.is_empty() {
                let candidate = format!("{current} {word}");
                if fits(&candidate) {
                    current = candidate;
                    continue;
                }
                lines.push(std::mem::take(&mut current));
            }
            if fits(word) {
                current = word.to_owned();
                continue;
            }
            let mut rest = word;
            while !rest.is_empty() {
                // At least one character per line, or a width smaller than
                // any glyph would loop forever.
                let cut = longest_fitting_prefix(measure, rest, "", max_width, size, bold)
                    .max(first_char_len(rest));
                let (piece, tail) = rest.split_at(cut);
                if tail.is_empty() {
                    current = piece.to_owned();
                } else {
                    lines.push(piece.to_owned());
                }
                rest = tail;
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
    }
    lines
}

/// [`wrap`], keeping at most `max_lines`; when text is cut, the last line
/// kept is elided so the reader sees that something is missing.
pub fn wrap_lines(
    measure: &dyn Measure,
    text: &str,
    max_width: f32,
    size: f32,
    bold: bool,
    max_lines: usize,
) -> Vec<String> {
    let mut lines = wrap(measure, text, max_width, size, bold);
    if lines.len() <= max_lines {
        return lines;
    }
    if max_lines == 0 {
        return Vec::new();
    }
    let rest = lines[max_lines - 1..].join(" ");
    lines.truncate(max_lines - 1);
    let last = with_ellipsis(measure, &rest, max_width, size, bold);
    if !last.is_empty() {
        lines.push(last);
    }
    lines
}

/// `text` if it fits in `max_width`, otherwise its longest prefix that fits
/// followed by "…". When not even "…" fits, the empty string.
pub fn elide(measure: &dyn Measure, text: &str, max_width: f32, size: f32, bold: bool) -> String {
    if measure.width(text, size, bold) <= max_width {
        return text.to_owned();
    }
    with_ellipsis(measure, text, max_width, size, bold)
}

/// The largest size between `min_size` and `max_size` (in steps of half a
/// pixel) at which `text` fits in `max_width`, or `None` if it does not fit
/// even at `min_size`.
pub fn fit_size(
    measure: &dyn Measure,
    text: &str,
    max_width: f32,
    max_size: f32,
    min_size: f32,
    bold: bool,
) -> Option<f32> {
    if max_size.is_nan() || max_size <= 0.0 || min_size > max_size {
        return None;
    }
    let full = measure.width(text, max_size, bold);
    if full <= max_width {
        return Some(max_size);
    }
    // Glyph advances scale linearly with size, so the proportional size is
    // nearly always right; stepping down covers rounding in the shaper.
    let guess = (max_size * max_width / full * 2.0).floor() / 2.0;
    let mut size = guess.min(max_size - 0.5);
    for _ in 0..200 {
        if size < min_size {
            return None;
        }
        if measure.width(text, size, bold) <= max_width {
            return Some(size);
        }
        size -= 0.5;
    }
    None
}

/// The longest prefix of `text` that fits with "…" appended, always ending
/// in "…" (or empty when "…" alone does not fit).
fn with_ellipsis(
    measure: &dyn Measure,
    text: &str,
    max_width: f32,
    size: f32,
    bold: bool,
) -> String {
    if measure.width(ELLIPSIS, size, bold) > max_width {
        return String::new();
    }
    let cut = longest_fitting_prefix(measure, text, ELLIPSIS, max_width, size, bold);
    format!("{}{ELLIPSIS}", text[..cut].trim_end())
}

/// Byte length of the longest prefix of `text` (at a char boundary) such
/// that the prefix, trimmed at the end, followed by `suffix` fits.
fn longest_fitting_prefix(
    measure: &dyn Measure,
    text: &str,
    suffix: &str,
    max_width: f32,
    size: f32,
    bold: bool,
) -> usize {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .chain(std::iter::once(text.len()))
        .collect();
    let fits = |end: usize| {
        let candidate = format!("{}{suffix}", text[..end].trim_end());
        measure.width(&candidate, size, bold) <= max_width
    };
    // Binary search over the number of characters: widths grow with the
    // prefix, and this keeps host `measure` calls to O(log n).
    let (mut lo, mut hi) = (0usize, bounds.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(bounds[mid - 1]) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 { 0 } else { bounds[lo - 1] }
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0.6 × size per char: at size 10, each char is 6 px.
    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let lines = wrap(&M, "the quick brown fox jumps", 60.0, 10.0, false);
        assert_eq!(lines, vec!["the quick", "brown fox", "jumps"]);
        for l in &lines {
            assert!(M.width(l, 10.0, false) <= 60.0);
        }
    }

    #[test]
    fn breaks_a_word_longer_than_the_line() {
        let lines = wrap(&M, "a supercalifragilistic b", 36.0, 10.0, false);
        assert_eq!(lines, vec!["a", "superc", "alifra", "gilist", "ic b"]);
    }

    #[test]
    fn wrap_keeps_newlines_and_drops_blank_text() {
        assert_eq!(wrap(&M, "one\ntwo", 600.0, 10.0, false), vec!["one", "two"]);
        assert!(wrap(&M, "   ", 600.0, 10.0, false).is_empty());
        assert!(wrap(&M, "", 600.0, 10.0, false).is_empty());
    }

    #[test]
    fn wrap_never_loops_when_nothing_fits() {
        let lines = wrap(&M, "abc", 1.0, 10.0, false);
        assert_eq!(lines, vec!["a", "b", "c"]);
    }

    #[test]
    fn wrap_is_safe_on_multibyte_text() {
        let lines = wrap(&M, "Zürich 東京大学東京大学 niño", 24.0, 10.0, false);
        assert_eq!(lines, vec!["Züri", "ch", "東京大学", "東京大学", "niño"]);
    }

    #[test]
    fn no_break_space_keeps_a_percentage_together() {
        let lines = wrap(&M, "aa 52,75\u{a0}%", 48.0, 10.0, false);
        assert_eq!(lines, vec!["aa", "52,75\u{a0}%"]);
    }

    #[test]
    fn elide_keeps_fitting_text_and_marks_cut_text() {
        assert_eq!(elide(&M, "short", 60.0, 10.0, false), "short");
        let e = elide(&M, "UNIV ZHEJIANG TECHNOLOGY", 60.0, 10.0, false);
        assert_eq!(e, "UNIV ZHEJ…");
        assert!(M.width(&e, 10.0, false) <= 60.0);
        // The space before the cut is trimmed, not left before the "…".
        assert_eq!(elide(&M, "ab cdef", 24.0, 10.0, false), "ab…");
        assert_eq!(elide(&M, "abc", 5.0, 10.0, false), "");
        assert_eq!(elide(&M, "abc", 6.0, 10.0, false), "…");
    }

    #[test]
    fn elide_cuts_at_char_boundaries() {
        let e = elide(&M, "ñáéíóú東京", 30.0, 10.0, false);
        assert_eq!(e, "ñáéí…");
    }

    #[test]
    fn bold_text_is_measured_bold() {
        assert_eq!(elide(&M, "abcdefghij", 60.0, 10.0, false), "abcdefghij");
        assert_eq!(elide(&M, "abcdefghij", 60.0, 10.0, true), "abcdefgh…");
    }

    #[test]
    fn wrap_lines_elides_the_last_kept_line() {
        let lines = wrap_lines(&M, "the quick brown fox jumps over", 60.0, 10.0, false, 2);
        assert_eq!(lines, vec!["the quick", "brown fox…"]);
        let all = wrap_lines(&M, "the quick", 60.0, 10.0, false, 2);
        assert_eq!(all, vec!["the quick"]);
        assert!(wrap_lines(&M, "text", 60.0, 10.0, false, 0).is_empty());
    }

    #[test]
    fn fit_size_shrinks_until_it_fits() {
        // 10 chars: 6 px each at size 10.
        assert_eq!(
            fit_size(&M, "abcdefghij", 100.0, 10.0, 6.0, false),
            Some(10.0)
        );
        assert_eq!(
            fit_size(&M, "abcdefghij", 48.0, 10.0, 6.0, false),
            Some(8.0)
        );
        assert_eq!(
            fit_size(&M, "abcdefghij", 50.0, 10.0, 6.0, false),
            Some(8.0)
        );
        assert_eq!(fit_size(&M, "abcdefghij", 30.0, 10.0, 6.0, false), None);
        assert_eq!(fit_size(&M, "abc", 30.0, 10.0, 12.0, false), None);
    }

    #[test]
    fn widest_finds_the_longest_label() {
        assert_eq!(widest(&M, ["a", "abcd", "ab"], 10.0, false), 24.0);
        assert_eq!(widest(&M, std::iter::empty(), 10.0, false), 0.0);
    }
}
