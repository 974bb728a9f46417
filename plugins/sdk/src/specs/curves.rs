//! Curves from a spec: lines over two numeric axes, laid out like the
//! year charts (heading and legend on top, footnotes below, both axes
//! measured before the plot gets what is left).

use super::{Figure, say, write_figures};
use crate::axis::{LinearAxis, Side};
use crate::chart_data::{Axis, ChartData, ChartType, Series, round2};
use crate::footnote::Footnote;
use crate::format::{self, plural};
use crate::layout::{FontSizes, Heading, Rect, page_margin};
use crate::legend::{Legend, LegendItem};
use crate::measure_cache::MeasureCache;
use crate::palette;
use crate::scale::LinearScale;
use crate::series::{LineStyle, draw_line};
use crate::svg::{Group, Paint, Svg};
use crate::{Chart, Measure, RenderError, Style};

/// One line of a [`CurvesSpec`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CurveLine {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn thin, dashed and neutral; never filled.
    pub reference: bool,
}

/// What a curve chart shows (see `curves` in `wit/deps/sdk`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CurvesSpec {
    pub algorithm: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub x_title: String,
    pub y_title: String,
    /// Both axes run 0–100 and read as percentages.
    pub percent: bool,
    pub lines: Vec<CurveLine>,
    /// Shade between the first data line and the first reference line.
    pub fill_gap: bool,
    pub notes: Vec<String>,
    pub totals: Vec<Figure>,
}

/// Footnotes never take more than this share of the page.
const MAX_FOOTNOTE_SHARE: f32 = 0.3;

/// Draws `spec` in `style`: the SVG, chart_data and warnings of the chart.
pub fn draw_curves(
    spec: &CurvesSpec,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    check(spec)?;
    let cache = MeasureCache::new(measure);
    let measure: &dyn Measure = &cache;
    let locale = style.locale();
    let sizes = FontSizes::from_style(style);
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(&spec.title);
    if let Some(s) = &spec.subtitle {
        svg.set_description(s);
    }

    // Colours: data lines take the palette in order, reference lines the
    // neutral Others grey, so the data is always what stands out.
    let mut next = 0;
    let colors: Vec<String> = spec
        .lines
        .iter()
        .map(|l| {
            if l.reference {
                palette::others_color().to_owned()
            } else {
                next += 1;
                style.color(next - 1).to_owned()
            }
        })
        .collect();

    let mut page = Rect::page(style).inset(page_margin(style));
    let mut heading = Heading::new(&spec.title);
    if let Some(s) = &spec.subtitle {
        heading = heading.subtitle(s);
    }
    let heading_area = page.cut_top(heading.height(measure, page.width, &sizes));
    let legend = Legend::new(
        spec.lines
            .iter()
            .zip(&colors)
            .map(|(l, c)| LegendItem::new(&l.name, c))
            .collect(),
        sizes.legend,
        style,
    );
    let legend_height = legend.height(measure, page.width);
    let legend_area = page.cut_top(legend_height);
    if legend_height > 0.0 {
        page.cut_top(sizes.legend * 0.8);
    }
    let mut shown = spec.notes.len();
    let mut footnote = Footnote::new(&spec.notes, sizes.footnote, style);
    while shown > 0 && footnote.height(measure, page.width) > page.height * MAX_FOOTNOTE_SHARE {
        shown -= 1;
        footnote = Footnote::new(&spec.notes[..shown], sizes.footnote, style);
    }
    let footnote_area = page.cut_bottom(footnote.height(measure, page.width));

    let (x_domain, y_domain) = domains(spec);
    let percent = spec.percent;
    let tick = move |v: f64| {
        if percent {
            format::percent(v, 0, locale)
        } else {
            format::number(v, 2, locale)
        }
    };
    // One line of tick labels plus the title, whatever the ticks.
    let probe = LinearAxis::new(
        Side::Bottom,
        LinearScale::new((0.0, 1.0), (0.0, 1.0)),
        style,
    )
    .title(&spec.x_title);
    page.cut_bottom(probe.thickness(measure));
    page.cut_top(sizes.tick * 0.6);
    let y = LinearScale::new(y_domain, (page.bottom(), page.y)).nice(5);
    let y_axis = LinearAxis::new(Side::Left, y, style)
        .max_ticks(6)
        .format(tick)
        .title(&spec.y_title);
    page.cut_left(y_axis.thickness(measure));
    let tick_count = ((page.width / 90.0).floor() as usize).clamp(2, 10);
    let mut x = LinearScale::new(x_domain, (page.x, page.right())).nice(tick_count);
    let (over_l, over_r) = LinearAxis::new(Side::Bottom, x, style)
        .max_ticks(tick_count)
        .format(tick)
        .overhang(measure);
    if over_l > 0.0 || over_r > 0.0 {
        x = x.with_range((page.x + over_l, page.right() - over_r));
    }
    let plot = page;
    let x_axis = LinearAxis::new(Side::Bottom, x, style)
        .max_ticks(tick_count)
        .format(tick)
        .title(&spec.x_title)
        .title_span(plot.x, plot.right());
    // The value axis stands at the x domain's start, not at the plot's
    // edge: the first x tick label may have pulled the domain inwards.
    let (left, right) = x.range();

    heading.draw(&mut svg, measure, heading_area, &sizes, style);
    y_axis.draw_grid(&mut svg, measure, left, right);
    x_axis.draw_grid(&mut svg, measure, plot.y, plot.bottom());

    let px = |(a, b): (f64, f64)| (x.map(a), y.map(b));
    if spec.fill_gap {
        let data = spec.lines.iter().position(|l| !l.reference);
        let reference = spec.lines.iter().position(|l| l.reference);
        if let (Some(d), Some(r)) = (data, reference) {
            let mut poly: Vec<(f32, f32)> = spec.lines[d].points.iter().copied().map(px).collect();
            poly.extend(spec.lines[r].points.iter().rev().copied().map(px));
            svg.polygon(&poly, &Paint::fill(&colors[d]).opacity(0.18).class("gap"));
        }
    }
    svg.open_group(&Group::new().class("lines"));
    // Reference lines first, so data lines are drawn over them.
    let order = spec
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.reference)
        .chain(spec.lines.iter().enumerate().filter(|(_, l)| !l.reference));
    for (i, line) in order {
        let points: Vec<Option<(f32, f32)>> = line.points.iter().map(|&p| Some(px(p))).collect();
        let (width, dash): (f32, &[f32]) = if line.reference {
            (1.5, &[6.0, 4.0])
        } else {
            (2.5, &[])
        };
        let line_style = LineStyle::new(&colors[i], width).dashed(dash);
        draw_line(
            &mut svg,
            &points,
            None,
            &line_style,
            &style.background,
            "curve",
        );
    }
    svg.close_group();
    y_axis.draw(&mut svg, measure, left);
    x_axis.draw(&mut svg, measure, plot.bottom());
    legend.draw(&mut svg, measure, legend_area);
    footnote.draw(&mut svg, measure, footnote_area);

    let mut warnings = Vec::new();
    let hidden = (spec.notes.len() - shown) as u64;
    if hidden > 0 {
        warnings.push(say(
            locale,
            format!(
                "{hidden} {} left out of the picture for lack of room (all are in the chart data)",
                plural(hidden, "footnote was", "footnotes were")
            ),
            format!(
                "{hidden} {} del gráfico por falta de espacio (todas están en los datos del gráfico)",
                plural(hidden, "nota al pie se omitió", "notas al pie se omitieron")
            ),
        ));
    }

    let mut cd = ChartData::new(ChartType::Line, &spec.algorithm, &spec.title, locale);
    cd.subtitle = spec.subtitle.clone();
    let axis = |title: &str| {
        let a = Axis::new(title);
        if percent { a.unit("%") } else { a }
    };
    cd.x_axis = Some(axis(&spec.x_title));
    cd.y_axis = Some(axis(&spec.y_title));
    for line in &spec.lines {
        let mut s = Series::new(&line.name);
        s.kind = Some(
            if line.reference {
                "reference"
            } else {
                "observed"
            }
            .to_owned(),
        );
        s.labels = line
            .points
            .iter()
            .map(|p| round2(p.0).to_string())
            .collect();
        s.values = line.points.iter().map(|p| Some(round2(p.1))).collect();
        cd.series.push(s);
    }
    cd.totals.set("lines", spec.lines.len());
    write_figures(&mut cd.totals, &spec.totals)?;
    cd.notes = spec.notes.clone();
    cd.warnings = warnings.clone();
    Ok(Chart {
        svg: svg.finish(),
        chart_data: cd.to_json()?,
        warnings,
    })
}

/// Refuses what cannot be drawn, naming the line.
fn check(spec: &CurvesSpec) -> Result<(), RenderError> {
    if spec.lines.iter().all(|l| l.points.len() < 2) {
        return Err(RenderError::MissingData(
            "the curves spec has no line with two points or more".to_owned(),
        ));
    }
    for l in &spec.lines {
        if let Some((x, y)) = l
            .points
            .iter()
            .find(|(x, y)| !x.is_finite() || !y.is_finite())
        {
            return Err(RenderError::Failed(format!(
                "line `{}` has the point ({x}, {y}); every coordinate must be a finite number",
                l.name
            )));
        }
    }
    Ok(())
}

/// The axes' domains: 0–100 for percentages, else the points' extent
/// (from 0 when every value is positive, so areas read true).
fn domains(spec: &CurvesSpec) -> ((f64, f64), (f64, f64)) {
    if spec.percent {
        return ((0.0, 100.0), (0.0, 100.0));
    }
    let points = spec.lines.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0_f64, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    ((x0, x1), (y0, y1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::chart_data;
    use crate::text::UniformMeasure;

    const M: UniformMeasure = UniformMeasure { em: 0.6 };

    fn lorenz() -> CurvesSpec {
        CurvesSpec {
            algorithm: "demo".into(),
            title: "Concentration".into(),
            x_title: "Applicants".into(),
            y_title: "Documents".into(),
            percent: true,
            fill_gap: true,
            lines: vec![
                CurveLine {
                    name: "Equality".into(),
                    points: vec![(0.0, 0.0), (100.0, 100.0)],
                    reference: true,
                },
                CurveLine {
                    name: "Lorenz".into(),
                    points: vec![(0.0, 0.0), (50.0, 10.0), (100.0, 100.0)],
                    reference: false,
                },
            ],
            notes: vec!["A note".into()],
            ..CurvesSpec::default()
        }
    }

    #[test]
    fn draws_percent_axes_both_lines_and_their_data() {
        let style = Style::default();
        let chart = draw_curves(&lorenz(), &style, &M).unwrap_or_else(|e| panic!("{e}"));
        assert!(chart.svg.contains(">100%</text>"), "percent ticks");
        assert!(chart.svg.contains("class=\"gap\""), "the gap is shaded");
        let cd = chart_data(&chart);
        assert_eq!(cd["type"], "line");
        assert_eq!(cd["x_axis"]["unit"], "%");
        assert_eq!(cd["series"][1]["values"][1], 10.0);
        assert_eq!(cd["series"][0]["kind"], "reference");
        crate::testing::assert_inside_page(&chart, &style, &M);
    }

    #[test]
    fn a_point_that_is_not_a_number_names_its_line() {
        let mut s = lorenz();
        s.lines[1].points[1].1 = f64::NAN;
        let e = draw_curves(&s, &Style::default(), &M).expect_err("refused");
        assert!(e.to_string().contains("`Lorenz`"), "{e}");
    }
}
