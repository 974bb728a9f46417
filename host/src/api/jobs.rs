//! Jobs, image tasks, description tasks, algorithms: the REST handlers.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::views::{
    AlgorithmVersion, AlgorithmView, DescriptionTaskView, ErrorBody, ImageTaskView, JobCancelled,
    JobCreated, JobDetail, JobSummary, Page,
};
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};
use crate::ingest;
use crate::plugins::LoadedPlugin;
use crate::store::model::{JobStatus, OutputFormat, TaskStatus};
use crate::store::{CancelOutcome, NewImageTask, NewJob};
use crate::style;

/// One requested chart, as in the seed: `{algorithm_key, algorithm_version?,
/// params, output_format}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    pub algorithm_key: String,
    pub algorithm_version: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: Value,
    /// png, svg or both (default both).
    pub output_format: Option<String>,
}

/// The JSON variant of job creation: charts of a dataset already uploaded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFromDataset {
    pub dataset_id: String,
    pub images: Vec<ImageRequest>,
    pub idempotency_key: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub visualization_config: Value,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Filter by status (e.g. SUCCESS).
    pub status: Option<String>,
    /// 1-based page number.
    pub page: Option<i64>,
    /// Results per page (1..200, default 50).
    pub page_size: Option<i64>,
}

impl ListQuery {
    /// The `status` filter parsed with `parse`; an unknown value is a 400
    /// listing the valid ones.
    fn status_filter<T>(
        &self,
        parse: fn(&str) -> Option<T>,
        valid: &[&str],
    ) -> Result<Option<T>, ApiError> {
        match self.status.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => parse(s).map(Some).ok_or_else(|| {
                ApiError::bad_request(
                    "VALIDATION_ERROR",
                    format!("unknown status {s:?}; valid: {}", valid.join(", ")),
                )
            }),
        }
    }

    /// `(page, page_size, offset)`. Values outside the documented ranges
    /// are a 400 naming the field rather than silently another page; a
    /// page so far out that its offset overflows is one of them.
    fn window(&self) -> Result<(i64, i64, i64), ApiError> {
        let mut fields = BTreeMap::new();
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(50);
        if page < 1 {
            fields.insert("page".to_string(), format!("is {page}; pages start at 1"));
        }
        if !(1..=200).contains(&size) {
            fields.insert(
                "page_size".to_string(),
                format!("is {size}; it must be 1..200"),
            );
        }
        if fields.is_empty() {
            match (page - 1).checked_mul(size) {
                Some(offset) => return Ok((page, size, offset)),
                None => {
                    fields.insert(
                        "page".to_string(),
                        format!("is {page}; no page is that far"),
                    );
                }
            }
        }
        Err(ApiError::validation(fields))
    }
}

/// Create a job: multipart (`source_type`, `source_data` file, `images`
/// JSON string, `idempotency_key`, `visualization_config` JSON string) or
/// JSON naming an existing `dataset_id`. Everything is validated before
/// anything is stored. 201 when new, 200 with the same job when the
/// idempotency key was used before.
#[utoipa::path(post, path = "/api/jobs/", tag = "jobs",
    request_body(content = JobFromDataset, description = "JSON variant; the multipart variant carries source_type, source_data (file), images (JSON string), idempotency_key, visualization_config (JSON string)"),
    responses(
        (status = 201, body = JobCreated, description = "Created"),
        (status = 200, body = JobCreated, description = "Idempotent replay: the existing job"),
        (status = 400, body = ErrorBody, description = "Validation error with field-level messages"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    req: Request,
) -> Result<Response, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart
        && super::declares_more_than(
            req.headers(),
            state.limits.max_upload_bytes + super::MULTIPART_SLACK,
        )
    {
        return Err(too_large(state.limits.max_upload_bytes));
    }
    let mut fields = BTreeMap::new();
    let (dataset_id, images, resolved, key, config) = if is_multipart {
        let mut mp = Multipart::from_request(req, &state).await.map_err(|e| {
            ApiError::bad_request(
                "VALIDATION_ERROR",
                format!("unreadable multipart body: {e}"),
            )
        })?;
        let mut source_type = None;
        let mut file: Option<(String, Vec<u8>)> = None;
        let mut images_raw = None;
        let mut key = None;
        let mut config_raw = None;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| ApiError::multipart(&e, too_large(state.limits.max_upload_bytes)))?
        {
            let name = field.name().unwrap_or("").to_string();
            match name.as_str() {
                "source_data" => {
                    let file_name = field.file_name().unwrap_or("upload.xlsx").to_string();
                    let bytes = field.bytes().await.map_err(|e| {
                        ApiError::multipart(&e, too_large(state.limits.max_upload_bytes))
                    })?;
                    if bytes.len() as u64 > state.limits.max_upload_bytes {
                        return Err(too_large(state.limits.max_upload_bytes));
                    }
                    file = Some((file_name, bytes.to_vec()));
                }
                "source_type" | "images" | "idempotency_key" | "visualization_config" => {
                    let text = field.text().await.map_err(|e| {
                        ApiError::multipart(&e, too_large(state.limits.max_upload_bytes))
                    })?;
                    match name.as_str() {
                        "source_type" => source_type = Some(text),
                        "images" => images_raw = Some(text),
                        "idempotency_key" => key = Some(text),
                        _ => config_raw = Some(text),
                    }
                }
                other => {
                    fields.insert(other.to_string(), "unknown field".to_string());
                }
            }
        }
        let source_type = source_type.unwrap_or_else(|| "espacenet_excel".to_string());
        if !ingest::SOURCE_TYPES.contains(&source_type.as_str()) {
            fields.insert(
                "source_type".into(),
                format!(
                    "unsupported {source_type:?}; supported: {}",
                    ingest::SOURCE_TYPES.join(", ")
                ),
            );
        }
        let images = match images_raw
            .as_deref()
            .map(serde_json::from_str::<Vec<ImageRequest>>)
        {
            Some(Ok(i)) => i,
            Some(Err(e)) => {
                fields.insert(
                    "images".into(),
                    format!("not a JSON list of {{algorithm_key, params, output_format}}: {e}"),
                );
                Vec::new()
            }
            None => {
                fields.insert("images".into(), "required".into());
                Vec::new()
            }
        };
        let config = match config_raw.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Value::Null,
            Some(s) => serde_json::from_str(s).unwrap_or_else(|e| {
                fields.insert("visualization_config".into(), format!("not JSON: {e}"));
                Value::Null
            }),
        };
        let resolved = validate_images(&state, &images, &mut fields);
        validate_config(&config, &mut fields);
        let Some((file_name, bytes)) = file else {
            fields.insert("source_data".into(), "required: the export file".into());
            return Err(ApiError::validation(fields));
        };
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        // Datasets are content-addressed: bytes already ingested as this
        // source type are not parsed again, only shared with this user.
        let sha = hex::encode(Sha256::digest(&bytes));
        let known = state
            .store
            .dataset_meta_by_sha(&sha)
            .await?
            .filter(|d| d.source_type == source_type);
        let upload = match known {
            Some(row) => Upload::Known(row),
            None => {
                let (dataset, bytes) =
                    ingest_upload(&state, source_type.clone(), file_name, bytes).await?;
                Upload::Parsed(Box::new(dataset), bytes)
            }
        };
        if let Some(replay) = replay_or_check_limit(&state, &user.id, key.as_deref()).await? {
            return Ok(replay);
        }
        let row = match upload {
            Upload::Known(row) => {
                state.store.grant_dataset(&user, &row.id).await?;
                row
            }
            Upload::Parsed(dataset, bytes) => {
                state.store.put_dataset(&user, &dataset, &bytes).await?
            }
        };
        (row.id, images, resolved, key, config)
    } else {
        let Json(body): Json<JobFromDataset> =
            Json::from_request(req, &state).await.map_err(|e| {
                ApiError::bad_request(
                    "VALIDATION_ERROR",
                    format!("invalid JSON body: {}", e.body_text()),
                )
            })?;
        let resolved = validate_images(&state, &body.images, &mut fields);
        validate_config(&body.visualization_config, &mut fields);
        if state
            .store
            .dataset_for(&user, &body.dataset_id)
            .await?
            .is_none()
        {
            fields.insert("dataset_id".into(), "no such dataset (or not yours)".into());
        }
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        if let Some(replay) =
            replay_or_check_limit(&state, &user.id, body.idempotency_key.as_deref()).await?
        {
            return Ok(replay);
        }
        (
            body.dataset_id,
            body.images,
            resolved,
            body.idempotency_key,
            body.visualization_config,
        )
    };

    let key = key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
    let new_job = NewJob {
        dataset_id,
        created_by: user.id.clone(),
        idempotency_key: key,
        visualization_config: config,
        tasks: images
            .into_iter()
            .zip(resolved)
            .map(|(i, plugin)| NewImageTask {
                algorithm_key: i.algorithm_key,
                requested_version: i.algorithm_version,
                algorithm_version: plugin.as_ref().map(|p| p.info.version.clone()),
                plugin_sha256: plugin.as_ref().map(|p| p.sha256.clone()),
                params: if i.params.is_null() {
                    json!({})
                } else {
                    i.params
                },
                output_format: i
                    .output_format
                    .as_deref()
                    .and_then(OutputFormat::parse)
                    .unwrap_or(OutputFormat::Both),
            })
            .collect(),
    };
    // The store announces the new work to every node's workers.
    let (job, new_tasks) = state.store.create_job(&new_job).await?;
    job_created(&state, &job, new_tasks).await
}

/// The answer to a job creation: 201 with the new job (`new_tasks` are
/// the tasks just created with it), or 200 with the job an idempotency
/// key already named (`None`: its tasks are read here).
async fn job_created(
    state: &AppState,
    job: &crate::store::model::JobRow,
    new_tasks: Option<Vec<crate::store::model::ImageTaskRow>>,
) -> Result<Response, ApiError> {
    let created = new_tasks.is_some();
    let tasks = match new_tasks {
        Some(tasks) => tasks,
        None => state.store.tasks_of_job(&job.id).await?,
    };
    let body = JobCreated {
        job_id: job.id.clone(),
        status: job.status.clone(),
        progress_total: job.progress_total,
        dataset_id: job.dataset_id.clone(),
        created,
        image_tasks: tasks.iter().map(ImageTaskView::from).collect(),
        events_url: format!("/ws/jobs/{}/", job.id),
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}

/// An uploaded export: bytes already stored as a dataset, or parsed now.
enum Upload {
    Known(crate::store::model::DatasetRow),
    Parsed(Box<crate::Dataset>, Vec<u8>),
}

/// Parses an uploaded export; a bad file is a 400 (413 past the limits)
/// naming `source_data`.
async fn ingest_upload(
    state: &AppState,
    source_type: String,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<(crate::Dataset, Vec<u8>), ApiError> {
    let limits = state.limits.ingest.clone();
    tokio::task::spawn_blocking(move || {
        ingest::ingest_bytes(&source_type, &file_name, &bytes, &limits).map(|d| (d, bytes))
    })
    .await
    .map_err(|e| ApiError::from(crate::Error::new(crate::ErrorCode::Internal, e.to_string())))?
    .map_err(|e| {
        let mut f = BTreeMap::new();
        f.insert(
            "source_data".to_string(),
            format!("{}: {}", e.code, e.message),
        );
        let mut err = ApiError::validation(f);
        err.code = e.code.as_str().to_string();
        err.message = e.message;
        if e.code == crate::ErrorCode::IngestLimitExceeded {
            err.status = StatusCode::PAYLOAD_TOO_LARGE;
        }
        err
    })
}

/// A retry with a known idempotency key gets its job back even when the
/// user is at the active-job limit; anything else must respect the limit.
/// (Creation itself stays race-safe through the unique constraint.)
async fn replay_or_check_limit(
    state: &AppState,
    user_id: &str,
    key: Option<&str>,
) -> Result<Option<Response>, ApiError> {
    if let Some(key) = key.map(str::trim).filter(|k| !k.is_empty())
        && let Some(job) = state.store.job_by_key(user_id, key).await?
    {
        return job_created(state, &job, None).await.map(Some);
    }
    check_active_jobs(state, user_id).await?;
    Ok(None)
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "UPLOAD_TOO_LARGE",
        format!("the upload exceeds the {} MiB limit", limit >> 20),
    )
}

async fn check_active_jobs(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let active = state.store.running_jobs_of(user_id).await?;
    if active >= state.limits.max_active_jobs_per_user {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_ACTIVE_JOBS",
            format!(
                "you have {active} jobs pending or running (limit {}); wait for one to finish or cancel one",
                state.limits.max_active_jobs_per_user
            ),
        ));
    }
    Ok(())
}

/// Checks every requested chart and resolves the plugin build each will
/// run on (the newest enabled version unless pinned), so tasks keep that
/// build even if another version is loaded before they start.
fn validate_images(
    state: &AppState,
    images: &[ImageRequest],
    fields: &mut BTreeMap<String, String>,
) -> Vec<Option<Arc<LoadedPlugin>>> {
    let mut resolved = Vec::with_capacity(images.len());
    if images.is_empty() && !fields.contains_key("images") {
        fields.insert("images".into(), "at least one chart is required".into());
    }
    if images.len() > state.limits.max_images_per_job {
        fields.insert(
            "images".into(),
            format!(
                "{} charts requested; the limit is {}",
                images.len(),
                state.limits.max_images_per_job
            ),
        );
    }
    for (i, img) in images.iter().enumerate() {
        resolved.push(None);
        if let Some(f) = &img.output_format
            && OutputFormat::parse(f).is_none()
        {
            fields.insert(
                format!("images[{i}].output_format"),
                format!("{f:?} is not one of png, svg, both"),
            );
        }
        let plugin = match state
            .jobs
            .registry()
            .get(&img.algorithm_key, img.algorithm_version.as_deref())
        {
            Ok(p) => p,
            Err(e) => {
                let field = if img.algorithm_version.is_some()
                    && state.jobs.registry().get(&img.algorithm_key, None).is_ok()
                {
                    "algorithm_version"
                } else {
                    "algorithm_key"
                };
                fields.insert(format!("images[{i}].{field}"), e.message);
                continue;
            }
        };
        let params = if img.params.is_null() {
            json!({})
        } else {
            img.params.clone()
        };
        if let Err(e) = plugin.validate_params(&params) {
            fields.insert(format!("images[{i}].params"), e.message);
        }
        resolved[i] = Some(plugin);
    }
    resolved
}

fn validate_config(config: &Value, fields: &mut BTreeMap<String, String>) {
    if let Err(e) = style::resolve(config) {
        fields
            .entry("visualization_config".into())
            .or_insert(e.message);
    }
}

/// List your jobs (admins: all), newest first.
#[utoipa::path(get, path = "/api/jobs/", tag = "jobs", params(ListQuery),
    responses((status = 200, body = Page<JobSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<JobSummary>>, ApiError> {
    let status = q.status_filter(JobStatus::parse, &JobStatus::ALL.map(JobStatus::as_str))?;
    let (page, size, offset) = q.window()?;
    let (rows, count) = state.store.list_jobs(&user, status, size, offset).await?;
    Ok(Json(Page::of(&rows, count, (page, size))))
}

/// A job with its dataset summary and image tasks.
#[utoipa::path(get, path = "/api/jobs/{id}/", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = JobDetail), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<JobDetail>, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let dataset = state.store.dataset_meta(&job.dataset_id).await?;
    let tasks = state.store.tasks_of_job(&job.id).await?;
    Ok(Json(JobDetail::new(&job, &dataset, &tasks)))
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

/// A ZIP of the job's artifacts: per chart `chart.png`, `chart.svg`,
/// `chart_data.json`, plus `job.json`.
#[utoipa::path(get, path = "/api/jobs/{id}/download/", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "ZIP archive"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn download_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let dataset = state.store.dataset_meta(&job.dataset_id).await?;
    let tasks = state.store.tasks_of_job(&job.id).await?;
    let manifest =
        serde_json::to_vec_pretty(&JobDetail::new(&job, &dataset, &tasks)).unwrap_or_default();
    // Read first (the blobs may be in the database), then compress on a
    // blocking thread.
    let mut blobs: std::collections::HashMap<(String, &'static str), Vec<u8>> =
        std::collections::HashMap::new();
    for t in tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Success.as_str())
    {
        for (sha, ext) in [(&t.png_sha256, "png"), (&t.svg_sha256, "svg")] {
            if let Some(sha) = sha {
                let bytes = state.store.blobs().get(sha, ext).await?.ok_or_else(|| {
                    crate::Error::new(
                        crate::ErrorCode::Internal,
                        format!("the stored {ext} {sha} of task {} is missing", t.id),
                    )
                })?;
                blobs.insert((sha.clone(), ext), bytes);
            }
        }
    }
    let zip = tokio::task::spawn_blocking(move || -> crate::Result<Vec<u8>> {
        let read = |sha: &str, ext: &'static str| -> crate::Result<&[u8]> {
            blobs
                .get(&(sha.to_string(), ext))
                .map(Vec::as_slice)
                .ok_or_else(|| crate::Error::new(crate::ErrorCode::Internal, "artifact not read"))
        };
        let err = |e: &dyn std::fmt::Display| {
            crate::Error::new(crate::ErrorCode::Internal, format!("zip: {e}"))
        };
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("job.json", opts).map_err(|e| err(&e))?;
        w.write_all(&manifest).map_err(|e| err(&e))?;
        for t in tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Success.as_str())
        {
            let dir = format!("{:02}_{}", t.position + 1, t.algorithm_key);
            if let Some(sha) = &t.png_sha256 {
                w.start_file(format!("{dir}/chart.png"), opts)
                    .map_err(|e| err(&e))?;
                w.write_all(read(sha, "png")?).map_err(|e| err(&e))?;
            }
            if let Some(sha) = &t.svg_sha256 {
                w.start_file(format!("{dir}/chart.svg"), opts)
                    .map_err(|e| err(&e))?;
                w.write_all(read(sha, "svg")?).map_err(|e| err(&e))?;
            }
            if let Some(cd) = &t.chart_data {
                let pretty = serde_json::from_str::<Value>(cd)
                    .ok()
                    .and_then(|v| serde_json::to_vec_pretty(&v).ok())
                    .unwrap_or_else(|| cd.clone().into_bytes());
                w.start_file(format!("{dir}/chart_data.json"), opts)
                    .map_err(|e| err(&e))?;
                w.write_all(&pretty).map_err(|e| err(&e))?;
            }
        }
        Ok(w.finish().map_err(|e| err(&e))?.into_inner())
    })
    .await
    .map_err(|e| ApiError::from(crate::Error::new(crate::ErrorCode::Internal, e.to_string())))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"patchart-job-{}.zip\"", job.id),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_string()),
        ],
        zip,
    )
        .into_response())
}

/// List your image tasks (admins: all).
#[utoipa::path(get, path = "/api/image-tasks/", tag = "image-tasks", params(ListQuery),
    responses((status = 200, body = Page<ImageTaskView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_image_tasks(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<ImageTaskView>>, ApiError> {
    let status = q.status_filter(TaskStatus::parse, &TaskStatus::ALL.map(TaskStatus::as_str))?;
    let (page, size, offset) = q.window()?;
    let (rows, count) = state.store.list_tasks(&user, status, size, offset).await?;
    Ok(Json(Page::of(&rows, count, (page, size))))
}

/// One image task with chart_data and artifact URLs.
#[utoipa::path(get, path = "/api/image-tasks/{id}/", tag = "image-tasks", params(("id" = String, Path)),
    responses((status = 200, body = ImageTaskView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_image_task(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImageTaskView>, ApiError> {
    let t = state
        .store
        .task_for(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such image task"))?;
    Ok(Json(ImageTaskView::from(&t)))
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
    let t = state
        .store
        .task_for(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such image task"))?;
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

/// List your description tasks.
#[utoipa::path(get, path = "/api/description-tasks/", tag = "description-tasks", params(ListQuery),
    responses((status = 200, body = Page<DescriptionTaskView>)), security(("bearer" = [])))]
pub async fn list_description_tasks(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<DescriptionTaskView>>, ApiError> {
    let (page, size, offset) = q.window()?;
    let (rows, count) = state
        .store
        .list_description_tasks(&user, size, offset)
        .await?;
    Ok(Json(Page::of(&rows, count, (page, size))))
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

/// The algorithms jobs can ask for, with their versions, params schema and
/// defaults.
#[utoipa::path(get, path = "/api/algorithms/", tag = "algorithms",
    responses((status = 200, body = Vec<AlgorithmView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_algorithms(
    State(state): State<AppState>,
    Auth(_user): Auth,
) -> Result<Json<Vec<AlgorithmView>>, ApiError> {
    let plugins = state.jobs.registry().list();
    let mut out: Vec<AlgorithmView> = Vec::new();
    for p in plugins {
        match out.last_mut() {
            Some(last) if last.key == p.info.key => {
                last.versions.push(AlgorithmVersion {
                    version: p.info.version.clone(),
                    sha256: p.sha256.clone(),
                });
                // The list is ordered by version: the last one is newest.
                last.latest_version = p.info.version.clone();
                last.name = p.info.name.clone();
                last.description = p.info.description.clone();
                last.params_schema = p.info.params_schema.clone();
                last.defaults = p.param_defaults();
                last.required_facets = p.info.required_facets.clone();
            }
            _ => out.push(AlgorithmView {
                key: p.info.key.clone(),
                name: p.info.name.clone(),
                description: p.info.description.clone(),
                latest_version: p.info.version.clone(),
                versions: vec![AlgorithmVersion {
                    version: p.info.version.clone(),
                    sha256: p.sha256.clone(),
                }],
                params_schema: p.info.params_schema.clone(),
                defaults: p.param_defaults(),
                required_facets: p.info.required_facets.clone(),
            }),
        }
    }
    Ok(Json(out))
}
