//! The picture: the yearly counts as a line with points, each method's
//! forecast as a dashed line over its prediction band, the incomplete
//! years shaded, and a divider where the fitted data ends.

use patchart_sdk::legend::LegendItem;
use patchart_sdk::series::{self, FrameSpec, LineStyle, ValueAxisSpec, YearFrame, YearTexts};
use patchart_sdk::svg::{Anchor, Group, Paint, Svg, Text};
use patchart_sdk::{Measure, Style, palette};

use crate::texts::Texts;
use crate::{Forecasts, Method};

/// Opacity of a prediction band: two overlapping bands stay readable.
const BAND_OPACITY: f32 = 0.16;
/// The y axis shows at most this multiple of the largest observed or
/// forecast value, so one exploding upper bound does not flatten the
/// history; bands are cut at the top of the plot.
const MAX_Y_FACTOR: f64 = 1.6;
const FORECAST_DASH: [f32; 2] = [6.0, 3.0];
const ARIMA_DASH: [f32; 4] = [8.0, 3.0, 2.0, 3.0];

pub(crate) struct Drawing {
    pub svg: String,
    pub warnings: Vec<String>,
}

/// Holt in the accent colour, ARIMA in the palette's second colour: both
/// stand apart from the history (the first colour) and from each other.
fn method_color(style: &Style, m: Method) -> String {
    match m {
        Method::Holt => palette::highlight(&style.palette).to_owned(),
        Method::Arima if style.palette.len() > 1 => style.color(1).to_owned(),
        Method::Arima => palette::others_color().to_owned(),
    }
}

pub(crate) fn draw(
    f: &Forecasts,
    t: &Texts,
    years: &YearTexts,
    notes: &[String],
    style: &Style,
    measure: &dyn Measure,
) -> Drawing {
    let span = &f.span;
    let title = t.title();
    let subtitle = t.subtitle(f);
    let mut svg = Svg::new(style.width, style.height, style);
    svg.set_title(&title);
    let mut description = vec![subtitle.clone()];
    description.extend(notes.iter().cloned());
    svg.set_description(&description.join(". "));

    let history_color = style.color(0);
    let colors: Vec<String> = f
        .projections
        .iter()
        .map(|p| method_color(style, p.method))
        .collect();
    let mut legend = vec![LegendItem::new(t.history(), history_color)];
    for (p, c) in f.projections.iter().zip(&colors) {
        legend.push(LegendItem::new(
            &format!("{} \u{2013} {}", t.method(p.method, &f.arima), t.forecast()),
            c,
        ));
    }
    legend.push(LegendItem::new(
        &t.interval_legend(f.interval),
        &palette::lighten(&style.text, 0.75),
    ));

    let observed_max = span.counts.iter().copied().max().unwrap_or(0) as f64;
    let point_max = f
        .projections
        .iter()
        .flat_map(|p| p.point.iter().copied())
        .fold(observed_max, f64::max);
    let band_max = f
        .projections
        .iter()
        .flat_map(|p| p.bounds(f.interval).1.iter().copied())
        .fold(point_max, f64::max);
    let y_max = band_max.min(point_max.max(1.0) * MAX_Y_FACTOR);
    let last_year = f.last_forecast_year();
    let frame = YearFrame::layout(
        &FrameSpec {
            title: &title,
            subtitle: Some(&subtitle),
            legend,
            notes,
            x_title: years.x_axis(),
            first_year: span.first,
            last_year,
            left: ValueAxisSpec {
                title: t.y_axis(),
                max: y_max,
                color: None,
            },
            right: None,
        },
        style,
        measure,
    );
    frame.draw_back(&mut svg, measure, style);
    let plot = frame.plot;
    let clamp_y = |v: f64| frame.y.map(v).clamp(plot.y, plot.bottom());
    if let Some(from) = span.first_incomplete() {
        series::draw_incomplete_band(
            &mut svg,
            measure,
            &frame.x,
            plot,
            from,
            span.last(),
            years.incomplete_caption(),
            frame.sizes.tick,
            style,
        );
    }

    // Where the fitted data ends and the forecast begins.
    let divider = frame.x.map(f64::from(f.fit_last_year()) + 0.5);
    svg.open_group(&Group::new().class("forecast-start"));
    svg.line(
        divider,
        plot.y,
        divider,
        plot.bottom(),
        &Paint::stroke(&palette::lighten(&style.text, 0.45), 1.0).dashed(&[2.0, 3.0]),
    );
    let caption = t.forecast_caption();
    let size = frame.sizes.tick;
    let caption_y = plot.y
        + size
            * (if span.first_incomplete().is_some() {
                2.0
            } else {
                0.4
            });
    if divider + 4.0 + measure.width(caption, size, false) <= plot.right() {
        svg.text(
            &Text::new(divider + 4.0, caption_y + size, caption)
                .size(size)
                .anchor(Anchor::Start)
                .fill(&palette::lighten(&style.text, 0.3)),
        );
    }
    svg.close_group();

    // Bands first, both behind every line. Each band starts at the last
    // fitted point, so the forecast visibly grows out of the data.
    let anchor_x = frame.year_x(f.fit_last_year());
    let anchor_v = span.counts[f.fit_len - 1] as f64;
    for (p, color) in f.projections.iter().zip(&colors) {
        let (lower, upper) = p.bounds(f.interval);
        let mut up = vec![(anchor_x, clamp_y(anchor_v))];
        let mut lo = vec![(anchor_x, clamp_y(anchor_v))];
        for (i, y) in f.years.iter().enumerate() {
            let x = frame.year_x(*y);
            up.push((x, clamp_y(upper[i])));
            lo.push((x, clamp_y(lower[i])));
        }
        series::draw_band(&mut svg, &up, &lo, color, BAND_OPACITY, "interval");
    }

    let history: Vec<Option<(f32, f32)>> = span
        .years()
        .zip(&span.counts)
        .map(|(y, c)| Some((frame.year_x(y), clamp_y(*c as f64))))
        .collect();
    let marker = series::marker_radius(plot.width, span.len() + f.years.len());
    series::draw_line(
        &mut svg,
        &history,
        Some(f.fit_len),
        &LineStyle::new(history_color, 2.0).markers(marker),
        &style.background,
        "observed",
    );
    for (p, color) in f.projections.iter().zip(&colors) {
        let mut pts = vec![Some((anchor_x, clamp_y(anchor_v)))];
        pts.extend(
            f.years
                .iter()
                .zip(&p.point)
                .map(|(y, v)| Some((frame.year_x(*y), clamp_y(*v)))),
        );
        let dash: &[f32] = match p.method {
            Method::Holt => &FORECAST_DASH,
            Method::Arima => &ARIMA_DASH,
        };
        series::draw_line(
            &mut svg,
            &pts,
            None,
            &LineStyle::new(color, 2.0).dashed(dash),
            &style.background,
            "forecast",
        );
        let (lower, upper) = p.bounds(f.interval);
        svg.open_group(&Group::new().class("forecast-points"));
        for (i, y) in f.years.iter().enumerate() {
            let tip = t.point(*y, p.point[i], lower[i], upper[i], f.interval);
            svg.open_group(&Group::new().title(&tip));
            svg.circle(
                frame.year_x(*y),
                clamp_y(p.point[i]),
                (marker * 0.8).max(1.0),
                &Paint::fill(color),
            );
            svg.close_group();
        }
        svg.close_group();
    }

    frame.draw_front(&mut svg, measure);
    let warnings = (frame.notes_hidden > 0)
        .then(|| years.warn_notes_hidden(frame.notes_hidden))
        .into_iter()
        .collect();
    Drawing {
        svg: svg.finish(),
        warnings,
    }
}
