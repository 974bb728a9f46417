//! A small SVG writer for charts.
//!
//! Two promises make it safe to feed it user data and to compare its output:
//!
//! - every text node and attribute value is escaped, so a label such as
//!   `<script>alert(1)</script> & co` is drawn as text and can neither break
//!   the document nor inject markup; characters XML 1.0 forbids (most control
//!   characters) are dropped, because a single one makes the whole document
//!   unparseable for the rasterizer;
//! - numbers are written by [`num`] (at most two decimals, trailing zeros
//!   trimmed, never `-0`), so identical input gives byte-identical SVG.
//!
//! ```
//! use patchart_sdk::svg::{Paint, Svg, Text};
//! use patchart_sdk::Style;
//!
//! let mut svg = Svg::new(200, 100, &Style::default());
//! svg.set_title("Example");
//! svg.rect(10.0, 10.0, 50.0, 20.0, &Paint::fill("#1f3c88"));
//! svg.text(&Text::new(70.0, 20.0, "A & B").size(12.0).bold());
//! let doc = svg.finish();
//! assert!(doc.contains("A &amp; B"));
//! ```

use std::fmt::Write as _;

use crate::Style;

/// Formats a coordinate or size: rounded to two decimals, trailing zeros
/// trimmed, `-0` written as `0`, and non-finite values as `0` (a NaN in a
/// path would make the rasterizer drop the element silently, which hides the
/// bug; a zero at least keeps the document valid).
pub fn num(v: f32) -> String {
    num64(f64::from(v))
}

fn num64(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let mut s = format!("{rounded:.2}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Escapes `s` for use as XML text or as a quoted attribute value, dropping
/// characters that XML 1.0 does not allow at all.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Tab, newline and carriage return are the only C0 controls XML
            // permits; U+FFFE and U+FFFF are non-characters it also forbids.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fill and stroke of a shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paint {
    pub fill: Option<String>,
    pub stroke: Option<String>,
    pub stroke_width: Option<f32>,
    /// `stroke-dasharray`, e.g. `[4.0, 3.0]`.
    pub dash: Vec<f32>,
    pub opacity: Option<f32>,
    /// Corner radius of rectangles.
    pub radius: Option<f32>,
    /// A class, so an SVG reader (or a stylesheet) can tell bars from grid.
    pub class: Option<String>,
}

impl Paint {
    /// A filled shape without outline.
    pub fn fill(color: &str) -> Paint {
        Paint {
            fill: Some(color.to_owned()),
            ..Paint::default()
        }
    }

    /// An outline without fill (lines, grid, axes).
    pub fn stroke(color: &str, width: f32) -> Paint {
        Paint {
            stroke: Some(color.to_owned()),
            stroke_width: Some(width),
            ..Paint::default()
        }
    }

    pub fn with_stroke(mut self, color: &str, width: f32) -> Paint {
        self.stroke = Some(color.to_owned());
        self.stroke_width = Some(width);
        self
    }

    pub fn dashed(mut self, dash: &[f32]) -> Paint {
        self.dash = dash.to_vec();
        self
    }

    pub fn opacity(mut self, opacity: f32) -> Paint {
        self.opacity = Some(opacity);
        self
    }

    pub fn radius(mut self, radius: f32) -> Paint {
        self.radius = Some(radius);
        self
    }

    pub fn class(mut self, class: &str) -> Paint {
        self.class = Some(class.to_owned());
        self
    }

    fn write_attrs(&self, out: &mut String, is_rect: bool) {
        if let Some(c) = &self.class {
            attr(out, "class", c);
        }
        // SVG fills shapes black by default; a shape given only a stroke is
        // meant as an outline, so say so explicitly.
        match &self.fill {
            Some(f) => attr(out, "fill", f),
            None => attr(out, "fill", "none"),
        }
        if let Some(s) = &self.stroke {
            attr(out, "stroke", s);
        }
        if let Some(w) = self.stroke_width {
            attr(out, "stroke-width", &num(w));
        }
        if !self.dash.is_empty() {
            let d: Vec<String> = self.dash.iter().map(|v| num(*v)).collect();
            attr(out, "stroke-dasharray", &d.join(" "));
        }
        if let Some(o) = self.opacity {
            attr(out, "opacity", &num(o.clamp(0.0, 1.0)));
        }
        if is_rect && let Some(r) = self.radius {
            attr(out, "rx", &num(r));
        }
    }
}

/// Horizontal alignment of text relative to its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    #[default]
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Vertical alignment of text relative to its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Baseline {
    /// `y` is the baseline (SVG's default).
    #[default]
    Alphabetic,
    /// `y` is the middle of the em box: what centres a label on a bar or a
    /// tick, independently of the glyphs in it.
    Central,
    /// `y` is the top of the text.
    Hanging,
}

impl Baseline {
    fn as_str(self) -> Option<&'static str> {
        match self {
            Baseline::Alphabetic => None,
            Baseline::Central => Some("central"),
            Baseline::Hanging => Some("hanging"),
        }
    }
}

/// A single line of text. Build it with [`Text::new`] and the setters; any
/// wrapping or eliding is done beforehand with [`crate::text`].
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub content: String,
    pub size: f32,
    pub bold: bool,
    pub anchor: Anchor,
    pub baseline: Baseline,
    /// Colour; `None` uses the style's text colour.
    pub fill: Option<String>,
    /// Rotation in degrees around (`x`, `y`); -90 for a vertical axis title.
    pub rotate: Option<f32>,
    pub class: Option<String>,
}

impl Text {
    pub fn new(x: f32, y: f32, content: &str) -> Text {
        Text {
            x,
            y,
            content: content.to_owned(),
            size: 12.0,
            bold: false,
            anchor: Anchor::Start,
            baseline: Baseline::Alphabetic,
            fill: None,
            rotate: None,
            class: None,
        }
    }

    pub fn size(mut self, size: f32) -> Text {
        self.size = size;
        self
    }

    pub fn bold(mut self) -> Text {
        self.bold = true;
        self
    }

    pub fn weight(mut self, bold: bool) -> Text {
        self.bold = bold;
        self
    }

    pub fn anchor(mut self, anchor: Anchor) -> Text {
        self.anchor = anchor;
        self
    }

    pub fn baseline(mut self, baseline: Baseline) -> Text {
        self.baseline = baseline;
        self
    }

    pub fn fill(mut self, color: &str) -> Text {
        self.fill = Some(color.to_owned());
        self
    }

    pub fn rotate(mut self, degrees: f32) -> Text {
        self.rotate = Some(degrees);
        self
    }

    pub fn class(mut self, class: &str) -> Text {
        self.class = Some(class.to_owned());
        self
    }
}

/// A `<g>` element: a class for readers of the SVG, an optional transform
/// and an optional `<title>` (a tooltip and an accessible name for
/// everything inside, e.g. "CN: 192 (52.75%)" on a bar).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub class: Option<String>,
    pub translate: Option<(f32, f32)>,
    pub title: Option<String>,
}

impl Group {
    pub fn new() -> Group {
        Group::default()
    }

    pub fn class(mut self, class: &str) -> Group {
        self.class = Some(class.to_owned());
        self
    }

    pub fn translate(mut self, dx: f32, dy: f32) -> Group {
        self.translate = Some((dx, dy));
        self
    }

    pub fn title(mut self, title: &str) -> Group {
        self.title = Some(title.to_owned());
        self
    }
}

/// Path data built with formatted numbers, for [`Svg::path`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathData {
    d: String,
}

impl PathData {
    pub fn new() -> PathData {
        PathData::default()
    }

    pub fn move_to(mut self, x: f32, y: f32) -> PathData {
        self.command('M', &[x, y]);
        self
    }

    pub fn line_to(mut self, x: f32, y: f32) -> PathData {
        self.command('L', &[x, y]);
        self
    }

    /// A cubic Bézier curve to (`x`, `y`) with control points 1 and 2.
    pub fn curve_to(mut self, c1: (f32, f32), c2: (f32, f32), x: f32, y: f32) -> PathData {
        self.command('C', &[c1.0, c1.1, c2.0, c2.1, x, y]);
        self
    }

    /// An elliptical arc (SVG `A`), for donut and pie segments.
    pub fn arc_to(mut self, radius: f32, large_arc: bool, sweep: bool, x: f32, y: f32) -> PathData {
        let flags = [f32::from(u8::from(large_arc)), f32::from(u8::from(sweep))];
        self.command('A', &[radius, radius, 0.0, flags[0], flags[1], x, y]);
        self
    }

    pub fn close(mut self) -> PathData {
        if !self.d.is_empty() {
            self.d.push(' ');
        }
        self.d.push('Z');
        self
    }

    pub fn is_empty(&self) -> bool {
        self.d.is_empty()
    }

    /// The `d` attribute value.
    pub fn as_str(&self) -> &str {
        &self.d
    }

    fn command(&mut self, c: char, args: &[f32]) {
        if !self.d.is_empty() {
            self.d.push(' ');
        }
        self.d.push(c);
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.d.push(' ');
            }
            self.d.push_str(&num(*a));
        }
    }
}

/// An SVG document being written. Elements appear in call order, so draw
/// back to front (grid, then bars, then labels).
#[derive(Debug, Clone)]
pub struct Svg {
    width: u32,
    height: u32,
    font_family: String,
    background: String,
    text_color: String,
    title: Option<String>,
    description: Option<String>,
    body: String,
    open_groups: usize,
}

impl Svg {
    /// A `width` × `height` document with the style's background and font.
    pub fn new(width: u32, height: u32, style: &Style) -> Svg {
        Svg {
            width,
            height,
            font_family: style.font_family.clone(),
            background: style.background.clone(),
            text_color: style.text.clone(),
            title: None,
            description: None,
            body: String::new(),
            open_groups: 0,
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The document's accessible name, written as the root's first
    /// `<title>` child whenever it is set (screen readers and browsers
    /// take the first one).
    pub fn set_title(&mut self, title: &str) {
        self.title = Some(title.to_owned());
    }

    /// A longer accessible description (`<desc>`), e.g. the notes.
    pub fn set_description(&mut self, description: &str) {
        self.description = Some(description.to_owned());
    }

    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, paint: &Paint) {
        let mut e = String::from("<rect");
        attr(&mut e, "x", &num(x));
        attr(&mut e, "y", &num(y));
        // Negative sizes are an error in SVG (the element is not drawn and
        // some renderers reject the document); a zero-sized bar is correct.
        attr(&mut e, "width", &num(width.max(0.0)));
        attr(&mut e, "height", &num(height.max(0.0)));
        paint.write_attrs(&mut e, true);
        e.push_str("/>");
        self.push_line(&e);
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, paint: &Paint) {
        let mut e = String::from("<line");
        attr(&mut e, "x1", &num(x1));
        attr(&mut e, "y1", &num(y1));
        attr(&mut e, "x2", &num(x2));
        attr(&mut e, "y2", &num(y2));
        paint.write_attrs(&mut e, false);
        e.push_str("/>");
        self.push_line(&e);
    }

    pub fn polyline(&mut self, points: &[(f32, f32)], paint: &Paint) {
        self.poly("polyline", points, paint);
    }

    pub fn polygon(&mut self, points: &[(f32, f32)], paint: &Paint) {
        self.poly("polygon", points, paint);
    }

    pub fn path(&mut self, data: &PathData, paint: &Paint) {
        if data.is_empty() {
            return;
        }
        let mut e = String::from("<path");
        attr(&mut e, "d", data.as_str());
        paint.write_attrs(&mut e, false);
        e.push_str("/>");
        self.push_line(&e);
    }

    pub fn circle(&mut self, cx: f32, cy: f32, r: f32, paint: &Paint) {
        let mut e = String::from("<circle");
        attr(&mut e, "cx", &num(cx));
        attr(&mut e, "cy", &num(cy));
        attr(&mut e, "r", &num(r.max(0.0)));
        paint.write_attrs(&mut e, false);
        e.push_str("/>");
        self.push_line(&e);
    }

    pub fn text(&mut self, t: &Text) {
        let mut e = String::from("<text");
        if let Some(c) = &t.class {
            attr(&mut e, "class", c);
        }
        attr(&mut e, "x", &num(t.x));
        attr(&mut e, "y", &num(t.y));
        attr(&mut e, "font-size", &num(t.size));
        if t.bold {
            attr(&mut e, "font-weight", "bold");
        }
        if t.anchor != Anchor::Start {
            attr(&mut e, "text-anchor", t.anchor.as_str());
        }
        if let Some(b) = t.baseline.as_str() {
            attr(&mut e, "dominant-baseline", b);
        }
        attr(
            &mut e,
            "fill",
            t.fill.as_deref().unwrap_or(&self.text_color),
        );
        if let Some(deg) = t.rotate {
            let transform = format!("rotate({} {} {})", num(deg), num(t.x), num(t.y));
            attr(&mut e, "transform", &transform);
        }
        e.push('>');
        e.push_str(&escape(&t.content));
        e.push_str("</text>");
        self.push_line(&e);
    }

    /// Opens a group; close it with [`Svg::close_group`]. Groups still open
    /// at [`Svg::finish`] are closed there, so the document stays valid.
    pub fn open_group(&mut self, g: &Group) {
        let mut e = String::from("<g");
        if let Some(c) = &g.class {
            attr(&mut e, "class", c);
        }
        if let Some((dx, dy)) = g.translate {
            attr(
                &mut e,
                "transform",
                &format!("translate({} {})", num(dx), num(dy)),
            );
        }
        e.push('>');
        self.push_line(&e);
        self.open_groups += 1;
        if let Some(t) = &g.title {
            let title = format!("<title>{}</title>", escape(t));
            self.push_line(&title);
        }
    }

    pub fn close_group(&mut self) {
        if self.open_groups > 0 {
            self.open_groups -= 1;
            self.push_line("</g>");
        }
    }

    /// The complete document.
    pub fn finish(mut self) -> String {
        while self.open_groups > 0 {
            self.close_group();
        }
        let mut out = String::with_capacity(self.body.len() + 512);
        out.push_str("<svg");
        attr(&mut out, "xmlns", "http://www.w3.org/2000/svg");
        attr(&mut out, "width", &self.width.to_string());
        attr(&mut out, "height", &self.height.to_string());
        attr(
            &mut out,
            "viewBox",
            &format!("0 0 {} {}", self.width, self.height),
        );
        attr(&mut out, "font-family", &self.font_family);
        attr(&mut out, "role", "img");
        out.push_str(">\n");
        if let Some(t) = &self.title {
            let _ = writeln!(out, "<title>{}</title>", escape(t));
        }
        if let Some(d) = &self.description {
            let _ = writeln!(out, "<desc>{}</desc>", escape(d));
        }
        let mut bg = String::from("<rect");
        attr(&mut bg, "class", "background");
        attr(&mut bg, "width", "100%");
        attr(&mut bg, "height", "100%");
        attr(&mut bg, "fill", &self.background);
        bg.push_str("/>\n");
        out.push_str(&bg);
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }

    fn poly(&mut self, element: &str, points: &[(f32, f32)], paint: &Paint) {
        if points.is_empty() {
            return;
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let mut e = format!("<{element}");
        attr(&mut e, "points", &pts.join(" "));
        paint.write_attrs(&mut e, false);
        e.push_str("/>");
        self.push_line(&e);
    }

    fn push_line(&mut self, element: &str) {
        for _ in 0..self.open_groups {
            self.body.push_str("  ");
        }
        self.body.push_str(element);
        self.body.push('\n');
    }
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    out.push_str(&escape(value));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_trimmed_and_never_negative_zero() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(1.256), "1.26");
        assert_eq!(num(10.0 / 3.0), "3.33");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(f32::NAN), "0");
        assert_eq!(num(f32::INFINITY), "0");
        assert_eq!(num(960.0), "960");
    }

    #[test]
    fn hostile_label_is_escaped_in_text_and_attributes() {
        let label = "<script>alert(1)</script> & co \"quoted\" 'single'";
        let mut svg = Svg::new(100, 50, &Style::default());
        svg.set_title(label);
        svg.open_group(&Group::new().class(label).title(label));
        svg.text(&Text::new(1.0, 2.0, label).class(label));
        let doc = svg.finish();
        assert!(!doc.contains("<script>"), "{doc}");
        assert!(!doc.contains("\"quoted\""), "{doc}");
        assert!(doc.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co &quot;quoted&quot; &#39;single&#39;"
        ));
    }

    #[test]
    fn control_characters_are_dropped_but_whitespace_kept() {
        assert_eq!(escape("a\u{0}b\u{1b}c\td\ne"), "abc\td\ne");
        assert_eq!(escape("Zürich \u{2014} 東京"), "Zürich \u{2014} 東京");
    }

    #[test]
    fn root_element_carries_size_viewbox_font_and_background() {
        let style = Style {
            background: "#fafafa".into(),
            font_family: "DejaVu Sans".into(),
            ..Style::default()
        };
        let mut svg = Svg::new(960, 640, &style);
        svg.set_title("Chart");
        let doc = svg.finish();
        assert!(doc.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"640\" \
             viewBox=\"0 0 960 640\" font-family=\"DejaVu Sans\" role=\"img\">\n<title>Chart</title>\n"
        ));
        assert!(doc.contains("fill=\"#fafafa\""));
        assert!(doc.ends_with("</svg>\n"));
    }

    #[test]
    fn text_writes_anchor_baseline_weight_and_rotation() {
        let mut svg = Svg::new(100, 100, &Style::default());
        svg.text(
            &Text::new(10.0, 50.0, "Count")
                .size(14.0)
                .bold()
                .anchor(Anchor::Middle)
                .baseline(Baseline::Central)
                .fill("#123456")
                .rotate(-90.0),
        );
        let doc = svg.finish();
        assert!(doc.contains(
            "<text x=\"10\" y=\"50\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\" \
             dominant-baseline=\"central\" fill=\"#123456\" transform=\"rotate(-90 10 50)\">Count</text>"
        ));
    }

    #[test]
    fn text_without_fill_uses_the_style_text_colour() {
        let style = Style {
            text: "#222222".into(),
            ..Style::default()
        };
        let mut svg = Svg::new(10, 10, &style);
        svg.text(&Text::new(0.0, 0.0, "x"));
        assert!(svg.finish().contains("fill=\"#222222\">x</text>"));
    }

    #[test]
    fn shapes_write_formatted_geometry() {
        let mut svg = Svg::new(100, 100, &Style::default());
        svg.rect(1.004, 2.0, -3.0, 4.5, &Paint::fill("#ff0000").radius(2.0));
        svg.line(
            0.0,
            0.0,
            10.0,
            10.0,
            &Paint::stroke("#000000", 1.0).dashed(&[4.0, 2.0]),
        );
        svg.polyline(&[(0.0, 1.0), (2.5, 3.333)], &Paint::stroke("#00ff00", 2.0));
        svg.circle(5.0, 5.0, 3.0, &Paint::fill("#0000ff").opacity(0.5));
        svg.path(
            &PathData::new().move_to(0.0, 0.0).line_to(1.0, 1.0).close(),
            &Paint::fill("#111111"),
        );
        let doc = svg.finish();
        assert!(doc.contains(
            "<rect x=\"1\" y=\"2\" width=\"0\" height=\"4.5\" fill=\"#ff0000\" rx=\"2\"/>"
        ));
        assert!(doc.contains(
            "<line x1=\"0\" y1=\"0\" x2=\"10\" y2=\"10\" fill=\"none\" stroke=\"#000000\" \
             stroke-width=\"1\" stroke-dasharray=\"4 2\"/>"
        ));
        assert!(doc.contains("points=\"0,1 2.5,3.33\""));
        assert!(
            doc.contains("<circle cx=\"5\" cy=\"5\" r=\"3\" fill=\"#0000ff\" opacity=\"0.5\"/>")
        );
        assert!(doc.contains("<path d=\"M0 0 L1 1 Z\" fill=\"#111111\"/>"));
    }

    #[test]
    fn groups_nest_and_are_closed_by_finish() {
        let mut svg = Svg::new(10, 10, &Style::default());
        svg.open_group(&Group::new().class("bars").translate(5.0, 0.0));
        svg.open_group(&Group::new().class("bar").title("CN: 192"));
        svg.rect(0.0, 0.0, 1.0, 1.0, &Paint::fill("#000000"));
        let doc = svg.finish();
        assert!(doc.contains("<g class=\"bars\" transform=\"translate(5 0)\">"));
        assert!(doc.contains("  <g class=\"bar\">\n    <title>CN: 192</title>"));
        assert_eq!(doc.matches("<g").count(), doc.matches("</g>").count());
    }

    #[test]
    fn identical_drawing_gives_identical_bytes() {
        let draw = || {
            let mut svg = Svg::new(300, 200, &Style::default());
            svg.set_title("t");
            for i in 0..10 {
                let f = i as f32 / 3.0;
                svg.rect(f, f * 2.0, f + 0.001, 10.0, &Paint::fill("#1f3c88"));
            }
            svg.finish()
        };
        assert_eq!(draw(), draw());
    }
}
