//! Image tasks (one chart each): list, detail, artifacts, and the
//! per-chart cancel and retry of the replaced Jobs API.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::jobs::ListQuery;
use super::links::RequestUrl;
use super::views::{ErrorBody, ImageTaskView, Page};
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};
use crate::store::TaskChange;
use crate::store::model::{ImageTaskRow, TaskStatus, User};

/// [`ListQuery`] with the statuses of a task.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// Filter by status.
    #[param(value_type = Option<TaskStatus>)]
    pub status: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Results per page (1..200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
}

/// List your image tasks (admins: all).
#[utoipa::path(get, path = "/api/image-tasks/", tag = "image-tasks", params(TaskListQuery),
    responses((status = 200, body = Page<ImageTaskView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_image_tasks(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiQuery(q): ApiQuery<TaskListQuery>,
) -> Result<Json<Page<ImageTaskView>>, ApiError> {
    let q = ListQuery {
        status: q.status,
        page: q.page,
        page_size: q.page_size,
    };
    let status = q.status_filter(TaskStatus::parse, &TaskStatus::ALL.map(TaskStatus::as_str))?;
    let (page, size, offset) = q.window()?;
    let (rows, count) = state.store.list_tasks(&user, status, size, offset).await?;
    let results = rows.iter().map(|t| ImageTaskView::new(t, &url)).collect();
    Ok(Json(Page::new(results, count, (page, size), &url)))
}

/// One image task with chart_data and artifact URLs.
#[utoipa::path(get, path = "/api/image-tasks/{id}/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, body = ImageTaskView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_image_task(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImageTaskView>, ApiError> {
    let t = visible_task(&state, &user, &id).await?;
    Ok(Json(ImageTaskView::new(&t, &url)))
}

/// Cancel one chart: a pending or running image task becomes CANCELLED
/// (its plugin is interrupted) and its job is finalised again; the other
/// charts go on. 409 when the chart already ended.
#[utoipa::path(post, path = "/api/image-tasks/{id}/cancel/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, body = ImageTaskView, description = "The chart, now CANCELLED"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The chart already ended"), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel_image_task(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImageTaskView>, ApiError> {
    change_task(&state, &user, &url, &id, Change::Cancel).await
}

/// Retry one chart: a FAILED or CANCELLED image task is queued again on
/// the plugin build it was accepted with; its job is RUNNING again until
/// the chart ends, then finalised anew (with its `job_status_changed`
/// event). 409 for a chart that is pending, running or succeeded.
#[utoipa::path(post, path = "/api/image-tasks/{id}/retry/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, body = ImageTaskView, description = "The chart, queued again: PENDING, or RUNNING when a worker has already taken it"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The chart is not FAILED or CANCELLED"), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn retry_image_task(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImageTaskView>, ApiError> {
    change_task(&state, &user, &url, &id, Change::Retry).await
}

/// What a client may ask of one chart.
#[derive(Clone, Copy)]
enum Change {
    Cancel,
    Retry,
}

/// Applies `change` to the task `id` and answers the task as it is now;
/// 409 with the change's own code when the task's status refuses it.
async fn change_task(
    state: &AppState,
    user: &User,
    url: &RequestUrl,
    id: &str,
    change: Change,
) -> Result<Json<ImageTaskView>, ApiError> {
    let t = visible_task(state, user, id).await?;
    let outcome = match change {
        Change::Cancel => state.jobs.cancel_task(&t).await?,
        Change::Retry => state.jobs.retry_task(&t).await?,
    };
    if let TaskChange::Refused(status) = outcome {
        let (code, message) = match change {
            Change::Cancel => (
                "TASK_FINISHED",
                format!(
                    "the chart already ended with status {}; only PENDING or RUNNING charts can be cancelled",
                    status.as_str()
                ),
            ),
            Change::Retry => (
                "TASK_NOT_RETRYABLE",
                format!(
                    "the chart has status {}; only FAILED or CANCELLED charts can be retried",
                    status.as_str()
                ),
            ),
        };
        return Err(ApiError::new(StatusCode::CONFLICT, code, message));
    }
    let t = visible_task(state, user, id).await?;
    Ok(Json(ImageTaskView::new(&t, url)))
}

/// The image task `id` if `user` may see it (the owner of its job, or an
/// admin); otherwise 404.
async fn visible_task(state: &AppState, user: &User, id: &str) -> Result<ImageTaskRow, ApiError> {
    state
        .store
        .task_for(user, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such image task"))
}

/// The task's PNG.
#[utoipa::path(get, path = "/api/image-tasks/{id}/png/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", description = "PNG"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn image_task_png(
    state: State<AppState>,
    auth: Auth,
    id: ApiPath<String>,
) -> Result<Response, ApiError> {
    artifact(state, auth, id, "png", "image/png").await
}

/// The task's SVG.
#[utoipa::path(get, path = "/api/image-tasks/{id}/svg/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", description = "SVG"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn image_task_svg(
    state: State<AppState>,
    auth: Auth,
    id: ApiPath<String>,
) -> Result<Response, ApiError> {
    artifact(state, auth, id, "svg", "image/svg+xml").await
}

async fn artifact(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
    ext: &'static str,
    content_type: &'static str,
) -> Result<Response, ApiError> {
    let t = visible_task(&state, &user, &id).await?;
    let sha = match ext {
        "png" => t.png_sha256.clone(),
        _ => t.svg_sha256.clone(),
    };
    let Some(sha) = sha.filter(|_| t.status == TaskStatus::Success.as_str()) else {
        return Err(ApiError::not_found(format!(
            "this task has no {ext} (status {}, output_format {})",
            t.status, t.output_format
        )));
    };
    let body = state
        .store
        .blobs()
        .stream(&sha, ext)
        .await?
        .ok_or_else(|| {
            ApiError::from(crate::Error::new(
                crate::ErrorCode::Internal,
                format!("the stored {ext} {sha} of task {} is missing", t.id),
            ))
        })?;
    let body = axum::body::Body::from_stream(body);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            // Artifacts are content-addressed and never change.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_string(),
            ),
            (header::ETAG, format!("\"{sha}\"")),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.{ext}\"", t.algorithm_key),
            ),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}
