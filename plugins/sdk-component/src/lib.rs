//! # patchart_sdk_component
//!
//! The patchart SDK's drawing behind the `patchart:sdk/draw` interface
//! (`wit/deps/sdk/draw.wit`), built by `host/build.rs` as a
//! `wasm32-wasip2` component and embedded in the `patchart` binary.
//! `patchart plugin build` composes it into every Python and JavaScript
//! plugin that imports `patchart:sdk/draw`, so those plugins draw with the
//! very code the built-in charts use, and the host still loads one
//! component per plugin.
//!
//! Nothing is drawn here: each function converts the WIT records into the
//! SDK's [`patchart_sdk::specs`] and back.

use patchart_sdk::format::{self, Locale};
use patchart_sdk::specs::{
    self, CurveLine, CurvesSpec, DonutSpec, Figure, RankedBarsSpec, TreemapItem, TreemapSpec,
    YearlySpec,
};
use patchart_sdk::{Chart, Entry, Measure, RenderError, Style};

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "patchart:chart/drawing-sdk",
    });
}

use bindings::exports::patchart::sdk::draw as wit;

/// Widths from the host's `measure` import: the font the host rasterizes
/// with, exactly as for a built-in chart.
struct HostMeasure;

impl Measure for HostMeasure {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        bindings::patchart::chart::text::measure(text, size, bold)
    }
}

struct Sdk;

impl wit::Guest for Sdk {
    fn draw_ranked_bars(spec: wit::RankedBars, page: wit::Page) -> Result<wit::Drawn, String> {
        let spec = ranked_bars(spec);
        drawn(specs::draw_ranked_bars(&spec, &style(page), &HostMeasure))
    }

    fn draw_curves(spec: wit::Curves, page: wit::Page) -> Result<wit::Drawn, String> {
        let spec = curves(spec);
        drawn(specs::draw_curves(&spec, &style(page), &HostMeasure))
    }

    fn draw_yearly_series(spec: wit::YearlySeries, page: wit::Page) -> Result<wit::Drawn, String> {
        let spec = yearly(spec);
        drawn(specs::draw_yearly(&spec, &style(page), &HostMeasure))
    }

    fn draw_treemap(spec: wit::Treemap, page: wit::Page) -> Result<wit::Drawn, String> {
        let spec = treemap(spec);
        drawn(specs::draw_treemap(&spec, &style(page), &HostMeasure))
    }

    fn draw_donut(spec: wit::Donut, page: wit::Page) -> Result<wit::Drawn, String> {
        let spec = donut(spec);
        drawn(specs::draw_donut(&spec, &style(page), &HostMeasure))
    }

    fn format_count(value: u64, locale: String) -> String {
        format::count(value, locale_of(&locale))
    }

    fn format_decimal(value: f64, decimals: u32, locale: String) -> String {
        // More than 12 decimals is noise in a chart, and bounds the string.
        format::decimal(value, decimals.min(12) as usize, locale_of(&locale))
    }
}

/// The locale as the SDK reads a style's: anything unknown is English.
fn locale_of(code: &str) -> Locale {
    Locale::parse(code).unwrap_or(Locale::En)
}

// Only in the component: natively the interface's export names
// (`patchart:sdk/draw@0.1.0#…`) are not valid linker symbols, and the
// native build exists for `cargo test --workspace` alone.
#[cfg(target_arch = "wasm32")]
bindings::export!(Sdk with_types_in bindings);

pub fn style(p: wit::Page) -> Style {
    Style {
        palette: p.palette,
        background: p.background,
        text: p.text,
        grid: p.grid,
        font_family: p.font_family,
        font_size: p.font_size,
        width: p.width,
        height: p.height,
        locale: p.locale,
    }
}

fn figures(totals: Vec<wit::Figure>) -> Vec<Figure> {
    totals
        .into_iter()
        .map(|f| Figure {
            name: f.name,
            value: f.value,
        })
        .collect()
}

fn entries(items: Vec<wit::Item>) -> Vec<Entry> {
    items
        .into_iter()
        .map(|i| Entry {
            label: i.label,
            count: i.count,
        })
        .collect()
}

pub fn ranked_bars(s: wit::RankedBars) -> RankedBarsSpec {
    RankedBarsSpec {
        algorithm: s.algorithm,
        title: s.title,
        subtitle: s.subtitle,
        value_title: s.value_title,
        category_title: s.category_title,
        items: entries(s.items),
        top_n: s.top_n,
        max_label_lines: s.max_label_lines,
        notes: s.notes,
        totals: figures(s.totals),
    }
}

pub fn curves(s: wit::Curves) -> CurvesSpec {
    CurvesSpec {
        algorithm: s.algorithm,
        title: s.title,
        subtitle: s.subtitle,
        x_title: s.x_title,
        y_title: s.y_title,
        percent: s.percent,
        lines: s
            .lines
            .into_iter()
            .map(|l| CurveLine {
                name: l.name,
                points: l.points.into_iter().map(|p| (p.x, p.y)).collect(),
                reference: l.reference,
            })
            .collect(),
        fill_gap: s.fill_gap,
        notes: s.notes,
        totals: figures(s.totals),
    }
}

pub fn yearly(s: wit::YearlySeries) -> YearlySpec {
    YearlySpec {
        algorithm: s.algorithm,
        title: s.title,
        subtitle: s.subtitle,
        y_title: s.y_title,
        series_name: s.series_name,
        years: entries(s.years),
        facet: s.facet,
        first_year: s.first_year,
        last_year: s.last_year,
        lag_years: s.lag_years,
        cumulative: s.cumulative,
        notes: s.notes,
        totals: figures(s.totals),
    }
}

pub fn treemap(s: wit::Treemap) -> TreemapSpec {
    TreemapSpec {
        algorithm: s.algorithm,
        title: s.title,
        subtitle: s.subtitle,
        series_name: s.series_name,
        items: s
            .items
            .into_iter()
            .map(|i| TreemapItem {
                label: i.label,
                count: i.count,
                group: i.group,
            })
            .collect(),
        top_n: s.top_n,
        others: s.others,
        group_title: s.group_title,
        notes: s.notes,
        totals: figures(s.totals),
    }
}

pub fn donut(s: wit::Donut) -> DonutSpec {
    DonutSpec {
        algorithm: s.algorithm,
        title: s.title,
        subtitle: s.subtitle,
        series_name: s.series_name,
        items: entries(s.items),
        top_n: s.top_n,
        min_share: s.min_share,
        hole_caption: s.hole_caption,
        notes: s.notes,
        totals: figures(s.totals),
    }
}

/// The plugin's error type is `render-error`, the SDK's a string: the
/// plugin decides which variant a drawing failure is (usually `failed`).
fn drawn(chart: Result<Chart, RenderError>) -> Result<wit::Drawn, String> {
    chart
        .map(|c| wit::Drawn {
            svg: c.svg,
            chart_data: c.chart_data,
            warnings: c.warnings,
        })
        .map_err(|e| e.to_string())
}
