//! The queue's write transactions. A task's result, its event, its job's
//! finalisation and the worker's next claim (with that task's start
//! event) commit together: one turn of the single writer per task instead
//! of one per statement, and no state in which a task has ended but its
//! job has not heard.

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

/// How a task's end is written. `$n + 1` after the last of the
/// statement's own binds is the job's id, for the locking forms.
macro_rules! finish_sql {
    (success $($lock:literal)?) => {
        concat!(
            $($lock,)?
            "UPDATE image_tasks SET status = 'SUCCESS', progress = 100, algorithm_version = $1, plugin_sha256 = $2, \
             png_sha256 = $3, svg_sha256 = $4, chart_data = $5, warnings = $6, plugin_logs = $7, cache_hit = $8, \
             duration_ms = $9, error_code = NULL, error_message = NULL, lease_owner = NULL, lease_expires_ms = NULL, \
             updated_at = $10, finished_at = $11 WHERE id = $12 AND status = 'RUNNING' AND lease_owner = $13"
        )
    };
    (failed $($lock:literal)?) => {
        concat!(
            $($lock,)?
            "UPDATE image_tasks SET status = 'FAILED', progress = 100, algorithm_version = COALESCE($1, algorithm_version), \
             plugin_sha256 = COALESCE($2, plugin_sha256), error_code = $3, error_message = $4, plugin_logs = $5, \
             duration_ms = $6, lease_owner = NULL, lease_expires_ms = NULL, updated_at = $7, finished_at = $8 \
             WHERE id = $9 AND status = 'RUNNING' AND lease_owner = $10"
        )
    };
}

const FINISH_SUCCESS: &str = finish_sql!(success);
const FINISH_FAILED: &str = finish_sql!(failed);
const FINISH_SUCCESS_LOCKING_JOB: &str = concat!(
    finish_sql!(success "WITH j AS (SELECT id FROM jobs WHERE id = $14 FOR NO KEY UPDATE) "),
    " AND EXISTS (SELECT 1 FROM j)"
);
const FINISH_FAILED_LOCKING_JOB: &str = concat!(
    finish_sql!(failed "WITH j AS (SELECT id FROM jobs WHERE id = $11 FOR NO KEY UPDATE) "),
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

    /// Atomically claims the oldest runnable task: pending, or running with
    /// an expired lease (its worker died). Marks the job RUNNING.
    /// Returns the task and whether its job just started.
    pub async fn claim_task(
        &mut self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<(ImageTaskRow, bool)>> {
        let now_ms = now_ms();
        let ts = now();
        // Two lookups, each walking the queue index from its status (an
        // OR of the two would scan every task ever queued): abandoned
        // leases first, as they are the oldest work, then pending tasks.
        // On PostgreSQL the claim also marks its job running, in the same
        // statement (one round trip fewer per task).
        let pg = self.db.backend == super::Backend::Postgres;
        let sql = if pg {
            lease::IMAGE_CLAIM_STARTING_JOB_POSTGRES
        } else {
            self.db.sql(lease::IMAGE_TASKS.claim(self.db.backend))
        };
        let row = sqlx::query(sql)
            .bind(worker)
            .bind(now_ms + lease.as_millis() as i64)
            .bind(&ts)
            .bind(now_ms)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let task = ImageTaskRow::from_row(&row).map_err(db)?;
        if pg {
            let started: i64 = row.try_get("job_started").map_err(db)?;
            return Ok(Some((task, started > 0)));
        }
        let started = self
            .changes_one(
                sqlx::query(self.db.sql("UPDATE jobs SET status = 'RUNNING', updated_at = $1 WHERE id = $2 AND status = 'PENDING'"))
                    .bind(&ts)
                    .bind(&task.job_id),
            )
            .await?;
        Ok(Some((task, started)))
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
        let ts = now();
        let pg = self.db.backend == super::Backend::Postgres;
        // On PostgreSQL the job's row is locked in the same statement, for
        // `finalize_job` (see there), which then needs no round trip of
        // its own for it. The CTE's lock is an uncorrelated subquery of
        // the WHERE: evaluated once, before the task's row is written.
        let (success_sql, failed_sql) = if pg {
            (FINISH_SUCCESS_LOCKING_JOB, FINISH_FAILED_LOCKING_JOB)
        } else {
            (FINISH_SUCCESS, FINISH_FAILED)
        };
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
            } => sqlx::query(self.db.sql(success_sql))
                .bind(algorithm_version)
                .bind(plugin_sha256)
                .bind(png_sha256)
                .bind(svg_sha256)
                .bind(chart_data)
                .bind(warnings)
                .bind(plugin_logs)
                .bind(i64::from(*cache_hit))
                .bind(duration_ms),
            TaskOutcome::Failed {
                algorithm_version,
                plugin_sha256,
                error_code,
                error_message,
                plugin_logs,
                duration_ms,
            } => sqlx::query(self.db.sql(failed_sql))
                .bind(algorithm_version)
                .bind(plugin_sha256)
                .bind(error_code)
                .bind(error_message)
                .bind(plugin_logs)
                .bind(duration_ms),
        };
        let mut q = q.bind(&ts).bind(&ts).bind(task_id).bind(worker);
        if pg {
            q = q.bind(job_id);
            self.locked_jobs.push(job_id.to_string());
        }
        self.changes_one(q).await
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

    pub async fn put_cached_render(&mut self, key: &str, r: &CachedRender) -> Result<()> {
        sqlx::query(
            self.db.sql("INSERT INTO render_cache (cache_key, png_sha256, svg_sha256, chart_data, warnings, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(cache_key) DO NOTHING"),
        )
        .bind(key)
        .bind(&r.png_sha256)
        .bind(&r.svg_sha256)
        .bind(&r.chart_data)
        .bind(&r.warnings)
        .bind(now())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;
    use crate::dataset::Dataset;
    use crate::events::{EventBus, level};
    use crate::store::Backend;
    use crate::store::model::{JobRow, OutputFormat};
    use crate::store::{NewImageTask, NewJob, TestStore, test_stores};

    const LEASE: Duration = Duration::from_secs(30);

    /// A job of `tasks` tasks in each backend's store.
    async fn stores_with_job(tasks: usize) -> Vec<(TestStore, Store, JobRow)> {
        let mut out = Vec::new();
        for t in test_stores().await {
            let store = t.store.clone();
            let job = job_in(&store, tasks).await;
            out.push((t, store, job));
        }
        out
    }

    async fn job_in(store: &Store, tasks: usize) -> JobRow {
        let user = store.ensure_user("ana", false).await.expect("user");
        let dataset = Dataset {
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
            params: json!({}),
            output_format: OutputFormat::Both,
        };
        let (job, created_tasks) = store
            .create_job(&NewJob {
                dataset_id: row.id,
                created_by: user.id,
                idempotency_key: None,
                visualization_config: json!({}),
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
        w.claim_task(worker, LEASE)
            .await
            .expect("claim")
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
                while let Some((task, _)) = w.claim_task("w0", LEASE).await.expect("claim") {
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
                        loop {
                            let mut tx = store.write().await.expect("write");
                            let Some((task, _)) =
                                tx.claim_task(&worker, LEASE).await.expect("claim")
                            else {
                                break;
                            };
                            // Hold the claim a moment, as a render would, so
                            // other claimers run into it.
                            tokio::time::sleep(Duration::from_millis(3)).await;
                            assert!(
                                tx.finish_task(&task.id, &task.job_id, &worker, &success())
                                    .await
                                    .expect("finish"),
                                "the claimer holds its task"
                            );
                            tx.commit().await.expect("commit");
                            mine.push(task.id);
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
