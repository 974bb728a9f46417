//! Wires the server together: store, plugin registry, workers, HTTP.
//! [`start`] binds (port 0 works, for tests) and returns a handle that
//! shuts down gracefully: stop accepting, let workers finish the task in
//! hand, give back the leases of anything unfinished.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::api::{self, ApiLimits, AppState};
use crate::catalog::{self, PluginCatalog};
use crate::describe::{DescribeConfig, Describer};
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventBus;
use crate::jobs::{JobService, WorkerConfig};
use crate::metrics::Metrics;
use crate::plugins::{PluginRegistry, PluginRuntime, RuntimeConfig};
use crate::render::Rasterizer;
use crate::store::{NodeRegistration, Signal, Store};

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// The PostgreSQL database several nodes share; `None` is SQLite
    /// under `data_dir`.
    pub database_url: Option<String>,
    pub bind: SocketAddr,
    pub workers: WorkerConfig,
    pub limits: ApiLimits,
    /// How long a client may take over a request's head and pause in its
    /// body.
    pub read_timeouts: crate::http::ReadTimeouts,
    pub runtime: RuntimeConfig,
    /// The watched plugins directory (default: `<data dir>/plugins`).
    pub plugins_dir: PathBuf,
    /// How long shutdown waits for running tasks before giving them back.
    pub shutdown_grace: Duration,
    /// Chart descriptions: providers, chain, workers.
    pub describe: DescribeConfig,
    /// Jobs ended longer ago than this are deleted (`--retain-days`);
    /// none: kept until deleted.
    pub retain: Option<Duration>,
    /// How often unreferenced blobs are collected (and old jobs deleted).
    pub sweep_every: Duration,
    /// A blob stored within this is never collected: it may be about to
    /// be named by a row being written.
    pub blob_grace: Duration,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf, bind: SocketAddr) -> Self {
        let runtime = RuntimeConfig {
            cache_dir: Some(data_dir.join("compiled")),
            ..RuntimeConfig::default()
        };
        ServerConfig {
            plugins_dir: data_dir.join("plugins"),
            data_dir,
            database_url: None,
            bind,
            workers: WorkerConfig::default(),
            limits: ApiLimits::default(),
            read_timeouts: crate::http::ReadTimeouts::default(),
            runtime,
            shutdown_grace: Duration::from_secs(10),
            describe: DescribeConfig::default(),
            retain: None,
            sweep_every: Duration::from_secs(600),
            blob_grace: Duration::from_secs(3600),
        }
    }
}

/// A running server.
pub struct RunningServer {
    addr: SocketAddr,
    store: Store,
    shutdown: watch::Sender<bool>,
    http: tokio::task::JoinHandle<()>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    watcher: tokio::task::JoinHandle<()>,
    heartbeat: tokio::task::JoinHandle<()>,
    node_id: String,
    grace: Duration,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Graceful stop (what SIGTERM does).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.http.await;
        let _ = self.watcher.await;
        let wait_workers = futures_util::future::join_all(self.workers);
        if tokio::time::timeout(self.grace, wait_workers)
            .await
            .is_err()
        {
            tracing::warn!("workers still busy after the grace period; their tasks are re-queued");
        }
        let _ = self.heartbeat.await;
        // With the slash, so node `a` never gives back the leases of `ab`.
        let workers_here = format!("{}/", self.node_id);
        match self.store.release_leases(&workers_here).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tasks = n, "re-queued unfinished tasks"),
            Err(e) => tracing::error!(error = %e, "could not re-queue unfinished tasks"),
        }
        match self.store.release_description_leases(&workers_here).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tasks = n, "re-queued unfinished descriptions"),
            Err(e) => tracing::error!(error = %e, "could not re-queue unfinished descriptions"),
        }
        if let Err(e) = self
            .store
            .remove_node(&self.node_id, FORGET_NODES_AFTER_MS)
            .await
        {
            tracing::warn!(error = %e, "could not remove this node from the nodes table");
        }
    }

    /// Runs until the HTTP server stops (after [`Self::shutdown`] or a
    /// fatal error).
    pub async fn wait_for_signal(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

/// Opens the store, loads the built-in plugins, starts the workers and the
/// HTTP server.
pub async fn start(config: ServerConfig) -> Result<RunningServer> {
    let store = Store::connect(config.database_url.as_deref(), &config.data_dir).await?;
    let runtime_config = config.runtime.clone();
    let registry = tokio::task::spawn_blocking(move || -> Result<PluginRegistry> {
        let registry = PluginRegistry::new(PluginRuntime::new(runtime_config)?);
        registry.load_builtins()?;
        Ok(registry)
    })
    .await
    .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))??;
    let registry = Arc::new(registry);
    let metrics = Arc::new(Metrics::new());
    metrics.set_node(&config.workers.node_id, store.backend().as_str());
    let events = EventBus::new(store.clone());
    // One rasterizer (font database and glyph cache) for upload checks and
    // workers alike.
    let rasterizer = Rasterizer::new();
    let catalog = PluginCatalog::new(
        registry.clone(),
        store.clone(),
        rasterizer.clone(),
        config.plugins_dir.clone(),
    )?;
    catalog.start().await?;
    let describer = Describer::new(
        store.clone(),
        events.clone(),
        config.describe.clone(),
        config.workers.node_id.clone(),
    )?;
    let jobs = JobService::new(
        store.clone(),
        catalog.clone(),
        events,
        registry,
        rasterizer,
        metrics.clone(),
        config.workers.clone(),
    );
    jobs.sweep().await?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let watcher = catalog::watcher::spawn(catalog.clone(), shutdown_rx.clone())?;
    let mut workers = jobs.spawn_workers(shutdown_rx.clone());
    workers.extend(describer.spawn_workers(shutdown_rx.clone()));
    spawn_signal_follower(
        &store,
        jobs.clone(),
        describer.clone(),
        catalog.clone(),
        shutdown_rx.clone(),
    );
    let state = AppState {
        store: store.clone(),
        catalog,
        jobs,
        describer,
        metrics,
        limits: Arc::new(config.limits.clone()),
        auth_throttle: Arc::new(api::AuthThrottle::new()),
        // ~30 KB per 8-chart job: a few dozen MB at most.
        details: Arc::new(crate::memo::BoundedCache::new(1024)),
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                format!("cannot listen on {}: {e}", config.bind),
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    spawn_retention(
        store.clone(),
        config.retain,
        config.sweep_every,
        config.blob_grace,
        shutdown_rx.clone(),
    );
    let heartbeat = spawn_heartbeat(
        store.clone(),
        NodeRegistration {
            id: config.workers.node_id.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            bind: addr.to_string(),
            workers: config.workers.workers as i64,
            describe_workers: config.describe.workers as i64,
            started_at: crate::store::now(),
        },
        shutdown_rx.clone(),
    )
    .await;
    let app = api::router(state)
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span));
    let mut rx = shutdown_rx;
    let timeouts = config.read_timeouts;
    let http = tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        crate::http::serve(listener, app, timeouts, stop).await;
    });
    Ok(RunningServer {
        addr,
        store,
        shutdown: shutdown_tx,
        http,
        workers,
        watcher,
        heartbeat,
        node_id: config.workers.node_id.clone(),
        grace: config.shutdown_grace,
    })
}

/// The span each request is traced in. tower-http's default records the
/// whole URI, and WebSocket clients send their token in its query.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        query = %redacted_query(req.uri().query().unwrap_or("")),
    )
}

/// `query` with the value of every `token` parameter replaced.
fn redacted_query(query: &str) -> String {
    query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some(("token", _)) => "token=[redacted]".to_string(),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Every `every`: deletes the jobs that ended longer ago than `retain`
/// (when set), then the blobs nothing refers to. Every node runs it; the
/// deletions are idempotent, so nodes sweeping at once only repeat work.
fn spawn_retention(
    store: Store,
    retain: Option<Duration>,
    every: Duration,
    grace: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            if let Some(retain) = retain {
                let before = chrono::Utc::now().timestamp_millis() - retain.as_millis() as i64;
                match store.jobs_ended_before(before, 1000).await {
                    Ok(ids) => {
                        for id in ids {
                            if let Err(e) = store.delete_job(&id).await {
                                tracing::warn!(job = %id, error = %e, "deleting an expired job failed");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "finding expired jobs failed"),
                }
            }
            if let Err(e) = store.forget_old_sessions().await {
                tracing::warn!(error = %e, "forgetting old console sessions failed");
            }
            if let Err(e) = store.collect_garbage(grace).await {
                tracing::warn!(error = %e, "collecting unreferenced blobs failed");
            }
        }
    });
}

/// How often a node writes its heartbeat; [`api::NODE_SILENT_AFTER_MS`]
/// is several of these.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// Rows of nodes silent this long are deleted by the next node to stop.
const FORGET_NODES_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Writes this node's first heartbeat (so it is listed as soon as it
/// serves), then one every [`HEARTBEAT`] until shutdown. A failed beat
/// (the database away) is logged and the next one tried on time.
async fn spawn_heartbeat(
    store: Store,
    node: NodeRegistration,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    if let Err(e) = store.heartbeat(&node).await {
        tracing::warn!(error = %e, "writing this node's heartbeat failed");
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            if let Err(e) = store.heartbeat(&node).await {
                tracing::warn!(error = %e, "writing this node's heartbeat failed");
            }
        }
    })
}

/// Acts on what this node and the nodes sharing its database announce:
/// new work wakes idle workers, a cancellation interrupts the plugins
/// running here for that job, and after a possible gap (a resync, a
/// lagged receiver) both are checked against the database.
fn spawn_signal_follower(
    store: &Store,
    jobs: Arc<JobService>,
    describer: Arc<Describer>,
    catalog: Arc<PluginCatalog>,
    mut shutdown: watch::Receiver<bool>,
) {
    use tokio::sync::broadcast::error::RecvError;
    let mut rx = store.subscribe();
    tokio::spawn(async move {
        loop {
            let signal = tokio::select! {
                s = rx.recv() => s,
                _ = shutdown.wait_for(|s| *s) => return,
            };
            match signal {
                Ok(Signal::Work) => {
                    jobs.notify_new_work();
                    describer.notify_new_work();
                }
                Ok(Signal::Cancelled { job_id }) => jobs.interrupt_job(&job_id),
                Ok(Signal::TaskCancelled { task_id }) => jobs.interrupt_task(&task_id),
                Ok(Signal::Plugins) => {
                    if let Err(e) = catalog.sync().await {
                        tracing::warn!(error = %e, "reloading plugins from the database failed");
                    }
                }
                Ok(Signal::Resync) | Err(RecvError::Lagged(_)) => {
                    jobs.notify_new_work();
                    describer.notify_new_work();
                    if let Err(e) = jobs.interrupt_cancelled().await {
                        tracing::warn!(error = %e, "checking for cancelled jobs failed");
                    }
                    if let Err(e) = catalog.sync().await {
                        tracing::warn!(error = %e, "reloading plugins from the database failed");
                    }
                }
                Ok(Signal::Events { .. }) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_token_in_the_query_never_reaches_the_request_span() {
        assert_eq!(
            super::redacted_query("after=3&token=pat_secret&x"),
            "after=3&token=[redacted]&x"
        );
    }
}
