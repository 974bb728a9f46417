//! Squarified treemaps (Bruls, Huizing & van Wijk, "Squarified Treemaps",
//! 2000): a rectangle cut into one cell per value, each cell's area
//! proportional to its value and as close to a square as a greedy row
//! layout allows, so cells are easy to compare and to label.
//!
//! The algorithm fills the box row by row along its shorter side; an item
//! joins the current row while that does not make the row's worst aspect
//! ratio worse, otherwise the row is fixed and a new one starts in what is
//! left. Feed values largest first: that is the order the paper's
//! guarantees assume, and the one that gives the squarest cells.
//!
//! ```
//! use patchart_sdk::layout::Rect;
//! use patchart_sdk::treemap::squarify;
//!
//! let cells = squarify(&[6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0], Rect::new(0.0, 0.0, 6.0, 4.0));
//! assert_eq!(cells.len(), 7);
//! assert!((cells[0].width * cells[0].height - 6.0).abs() < 1e-4);
//! ```

use crate::layout::Rect;

/// One cell per value, in the order of `values`, tiling `area` exactly:
/// cell areas are proportional to the values and together cover `area`
/// without gaps or overlaps.
///
/// Values that are zero, negative or not finite get an empty cell at the
/// corner of `area` (they have no area to show); so does every value when
/// `area` is empty or no value is positive.
pub fn squarify(values: &[f64], area: Rect) -> Vec<Rect> {
    let empty = Rect::new(area.x, area.y, 0.0, 0.0);
    let mut cells = vec![empty; values.len()];
    let total: f64 = values.iter().copied().filter(|v| is_positive(*v)).sum();
    let box_area = f64::from(area.width) * f64::from(area.height);
    if !(total > 0.0 && total.is_finite()) || box_area <= 0.0 {
        return cells;
    }
    // Work in f64 and in areas: rounding in f32 over hundreds of rows would
    // otherwise leave slivers between the last cells and the box edge.
    let scale = box_area / total;
    let items: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| is_positive(**v))
        .map(|(i, v)| (i, v * scale))
        .collect();

    let mut free = Free {
        x: f64::from(area.x),
        y: f64::from(area.y),
        w: f64::from(area.width),
        h: f64::from(area.height),
    };
    let mut start = 0;
    while start < items.len() {
        let side = free.w.min(free.h);
        let end = row_end(&items, start, side);
        free.lay_row(&items[start..end], end == items.len(), &mut cells);
        start = end;
    }
    cells
}

/// The worst (largest) aspect ratio, ≥ 1, of the cells of a row of total
/// area `sum`, largest cell `max` and smallest `min`, laid along a side of
/// length `side` (eq. 1 of the paper).
fn worst(sum: f64, max: f64, min: f64, side: f64) -> f64 {
    let (s2, w2) = (sum * sum, side * side);
    (w2 * max / s2).max(s2 / (w2 * min))
}

/// The end (exclusive) of the row that starts at `start`: items join while
/// the row's worst aspect ratio does not grow. A row holds at least one
/// item, so the layout always advances.
fn row_end(items: &[(usize, f64)], start: usize, side: f64) -> usize {
    let (mut sum, mut max, mut min) = (0.0_f64, 0.0_f64, f64::INFINITY);
    let mut best = f64::INFINITY;
    let mut end = start;
    for &(_, a) in &items[start..] {
        let (s, mx, mn) = (sum + a, max.max(a), min.min(a));
        let w = worst(s, mx, mn, side);
        if end > start && w > best {
            break;
        }
        (sum, max, min, best) = (s, mx, mn, w);
        end += 1;
    }
    end
}

/// The part of the box not yet covered by rows.
struct Free {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Free {
    /// Lays `row` along the shorter side of the free space and removes the
    /// strip it covers. The last cell of a row, and the last row, take
    /// whatever is left up to the edge, so the tiling closes exactly
    /// instead of accumulating rounding.
    fn lay_row(&mut self, row: &[(usize, f64)], last_row: bool, cells: &mut [Rect]) {
        let sum: f64 = row.iter().map(|(_, a)| a).sum();
        if self.w >= self.h {
            // A column at the left, as tall as the free space.
            let thickness = if last_row { self.w } else { sum / self.h };
            let mut y = self.y;
            for (k, &(i, a)) in row.iter().enumerate() {
                let bottom = if k + 1 == row.len() {
                    self.y + self.h
                } else {
                    y + a / thickness
                };
                cells[i] = rect(self.x, y, self.x + thickness, bottom);
                y = bottom;
            }
            self.x += thickness;
            self.w = (self.w - thickness).max(0.0);
        } else {
            // A row at the top, as wide as the free space.
            let thickness = if last_row { self.h } else { sum / self.w };
            let mut x = self.x;
            for (k, &(i, a)) in row.iter().enumerate() {
                let right = if k + 1 == row.len() {
                    self.x + self.w
                } else {
                    x + a / thickness
                };
                cells[i] = rect(x, self.y, right, self.y + thickness);
                x = right;
            }
            self.y += thickness;
            self.h = (self.h - thickness).max(0.0);
        }
    }
}

fn is_positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// A rectangle from its edges; computing the size from rounded edges (not
/// the edges from sizes) keeps neighbouring cells sharing an edge exactly.
fn rect(left: f64, top: f64, right: f64, bottom: f64) -> Rect {
    let (l, t, r, b) = (left as f32, top as f32, right as f32, bottom as f32);
    Rect::new(l, t, r - l, b - t)
}

/// The aspect ratio of `r`, ≥ 1 (longer side over shorter); infinite for an
/// empty rectangle.
pub fn aspect_ratio(r: &Rect) -> f32 {
    let (long, short) = (r.width.max(r.height), r.width.min(r.height));
    if short <= 0.0 {
        f32::INFINITY
    } else {
        long / short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(r: &Rect) -> f64 {
        f64::from(r.width) * f64::from(r.height)
    }

    fn overlap(a: &Rect, b: &Rect) -> f64 {
        let w = (a.right().min(b.right()) - a.x.max(b.x)).max(0.0);
        let h = (a.bottom().min(b.bottom()) - a.y.max(b.y)).max(0.0);
        f64::from(w) * f64::from(h)
    }

    /// The example of the paper: seven values in a 6 × 4 box.
    const PAPER: [f64; 7] = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];

    #[test]
    fn areas_are_proportional_to_values() {
        let values = [
            98.0, 40.0, 39.0, 27.0, 17.0, 17.0, 16.0, 13.0, 12.0, 12.0, 7.0,
        ];
        let b = Rect::new(10.0, 20.0, 900.0, 500.0);
        let cells = squarify(&values, b);
        let total: f64 = values.iter().sum();
        for (v, c) in values.iter().zip(&cells) {
            let expected = v / total * area(&b);
            assert!(
                (area(c) - expected).abs() < expected * 1e-3,
                "value {v}: area {} expected {expected}",
                area(c)
            );
        }
    }

    #[test]
    fn cells_tile_the_box_exactly() {
        let b = Rect::new(3.5, 7.25, 640.0, 410.0);
        let values: Vec<f64> = (1..=60).rev().map(|v| f64::from(v) * 1.7).collect();
        let cells = squarify(&values, b);
        let covered: f64 = cells.iter().map(area).sum();
        assert!((covered - area(&b)).abs() < area(&b) * 1e-4, "{covered}");
        for (i, c) in cells.iter().enumerate() {
            assert!(b.contains(c), "cell {i} {c:?} leaves {b:?}");
            for d in &cells[i + 1..] {
                assert!(overlap(c, d) < 1e-2, "{c:?} overlaps {d:?}");
            }
        }
        // The last cells reach the box's far edges: no sliver left over.
        let right = cells.iter().map(|c| c.right()).fold(f32::MIN, f32::max);
        let bottom = cells.iter().map(|c| c.bottom()).fold(f32::MIN, f32::max);
        assert_eq!((right, bottom), (b.right(), b.bottom()));
    }

    #[test]
    fn aspect_ratios_stay_near_one() {
        // The paper's example ends with rows 6,6 | 4,3 | 2 | 2 | 1 and the
        // last cell, 0.6 × 1.67, as the worst at 25:9; slicing the box by
        // value instead would leave the 1 as a 6 × 0.17 strip (36:1).
        let cells = squarify(&PAPER, Rect::new(0.0, 0.0, 6.0, 4.0));
        let worst = cells.iter().map(aspect_ratio).fold(0.0, f32::max);
        assert!((worst - 25.0 / 9.0).abs() < 1e-3, "worst aspect {worst}");
        // Equal values in a square come out as squares.
        let cells = squarify(&[1.0; 16], Rect::new(0.0, 0.0, 400.0, 400.0));
        for c in &cells {
            assert!(aspect_ratio(c) < 1.01, "{c:?}");
        }
        // A long tail still gets reasonable cells on a wide page.
        let tail: Vec<f64> = (1..=30).rev().map(f64::from).collect();
        let cells = squarify(&tail, Rect::new(0.0, 0.0, 900.0, 480.0));
        let mean = cells.iter().map(aspect_ratio).sum::<f32>() / cells.len() as f32;
        assert!(mean < 2.0, "mean aspect {mean}");
    }

    #[test]
    fn first_row_follows_the_paper() {
        // The paper's first step: 6 and 6 stacked along the 4-high side,
        // giving two 3 × 2 cells at the left.
        let cells = squarify(&PAPER, Rect::new(0.0, 0.0, 6.0, 4.0));
        assert_eq!(cells[0], Rect::new(0.0, 0.0, 3.0, 2.0));
        assert_eq!(cells[1], Rect::new(0.0, 2.0, 3.0, 2.0));
    }

    #[test]
    fn degenerate_input_never_panics() {
        let b = Rect::new(5.0, 5.0, 100.0, 50.0);
        assert!(squarify(&[], b).is_empty());
        let cells = squarify(&[0.0, -3.0, f64::NAN, f64::INFINITY], b);
        assert!(cells.iter().all(|c| area(c) == 0.0));
        let cells = squarify(&[0.0, 5.0, 0.0], b);
        assert_eq!(cells[1], b);
        assert_eq!(area(&cells[0]), 0.0);
        let cells = squarify(&[1.0, 2.0], Rect::new(0.0, 0.0, 0.0, 10.0));
        assert!(cells.iter().all(|c| area(c) == 0.0));
        // Wildly different magnitudes still tile.
        let cells = squarify(&[1e12, 1.0, 1e-9], b);
        let covered: f64 = cells.iter().map(area).sum();
        assert!((covered - area(&b)).abs() < 1e-2);
    }

    #[test]
    fn ten_thousand_values_are_laid_out_quickly_and_completely() {
        let values: Vec<f64> = (1..=10_000).rev().map(f64::from).collect();
        let b = Rect::new(0.0, 0.0, 960.0, 640.0);
        let cells = squarify(&values, b);
        let covered: f64 = cells.iter().map(area).sum();
        assert!((covered - area(&b)).abs() < area(&b) * 1e-3);
    }
}
