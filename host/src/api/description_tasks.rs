//! Description tasks: list and detail (they are created by
//! `POST /api/ai/describe/`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::jobs::page_window;
use super::links::RequestUrl;
use super::views::{DescriptionTaskView, ErrorBody, Page};
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DescriptionListQuery {
    /// Only the descriptions of this job's charts.
    pub job_id: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Results per page (1..200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
}

/// List your description tasks.
#[utoipa::path(get, path = "/api/description-tasks/", tag = "description-tasks", params(DescriptionListQuery),
    responses((status = 200, body = Page<DescriptionTaskView>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_description_tasks(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiQuery(q): ApiQuery<DescriptionListQuery>,
) -> Result<Json<Page<DescriptionTaskView>>, ApiError> {
    let (page, size, offset) = page_window(q.page, q.page_size)?;
    let job_id = q.job_id.as_deref().map(str::trim).filter(|j| !j.is_empty());
    let (rows, count) = state
        .store
        .list_description_tasks(&user, job_id, size, offset)
        .await?;
    let results = rows.iter().map(DescriptionTaskView::from).collect();
    Ok(Json(Page::new(results, count, (page, size), &url)))
}

/// One description task.
#[utoipa::path(get, path = "/api/description-tasks/{id}/", tag = "description-tasks", params(("id" = String, Path)),
    responses((status = 200, body = DescriptionTaskView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_description_task(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DescriptionTaskView>, ApiError> {
    let d = state
        .store
        .description_task_for(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such description task"))?;
    Ok(Json(DescriptionTaskView::from(&d)))
}
