//! Jobs: list, detail, event log, cancel. Creation is in `job_create`,
//! archives in `downloads`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::links::RequestUrl;
use super::views::{
    ErrorBody, EventPage, EventView, JobCancelled, JobDetail, JobParts, JobSummary, Page,
};
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};
use crate::store::CancelOutcome;
use crate::store::model::{JobRow, JobStatus, User};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Filter by status.
    #[param(value_type = Option<JobStatus>)]
    pub status: Option<String>,
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Results per page (1..200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
}

impl ListQuery {
    /// The `status` filter, one of `valid` exactly as the document spells
    /// it, parsed with `parse`; anything else is a 400 listing them.
    pub(crate) fn status_filter<T>(
        &self,
        parse: fn(&str) -> Option<T>,
        valid: &[&str],
    ) -> Result<Option<T>, ApiError> {
        match self.status.as_deref() {
            None => Ok(None),
            Some(s) => valid
                .contains(&s)
                .then(|| parse(s))
                .flatten()
                .map(Some)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "VALIDATION_ERROR",
                        format!("unknown status {s:?}; valid: {}", valid.join(", ")),
                    )
                }),
        }
    }

    pub(crate) fn window(&self) -> Result<(i64, i64, i64), ApiError> {
        page_window(self.page, self.page_size)
    }
}

/// The last page a list answers (the document's `maximum`): far past any
/// list's end, near enough that its offset is a number every database
/// takes.
pub(crate) const MAX_PAGE: i64 = 1_000_000;

/// `(page, page_size, offset)`. Values outside the documented ranges
/// are a 400 naming the field rather than silently another page.
pub(crate) fn page_window(
    page: Option<i64>,
    page_size: Option<i64>,
) -> Result<(i64, i64, i64), ApiError> {
    let mut fields = BTreeMap::new();
    let page = page.unwrap_or(1);
    let size = page_size.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&page) {
        fields.insert(
            "page".to_string(),
            format!("is {page}; it must be 1..{MAX_PAGE}"),
        );
    }
    if !(1..=200).contains(&size) {
        fields.insert(
            "page_size".to_string(),
            format!("is {size}; it must be 1..200"),
        );
    }
    if fields.is_empty() {
        return Ok((page, size, (page - 1) * size));
    }
    Err(ApiError::validation(fields))
}

/// List your jobs (admins: all), newest first.
#[utoipa::path(get, path = "/api/jobs/", tag = "jobs", params(ListQuery),
    responses((status = 200, body = Page<JobSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<JobSummary>>, ApiError> {
    let status = q.status_filter(JobStatus::parse, &JobStatus::ALL.map(JobStatus::as_str))?;
    let (page, size, offset) = q.window()?;
    let (rows, count) = state.store.list_jobs(&user, status, size, offset).await?;
    let results = rows.iter().map(JobSummary::from).collect();
    Ok(Json(Page::new(results, count, (page, size), &url)))
}

/// A job with its dataset summary, image tasks, the descriptions of its
/// charts and the first events of its log (the rest: `events_next`).
///
/// A job that has ended changes only by what its log records (a
/// description asked for, a chart retried), so its detail carries an
/// `ETag` made of its last update and last event: `If-None-Match` with it
/// answers 304, and the serialized body is kept in memory between reads.
#[utoipa::path(get, path = "/api/jobs/{id}/", tag = "jobs",
    params(("id" = String, Path),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of a detail read before")),
    responses((status = 200, body = JobDetail,
            headers(("ETag" = String, description = "Set once the job has ended"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (job, last_event) = state
        .store
        .job_for_with_last_event(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such job"))?;
    if !job.status().is_terminal() {
        return Ok(Json(job_detail(&state, &user, &job, &url).await?).into_response());
    }
    // What the body depends on: the job's own row, its log, who reads it
    // (descriptions are per user) and the origin its links are built on.
    let tag = {
        use sha2::{Digest, Sha256};
        let version = format!(
            "{}\n{}\n{}\n{}\n{}",
            job.id, job.updated_at, last_event, user.id, url.origin
        );
        format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(version.as_bytes()))[..32]
        )
    };
    let cache = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, "private, no-cache".to_string()),
    ];
    let sent = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if sent {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let body = match state.details.get(&tag) {
        Some(body) => body,
        None => {
            let detail = job_detail(&state, &user, &job, &url).await?;
            let body = bytes::Bytes::from(serde_json::to_vec(&detail).map_err(|e| {
                ApiError::from(crate::error::Error::new(
                    crate::error::ErrorCode::Internal,
                    format!("serializing a job: {e}"),
                ))
            })?);
            state.details.insert(tag.clone(), body.clone());
            body
        }
    };
    Ok((
        cache,
        [(header::CONTENT_TYPE, "application/json".to_string())],
        body,
    )
        .into_response())
}

/// Everything [`JobDetail`] shows of `job`, read for `user`.
pub(crate) async fn job_detail(
    state: &AppState,
    user: &User,
    job: &JobRow,
    url: &RequestUrl,
) -> Result<JobDetail, ApiError> {
    let dataset = state.store.dataset_meta(&job.dataset_id).await?;
    let tasks = state.store.tasks_of_job(&job.id).await?;
    let (descriptions, description_count) = state
        .store
        .list_description_tasks(user, Some(&job.id), JobDetail::MAX_DESCRIPTIONS, 0)
        .await?;
    let events = state
        .store
        .events_after(&job.id, 0, JobDetail::MAX_EVENTS)
        .await?;
    let event_count = state.store.event_count(&job.id).await?;
    let parts = JobParts {
        dataset: &dataset,
        tasks: &tasks,
        descriptions: &descriptions,
        description_count,
        events: &events,
        event_count,
    };
    Ok(JobDetail::new(job, parts, url))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this event id (default 0: from the start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// At most this many (1..500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A slice of the job's event log, oldest first, as the WebSocket sends
/// it; `next` links the slice after it.
#[utoipa::path(get, path = "/api/jobs/{id}/events/", tag = "jobs", params(("id" = String, Path), EventsQuery),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_job_events(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    let mut fields = BTreeMap::new();
    if after < 0 {
        fields.insert(
            "after".to_string(),
            format!("is {after}; event ids start at 1 (0: from the start)"),
        );
    }
    if !(1..=500).contains(&limit) {
        fields.insert(
            "limit".to_string(),
            format!("is {limit}; it must be 1..500"),
        );
    }
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    // One more than asked: whether there is a next slice.
    let mut events = state.store.events_after(&job.id, after, limit + 1).await?;
    let next = (events.len() as i64 > limit).then(|| {
        events.truncate(limit as usize);
        let last = events.last().map_or(after, |e| e.id);
        url.absolute(&format!(
            "/api/jobs/{}/events/?after={last}&limit={limit}",
            job.id
        ))
    });
    Ok(Json(EventPage {
        count: state.store.event_count(&job.id).await?,
        next,
        results: events.iter().map(EventView::from).collect(),
    }))
}

/// Cancel a job: it and its pending and running tasks become CANCELLED;
/// running plugins are interrupted. 409 when the job already finished.
#[utoipa::path(post, path = "/api/jobs/{id}/cancel/", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = JobCancelled), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<JobCancelled>, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    match state.jobs.cancel_job(&job).await? {
        CancelOutcome::Cancelled { tasks } => Ok(Json(JobCancelled {
            job_id: job.id,
            status: JobStatus::Cancelled.as_str().into(),
            cancelled_tasks: tasks.len(),
        })),
        CancelOutcome::AlreadyFinished(status) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "JOB_FINISHED",
            format!("the job already finished with status {}", status.as_str()),
        )),
    }
}
