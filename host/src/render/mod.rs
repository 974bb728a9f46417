//! SVG to PNG, and the text metrics plugins measure with.
//!
//! One font set serves both: the fonts compiled into the binary
//! ([`fonts`]) are the only fonts the rasterizer knows, and
//! [`TextMeasurer`] shapes text with the same shaper and the same faces, so
//! a label that fits when a plugin measures it fits when it is drawn —
//! on any machine, whatever fonts it has installed.

mod fonts;
mod glyphs;
mod measure;

use std::sync::Arc;

pub use fonts::{BUNDLED_FAMILY, font_database};
pub use measure::TextMeasurer;

use crate::error::{Error, ErrorCode, Result};

/// Resolution multiplier of a PNG relative to the chart's px size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    X1,
    X2,
}

impl Scale {
    pub fn factor(self) -> f32 {
        match self {
            Scale::X1 => 1.0,
            Scale::X2 => 2.0,
        }
    }

    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "1" | "1x" => Some(Scale::X1),
            "2" | "2x" => Some(Scale::X2),
            _ => None,
        }
    }
}

/// Parses and rasterizes SVG with the bundled fonts. Cheap to clone; build
/// one per process.
#[derive(Clone)]
pub struct Rasterizer {
    options: Arc<resvg::usvg::Options<'static>>,
    glyphs: Arc<glyphs::GlyphCache>,
}

/// Largest PNG side in px; a chart asking for more is refused rather than
/// allocating gigabytes of pixels.
const MAX_SIDE_PX: u32 = 16_384;

impl Default for Rasterizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Rasterizer {
    pub fn new() -> Self {
        let options = resvg::usvg::Options {
            font_family: BUNDLED_FAMILY.to_string(),
            fontdb: Arc::new(font_database()),
            // Plugins cannot reach files or the network, and neither can
            // their SVG: external images are never loaded.
            resources_dir: None,
            ..resvg::usvg::Options::default()
        };
        Rasterizer {
            options: Arc::new(options),
            glyphs: Arc::default(),
        }
    }

    /// Parses `svg` into a render tree. Errors are `PLUGIN_INVALID_OUTPUT`:
    /// SVG reaching here always came from a plugin.
    pub fn parse(&self, svg: &str) -> Result<resvg::usvg::Tree> {
        resvg::usvg::Tree::from_str(svg, &self.options).map_err(|e| {
            Error::new(
                ErrorCode::PluginInvalidOutput,
                format!("the plugin returned SVG that cannot be parsed: {e}"),
            )
        })
    }

    /// Renders `svg` to PNG bytes at `scale`.
    pub fn png(&self, svg: &str, scale: Scale) -> Result<Vec<u8>> {
        let tree = self.parse(svg)?;
        self.png_from_tree(&tree, scale)
    }

    pub fn png_from_tree(&self, tree: &resvg::usvg::Tree, scale: Scale) -> Result<Vec<u8>> {
        let size = tree
            .size()
            .to_int_size()
            .scale_by(scale.factor())
            .ok_or_else(|| Error::new(ErrorCode::RenderFailed, "the chart has an empty size"))?;
        if size.width() > MAX_SIDE_PX || size.height() > MAX_SIDE_PX {
            return Err(Error::new(
                ErrorCode::RenderFailed,
                format!(
                    "the chart would be {}x{} px; the largest side allowed is {MAX_SIDE_PX} px — lower width/height or the scale",
                    size.width(),
                    size.height()
                ),
            ));
        }
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
            .ok_or_else(|| Error::new(ErrorCode::RenderFailed, "could not allocate the image"))?;
        let transform = resvg::tiny_skia::Transform::from_scale(scale.factor(), scale.factor());
        self.glyphs.render(tree, transform, &mut pixmap.as_mut());
        encode_png(&pixmap)
    }
}

/// PNG with fdeflate's fast mode and the Paeth filter on every row. On
/// chart images (flat colours, text) fdeflate encodes about 5x faster
/// than the default zlib level. Choosing a filter per row (the default)
/// tries all five on each row; Paeth alone measured 35% fewer
/// instructions for files 6% larger, and Sub or Up were cheaper still but
/// made files 40-70% larger.
fn encode_png(pixmap: &resvg::tiny_skia::Pixmap) -> Result<Vec<u8>> {
    // tiny-skia stores premultiplied alpha; PNG wants it straight. Charts
    // are usually opaque, where the two are the same bytes.
    let straight: std::borrow::Cow<'_, [u8]> = if pixmap.pixels().iter().all(|p| p.alpha() == 255) {
        std::borrow::Cow::Borrowed(pixmap.data())
    } else {
        std::borrow::Cow::Owned(
            pixmap
                .pixels()
                .iter()
                .flat_map(|p| {
                    let c = p.demultiply();
                    [c.red(), c.green(), c.blue(), c.alpha()]
                })
                .collect(),
        )
    };
    let fail = |e: png::EncodingError| {
        Error::new(ErrorCode::RenderFailed, format!("PNG encoding failed: {e}"))
    };
    let mut out = Vec::with_capacity(straight.len() / 4);
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Paeth);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&straight).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn translucent_pixels_come_out_with_straight_alpha() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="2" height="2" fill="#ff0000" fill-opacity="0.5"/><rect x="2" width="2" height="2" fill="#00ff00"/></svg>"##;
        let (w, h, px) = decode(&Rasterizer::new().png(svg, Scale::X1).expect("renders"));
        assert_eq!((w, h), (4, 2));
        let half_red = &px[0..4];
        assert_eq!(
            half_red[0], 255,
            "red is not darkened by premultiplication: {half_red:?}"
        );
        assert!((127..=128).contains(&half_red[3]), "{half_red:?}");
        assert_eq!(&px[8..12], &[0, 255, 0, 255]);
    }

    #[test]
    fn scale_two_doubles_each_side_and_bad_svg_is_invalid_output() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"><rect width="30" height="20" fill="#fff"/></svg>"##;
        let (w, h, _) = decode(&Rasterizer::new().png(svg, Scale::X2).expect("renders"));
        assert_eq!((w, h), (60, 40));
        let err = Rasterizer::new()
            .png("<svg", Scale::X1)
            .expect_err("not SVG");
        assert_eq!(err.code, ErrorCode::PluginInvalidOutput);
    }
}
