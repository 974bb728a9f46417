//! # patchart-sdk
//!
//! The one home of chart drawing for patchart plugins. A plugin is a small
//! crate that reads like a description of its chart; everything it draws
//! with lives here:
//!
//! - [`svg`]: an SVG writer that escapes every label and formats numbers
//!   deterministically, so identical input gives byte-identical output;
//! - [`scale`]: linear and band scales with "nice" ticks;
//! - [`axis`], [`legend`], [`legend_table`], [`footnote`]: the furniture of
//!   a chart;
//! - [`layout`]: cutting the page into heading, plot and footnote areas,
//!   and the font sizes derived from the style;
//! - [`palette`]: the named palettes (including a colour-blind-safe one);
//! - [`text`]: wrapping, fitting and eliding labels through [`Measure`],
//!   which in a plugin is the host's `measure` import (exact metrics of
//!   the font the host rasterizes with);
//! - [`format`](mod@format): numbers and percentages per locale (`en`, `es`);
//! - [`chart_data`]: the single chart-data schema, as Rust types;
//! - [`params`]: parsing the JSON params into a plugin's own struct.
//! - [`treemap`]: squarified treemap layout (cells proportional to values,
//!   as square as possible).
//! - [`treemap_chart`]: the treemap chart built on it: cells with fitted
//!   labels, an Others cell, groups with their legend;
//! - [`donut`]: the donut chart: slices with their shares inside or on
//!   leader lines, an Others slice, a legend, the total in the hole;
//! - [`ranked_bars`]: top-N horizontal bars with an Others bar, wrapped
//!   category labels and fitted value labels (the ranking charts);
//! - [`names`]: one display casing for applicant and inventor names.
//! - [`page_check`]: where drawn texts and bars end up, for plugin tests
//!   (nothing leaves the page, labels do not overlap).
//! - [`measure_cache`]: a per-render memo in front of the host's measure.
//! - [`specs`]: declarative charts (ranked bars, curves, yearly series,
//!   treemaps, donuts) drawn from a spec; what plugins in Python and
//!   JavaScript reach through `patchart:sdk/draw`.
//!
//! ```ignore
//! use patchart_sdk::{ChartPlugin, Chart, Dataset, Measure, PluginInfo, RenderError, Style};
//!
//! struct MyChart;
//! impl ChartPlugin for MyChart {
//!     fn info() -> PluginInfo { /* key, version, params schema ... */ }
//!     fn render(data: &Dataset, params: &str, style: &Style, m: &dyn Measure)
//!         -> Result<Chart, RenderError> { /* draw with svg::Svg ... */ }
//! }
//! patchart_sdk::export_plugin!(MyChart);
//! ```

pub mod axis;
pub mod chart_data;
pub mod donut;
pub mod footnote;
pub mod format;
pub mod layout;
pub mod legend;
pub mod legend_table;
pub mod measure_cache;
pub mod name_ranking;
pub mod names;
pub mod page_check;
pub mod palette;
pub mod params;
pub mod ranked_bars;
pub mod scale;
pub mod series;
pub mod specs;
pub mod svg;
pub mod testing;
pub mod text;
pub mod treemap;
pub mod treemap_chart;

// The `chart-plugin` bindings and their adapter. Behind the `plugin`
// feature (on by default) because the SDK component, which exports
// `patchart:sdk/draw` instead, must not carry the chart-plugin world's type
// section: wit-component would then demand `info` and `render` from it.
#[cfg(feature = "plugin")]
#[doc(hidden)]
pub mod guest;

/// Guest bindings generated from `wit/chart.wit`. Plugins do not use them
/// directly: [`export_plugin!`] adapts a [`ChartPlugin`] to them.
#[cfg(feature = "plugin")]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "patchart:chart/chart-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_chart_plugin",
        default_bindings_module: "::patchart_sdk::bindings",
    });
}

/// One row of a facet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub count: u64,
}

/// A named facet with its entries in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    pub name: String,
    pub entries: Vec<Entry>,
}

impl Facet {
    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.count).sum()
    }

    /// Entries by descending count, ties by label, so every chart built on
    /// a ranking is deterministic whatever order the source used.
    pub fn ranked(&self) -> Vec<Entry> {
        let mut v = self.entries.clone();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        v
    }
}

/// The canonical dataset as a plugin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dataset {
    pub source_type: String,
    pub query: Option<String>,
    pub facets: Vec<Facet>,
}

impl Dataset {
    /// The facet called `name`, if the source had it.
    pub fn facet(&self, name: &str) -> Option<&Facet> {
        self.facets.iter().find(|f| f.name == name)
    }

    /// The facet called `name`, or the `missing-data` error that names it.
    pub fn require(&self, name: &str) -> Result<&Facet, RenderError> {
        match self.facet(name) {
            Some(f) if !f.entries.is_empty() => Ok(f),
            Some(_) => Err(RenderError::MissingData(format!(
                "facet `{name}` is present but has no entries"
            ))),
            None => Err(RenderError::MissingData(format!(
                "facet `{name}` is not in the dataset (facets present: {})",
                self.facets
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// The resolved style (see `style` in `wit/chart.wit`).
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    pub palette: Vec<String>,
    pub background: String,
    pub text: String,
    pub grid: String,
    pub font_family: String,
    pub font_size: f32,
    pub width: u32,
    pub height: u32,
    pub locale: String,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            palette: palette::named("professional")
                .map(|p| p.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            background: "#ffffff".into(),
            text: "#1f2933".into(),
            grid: "#d9dee3".into(),
            font_family: "DejaVu Sans".into(),
            font_size: 13.0,
            width: 960,
            height: 640,
            locale: "en".into(),
        }
    }
}

impl Style {
    /// The locale as an enum; anything unknown reads as English.
    pub fn locale(&self) -> format::Locale {
        format::Locale::parse(&self.locale).unwrap_or(format::Locale::En)
    }

    /// Palette colour `i`, cycling.
    pub fn color(&self, i: usize) -> &str {
        if self.palette.is_empty() {
            "#4c78a8"
        } else {
            &self.palette[i % self.palette.len()]
        }
    }
}

/// What a plugin says about itself (see `plugin-info` in the WIT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub key: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub params_schema: String,
    pub required_facets: Vec<String>,
}

/// A rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub svg: String,
    pub chart_data: String,
    pub warnings: Vec<String>,
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    InvalidParams(String),
    MissingData(String),
    Failed(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::InvalidParams(m) => write!(f, "invalid params: {m}"),
            RenderError::MissingData(m) => write!(f, "missing data: {m}"),
            RenderError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Text metrics in the font the chart will be rasterized with.
pub trait Measure {
    /// Width in px of `text` at `size` px.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32;
}

/// A chart algorithm. Implement it and call [`export_plugin!`].
pub trait ChartPlugin {
    fn info() -> PluginInfo;
    fn render(
        data: &Dataset,
        params: &str,
        style: &Style,
        measure: &dyn Measure,
    ) -> Result<Chart, RenderError>;
}

/// Exports a [`ChartPlugin`] as the `chart-plugin` world of the component.
#[cfg(feature = "plugin")]
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __PatchartGuest;

        impl $crate::bindings::Guest for __PatchartGuest {
            fn info() -> $crate::bindings::patchart::chart::types::PluginInfo {
                $crate::guest::info::<$plugin>()
            }

            fn render(
                data: $crate::bindings::patchart::chart::types::Dataset,
                params: ::std::string::String,
                style: $crate::bindings::patchart::chart::types::Style,
            ) -> ::std::result::Result<
                $crate::bindings::patchart::chart::types::Chart,
                $crate::bindings::patchart::chart::types::RenderError,
            > {
                $crate::guest::render::<$plugin>(data, params, style)
            }
        }

        $crate::bindings::__export_chart_plugin!(__PatchartGuest with_types_in $crate::bindings);
    };
}
