//! `POST /api/jobs/`: job creation, multipart upload or JSON naming a
//! dataset, validated in full before anything is stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::links::RequestUrl;
use super::views::{ErrorBody, ImageTaskView, JobCreated};
use super::{ApiError, AppState, Auth, FieldErrors};
use crate::ingest;
use crate::plugins::LoadedPlugin;
use crate::store::model::{OutputFormat, User};
use crate::store::{NewImageTask, NewJob};
use crate::style;

/// One requested chart, as in the seed: `{algorithm_key, algorithm_version?,
/// params, output_format}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    /// One of `GET /api/algorithms/` (another is refused with 422).
    pub algorithm_key: String,
    /// A version (`1.0.0`) or a prefix of one (`1.0`: the newest enabled
    /// `1.0.x`, as the replaced Jobs API named builds); default: the newest
    /// enabled version.
    pub algorithm_version: Option<String>,
    /// The algorithm's params, checked against its `params_schema` (422
    /// when it refuses them); null: its defaults.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub params: Value,
    /// Default both.
    #[schema(value_type = Option<OutputFormat>)]
    pub output_format: Option<String>,
}

/// The JSON variant of job creation: charts of a dataset already uploaded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFromDataset {
    /// One of your datasets (`GET /api/datasets/`); another is refused
    /// with 422.
    #[schema(format = "uuid")]
    pub dataset_id: String,
    #[schema(min_items = 1)]
    pub images: Vec<ImageRequest>,
    pub idempotency_key: Option<String>,
    /// palette (or color_palette), font_size, width, height, locale,
    /// background, text_color, grid_color, custom_params (stored, not read
    /// by charts); a value the charts cannot use is refused with 422.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub visualization_config: Value,
}

/// The source types this server reads (`ingest::SOURCE_TYPES`), for the
/// document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SourceType {
    EspacenetExcel,
}

/// The multipart variant of job creation, as the replaced Jobs API's
/// clients send it: the export itself with the charts to draw from it.
/// Its JSON fields are parts holding JSON; `null` in one is its default.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct JobUpload {
    /// Default espacenet_excel.
    #[schema(nullable = false)]
    source_type: Option<SourceType>,
    /// The export (an unreadable one is refused with 422 and its
    /// `INGEST_*` code).
    #[schema(value_type = String, format = Binary)]
    source_data: Vec<u8>,
    #[schema(min_items = 1)]
    images: Vec<ImageRequest>,
    idempotency_key: Option<String>,
    /// As in the JSON variant.
    #[schema(value_type = Option<Object>)]
    visualization_config: Value,
    /// Options of the replaced Jobs API's parsers: accepted, not used.
    #[schema(value_type = Option<Object>)]
    source_params: Value,
}

/// Create a job: multipart (the export with the charts to draw) or JSON
/// naming an existing `dataset_id`. Everything is validated before
/// anything is stored. 201 when new, 200 with the same job when the
/// idempotency key was used before.
#[utoipa::path(post, path = "/api/jobs/", tag = "jobs",
    request_body(content(
        (JobFromDataset = "application/json"),
        (JobUpload = "multipart/form-data")),
        description = "images[].algorithm_version may be a prefix (\"1.0\": the newest enabled 1.0.x)"),
    responses(
        (status = 201, body = JobCreated, description = "Created"),
        (status = 200, body = JobCreated, description = "Idempotent replay: the existing job"),
        (status = 400, body = ErrorBody, description = "The body does not match this document; `fields` names what"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Neither JSON nor multipart/form-data"),
        (status = 422, body = ErrorBody, description = "An algorithm, version or dataset that does not exist, params or a visualization_config that cannot be used, or an export that cannot be read; `fields` names what"),
        (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    req: Request,
) -> Result<Response, ApiError> {
    if super::is_multipart(req.headers()) {
        return create_from_upload(state, user, url, req).await;
    }
    let Json(body): Json<JobFromDataset> = Json::from_request(req, &state).await.map_err(|e| {
        ApiError::json(
            &e,
            "{dataset_id, images, idempotency_key?, visualization_config?}, or a multipart upload",
        )
    })?;
    let mut fields = FieldErrors::default();
    let resolved = validate_images(&state, &body.images, &mut fields);
    validate_config(&body.visualization_config, &mut fields);
    if state
        .store
        .dataset_for(&user, &body.dataset_id)
        .await?
        .is_none()
    {
        fields.content("dataset_id", "no such dataset (or not yours)");
    }
    fields.check()?;
    if let Some(replay) =
        replay_or_check_limit(&state, &user.id, body.idempotency_key.as_deref(), &url).await?
    {
        return Ok(replay);
    }
    let request = Accepted {
        dataset_id: body.dataset_id,
        images: body.images,
        resolved,
        key: body.idempotency_key,
        config: body.visualization_config,
    };
    create(&state, &user, request, &url).await
}

/// A job request that passed every check.
struct Accepted {
    dataset_id: String,
    images: Vec<ImageRequest>,
    resolved: Vec<Option<Arc<LoadedPlugin>>>,
    key: Option<String>,
    config: Value,
}

/// The multipart variant: the export is read (or found stored) once its
/// charts have been checked.
async fn create_from_upload(
    state: AppState,
    user: User,
    url: RequestUrl,
    req: Request,
) -> Result<Response, ApiError> {
    let max = state.limits.max_upload_bytes;
    if super::declares_more_than(req.headers(), max + super::MULTIPART_SLACK) {
        return Err(too_large(max));
    }
    let mut mp = super::multipart(req, &state).await?;
    let mut fields = FieldErrors::default();
    let mut source_type = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut images_raw = None;
    let mut key = None;
    let mut config_raw = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::multipart(&e, too_large(max)))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "source_data" => {
                let file_name = field.file_name().unwrap_or("upload.xlsx").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::multipart(&e, too_large(max)))?;
                if bytes.len() as u64 > max {
                    return Err(too_large(max));
                }
                file = Some((file_name, bytes.to_vec()));
            }
            "source_type"
            | "images"
            | "idempotency_key"
            | "visualization_config"
            | "source_params" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::multipart(&e, too_large(max)))?;
                match name.as_str() {
                    "source_type" => source_type = Some(text),
                    "images" => images_raw = Some(text),
                    "idempotency_key" => key = Some(text),
                    "source_params" => check_source_params(&text, &mut fields),
                    _ => config_raw = Some(text),
                }
            }
            other => fields.shape(other, "unknown field"),
        }
    }
    let source_type = source_type.unwrap_or_else(|| "espacenet_excel".to_string());
    check_source_type(&source_type, &mut fields);
    let images = match images_raw
        .as_deref()
        .map(serde_json::from_str::<Vec<ImageRequest>>)
    {
        Some(Ok(i)) => i,
        Some(Err(e)) => {
            fields.shape(
                "images",
                format!("not a JSON list of {{algorithm_key, params, output_format}}: {e}"),
            );
            Vec::new()
        }
        None => {
            fields.shape("images", "required");
            Vec::new()
        }
    };
    // Sent blank, as a form leaves it: the defaults.
    let config = match config_raw.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Value::Null,
        Some(s) => serde_json::from_str(s).unwrap_or_else(|e| {
            fields.shape("visualization_config", format!("not JSON: {e}"));
            Value::Null
        }),
    };
    let resolved = validate_images(&state, &images, &mut fields);
    validate_config(&config, &mut fields);
    let Some((file_name, bytes)) = file else {
        fields.shape("source_data", "required: the export file");
        return Err(fields.check().err().unwrap_or_else(|| {
            ApiError::bad_request("VALIDATION_ERROR", "source_data: required")
        }));
    };
    fields.check()?;
    let upload = read_upload(&state, source_type, file_name, bytes).await?;
    if let Some(replay) = replay_or_check_limit(&state, &user.id, key.as_deref(), &url).await? {
        return Ok(replay);
    }
    let row = match upload {
        Upload::Known(row) => {
            state.store.grant_dataset(&user, &row.id).await?;
            row
        }
        Upload::Parsed(dataset, bytes) => state.store.put_dataset(&user, &dataset, &bytes).await?,
    };
    let request = Accepted {
        dataset_id: row.id,
        images,
        resolved,
        key,
        config,
    };
    create(&state, &user, request, &url).await
}

/// Stores the job and its tasks; the store announces the new work to
/// every node's workers.
async fn create(
    state: &AppState,
    user: &User,
    request: Accepted,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let Accepted {
        dataset_id,
        images,
        resolved,
        key,
        config,
    } = request;
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
                    .and_then(output_format)
                    .unwrap_or(OutputFormat::DEFAULT),
            })
            .collect(),
    };
    let (job, new_tasks) = state.store.create_job(&new_job).await?;
    job_created(state, &job, new_tasks, url).await
}

/// `source_type` when it is one this server reads (the document's enum).
pub(super) fn check_source_type(source_type: &str, fields: &mut FieldErrors) {
    if !ingest::SOURCE_TYPES.contains(&source_type) {
        fields.shape(
            "source_type",
            format!(
                "unsupported {source_type:?}; supported: {}",
                ingest::SOURCE_TYPES.join(", ")
            ),
        );
    }
}

/// The output format named exactly as the document spells it.
fn output_format(s: &str) -> Option<OutputFormat> {
    OutputFormat::parse(s).filter(|f| f.as_str() == s)
}

/// The answer to a job creation: 201 with the new job (`new_tasks` are
/// the tasks just created with it), or 200 with the job an idempotency
/// key already named (`None`: its tasks are read here).
async fn job_created(
    state: &AppState,
    job: &crate::store::model::JobRow,
    new_tasks: Option<Vec<crate::store::model::ImageTaskRow>>,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let created = new_tasks.is_some();
    let mut tasks = match new_tasks {
        Some(tasks) => tasks,
        None => state.store.tasks_of_job(&job.id).await?,
    };
    for t in &mut tasks {
        t.created_by = Some(job.created_by.clone());
    }
    let message = if created {
        format!(
            "job created with {} chart(s); follow it on events_url",
            tasks.len()
        )
    } else {
        "a job with this idempotency key exists; it is returned unchanged".to_string()
    };
    let body = JobCreated {
        job_id: job.id.clone(),
        message,
        status: job.status.clone(),
        progress_total: job.progress_total,
        dataset_id: job.dataset_id.clone(),
        created,
        image_tasks: tasks.iter().map(|t| ImageTaskView::new(t, url)).collect(),
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
pub(super) enum Upload {
    Known(crate::store::model::DatasetRow),
    Parsed(Box<crate::Dataset>, Vec<u8>),
}

/// An uploaded export as a dataset. Datasets are content-addressed:
/// bytes already ingested as this source type are not parsed again (the
/// caller shares the stored one with its user).
pub(super) async fn read_upload(
    state: &AppState,
    source_type: String,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<Upload, ApiError> {
    let sha = hex::encode(Sha256::digest(&bytes));
    let known = state
        .store
        .dataset_meta_by_sha(&sha)
        .await?
        .filter(|d| d.source_type == source_type);
    Ok(match known {
        Some(row) => Upload::Known(row),
        None => {
            let (dataset, bytes) = ingest_upload(state, source_type, file_name, bytes).await?;
            Upload::Parsed(Box::new(dataset), bytes)
        }
    })
}

/// Parses an uploaded export; a file that is not a readable export is a
/// 422 (413 past the limits) naming `source_data`.
pub(super) async fn ingest_upload(
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
        let mut err = ApiError::unprocessable(f);
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
    url: &RequestUrl,
) -> Result<Option<Response>, ApiError> {
    if let Some(key) = key.map(str::trim).filter(|k| !k.is_empty())
        && let Some(job) = state.store.job_by_key(user_id, key).await?
    {
        return job_created(state, &job, None, url).await.map(Some);
    }
    check_active_jobs(state, user_id).await?;
    Ok(None)
}

pub(super) fn too_large(limit: u64) -> ApiError {
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
    fields: &mut FieldErrors,
) -> Vec<Option<Arc<LoadedPlugin>>> {
    let mut resolved = Vec::with_capacity(images.len());
    if images.is_empty() && !fields.has("images") {
        fields.shape("images", "at least one chart is required");
    }
    if images.len() > state.limits.max_images_per_job {
        fields.content(
            "images",
            format!(
                "{} charts requested; this server's limit is {}",
                images.len(),
                state.limits.max_images_per_job
            ),
        );
    }
    for (i, img) in images.iter().enumerate() {
        resolved.push(None);
        if let Some(f) = &img.output_format
            && output_format(f).is_none()
        {
            fields.shape(
                format!("images[{i}].output_format"),
                format!("{f:?} is not one of png, svg, both"),
            );
        }
        if !(img.params.is_null() || img.params.is_object()) {
            fields.shape(format!("images[{i}].params"), "must be a JSON object");
            continue;
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
                fields.content(format!("images[{i}].{field}"), e.message);
                continue;
            }
        };
        let params = if img.params.is_null() {
            json!({})
        } else {
            img.params.clone()
        };
        if let Err(e) = plugin.validate_params(&params) {
            fields.content(format!("images[{i}].params"), e.message);
        }
        resolved[i] = Some(plugin);
    }
    resolved
}

/// `source_params`, which the replaced Jobs API's clients send with the
/// upload: options of its parsers, which patchart's ingest does not need
/// (it reads every sheet). Accepted when empty or a JSON object, and
/// otherwise ignored.
fn check_source_params(text: &str, fields: &mut FieldErrors) {
    if text.trim().is_empty() {
        return;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_) | Value::Null) => {}
        Ok(_) => fields.shape("source_params", "must be a JSON object"),
        Err(e) => fields.shape("source_params", format!("not JSON: {e}")),
    }
}

/// A visualization_config that is not an object does not match the
/// document; one whose values the charts cannot use is refused as content.
fn validate_config(config: &Value, fields: &mut FieldErrors) {
    if !(config.is_null() || config.is_object()) {
        if !fields.has("visualization_config") {
            fields.shape("visualization_config", "must be a JSON object");
        }
        return;
    }
    if let Err(e) = style::resolve(config)
        && !fields.has("visualization_config")
    {
        fields.content("visualization_config", e.message);
    }
}
