//! A legend: a colour swatch and a label per series, flowing into as many
//! rows as the width needs.
//!
//! Like every block of a chart it is measured before it is drawn
//! ([`Legend::height`]), so a layout can reserve its room.

use crate::layout::Rect;
use crate::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use crate::text::{LINE_HEIGHT, elide};
use crate::{Measure, Style};

/// One entry of the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    pub label: String,
    pub color: String,
}

impl LegendItem {
    pub fn new(label: &str, color: &str) -> LegendItem {
        LegendItem {
            label: label.to_owned(),
            color: color.to_owned(),
        }
    }
}

/// How rows sit in the legend's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Start,
    Center,
}

/// A legend of swatches and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Legend {
    items: Vec<LegendItem>,
    size: f32,
    align: Align,
    text_color: String,
}

/// An item placed on a row: its index, its label as drawn and its x offset
/// from the row start.
struct Placed {
    index: usize,
    label: String,
    x: f32,
}

struct Row {
    items: Vec<Placed>,
    width: f32,
}

impl Legend {
    /// A legend of `items` at font `size`, in the style's text colour.
    pub fn new(items: Vec<LegendItem>, size: f32, style: &Style) -> Legend {
        Legend {
            items,
            size,
            align: Align::Start,
            text_color: style.text.clone(),
        }
    }

    pub fn align(mut self, align: Align) -> Legend {
        self.align = align;
        self
    }

    fn swatch(&self) -> f32 {
        self.size * 0.8
    }

    fn swatch_gap(&self) -> f32 {
        self.size * 0.4
    }

    fn item_gap(&self) -> f32 {
        self.size * 1.2
    }

    fn row_height(&self) -> f32 {
        self.size * LINE_HEIGHT
    }

    /// Greedy flow: items keep their order and a row takes items while
    /// they fit; a label too long for a row on its own is elided.
    fn rows(&self, measure: &dyn Measure, width: f32) -> Vec<Row> {
        let lead = self.swatch() + self.swatch_gap();
        let mut rows: Vec<Row> = Vec::new();
        let mut current = Row {
            items: Vec::new(),
            width: 0.0,
        };
        for (index, item) in self.items.iter().enumerate() {
            let label = elide(
                measure,
                &item.label,
                (width - lead).max(0.0),
                self.size,
                false,
            );
            let w = lead + measure.width(&label, self.size, false);
            let x = if current.items.is_empty() {
                0.0
            } else {
                current.width + self.item_gap()
            };
            if !current.items.is_empty() && x + w > width {
                rows.push(std::mem::replace(
                    &mut current,
                    Row {
                        items: Vec::new(),
                        width: 0.0,
                    },
                ));
                current.items.push(Placed {
                    index,
                    label,
                    x: 0.0,
                });
                current.width = w;
            } else {
                current.items.push(Placed { index, label, x });
                current.width = x + w;
            }
        }
        if !current.items.is_empty() {
            rows.push(current);
        }
        rows
    }

    /// Height of the legend laid out in `width` (0 without items).
    pub fn height(&self, measure: &dyn Measure, width: f32) -> f32 {
        self.rows(measure, width).len() as f32 * self.row_height()
    }

    /// Draws the legend from the top of `area` and returns the height used.
    pub fn draw(&self, svg: &mut Svg, measure: &dyn Measure, area: Rect) -> f32 {
        let rows = self.rows(measure, area.width);
        if rows.is_empty() {
            return 0.0;
        }
        svg.open_group(&Group::new().class("legend"));
        for (r, row) in rows.iter().enumerate() {
            let start = match self.align {
                Align::Start => area.x,
                Align::Center => area.x + (area.width - row.width).max(0.0) / 2.0,
            };
            let mid = area.y + (r as f32 + 0.5) * self.row_height();
            for placed in &row.items {
                let item = &self.items[placed.index];
                let x = start + placed.x;
                let s = self.swatch();
                svg.rect(
                    x,
                    mid - s / 2.0,
                    s,
                    s,
                    &Paint::fill(&item.color).radius(1.5),
                );
                svg.text(
                    &Text::new(x + s + self.swatch_gap(), mid, &placed.label)
                        .size(self.size)
                        .anchor(Anchor::Start)
                        .baseline(Baseline::Central)
                        .fill(&self.text_color),
                );
            }
        }
        svg.close_group();
        rows.len() as f32 * self.row_height()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn legend(labels: &[&str]) -> Legend {
        let items = labels
            .iter()
            .map(|l| LegendItem::new(l, "#123456"))
            .collect();
        Legend::new(items, 10.0, &Style::default())
    }

    #[test]
    fn items_flow_into_rows_within_the_width() {
        // Each item: 8 swatch + 4 gap + 6 px per char; 12 px between items.
        let l = legend(&["aaaa", "bbbb", "cccc"]);
        // One item is 36 px; two are 36 + 12 + 36 = 84.
        assert_eq!(l.rows(&M, 100.0).len(), 2);
        assert_eq!(l.rows(&M, 84.0).len(), 2);
        assert_eq!(l.rows(&M, 83.0).len(), 3);
        assert_eq!(l.rows(&M, 200.0).len(), 1);
        assert_eq!(l.height(&M, 83.0), 3.0 * 10.0 * LINE_HEIGHT);
    }

    #[test]
    fn a_label_wider_than_the_row_is_elided() {
        let l = legend(&["a very long series name"]);
        let rows = l.rows(&M, 60.0);
        assert!(rows[0].items[0].label.ends_with('…'));
        assert!(rows[0].width <= 60.0);
    }

    #[test]
    fn empty_legend_takes_no_room() {
        let l = legend(&[]);
        assert_eq!(l.height(&M, 100.0), 0.0);
        let mut svg = Svg::new(100, 100, &Style::default());
        assert_eq!(l.draw(&mut svg, &M, Rect::new(0.0, 0.0, 100.0, 20.0)), 0.0);
    }

    #[test]
    fn draws_a_swatch_and_escaped_label_per_item() {
        let l = legend(&["A & B", "C"]).align(Align::Center);
        let mut svg = Svg::new(300, 100, &Style::default());
        let h = l.draw(&mut svg, &M, Rect::new(0.0, 0.0, 300.0, 100.0));
        assert_eq!(h, l.height(&M, 300.0));
        let doc = svg.finish();
        assert_eq!(doc.matches("fill=\"#123456\"").count(), 2);
        assert!(doc.contains(">A &amp; B</text>"));
    }
}
