//! The queue's workers. A worker claims tasks, runs each to a terminal
//! state (or back to the queue on a transient error), and writes their
//! ends, their jobs' finalisation and its next claim in one transaction
//! (`ends.rs`).
//!
//! Charts that take milliseconds to draw are claimed and written several
//! at a time: a transaction, its events and its wake-ups cost about as
//! much as such a chart, so one per chart would halve what a node gets
//! through. How many is set by how long the worker's recent tasks took
//! ([`Pace`]): a batch is meant to last a few tens of milliseconds, so
//! results are never held back for longer, and charts that take longer
//! than that are claimed one by one, leaving the rest of the queue to
//! other workers.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use super::ends::Ended;
use super::render::Prepared;
use super::{JobService, job_status_event, task_event};
use crate::error::Result;
use crate::events::{kind, level};
use crate::store::WriteTx;
use crate::store::model::{ImageTaskRow, JobStatus};

/// How long a batch of claimed tasks is meant to take to run: what a
/// result may wait for its batch-mates before it is written.
const BATCH_SPAN: Duration = Duration::from_millis(25);
/// The most tasks claimed at once: the queue's other workers and nodes
/// keep a share of a burst, and a batch's transaction stays small.
const MAX_BATCH: usize = 32;
/// A batch still running this long after its claim gives back the tasks
/// it has not started (checked between tasks), and writes the ends it
/// has: a chart far slower than the pace foretold neither holds back its
/// batch-mates' results nor keeps the rest of the batch from other
/// workers.
const OVERRUN: Duration = Duration::from_millis(50);

/// A worker's recent task time, as a moving average, and the batch it
/// implies. No figure yet means one task at a time: the first chart may
/// be a plugin compiled on first use.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Pace {
    mean: Option<Duration>,
}

impl Pace {
    pub fn observe(&mut self, took: Duration) {
        // A weight of 1/4: a few slow charts in a row take the batch back
        // to one at once, a run of fast ones builds it up within a batch.
        self.mean = Some(match self.mean {
            None => took,
            Some(m) => (m * 3 + took) / 4,
        });
    }

    pub fn batch(&self) -> usize {
        match self.mean {
            None => 1,
            Some(m) => {
                let fits = BATCH_SPAN.as_micros() / m.as_micros().max(1);
                usize::try_from(fits)
                    .unwrap_or(MAX_BATCH)
                    .clamp(1, MAX_BATCH)
            }
        }
    }
}

impl JobService {
    /// Starts `config.workers` workers; they stop claiming when `shutdown`
    /// turns true and finish the task in hand.
    pub fn spawn_workers(
        self: &Arc<Self>,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let svc = self.clone();
        spawn_named(
            self.config.workers,
            &format!("{}/w", self.config.node_id),
            &shutdown,
            move |worker, shutdown| svc.clone().worker_loop(worker, shutdown),
        )
    }

    async fn worker_loop(self: Arc<Self>, worker: String, mut shutdown: watch::Receiver<bool>) {
        let mut last_sweep = Instant::now();
        let mut pace = Pace::default();
        // Claimed and not yet run, in queue order: claimed in the
        // transaction that wrote the last batch's ends, so a busy worker
        // takes one turn of the writer per batch.
        let mut held: VecDeque<ImageTaskRow> = VecDeque::new();
        // What the held tasks' renders take, resolved for the batch.
        let mut prepared: HashMap<String, Prepared> = HashMap::new();
        let mut ended: Vec<Ended> = Vec::new();
        let mut batch_began = Instant::now();
        loop {
            if *shutdown.borrow() {
                // Tasks claimed but not started are given back by the
                // shutdown's lease release; those run are written now.
                if !ended.is_empty() {
                    self.write_ends(&worker, std::mem::take(&mut ended), Vec::new(), 0)
                        .await;
                }
                self.let_go(held.iter().map(|t| t.id.as_str()));
                break;
            }
            if let Some(task) = held.pop_front() {
                let started = Instant::now();
                let ready = prepared.remove(&task.id);
                if let Some(end) = self.run_task(&worker, task, ready).await {
                    ended.push(end);
                }
                pace.observe(started.elapsed());
                // A batch far slower than its span (the charts were not
                // the fast ones the pace promised: a plugin compiled on
                // first use, a fresh render after cache hits) gives its
                // remaining tasks back, for other workers to run beside
                // this one.
                let overran = !held.is_empty() && batch_began.elapsed() > OVERRUN;
                if held.is_empty() || overran {
                    let give_back: Vec<ImageTaskRow> = held.drain(..).collect();
                    prepared.clear();
                    let claim = if *shutdown.borrow() || overran {
                        0
                    } else {
                        pace.batch()
                    };
                    if !ended.is_empty() || !give_back.is_empty() {
                        let next = self
                            .write_ends(&worker, std::mem::take(&mut ended), give_back, claim)
                            .await;
                        batch_began = Instant::now();
                        self.prepare_held(&next, &mut prepared).await;
                        held.extend(next);
                    }
                }
                continue;
            }
            // Registered before looking at the queue: work submitted between
            // an empty claim and the wait below still wakes this worker
            // (notify_waiters keeps no permit for later waiters).
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.claim(&worker, pace.batch()).await {
                Ok(tasks) if !tasks.is_empty() => {
                    batch_began = Instant::now();
                    self.prepare_held(&tasks, &mut prepared).await;
                    held.extend(tasks);
                }
                Ok(_) => {
                    if last_sweep.elapsed() > Duration::from_secs(5) {
                        last_sweep = Instant::now();
                        if let Err(e) = self.sweep().await {
                            tracing::warn!(error = %e, "sweep failed");
                        }
                    }
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(self.config.poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming a task failed");
                    tokio::time::sleep(self.config.poll).await;
                }
            }
        }
    }

    /// Resolves a batch of more than one task up front (one result-cache
    /// query for all); a task claimed alone resolves as it runs.
    async fn prepare_held(&self, batch: &[ImageTaskRow], prepared: &mut HashMap<String, Prepared>) {
        if batch.len() > 1 {
            prepared.extend(self.prepare_batch(batch).await);
        }
    }

    pub(super) async fn claim(&self, worker: &str, limit: usize) -> Result<Vec<ImageTaskRow>> {
        let mut w = self.store.write().await?;
        let tasks = self.claim_in(&mut w, worker, limit).await?;
        self.commit_claimed(w, &tasks).await?;
        Ok(tasks)
    }

    /// Commits `w`, in which `claimed` were claimed; if it does not
    /// commit, they are not held here.
    pub(super) async fn commit_claimed(&self, w: WriteTx, claimed: &[ImageTaskRow]) -> Result<()> {
        let done = self.events.commit(w).await;
        if done.is_err() {
            self.let_go(claimed.iter().map(|t| t.id.as_str()));
        }
        done
    }

    /// Claims up to `limit` of the oldest runnable tasks in `w`, and
    /// records that they started (and that their jobs did, for the first
    /// of each). They are held here from now on: the caller commits `w`
    /// with [`Self::commit_claimed`].
    pub(super) async fn claim_in(
        &self,
        w: &mut WriteTx,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<ImageTaskRow>> {
        let claimed = w.claim_tasks(worker, self.config.lease, limit).await?;
        let mut tasks = Vec::with_capacity(claimed.len());
        for (task, job_started) in claimed {
            if job_started {
                w.insert_event(job_status_event(
                    &task.job_id,
                    &task.trace_id,
                    JobStatus::Running,
                ));
            }
            w.insert_event(task_event(
                &task,
                kind::START,
                level::INFO,
                format!("{} started", task.algorithm_key),
                Some(10),
                json!({"algorithm_key": task.algorithm_key, "attempt": task.attempts}),
            ));
            tasks.push(task);
        }
        self.hold(&tasks);
        Ok(tasks)
    }

    /// Runs one claimed task. A transient error puts it back in the queue
    /// at once (while attempts remain); a task cancelled under it has
    /// nothing to write; otherwise its end is returned, to be written.
    async fn run_task(
        &self,
        worker: &str,
        task: ImageTaskRow,
        prepared: Option<Prepared>,
    ) -> Option<Ended> {
        let started = Instant::now();
        let outcome = self.render_renewing_lease(worker, &task, prepared).await;
        self.let_go([task.id.as_str()]);
        self.conclude(worker, task, outcome, started.elapsed())
            .await
    }
}

/// Spawns `count` queue workers named `<prefix><i>` (the lease owner
/// they write), each running `run(name, shutdown)`: the image and the
/// description workers start the same way.
pub(crate) fn spawn_named<F, Fut>(
    count: usize,
    prefix: &str,
    shutdown: &watch::Receiver<bool>,
    run: F,
) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Fn(String, watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    (0..count)
        .map(|i| tokio::spawn(run(format!("{prefix}{i}"), shutdown.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::test_service;
    use crate::store::{test_job, test_stores};

    /// A batch's later tasks wait behind the first; a job cancelled then
    /// (or between a claim's commit and its plugin's start) must stop
    /// them: their tokens are there to cancel from the claim on.
    #[tokio::test]
    async fn a_task_cancelled_between_its_claim_and_its_plugin_start_starts_cancelled() {
        for t in test_stores().await {
            let plugins = tempfile::tempdir().expect("temp dir");
            let jobs = test_service(&t.store, plugins.path());
            let job = test_job(&t.store, 3).await;
            let claimed = jobs.claim("node-a/w0", 3).await.expect("claim");
            assert_eq!(claimed.len(), 3);
            assert_eq!(jobs.running_here(), 0, "claimed is not running yet");
            jobs.cancel_job(&job).await.expect("cancel");
            for task in &claimed {
                assert!(
                    jobs.start_held(task).is_cancelled(),
                    "{}: task {} starts uncancelled",
                    t.store.backend().as_str(),
                    task.position
                );
            }
            assert_eq!(jobs.running_here(), 3);
            jobs.let_go(claimed.iter().map(|t| t.id.as_str()));
            assert_eq!(jobs.running_here(), 0, "nothing held after the ends");
        }
    }

    #[test]
    fn fast_tasks_are_claimed_in_batches_and_slow_ones_alone() {
        let mut pace = Pace::default();
        assert_eq!(pace.batch(), 1, "nothing measured yet");
        pace.observe(Duration::from_millis(40));
        assert_eq!(pace.batch(), 1);
        for _ in 0..20 {
            pace.observe(Duration::from_micros(500));
        }
        assert_eq!(pace.batch(), MAX_BATCH);
        for _ in 0..20 {
            pace.observe(Duration::from_millis(2));
        }
        assert_eq!(pace.batch(), 12);
        // Two slow charts after a fast run: back to one at a time.
        pace.observe(Duration::from_millis(100));
        pace.observe(Duration::from_millis(100));
        assert_eq!(pace.batch(), 1);
    }
}
