//! The storage boundary: the database (jobs, tasks, datasets, events,
//! users) and the file store (uploads, artifacts). Handlers and workers
//! call these methods and never see SQL, so a PostgreSQL backend for
//! several nodes replaces this module alone.
//!
//! The embedded default is SQLite in WAL mode under `--data-dir`.

mod artifacts;
mod descriptions;
mod plugins;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use artifacts::FileStore;
pub use descriptions::{DescriptionOutcome, NewDescription};
pub use plugins::{PluginRecord, PluginStats};

use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::model::{
    DatasetRow, DescriptionTaskRow, EventRow, ImageTaskRow, JobRow, JobStatus, OutputFormat,
    TaskStatus, User,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn db(e: sqlx::Error) -> Error {
    Error::new(ErrorCode::Internal, format!("database error: {e}"))
}

/// A new image task, as validated by the API.
#[derive(Debug, Clone)]
pub struct NewImageTask {
    pub algorithm_key: String,
    pub requested_version: Option<String>,
    /// The build chosen when the job was accepted; the task runs on it even
    /// if a newer version is loaded before it starts.
    pub algorithm_version: Option<String>,
    pub plugin_sha256: Option<String>,
    pub params: Value,
    pub output_format: OutputFormat,
}

/// A new job, as validated by the API.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub dataset_id: String,
    pub created_by: String,
    pub idempotency_key: Option<String>,
    pub visualization_config: Value,
    pub tasks: Vec<NewImageTask>,
}

/// An event to append to a job's log.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub job_id: String,
    pub task_id: Option<String>,
    pub entity_type: &'static str,
    pub event_type: &'static str,
    pub level: &'static str,
    pub message: String,
    pub progress: Option<i64>,
    pub payload: Value,
    pub trace_id: String,
}

/// How a task run ended, to be recorded.
#[derive(Debug, Clone)]
pub enum TaskOutcome {
    Success {
        algorithm_version: String,
        plugin_sha256: String,
        png_sha256: Option<String>,
        svg_sha256: Option<String>,
        chart_data: String,
        warnings: String,
        plugin_logs: String,
        cache_hit: bool,
        duration_ms: i64,
    },
    Failed {
        algorithm_version: Option<String>,
        plugin_sha256: Option<String>,
        error_code: String,
        error_message: String,
        plugin_logs: Option<String>,
        duration_ms: i64,
    },
}

/// A cached render.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CachedRender {
    pub png_sha256: Option<String>,
    pub svg_sha256: Option<String>,
    pub chart_data: String,
    pub warnings: String,
}

/// Result of a cancellation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The job was cancelled; these tasks were pending or running.
    Cancelled { tasks: Vec<String> },
    /// The job had already finished with this status.
    AlreadyFinished(JobStatus),
}

/// What [`Store::finalize_job`] did to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finalized {
    /// This call gave the job its final status.
    Ended { status: JobStatus, trace_id: String },
    /// Tasks are still active; the job's progress is now `progress`.
    Progress { progress: i64, trace_id: String },
    /// The job had already ended (or is gone).
    Unchanged,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    files: FileStore,
    data_dir: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store under `data_dir` and brings the
    /// schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("cannot create data dir {}: {e}", data_dir.display()),
            )
        })?;
        let db_path = data_dir.join("patchart.db");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", db_path.display()))
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across process crashes (not power
            // loss of the last transactions), which is what a queue needs.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // By default every acquire pings the connection first: a round
            // trip to its worker thread before each statement, guarding
            // against a server hanging up. A local file cannot, and the
            // queue's statements are latency the job waits on.
            .test_before_acquire(false)
            .connect_with(opts)
            .await
            .map_err(db)?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("database migration failed: {e}"),
            )
        })?;
        let files = FileStore::new(data_dir.join("files"))?;
        Ok(Store {
            pool,
            files,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn files(&self) -> &FileStore {
        &self.files
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    // ---- users and tokens -------------------------------------------------

    pub async fn user_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    /// The user called `name`, created with `role` if new.
    pub async fn ensure_user(&self, name: &str, admin: bool) -> Result<User> {
        let role = if admin { "admin" } else { "user" };
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(name)
            .bind(role)
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if admin {
            sqlx::query("UPDATE users SET role = 'admin' WHERE name = ?")
                .bind(name)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        sqlx::query_as("SELECT * FROM users WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    /// A new random token for `user`; only its hash is stored.
    pub async fn create_token(&self, user: &User) -> Result<String> {
        let token = format!(
            "pat_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        sqlx::query("INSERT INTO tokens (id, user_id, token_hash, created_at) VALUES (?, ?, ?, ?)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&user.id)
            .bind(hash_token(&token))
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(token)
    }

    pub async fn user_for_token(&self, token: &str) -> Result<Option<User>> {
        sqlx::query_as(
            "SELECT u.* FROM users u JOIN tokens t ON t.user_id = u.id WHERE t.token_hash = ?",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)
    }

    // ---- datasets -----------------------------------------------------------

    /// Stores an ingested upload: the file once by content, the dataset
    /// once by sha256, and grants `user` access to it.
    pub async fn put_dataset(
        &self,
        user: &User,
        dataset: &Dataset,
        bytes: &[u8],
    ) -> Result<DatasetRow> {
        let ext = dataset
            .file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or_else(|| "bin".into());
        self.files.put(bytes, &ext)?;
        let canonical = serde_json::to_string(dataset)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let summary = serde_json::to_string(&dataset.digest())
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO datasets (id, sha256, source_type, file_name, size_bytes, canonical, created_at, summary) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&dataset.sha256)
        .bind(&dataset.source_type)
        .bind(&dataset.file_name)
        .bind(bytes.len() as i64)
        .bind(&canonical)
        .bind(now())
        .bind(&summary)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let row: DatasetRow = sqlx::query_as("SELECT * FROM datasets WHERE sha256 = ?")
            .bind(&dataset.sha256)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("INSERT INTO dataset_access (dataset_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(&row.id)
            .bind(&user.id)
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    /// The dataset stored for the bytes with this sha256, for views
    /// (canonical JSON left out when the summary makes it unnecessary).
    pub async fn dataset_meta_by_sha(&self, sha256: &str) -> Result<Option<DatasetRow>> {
        sqlx::query_as(
            "SELECT id, sha256, source_type, file_name, size_bytes, \
             CASE WHEN summary IS NULL THEN canonical ELSE '' END AS canonical, created_at, summary \
             FROM datasets WHERE sha256 = ?",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)
    }

    /// Lets `user` use dataset `id` (they uploaded its bytes too).
    pub async fn grant_dataset(&self, user: &User, id: &str) -> Result<()> {
        sqlx::query("INSERT INTO dataset_access (dataset_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(&user.id)
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The dataset `id` if `user` may use it.
    pub async fn dataset_for(&self, user: &User, id: &str) -> Result<Option<DatasetRow>> {
        let sql = if user.is_admin() {
            "SELECT d.* FROM datasets d WHERE d.id = ?1"
        } else {
            "SELECT d.* FROM datasets d JOIN dataset_access a ON a.dataset_id = d.id WHERE d.id = ?1 AND a.user_id = ?2"
        };
        sqlx::query_as(sql)
            .bind(id)
            .bind(&user.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    /// The dataset `id` for views: the canonical JSON is left out (empty)
    /// when the stored summary makes it unnecessary.
    pub async fn dataset_meta(&self, id: &str) -> Result<DatasetRow> {
        sqlx::query_as(
            "SELECT id, sha256, source_type, file_name, size_bytes, \
             CASE WHEN summary IS NULL THEN canonical ELSE '' END AS canonical, created_at, summary \
             FROM datasets WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    pub async fn dataset(&self, id: &str) -> Result<DatasetRow> {
        sqlx::query_as("SELECT * FROM datasets WHERE id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    // ---- jobs ----------------------------------------------------------------

    /// Creates a job and its tasks in one transaction. With an idempotency
    /// key already used by this user, returns the existing job and `false`:
    /// the unique constraint decides, so concurrent requests race safely.
    pub async fn create_job(&self, job: &NewJob) -> Result<(JobRow, bool)> {
        let id = uuid::Uuid::new_v4().to_string();
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let ts = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, dataset_id, created_by, status, progress_total, idempotency_key, \
             visualization_config, trace_id, created_at, updated_at) VALUES (?, ?, ?, 'PENDING', 0, ?, ?, ?, ?, ?) \
             ON CONFLICT(created_by, idempotency_key) DO NOTHING",
        )
        .bind(&id)
        .bind(&job.dataset_id)
        .bind(&job.created_by)
        .bind(&job.idempotency_key)
        .bind(job.visualization_config.to_string())
        .bind(&trace_id)
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !inserted {
            tx.rollback().await.map_err(db)?;
            // Only a repeated (user, key) pair can conflict, so the key is set.
            let existing = match &job.idempotency_key {
                Some(key) => self.job_by_key(&job.created_by, key).await?,
                None => None,
            };
            let existing = existing.ok_or_else(|| {
                Error::new(
                    ErrorCode::Internal,
                    "job insert conflicted but no job holds its idempotency key",
                )
            })?;
            return Ok((existing, false));
        }
        for (i, t) in job.tasks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO image_tasks (id, job_id, position, algorithm_key, requested_version, \
                 algorithm_version, plugin_sha256, params, output_format, status, trace_id, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&id)
            .bind(i as i64)
            .bind(&t.algorithm_key)
            .bind(&t.requested_version)
            .bind(&t.algorithm_version)
            .bind(&t.plugin_sha256)
            .bind(t.params.to_string())
            .bind(t.output_format.as_str())
            .bind(&trace_id)
            .bind(&ts)
            .bind(&ts)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        let row: JobRow = sqlx::query_as("SELECT * FROM jobs WHERE id = ?")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok((row, true))
    }

    /// The job `user_id` created with idempotency key `key`, if any.
    pub async fn job_by_key(&self, user_id: &str, key: &str) -> Result<Option<JobRow>> {
        sqlx::query_as("SELECT * FROM jobs WHERE created_by = ? AND idempotency_key = ?")
            .bind(user_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    /// The job `id` if `user` may see it.
    pub async fn job_for(&self, user: &User, id: &str) -> Result<Option<JobRow>> {
        sqlx::query_as("SELECT * FROM jobs WHERE id = ?1 AND (?2 OR created_by = ?3)")
            .bind(id)
            .bind(user.is_admin())
            .bind(&user.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        sqlx::query_as("SELECT * FROM jobs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    /// A page of the jobs `user` may see, newest first, and the total.
    pub async fn list_jobs(
        &self,
        user: &User,
        status: Option<JobStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JobRow>, i64)> {
        let status = status.map(JobStatus::as_str);
        let rows = sqlx::query_as(
            "SELECT * FROM jobs WHERE (?1 OR created_by = ?2) AND (?3 IS NULL OR status = ?3) \
             ORDER BY created_at DESC, id LIMIT ?4 OFFSET ?5",
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE (?1 OR created_by = ?2) AND (?3 IS NULL OR status = ?3)")
            .bind(user.is_admin())
            .bind(&user.id)
            .bind(status)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok((rows, total))
    }

    pub async fn tasks_of_job(&self, job_id: &str) -> Result<Vec<ImageTaskRow>> {
        sqlx::query_as("SELECT * FROM image_tasks WHERE job_id = ? ORDER BY position")
            .bind(job_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    /// The image task `id` if `user` may see it (through its job).
    pub async fn task_for(&self, user: &User, id: &str) -> Result<Option<ImageTaskRow>> {
        sqlx::query_as(
            "SELECT t.* FROM image_tasks t JOIN jobs j ON j.id = t.job_id WHERE t.id = ?1 AND (?2 OR j.created_by = ?3)",
        )
        .bind(id)
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)
    }

    pub async fn list_tasks(
        &self,
        user: &User,
        status: Option<TaskStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ImageTaskRow>, i64)> {
        let status = status.map(TaskStatus::as_str);
        let rows = sqlx::query_as(
            "SELECT t.* FROM image_tasks t JOIN jobs j ON j.id = t.job_id WHERE (?1 OR j.created_by = ?2) \
             AND (?3 IS NULL OR t.status = ?3) ORDER BY t.created_at DESC, t.position LIMIT ?4 OFFSET ?5",
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar(
            "SELECT COUNT(*) FROM image_tasks t JOIN jobs j ON j.id = t.job_id WHERE (?1 OR j.created_by = ?2) \
             AND (?3 IS NULL OR t.status = ?3)",
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((rows, total))
    }

    pub async fn running_jobs_of(&self, user_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE created_by = ? AND status IN ('PENDING', 'RUNNING')",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    // ---- the queue -------------------------------------------------------------

    /// Atomically claims the oldest runnable task: pending, or running with
    /// an expired lease (its worker died). Marks the job RUNNING.
    /// Returns the task and whether its job just started.
    pub async fn claim_task(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<(ImageTaskRow, bool)>> {
        let now_ms = now_ms();
        let ts = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Two lookups, each walking the queue index from its status (an
        // OR of the two would scan every task ever queued): abandoned
        // leases first, as they are the oldest work, then pending tasks.
        let task: Option<ImageTaskRow> = sqlx::query_as(
            "UPDATE image_tasks SET status = 'RUNNING', lease_owner = ?1, lease_expires_ms = ?2, \
             attempts = attempts + 1, progress = 10, started_at = COALESCE(started_at, ?3), updated_at = ?3 \
             WHERE id = COALESCE( \
                 (SELECT t.id FROM image_tasks t JOIN jobs j ON j.id = t.job_id \
                  WHERE t.status = 'RUNNING' AND t.lease_expires_ms < ?4 AND j.status IN ('PENDING', 'RUNNING') \
                  ORDER BY t.created_at, t.position LIMIT 1), \
                 (SELECT t.id FROM image_tasks t JOIN jobs j ON j.id = t.job_id \
                  WHERE t.status = 'PENDING' AND j.status IN ('PENDING', 'RUNNING') \
                  ORDER BY t.created_at, t.position LIMIT 1)) \
             RETURNING *",
        )
        .bind(worker)
        .bind(now_ms + lease.as_millis() as i64)
        .bind(&ts)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(task) = task else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let started = sqlx::query("UPDATE jobs SET status = 'RUNNING', updated_at = ? WHERE id = ? AND status = 'PENDING'")
            .bind(&ts)
            .bind(&task.job_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
        tx.commit().await.map_err(db)?;
        Ok(Some((task, started)))
    }

    /// Records how a task ended, if `worker` still holds it. Returns false
    /// when the task was cancelled or re-claimed meanwhile (the result is
    /// then discarded, never written over a terminal state).
    pub async fn finish_task(
        &self,
        task_id: &str,
        worker: &str,
        outcome: &TaskOutcome,
    ) -> Result<bool> {
        let ts = now();
        let q = match outcome {
            TaskOutcome::Success {
                algorithm_version,
                plugin_sha256,
                png_sha256,
                svg_sha256,
                chart_data,
                warnings,
                plugin_logs,
                cache_hit,
                duration_ms,
            } => sqlx::query(
                "UPDATE image_tasks SET status = 'SUCCESS', progress = 100, algorithm_version = ?, plugin_sha256 = ?, \
                 png_sha256 = ?, svg_sha256 = ?, chart_data = ?, warnings = ?, plugin_logs = ?, cache_hit = ?, \
                 duration_ms = ?, error_code = NULL, error_message = NULL, lease_owner = NULL, lease_expires_ms = NULL, \
                 updated_at = ?, finished_at = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?",
            )
            .bind(algorithm_version)
            .bind(plugin_sha256)
            .bind(png_sha256)
            .bind(svg_sha256)
            .bind(chart_data)
            .bind(warnings)
            .bind(plugin_logs)
            .bind(*cache_hit)
            .bind(duration_ms),
            TaskOutcome::Failed {
                algorithm_version,
                plugin_sha256,
                error_code,
                error_message,
                plugin_logs,
                duration_ms,
            } => sqlx::query(
                "UPDATE image_tasks SET status = 'FAILED', progress = 100, algorithm_version = COALESCE(?, algorithm_version), plugin_sha256 = COALESCE(?, plugin_sha256), \
                 error_code = ?, error_message = ?, plugin_logs = ?, duration_ms = ?, lease_owner = NULL, \
                 lease_expires_ms = NULL, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?",
            )
            .bind(algorithm_version)
            .bind(plugin_sha256)
            .bind(error_code)
            .bind(error_message)
            .bind(plugin_logs)
            .bind(duration_ms),
        };
        let n = q
            .bind(&ts)
            .bind(&ts)
            .bind(task_id)
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n == 1)
    }

    /// Gives a task back to the queue after a transient host error.
    pub async fn requeue_task(&self, task_id: &str, worker: &str, reason: &str) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, lease_expires_ms = NULL, \
             error_message = ?, updated_at = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?",
        )
        .bind(reason)
        .bind(now())
        .bind(task_id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(n == 1)
    }

    /// Releases every task this worker holds (graceful shutdown): they are
    /// pending again at once instead of waiting for their leases.
    pub async fn release_leases(&self, worker_prefix: &str) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, lease_expires_ms = NULL, \
             attempts = MAX(attempts - 1, 0), updated_at = ? WHERE status = 'RUNNING' AND lease_owner LIKE ? || '%'",
        )
        .bind(now())
        .bind(worker_prefix)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(n)
    }

    /// If no task of the job is pending or running, sets its final status
    /// (SUCCESS / PARTIAL_SUCCESS / FAILED) and progress; otherwise
    /// recomputes its progress. Exactly one caller ends a job. Two
    /// statements: the job's trace id comes back from the update rather
    /// than from another read.
    pub async fn finalize_job(&self, job_id: &str) -> Result<Finalized> {
        let (active, succeeded, total, progress): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(status IN ('PENDING', 'RUNNING')), 0), COALESCE(SUM(status = 'SUCCESS'), 0), COUNT(*), \
             COALESCE(CAST(AVG(CASE WHEN status IN ('SUCCESS', 'FAILED', 'CANCELLED') THEN 100 ELSE progress END) AS INTEGER), 0) \
             FROM image_tasks WHERE job_id = ?",
        )
        .bind(job_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        let ended = (active == 0).then_some(if total > 0 && succeeded == total {
            JobStatus::Success
        } else if succeeded > 0 {
            JobStatus::PartialSuccess
        } else {
            JobStatus::Failed
        });
        let ts = now();
        // One update either way: an ended job gets its status, 100% and a
        // finish time; a running one its progress. Only a job still
        // pending or running changes, so exactly one caller ends it.
        let trace: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET status = COALESCE(?1, status), progress_total = ?2, updated_at = ?3, \
             finished_at = CASE WHEN ?1 IS NULL THEN finished_at ELSE ?3 END \
             WHERE id = ?4 AND status IN ('PENDING', 'RUNNING') RETURNING trace_id",
        )
        .bind(ended.map(|s| s.as_str()))
        .bind(if ended.is_some() { 100 } else { progress })
        .bind(&ts)
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(match (trace, ended) {
            (None, _) => Finalized::Unchanged,
            (Some(trace_id), Some(status)) => Finalized::Ended { status, trace_id },
            (Some(trace_id), None) => Finalized::Progress { progress, trace_id },
        })
    }

    /// Jobs left RUNNING with no active task (e.g. the process died between
    /// a task's end and the job's finalisation).
    pub async fn unfinalized_jobs(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT j.id FROM jobs j WHERE j.status IN ('PENDING', 'RUNNING') AND NOT EXISTS \
             (SELECT 1 FROM image_tasks t WHERE t.job_id = j.id AND t.status IN ('PENDING', 'RUNNING'))",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)
    }

    /// Cancels a job and its pending and running tasks.
    pub async fn cancel_job(&self, job_id: &str) -> Result<CancelOutcome> {
        let ts = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let n = sqlx::query(
            "UPDATE jobs SET status = 'CANCELLED', updated_at = ?, finished_at = ? WHERE id = ? AND status IN ('PENDING', 'RUNNING')",
        )
        .bind(&ts)
        .bind(&ts)
        .bind(job_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 0 {
            let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = ?")
                .bind(job_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
            tx.rollback().await.map_err(db)?;
            return Ok(CancelOutcome::AlreadyFinished(
                JobStatus::parse(&status).unwrap_or(JobStatus::Failed),
            ));
        }
        let tasks: Vec<String> = sqlx::query_scalar(
            "UPDATE image_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires_ms = NULL, \
             error_code = 'CANCELLED', error_message = 'the job was cancelled', updated_at = ?1, finished_at = ?1 \
             WHERE job_id = ?2 AND status IN ('PENDING', 'RUNNING') RETURNING id",
        )
        .bind(&ts)
        .bind(job_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let progress: i64 = sqlx::query_scalar(
            "SELECT COALESCE(CAST(AVG(CASE WHEN status = 'SUCCESS' THEN 100 ELSE 0 END) AS INTEGER), 0) FROM image_tasks WHERE job_id = ?",
        )
        .bind(job_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE jobs SET progress_total = ? WHERE id = ?")
            .bind(progress)
            .bind(job_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(CancelOutcome::Cancelled { tasks })
    }

    // ---- render cache ------------------------------------------------------------

    pub async fn cached_render(&self, key: &str) -> Result<Option<CachedRender>> {
        sqlx::query_as("SELECT png_sha256, svg_sha256, chart_data, warnings FROM render_cache WHERE cache_key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    pub async fn put_cached_render(&self, key: &str, r: &CachedRender) -> Result<()> {
        sqlx::query(
            "INSERT INTO render_cache (cache_key, png_sha256, svg_sha256, chart_data, warnings, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(cache_key) DO NOTHING",
        )
        .bind(key)
        .bind(&r.png_sha256)
        .bind(&r.svg_sha256)
        .bind(&r.chart_data)
        .bind(&r.warnings)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    // ---- events ---------------------------------------------------------------------

    pub async fn insert_event(&self, e: &NewEvent) -> Result<EventRow> {
        sqlx::query_as(
            "INSERT INTO events (event_uuid, job_id, task_id, entity_type, event_type, level, message, progress, \
             payload, trace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&e.job_id)
        .bind(&e.task_id)
        .bind(e.entity_type)
        .bind(e.event_type)
        .bind(e.level)
        .bind(&e.message)
        .bind(e.progress)
        .bind(e.payload.to_string())
        .bind(&e.trace_id)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    pub async fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        sqlx::query_as("SELECT * FROM events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?")
            .bind(job_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    // ---- description tasks (filled by the AI module) -------------------------------

    pub async fn description_task_for(
        &self,
        user: &User,
        id: &str,
    ) -> Result<Option<DescriptionTaskRow>> {
        sqlx::query_as("SELECT * FROM description_tasks WHERE id = ?1 AND (?2 OR created_by = ?3)")
            .bind(id)
            .bind(user.is_admin())
            .bind(&user.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    pub async fn list_description_tasks(
        &self,
        user: &User,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DescriptionTaskRow>, i64)> {
        let rows = sqlx::query_as(
            "SELECT * FROM description_tasks WHERE (?1 OR created_by = ?2) ORDER BY created_at DESC LIMIT ?3 OFFSET ?4",
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar(
            "SELECT COUNT(*) FROM description_tasks WHERE (?1 OR created_by = ?2)",
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((rows, total))
    }

    // ---- metrics -------------------------------------------------------------------------

    /// Image tasks per status.
    pub async fn task_counts(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query_as("SELECT status, COUNT(*) FROM image_tasks GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
