//! The job state machine: the durable queue's workers, job finalisation
//! (`finalize_job`) and cancellation, as in the seed's Jobs app, on
//! sandboxed plugins.
//!
//! A task is claimed atomically with a lease; a worker that dies leaves a
//! lease that expires, and the task is claimed again. Deterministic plugin
//! failures are final; only transient host errors (storage) are retried.
//! The workers are in `worker`, what one task draws in `render`.

mod controls;
mod ends;
mod render;
mod worker;

pub(crate) use worker::spawn_named;

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::catalog::PluginCatalog;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::events::{EventBus, kind, level};
use crate::memo::BoundedCache;
use crate::metrics::Metrics;
use crate::plugins::{CancelToken, PluginRegistry};
use crate::render::Rasterizer;
use crate::store::model::{ImageTaskRow, JobRow, JobStatus, TaskStatus};
use crate::store::{
    CancelOutcome, Finalized, NewEvent, Store, TRANSIENT_RETRY_BUDGET, WriteTx, retry_transient,
};

/// Worker pool settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent workers (default: one per core; `patchart serve` takes
    /// two per core on PostgreSQL). Zero makes an API-only
    /// node that queues work for other nodes.
    pub workers: usize,
    /// How long a claimed task stays owned without being finished; must
    /// exceed the longest plugin deadline.
    pub lease: Duration,
    /// Attempts for transient host errors before a task fails.
    pub max_attempts: i64,
    /// How often idle workers look for work they were not told about
    /// (expired leases, other nodes' inserts).
    pub poll: Duration,
    /// Identifies this process's leases.
    pub node_id: String,
    /// Renders whose artifacts fail to be stored, as a full or failing
    /// disk would make them: while above zero, each render's write fails
    /// with a transient storage error and takes one off. Retries and their
    /// limit cannot be shown deterministically without a fault on demand;
    /// zero, the default, injects nothing.
    #[doc(hidden)]
    pub artifact_write_faults: Arc<AtomicU32>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            lease: Duration::from_secs(30),
            max_attempts: 3,
            poll: Duration::from_millis(500),
            node_id: format!("node-{}", uuid::Uuid::new_v4().simple()),
            artifact_write_faults: Arc::default(),
        }
    }
}

/// Runs jobs: owns the workers, knows which plugins run where, cancels.
pub struct JobService {
    store: Store,
    /// Where builds this node has not loaded are found.
    catalog: Arc<PluginCatalog>,
    events: EventBus,
    registry: Arc<PluginRegistry>,
    rasterizer: Rasterizer,
    metrics: Arc<Metrics>,
    config: WorkerConfig,
    /// The tasks this process's workers hold, by id: claimed (a batch's
    /// later tasks wait their turn) or running. Entered before the claim
    /// commits, so a cancellation, which commits after it and then looks
    /// here, always finds the task's token, even before its plugin
    /// starts.
    held: Mutex<HashMap<String, Hold>>,
    /// Parsed datasets by id; parsing the canonical JSON per task is waste.
    datasets: BoundedCache<String, Arc<Dataset>>,
    /// What tasks need of their job, by job id: read once per job rather
    /// than once per task, as it never changes after the job is created.
    job_inputs: BoundedCache<String, Arc<JobInputs>>,
    wake: Notify,
}

const DATASET_CACHE: usize = 32;
const JOB_INPUTS_CACHE: usize = 1024;

/// A task a worker of this process holds.
struct Hold {
    job_id: String,
    token: CancelToken,
    /// Its plugin has been started (what the node reports as running).
    started: bool,
}

impl Hold {
    fn new(task: &ImageTaskRow) -> Hold {
        Hold {
            job_id: task.job_id.clone(),
            token: CancelToken::new(),
            started: false,
        }
    }
}

struct JobInputs {
    dataset_id: String,
    visualization_config: String,
}

impl JobService {
    pub fn new(
        store: Store,
        catalog: Arc<PluginCatalog>,
        events: EventBus,
        registry: Arc<PluginRegistry>,
        rasterizer: Rasterizer,
        metrics: Arc<Metrics>,
        config: WorkerConfig,
    ) -> Arc<Self> {
        Arc::new(JobService {
            store,
            catalog,
            events,
            registry,
            rasterizer,
            metrics,
            config,
            held: Mutex::new(HashMap::new()),
            datasets: BoundedCache::new(DATASET_CACHE),
            job_inputs: BoundedCache::new(JOB_INPUTS_CACHE),
            wake: Notify::new(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Tells idle workers that new tasks exist.
    pub fn notify_new_work(&self) {
        self.wake.notify_waiters();
    }

    /// Finalises jobs whose tasks all ended but whose status did not
    /// (a crash between the two). Run at start-up and periodically.
    pub async fn sweep(&self) -> Result<()> {
        for job_id in self.store.unfinalized_jobs().await? {
            let mut w = self.store.write().await?;
            self.finalize_in(&mut w, &job_id).await?;
            self.events.commit(w).await?;
        }
        Ok(())
    }

    /// `finalize_job`, inside `w`: when no task is active, the job gets its
    /// final status and exactly one `job_status_changed` event; otherwise
    /// its progress is recalculated and published.
    async fn finalize_in(&self, w: &mut WriteTx, job_id: &str) -> Result<()> {
        match w.finalize_job(job_id).await? {
            Finalized::Ended { status, trace_id } => {
                w.insert_event(job_status_event(job_id, &trace_id, status));
            }
            Finalized::Progress { progress, trace_id } => {
                w.insert_event(NewEvent {
                    job_id: job_id.to_string(),
                    task_id: None,
                    entity_type: "job",
                    event_type: kind::PROGRESS,
                    level: level::INFO,
                    message: format!("job {progress}% done"),
                    progress: Some(progress),
                    payload: json!({"progress_total": progress}),
                    trace_id,
                });
            }
            Finalized::Unchanged => {}
        }
        Ok(())
    }

    /// Cancels a job: marks it and its pending/running tasks CANCELLED and
    /// interrupts the plugins running here (they stop within one epoch
    /// tick). `Err` with 409 semantics when the job already ended.
    pub async fn cancel_job(&self, job: &JobRow) -> Result<CancelOutcome> {
        retry_transient(TRANSIENT_RETRY_BUDGET, || self.cancel_job_once(job)).await
    }

    async fn cancel_job_once(&self, job: &JobRow) -> Result<CancelOutcome> {
        let mut w = self.store.write().await?;
        let outcome = w.cancel_job(&job.id).await?;
        let CancelOutcome::Cancelled { tasks } = &outcome else {
            return Ok(outcome);
        };
        for t in tasks {
            w.insert_event(NewEvent {
                job_id: job.id.clone(),
                task_id: Some(t.clone()),
                entity_type: "image_task",
                event_type: kind::CANCELLED,
                level: level::WARNING,
                message: "task cancelled".into(),
                progress: None,
                payload: json!({}),
                trace_id: job.trace_id.clone(),
            });
        }
        w.insert_event(job_status_event(
            &job.id,
            &job.trace_id,
            JobStatus::Cancelled,
        ));
        // The cancellation and its events are durable before any plugin
        // is interrupted: a worker that sees its plugin stop finds the
        // task already CANCELLED and records nothing over it.
        self.events.commit(w).await?;
        let held = self.held();
        for t in tasks {
            if let Some(hold) = held.get(t) {
                hold.token.cancel();
            }
        }
        drop(held);
        Ok(outcome)
    }

    /// Deletes a job with its tasks, descriptions and events; one still
    /// running is cancelled first, so its plugins stop (on every node)
    /// and nothing is recorded for it afterwards. Its blobs are collected
    /// by the next sweep once nothing else refers to them.
    pub async fn delete_job(&self, job: &JobRow) -> Result<bool> {
        if !job.status().is_terminal() {
            // Already ended meanwhile is as good as cancelled.
            self.cancel_job(job).await?;
        }
        retry_transient(TRANSIENT_RETRY_BUDGET, || self.store.delete_job(&job.id)).await
    }

    /// How many plugins are running in this process now.
    pub fn running_here(&self) -> usize {
        self.held().values().filter(|h| h.started).count()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hold>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Enters `tasks`, just claimed (their claim not yet committed).
    fn hold(&self, tasks: &[ImageTaskRow]) {
        let mut held = self.held();
        for t in tasks {
            held.insert(t.id.clone(), Hold::new(t));
        }
    }

    /// Forgets tasks no longer held here: run, given back, or whose claim
    /// did not commit.
    fn let_go<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut held = self.held();
        for id in ids {
            held.remove(id);
        }
    }

    /// Marks `task`'s plugin started and returns its cancel token (one
    /// already cancelled when the task was cancelled while it waited).
    fn start_held(&self, task: &ImageTaskRow) -> CancelToken {
        let mut held = self.held();
        let hold = held
            .entry(task.id.clone())
            .or_insert_with(|| Hold::new(task));
        hold.started = true;
        hold.token.clone()
    }

    /// Interrupts the plugins running here for `job_id`, cancelled on
    /// another node (its tasks are already CANCELLED in the database, so
    /// their workers record nothing over them).
    pub fn interrupt_job(&self, job_id: &str) {
        for hold in self.held().values() {
            if hold.job_id == job_id {
                hold.token.cancel();
            }
        }
    }

    /// Interrupts every plugin running here whose job has been cancelled:
    /// for when cancellations may have been announced while this node was
    /// not listening.
    pub async fn interrupt_cancelled(&self) -> Result<()> {
        let jobs: Vec<String> = {
            let mut jobs: Vec<String> = self.held().values().map(|h| h.job_id.clone()).collect();
            jobs.sort_unstable();
            jobs.dedup();
            jobs
        };
        for job_id in jobs {
            if let Some(job) = self.store.job(&job_id).await?
                && job.status() == JobStatus::Cancelled
            {
                self.interrupt_job(&job_id);
            }
        }
        // Charts cancelled one by one, in jobs that go on.
        let tasks: Vec<String> = self.held().keys().cloned().collect();
        for task_id in tasks {
            if self.store.task_status(&task_id).await? == Some(TaskStatus::Cancelled) {
                self.interrupt_task(&task_id);
            }
        }
        Ok(())
    }
}

/// An event of `task`.
fn task_event(
    task: &ImageTaskRow,
    event_type: &'static str,
    level: &'static str,
    message: String,
    progress: Option<i64>,
    payload: Value,
) -> NewEvent {
    NewEvent {
        job_id: task.job_id.clone(),
        task_id: Some(task.id.clone()),
        entity_type: "image_task",
        event_type,
        level,
        message,
        progress,
        payload,
        trace_id: task.trace_id.clone(),
    }
}

/// The `job_status_changed` event; a terminal one carries 100%.
fn job_status_event(job_id: &str, trace_id: &str, status: JobStatus) -> NewEvent {
    NewEvent {
        job_id: job_id.to_string(),
        task_id: None,
        entity_type: "job",
        event_type: kind::JOB_STATUS_CHANGED,
        level: if status == JobStatus::Failed {
            level::ERROR
        } else {
            level::INFO
        },
        message: format!("job {}", status.as_str()),
        progress: status.is_terminal().then_some(100),
        payload: json!({"status": status.as_str()}),
        trace_id: trace_id.to_string(),
    }
}

/// A job service on `store` with no plugins loaded, for tests of the
/// queue's workings.
#[cfg(test)]
pub(crate) fn test_service(store: &Store, plugins: &std::path::Path) -> Arc<JobService> {
    let runtime = crate::plugins::PluginRuntime::new(crate::plugins::RuntimeConfig::default())
        .expect("runtime");
    let registry = Arc::new(PluginRegistry::new(runtime));
    let rasterizer = Rasterizer::new();
    let catalog = PluginCatalog::new(
        registry.clone(),
        store.clone(),
        rasterizer.clone(),
        plugins.to_path_buf(),
    )
    .expect("catalog");
    JobService::new(
        store.clone(),
        catalog,
        EventBus::new(store.clone()),
        registry,
        rasterizer,
        Arc::new(Metrics::new()),
        WorkerConfig::default(),
    )
}
