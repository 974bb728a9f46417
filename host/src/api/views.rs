//! Response bodies, as the API shows them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::store::model::{DatasetRow, DescriptionTaskRow, ImageTaskRow, JobRow};

/// Error body: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. VALIDATION_ERROR, NOT_FOUND, INGEST_BAD_COUNT.
    pub code: String,
    pub message: String,
    /// Field-level messages, e.g. {"images[0].params": "..."}.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Value>,
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub count: i64,
    pub page: i64,
    pub page_size: i64,
    pub results: Vec<T>,
}

impl<T: ToSchema> Page<T> {
    /// One page of `rows` (of `count` in all), each shown as `T`.
    pub fn of<R>(rows: &[R], count: i64, (page, page_size): (i64, i64)) -> Self
    where
        T: for<'a> From<&'a R>,
    {
        Page {
            count,
            page,
            page_size,
            results: rows.iter().map(T::from).collect(),
        }
    }
}

fn json_or_null(s: &Option<String>) -> Value {
    s.as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

/// An image task with its artifacts' URLs.
#[derive(Serialize, ToSchema)]
pub struct ImageTaskView {
    pub id: String,
    pub job_id: String,
    pub position: i64,
    pub algorithm_key: String,
    /// The version asked for, if pinned.
    pub requested_version: Option<String>,
    /// The version that ran (set when the task runs).
    pub algorithm_version: Option<String>,
    pub plugin_sha256: Option<String>,
    #[schema(value_type = Object)]
    pub params: Value,
    pub output_format: String,
    pub status: String,
    pub progress: i64,
    pub attempts: i64,
    #[schema(value_type = Option<Object>)]
    pub chart_data: Value,
    #[schema(value_type = Option<Vec<String>>)]
    pub warnings: Value,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub cache_hit: bool,
    pub duration_ms: Option<i64>,
    pub png_url: Option<String>,
    pub svg_url: Option<String>,
    /// SHA-256 of the PNG that `png_url` serves, so a client can check
    /// what it downloaded.
    pub png_sha256: Option<String>,
    /// SHA-256 of the SVG that `svg_url` serves.
    pub svg_sha256: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<&ImageTaskRow> for ImageTaskView {
    fn from(t: &ImageTaskRow) -> Self {
        let done = t.status == "SUCCESS";
        ImageTaskView {
            id: t.id.clone(),
            job_id: t.job_id.clone(),
            position: t.position,
            algorithm_key: t.algorithm_key.clone(),
            requested_version: t.requested_version.clone(),
            algorithm_version: t.algorithm_version.clone(),
            plugin_sha256: t.plugin_sha256.clone(),
            params: serde_json::from_str(&t.params).unwrap_or(Value::Null),
            output_format: t.output_format.clone(),
            status: t.status.clone(),
            progress: t.progress,
            attempts: t.attempts,
            chart_data: json_or_null(&t.chart_data),
            warnings: json_or_null(&t.warnings),
            error_code: t.error_code.clone(),
            error_message: t.error_message.clone(),
            cache_hit: t.cache_hit != 0,
            duration_ms: t.duration_ms,
            png_url: (done && t.png_sha256.is_some())
                .then(|| format!("/api/image-tasks/{}/png/", t.id)),
            svg_url: (done && t.svg_sha256.is_some())
                .then(|| format!("/api/image-tasks/{}/svg/", t.id)),
            png_sha256: done.then(|| t.png_sha256.clone()).flatten(),
            svg_sha256: done.then(|| t.svg_sha256.clone()).flatten(),
            trace_id: t.trace_id.clone(),
            created_at: t.created_at.clone(),
            started_at: t.started_at.clone(),
            finished_at: t.finished_at.clone(),
        }
    }
}

/// A job in lists.
#[derive(Serialize, ToSchema)]
pub struct JobSummary {
    pub id: String,
    pub status: String,
    pub progress_total: i64,
    pub dataset_id: String,
    pub idempotency_key: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl From<&JobRow> for JobSummary {
    fn from(j: &JobRow) -> Self {
        JobSummary {
            id: j.id.clone(),
            status: j.status.clone(),
            progress_total: j.progress_total,
            dataset_id: j.dataset_id.clone(),
            idempotency_key: j.idempotency_key.clone(),
            trace_id: j.trace_id.clone(),
            created_at: j.created_at.clone(),
            updated_at: j.updated_at.clone(),
            finished_at: j.finished_at.clone(),
        }
    }
}

/// A facet as summarised in a dataset view.
#[derive(Serialize, ToSchema)]
pub struct FacetSummary {
    pub name: String,
    pub source_name: String,
    pub entries: usize,
    pub total: u64,
}

/// What a job was run on.
#[derive(Serialize, ToSchema)]
pub struct DatasetSummary {
    pub id: String,
    pub sha256: String,
    pub source_type: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub query: Option<String>,
    pub result_count: Option<u64>,
    pub facets: Vec<FacetSummary>,
}

impl From<&DatasetRow> for DatasetSummary {
    fn from(d: &DatasetRow) -> Self {
        let digest = d.digest();
        DatasetSummary {
            id: d.id.clone(),
            sha256: d.sha256.clone(),
            source_type: d.source_type.clone(),
            file_name: d.file_name.clone(),
            size_bytes: d.size_bytes,
            query: digest.query,
            result_count: digest.result_count,
            facets: digest
                .facets
                .into_iter()
                .map(|f| FacetSummary {
                    name: f.name,
                    source_name: f.source_name,
                    entries: f.entries,
                    total: f.total,
                })
                .collect(),
        }
    }
}

/// A job with its dataset and tasks.
#[derive(Serialize, ToSchema)]
pub struct JobDetail {
    pub id: String,
    /// Same as `id`, under the name the seed's clients read.
    pub job_id: String,
    pub status: String,
    pub progress_total: i64,
    pub idempotency_key: Option<String>,
    #[schema(value_type = Object)]
    pub visualization_config: Value,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    pub dataset: DatasetSummary,
    pub image_tasks: Vec<ImageTaskView>,
    /// Where to follow progress.
    pub events_url: String,
    pub download_url: String,
}

impl JobDetail {
    pub fn new(j: &JobRow, dataset: &DatasetRow, tasks: &[ImageTaskRow]) -> Self {
        JobDetail {
            id: j.id.clone(),
            job_id: j.id.clone(),
            status: j.status.clone(),
            progress_total: j.progress_total,
            idempotency_key: j.idempotency_key.clone(),
            visualization_config: serde_json::from_str(&j.visualization_config)
                .unwrap_or(Value::Null),
            trace_id: j.trace_id.clone(),
            created_at: j.created_at.clone(),
            updated_at: j.updated_at.clone(),
            finished_at: j.finished_at.clone(),
            dataset: DatasetSummary::from(dataset),
            image_tasks: tasks.iter().map(ImageTaskView::from).collect(),
            events_url: format!("/ws/jobs/{}/", j.id),
            download_url: format!("/api/jobs/{}/download/", j.id),
        }
    }
}

/// A description task (see `POST /api/ai/describe/`).
#[derive(Serialize, ToSchema)]
pub struct DescriptionTaskView {
    pub id: String,
    pub image_task_id: String,
    /// The job whose WebSocket channel carries this task's events.
    pub job_id: Option<String>,
    pub status: String,
    pub user_context: Option<String>,
    pub locale: String,
    /// What the request asked for (null: the configured default).
    pub requested_provider: Option<String>,
    pub requested_model: Option<String>,
    /// Who wrote `result_text`; differs from the request after a fallback.
    pub provider_used: Option<String>,
    pub model_used: Option<String>,
    pub result_text: Option<String>,
    /// The prompt as sent to models (JSON `{"messages": [...]}`).
    pub prompt_snapshot: Option<String>,
    /// On FAILED, why; on SUCCESS after a fallback, why the provider
    /// before the one that wrote the text failed.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Each provider tried: `{provider, model, outcome, error_code?,
    /// error_message?, duration_ms}`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub provider_attempts: Value,
    pub attempts: i64,
    pub trace_id: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<&DescriptionTaskRow> for DescriptionTaskView {
    fn from(d: &DescriptionTaskRow) -> Self {
        DescriptionTaskView {
            id: d.id.clone(),
            image_task_id: d.image_task_id.clone(),
            job_id: d.job_id.clone(),
            status: d.status.clone(),
            user_context: d.user_context.clone(),
            locale: d.locale.clone(),
            requested_provider: d.requested_provider.clone(),
            requested_model: d.requested_model.clone(),
            provider_used: d.provider_used.clone(),
            model_used: d.model_used.clone(),
            result_text: d.result_text.clone(),
            prompt_snapshot: d.prompt_snapshot.clone(),
            error_code: d.error_code.clone(),
            error_message: d.error_message.clone(),
            provider_attempts: json_or_null(&d.provider_attempts),
            attempts: d.attempts,
            trace_id: d.trace_id.clone(),
            created_at: d.created_at.clone(),
            started_at: d.started_at.clone(),
            finished_at: d.finished_at.clone(),
        }
    }
}

/// One version of an algorithm.
#[derive(Serialize, ToSchema)]
pub struct AlgorithmVersion {
    pub version: String,
    pub sha256: String,
}

/// An algorithm clients can ask for.
#[derive(Serialize, ToSchema)]
pub struct AlgorithmView {
    pub key: String,
    pub name: String,
    pub description: String,
    pub latest_version: String,
    pub versions: Vec<AlgorithmVersion>,
    #[schema(value_type = Object)]
    pub params_schema: Value,
    /// Each parameter's default, from the schema.
    #[schema(value_type = Object)]
    pub defaults: Value,
    pub required_facets: Vec<String>,
}

/// Answer to a job creation.
#[derive(Serialize, ToSchema)]
pub struct JobCreated {
    pub job_id: String,
    pub status: String,
    pub progress_total: i64,
    pub dataset_id: String,
    /// False when the idempotency key matched an existing job.
    pub created: bool,
    pub image_tasks: Vec<ImageTaskView>,
    pub events_url: String,
}

/// Answer to a cancellation.
#[derive(Serialize, ToSchema)]
pub struct JobCancelled {
    pub job_id: String,
    pub status: String,
    pub cancelled_tasks: usize,
}
