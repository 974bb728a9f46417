//! Declarative charts: a plugin describes the chart it wants (its
//! numbers, titles and notes) and the SDK draws it, writes its chart_data
//! and the warnings a reader needs.
//!
//! These are what the `patchart:sdk/draw` interface (`wit/deps/sdk`)
//! exposes to plugins written in Python or JavaScript: the SDK component
//! (`plugins/sdk-component`) only converts WIT records into these types,
//! so a chart from another language is drawn by exactly the code the
//! built-in charts use: same fonts, axes, palettes, label fitting and
//! chart_data schema. Rust plugins may use them too.
//!
//! ```
//! use patchart_sdk::specs::{RankedBarsSpec, draw_ranked_bars};
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::{Entry, Style};
//!
//! let spec = RankedBarsSpec {
//!     algorithm: "ipc_sections".into(),
//!     title: "Documents by IPC section".into(),
//!     value_title: "Patent documents".into(),
//!     items: vec![Entry { label: "G Physics".into(), count: 12 }],
//!     top_n: 8,
//!     ..RankedBarsSpec::default()
//! };
//! let chart = draw_ranked_bars(&spec, &Style::default(), &UniformMeasure::default()).unwrap();
//! assert!(chart.svg.contains(">G Physics</text>"));
//! ```

mod curves;
mod donut;
mod ranked;
mod treemap;
mod yearly;

pub use curves::{CurveLine, CurvesSpec, draw_curves};
pub use donut::{DonutSpec, draw_donut};
pub use ranked::{RankedBarsSpec, draw_ranked_bars};
pub use treemap::{MAX_CELLS, TreemapItem, TreemapSpec, draw_treemap};
pub use yearly::{YearlySpec, draw_yearly};

use crate::RenderError;
use crate::chart_data::Totals;
use crate::format::Locale;

/// A figure the plugin computed, written into chart_data's `totals`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    pub name: String,
    pub value: f64,
}

/// Adds the plugin's own figures to `totals`, refusing names the SDK has
/// already written (a plugin must not silently overwrite `total`) and
/// values that JSON cannot carry.
fn write_figures(totals: &mut Totals, figures: &[Figure]) -> Result<(), RenderError> {
    for f in figures {
        if totals.get(&f.name).is_some() {
            return Err(RenderError::Failed(format!(
                "the total `{}` is written by the SDK; give the plugin's figure another name",
                f.name
            )));
        }
        if !f.value.is_finite() {
            return Err(RenderError::Failed(format!(
                "the total `{}` is {}, which chart_data cannot hold",
                f.name, f.value
            )));
        }
        totals.set(&f.name, f.value);
    }
    Ok(())
}

/// A warning in the chart's locale.
fn say(locale: Locale, en: String, es: String) -> String {
    match locale {
        Locale::En => en,
        Locale::Es => es,
    }
}
