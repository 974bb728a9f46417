//! Text widths as the rasterizer will draw them: the bundled faces, shaped
//! by harfrust exactly as usvg shapes them (kerning and ligatures included).

use harfrust::{FontRef, ShapeOptions, ShaperData, UnicodeBuffer};
use read_fonts::TableProvider;

use super::fonts;

/// Longest text shaped exactly; longer text is measured by its first
/// `EXACT_LIMIT` chars and extrapolated, so a hostile plugin cannot make
/// one host call take seconds (host calls are not interruptible).
const EXACT_LIMIT: usize = 4096;

struct Face {
    font: FontRef<'static>,
    data: ShaperData,
    units_per_em: f32,
}

impl Face {
    fn new(bytes: &'static [u8]) -> Face {
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

    fn advance(&self, text: &str) -> f32 {
        let shaper = self.data.shaper(&self.font).build();
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let out = shaper.shape(buffer, ShapeOptions::new());
        let units: i64 = out
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        units as f32 / self.units_per_em
    }
}

/// Measures text in the bundled font. Build once, share behind an `Arc`.
pub struct TextMeasurer {
    regular: Face,
    bold: Face,
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
