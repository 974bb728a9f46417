//! A donut from a spec: one slice per item, the small ones and those
//! beyond `top_n` summed into Others, shares on the slices or on leader
//! lines, a legend with counts and the total in the hole; drawn by
//! [`crate::donut`], as `family_languages` is.

use super::{Figure, say, write_figures};
use crate::chart_data::{self, ChartData, ChartType};
use crate::donut::{Donut, DonutChart, MAX_SLICES};
use crate::format::{self, Locale, plural};
use crate::layout::{FontSizes, Rect, page_margin};
use crate::ranked_bars::{MAX_NOTES_SHARE, footnote_within};
use crate::{Chart, Entry, Measure, RenderError, Style};

/// Categories of Others named in its footnote; the rest are counted.
const OTHERS_LISTED: usize = 8;

/// What a donut shows (see `donut` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DonutSpec {
    pub algorithm: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The series' name in chart_data.
    pub series_name: String,
    /// In any order: ranked here by count, ties by label.
    pub items: Vec<Entry>,
    /// Slices drawn by name, 1 to [`MAX_SLICES`].
    pub top_n: u32,
    /// Items below this share of the total, in percent, join Others.
    pub min_share: f64,
    /// Under the total in the hole; "total" by default.
    pub hole_caption: Option<String>,
    pub notes: Vec<String>,
    pub totals: Vec<Figure>,
}

/// Draws `spec` in `style`: the SVG, chart_data and warnings of the chart.
pub fn draw_donut(
    spec: &DonutSpec,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    if spec.items.iter().all(|i| i.count == 0) {
        return Err(RenderError::MissingData(format!(
            "the donut spec has {} items but nothing to draw (every count is 0)",
            spec.items.len()
        )));
    }
    if !(0.0..=100.0).contains(&spec.min_share) {
        return Err(RenderError::Failed(format!(
            "min-share is a percentage from 0 to 100, not {}",
            spec.min_share
        )));
    }
    let locale = style.locale();
    let mut ranked = spec.items.clone();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    let top_n = spec.top_n.clamp(1, MAX_SLICES);
    let donut = Donut::new(
        &ranked,
        top_n,
        spec.min_share,
        str::to_owned,
        others(locale),
    );

    let mut notes = spec.notes.clone();
    if !donut.others.is_empty() {
        notes.push(note_others(&donut, locale));
    }
    // The donut draws every note it is given; a long list would push it
    // off the page, so only those that fit in the share the ranking
    // charts allow are drawn (chart_data keeps them all).
    let sizes = FontSizes::from_style(style);
    let page = Rect::page(style).inset(page_margin(style));
    let (_, fitting) = footnote_within(
        &notes,
        sizes.footnote,
        style,
        measure,
        page.width,
        page.height * MAX_NOTES_SHARE,
    );
    let caption = spec
        .hole_caption
        .clone()
        .unwrap_or_else(|| say(locale, "total".into(), "total".into()));
    let mut chart = DonutChart::new(&spec.title)
        .hole_caption(&caption)
        .notes(&notes[..fitting]);
    if let Some(s) = &spec.subtitle {
        chart = chart.subtitle(s);
    }
    let drawn = chart.draw(&donut, style, measure);

    let mut warnings = Vec::new();
    if drawn.elided > 0 {
        let n = drawn.elided;
        warnings.push(say(
            locale,
            format!("{n} long labels were shortened with “…” to fit"),
            format!("Se acortaron {n} etiquetas largas con «…» para que quepan"),
        ));
    }
    if drawn.unlabelled > 0 {
        let n = drawn.unlabelled as u64;
        warnings.push(say(
            locale,
            format!(
                "{n} {} no room for a percentage label; see the legend",
                plural(n, "slice has", "slices have")
            ),
            format!(
                "{n} {} sin espacio para su porcentaje; véase la leyenda",
                plural(n, "porción queda", "porciones quedan")
            ),
        ));
    }
    if fitting < notes.len() {
        let n = (notes.len() - fitting) as u64;
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

    let mut cd = ChartData::new(ChartType::Donut, &spec.algorithm, &spec.title, locale);
    cd.subtitle = spec.subtitle.clone();
    cd.series.push(donut.series(&spec.series_name));
    // What Others holds, item by item: the series has one point for it.
    let others: Vec<serde_json::Value> = donut
        .others
        .iter()
        .map(|e| {
            serde_json::json!({
                "label": e.label,
                "count": e.count,
                "share": chart_data::share(e.count, donut.total),
            })
        })
        .collect();
    if !others.is_empty() {
        cd.metrics.insert("others".to_owned(), others.into());
    }
    donut.write_totals(&mut cd.totals, top_n, spec.min_share);
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

/// The items Others sums, largest first, with their counts: "Others: fr
/// 8, ja 5", and past [`OTHERS_LISTED`] how many more and what they hold.
fn note_others(d: &Donut, locale: Locale) -> String {
    let listed: Vec<String> = d
        .others
        .iter()
        .take(OTHERS_LISTED)
        .map(|e| format!("{} {}", e.label, format::count(e.count, locale)))
        .collect();
    let rest = &d.others[listed.len()..];
    let head = say(locale, "Others".into(), "Otros".into());
    let mut note = format!("{head}: {}", listed.join(", "));
    if !rest.is_empty() {
        let n = rest.len() as u64;
        let c = format::count(rest.iter().map(|e| e.count).sum(), locale);
        let n_text = format::count(n, locale);
        note.push_str(&say(
            locale,
            format!(
                " and {n_text} more {} with {c}",
                plural(n, "category", "categories")
            ),
            format!(
                " y {n_text} {} más con {c}",
                plural(n, "categoría", "categorías")
            ),
        ));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chart_data, entry, numbers, strings};
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn spec() -> DonutSpec {
        DonutSpec {
            algorithm: "demo".into(),
            title: "Languages".into(),
            series_name: "Families per language".into(),
            items: vec![
                entry("ja", 5),
                entry("en", 60),
                entry("fr", 1),
                entry("zh", 30),
                entry("de", 4),
            ],
            top_n: 8,
            min_share: 2.0,
            ..DonutSpec::default()
        }
    }

    #[test]
    fn slices_are_ranked_and_small_items_summed_into_others() {
        let style = Style::default();
        let chart = draw_donut(&spec(), &style, &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "donut");
        // fr holds 1%: it alone would be an Others of one, so it is drawn.
        assert_eq!(
            strings(&cd["series"][0]["labels"]),
            ["en", "zh", "ja", "de", "fr"]
        );
        let mut s = spec();
        s.min_share = 5.0;
        let chart = draw_donut(&s, &style, &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        assert_eq!(
            strings(&cd["series"][0]["labels"]),
            ["en", "zh", "ja", "Others"]
        );
        assert_eq!(numbers(&cd["series"][0]["shares"]), [60.0, 30.0, 5.0, 5.0]);
        assert_eq!(cd["totals"]["others_entries"], 2);
        assert_eq!(cd["metrics"]["others"][0]["label"], "de");
        assert_eq!(strings(&cd["notes"]), ["Others: de 4, fr 1"]);
        assert!(chart.svg.contains(">100</text>"), "the total in the hole");
        assert!(chart.svg.contains(">total</text>"));
        crate::testing::assert_inside_page(&chart, &style, &M);
    }

    #[test]
    fn a_long_tail_is_counted_in_its_note_not_listed() {
        let mut s = spec();
        s.items = (0..30)
            .map(|i| entry(&format!("c{i:02}"), 100 - i))
            .collect();
        s.top_n = 3;
        let chart = draw_donut(&s, &Style::default(), &M).unwrap_or_else(|e| panic!("{e}"));
        let cd = chart_data(&chart);
        let note = cd["notes"][0].as_str().unwrap_or_default().to_owned();
        assert!(
            note.starts_with("Others: c03 97, c04 96,")
                && note.contains(" and 19 more categories with "),
            "{note}"
        );
    }

    #[test]
    fn a_share_outside_0_to_100_is_refused() {
        let mut s = spec();
        s.min_share = f64::NAN;
        assert!(draw_donut(&s, &Style::default(), &M).is_err());
        s.min_share = 101.0;
        assert!(draw_donut(&s, &Style::default(), &M).is_err());
    }
}
