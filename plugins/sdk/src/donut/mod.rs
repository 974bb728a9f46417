//! Donut charts: one slice per category, clockwise from twelve o'clock and
//! largest first, with its share on the slice or beside it on a leader
//! line; categories below a minimum share or beyond the `top_n` largest
//! are summed into one neutral Others slice. A legend lists every slice
//! with its count and share, and the hole holds the total.
//!
//! Two halves, as for the ranking charts ([`crate::ranked_bars`]):
//!
//! - [`Donut`] computes the figures once (slices, shares of the total,
//!   ranks, what Others holds) and writes them into chart_data
//!   ([`Donut::series`], [`Donut::write_totals`]);
//! - [`DonutChart`] draws them.
//!
//! ```
//! use patchart_sdk::donut::{Donut, DonutChart};
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::{Entry, Style};
//!
//! let ranked = vec![
//!     Entry { label: "en".into(), count: 260 },
//!     Entry { label: "zh".into(), count: 180 },
//!     Entry { label: "fr".into(), count: 8 },
//!     Entry { label: "ja".into(), count: 5 },
//! ];
//! let donut = Donut::new(&ranked, 8, 2.0, |code| code.to_uppercase(), "Others");
//! assert_eq!(donut.others_count, 13);
//! let drawn = DonutChart::new("Languages").draw(&donut, &Style::default(), &UniformMeasure::default());
//! assert!(drawn.svg.contains(">EN</text>"));
//! ```

mod draw;

use crate::chart_data::{self, Series, Totals};
use crate::{Entry, Measure, Style};

/// More slices than this cannot be told apart by colour (palettes have
/// eight) nor labelled around a donut.
pub const MAX_SLICES: u32 = 20;

/// One slice of the donut, clockwise from twelve o'clock.
#[derive(Debug, Clone, PartialEq)]
pub struct DonutSlice {
    /// The label as the facet gives it; `None` for Others.
    pub label: Option<String>,
    /// The name the slice is drawn with (the label, or its translation).
    pub name: String,
    pub count: u64,
    /// Percent of all counts, two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
}

impl DonutSlice {
    pub fn is_others(&self) -> bool {
        self.label.is_none()
    }
}

/// The figures of a donut: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Donut {
    pub slices: Vec<DonutSlice>,
    pub total: u64,
    /// Categories with a count above zero.
    pub entries: usize,
    /// Categories summed into Others, largest first, with their counts.
    pub others: Vec<Entry>,
    pub others_count: u64,
}

impl Donut {
    /// The slices of `ranked` (in rank order, see [`crate::Facet::ranked`]):
    /// the largest up to `top_n` whose share is at least `min_share`
    /// percent, named by `name_of`, and one Others slice labelled
    /// `others_label` for the rest. The largest is always drawn whatever
    /// `min_share` says, and an Others of one category is drawn by name
    /// instead, since it would hide a name for nothing.
    pub fn new(
        ranked: &[Entry],
        top_n: u32,
        min_share: f64,
        name_of: impl Fn(&str) -> String,
        others_label: &str,
    ) -> Donut {
        let ranked: Vec<&Entry> = ranked.iter().filter(|e| e.count > 0).collect();
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        // Ranked by count, so the entries that pass both limits form a
        // prefix.
        let mut kept = ranked
            .iter()
            .take(top_n as usize)
            .take_while(|e| chart_data::share(e.count, total) >= min_share)
            .count()
            .max(1)
            .min(ranked.len());
        if ranked.len() - kept == 1 {
            kept += 1;
        }
        let mut slices: Vec<DonutSlice> = ranked[..kept]
            .iter()
            .enumerate()
            .map(|(i, e)| DonutSlice {
                label: Some(e.label.clone()),
                name: name_of(&e.label),
                count: e.count,
                share: chart_data::share(e.count, total),
                rank: Some(i as u64 + 1),
            })
            .collect();
        let others: Vec<Entry> = ranked[kept..].iter().map(|e| (*e).clone()).collect();
        let others_count: u64 = others.iter().map(|e| e.count).sum();
        if others_count > 0 {
            slices.push(DonutSlice {
                label: None,
                name: others_label.to_owned(),
                count: others_count,
                share: chart_data::share(others_count, total),
                rank: None,
            });
        }
        Donut {
            slices,
            total,
            entries: ranked.len(),
            others,
            others_count,
        }
    }

    /// The slices as one chart_data series named `name`: names as drawn,
    /// counts, shares, ranks and the `others` flag.
    pub fn series(&self, name: &str) -> Series {
        Series {
            name: name.to_owned(),
            kind: Some("observed".to_owned()),
            labels: self.slices.iter().map(|s| s.name.clone()).collect(),
            values: self.slices.iter().map(|s| Some(s.count as f64)).collect(),
            shares: Some(self.slices.iter().map(|s| Some(s.share)).collect()),
            ranks: Some(self.slices.iter().map(|s| s.rank).collect()),
            flags: Some(
                self.slices
                    .iter()
                    .map(|s| if s.is_others() { "others" } else { "" }.to_owned())
                    .collect(),
            ),
        }
    }

    /// The slices drawn by name (Others left out).
    pub fn shown(&self) -> usize {
        self.slices.iter().filter(|s| !s.is_others()).count()
    }

    /// The figures every donut reports, after `total` and whatever the
    /// plugin writes second (its word for `entries`): `top_n`, `min_share`,
    /// `shown_count`, `others_count`, `others_entries`, `others_share`.
    pub fn write_limits(&self, totals: &mut Totals, top_n: u32, min_share: f64) {
        totals
            .set("top_n", top_n)
            .set("min_share", min_share)
            .set("shown_count", self.shown())
            .set("others_count", self.others_count)
            .set("others_entries", self.others.len())
            .set(
                "others_share",
                chart_data::share(self.others_count, self.total),
            );
    }

    /// [`Donut::write_limits`] with `total` and `entries` before and
    /// `top_share` (of the largest slice) after.
    pub fn write_totals(&self, totals: &mut Totals, top_n: u32, min_share: f64) {
        totals.set("total", self.total).set("entries", self.entries);
        self.write_limits(totals, top_n, min_share);
        totals.set("top_share", self.slices.first().map(|s| s.share));
    }
}

/// A donut picture: what it says around the slices.
#[derive(Debug, Clone, PartialEq)]
pub struct DonutChart {
    pub title: String,
    pub subtitle: Option<String>,
    /// The caption under the total in the hole ("counts in 12 languages"),
    /// drawn when there is room.
    pub hole_caption: Option<String>,
    pub notes: Vec<String>,
}

/// The drawn donut and what the plugin should warn about.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnDonut {
    pub svg: String,
    /// Legend names that had to be cut with "…".
    pub elided: usize,
    /// Slices that got no percentage label (they are in the legend).
    pub unlabelled: usize,
}

impl DonutChart {
    pub fn new(title: &str) -> DonutChart {
        DonutChart {
            title: title.to_owned(),
            subtitle: None,
            hole_caption: None,
            notes: Vec::new(),
        }
    }

    pub fn subtitle(mut self, subtitle: &str) -> DonutChart {
        self.subtitle = Some(subtitle.to_owned());
        self
    }

    pub fn hole_caption(mut self, caption: &str) -> DonutChart {
        self.hole_caption = Some(caption.to_owned());
        self
    }

    pub fn notes(mut self, notes: &[String]) -> DonutChart {
        self.notes = notes.to_vec();
        self
    }

    /// Lays the page out, measuring before drawing (see the `draw` module),
    /// and draws `donut` in `style`.
    pub fn draw(&self, donut: &Donut, style: &Style, measure: &dyn Measure) -> DrawnDonut {
        draw::draw(self, donut, style, measure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::entry;

    fn ranked() -> Vec<Entry> {
        vec![
            entry("en", 260),
            entry("zh", 180),
            entry("de", 15),
            entry("ko", 10),
            entry("fr", 8),
            entry("ja", 5),
            entry("es", 3),
            entry("xx", 0),
        ]
    }

    #[test]
    fn small_and_late_categories_are_summed_into_others() {
        let d = Donut::new(&ranked(), 8, 2.0, str::to_owned, "Others");
        let names: Vec<&str> = d.slices.iter().map(|s| s.name.as_str()).collect();
        // fr holds 1.66% (< 2%), so it and everything smaller go to Others.
        assert_eq!(names, ["en", "zh", "de", "ko", "Others"]);
        assert_eq!(d.others_count, 16);
        assert_eq!(d.entries, 7, "the zero count is no category");
        let d = Donut::new(&ranked(), 2, 0.0, str::to_owned, "Others");
        assert_eq!(d.slices.len(), 3);
        assert_eq!(d.slices[2].count, 41);
    }

    #[test]
    fn the_largest_is_always_drawn_and_others_is_never_one_category() {
        let d = Donut::new(&ranked(), 8, 60.0, str::to_owned, "Others");
        assert_eq!(d.slices[0].name, "en");
        assert!(d.slices[1].is_others());
        let three = [entry("a", 90), entry("b", 9), entry("c", 1)];
        let d = Donut::new(&three, 8, 2.0, str::to_owned, "Others");
        assert_eq!(d.slices.len(), 3);
        assert!(d.slices.iter().all(|s| !s.is_others()));
    }

    #[test]
    fn totals_and_series_agree_with_the_slices() {
        let d = Donut::new(&ranked(), 8, 2.0, str::to_uppercase, "Others");
        let s = d.series("Documents");
        assert_eq!(s.labels, ["EN", "ZH", "DE", "KO", "Others"]);
        assert_eq!(s.flags.as_ref().map(|f| f[4].as_str()), Some("others"));
        let mut t = Totals::new();
        d.write_totals(&mut t, 8, 2.0);
        assert_eq!(t.get("shown_count"), Some(&chart_data::Scalar::Int(4)));
        assert_eq!(t.get("others_entries"), Some(&chart_data::Scalar::Int(3)));
        assert_eq!(t.get("top_share"), Some(&chart_data::Scalar::Number(54.05)));
    }
}
