//! Text widths as the rasterizer will draw them: the bundled faces, shaped
//! by harfrust exactly as usvg shapes them (kerning and ligatures included).

use harfrust::{FontRef, GlyphBuffer, ShapeOptions, ShaperData, UnicodeBuffer};
use read_fonts::TableProvider;

use super::fonts;
use crate::memo::BoundedCache;

/// Longest text shaped exactly; longer text is measured by its first
/// `EXACT_LIMIT` chars and extrapolated, so a hostile plugin cannot make
/// one host call take seconds (host calls are not interruptible).
const EXACT_LIMIT: usize = 4096;

pub(super) struct Face {
    font: FontRef<'static>,
    data: ShaperData,
    units_per_em: f32,
}

impl Face {
    pub(super) fn new(bytes: &'static [u8]) -> Face {
        // The bundled fonts are known-good; failing here is a build defect.
        let font = FontRef::new(bytes).expect("bundled font parses");
        let data = ShaperData::new(&font);
        let units_per_em = font.head().map_or(2048.0, |h| f32::from(h.units_per_em()));
        Face {
            font,
            data,
            units_per_em,
        }
    }

    /// `text` shaped as usvg shapes it: default features, direction and
    /// script guessed from the text.
    pub(super) fn shape(&self, text: &str) -> GlyphBuffer {
        let shaper = self.data.shaper(&self.font).build();
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        shaper.shape(buffer, ShapeOptions::new())
    }

    fn advance(&self, text: &str) -> f32 {
        let units: i64 = self
            .shape(text)
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        units as f32 / self.units_per_em
    }
}

/// Widths already computed, shared by every plugin call: charts of one
/// dataset measure the same labels over and over. Bounded by clearing.
type WidthCache = BoundedCache<(String, u32, bool), f32>;
const CACHE_ENTRIES: usize = 50_000;
/// Texts longer than this are not cached (they are rare and would crowd
/// out the labels that repeat).
const CACHE_MAX_CHARS: usize = 256;

/// Measures text in the bundled font. Build once, share behind an `Arc`.
pub struct TextMeasurer {
    regular: Face,
    bold: Face,
    cache: WidthCache,
}

impl Default for TextMeasurer {
    fn default() -> Self {
        Self::new()
    }
}

impl TextMeasurer {
    pub fn new() -> Self {
        TextMeasurer {
            regular: Face::new(fonts::regular()),
            bold: Face::new(fonts::bold()),
            cache: WidthCache::new(CACHE_ENTRIES),
        }
    }

    /// Width in px of `text` at `size` px. Non-finite or negative sizes
    /// measure as zero rather than poisoning a plugin's layout with NaN.
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        if !size.is_finite() || size <= 0.0 || text.is_empty() {
            return 0.0;
        }
        let face = if bold { &self.bold } else { &self.regular };
        let chars = text.chars().count();
        if chars <= CACHE_MAX_CHARS {
            let key = (text.to_string(), size.to_bits(), bold);
            if let Some(w) = self.cache.get(&key) {
                return w;
            }
            let w = face.advance(text) * size;
            self.cache.insert(key, w);
            return w;
        }
        if chars <= EXACT_LIMIT {
            return face.advance(text) * size;
        }
        let cut = text
            .char_indices()
            .nth(EXACT_LIMIT)
            .map_or(text.len(), |(i, _)| i);
        face.advance(&text[..cut]) * size * (chars as f32 / EXACT_LIMIT as f32)
    }
}

impl patchart_sdk::Measure for TextMeasurer {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        TextMeasurer::width(self, text, size, bold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_widths_equal_fresh_ones_and_track_size_and_weight() {
        let m = TextMeasurer::new();
        let first = m.width("Univ Zhejiang", 12.0, false);
        assert_eq!(
            m.width("Univ Zhejiang", 12.0, false),
            first,
            "a cache hit answers the same"
        );
        assert_eq!(
            TextMeasurer::new().width("Univ Zhejiang", 12.0, false),
            first
        );
        assert!((m.width("Univ Zhejiang", 24.0, false) - 2.0 * first).abs() < 0.01);
        assert!(
            m.width("Univ Zhejiang", 12.0, true) > first,
            "bold is wider"
        );
        assert_eq!(m.width("", 12.0, false), 0.0);
        assert_eq!(m.width("x", f32::NAN, false), 0.0);
    }

    #[test]
    fn very_long_text_is_extrapolated_not_shaped_whole() {
        let m = TextMeasurer::new();
        let unit = m.width("abcd", 10.0, false);
        let long = "abcd".repeat(10_000);
        let w = m.width(&long, 10.0, false);
        assert!(
            (w / (unit * 10_000.0) - 1.0).abs() < 0.01,
            "{w} vs {}",
            unit * 10_000.0
        );
    }
}
