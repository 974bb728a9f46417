//! Response bodies, as the API shows them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::links::RequestUrl;
use crate::store::model::{DatasetRow, DescriptionTaskRow, EventRow, ImageTaskRow, JobRow};

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
    /// Absolute URL of the next page, null on the last (as the replaced
    /// Jobs API's clients page).
    pub next: Option<String>,
    /// Absolute URL of the previous page, null on the first.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T: ToSchema> Page<T> {
    /// Page `page` of `page_size` (of `count` in all), linked from `url`.
    pub fn new(
        results: Vec<T>,
        count: i64,
        (page, page_size): (i64, i64),
        url: &RequestUrl,
    ) -> Self {
        let (next, previous) = url.page_links(count, page, page_size);
        Page {
            count,
            page,
            page_size,
            next,
            previous,
            results,
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
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub job_id: String,
    /// Same as `job_id`, under the replaced Jobs API's name.
    #[schema(format = "uuid")]
    pub job: String,
    /// Who created the job.
    #[schema(format = "uuid")]
    pub created_by: Option<String>,
    pub position: i64,
    pub algorithm_key: String,
    /// The version asked for, if pinned.
    pub requested_version: Option<String>,
    /// The version that ran (set when the task runs).
    pub algorithm_version: Option<String>,
    pub plugin_sha256: Option<String>,
    #[schema(value_type = Object)]
    pub params: Value,
    #[schema(value_type = crate::store::model::OutputFormat)]
    pub output_format: String,
    #[schema(value_type = crate::store::model::TaskStatus)]
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
    /// `png_url` as an absolute URL (the replaced Jobs API's field); it
    /// needs the same `Authorization` as the API.
    pub artifact_png_url: Option<String>,
    /// `svg_url` as an absolute URL.
    pub artifact_svg_url: Option<String>,
    /// SHA-256 of the PNG that `png_url` serves, so a client can check
    /// what it downloaded.
    pub png_sha256: Option<String>,
    /// SHA-256 of the SVG that `svg_url` serves.
    pub svg_sha256: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl ImageTaskView {
    /// The task as shown to a request sent to `url`.
    pub fn new(t: &ImageTaskRow, url: &RequestUrl) -> Self {
        let done = t.status == "SUCCESS";
        let png_url =
            (done && t.png_sha256.is_some()).then(|| format!("/api/image-tasks/{}/png/", t.id));
        let svg_url =
            (done && t.svg_sha256.is_some()).then(|| format!("/api/image-tasks/{}/svg/", t.id));
        ImageTaskView {
            id: t.id.clone(),
            job_id: t.job_id.clone(),
            job: t.job_id.clone(),
            created_by: t.created_by.clone(),
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
            artifact_png_url: png_url.as_deref().map(|p| url.absolute(p)),
            artifact_svg_url: svg_url.as_deref().map(|p| url.absolute(p)),
            png_url,
            svg_url,
            png_sha256: done.then(|| t.png_sha256.clone()).flatten(),
            svg_sha256: done.then(|| t.svg_sha256.clone()).flatten(),
            trace_id: t.trace_id.clone(),
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
            started_at: t.started_at.clone(),
            finished_at: t.finished_at.clone(),
        }
    }
}

/// An event of a job's log, as REST and the WebSocket show it.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Same as `event_id`, under the replaced Jobs API's name.
    pub id: i64,
    #[serde(flatten)]
    pub event: EventRow,
    /// What the event is about: the task's id (`task_id`) for a task's
    /// event, the job's for the job's own (the replaced Jobs API's field).
    #[schema(format = "uuid")]
    pub entity_id: String,
}

impl From<&EventRow> for EventView {
    fn from(event: &EventRow) -> Self {
        EventView {
            id: event.id,
            entity_id: event
                .task_id
                .clone()
                .unwrap_or_else(|| event.job_id.clone()),
            event: event.clone(),
        }
    }
}

/// A slice of a job's event log (`GET /api/jobs/<id>/events/`).
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    /// Events in the job's log.
    pub count: i64,
    /// Absolute URL of the events after these, null at the end of the log.
    pub next: Option<String>,
    pub results: Vec<EventView>,
}

/// A job in lists.
#[derive(Serialize, ToSchema)]
pub struct JobSummary {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(value_type = crate::store::model::JobStatus)]
    pub status: String,
    pub progress_total: i64,
    #[schema(format = "uuid")]
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
    #[schema(format = "uuid")]
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

/// A job with its dataset, tasks, descriptions and first events.
#[derive(Serialize, ToSchema)]
pub struct JobDetail {
    #[schema(format = "uuid")]
    pub id: String,
    /// Same as `id`, under the name the seed's clients read.
    #[schema(format = "uuid")]
    pub job_id: String,
    /// Same as `dataset.id`.
    #[schema(format = "uuid")]
    pub dataset_id: String,
    /// Same as `dataset.source_type`.
    pub source_type: String,
    #[schema(format = "uuid")]
    pub created_by: String,
    #[schema(value_type = crate::store::model::JobStatus)]
    pub status: String,
    pub progress_total: i64,
    pub idempotency_key: Option<String>,
    /// As sent; null when the job was asked for without one.
    #[schema(value_type = Option<Object>)]
    pub visualization_config: Value,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    pub dataset: DatasetSummary,
    pub image_tasks: Vec<ImageTaskView>,
    /// The descriptions of the job's charts, newest first, at most
    /// [`JobDetail::MAX_DESCRIPTIONS`]; `description_tasks_url` pages them all.
    pub description_tasks: Vec<DescriptionTaskView>,
    pub description_tasks_count: i64,
    /// Absolute URL of the list of this job's description tasks.
    pub description_tasks_url: String,
    /// The first [`JobDetail::MAX_EVENTS`] events of the job's log, oldest
    /// first, for an activity log drawn before the WebSocket connects.
    pub events: Vec<EventView>,
    pub events_count: i64,
    /// Absolute URL of the events after those in `events`; null when
    /// `events` holds the whole log.
    pub events_next: Option<String>,
    /// Where to follow progress.
    pub events_url: String,
    pub download_url: String,
    /// Absolute URL of the ZIP in the replaced Jobs API's layout; add
    /// `?image_format=png|svg|both`.
    pub download_zip_url: String,
}

/// What a job view shows besides the job itself.
pub struct JobParts<'a> {
    pub dataset: &'a DatasetRow,
    pub tasks: &'a [ImageTaskRow],
    pub descriptions: &'a [DescriptionTaskRow],
    pub description_count: i64,
    pub events: &'a [EventRow],
    pub event_count: i64,
}

impl JobDetail {
    pub const MAX_EVENTS: i64 = 100;
    pub const MAX_DESCRIPTIONS: i64 = 50;

    pub fn new(j: &JobRow, parts: JobParts<'_>, url: &RequestUrl) -> Self {
        let JobParts {
            dataset,
            tasks,
            descriptions,
            description_count,
            events,
            event_count,
        } = parts;
        let events_next = (event_count > events.len() as i64)
            .then(|| events.last().map(|e| e.id).unwrap_or(0))
            .map(|after| url.absolute(&format!("/api/jobs/{}/events/?after={after}", j.id)));
        JobDetail {
            id: j.id.clone(),
            job_id: j.id.clone(),
            dataset_id: j.dataset_id.clone(),
            source_type: dataset.source_type.clone(),
            created_by: j.created_by.clone(),
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
            image_tasks: tasks.iter().map(|t| ImageTaskView::new(t, url)).collect(),
            description_tasks: descriptions.iter().map(DescriptionTaskView::from).collect(),
            description_tasks_count: description_count,
            description_tasks_url: url
                .absolute(&format!("/api/description-tasks/?job_id={}", j.id)),
            events: events.iter().map(EventView::from).collect(),
            events_count: event_count,
            events_next,
            events_url: format!("/ws/jobs/{}/", j.id),
            download_url: format!("/api/jobs/{}/download/", j.id),
            download_zip_url: url.absolute(&format!("/api/jobs/{}/download-zip/", j.id)),
        }
    }
}

/// A description task (see `POST /api/ai/describe/`).
#[derive(Serialize, ToSchema)]
pub struct DescriptionTaskView {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub image_task_id: String,
    /// Same as `image_task_id`, under the replaced Jobs API's name.
    #[schema(format = "uuid")]
    pub image_task: String,
    /// The job whose WebSocket channel carries this task's events.
    #[schema(format = "uuid")]
    pub job_id: Option<String>,
    #[schema(value_type = crate::store::model::TaskStatus)]
    pub status: String,
    /// 0 while pending, 10 while running, 100 once ended (the replaced
    /// Jobs API's field; live text arrives as PROGRESS events).
    pub progress: i64,
    pub user_context: Option<String>,
    pub locale: String,
    /// What the request asked for (null: the configured default).
    pub requested_provider: Option<String>,
    pub requested_model: Option<String>,
    /// Who wrote `result_text`; differs from the request after a fallback.
    pub provider_used: Option<String>,
    pub model_used: Option<String>,
    pub result_text: Option<String>,
    /// The prompt as sent to models (JSON `{"messages": [...]}`), as a
    /// string; patchart's clients parse it.
    pub prompt_snapshot: Option<String>,
    /// `prompt_snapshot` parsed: the object the replaced Jobs API sent.
    #[schema(value_type = Option<Object>)]
    pub prompt_snapshot_object: Value,
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
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<&DescriptionTaskRow> for DescriptionTaskView {
    fn from(d: &DescriptionTaskRow) -> Self {
        DescriptionTaskView {
            id: d.id.clone(),
            image_task_id: d.image_task_id.clone(),
            image_task: d.image_task_id.clone(),
            job_id: d.job_id.clone(),
            status: d.status.clone(),
            progress: match d.status.as_str() {
                "PENDING" => 0,
                "RUNNING" => 10,
                _ => 100,
            },
            user_context: d.user_context.clone(),
            locale: d.locale.clone(),
            requested_provider: d.requested_provider.clone(),
            requested_model: d.requested_model.clone(),
            provider_used: d.provider_used.clone(),
            model_used: d.model_used.clone(),
            result_text: d.result_text.clone(),
            prompt_snapshot: d.prompt_snapshot.clone(),
            prompt_snapshot_object: json_or_null(&d.prompt_snapshot),
            error_code: d.error_code.clone(),
            error_message: d.error_message.clone(),
            provider_attempts: json_or_null(&d.provider_attempts),
            attempts: d.attempts,
            trace_id: d.trace_id.clone(),
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
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
    #[schema(format = "uuid")]
    pub job_id: String,
    /// What happened, in a sentence (the replaced Jobs API's field).
    pub message: String,
    #[schema(value_type = crate::store::model::JobStatus)]
    pub status: String,
    pub progress_total: i64,
    #[schema(format = "uuid")]
    pub dataset_id: String,
    /// False when the idempotency key matched an existing job.
    pub created: bool,
    pub image_tasks: Vec<ImageTaskView>,
    pub events_url: String,
}

/// Answer to a cancellation.
#[derive(Serialize, ToSchema)]
pub struct JobCancelled {
    #[schema(format = "uuid")]
    pub job_id: String,
    #[schema(value_type = crate::store::model::JobStatus)]
    pub status: String,
    pub cancelled_tasks: usize,
}
