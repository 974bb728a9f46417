//! Host bindings generated from `wit/chart.wit`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "patchart:chart/chart-plugin",
});

/// The contract version this host implements; a component built against
/// another version is refused with a message naming both.
pub const CONTRACT_PACKAGE: &str = "patchart:chart";
pub const SUPPORTED_CONTRACT_VERSIONS: &[&str] = &["0.1.0"];
