//! Axes of linear and band scales: axis line, ticks, tick labels,
//! gridlines and the axis title.
//!
//! An axis is laid out before it is drawn: [`LinearAxis::thickness`] and
//! [`BandAxis::thickness`] say how much room the axis needs beside the plot
//! (measured through [`Measure`]), so a layout can cut exactly that much
//! off the page and nothing is clipped. Gridlines are drawn separately
//! ([`LinearAxis::draw_grid`]) because they belong behind the data while
//! the axis belongs in front of it.
//!
//! ```
//! use patchart_sdk::axis::{LinearAxis, Side};
//! use patchart_sdk::scale::LinearScale;
//! use patchart_sdk::svg::Svg;
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::Style;
//!
//! let style = Style::default();
//! let m = UniformMeasure::default();
//! let x = LinearScale::new((0.0, 192.0), (100.0, 700.0)).integer().nice(5);
//! let axis = LinearAxis::new(Side::Bottom, x, &style).title("Documents");
//! let mut svg = Svg::new(800, 600, &style);
//! axis.draw_grid(&mut svg, &m, 50.0, 500.0);
//! axis.draw(&mut svg, &m, 500.0);
//! assert!(axis.thickness(&m) > 0.0);
//! ```

use crate::layout::FontSizes;
use crate::scale::{BandScale, LinearScale};
use crate::svg::{Anchor, Baseline, Group, Paint, Svg, Text};
use crate::text::{elide, widest};
use crate::{Measure, Style, format, palette};

/// Which side of the plot an axis is on; labels face away from the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
    Bottom,
    Top,
}

impl Side {
    fn is_vertical(self) -> bool {
        matches!(self, Side::Left | Side::Right)
    }

    fn class(self) -> &'static str {
        match self {
            Side::Left => "axis axis-left",
            Side::Right => "axis axis-right",
            Side::Bottom => "axis axis-bottom",
            Side::Top => "axis axis-top",
        }
    }
}

/// Colours and sizes of an axis, derived from the chart [`Style`].
#[derive(Debug, Clone, PartialEq)]
pub struct AxisStyle {
    pub text: String,
    /// Axis line and tick marks: darker than the grid so the baseline of
    /// the data reads as a baseline.
    pub line: String,
    pub grid: String,
    pub tick_size: f32,
    pub title_size: f32,
    /// Length of tick marks.
    pub tick_length: f32,
    /// Space between tick marks and their labels.
    pub gap: f32,
}

impl AxisStyle {
    pub fn from_style(style: &Style) -> AxisStyle {
        let sizes = FontSizes::from_style(style);
        AxisStyle {
            text: style.text.clone(),
            line: palette::lighten(&style.text, 0.45),
            grid: style.grid.clone(),
            tick_size: sizes.tick,
            title_size: sizes.axis_title,
            tick_length: (sizes.tick * 0.4).round(),
            gap: (sizes.tick * 0.35).round(),
        }
    }

    /// Space between the tick labels and the axis title.
    fn title_gap(&self) -> f32 {
        self.tick_size * 0.7
    }
}

/// An axis of a [`LinearScale`].
pub struct LinearAxis<'a> {
    side: Side,
    scale: LinearScale,
    ticks: Option<Vec<f64>>,
    max_ticks: Option<usize>,
    /// `None` formats with the locale and as many decimals as the tick
    /// step needs.
    format: Option<Box<dyn Fn(f64) -> String + 'a>>,
    locale: format::Locale,
    title: Option<String>,
    /// Where the title is centred and fitted; `None` is the scale's range.
    title_span: Option<(f32, f32)>,
    style: AxisStyle,
    show_line: bool,
    show_ticks: bool,
}

impl<'a> LinearAxis<'a> {
    /// An axis of `scale` on `side`, with locale-formatted tick labels and
    /// as many nice ticks as fit without their labels touching.
    pub fn new(side: Side, scale: LinearScale, style: &Style) -> LinearAxis<'a> {
        LinearAxis {
            side,
            scale,
            ticks: None,
            max_ticks: None,
            format: None,
            locale: style.locale(),
            title: None,
            title_span: None,
            style: AxisStyle::from_style(style),
            show_line: true,
            show_ticks: true,
        }
    }

    /// Uses exactly these tick values.
    pub fn ticks(mut self, ticks: Vec<f64>) -> LinearAxis<'a> {
        self.ticks = Some(ticks);
        self
    }

    /// At most about `count` ticks (fewer if their labels would touch).
    pub fn max_ticks(mut self, count: usize) -> LinearAxis<'a> {
        self.max_ticks = Some(count);
        self
    }

    /// Formats tick labels with `f` (e.g. a percentage).
    pub fn format(mut self, f: impl Fn(f64) -> String + 'a) -> LinearAxis<'a> {
        self.format = Some(Box::new(f));
        self
    }

    pub fn title(mut self, title: &str) -> LinearAxis<'a> {
        self.title = Some(title.to_owned());
        self
    }

    /// Centres the title on `from..to` and elides it to that length,
    /// instead of the scale's range: for plots whose scale ends short of
    /// the plot edge (to leave room for value labels) the title can use
    /// the whole plot.
    pub fn title_span(mut self, from: f32, to: f32) -> LinearAxis<'a> {
        self.title_span = Some((from, to));
        self
    }

    /// Whether to draw the axis line (on by default).
    pub fn line(mut self, show: bool) -> LinearAxis<'a> {
        self.show_line = show;
        self
    }

    /// Whether to draw tick marks (on by default); labels stay either way.
    pub fn tick_marks(mut self, show: bool) -> LinearAxis<'a> {
        self.show_ticks = show;
        self
    }

    pub fn style(mut self, style: AxisStyle) -> LinearAxis<'a> {
        self.style = style;
        self
    }

    pub fn scale(&self) -> &LinearScale {
        &self.scale
    }

    /// The ticks drawn, with their labels: explicit ticks if given,
    /// otherwise the most ticks (up to [`LinearAxis::max_ticks`], by
    /// default one per 80 px, or 40 px on a vertical axis) whose labels do
    /// not collide.
    pub fn tick_labels(&self, measure: &dyn Measure) -> Vec<(f64, String)> {
        let label = |ticks: Vec<f64>| -> Vec<(f64, String)> {
            match &self.format {
                Some(f) => ticks.into_iter().map(|t| (t, f(t))).collect(),
                None => {
                    // The smallest distance between ticks decides the
                    // decimals, so 0, 0.5, 1 are not printed as 0, 1, 1.
                    let step = ticks
                        .windows(2)
                        .map(|w| (w[1] - w[0]).abs())
                        .fold(f64::INFINITY, f64::min);
                    let d = if step.is_finite() {
                        format::decimals_for_step(step)
                    } else {
                        0
                    };
                    ticks
                        .into_iter()
                        .map(|t| (t, format::number(t, d, self.locale)))
                        .collect()
                }
            }
        };
        if let Some(t) = &self.ticks {
            return label(t.clone());
        }
        let (r0, r1) = self.scale.range();
        let length = (r1 - r0).abs();
        let spacing = if self.side.is_vertical() { 40.0 } else { 80.0 };
        let default = ((length / spacing).floor() as usize).clamp(2, 10);
        let max = self.max_ticks.unwrap_or(default).max(1);
        let mut count = max;
        loop {
            let candidate = label(self.scale.ticks(count));
            if count <= 1 || !self.collide(measure, &candidate) {
                return candidate;
            }
            count -= 1;
        }
    }

    fn collide(&self, measure: &dyn Measure, ticks: &[(f64, String)]) -> bool {
        let size = self.style.tick_size;
        let mut placed: Vec<(f32, f32)> = ticks
            .iter()
            .map(|(v, l)| {
                let extent = if self.side.is_vertical() {
                    size
                } else {
                    measure.width(l, size, false)
                };
                (self.scale.map(*v), extent)
            })
            .collect();
        placed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let min_gap = size * 0.8;
        placed
            .windows(2)
            .any(|w| w[1].0 - w[0].0 < (w[0].1 + w[1].1) / 2.0 + min_gap)
    }

    /// Room the axis needs outside the plot, perpendicular to it: tick
    /// marks, labels and title.
    pub fn thickness(&self, measure: &dyn Measure) -> f32 {
        let labels = self.tick_labels(measure);
        let s = &self.style;
        let label_extent = if self.side.is_vertical() {
            widest(
                measure,
                labels.iter().map(|(_, l)| l.as_str()),
                s.tick_size,
                false,
            )
        } else {
            s.tick_size
        };
        let title = if self.title.is_some() {
            s.title_gap() + s.title_size
        } else {
            0.0
        };
        s.tick_length + s.gap + label_extent + title
    }

    /// Horizontal room labels need beyond the ends of a horizontal axis
    /// (half the first and last label, which are centred on their ticks):
    /// (left, right).
    pub fn overhang(&self, measure: &dyn Measure) -> (f32, f32) {
        if self.side.is_vertical() {
            return (0.0, 0.0);
        }
        let labels = self.tick_labels(measure);
        let (r0, r1) = self.scale.range();
        let (lo, hi) = (r0.min(r1), r0.max(r1));
        let mut left: f32 = 0.0;
        let mut right: f32 = 0.0;
        for (v, l) in &labels {
            let p = self.scale.map(*v);
            let half = measure.width(l, self.style.tick_size, false) / 2.0;
            left = left.max(lo - (p - half));
            right = right.max(p + half - hi);
        }
        (left, right)
    }

    /// Gridlines at the ticks, spanning `from`..`to` across the plot (y for
    /// a horizontal axis, x for a vertical one). Draw before the data.
    pub fn draw_grid(&self, svg: &mut Svg, measure: &dyn Measure, from: f32, to: f32) {
        let paint = Paint::stroke(&self.style.grid, 1.0);
        svg.open_group(&Group::new().class("grid"));
        for (v, _) in self.tick_labels(measure) {
            let p = self.scale.map(v);
            if self.side.is_vertical() {
                svg.line(from, p, to, p, &paint);
            } else {
                svg.line(p, from, p, to, &paint);
            }
        }
        svg.close_group();
    }

    /// Draws the axis with its line at `at` (y for a horizontal axis, x for
    /// a vertical one).
    pub fn draw(&self, svg: &mut Svg, measure: &dyn Measure, at: f32) {
        let s = &self.style;
        let (r0, r1) = self.scale.range();
        svg.open_group(&Group::new().class(self.side.class()));
        let line = Paint::stroke(&s.line, 1.0);
        if self.show_line {
            draw_axis_line(svg, self.side, at, r0, r1, &line);
        }
        for (v, label) in self.tick_labels(measure) {
            let p = self.scale.map(v);
            if self.show_ticks {
                draw_tick(svg, self.side, at, p, s.tick_length, &line);
            }
            svg.text(&tick_text(self.side, at, p, s, &label));
        }
        if let Some(title) = &self.title {
            let offset = self.thickness(measure);
            let span = self.title_span.unwrap_or((r0, r1));
            draw_title(svg, measure, self.side, at, offset, span, s, title);
        }
        svg.close_group();
    }
}

/// An axis of a [`BandScale`]: one label per band, centred on it.
pub struct BandAxis {
    side: Side,
    scale: BandScale,
    labels: Vec<String>,
    emphasis: Vec<bool>,
    title: Option<String>,
    style: AxisStyle,
    label_size: f32,
    max_label_width: Option<f32>,
    show_line: bool,
    show_ticks: bool,
}

impl BandAxis {
    /// An axis of `scale` on `side` with `labels[i]` at band `i`.
    pub fn new(side: Side, scale: BandScale, labels: Vec<String>, style: &Style) -> BandAxis {
        let axis_style = AxisStyle::from_style(style);
        BandAxis {
            side,
            scale,
            emphasis: vec![false; labels.len()],
            labels,
            title: None,
            label_size: axis_style.tick_size,
            style: axis_style,
            max_label_width: None,
            show_line: true,
            show_ticks: false,
        }
    }

    /// Draws label `i` in bold where `emphasis[i]` (highlighted items).
    pub fn emphasis(mut self, emphasis: Vec<bool>) -> BandAxis {
        self.emphasis = emphasis;
        self
    }

    pub fn title(mut self, title: &str) -> BandAxis {
        self.title = Some(title.to_owned());
        self
    }

    /// Font size of the band labels (default: the tick size), e.g. smaller
    /// when bands are thin.
    pub fn label_size(mut self, size: f32) -> BandAxis {
        self.label_size = size;
        self
    }

    /// Labels wider than this are elided with "…".
    pub fn max_label_width(mut self, width: f32) -> BandAxis {
        self.max_label_width = Some(width);
        self
    }

    pub fn line(mut self, show: bool) -> BandAxis {
        self.show_line = show;
        self
    }

    pub fn tick_marks(mut self, show: bool) -> BandAxis {
        self.show_ticks = show;
        self
    }

    pub fn style(mut self, style: AxisStyle) -> BandAxis {
        self.label_size = style.tick_size;
        self.style = style;
        self
    }

    fn bold(&self, i: usize) -> bool {
        self.emphasis.get(i).copied().unwrap_or(false)
    }

    /// The labels as drawn (elided where wider than the maximum).
    pub fn display_labels(&self, measure: &dyn Measure) -> Vec<String> {
        self.labels
            .iter()
            .enumerate()
            .map(|(i, l)| match self.max_label_width {
                Some(w) => elide(measure, l, w, self.label_size, self.bold(i)),
                None => l.clone(),
            })
            .collect()
    }

    /// How many labels had to be elided.
    pub fn elided_count(&self, measure: &dyn Measure) -> usize {
        self.display_labels(measure)
            .iter()
            .zip(&self.labels)
            .filter(|(shown, full)| shown != full)
            .count()
    }

    fn widest_label(&self, measure: &dyn Measure) -> f32 {
        self.display_labels(measure)
            .iter()
            .enumerate()
            .map(|(i, l)| measure.width(l, self.label_size, self.bold(i)))
            .fold(0.0, f32::max)
    }

    /// Whether labels of a horizontal axis are turned 45° because they do
    /// not fit side by side in their bands.
    fn rotated(&self, measure: &dyn Measure) -> bool {
        !self.side.is_vertical() && self.widest_label(measure) > self.scale.step() - self.style.gap
    }

    /// Room the axis needs outside the plot.
    pub fn thickness(&self, measure: &dyn Measure) -> f32 {
        let s = &self.style;
        let ticks = if self.show_ticks { s.tick_length } else { 0.0 };
        let labels = if self.side.is_vertical() {
            self.widest_label(measure)
        } else if self.rotated(measure) {
            (self.widest_label(measure) + self.label_size) * std::f32::consts::FRAC_1_SQRT_2
        } else {
            self.label_size
        };
        let title = if self.title.is_some() {
            s.title_gap() + s.title_size
        } else {
            0.0
        };
        ticks + s.gap + labels + title
    }

    /// Draws the axis with its line at `at`.
    pub fn draw(&self, svg: &mut Svg, measure: &dyn Measure, at: f32) {
        let s = &self.style;
        let range = self.scale.range();
        svg.open_group(&Group::new().class(self.side.class()));
        let line = Paint::stroke(&s.line, 1.0);
        if self.show_line {
            draw_axis_line(svg, self.side, at, range.0, range.1, &line);
        }
        let ticks = if self.show_ticks { s.tick_length } else { 0.0 };
        let rotated = self.rotated(measure);
        let label_style = AxisStyle {
            tick_size: self.label_size,
            tick_length: ticks,
            ..s.clone()
        };
        for (i, label) in self.display_labels(measure).iter().enumerate() {
            let p = self.scale.center(i);
            if self.show_ticks {
                draw_tick(svg, self.side, at, p, s.tick_length, &line);
            }
            let mut t = tick_text(self.side, at, p, &label_style, label).weight(self.bold(i));
            if rotated {
                let dir = if self.side == Side::Bottom { 1.0 } else { -1.0 };
                t = Text::new(p, at + dir * (ticks + s.gap), label)
                    .size(self.label_size)
                    .weight(self.bold(i))
                    .anchor(Anchor::End)
                    .baseline(Baseline::Central)
                    .fill(&s.text)
                    .rotate(-45.0 * dir);
            }
            svg.text(&t);
        }
        if let Some(title) = &self.title {
            let offset = self.thickness(measure);
            draw_title(svg, measure, self.side, at, offset, range, s, title);
        }
        svg.close_group();
    }
}

fn draw_axis_line(svg: &mut Svg, side: Side, at: f32, r0: f32, r1: f32, paint: &Paint) {
    if side.is_vertical() {
        svg.line(at, r0, at, r1, paint);
    } else {
        svg.line(r0, at, r1, at, paint);
    }
}

fn draw_tick(svg: &mut Svg, side: Side, at: f32, p: f32, length: f32, paint: &Paint) {
    match side {
        Side::Left => svg.line(at - length, p, at, p, paint),
        Side::Right => svg.line(at, p, at + length, p, paint),
        Side::Bottom => svg.line(p, at, p, at + length, paint),
        Side::Top => svg.line(p, at - length, p, at, paint),
    }
}

fn tick_text(side: Side, at: f32, p: f32, s: &AxisStyle, label: &str) -> Text {
    let off = s.tick_length + s.gap;
    let t = match side {
        Side::Left => Text::new(at - off, p, label)
            .anchor(Anchor::End)
            .baseline(Baseline::Central),
        Side::Right => Text::new(at + off, p, label).baseline(Baseline::Central),
        Side::Bottom => Text::new(p, at + off, label)
            .anchor(Anchor::Middle)
            .baseline(Baseline::Hanging),
        Side::Top => Text::new(p, at - off, label).anchor(Anchor::Middle),
    };
    t.size(s.tick_size).fill(&s.text)
}

/// The axis title, `offset` away from the axis line (the outer edge of the
/// axis), centred on the range and elided to its length.
#[allow(clippy::too_many_arguments)]
fn draw_title(
    svg: &mut Svg,
    measure: &dyn Measure,
    side: Side,
    at: f32,
    offset: f32,
    range: (f32, f32),
    s: &AxisStyle,
    title: &str,
) {
    let length = (range.1 - range.0).abs();
    let mid = (range.0 + range.1) / 2.0;
    let text = elide(measure, title, length, s.title_size, false);
    if text.is_empty() {
        return;
    }
    let t = match side {
        Side::Left => Text::new(at - offset, mid, &text).rotate(-90.0),
        Side::Right => Text::new(at + offset, mid, &text).rotate(90.0),
        Side::Bottom => Text::new(mid, at + offset - s.title_size, &text),
        Side::Top => Text::new(mid, at - offset, &text),
    };
    svg.text(
        &t.size(s.title_size)
            .anchor(Anchor::Middle)
            .baseline(Baseline::Hanging)
            .fill(&s.text)
            .class("axis-title"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn style() -> Style {
        Style {
            font_size: 10.0,
            ..Style::default()
        }
    }

    #[test]
    fn bottom_axis_ticks_are_nice_and_locale_formatted() {
        let x = LinearScale::new((0.0, 12000.0), (0.0, 600.0))
            .integer()
            .nice(5);
        let en = LinearAxis::new(Side::Bottom, x, &style()).max_ticks(5);
        let labels: Vec<String> = en.tick_labels(&M).into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            labels,
            ["0", "2,000", "4,000", "6,000", "8,000", "10,000", "12,000"]
        );
        let es_style = Style {
            locale: "es".into(),
            ..style()
        };
        let es = LinearAxis::new(Side::Bottom, x, &es_style).max_ticks(5);
        let labels: Vec<String> = es.tick_labels(&M).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels[1], "2000");
        assert_eq!(labels[5], "10.000");
    }

    #[test]
    fn tick_count_drops_until_labels_do_not_touch() {
        // 100 px for labels 7 chars wide (about 38 px at 9 px) cannot hold
        // ten of them.
        let x = LinearScale::new((0.0, 1_000_000.0), (0.0, 100.0));
        let axis = LinearAxis::new(Side::Bottom, x, &style()).max_ticks(10);
        let ticks = axis.tick_labels(&M);
        assert!(ticks.len() <= 3, "{ticks:?}");
        assert!(!axis.collide(&M, &ticks));
    }

    #[test]
    fn vertical_axis_thickness_covers_the_widest_label_and_title() {
        let y = LinearScale::new((0.0, 100.0), (400.0, 0.0));
        let plain = LinearAxis::new(Side::Left, y, &style()).ticks(vec![0.0, 100.0]);
        let s = AxisStyle::from_style(&style());
        let expected = s.tick_length + s.gap + M.width("100", s.tick_size, false);
        assert_eq!(plain.thickness(&M), expected);
        let titled = LinearAxis::new(Side::Left, y, &style())
            .ticks(vec![0.0, 100.0])
            .title("Count");
        assert!(titled.thickness(&M) > expected + s.title_size);
    }

    #[test]
    fn horizontal_axis_reports_label_overhang() {
        let x = LinearScale::new((0.0, 200.0), (0.0, 400.0));
        let axis = LinearAxis::new(Side::Bottom, x, &style()).ticks(vec![0.0, 200.0]);
        let half = M.width("200", 9.0, false) / 2.0;
        let (l, r) = axis.overhang(&M);
        assert!((l - M.width("0", 9.0, false) / 2.0).abs() < 1e-3);
        assert!((r - half).abs() < 1e-3);
    }

    #[test]
    fn draws_grid_ticks_labels_and_rotated_title() {
        let mut svg = Svg::new(500, 500, &style());
        let y = LinearScale::new((0.0, 10.0), (400.0, 0.0));
        let axis = LinearAxis::new(Side::Left, y, &style())
            .ticks(vec![0.0, 5.0, 10.0])
            .title("Docs <n>");
        axis.draw_grid(&mut svg, &M, 100.0, 450.0);
        axis.draw(&mut svg, &M, 100.0);
        let doc = svg.finish();
        assert_eq!(
            doc.matches("<line x1=\"100\" y1=\"200\" x2=\"450\"")
                .count(),
            1
        );
        assert!(doc.contains(">5</text>"));
        assert!(doc.contains("rotate(-90"));
        assert!(doc.contains("Docs &lt;n&gt;"));
    }

    #[test]
    fn title_is_fitted_to_its_span() {
        let x = LinearScale::new((0.0, 10.0), (0.0, 60.0));
        let title = "Published patent documents";
        let draw = |axis: LinearAxis| {
            let mut svg = Svg::new(400, 100, &style());
            axis.draw(&mut svg, &M, 50.0);
            svg.finish()
        };
        let short = draw(LinearAxis::new(Side::Bottom, x, &style()).title(title));
        assert!(short.contains(">Published…</text>"), "{short}");
        let wide = draw(
            LinearAxis::new(Side::Bottom, x, &style())
                .title(title)
                .title_span(0.0, 400.0),
        );
        assert!(wide.contains("x=\"200\""), "{wide}");
        assert!(
            wide.contains(">Published patent documents</text>"),
            "{wide}"
        );
    }

    #[test]
    fn band_axis_elides_long_labels_and_bolds_emphasis() {
        let band = BandScale::new(2, (0.0, 100.0));
        let axis = BandAxis::new(
            Side::Left,
            band,
            vec!["CN".into(), "A VERY LONG APPLICANT NAME".into()],
            &style(),
        )
        .emphasis(vec![true, false])
        .max_label_width(60.0);
        assert_eq!(axis.elided_count(&M), 1);
        let labels = axis.display_labels(&M);
        assert!(labels[1].ends_with('…'));
        assert!(M.width(&labels[1], 9.0, false) <= 60.0);
        assert!(axis.thickness(&M) <= 60.0 + 10.0);
        let mut svg = Svg::new(300, 300, &style());
        axis.draw(&mut svg, &M, 80.0);
        let doc = svg.finish();
        assert!(doc.contains("font-weight=\"bold\" text-anchor=\"end\" dominant-baseline=\"central\" fill=\"#1f2933\">CN</text>"), "{doc}");
    }

    #[test]
    fn crowded_bottom_band_labels_turn() {
        let band = BandScale::new(10, (0.0, 100.0));
        let labels: Vec<String> = (2010..2020).map(|y| y.to_string()).collect();
        let axis = BandAxis::new(Side::Bottom, band, labels, &style());
        assert!(axis.rotated(&M));
        let mut svg = Svg::new(300, 300, &style());
        axis.draw(&mut svg, &M, 200.0);
        assert!(svg.finish().contains("rotate(-45"));
        let roomy = BandAxis::new(
            Side::Bottom,
            BandScale::new(2, (0.0, 300.0)),
            vec!["a".into(), "b".into()],
            &style(),
        );
        assert!(!roomy.rotated(&M));
    }
}
