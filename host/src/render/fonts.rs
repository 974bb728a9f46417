//! The fonts compiled into the binary. Nothing is read from the machine:
//! two hosts with different installed fonts draw identical pixels.

use std::sync::{Arc, LazyLock};

use resvg::usvg::fontdb;

/// The family every chart is drawn in; it is also what `sans-serif`,
/// `serif` and any unknown family resolve to.
pub const BUNDLED_FAMILY: &str = "DejaVu Sans";

// usvg builds fresh shaper data for every text run it lays out, and for a
// face with a legacy `kern` table that means indexing every kerning
// subtable each time: a tenth of a chart's rasterization. The DejaVu faces
// carry their kerning in GPOS as well, registered for every script they
// have, and a shaper only falls back to `kern` where GPOS has no `kern`
// feature — so dropping the table changes no glyph position (the test
// below shapes every script's text both ways) and the cost goes away.
static FACES: LazyLock<[Vec<u8>; 4]> =
    LazyLock::new(|| ORIGINAL_FACES.map(|face| without_table(face(), *b"kern")));

/// Regular, bold, oblique, bold oblique, as the `dejavu` crate ships them.
const ORIGINAL_FACES: [fn() -> &'static [u8]; 4] = [
    dejavu::sans::regular,
    dejavu::sans::bold,
    dejavu::sans::oblique,
    dejavu::sans::bold_oblique,
];

pub(crate) fn regular() -> &'static [u8] {
    &FACES[0]
}

pub(crate) fn bold() -> &'static [u8] {
    &FACES[1]
}

/// A font database holding only the bundled faces. It borrows them from
/// the process-wide copy rather than holding one of its own.
pub fn font_database() -> fontdb::Database {
    let mut db = fontdb::Database::new();
    for face in FACES.iter() {
        let bytes: &'static [u8] = face;
        db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
    }
    db.set_sans_serif_family(BUNDLED_FAMILY);
    db.set_serif_family(BUNDLED_FAMILY);
    db.set_monospace_family(BUNDLED_FAMILY);
    db.set_cursive_family(BUNDLED_FAMILY);
    db.set_fantasy_family(BUNDLED_FAMILY);
    db
}

/// `font` (a single-face TrueType/OpenType file) with the table `tag`
/// left out of its directory. Table offsets are absolute, so the other
/// tables stay where they are and only the directory shrinks. Anything
/// that does not look like a font comes back unchanged.
fn without_table(font: &[u8], tag: [u8; 4]) -> Vec<u8> {
    const HEADER: usize = 12;
    const RECORD: usize = 16;
    let mut out = font.to_vec();
    let Some(count) = font
        .get(4..6)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    else {
        return out;
    };
    let records_end = HEADER + count * RECORD;
    if font.len() < records_end {
        return out;
    }
    let Some(i) = (0..count).find(|i| font[HEADER + i * RECORD..][..4] == tag) else {
        return out;
    };
    let at = HEADER + i * RECORD;
    out.copy_within(at + RECORD..records_end, at);
    out[records_end - RECORD..records_end].fill(0);
    // The binary-search hints must describe the new count.
    let left = count - 1;
    let entry_selector = left.max(1).ilog2();
    let search_range = RECORD << entry_selector;
    let range_shift = (left * RECORD).saturating_sub(search_range);
    out[4..6].copy_from_slice(&(left as u16).to_be_bytes());
    out[6..8].copy_from_slice(&(search_range as u16).to_be_bytes());
    out[8..10].copy_from_slice(&(entry_selector as u16).to_be_bytes());
    out[10..12].copy_from_slice(&(range_shift as u16).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use harfrust::FontRef;
    use read_fonts::TableProvider;

    use super::super::measure::Face;
    use super::*;

    /// Glyph ids and positions of `text` shaped with `face`.
    fn glyphs(face: &Face, text: &str) -> Vec<(u32, i32, i32, i32)> {
        let out = face.shape(text);
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| (i.glyph_id, p.x_advance, p.x_offset, p.y_offset))
            .collect()
    }

    #[test]
    fn dropping_the_legacy_kern_table_moves_no_glyph() {
        // Every pair of letters from the scripts the kern table covers
        // (Latin, Latin-1, Latin Extended, Greek, punctuation), and text
        // in the others, shapes identically with and without it.
        let letters: Vec<char> = ('!'..='~')
            .chain('\u{c0}'..='\u{17f}')
            .chain('\u{391}'..='\u{3c9}')
            .chain(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2026}'])
            .collect();
        let kern = read_fonts::types::Tag::new(b"kern");
        for (original, stripped) in ORIGINAL_FACES.iter().zip(FACES.iter()) {
            let original = original();
            let stripped: &'static [u8] = stripped;
            let before = FontRef::new(original).expect("original parses");
            let after = FontRef::new(stripped).expect("stripped parses");
            assert!(before.kern().is_ok(), "the bundled face has a kern table");
            assert!(after.kern().is_err(), "the kern table is gone");
            assert_eq!(
                after.table_directory.num_tables() + 1,
                before.table_directory.num_tables()
            );
            // Every other table is still found, at the same bytes.
            for rec in before.table_directory.table_records() {
                let tag = rec.tag();
                if tag == kern {
                    continue;
                }
                assert_eq!(
                    before.table_data(tag).map(|d| d.as_bytes().to_vec()),
                    after.table_data(tag).map(|d| d.as_bytes().to_vec()),
                    "table {tag}"
                );
            }
            let (a, b) = (Face::new(original), Face::new(stripped));
            let mut pair = String::new();
            for x in &letters {
                for y in &letters {
                    pair.clear();
                    pair.push(*x);
                    pair.push(*y);
                    assert_eq!(glyphs(&a, &pair), glyphs(&b, &pair), "{pair:?}");
                }
            }
            for text in [
                "AVATAR Ty Wo P. LTD., Yokohama",
                "Патентная заявка ГОСТ",
                "Ελληνικό Δίπλωμα ΥΓΕΙΑ",
                "براءة اختراع",
                "פטנט רשום",
                "Tōkyō Dōjō Ŵŷ Ǆ",
            ] {
                assert_eq!(glyphs(&a, text), glyphs(&b, text), "{text}");
            }
        }
    }

    #[test]
    fn a_table_that_is_absent_or_bytes_that_are_not_a_font_come_back_unchanged() {
        let font = dejavu::sans::regular();
        // 20 tables become 19: searchRange 16 * 16, entrySelector 4,
        // rangeShift 19 * 16 - 256.
        assert_eq!(&regular()[4..12], &[0, 19, 1, 0, 0, 4, 0, 48]);
        assert_eq!(without_table(font, *b"zzzz"), font);
        assert_eq!(without_table(b"abc", *b"kern"), b"abc");
        assert_eq!(
            without_table(&[0, 1, 0, 0, 0, 9], *b"kern"),
            [0, 1, 0, 0, 0, 9]
        );
    }
}
