//! `POST /api/jobs/`: job creation, multipart upload or JSON naming a
//! dataset, validated in full before anything is stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::links::RequestUrl;
use super::views::{ErrorBody, ImageTaskView, JobCreated};
use super::{ApiError, AppState, Auth};
use crate::ingest;
use crate::plugins::LoadedPlugin;
use crate::store::model::OutputFormat;
use crate::store::{NewImageTask, NewJob};
use crate::style;

/// One requested chart, as in the seed: `{algorithm_key, algorithm_version?,
/// params, output_format}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    pub algorithm_key: String,
    /// A version (`1.0.0`) or a prefix of one (`1.0`: the newest enabled
    /// `1.0.x`, as the replaced Jobs API named builds); default: the newest
    /// enabled version.
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

/// Create a job: multipart (`source_type`, `source_data` file, `images`
/// JSON string, `idempotency_key`, `visualization_config` JSON string) or
/// JSON naming an existing `dataset_id`. Everything is validated before
/// anything is stored. 201 when new, 200 with the same job when the
/// idempotency key was used before.
#[utoipa::path(post, path = "/api/jobs/", tag = "jobs",
    request_body(content = JobFromDataset, description = "JSON variant; the multipart variant carries source_type, source_data (file), images (JSON string), idempotency_key, visualization_config (JSON string), and source_params (JSON object string, accepted for the replaced Jobs API's clients and not used). images[].algorithm_version may be a prefix (\"1.0\": the newest enabled 1.0.x). visualization_config: palette (or color_palette), font_size, width, height, locale, background, text_color, grid_color, custom_params (object, stored, not read by charts)"),
    responses(
        (status = 201, body = JobCreated, description = "Created"),
        (status = 200, body = JobCreated, description = "Idempotent replay: the existing job"),
        (status = 400, body = ErrorBody, description = "Validation error with field-level messages"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
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
                "source_type"
                | "images"
                | "idempotency_key"
                | "visualization_config"
                | "source_params" => {
                    let text = field.text().await.map_err(|e| {
                        ApiError::multipart(&e, too_large(state.limits.max_upload_bytes))
                    })?;
                    match name.as_str() {
                        "source_type" => source_type = Some(text),
                        "images" => images_raw = Some(text),
                        "idempotency_key" => key = Some(text),
                        "source_params" => check_source_params(&text, &mut fields),
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
        let upload = read_upload(&state, source_type.clone(), file_name, bytes).await?;
        if let Some(replay) = replay_or_check_limit(&state, &user.id, key.as_deref(), &url).await? {
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
            replay_or_check_limit(&state, &user.id, body.idempotency_key.as_deref(), &url).await?
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
    job_created(&state, &job, new_tasks, &url).await
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

/// Parses an uploaded export; a bad file is a 400 (413 past the limits)
/// naming `source_data`.
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

/// `source_params`, which the replaced Jobs API's clients send with the
/// upload: options of its parsers, which patchart's ingest does not need
/// (it reads every sheet). Accepted when empty or a JSON object, and
/// otherwise ignored.
fn check_source_params(text: &str, fields: &mut BTreeMap<String, String>) {
    if text.trim().is_empty() {
        return;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => {}
        Ok(_) => {
            fields.insert("source_params".into(), "must be a JSON object".into());
        }
        Err(e) => {
            fields.insert("source_params".into(), format!("not JSON: {e}"));
        }
    }
}

fn validate_config(config: &Value, fields: &mut BTreeMap<String, String>) {
    if let Err(e) = style::resolve(config) {
        fields
            .entry("visualization_config".into())
            .or_insert(e.message);
    }
}
