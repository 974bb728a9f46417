//! Ranked bars from a spec: the ranking charts' picture (bars, Others,
//! wrapped labels, fitted value labels) for any list of counted items.

use super::{Figure, say, write_figures};
use crate::chart_data::{Axis, ChartData, ChartType};
use crate::format::{self, Locale, plural};
use crate::ranked_bars::{RankedBars, Ranking};
use crate::{Chart, Entry, Measure, RenderError, Style};

/// What a ranked-bars chart shows (see `ranked-bars` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RankedBarsSpec {
    pub algorithm: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub value_title: String,
    pub category_title: Option<String>,
    /// In any order: ranked here by count, ties by label.
    pub items: Vec<Entry>,
    pub top_n: u32,
    pub max_label_lines: u32,
    pub notes: Vec<String>,
    pub totals: Vec<Figure>,
}

/// Draws `spec` in `style`: the SVG, chart_data and warnings of the chart.
pub fn draw_ranked_bars(
    spec: &RankedBarsSpec,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    if spec.items.is_empty() {
        return Err(RenderError::MissingData(
            "the ranked-bars spec has no items to draw".to_owned(),
        ));
    }
    let locale = style.locale();
    let mut ranked = spec.items.clone();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    let top_n = spec.top_n.max(1) as usize;
    let ranking = Ranking::top(&ranked, top_n, others(locale));

    let mut notes = spec.notes.clone();
    if ranking.others_count > 0 {
        notes.push(note_others(
            locale,
            ranking.others_count,
            ranking.others_entries,
            ranking.others_capped(),
        ));
    }
    let labels: Vec<String> = ranking.bars.iter().map(|b| b.label.clone()).collect();
    let values = ranking
        .bars
        .iter()
        .map(|b| {
            format!(
                "{} ({})",
                format::count(b.count, locale),
                format::percent(b.share, 2, locale)
            )
        })
        .collect();
    let mut bars = RankedBars::new(&spec.title, &ranking, labels.clone(), values)
        .x_title(&spec.value_title)
        .notes(&notes)
        .max_label_lines(spec.max_label_lines.max(1) as usize);
    if let Some(s) = &spec.subtitle {
        bars = bars.subtitle(s);
    }
    if let Some(t) = &spec.category_title {
        bars = bars.y_title(t);
    }
    let drawn = bars.draw(style, measure);

    let mut warnings = Vec::new();
    if drawn.crowded {
        let n = ranking.bars.len();
        warnings.push(say(
            locale,
            format!(
                "{n} bars are too many to label legibly in {} px; raise the chart height or lower top_n",
                style.height
            ),
            format!(
                "{n} barras son demasiadas para rotularlas de forma legible en {} px; aumente la altura del gráfico o reduzca top_n",
                style.height
            ),
        ));
    }
    if drawn.elided > 0 {
        let n = drawn.elided;
        warnings.push(say(
            locale,
            format!("{n} long labels were shortened with “…” to fit"),
            format!("Se acortaron {n} etiquetas largas con «…» para que quepan"),
        ));
    }
    if drawn.dropped_notes > 0 {
        let n = drawn.dropped_notes as u64;
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

    let mut cd = ChartData::new(
        ChartType::HorizontalBar,
        &spec.algorithm,
        &spec.title,
        locale,
    );
    cd.subtitle = spec.subtitle.clone();
    cd.x_axis = Some(Axis::new(&spec.value_title));
    let category_title = spec.category_title.clone().unwrap_or_default();
    cd.y_axis = Some(Axis::new(&category_title).categories(labels));
    cd.series.push(ranking.series(&spec.value_title));
    ranking.write_totals(&mut cd.totals);
    write_figures(&mut cd.totals, &spec.totals)?;
    cd.notes = notes;
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

/// What the Others bar sums; `capped`: it is drawn cut short.
fn note_others(locale: Locale, count: u64, entries: usize, capped: bool) -> String {
    let docs = format::count(count, locale);
    let n = format::count(entries as u64, locale);
    let e = entries as u64;
    let note = say(
        locale,
        format!(
            "Others: {docs} {} in {n} more {}",
            plural(count, "document", "documents"),
            plural(e, "category", "categories")
        ),
        format!(
            "Otros: {docs} {} en {n} {} más",
            plural(count, "documento", "documentos"),
            plural(e, "categoría", "categorías")
        ),
    );
    match (capped, locale) {
        (false, _) => note,
        (true, Locale::En) => format!("{note} (bar cut short, not to scale)"),
        (true, Locale::Es) => format!("{note} (barra acortada, no a escala)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chart_data, entry, strings};
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn spec() -> RankedBarsSpec {
        RankedBarsSpec {
            algorithm: "demo".into(),
            title: "Demo".into(),
            value_title: "Patent documents".into(),
            items: vec![entry("B", 3), entry("A", 3), entry("C", 9), entry("D", 1)],
            top_n: 2,
            totals: vec![Figure {
                name: "sections".into(),
                value: 4.0,
            }],
            ..RankedBarsSpec::default()
        }
    }

    #[test]
    fn ranks_by_count_then_label_and_sums_the_rest_as_others() {
        let chart =
            draw_ranked_bars(&spec(), &Style::default(), &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "horizontal_bar");
        assert_eq!(strings(&cd["series"][0]["labels"]), ["C", "A", "Others"]);
        assert_eq!(cd["totals"]["total"], 16);
        assert_eq!(cd["totals"]["others_count"], 4);
        assert_eq!(cd["totals"]["sections"], 4.0);
        assert_eq!(
            strings(&cd["notes"]),
            ["Others: 4 documents in 2 more categories"]
        );
        crate::testing::assert_inside_page(&chart, &Style::default(), &M);
    }

    #[test]
    fn a_figure_may_not_overwrite_what_the_sdk_writes() {
        let mut s = spec();
        s.totals[0].name = "total".into();
        let e = draw_ranked_bars(&s, &Style::default(), &M).expect_err("refused");
        assert!(e.to_string().contains("`total`"), "{e}");
    }
}
