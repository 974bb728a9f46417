//! A job's artifacts as one ZIP: patchart's layout (`download/`: a folder
//! per chart with its PNG, SVG and chart_data, plus `job.json`) and the
//! replaced Jobs API's (`download-zip/`: `png/<algorithm_key>.png`,
//! `svg/<algorithm_key>.svg`).

use std::collections::BTreeMap;
use std::io::Write as _;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::links::RequestUrl;
use super::views::ErrorBody;
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};
use crate::error::{Error, ErrorCode};
use crate::store::model::{ImageTaskRow, TaskStatus};

/// A ZIP of the job's artifacts: per chart `chart.png`, `chart.svg`,
/// `chart_data.json`, plus `job.json`.
#[utoipa::path(get, path = "/api/jobs/{id}/download/", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "ZIP archive"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn download_job(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let detail = super::jobs::job_detail(&state, &user, &job, &url).await?;
    let tasks = state.store.tasks_of_job(&job.id).await?;
    let mut files = vec![(
        "job.json".to_string(),
        serde_json::to_vec_pretty(&detail).unwrap_or_default(),
    )];
    for t in succeeded(&tasks) {
        let dir = format!("{:02}_{}", t.position + 1, t.algorithm_key);
        if let Some(sha) = &t.png_sha256 {
            files.push((
                format!("{dir}/chart.png"),
                blob(&state, t, sha, "png").await?,
            ));
        }
        if let Some(sha) = &t.svg_sha256 {
            files.push((
                format!("{dir}/chart.svg"),
                blob(&state, t, sha, "svg").await?,
            ));
        }
        if let Some(cd) = &t.chart_data {
            let pretty = serde_json::from_str::<Value>(cd)
                .ok()
                .and_then(|v| serde_json::to_vec_pretty(&v).ok())
                .unwrap_or_else(|| cd.clone().into_bytes());
            files.push((format!("{dir}/chart_data.json"), pretty));
        }
    }
    zip_response(files, format!("patchart-job-{}.zip", job.id)).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZipQuery {
    /// Default both.
    #[param(value_type = Option<crate::store::model::OutputFormat>)]
    pub image_format: Option<String>,
}

/// The job's images in the replaced Jobs API's layout:
/// `png/<algorithm_key>.png` and `svg/<algorithm_key>.svg` for every chart
/// that succeeded (a key asked for twice in one job is
/// `<algorithm_key>_2`, … from its second chart on). 409 when no chart has
/// an image of that format.
#[utoipa::path(get, path = "/api/jobs/{id}/download-zip/", tag = "jobs", params(("id" = String, Path), ZipQuery),
    responses((status = 200, content_type = "application/zip", description = "ZIP archive"),
        (status = 400, body = ErrorBody, description = "image_format is not png, svg or both"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "No chart of the job has an image of that format yet")),
    security(("bearer" = [])))]
pub async fn download_zip(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ZipQuery>,
) -> Result<Response, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    let format = q.image_format.as_deref().unwrap_or("both");
    let (png, svg) = match format {
        "png" => (true, false),
        "svg" => (false, true),
        "both" => (true, true),
        other => {
            let mut fields = BTreeMap::new();
            fields.insert(
                "image_format".to_string(),
                format!("{other:?} is not one of png, svg, both"),
            );
            return Err(ApiError::validation(fields));
        }
    };
    let tasks = state.store.tasks_of_job(&job.id).await?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut files = Vec::new();
    for t in succeeded(&tasks) {
        let n = seen.entry(t.algorithm_key.as_str()).or_insert(0);
        *n += 1;
        let name = match *n {
            1 => t.algorithm_key.clone(),
            n => format!("{}_{n}", t.algorithm_key),
        };
        if png && let Some(sha) = &t.png_sha256 {
            files.push((
                format!("png/{name}.png"),
                blob(&state, t, sha, "png").await?,
            ));
        }
        if svg && let Some(sha) = &t.svg_sha256 {
            files.push((
                format!("svg/{name}.svg"),
                blob(&state, t, sha, "svg").await?,
            ));
        }
    }
    if files.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "NO_ARTIFACTS",
            format!(
                "no chart of this job has a {format} image yet (job status {}); wait for a chart to succeed or ask for another image_format",
                job.status
            ),
        ));
    }
    zip_response(files, format!("job_{}_{format}.zip", job.id)).await
}

fn succeeded(tasks: &[ImageTaskRow]) -> impl Iterator<Item = &ImageTaskRow> {
    tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Success.as_str())
}

/// A stored artifact's bytes, read before compressing (blobs may live in
/// the database, which a blocking thread should not wait on).
async fn blob(
    state: &AppState,
    t: &ImageTaskRow,
    sha: &str,
    ext: &'static str,
) -> Result<Vec<u8>, ApiError> {
    Ok(state.store.blobs().get(sha, ext).await?.ok_or_else(|| {
        Error::new(
            ErrorCode::Internal,
            format!("the stored {ext} {sha} of task {} is missing", t.id),
        )
    })?)
}

/// `files` compressed on a blocking thread, as an attachment.
async fn zip_response(
    files: Vec<(String, Vec<u8>)>,
    file_name: String,
) -> Result<Response, ApiError> {
    let zip = tokio::task::spawn_blocking(move || -> crate::Result<Vec<u8>> {
        let err = |e: &dyn std::fmt::Display| Error::new(ErrorCode::Internal, format!("zip: {e}"));
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &files {
            w.start_file(name.as_str(), opts).map_err(|e| err(&e))?;
            w.write_all(bytes).map_err(|e| err(&e))?;
        }
        Ok(w.finish().map_err(|e| err(&e))?.into_inner())
    })
    .await
    .map_err(|e| ApiError::from(Error::new(ErrorCode::Internal, e.to_string())))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_string()),
        ],
        zip,
    )
        .into_response())
}
