//! Treemap charts: the largest `top_n` categories of a facet as the cells
//! of a squarified treemap ([`crate::treemap::squarify`]), each cell's area
//! proportional to its count and labelled with its label, count and share
//! as far as the cell allows; cells too small for any label are listed in
//! a footnote. Optionally the rest is one neutral Others cell, and the
//! cells are clustered and coloured by group, with a legend of the groups.
//!
//! Two halves, as for the ranking charts ([`crate::ranked_bars`]):
//!
//! - [`Treemap`] computes the figures once (cells, shares, groups, what
//!   lies outside the cells) and writes them into chart_data
//!   ([`Treemap::series`], [`Treemap::write_totals`] …);
//! - [`TreemapChart`] draws them, in the words of [`TreemapTexts`].
//!
//! Shares are of what the treemap's area stands for: every count of the
//! facet when Others is drawn, the counts of the cells otherwise.
//!
//! ```
//! use patchart_sdk::format::Locale;
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::treemap_chart::{Treemap, TreemapChart, TreemapTexts};
//! use patchart_sdk::{Entry, Style};
//!
//! let ranked = vec![
//!     Entry { label: "G01N33/24".into(), count: 98 },
//!     Entry { label: "C02F1/28".into(), count: 40 },
//!     Entry { label: "B09C1/10".into(), count: 3 },
//! ];
//! let map = Treemap::new(&ranked, None, 2, true, "Others");
//! assert_eq!(map.others_count, 3);
//! let texts = TreemapTexts::generic(Locale::En);
//! let chart = TreemapChart::new("Top subgroups", &map, &texts);
//! let drawn = chart.draw(&Style::default(), &UniformMeasure::default());
//! assert!(drawn.svg.contains(">G01N33/24</text>"));
//! ```

mod draw;

use std::collections::HashMap;

use crate::chart_data::{self, Series, Totals};
use crate::format::{self, Locale, plural};
use crate::{Entry, Measure, Style};

/// One cell of the treemap.
#[derive(Debug, Clone, PartialEq)]
pub struct TreemapCell {
    pub label: String,
    pub count: u64,
    /// Percent of the treemap's whole (see [`Treemap::whole`]), two decimals.
    pub share: f64,
    /// 1-based rank in the facet; `None` for Others.
    pub rank: Option<u64>,
    /// Index into [`Treemap::groups`] when grouping.
    pub group: Option<usize>,
    pub is_others: bool,
}

/// A group of the cells drawn (a CPC main group of subgroups).
#[derive(Debug, Clone, PartialEq)]
pub struct TreemapGroup {
    pub label: String,
    /// Sum of its cells' counts.
    pub count: u64,
    pub share: f64,
    /// Indices into [`Treemap::cells`], largest first.
    pub cells: Vec<usize>,
}

/// The figures of a treemap: computed once, then drawn and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Treemap {
    /// Ranked cells, then Others when drawn.
    pub cells: Vec<TreemapCell>,
    /// Groups by descending count, ties by label; empty unless grouping.
    pub groups: Vec<TreemapGroup>,
    /// Sum of the facet's counts.
    pub total: u64,
    pub entries: usize,
    pub top_n: u32,
    pub shown: usize,
    pub shown_total: u64,
    pub others_count: u64,
    pub others_entries: usize,
    pub others_drawn: bool,
    /// What the area stands for and shares are of: `total` with Others,
    /// `shown_total` without.
    pub whole: u64,
}

impl Treemap {
    /// The first `top_n` of `ranked` (in rank order, see
    /// [`crate::Facet::ranked`]) as cells, and the rest as one Others cell
    /// labelled `others_label` when `others` is asked for and the rest holds
    /// anything. `groups`, aligned with `ranked`, names each entry's group;
    /// with it the cells are grouped.
    pub fn new(
        ranked: &[Entry],
        groups: Option<&[String]>,
        top_n: u32,
        others: bool,
        others_label: &str,
    ) -> Treemap {
        let total: u64 = ranked.iter().map(|e| e.count).sum();
        // Zero-count entries have no area; drawing them would only add
        // unlabelled slivers.
        let shown = ranked
            .iter()
            .take(top_n as usize)
            .take_while(|e| e.count > 0)
            .count();
        let shown_total: u64 = ranked[..shown].iter().map(|e| e.count).sum();
        let rest = &ranked[shown..];
        let others_count: u64 = rest.iter().map(|e| e.count).sum();
        let others_entries = rest.iter().filter(|e| e.count > 0).count();
        let others_drawn = others && others_count > 0;
        let whole = if others_drawn { total } else { shown_total };

        let mut cells: Vec<TreemapCell> = ranked[..shown]
            .iter()
            .enumerate()
            .map(|(i, e)| TreemapCell {
                label: e.label.clone(),
                count: e.count,
                share: chart_data::share(e.count, whole),
                rank: Some(i as u64 + 1),
                group: None,
                is_others: false,
            })
            .collect();
        let groups = match groups {
            Some(names) => group_cells(&mut cells, names, whole),
            None => Vec::new(),
        };
        if others_drawn {
            cells.push(TreemapCell {
                label: others_label.to_owned(),
                count: others_count,
                share: chart_data::share(others_count, whole),
                rank: None,
                group: None,
                is_others: true,
            });
        }
        Treemap {
            cells,
            groups,
            total,
            entries: ranked.len(),
            top_n,
            shown,
            shown_total,
            others_count,
            others_entries,
            others_drawn,
            whole,
        }
    }

    /// The cells as one chart_data series named `name`: counts, shares (of
    /// [`Treemap::whole`]), ranks and flags (`others`, and `unlabelled` for
    /// the cells in `unlabelled`).
    pub fn series(&self, name: &str, unlabelled: &[usize]) -> Series {
        let flags = self
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.is_others {
                    "others".to_owned()
                } else if unlabelled.contains(&i) {
                    "unlabelled".to_owned()
                } else {
                    String::new()
                }
            })
            .collect();
        Series {
            name: name.to_owned(),
            kind: Some("observed".to_owned()),
            labels: self.cells.iter().map(|c| c.label.clone()).collect(),
            values: self.cells.iter().map(|c| Some(c.count as f64)).collect(),
            shares: Some(self.cells.iter().map(|c| Some(c.share)).collect()),
            ranks: Some(self.cells.iter().map(|c| c.rank).collect()),
            flags: Some(flags),
        }
    }

    /// The groups as a chart_data series of kind `group`, or `None`
    /// without grouping.
    pub fn group_series(&self, name: &str) -> Option<Series> {
        if self.groups.is_empty() {
            return None;
        }
        Some(Series {
            name: name.to_owned(),
            kind: Some("group".to_owned()),
            labels: self.groups.iter().map(|g| g.label.clone()).collect(),
            values: self.groups.iter().map(|g| Some(g.count as f64)).collect(),
            shares: Some(self.groups.iter().map(|g| Some(g.share)).collect()),
            ranks: None,
            flags: None,
        })
    }

    /// The group of each cell, aligned with [`Treemap::series`]'s labels
    /// (null for Others), for chart_data's `metrics`: series carry no
    /// per-point text besides flags, which mark states. `None` without
    /// grouping.
    pub fn group_of_cell(&self) -> Option<serde_json::Value> {
        if self.groups.is_empty() {
            return None;
        }
        let of_cell: Vec<serde_json::Value> = self
            .cells
            .iter()
            .map(|c| match c.group {
                Some(g) => serde_json::Value::String(self.groups[g].label.clone()),
                None => serde_json::Value::Null,
            })
            .collect();
        Some(of_cell.into())
    }

    /// The figures every treemap reports: `total`, `entries`, `top_n`,
    /// `shown_count`, `shown_total`, `top_share`, `others_count`,
    /// `others_entries`, `others_share` (shares of `total`), `share_base`
    /// (`total` or `shown_total`: what the cells' shares are of),
    /// `share_base_count` and `unlabelled_cells`.
    pub fn write_totals(&self, totals: &mut Totals, unlabelled: usize) {
        totals
            .set("total", self.total)
            .set("entries", self.entries)
            .set("top_n", self.top_n)
            .set("shown_count", self.shown)
            .set("shown_total", self.shown_total)
            .set("top_share", chart_data::share(self.shown_total, self.total))
            .set("others_count", self.others_count)
            .set("others_entries", self.others_entries)
            .set(
                "others_share",
                chart_data::share(self.others_count, self.total),
            )
            .set(
                "share_base",
                if self.others_drawn {
                    "total"
                } else {
                    "shown_total"
                },
            )
            .set("share_base_count", self.whole)
            .set("unlabelled_cells", unlabelled);
    }
}

/// Groups the ranked cells by `names` (aligned with the ranked entries the
/// cells were made from), setting each cell's group. The cells are ranked,
/// so each group's cells come out largest first.
fn group_cells(cells: &mut [TreemapCell], names: &[String], whole: u64) -> Vec<TreemapGroup> {
    let mut groups: Vec<TreemapGroup> = Vec::new();
    // A map from label to group index keeps this linear in the cells; the
    // groups' order comes from the vector, never from the map.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, cell) in cells.iter().enumerate() {
        // An entry without a group name is a group of its own, so it still
        // gets a colour rather than an error.
        let label = names.get(i).cloned().unwrap_or_else(|| cell.label.clone());
        let g = *index.entry(label.clone()).or_insert_with(|| {
            groups.push(TreemapGroup {
                label,
                count: 0,
                share: 0.0,
                cells: Vec::new(),
            });
            groups.len() - 1
        });
        groups[g].count += cell.count;
        groups[g].cells.push(i);
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        groups[b]
            .count
            .cmp(&groups[a].count)
            .then_with(|| groups[a].label.cmp(&groups[b].label))
    });
    let mut sorted: Vec<TreemapGroup> = Vec::with_capacity(groups.len());
    for (new_index, &old) in order.iter().enumerate() {
        let mut g = groups[old].clone();
        g.share = chart_data::share(g.count, whole);
        for &c in &g.cells {
            cells[c].group = Some(new_index);
        }
        sorted.push(g);
    }
    sorted
}

/// The words a treemap draws besides its labels and notes, in one locale.
#[derive(Debug, Clone, PartialEq)]
pub struct TreemapTexts {
    pub locale: Locale,
    /// Heading of the legend of groups ("CPC main group").
    pub legend_heading: String,
    /// The noun the Others cell counts its entries in, singular and plural
    /// ("subgroup", "subgroups"): its third line reads "26 subgroups".
    pub entry_one: String,
    pub entry_many: String,
}

impl TreemapTexts {
    /// Words for any facet: "Group", "12 categories".
    pub fn generic(locale: Locale) -> TreemapTexts {
        let (heading, one, many) = match locale {
            Locale::En => ("Group", "category", "categories"),
            Locale::Es => ("Grupo", "categoría", "categorías"),
        };
        TreemapTexts {
            locale,
            legend_heading: heading.to_owned(),
            entry_one: one.to_owned(),
            entry_many: many.to_owned(),
        }
    }

    pub fn count(&self, n: u64) -> String {
        format::count(n, self.locale)
    }

    /// A share as cells and the legend write it: two decimals.
    pub fn percent(&self, share: f64) -> String {
        format::percent(share, 2, self.locale)
    }

    /// A cell's second line: "98 (12.91%)".
    pub fn count_and_share(&self, count: u64, share: f64) -> String {
        format!("{} ({})", self.count(count), self.percent(share))
    }

    /// The third line of the Others cell: how many entries it sums.
    pub fn others_entries(&self, n: usize) -> String {
        let word = plural(n as u64, &self.entry_one, &self.entry_many);
        format!("{} {word}", self.count(n as u64))
    }

    /// The last legend row when not every group fits.
    pub fn more_groups(&self, n: usize) -> String {
        let n_text = self.count(n as u64);
        match self.locale {
            Locale::En => format!("{n_text} more {}", plural(n as u64, "group", "groups")),
            Locale::Es => format!("{n_text} {} más", plural(n as u64, "grupo", "grupos")),
        }
    }

    /// Cells too small for a label, as "G01N1/08 (9)".
    pub fn note_unlabelled(&self, items: &[(String, u64)]) -> String {
        let list: Vec<String> = items
            .iter()
            .map(|(label, count)| format!("{label} ({})", self.count(*count)))
            .collect();
        match self.locale {
            Locale::En => format!("Too small to label: {}", list.join(", ")),
            Locale::Es => format!("Demasiado pequeños para rotular: {}", list.join(", ")),
        }
    }
}

/// A treemap picture: the figures and what it says around them.
#[derive(Debug, Clone)]
pub struct TreemapChart<'a> {
    pub title: String,
    pub subtitle: Option<String>,
    /// Footnotes that do not depend on the layout, most important first;
    /// the note listing unlabelled cells is added after them.
    pub notes: Vec<String>,
    pub map: &'a Treemap,
    pub texts: &'a TreemapTexts,
}

/// The drawn treemap and what the plugin should report.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnTreemap {
    pub svg: String,
    /// Every footnote: the chart's, then the list of unlabelled cells.
    pub notes: Vec<String>,
    /// Indices of the cells drawn without a label.
    pub unlabelled: Vec<usize>,
    /// Groups that did not get a legend row of their own (summed in its
    /// last row, or all of them when not even one row fits).
    pub groups_cut: usize,
    /// Footnotes left out of the picture for lack of room (the last ones).
    pub notes_cut: usize,
}

impl<'a> TreemapChart<'a> {
    pub fn new(title: &str, map: &'a Treemap, texts: &'a TreemapTexts) -> TreemapChart<'a> {
        TreemapChart {
            title: title.to_owned(),
            subtitle: None,
            notes: Vec::new(),
            map,
            texts,
        }
    }

    pub fn subtitle(mut self, subtitle: &str) -> TreemapChart<'a> {
        self.subtitle = Some(subtitle.to_owned());
        self
    }

    pub fn notes(mut self, notes: &[String]) -> TreemapChart<'a> {
        self.notes = notes.to_vec();
        self
    }

    /// Lays the page out, measuring before drawing (see the `draw` module),
    /// and draws it.
    pub fn draw(&self, style: &Style, measure: &dyn Measure) -> DrawnTreemap {
        draw::draw(self, style, measure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::entry;

    #[test]
    fn others_and_shares_follow_what_the_area_stands_for() {
        let ranked = [entry("A", 6), entry("B", 3), entry("C", 1), entry("D", 0)];
        let without = Treemap::new(&ranked, None, 2, false, "Others");
        assert_eq!(without.cells.len(), 2);
        assert_eq!((without.whole, without.others_count), (9, 1));
        assert_eq!(without.cells[0].share, 66.67);
        let with = Treemap::new(&ranked, None, 2, true, "Others");
        assert_eq!(with.cells.len(), 3);
        assert!(with.cells[2].is_others);
        assert_eq!((with.whole, with.others_entries), (10, 1));
        assert_eq!(with.cells[0].share, 60.0);
        let mut t = Totals::new();
        with.write_totals(&mut t, 0);
        assert_eq!(
            t.get("share_base"),
            Some(&chart_data::Scalar::Text("total".into()))
        );
    }

    #[test]
    fn groups_are_ranked_and_entries_without_one_are_their_own() {
        let ranked = [
            entry("A1", 5),
            entry("B1", 4),
            entry("A2", 3),
            entry("X", 1),
        ];
        let names = ["A".to_owned(), "B".to_owned(), "A".to_owned()];
        let map = Treemap::new(&ranked, Some(&names), 10, false, "Others");
        let labels: Vec<&str> = map.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["A", "B", "X"]);
        assert_eq!(map.groups[0].cells, [0, 2]);
        assert_eq!(map.cells[3].group, Some(2));
        assert_eq!(
            map.group_of_cell(),
            Some(serde_json::json!(["A", "B", "A", "X"]))
        );
    }

    #[test]
    fn the_words_follow_the_locale() {
        let es = TreemapTexts::generic(Locale::Es);
        assert_eq!(es.count_and_share(1234, 12.9), "1234 (12,90\u{a0}%)");
        assert_eq!(es.others_entries(1), "1 categoría");
        assert_eq!(es.more_groups(3), "3 grupos más");
        let en = TreemapTexts::generic(Locale::En);
        assert_eq!(
            en.note_unlabelled(&[("G01N1/08".into(), 9), ("A".into(), 12_000)]),
            "Too small to label: G01N1/08 (9), A (12,000)"
        );
    }
}
