//! The HTTP and WebSocket surface. Paths follow the seed's Jobs app
//! (trailing slashes, accepted without them too). Every `/api` call needs
//! `Authorization: Bearer <token>` or the console's session cookie; a user sees only their own jobs, tasks,
//! artifacts and events (others' are 404), admins see all. Errors are JSON
//! `{"error": {"code", "message", "fields"?}}` with a stable code.

mod ai;
mod algorithms;
mod auth;
mod console;
mod contract;
mod datasets;
mod deletion;
mod description_tasks;
mod downloads;
mod error;
mod image_tasks;
mod job_create;
mod jobs;
mod links;
mod nodes;
mod openapi;
mod plugins;
mod session;
mod styles;
mod tokens;
mod views;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};

pub use auth::{Admin, Auth, AuthThrottle, SESSION_COOKIE};
pub use error::{ApiError, FieldErrors};
pub use nodes::NODE_SILENT_AFTER_MS;

use crate::catalog::PluginCatalog;
use crate::describe::Describer;
use crate::ingest::IngestLimits;
use crate::jobs::JobService;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::model::User;

/// Limits the API enforces before anything is stored.
#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// Largest accepted upload (the request body may be slightly larger).
    pub max_upload_bytes: u64,
    /// Jobs a user may have pending or running at once.
    pub max_active_jobs_per_user: i64,
    /// Image tasks in one job.
    pub max_images_per_job: usize,
    /// Largest plugin component accepted by `POST /api/plugins/`.
    pub max_plugin_bytes: u64,
    pub ingest: IngestLimits,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_upload_bytes: 50 << 20,
            max_active_jobs_per_user: 20,
            max_images_per_job: 50,
            max_plugin_bytes: 50 << 20,
            ingest: IngestLimits::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub catalog: Arc<PluginCatalog>,
    pub jobs: Arc<JobService>,
    pub describer: Arc<Describer>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<ApiLimits>,
    /// Failed authentications by client address.
    pub auth_throttle: Arc<AuthThrottle>,
    /// Serialized details of ended jobs, by ETag (see `jobs::get_job`).
    pub(crate) details: Arc<crate::memo::BoundedCache<String, bytes::Bytes>>,
}

/// Routes `path` and `path` without its trailing slash to the same handler.
fn both<S: Clone + Send + Sync + 'static>(
    r: Router<S>,
    path: &str,
    m: MethodRouter<S>,
) -> Router<S> {
    let r = r.route(path, m.clone());
    match path.strip_suffix('/') {
        Some(bare) if !bare.is_empty() => r.route(bare, m),
        _ => r,
    }
}

/// What a multipart body may carry beyond its file: boundaries, part
/// headers, the other fields.
const MULTIPART_SLACK: u64 = 1 << 20;

/// Whether the request declares a `Content-Length` over `max`. Such a body
/// is refused before any of it is read: the client gets its answer without
/// sending it (one waiting on `Expect: 100-continue` sends nothing), and
/// the server does not close on a body it stopped reading, a reset in
/// which the client may lose the answer.
fn declares_more_than(headers: &axum::http::HeaderMap, max: u64) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > max)
}

pub fn router(state: AppState) -> Router {
    let upload_body =
        DefaultBodyLimit::max((state.limits.max_upload_bytes + MULTIPART_SLACK) as usize);
    let mut r = Router::new();
    r = both(
        r,
        "/api/jobs/",
        get(jobs::list_jobs)
            .post(job_create::create_job)
            .layer(upload_body),
    );
    r = both(
        r,
        "/api/jobs/{id}/",
        get(jobs::get_job).delete(deletion::delete_job),
    );
    r = both(
        r,
        "/api/datasets/",
        get(datasets::list_datasets)
            .post(datasets::upload_dataset)
            .layer(upload_body),
    );
    r = both(
        r,
        "/api/datasets/{id}/",
        get(datasets::get_dataset).delete(datasets::delete_dataset),
    );
    r = both(r, "/api/jobs/{id}/cancel/", post(jobs::cancel_job));
    r = both(r, "/api/jobs/{id}/events/", get(jobs::list_job_events));
    r = both(r, "/api/jobs/{id}/download/", get(downloads::download_job));
    r = both(
        r,
        "/api/jobs/{id}/download-zip/",
        get(downloads::download_zip),
    );
    r = both(r, "/api/image-tasks/", get(image_tasks::list_image_tasks));
    r = both(
        r,
        "/api/image-tasks/{id}/",
        get(image_tasks::get_image_task),
    );
    r = both(
        r,
        "/api/image-tasks/{id}/png/",
        get(image_tasks::image_task_png),
    );
    r = both(
        r,
        "/api/image-tasks/{id}/svg/",
        get(image_tasks::image_task_svg),
    );
    r = both(
        r,
        "/api/image-tasks/{id}/cancel/",
        post(image_tasks::cancel_image_task),
    );
    r = both(
        r,
        "/api/image-tasks/{id}/retry/",
        post(image_tasks::retry_image_task),
    );
    r = both(
        r,
        "/api/description-tasks/",
        get(description_tasks::list_description_tasks),
    );
    r = both(
        r,
        "/api/description-tasks/{id}/",
        get(description_tasks::get_description_task),
    );
    r = both(r, "/api/algorithms/", get(algorithms::list_algorithms));
    r = both(r, "/api/styles/", get(styles::list_styles));
    let plugin_body =
        DefaultBodyLimit::max((state.limits.max_plugin_bytes + MULTIPART_SLACK) as usize);
    r = both(
        r,
        "/api/plugins/",
        get(plugins::list_plugins)
            .post(plugins::upload_plugin)
            .layer(plugin_body),
    );
    r = both(
        r,
        "/api/plugins/{key}/{version}/",
        get(plugins::get_plugin)
            .patch(plugins::patch_plugin)
            .delete(plugins::retire_plugin),
    );
    r = both(r, "/api/nodes/", get(nodes::list_nodes));
    r = both(
        r,
        "/api/tokens/",
        get(tokens::list_tokens).post(tokens::create_token),
    );
    r = both(r, "/api/tokens/{id}/", delete(tokens::revoke_token));
    r = both(r, "/api/ai/describe/", post(ai::describe));
    r = both(r, "/api/ai/models/", get(ai::models));
    r = both(r, "/ws/jobs/{id}/", get(ws::job_events));
    r = both(
        r,
        "/api/session/",
        get(session::get_session).delete(session::end_session),
    );
    r = r
        .route(
            "/login",
            get(session::login_by_url).post(session::login_by_form),
        )
        .route("/", get(console::index))
        .route("/console/{file}", get(console::file));
    r = r
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this endpoint does not answer that method; see /api/openapi.json",
    )
}

/// Liveness and readiness: the database answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Healthy"), (status = 503, body = views::ErrorBody)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(e) => ApiError::unavailable(&e.message).into_response(),
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus metrics", content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.store.task_counts().await.unwrap_or_default();
    state.metrics.set_running(state.jobs.running_here());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(&counts),
    )
        .into_response()
}

/// The job `id` if `user` may see it; otherwise 404, never 403, so job ids
/// of other users cannot be probed.
pub(crate) async fn visible_job(
    state: &AppState,
    user: &User,
    id: &str,
) -> Result<crate::store::model::JobRow, ApiError> {
    state
        .store
        .job_for(user, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such job"))
}

/// `Query<T>` whose rejection is the JSON error envelope: axum's own
/// answers in text/plain, which clients reading `error.code` cannot parse.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::rejection(
                e.status(),
                "invalid query string",
                &e.body_text(),
            )),
        }
    }
}

/// Whether the request declares a multipart/form-data body.
pub(crate) fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The request's multipart body: 415 when it declares another media
/// type, 400 in the envelope when its boundary is unusable.
pub(crate) async fn multipart(
    req: axum::extract::Request,
    state: &AppState,
) -> Result<axum::extract::Multipart, ApiError> {
    use axum::extract::FromRequest;
    if !is_multipart(req.headers()) {
        return Err(ApiError::unsupported_media_type("multipart/form-data"));
    }
    axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|e| {
            ApiError::bad_request(
                "VALIDATION_ERROR",
                format!("unreadable multipart body: {}", e.body_text()),
            )
        })
}

/// `Path<T>` whose rejection is the JSON error envelope (see [`ApiQuery`]).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::rejection(
                e.status(),
                "invalid path",
                &e.body_text(),
            )),
        }
    }
}
