//! Text drawn from a cache of glyph coverage masks.
//!
//! resvg fills every text run as one path made of its glyph outlines. On a
//! chart most of what is rasterized is labels, so those fills are most of
//! the rasterization, and they fill the same few dozen glyphs at the same
//! two or three sizes on every chart. Here a glyph is rasterized once per
//! (face, glyph, linear transform, quarter-pixel phase) into an 8-bit
//! coverage mask by the same tiny-skia rasterizer, and every later use
//! blends the cached mask in the span's colour.
//!
//! Pen positions are rounded to a quarter pixel, so a glyph lands at most
//! 1/8 px from where the outline fill would put it: the subpixel
//! positioning text renderers use, and invisible at chart sizes. Anything
//! the cache does not model exactly — strokes, gradients and patterns,
//! decorations, `text-rendering: optimizeSpeed`, glyphs that are not plain
//! outlines, anything under an opacity, clip, mask or filter — is left to
//! resvg, in document order.
//!
//! The same walk over the tree also spares resvg a layer for a translucent
//! group that holds a single solid shape (see `render_group`).

use std::sync::Arc;

use resvg::tiny_skia::{self, FillRule, Mask, PathBuilder, PixmapMut, Transform};
use resvg::usvg::{self, fontdb};
use skrifa::MetadataProvider;
use skrifa::outline::{DrawSettings, OutlinePen};

use crate::memo::BoundedCache;

/// Quarter-pixel phases: finer makes no visible difference at chart sizes
/// and divides the cache's hit rate.
const PHASES: f32 = 4.0;

/// Enough for every glyph of a few scripts at a dozen sizes and both
/// scales; past it the cache starts over rather than growing with
/// whatever sizes plugins ask for.
const MAX_GLYPHS: usize = 32_768;

/// Text with a glyph larger than this many pixels is left to resvg: a
/// cached mask is the whole glyph, and a huge one would be megabytes that
/// the page mostly clips.
const MAX_MASK_PX: u32 = 256 * 256;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    font: fontdb::ID,
    glyph: u32,
    /// The transform's linear part, bit for bit: size, rotation, skew.
    linear: [u32; 4],
    phase: (u8, u8),
    even_odd: bool,
}

#[derive(Clone)]
enum Glyph {
    Mask(Arc<GlyphMask>),
    /// No outline (a space), or one that cannot be drawn.
    Blank,
    /// Left to resvg: a face with variation axes (the key does not carry
    /// the span's variations) or a glyph too large to keep a mask of.
    Unsupported,
}

/// Coverage of one glyph, placed relative to the pixel its pen position
/// falls in.
struct GlyphMask {
    left: i32,
    top: i32,
    width: usize,
    coverage: Vec<u8>,
}

/// Process-wide glyph masks, shared by every rasterization of one font
/// database (glyph keys name that database's faces).
pub(super) struct GlyphCache {
    masks: BoundedCache<Key, Glyph>,
    /// Glyphs rasterized so far: what the cache did not answer.
    #[cfg(test)]
    misses: std::sync::atomic::AtomicUsize,
}

impl Default for GlyphCache {
    fn default() -> Self {
        GlyphCache {
            masks: BoundedCache::new(MAX_GLYPHS),
            #[cfg(test)]
            misses: Default::default(),
        }
    }
}

impl GlyphCache {
    /// Renders `tree` like `resvg::render`, with text from the cache.
    pub(super) fn render(&self, tree: &usvg::Tree, transform: Transform, pixmap: &mut PixmapMut) {
        if walkable(tree.root()) {
            self.render_group(tree, tree.root(), transform, pixmap);
        } else {
            resvg::render(tree, transform, pixmap);
        }
    }

    fn render_group(
        &self,
        tree: &usvg::Tree,
        group: &usvg::Group,
        transform: Transform,
        pixmap: &mut PixmapMut,
    ) {
        for node in group.children() {
            match node {
                // A group that needs no layer of its own is only a
                // transform, which is how resvg draws it too.
                usvg::Node::Group(g) if !g.should_isolate() => {
                    self.render_group(tree, g, transform.pre_concat(g.transform()), pixmap)
                }
                // resvg draws a translucent group into a layer of its own
                // and composites it back; for nothing at all, or for one
                // shape painted once (fill or stroke, not both, so no
                // pixel is covered twice), the opacity can go into the
                // paint instead, which is the same picture for a fraction
                // of the work. Charts use it for shaded bands, areas and
                // invisible hover targets.
                usvg::Node::Group(g) if only_translucent(g) && g.opacity().get() == 0.0 => {}
                usvg::Node::Group(g)
                    if only_translucent(g)
                        && let [usvg::Node::Path(path)] = g.children()
                        && let Some(paint) = single_solid_paint(path, g.opacity().get()) =>
                {
                    let ts = transform.pre_concat(g.transform());
                    paint_path(path, &paint, ts, pixmap);
                }
                usvg::Node::Text(text) if self.draw_text(tree, text, transform, pixmap) => {}
                _ => match node.abs_layer_bounding_box() {
                    // render_node is made for drawing a node into a pixmap
                    // of its own and shifts by the node's layer box first;
                    // shifting back leaves resvg drawing exactly what its
                    // own traversal would.
                    Some(b) => {
                        resvg::render_node(node, transform.pre_translate(b.x(), b.y()), pixmap);
                    }
                    // No box: a horizontal or vertical line, which
                    // render_node refuses; `walkable` let through only
                    // solid strokes.
                    None => {
                        if let usvg::Node::Path(path) = node {
                            stroke_line(path, transform, pixmap);
                        }
                    }
                },
            }
        }
    }

    /// Draws `text` from the cache and returns true, or returns false
    /// having drawn nothing when the text needs something the cache does
    /// not model.
    fn draw_text(
        &self,
        tree: &usvg::Tree,
        text: &usvg::Text,
        transform: Transform,
        pixmap: &mut PixmapMut,
    ) -> bool {
        if text.rendering_mode() == usvg::TextRendering::OptimizeSpeed
            || !text
                .flattened()
                .children()
                .iter()
                .all(|n| matches!(n, usvg::Node::Path(_)))
        {
            return false;
        }
        let spans = text.layouted();
        let plain = spans.iter().all(|s| {
            s.stroke.is_none()
                && s.underline.is_none()
                && s.overline.is_none()
                && s.line_through.is_none()
                && s.fill
                    .as_ref()
                    .is_none_or(|f| matches!(f.paint(), usvg::Paint::Color(_)))
        });
        if !plain {
            return false;
        }
        // Every mask is found before anything is drawn, so a text that
        // turns out to need resvg is not drawn twice.
        let mut placed = Vec::new();
        for span in spans {
            let Some(fill) = span.fill.as_ref().filter(|_| span.visible) else {
                continue;
            };
            let usvg::Paint::Color(c) = fill.paint() else {
                continue;
            };
            let paint = Premultiplied::new(c.red, c.green, c.blue, fill.opacity().to_u8());
            let even_odd = fill.rule() == usvg::FillRule::EvenOdd;
            for glyph in &span.positioned_glyphs {
                let ts = transform.pre_concat(glyph.outline_transform());
                let (x, fx) = split(ts.tx);
                let (y, fy) = split(ts.ty);
                let key = Key {
                    font: glyph.font,
                    glyph: glyph.id.0,
                    linear: [ts.sx, ts.ky, ts.kx, ts.sy].map(f32::to_bits),
                    phase: (fx, fy),
                    even_odd,
                };
                match self.glyph(tree, key) {
                    Glyph::Mask(mask) => placed.push((mask, x, y, paint)),
                    Glyph::Blank => {}
                    Glyph::Unsupported => return false,
                }
            }
        }
        for (mask, x, y, paint) in placed {
            blend(pixmap, &mask, x, y, paint);
        }
        true
    }

    fn glyph(&self, tree: &usvg::Tree, key: Key) -> Glyph {
        if let Some(found) = self.masks.get(&key) {
            return found;
        }
        // Rasterized outside the lock: another thread may do the same
        // glyph at once, and both get the same pixels.
        let made = rasterize(tree, key);
        #[cfg(test)]
        self.misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.masks.insert(key, made.clone());
        made
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.masks.len()
    }
}

/// Whether every node the walk hands to resvg one by one can be drawn that
/// way: a line without a box can only be stroked here, and only in a solid
/// colour. A tree with anything else is drawn by resvg whole.
fn walkable(group: &usvg::Group) -> bool {
    group.children().iter().all(|node| match node {
        usvg::Node::Group(g) if !g.should_isolate() => walkable(g),
        usvg::Node::Path(p) if node.abs_layer_bounding_box().is_none() => p
            .stroke()
            .is_none_or(|s| matches!(s.paint(), usvg::Paint::Color(_))),
        _ => true,
    })
}

/// What resvg does for a solid stroke. Filling a line draws nothing.
fn stroke_line(path: &usvg::Path, transform: Transform, pixmap: &mut PixmapMut) {
    if let Some(paint) = solid_stroke(path, 1.0) {
        paint_path(path, &paint, transform, pixmap);
    }
}

/// A group that needs a layer only for its opacity.
fn only_translucent(g: &usvg::Group) -> bool {
    g.clip_path().is_none()
        && g.mask().is_none()
        && g.filters().is_empty()
        && g.blend_mode() == usvg::BlendMode::Normal
        && !g.isolate()
}

/// One of a path's two paints, in a solid colour, with `opacity` applied.
enum SolidPaint {
    Fill(tiny_skia::Paint<'static>, FillRule),
    Stroke(tiny_skia::Paint<'static>, tiny_skia::Stroke),
}

/// `paint` at its own opacity (quantized to 8 bits, as resvg does) times
/// the group's `opacity`.
fn solid(
    path: &usvg::Path,
    paint: &usvg::Paint,
    own: usvg::Opacity,
    opacity: f32,
) -> Option<tiny_skia::Paint<'static>> {
    let usvg::Paint::Color(c) = paint else {
        return None;
    };
    let mut color = tiny_skia::Color::from_rgba8(c.red, c.green, c.blue, own.to_u8());
    color.apply_opacity(opacity);
    let mut p = tiny_skia::Paint::default();
    p.set_color(color);
    p.anti_alias = path.rendering_mode().use_shape_antialiasing();
    Some(p)
}

fn solid_stroke(path: &usvg::Path, opacity: f32) -> Option<SolidPaint> {
    let s = path.stroke()?;
    let paint = solid(path, s.paint(), s.opacity(), opacity)?;
    Some(SolidPaint::Stroke(paint, s.to_tiny_skia()))
}

/// The path's only paint, if it has exactly one and it is a solid colour.
fn single_solid_paint(path: &usvg::Path, opacity: f32) -> Option<SolidPaint> {
    match (path.fill(), path.stroke()) {
        (Some(f), None) => {
            let rule = match f.rule() {
                usvg::FillRule::NonZero => FillRule::Winding,
                usvg::FillRule::EvenOdd => FillRule::EvenOdd,
            };
            let paint = solid(path, f.paint(), f.opacity(), opacity)?;
            Some(SolidPaint::Fill(paint, rule))
        }
        (None, Some(_)) => solid_stroke(path, opacity),
        _ => None,
    }
}

fn paint_path(path: &usvg::Path, paint: &SolidPaint, transform: Transform, pixmap: &mut PixmapMut) {
    if !path.is_visible() {
        return;
    }
    match paint {
        SolidPaint::Fill(p, rule) => {
            // As resvg: a shape without area is not filled.
            let b = path.data().bounds();
            if b.width() > 0.0 && b.height() > 0.0 {
                pixmap.fill_path(path.data(), p, *rule, transform, None);
            }
        }
        SolidPaint::Stroke(p, stroke) => {
            pixmap.stroke_path(path.data(), p, stroke, transform, None)
        }
    }
}

/// Whole pixel and quarter-pixel phase of a device coordinate.
fn split(v: f32) -> (i32, u8) {
    let steps = (v * PHASES).round();
    let whole = (steps / PHASES).floor();
    (whole as i32, (steps - whole * PHASES) as u8)
}

/// The glyph's coverage at its key's size and phase.
fn rasterize(tree: &usvg::Tree, key: Key) -> Glyph {
    let outline = tree.fontdb().with_face_data(key.font, |data, index| {
        let font = skrifa::FontRef::from_index(data, index).ok()?;
        if !font.axes().is_empty() {
            return Some(Err(()));
        }
        let glyph = font.outline_glyphs().get(skrifa::GlyphId::new(key.glyph))?;
        let mut pen = Pen(PathBuilder::new());
        glyph
            .draw(
                DrawSettings::unhinted(
                    skrifa::instance::Size::unscaled(),
                    skrifa::instance::LocationRef::default(),
                ),
                &mut pen,
            )
            .ok()?;
        Some(Ok(pen.0.finish()))
    });
    let outline = match outline.flatten() {
        Some(Ok(Some(outline))) => outline,
        Some(Err(())) => return Glyph::Unsupported,
        _ => return Glyph::Blank,
    };
    let [sx, ky, kx, sy] = key.linear.map(f32::from_bits);
    let ts = Transform::from_row(
        sx,
        ky,
        kx,
        sy,
        f32::from(key.phase.0) / PHASES,
        f32::from(key.phase.1) / PHASES,
    );
    let Some(path) = outline.transform(ts) else {
        return Glyph::Blank;
    };
    let b = path.bounds();
    // One pixel of margin on each side for anti-aliasing.
    let left = (b.left().floor() as i32).saturating_sub(1);
    let top = (b.top().floor() as i32).saturating_sub(1);
    let right = (b.right().ceil() as i32).saturating_add(1);
    let bottom = (b.bottom().ceil() as i32).saturating_add(1);
    let width = right.saturating_sub(left).max(1) as u32;
    let height = bottom.saturating_sub(top).max(1) as u32;
    if width.saturating_mul(height) > MAX_MASK_PX {
        return Glyph::Unsupported;
    }
    let Some(mut mask) = Mask::new(width, height) else {
        return Glyph::Blank;
    };
    let rule = if key.even_odd {
        FillRule::EvenOdd
    } else {
        FillRule::Winding
    };
    mask.fill_path(
        &path,
        rule,
        true,
        Transform::from_translate(-left as f32, -top as f32),
    );
    Glyph::Mask(Arc::new(GlyphMask {
        left,
        top,
        width: width as usize,
        coverage: mask.take(),
    }))
}

struct Pen(PathBuilder);

impl OutlinePen for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.0.quad_to(cx0, cy0, x, y);
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.0.cubic_to(cx0, cy0, cx1, cy1, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}

/// A solid colour with premultiplied channels, as tiny-skia stores pixels.
#[derive(Clone, Copy)]
struct Premultiplied([u32; 4]);

impl Premultiplied {
    fn new(r: u8, g: u8, b: u8, a: u8) -> Self {
        let a32 = u32::from(a);
        Premultiplied([
            div255(u32::from(r) * a32),
            div255(u32::from(g) * a32),
            div255(u32::from(b) * a32),
            a32,
        ])
    }
}

/// x / 255 rounded, exact for x <= 255 * 255.
fn div255(x: u32) -> u32 {
    (x + 128 + ((x + 128) >> 8)) >> 8
}

/// Source-over of `paint` through `mask` placed at pen pixel (x, y).
fn blend(pixmap: &mut PixmapMut, mask: &GlyphMask, x: i32, y: i32, paint: Premultiplied) {
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let height = (mask.coverage.len() / mask.width) as i32;
    let (left, top) = (x + mask.left, y + mask.top);
    let x0 = left.max(0);
    let x1 = (left + mask.width as i32).min(pw);
    let y0 = top.max(0);
    let y1 = (top + height).min(ph);
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let data = pixmap.data_mut();
    for row in y0..y1 {
        let m = (row - top) as usize * mask.width;
        let coverage = &mask.coverage[m + (x0 - left) as usize..m + (x1 - left) as usize];
        let d = (row * pw + x0) as usize * 4;
        let pixels = &mut data[d..d + coverage.len() * 4];
        for (px, &c) in pixels.chunks_exact_mut(4).zip(coverage) {
            if c == 0 {
                continue;
            }
            let c = u32::from(c);
            let src = paint.0.map(|s| div255(s * c));
            let keep = 255 - src[3];
            for (d, s) in px.iter_mut().zip(src) {
                *d = (s + div255(u32::from(*d) * keep)) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Rasterizer;

    fn both(svg: &str, scale: f32) -> (GlyphCache, Vec<u8>, Vec<u8>) {
        let tree = Rasterizer::new().parse(svg).expect("valid SVG");
        let size = tree.size().to_int_size().scale_by(scale).expect("size");
        let ts = Transform::from_scale(scale, scale);
        let mut ours = tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
        let mut theirs = ours.clone();
        let cache = GlyphCache::default();
        cache.render(&tree, ts, &mut ours.as_mut());
        resvg::render(&tree, ts, &mut theirs.as_mut());
        (cache, ours.take(), theirs.take())
    }

    /// Sum of alpha: how much ink there is.
    fn ink(px: &[u8]) -> u64 {
        px.chunks_exact(4).map(|p| u64::from(p[3])).sum()
    }

    const LABELS: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="260">
        <rect width="420" height="260" fill="#fff"/>
        <text x="10.3" y="30.6" font-size="18.2" font-weight="bold" fill="#1f2933">Top patent applicants 2015–2024</text>
        <g transform="translate(0.37 0.11)">
          <text x="20.15" y="60" font-size="11.7" fill="#334e68">Univ Zhejiang · 1 234 (12.5%)</text>
          <text x="20.9" y="80.4" font-size="11.7" fill="#334e68" fill-opacity="0.6">Ärzte, Ölpreis, ﬁne Ωμέγα</text>
          <text x="400" y="100" font-size="9.75" text-anchor="end" fill="#d64545">right-aligned footnote, 9.75 px</text>
        </g>
        <text transform="translate(14 240) rotate(-90)" font-size="12" fill="#102a43">Publications per year</text>
        <text transform="translate(200 200) rotate(-35)" font-size="10" fill="#0b6e4f">tilted label</text>
    </svg>"##;

    #[test]
    fn text_is_drawn_from_the_cache_within_a_quarter_pixel_of_resvg() {
        for scale in [1.0, 2.0] {
            let (cache, ours, theirs) = both(LABELS, scale);
            assert!(cache.len() > 40, "glyphs cached: {}", cache.len());
            assert!(ours != theirs, "text was not drawn from the cache");
            let diffs: Vec<u8> = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| a.abs_diff(*b))
                .collect();
            let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len() as f64;
            let large = diffs.iter().filter(|&&d| d > 64).count();
            assert!(mean < 1.0, "mean channel difference {mean} at {scale}x");
            assert!(
                large * 2000 < diffs.len(),
                "{large} channels differ by more than a quarter at {scale}x"
            );
            // Same amount of ink: no glyph is missing, doubled or misplaced
            // off the page.
            let (a, b) = (ink(&ours) as f64, ink(&theirs) as f64);
            assert!((a / b - 1.0).abs() < 0.002, "ink {a} vs {b} at {scale}x");
        }
    }

    #[test]
    fn a_second_chart_reuses_the_masks_and_draws_the_same_pixels() {
        let tree = Rasterizer::new().parse(LABELS).expect("valid SVG");
        let cache = GlyphCache::default();
        let draw = || {
            let mut p = tiny_skia::Pixmap::new(420, 260).expect("pixmap");
            cache.render(&tree, Transform::identity(), &mut p.as_mut());
            p.take()
        };
        let misses = || cache.misses.load(std::sync::atomic::Ordering::Relaxed);
        let first = draw();
        let rasterized = misses();
        assert!(rasterized > 40, "glyphs rasterized: {rasterized}");
        assert_eq!(draw(), first);
        assert_eq!(misses(), rasterized, "every glyph came from the cache");
    }

    #[test]
    fn translucent_shapes_without_a_layer_match_resvg_within_rounding() {
        // Kept off the page edge, where resvg's layer is clipped and its
        // anti-aliasing there differs by a few more levels.
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120">
            <rect width="200" height="120" fill="#fff"/>
            <rect x="10" y="10" width="60" height="60" fill="#1f3c88"/>
            <rect x="40.5" y="20.25" width="97.3" height="80" fill="#d5dbe1" opacity="0.45"/>
            <polygon points="5,110 60,40 120,90 190,30 190,110" fill="#0b6e4f" fill-opacity="0.8" opacity="0.3"/>
            <line x1="0" y1="60.5" x2="200" y2="60.5" stroke="#d64545" stroke-width="3" opacity="0.6"/>
            <polyline points="10,12 100,100 190,12" fill="none" stroke="#345" stroke-width="6" stroke-opacity="0.5" opacity="0.5"/>
            <circle cx="150" cy="40" r="12" fill="#000" opacity="0"/>
            <rect x="120" y="60" width="50" height="40" fill="#fc0" stroke="#000" stroke-width="4" opacity="0.5"/>
        </svg>"##;
        let (_, ours, theirs) = both(svg, 1.0);
        let max = ours.iter().zip(&theirs).map(|(a, b)| a.abs_diff(*b)).max();
        assert!(max <= Some(3), "largest channel difference {max:?}");
        let blank = both(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120"><rect width="200" height="120" fill="#fff"/><rect x="10" y="10" width="60" height="60" fill="#1f3c88"/></svg>"##,
            1.0,
        )
        .2;
        let changed = ours.iter().zip(&blank).filter(|(a, b)| a != b).count();
        assert!(changed > 20_000, "only {changed} channels drawn");
    }

    #[test]
    fn what_the_cache_does_not_model_is_drawn_by_resvg_pixel_for_pixel() {
        let cases = [
            (
                "stroked text",
                r##"<text x="5" y="30" font-size="20" fill="#fc0" stroke="#000" stroke-width="0.8">Stroked</text>"##,
            ),
            (
                "gradient text",
                r##"<linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient>
                   <text x="5" y="30" font-size="20" fill="url(#g)">Gradient</text>"##,
            ),
            (
                "underlined text",
                r##"<text x="5" y="30" font-size="20" text-decoration="underline">Underlined</text>"##,
            ),
            (
                "text under an opacity",
                r##"<g opacity="0.5"><text x="5" y="30" font-size="20">Translucent</text></g>"##,
            ),
            (
                "text clipped",
                r##"<clipPath id="c"><rect width="60" height="60"/></clipPath>
                   <g clip-path="url(#c)"><text x="5" y="30" font-size="20">Clipped text</text></g>"##,
            ),
            (
                "aliased text",
                r##"<text x="5" y="30" font-size="20" text-rendering="optimizeSpeed">Aliased</text>"##,
            ),
            (
                "huge text",
                r##"<text x="0" y="150" font-size="400">W</text>"##,
            ),
            (
                "lines without a box",
                r##"<line x1="3.3" y1="40.5" x2="150.7" y2="40.5" stroke="#345" stroke-width="1.5"/>
                   <path d="M 20.25 5 V 55" stroke="#a00" stroke-dasharray="3 2" stroke-linecap="round"/>
                   <line x1="3" y1="50" x2="150" y2="50" fill="#0f0"/>"##,
            ),
            (
                "a gradient line without a box",
                r##"<linearGradient id="h" gradientUnits="userSpaceOnUse" x1="0" x2="150"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient>
                   <line x1="3" y1="40.5" x2="150" y2="40.5" stroke="url(#h)" stroke-width="3"/>
                   <text x="5" y="30" font-size="20">Plain text beside it</text>"##,
            ),
        ];
        let page = |body: &str| {
            format!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160"><rect width="160" height="160" fill="#fff"/>
                <g transform="translate(0.3 0.7)">{body}</g>
                <rect x="100" y="10" width="40" height="40" fill="#369" fill-opacity="0.7"/></svg>"##
            )
        };
        let (_, _, blank) = both(&page(""), 1.0);
        for (what, body) in cases {
            let (_, ours, theirs) = both(&page(body), 1.0);
            assert!(theirs != blank, "{what}: resvg drew nothing");
            assert!(ours == theirs, "{what}: not drawn as resvg draws it");
        }
    }
}
