//! The shared domain types: statuses and the rows the store returns. They
//! live below every module that uses them (the store, the workers, the
//! API), so imports run one way.

use serde::Serialize;

/// Status of a job (seed-compatible values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Pending,
    Running,
    PartialSuccess,
    Success,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::PartialSuccess,
        JobStatus::Success,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Running => "RUNNING",
            JobStatus::PartialSuccess => "PARTIAL_SUCCESS",
            JobStatus::Success => "SUCCESS",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL
            .into_iter()
            .find(|j| j.as_str().eq_ignore_ascii_case(s))
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Pending | JobStatus::Running)
    }
}

/// Status of an image or description task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    Pending,
    Running,
    Success,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Pending,
        TaskStatus::Running,
        TaskStatus::Success,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Success => "SUCCESS",
            TaskStatus::Failed => "FAILED",
            TaskStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// Which artifacts an image task produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Png,
    Svg,
    Both,
}

impl OutputFormat {
    /// What a task that names no format produces.
    pub const DEFAULT: OutputFormat = OutputFormat::Both;
    /// Every format, the default first.
    pub const ALL: [OutputFormat; 3] = [OutputFormat::Both, OutputFormat::Png, OutputFormat::Svg];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Svg => "svg",
            OutputFormat::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<OutputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Some(OutputFormat::Png),
            "svg" => Some(OutputFormat::Svg),
            "both" => Some(OutputFormat::Both),
            _ => None,
        }
    }

    pub fn wants_png(self) -> bool {
        matches!(self, OutputFormat::Png | OutputFormat::Both)
    }

    pub fn wants_svg(self) -> bool {
        matches!(self, OutputFormat::Svg | OutputFormat::Both)
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatasetRow {
    pub id: String,
    pub sha256: String,
    pub source_type: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub canonical: String,
    pub created_at: String,
    /// JSON [`crate::dataset::DatasetDigest`]; NULL for older rows.
    pub summary: Option<String>,
}

impl DatasetRow {
    /// The digest, from the stored summary or else from the canonical JSON.
    pub fn digest(&self) -> crate::dataset::DatasetDigest {
        self.summary
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .or_else(|| {
                serde_json::from_str::<crate::Dataset>(&self.canonical)
                    .ok()
                    .map(|d| d.digest())
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub dataset_id: String,
    pub created_by: String,
    pub status: String,
    pub progress_total: i64,
    pub idempotency_key: Option<String>,
    pub visualization_config: String,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl JobRow {
    pub fn status(&self) -> JobStatus {
        JobStatus::parse(&self.status).unwrap_or(JobStatus::Failed)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImageTaskRow {
    pub id: String,
    pub job_id: String,
    pub position: i64,
    pub algorithm_key: String,
    pub requested_version: Option<String>,
    pub algorithm_version: Option<String>,
    pub plugin_sha256: Option<String>,
    pub params: String,
    pub output_format: String,
    pub status: String,
    pub progress: i64,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_ms: Option<i64>,
    pub png_sha256: Option<String>,
    pub svg_sha256: Option<String>,
    pub chart_data: Option<String>,
    pub warnings: Option<String>,
    pub plugin_logs: Option<String>,
    pub cache_hit: i64,
    pub duration_ms: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The job's owner, read with the task where the API shows it (the
    /// replaced Jobs API put it on every task); `None` where a query did
    /// not join the job.
    #[sqlx(default)]
    pub created_by: Option<String>,
}

impl ImageTaskRow {
    pub fn status(&self) -> TaskStatus {
        TaskStatus::parse(&self.status).unwrap_or(TaskStatus::Failed)
    }

    pub fn output_format(&self) -> OutputFormat {
        OutputFormat::parse(&self.output_format).unwrap_or(OutputFormat::Both)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DescriptionTaskRow {
    pub id: String,
    pub image_task_id: String,
    pub created_by: String,
    pub user_context: Option<String>,
    pub locale: String,
    pub provider_used: Option<String>,
    pub model_used: Option<String>,
    pub status: String,
    pub result_text: Option<String>,
    pub prompt_snapshot: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub trace_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    // Added by migration 0003 (the description queue).
    pub job_id: Option<String>,
    pub requested_provider: Option<String>,
    pub requested_model: Option<String>,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_ms: Option<i64>,
    pub started_at: Option<String>,
    /// JSON array: each provider tried and how it ended.
    pub provider_attempts: Option<String>,
}

/// One persisted event of a job's log.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EventRow {
    /// Position in the log; resume with `?after=<event_id>`.
    #[serde(rename = "event_id")]
    pub id: i64,
    #[schema(format = "uuid")]
    pub event_uuid: String,
    #[schema(format = "uuid")]
    pub job_id: String,
    #[schema(format = "uuid")]
    pub task_id: Option<String>,
    pub entity_type: String,
    pub event_type: String,
    /// INFO, WARNING or ERROR.
    pub level: String,
    pub message: String,
    pub progress: Option<i64>,
    #[serde(serialize_with = "raw_json")]
    #[schema(value_type = Object)]
    pub payload: String,
    pub trace_id: String,
    pub created_at: String,
}

fn raw_json<S: serde::Serializer>(s: &str, ser: S) -> Result<S::Ok, S::Error> {
    let v: serde_json::Value = serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    v.serialize(ser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Dataset, Entry, Facet};

    fn dataset() -> Dataset {
        Dataset {
            source_type: "espacenet_excel".into(),
            file_name: "f.xlsx".into(),
            sha256: "ab".repeat(32),
            query: Some("solar AND panel".into()),
            result_count: Some(364),
            facets: vec![Facet {
                name: "countries".into(),
                source_name: "Countries".into(),
                entries: vec![
                    Entry {
                        label: "CN".into(),
                        count: 192,
                    },
                    Entry {
                        label: "US".into(),
                        count: 29,
                    },
                ],
            }],
        }
    }

    fn row(canonical: String, summary: Option<String>) -> DatasetRow {
        DatasetRow {
            id: "d".into(),
            sha256: "ab".repeat(32),
            source_type: "espacenet_excel".into(),
            file_name: "f.xlsx".into(),
            size_bytes: 1,
            canonical,
            created_at: String::new(),
            summary,
        }
    }

    #[test]
    fn the_digest_comes_from_the_summary_or_else_the_canonical_json() {
        let d = dataset();
        let expected = d.digest();
        assert_eq!(expected.facets[0].entries, 2);
        assert_eq!(expected.facets[0].total, 221);
        let stored = serde_json::to_string(&expected).expect("json");
        // Views read rows without the canonical JSON when a summary exists.
        assert_eq!(row(String::new(), Some(stored)).digest(), expected);
        // Rows stored before the summary column are summarised from it.
        let canonical = serde_json::to_string(&d).expect("json");
        assert_eq!(row(canonical, None).digest(), expected);
        assert_eq!(
            row("not json".into(), None).digest(),
            crate::dataset::DatasetDigest::default()
        );
    }
}
