//! The storage boundary: the database (jobs, tasks, datasets, events,
//! users) and the file store (uploads, artifacts). Handlers and workers
//! call these methods and never see SQL, so a PostgreSQL backend for
//! several nodes replaces this module alone.
//!
//! The embedded default is SQLite in WAL mode under `--data-dir`.

mod artifacts;
mod descriptions;
mod plugins;
mod queue;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

pub use artifacts::FileStore;
pub use descriptions::{DescriptionOutcome, NewDescription};
pub use plugins::{PluginRecord, PluginStats};
pub use queue::WriteTx;

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

/// SQLite allows one writer at a time. Writers in separate connections
/// find the database locked and back off in SQLite's busy handler, which
/// sleeps 1, 2, 5, 10 ms and more between tries: a queue whose workers,
/// event log and API all write at once spent most of its latency there.
/// So every write goes through one connection (`writer`), where writes
/// wait their turn in the pool's queue and are woken the moment the
/// previous one commits; reads use `pool`, whose read-only connections
/// WAL lets run beside a write.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    writer: SqlitePool,
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // By default every acquire pings the connection first: a round
            // trip to its worker thread before each statement, guarding
            // against a server hanging up. A local file cannot, and the
            // queue's statements are latency the job waits on.
            .test_before_acquire(false)
            .connect_with(opts.clone())
            .await
            .map_err(db)?;
        MIGRATOR.run(&writer).await.map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("database migration failed: {e}"),
            )
        })?;
        // Read-only, so a write sent here by mistake fails at once instead
        // of contending with the writer.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts.read_only(true))
            .await
            .map_err(db)?;
        let files = FileStore::new(data_dir.join("files"))?;
        Ok(Store {
            pool,
            writer,
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

    /// Closes both pools, so every later query fails as if the database
    /// had gone away. No server path calls it: it lets tests see how the
    /// API answers an unreachable database (`/healthz` 503, `INTERNAL`).
    #[doc(hidden)]
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
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
            .execute(&self.writer)
            .await
            .map_err(db)?;
        if admin {
            sqlx::query("UPDATE users SET role = 'admin' WHERE name = ?")
                .bind(name)
                .execute(&self.writer)
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
            .execute(&self.writer)
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
        let mut tx = self.begin_immediate().await?;
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
            .execute(&self.writer)
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

    /// Creates a job and its tasks in one transaction, returning them
    /// (tasks in position order). With an idempotency key already used by
    /// this user, returns the existing job and `None` for the tasks: the
    /// unique constraint decides, so concurrent requests race safely.
    pub async fn create_job(&self, job: &NewJob) -> Result<(JobRow, Option<Vec<ImageTaskRow>>)> {
        let id = uuid::Uuid::new_v4().to_string();
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let ts = now();
        let mut tx = self.begin_immediate().await?;
        let inserted: Option<JobRow> = sqlx::query_as(
            "INSERT INTO jobs (id, dataset_id, created_by, status, progress_total, idempotency_key, \
             visualization_config, trace_id, created_at, updated_at) VALUES (?, ?, ?, 'PENDING', 0, ?, ?, ?, ?, ?) \
             ON CONFLICT(created_by, idempotency_key) DO NOTHING RETURNING *",
        )
        .bind(&id)
        .bind(&job.dataset_id)
        .bind(&job.created_by)
        .bind(&job.idempotency_key)
        .bind(job.visualization_config.to_string())
        .bind(&trace_id)
        .bind(&ts)
        .bind(&ts)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = inserted else {
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
            return Ok((existing, None));
        };
        let mut tasks: Vec<ImageTaskRow> = Vec::with_capacity(job.tasks.len());
        // One statement per chunk rather than per task.
        for (chunk_index, chunk) in job.tasks.chunks(ROWS_PER_INSERT).enumerate() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO image_tasks (id, job_id, position, algorithm_key, requested_version, \
                 algorithm_version, plugin_sha256, params, output_format, status, trace_id, created_at, updated_at) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut row, (i, t)| {
                row.push_bind(uuid::Uuid::new_v4().to_string())
                    .push_bind(id.clone())
                    .push_bind((chunk_index * ROWS_PER_INSERT + i) as i64)
                    .push_bind(t.algorithm_key.clone())
                    .push_bind(t.requested_version.clone())
                    .push_bind(t.algorithm_version.clone())
                    .push_bind(t.plugin_sha256.clone())
                    .push_bind(t.params.to_string())
                    .push_bind(t.output_format.as_str())
                    .push_bind("PENDING")
                    .push_bind(trace_id.clone())
                    .push_bind(ts.clone())
                    .push_bind(ts.clone());
            });
            q.push(" RETURNING *");
            tasks.extend(
                q.build_query_as::<ImageTaskRow>()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?,
            );
        }
        tx.commit().await.map_err(db)?;
        tasks.sort_by_key(|t| t.position);
        Ok((row, Some(tasks)))
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

    /// Releases every task this worker holds (graceful shutdown): they are
    /// pending again at once instead of waiting for their leases.
    pub async fn release_leases(&self, worker_prefix: &str) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, lease_expires_ms = NULL, \
             attempts = MAX(attempts - 1, 0), updated_at = ? WHERE status = 'RUNNING' AND lease_owner LIKE ? || '%'",
        )
        .bind(now())
        .bind(worker_prefix)
        .execute(&self.writer)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(n)
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

    // ---- render cache ------------------------------------------------------------

    pub async fn cached_render(&self, key: &str) -> Result<Option<CachedRender>> {
        sqlx::query_as("SELECT png_sha256, svg_sha256, chart_data, warnings FROM render_cache WHERE cache_key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    // ---- events ---------------------------------------------------------------------

    pub async fn insert_event(&self, e: &NewEvent) -> Result<EventRow> {
        let mut conn = self.writer.acquire().await.map_err(db)?;
        insert_events_on(&mut conn, std::slice::from_ref(e))
            .await?
            .pop()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "an inserted event was not returned"))
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

impl Store {
    /// A transaction on the writer, begun `IMMEDIATE` so it holds the
    /// write lock from its first statement (a deferred one that reads
    /// first can fail to upgrade when another process writes meanwhile).
    async fn begin_immediate(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

/// Rows per multi-row INSERT: far below SQLite's limit of 32766 bound
/// values for every table here (events bind 11 per row).
const ROWS_PER_INSERT: usize = 500;

/// Appends events to the log, one statement per [`ROWS_PER_INSERT`];
/// rows come back in id (insertion) order.
async fn insert_events_on(
    conn: &mut SqliteConnection,
    events: &[NewEvent],
) -> Result<Vec<EventRow>> {
    let mut rows = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        rows.extend(insert_event_rows(&mut *conn, chunk).await?);
    }
    Ok(rows)
}

async fn insert_event_rows(
    conn: &mut SqliteConnection,
    events: &[NewEvent],
) -> Result<Vec<EventRow>> {
    let ts = now();
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO events (event_uuid, job_id, task_id, entity_type, event_type, level, message, progress, \
         payload, trace_id, created_at) ",
    );
    q.push_values(events, |mut row, e| {
        row.push_bind(uuid::Uuid::new_v4().to_string())
            .push_bind(e.job_id.clone())
            .push_bind(e.task_id.clone())
            .push_bind(e.entity_type)
            .push_bind(e.event_type)
            .push_bind(e.level)
            .push_bind(e.message.clone())
            .push_bind(e.progress)
            .push_bind(e.payload.to_string())
            .push_bind(e.trace_id.clone())
            .push_bind(ts.clone());
    });
    q.push(" RETURNING *");
    // SQLite does not promise RETURNING order for several rows.
    let mut rows: Vec<EventRow> = q.build_query_as().fetch_all(conn).await.map_err(db)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
