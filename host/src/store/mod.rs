//! The storage boundary: the database (jobs, tasks, datasets, events,
//! users) and the file store (uploads, artifacts). Handlers and workers
//! call these methods and never see SQL.
//!
//! Two backends sit behind it: SQLite under `--data-dir` (the embedded
//! default, one node) and PostgreSQL (`--database-url`, shared by several
//! nodes). Statements are written once for both ([`sql`]); what differs
//! lives in [`sqlite`] and [`postgres`]. The row types every layer shares
//! are in [`model`].

mod artifacts;
mod blobs;
mod descriptions;
mod lease;
pub mod model;
mod nodes;
mod notify;
mod plugins;
mod postgres;
mod queue;
mod retention;
mod sessions;
mod sql;
mod sqlite;
mod task_control;
mod tokens;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::AnyConnection;

pub use artifacts::FileStore;
pub use blobs::{BlobStore, ByteStream};
pub use descriptions::{DescriptionOutcome, NewDescription};
pub use nodes::{LeasedTask, NodeRegistration, NodeRow};
pub use notify::Signal;
pub use plugins::{PluginRecord, PluginStats};
pub use postgres::ScratchDatabase;
pub use queue::WriteTx;
pub use retention::DatasetDeleted;
pub use sessions::{LOGIN_TOKEN_LIFETIME_MS, SESSION_LIFETIME_MS};
pub use sql::Backend;
pub use task_control::TaskChange;
pub use tokens::{NewToken, TokenRow};

use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::store::model::{
    DatasetRow, DescriptionTaskRow, EventRow, ImageTaskRow, JobRow, JobStatus, OutputFormat,
    TaskStatus, User,
};
use sql::{Db, db, values_list};

/// [`db`] under a name that does not clash with a `db: &Db` parameter.
use sql::db as db_err;

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How long [`retry_transient`] keeps trying: past a PostgreSQL restart
/// (a fast shutdown and start take about a second) and the pool's
/// reconnect, short of a client's patience.
pub const TRANSIENT_RETRY_BUDGET: Duration = Duration::from_secs(8);

/// Runs `work` (a whole transaction, or a single statement) again while it
/// fails with [`ErrorCode::DatabaseUnavailable`]: a dropped connection, a
/// server restarting, a serialization failure or deadlock, SQLite busy.
/// Gives up after `budget`, returning the last error. Any other error
/// (a constraint, a missing row) fails the same way every time, so it is
/// returned at once.
pub async fn retry_transient<T, F: Future<Output = Result<T>>>(
    budget: Duration,
    work: impl Fn() -> F,
) -> Result<T> {
    let deadline = Instant::now() + budget;
    let mut pause = Duration::from_millis(25);
    loop {
        match work().await {
            Err(e)
                if e.code == ErrorCode::DatabaseUnavailable
                    && Instant::now() + pause < deadline =>
            {
                tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64, "database unavailable; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            done => return done,
        }
    }
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

/// The store: a database (either backend) and the file store.
#[derive(Clone)]
pub struct Store {
    db: Db,
    blobs: std::sync::Arc<dyn BlobStore>,
    data_dir: PathBuf,
    signals: notify::Signals,
}

impl Store {
    /// Opens (creating if needed) the embedded SQLite store under
    /// `data_dir` and brings the schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        Self::connect(None, data_dir).await
    }

    /// Opens the store on the PostgreSQL server at `database_url`, or on
    /// SQLite under `data_dir` without one, and brings the schema up to
    /// date. Files (uploads, artifacts) live under `data_dir` either way.
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("cannot create data dir {}: {e}", data_dir.display()),
            )
        })?;
        let signals = notify::Signals::new();
        let db = match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let db = postgres::connect(url).await?;
                signals.listen(url.to_string());
                db
            }
            Some(url) if url.starts_with("sqlite:") => {
                return Err(Error::new(
                    ErrorCode::Internal,
                    format!(
                        "{url}: SQLite is the default without --database-url; its file lives under --data-dir"
                    ),
                ));
            }
            Some(url) => {
                return Err(Error::new(
                    ErrorCode::Internal,
                    format!(
                        "unsupported database URL {}: expected postgres://user@host:port/database",
                        postgres::redact(url)
                    ),
                ));
            }
            None => sqlite::connect(data_dir).await?,
        };
        let files = FileStore::new(data_dir.join("files"))?;
        Ok(Store {
            blobs: blobs::for_backend(&db, &files),
            db,
            data_dir: data_dir.to_path_buf(),
            signals,
        })
    }

    /// What this node and (on PostgreSQL) every other node commit that
    /// subscribers should act on: see [`Signal`].
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Signal> {
        self.signals.subscribe()
    }

    /// Announces `signals` from outside a write transaction: on PostgreSQL
    /// to every node, here at once.
    async fn announce(&self, signals: Vec<Signal>) -> Result<()> {
        if self.db.backend == Backend::Postgres {
            let mut conn = self.db.write.acquire().await.map_err(db)?;
            notify_on(&self.db, &self.signals, &mut conn, &signals).await?;
        }
        for s in signals {
            self.signals.local(s);
        }
        Ok(())
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// Uploads, artifacts and uploaded plugin components.
    pub fn blobs(&self) -> &std::sync::Arc<dyn BlobStore> {
        &self.blobs
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Closes both pools, so every later query fails as if the database
    /// had gone away. No server path calls it: it lets tests see how the
    /// API answers an unreachable database (`/healthz` 503 `UNAVAILABLE`,
    /// everything else 503 `DATABASE_UNAVAILABLE`).
    #[doc(hidden)]
    pub async fn close(&self) {
        self.db.read.close().await;
        self.db.write.close().await;
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query(self.db.sql("SELECT 1"))
            .execute(&self.db.read)
            .await
            .map_err(db)?;
        Ok(())
    }

    // ---- users and tokens -------------------------------------------------

    pub async fn user_count(&self) -> Result<i64> {
        sqlx::query_scalar(self.db.sql("SELECT COUNT(*) FROM users"))
            .fetch_one(&self.db.read)
            .await
            .map_err(db)
    }

    /// The user called `name`, created with `role` if new.
    pub async fn ensure_user(&self, name: &str, admin: bool) -> Result<User> {
        let role = if admin { "admin" } else { "user" };
        sqlx::query(self.db.sql("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT(name) DO NOTHING"))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(name)
            .bind(role)
            .bind(now())
            .execute(&self.db.write)
            .await
            .map_err(db)?;
        if admin {
            sqlx::query(
                self.db
                    .sql("UPDATE users SET role = 'admin' WHERE name = $1"),
            )
            .bind(name)
            .execute(&self.db.write)
            .await
            .map_err(db)?;
        }
        sqlx::query_as(self.db.sql("SELECT * FROM users WHERE name = $1"))
            .bind(name)
            .fetch_one(&self.db.read)
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
        self.blobs
            .put(bytes::Bytes::copy_from_slice(bytes), &ext)
            .await?;
        let canonical = serde_json::to_string(dataset)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let summary = serde_json::to_string(&dataset.digest())
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            self.db.sql("INSERT INTO datasets (id, sha256, source_type, file_name, size_bytes, canonical, created_at, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(sha256) DO NOTHING"),
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
        let row: DatasetRow =
            sqlx::query_as(self.db.sql("SELECT * FROM datasets WHERE sha256 = $1"))
                .bind(&dataset.sha256)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        sqlx::query(self.db.sql("INSERT INTO dataset_access (dataset_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
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
            self.db.sql("SELECT id, sha256, source_type, file_name, size_bytes, \
             CASE WHEN summary IS NULL THEN canonical ELSE '' END AS canonical, created_at, summary \
             FROM datasets WHERE sha256 = $1"),
        )
        .bind(sha256)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    /// Lets `user` use dataset `id` (they uploaded its bytes too).
    pub async fn grant_dataset(&self, user: &User, id: &str) -> Result<()> {
        sqlx::query(self.db.sql("INSERT INTO dataset_access (dataset_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
            .bind(id)
            .bind(&user.id)
            .bind(now())
            .execute(&self.db.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The dataset `id` if `user` may use it.
    pub async fn dataset_for(&self, user: &User, id: &str) -> Result<Option<DatasetRow>> {
        let sql = if user.is_admin() {
            "SELECT d.* FROM datasets d WHERE d.id = $1"
        } else {
            "SELECT d.* FROM datasets d JOIN dataset_access a ON a.dataset_id = d.id WHERE d.id = $1 AND a.user_id = $2"
        };
        sqlx::query_as(sql)
            .bind(id)
            .bind(&user.id)
            .fetch_optional(&self.db.read)
            .await
            .map_err(db)
    }

    /// The dataset `id` for views: the canonical JSON is left out (empty)
    /// when the stored summary makes it unnecessary.
    pub async fn dataset_meta(&self, id: &str) -> Result<DatasetRow> {
        sqlx::query_as(
            self.db.sql("SELECT id, sha256, source_type, file_name, size_bytes, \
             CASE WHEN summary IS NULL THEN canonical ELSE '' END AS canonical, created_at, summary \
             FROM datasets WHERE id = $1"),
        )
        .bind(id)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)
    }

    /// The datasets `user` has uploaded (or been given), most recently
    /// uploaded first, for views (canonical JSON left out when the summary
    /// makes it unnecessary), and how many there are in all.
    pub async fn datasets_of(
        &self,
        user: &User,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DatasetRow>, i64)> {
        let rows = sqlx::query_as(self.db.sql(
            "SELECT d.id, d.sha256, d.source_type, d.file_name, d.size_bytes, \
             CASE WHEN d.summary IS NULL THEN d.canonical ELSE '' END AS canonical, \
             a.created_at, d.summary \
             FROM datasets d JOIN dataset_access a ON a.dataset_id = d.id \
             WHERE a.user_id = $1 ORDER BY a.created_at DESC, d.id LIMIT CAST($2 AS BIGINT) OFFSET $3",
        ))
        .bind(&user.id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?;
        let (count,): (i64,) = sqlx::query_as(
            self.db
                .sql("SELECT COUNT(*) FROM dataset_access WHERE user_id = $1"),
        )
        .bind(&user.id)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)?;
        Ok((rows, count))
    }

    pub async fn dataset(&self, id: &str) -> Result<DatasetRow> {
        sqlx::query_as(self.db.sql("SELECT * FROM datasets WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.db.read)
            .await
            .map_err(db)
    }

    // ---- jobs ----------------------------------------------------------------

    /// Creates a job and its tasks in one transaction, returning them
    /// (tasks in position order). With an idempotency key already used by
    /// this user, returns the existing job and `None` for the tasks: the
    /// unique constraint decides, so concurrent requests race safely.
    /// A transaction lost to a transient error is run again whole.
    pub async fn create_job(&self, job: &NewJob) -> Result<(JobRow, Option<Vec<ImageTaskRow>>)> {
        retry_transient(TRANSIENT_RETRY_BUDGET, || self.create_job_once(job)).await
    }

    async fn create_job_once(&self, job: &NewJob) -> Result<(JobRow, Option<Vec<ImageTaskRow>>)> {
        let id = uuid::Uuid::new_v4().to_string();
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        let inserted: Option<JobRow> = sqlx::query_as(
            self.db.sql("INSERT INTO jobs (id, dataset_id, created_by, status, progress_total, idempotency_key, \
             visualization_config, trace_id, created_at, updated_at) VALUES ($1, $2, $3, 'PENDING', 0, $4, $5, $6, $7, $8) \
             ON CONFLICT(created_by, idempotency_key) DO NOTHING RETURNING *"),
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
            let sql = self.db.sql_owned(format!(
                "INSERT INTO image_tasks (id, job_id, position, algorithm_key, requested_version, \
                 algorithm_version, plugin_sha256, params, output_format, status, trace_id, created_at, updated_at) \
                 VALUES {} RETURNING *",
                values_list(chunk.len(), 13)
            ));
            let mut q = sqlx::query_as::<_, ImageTaskRow>(sql);
            for (i, t) in chunk.iter().enumerate() {
                q = q
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(id.clone())
                    .bind((chunk_index * ROWS_PER_INSERT + i) as i64)
                    .bind(t.algorithm_key.clone())
                    .bind(t.requested_version.clone())
                    .bind(t.algorithm_version.clone())
                    .bind(t.plugin_sha256.clone())
                    .bind(t.params.to_string())
                    .bind(t.output_format.as_str())
                    .bind("PENDING")
                    .bind(trace_id.clone())
                    .bind(ts.clone())
                    .bind(ts.clone());
            }
            tasks.extend(q.fetch_all(&mut *tx).await.map_err(db)?);
        }
        notify_on(&self.db, &self.signals, &mut tx, &[Signal::Work]).await?;
        tx.commit().await.map_err(db)?;
        self.signals.local(Signal::Work);
        tasks.sort_by_key(|t| t.position);
        Ok((row, Some(tasks)))
    }

    /// The job `user_id` created with idempotency key `key`, if any.
    pub async fn job_by_key(&self, user_id: &str, key: &str) -> Result<Option<JobRow>> {
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM jobs WHERE created_by = $1 AND idempotency_key = $2"),
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    /// The job `id` if `user` may see it.
    pub async fn job_for(&self, user: &User, id: &str) -> Result<Option<JobRow>> {
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM jobs WHERE id = $1 AND ($2 OR created_by = $3)"),
        )
        .bind(id)
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    /// [`Self::job_for`] with the id of the job's last event (0 for none),
    /// in one statement: what an ended job's detail is versioned by, read
    /// on every request for it.
    pub async fn job_for_with_last_event(
        &self,
        user: &User,
        id: &str,
    ) -> Result<Option<(JobRow, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            job: JobRow,
            last_event_id: i64,
        }
        let row: Option<Row> = sqlx::query_as(self.db.sql(
            "SELECT j.*, COALESCE((SELECT MAX(e.id) FROM events e WHERE e.job_id = j.id), 0) \
             AS last_event_id FROM jobs j WHERE j.id = $1 AND ($2 OR j.created_by = $3)",
        ))
        .bind(id)
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)?;
        Ok(row.map(|r| (r.job, r.last_event_id)))
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        sqlx::query_as(self.db.sql("SELECT * FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db.read)
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
        let rows = sqlx::query_as(self.db.sql(
            "SELECT * FROM jobs WHERE ($1 OR created_by = $2) AND ($3 IS NULL OR status = $3) \
             ORDER BY created_at DESC, id LIMIT CAST($4 AS BIGINT) OFFSET $5",
        ))
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar(self.db.sql("SELECT COUNT(*) FROM jobs WHERE ($1 OR created_by = $2) AND ($3 IS NULL OR status = $3)"))
            .bind(user.is_admin())
            .bind(&user.id)
            .bind(status)
            .fetch_one(&self.db.read)
            .await
            .map_err(db)?;
        Ok((rows, total))
    }

    pub async fn tasks_of_job(&self, job_id: &str) -> Result<Vec<ImageTaskRow>> {
        sqlx::query_as(
            self.db
                .sql("SELECT t.*, j.created_by AS created_by FROM image_tasks t JOIN jobs j ON j.id = t.job_id \
                 WHERE t.job_id = $1 ORDER BY t.position"),
        )
        .bind(job_id)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }

    /// The image task `id` if `user` may see it (through its job).
    pub async fn task_for(&self, user: &User, id: &str) -> Result<Option<ImageTaskRow>> {
        sqlx::query_as(
            self.db.sql("SELECT t.*, j.created_by AS created_by FROM image_tasks t JOIN jobs j ON j.id = t.job_id \
             WHERE t.id = $1 AND ($2 OR j.created_by = $3)"),
        )
        .bind(id)
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_optional(&self.db.read)
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
            self.db.sql("SELECT t.*, j.created_by AS created_by FROM image_tasks t JOIN jobs j ON j.id = t.job_id WHERE ($1 OR j.created_by = $2) \
             AND ($3 IS NULL OR t.status = $3) ORDER BY t.created_at DESC, t.position LIMIT CAST($4 AS BIGINT) OFFSET $5"),
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar(
            self.db.sql("SELECT COUNT(*) FROM image_tasks t JOIN jobs j ON j.id = t.job_id WHERE ($1 OR j.created_by = $2) \
             AND ($3 IS NULL OR t.status = $3)"),
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(status)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)?;
        Ok((rows, total))
    }

    pub async fn running_jobs_of(&self, user_id: &str) -> Result<i64> {
        sqlx::query_scalar(self.db.sql(
            "SELECT COUNT(*) FROM jobs WHERE created_by = $1 AND status IN ('PENDING', 'RUNNING')",
        ))
        .bind(user_id)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)
    }

    // ---- the queue -------------------------------------------------------------

    /// `work` under `worker`'s lease on image task `id`, renewed as it
    /// runs (see `while_renewing`).
    pub async fn renewing_task_lease<T>(
        &self,
        id: &str,
        worker: &str,
        length: Duration,
        work: impl Future<Output = T>,
    ) -> T {
        self.while_renewing(&lease::IMAGE_TASKS, id, worker, length, work)
            .await
    }

    /// Releases every task this worker holds (graceful shutdown): they are
    /// pending again at once instead of waiting for their leases.
    pub async fn release_leases(&self, worker_prefix: &str) -> Result<u64> {
        let n = self.release(&lease::IMAGE_TASKS, worker_prefix).await?;
        if n > 0 {
            self.announce(vec![Signal::Work]).await?;
        }
        Ok(n)
    }

    /// Jobs left RUNNING with no active task (e.g. the process died between
    /// a task's end and the job's finalisation).
    pub async fn unfinalized_jobs(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(
            self.db.sql("SELECT j.id FROM jobs j WHERE j.status IN ('PENDING', 'RUNNING') AND NOT EXISTS \
             (SELECT 1 FROM image_tasks t WHERE t.job_id = j.id AND t.status IN ('PENDING', 'RUNNING'))"),
        )
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }

    // ---- render cache ------------------------------------------------------------

    pub async fn cached_render(&self, key: &str) -> Result<Option<CachedRender>> {
        sqlx::query_as(self.db.sql("SELECT png_sha256, svg_sha256, chart_data, warnings FROM render_cache WHERE cache_key = $1"))
            .bind(key)
            .fetch_optional(&self.db.read)
            .await
            .map_err(db)
    }

    /// [`Self::cached_render`] for several keys in one query: those found,
    /// by key.
    pub async fn cached_renders(
        &self,
        keys: &[&str],
    ) -> Result<std::collections::HashMap<String, CachedRender>> {
        let mut found = std::collections::HashMap::new();
        if keys.is_empty() {
            return Ok(found);
        }
        let list = sql::param_list(keys.len(), 1);
        let sql = self.db.sql_owned(format!(
            "SELECT cache_key, png_sha256, svg_sha256, chart_data, warnings FROM render_cache \
             WHERE cache_key IN ({list})"
        ));
        let mut q = sqlx::query(sql);
        for k in keys {
            q = q.bind(*k);
        }
        for row in q.fetch_all(&self.db.read).await.map_err(db)? {
            let key: String = sqlx::Row::try_get(&row, "cache_key").map_err(db)?;
            found.insert(
                key,
                <CachedRender as sqlx::FromRow<_>>::from_row(&row).map_err(db)?,
            );
        }
        Ok(found)
    }

    // ---- events ---------------------------------------------------------------------

    pub async fn insert_event(&self, e: &NewEvent) -> Result<EventRow> {
        let one = std::slice::from_ref(e);
        let rows = match self.db.backend {
            // One statement on the one writer: already in commit order.
            Backend::Sqlite => {
                let mut conn = self.db.write.acquire().await.map_err(db)?;
                insert_events_on(&self.db, &mut conn, one).await?
            }
            Backend::Postgres => {
                let mut tx = self.begin_write().await?;
                let rows = insert_events_on(&self.db, &mut tx, one).await?;
                notify_on(&self.db, &self.signals, &mut tx, &events_signals(&rows)).await?;
                tx.commit().await.map_err(db)?;
                rows
            }
        };
        for s in events_signals(&rows) {
            self.signals.local(s);
        }
        rows.into_iter()
            .next()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "an inserted event was not returned"))
    }

    pub async fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        // The limit is cast, as every bound LIMIT here is: SQLite plans a
        // bare `LIMIT ?` for the value bound and so prepares the statement
        // anew each time it runs.
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM events WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT CAST($3 AS BIGINT)"),
        )
        .bind(job_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }

    /// How many events the job's log holds.
    /// The id of the job's newest event (0 with none).
    pub async fn event_count(&self, job_id: &str) -> Result<i64> {
        sqlx::query_scalar(self.db.sql("SELECT COUNT(*) FROM events WHERE job_id = $1"))
            .bind(job_id)
            .fetch_one(&self.db.read)
            .await
            .map_err(db)
    }

    /// The status of image task `id`, if it exists.
    pub async fn task_status(&self, id: &str) -> Result<Option<TaskStatus>> {
        let s: Option<String> =
            sqlx::query_scalar(self.db.sql("SELECT status FROM image_tasks WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.db.read)
                .await
                .map_err(db)?;
        Ok(s.as_deref().and_then(TaskStatus::parse))
    }

    // ---- description tasks (filled by the AI module) -------------------------------

    pub async fn description_task_for(
        &self,
        user: &User,
        id: &str,
    ) -> Result<Option<DescriptionTaskRow>> {
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM description_tasks WHERE id = $1 AND ($2 OR created_by = $3)"),
        )
        .bind(id)
        .bind(user.is_admin())
        .bind(&user.id)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }

    /// A page of the description tasks `user` may see (of one job's
    /// charts when `job_id` is set), newest first, and the total.
    pub async fn list_description_tasks(
        &self,
        user: &User,
        job_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DescriptionTaskRow>, i64)> {
        let rows = sqlx::query_as(
            self.db.sql("SELECT * FROM description_tasks WHERE ($1 OR created_by = $2) AND ($3 IS NULL OR job_id = $3) \
             ORDER BY created_at DESC, id LIMIT CAST($4 AS BIGINT) OFFSET $5"),
        )
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(job_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?;
        let total = sqlx::query_scalar(self.db.sql(
            "SELECT COUNT(*) FROM description_tasks WHERE ($1 OR created_by = $2) AND ($3 IS NULL OR job_id = $3)",
        ))
        .bind(user.is_admin())
        .bind(&user.id)
        .bind(job_id)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)?;
        Ok((rows, total))
    }

    // ---- metrics -------------------------------------------------------------------------

    /// Image tasks per status.
    pub async fn task_counts(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query_as(
            self.db
                .sql("SELECT status, COUNT(*) FROM image_tasks GROUP BY status"),
        )
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }
}

impl Store {
    /// A write transaction. On SQLite it is begun `IMMEDIATE` so it holds
    /// the write lock from its first statement (a deferred one that reads
    /// first can fail to upgrade when another process writes meanwhile);
    /// on PostgreSQL it is an ordinary READ COMMITTED transaction, made
    /// safe by the guards in each statement.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.db.backend {
            Backend::Sqlite => self.db.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.db.write.begin().await,
        }
        .map_err(db)
    }
}

/// Rows per multi-row INSERT: far below SQLite's limit of 32766 bound
/// values (and PostgreSQL's 65535) for every table here (events bind 11
/// per row).
const ROWS_PER_INSERT: usize = 500;

/// Appends events to the log, one statement per [`ROWS_PER_INSERT`];
/// rows come back in id (insertion) order.
///
/// On PostgreSQL a transaction-scoped advisory lock per job is taken
/// first, in key order, and held until the caller's transaction ends: ids
/// come from a sequence, and without the lock two writers of one job could
/// commit its events in the other order than their ids, so a reader
/// resuming after the larger id would never see the smaller one. (SQLite
/// has one writer.)
///
/// Not the jobs' rows: the same transactions update those rows earlier
/// (a job's status and progress) in whatever order their work comes, and
/// locking them again here in id order made two writers of two jobs wait
/// on each other until PostgreSQL broke the deadlock, a second later.
/// These locks are only ever taken here, last before the commit, always
/// in one order, so they cannot form a cycle.
async fn insert_events_on(
    db: &Db,
    conn: &mut AnyConnection,
    events: &[NewEvent],
) -> Result<Vec<EventRow>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<i64> = Vec::new();
    if db.backend == Backend::Postgres {
        keys = events.iter().map(|e| job_lock_key(&e.job_id)).collect();
        keys.sort_unstable();
        keys.dedup();
    }
    let mut rows = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        // The locks ride on the first insert (they are held to the commit).
        let lock = if rows.is_empty() { &keys[..] } else { &[] };
        rows.extend(insert_event_rows(db, &mut *conn, chunk, lock).await?);
    }
    Ok(rows)
}

/// The advisory-lock key of a job's event log: 64 bits of a hash of its
/// id (a collision only makes two jobs share a lock).
fn job_lock_key(job_id: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(job_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

async fn insert_event_rows(
    db: &Db,
    conn: &mut AnyConnection,
    events: &[NewEvent],
    locks: &[i64],
) -> Result<Vec<EventRow>> {
    let ts = now();
    let columns = "event_uuid, job_id, task_id, entity_type, event_type, level, message, progress, \
                   payload, trace_id, created_at";
    let values = values_list(events.len(), 11);
    let sql = if locks.is_empty() {
        format!("INSERT INTO events ({columns}) VALUES {values} RETURNING *")
    } else {
        // The per-job locks taken in the statement that needs them, one
        // round trip fewer per task end: an uncorrelated subquery in the
        // WHERE is a one-time filter, evaluated before the first row is
        // produced, so every lock is held before any row draws its id.
        // Keys come sorted, and a VALUES list is scanned in order.
        let first = events.len() * 11 + 1;
        let keys = (first..first + locks.len())
            .map(|i| format!("(${i})"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO events ({columns}) SELECT * FROM (VALUES {values}) AS v \
             WHERE (SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(k.key) FROM (VALUES {keys}) AS k(key)) AS l) > 0 \
             RETURNING *"
        )
    };
    let mut q = sqlx::query_as::<_, EventRow>(db.sql_owned(sql));
    for e in events {
        q = q
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(e.job_id.clone())
            .bind(e.task_id.clone())
            .bind(e.entity_type)
            .bind(e.event_type)
            .bind(e.level)
            .bind(e.message.clone())
            .bind(e.progress)
            .bind(e.payload.to_string())
            .bind(e.trace_id.clone())
            .bind(ts.clone());
    }
    for key in locks {
        q = q.bind(*key);
    }
    // Neither backend promises RETURNING order for several rows.
    let mut rows: Vec<EventRow> = q.fetch_all(conn).await.map_err(db_err)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// One [`Signal::Events`] per job of `rows`, naming its last event.
fn events_signals(rows: &[EventRow]) -> Vec<Signal> {
    let mut last: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for r in rows {
        let id = last.entry(r.job_id.as_str()).or_insert(r.id);
        *id = (*id).max(r.id);
    }
    last.into_iter()
        .map(|(job, id)| Signal::Events {
            job_id: job.to_string(),
            last_id: id,
        })
        .collect()
}

/// Sends `signals` to every node with `NOTIFY` (PostgreSQL only; inside a
/// transaction, delivered when it commits).
async fn notify_on(
    db: &Db,
    from: &notify::Signals,
    conn: &mut AnyConnection,
    signals: &[Signal],
) -> Result<()> {
    if db.backend != Backend::Postgres {
        return Ok(());
    }
    if signals.is_empty() {
        return Ok(());
    }
    // One statement for all of them: a task's end announces two or three,
    // and each statement is a round trip. pg_notify returns void, which no
    // driver decodes: count instead.
    let sql = db.sql_owned(format!(
        "SELECT COUNT(*) FROM (SELECT pg_notify($1, v.p) FROM (VALUES {}) AS v(p)) AS n",
        (2..signals.len() + 2)
            .map(|i| format!("(${i})"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut q = sqlx::query(sql).bind(notify::CHANNEL);
    for s in signals {
        q = q.bind(from.payload(s));
    }
    q.execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}

/// The stores a behaviour test runs against: SQLite in a temporary
/// directory, and a scratch PostgreSQL database when
/// `PATCHART_TEST_DATABASE_URL` names a server (skipped with a message
/// otherwise).
#[cfg(test)]
pub(crate) async fn test_stores() -> Vec<TestStore> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).await.expect("sqlite store opens");
    out.push(TestStore {
        store,
        _dir: dir,
        _scratch: None,
    });
    match std::env::var("PATCHART_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let scratch = ScratchDatabase::create(&url)
                .await
                .expect("a scratch database on PATCHART_TEST_DATABASE_URL");
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::connect(Some(&scratch.url), dir.path())
                .await
                .expect("postgres store opens");
            out.push(TestStore {
                store,
                _dir: dir,
                _scratch: Some(scratch),
            });
        }
        _ => eprintln!("skipping the PostgreSQL store: PATCHART_TEST_DATABASE_URL is not set"),
    }
    out
}

/// A job of `tasks` charts in `store`, for a user `ana` on a made-up
/// dataset.
#[cfg(test)]
pub(crate) async fn test_job(store: &Store, tasks: usize) -> JobRow {
    let user = store.ensure_user("ana", false).await.expect("user");
    let dataset = crate::dataset::Dataset {
        source_type: "espacenet_excel".into(),
        file_name: "export.xlsx".into(),
        sha256: "ab".repeat(32),
        query: None,
        result_count: None,
        facets: Vec::new(),
    };
    let row = store
        .put_dataset(&user, &dataset, b"bytes")
        .await
        .expect("dataset");
    let task = NewImageTask {
        algorithm_key: "top_patent_countries".into(),
        requested_version: None,
        algorithm_version: None,
        plugin_sha256: None,
        params: serde_json::json!({}),
        output_format: model::OutputFormat::Both,
    };
    let (job, created_tasks) = store
        .create_job(&NewJob {
            dataset_id: row.id,
            created_by: user.id,
            idempotency_key: None,
            visualization_config: serde_json::json!({}),
            tasks: vec![task; tasks],
        })
        .await
        .expect("job");
    let created_tasks = created_tasks.expect("a new job");
    assert_eq!(
        created_tasks.iter().map(|t| t.position).collect::<Vec<_>>(),
        (0..tasks as i64).collect::<Vec<_>>()
    );
    job
}

#[cfg(test)]
pub(crate) struct TestStore {
    pub store: Store,
    _dir: tempfile::TempDir,
    _scratch: Option<ScratchDatabase>,
}
