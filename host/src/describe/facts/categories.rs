//! Categories: the leaders of a ranking with counts and shares, the
//! total, what Others holds and how concentrated the ranking is; and,
//! for several observed series over the same categories, the leader of
//! each.

use super::{Chart, Point, Series, Writer, lower, ranked};

impl Writer {
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

    pub(super) fn categorical(&self, chart: &Chart<'_>, series: &Series, out: &mut Vec<String>) {
        let what = chart
            .axis_labels()
            .1
            .is_none()
            .then(|| lower(series.name))
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

    // ---- several series over the same categories ----

    pub(super) fn comparison(
        &self,
        chart: &Chart<'_>,
        observed: &[&Series],
        out: &mut Vec<String>,
    ) {
        let names: Vec<String> = observed.iter().map(|s| s.name.to_string()).collect();
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
                self.quote(s.name)
            } else {
                s.name.to_string()
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
}

/// Treemap groups, largest first.
fn ranked_groups<'a>(series: &Series<'a>) -> Vec<Point<'a>> {
    ranked(series)
}
