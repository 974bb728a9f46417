//! The queue's write transactions. A batch of tasks' results, their
//! events, their jobs' finalisation and the worker's next claim (with
//! those tasks' start events) commit together: one turn of the single
//! writer per batch instead of one per statement, and no state in which a
//! task has ended but its job has not heard.

use std::time::Duration;

use sqlx::{FromRow, Row};

use super::lease;
use super::notify::{Signal, Signals};
use super::sql::Db;
use super::{
    CachedRender, CancelOutcome, Finalized, NewEvent, Store, TaskOutcome, db, events_signals,
    insert_events_on, notify_on, now, now_ms,
};
use crate::error::Result;
use crate::store::model::{EventRow, ImageTaskRow, JobStatus};

/// A write transaction (see [`Store::begin_write`]). Dropped without
/// [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    pub(super) tx: sqlx::Transaction<'static, sqlx::Any>,
    pub(super) db: Db,
    signals: Signals,
    /// Inserted together at commit: nothing in a write transaction reads
    /// the event log, and one statement is one round trip.
    events: Vec<NewEvent>,
    /// Announced when the transaction commits (besides its events).
    pub(super) announce: Vec<Signal>,
    /// Jobs whose row this transaction has locked already (PostgreSQL),
    /// so finalising one takes no second round trip for its lock.
    locked_jobs: Vec<String>,
}

impl Store {
    pub async fn write(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.begin_write().await?,
            db: self.db.clone(),
            signals: self.signals.clone(),
            events: Vec::new(),
            announce: Vec::new(),
            locked_jobs: Vec::new(),
        })
    }
}

/// How a failed task's end is written (successes: `finish_successes`).
/// `$11`, in the locking form, is the job's id.
macro_rules! finish_failed_sql {
    () => {
        "UPDATE image_tasks SET status = 'FAILED', progress = 100, \
         algorithm_version = COALESCE($1, algorithm_version), plugin_sha256 = COALESCE($2, plugin_sha256), \
         error_code = $3, error_message = $4, plugin_logs = $5, duration_ms = $6, lease_owner = NULL, \
         lease_expires_ms = NULL, updated_at = $7, finished_at = $8 \
         WHERE id = $9 AND status = 'RUNNING' AND lease_owner = $10"
    };
}

const FINISH_FAILED: &str = finish_failed_sql!();
const FINISH_FAILED_LOCKING_JOB: &str = concat!(
    "WITH j AS (SELECT id FROM jobs WHERE id = $11 FOR NO KEY UPDATE) ",
    finish_failed_sql!(),
    " AND EXISTS (SELECT 1 FROM j)"
);

impl WriteTx {
    /// Appends the events, commits, and returns the events' rows in
    /// order: they may be published now that they are durable.
    pub async fn commit(mut self) -> Result<Vec<EventRow>> {
        let rows = insert_events_on(&self.db, &mut self.tx, &self.events).await?;
        let mut signals = std::mem::take(&mut self.announce);
        signals.extend(events_signals(&rows));
        notify_on(&self.db, &self.signals, &mut self.tx, &signals).await?;
        self.tx.commit().await.map_err(db)?;
        for s in signals {
            self.signals.local(s);
        }
        Ok(rows)
    }

    /// Appends an event to its job's log when the transaction commits.
    pub fn insert_event(&mut self, e: NewEvent) {
        self.events.push(e);
    }

    /// Atomically claims up to `limit` of the oldest runnable tasks:
    /// pending, or running with an expired lease (its worker died). Marks
    /// their jobs RUNNING. Returns them in queue order, each with whether
    /// this claim started its job (true on the first claimed task of such
    /// a job).
    pub async fn claim_tasks(
        &mut self,
        worker: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<(ImageTaskRow, bool)>> {
        let now_ms = now_ms();
        let ts = now();
        // On PostgreSQL the claim also marks its jobs running, in the same
        // statement (one round trip fewer).
        let pg = self.db.backend == super::Backend::Postgres;
        let sql = if pg {
            lease::IMAGE_CLAIM_STARTING_JOB_POSTGRES
        } else {
            self.db.sql(lease::IMAGE_TASKS.claim(self.db.backend))
        };
        let rows = sqlx::query(sql)
            .bind(worker)
            .bind(now_ms + lease.as_millis() as i64)
            .bind(&ts)
            .bind(now_ms)
            .bind(i64::try_from(limit.max(1)).unwrap_or(1))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let task = ImageTaskRow::from_row(row).map_err(db)?;
            let started = if pg {
                row.try_get::<i64, _>("job_started").map_err(db)? > 0
            } else {
                false
            };
            claimed.push((task, started));
        }
        // RETURNING keeps no order; the queue's is the one a worker keeps.
        claimed.sort_by(|(a, _), (b, _)| {
            (&a.created_at, a.position).cmp(&(&b.created_at, b.position))
        });
        // The first claimed task of each job carries its job's start.
        let mut seen: Vec<&str> = Vec::new();
        let firsts: Vec<bool> = claimed
            .iter()
            .map(|(t, _)| {
                let first = !seen.contains(&t.job_id.as_str());
                if first {
                    seen.push(&t.job_id);
                }
                first
            })
            .collect();
        let started_jobs: Vec<String> = if pg {
            Vec::new()
        } else {
            self.start_jobs(&seen, &ts).await?
        };
        // PostgreSQL's claim said which jobs it started; SQLite's did not.
        for ((task, started), first) in claimed.iter_mut().zip(firsts) {
            *started = first && (*started || started_jobs.contains(&task.job_id));
        }
        Ok(claimed)
    }

    /// Marks those of `jobs` still pending RUNNING, in one statement;
    /// returns those it marked.
    async fn start_jobs(&mut self, jobs: &[&str], ts: &str) -> Result<Vec<String>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let list = super::sql::param_list(jobs.len(), 2);
        let sql = self.db.sql_owned(format!(
            "UPDATE jobs SET status = 'RUNNING', updated_at = $1 \
             WHERE status = 'PENDING' AND id IN ({list}) RETURNING id"
        ));
        let mut q = sqlx::query_scalar(sql).bind(ts);
        for id in jobs {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *self.tx).await.map_err(db)
    }

    /// Records how a task ended, if `worker` still holds it. Returns false
    /// when the task was cancelled or re-claimed meanwhile (the result is
    /// then discarded, never written over a terminal state).
    pub async fn finish_task(
        &mut self,
        task_id: &str,
        job_id: &str,
        worker: &str,
        outcome: &TaskOutcome,
    ) -> Result<bool> {
        let TaskOutcome::Failed {
            algorithm_version,
            plugin_sha256,
            error_code,
            error_message,
            plugin_logs,
            duration_ms,
        } = outcome
        else {
            let written = self
                .finish_successes(worker, &[(task_id, job_id, outcome)])
                .await?;
            return Ok(!written.is_empty());
        };
        let ts = now();
        let pg = self.db.backend == super::Backend::Postgres;
        // On PostgreSQL the job's row is locked in the same statement, for
        // `finalize_job` (see there), which then needs no round trip of
        // its own for it. The CTE's lock is an uncorrelated subquery of
        // the WHERE: evaluated once, before the task's row is written.
        let sql = if pg {
            FINISH_FAILED_LOCKING_JOB
        } else {
            FINISH_FAILED
        };
        let q = sqlx::query(self.db.sql(sql))
            .bind(algorithm_version)
            .bind(plugin_sha256)
            .bind(error_code)
            .bind(error_message)
            .bind(plugin_logs)
            .bind(duration_ms);
        let mut q = q.bind(&ts).bind(&ts).bind(task_id).bind(worker);
        if pg {
            q = q.bind(job_id);
            self.locked_jobs.push(job_id.to_string());
        }
        self.changes_one(q).await
    }

    /// Records the ends of tasks that succeeded, those `worker` still
    /// holds (as [`Self::finish_task`] does one), in one statement: a
    /// batch's ends cost one round trip, not one each. `done` pairs each
    /// task's id and job id with a [`TaskOutcome::Success`] (any other
    /// outcome is skipped: failures go through `finish_task`). Returns the
    /// ids written.
    pub async fn finish_successes(
        &mut self,
        worker: &str,
        done: &[(&str, &str, &TaskOutcome)],
    ) -> Result<Vec<String>> {
        // Every job of `done` is locked, the failures' too, so a batch
        // takes its jobs' locks in one order whatever its tasks' outcomes.
        let mut jobs: Vec<&str> = done.iter().map(|(_, job, _)| *job).collect();
        jobs.sort_unstable();
        jobs.dedup();
        let done: Vec<_> = done
            .iter()
            .filter(|(_, _, o)| matches!(o, TaskOutcome::Success { .. }))
            .collect();
        if done.is_empty() {
            return Ok(Vec::new());
        }
        const COLUMNS: usize = 10;
        // After `$1` (the time) and `$2` (the worker).
        let values = super::sql::values_list_from(done.len(), COLUMNS, 3);
        let pg = self.db.backend == super::Backend::Postgres;
        // On PostgreSQL the jobs' rows are locked first, in id order, for
        // `finalize_job` (see `finish_task`); COUNT reads the whole CTE, so
        // every lock is held before a task row is written.
        let (lock, guard) = if pg {
            let first = 3 + done.len() * COLUMNS;
            let ids = super::sql::param_list(jobs.len(), first);
            (
                format!(
                    "WITH j AS (SELECT id FROM jobs WHERE id IN ({ids}) ORDER BY id FOR NO KEY UPDATE) "
                ),
                " AND (SELECT COUNT(*) FROM j) > 0",
            )
        } else {
            (String::new(), "")
        };
        // VALUES columns are column1, column2, … in both databases.
        let sql = self.db.sql_owned(format!(
            "{lock}UPDATE image_tasks SET status = 'SUCCESS', progress = 100, \
             algorithm_version = v.column2, plugin_sha256 = v.column3, png_sha256 = v.column4, \
             svg_sha256 = v.column5, chart_data = v.column6, warnings = v.column7, \
             plugin_logs = v.column8, cache_hit = v.column9, duration_ms = v.column10, \
             error_code = NULL, error_message = NULL, lease_owner = NULL, lease_expires_ms = NULL, \
             updated_at = $1, finished_at = $1 \
             FROM (VALUES {values}) AS v \
             WHERE image_tasks.id = v.column1 AND image_tasks.status = 'RUNNING' \
             AND image_tasks.lease_owner = $2{guard} RETURNING image_tasks.id"
        ));
        let mut q = sqlx::query_scalar::<_, String>(sql)
            .bind(now())
            .bind(worker);
        for (id, _, outcome) in &done {
            let TaskOutcome::Success {
                algorithm_version,
                plugin_sha256,
                png_sha256,
                svg_sha256,
                chart_data,
                warnings,
                plugin_logs,
                cache_hit,
                duration_ms,
            } = outcome
            else {
                continue;
            };
            q = q
                .bind(*id)
                .bind(algorithm_version)
                .bind(plugin_sha256)
                .bind(png_sha256)
                .bind(svg_sha256)
                .bind(chart_data)
                .bind(warnings)
                .bind(plugin_logs)
                .bind(i64::from(*cache_hit))
                .bind(*duration_ms);
        }
        if pg {
            for job in &jobs {
                q = q.bind(*job);
            }
            self.locked_jobs.extend(jobs.iter().map(|j| j.to_string()));
        }
        q.fetch_all(&mut *self.tx).await.map_err(db)
    }

    /// Gives a task back to the queue after a transient host error.
    pub async fn requeue_task(
        &mut self,
        task_id: &str,
        worker: &str,
        reason: &str,
    ) -> Result<bool> {
        self.announce.push(Signal::Work);
        self.changes_one(
            sqlx::query(
                self.db.sql("UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, lease_expires_ms = NULL, \
                 error_message = $1, updated_at = $2 WHERE id = $3 AND status = 'RUNNING' AND lease_owner = $4"),
            )
            .bind(reason)
            .bind(now())
            .bind(task_id)
            .bind(worker),
        )
        .await
    }

    /// Gives back tasks `worker` claimed and did not start, as if they had
    /// not been claimed: pending, the attempt not counted (and no start
    /// time for a task that never ran before). Returns those it held.
    pub async fn release_tasks(&mut self, ids: &[&str], worker: &str) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = super::sql::param_list(ids.len(), 3);
        let sql = self.db.sql_owned(format!(
            "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, \
             lease_expires_ms = NULL, started_at = CASE WHEN attempts > 1 THEN started_at END, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $1 \
             WHERE status = 'RUNNING' AND lease_owner = $2 AND id IN ({list}) RETURNING id"
        ));
        let mut q = sqlx::query_scalar(sql).bind(now()).bind(worker);
        for id in ids {
            q = q.bind(*id);
        }
        let released: Vec<String> = q.fetch_all(&mut *self.tx).await.map_err(db)?;
        if !released.is_empty() {
            self.announce.push(Signal::Work);
        }
        Ok(released)
    }

    /// Runs a guarded single-row update: whether its row was still in the
    /// state the guard names.
    pub(super) async fn changes_one(
        &mut self,
        q: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<bool> {
        let n = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        Ok(n == 1)
    }

    /// If no task of the job is pending or running, sets its final status
    /// (SUCCESS / PARTIAL_SUCCESS / FAILED, or CANCELLED when every chart
    /// was cancelled one by one), 100% and a finish time;
    /// otherwise recomputes its progress. One statement: the task counts
    /// come from a subquery and the outcome from `RETURNING`. Only a job
    /// still pending or running changes, so exactly one caller ends it.
    pub async fn finalize_job(&mut self, job_id: &str) -> Result<Finalized> {
        if self.db.backend == super::Backend::Postgres
            && !self.locked_jobs.iter().any(|j| j == job_id)
        {
            // Two workers ending a job's last two tasks at once would each
            // count the other's task as still running (each statement sees
            // what had committed when it began), and the job would wait
            // for the periodic sweep to end. Locking the job first makes
            // the second wait for the first's commit; the count below then
            // starts after it. NO KEY UPDATE, not UPDATE: event inserts
            // (which only share the key) are not held up by it.
            sqlx::query(
                self.db
                    .sql("SELECT id FROM jobs WHERE id = $1 FOR NO KEY UPDATE"),
            )
            .bind(job_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        }
        let row: Option<(String, i64, String)> = sqlx::query_as(
            self.db.sql("UPDATE jobs SET \
                 status = CASE WHEN a.active > 0 THEN jobs.status \
                               WHEN a.total > 0 AND a.succeeded = a.total THEN 'SUCCESS' \
                               WHEN a.total > 0 AND a.cancelled = a.total THEN 'CANCELLED' \
                               WHEN a.succeeded > 0 THEN 'PARTIAL_SUCCESS' ELSE 'FAILED' END, \
                 progress_total = CASE WHEN a.active > 0 THEN a.progress ELSE 100 END, \
                 updated_at = $2, \
                 finished_at = CASE WHEN a.active > 0 THEN jobs.finished_at ELSE $2 END \
             FROM (SELECT COALESCE(SUM(CASE WHEN status IN ('PENDING', 'RUNNING') THEN 1 ELSE 0 END), 0) AS active, \
                          COALESCE(SUM(CASE WHEN status = 'SUCCESS' THEN 1 ELSE 0 END), 0) AS succeeded, \
                          COALESCE(SUM(CASE WHEN status = 'CANCELLED' THEN 1 ELSE 0 END), 0) AS cancelled, \
                          COUNT(*) AS total, \
                          COALESCE(CAST(SUM(CASE WHEN status IN ('SUCCESS', 'FAILED', 'CANCELLED') \
                                                 THEN 100 ELSE progress END) AS BIGINT) / COUNT(*), 0) AS progress \
                   FROM image_tasks WHERE job_id = $1) AS a \
             WHERE jobs.id = $1 AND jobs.status IN ('PENDING', 'RUNNING') \
             RETURNING jobs.status, jobs.progress_total, jobs.trace_id"),
        )
        .bind(job_id)
        .bind(now())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        let Some((status, progress, trace_id)) = row else {
            return Ok(Finalized::Unchanged);
        };
        Ok(match JobStatus::parse(&status) {
            Some(status) if status.is_terminal() => Finalized::Ended { status, trace_id },
            _ => Finalized::Progress { progress, trace_id },
        })
    }

    /// Cancels a job that has not ended, with its pending and running
    /// tasks, and recalculates its progress. The caller adds the events
    /// to this transaction, so the job is never cancelled without them.
    pub async fn cancel_job(&mut self, job_id: &str) -> Result<CancelOutcome> {
        let ts = now();
        let cancelled = self
            .changes_one(
                sqlx::query(self.db.sql(
                    "UPDATE jobs SET status = 'CANCELLED', updated_at = $1, finished_at = $1 \
                     WHERE id = $2 AND status IN ('PENDING', 'RUNNING')",
                ))
                .bind(&ts)
                .bind(job_id),
            )
            .await?;
        if !cancelled {
            let status: String =
                sqlx::query_scalar(self.db.sql("SELECT status FROM jobs WHERE id = $1"))
                    .bind(job_id)
                    .fetch_one(&mut *self.tx)
                    .await
                    .map_err(db)?;
            return Ok(CancelOutcome::AlreadyFinished(
                JobStatus::parse(&status).unwrap_or(JobStatus::Failed),
            ));
        }
        let tasks: Vec<String> = sqlx::query_scalar(
            self.db.sql("UPDATE image_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires_ms = NULL, \
             error_code = 'CANCELLED', error_message = 'the job was cancelled', updated_at = $1, finished_at = $1 \
             WHERE job_id = $2 AND status IN ('PENDING', 'RUNNING') RETURNING id"),
        )
        .bind(&ts)
        .bind(job_id)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        sqlx::query(
            self.db.sql("UPDATE jobs SET progress_total = (SELECT COALESCE(CAST(SUM(CASE WHEN status = 'SUCCESS' \
             THEN 100 ELSE 0 END) AS BIGINT) / COUNT(*), 0) FROM image_tasks WHERE job_id = $1) WHERE id = $1"),
        )
        .bind(job_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        self.announce.push(Signal::Cancelled {
            job_id: job_id.to_string(),
        });
        Ok(CancelOutcome::Cancelled { tasks })
    }

    /// Stores fresh renders in the result cache, one statement for all
    /// (a key already there, or twice in `renders`, keeps its first row:
    /// the same key is the same chart).
    pub async fn put_cached_renders(&mut self, renders: &[(&str, &CachedRender)]) -> Result<()> {
        let mut seen: Vec<&str> = Vec::with_capacity(renders.len());
        let renders: Vec<&(&str, &CachedRender)> = renders
            .iter()
            .filter(|(key, _)| {
                let fresh = !seen.contains(key);
                seen.push(key);
                fresh
            })
            .collect();
        if renders.is_empty() {
            return Ok(());
        }
        let ts = now();
        // Batches are small (a worker claims at most a few dozen tasks),
        // far below either backend's limit of bound values.
        let sql = format!(
            "INSERT INTO render_cache (cache_key, png_sha256, svg_sha256, chart_data, warnings, created_at) \
             VALUES {} ON CONFLICT(cache_key) DO NOTHING",
            super::sql::values_list(renders.len(), 6)
        );
        let sql = self.db.sql_owned(sql);
        let mut q = sqlx::query(sql);
        for (key, r) in renders {
            q = q
                .bind(*key)
                .bind(&r.png_sha256)
                .bind(&r.svg_sha256)
                .bind(&r.chart_data)
                .bind(&r.warnings)
                .bind(&ts);
        }
        q.execute(&mut *self.tx).await.map_err(db)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;
    use crate::events::{EventBus, level};
    use crate::store::Backend;
    use crate::store::model::{JobRow, JobStatus};
    use crate::store::{TestStore, test_job, test_stores};

    const LEASE: Duration = Duration::from_secs(30);

    /// A job of `tasks` tasks in each backend's store.
    async fn stores_with_job(tasks: usize) -> Vec<(TestStore, Store, JobRow)> {
        let mut out = Vec::new();
        for t in test_stores().await {
            let store = t.store.clone();
            let job = test_job(&store, tasks).await;
            out.push((t, store, job));
        }
        out
    }

    /// The first [`Signal::Events`] already received, skipping other
    /// signals (a PostgreSQL listener announces a resync when it connects).
    fn events_signal(rx: &mut tokio::sync::broadcast::Receiver<Signal>) -> Option<Signal> {
        loop {
            match rx.try_recv() {
                Ok(s @ Signal::Events { .. }) => return Some(s),
                Ok(_) => continue,
                Err(TryRecvError::Empty) => return None,
                Err(e) => panic!("signals: {e}"),
            }
        }
    }

    /// Claims a task in `w`, which must have one to claim.
    async fn claim(w: &mut WriteTx, worker: &str) -> (ImageTaskRow, bool) {
        w.claim_tasks(worker, LEASE, 1)
            .await
            .expect("claim")
            .into_iter()
            .next()
            .expect("a task to claim")
    }

    fn event(job: &JobRow, message: &str) -> NewEvent {
        NewEvent {
            job_id: job.id.clone(),
            task_id: None,
            entity_type: "job",
            event_type: "PROGRESS",
            level: level::INFO,
            message: message.into(),
            progress: None,
            payload: json!({}),
            trace_id: job.trace_id.clone(),
        }
    }

    fn success() -> TaskOutcome {
        TaskOutcome::Success {
            algorithm_version: "1.0.0".into(),
            plugin_sha256: "cd".repeat(32),
            png_sha256: None,
            svg_sha256: None,
            chart_data: "{}".into(),
            warnings: "[]".into(),
            plugin_logs: "{}".into(),
            cache_hit: false,
            duration_ms: 5,
        }
    }

    fn failure() -> TaskOutcome {
        TaskOutcome::Failed {
            algorithm_version: None,
            plugin_sha256: None,
            error_code: "PLUGIN_FAILED".into(),
            error_message: "no such facet".into(),
            plugin_logs: None,
            duration_ms: 5,
        }
    }

    /// A claim across jobs starts each job once: its first claimed task
    /// says so (for its worker to log the job's start), the others not.
    #[tokio::test]
    async fn a_batch_claim_over_two_jobs_starts_each_once() {
        for t in test_stores().await {
            let backend = t.store.backend().as_str();
            let first = test_job(&t.store, 2).await;
            let second = test_job(&t.store, 2).await;
            let mut w = t.store.write().await.expect("write");
            let claimed = w.claim_tasks("w0", LEASE, 10).await.expect("claim");
            w.commit().await.expect("commit");
            let flags: Vec<(&str, bool)> = claimed
                .iter()
                .map(|(task, started)| (task.job_id.as_str(), *started))
                .collect();
            assert_eq!(
                flags,
                [
                    (first.id.as_str(), true),
                    (first.id.as_str(), false),
                    (second.id.as_str(), true),
                    (second.id.as_str(), false)
                ],
                "{backend}"
            );
            for job in [&first, &second] {
                let row = t.store.job(&job.id).await.expect("job").expect("found");
                assert_eq!(row.status(), JobStatus::Running, "{backend}");
            }
        }
    }

    #[tokio::test]
    async fn events_are_published_only_after_commit_and_a_dropped_transaction_leaves_nothing() {
        for (_t, store, job) in stores_with_job(2).await {
            let bus = EventBus::new(store.clone());
            let mut rx = bus.subscribe();

            let mut w = store.write().await.expect("write");
            let (claimed, started) = claim(&mut w, "w0").await;
            assert!(started, "the first claim starts the job");
            w.insert_event(event(&job, "lost"));
            drop(w);
            assert_eq!(events_signal(&mut rx), None);
            assert!(
                store
                    .events_after(&job.id, 0, 10)
                    .await
                    .expect("events")
                    .is_empty()
            );
            let tasks = store.tasks_of_job(&job.id).await.expect("tasks");
            assert!(
                tasks.iter().all(|t| t.status == "PENDING"),
                "claim rolled back"
            );
            let job_now = store.job(&job.id).await.expect("job").expect("exists");
            assert_eq!(job_now.status, "PENDING");

            let mut w = store.write().await.expect("write");
            let (again, _) = claim(&mut w, "w0").await;
            assert_eq!(
                again.id, claimed.id,
                "the rolled-back claim is claimable again"
            );
            w.insert_event(event(&job, "first"));
            w.insert_event(event(&job, "second"));
            assert_eq!(events_signal(&mut rx), None);
            bus.commit(w).await.expect("commit");
            let logged = store.events_after(&job.id, 0, 10).await.expect("events");
            let messages: Vec<&str> = logged.iter().map(|e| e.message.as_str()).collect();
            assert_eq!(messages, ["first", "second"]);
            assert!(logged[0].id < logged[1].id);
            assert_eq!(
                events_signal(&mut rx),
                Some(Signal::Events {
                    job_id: job.id.clone(),
                    last_id: logged[1].id
                }),
                "one wake-up naming the last event of the batch"
            );
        }
    }

    #[tokio::test]
    async fn sqlite_reads_cannot_write() {
        // PostgreSQL reads and writes share one pool; SQLite keeps writes on
        // one connection and refuses them on the read pool.
        for (_t, store, _job) in stores_with_job(1).await {
            if store.backend() != Backend::Sqlite {
                continue;
            }
            let err = sqlx::query("DELETE FROM jobs")
                .execute(&store.db.read)
                .await
                .expect_err("the read pool is read-only");
            assert!(err.to_string().contains("readonly"), "{err}");
        }
    }

    #[tokio::test]
    async fn finalize_ends_a_job_once_with_the_status_its_tasks_earned() {
        let cases: [(&[bool], JobStatus); 3] = [
            (&[true, true, true], JobStatus::Success),
            (&[true, false, true], JobStatus::PartialSuccess),
            (&[false, false, false], JobStatus::Failed),
        ];
        for (outcomes, expected) in cases {
            for (_t, store, job) in stores_with_job(outcomes.len()).await {
                let mut w = store.write().await.expect("write");
                let mut claimed = Vec::new();
                while let Some((task, _)) = w
                    .claim_tasks("w0", LEASE, 1)
                    .await
                    .expect("claim")
                    .into_iter()
                    .next()
                {
                    claimed.push(task.id);
                }
                w.commit().await.expect("commit");
                assert_eq!(claimed.len(), outcomes.len());

                for (i, (id, ok)) in claimed.iter().zip(outcomes).enumerate() {
                    let mut w = store.write().await.expect("write");
                    let outcome = if *ok { success() } else { failure() };
                    assert!(
                        w.finish_task(id, &job.id, "w0", &outcome)
                            .await
                            .expect("finish")
                    );
                    let got = w.finalize_job(&job.id).await.expect("finalize");
                    w.commit().await.expect("commit");
                    let done = i + 1;
                    if done < outcomes.len() {
                        // Finished tasks count 100, claimed ones their 10.
                        let progress =
                            ((done * 100 + (outcomes.len() - done) * 10) / outcomes.len()) as i64;
                        assert_eq!(
                            got,
                            Finalized::Progress {
                                progress,
                                trace_id: job.trace_id.clone()
                            }
                        );
                    } else {
                        assert_eq!(
                            got,
                            Finalized::Ended {
                                status: expected,
                                trace_id: job.trace_id.clone()
                            }
                        );
                    }
                }
                let mut w = store.write().await.expect("write");
                assert_eq!(
                    w.finalize_job(&job.id).await.expect("finalize"),
                    Finalized::Unchanged
                );
                w.commit().await.expect("commit");
                let ended = store.job(&job.id).await.expect("job").expect("exists");
                assert_eq!(ended.status(), expected);
                assert_eq!(ended.progress_total, 100);
                assert!(ended.finished_at.is_some());
            }
        }
    }

    #[tokio::test]
    async fn cancelling_takes_unfinished_tasks_only_and_happens_once() {
        for (_t, store, job) in stores_with_job(4).await {
            let mut w = store.write().await.expect("write");
            let (done, _) = claim(&mut w, "w0").await;
            let (running, _) = claim(&mut w, "w1").await;
            assert!(
                w.finish_task(&done.id, &job.id, "w0", &success())
                    .await
                    .expect("finish")
            );
            w.commit().await.expect("commit");

            // Dropped, the cancellation never happened.
            let mut w = store.write().await.expect("write");
            assert!(matches!(
                w.cancel_job(&job.id).await.expect("cancel"),
                CancelOutcome::Cancelled { .. }
            ));
            drop(w);
            let kept = store.job(&job.id).await.expect("job").expect("exists");
            assert_eq!(kept.status(), JobStatus::Running);

            let mut w = store.write().await.expect("write");
            let CancelOutcome::Cancelled { mut tasks } =
                w.cancel_job(&job.id).await.expect("cancel")
            else {
                panic!("a running job is cancelled");
            };
            w.commit().await.expect("commit");
            let rows = store.tasks_of_job(&job.id).await.expect("tasks");
            let mut want: Vec<String> = rows
                .iter()
                .filter(|t| t.id != done.id)
                .map(|t| t.id.clone())
                .collect();
            tasks.sort();
            want.sort();
            assert_eq!(tasks, want, "the running and the two pending tasks");
            assert!(tasks.contains(&running.id));
            for t in &rows {
                let expected = if t.id == done.id {
                    "SUCCESS"
                } else {
                    "CANCELLED"
                };
                assert_eq!(t.status, expected, "{}", t.id);
            }
            let cancelled = store.job(&job.id).await.expect("job").expect("exists");
            assert_eq!(cancelled.status(), JobStatus::Cancelled);
            assert_eq!(cancelled.progress_total, 25, "one of four tasks succeeded");
            assert!(cancelled.finished_at.is_some());
            // The worker that held the running task cannot record over it.
            let mut w = store.write().await.expect("write");
            assert!(
                !w.finish_task(&running.id, &job.id, "w1", &success())
                    .await
                    .expect("finish")
            );
            assert_eq!(
                w.cancel_job(&job.id).await.expect("cancel"),
                CancelOutcome::AlreadyFinished(JobStatus::Cancelled)
            );
        }
    }

    #[tokio::test]
    async fn a_transaction_commits_more_events_than_one_statement_can_bind() {
        for (_t, store, job) in stores_with_job(1).await {
            let mut w = store.write().await.expect("write");
            // 11 bound values per event: past SQLite's 32766 in one INSERT.
            let n = 3001;
            for i in 0..n {
                w.insert_event(event(&job, &format!("e{i}")));
            }
            let rows = w.commit().await.expect("commit");
            assert_eq!(rows.len(), n);
            assert!(rows.windows(2).all(|p| p[0].id < p[1].id), "in id order");
            assert!(
                rows.iter()
                    .enumerate()
                    .all(|(i, r)| r.message == format!("e{i}"))
            );
            let logged = store
                .events_after(&job.id, 0, 10_000)
                .await
                .expect("events");
            assert_eq!(logged.len(), n);
        }
    }

    #[tokio::test]
    async fn a_batch_claim_takes_expired_leases_first_then_the_oldest_in_queue_order() {
        for (_t, store, job) in stores_with_job(6).await {
            let backend = store.backend().as_str();
            let positions = |tasks: &[(ImageTaskRow, bool)]| -> Vec<i64> {
                tasks.iter().map(|(t, _)| t.position).collect()
            };
            // A worker that dies right after claiming two: leases already over.
            let mut w = store.write().await.expect("write");
            let dead = w
                .claim_tasks("node-a/w0", Duration::ZERO, 2)
                .await
                .expect("claim");
            w.commit().await.expect("commit");
            assert_eq!(positions(&dead), [0, 1], "{backend}");
            assert_eq!(
                dead.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
                [true, false],
                "{backend}: the job starts once, with its first task"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;

            let mut w = store.write().await.expect("write");
            let taken = w.claim_tasks("node-b/w0", LEASE, 3).await.expect("claim");
            w.commit().await.expect("commit");
            assert_eq!(positions(&taken), [0, 1, 2], "{backend}: expired first");
            assert!(taken.iter().all(|(_, started)| !started), "{backend}");
            assert_eq!(
                taken.iter().map(|(t, _)| t.attempts).collect::<Vec<_>>(),
                [2, 2, 1],
                "{backend}"
            );

            let mut w = store.write().await.expect("write");
            let rest = w.claim_tasks("node-c/w0", LEASE, 10).await.expect("claim");
            assert!(
                w.claim_tasks("node-c/w1", LEASE, 10)
                    .await
                    .expect("claim")
                    .is_empty(),
                "{backend}: nothing left"
            );
            w.commit().await.expect("commit");
            assert_eq!(positions(&rest), [3, 4, 5], "{backend}");

            // A renewal extends every lease its worker holds, none other.
            let before = store.tasks_of_job(&job.id).await.expect("tasks");
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert!(
                store
                    .renew(&lease::IMAGE_TASKS, "node-b/w0", LEASE)
                    .await
                    .expect("renew")
            );
            let after = store.tasks_of_job(&job.id).await.expect("tasks");
            for (b, a) in before.iter().zip(&after) {
                let held = a.lease_owner.as_deref() == Some("node-b/w0");
                assert_eq!(
                    a.lease_expires_ms > b.lease_expires_ms,
                    held,
                    "{backend}: task {} renewed only when node-b holds it",
                    a.position
                );
            }
            assert!(
                !store
                    .renew(&lease::IMAGE_TASKS, "node-a/w0", LEASE)
                    .await
                    .expect("renew"),
                "{backend}: a worker whose leases were taken holds nothing to renew"
            );

            // A worker gives back what it claimed and did not start, and
            // only what it holds.
            let ids: Vec<&str> = rest.iter().map(|(t, _)| t.id.as_str()).collect();
            let mut w = store.write().await.expect("write");
            assert_eq!(
                w.release_tasks(&ids[1..], "node-b/w0")
                    .await
                    .expect("release")
                    .len(),
                0,
                "{backend}: not node-b's"
            );
            assert_eq!(
                w.release_tasks(&ids[1..], "node-c/w0")
                    .await
                    .expect("release"),
                ids[1..],
                "{backend}"
            );
            w.commit().await.expect("commit");
            let tasks = store.tasks_of_job(&job.id).await.expect("tasks");
            for t in &tasks[4..] {
                assert_eq!(
                    (t.status.as_str(), t.attempts, t.lease_owner.as_deref()),
                    ("PENDING", 0, None),
                    "{backend}"
                );
                assert!(t.started_at.is_none(), "{backend}: it never ran");
            }
            let mut w = store.write().await.expect("write");
            let again = w.claim_tasks("node-d/w0", LEASE, 10).await.expect("claim");
            w.commit().await.expect("commit");
            assert_eq!(positions(&again), [4, 5], "{backend}");
            assert!(again.iter().all(|(t, _)| t.attempts == 1), "{backend}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_claimers_take_every_task_exactly_once() {
        const TASKS: usize = 300;
        for (_t, store, job) in stores_with_job(TASKS).await {
            // Eight workers claiming and finishing at once, each in its own
            // transactions: on PostgreSQL they really run side by side.
            let workers: Vec<_> = (0..8)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let worker = format!("node/w{w}");
                        let mut mine = Vec::new();
                        // Batches of one to four, as workers claim them.
                        let batch = w % 4 + 1;
                        loop {
                            let mut tx = store.write().await.expect("write");
                            let tasks = tx.claim_tasks(&worker, LEASE, batch).await.expect("claim");
                            if tasks.is_empty() {
                                break;
                            }
                            assert!(tasks.len() <= batch, "at most the batch asked for");
                            // Hold the claim a moment, as a render would, so
                            // other claimers run into it.
                            tokio::time::sleep(Duration::from_millis(3)).await;
                            for (task, _) in tasks {
                                assert!(
                                    tx.finish_task(&task.id, &task.job_id, &worker, &success())
                                        .await
                                        .expect("finish"),
                                    "the claimer holds its task"
                                );
                                mine.push(task.id);
                            }
                            tx.commit().await.expect("commit");
                        }
                        mine
                    })
                })
                .collect();
            let mut claimed: Vec<String> = Vec::new();
            for w in workers {
                claimed.extend(w.await.expect("worker"));
            }
            let backend = store.backend().as_str();
            assert_eq!(claimed.len(), TASKS, "{backend}: every task claimed once");
            claimed.sort();
            claimed.dedup();
            assert_eq!(claimed.len(), TASKS, "{backend}: no task claimed twice");
            let rows = store.tasks_of_job(&job.id).await.expect("tasks");
            assert!(
                rows.iter()
                    .all(|t| t.status == "SUCCESS" && t.attempts == 1),
                "{backend}: one attempt each"
            );
        }
    }
}
