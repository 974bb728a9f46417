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

use patchart_sdk::format::{self, Locale};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode, Result};

/// The `model_used` of this describer: bump it when its wording changes, so
/// stored descriptions say which version wrote them.
pub const MODEL: &str = "facts-1";

/// Writes the paragraph for `chart_data` in `locale`.
pub fn describe(chart_data: &Value, locale: Locale) -> Result<String> {
    let chart = Chart::read(chart_data)?;
    // Titles, axis labels and series names are in the chart's language;
    // described in another one, they are quoted, not woven into sentences.
    let foreign = chart.locale.is_some_and(|l| l != locale);
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

/// The parts of `chart_data` the describer reads, with absent optional
/// parts empty.
struct Chart<'a> {
    kind: &'a str,
    locale: Option<Locale>,
    title: &'a str,
    x_axis: Option<&'a Map<String, Value>>,
    y_axis: Option<&'a Map<String, Value>>,
    series: Vec<Series>,
    totals: Option<&'a Map<String, Value>>,
    metrics: Option<&'a Map<String, Value>>,
    highlights: Vec<&'a Map<String, Value>>,
}

struct Series {
    name: String,
    kind: String,
    labels: Vec<String>,
    values: Vec<Option<f64>>,
    shares: Vec<Option<f64>>,
    flags: Vec<String>,
}

impl<'a> Chart<'a> {
    fn read(v: &'a Value) -> Result<Chart<'a>> {
        let o = v
            .as_object()
            .ok_or_else(|| no_data("chart_data is not a JSON object"))?;
        let str_of = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("");
        let series = o
            .get("series")
            .and_then(Value::as_array)
            .ok_or_else(|| no_data("chart_data has no `series`"))?
            .iter()
            .filter_map(Value::as_object)
            .map(Series::read)
            .collect();
        Ok(Chart {
            kind: str_of("type"),
            locale: Locale::parse(str_of("locale")),
            title: str_of("title"),
            x_axis: o.get("x_axis").and_then(Value::as_object),
            y_axis: o.get("y_axis").and_then(Value::as_object),
            series,
            totals: o.get("totals").and_then(Value::as_object),
            metrics: o.get("metrics").and_then(Value::as_object),
            highlights: o
                .get("highlights")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_object).collect())
                .unwrap_or_default(),
        })
    }

    fn total(&self, name: &str) -> Option<f64> {
        self.totals?.get(name)?.as_f64()
    }

    /// The axis that names the categories (it lists them) and the one that
    /// measures, as (category label, measure label).
    fn axis_labels(&self) -> (Option<&'a str>, Option<&'a str>) {
        let label = |a: Option<&'a Map<String, Value>>| {
            a.and_then(|a| a.get("label")?.as_str())
                .filter(|s| !s.trim().is_empty())
        };
        let has_categories = |a: Option<&Map<String, Value>>| {
            a.is_some_and(|a| a.get("categories").is_some_and(Value::is_array))
        };
        if has_categories(self.y_axis) && !has_categories(self.x_axis) {
            (label(self.y_axis), label(self.x_axis))
        } else if has_categories(self.x_axis) {
            (label(self.x_axis), label(self.y_axis))
        } else if self.kind == "horizontal_bar" {
            (label(self.y_axis), label(self.x_axis))
        } else {
            (label(self.x_axis), label(self.y_axis))
        }
    }
}

impl Series {
    fn read(o: &Map<String, Value>) -> Series {
        let strings = |k: &str| -> Vec<String> {
            o.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let numbers = |k: &str| -> Vec<Option<f64>> {
            o.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Value::as_f64).collect())
                .unwrap_or_default()
        };
        Series {
            name: o
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            kind: o
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("observed")
                .to_string(),
            labels: strings("labels"),
            values: numbers("values"),
            shares: numbers("shares"),
            flags: strings("flags"),
        }
    }

    fn is_observed(&self) -> bool {
        self.kind == "observed"
    }

    fn flag(&self, i: usize) -> &str {
        self.flags.get(i).map_or("", String::as_str)
    }

    /// Labels that are all years (a time axis), with at least two points.
    fn is_temporal(&self) -> bool {
        self.labels.len() >= 2 && self.labels.iter().all(|l| year(l).is_some())
    }

    /// (label, value, share) of every point with a value, in order.
    fn points(&self) -> impl Iterator<Item = Point<'_>> {
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
fn ranked(series: &Series) -> Vec<Point<'_>> {
    let mut v: Vec<Point<'_>> = series.points().filter(|p| !p.is_aggregate()).collect();
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

    fn kind_name(&self, kind: &str) -> &'static str {
        match (kind, self.en()) {
            ("horizontal_bar", true) => "horizontal bar chart",
            ("horizontal_bar", false) => "gráfico de barras horizontales",
            ("bar", true) => "bar chart",
            ("bar", false) => "gráfico de barras",
            ("grouped_bar", true) => "grouped bar chart",
            ("grouped_bar", false) => "gráfico de barras agrupadas",
            ("line", true) => "line chart",
            ("line", false) => "gráfico de líneas",
            ("area", true) => "area chart",
            ("area", false) => "gráfico de área",
            ("dual_axis", true) => "dual-axis chart",
            ("dual_axis", false) => "gráfico de doble eje",
            ("forecast", true) => "forecast chart",
            ("forecast", false) => "gráfico de previsión",
            ("treemap", true) => "treemap",
            ("treemap", false) => "mapa de rectángulos (treemap)",
            ("donut", true) => "donut chart",
            ("donut", false) => "gráfico de anillo",
            (_, true) => "chart",
            (_, false) => "gráfico",
        }
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

    // ---- categories ---------------------------------------------------------------

    /// What the chart adds up to: the facet's `total` when `chart_data`
    /// states it, else the series' sum (Others included).
    fn base_total(&self, chart: &Chart<'_>, series: &Series) -> f64 {
        chart
            .total("total")
            .filter(|t| *t > 0.0)
            .unwrap_or_else(|| series.sum())
    }

    /// A point's share as `chart_data` states it, else of `total`.
    fn share_of(p: &Point<'_>, total: f64) -> f64 {
        p.share.unwrap_or(if total > 0.0 {
            p.value / total * 100.0
        } else {
            0.0
        })
    }

    fn categorical(&self, chart: &Chart<'_>, series: &Series, out: &mut Vec<String>) {
        let what = chart
            .axis_labels()
            .1
            .is_none()
            .then(|| lower(&series.name))
            .filter(|s| !s.is_empty());
        let ranked = ranked(series);
        let others_entries = chart.total("others_entries");
        let entries = chart
            .total("entries")
            .or_else(|| others_entries.map(|n| n + ranked.len() as f64))
            .unwrap_or(ranked.len() as f64);
        let covers = if self.en() {
            format!("covers {} categories", self.num(entries))
        } else {
            format!("abarca {} categorías", self.num(entries))
        };
        out.push(self.opening(chart, what, covers));
        if ranked.is_empty() {
            out.push(if self.en() {
                "It has no values to report.".into()
            } else {
                "No tiene valores que comentar.".into()
            });
            return;
        }
        let total = self.base_total(chart, series);
        out.push(self.leaders(&ranked, total, None));

        // Total, how many categories, what lies outside the named ones.
        let others = series.points().find(Point::is_aggregate);
        let mut s = if self.en() {
            format!(
                "The total is {} across {} categories",
                self.num(total),
                self.num(entries)
            )
        } else {
            format!(
                "El total es {} en {} categorías",
                self.num(total),
                self.num(entries)
            )
        };
        match (others, others_entries, chart.total("others_count")) {
            (Some(o), n, _) => {
                let share = self.pct(Self::share_of(&o, total));
                let label = match (self.en(), self.foreign) {
                    (true, false) => o.label.to_string(),
                    (true, true) => "Others".to_string(),
                    (false, false) => format!("«{}»", o.label),
                    (false, true) => "«Otros»".to_string(),
                };
                s.push_str(&match (self.en(), n) {
                    (true, Some(n)) => format!(
                        "; {label} ({} further categories) account for {} ({share})",
                        self.num(n),
                        self.num(o.value)
                    ),
                    (true, None) => {
                        format!("; {label} account for {} ({share})", self.num(o.value))
                    }
                    (false, Some(n)) => format!(
                        "; {label} ({} categorías más) suma {} ({share})",
                        self.num(n),
                        self.num(o.value)
                    ),
                    (false, None) => format!("; {label} suma {} ({share})", self.num(o.value)),
                });
            }
            (None, Some(n), Some(c)) if n > 0.0 => {
                s.push_str(&if self.en() {
                    format!(
                        "; {} further categories with {} are not drawn",
                        self.num(n),
                        self.num(c)
                    )
                } else {
                    format!(
                        "; otras {} categorías con {} no se dibujan",
                        self.num(n),
                        self.num(c)
                    )
                });
            }
            _ => {}
        }
        // Shares stated on another base than the total (e.g. of the
        // categories drawn) are said to be so, or they would not add up.
        if let Some(base) = chart.total("share_base_count")
            && (base - total).abs() > 0.5
        {
            s.push_str(&if self.en() {
                format!("; the shares are of {}", self.num(base))
            } else {
                format!("; las cuotas se calculan sobre {}", self.num(base))
            });
        }
        s.push('.');
        out.push(s);

        if ranked.len() >= 3 && total > 0.0 {
            out.push(self.concentration(&ranked, total));
        }
        if let Some(groups) = chart.series.iter().find(|s| s.kind == "group") {
            let g = ranked_groups(groups);
            if let Some(top) = g.first() {
                let share = self.pct(Self::share_of(top, total));
                out.push(if self.en() {
                    format!(
                        "By group, {} is the largest with {} ({share}).",
                        top.label,
                        self.num(top.value)
                    )
                } else {
                    format!(
                        "Por grupos, {} es el mayor, con {} ({share}).",
                        top.label,
                        self.num(top.value)
                    )
                });
            }
        }
    }

    /// "CN leads with 192 (52.8%), followed by WO with 30 (8.2%) and US
    /// with 29 (8.0%)." Points are taken by tiers of equal value, so a tie
    /// is said as a tie and never broken by chart order.
    fn leaders(&self, ranked: &[Point<'_>], total: f64, series: Option<&str>) -> String {
        let each = |p: &Point<'_>| {
            format!(
                "{} ({})",
                self.num(p.value),
                self.pct(Self::share_of(p, total))
            )
        };
        let mut tiers: Vec<&[Point<'_>]> = Vec::new();
        let mut rest = ranked;
        while !rest.is_empty() && tiers.iter().map(|t| t.len()).sum::<usize>() < 3 {
            let n = rest.iter().take_while(|p| p.value == rest[0].value).count();
            tiers.push(&rest[..n]);
            rest = &rest[n..];
        }
        // One tier as words: "CN with 192 (52.8%)", "A and B with 3 (1.0%)
        // each", "12 categories with 2 (0.6%) each, among them A, B and C".
        let tier = |t: &[Point<'_>], room: usize| -> String {
            let names = |k: usize| -> String {
                self.list(
                    &t.iter()
                        .take(k)
                        .map(|p| p.label.to_string())
                        .collect::<Vec<_>>(),
                )
            };
            match (t.len(), self.en()) {
                (1, true) => format!("{} with {}", t[0].label, each(&t[0])),
                (1, false) => format!("{} con {}", t[0].label, each(&t[0])),
                (n, true) if n <= room => format!("{} with {} each", names(n), each(&t[0])),
                (n, false) if n <= room => format!("{} con {} cada uno", names(n), each(&t[0])),
                (n, true) => format!(
                    "{n} categories with {} each, among them {}",
                    each(&t[0]),
                    names(room.max(1))
                ),
                (n, false) => format!(
                    "{n} categorías con {} cada una, entre ellas {}",
                    each(&t[0]),
                    names(room.max(1))
                ),
            }
        };
        let prefix = match (series, self.en()) {
            (Some(s), true) => format!("In {s}, "),
            (Some(s), false) => format!("En {s}, "),
            (None, _) => String::new(),
        };
        let first = tiers[0];
        let mut s = match (first.len(), self.en()) {
            (1, true) => format!("{prefix}{} leads with {}", first[0].label, each(&first[0])),
            (1, false) => format!(
                "{prefix}{} encabeza la lista con {}",
                first[0].label,
                each(&first[0])
            ),
            (_, true) => format!("{prefix}the lead is shared: {}", tier(first, 3)),
            (_, false) => format!("{prefix}el primer puesto es compartido: {}", tier(first, 3)),
        };
        let mut named = first.len();
        let next: Vec<String> = tiers[1..]
            .iter()
            .map(|t| {
                let room = 3usize.saturating_sub(named);
                named += t.len();
                tier(t, room)
            })
            .collect();
        if !next.is_empty() {
            s.push_str(if self.en() {
                ", followed by "
            } else {
                ", seguido de "
            });
            s.push_str(&self.list(&next));
        }
        s.push('.');
        s
    }

    /// How concentrated the ranking is, from the values and the total.
    /// When most of the total lies outside the named categories the field
    /// is fragmented; otherwise the top-three share and a
    /// Herfindahl–Hirschman index over the named categories (shares in
    /// percent, 0–10,000; Others left out, so a lower bound) say it.
    fn concentration(&self, ranked: &[Point<'_>], total: f64) -> String {
        let top3: f64 = ranked.iter().take(3).map(|p| p.value).sum::<f64>() / total * 100.0;
        let named: f64 = ranked.iter().map(|p| p.value).sum();
        let outside = (total - named) / total * 100.0;
        if outside >= 50.0 {
            return if self.en() {
                format!(
                    "The field is fragmented: the top three together hold {} of the total and {} lies outside the categories named.",
                    self.pct(top3),
                    self.pct(outside)
                )
            } else {
                format!(
                    "El campo está fragmentado: los tres primeros reúnen el {} del total y el {} queda fuera de las categorías nombradas.",
                    self.pct(top3),
                    self.pct(outside)
                )
            };
        }
        let hhi: f64 = ranked
            .iter()
            .map(|p| (p.value / total * 100.0).powi(2))
            .sum();
        let level = match (hhi, self.en()) {
            (h, true) if h > 2500.0 => "high",
            (h, true) if h >= 1500.0 => "moderate",
            (_, true) => "low",
            (h, false) if h > 2500.0 => "alta",
            (h, false) if h >= 1500.0 => "moderada",
            (_, false) => "baja",
        };
        let mut s = if self.en() {
            format!(
                "The top three together hold {} of the total, a {level} concentration (HHI {} over the named categories)",
                self.pct(top3),
                self.num(hhi.round())
            )
        } else {
            format!(
                "Los tres primeros reúnen el {} del total, una concentración {level} (IHH {} sobre las categorías nombradas)",
                self.pct(top3),
                self.num(hhi.round())
            )
        };
        if ranked[0].value / total > 0.5 {
            s.push_str(&if self.en() {
                format!("; {} alone holds more than half", ranked[0].label)
            } else {
                format!(
                    "; {} concentra por sí solo más de la mitad",
                    ranked[0].label
                )
            });
        }
        s.push('.');
        s
    }

    // ---- several series over the same categories -----------------------------------------

    fn comparison(&self, chart: &Chart<'_>, observed: &[&Series], out: &mut Vec<String>) {
        let names: Vec<String> = observed.iter().map(|s| s.name.clone()).collect();
        let quoted: Vec<String> = names.iter().map(|n| self.quote(n)).collect();
        let (cat, _) = chart.axis_labels();
        let what = match (cat, self.en()) {
            (Some(c), true) => format!("{} by {}", self.list(&names), lower(c)),
            (Some(c), false) => format!("{} por {}", self.list(&names), lower(c)),
            (None, _) => self.list(&names),
        };
        let compares = if self.en() {
            format!("compares the series {}", self.list(&quoted))
        } else {
            format!("compara las series {}", self.list(&quoted))
        };
        out.push(self.opening(chart, Some(what), compares));
        for s in observed {
            let ranked = ranked(s);
            if ranked.is_empty() {
                continue;
            }
            // Without stated shares, shares are of what the series shows,
            // and the sentence says of how much.
            let total = s.sum();
            let name = if self.foreign {
                self.quote(&s.name)
            } else {
                s.name.clone()
            };
            let mut sentence = self.leaders(&ranked, total, Some(&name));
            if s.shares.iter().all(Option::is_none) {
                sentence.pop();
                sentence.push_str(&if self.en() {
                    format!(" (shares of the {} shown).", self.num(total))
                } else {
                    format!(" (cuotas sobre los {} representados).", self.num(total))
                });
            }
            out.push(sentence);
        }
    }

    // ---- years ----------------------------------------------------------------------------

    fn temporal(&self, chart: &Chart<'_>, series: &Series, out: &mut Vec<String>) {
        let points: Vec<(i64, Point<'_>)> = series
            .points()
            .filter_map(|p| Some((year(p.label)?, p)))
            .collect();
        let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) else {
            out.push(self.opening(chart, None, String::new()).replace(" .", "."));
            out.push(if self.en() {
                "It has no values to report.".into()
            } else {
                "No tiene valores que comentar.".into()
            });
            return;
        };
        let (_, measure) = chart.axis_labels();
        let measure = measure.map(lower).unwrap_or_else(|| lower(&series.name));
        // "documents per year" already says it is yearly.
        let yearly = ["year", "año", "anual"].iter().any(|w| measure.contains(w));
        let what = match (self.en(), yearly) {
            (true, false) => format!("{measure} per year from {first} to {last}"),
            (true, true) => format!("{measure} from {first} to {last}"),
            (false, false) => format!("{measure} por año de {first} a {last}"),
            (false, true) => format!("{measure} de {first} a {last}"),
        };
        let yearly_series = if self.en() {
            format!("shows a yearly series from {first} to {last}")
        } else {
            format!("muestra una serie anual de {first} a {last}")
        };
        out.push(self.opening(chart, Some(what), yearly_series));

        let total: f64 = points.iter().map(|(_, p)| p.value).sum();
        let complete: Vec<&(i64, Point<'_>)> =
            points.iter().filter(|(_, p)| !p.is_incomplete()).collect();
        let incomplete: Vec<i64> = points
            .iter()
            .filter(|(_, p)| p.is_incomplete())
            .map(|(y, _)| *y)
            .collect();
        // The peak among complete years: a partial year is not a record.
        let peak = complete
            .iter()
            .copied()
            .chain(if complete.is_empty() {
                points.iter().collect::<Vec<_>>()
            } else {
                Vec::new()
            })
            .fold(None::<&(i64, Point<'_>)>, |best, cur| match best {
                Some(b) if b.1.value >= cur.1.value => Some(b),
                _ => Some(cur),
            });
        let mut s = if self.en() {
            format!("Over the period the series adds up to {}", self.num(total))
        } else {
            format!("En todo el periodo la serie suma {}", self.num(total))
        };
        if let Some((y, p)) = peak {
            s.push_str(&if self.en() {
                format!(", with its peak of {} in {y}", self.num(p.value))
            } else {
                format!(", con su máximo de {} en {y}", self.num(p.value))
            });
        }
        s.push('.');
        out.push(s);

        // From the first year with activity to the last complete year.
        let start = complete.iter().find(|(_, p)| p.value > 0.0);
        if let (Some((y0, p0)), Some((y1, p1))) = (start, complete.last())
            && y1 > y0
        {
            let mut s = if self.en() {
                format!(
                    "It goes from {} in {y0} to {} in {y1}, the last complete year",
                    self.num(p0.value),
                    self.num(p1.value)
                )
            } else {
                format!(
                    "Pasa de {} en {y0} a {} en {y1}, el último año completo",
                    self.num(p0.value),
                    self.num(p1.value)
                )
            };
            if let Some((yp, pp)) = complete
                .iter()
                .rev()
                .nth(1)
                .filter(|(y, p)| *y == y1 - 1 && p.value > 0.0)
            {
                let change = (p1.value / pp.value - 1.0) * 100.0;
                let signed = if change > 0.0 {
                    format!("+{}", self.pct(change))
                } else {
                    self.pct(change)
                };
                s.push_str(&if self.en() {
                    format!(" ({signed} on {yp})")
                } else {
                    format!(" ({signed} respecto a {yp})")
                });
            }
            s.push('.');
            out.push(s);
        }

        if let Some(c) = self.cagr(chart) {
            out.push(c);
        }
        if let Some(c) = chart.series.iter().find(|s| s.kind == "cumulative") {
            let at = c
                .points()
                .filter(|p| !p.is_incomplete())
                .last()
                .or_else(|| c.points().last());
            if let Some(p) = at {
                out.push(if self.en() {
                    format!(
                        "The cumulative count reaches {} by {}.",
                        self.num(p.value),
                        p.label
                    )
                } else {
                    format!("El acumulado alcanza {} en {}.", self.num(p.value), p.label)
                });
            }
        }
        if let Some(f) = self.forecasts(chart) {
            out.push(f);
        }
        if !incomplete.is_empty() {
            let ys = self.years(&incomplete);
            out.push(if self.en() {
                format!(
                    "Caveat: {ys} {} incomplete because of the publication lag, so {} understate{} the real activity and should not be read as a decline.",
                    if incomplete.len() == 1 { "is" } else { "are" },
                    if incomplete.len() == 1 { "it" } else { "they" },
                    if incomplete.len() == 1 { "s" } else { "" },
                )
            } else {
                format!(
                    "Advertencia: {ys} {} incompleto{} por el retraso de publicación, así que infravalora{} la actividad real y no debe{} leerse como un descenso.",
                    if incomplete.len() == 1 { "está" } else { "están" },
                    if incomplete.len() == 1 { "" } else { "s" },
                    if incomplete.len() == 1 { "" } else { "n" },
                    if incomplete.len() == 1 { "" } else { "n" },
                )
            });
        }
    }

    /// The CAGR `chart_data` states (`metrics.cagr`, or the `cagr_*`
    /// totals); never one computed here, since which years it spans is the
    /// plugin's documented choice.
    fn cagr(&self, chart: &Chart<'_>) -> Option<String> {
        let m = chart.metrics.and_then(|m| m.get("cagr")?.as_object());
        let get = |metric: &str, total: &str| {
            m.and_then(|m| m.get(metric)?.as_f64())
                .or_else(|| chart.total(total))
        };
        let percent = get("percent", "cagr_percent")?;
        let (y0, y1) = (
            get("start_year", "cagr_start_year")?,
            get("end_year", "cagr_end_year")?,
        );
        let values = get("start_value", "cagr_start_value").zip(get("end_value", "cagr_end_value"));
        let signed = if percent > 0.0 {
            format!("+{}", self.pct(percent))
        } else {
            self.pct(percent)
        };
        let mut s = if self.en() {
            format!("The compound annual growth rate (CAGR) from {y0} to {y1} is {signed} a year")
        } else {
            format!(
                "La tasa de crecimiento anual compuesta (TCAC) de {y0} a {y1} es del {signed} anual"
            )
        };
        if let Some((a, b)) = values {
            s.push_str(&format!(" ({} \u{2192} {})", self.num(a), self.num(b)));
        }
        if m.and_then(|m| m.get("includes_incomplete_years")?.as_bool()) == Some(true) {
            s.push_str(if self.en() {
                ", a span that includes incomplete years"
            } else {
                ", un tramo que incluye años incompletos"
            });
        }
        s.push('.');
        Some(s)
    }

    /// Each forecast series' last point, with the widest interval drawn
    /// for it (the `lower_*`/`upper_*` series that follow it).
    fn forecasts(&self, chart: &Chart<'_>) -> Option<String> {
        let mut parts = Vec::new();
        let mut horizon = None;
        for (i, f) in chart.series.iter().enumerate() {
            if f.kind != "forecast" {
                continue;
            }
            let Some(last) = f.points().last() else {
                continue;
            };
            horizon.get_or_insert(last.label.to_string());
            let bounds: Vec<&Series> = chart.series[i + 1..]
                .iter()
                .take_while(|s| s.kind != "forecast")
                .filter(|s| s.kind.starts_with("lower_") || s.kind.starts_with("upper_"))
                .collect();
            let level_of = |s: &Series| -> Option<u32> { s.kind.split_once('_')?.1.parse().ok() };
            let widest = bounds.iter().filter_map(|s| level_of(s)).max();
            let band = widest.and_then(|lvl| {
                let at = |prefix: &str| {
                    bounds
                        .iter()
                        .find(|s| s.kind == format!("{prefix}_{lvl}"))
                        .and_then(|s| s.points().find(|p| p.label == last.label))
                        .map(|p| p.value)
                };
                Some((lvl, at("lower")?, at("upper")?))
            });
            let name = strip_suffix_after_dash(&f.name);
            // Model output: one decimal throughout, so 59.0 and 50.1 read
            // as figures of the same precision.
            let d1 = |v: f64| format::decimal(v, 1, self.l);
            let mut s = if self.en() {
                format!("{name} projects {}", d1(last.value))
            } else {
                format!("{name} proyecta {}", d1(last.value))
            };
            if let Some((lvl, lo, hi)) = band {
                s.push_str(&if self.en() {
                    format!(" ({lvl}% interval {} to {})", d1(lo), d1(hi))
                } else {
                    format!(" (intervalo del {lvl}\u{a0}%: de {} a {})", d1(lo), d1(hi))
                });
            }
            parts.push(s);
        }
        let horizon = horizon?;
        Some(if self.en() {
            format!("Forecasts for {horizon}: {}.", self.list(&parts))
        } else {
            format!("Previsiones para {horizon}: {}.", self.list(&parts))
        })
    }

    // ---- highlights -----------------------------------------------------------------------

    fn highlights(&self, chart: &Chart<'_>, out: &mut Vec<String>) {
        for h in &chart.highlights {
            let Some(label) = h.get("label").and_then(Value::as_str) else {
                continue;
            };
            let found = h.get("found").and_then(Value::as_bool) == Some(true);
            let rank = h.get("rank").and_then(Value::as_f64);
            let count = h.get("count").and_then(Value::as_f64);
            let share = h.get("share").and_then(Value::as_f64);
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

/// Treemap groups, largest first.
fn ranked_groups(series: &Series) -> Vec<Point<'_>> {
    ranked(series)
}

/// "Holt – forecast" -> "Holt": the method, without the series role the
/// plugin appended after a dash.
fn strip_suffix_after_dash(name: &str) -> &str {
    match name.rsplit_once(" \u{2013} ") {
        Some((head, _)) if !head.trim().is_empty() => head.trim(),
        _ => name.trim(),
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
mod tests {
    use super::*;
    use serde_json::json;

    /// `top_patent_countries` of the shared export, as the plugin writes it.
    fn countries() -> Value {
        json!({
            "schema_version": 1, "type": "horizontal_bar", "algorithm": "top_patent_countries",
            "title": "Top 15 patent countries", "locale": "en",
            "subtitle": "364 published patent documents in 35 countries and offices",
            "x_axis": {"label": "Published patent documents"},
            "y_axis": {"label": "Jurisdiction", "categories": ["CN", "WO", "US", "EP", "KR", "CA", "JP", "AU", "DE", "AT", "BR", "DK", "FR", "IT", "NL", "Others"]},
            "series": [{
                "name": "Published patent documents", "kind": "observed",
                "labels": ["CN", "WO", "US", "EP", "KR", "CA", "JP", "AU", "DE", "AT", "BR", "DK", "FR", "IT", "NL", "Others"],
                "values": [192, 30, 29, 18, 13, 11, 10, 8, 6, 4, 3, 3, 3, 3, 3, 28],
                "shares": [52.75, 8.24, 7.97, 4.95, 3.57, 3.02, 2.75, 2.2, 1.65, 1.1, 0.82, 0.82, 0.82, 0.82, 0.82, 7.69],
                "ranks": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, null],
                "flags": ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "others"]
            }],
            "totals": {"entries": 35, "others_count": 28, "others_entries": 20, "others_share": 7.69,
                       "shown_count": 15, "top_n": 15, "top_share": 92.31, "total": 364},
            "highlights": [], "notes": [], "warnings": []
        })
    }

    fn years(flags: bool) -> Value {
        let labels: Vec<String> = (2015..=2023).map(|y| y.to_string()).collect();
        let mut s = json!({"name": "Published documents", "kind": "observed", "labels": labels,
                           "values": [3, 8, 0, 21, 26, 27, 31, 27, 9]});
        if flags {
            s["flags"] = json!(["", "", "", "", "", "", "", "incomplete", "incomplete"]);
        }
        json!({
            "schema_version": 1, "type": "line", "algorithm": "patent_evolution",
            "title": "Patent documents published per year", "locale": "en",
            "x_axis": {"label": "Year", "categories": labels},
            "y_axis": {"label": "Published patent documents"},
            "series": [s], "totals": {"total": 152}, "notes": [], "warnings": []
        })
    }

    #[test]
    fn a_ranking_gives_the_leader_its_count_its_share_and_the_total_in_both_locales() {
        let en = describe(&countries(), Locale::En).expect("en");
        for needle in [
            "horizontal bar chart",
            "\u{201c}Top 15 patent countries\u{201d}",
            "published patent documents by jurisdiction",
            "CN leads with 192 (52.8%)",
            "WO with 30 (8.2%) and US with 29 (8.0%)",
            "The total is 364 across 35 categories",
            "Others (20 further categories) account for 28 (7.7%)",
            "The top three together hold 69.0% of the total, a high concentration",
            "CN alone holds more than half",
        ] {
            assert!(en.contains(needle), "{needle:?} missing in: {en}");
        }
        let es = describe(&countries(), Locale::Es).expect("es");
        for needle in [
            "gráfico de barras horizontales",
            "CN encabeza la lista con 192 (52,8\u{a0}%)",
            "El total es 364 en 35 categorías",
            // The chart is in English: its words are not woven into Spanish.
            "El gráfico de barras horizontales «Top 15 patent countries» abarca 35 categorías.",
            "«Otros» (20 categorías más) suma 28 (7,7\u{a0}%)",
            "una concentración alta",
            "CN concentra por sí solo más de la mitad",
        ] {
            assert!(es.contains(needle), "{needle:?} missing in: {es}");
        }
    }

    #[test]
    fn a_chart_in_the_same_language_is_described_with_its_own_words() {
        let mut cd = countries();
        cd["locale"] = json!("es");
        cd["y_axis"]["label"] = json!("Jurisdicción");
        cd["x_axis"]["label"] = json!("Documentos de patente publicados");
        cd["series"][0]["labels"][15] = json!("Otros");
        let es = describe(&cd, Locale::Es).expect("es");
        assert!(
            es.starts_with("El gráfico de barras horizontales «Top 15 patent countries» muestra documentos de patente publicados por jurisdicción."),
            "{es}"
        );
        assert!(es.contains("«Otros» (20 categorías más)"), "{es}");
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.starts_with("The horizontal bar chart \u{201c}Top 15 patent countries\u{201d} covers 35 categories."),
            "{en}"
        );
        assert!(en.contains("; Others (20 further categories)"), "{en}");
    }

    #[test]
    fn numbers_follow_the_locale() {
        let mut cd = countries();
        cd["totals"]["total"] = json!(12345);
        cd["series"][0]["shares"] = Value::Null;
        let en = describe(&cd, Locale::En).expect("en");
        assert!(en.contains("The total is 12,345"), "{en}");
        assert!(en.contains("192 (1.6%)"), "shares of the total: {en}");
        let es = describe(&cd, Locale::Es).expect("es");
        assert!(es.contains("El total es 12.345"), "{es}");
        assert!(es.contains("192 (1,6\u{a0}%)"), "{es}");
    }

    #[test]
    fn the_same_chart_gives_the_same_words() {
        let a = describe(&countries(), Locale::Es).expect("a");
        let b = describe(&countries(), Locale::Es).expect("b");
        assert_eq!(a, b);
    }

    #[test]
    fn years_give_span_total_peak_change_and_the_lag_caveat() {
        let en = describe(&years(true), Locale::En).expect("en");
        for needle in [
            "line chart",
            "published patent documents per year from 2015 to 2023",
            "adds up to 152",
            // 2022 has 27 too, but it is incomplete: the peak is 2021's.
            "peak of 31 in 2021",
            "from 3 in 2015 to 31 in 2021, the last complete year (+14.8% on 2020)",
            "2022 and 2023 are incomplete because of the publication lag",
        ] {
            assert!(en.contains(needle), "{needle:?} missing in: {en}");
        }
        let es = describe(&years(true), Locale::Es).expect("es");
        assert!(es.contains("2022 y 2023 están incompletos"), "{es}");
        assert!(es.contains("(+14,8\u{a0}% respecto a 2020)"), "{es}");

        let plain = describe(&years(false), Locale::En).expect("no flags");
        assert!(!plain.contains("incomplete"), "{plain}");
        assert!(plain.contains("to 9 in 2023"), "{plain}");
    }

    #[test]
    fn a_stated_cagr_and_a_cumulative_series_are_reported() {
        let mut cd = years(true);
        cd["type"] = json!("dual_axis");
        cd["series"].as_array_mut().expect("series").push(json!({
            "name": "Cumulative", "kind": "cumulative",
            "labels": (2015..=2023).map(|y| y.to_string()).collect::<Vec<_>>(),
            "values": [3, 11, 11, 32, 58, 85, 116, 143, 152],
            "flags": ["", "", "", "", "", "", "", "incomplete", "incomplete"]
        }));
        cd["metrics"] = json!({"cagr": {"start_year": 2015, "end_year": 2021, "start_value": 3,
                                        "end_value": 31, "percent": 47.6, "includes_incomplete_years": false}});
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.contains("(CAGR) from 2015 to 2021 is +47.6% a year (3 \u{2192} 31)"),
            "{en}"
        );
        assert!(
            en.contains("The cumulative count reaches 116 by 2021"),
            "{en}"
        );
        let es = describe(&cd, Locale::Es).expect("es");
        assert!(
            es.contains("(TCAC) de 2015 a 2021 es del +47,6\u{a0}% anual"),
            "{es}"
        );
    }

    #[test]
    fn forecasts_give_each_method_with_its_widest_interval() {
        let mut cd = years(true);
        cd["type"] = json!("forecast");
        let f = |name: &str, kind: &str, v: [f64; 2]| json!({"name": name, "kind": kind, "labels": ["2024", "2025"], "values": v});
        let series = cd["series"].as_array_mut().expect("series");
        series.extend([
            f("Holt \u{2013} forecast", "forecast", [33.0, 35.25]),
            f("Holt \u{2013} lower 80%", "lower_80", [25.0, 24.0]),
            f("Holt \u{2013} upper 80%", "upper_80", [40.0, 46.0]),
            f("Holt \u{2013} lower 95%", "lower_95", [20.0, 18.04]),
            f("Holt \u{2013} upper 95%", "upper_95", [45.0, 52.46]),
            f("ARIMA(0,1,0) \u{2013} forecast", "forecast", [31.0, 31.0]),
            f("ARIMA(0,1,0) \u{2013} lower 80%", "lower_80", [20.0, 16.0]),
            f("ARIMA(0,1,0) \u{2013} upper 80%", "upper_80", [42.0, 46.0]),
        ]);
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.contains("Forecasts for 2025: Holt projects 35.2 (95% interval 18.0 to 52.5) and ARIMA(0,1,0) projects 31.0 (80% interval 16.0 to 46.0)."),
            "{en}"
        );
        let es = describe(&cd, Locale::Es).expect("es");
        assert!(
            es.contains("Holt proyecta 35,2 (intervalo del 95\u{a0}%: de 18,0 a 52,5)"),
            "{es}"
        );
    }

    #[test]
    fn a_treemap_without_axes_is_named_by_its_series_and_shares_keep_their_base() {
        let cd = json!({
            "schema_version": 1, "type": "treemap", "algorithm": "cpc_treemap", "title": "Top CPC subgroups",
            "locale": "en",
            "series": [{"name": "Documents per CPC subgroup", "kind": "observed",
                        "labels": ["G01N33/24", "G01N33/18", "G01N33/0098", "G01N1/28"],
                        "values": [98, 40, 39, 17], "shares": [50.52, 20.62, 20.1, 8.76]}],
            "totals": {"total": 400, "entries": 30, "others_count": 206, "others_entries": 26,
                       "share_base_count": 194},
            "notes": [], "warnings": []
        });
        let en = describe(&cd, Locale::En).expect("en");
        for needle in [
            "The treemap \u{201c}Top CPC subgroups\u{201d} shows documents per CPC subgroup.",
            "G01N33/24 leads with 98 (50.5%)",
            "The total is 400 across 30 categories; 26 further categories with 206 are not drawn; the shares are of 194.",
            // 98 + 40 + 39 of 400 (44.25, printed as the chart prints it); 51.5%
            // outside the four named.
            "fragmented: the top three together hold 44.2% of the total and 51.5% lies outside",
        ] {
            assert!(en.contains(needle), "{needle:?} missing in: {en}");
        }
    }

    #[test]
    fn a_donut_counts_the_categories_inside_others() {
        let cd = json!({
            "schema_version": 1, "type": "donut", "algorithm": "family_languages", "title": "Languages",
            "locale": "es",
            "series": [{"name": "Familias por idioma", "kind": "observed",
                        "labels": ["inglés", "chino", "alemán", "Otros"], "values": [238, 192, 13, 35],
                        "flags": ["", "", "", "others"]}],
            "totals": {"total": 478, "others_entries": 9},
            "notes": [], "warnings": []
        });
        let es = describe(&cd, Locale::Es).expect("es");
        assert!(
            es.starts_with("El gráfico de anillo «Languages» muestra familias por idioma."),
            "{es}"
        );
        // A label that opens a sentence is capitalised.
        assert!(
            es.contains(" Inglés encabeza la lista con 238 (49,8\u{a0}%)"),
            "{es}"
        );
        assert!(es.contains("El total es 478 en 12 categorías"), "{es}");
    }

    #[test]
    fn ties_are_said_as_ties() {
        let cd = json!({
            "schema_version": 1, "type": "horizontal_bar", "algorithm": "x", "title": "Inventors", "locale": "en",
            "series": [{"name": "Documents", "labels": ["A", "B", "C", "D", "E", "F"],
                        "values": [4, 3, 3, 3, 3, 1]}],
            "totals": {"total": 17}, "notes": [], "warnings": []
        });
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.contains("A leads with 4 (23.5%), followed by 4 categories with 3 (17.6%) each, among them B and C."),
            "{en}"
        );
        let mut shared = cd.clone();
        shared["series"][0]["values"] = json!([4, 4, 3, 1, 1, 1]);
        let en = describe(&shared, Locale::En).expect("en");
        assert!(
            en.contains(
                "The lead is shared: A and B with 4 (23.5%) each, followed by C with 3 (17.6%)."
            ),
            "{en}"
        );
    }

    #[test]
    fn grouped_bars_give_the_leader_of_each_series() {
        let cd = json!({
            "schema_version": 1, "type": "grouped_bar", "algorithm": "x", "title": "Applicants vs inventors",
            "locale": "en",
            "x_axis": {"label": "Country", "categories": ["US", "KR", "CN"]},
            "y_axis": {"label": "Patent documents"},
            "series": [
                {"name": "Applicants", "kind": "observed", "labels": ["US", "KR", "CN"], "values": [63, 11, 9]},
                {"name": "Inventors", "kind": "observed", "labels": ["US", "KR", "CN"], "values": [62, 9, 9]}
            ],
            "totals": {}, "notes": [], "warnings": []
        });
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.contains("shows Applicants and Inventors by country."),
            "{en}"
        );
        assert!(
            en.contains("In Applicants, US leads with 63 (75.9%), followed by KR with 11 (13.3%) and CN with 9 (10.8%) (shares of the 83 shown)."),
            "{en}"
        );
        assert!(
            en.contains(
                "In Inventors, US leads with 62 (77.5%), followed by KR and CN with 9 (11.2%) each"
            ),
            "{en}"
        );
    }

    #[test]
    fn highlights_are_reported_where_they_rank() {
        let mut cd = countries();
        cd["highlights"] = json!([
            {"label": "EC", "found": true, "rank": 22, "count": 1, "share": 0.27, "in_chart": false},
            {"label": "ZZ", "found": false}
        ]);
        let en = describe(&cd, Locale::En).expect("en");
        assert!(
            en.contains("EC, asked about, ranks 22 with 1 (0.3%)."),
            "{en}"
        );
        assert!(
            en.contains("ZZ, asked about, does not appear in the data."),
            "{en}"
        );
    }

    #[test]
    fn unreadable_chart_data_is_a_clear_error() {
        for bad in [json!([1, 2]), json!({"type": "bar"}), json!({"series": []})] {
            let e = describe(&bad, Locale::En).expect_err("no data");
            assert_eq!(e.code, ErrorCode::AiNoChartData);
            assert!(e.message.contains("cannot be described"), "{}", e.message);
        }
    }
}
