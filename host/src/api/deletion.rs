//! `DELETE /api/jobs/<id>/` and `DELETE /api/datasets/<id>/`: rows go at
//! once, blobs with the next collection sweep (see `store::retention`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::views::ErrorBody;
use super::{ApiError, ApiPath, AppState, Auth};
use crate::store::DatasetDeleted;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDeleted {
    #[schema(format = "uuid")]
    pub job_id: String,
    /// It was still pending or running, and was cancelled first.
    pub cancelled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDeletedView {
    #[schema(format = "uuid")]
    pub dataset_id: String,
    #[serde(flatten)]
    pub deleted: DatasetDeleted,
}

/// Delete a job (owner or admin) with its charts, descriptions and
/// events; a running job is cancelled first.
#[utoipa::path(delete, path = "/api/jobs/{id}/", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = JobDeleted), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<JobDeleted>, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let cancelled = !job.status().is_terminal();
    if !state.jobs.delete_job(&job).await? {
        return Err(ApiError::not_found("no such job"));
    }
    tracing::info!(job = %job.id, user = %user.name, "job deleted");
    Ok(Json(JobDeleted {
        job_id: job.id,
        cancelled,
    }))
}

/// Delete a dataset: the caller no longer sees it (an admin: no one
/// does), and it is removed once no one has it. 409 `DATASET_IN_USE`
/// while the caller's jobs (an admin: any job) still use it.
#[utoipa::path(delete, path = "/api/datasets/{id}/", tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = DatasetDeletedView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_dataset(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DatasetDeletedView>, ApiError> {
    let deleted = state
        .store
        .delete_dataset(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such dataset"))?;
    tracing::info!(dataset = %id, user = %user.name, ?deleted, "dataset deleted");
    Ok(Json(DatasetDeletedView {
        dataset_id: id,
        deleted,
    }))
}
