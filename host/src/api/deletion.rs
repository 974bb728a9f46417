//! `DELETE /api/jobs/<id>/`: rows go at once, blobs with the next
//! collection sweep (see `store::retention`). Datasets are deleted in
//! `api::datasets`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::views::ErrorBody;
use super::{ApiError, ApiPath, AppState, Auth};

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDeleted {
    #[schema(format = "uuid")]
    pub job_id: String,
    /// It was still pending or running, and was cancelled first.
    pub cancelled: bool,
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
