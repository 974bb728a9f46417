//! Ranked horizontal bars: the top entries of a facet, largest at the top,
//! followed by one neutral "Others" bar that sums the rest, each bar ending
//! in its value label ("7 (2.23%)").
//!
//! Two halves, used together by the ranking charts (applicants, inventors,
//! classification groups):
//!
//! - [`Ranking`] computes the figures once (bars, shares of the facet
//!   total, ranks, what Others holds) and writes them into `chart_data`
//!   ([`Ranking::series`], [`Ranking::write_totals`]);
//! - [`RankedBars`] draws them. Category labels are wrapped onto up to
//!   [`RankedBars::max_label_lines`] lines in a label column of at most
//!   [`MAX_LABEL_SHARE`] of the width and shrink a little before anything
//!   is elided, so long organisation names stay readable; value labels are
//!   fitted so that none leaves the plot.
//!
//! ```
//! use patchart_sdk::ranked_bars::{RankedBars, Ranking};
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::{Entry, Style};
//!
//! let ranked = vec![
//!     Entry { label: "UNIV ZHEJIANG".into(), count: 7 },
//!     Entry { label: "UNIV YUNNAN".into(), count: 3 },
//!     Entry { label: "ESSENLIX CORP".into(), count: 2 },
//! ];
//! let r = Ranking::top(&ranked, 2, "Others");
//! assert_eq!(r.others_count, 2);
//! let labels = r.bars.iter().map(|b| b.label.clone()).collect();
//! let values = r.bars.iter().map(|b| b.count.to_string()).collect();
//! let chart = RankedBars::new("Top applicants", &r, labels, values);
//! let drawn = chart.draw(&Style::default(), &UniformMeasure::default());
//! assert!(drawn.svg.contains(">UNIV ZHEJIANG</text>"));
//! ```

use crate::axis::{LinearAxis, Side};
use crate::chart_data::{self, Series, Totals};
use crate::footnote::Footnote;
use crate::layout::{FontSizes, Heading, Rect, page_margin};
use crate::measure_cache::MeasureCache;
use crate::scale::{BandScale, LinearScale};
use crate::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use crate::text::{LINE_HEIGHT, wrap, wrap_lines};
use crate::{Entry, Measure, Style, palette};

/// Below this size labels stop being legible; bars stay labelled at it
/// and [`DrawnBars::crowded`] tells the plugin to warn.
pub const MIN_LABEL_SIZE: f32 = 6.0;

/// Category labels never take more than this share of the width, so a
/// long name cannot squeeze the bars away (it wraps, then is elided).
pub const MAX_LABEL_SHARE: f32 = 0.3;

/// Bars get at least this share of the plot width even when value labels
/// are long; value labels shrink before the bars do.
const MIN_BAR_SHARE: f32 = 0.4;

/// An Others bar longer than this many times the longest ranked bar is
/// cut short (drawn to the end of the axis with a break mark), so a long
/// tail does not squash the ranking the chart is about.
pub const OTHERS_CAP_RATIO: f64 = 1.5;

/// Footnotes may take at most this share of the page below the heading;
/// notes beyond it are left out, last first.
pub const MAX_NOTES_SHARE: f32 = 0.3;

/// Category labels may shrink to this fraction of the label size to fit
/// on their lines before they are elided: a slightly smaller full name
/// reads better than a cut one, a much smaller one does not.
const MIN_LABEL_SHRINK: f32 = 0.8;

/// What a bar stands for, which decides its colour and its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    Ranked,
    Highlighted,
    Others,
}

impl BarKind {
    /// The `flags` entry of chart_data.
    pub fn flag(self) -> &'static str {
        match self {
            BarKind::Ranked => "",
            BarKind::Highlighted => "highlight",
            BarKind::Others => "others",
        }
    }
}

/// One bar, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedBar {
    /// The label as the facet has it (or the Others label).
    pub label: String,
    pub count: u64,
    /// Percent of the facet total, two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
    pub kind: BarKind,
}

/// The figures of a top-N chart: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub bars: Vec<RankedBar>,
    /// Sum of all counts of the facet.
    pub total: u64,
    /// Number of entries in the facet.
    pub entries: usize,
    /// Number of entries with their own bar.
    pub shown: usize,
    pub top_n: usize,
    pub others_count: u64,
    pub others_entries: usize,
}

impl Ranking {
    /// The first `top_n` of `ranked` (already in rank order, see
    /// [`crate::Facet::ranked`]) as bars, plus an Others bar labelled
    /// `others_label` when the rest holds anything.
    pub fn top(ranked: &[Entry], top_n: usize, others_label: &str) -> Ranking {
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        let shown = ranked.len().min(top_n);
        let mut bars: Vec<RankedBar> = ranked[..shown]
            .iter()
            .enumerate()
            .map(|(i, e)| RankedBar {
                label: e.label.clone(),
                count: e.count,
                share: chart_data::share(e.count, total),
                rank: Some(i as u64 + 1),
                kind: BarKind::Ranked,
            })
            .collect();
        let rest = &ranked[shown..];
        let others_count: u64 = rest.iter().map(|e| e.count).sum();
        // A zero-length Others bar would claim a category that holds
        // nothing; leave it out.
        if others_count > 0 {
            bars.push(RankedBar {
                label: others_label.to_owned(),
                count: others_count,
                share: chart_data::share(others_count, total),
                rank: None,
                kind: BarKind::Others,
            });
        }
        Ranking {
            bars,
            total,
            entries: ranked.len(),
            shown,
            top_n,
            others_count,
            others_entries: rest.len(),
        }
    }

    /// Sum of the counts drawn as their own bar.
    pub fn top_count(&self) -> u64 {
        self.bars
            .iter()
            .filter(|b| b.kind != BarKind::Others)
            .map(|b| b.count)
            .sum()
    }

    /// Whether the Others bar is drawn cut short (see [`OTHERS_CAP_RATIO`]);
    /// a plugin says so in a note.
    pub fn others_capped(&self) -> bool {
        let longest = self
            .bars
            .iter()
            .filter(|b| b.kind != BarKind::Others)
            .map(|b| b.count)
            .max()
            .unwrap_or(0);
        longest > 0 && self.others_count as f64 > longest as f64 * OTHERS_CAP_RATIO
    }

    /// The bars as one chart_data series named `name`: labels as the facet
    /// has them, counts, shares, ranks and flags.
    pub fn series(&self, name: &str) -> Series {
        Series {
            name: name.to_owned(),
            kind: Some("observed".to_owned()),
            labels: self.bars.iter().map(|b| b.label.clone()).collect(),
            values: self.bars.iter().map(|b| Some(b.count as f64)).collect(),
            shares: Some(self.bars.iter().map(|b| Some(b.share)).collect()),
            ranks: Some(self.bars.iter().map(|b| b.rank).collect()),
            flags: Some(self.bars.iter().map(|b| b.kind.flag().to_owned()).collect()),
        }
    }

    /// The figures every ranking reports: `total`, `entries`, `top_n`,
    /// `shown_count`, `others_count`, `others_entries`, `others_share`,
    /// `top_share` (shares in percent of `total`).
    pub fn write_totals(&self, totals: &mut Totals) {
        totals
            .set("total", self.total)
            .set("entries", self.entries)
            .set("top_n", self.top_n)
            .set("shown_count", self.shown)
            .set("others_count", self.others_count)
            .set("others_entries", self.others_entries)
            .set(
                "others_share",
                chart_data::share(self.others_count, self.total),
            )
            .set("top_share", chart_data::share(self.top_count(), self.total));
    }
}

/// A ranked-bars picture: everything it shows, in the chart's words.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedBars {
    pub title: String,
    pub subtitle: Option<String>,
    pub x_title: String,
    pub y_title: Option<String>,
    /// Category labels as displayed, one per bar.
    pub labels: Vec<String>,
    /// Value labels drawn after each bar ("7 (2.23%)").
    pub value_labels: Vec<String>,
    pub counts: Vec<u64>,
    pub kinds: Vec<BarKind>,
    pub notes: Vec<String>,
    /// Lines a category label may wrap onto before the rest is elided.
    pub max_label_lines: usize,
    /// Draw the Others bar cut short ([`Ranking::others_capped`]).
    pub cap_others: bool,
}

/// The drawn chart and what the plugin should warn about.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnBars {
    pub svg: String,
    /// Category labels that had to be cut with "…".
    pub elided: usize,
    /// Bars too thin for labels of [`MIN_LABEL_SIZE`].
    pub crowded: bool,
    /// Notes left out of the footnote for lack of room (the last ones).
    pub dropped_notes: usize,
}

/// Category labels laid out in their column.
struct LabelColumn {
    lines: Vec<Vec<String>>,
    size: f32,
    width: f32,
    elided: usize,
}

impl RankedBars {
    /// The bars of `ranking` titled `title`, with `labels` and
    /// `value_labels` (one per bar) as the plugin words them.
    pub fn new(
        title: &str,
        ranking: &Ranking,
        labels: Vec<String>,
        value_labels: Vec<String>,
    ) -> RankedBars {
        RankedBars {
            title: title.to_owned(),
            subtitle: None,
            x_title: String::new(),
            y_title: None,
            labels,
            value_labels,
            counts: ranking.bars.iter().map(|b| b.count).collect(),
            kinds: ranking.bars.iter().map(|b| b.kind).collect(),
            notes: Vec::new(),
            max_label_lines: 1,
            cap_others: ranking.others_capped(),
        }
    }

    pub fn subtitle(mut self, subtitle: &str) -> RankedBars {
        self.subtitle = Some(subtitle.to_owned());
        self
    }

    pub fn x_title(mut self, title: &str) -> RankedBars {
        self.x_title = title.to_owned();
        self
    }

    pub fn y_title(mut self, title: &str) -> RankedBars {
        self.y_title = Some(title.to_owned());
        self
    }

    pub fn notes(mut self, notes: &[String]) -> RankedBars {
        self.notes = notes.to_vec();
        self
    }

    pub fn max_label_lines(mut self, lines: usize) -> RankedBars {
        self.max_label_lines = lines.max(1);
        self
    }

    fn len(&self) -> usize {
        self.counts
            .len()
            .min(self.labels.len())
            .min(self.value_labels.len())
            .min(self.kinds.len())
    }

    fn bold(&self, i: usize) -> bool {
        self.kinds.get(i) == Some(&BarKind::Highlighted)
    }

    /// Lays the page out top-down, measuring before drawing: heading and
    /// footnotes are cut off the page, then the x axis, the y title and a
    /// label column as wide as the widest wrapped label needs; the bars get
    /// the rest, squeezed just enough that every value label fits.
    pub fn draw(&self, style: &Style, measure: &dyn Measure) -> DrawnBars {
        let cache = MeasureCache::new(measure);
        let measure: &dyn Measure = &cache;
        let n = self.len();
        let sizes = FontSizes::from_style(style);
        let mut svg = Svg::new(style.width, style.height, style);
        svg.set_title(&self.title);
        let mut description: Vec<String> = self.subtitle.iter().cloned().collect();
        description.extend(self.notes.iter().cloned());
        svg.set_description(&description.join(". "));

        let mut page = Rect::page(style).inset(page_margin(style));
        let mut heading = Heading::new(&self.title);
        if let Some(s) = &self.subtitle {
            heading = heading.subtitle(s);
        }
        let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
        let (footnote, shown_notes) = footnote_within(
            &self.notes,
            sizes.footnote,
            style,
            measure,
            page.width,
            page.height * MAX_NOTES_SHARE,
        );
        let footnote_area = page.cut_bottom(footnote.height(measure, page.width));

        // A bottom axis is one line of tick labels plus its title whatever
        // the ticks, so its thickness is known before the x scale is.
        let probe = LinearAxis::new(
            Side::Bottom,
            LinearScale::new((0.0, 1.0), (0.0, 1.0)),
            style,
        )
        .title(&self.x_title);
        page.cut_bottom(probe.thickness(measure));

        let title_size = sizes.axis_title;
        let y_title_area = match &self.y_title {
            Some(_) => page.cut_left(title_size * 1.6),
            None => Rect::new(page.x, page.y, 0.0, page.height),
        };

        let bands = BandScale::new(n.max(1), (page.y, page.bottom()))
            .padding_inner(0.25)
            .padding_outer(0.15);
        let fitted = ((bands.step() * 0.8) * 2.0).floor() / 2.0;
        let crowded = fitted < MIN_LABEL_SIZE;
        let label_size = sizes.label.min(fitted).max(MIN_LABEL_SIZE);

        let gap = (sizes.tick * 0.6).round();
        let column = self.label_column(
            measure,
            (page.width * MAX_LABEL_SHARE - gap).max(0.0),
            bands.step(),
            label_size,
        );
        page.cut_left(column.width + gap);
        let plot = page;

        // The x domain is made nice above the largest bar, with about one
        // tick per 90 px.
        let max_count = (0..n)
            .filter(|&i| !(self.cap_others && self.kinds[i] == BarKind::Others))
            .map(|i| self.counts[i])
            .max()
            .unwrap_or(0);
        let tick_count = ((plot.width / 90.0).floor() as usize).clamp(2, 10);
        let x = LinearScale::new((0.0, max_count as f64), (plot.x, plot.right()))
            .integer()
            .nice(tick_count);
        let domain_max = x.domain().1;
        let tick_overhang = LinearAxis::new(Side::Bottom, x, style)
            .max_ticks(tick_count)
            .overhang(measure)
            .1;
        let drawn_counts: Vec<f64> = (0..n)
            .map(|i| (self.counts[i] as f64).min(self.drawn_max(i, domain_max)))
            .collect();
        let (value_size, mut bar_width) = self.fit_value_labels(
            &drawn_counts,
            plot.width - tick_overhang,
            plot.width,
            domain_max,
            label_size,
            measure,
        );
        // The ticks chosen for the final width may differ from the ones the
        // overhang was measured with; pull the range in until the last tick
        // label ends inside the plot too.
        let mut x = x.with_range((plot.x, plot.x + bar_width));
        for _ in 0..3 {
            let overhang = LinearAxis::new(Side::Bottom, x, style)
                .max_ticks(tick_count)
                .overhang(measure)
                .1;
            let excess = plot.x + bar_width + overhang - plot.right();
            if excess <= 0.0 {
                break;
            }
            bar_width = (bar_width - excess).max(0.0);
            x = x.with_range((plot.x, plot.x + bar_width));
        }
        let x_axis = LinearAxis::new(Side::Bottom, x, style)
            .max_ticks(tick_count)
            .title(&self.x_title)
            .title_span(plot.x, plot.right());

        heading.draw(&mut svg, measure, heading_area, &sizes, style);
        x_axis.draw_grid(&mut svg, measure, plot.y, plot.bottom());

        let accent = palette::highlight(&style.palette);
        svg.open_group(&Group::new().class("bars"));
        for (i, &drawn) in drawn_counts.iter().enumerate() {
            let color = match self.kinds[i] {
                BarKind::Ranked => style.color(0),
                BarKind::Highlighted => accent,
                BarKind::Others => palette::others_color(),
            };
            let tooltip = format!("{}: {}", self.labels[i], self.value_labels[i]);
            svg.open_group(&Group::new().class("bar").title(&tooltip));
            let end = x.map(drawn);
            svg.rect(
                plot.x,
                bands.position(i),
                end - plot.x,
                bands.bandwidth(),
                &Paint::fill(color),
            );
            if (drawn as u64) < self.counts[i] {
                draw_break(&mut svg, end, bands.position(i), bands.bandwidth(), style);
            }
            svg.close_group();
        }
        svg.close_group();

        svg.open_group(&Group::new().class("value-labels"));
        let value_gap = value_gap(value_size);
        for (i, &drawn) in drawn_counts.iter().enumerate() {
            svg.text(
                &Text::new(
                    x.map(drawn) + value_gap,
                    bands.center(i),
                    &self.value_labels[i],
                )
                .size(value_size)
                .weight(self.bold(i))
                .anchor(Anchor::Start)
                .baseline(Baseline::Central),
            );
        }
        svg.close_group();

        self.draw_labels(&mut svg, &column, &bands, plot.x - gap, style);
        let axis_line = palette::lighten(&style.text, 0.45);
        svg.line(
            plot.x,
            plot.y,
            plot.x,
            plot.bottom(),
            &Paint::stroke(&axis_line, 1.0),
        );
        x_axis.draw(&mut svg, measure, plot.bottom());
        if let Some(title) = &self.y_title {
            let text = crate::text::elide(measure, title, y_title_area.height, title_size, false);
            if !text.is_empty() {
                svg.text(
                    &Text::new(y_title_area.x, y_title_area.center_y(), &text)
                        .size(title_size)
                        .anchor(Anchor::Middle)
                        .baseline(Baseline::Hanging)
                        .rotate(-90.0)
                        .class("axis-title"),
                );
            }
        }
        footnote.draw(&mut svg, measure, footnote_area);

        DrawnBars {
            svg: svg.finish(),
            elided: column.elided,
            crowded,
            dropped_notes: self.notes.len() - shown_notes,
        }
    }

    /// The largest value bar `i` is drawn to: the end of the axis for a
    /// capped Others bar, unlimited otherwise.
    fn drawn_max(&self, i: usize, domain_max: f64) -> f64 {
        if self.cap_others && self.kinds[i] == BarKind::Others {
            domain_max
        } else {
            f64::INFINITY
        }
    }

    /// Wraps every label into at most `max_label_lines` lines of
    /// `max_width`, as many as a band `step` holds. Labels start at `size`
    /// and shrink (all together, so they stay alike) down to
    /// [`MIN_LABEL_SHRINK`] of it when that gives a label that would
    /// otherwise be cut the extra line it needs.
    fn label_column(
        &self,
        measure: &dyn Measure,
        max_width: f32,
        step: f32,
        size: f32,
    ) -> LabelColumn {
        let lines_at = |s: f32| -> usize {
            ((step / (s * LINE_HEIGHT)).floor() as usize).clamp(1, self.max_label_lines)
        };
        let min_size = (size * MIN_LABEL_SHRINK).max(MIN_LABEL_SIZE).min(size);
        // Only labels that do not fit on one line at full width need
        // wrapping; measuring them once keeps host calls few.
        let long: Vec<usize> = (0..self.len())
            .filter(|&i| measure.width(&self.labels[i], size, self.bold(i)) > max_width)
            .collect();
        // Sizes worth trying, largest first: the full size, then the
        // largest size at which each further line fits in a band, then the
        // smallest allowed. In between, a size only shrinks the text
        // without giving it another line.
        let mut candidates = vec![size];
        for lines in lines_at(size) + 1..=self.max_label_lines {
            let s = ((step / (lines as f32 * LINE_HEIGHT)) * 2.0).floor() / 2.0;
            if s > min_size && s < size {
                candidates.push(s);
            }
        }
        candidates.push(min_size);
        let s = candidates
            .iter()
            .copied()
            .find(|&s| {
                long.iter().all(|&i| {
                    wrap(measure, &self.labels[i], max_width, s, self.bold(i)).len() <= lines_at(s)
                })
            })
            .unwrap_or(min_size);
        let max_lines = lines_at(s);
        let mut elided = 0;
        let lines: Vec<Vec<String>> = (0..self.len())
            .map(|i| {
                let label = &self.labels[i];
                let bold = self.bold(i);
                let full = wrap(measure, label, max_width, s, bold);
                if full.len() <= max_lines {
                    return full;
                }
                elided += 1;
                wrap_lines(measure, label, max_width, s, bold, max_lines)
            })
            .collect();
        let width = (0..lines.len())
            .flat_map(|i| lines[i].iter().map(move |l| (i, l)))
            .map(|(i, l)| measure.width(l, s, self.bold(i)))
            .fold(0.0, f32::max);
        LabelColumn {
            lines,
            size: s,
            width: width.min(max_width),
            elided,
        }
    }

    /// Category labels right-aligned at `right`, their lines centred on
    /// their band.
    fn draw_labels(
        &self,
        svg: &mut Svg,
        column: &LabelColumn,
        bands: &BandScale,
        right: f32,
        style: &Style,
    ) {
        svg.open_group(&Group::new().class("axis axis-left"));
        let line_height = column.size * LINE_HEIGHT;
        for (i, lines) in column.lines.iter().enumerate() {
            let first = bands.center(i) - (lines.len() as f32 - 1.0) * line_height / 2.0;
            for (k, line) in lines.iter().enumerate() {
                svg.text(
                    &Text::new(right, first + k as f32 * line_height, line)
                        .size(column.size)
                        .weight(self.bold(i))
                        .anchor(Anchor::End)
                        .baseline(Baseline::Central)
                        .fill(&style.text),
                );
            }
        }
        svg.close_group();
    }

    /// The value label size and the pixel width of the x range
    /// (`domain_max` maps to `plot.x + width`) such that every value label
    /// ends inside the plot: for a bar of `count`, `count / domain_max ×
    /// width + gap + label width <= plot_width`. Labels start at `size` and
    /// shrink (down to [`MIN_LABEL_SIZE`]) only if the bars would otherwise
    /// get less than [`MIN_BAR_SHARE`] of the plot.
    fn fit_value_labels(
        &self,
        counts: &[f64],
        max_width: f32,
        plot_width: f32,
        domain_max: f64,
        size: f32,
        measure: &dyn Measure,
    ) -> (f32, f32) {
        let width_at = |size: f32| {
            let gap = value_gap(size);
            let mut width = max_width.max(0.0);
            for (i, &count) in counts.iter().enumerate().take(self.len()) {
                if count <= 0.0 || domain_max <= 0.0 {
                    continue;
                }
                let label = measure.width(&self.value_labels[i], size, self.bold(i));
                let room = plot_width - gap - label;
                let fraction = (count / domain_max) as f32;
                width = width.min(room / fraction);
            }
            width.max(0.0)
        };
        let mut s = size;
        loop {
            let width = width_at(s);
            if width >= plot_width * MIN_BAR_SHARE || s <= MIN_LABEL_SIZE {
                return (s, width);
            }
            s = (s - 0.5).max(MIN_LABEL_SIZE);
        }
    }
}

/// The footnote of the first of `notes` that together fit in
/// `max_height` at `width`, and how many notes that is: on a small page the
/// data matter more than the notes, which chart_data keeps in full anyway.
/// Order notes most important first.
pub fn footnote_within(
    notes: &[String],
    size: f32,
    style: &Style,
    measure: &dyn Measure,
    width: f32,
    max_height: f32,
) -> (Footnote, usize) {
    let mut count = notes.len();
    loop {
        let footnote = Footnote::new(&notes[..count], size, style);
        if count == 0 || footnote.height(measure, width) <= max_height {
            return (footnote, count);
        }
        count -= 1;
    }
}

/// The break mark of a bar cut short: a slanted gap in the page colour a
/// little before the bar's `end`, across its whole thickness.
fn draw_break(svg: &mut Svg, end: f32, top: f32, thickness: f32, style: &Style) {
    let gap = (thickness * 0.2).clamp(2.0, 6.0);
    let slant = thickness * 0.3;
    let x = end - gap * 3.0 - slant;
    svg.polygon(
        &[
            (x, top + thickness),
            (x + gap, top + thickness),
            (x + gap + slant, top),
            (x + slant, top),
        ],
        &Paint::fill(&style.background).class("break"),
    );
}

/// Space between a bar's end and its value label.
fn value_gap(size: f32) -> f32 {
    (size * 0.5).round()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn entries(rows: &[(&str, u64)]) -> Vec<Entry> {
        rows.iter()
            .map(|(l, c)| Entry {
                label: (*l).to_owned(),
                count: *c,
            })
            .collect()
    }

    #[test]
    fn ranking_takes_the_top_and_sums_the_rest() {
        let r = Ranking::top(
            &entries(&[("A", 5), ("B", 3), ("C", 1), ("D", 1)]),
            2,
            "Rest",
        );
        assert_eq!(r.total, 10);
        assert_eq!(r.shown, 2);
        assert_eq!(r.others_count, 2);
        assert_eq!(r.others_entries, 2);
        assert_eq!(r.top_count(), 8);
        let labels: Vec<&str> = r.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["A", "B", "Rest"]);
        assert_eq!(r.bars[0].share, 50.0);
        assert_eq!(r.bars[2].rank, None);
        let s = r.series("Documents");
        assert_eq!(s.flags, Some(vec!["".into(), "".into(), "others".into()]));
        let mut t = Totals::new();
        r.write_totals(&mut t);
        assert_eq!(
            t.get("others_share"),
            Some(&chart_data::Scalar::Number(20.0))
        );
        assert_eq!(t.get("top_share"), Some(&chart_data::Scalar::Number(80.0)));
    }

    #[test]
    fn ranking_without_rest_has_no_others_bar() {
        let r = Ranking::top(&entries(&[("A", 5)]), 15, "Others");
        assert_eq!(r.bars.len(), 1);
        assert_eq!(r.others_count, 0);
        let empty = Ranking::top(&[], 15, "Others");
        assert!(empty.bars.is_empty());
        assert_eq!(empty.total, 0);
    }

    fn chart(labels: &[&str]) -> RankedBars {
        let rows: Vec<(&str, u64)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (*l, 20 - i as u64))
            .collect();
        let r = Ranking::top(&entries(&rows), 100, "Others");
        let values = r.bars.iter().map(|b| b.count.to_string()).collect();
        RankedBars::new(
            "T",
            &r,
            labels.iter().map(|l| (*l).to_owned()).collect(),
            values,
        )
        .x_title("Documents")
        .y_title("Applicants")
    }

    #[test]
    fn long_labels_wrap_within_the_column_before_eliding() {
        let long = "AGRO ENVIRONMENTAL PROT INSTITUTE MINISTRY OF AGRICULTURE AND RURAL AFFAIRS";
        let c = chart(&[long, "B"]).max_label_lines(3);
        let style = Style::default();
        let col = c.label_column(&M, 200.0, 100.0, 11.7);
        assert!(
            col.lines[0].len() > 1 && col.lines[0].len() <= 3,
            "{:?}",
            col.lines
        );
        for l in &col.lines[0] {
            assert!(M.width(l, col.size, false) <= 200.0, "{l}");
        }
        // One line per band when bands are thin: the label is elided.
        let thin = c.label_column(&M, 200.0, 12.0, 9.0);
        assert_eq!(thin.lines[0].len(), 1);
        assert!(thin.lines[0][0].ends_with('…'));
        assert_eq!(thin.elided, 1);
        let drawn = c.draw(&style, &M);
        assert!(!drawn.crowded);
        assert!(drawn.svg.contains(">B</text>"));
    }

    #[test]
    fn a_dominant_others_bar_is_cut_short_with_a_break() {
        let rows = [("A", 10), ("B", 5), ("C", 4), ("D", 4), ("E", 4), ("F", 4)];
        let r = Ranking::top(&entries(&rows), 2, "Others");
        assert_eq!(r.others_count, 16);
        assert!(r.others_capped(), "16 > 1.5 × 10");
        assert!(!Ranking::top(&entries(&rows), 3, "Others").others_capped());
        let values = r.bars.iter().map(|b| b.count.to_string()).collect();
        let labels = r.bars.iter().map(|b| b.label.clone()).collect();
        let drawn = RankedBars::new("T", &r, labels, values).draw(&Style::default(), &M);
        assert_eq!(drawn.svg.matches("class=\"break\"").count(), 1);
        // The capped bar ends where the axis does (the nice maximum, 10),
        // not at 16.
        let rects = crate::page_check::rects(&drawn.svg);
        let widths: Vec<f32> = rects.iter().map(|r| r.2).collect();
        assert!((widths[0] - widths[2]).abs() < 0.01, "{widths:?}");
    }

    #[test]
    fn drawing_is_deterministic_and_survives_no_bars() {
        let c = chart(&["A & <b>", "B"]);
        let style = Style::default();
        assert_eq!(c.draw(&style, &M), c.draw(&style, &M));
        assert!(c.draw(&style, &M).svg.contains("A &amp; &lt;b&gt;"));
        let none = chart(&[]);
        assert!(none.draw(&style, &M).svg.ends_with("</svg>\n"));
    }
}
