//! Plugs the SDK component into a guest component, so a Python or
//! JavaScript plugin that imports `patchart:sdk/draw` becomes one
//! component that imports only what the sandbox grants.
//!
//! `wac-graph` does the plugging in-process (the library under the `wac`
//! CLI): authors need no composition tool of their own, and the host
//! never links a second component at run time, so a plugin is still one
//! sandboxed component with one compile-cache entry and one hash.

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, PlugError};

use crate::error::{Error, ErrorCode, Result};
use crate::plugins::SDK_COMPONENT;

/// What composing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub wasm: Vec<u8>,
    /// Whether the guest imported `patchart:sdk/draw` (and so got the SDK);
    /// a guest drawing its own SVG is returned unchanged.
    pub with_sdk: bool,
}

/// `guest` with the SDK component plugged into its `patchart:sdk/draw`
/// import.
pub fn with_sdk(guest: &[u8]) -> Result<Composed> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        Error::new(
            ErrorCode::PluginBuildFailed,
            format!("composing the plugin with the SDK failed ({what}): {e:#}"),
        )
    };
    let mut graph = CompositionGraph::new();
    let sdk = Package::from_bytes("patchart:sdk", None, SDK_COMPONENT, graph.types_mut())
        .map_err(|e| fail("reading the SDK component", &e))?;
    let plugin = Package::from_bytes("patchart:plugin", None, guest, graph.types_mut())
        .map_err(|e| fail("reading the plugin component", &e))?;
    let sdk = graph
        .register_package(sdk)
        .map_err(|e| fail("registering the SDK", &e))?;
    let plugin = graph
        .register_package(plugin)
        .map_err(|e| fail("registering the plugin", &e))?;
    match wac_graph::plug(&mut graph, vec![sdk], plugin) {
        Ok(()) => {}
        Err(PlugError::NoPlugHappened) => {
            return Ok(Composed {
                wasm: guest.to_vec(),
                with_sdk: false,
            });
        }
        Err(e) => return Err(fail("plugging patchart:sdk/draw", &anyhow::Error::from(e))),
    }
    let wasm = graph
        .encode(EncodeOptions::default())
        .map_err(|e| fail("encoding the composition", &anyhow::Error::from(e)))?;
    Ok(Composed {
        wasm,
        with_sdk: true,
    })
}
