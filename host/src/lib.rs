//! # patchart
//!
//! The patchart host: it turns patent-search exports into charts drawn by
//! sandboxed WebAssembly plugins. The flow is a pipeline of narrow stages,
//! one module each, none reaching back upstream:
//!
//! ```text
//! file --ingest--> Dataset --plugins--> SVG + chart_data --render--> PNG
//! ```
//!
//! - [`ingest`]: source files (Espacenet workbooks) to a canonical [`Dataset`];
//! - [`plugins`]: the plugin registry, compile cache and sandboxed runtime;
//! - [`render`]: SVG to PNG with the bundled font, and text metrics;
//! - [`style`]: the user's visual config resolved to the WIT `style`;
//! - [`store`]: the database and file storage boundary;
//! - [`jobs`]: the durable queue, workers, finalisation, cancellation;
//! - [`events`]: `emit_event`, persisted then published;
//! - [`describe`]: chart descriptions from `chart_data` (built-in `facts`,
//!   OpenAI-compatible models);
//! - [`api`]: the HTTP and WebSocket surface, served by [`http`] with read
//!   timeouts; [`server`] wires it all;
//! - [`authoring`]: plugin starters and builds in Rust, Python and
//!   JavaScript (`patchart plugin new|build`);
//! - [`cli`]: the `patchart` command line.

pub mod api;
pub mod authoring;
pub mod catalog;
pub mod cli;
pub mod dataset;
pub mod describe;
pub mod error;
pub mod events;
pub mod http;
pub mod ingest;
pub mod jobs;
mod memo;
pub mod metrics;
pub mod pipeline;
pub mod plugins;
pub mod render;
pub mod server;
pub mod store;
pub mod style;
mod wholenum;

pub use dataset::{Dataset, Entry, Facet};
pub use error::{Error, ErrorCode, Result};
