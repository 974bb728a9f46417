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
use crate::store::{Signal, Store};

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// The PostgreSQL database several nodes share; `None` is SQLite
    /// under `data_dir`.
    pub database_url: Option<String>,
    pub bind: SocketAddr,
    pub workers: WorkerConfig,
    pub limits: ApiLimits,
    pub runtime: RuntimeConfig,
    /// The watched plugins directory (default: `<data dir>/plugins`).
    pub plugins_dir: PathBuf,
    /// How long shutdown waits for running tasks before giving them back.
    pub shutdown_grace: Duration,
    /// Chart descriptions: providers, chain, workers.
    pub describe: DescribeConfig,
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
            runtime,
            shutdown_grace: Duration::from_secs(10),
            describe: DescribeConfig::default(),
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
        match self.store.release_leases(&self.node_id).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tasks = n, "re-queued unfinished tasks"),
            Err(e) => tracing::error!(error = %e, "could not re-queue unfinished tasks"),
        }
        match self.store.release_description_leases(&self.node_id).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tasks = n, "re-queued unfinished descriptions"),
            Err(e) => tracing::error!(error = %e, "could not re-queue unfinished descriptions"),
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
    let app = api::router(state).layer(tower_http::trace::TraceLayer::new_for_http());
    let mut rx = shutdown_rx;
    let http = tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    Ok(RunningServer {
        addr,
        store,
        shutdown: shutdown_tx,
        http,
        workers,
        watcher,
        node_id: config.workers.node_id.clone(),
        grace: config.shutdown_grace,
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
