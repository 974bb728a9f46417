//! Yearly series: from a facet of year labels to a dense run of years, and
//! the drawing every time chart shares (year axis, lines, markers, areas,
//! bands and the "incomplete years" shading).
//!
//! Patent documents are published about 18 months after filing, so the
//! last years of any export are still filling up. The charts built on
//! [`YearSpan`] show those years but mark them ([`YearSpan::incomplete`]):
//! drawn dashed and hollow over a shaded band, flagged `incomplete` in
//! `chart_data`, and left out of growth rates and model fitting.
//!
//! ```
//! use patchart_sdk::series::{YearWindow, YearlyCounts};
//! use patchart_sdk::{Entry, Facet};
//!
//! let facet = Facet {
//!     name: "publication_years".into(),
//!     entries: vec![
//!         Entry { label: "2021".into(), count: 4 },
//!         Entry { label: "2019".into(), count: 2 },
//!         Entry { label: "n/a".into(), count: 9 },
//!     ],
//! };
//! let counts = YearlyCounts::from_facet(&facet);
//! assert_eq!(counts.ignored, ["n/a"]);
//! let span = YearWindow { first_year: None, last_year: None, lag_years: 1 }
//!     .select(&counts, "publication_years")
//!     .unwrap();
//! assert_eq!(span.counts, [2, 0, 4]); // 2020 had no documents
//! assert_eq!(span.first_incomplete(), Some(2021));
//! ```

use crate::axis::{AxisStyle, LinearAxis, Side};
use crate::footnote::Footnote;
use crate::format::{self, Locale, plural};
use crate::layout::{FontSizes, Heading, Rect, page_margin};
use crate::legend::{Legend, LegendItem};
use crate::scale::LinearScale;
use crate::svg::{Anchor, Baseline, Group, Paint, PathData, Svg, Text};
use crate::text::elide;
use crate::{Facet, Measure, RenderError, Style, palette};

/// Labels are years only in this range; anything else ("n/a", "0", a
/// date) is not a year of publication and is ignored with a warning.
pub const YEAR_MIN: i32 = 1000;
pub const YEAR_MAX: i32 = 9999;

/// Without `first_year`, a chart covers at most this many years up to its
/// last year, starting at the first of them with documents. The replaced
/// system did the same ("the last 20 years": 2006–2025 for an export made
/// in 2025), which keeps a handful of isolated early documents (1973,
/// 1989 …) from squeezing two decades of growth into a corner.
pub const DEFAULT_WINDOW_YEARS: i32 = 20;

/// The default number of trailing years marked incomplete: publication
/// lags filing by about 18 months, so the last two years of an export are
/// still filling up.
pub const DEFAULT_LAG_YEARS: u32 = 2;
pub const MAX_LAG_YEARS: u32 = 5;

/// Yearly counts read from a facet whose labels are years.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct YearlyCounts {
    /// (year, documents), ascending, each year once (repeated labels such
    /// as "2019" and " 2019" are summed).
    pub years: Vec<(i32, u64)>,
    /// Labels that are not years, in source order.
    pub ignored: Vec<String>,
    /// Documents under those labels.
    pub ignored_documents: u64,
}

impl YearlyCounts {
    pub fn from_facet(facet: &Facet) -> YearlyCounts {
        let mut out = YearlyCounts::default();
        let mut years: Vec<(i32, u64)> = Vec::with_capacity(facet.entries.len());
        for e in &facet.entries {
            match parse_year(&e.label) {
                Some(y) => years.push((y, e.count)),
                None => {
                    out.ignored.push(e.label.clone());
                    out.ignored_documents = out.ignored_documents.saturating_add(e.count);
                }
            }
        }
        years.sort_by_key(|(y, _)| *y);
        for (y, c) in years {
            match out.years.last_mut() {
                Some((last, total)) if *last == y => *total = total.saturating_add(c),
                _ => out.years.push((y, c)),
            }
        }
        out
    }

    /// First and last year with at least one document.
    pub fn bounds(&self) -> Option<(i32, i32)> {
        let mut with_docs = self.years.iter().filter(|(_, c)| *c > 0).map(|(y, _)| *y);
        let first = with_docs.next()?;
        let last = with_docs.next_back().unwrap_or(first);
        Some((first, last))
    }

    /// Documents in years `from..=to`.
    pub fn documents_between(&self, from: i32, to: i32) -> u64 {
        self.years
            .iter()
            .filter(|(y, _)| (from..=to).contains(y))
            .map(|(_, c)| *c)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.years.iter().map(|(_, c)| *c).sum()
    }
}

/// A year label: optional spaces around four digits (or fewer, for very
/// old years), within [`YEAR_MIN`]..=[`YEAR_MAX`].
pub fn parse_year(label: &str) -> Option<i32> {
    let t = label.trim();
    if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i32>()
        .ok()
        .filter(|y| (YEAR_MIN..=YEAR_MAX).contains(y))
}

/// Which years a chart covers, from the user's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearWindow {
    /// First year drawn; `None`: the first year with documents among the
    /// last [`DEFAULT_WINDOW_YEARS`] of the range.
    pub first_year: Option<i32>,
    /// Last year drawn; `None`: the last year with documents. A plugin has
    /// no clock (the sandbox gives it none), so "the current year" is the
    /// data's last year unless the user names it: an export made in 2025
    /// whose last documents are from 2023 can say `last_year: 2025` to show
    /// 2024 and 2025 as (incomplete) zeros.
    pub last_year: Option<i32>,
    /// How many trailing years of the range are incomplete.
    pub lag_years: u32,
}

impl YearWindow {
    /// A window from the parameters `first_year`, `last_year` and
    /// `lag_years`, checked against their ranges (errors name the field).
    pub fn checked(
        first_year: Option<i32>,
        last_year: Option<i32>,
        lag_years: u32,
    ) -> Result<YearWindow, RenderError> {
        for (field, v) in [("first_year", first_year), ("last_year", last_year)] {
            if let Some(v) = v {
                crate::params::check_range(field, v, YEAR_MIN, YEAR_MAX)?;
            }
        }
        crate::params::check_range("lag_years", lag_years, 0, MAX_LAG_YEARS)?;
        Ok(YearWindow {
            first_year,
            last_year,
            lag_years,
        })
    }

    /// The dense run of years to draw. Errors name `facet` (no year
    /// labels, or nothing in the chosen years) or the parameter at fault
    /// (`first_year` after `last_year`).
    pub fn select(&self, counts: &YearlyCounts, facet: &str) -> Result<YearSpan, RenderError> {
        let Some((data_first, data_last)) = counts.bounds() else {
            return Err(RenderError::MissingData(if counts.years.is_empty() {
                format!(
                    "facet `{facet}` has no year labels (labels such as \"2019\"); ignored: {}",
                    preview(&counts.ignored)
                )
            } else {
                format!("facet `{facet}` has years but no documents (every count is 0)")
            }));
        };
        let last = self.last_year.unwrap_or(data_last);
        let first = match self.first_year {
            Some(f) => f,
            None => {
                let window_start = last.saturating_sub(DEFAULT_WINDOW_YEARS - 1);
                counts
                    .years
                    .iter()
                    .find(|(y, c)| *c > 0 && *y >= window_start && *y <= last)
                    .map(|(y, _)| *y)
                    .unwrap_or(data_first.min(last))
            }
        };
        if first > last {
            return Err(RenderError::InvalidParams(format!(
                "`first_year` ({first}) is after `last_year` ({last})"
            )));
        }
        let counts_in: Vec<u64> = {
            let mut v = vec![0u64; (last - first + 1) as usize];
            for (y, c) in &counts.years {
                if (first..=last).contains(y) {
                    v[(y - first) as usize] = *c;
                }
            }
            v
        };
        if counts_in.iter().all(|c| *c == 0) {
            return Err(RenderError::MissingData(format!(
                "facet `{facet}` has no documents between {first} and {last} (documents are \
                 published from {data_first} to {data_last})"
            )));
        }
        Ok(YearSpan {
            first,
            counts: counts_in,
            lag_years: self.lag_years,
            before: counts.documents_between(i32::MIN, first - 1),
            after: counts.documents_between(last + 1, i32::MAX),
        })
    }
}

fn preview(labels: &[String]) -> String {
    if labels.is_empty() {
        return "none".to_owned();
    }
    let shown: Vec<String> = labels
        .iter()
        .take(3)
        .map(|l| format!("{:?}", l.chars().take(40).collect::<String>()))
        .collect();
    let more = labels.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Consecutive years `first..first + counts.len()`, each with its count
/// (0 where the facet had no row), the last `lag_years` of them
/// incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSpan {
    pub first: i32,
    pub counts: Vec<u64>,
    pub lag_years: u32,
    /// Documents published before `first` / after the last year: not
    /// drawn, reported in a note.
    pub before: u64,
    pub after: u64,
}

impl YearSpan {
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn last(&self) -> i32 {
        self.first + self.counts.len() as i32 - 1
    }

    pub fn year(&self, i: usize) -> i32 {
        self.first + i as i32
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        (0..self.counts.len()).map(|i| self.year(i))
    }

    /// Index of `year`, if it is in the span.
    pub fn index(&self, year: i32) -> Option<usize> {
        let i = year.checked_sub(self.first)?;
        usize::try_from(i).ok().filter(|i| *i < self.counts.len())
    }

    /// Number of complete years (all, if the lag is as long as the span).
    pub fn complete_len(&self) -> usize {
        self.counts.len().saturating_sub(self.lag_years as usize)
    }

    pub fn incomplete(&self, i: usize) -> bool {
        i >= self.complete_len()
    }

    pub fn first_incomplete(&self) -> Option<i32> {
        (self.complete_len() < self.counts.len()).then(|| self.year(self.complete_len()))
    }

    pub fn last_complete(&self) -> Option<i32> {
        (self.complete_len() > 0).then(|| self.year(self.complete_len() - 1))
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn complete_total(&self) -> u64 {
        self.counts[..self.complete_len()].iter().sum()
    }

    /// Running sums of the counts.
    pub fn cumulative(&self) -> Vec<u64> {
        self.counts
            .iter()
            .scan(0u64, |acc, c| {
                *acc = acc.saturating_add(*c);
                Some(*acc)
            })
            .collect()
    }

    /// The year with most documents (the earliest among ties) and its count.
    pub fn peak(&self) -> (i32, u64) {
        let mut best = (self.first, 0u64);
        for (i, c) in self.counts.iter().enumerate() {
            if *c > best.1 {
                best = (self.year(i), *c);
            }
        }
        best
    }

    /// The years as chart_data labels ("2019").
    pub fn labels(&self) -> Vec<String> {
        self.years().map(|y| y.to_string()).collect()
    }

    /// chart_data flags: "incomplete" on the lag years, "" elsewhere.
    pub fn flags(&self) -> Vec<String> {
        (0..self.len())
            .map(|i| {
                if self.incomplete(i) {
                    INCOMPLETE.to_owned()
                } else {
                    String::new()
                }
            })
            .collect()
    }
}

/// The chart_data flag of a year whose count is still filling up.
pub const INCOMPLETE: &str = "incomplete";

/// Compound annual growth rate from `start` to `end` over `years` years, in
/// percent: `((end / start)^(1 / years) - 1) × 100`. `None` when it is
/// undefined (a start of 0, no years between).
pub fn cagr_percent(start: f64, end: f64, years: i32) -> Option<f64> {
    if start <= 0.0 || end < 0.0 || years <= 0 || !start.is_finite() || !end.is_finite() {
        return None;
    }
    Some(((end / start).powf(1.0 / f64::from(years)) - 1.0) * 100.0)
}

/// An x scale over years `first..=last` onto `range`, with half a year of
/// room on either side so markers and bars at the ends are not cut.
pub fn year_scale(first: i32, last: i32, range: (f32, f32)) -> LinearScale {
    LinearScale::new((f64::from(first) - 0.5, f64::from(last) + 0.5), range).integer()
}

/// A bottom axis of years: labels written without grouping ("2019", not
/// "2,019"), as many whole years as fit without touching.
pub fn year_axis<'a>(scale: LinearScale, style: &Style, title: &str) -> LinearAxis<'a> {
    let (lo, hi) = scale.domain();
    let years = (hi - lo).round().max(1.0) as usize;
    LinearAxis::new(Side::Bottom, scale, style)
        .max_ticks(years.min(60))
        .format(|v| format!("{v:.0}"))
        .title(title)
}

/// A y scale for counts from 0 to `max` onto `range` (bottom to top), with
/// nice bounds for about one tick per 45 px.
pub fn count_scale(max: f64, range: (f32, f32)) -> LinearScale {
    let ticks = ((range.0 - range.1).abs() / 45.0).floor().clamp(2.0, 10.0) as usize;
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    LinearScale::new((0.0, max), range).integer().nice(ticks)
}

/// How a line is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct LineStyle {
    pub color: String,
    pub width: f32,
    /// Dash pattern of the whole line (forecasts); empty for solid.
    pub dash: Vec<f32>,
    /// Marker radius; 0 for none.
    pub marker: f32,
}

impl LineStyle {
    pub fn new(color: &str, width: f32) -> LineStyle {
        LineStyle {
            color: color.to_owned(),
            width,
            dash: Vec::new(),
            marker: 0.0,
        }
    }

    pub fn dashed(mut self, dash: &[f32]) -> LineStyle {
        self.dash = dash.to_vec();
        self
    }

    pub fn markers(mut self, radius: f32) -> LineStyle {
        self.marker = radius;
        self
    }
}

/// The dash of the segments that lead into incomplete years.
pub const INCOMPLETE_DASH: [f32; 2] = [5.0, 4.0];

/// A line through `points` (None = gap) in `class`; segments ending at an
/// index >= `dashed_from` are dashed (the incomplete years), and their
/// markers hollow.
pub fn draw_line(
    svg: &mut Svg,
    points: &[Option<(f32, f32)>],
    dashed_from: Option<usize>,
    line: &LineStyle,
    background: &str,
    class: &str,
) {
    svg.open_group(&Group::new().class(class));
    let split = dashed_from.unwrap_or(usize::MAX);
    let solid = Paint::stroke(&line.color, line.width).dashed(&line.dash);
    let dashed = Paint::stroke(&line.color, line.width).dashed(if line.dash.is_empty() {
        &INCOMPLETE_DASH
    } else {
        &line.dash
    });
    // Runs of consecutive points, each drawn as one path so joins are
    // smooth; the run is cut where the dash changes.
    let mut run: Vec<(f32, f32)> = Vec::new();
    let mut run_dashed = false;
    let flush = |svg: &mut Svg, run: &mut Vec<(f32, f32)>, is_dashed: bool| {
        if run.len() >= 2 {
            let mut d = PathData::new().move_to(run[0].0, run[0].1);
            for (x, y) in &run[1..] {
                d = d.line_to(*x, *y);
            }
            let paint = if is_dashed { &dashed } else { &solid };
            svg.path(&d, &paint.clone().class("line"));
        }
        run.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match p {
            None => flush(svg, &mut run, run_dashed),
            Some(pt) => {
                let seg_dashed = i >= split;
                if seg_dashed != run_dashed && !run.is_empty() {
                    let last = run[run.len() - 1];
                    flush(svg, &mut run, run_dashed);
                    run.push(last);
                }
                run_dashed = seg_dashed;
                run.push(*pt);
            }
        }
    }
    flush(svg, &mut run, run_dashed);
    if line.marker > 0.0 {
        for (i, p) in points.iter().enumerate() {
            if let Some((x, y)) = p {
                let paint = if i >= split {
                    Paint::fill(background).with_stroke(&line.color, line.width.max(1.5))
                } else {
                    Paint::fill(&line.color)
                };
                svg.circle(*x, *y, line.marker, &paint.class("marker"));
            }
        }
    }
    svg.close_group();
}

/// A filled area between `points` and the horizontal `baseline`.
pub fn draw_area(svg: &mut Svg, points: &[(f32, f32)], baseline: f32, color: &str, opacity: f32) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let mut poly = Vec::with_capacity(points.len() + 2);
    poly.push((first.0, baseline));
    poly.extend_from_slice(points);
    poly.push((last.0, baseline));
    svg.polygon(&poly, &Paint::fill(color).opacity(opacity).class("area"));
}

/// A filled band between `upper` and `lower` (same x positions), e.g. a
/// prediction interval.
pub fn draw_band(
    svg: &mut Svg,
    upper: &[(f32, f32)],
    lower: &[(f32, f32)],
    color: &str,
    opacity: f32,
    class: &str,
) {
    if upper.is_empty() || upper.len() != lower.len() {
        return;
    }
    let mut poly: Vec<(f32, f32)> = upper.to_vec();
    poly.extend(lower.iter().rev());
    svg.polygon(&poly, &Paint::fill(color).opacity(opacity).class(class));
}

/// Marker radius for `years` points across `width` px: points shrink as
/// years crowd, and disappear (the line stays) below 6 px apart.
pub fn marker_radius(width: f32, years: usize) -> f32 {
    let spacing = width / years.max(1) as f32;
    if spacing < 6.0 {
        0.0
    } else {
        (spacing / 6.0).clamp(1.5, 3.5)
    }
}

/// The order in which value labels are placed when not all fit: the
/// peak, the last complete year, the last year, then the rest from the
/// newest back (recent years matter most to a reader of a trend).
pub fn label_order(span: &YearSpan) -> Vec<usize> {
    let (peak_year, _) = span.peak();
    let firsts = [
        span.index(peak_year),
        span.last_complete().and_then(|y| span.index(y)),
        span.len().checked_sub(1),
    ];
    let mut order: Vec<usize> = Vec::with_capacity(span.len());
    for i in firsts.into_iter().flatten() {
        if !order.contains(&i) {
            order.push(i);
        }
    }
    order.extend(
        (0..span.len())
            .rev()
            .filter(|i| !firsts.contains(&Some(*i))),
    );
    order
}

/// Value labels by points, placed greedily in `order` (the most
/// important first: peak, last year …) and skipped where they would touch
/// a label already placed or leave `bounds`. A label goes above its point,
/// or below it where the point is a dip (lower than the mean of its
/// neighbours), so the line leaving the point does not cross the label.
/// Returns how many were drawn.
#[allow(clippy::too_many_arguments)]
pub fn draw_point_labels(
    svg: &mut Svg,
    measure: &dyn Measure,
    points: &[(f32, f32)],
    labels: &[String],
    order: &[usize],
    size: f32,
    color: &str,
    bounds: Rect,
) -> usize {
    let gap = size * 0.5;
    let mut placed: Vec<(f32, f32, f32, f32)> = Vec::new();
    svg.open_group(&Group::new().class("value-labels"));
    for &i in order {
        let (Some((x, y)), Some(label)) = (points.get(i), labels.get(i)) else {
            continue;
        };
        let neighbours: Vec<f32> = [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter_map(|j| points.get(j).map(|p| p.1))
            .collect();
        // Pixel y grows downwards: a dip has a larger y than its neighbours.
        let below =
            !neighbours.is_empty() && *y > neighbours.iter().sum::<f32>() / neighbours.len() as f32;
        let w = measure.width(label, size, false);
        let above_box = (y - gap - size, y - gap);
        let below_box = (y + gap, y + gap + size * 0.8);
        let sides = if below {
            [below_box, above_box]
        } else {
            [above_box, below_box]
        };
        // The preferred side, else the other one (a dip at the baseline).
        let spot = sides.into_iter().find_map(|(top, baseline)| {
            let b = (x - w / 2.0, top, x + w / 2.0, top + size);
            let inside = b.0 >= bounds.x
                && b.2 <= bounds.right()
                && b.1 >= bounds.y
                && b.3 <= bounds.bottom();
            let clear = placed
                .iter()
                .all(|p| b.2 + gap <= p.0 || p.2 + gap <= b.0 || b.3 <= p.1 || p.3 <= b.1);
            (inside && clear).then_some((b, baseline))
        });
        if let Some((b, baseline)) = spot {
            placed.push(b);
            svg.text(
                &Text::new(*x, baseline, label)
                    .size(size)
                    .anchor(Anchor::Middle)
                    .fill(color),
            );
        }
    }
    svg.close_group();
    placed.len()
}

/// Shades the years `from..=to` of `plot` (the incomplete years) and
/// writes `caption` at the top of the band, elided to its width (or left
/// out when even "…" does not fit).
#[allow(clippy::too_many_arguments)]
pub fn draw_incomplete_band(
    svg: &mut Svg,
    measure: &dyn Measure,
    x: &LinearScale,
    plot: Rect,
    from: i32,
    to: i32,
    caption: &str,
    size: f32,
    style: &Style,
) {
    let left = x.map(f64::from(from) - 0.5).max(plot.x);
    let right = x.map(f64::from(to) + 0.5).min(plot.right());
    if right <= left {
        return;
    }
    svg.open_group(&Group::new().class("incomplete-years").title(caption));
    svg.rect(
        left,
        plot.y,
        right - left,
        plot.height,
        &Paint::fill(&style.grid).opacity(0.45),
    );
    let room = right - left - size * 0.6;
    let text = elide(measure, caption, room, size, false);
    if !text.is_empty() && measure.width(&text, size, false) <= room {
        svg.text(
            &Text::new((left + right) / 2.0, plot.y + size * 0.4, &text)
                .size(size)
                .anchor(Anchor::Middle)
                .baseline(Baseline::Hanging)
                .fill(&palette::lighten(&style.text, 0.3))
                .class("incomplete-caption"),
        );
    }
    svg.close_group();
}

/// The sentences every year chart writes about its years, in English and
/// Spanish, so the four time charts explain incomplete years and
/// left-out documents in the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearTexts {
    pub locale: Locale,
}

impl YearTexts {
    pub fn new(locale: Locale) -> YearTexts {
        YearTexts { locale }
    }

    pub fn x_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Publication year",
            Locale::Es => "Año de publicación",
        }
    }

    /// "2022–2023", or "2023" for one year.
    pub fn years(&self, from: i32, to: i32) -> String {
        if from == to {
            from.to_string()
        } else {
            format!("{from}\u{2013}{to}")
        }
    }

    /// The caption of the shaded band.
    pub fn incomplete_caption(&self) -> &'static str {
        match self.locale {
            Locale::En => "incomplete",
            Locale::Es => "incompleto",
        }
    }

    /// The footnote that explains the shaded, dashed years.
    pub fn note_incomplete(&self, from: i32, to: i32) -> String {
        let years = self.years(from, to);
        match self.locale {
            Locale::En => format!(
                "{years} (shaded, dashed): counts still incomplete. Patent documents are published up to 18 months after filing, so the last years of an export keep growing."
            ),
            Locale::Es => format!(
                "{years} (sombreado, discontinuo): recuentos aún incompletos. Los documentos de patente se publican hasta 18 meses después de su presentación, por lo que los últimos años de una exportación siguen creciendo."
            ),
        }
    }

    /// Documents outside the years drawn.
    pub fn note_outside(&self, span: &YearSpan) -> Option<String> {
        let docs = |n: u64| format::count(n, self.locale);
        let before = (span.before > 0).then(|| match self.locale {
            Locale::En => format!(
                "{} {} published before {} {} not shown (set first_year to include them)",
                docs(span.before),
                plural(span.before, "document", "documents"),
                span.first,
                plural(span.before, "is", "are"),
            ),
            Locale::Es => format!(
                "{} {} antes de {} no se {} (use first_year para incluirlos)",
                docs(span.before),
                plural(span.before, "documento publicado", "documentos publicados"),
                span.first,
                plural(span.before, "muestra", "muestran"),
            ),
        });
        let after = (span.after > 0).then(|| match self.locale {
            Locale::En => format!(
                "{} {} published after {} {} not shown",
                docs(span.after),
                plural(span.after, "document", "documents"),
                span.last(),
                plural(span.after, "is", "are"),
            ),
            Locale::Es => format!(
                "{} {} después de {} no se {}",
                docs(span.after),
                plural(span.after, "documento publicado", "documentos publicados"),
                span.last(),
                plural(span.after, "muestra", "muestran"),
            ),
        });
        match (before, after) {
            (Some(b), Some(a)) => Some(format!("{b}; {a}.")),
            (Some(s), None) | (None, Some(s)) => Some(format!("{s}.")),
            (None, None) => None,
        }
    }

    /// Footnotes left out of a small picture.
    pub fn warn_notes_hidden(&self, n: usize) -> String {
        match self.locale {
            Locale::En => format!(
                "{n} {} did not fit in the picture; {} in chart_data",
                plural(n as u64, "footnote", "footnotes"),
                plural(n as u64, "it is", "they are"),
            ),
            Locale::Es => format!(
                "{n} {} no {} en la imagen; {} en chart_data",
                plural(n as u64, "nota", "notas"),
                plural(n as u64, "cupo", "cupieron"),
                plural(n as u64, "está", "están"),
            ),
        }
    }

    /// Labels of the facet that are not years.
    pub fn warn_ignored(&self, facet: &str, counts: &YearlyCounts) -> Option<String> {
        if counts.ignored.is_empty() {
            return None;
        }
        let n = counts.ignored.len() as u64;
        let docs = format::count(counts.ignored_documents, self.locale);
        let labels = preview(&counts.ignored);
        Some(match self.locale {
            Locale::En => format!(
                "{n} {} of `{facet}` {} not a year and {} ignored ({docs} documents): {labels}",
                plural(n, "label", "labels"),
                plural(n, "is", "are"),
                plural(n, "was", "were"),
            ),
            Locale::Es => format!(
                "{n} {} de `{facet}` no {} un año y se {} ({docs} documentos): {labels}",
                plural(n, "etiqueta", "etiquetas"),
                plural(n, "es", "son"),
                plural(n, "ignoró", "ignoraron"),
            ),
        })
    }
}

/// What a year chart's frame holds: everything around the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpec<'t> {
    pub title: &'t str,
    pub subtitle: Option<&'t str>,
    pub legend: Vec<LegendItem>,
    pub notes: &'t [String],
    pub x_title: &'t str,
    pub first_year: i32,
    pub last_year: i32,
    pub left: ValueAxisSpec<'t>,
    /// A second value axis on the right (dual-axis charts).
    pub right: Option<ValueAxisSpec<'t>>,
}

/// A value axis of a year chart: title, largest value to show, and the
/// colour of its labels when it belongs to one series of a dual-axis
/// chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAxisSpec<'t> {
    pub title: &'t str,
    pub max: f64,
    pub color: Option<String>,
}

/// The measured layout of a year chart: heading and legend on top,
/// footnotes at the bottom, year axis below the plot, one or two value
/// axes beside it. Everything is measured before it is drawn, so nothing
/// leaves the page whatever the labels.
pub struct YearFrame<'a> {
    pub plot: Rect,
    /// Years to pixels.
    pub x: LinearScale,
    /// Values of the left axis to pixels.
    pub y: LinearScale,
    /// Values of the right axis to pixels.
    pub y2: Option<LinearScale>,
    pub sizes: FontSizes,
    heading: Heading,
    heading_area: Rect,
    legend: Legend,
    legend_area: Rect,
    footnote: Footnote,
    footnote_area: Rect,
    x_axis: LinearAxis<'a>,
    y_axis: LinearAxis<'a>,
    y2_axis: Option<LinearAxis<'a>>,
    /// How many of the last notes did not fit on the page.
    pub notes_hidden: usize,
}

/// The largest share of the page height footnotes may take.
const MAX_FOOTNOTE_SHARE: f32 = 0.34;

impl<'a> YearFrame<'a> {
    pub fn layout(spec: &FrameSpec<'_>, style: &Style, measure: &dyn Measure) -> YearFrame<'a> {
        let sizes = FontSizes::from_style(style);
        let mut page = Rect::page(style).inset(page_margin(style));
        let mut heading = Heading::new(spec.title);
        if let Some(s) = spec.subtitle {
            heading = heading.subtitle(s);
        }
        let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
        let legend = Legend::new(spec.legend.clone(), sizes.legend, style);
        let legend_height = legend.height(measure, page.width);
        let legend_area = page.cut_top(legend_height);
        if legend_height > 0.0 {
            page.cut_top(sizes.legend * 0.8);
        }
        // Footnotes never take more than a third of the page: on a small
        // page the last ones are left out of the picture (they stay in
        // chart_data, and the plugin warns).
        let mut shown = spec.notes.len();
        let mut footnote = Footnote::new(spec.notes, sizes.footnote, style);
        while shown > 0 && footnote.height(measure, page.width) > page.height * MAX_FOOTNOTE_SHARE {
            shown -= 1;
            footnote = Footnote::new(&spec.notes[..shown], sizes.footnote, style);
        }
        let notes_hidden = spec.notes.len() - shown;
        let footnote_area = page.cut_bottom(footnote.height(measure, page.width));
        // One line of year labels plus the title, whatever the years.
        let probe = year_axis(year_scale(0, 1, (0.0, 1.0)), style, spec.x_title);
        page.cut_bottom(probe.thickness(measure));
        // Room above the top tick label of the value axes.
        page.cut_top(sizes.tick * 0.6);

        let y_range = (page.bottom(), page.y);
        let y = count_scale(spec.left.max, y_range);
        let y_axis = value_axis(Side::Left, y, &spec.left, style);
        page.cut_left(y_axis.thickness(measure));
        let (y2, y2_axis) = match &spec.right {
            Some(r) => {
                let s = count_scale(r.max, y_range);
                let axis = value_axis(Side::Right, s, r, style);
                page.cut_right(axis.thickness(measure));
                (Some(s), Some(axis))
            }
            None => (None, None),
        };
        // Year labels are centred on their ticks: keep the first and the
        // last inside the page.
        let mut x = year_scale(spec.first_year, spec.last_year, (page.x, page.right()));
        let (over_l, over_r) = year_axis(x, style, spec.x_title).overhang(measure);
        let plot_x = (page.x, page.right());
        if over_l > 0.0 || over_r > 0.0 {
            x = x.with_range((page.x + over_l, page.right() - over_r));
        }
        let x_axis = year_axis(x, style, spec.x_title).title_span(plot_x.0, plot_x.1);
        YearFrame {
            plot: page,
            x,
            y,
            y2,
            sizes,
            heading,
            heading_area,
            legend,
            legend_area,
            footnote,
            footnote_area,
            x_axis,
            y_axis,
            y2_axis,
            notes_hidden,
        }
    }

    /// Pixel x of `year`.
    pub fn year_x(&self, year: i32) -> f32 {
        self.x.map(f64::from(year))
    }

    /// Heading and gridlines: draw before the data.
    pub fn draw_back(&self, svg: &mut Svg, measure: &dyn Measure, style: &Style) {
        self.heading
            .draw(svg, measure, self.heading_area, &self.sizes, style);
        self.y_axis
            .draw_grid(svg, measure, self.plot.x, self.plot.right());
    }

    /// Axes, legend and footnotes: draw after the data.
    pub fn draw_front(&self, svg: &mut Svg, measure: &dyn Measure) {
        self.y_axis.draw(svg, measure, self.plot.x);
        if let Some(a) = &self.y2_axis {
            a.draw(svg, measure, self.plot.right());
        }
        self.x_axis.draw(svg, measure, self.plot.bottom());
        self.legend.draw(svg, measure, self.legend_area);
        self.footnote.draw(svg, measure, self.footnote_area);
    }
}

fn value_axis<'a>(
    side: Side,
    scale: LinearScale,
    spec: &ValueAxisSpec<'_>,
    style: &Style,
) -> LinearAxis<'a> {
    let mut axis_style = AxisStyle::from_style(style);
    if let Some(c) = &spec.color {
        axis_style.text = c.clone();
    }
    LinearAxis::new(side, scale, style)
        .title(spec.title)
        .style(axis_style)
}

/// The params schema of a yearly chart: `first_year`, `last_year` and
/// `lag_years` as [`YearParams`] reads them, plus the chart's `extra`
/// properties. `first_year` is the sentence that opens that field's
/// description and `lag_drawn` how the chart draws incomplete years, so
/// each chart's schema speaks of its own picture.
pub fn year_params_schema(
    key: &str,
    first_year: &str,
    lag_drawn: &str,
    extra: serde_json::Value,
) -> String {
    let year = |description: String| {
        serde_json::json!({
            "description": description,
            "type": ["integer", "null"],
            "minimum": YEAR_MIN,
            "maximum": YEAR_MAX,
            "default": null
        })
    };
    let mut properties = serde_json::Map::new();
    properties.insert(
        "first_year".into(),
        year(format!(
            "{first_year} Default (null): the first year with documents among the last \
             {DEFAULT_WINDOW_YEARS} years up to last_year."
        )),
    );
    properties.insert(
        "last_year".into(),
        year(
            "Last year drawn. Default (null): the last year with documents. Incomplete years \
             are counted back from it."
                .to_string(),
        ),
    );
    properties.insert(
        "lag_years".into(),
        serde_json::json!({
            "description": format!(
                "How many trailing years are still incomplete because of the publication lag \
                 (about 18 months); {lag_drawn}."
            ),
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_LAG_YEARS,
            "default": DEFAULT_LAG_YEARS
        }),
    );
    if let serde_json::Value::Object(extra) = extra {
        properties.extend(extra);
    }
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{key} parameters"),
        "type": "object",
        "additionalProperties": false,
        "properties": properties
    })
    .to_string()
}

/// The parameters of a chart of one yearly line: `{"first_year": 2006,
/// "last_year": 2025, "lag_years": 2}`, all optional (see [`YearWindow`]
/// for the defaults).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YearParams {
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub lag_years: u32,
}

impl Default for YearParams {
    fn default() -> Self {
        YearParams {
            first_year: None,
            last_year: None,
            lag_years: DEFAULT_LAG_YEARS,
        }
    }
}

impl YearParams {
    /// Parses and checks `raw`, giving the window of years it asks for.
    pub fn window(raw: &str) -> Result<YearWindow, RenderError> {
        let p: YearParams = crate::params::parse(raw)?;
        YearWindow::checked(p.first_year, p.last_year, p.lag_years)
    }
}

/// One yearly line to draw with [`draw_year_line`]: a value per year of
/// the span, with a point, a tooltip and a value label each.
pub struct YearLine<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    pub notes: &'a [String],
    /// The value axis title.
    pub y_title: &'a str,
    /// One value per year of the span.
    pub values: &'a [u64],
    /// The largest value to fit; the axis adds headroom for its label.
    pub max: f64,
    /// Fill the area under the line, at this opacity.
    pub area_opacity: Option<f32>,
    /// The class of the line in the SVG.
    pub class: &'a str,
    /// One tooltip per year.
    pub tips: Vec<String>,
    /// Which value labels to place first ([`draw_point_labels`]).
    pub label_order: Vec<usize>,
}

/// A drawn chart: its SVG and what to warn about.
pub struct DrawnYearLine {
    pub svg: String,
    pub warnings: Vec<String>,
}

/// The whole picture of a one-line yearly chart: the frame, the
/// incomplete years shaded and dashed, the line with a point per year
/// (over an area if asked), and value labels where they fit.
pub fn draw_year_line(
    span: &YearSpan,
    line: &YearLine,
    years: &YearTexts,
    style: &Style,
    measure: &dyn Measure,
) -> DrawnYearLine {
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(line.title);
    let mut description = vec![line.subtitle.to_owned()];
    description.extend(line.notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let frame = YearFrame::layout(
        &FrameSpec {
            title: line.title,
            subtitle: Some(line.subtitle),
            legend: Vec::new(),
            notes: line.notes,
            x_title: years.x_axis(),
            first_year: span.first,
            last_year: span.last(),
            // Headroom for the value label above the highest point.
            left: ValueAxisSpec {
                title: line.y_title,
                max: line.max * 1.08,
                color: None,
            },
            right: None,
        },
        style,
        measure,
    );
    frame.draw_back(&mut svg, measure, style);
    let plot = frame.plot;
    if let Some(from) = span.first_incomplete() {
        draw_incomplete_band(
            &mut svg,
            measure,
            &frame.x,
            plot,
            from,
            span.last(),
            years.incomplete_caption(),
            frame.sizes.tick,
            style,
        );
    }

    let points: Vec<(f32, f32)> = span
        .years()
        .zip(line.values)
        .map(|(y, c)| (frame.year_x(y), frame.y.map(*c as f64)))
        .collect();
    let color = style.color(0);
    if let Some(opacity) = line.area_opacity {
        draw_area(&mut svg, &points, frame.y.map(0.0), color, opacity);
    }
    let marker = marker_radius(plot.width, span.len());
    let dashed_from = span.first_incomplete().and_then(|y| span.index(y));
    draw_line(
        &mut svg,
        &points.iter().copied().map(Some).collect::<Vec<_>>(),
        dashed_from,
        &LineStyle::new(color, 2.0).markers(marker),
        &style.background,
        line.class,
    );
    // Invisible hit areas with a tooltip per year, for SVG viewers.
    svg.open_group(&Group::new().class("points"));
    for (tip, (x, y)) in line.tips.iter().zip(&points) {
        svg.open_group(&Group::new().class("point").title(tip));
        svg.circle(*x, *y, marker.max(4.0), &Paint::fill(color).opacity(0.0));
        svg.close_group();
    }
    svg.close_group();

    let labels: Vec<String> = line
        .values
        .iter()
        .map(|c| format::count(*c, style.locale()))
        .collect();
    draw_point_labels(
        &mut svg,
        measure,
        &points,
        &labels,
        &line.label_order,
        frame.sizes.tick * 0.9,
        &style.text,
        Rect::new(
            plot.x,
            plot.y - frame.sizes.tick * 0.6,
            plot.width,
            plot.height,
        ),
    );
    frame.draw_front(&mut svg, measure);
    let warnings = (frame.notes_hidden > 0)
        .then(|| years.warn_notes_hidden(frame.notes_hidden))
        .into_iter()
        .collect();
    DrawnYearLine {
        svg: svg.finish(),
        warnings,
    }
}

/// For tests: every point the lines, markers, areas and bands of `svg`
/// reach (paths by their M/L points, circles by their extremes, polygons
/// by their corners), to check together with
/// [`crate::page_check::outside_page`] (which covers texts and rects)
/// that nothing leaves the page.
pub fn drawn_points(svg: &str) -> Vec<(f32, f32)> {
    fn attr<'s>(l: &'s str, name: &str) -> Option<&'s str> {
        let key = format!(" {name}=\"");
        let start = l.find(&key)? + key.len();
        let end = l[start..].find('"')? + start;
        Some(&l[start..end])
    }
    let num = |l: &str, n: &str| attr(l, n).and_then(|v| v.parse::<f32>().ok());
    let mut out = Vec::new();
    for l in svg.lines().map(str::trim) {
        if l.starts_with("<circle") {
            if let (Some(cx), Some(cy), Some(r)) = (num(l, "cx"), num(l, "cy"), num(l, "r")) {
                out.push((cx - r, cy - r));
                out.push((cx + r, cy + r));
            }
        } else if l.starts_with("<polygon") || l.starts_with("<polyline") {
            for p in attr(l, "points").unwrap_or_default().split_whitespace() {
                if let Some((x, y)) = p.split_once(',')
                    && let (Ok(x), Ok(y)) = (x.parse(), y.parse())
                {
                    out.push((x, y));
                }
            }
        } else if l.starts_with("<path") {
            let nums: Vec<f32> = attr(l, "d")
                .unwrap_or_default()
                .split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
                .filter_map(|t| t.parse().ok())
                .collect();
            out.extend(nums.chunks_exact(2).map(|p| (p[0], p[1])));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Entry;
    use crate::text::UniformMeasure;

    fn facet(rows: &[(&str, u64)]) -> Facet {
        Facet {
            name: "publication_years".into(),
            entries: rows
                .iter()
                .map(|(l, c)| Entry {
                    label: (*l).into(),
                    count: *c,
                })
                .collect(),
        }
    }

    fn window(first: Option<i32>, last: Option<i32>, lag: u32) -> YearWindow {
        YearWindow {
            first_year: first,
            last_year: last,
            lag_years: lag,
        }
    }

    #[test]
    fn year_labels_are_parsed_sorted_and_summed() {
        let c = YearlyCounts::from_facet(&facet(&[
            ("2020", 3),
            (" 2018 ", 1),
            ("2020", 2),
            ("n/a", 7),
            ("20201", 1),
            ("0999", 1),
            ("-2019", 1),
        ]));
        assert_eq!(c.years, [(2018, 1), (2020, 5)]);
        assert_eq!(c.ignored, ["n/a", "20201", "0999", "-2019"]);
        assert_eq!(c.ignored_documents, 10);
    }

    #[test]
    fn default_window_is_the_last_20_years_from_the_first_with_documents() {
        // The reference export: a few early documents, then 2006..2023.
        let c = YearlyCounts::from_facet(&facet(&[
            ("1973", 2),
            ("1999", 2),
            ("2006", 2),
            ("2007", 3),
            ("2009", 1),
            ("2023", 43),
        ]));
        let s = window(None, None, 2)
            .select(&c, "publication_years")
            .unwrap();
        assert_eq!((s.first, s.last()), (2006, 2023));
        assert_eq!(&s.counts[..4], &[2, 3, 0, 1]);
        assert_eq!(s.before, 4);
        assert_eq!(s.first_incomplete(), Some(2022));
        assert_eq!(s.last_complete(), Some(2021));
        let s = window(Some(1990), Some(2025), 2)
            .select(&c, "publication_years")
            .unwrap();
        assert_eq!((s.first, s.last(), s.before), (1990, 2025, 2));
        assert_eq!(s.flags()[34], "incomplete");
        assert_eq!(s.flags()[33], "");
    }

    #[test]
    fn errors_name_the_facet_or_the_parameter() {
        let c = YearlyCounts::from_facet(&facet(&[("unknown", 3)]));
        let e = window(None, None, 2).select(&c, "publication_years");
        assert!(
            matches!(e, Err(RenderError::MissingData(m)) if m.contains("`publication_years`") && m.contains("unknown"))
        );
        let c = YearlyCounts::from_facet(&facet(&[("2019", 3)]));
        let e = window(Some(2020), Some(2019), 2).select(&c, "publication_years");
        assert!(matches!(e, Err(RenderError::InvalidParams(m)) if m.contains("`first_year`")));
        let e = window(Some(2000), Some(2010), 2).select(&c, "publication_years");
        assert!(matches!(e, Err(RenderError::MissingData(m)) if m.contains("2019")));
    }

    #[test]
    fn span_figures() {
        let s = YearSpan {
            first: 2000,
            counts: vec![1, 0, 5, 5, 2],
            lag_years: 2,
            before: 0,
            after: 0,
        };
        assert_eq!(s.cumulative(), [1, 1, 6, 11, 13]);
        assert_eq!(s.peak(), (2002, 5));
        assert_eq!((s.total(), s.complete_total()), (13, 6));
        assert_eq!(s.index(2004), Some(4));
        assert_eq!(s.index(2005), None);
        assert_eq!(s.index(1999), None);
        let all_lag = YearSpan { lag_years: 9, ..s };
        assert_eq!(all_lag.complete_len(), 0);
        assert_eq!(all_lag.last_complete(), None);
    }

    #[test]
    fn cagr_is_undefined_from_zero() {
        let v = cagr_percent(2.0, 31.0, 10).unwrap();
        assert!((v - 31.5325).abs() < 1e-3, "{v}");
        assert_eq!(cagr_percent(0.0, 31.0, 10), None);
        assert_eq!(cagr_percent(2.0, 31.0, 0), None);
    }

    #[test]
    fn lines_switch_to_dashes_for_incomplete_years() {
        let mut svg = Svg::new(200, 100, &Style::default());
        let pts: Vec<Option<(f32, f32)>> = (0..5).map(|i| Some((i as f32 * 10.0, 50.0))).collect();
        let line = LineStyle::new("#123456", 2.0).markers(3.0);
        draw_line(&mut svg, &pts, Some(3), &line, "#ffffff", "observed");
        let doc = svg.finish();
        assert_eq!(doc.matches("<path").count(), 2, "{doc}");
        assert!(doc.contains("d=\"M0 50 L10 50 L20 50\""), "{doc}");
        assert!(doc.contains("d=\"M20 50 L30 50 L40 50\" class=\"line\" fill=\"none\" stroke=\"#123456\" stroke-width=\"2\" stroke-dasharray=\"5 4\""), "{doc}");
        assert_eq!(
            doc.matches("fill=\"#ffffff\" stroke=\"#123456\"").count(),
            2
        );
    }

    #[test]
    fn year_axis_writes_years_without_grouping() {
        let m = UniformMeasure::default();
        let x = year_scale(2006, 2023, (0.0, 900.0));
        let labels = year_axis(x, &Style::default(), "Year").tick_labels(&m);
        assert_eq!(labels.first().map(|l| l.1.as_str()), Some("2006"));
        assert_eq!(labels.len(), 18);
        let narrow = year_axis(year_scale(2006, 2023, (0.0, 300.0)), &Style::default(), "");
        assert!(narrow.tick_labels(&m).len() < 18);
    }
}
