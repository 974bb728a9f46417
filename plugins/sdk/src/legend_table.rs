//! A legend as a column: one row per item with a colour swatch, a label
//! and right-aligned figures ("English  238  49.79%"), for charts whose
//! colours stand for categories a reader wants to compare by number
//! (donut slices, treemap groups).
//!
//! Like every block of a chart it is measured before it is drawn:
//! [`LegendTable::width`] is the width it wants, [`LegendTable::height`]
//! the height it takes, so a layout can cut its room off the page.

use crate::layout::Rect;
use crate::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use crate::text::{LINE_HEIGHT, elide, widest};
use crate::{Measure, Style};

/// One row: swatch colour, label and figures (drawn right-aligned in
/// columns, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct LegendRow {
    pub color: String,
    pub label: String,
    pub figures: Vec<String>,
}

impl LegendRow {
    pub fn new(color: &str, label: &str, figures: Vec<String>) -> LegendRow {
        LegendRow {
            color: color.to_owned(),
            label: label.to_owned(),
            figures,
        }
    }
}

/// A column of legend rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendTable {
    rows: Vec<LegendRow>,
    size: f32,
    text_color: String,
}

impl LegendTable {
    /// Rows at font `size`, in the style's text colour.
    pub fn new(rows: Vec<LegendRow>, size: f32, style: &Style) -> LegendTable {
        LegendTable {
            rows,
            size,
            text_color: style.text.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn swatch(&self) -> f32 {
        self.size * 0.8
    }

    fn gap(&self) -> f32 {
        self.size * 0.6
    }

    fn row_height(&self) -> f32 {
        self.size * LINE_HEIGHT * 1.15
    }

    /// Width of each figure column: its widest figure.
    fn figure_widths(&self, measure: &dyn Measure) -> Vec<f32> {
        let columns = self.rows.iter().map(|r| r.figures.len()).max().unwrap_or(0);
        (0..columns)
            .map(|c| {
                widest(
                    measure,
                    self.rows
                        .iter()
                        .filter_map(|r| r.figures.get(c).map(String::as_str)),
                    self.size,
                    false,
                )
            })
            .collect()
    }

    fn figures_width(&self, measure: &dyn Measure) -> f32 {
        self.figure_widths(measure)
            .iter()
            .map(|w| w + self.gap())
            .sum()
    }

    /// The width the table needs to show every label in full, capped at
    /// `max_width` (labels are elided to fit what is given).
    pub fn width(&self, measure: &dyn Measure, max_width: f32) -> f32 {
        if self.rows.is_empty() {
            return 0.0;
        }
        let labels = widest(
            measure,
            self.rows.iter().map(|r| r.label.as_str()),
            self.size,
            false,
        );
        // One px of slack: the sum of widths, less the same widths again in
        // `label_room`, can round below the widest label and elide it.
        (self.swatch() + self.gap() + labels + self.figures_width(measure) + 1.0)
            .min(max_width.max(0.0))
    }

    /// Height of the table (0 without rows).
    pub fn height(&self) -> f32 {
        self.rows.len() as f32 * self.row_height()
    }

    /// How many labels [`LegendTable::draw`] shortens in `width`.
    pub fn elided_count(&self, measure: &dyn Measure, width: f32) -> usize {
        let room = self.label_room(measure, width);
        self.rows
            .iter()
            .filter(|r| measure.width(&r.label, self.size, false) > room)
            .count()
    }

    fn label_room(&self, measure: &dyn Measure, width: f32) -> f32 {
        (width - self.swatch() - self.gap() - self.figures_width(measure)).max(0.0)
    }

    /// Draws the rows from the top of `area` (its width bounds the labels)
    /// and returns the height used, equal to [`LegendTable::height`].
    pub fn draw(&self, svg: &mut Svg, measure: &dyn Measure, area: Rect) -> f32 {
        if self.rows.is_empty() {
            return 0.0;
        }
        let widths = self.figure_widths(measure);
        let room = self.label_room(measure, area.width);
        let s = self.swatch();
        svg.open_group(&Group::new().class("legend"));
        for (i, row) in self.rows.iter().enumerate() {
            let mid = area.y + (i as f32 + 0.5) * self.row_height();
            svg.rect(
                area.x,
                mid - s / 2.0,
                s,
                s,
                &Paint::fill(&row.color).radius(1.5),
            );
            let label = elide(measure, &row.label, room, self.size, false);
            svg.text(
                &Text::new(area.x + s + self.gap(), mid, &label)
                    .size(self.size)
                    .baseline(Baseline::Central)
                    .fill(&self.text_color),
            );
            // Figures right-aligned at the end of their column, the last
            // column flush with the area's right edge.
            let mut right = area.right();
            for (c, w) in widths.iter().enumerate().rev() {
                if let Some(fig) = row.figures.get(c) {
                    svg.text(
                        &Text::new(right, mid, fig)
                            .size(self.size)
                            .anchor(Anchor::End)
                            .baseline(Baseline::Central)
                            .fill(&self.text_color),
                    );
                }
                right -= w + self.gap();
            }
        }
        svg.close_group();
        self.height()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    /// 6 px per character at size 10.
    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn table() -> LegendTable {
        LegendTable::new(
            vec![
                LegendRow::new("#111111", "English", vec!["238".into(), "49.79%".into()]),
                LegendRow::new("#222222", "<b>", vec!["2".into(), "0.42%".into()]),
            ],
            10.0,
            &Style::default(),
        )
    }

    #[test]
    fn width_holds_swatch_label_and_figure_columns() {
        let t = table();
        // swatch 8 + gap 6 + "English" 42 + ("238" 18 + 6) + ("49.79%" 36 + 6)
        assert_eq!(t.width(&M, 1000.0), 8.0 + 6.0 + 42.0 + 24.0 + 42.0 + 1.0);
        assert_eq!(t.width(&M, 50.0), 50.0);
        assert_eq!(t.height(), 2.0 * 10.0 * LINE_HEIGHT * 1.15);
    }

    #[test]
    fn draws_rows_escaped_with_figures_right_aligned() {
        let t = table();
        let mut svg = Svg::new(300, 100, &Style::default());
        let used = t.draw(&mut svg, &M, Rect::new(10.0, 10.0, 200.0, 80.0));
        assert_eq!(used, t.height());
        let doc = svg.finish();
        assert!(doc.contains("&lt;b&gt;"));
        assert!(
            doc.contains("x=\"210\""),
            "last column ends at the right edge"
        );
        assert_eq!(doc.matches("text-anchor=\"end\"").count(), 4);
    }

    #[test]
    fn narrow_tables_elide_labels() {
        let t = table();
        assert_eq!(t.elided_count(&M, 1000.0), 0);
        assert_eq!(t.elided_count(&M, 100.0), 1);
        let empty = LegendTable::new(vec![], 10.0, &Style::default());
        assert_eq!((empty.width(&M, 100.0), empty.height()), (0.0, 0.0));
    }
}
