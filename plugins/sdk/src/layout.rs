//! Page layout: rectangles cut from the page, the font sizes every chart
//! derives from the base size, and the heading block.
//!
//! A chart is laid out by cutting slices off the page: the heading off the
//! top, the footnote off the bottom, the axes off the sides; what remains
//! is the plot area. Every slice is measured before it is cut, so nothing
//! is drawn outside the page and nothing overlaps.
//!
//! ```
//! use patchart_sdk::layout::Rect;
//! let mut page = Rect::new(0.0, 0.0, 960.0, 640.0).inset(24.0);
//! let heading = page.cut_top(40.0);
//! let footnote = page.cut_bottom(30.0);
//! assert_eq!(heading.bottom(), page.y);
//! assert_eq!(footnote.y, page.bottom());
//! ```

use crate::svg::{Baseline, Svg, Text};
use crate::text::{LINE_HEIGHT, wrap_lines};
use crate::{Measure, Style, palette};

/// An axis-aligned rectangle in px.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    /// A rectangle; negative sizes are clamped to zero so a page too small
    /// for its furniture yields empty areas rather than inverted geometry.
    pub fn new(x: f32, y: f32, width: f32, height: f32) -> Rect {
        Rect {
            x,
            y,
            width: width.max(0.0),
            height: height.max(0.0),
        }
    }

    /// The whole page of `style`.
    pub fn page(style: &Style) -> Rect {
        Rect::new(0.0, 0.0, style.width as f32, style.height as f32)
    }

    pub fn right(&self) -> f32 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.height
    }

    pub fn center_x(&self) -> f32 {
        self.x + self.width / 2.0
    }

    pub fn center_y(&self) -> f32 {
        self.y + self.height / 2.0
    }

    /// Shrunk by `pad` on every side.
    pub fn inset(self, pad: f32) -> Rect {
        self.inset_sides(pad, pad, pad, pad)
    }

    /// Shrunk by the given amounts (CSS order: top, right, bottom, left).
    pub fn inset_sides(self, top: f32, right: f32, bottom: f32, left: f32) -> Rect {
        Rect::new(
            self.x + left,
            self.y + top,
            self.width - left - right,
            self.height - top - bottom,
        )
    }

    /// Removes a slice of `height` (at most what is left) from the top and
    /// returns it.
    pub fn cut_top(&mut self, height: f32) -> Rect {
        let h = height.clamp(0.0, self.height);
        let slice = Rect::new(self.x, self.y, self.width, h);
        self.y += h;
        self.height -= h;
        slice
    }

    /// Removes a slice of `height` from the bottom and returns it.
    pub fn cut_bottom(&mut self, height: f32) -> Rect {
        let h = height.clamp(0.0, self.height);
        self.height -= h;
        Rect::new(self.x, self.bottom(), self.width, h)
    }

    /// Removes a slice of `width` from the left and returns it.
    pub fn cut_left(&mut self, width: f32) -> Rect {
        let w = width.clamp(0.0, self.width);
        let slice = Rect::new(self.x, self.y, w, self.height);
        self.x += w;
        self.width -= w;
        slice
    }

    /// Removes a slice of `width` from the right and returns it.
    pub fn cut_right(&mut self, width: f32) -> Rect {
        let w = width.clamp(0.0, self.width);
        self.width -= w;
        Rect::new(self.right(), self.y, w, self.height)
    }

    /// Whether `other` lies inside this rectangle (edges included, with a
    /// tolerance for rounding).
    pub fn contains(&self, other: &Rect) -> bool {
        const EPS: f32 = 0.01;
        other.x >= self.x - EPS
            && other.y >= self.y - EPS
            && other.right() <= self.right() + EPS
            && other.bottom() <= self.bottom() + EPS
    }
}

/// The font sizes of a chart, all derived from `style.font_size` so a
/// user who asks for larger text gets every text larger in proportion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FontSizes {
    pub title: f32,
    pub subtitle: f32,
    pub axis_title: f32,
    pub tick: f32,
    /// Data labels (values at bar ends, category names).
    pub label: f32,
    pub legend: f32,
    pub footnote: f32,
}

impl FontSizes {
    pub fn from_style(style: &Style) -> FontSizes {
        // A zero, negative or absurd size from a misconfigured host would
        // make every measurement meaningless; keep it in a readable range.
        let base = if style.font_size.is_finite() {
            style.font_size.clamp(6.0, 72.0)
        } else {
            13.0
        };
        FontSizes {
            title: base * 1.4,
            subtitle: base * 0.95,
            axis_title: base,
            tick: base * 0.9,
            label: base * 0.9,
            legend: base * 0.9,
            footnote: base * 0.8,
        }
    }
}

/// The margin around the page content, proportional to the base font size.
pub fn page_margin(style: &Style) -> f32 {
    FontSizes::from_style(style).axis_title * 1.5
}

/// A muted variant of the text colour, for subtitles and footnotes.
pub fn muted_text(style: &Style) -> String {
    palette::lighten(&style.text, 0.35)
}

/// The title (bold, up to two lines) and optional subtitle at the top of a
/// chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub title: String,
    pub subtitle: Option<String>,
}

/// Lines of a title beyond this are elided: a title that needs three lines
/// is a paragraph, and would eat the plot.
const MAX_TITLE_LINES: usize = 2;

impl Heading {
    pub fn new(title: &str) -> Heading {
        Heading {
            title: title.to_owned(),
            subtitle: None,
        }
    }

    pub fn subtitle(mut self, subtitle: &str) -> Heading {
        self.subtitle = Some(subtitle.to_owned());
        self
    }

    fn lines(
        &self,
        measure: &dyn Measure,
        width: f32,
        sizes: &FontSizes,
    ) -> (Vec<String>, Vec<String>) {
        let title = wrap_lines(
            measure,
            &self.title,
            width,
            sizes.title,
            true,
            MAX_TITLE_LINES,
        );
        let subtitle = self
            .subtitle
            .as_deref()
            .map(|s| wrap_lines(measure, s, width, sizes.subtitle, false, MAX_TITLE_LINES))
            .unwrap_or_default();
        (title, subtitle)
    }

    /// The height the heading takes in `width`, including the gap below it.
    pub fn height(&self, measure: &dyn Measure, width: f32, sizes: &FontSizes) -> f32 {
        let (title, subtitle) = self.lines(measure, width, sizes);
        let mut h = title.len() as f32 * sizes.title * LINE_HEIGHT;
        if !subtitle.is_empty() {
            h += subtitle.len() as f32 * sizes.subtitle * LINE_HEIGHT;
        }
        if h > 0.0 {
            h += sizes.axis_title * 0.6;
        }
        h
    }

    /// Draws the heading left-aligned in `area` (its top left corner) and
    /// returns the height used, equal to [`Heading::height`].
    pub fn draw(
        &self,
        svg: &mut Svg,
        measure: &dyn Measure,
        area: Rect,
        sizes: &FontSizes,
        style: &Style,
    ) -> f32 {
        let (title, subtitle) = self.lines(measure, area.width, sizes);
        let mut y = area.y;
        for line in &title {
            svg.text(
                &Text::new(area.x, y, line)
                    .size(sizes.title)
                    .bold()
                    .baseline(Baseline::Hanging)
                    .class("title"),
            );
            y += sizes.title * LINE_HEIGHT;
        }
        let muted = muted_text(style);
        for line in &subtitle {
            svg.text(
                &Text::new(area.x, y, line)
                    .size(sizes.subtitle)
                    .fill(&muted)
                    .baseline(Baseline::Hanging)
                    .class("subtitle"),
            );
            y += sizes.subtitle * LINE_HEIGHT;
        }
        self.height(measure, area.width, sizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    #[test]
    fn cuts_partition_the_page() {
        let mut r = Rect::new(0.0, 0.0, 100.0, 80.0);
        let top = r.cut_top(10.0);
        let bottom = r.cut_bottom(20.0);
        let left = r.cut_left(30.0);
        let right = r.cut_right(5.0);
        assert_eq!(top, Rect::new(0.0, 0.0, 100.0, 10.0));
        assert_eq!(bottom, Rect::new(0.0, 60.0, 100.0, 20.0));
        assert_eq!(left, Rect::new(0.0, 10.0, 30.0, 50.0));
        assert_eq!(right, Rect::new(95.0, 10.0, 5.0, 50.0));
        assert_eq!(r, Rect::new(30.0, 10.0, 65.0, 50.0));
    }

    #[test]
    fn cutting_more_than_is_left_never_inverts() {
        let mut r = Rect::new(0.0, 0.0, 10.0, 10.0);
        let big = r.cut_top(50.0);
        assert_eq!(big.height, 10.0);
        assert_eq!(r.height, 0.0);
        assert_eq!(Rect::new(0.0, 0.0, 10.0, 10.0).inset(20.0).width, 0.0);
    }

    #[test]
    fn font_sizes_scale_with_the_base_and_stay_sane() {
        let s = FontSizes::from_style(&Style {
            font_size: 10.0,
            ..Style::default()
        });
        assert_eq!((s.title, s.tick), (14.0, 9.0));
        let broken = FontSizes::from_style(&Style {
            font_size: f32::NAN,
            ..Style::default()
        });
        assert_eq!(broken.axis_title, 13.0);
    }

    #[test]
    fn heading_height_matches_what_is_drawn_and_wraps() {
        let m = UniformMeasure::default();
        let style = Style::default();
        let sizes = FontSizes::from_style(&style);
        let h = Heading::new("A title long enough to wrap onto a second line at this width")
            .subtitle("Subtitle");
        let mut svg = Svg::new(300, 200, &style);
        let area = Rect::new(10.0, 10.0, 280.0, 100.0);
        let used = h.draw(&mut svg, &m, area, &sizes, &style);
        assert_eq!(used, h.height(&m, area.width, &sizes));
        let doc = svg.finish();
        assert_eq!(doc.matches("class=\"title\"").count(), 2);
        assert_eq!(doc.matches("class=\"subtitle\"").count(), 1);
    }
}
