//! The `facts` describer: one readable paragraph written from `chart_data`
//! alone, in English or Spanish, with no network and no randomness.
//!
//! It is the default provider, and its paragraph is the grounding block
//! handed to models, so every number it prints is read from, or computed
//! only by arithmetic on, the chart's own `chart_data` (schema:
//! `wit/chart-data.schema.json`). It reads the document generically, by
//! shape rather than by plugin:
//!
//! - categories (bars, donut, treemap): the leaders with counts and shares,
//!   the total, what "Others" holds, and how concentrated the ranking is;
//! - several observed series over the same categories (grouped bars): the
//!   leader of each;
//! - years (line, area, dual axis, forecast, and bars over years): span,
//!   total, peak, first and last complete year, CAGR when `chart_data`
//!   carries one, the cumulative figure, each forecast with its widest
//!   interval, and the caveat on years flagged `incomplete`.
//!
//! Numbers follow the locale (`1,234.5` / `1234,5`; `52.3%` / `52,3 %`),
//! through the SDK's formatter, the one plugins print their labels with,
//! so a figure rounds here exactly as it does on the chart (35.25 is 35.2
//! in both).

use std::collections::BTreeMap;

use patchart_sdk::chart_data::{self, Axis, ChartData, ChartType, Highlight, Totals};
use patchart_sdk::format::{self, Locale};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};

mod categories;
mod years;

/// The `model_used` of this describer: bump it when its wording changes, so
/// stored descriptions say which version wrote them.
pub const MODEL: &str = "facts-1";

/// Writes the paragraph for `chart_data` in `locale`.
pub fn describe(chart_data: &Value, locale: Locale) -> Result<String> {
    let data = ChartData::deserialize(chart_data).map_err(|e| {
        no_data(&format!(
            "its chart_data does not follow the chart-data schema ({e})"
        ))
    })?;
    let chart = Chart::read(&data);
    // Titles, axis labels and series names are in the chart's language;
    // described in another one, they are quoted, not woven into sentences.
    let foreign = chart.locale != locale;
    let w = Writer { l: locale, foreign };
    let mut out: Vec<String> = Vec::new();
    let observed: Vec<&Series> = chart.series.iter().filter(|s| s.is_observed()).collect();
    let Some(first) = observed.first().copied() else {
        return Err(no_data("it has no observed series"));
    };
    if first.is_temporal() {
        w.temporal(&chart, first, &mut out);
    } else if observed.len() > 1 {
        w.comparison(&chart, &observed, &mut out);
    } else {
        w.categorical(&chart, first, &mut out);
    }
    w.highlights(&chart, &mut out);
    // Labels may open a sentence ("inglés encabeza ...").
    Ok(out
        .iter()
        .map(|s| capitalize(s))
        .collect::<Vec<_>>()
        .join(" "))
}

fn no_data(why: &str) -> Error {
    Error::new(
        ErrorCode::AiNoChartData,
        format!("this chart cannot be described: {why}; re-run the chart with a current plugin"),
    )
}

// ---- reading chart_data -------------------------------------------------------

/// The parts of `chart_data` the describer reads, as the SDK's types
/// (the ones plugins write it with), with the schema's defaults applied.
struct Chart<'a> {
    kind: ChartType,
    locale: Locale,
    title: &'a str,
    x_axis: Option<&'a Axis>,
    y_axis: Option<&'a Axis>,
    series: Vec<Series<'a>>,
    totals: &'a Totals,
    metrics: &'a BTreeMap<String, Value>,
    highlights: &'a [Highlight],
}

/// A series with its optional per-point arrays empty when absent, and its
/// kind `observed` when unstated.
struct Series<'a> {
    name: &'a str,
    kind: &'a str,
    labels: &'a [String],
    values: &'a [Option<f64>],
    shares: &'a [Option<f64>],
    flags: &'a [String],
}

impl<'a> Chart<'a> {
    fn read(data: &'a ChartData) -> Chart<'a> {
        Chart {
            kind: data.chart_type,
            locale: data.locale,
            title: &data.title,
            x_axis: data.x_axis.as_ref(),
            y_axis: data.y_axis.as_ref(),
            series: data.series.iter().map(Series::read).collect(),
            totals: &data.totals,
            metrics: &data.metrics,
            highlights: data.highlights.as_deref().unwrap_or_default(),
        }
    }

    fn total(&self, name: &str) -> Option<f64> {
        self.totals.get(name)?.as_f64()
    }

    /// The axis that names the categories (it lists them) and the one that
    /// measures, as (category label, measure label).
    fn axis_labels(&self) -> (Option<&'a str>, Option<&'a str>) {
        let label =
            |a: Option<&'a Axis>| a.map(|a| a.label.as_str()).filter(|s| !s.trim().is_empty());
        let has_categories = |a: Option<&Axis>| a.is_some_and(|a| a.categories.is_some());
        if has_categories(self.y_axis) && !has_categories(self.x_axis) {
            (label(self.y_axis), label(self.x_axis))
        } else if has_categories(self.x_axis) {
            (label(self.x_axis), label(self.y_axis))
        } else if self.kind == ChartType::HorizontalBar {
            (label(self.y_axis), label(self.x_axis))
        } else {
            (label(self.x_axis), label(self.y_axis))
        }
    }
}

impl<'a> Series<'a> {
    fn read(s: &'a chart_data::Series) -> Series<'a> {
        Series {
            name: &s.name,
            kind: s.kind.as_deref().unwrap_or("observed"),
            labels: &s.labels,
            values: &s.values,
            shares: s.shares.as_deref().unwrap_or_default(),
            flags: s.flags.as_deref().unwrap_or_default(),
        }
    }

    fn is_observed(&self) -> bool {
        self.kind == "observed"
    }

    fn flag(&self, i: usize) -> &'a str {
        self.flags.get(i).map_or("", String::as_str)
    }

    /// Labels that are all years (a time axis), with at least two points.
    fn is_temporal(&self) -> bool {
        self.labels.len() >= 2 && self.labels.iter().all(|l| year(l).is_some())
    }

    /// (label, value, share) of every point with a value, in order.
    fn points(&self) -> impl Iterator<Item = Point<'a>> {
        self.labels
            .iter()
            .enumerate()
            .filter_map(move |(i, label)| {
                let value = (*self.values.get(i)?)?;
                Some(Point {
                    label,
                    value,
                    share: self.shares.get(i).copied().flatten(),
                    flag: self.flag(i),
                })
            })
    }

    fn sum(&self) -> f64 {
        self.points().map(|p| p.value).sum()
    }
}

#[derive(Clone, Copy)]
struct Point<'a> {
    label: &'a str,
    value: f64,
    share: Option<f64>,
    flag: &'a str,
}

impl Point<'_> {
    /// An aggregate such as "Others": not a competitor in the ranking.
    fn is_aggregate(&self) -> bool {
        self.flag == "others"
    }

    fn is_incomplete(&self) -> bool {
        self.flag == "incomplete"
    }
}

fn year(label: &str) -> Option<i64> {
    let y: i64 = label.trim().parse().ok()?;
    (1800..=2200).contains(&y).then_some(y)
}

/// Named points from largest to smallest; equal values keep chart order.
fn ranked<'a>(series: &Series<'a>) -> Vec<Point<'a>> {
    let mut v: Vec<Point<'a>> = series.points().filter(|p| !p.is_aggregate()).collect();
    v.sort_by(|a, b| b.value.total_cmp(&a.value));
    v
}

// ---- writing ------------------------------------------------------------------------

struct Writer {
    l: Locale,
    /// The chart was drawn in another language than this text's.
    foreign: bool,
}

impl Writer {
    fn en(&self) -> bool {
        self.l == Locale::En
    }

    /// A figure as read: whole numbers grouped, others with one decimal.
    fn num(&self, v: f64) -> String {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format::integer(v as i64, self.l)
        } else {
            format::decimal(v, 1, self.l)
        }
    }

    /// A percentage with one decimal (two below 0.1, so a small share is
    /// never printed as 0).
    fn pct(&self, v: f64) -> String {
        let decimals = if v != 0.0 && v.abs() < 0.1 { 2 } else { 1 };
        format::percent(v, decimals, self.l)
    }

    fn list(&self, items: &[String]) -> String {
        let and = if self.en() { "and" } else { "y" };
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
        }
    }

    fn years(&self, ys: &[i64]) -> String {
        let contiguous = ys.windows(2).all(|w| w[1] == w[0] + 1);
        match ys {
            [first, .., last] if contiguous && ys.len() > 2 => format!("{first}\u{2013}{last}"),
            _ => self.list(&ys.iter().map(i64::to_string).collect::<Vec<_>>()),
        }
    }

    /// A name from the chart, in this language's quotation marks.
    fn quote(&self, s: &str) -> String {
        if self.en() {
            format!("\u{201c}{s}\u{201d}")
        } else {
            format!("«{s}»")
        }
    }

    fn kind_name(&self, kind: ChartType) -> &'static str {
        let (en, es) = match kind {
            ChartType::HorizontalBar => ("horizontal bar chart", "gráfico de barras horizontales"),
            ChartType::Bar => ("bar chart", "gráfico de barras"),
            ChartType::GroupedBar => ("grouped bar chart", "gráfico de barras agrupadas"),
            ChartType::Line => ("line chart", "gráfico de líneas"),
            ChartType::Area => ("area chart", "gráfico de área"),
            ChartType::DualAxis => ("dual-axis chart", "gráfico de doble eje"),
            ChartType::Forecast => ("forecast chart", "gráfico de previsión"),
            ChartType::Treemap => ("treemap", "mapa de rectángulos (treemap)"),
            ChartType::Donut => ("donut chart", "gráfico de anillo"),
        };
        if self.en() { en } else { es }
    }

    /// "The horizontal bar chart “Top countries” shows number of
    /// publications by jurisdiction". For a chart drawn in another
    /// language, `foreign` (a whole predicate, "covers 35 categories")
    /// replaces the part made of the chart's own words.
    fn opening(&self, chart: &Chart<'_>, what: Option<String>, foreign: String) -> String {
        let kind = self.kind_name(chart.kind);
        let title = if chart.title.trim().is_empty() {
            String::new()
        } else {
            format!(" {}", self.quote(chart.title.trim()))
        };
        if self.foreign {
            return if self.en() {
                format!("The {kind}{title} {foreign}.")
            } else {
                format!("El {kind}{title} {foreign}.")
            };
        }
        let (cat, measure) = chart.axis_labels();
        let body = match (what, measure, cat) {
            (Some(w), _, _) => w,
            (None, Some(m), Some(c)) if self.en() => format!("{} by {}", lower(m), lower(c)),
            (None, Some(m), Some(c)) => format!("{} por {}", lower(m), lower(c)),
            (None, Some(m), None) => lower(m),
            (None, None, _) if self.en() => "its data".to_string(),
            (None, None, _) => "sus datos".to_string(),
        };
        if self.en() {
            format!("The {kind}{title} shows {body}.")
        } else {
            format!("El {kind}{title} muestra {body}.")
        }
    }

    // ---- highlights ----

    fn highlights(&self, chart: &Chart<'_>, out: &mut Vec<String>) {
        for h in chart.highlights {
            let label = &h.label;
            let rank = h.rank.map(|r| r as f64);
            let count = h.count.map(|c| c as f64);
            let share = h.share;
            let found = h.found;
            out.push(match (found, rank, count, self.en()) {
                (true, Some(r), Some(c), true) => format!(
                    "{label}, asked about, ranks {} with {}{}.",
                    self.num(r),
                    self.num(c),
                    share
                        .map(|s| format!(" ({})", self.pct(s)))
                        .unwrap_or_default()
                ),
                (true, Some(r), Some(c), false) => format!(
                    "{label}, por el que se pregunta, ocupa el puesto {} con {}{}.",
                    self.num(r),
                    self.num(c),
                    share
                        .map(|s| format!(" ({})", self.pct(s)))
                        .unwrap_or_default()
                ),
                (true, ..) => continue,
                (false, .., true) => format!("{label}, asked about, does not appear in the data."),
                (false, .., false) => {
                    format!("{label}, por el que se pregunta, no aparece en los datos.")
                }
            });
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-cases the first letter of an axis label used mid-sentence,
/// unless it starts an acronym ("CPC group" stays).
fn lower(s: &str) -> String {
    let mut chars = s.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            let mut out: String = a.to_lowercase().collect();
            out.push(b);
            out.extend(chars);
            out
        }
        _ => s.trim().to_string(),
    }
}

#[cfg(test)]
mod tests;
