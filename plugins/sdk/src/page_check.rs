//! Geometry checks of a drawn SVG for plugin tests: where every text and
//! rectangle ends up, so a test can assert that nothing leaves the page and
//! that labels do not overlap.
//!
//! It reads the SDK's own output (one element per line, attributes as
//! [`crate::svg::Svg`] writes them), not arbitrary SVG.

use crate::Measure;

/// A drawn text's box: left, top, right, bottom and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
    pub content: String,
    /// Turned by an angle that is not a multiple of 90° (e.g. 45° axis
    /// labels): the box bounds the text but is much larger than it.
    pub slanted: bool,
}

impl TextBox {
    /// Whether the two boxes share any area (touching is not overlapping).
    /// Slanted texts are never reported: their bounding boxes overlap
    /// their neighbours' although the texts do not.
    pub fn overlaps(&self, other: &TextBox) -> bool {
        const EPS: f32 = 0.01;
        !self.slanted
            && !other.slanted
            && self.left < other.right - EPS
            && other.left < self.right - EPS
            && self.top < other.bottom - EPS
            && other.top < self.bottom - EPS
    }
}

/// A rectangle: x, y, width, height.
pub type RectBox = (f32, f32, f32, f32);

fn attr(element: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = element.find(&key)? + key.len();
    let end = element[start..].find('"')? + start;
    Some(element[start..end].to_owned())
}

fn num(element: &str, name: &str) -> f32 {
    attr(element, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f32::NAN)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The box of every `<text>` in `svg`, measured with `m` and positioned as
/// its anchor, baseline and rotation say (the bounding box when rotated).
pub fn text_boxes(svg: &str, m: &dyn Measure) -> Vec<TextBox> {
    svg.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<text"))
        .map(|l| {
            let open_end = l.find('>').unwrap_or(l.len());
            let tag = &l[..open_end];
            let content = unescape(
                l.get(open_end + 1..)
                    .unwrap_or("")
                    .trim_end_matches("</text>"),
            );
            let (x, y, size) = (num(tag, "x"), num(tag, "y"), num(tag, "font-size"));
            let bold = attr(tag, "font-weight").is_some();
            let w = m.width(&content, size, bold);
            let along = match attr(tag, "text-anchor").as_deref() {
                Some("middle") => -w / 2.0,
                Some("end") => -w,
                _ => 0.0,
            };
            // Across the reading direction, from the anchor point.
            let (above, below) = match attr(tag, "dominant-baseline").as_deref() {
                Some("central") => (size / 2.0, size / 2.0),
                Some("hanging") => (0.0, size),
                _ => (size * 0.8, size * 0.25),
            };
            // The unrotated box relative to the anchor point, then turned
            // by the rotation around that point (SVG angles are clockwise).
            let angle = attr(tag, "transform")
                .and_then(|t| {
                    t.strip_prefix("rotate(")?
                        .split([' ', ')'])
                        .next()?
                        .parse::<f32>()
                        .ok()
                })
                .unwrap_or(0.0);
            let (sin, cos) = angle.to_radians().sin_cos();
            let corners = [
                (along, -above),
                (along + w, -above),
                (along, below),
                (along + w, below),
            ]
            .map(|(dx, dy)| (x + dx * cos - dy * sin, y + dx * sin + dy * cos));
            let xs = corners.map(|c| c.0);
            let ys = corners.map(|c| c.1);
            TextBox {
                left: xs.iter().copied().fold(f32::INFINITY, f32::min),
                top: ys.iter().copied().fold(f32::INFINITY, f32::min),
                right: xs.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                bottom: ys.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                content,
                slanted: angle % 90.0 != 0.0,
            }
        })
        .collect()
}

/// Every `<rect>` with explicit coordinates (the background is 100%).
pub fn rects(svg: &str) -> Vec<RectBox> {
    svg.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<rect x="))
        .map(|l| (num(l, "x"), num(l, "y"), num(l, "width"), num(l, "height")))
        .collect()
}

/// What in `svg` leaves the `width` × `height` page: one line per text or
/// rectangle outside it; empty when everything is inside.
pub fn outside_page(svg: &str, width: f32, height: f32, m: &dyn Measure) -> Vec<String> {
    const EPS: f32 = 0.01;
    let mut out = Vec::new();
    for b in text_boxes(svg, m) {
        let inside =
            b.left >= -EPS && b.top >= -EPS && b.right <= width + EPS && b.bottom <= height + EPS;
        if !inside {
            out.push(format!(
                "{:?} at ({}, {})-({}, {})",
                b.content, b.left, b.top, b.right, b.bottom
            ));
        }
    }
    for (x, y, w, h) in rects(svg) {
        let inside = x >= -EPS && y >= -EPS && x + w <= width + EPS && y + h <= height + EPS;
        if !inside || [x, y, w, h].iter().any(|v| !v.is_finite()) {
            out.push(format!("rect ({x}, {y}) {w}x{h}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Style;
    use crate::svg::{Anchor, Baseline, Paint, Svg, Text};
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    #[test]
    fn finds_what_leaves_the_page() {
        let mut svg = Svg::new(100, 100, &Style::default());
        svg.text(&Text::new(95.0, 50.0, "a & b").size(10.0));
        svg.text(
            &Text::new(50.0, 50.0, "ok")
                .size(10.0)
                .anchor(Anchor::Middle)
                .baseline(Baseline::Central),
        );
        svg.rect(10.0, 10.0, 95.0, 5.0, &Paint::fill("#000000"));
        let doc = svg.finish();
        let boxes = text_boxes(&doc, &M);
        assert_eq!(boxes[0].content, "a & b");
        assert_eq!(boxes[1].left, 44.0);
        let out = outside_page(&doc, 100.0, 100.0, &M);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(!boxes[0].overlaps(&boxes[1]));
    }

    #[test]
    fn rotated_text_is_bounded_where_it_is_drawn() {
        let mut svg = Svg::new(100, 100, &Style::default());
        svg.text(
            &Text::new(50.0, 80.0, "abcde")
                .size(10.0)
                .anchor(Anchor::Middle)
                .baseline(Baseline::Hanging)
                .rotate(-90.0),
        );
        svg.text(&Text::new(50.0, 50.0, "ab").size(10.0).rotate(-45.0));
        let boxes = text_boxes(&svg.finish(), &M);
        // 30 px upwards centred on y = 80; glyphs to the right of x = 50.
        let b = &boxes[0];
        assert!(
            (b.left - 50.0).abs() < 1e-3 && (b.right - 60.0).abs() < 1e-3,
            "{b:?}"
        );
        assert!(
            (b.top - 65.0).abs() < 1e-3 && (b.bottom - 95.0).abs() < 1e-3,
            "{b:?}"
        );
        assert!(!b.slanted);
        assert!(boxes[1].slanted);
        assert!(
            boxes[1].right > 50.0 && boxes[1].top < 50.0 - 8.0,
            "{:?}",
            boxes[1]
        );
    }
}
