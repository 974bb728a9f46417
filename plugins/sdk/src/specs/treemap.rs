//! A treemap from a spec: the largest items as squarified cells labelled
//! with label, count and share as far as each cell allows, the rest as an
//! Others cell on request, and cells clustered and coloured by group when
//! items name one; drawn by [`crate::treemap_chart`], as `cpc_treemap` is.

use super::{Figure, say, write_figures};
use crate::chart_data::{ChartData, ChartType};
use crate::format::{self, Locale, plural};
use crate::treemap_chart::{Treemap, TreemapChart, TreemapTexts};
use crate::{Chart, Entry, Measure, RenderError, Style};

/// The most cells a spec may ask for: beyond it cells are too small to
/// label, and every one costs measuring on three layout passes.
pub const MAX_CELLS: u32 = 100;

/// One item of a treemap (see `treemap-item` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreemapItem {
    pub label: String,
    pub count: u64,
    /// The group the item's cell is clustered and coloured by.
    pub group: Option<String>,
}

/// What a treemap shows (see `treemap` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreemapSpec {
    pub algorithm: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The series' name in chart_data.
    pub series_name: String,
    /// In any order: ranked here by count, ties by label.
    pub items: Vec<TreemapItem>,
    /// Cells drawn, 1 to [`MAX_CELLS`].
    pub top_n: u32,
    /// Draw the rest as one Others cell (shares are then of every item).
    pub others: bool,
    /// Heading of the legend of groups; "Group" by default.
    pub group_title: Option<String>,
    pub notes: Vec<String>,
    pub totals: Vec<Figure>,
}

/// Draws `spec` in `style`: the SVG, chart_data and warnings of the chart.
pub fn draw_treemap(
    spec: &TreemapSpec,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    if spec.items.iter().all(|i| i.count == 0) {
        return Err(RenderError::MissingData(format!(
            "the treemap spec has {} items but nothing to draw (every count is 0)",
            spec.items.len()
        )));
    }
    let locale = style.locale();
    let mut items: Vec<&TreemapItem> = spec.items.iter().collect();
    items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    let ranked: Vec<Entry> = items
        .iter()
        .map(|i| Entry {
            label: i.label.clone(),
            count: i.count,
        })
        .collect();
    // An item without a group is a group of its own, named by its label.
    let groups: Option<Vec<String>> = items.iter().any(|i| i.group.is_some()).then(|| {
        items
            .iter()
            .map(|i| i.group.clone().unwrap_or_else(|| i.label.clone()))
            .collect()
    });
    let top_n = spec.top_n.clamp(1, MAX_CELLS);
    let map = Treemap::new(
        &ranked,
        groups.as_deref(),
        top_n,
        spec.others,
        others(locale),
    );

    let mut texts = TreemapTexts::generic(locale);
    if let Some(t) = &spec.group_title {
        texts.legend_heading = t.clone();
    }
    let mut notes = spec.notes.clone();
    if map.others_count > 0 {
        notes.push(note_rest(&map, locale));
    }
    let mut chart = TreemapChart::new(&spec.title, &map, &texts).notes(&notes);
    if let Some(s) = &spec.subtitle {
        chart = chart.subtitle(s);
    }
    let drawn = chart.draw(style, measure);

    let mut warnings = Vec::new();
    if drawn.groups_cut > 0 {
        let n = drawn.groups_cut as u64;
        warnings.push(say(
            locale,
            format!(
                "{n} {} not fit in the legend; see chart_data",
                plural(n, "group does", "groups do")
            ),
            format!(
                "{n} {} en la leyenda; véase chart_data",
                plural(n, "grupo no cabe", "grupos no caben")
            ),
        ));
    }
    if !drawn.unlabelled.is_empty() {
        let n = drawn.unlabelled.len() as u64;
        warnings.push(say(
            locale,
            format!(
                "{n} {} too small to label; listed in the notes",
                plural(n, "cell is", "cells are")
            ),
            format!(
                "{n} {} demasiado {} para rotular; se enumeran en las notas",
                plural(n, "celda es", "celdas son"),
                plural(n, "pequeña", "pequeñas"),
            ),
        ));
    }
    if drawn.notes_cut > 0 {
        let n = drawn.notes_cut as u64;
        warnings.push(say(
            locale,
            format!(
                "{n} {} left out of the picture for lack of room (all are in the chart data)",
                plural(n, "footnote was", "footnotes were")
            ),
            format!(
                "{n} {} del gráfico por falta de espacio (todas están en los datos del gráfico)",
                plural(n, "nota al pie se omitió", "notas al pie se omitieron")
            ),
        ));
    }

    let mut cd = ChartData::new(ChartType::Treemap, &spec.algorithm, &spec.title, locale);
    cd.subtitle = spec.subtitle.clone();
    cd.series
        .push(map.series(&spec.series_name, &drawn.unlabelled));
    if let Some(groups) = map.group_series(&texts.legend_heading) {
        cd.series.push(groups);
    }
    if let Some(of_cell) = map.group_of_cell() {
        cd.metrics.insert("group_of_cell".to_owned(), of_cell);
    }
    map.write_totals(&mut cd.totals, drawn.unlabelled.len());
    if !map.groups.is_empty() {
        cd.totals.set("groups", map.groups.len());
    }
    write_figures(&mut cd.totals, &spec.totals)?;
    cd.notes = drawn.notes;
    cd.warnings = warnings.clone();
    Ok(Chart {
        svg: drawn.svg,
        chart_data: cd.to_json()?,
        warnings,
    })
}

fn others(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "Others",
        Locale::Es => "Otros",
    }
}

/// What the Others cell holds, or what is left out and what the shares
/// are then of. No noun for the counts: an item may count documents,
/// classifications or families, and only the plugin knows which.
fn note_rest(map: &Treemap, locale: Locale) -> String {
    let c = format::count(map.others_count, locale);
    let e = format::count(map.others_entries as u64, locale);
    let n = map.others_entries as u64;
    let whole = format::count(map.whole, locale);
    match (locale, map.others_drawn) {
        (Locale::En, true) => format!(
            "Others: {c} in {e} more {}; shares are of all {whole}",
            plural(n, "category", "categories")
        ),
        (Locale::En, false) => format!(
            "Not drawn: {c} in {e} more {}; shares are of the {whole} in the cells drawn",
            plural(n, "category", "categories")
        ),
        (Locale::Es, true) => format!(
            "Otros: {c} en {e} {} más; los porcentajes son del total de {whole}",
            plural(n, "categoría", "categorías")
        ),
        (Locale::Es, false) => format!(
            "No se muestran: {c} en {e} {} más; los porcentajes son de los {whole} de las celdas mostradas",
            plural(n, "categoría", "categorías")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chart_data, numbers, strings};
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn item(label: &str, count: u64, group: Option<&str>) -> TreemapItem {
        TreemapItem {
            label: label.into(),
            count,
            group: group.map(str::to_owned),
        }
    }

    fn spec(others: bool) -> TreemapSpec {
        TreemapSpec {
            algorithm: "demo".into(),
            title: "Subgroups".into(),
            series_name: "Documents per subgroup".into(),
            items: vec![
                item("B1", 30, None),
                item("A1", 50, None),
                item("A2", 15, None),
                item("C1", 5, None),
            ],
            top_n: 3,
            others,
            ..TreemapSpec::default()
        }
    }

    #[test]
    fn cells_are_ranked_and_shares_are_of_what_the_area_stands_for() {
        let style = Style::default();
        let chart = draw_treemap(&spec(false), &style, &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "treemap");
        assert_eq!(strings(&cd["series"][0]["labels"]), ["A1", "B1", "A2"]);
        // 50, 30 and 15 of the 95 drawn.
        assert_eq!(numbers(&cd["series"][0]["shares"]), [52.63, 31.58, 15.79]);
        assert_eq!(cd["totals"]["share_base"], "shown_total");
        assert_eq!(
            strings(&cd["notes"]),
            ["Not drawn: 5 in 1 more category; shares are of the 95 in the cells drawn"]
        );
        crate::testing::assert_inside_page(&chart, &style, &M);

        let chart = draw_treemap(&spec(true), &style, &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(
            strings(&cd["series"][0]["labels"]),
            ["A1", "B1", "A2", "Others"]
        );
        assert_eq!(numbers(&cd["series"][0]["shares"]), [50.0, 30.0, 15.0, 5.0]);
        assert_eq!(cd["series"][0]["flags"][3], "others");
        assert_eq!(cd["totals"]["total"], 100);
    }

    #[test]
    fn items_that_name_a_group_are_clustered_with_a_legend() {
        let mut s = spec(false);
        s.top_n = 10;
        s.group_title = Some("Main group".into());
        s.items[0].group = Some("B".into());
        s.items[1].group = Some("A".into());
        s.items[2].group = Some("A".into());
        let chart = draw_treemap(&s, &Style::default(), &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["series"][1]["kind"], "group");
        assert_eq!(cd["series"][1]["name"], "Main group");
        assert_eq!(strings(&cd["series"][1]["labels"]), ["A", "B", "C1"]);
        assert_eq!(numbers(&cd["series"][1]["values"]), [65.0, 30.0, 5.0]);
        assert_eq!(
            cd["metrics"]["group_of_cell"],
            serde_json::json!(["A", "B", "A", "C1"])
        );
        assert_eq!(cd["totals"]["groups"], 3);
        assert!(chart.svg.contains(">Main group</text>"));
    }

    #[test]
    fn nothing_to_draw_is_missing_data() {
        let mut s = spec(true);
        s.items.iter_mut().for_each(|i| i.count = 0);
        let e = draw_treemap(&s, &Style::default(), &M).expect_err("refused");
        assert!(matches!(e, RenderError::MissingData(_)), "{e}");
        s.items.clear();
        assert!(draw_treemap(&s, &Style::default(), &M).is_err());
    }
}
