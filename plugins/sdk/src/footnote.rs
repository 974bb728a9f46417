//! Footnotes: short explanatory lines at the bottom of a chart ("WO:
//! international application under the PCT …"), wrapped to the chart
//! width.
//!
//! Layouts reserve the room first and draw afterwards:
//!
//! ```
//! use patchart_sdk::footnote::Footnote;
//! use patchart_sdk::layout::Rect;
//! use patchart_sdk::svg::Svg;
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::Style;
//!
//! let style = Style::default();
//! let m = UniformMeasure::default();
//! let notes = vec!["EP: European Patent Office publication".to_owned()];
//! let foot = Footnote::new(&notes, 10.0, &style);
//! let mut page = Rect::page(&style).inset(20.0);
//! let area = page.cut_bottom(foot.height(&m, page.width));
//! let mut svg = Svg::new(style.width, style.height, &style);
//! assert_eq!(foot.draw(&mut svg, &m, area), area.height);
//! ```

use crate::layout::{Rect, muted_text};
use crate::svg::{Baseline, Group, Svg, Text};
use crate::text::{LINE_HEIGHT, wrap_lines};
use crate::{Measure, Style};

/// A note longer than this many lines is elided: footnotes explain, they
/// do not narrate, and must not push the plot off the page.
const MAX_LINES_PER_NOTE: usize = 3;

/// The footnote block of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Footnote {
    notes: Vec<String>,
    size: f32,
    color: String,
}

impl Footnote {
    /// One paragraph per note, at font `size`, in a muted text colour.
    pub fn new(notes: &[String], size: f32, style: &Style) -> Footnote {
        Footnote {
            notes: notes
                .iter()
                .filter(|n| !n.trim().is_empty())
                .cloned()
                .collect(),
            size,
            color: muted_text(style),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// Space above the first line, separating the notes from the axis.
    fn gap(&self) -> f32 {
        if self.notes.is_empty() {
            0.0
        } else {
            self.size * 0.8
        }
    }

    /// The lines drawn in `width`.
    pub fn lines(&self, measure: &dyn Measure, width: f32) -> Vec<String> {
        self.notes
            .iter()
            .flat_map(|n| wrap_lines(measure, n, width, self.size, false, MAX_LINES_PER_NOTE))
            .collect()
    }

    /// Height of the block in `width`, including the gap above it; 0 when
    /// there are no notes.
    pub fn height(&self, measure: &dyn Measure, width: f32) -> f32 {
        let n = self.lines(measure, width).len();
        if n == 0 {
            return 0.0;
        }
        self.gap() + n as f32 * self.size * LINE_HEIGHT
    }

    /// Draws the notes in `area` (from its top; its width wraps them) and
    /// returns the height used, equal to [`Footnote::height`].
    pub fn draw(&self, svg: &mut Svg, measure: &dyn Measure, area: Rect) -> f32 {
        let lines = self.lines(measure, area.width);
        if lines.is_empty() {
            return 0.0;
        }
        svg.open_group(&Group::new().class("footnote"));
        let mut y = area.y + self.gap();
        for line in &lines {
            svg.text(
                &Text::new(area.x, y, line)
                    .size(self.size)
                    .baseline(Baseline::Hanging)
                    .fill(&self.color),
            );
            y += self.size * LINE_HEIGHT;
        }
        svg.close_group();
        self.height(measure, area.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn notes(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn height_grows_with_wrapped_lines() {
        let style = Style::default();
        let f = Footnote::new(
            &notes(&["WO: international application under the PCT"]),
            10.0,
            &style,
        );
        let one_line = f.height(&M, 1000.0);
        assert_eq!(one_line, 8.0 + 13.0);
        // 6 px per char: 120 px holds 20 characters, so this wraps to 3.
        assert_eq!(f.lines(&M, 120.0).len(), 3);
        assert_eq!(f.height(&M, 120.0), 8.0 + 3.0 * 13.0);
    }

    #[test]
    fn no_notes_take_no_room() {
        let f = Footnote::new(&notes(&["", "  "]), 10.0, &Style::default());
        assert!(f.is_empty());
        assert_eq!(f.height(&M, 500.0), 0.0);
    }

    #[test]
    fn long_notes_are_capped_and_elided() {
        let long = "word ".repeat(200);
        let f = Footnote::new(&notes(&[&long]), 10.0, &Style::default());
        let lines = f.lines(&M, 120.0);
        assert_eq!(lines.len(), MAX_LINES_PER_NOTE);
        assert!(lines[2].ends_with('…'));
    }

    #[test]
    fn draw_uses_the_height_it_announced() {
        let style = Style::default();
        let f = Footnote::new(
            &notes(&["EP: European Patent Office publication", "<b>"]),
            10.0,
            &style,
        );
        let mut svg = Svg::new(400, 300, &style);
        let area = Rect::new(10.0, 250.0, 380.0, 50.0);
        assert_eq!(f.draw(&mut svg, &M, area), f.height(&M, 380.0));
        let doc = svg.finish();
        assert!(doc.contains("&lt;b&gt;"));
        assert!(doc.contains("class=\"footnote\""));
    }
}
