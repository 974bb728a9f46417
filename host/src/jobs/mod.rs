//! The job state machine: the durable queue's workers (`generate_image_task`),
//! job finalisation (`finalize_job`) and cancellation, as in the seed's
//! Jobs app, on sandboxed plugins.
//!
//! A task is claimed atomically with a lease; a worker that dies leaves a
//! lease that expires, and the task is claimed again. Deterministic plugin
//! failures are final; only transient host errors (storage) are retried.

mod controls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};

use crate::catalog::PluginCatalog;
use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{EventBus, kind, level};
use crate::memo::BoundedCache;
use crate::metrics::Metrics;
use crate::pipeline::{self, ChartRequest, OutputFormats};
use crate::plugins::{CancelToken, PluginFailure, PluginRegistry};
use crate::render::{Rasterizer, Scale};
use crate::store::model::{ImageTaskRow, JobRow, JobStatus, OutputFormat, TaskStatus};
use crate::store::{
    BlobStore, CachedRender, CancelOutcome, Finalized, NewEvent, Store, TRANSIENT_RETRY_BUDGET,
    TaskOutcome, WriteTx, retry_transient,
};
use crate::style;

/// Worker pool settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent workers (default: one per core). Zero makes an API-only
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
    /// Cancel tokens of the plugins running in this process, by task id,
    /// with the job each task belongs to.
    running: Mutex<HashMap<String, (String, CancelToken)>>,
    /// Parsed datasets by id; parsing the canonical JSON per task is waste.
    datasets: BoundedCache<String, Arc<Dataset>>,
    /// What tasks need of their job, by job id: read once per job rather
    /// than once per task, as it never changes after the job is created.
    job_inputs: BoundedCache<String, Arc<JobInputs>>,
    wake: Notify,
}

const DATASET_CACHE: usize = 32;
const JOB_INPUTS_CACHE: usize = 1024;

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
            running: Mutex::new(HashMap::new()),
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

    /// Starts `config.workers` workers; they stop claiming when `shutdown`
    /// turns true and finish the task in hand.
    pub fn spawn_workers(
        self: &Arc<Self>,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..self.config.workers)
            .map(|i| {
                let svc = self.clone();
                let shutdown = shutdown.clone();
                let worker = format!("{}/w{i}", self.config.node_id);
                tokio::spawn(async move { svc.worker_loop(worker, shutdown).await })
            })
            .collect()
    }

    async fn worker_loop(self: Arc<Self>, worker: String, mut shutdown: watch::Receiver<bool>) {
        let mut last_sweep = Instant::now();
        // A task claimed in the same transaction that recorded the last
        // one, so a busy worker takes one turn of the writer per task.
        let mut next: Option<ImageTaskRow> = None;
        loop {
            if *shutdown.borrow() {
                // A task claimed but not started is given back by the
                // shutdown's lease release.
                break;
            }
            // Registered before looking at the queue: work submitted between
            // an empty claim and the wait below still wakes this worker
            // (notify_waiters keeps no permit for later waiters).
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let claimed = match next.take() {
                Some(task) => Ok(Some(task)),
                None => self.claim(&worker).await,
            };
            match claimed {
                Ok(Some(task)) => {
                    let claim_next = !*shutdown.borrow();
                    next = self.generate_image_task(&worker, task, claim_next).await;
                }
                Ok(None) => {
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

    async fn claim(&self, worker: &str) -> Result<Option<ImageTaskRow>> {
        let mut w = self.store.write().await?;
        let task = self.claim_in(&mut w, worker).await?;
        self.events.commit(w).await?;
        Ok(task)
    }

    /// Claims the oldest runnable task in `w`, and records that it started
    /// (and that its job did, for the first).
    async fn claim_in(&self, w: &mut WriteTx, worker: &str) -> Result<Option<ImageTaskRow>> {
        let Some((task, job_started)) = w.claim_task(worker, self.config.lease).await? else {
            return Ok(None);
        };
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
        Ok(Some(task))
    }

    /// Runs one claimed task to a terminal state (or back to the queue on a
    /// transient error) and finalises its job, recording all of it in one
    /// transaction, which also claims the worker's next task when
    /// `claim_next`. If that transaction keeps failing until the task's
    /// lease ends, the task runs again once the lease has expired.
    async fn generate_image_task(
        &self,
        worker: &str,
        task: ImageTaskRow,
        claim_next: bool,
    ) -> Option<ImageTaskRow> {
        let started = Instant::now();
        let outcome = self.render_renewing_lease(worker, &task).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let recorded = match outcome {
            Ok(done) => {
                let cache_hit = done.cache_hit();
                self.metrics
                    .observe_render(&task.algorithm_key, started.elapsed(), cache_hit);
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
                self.record(worker, &task, &outcome, fresh.as_ref(), event, claim_next)
                    .await
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
                let requeued = self.requeue(worker, &task, &e.message, event).await;
                self.wake.notify_one();
                requeued.map(|()| None)
            }
            Err(TaskError::Transient(e) | TaskError::Final(e, ..))
                if e.code == ErrorCode::PluginCancelled =>
            {
                // The job was cancelled under us; cancel_job recorded it.
                Ok(None)
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
                self.record(worker, &task, &outcome, None, event, claim_next)
                    .await
            }
        };
        recorded.unwrap_or_else(|e| {
            tracing::error!(task = %task.id, error = %e, "recording a result failed; the task runs again when its lease expires");
            None
        })
    }

    /// Stores a fresh render in the result cache, records the task's end
    /// and its event if `worker` still holds it (a task cancelled or
    /// re-claimed meanwhile keeps its state), finalises the job, and
    /// claims the next task when `claim_next` (on the first try only, so
    /// a retry is as small as it can be; the worker's loop claims once
    /// the result is in).
    async fn record(
        &self,
        worker: &str,
        task: &ImageTaskRow,
        outcome: &TaskOutcome,
        fresh: Option<&(String, CachedRender)>,
        event: NewEvent,
        claim_next: bool,
    ) -> Result<Option<ImageTaskRow>> {
        self.while_leased(task, |first_try| {
            let event = event.clone();
            async move {
                let mut w = self.store.write().await?;
                if let Some((key, cached)) = fresh {
                    w.put_cached_render(key, cached).await?;
                }
                if w.finish_task(&task.id, &task.job_id, worker, outcome)
                    .await?
                {
                    w.insert_event(event);
                    self.finalize_in(&mut w, &task.job_id).await?;
                }
                let next = if claim_next && first_try {
                    self.claim_in(&mut w, worker).await?
                } else {
                    None
                };
                self.events.commit(w).await?;
                Ok(next)
            }
        })
        .await
    }

    async fn requeue(
        &self,
        worker: &str,
        task: &ImageTaskRow,
        reason: &str,
        event: NewEvent,
    ) -> Result<()> {
        self.while_leased(task, |_| {
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
    /// fails with an error that is not transient, or `task`'s lease would
    /// end before the next try. A task's end that could not be written
    /// (the database restarting, busy past its timeout, a full disk freed
    /// a moment later) would otherwise be lost, and its job kept waiting
    /// for the lease to expire and the chart drawn again. Past the lease
    /// another worker may have re-claimed the task, and the write's
    /// lease-owner guard would rightly refuse it anyway. An error that is
    /// not transient would only fail again.
    async fn while_leased<T, F: Future<Output = Result<T>>>(
        &self,
        task: &ImageTaskRow,
        write: impl Fn(bool) -> F,
    ) -> Result<T> {
        let mut err = match write(true).await {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        let lease_ends = Instant::now() + lease_left(task, self.config.lease);
        let mut pause = WRITE_RETRY_FIRST_PAUSE;
        while err.code == ErrorCode::DatabaseUnavailable && Instant::now() + pause < lease_ends {
            tracing::warn!(task = %task.id, error = %err, retry_in_ms = pause.as_millis() as u64, "writing a task's end failed; retrying");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(WRITE_RETRY_MAX_PAUSE);
            match write(false).await {
                Ok(done) => return Ok(done),
                Err(e) => err = e,
            }
        }
        Err(err)
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
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        for t in tasks {
            if let Some((_, token)) = running.get(t) {
                token.cancel();
            }
        }
        drop(running);
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
        self.running.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Interrupts the plugins running here for `job_id`, cancelled on
    /// another node (its tasks are already CANCELLED in the database, so
    /// their workers record nothing over them).
    pub fn interrupt_job(&self, job_id: &str) {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        for (job, token) in running.values() {
            if job == job_id {
                token.cancel();
            }
        }
    }

    /// Interrupts every plugin running here whose job has been cancelled:
    /// for when cancellations may have been announced while this node was
    /// not listening.
    pub async fn interrupt_cancelled(&self) -> Result<()> {
        let jobs: Vec<String> = {
            let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            let mut jobs: Vec<String> = running.values().map(|(j, _)| j.clone()).collect();
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
        let tasks: Vec<String> = {
            let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            running.keys().cloned().collect()
        };
        for task_id in tasks {
            if self.store.task_status(&task_id).await? == Some(TaskStatus::Cancelled) {
                self.interrupt_task(&task_id);
            }
        }
        Ok(())
    }

    /// The build the task was accepted with; tasks queued before builds
    /// were recorded at creation resolve as a new job would.
    ///
    /// A build uploaded on another node sharing the database is fetched
    /// from the blob store and compiled here the first time a task needs
    /// it.
    async fn plugin_for(&self, task: &ImageTaskRow) -> Result<Arc<crate::plugins::LoadedPlugin>> {
        match &task.plugin_sha256 {
            Some(sha) => self.catalog.build(sha).await?.ok_or_else(|| {
                Error::new(
                    ErrorCode::PluginNotFound,
                    format!(
                        "{} version {} (sha256 {sha}) is no longer loaded on this server; \
                         submit the chart again to run it on an available version",
                        task.algorithm_key,
                        task.algorithm_version.as_deref().unwrap_or("?")
                    ),
                )
            }),
            None => self
                .registry
                .get(&task.algorithm_key, task.requested_version.as_deref()),
        }
    }

    /// [`Self::render_task`] under a renewed lease, so a slow render (or
    /// a plugin compiled on first use here) is not taken for a dead worker
    /// and run twice.
    async fn render_renewing_lease(
        &self,
        worker: &str,
        task: &ImageTaskRow,
    ) -> std::result::Result<Rendered, TaskError> {
        self.store
            .renewing_task_lease(&task.id, worker, self.config.lease, self.render_task(task))
            .await
    }

    async fn render_task(&self, task: &ImageTaskRow) -> std::result::Result<Rendered, TaskError> {
        let job = self.job_inputs(&task.job_id).await?;
        let dataset = self.dataset(&job.dataset_id).await?;
        let plugin = match self.plugin_for(task).await {
            Ok(p) => p,
            // The database did not answer: try again later, elsewhere.
            Err(e) if e.code == ErrorCode::DatabaseUnavailable => {
                return Err(TaskError::Transient(e));
            }
            Err(e) => return Err(TaskError::Final(e, None, None, None)),
        };
        let version = Some(plugin.info.version.clone());
        let sha = Some(plugin.sha256.clone());
        let final_err = |e: Error| TaskError::Final(e, version.clone(), sha.clone(), None);
        let config: Value = serde_json::from_str(&job.visualization_config).unwrap_or(Value::Null);
        let style = style::resolve(&config).map_err(final_err)?;
        let params: Value = serde_json::from_str(&task.params).unwrap_or_else(|_| json!({}));
        let format = task.output_format();

        let key = cache_key(
            &dataset.sha256,
            &plugin.sha256,
            &params,
            &style.fingerprint(),
            format,
        );
        if let Some(cached) = self
            .store
            .cached_render(&key)
            .await
            .map_err(TaskError::Transient)?
        {
            return Ok(Rendered {
                version: plugin.info.version.clone(),
                sha256: plugin.sha256.clone(),
                cached,
                logs: json!({"stdout": "", "stderr": ""}),
                store_as: None,
            });
        }

        let token = CancelToken::new();
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(task.id.clone(), (task.job_id.clone(), token.clone()));
        let rasterizer = self.rasterizer.clone();
        let runtime = self.registry.runtime().clone();
        let plugin_for_run = plugin.clone();
        let dataset_for_run = dataset.clone();
        let write_fault = self
            .config
            .artifact_write_faults
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        let result =
            tokio::task::spawn_blocking(move || -> std::result::Result<_, PluginFailure> {
                let request = ChartRequest {
                    dataset: &dataset_for_run,
                    params: &params,
                    style: &style,
                    formats: OutputFormats {
                        svg: true,
                        png: format.wants_png().then_some(Scale::X1),
                    },
                };
                let art = pipeline::render_chart(
                    &runtime,
                    &rasterizer,
                    &plugin_for_run,
                    &request,
                    Some(&token),
                )?;
                Ok(art)
            })
            .await;
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&task.id);
        let mut art = match result {
            Ok(Ok(done)) => done,
            Ok(Err(failure)) => {
                let logs = json!({"stdout": failure.logs.stdout, "stderr": failure.logs.stderr});
                return Err(TaskError::Final(failure.error, version, sha, Some(logs)));
            }
            Err(join) => {
                return Err(TaskError::Transient(Error::new(
                    ErrorCode::Internal,
                    format!("the render thread failed: {join}"),
                )));
            }
        };
        let stored = if write_fault {
            Err(Error::new(
                ErrorCode::Internal,
                "storing the chart's files failed (injected fault)",
            ))
        } else {
            store_artifacts(self.store.blobs().as_ref(), &mut art, format).await
        };
        let logs = &art.logs;
        Ok(Rendered {
            version: plugin.info.version.clone(),
            sha256: plugin.sha256.clone(),
            cached: stored.map_err(TaskError::Transient)?,
            logs: json!({"stdout": logs.stdout, "stderr": logs.stderr}),
            store_as: Some(key),
        })
    }

    async fn job_inputs(&self, job_id: &str) -> std::result::Result<Arc<JobInputs>, TaskError> {
        if let Some(found) = self.job_inputs.get(job_id) {
            return Ok(found);
        }
        let job = self
            .store
            .job(job_id)
            .await
            .map_err(TaskError::Transient)?
            .ok_or_else(|| {
                TaskError::Final(
                    Error::new(ErrorCode::Internal, "the job no longer exists"),
                    None,
                    None,
                    None,
                )
            })?;
        let inputs = Arc::new(JobInputs {
            dataset_id: job.dataset_id,
            visualization_config: job.visualization_config,
        });
        self.job_inputs.insert(job_id.to_string(), inputs.clone());
        Ok(inputs)
    }

    async fn dataset(&self, id: &str) -> std::result::Result<Arc<Dataset>, TaskError> {
        if let Some(d) = self.datasets.get(id) {
            return Ok(d);
        }
        let row = self.store.dataset(id).await.map_err(TaskError::Transient)?;
        let parsed: Dataset = serde_json::from_str(&row.canonical).map_err(|e| {
            TaskError::Final(
                Error::new(
                    ErrorCode::Internal,
                    format!("stored dataset is unreadable: {e}"),
                ),
                None,
                None,
                None,
            )
        })?;
        let parsed = Arc::new(parsed);
        self.datasets.insert(id.to_string(), parsed.clone());
        Ok(parsed)
    }
}

/// The first pause before a failed write of a task's end is tried again;
/// pauses double up to the maximum.
const WRITE_RETRY_FIRST_PAUSE: Duration = Duration::from_millis(50);
const WRITE_RETRY_MAX_PAUSE: Duration = Duration::from_secs(2);

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

/// Writes a render's files (content-addressed; the image bytes move into
/// the blob store) and returns its cache record. A failure here is the
/// host's (storage), not the plugin's.
async fn store_artifacts(
    blobs: &dyn BlobStore,
    art: &mut pipeline::ChartArtifacts,
    format: OutputFormat,
) -> Result<CachedRender> {
    let png_sha256 = match art.png.take() {
        Some(png) => Some(blobs.put(png.into(), "png").await?),
        None => None,
    };
    let svg_sha256 = if format.wants_svg() {
        Some(
            blobs
                .put(std::mem::take(&mut art.svg).into(), "svg")
                .await?,
        )
    } else {
        None
    };
    Ok(CachedRender {
        png_sha256,
        svg_sha256,
        chart_data: art.chart_data.to_string(),
        warnings: Value::from(art.warnings.clone()).to_string(),
    })
}

struct Rendered {
    version: String,
    sha256: String,
    cached: CachedRender,
    /// The result-cache key to store a fresh render under; `None` when
    /// the render came from the cache.
    store_as: Option<String>,
    logs: Value,
}

impl Rendered {
    fn cache_hit(&self) -> bool {
        self.store_as.is_none()
    }
}

/// Transient errors are retried; final ones (every plugin failure: the
/// same input fails the same way) are recorded, with what is known of the
/// plugin and its output.
enum TaskError {
    Transient(Error),
    Final(Error, Option<String>, Option<String>, Option<Value>),
}

/// What determines a chart: the dataset, the exact plugin build, params,
/// style and output format.
fn cache_key(
    dataset_sha: &str,
    plugin_sha: &str,
    params: &Value,
    style: &str,
    format: OutputFormat,
) -> String {
    let mut h = Sha256::new();
    for part in [
        dataset_sha,
        plugin_sha,
        &canonical_json(params),
        style,
        format.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}`
/// share a cache entry.
fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical_json(&m[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical_json).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_ignores_key_order_but_not_values() {
        let a = cache_key(
            "d",
            "p",
            &json!({"a": 1, "b": [1, {"y": 2, "x": 1}]}),
            "s",
            OutputFormat::Both,
        );
        let b = cache_key(
            "d",
            "p",
            &json!({"b": [1, {"x": 1, "y": 2}], "a": 1}),
            "s",
            OutputFormat::Both,
        );
        let c = cache_key(
            "d",
            "p",
            &json!({"a": 2, "b": [1, {"x": 1, "y": 2}]}),
            "s",
            OutputFormat::Both,
        );
        let d = cache_key(
            "d",
            "p2",
            &json!({"a": 1, "b": [1, {"y": 2, "x": 1}]}),
            "s",
            OutputFormat::Both,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
