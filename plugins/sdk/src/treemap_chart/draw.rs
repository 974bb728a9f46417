//! The picture: heading, the treemap's cells with fitted labels, the
//! legend of groups (when grouping) and the footnotes.
//!
//! Layout is measured before anything is drawn. The heading is cut off the
//! top, the footnotes off the bottom and the legend off the right; the
//! treemap gets the rest. Others, when drawn, is a strip along the box's
//! longer side, so the ranked cells stay together and squarified in the
//! remainder (with grouping, first the groups, then their cells inside
//! each group's rectangle). Which cells are too small for a label is
//! only known once the cells are laid out, and their list is a footnote;
//! so a first layout finds them and the final one reserves room for that
//! note.

use super::{DrawnTreemap, Treemap, TreemapChart, TreemapTexts};
use crate::footnote::Footnote;
use crate::layout::{FontSizes, Heading, Rect, page_margin};
use crate::legend_table::{LegendRow, LegendTable};
use crate::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use crate::text::{LINE_HEIGHT, fit_size};
use crate::treemap::squarify;
use crate::{Measure, Style, palette};

/// The legend never takes more than this share of the page width.
const MAX_LEGEND_SHARE: f32 = 0.28;

/// Footnotes never take more than this share of the page below the heading.
const MAX_NOTES_SHARE: f32 = 0.4;

/// How much lighter the smallest ranked cell is than the largest when cells
/// are shaded by count (0 = same colour, 1 = white).
const SHADE_RANGE: f32 = 0.55;

/// A fitted cell label: its lines (text, bold) at one size.
#[derive(Debug, Clone, PartialEq)]
struct CellLabel {
    lines: Vec<(String, bool)>,
    size: f32,
}

/// Where the cells and the groups sit.
struct Placement {
    cells: Vec<Rect>,
    groups: Vec<Rect>,
}

pub(super) fn draw(chart: &TreemapChart, style: &Style, measure: &dyn Measure) -> DrawnTreemap {
    let (map, t) = (chart.map, chart.texts);
    let sizes = FontSizes::from_style(style);
    let mut groups_cut = 0;
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(&chart.title);

    let mut page = Rect::page(style).inset(page_margin(style));
    let mut heading = Heading::new(&chart.title);
    if let Some(s) = &chart.subtitle {
        heading = heading.subtitle(s);
    }
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));

    let static_notes = chart.notes.clone();
    let colors = cell_colors(map, style);
    let fonts = LabelFonts::new(&sizes);

    // First pass: which cells are too small to label with only the fixed
    // notes below the plot.
    // The legend's rows must fit beside the plot however tall the notes
    // get, so its height is bounded by the page less the largest notes.
    let mut reserved = static_notes.clone();
    reserved.push("x\nx\nx".to_owned());
    let legend_room = page.height
        - Footnote::new(&reserved, sizes.footnote, style).height(measure, page.width)
        - sizes.legend * LINE_HEIGHT;
    let legend = group_legend(map, t, style, &sizes, legend_room, &mut groups_cut);
    let legend_min = measure.width(&t.legend_heading, sizes.legend, true);
    let first = plot_area(
        page,
        &static_notes,
        legend.as_ref(),
        legend_min,
        &sizes,
        style,
        measure,
    );
    let first_labels = fit_labels(map, t, &place(map, first.plot), &fonts, measure);
    let mut notes = static_notes.clone();
    let (plot_layout, labels) = if first_labels.iter().all(Option::is_some) {
        (first, first_labels)
    } else {
        // Reserve the most a note can take (three lines) for the list of
        // unlabelled cells, so the list found in the smaller plot fits
        // whatever its length.
        let second = plot_area(
            page,
            &reserved,
            legend.as_ref(),
            legend_min,
            &sizes,
            style,
            measure,
        );
        let labels = fit_labels(map, t, &place(map, second.plot), &fonts, measure);
        // The list usually needs less than three lines: lay out again with
        // the real note, and keep that tighter layout if it leaves the same
        // cells unlabelled (otherwise the note would be wrong).
        let mut actual = static_notes.clone();
        actual.push(unlabelled_note(map, t, &labels));
        let third = plot_area(
            page,
            &actual,
            legend.as_ref(),
            legend_min,
            &sizes,
            style,
            measure,
        );
        let third_labels = fit_labels(map, t, &place(map, third.plot), &fonts, measure);
        let same = labels
            .iter()
            .zip(&third_labels)
            .all(|(a, b)| a.is_none() == b.is_none());
        if same {
            (third, third_labels)
        } else {
            (second, labels)
        }
    };
    let unlabelled: Vec<usize> = labels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_none())
        .map(|(i, _)| i)
        .collect();
    if !unlabelled.is_empty() {
        notes.push(unlabelled_note(map, t, &labels));
    }
    let mut description: Vec<String> = chart.subtitle.iter().cloned().collect();
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let placement = place(map, plot_layout.plot);
    heading.draw(&mut svg, measure, heading_area, &sizes, style);

    svg.open_group(&Group::new().class("cells"));
    for (i, cell) in map.cells.iter().enumerate() {
        let r = placement.cells[i];
        svg.open_group(&Group::new().class("cell").title(&format!(
            "{}: {}",
            cell.label,
            t.count_and_share(cell.count, cell.share)
        )));
        svg.rect(
            r.x,
            r.y,
            r.width,
            r.height,
            &Paint::fill(&colors[i]).with_stroke(&style.background, 1.0),
        );
        if let Some(label) = &labels[i] {
            draw_label(&mut svg, label, r, palette::text_on(&colors[i]));
        }
        svg.close_group();
    }
    svg.close_group();

    // Group outlines in the background colour, thicker than the cell
    // borders, so a group reads as one block even when colours repeat.
    if !placement.groups.is_empty() {
        svg.open_group(&Group::new().class("group-outlines"));
        for r in &placement.groups {
            svg.rect(
                r.x,
                r.y,
                r.width,
                r.height,
                &Paint::stroke(&style.background, 3.0),
            );
        }
        svg.close_group();
    }

    if let (Some(legend), Some(area)) = (&legend, plot_layout.legend) {
        svg.text(
            &Text::new(area.x, area.y, &t.legend_heading)
                .size(sizes.legend)
                .bold()
                .baseline(Baseline::Hanging),
        );
        let rows = area.inset_sides(sizes.legend * LINE_HEIGHT, 0.0, 0.0, 0.0);
        legend.draw(&mut svg, measure, rows);
    }
    let shown_notes = fitting_notes(&notes, page, &sizes, style, measure);
    let notes_cut = notes.len() - shown_notes.len();
    let footnote = Footnote::new(&shown_notes, sizes.footnote, style);
    footnote.draw(&mut svg, measure, plot_layout.footnote);

    DrawnTreemap {
        svg: svg.finish(),
        notes,
        unlabelled,
        groups_cut,
        notes_cut,
    }
}

/// The note listing the cells without a label.
fn unlabelled_note(map: &Treemap, t: &TreemapTexts, labels: &[Option<CellLabel>]) -> String {
    let items: Vec<(String, u64)> = map
        .cells
        .iter()
        .zip(labels)
        .filter(|(_, l)| l.is_none())
        .map(|(c, _)| (c.label.clone(), c.count))
        .collect();
    t.note_unlabelled(&items)
}

/// The page cut into plot, legend and footnote areas.
struct PlotLayout {
    plot: Rect,
    legend: Option<Rect>,
    footnote: Rect,
}

fn plot_area(
    mut page: Rect,
    notes: &[String],
    legend: Option<&LegendTable>,
    legend_min_width: f32,
    sizes: &FontSizes,
    style: &Style,
    measure: &dyn Measure,
) -> PlotLayout {
    let notes = fitting_notes(notes, page, sizes, style, measure);
    let footnote = Footnote::new(&notes, sizes.footnote, style);
    let footnote_area = page.cut_bottom(footnote.height(measure, page.width));
    let legend_area = legend.map(|l| {
        let max = page.width * MAX_LEGEND_SHARE;
        let width = l.width(measure, max).max(legend_min_width.min(max));
        let area = page.cut_right(width + sizes.legend * 1.5);
        Rect::new(area.x + sizes.legend * 1.5, area.y, width, area.height)
    });
    PlotLayout {
        plot: page,
        legend: legend_area,
        footnote: footnote_area,
    }
}

/// The notes drawn under the plot: all of them unless they would take more
/// than [`MAX_NOTES_SHARE`] of the page, then as many as fit, in order
/// (chart_data keeps them all).
fn fitting_notes(
    notes: &[String],
    page: Rect,
    sizes: &FontSizes,
    style: &Style,
    measure: &dyn Measure,
) -> Vec<String> {
    let mut kept = notes.to_vec();
    while !kept.is_empty()
        && Footnote::new(&kept, sizes.footnote, style).height(measure, page.width)
            > page.height * MAX_NOTES_SHARE
    {
        kept.pop();
    }
    kept
}

/// The legend of groups, trimmed to the rows that fit the page height
/// (the rest summed in a last row), or `None` without grouping.
fn group_legend(
    map: &Treemap,
    t: &TreemapTexts,
    style: &Style,
    sizes: &FontSizes,
    max_height: f32,
    groups_cut: &mut usize,
) -> Option<LegendTable> {
    if map.groups.is_empty() {
        return None;
    }
    let row = |color: &str, label: &str, count: u64, share: f64| {
        LegendRow::new(color, label, vec![t.count(count), t.percent(share)])
    };
    let mut rows: Vec<LegendRow> = map
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| row(style.color(i), &g.label, g.count, g.share))
        .collect();
    let probe = LegendTable::new(vec![rows[0].clone()], sizes.legend, style);
    let fit = (max_height.max(0.0) / probe.height().max(1.0)).floor() as usize;
    if fit == 0 {
        // Not even one row fits beside the plot: the colours are still
        // explained by the notes and chart_data.
        *groups_cut = rows.len();
        return None;
    }
    if rows.len() > fit {
        let keep = fit - 1;
        let rest = &map.groups[keep..];
        let count: u64 = rest.iter().map(|g| g.count).sum();
        let share = crate::chart_data::share(count, map.whole);
        rows.truncate(keep);
        rows.push(row(
            palette::others_color(),
            &t.more_groups(rest.len()),
            count,
            share,
        ));
        *groups_cut = rest.len();
    }
    Some(LegendTable::new(rows, sizes.legend, style))
}

/// The rectangle of every cell (and of every group when grouping).
fn place(map: &Treemap, area: Rect) -> Placement {
    let mut rest = area;
    let mut cells = vec![Rect::new(area.x, area.y, 0.0, 0.0); map.cells.len()];
    if map.others_drawn && map.whole > 0 {
        let fraction = map.others_count as f32 / map.whole as f32;
        let strip = if rest.width >= rest.height {
            rest.cut_right(rest.width * fraction)
        } else {
            rest.cut_bottom(rest.height * fraction)
        };
        if let Some(last) = cells.last_mut() {
            *last = strip;
        }
    }
    let ranked = map.cells.len() - usize::from(map.others_drawn);
    let mut groups = Vec::new();
    if map.groups.is_empty() {
        let values: Vec<f64> = map.cells[..ranked].iter().map(|c| c.count as f64).collect();
        for (i, r) in squarify(&values, rest).into_iter().enumerate() {
            cells[i] = r;
        }
    } else {
        let totals: Vec<f64> = map.groups.iter().map(|g| g.count as f64).collect();
        groups = squarify(&totals, rest);
        for (g, group_rect) in map.groups.iter().zip(&groups) {
            let values: Vec<f64> = g.cells.iter().map(|&c| map.cells[c].count as f64).collect();
            for (&c, r) in g.cells.iter().zip(squarify(&values, *group_rect)) {
                cells[c] = r;
            }
        }
    }
    Placement { cells, groups }
}

/// Colour of every cell. Without grouping, ranked cells are shades of the
/// first palette colour, darker for larger counts (area and shade tell the
/// same story); with grouping, each group has its palette colour.
/// Others is always the neutral grey.
fn cell_colors(map: &Treemap, style: &Style) -> Vec<String> {
    let ranked = map.cells.iter().filter(|c| !c.is_others);
    let max = ranked.clone().map(|c| c.count).max().unwrap_or(0);
    let min = ranked.map(|c| c.count).min().unwrap_or(0);
    map.cells
        .iter()
        .map(|c| {
            if c.is_others {
                return palette::others_color().to_owned();
            }
            match c.group {
                Some(g) => style.color(g).to_owned(),
                None => {
                    let t = if max > min {
                        (max - c.count) as f32 / (max - min) as f32
                    } else {
                        0.0
                    };
                    palette::lighten(style.color(0), SHADE_RANGE * t)
                }
            }
        })
        .collect()
}

/// Label sizes: large cells get labels up to `max`, and no label is set
/// smaller than `min`.
struct LabelFonts {
    max: f32,
    min: f32,
}

impl LabelFonts {
    fn new(sizes: &FontSizes) -> LabelFonts {
        LabelFonts {
            max: sizes.label * 1.5,
            min: (sizes.label * 0.7).max(7.0),
        }
    }
}

fn fit_labels(
    map: &Treemap,
    t: &TreemapTexts,
    placement: &Placement,
    fonts: &LabelFonts,
    measure: &dyn Measure,
) -> Vec<Option<CellLabel>> {
    map.cells
        .iter()
        .zip(&placement.cells)
        .map(|(c, r)| {
            let count = t.count(c.count);
            let share = t.percent(c.share);
            let both = t.count_and_share(c.count, c.share);
            let extra = c.is_others.then(|| t.others_entries(map.others_entries));
            let texts = CellTexts {
                code: &c.label,
                count: &count,
                share: &share,
                both: &both,
                extra: extra.as_deref(),
            };
            fit_label(&texts, *r, fonts, measure)
        })
        .collect()
}

/// The lines a cell label is made of.
#[derive(Clone, Copy)]
struct CellTexts<'a> {
    code: &'a str,
    count: &'a str,
    share: &'a str,
    /// "count (share)".
    both: &'a str,
    /// A third line for Others.
    extra: Option<&'a str>,
}

/// The richest label that fits `cell`: code with "count (share)" on two
/// lines, or on three lines in a narrow cell, whichever is set larger;
/// failing both, code and count; failing that, the code alone; `None` when
/// not even the code fits at the minimum size (a cut CPC code would name
/// the wrong subgroup, so codes are never elided).
fn fit_label(
    texts: &CellTexts,
    cell: Rect,
    fonts: &LabelFonts,
    measure: &dyn Measure,
) -> Option<CellLabel> {
    let pad = (cell.width.min(cell.height) * 0.06).clamp(2.0, 6.0);
    let inner = cell.inset(pad);
    let option = |lines: &[(&str, bool)]| -> Option<CellLabel> {
        let by_height = inner.height / (lines.len() as f32 * LINE_HEIGHT);
        let mut size = ((by_height.min(fonts.max)) * 2.0).floor() / 2.0;
        for (text, bold) in lines {
            size = fit_size(measure, text, inner.width, size, fonts.min, *bold)?;
        }
        (size >= fonts.min).then(|| CellLabel {
            lines: lines.iter().map(|(s, b)| ((*s).to_owned(), *b)).collect(),
            size,
        })
    };
    let CellTexts {
        code,
        count,
        share,
        both,
        extra,
    } = *texts;
    // Others says how many subgroups it sums when there is room.
    if let Some(extra) = extra
        && let Some(label) = option(&[(code, true), (both, false), (extra, false)])
    {
        return Some(label);
    }
    let two = option(&[(code, true), (both, false)]);
    let three = option(&[(code, true), (count, false), (share, false)]);
    let full = match (two, three) {
        (Some(a), Some(b)) => Some(if b.size > a.size { b } else { a }),
        (a, b) => a.or(b),
    };
    full.or_else(|| option(&[(code, true), (count, false)]))
        .or_else(|| option(&[(code, true)]))
}

/// Draws a label centred in its cell, each line centred on its own.
fn draw_label(svg: &mut Svg, label: &CellLabel, cell: Rect, color: &str) {
    let step = label.size * LINE_HEIGHT;
    let first = cell.center_y() - step * (label.lines.len() as f32 - 1.0) / 2.0;
    for (k, (text, bold)) in label.lines.iter().enumerate() {
        svg.text(
            &Text::new(cell.center_x(), first + step * k as f32, text)
                .size(label.size)
                .weight(*bold)
                .anchor(Anchor::Middle)
                .baseline(Baseline::Central)
                .fill(color),
        );
    }
}
