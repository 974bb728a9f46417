//! Stable error codes. Every error a user can see carries one of these codes
//! and a sentence they can act on; the codes never change meaning.

use serde::Serialize;

/// The stable code of an error, serialised as SCREAMING_SNAKE_CASE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    // Ingest.
    IngestNotAWorkbook,
    IngestCorrupt,
    IngestEncrypted,
    IngestNoFacets,
    IngestBadCount,
    IngestLimitExceeded,
    IngestUnsupportedSource,
    // Plugins.
    PluginTimeout,
    PluginOom,
    PluginTrap,
    PluginInvalidOutput,
    PluginInvalidParams,
    PluginMissingData,
    PluginFailed,
    PluginLoadFailed,
    PluginNotFound,
    PluginCancelled,
    // Plugin management.
    PluginVersionExists,
    PluginRetired,
    PluginBuiltin,
    PluginSmokeFailed,
    InvalidLimits,
    // Plugin authoring (`patchart plugin new|build`).
    PluginToolMissing,
    PluginBuildFailed,
    PluginStarterRefused,
    // Rendering and style.
    RenderFailed,
    InvalidStyle,
    // Chart descriptions (providers of the describe module).
    AiNoChartData,
    AiTimeout,
    AiUnavailable,
    AiUpstreamError,
    AiBadResponse,
    // The disk (or database) that stores files is full.
    StorageFull,
    // A dataset that jobs still use cannot be deleted.
    DatasetInUse,
    // A command-line argument that cannot be used as given.
    InvalidArgument,
    // What a command names does not exist.
    NotFound,
    // The database could not be reached or gave way to a concurrent
    // transaction: the same request may succeed when tried again.
    DatabaseUnavailable,
    // Anything else the host itself ran into (I/O, database).
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::IngestNotAWorkbook => "INGEST_NOT_A_WORKBOOK",
            ErrorCode::IngestCorrupt => "INGEST_CORRUPT",
            ErrorCode::IngestEncrypted => "INGEST_ENCRYPTED",
            ErrorCode::IngestNoFacets => "INGEST_NO_FACETS",
            ErrorCode::IngestBadCount => "INGEST_BAD_COUNT",
            ErrorCode::IngestLimitExceeded => "INGEST_LIMIT_EXCEEDED",
            ErrorCode::IngestUnsupportedSource => "INGEST_UNSUPPORTED_SOURCE",
            ErrorCode::PluginTimeout => "PLUGIN_TIMEOUT",
            ErrorCode::PluginOom => "PLUGIN_OOM",
            ErrorCode::PluginTrap => "PLUGIN_TRAP",
            ErrorCode::PluginInvalidOutput => "PLUGIN_INVALID_OUTPUT",
            ErrorCode::PluginInvalidParams => "PLUGIN_INVALID_PARAMS",
            ErrorCode::PluginMissingData => "PLUGIN_MISSING_DATA",
            ErrorCode::PluginFailed => "PLUGIN_FAILED",
            ErrorCode::PluginLoadFailed => "PLUGIN_LOAD_FAILED",
            ErrorCode::PluginNotFound => "PLUGIN_NOT_FOUND",
            ErrorCode::PluginCancelled => "PLUGIN_CANCELLED",
            ErrorCode::PluginVersionExists => "PLUGIN_VERSION_EXISTS",
            ErrorCode::PluginRetired => "PLUGIN_RETIRED",
            ErrorCode::PluginBuiltin => "PLUGIN_BUILTIN",
            ErrorCode::PluginSmokeFailed => "PLUGIN_SMOKE_FAILED",
            ErrorCode::InvalidLimits => "INVALID_LIMITS",
            ErrorCode::PluginToolMissing => "PLUGIN_TOOL_MISSING",
            ErrorCode::PluginBuildFailed => "PLUGIN_BUILD_FAILED",
            ErrorCode::PluginStarterRefused => "PLUGIN_STARTER_REFUSED",
            ErrorCode::RenderFailed => "RENDER_FAILED",
            ErrorCode::InvalidStyle => "INVALID_STYLE",
            ErrorCode::AiNoChartData => "AI_NO_CHART_DATA",
            ErrorCode::AiTimeout => "AI_TIMEOUT",
            ErrorCode::AiUnavailable => "AI_UNAVAILABLE",
            ErrorCode::AiUpstreamError => "AI_UPSTREAM_ERROR",
            ErrorCode::AiBadResponse => "AI_BAD_RESPONSE",
            ErrorCode::StorageFull => "STORAGE_FULL",
            ErrorCode::DatasetInUse => "DATASET_IN_USE",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its stable code and an actionable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
