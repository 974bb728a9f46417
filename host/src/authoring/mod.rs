//! The plugin author's tools, in the three languages a plugin may be
//! written in: [`starters`] writes a working plugin to start from
//! (`patchart plugin new`), [`toolchain`] builds any of them into one
//! component (`patchart plugin build`), and [`compose`] plugs the SDK
//! component into Python and JavaScript plugins so they draw with the
//! same code as the built-in charts.
//!
//! Nothing here runs a plugin: the result is loaded, validated and run by
//! [`crate::plugins`] exactly like any other component.

pub mod compose;
pub mod starters;
pub mod toolchain;

/// The language a plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// A Rust crate using the SDK directly, built with cargo.
    Rust,
    /// A Python module built with componentize-py.
    Python,
    /// A JavaScript module built with componentize-js (an npm package).
    Js,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
        }
    }
}

/// The componentize-py release the Python starter and `plugin build` are
/// tested with; the starter's requirements.txt pins the same one.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// The WIT world Python and JavaScript plugins are built against: the
/// chart-plugin world plus the SDK's drawing import (see `wit/chart.wit`).
pub const GUEST_WORLD: &str = "drawing-plugin";
