//! Chart plugins: the WIT bindings, the sandbox's grants, the runtime that
//! runs components under limits, the compile cache and the registry.

pub mod bindings;
pub mod cache;
pub mod registry;
pub mod runtime;
pub mod sandbox;

pub use registry::{
    BUILTIN_PLUGINS, BuiltinPlugin, PLUGIN_BUILD_DIR, PluginRegistry, SDK_COMPONENT,
};
pub use runtime::{
    CHART_DATA_SCHEMA, CancelToken, LoadedPlugin, PluginFailure, PluginInfo, PluginLogs,
    PluginOutput, PluginRuntime, RenderTimings, RuntimeConfig,
};
pub use sandbox::PluginLimits;
