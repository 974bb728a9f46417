//! The picture: heading, the donut with its percentage labels, the total in
//! the hole, the legend with counts, and the footnotes.
//!
//! Layout is measured before anything is drawn. The heading is cut off the
//! top, the footnotes off the bottom and the legend off the right; the
//! donut is centred in the rest. A slice's percentage goes inside the ring
//! when its box fits inside the slice, otherwise beside the donut at the
//! end of a leader line; labels beside the donut are stacked per side so
//! none overlaps, and the donut shrinks (down to half its size) to make room
//! for them before any label is shortened.

use std::f32::consts::{FRAC_PI_2, TAU};

use super::{Donut, DonutChart, DrawnDonut};
use crate::footnote::Footnote;
use crate::format::{self, Locale};
use crate::layout::{FontSizes, Heading, Rect, muted_text, page_margin};
use crate::legend_table::{LegendRow, LegendTable};
use crate::svg::{Anchor, Baseline, Group, Paint, PathData, Svg, Text};
use crate::text::{ELLIPSIS, LINE_HEIGHT, elide, fit_size, wrap_lines};
use crate::{Measure, Style, palette};

/// The hole's radius as a share of the outer radius.
const HOLE: f32 = 0.58;
/// The legend never takes more than this share of the page width.
const MAX_LEGEND_SHARE: f32 = 0.35;
/// Below this outer radius a donut is not worth drawing.
const MIN_RADIUS: f32 = 8.0;

/// Numbers as the donut writes them, in the chart's locale.
struct Words {
    locale: Locale,
}

impl Words {
    fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    /// Shares on the slices: one decimal, the most a label beside a slice
    /// has room for.
    fn percent(&self, share: f64) -> String {
        format::percent(share, 1, self.locale)
    }

    /// Shares in the legend and tooltips, at chart_data's precision.
    fn percent2(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }
}

/// A slice's angles, clockwise from twelve o'clock, in radians of SVG
/// space (y down, so increasing angles turn clockwise on screen).
#[derive(Debug, Clone, Copy)]
struct Arc {
    start: f32,
    end: f32,
}

impl Arc {
    fn mid(&self) -> f32 {
        (self.start + self.end) / 2.0
    }

    fn span(&self) -> f32 {
        self.end - self.start
    }
}

/// The donut's geometry.
#[derive(Debug, Clone, Copy)]
struct Ring {
    cx: f32,
    cy: f32,
    outer: f32,
    inner: f32,
}

impl Ring {
    fn point(&self, radius: f32, angle: f32) -> (f32, f32) {
        (
            self.cx + radius * angle.cos(),
            self.cy + radius * angle.sin(),
        )
    }

    /// Whether a `w` × `h` box centred on (`x`, `y`) lies inside the slice
    /// `arc` of the ring, `pad` px clear of its edges. Corners and edge
    /// midpoints are tested: the ring is not convex, so corners alone could
    /// miss an edge dipping into the hole.
    fn holds(&self, arc: Arc, x: f32, y: f32, w: f32, h: f32, pad: f32) -> bool {
        let (hw, hh) = (w / 2.0, h / 2.0);
        let probes = [
            (-hw, -hh),
            (0.0, -hh),
            (hw, -hh),
            (hw, 0.0),
            (hw, hh),
            (0.0, hh),
            (-hw, hh),
            (-hw, 0.0),
        ];
        probes.iter().all(|(dx, dy)| {
            let (px, py) = (x + dx - self.cx, y + dy - self.cy);
            let dist = (px * px + py * py).sqrt();
            if dist < self.inner + pad || dist > self.outer - pad {
                return false;
            }
            if arc.span() >= TAU - 1e-4 {
                return true;
            }
            let rel = (py.atan2(px) - arc.start).rem_euclid(TAU);
            let margin = pad / dist.max(1.0);
            rel >= margin && rel <= arc.span() - margin
        })
    }
}

/// A percentage label inside a slice.
struct InsideLabel {
    slice: usize,
    lines: Vec<String>,
    x: f32,
    y: f32,
}

/// A label beside the donut, on a leader line.
struct OutsideLabel {
    slice: usize,
    text: String,
    right: bool,
    y: f32,
}

pub(super) fn draw(
    chart: &DonutChart,
    d: &Donut,
    style: &Style,
    measure: &dyn Measure,
) -> DrawnDonut {
    let t = &Words {
        locale: style.locale(),
    };
    let notes = &chart.notes;
    let sizes = FontSizes::from_style(style);
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(&chart.title);
    let mut description: Vec<String> = chart.subtitle.iter().cloned().collect();
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let mut page = Rect::page(style).inset(page_margin(style));
    let mut heading = Heading::new(&chart.title);
    if let Some(s) = &chart.subtitle {
        heading = heading.subtitle(s);
    }
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
    let footnote = Footnote::new(notes, sizes.footnote, style);
    let footnote_area = page.cut_bottom(footnote.height(measure, page.width));

    let colors: Vec<String> = d
        .slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.is_others() {
                palette::others_color().to_owned()
            } else {
                style.color(i).to_owned()
            }
        })
        .collect();

    // The legend: as tall as its rows at the legend size, or smaller type
    // when that is taller than the room left.
    let rows: Vec<LegendRow> = d
        .slices
        .iter()
        .zip(&colors)
        .map(|(s, c)| LegendRow::new(c, &s.name, vec![t.count(s.count), t.percent(s.share)]))
        .collect();
    let probe = LegendTable::new(rows.clone(), sizes.legend, style);
    let legend_size = if probe.height() > page.height && probe.height() > 0.0 {
        (sizes.legend * page.height / probe.height()).max(1.0)
    } else {
        sizes.legend
    };
    let legend = LegendTable::new(rows, legend_size, style);
    let legend_width = legend.width(measure, page.width * MAX_LEGEND_SHARE);
    let gap = sizes.legend * 2.0;
    let legend_column = page.cut_right(legend_width + gap);
    let legend_area = Rect::new(
        legend_column.x + gap,
        legend_column.y + (legend_column.height - legend.height()).max(0.0) / 2.0,
        legend_width,
        legend.height(),
    );
    let elided = legend.elided_count(measure, legend_width);
    let plot = page;

    let arcs = arcs(d);
    let label_size = sizes.label;
    let (mut ring, mut inside, outside, unlabelled) =
        place_labels(d, t, &arcs, plot, label_size, measure);
    // The donut is centred in the plot and the legend sits at the page's
    // right edge; close the gap between them by moving each half of it,
    // so the pair is centred on the page.
    let mut legend_area = legend_area;
    if let Some(r) = ring.as_mut() {
        let right_extent = outside
            .iter()
            .filter(|l| l.right)
            .map(|l| label_x(r, label_size, true) + measure.width(&l.text, label_size, false))
            .fold(r.cx + r.outer, f32::max);
        let slack = (legend_area.x - gap - right_extent).max(0.0);
        if !legend.is_empty() && slack > 0.0 {
            let shift = slack / 2.0;
            r.cx += shift;
            for l in &mut inside {
                l.x += shift;
            }
            legend_area.x -= shift;
        }
    }
    let ring = ring;

    heading.draw(&mut svg, measure, heading_area, &sizes, style);
    if let Some(ring) = ring {
        svg.open_group(&Group::new().class("slices"));
        for (i, (s, arc)) in d.slices.iter().zip(&arcs).enumerate() {
            svg.open_group(&Group::new().class("slice").title(&format!(
                "{}: {} ({})",
                s.name,
                t.count(s.count),
                t.percent2(s.share)
            )));
            svg.path(
                &sector(&ring, *arc),
                &Paint::fill(&colors[i]).with_stroke(&style.background, 1.5),
            );
            svg.close_group();
        }
        svg.close_group();

        svg.open_group(&Group::new().class("slice-labels"));
        for l in &inside {
            let color = palette::text_on(&colors[l.slice]);
            let step = label_size * LINE_HEIGHT;
            let first = l.y - step * (l.lines.len() as f32 - 1.0) / 2.0;
            for (k, line) in l.lines.iter().enumerate() {
                svg.text(
                    &Text::new(l.x, first + step * k as f32, line)
                        .size(label_size)
                        .weight(k == 0 && l.lines.len() > 1)
                        .anchor(Anchor::Middle)
                        .baseline(Baseline::Central)
                        .fill(color),
                );
            }
        }
        let leader = Paint::stroke(&palette::lighten(&style.text, 0.45), 1.0);
        for l in &outside {
            let (x0, y0) = ring.point(ring.outer + 1.0, arcs[l.slice].mid());
            let (x1, y1) = ring.point(ring.outer + elbow(label_size), arcs[l.slice].mid());
            let x2 = label_x(&ring, label_size, l.right);
            let end = if l.right { x2 - 3.0 } else { x2 + 3.0 };
            svg.polyline(&[(x0, y0), (x1, y1), (end, l.y)], &leader);
            svg.text(
                &Text::new(x2, l.y, &l.text)
                    .size(label_size)
                    .anchor(if l.right { Anchor::Start } else { Anchor::End })
                    .baseline(Baseline::Central),
            );
        }
        svg.close_group();
        draw_total(
            &mut svg,
            d,
            t,
            chart.hole_caption.as_deref(),
            &ring,
            style,
            measure,
        );
    }
    legend.draw(&mut svg, measure, legend_area);
    footnote.draw(&mut svg, measure, footnote_area);

    DrawnDonut {
        svg: svg.finish(),
        elided,
        unlabelled,
    }
}

/// The angles of every slice, clockwise from twelve o'clock. Cumulative
/// counts (not summed angles) fix each edge, so the last slice closes the
/// circle exactly.
fn arcs(d: &Donut) -> Vec<Arc> {
    let total = d.total.max(1) as f64;
    let mut cumulative = 0u64;
    d.slices
        .iter()
        .map(|s| {
            let start = -FRAC_PI_2 + (cumulative as f64 / total * f64::from(TAU)) as f32;
            cumulative += s.count;
            let end = -FRAC_PI_2 + (cumulative as f64 / total * f64::from(TAU)) as f32;
            Arc { start, end }
        })
        .collect()
}

/// The path of a ring sector. A slice of the whole circle is drawn as two
/// halves: an SVG arc whose ends coincide draws nothing.
fn sector(ring: &Ring, arc: Arc) -> PathData {
    let (o, i) = (ring.outer, ring.inner);
    if arc.span() >= TAU - 1e-4 {
        let top = arc.start;
        let bottom = arc.start + TAU / 2.0;
        let (ax, ay) = ring.point(o, top);
        let (bx, by) = ring.point(o, bottom);
        let (cx, cy) = ring.point(i, top);
        let (dx, dy) = ring.point(i, bottom);
        return PathData::new()
            .move_to(ax, ay)
            .arc_to(o, false, true, bx, by)
            .arc_to(o, false, true, ax, ay)
            .close()
            .move_to(cx, cy)
            .arc_to(i, false, false, dx, dy)
            .arc_to(i, false, false, cx, cy)
            .close();
    }
    let large = arc.span() > TAU / 2.0;
    let (x0, y0) = ring.point(o, arc.start);
    let (x1, y1) = ring.point(o, arc.end);
    let (x2, y2) = ring.point(i, arc.end);
    let (x3, y3) = ring.point(i, arc.start);
    PathData::new()
        .move_to(x0, y0)
        .arc_to(o, large, true, x1, y1)
        .line_to(x2, y2)
        .arc_to(i, large, false, x3, y3)
        .close()
}

/// Length of a leader line's first leg, out of the ring.
fn elbow(size: f32) -> f32 {
    (size * 0.9).max(8.0)
}

/// The x where outside labels start (right) or end (left).
fn label_x(ring: &Ring, size: f32, right: bool) -> f32 {
    let reach = ring.outer + elbow(size) * 1.8 + 3.0;
    if right {
        ring.cx + reach
    } else {
        ring.cx - reach
    }
}

/// Decides the ring's size and every label's place. Returns the ring
/// (`None` when the plot is too small for a donut), the labels inside
/// slices, the labels beside the donut and how many slices got no label.
fn place_labels(
    d: &Donut,
    t: &Words,
    arcs: &[Arc],
    plot: Rect,
    size: f32,
    measure: &dyn Measure,
) -> (Option<Ring>, Vec<InsideLabel>, Vec<OutsideLabel>, usize) {
    let vertical_pad = size;
    let full = (plot.width.min(plot.height - 2.0 * vertical_pad) / 2.0).max(0.0);
    if full < MIN_RADIUS {
        return (None, Vec::new(), Vec::new(), d.slices.len());
    }
    let ring_at = |outer: f32| Ring {
        cx: plot.center_x(),
        cy: plot.center_y(),
        outer,
        inner: outer * HOLE,
    };
    // Shrink the ring until the outside labels fit beside it in full, or
    // to half its size; then elide what still does not fit.
    let mut outer = full;
    let mut inside;
    let mut wanted;
    loop {
        let ring = ring_at(outer);
        (inside, wanted) = inside_labels(d, t, arcs, &ring, size, measure);
        let widest = wanted
            .iter()
            .map(|&i| measure.width(&outside_text(d, t, i), size, false))
            .fold(0.0, f32::max);
        let reach = elbow(size) * 1.8 + 3.0 + widest;
        let fits = wanted.is_empty() || outer + reach <= plot.width / 2.0;
        if fits || outer <= full * 0.5 {
            break;
        }
        outer = (plot.width / 2.0 - reach).clamp(full * 0.5, outer - 1.0);
    }
    let ring = ring_at(outer);
    let (outside, dropped) = outside_labels(d, t, arcs, &ring, &wanted, plot, size, measure);
    (Some(ring), inside, outside, dropped)
}

/// The labels that fit inside their slice, and the slices that need one
/// beside the donut instead.
fn inside_labels(
    d: &Donut,
    t: &Words,
    arcs: &[Arc],
    ring: &Ring,
    size: f32,
    measure: &dyn Measure,
) -> (Vec<InsideLabel>, Vec<usize>) {
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    let line_h = size * LINE_HEIGHT;
    for (i, (s, arc)) in d.slices.iter().zip(arcs).enumerate() {
        let (x, y) = ring.point((ring.outer + ring.inner) / 2.0, arc.mid());
        let pct = t.percent(s.share);
        // A slice always carries its name: a bare percentage would send
        // the reader to the legend to match colours.
        let options = [
            vec![s.name.clone(), pct.clone()],
            vec![format!("{} {pct}", s.name)],
        ];
        let fitted = options.into_iter().find(|lines| {
            let w = lines
                .iter()
                .enumerate()
                .map(|(k, l)| measure.width(l, size, k == 0 && lines.len() > 1))
                .fold(0.0, f32::max);
            ring.holds(*arc, x, y, w, lines.len() as f32 * line_h, 2.0)
        });
        match fitted {
            Some(lines) => inside.push(InsideLabel {
                slice: i,
                lines,
                x,
                y,
            }),
            None => outside.push(i),
        }
    }
    (inside, outside)
}

fn outside_text(d: &Donut, t: &Words, i: usize) -> String {
    format!("{} {}", d.slices[i].name, t.percent(d.slices[i].share))
}

/// Labels beside the donut for the slices in `wanted`, stacked per side
/// without overlap and elided to the room beside the ring. When a side has
/// more labels than lines, the smallest slices go without (they are in the
/// legend); returns the labels and how many were dropped.
#[allow(clippy::too_many_arguments)]
fn outside_labels(
    d: &Donut,
    t: &Words,
    arcs: &[Arc],
    ring: &Ring,
    wanted: &[usize],
    plot: Rect,
    size: f32,
    measure: &dyn Measure,
) -> (Vec<OutsideLabel>, usize) {
    let line_h = size * 1.25;
    let (top, bottom) = (plot.y + size / 2.0, plot.bottom() - size / 2.0);
    let capacity = if bottom > top {
        ((bottom - top) / line_h).floor() as usize + 1
    } else {
        0
    };
    let mut labels = Vec::new();
    let mut dropped = 0;
    for right in [true, false] {
        let mut side: Vec<usize> = wanted
            .iter()
            .copied()
            .filter(|&i| (arcs[i].mid().cos() >= 0.0) == right)
            .collect();
        if side.len() > capacity {
            // Keep the largest slices; ties by position for stability.
            side.sort_by(|&a, &b| d.slices[b].count.cmp(&d.slices[a].count).then(a.cmp(&b)));
            dropped += side.len() - capacity;
            side.truncate(capacity);
        }
        let mut placed: Vec<(usize, f32)> = side
            .iter()
            .map(|&i| (i, ring.point(ring.outer + elbow(size), arcs[i].mid()).1))
            .collect();
        placed.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        // Push down from the top, then up from the bottom: each label ends
        // as near its slice as the stack allows, one line apart.
        let mut prev = f32::NEG_INFINITY;
        for p in placed.iter_mut() {
            p.1 = p.1.max(top).max(prev + line_h);
            prev = p.1;
        }
        let mut next = f32::INFINITY;
        for p in placed.iter_mut().rev() {
            p.1 = p.1.min(bottom).min(next - line_h);
            next = p.1;
        }
        let x = label_x(ring, size, right);
        let room = if right { plot.right() - x } else { x - plot.x };
        for (i, y) in placed {
            let s = &d.slices[i];
            let pct = t.percent(s.share);
            let full = outside_text(d, t, i);
            let pct_w = measure.width(&pct, size, false);
            let text = if measure.width(&full, size, false) <= room {
                full
            } else {
                let name_room = room - pct_w - measure.width(" ", size, false);
                let name = elide(measure, &s.name, name_room, size, false);
                if name.is_empty() || name == ELLIPSIS {
                    pct
                } else {
                    format!("{name} {pct}")
                }
            };
            if measure.width(&text, size, false) > room {
                dropped += 1;
                continue;
            }
            labels.push(OutsideLabel {
                slice: i,
                text,
                right,
                y,
            });
        }
    }
    (labels, dropped)
}

/// The total in the hole, with a caption under it when there is room.
fn draw_total(
    svg: &mut Svg,
    d: &Donut,
    t: &Words,
    caption: Option<&str>,
    ring: &Ring,
    style: &Style,
    measure: &dyn Measure,
) {
    let sizes = FontSizes::from_style(style);
    // The widest box centred in a circle of radius r with height ≈ r is
    // √3·r wide; 1.6·r leaves a margin.
    let width = ring.inner * 1.6;
    let total = t.count(d.total);
    let Some(size) = fit_size(measure, &total, width, sizes.title * 1.6, 6.0, true) else {
        return;
    };
    let caption_size = sizes.label;
    let caption = caption
        .map(|c| wrap_lines(measure, c, width, caption_size, false, 2))
        .unwrap_or_default();
    let caption_h = caption.len() as f32 * caption_size * LINE_HEIGHT;
    let with_caption = !caption.is_empty() && size + caption_h <= ring.inner * 1.2;
    let block = if with_caption { size + caption_h } else { size };
    let mut y = ring.cy - block / 2.0 + size / 2.0;
    svg.open_group(&Group::new().class("total"));
    svg.text(
        &Text::new(ring.cx, y, &total)
            .size(size)
            .bold()
            .anchor(Anchor::Middle)
            .baseline(Baseline::Central),
    );
    if with_caption {
        y += size / 2.0 + caption_size * LINE_HEIGHT / 2.0;
        for line in &caption {
            svg.text(
                &Text::new(ring.cx, y, line)
                    .size(caption_size)
                    .anchor(Anchor::Middle)
                    .baseline(Baseline::Central)
                    .fill(&muted_text(style)),
            );
            y += caption_size * LINE_HEIGHT;
        }
    }
    svg.close_group();
}
