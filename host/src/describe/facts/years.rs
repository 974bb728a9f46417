//! Years: span, total, peak, first and last complete year, the CAGR
//! chart_data states, the cumulative figure, each forecast with its widest
//! interval, and the caveat on years flagged `incomplete`.

use patchart_sdk::format;
use serde_json::Value;

use super::{Chart, Point, Series, Writer, lower, year};

impl Writer {
    pub(super) fn temporal(&self, chart: &Chart<'_>, series: &Series, out: &mut Vec<String>) {
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
        let measure = measure.map(lower).unwrap_or_else(|| lower(series.name));
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
        let m = chart.metrics.get("cagr").and_then(Value::as_object);
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
            let name = strip_suffix_after_dash(f.name);
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
}

/// "Holt – forecast" -> "Holt": the method, without the series role the
/// plugin appended after a dash.
fn strip_suffix_after_dash(name: &str) -> &str {
    match name.rsplit_once(" \u{2013} ") {
        Some((head, _)) if !head.trim().is_empty() => head.trim(),
        _ => name.trim(),
    }
}
