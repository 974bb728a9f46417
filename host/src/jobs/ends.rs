//! A claimed task's end: what its render comes to, and writing a
//! batch's ends (its files, its rows, its events, its jobs' finalisation,
//! the tasks it gives back and the worker's next claim) in one
//! transaction, retried while the leases last.

use std::time::{Duration, Instant};

use serde_json::json;

use super::render::{File, Rendered, TaskError, name_files};
use super::{JobService, task_event};
use crate::error::{ErrorCode, Result};
use crate::events::{kind, level};
use crate::store::model::ImageTaskRow;
use crate::store::{CachedRender, NewEvent, TaskOutcome};

/// The first pause before a failed write of a task's end is tried again;
/// pauses double up to the maximum.
const WRITE_RETRY_FIRST_PAUSE: Duration = Duration::from_millis(50);
const WRITE_RETRY_MAX_PAUSE: Duration = Duration::from_secs(2);

/// A task run whose end is not written yet.
pub(super) struct Ended {
    task: ImageTaskRow,
    outcome: TaskOutcome,
    /// A fresh render to store in the result cache with the task's end.
    fresh: Option<(String, CachedRender)>,
    event: NewEvent,
    /// The render's files, written with its batch's before the ends.
    unstored: Vec<File>,
}

impl Ended {
    /// Names the files written for this end by their sha256s, in its
    /// fresh render's cache record and in its outcome (only a fresh
    /// render has files to write).
    fn stored(&mut self, shas: &[String]) {
        let files = std::mem::take(&mut self.unstored);
        let Some((_, cached)) = &mut self.fresh else {
            return;
        };
        name_files(cached, &files, shas);
        if let TaskOutcome::Success {
            png_sha256,
            svg_sha256,
            ..
        } = &mut self.outcome
        {
            png_sha256.clone_from(&cached.png_sha256);
            svg_sha256.clone_from(&cached.svg_sha256);
        }
    }

    fn took(&self) -> Duration {
        let ms = match &self.outcome {
            TaskOutcome::Success { duration_ms, .. } | TaskOutcome::Failed { duration_ms, .. } => {
                *duration_ms
            }
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }
}

impl JobService {
    /// What a task's render (or the storing of its files) that took
    /// `took` comes to: its end to write, or nothing when it was queued
    /// again or cancelled.
    pub(super) async fn conclude(
        &self,
        worker: &str,
        task: ImageTaskRow,
        outcome: std::result::Result<Rendered, TaskError>,
        took: Duration,
    ) -> Option<Ended> {
        let duration_ms = took.as_millis() as i64;
        match outcome {
            Ok(done) => {
                let cache_hit = done.cache_hit();
                self.metrics
                    .observe_render(&task.algorithm_key, took, cache_hit);
                let event = task_event(
                    &task,
                    kind::DONE,
                    level::INFO,
                    format!(
                        "{} done{}",
                        task.algorithm_key,
                        if cache_hit { " (cached)" } else { "" }
                    ),
                    Some(100),
                    json!({
                        "algorithm_key": task.algorithm_key,
                        "algorithm_version": done.version,
                        "plugin_sha256": done.sha256,
                        "cache_hit": cache_hit,
                        "duration_ms": duration_ms,
                    }),
                );
                let outcome = TaskOutcome::Success {
                    algorithm_version: done.version,
                    plugin_sha256: done.sha256,
                    png_sha256: done.cached.png_sha256.clone(),
                    svg_sha256: done.cached.svg_sha256.clone(),
                    chart_data: done.cached.chart_data.clone(),
                    warnings: done.cached.warnings.clone(),
                    plugin_logs: done.logs.to_string(),
                    cache_hit,
                    duration_ms,
                };
                let fresh = done.store_as.map(|key| (key, done.cached));
                Some(Ended {
                    task,
                    outcome,
                    fresh,
                    event,
                    unstored: done.unstored,
                })
            }
            Err(TaskError::Transient(e)) if task.attempts < self.config.max_attempts => {
                tracing::warn!(task = %task.id, error = %e, "transient failure, re-queued");
                let event = task_event(
                    &task,
                    kind::PROGRESS,
                    level::WARNING,
                    format!("{} will be retried: {}", task.algorithm_key, e.message),
                    Some(0),
                    json!({"retry": true, "attempt": task.attempts}),
                );
                if let Err(e) = self.requeue(worker, &task, &e.message, event).await {
                    tracing::error!(task = %task.id, error = %e, "re-queueing failed; the task runs again when its lease expires");
                }
                self.wake.notify_one();
                None
            }
            Err(TaskError::Transient(e) | TaskError::Final(e, ..))
                if e.code == ErrorCode::PluginCancelled =>
            {
                // The job was cancelled under us; cancel_job recorded it.
                None
            }
            Err(err) => {
                let (e, version, sha, logs) = match err {
                    TaskError::Final(e, version, sha, logs) => (e, version, sha, logs),
                    TaskError::Transient(e) => (e, None, None, None),
                };
                self.metrics.observe_failure(&task.algorithm_key, e.code);
                let event_type = if e.code.as_str().starts_with("PLUGIN_") {
                    kind::ALGORITHM_ERROR
                } else {
                    kind::ERROR
                };
                let event = task_event(
                    &task,
                    event_type,
                    level::ERROR,
                    format!("{} failed: {}", task.algorithm_key, e.message),
                    Some(100),
                    json!({"algorithm_key": task.algorithm_key, "error_code": e.code.as_str(), "error_message": e.message}),
                );
                let outcome = TaskOutcome::Failed {
                    algorithm_version: version,
                    plugin_sha256: sha,
                    error_code: e.code.as_str().to_string(),
                    error_message: e.message,
                    plugin_logs: logs.map(|l| l.to_string()),
                    duration_ms,
                };
                Some(Ended {
                    task,
                    outcome,
                    fresh: None,
                    event,
                    unstored: Vec::new(),
                })
            }
        }
    }

    /// Writes the ends of `ended` with their events (those `worker` still
    /// holds: a task cancelled or re-claimed meanwhile keeps its state),
    /// the fresh renders, each job's finalisation once, gives the tasks of
    /// `give_back` back to the queue, and claims up to `claim` next tasks,
    /// all in one transaction. The claim rides on the
    /// first try only, so a retry is as small as it can be (the worker's
    /// loop claims once the ends are in). A write that keeps failing
    /// until the leases end is dropped: the tasks run again once their
    /// leases have expired.
    pub(super) async fn write_ends(
        &self,
        worker: &str,
        ended: Vec<Ended>,
        give_back: Vec<ImageTaskRow>,
        claim: usize,
    ) -> Vec<ImageTaskRow> {
        let mut ended = self.store_files(worker, ended).await;
        // Jobs' rows are locked (PostgreSQL) in the order their tasks end
        // here; every batch taking them in id order keeps two batches from
        // waiting on each other. Stable, so a job's events keep the order
        // its tasks ran in.
        ended.sort_by(|a, b| a.task.job_id.cmp(&b.task.job_id));
        let Some(soonest) = ended
            .iter()
            .map(|e| &e.task)
            .chain(&give_back)
            .min_by_key(|t| t.lease_expires_ms)
        else {
            return Vec::new();
        };
        let lease_ends = Instant::now() + lease_left(soonest, self.config.lease);
        let give_back_ids: Vec<&str> = give_back.iter().map(|t| t.id.as_str()).collect();
        // Not this worker's any more, whether or not the release is
        // written (unwritten, their leases run out).
        self.let_go(give_back_ids.iter().copied());
        let written = self
            .while_leased(lease_ends, |first_try| {
                let (ended, give_back, give_back_ids) = (&ended, &give_back, &give_back_ids);
                async move {
                    let mut w = self.store.write().await?;
                    let fresh: Vec<(&str, &CachedRender)> = ended
                        .iter()
                        .filter_map(|e| e.fresh.as_ref().map(|(k, c)| (k.as_str(), c)))
                        .collect();
                    w.put_cached_renders(&fresh).await?;
                    let ends: Vec<(&str, &str, &TaskOutcome)> = ended
                        .iter()
                        .map(|e| (e.task.id.as_str(), e.task.job_id.as_str(), &e.outcome))
                        .collect();
                    let succeeded = w.finish_successes(worker, &ends).await?;
                    let mut jobs: Vec<&str> = Vec::new();
                    for e in ended {
                        let written = match e.outcome {
                            TaskOutcome::Success { .. } => succeeded.contains(&e.task.id),
                            TaskOutcome::Failed { .. } => {
                                w.finish_task(&e.task.id, &e.task.job_id, worker, &e.outcome)
                                    .await?
                            }
                        };
                        if written {
                            w.insert_event(e.event.clone());
                            if jobs.last() != Some(&e.task.job_id.as_str()) {
                                jobs.push(&e.task.job_id);
                            }
                        }
                    }
                    for job_id in jobs {
                        self.finalize_in(&mut w, job_id).await?;
                    }
                    // Their START is in the log: so is their going back,
                    // before the START of whoever runs them.
                    let released = w.release_tasks(give_back_ids, worker).await?;
                    for t in give_back.iter().filter(|t| released.contains(&t.id)) {
                        w.insert_event(task_event(
                            t,
                            kind::PROGRESS,
                            level::INFO,
                            format!("{} queued again: its batch ran long", t.algorithm_key),
                            Some(0),
                            json!({"algorithm_key": t.algorithm_key, "released": true}),
                        ));
                    }
                    let next = if claim > 0 && first_try {
                        self.claim_in(&mut w, worker, claim).await?
                    } else {
                        Vec::new()
                    };
                    self.commit_claimed(w, &next).await?;
                    Ok(next)
                }
            })
            .await;
        written.unwrap_or_else(|e| {
            let ids: Vec<&str> = ended.iter().map(|e| e.task.id.as_str()).collect();
            tracing::error!(tasks = ?ids, error = %e, "recording results failed; the tasks run again when their leases expire");
            Vec::new()
        })
    }

    /// Writes the files of the fresh renders in `ended` at once (on
    /// PostgreSQL a write per chart was a round trip per chart), before
    /// their ends name them. If that fails, those tasks fail as a storage
    /// error: queued again while attempts remain.
    async fn store_files(&self, worker: &str, mut ended: Vec<Ended>) -> Vec<Ended> {
        let files: Vec<File> = ended
            .iter()
            .flat_map(|e| e.unstored.iter().cloned())
            .collect();
        if files.is_empty() {
            return ended;
        }
        match self.store.blobs().put_many(files).await {
            Ok(shas) => {
                let mut at = 0;
                for e in &mut ended {
                    let n = e.unstored.len();
                    e.stored(&shas[at..at + n]);
                    at += n;
                }
                ended
            }
            Err(err) => {
                let mut out = Vec::with_capacity(ended.len());
                for e in ended {
                    if e.unstored.is_empty() {
                        out.push(e);
                        continue;
                    }
                    let took = e.took();
                    let failed = Err(TaskError::Transient(err.clone()));
                    out.extend(self.conclude(worker, e.task, failed, took).await);
                }
                out
            }
        }
    }

    async fn requeue(
        &self,
        worker: &str,
        task: &ImageTaskRow,
        reason: &str,
        event: NewEvent,
    ) -> Result<()> {
        let lease_ends = Instant::now() + lease_left(task, self.config.lease);
        self.while_leased(lease_ends, |_| {
            let event = event.clone();
            async move {
                let mut w = self.store.write().await?;
                if w.requeue_task(&task.id, worker, reason).await? {
                    w.insert_event(event);
                }
                self.events.commit(w).await
            }
        })
        .await
    }

    /// Runs `write` (told whether it is the first try) until it succeeds,
    /// fails with an error that is not transient, or the lease would end
    /// (at `lease_ends`) before the next try. A task's end that could not
    /// be written (the database restarting, busy past its timeout, a full
    /// disk freed a moment later) would otherwise be lost, and its job
    /// kept waiting for the lease to expire and the chart drawn again.
    /// Past the lease another worker may have re-claimed the task, and the
    /// write's lease-owner guard would rightly refuse it anyway. An error
    /// that is not transient would only fail again.
    async fn while_leased<T, F: Future<Output = Result<T>>>(
        &self,
        lease_ends: Instant,
        write: impl Fn(bool) -> F,
    ) -> Result<T> {
        let mut err = match write(true).await {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        let mut pause = WRITE_RETRY_FIRST_PAUSE;
        while err.code == ErrorCode::DatabaseUnavailable && Instant::now() + pause < lease_ends {
            tracing::warn!(error = %err, retry_in_ms = pause.as_millis() as u64, "writing a task's end failed; retrying");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(WRITE_RETRY_MAX_PAUSE);
            match write(false).await {
                Ok(done) => return Ok(done),
                Err(e) => err = e,
            }
        }
        Err(err)
    }
}

/// How long `task`'s lease has left, from the expiry its claim stored
/// (`lease` when the row carries none).
fn lease_left(task: &ImageTaskRow, lease: Duration) -> Duration {
    match task.lease_expires_ms {
        Some(expires) => {
            Duration::from_millis(u64::try_from(expires - crate::store::now_ms()).unwrap_or(0))
        }
        None => lease,
    }
}

#[cfg(test)]
mod tests {
    use crate::jobs::test_service;
    use crate::store::{test_job, test_stores};

    /// A batch that gives back the tasks it did not start logs that it
    /// did: a task's log never shows it started twice in a row.
    #[tokio::test]
    async fn tasks_given_back_by_their_batch_are_pending_again_and_say_so() {
        for t in test_stores().await {
            let backend = t.store.backend().as_str();
            let plugins = tempfile::tempdir().expect("temp dir");
            let jobs = test_service(&t.store, plugins.path());
            let job = test_job(&t.store, 3).await;
            let claimed = jobs.claim("node-a/w0", 3).await.expect("claim");
            assert_eq!(claimed.len(), 3);
            let next = jobs
                .write_ends("node-a/w0", Vec::new(), claimed[1..].to_vec(), 0)
                .await;
            assert!(next.is_empty());
            let tasks = t.store.tasks_of_job(&job.id).await.expect("tasks");
            let states: Vec<(&str, i64)> = tasks
                .iter()
                .map(|t| (t.status.as_str(), t.attempts))
                .collect();
            assert_eq!(
                states,
                [("RUNNING", 1), ("PENDING", 0), ("PENDING", 0)],
                "{backend}"
            );
            let events = t.store.events_after(&job.id, 0, 100).await.expect("events");
            for (i, task) in claimed.iter().enumerate() {
                let log: Vec<&str> = events
                    .iter()
                    .filter(|e| e.task_id.as_deref() == Some(task.id.as_str()))
                    .map(|e| e.event_type.as_str())
                    .collect();
                let expected: &[&str] = if i == 0 {
                    &["START"]
                } else {
                    &["START", "PROGRESS"]
                };
                assert_eq!(log, expected, "{backend}: task {i}");
            }
            assert_eq!(jobs.running_here(), 0);
        }
    }
}
