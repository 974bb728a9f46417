//! The queue's write transactions. A task's result, its event, its job's
//! finalisation and the worker's next claim (with that task's start
//! event) commit together: one turn of the single writer per task instead
//! of one per statement, and no state in which a task has ended but its
//! job has not heard.

use std::time::Duration;

use super::{
    CachedRender, CancelOutcome, Finalized, NewEvent, Store, TaskOutcome, db, insert_events_on,
    now, now_ms,
};
use crate::error::Result;
use crate::jobs::model::{EventRow, ImageTaskRow, JobStatus};

/// A transaction on the writer connection, begun `IMMEDIATE`. Dropped
/// without [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    /// Inserted together at commit: nothing in a write transaction reads
    /// the event log, and one statement is one round trip.
    events: Vec<NewEvent>,
}

impl Store {
    pub async fn write(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.begin_immediate().await?,
            events: Vec::new(),
        })
    }
}

impl WriteTx {
    /// Appends the events, commits, and returns the events' rows in
    /// order: they may be published now that they are durable.
    pub async fn commit(mut self) -> Result<Vec<EventRow>> {
        let rows = insert_events_on(&mut self.tx, &self.events).await?;
        self.tx.commit().await.map_err(db)?;
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
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db)?;
        let Some(task) = task else {
            return Ok(None);
        };
        let started = self
            .changes_one(
                sqlx::query("UPDATE jobs SET status = 'RUNNING', updated_at = ? WHERE id = ? AND status = 'PENDING'")
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
        self.changes_one(q.bind(&ts).bind(&ts).bind(task_id).bind(worker))
            .await
    }

    /// Gives a task back to the queue after a transient host error.
    pub async fn requeue_task(
        &mut self,
        task_id: &str,
        worker: &str,
        reason: &str,
    ) -> Result<bool> {
        self.changes_one(
            sqlx::query(
                "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, lease_expires_ms = NULL, \
                 error_message = ?, updated_at = ? WHERE id = ? AND status = 'RUNNING' AND lease_owner = ?",
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
    async fn changes_one(
        &mut self,
        q: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<bool> {
        let n = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        Ok(n == 1)
    }

    /// If no task of the job is pending or running, sets its final status
    /// (SUCCESS / PARTIAL_SUCCESS / FAILED), 100% and a finish time;
    /// otherwise recomputes its progress. One statement: the task counts
    /// come from a subquery and the outcome from `RETURNING`. Only a job
    /// still pending or running changes, so exactly one caller ends it.
    pub async fn finalize_job(&mut self, job_id: &str) -> Result<Finalized> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "UPDATE jobs SET \
                 status = CASE WHEN a.active > 0 THEN jobs.status \
                               WHEN a.total > 0 AND a.succeeded = a.total THEN 'SUCCESS' \
                               WHEN a.succeeded > 0 THEN 'PARTIAL_SUCCESS' ELSE 'FAILED' END, \
                 progress_total = CASE WHEN a.active > 0 THEN a.progress ELSE 100 END, \
                 updated_at = ?2, \
                 finished_at = CASE WHEN a.active > 0 THEN jobs.finished_at ELSE ?2 END \
             FROM (SELECT COALESCE(SUM(status IN ('PENDING', 'RUNNING')), 0) AS active, \
                          COALESCE(SUM(status = 'SUCCESS'), 0) AS succeeded, COUNT(*) AS total, \
                          COALESCE(CAST(AVG(CASE WHEN status IN ('SUCCESS', 'FAILED', 'CANCELLED') \
                                                 THEN 100 ELSE progress END) AS INTEGER), 0) AS progress \
                   FROM image_tasks WHERE job_id = ?1) AS a \
             WHERE jobs.id = ?1 AND jobs.status IN ('PENDING', 'RUNNING') \
             RETURNING jobs.status, jobs.progress_total, jobs.trace_id",
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
                sqlx::query(
                    "UPDATE jobs SET status = 'CANCELLED', updated_at = ?1, finished_at = ?1 \
                     WHERE id = ?2 AND status IN ('PENDING', 'RUNNING')",
                )
                .bind(&ts)
                .bind(job_id),
            )
            .await?;
        if !cancelled {
            let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = ?")
                .bind(job_id)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(db)?;
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
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "UPDATE jobs SET progress_total = (SELECT COALESCE(CAST(AVG(CASE WHEN status = 'SUCCESS' \
             THEN 100 ELSE 0 END) AS INTEGER), 0) FROM image_tasks WHERE job_id = ?1) WHERE id = ?1",
        )
        .bind(job_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(CancelOutcome::Cancelled { tasks })
    }

    pub async fn put_cached_render(&mut self, key: &str, r: &CachedRender) -> Result<()> {
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
    use crate::events::EventBus;
    use crate::jobs::model::{JobRow, OutputFormat};
    use crate::store::{NewImageTask, NewJob};

    const LEASE: Duration = Duration::from_secs(30);

    async fn store_with_job(tasks: usize) -> (tempfile::TempDir, Store, JobRow) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("store opens");
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
        (dir, store, job)
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
            level: "info",
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
        let (_dir, store, job) = store_with_job(2).await;
        let bus = EventBus::new(store.clone());
        let mut rx = bus.subscribe();

        let mut w = store.write().await.expect("write");
        let (claimed, started) = claim(&mut w, "w0").await;
        assert!(started, "the first claim starts the job");
        w.insert_event(event(&job, "lost"));
        drop(w);
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
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
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        bus.commit(w).await.expect("commit");
        let a = rx.try_recv().expect("published");
        let b = rx.try_recv().expect("published");
        assert_eq!(
            (a.message.as_str(), b.message.as_str()),
            ("first", "second")
        );
        assert!(a.id < b.id);
        let logged = store.events_after(&job.id, 0, 10).await.expect("events");
        assert_eq!(
            logged.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![a.id, b.id]
        );
    }

    #[tokio::test]
    async fn reads_cannot_write() {
        let (_dir, store, _job) = store_with_job(1).await;
        let err = sqlx::query("DELETE FROM jobs")
            .execute(&store.pool)
            .await
            .expect_err("the read pool is read-only");
        assert!(err.to_string().contains("readonly"), "{err}");
    }

    #[tokio::test]
    async fn finalize_ends_a_job_once_with_the_status_its_tasks_earned() {
        let cases: [(&[bool], JobStatus); 3] = [
            (&[true, true, true], JobStatus::Success),
            (&[true, false, true], JobStatus::PartialSuccess),
            (&[false, false, false], JobStatus::Failed),
        ];
        for (outcomes, expected) in cases {
            let (_dir, store, job) = store_with_job(outcomes.len()).await;
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
                assert!(w.finish_task(id, "w0", &outcome).await.expect("finish"));
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

    #[tokio::test]
    async fn cancelling_takes_unfinished_tasks_only_and_happens_once() {
        let (_dir, store, job) = store_with_job(4).await;
        let mut w = store.write().await.expect("write");
        let (done, _) = claim(&mut w, "w0").await;
        let (running, _) = claim(&mut w, "w1").await;
        assert!(
            w.finish_task(&done.id, "w0", &success())
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
        let CancelOutcome::Cancelled { mut tasks } = w.cancel_job(&job.id).await.expect("cancel")
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
            !w.finish_task(&running.id, "w1", &success())
                .await
                .expect("finish")
        );
        assert_eq!(
            w.cancel_job(&job.id).await.expect("cancel"),
            CancelOutcome::AlreadyFinished(JobStatus::Cancelled)
        );
    }

    #[tokio::test]
    async fn a_transaction_commits_more_events_than_one_statement_can_bind() {
        let (_dir, store, job) = store_with_job(1).await;
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
