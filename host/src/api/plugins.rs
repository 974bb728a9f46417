//! The admin API for plugins: list every build with its status and run
//! statistics, upload a new one (validated end to end first), enable,
//! disable, change limits, retire. Admins only; everyone else gets 403.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::views::ErrorBody;
use super::{Admin, ApiError, ApiPath, AppState};
use crate::catalog::{DirectoryError, PluginPatch};
use crate::plugins::PluginLimits;
use crate::plugins::registry::{PluginSource, PluginStatus, Registered};
use crate::store::PluginStats;

/// The limits a plugin build runs under.
#[derive(Serialize, ToSchema)]
pub struct LimitsView {
    pub memory_bytes: u64,
    pub timeout_ms: u64,
    pub max_svg_bytes: u64,
    pub max_chart_data_bytes: u64,
    pub max_log_bytes: u64,
}

impl From<PluginLimits> for LimitsView {
    fn from(l: PluginLimits) -> Self {
        LimitsView {
            memory_bytes: l.memory_bytes,
            timeout_ms: l.timeout.as_millis() as u64,
            max_svg_bytes: l.max_svg_bytes,
            max_chart_data_bytes: l.max_chart_data_bytes,
            max_log_bytes: l.max_log_bytes,
        }
    }
}

/// One registered plugin build.
#[derive(Serialize, ToSchema)]
pub struct PluginView {
    pub key: String,
    pub version: String,
    pub sha256: String,
    pub name: String,
    pub description: String,
    pub source: PluginSource,
    /// Crate name, file path or uploaded file name.
    pub origin: String,
    pub status: PluginStatus,
    pub limits: LimitsView,
    pub required_facets: Vec<String>,
    pub registered_at: String,
    /// Tasks this build ran to an end (render-cache hits not counted).
    pub runs: i64,
    pub failures: i64,
    pub cache_hits: i64,
    /// Median task duration of the runs, in milliseconds.
    pub p50_duration_ms: Option<i64>,
}

impl PluginView {
    fn new(r: &Registered, stats: Option<&PluginStats>) -> Self {
        let stats = stats.cloned().unwrap_or_default();
        PluginView {
            key: r.key().to_string(),
            version: r.version().to_string(),
            sha256: r.sha256().to_string(),
            name: r.plugin.info.name.clone(),
            description: r.plugin.info.description.clone(),
            source: r.source,
            origin: r.origin.clone(),
            status: r.status,
            limits: r.plugin.limits().into(),
            required_facets: r.plugin.info.required_facets.clone(),
            registered_at: r.registered_at.clone(),
            runs: stats.runs,
            failures: stats.failures,
            cache_hits: stats.cache_hits,
            p50_duration_ms: stats.p50_ms,
        }
    }
}

/// Every plugin build of this server, and what the plugins directory
/// holds that did not load.
#[derive(Serialize, ToSchema)]
pub struct PluginList {
    pub plugins: Vec<PluginView>,
    /// The watched plugins directory.
    pub directory: String,
    pub directory_errors: Vec<DirectoryError>,
}

/// Answer to an upload.
#[derive(Serialize, ToSchema)]
pub struct PluginUploaded {
    /// False when this exact build was already registered.
    pub created: bool,
    pub plugin: PluginView,
}

async fn view(state: &AppState, r: &Registered) -> Result<PluginView, ApiError> {
    let stats = state.store.plugin_stats(Some(r.sha256())).await?;
    Ok(PluginView::new(r, stats.get(r.sha256())))
}

/// List every plugin build (built-in, directory, uploaded; retired ones
/// too) with status, limits and run statistics.
#[utoipa::path(get, path = "/api/plugins/", tag = "plugins",
    responses((status = 200, body = PluginList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_plugins(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> Result<Json<PluginList>, ApiError> {
    let stats = state.store.plugin_stats(None).await?;
    let plugins = state
        .catalog
        .registry()
        .entries()
        .iter()
        .map(|r| PluginView::new(r, stats.get(r.sha256())))
        .collect();
    Ok(Json(PluginList {
        plugins,
        directory: state.catalog.dir().display().to_string(),
        directory_errors: state.catalog.directory_errors(),
    }))
}

/// A plugin component to upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PluginUpload {
    /// The component (.wasm).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a plugin component (multipart field `file`). It is compiled,
/// its contract version and `info()` checked, and a smoke chart drawn
/// before it is registered; a file that fails any of it is a 422 naming
/// the reason, and nothing is kept.
#[utoipa::path(post, path = "/api/plugins/", tag = "plugins",
    request_body(content = PluginUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = PluginUploaded), (status = 200, body = PluginUploaded, description = "This exact build was already registered"),
        (status = 400, body = ErrorBody, description = "No `file` part, or another part"),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "That key and version exist with other content"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody, description = "Not multipart/form-data"),
        (status = 422, body = ErrorBody, description = "Not a plugin this server can load (`PLUGIN_LOAD_FAILED`, `PLUGIN_SMOKE_FAILED`)")),
    security(("bearer" = [])))]
pub async fn upload_plugin(
    State(state): State<AppState>,
    Admin(user): Admin,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let limit = state.limits.max_plugin_bytes;
    if super::declares_more_than(req.headers(), limit + super::MULTIPART_SLACK) {
        return Err(too_large(limit));
    }
    let mut mp = super::multipart(req, &state).await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::multipart(&e, too_large(limit)))?
    {
        if field.name() != Some("file") {
            return Err(ApiError::bad_request(
                "VALIDATION_ERROR",
                format!(
                    "unexpected field {:?}; send the component as the multipart field \"file\"",
                    field.name().unwrap_or("")
                ),
            ));
        }
        let name = field.file_name().unwrap_or("upload.wasm").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::multipart(&e, too_large(limit)))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
    }
    let Some((name, bytes)) = file else {
        return Err(ApiError::bad_request(
            "VALIDATION_ERROR",
            "no plugin: send the component as the multipart field \"file\"",
        ));
    };
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "PLUGIN_LOAD_FAILED",
            "the uploaded file is empty",
        ));
    }
    let (entry, created) = state.catalog.upload(bytes, &name).await?;
    tracing::info!(user = %user.name, key = %entry.key(), version = %entry.version(), created, "plugin upload");
    let body = PluginUploaded {
        created,
        plugin: view(&state, &entry).await?,
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}

/// One plugin build: the live build of `key` at `version`, or the latest
/// retired one.
#[utoipa::path(get, path = "/api/plugins/{key}/{version}/", tag = "plugins",
    params(("key" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_plugin(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiPath((key, version)): ApiPath<(String, String)>,
) -> Result<Json<PluginView>, ApiError> {
    let entry = find(&state, &key, &version)?;
    Ok(Json(view(&state, &entry).await?))
}

/// Enable or disable a build for new jobs, or change its limits
/// (`{"enabled": false}`, `{"limits": {"timeout_ms": 2000}}`). Tasks
/// already accepted are not affected.
#[utoipa::path(patch, path = "/api/plugins/{key}/{version}/", tag = "plugins",
    params(("key" = String, Path), ("version" = String, Path)),
    request_body = PluginPatch,
    responses((status = 200, body = PluginView),
        (status = 400, body = ErrorBody, description = "Not this document's shape, or limits outside its bounds (`INVALID_LIMITS`)"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The build is retired"),
        (status = 415, body = ErrorBody, description = "Not JSON"),
        (status = 422, body = ErrorBody, description = "A memory limit over this server's ceiling (`INVALID_LIMITS`)")),
    security(("bearer" = [])))]
pub async fn patch_plugin(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiPath((key, version)): ApiPath<(String, String)>,
    body: Result<Json<PluginPatch>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PluginView>, ApiError> {
    let Json(patch) = body.map_err(|e| {
        ApiError::json(
            &e,
            "{\"enabled\"?: bool, \"limits\"?: {\"memory_bytes\", \"timeout_ms\", \
             \"max_svg_bytes\", \"max_chart_data_bytes\", \"max_log_bytes\"}}",
        )
    })?;
    if let Some(limits) = &patch.limits {
        check_limits(limits)?;
    }
    let entry = state
        .catalog
        .patch(&key, &version, &patch)
        .await
        .map_err(not_found_is_404)?;
    Ok(Json(view(&state, &entry).await?))
}

/// Retire a build: new jobs can no longer use it; tasks already accepted
/// on it still finish. Built-ins cannot be retired (409 `PLUGIN_BUILTIN`):
/// disable them instead.
#[utoipa::path(delete, path = "/api/plugins/{key}/{version}/", tag = "plugins",
    params(("key" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = PluginView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The build is built into the server (`PLUGIN_BUILTIN`)")),
    security(("bearer" = [])))]
pub async fn retire_plugin(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiPath((key, version)): ApiPath<(String, String)>,
) -> Result<Json<PluginView>, ApiError> {
    let entry = state
        .catalog
        .retire(&key, &version)
        .await
        .map_err(not_found_is_404)?;
    Ok(Json(view(&state, &entry).await?))
}

/// What the document lets a limit be (the bounds the catalog enforces);
/// the memory ceiling above [`MIN_MEMORY_BYTES`] is each server's own.
pub(super) const MIN_MEMORY_BYTES: u64 = 1 << 20;
pub(super) const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 10..=600_000;
pub(super) const OUTPUT_BYTES: std::ops::RangeInclusive<u64> = 1024..=(256 << 20);

/// Limits outside the document's bounds: 400, with the catalog's words.
fn check_limits(l: &crate::catalog::LimitsPatch) -> Result<(), ApiError> {
    let mut fields = super::FieldErrors::default();
    if l.memory_bytes.is_some_and(|m| m < MIN_MEMORY_BYTES) {
        fields.shape("limits.memory_bytes", "must be at least 1 MiB");
    }
    if l.timeout_ms.is_some_and(|t| !TIMEOUT_MS.contains(&t)) {
        fields.shape(
            "limits.timeout_ms",
            "limits.timeout_ms must be between 10 and 600000",
        );
    }
    for (name, value) in [
        ("max_svg_bytes", l.max_svg_bytes),
        ("max_chart_data_bytes", l.max_chart_data_bytes),
        ("max_log_bytes", l.max_log_bytes),
    ] {
        if value.is_some_and(|v| !OUTPUT_BYTES.contains(&v)) {
            fields.shape(
                format!("limits.{name}"),
                format!("limits.{name} must be between 1 KiB and 256 MiB"),
            );
        }
    }
    fields.check().map_err(|mut e| {
        e.code = "INVALID_LIMITS".to_string();
        e
    })
}

fn find(state: &AppState, key: &str, version: &str) -> Result<Registered, ApiError> {
    state.catalog.find(key, version).map_err(not_found_is_404)
}

/// On these paths an unknown key or version is the resource missing (404),
/// not a bad request as it is when a job names it.
fn not_found_is_404(e: crate::error::Error) -> ApiError {
    if e.code == crate::error::ErrorCode::PluginNotFound {
        ApiError::not_found(e.message)
    } else {
        e.into()
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PLUGIN_TOO_LARGE",
        format!(
            "the plugin file exceeds this server's {} MiB limit (--max-plugin-mb); \
             a chart plugin is usually well under 2 MiB: build it with the release or plugin profile",
            limit >> 20
        ),
    )
}
