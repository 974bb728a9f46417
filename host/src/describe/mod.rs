//! Chart descriptions: the short paragraph an analyst publishes with a
//! chart, written from the chart's `chart_data`.
//!
//! ```text
//! DescriptionTask --claim--> chart_data --facts--> grounding paragraph
//!     --prompt--> provider chain (openai ... -> facts) --> text + events
//! ```
//!
//! - [`facts`]: the built-in, offline, deterministic describer; the
//!   default, and the grounding block every model gets;
//! - [`prompt`]: system rules + facts + chart_data + the user's context;
//! - [`openai`]: any OpenAI-compatible chat-completions endpoint;
//! - [`Describer`]: the queue's workers. A task runs the provider asked for,
//!   then falls back along the configured chain, which always ends at
//!   `facts`, so a description succeeds whenever the chart has data.
//!
//! Events go to the job's channel (`entity_type` `description_task`):
//! START, PROGRESS (each carrying a `chunk` of text as it streams, or a
//! `fallback` notice with `reset: true` when partial text must be
//! discarded), then DONE (with the text) or ERROR.

pub mod facts;
pub mod openai;
pub mod prompt;

use std::sync::Arc;
use std::time::{Duration, Instant};

use patchart_sdk::format::Locale;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};

use crate::error::{Error, ErrorCode, Result};
use crate::events::{EventBus, kind, level};
use crate::store::model::DescriptionTaskRow;
use crate::store::{DescriptionOutcome, NewEvent, Store};
use openai::{OpenAiClient, OpenAiConfig};

/// A provider of description text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Facts,
    OpenAi,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Facts => "facts",
            ProviderKind::OpenAi => "openai",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "facts" => Some(ProviderKind::Facts),
            "openai" => Some(ProviderKind::OpenAi),
            _ => None,
        }
    }
}

/// One step of a provider chain: a provider and the model it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub provider: ProviderKind,
    pub model: String,
}

impl Step {
    fn facts() -> Step {
        Step {
            provider: ProviderKind::Facts,
            model: facts::MODEL.to_string(),
        }
    }

    pub fn label(&self) -> String {
        format!("{}:{}", self.provider.as_str(), self.model)
    }
}

/// Description settings (`serve` flags and `PATCHART_*` variables).
#[derive(Debug, Clone)]
pub struct DescribeConfig {
    /// The OpenAI-compatible endpoint, if one is configured.
    pub openai: Option<OpenAiConfig>,
    /// Fallback order, as `provider[:model]` entries; empty means the
    /// default (the endpoint's default model if configured, then facts).
    /// `facts` is appended when missing: the chain always ends there.
    pub chain: Vec<String>,
    /// Concurrent description workers. Separate from the chart workers, so
    /// a model that takes seconds never holds a chart back.
    pub workers: usize,
    pub lease: Duration,
    /// Runs of one task (a crash mid-run counts) before it fails.
    pub max_attempts: i64,
    /// Descriptions a user may have pending or running at once.
    pub max_active_per_user: i64,
}

impl Default for DescribeConfig {
    fn default() -> Self {
        DescribeConfig {
            openai: None,
            chain: Vec::new(),
            workers: 2,
            lease: Duration::from_secs(30),
            max_attempts: 3,
            max_active_per_user: 20,
        }
    }
}

/// What `GET /api/ai/models/` shows: the providers and models clients may
/// ask for, and the chain a request falls back along.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Catalog {
    pub default_provider: String,
    pub default_model: String,
    /// Fallback order, `provider:model`; always ends with `facts`.
    pub chain: Vec<String>,
    pub providers: Vec<ProviderInfo>,
    pub locales: Vec<String>,
    pub max_user_context_chars: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderInfo {
    pub name: String,
    pub models: Vec<String>,
    pub default_model: String,
    /// Needs no network (the built-in describer).
    pub offline: bool,
    /// Sends text as it is written.
    pub streaming: bool,
}

/// A request that names an unknown provider, model or locale: the field
/// and a message listing the valid values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidChoice {
    pub field: &'static str,
    pub message: String,
}

/// Runs description tasks: owns the providers and the queue's workers.
pub struct Describer {
    store: Store,
    events: EventBus,
    config: DescribeConfig,
    openai: Option<OpenAiClient>,
    /// The configured chain, validated at start-up.
    chain: Vec<Step>,
    wake: Notify,
    node_id: String,
}

impl Describer {
    /// Validates the configuration (an unknown provider or model in the
    /// chain stops the server at start, not the first request).
    pub fn new(
        store: Store,
        events: EventBus,
        config: DescribeConfig,
        node_id: String,
    ) -> Result<Arc<Describer>> {
        let openai = match &config.openai {
            Some(c) => {
                if c.models.is_empty() {
                    return Err(config_error(
                        "--openai-model (PATCHART_OPENAI_MODEL) is required with --openai-base-url",
                    ));
                }
                Some(OpenAiClient::new(c.clone())?)
            }
            None => None,
        };
        let mut describer = Describer {
            store,
            events,
            config,
            openai,
            chain: Vec::new(),
            wake: Notify::new(),
            node_id,
        };
        let mut chain = Vec::new();
        if describer.config.chain.is_empty() {
            if let Some(m) = describer
                .openai_config()
                .and_then(OpenAiConfig::default_model)
            {
                chain.push(Step {
                    provider: ProviderKind::OpenAi,
                    model: m.to_string(),
                });
            }
        } else {
            for entry in &describer.config.chain {
                let (p, m) = match entry.split_once(':') {
                    Some((p, m)) => (p, Some(m)),
                    None => (entry.as_str(), None),
                };
                let step = describer.resolve_step(Some(p), m).map_err(|e| {
                    config_error(&format!("--ai-chain entry {entry:?}: {}", e.message))
                })?;
                chain.push(step);
            }
        }
        if chain.last().map(|s| s.provider) != Some(ProviderKind::Facts) {
            chain.retain(|s| s.provider != ProviderKind::Facts);
            chain.push(Step::facts());
        }
        describer.chain = chain;
        Ok(Arc::new(describer))
    }

    fn openai_config(&self) -> Option<&OpenAiConfig> {
        self.openai.as_ref().map(OpenAiClient::config)
    }

    pub fn config(&self) -> &DescribeConfig {
        &self.config
    }

    pub fn catalog(&self) -> Catalog {
        let mut providers = vec![ProviderInfo {
            name: "facts".into(),
            models: vec![facts::MODEL.into()],
            default_model: facts::MODEL.into(),
            offline: true,
            streaming: false,
        }];
        if let Some(c) = self.openai_config() {
            providers.push(ProviderInfo {
                name: "openai".into(),
                models: c.models.clone(),
                default_model: c.default_model().unwrap_or_default().to_string(),
                offline: false,
                streaming: c.stream,
            });
        }
        let first = &self.chain[0];
        Catalog {
            default_provider: first.provider.as_str().into(),
            default_model: first.model.clone(),
            chain: self.chain.iter().map(Step::label).collect(),
            providers,
            locales: patchart_sdk::format::LOCALES
                .iter()
                .map(|l| l.code().to_string())
                .collect(),
            max_user_context_chars: prompt::MAX_USER_CONTEXT_CHARS,
        }
    }

    /// The step a request names (`provider` and/or `model`), or the
    /// chain's first when it names neither.
    pub fn resolve_step(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
    ) -> std::result::Result<Step, InvalidChoice> {
        let provider = provider.map(str::trim).filter(|p| !p.is_empty());
        let model = model.map(str::trim).filter(|m| !m.is_empty());
        let valid_providers = || {
            let mut v = vec!["facts"];
            if self.openai.is_some() {
                v.push("openai");
            }
            v.join(", ")
        };
        let kind = match provider {
            Some(p) => match ProviderKind::parse(p) {
                Some(ProviderKind::OpenAi) if self.openai.is_none() => {
                    return Err(InvalidChoice {
                        field: "provider",
                        message: format!(
                            "provider \"openai\" is not configured on this server; valid: {}",
                            valid_providers()
                        ),
                    });
                }
                Some(k) => Some(k),
                None => {
                    return Err(InvalidChoice {
                        field: "provider",
                        message: format!("unknown provider {p:?}; valid: {}", valid_providers()),
                    });
                }
            },
            None => None,
        };
        let models_of = |k: ProviderKind| -> Vec<String> {
            match k {
                ProviderKind::Facts => vec![facts::MODEL.to_string()],
                ProviderKind::OpenAi => self
                    .openai_config()
                    .map(|c| c.models.clone())
                    .unwrap_or_default(),
            }
        };
        match (kind, model) {
            (None, None) => Ok(self.chain.first().cloned().unwrap_or_else(Step::facts)),
            (Some(k), None) => Ok(Step {
                provider: k,
                model: models_of(k).into_iter().next().unwrap_or_default(),
            }),
            (Some(k), Some(m)) => {
                if models_of(k).iter().any(|x| x == m) {
                    Ok(Step {
                        provider: k,
                        model: m.to_string(),
                    })
                } else {
                    Err(InvalidChoice {
                        field: "model",
                        message: format!(
                            "unknown model {m:?} for provider {:?}; valid: {}",
                            k.as_str(),
                            models_of(k).join(", ")
                        ),
                    })
                }
            }
            (None, Some(m)) => [ProviderKind::OpenAi, ProviderKind::Facts]
                .into_iter()
                .find(|k| models_of(*k).iter().any(|x| x == m))
                .map(|k| Step {
                    provider: k,
                    model: m.to_string(),
                })
                .ok_or_else(|| {
                    let mut all = models_of(ProviderKind::Facts);
                    all.extend(models_of(ProviderKind::OpenAi));
                    InvalidChoice {
                        field: "model",
                        message: format!("unknown model {m:?}; valid: {}", all.join(", ")),
                    }
                }),
        }
    }

    /// The steps a task runs: the one asked for, then the configured chain
    /// after it, ending at `facts`. Asking for `facts` runs only `facts`.
    fn steps_for(&self, task: &DescriptionTaskRow) -> (Vec<Step>, Option<String>) {
        let first = match self.resolve_step(
            task.requested_provider.as_deref(),
            task.requested_model.as_deref(),
        ) {
            Ok(s) => s,
            // Accepted when queued, but this node is configured otherwise
            // (e.g. restarted without the endpoint): say so, and use the
            // chain.
            Err(e) => return (self.chain.clone(), Some(e.message)),
        };
        let mut steps = vec![first.clone()];
        let start = self
            .chain
            .iter()
            .position(|s| *s == first)
            .map_or(0, |i| i + 1);
        for s in &self.chain[start..] {
            if !steps.contains(s) {
                steps.push(s.clone());
            }
        }
        if steps.last().map(|s| s.provider) != Some(ProviderKind::Facts) {
            steps.push(Step::facts());
        }
        (steps, None)
    }

    /// Tells an idle worker that a description was queued.
    pub fn notify_new_work(&self) {
        self.wake.notify_one();
    }

    /// Starts the description workers; they stop claiming when `shutdown`
    /// turns true and finish the description in hand.
    pub fn spawn_workers(
        self: &Arc<Self>,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let svc = self.clone();
        crate::jobs::spawn_named(
            self.config.workers,
            &format!("{}/d", self.node_id),
            &shutdown,
            move |worker, shutdown| svc.clone().worker_loop(worker, shutdown),
        )
    }

    async fn worker_loop(self: Arc<Self>, worker: String, mut shutdown: watch::Receiver<bool>) {
        // Expired leases are found by polling; new work wakes a worker.
        let poll =
            (self.config.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(2));
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self
                .store
                .claim_description(&worker, self.config.lease)
                .await
            {
                Ok(Some(task)) => self.run_with_lease(&worker, task).await,
                Ok(None) => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming a description failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    }

    /// Runs a claimed task while renewing its lease, so a slow model is not
    /// mistaken for a dead worker (a lease taken away meanwhile makes
    /// finish_description discard this run's result).
    async fn run_with_lease(&self, worker: &str, task: DescriptionTaskRow) {
        self.store
            .renewing_description_lease(
                &task.id,
                worker,
                self.config.lease,
                self.run(worker, &task),
            )
            .await;
    }

    async fn run(&self, worker: &str, task: &DescriptionTaskRow) {
        let started = Instant::now();
        let Some(job_id) = self.job_of(task).await else {
            return;
        };
        let ev = Emitter {
            events: &self.events,
            job_id: &job_id,
            task,
        };
        if task.attempts > self.config.max_attempts {
            let e = Error::new(
                ErrorCode::Internal,
                format!(
                    "the description was interrupted {} times (worker crashes); giving up",
                    task.attempts - 1
                ),
            );
            self.fail(worker, &ev, &e, None, None).await;
            return;
        }
        let (steps, unavailable) = self.steps_for(task);
        ev.emit(
            kind::START,
            level::INFO,
            "description started".into(),
            Some(0),
            json!({
                "description_task_id": task.id,
                "image_task_id": task.image_task_id,
                "attempt": task.attempts,
                "locale": task.locale,
                "chain": steps.iter().map(Step::label).collect::<Vec<_>>(),
            }),
        )
        .await;

        let locale = Locale::parse(&task.locale).unwrap_or(Locale::En);
        let grounded = match self.ground(task, locale).await {
            Ok(g) => g,
            Err(e) => {
                self.fail(worker, &ev, &e, None, None).await;
                return;
            }
        };
        let snapshot = grounded.prompt.snapshot();
        let mut attempts: Vec<Value> = Vec::new();
        let mut last_error: Option<Error> =
            unavailable.map(|m| Error::new(ErrorCode::AiUnavailable, m));
        for (i, step) in steps.iter().enumerate() {
            let t0 = Instant::now();
            let result = match step.provider {
                ProviderKind::Facts => {
                    ev.chunk(&grounded.facts, step).await;
                    Ok(grounded.facts.clone())
                }
                ProviderKind::OpenAi => self.run_openai(step, &grounded.prompt, &ev).await,
            };
            let ms = t0.elapsed().as_millis() as u64;
            match result {
                Ok(text) => {
                    attempts.push(json!({"provider": step.provider.as_str(), "model": step.model, "outcome": "SUCCESS", "duration_ms": ms}));
                    let outcome = DescriptionOutcome::Success {
                        text: text.clone(),
                        provider_used: step.provider.as_str().into(),
                        model_used: step.model.clone(),
                        prompt_snapshot: snapshot,
                        provider_attempts: Value::from(attempts).to_string(),
                        fallback_error: last_error
                            .as_ref()
                            .map(|e| (e.code.as_str().to_string(), e.message.clone())),
                    };
                    match self
                        .store
                        .finish_description(&task.id, worker, &outcome)
                        .await
                    {
                        Ok(true) => {
                            ev.emit(
                                kind::DONE,
                                level::INFO,
                                format!("description written by {}", step.label()),
                                Some(100),
                                json!({
                                    "description_task_id": task.id,
                                    "provider_used": step.provider.as_str(),
                                    "model_used": step.model,
                                    "fallback": last_error.is_some(),
                                    "duration_ms": started.elapsed().as_millis() as u64,
                                    "result_text": text,
                                }),
                            )
                            .await;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::error!(task = %task.id, error = %e, "recording a description failed")
                        }
                    }
                    return;
                }
                Err((e, streamed)) => {
                    tracing::warn!(task = %task.id, step = %step.label(), error = %e, "provider failed, falling back");
                    attempts.push(json!({"provider": step.provider.as_str(), "model": step.model, "outcome": "FAILED",
                        "error_code": e.code.as_str(), "error_message": e.message, "duration_ms": ms}));
                    if let Some(next) = steps.get(i + 1) {
                        ev.emit(
                            kind::PROGRESS,
                            level::WARNING,
                            format!("{} failed ({}); falling back to {}", step.label(), e.code, next.label()),
                            Some(50),
                            json!({
                                "description_task_id": task.id,
                                "fallback": {"from": step.label(), "to": next.label(),
                                             "error_code": e.code.as_str(), "error_message": e.message},
                                // Text already sent was from the failed
                                // provider: clients drop it.
                                "reset": streamed,
                            }),
                        )
                        .await;
                    }
                    last_error = Some(e);
                }
            }
        }
        // Unreachable while the chain ends at facts and grounding worked;
        // kept so a task can never stay RUNNING.
        let e = last_error.unwrap_or_else(|| Error::new(ErrorCode::Internal, "no provider ran"));
        self.fail(
            worker,
            &ev,
            &e,
            Some(snapshot),
            Some(Value::from(attempts).to_string()),
        )
        .await;
    }

    /// Streams one model's answer; PROGRESS events carry the pieces. The
    /// pieces that arrive while an event is being stored go out together,
    /// so a fast model costs fewer events, never lost text.
    async fn run_openai(
        &self,
        step: &Step,
        prompt: &prompt::Prompt,
        ev: &Emitter<'_>,
    ) -> std::result::Result<String, (Error, bool)> {
        let Some(client) = &self.openai else {
            return Err((
                Error::new(
                    ErrorCode::AiUnavailable,
                    "provider \"openai\" is not configured on this server",
                ),
                false,
            ));
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let call = async move {
            let r = client.complete(&step.model, prompt, &tx).await;
            drop(tx);
            r
        };
        let pump = async {
            let mut any = false;
            while let Some(mut piece) = rx.recv().await {
                while let Ok(more) = rx.try_recv() {
                    piece.push_str(&more);
                }
                any = true;
                ev.chunk(&piece, step).await;
            }
            any
        };
        let (result, streamed) = tokio::join!(call, pump);
        result.map_err(|e| (e, streamed))
    }

    async fn ground(&self, task: &DescriptionTaskRow, locale: Locale) -> Result<Grounded> {
        let raw = self
            .store
            .chart_data_of(&task.image_task_id)
            .await?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::AiNoChartData,
                    "the chart has no chart_data (it did not succeed, or it was removed)",
                )
            })?;
        let chart_data: Value = serde_json::from_str(&raw).map_err(|e| {
            Error::new(
                ErrorCode::AiNoChartData,
                format!("the chart's stored chart_data is not JSON: {e}"),
            )
        })?;
        let facts = facts::describe(&chart_data, locale)?;
        let prompt = prompt::build(&chart_data, &facts, task.user_context.as_deref(), locale);
        Ok(Grounded { facts, prompt })
    }

    async fn fail(
        &self,
        worker: &str,
        ev: &Emitter<'_>,
        e: &Error,
        prompt_snapshot: Option<String>,
        provider_attempts: Option<String>,
    ) {
        let outcome = DescriptionOutcome::Failed {
            error_code: e.code.as_str().to_string(),
            error_message: e.message.clone(),
            prompt_snapshot,
            provider_attempts,
        };
        match self
            .store
            .finish_description(&ev.task.id, worker, &outcome)
            .await
        {
            Ok(true) => {
                ev.emit(
                    kind::ERROR,
                    level::ERROR,
                    format!("description failed: {}", e.message),
                    Some(100),
                    json!({"description_task_id": ev.task.id, "error_code": e.code.as_str(), "error_message": e.message}),
                )
                .await;
            }
            Ok(false) => {}
            Err(err) => {
                tracing::error!(task = %ev.task.id, error = %err, "recording a description failure failed")
            }
        }
    }

    /// The job whose channel the task's events go to.
    async fn job_of(&self, task: &DescriptionTaskRow) -> Option<String> {
        if let Some(j) = &task.job_id {
            return Some(j.clone());
        }
        tracing::error!(task = %task.id, "description task without job_id");
        None
    }
}

fn config_error(message: &str) -> Error {
    Error::new(ErrorCode::Internal, format!("AI configuration: {message}"))
}

struct Grounded {
    facts: String,
    prompt: prompt::Prompt,
}

/// Emits a task's events on its job's channel.
struct Emitter<'a> {
    events: &'a EventBus,
    job_id: &'a str,
    task: &'a DescriptionTaskRow,
}

impl Emitter<'_> {
    async fn emit(
        &self,
        event_type: &'static str,
        level: &'static str,
        message: String,
        progress: Option<i64>,
        payload: Value,
    ) {
        let event = NewEvent {
            job_id: self.job_id.to_string(),
            task_id: Some(self.task.id.clone()),
            entity_type: "description_task",
            event_type,
            level,
            message,
            progress,
            payload,
            trace_id: self.task.trace_id.clone(),
        };
        if let Err(e) = self.events.emit(event).await {
            tracing::error!(error = %e, "emitting an event failed");
        }
    }

    async fn chunk(&self, text: &str, step: &Step) {
        self.emit(
            kind::PROGRESS,
            level::INFO,
            "description text".into(),
            Some(50),
            json!({
                "description_task_id": self.task.id,
                "chunk": text,
                "provider": step.provider.as_str(),
                "model": step.model,
            }),
        )
        .await;
    }
}
