//! One task's chart: its inputs (job, dataset, the exact plugin build),
//! the result cache, the sandboxed render and the stored files.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{JobInputs, JobService};
use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::pipeline::{self, ChartRequest, OutputFormats};
use crate::plugins::{LoadedPlugin, PluginFailure};
use crate::render::Scale;
use crate::store::CachedRender;
use crate::store::model::{ImageTaskRow, OutputFormat};
use crate::style::{self, ResolvedStyle};

impl JobService {
    /// The build the task was accepted with; tasks queued before builds
    /// were recorded at creation resolve as a new job would.
    ///
    /// A build uploaded on another node sharing the database is fetched
    /// from the blob store and compiled here the first time a task needs
    /// it.
    async fn plugin_for(&self, task: &ImageTaskRow) -> Result<Arc<LoadedPlugin>> {
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
    /// and run twice. `prepared` is what [`Self::prepare_batch`] found for
    /// it, if it was in a batch.
    pub(super) async fn render_renewing_lease(
        &self,
        worker: &str,
        task: &ImageTaskRow,
        prepared: Option<Prepared>,
    ) -> std::result::Result<Rendered, TaskError> {
        self.store
            .renewing_task_lease(
                &task.id,
                worker,
                self.config.lease,
                self.render_task(task, prepared),
            )
            .await
    }

    /// Resolves what `task`'s render takes: its dataset, the plugin build,
    /// style, params and result-cache key.
    async fn prepare(&self, task: &ImageTaskRow) -> std::result::Result<Inputs, TaskError> {
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
        let config: Value = serde_json::from_str(&job.visualization_config).unwrap_or(Value::Null);
        let style = style::resolve(&config).map_err(|e| {
            TaskError::Final(
                e,
                Some(plugin.info.version.clone()),
                Some(plugin.sha256.clone()),
                None,
            )
        })?;
        let params: Value = serde_json::from_str(&task.params).unwrap_or_else(|_| json!({}));
        let format = task.output_format();
        let key = cache_key(
            &dataset.sha256,
            &plugin.sha256,
            &params,
            &style.fingerprint(),
            format,
        );
        Ok(Inputs {
            dataset,
            plugin,
            style,
            params,
            format,
            key,
        })
    }

    /// Prepares a batch's tasks and looks them all up in the result cache
    /// in one query: on PostgreSQL a lookup per chart was a round trip per
    /// chart. A task missing from the answer (its inputs failed to
    /// resolve, or the query did) prepares itself when it runs.
    pub(super) async fn prepare_batch(&self, tasks: &[ImageTaskRow]) -> HashMap<String, Prepared> {
        let mut ready = Vec::with_capacity(tasks.len());
        for task in tasks {
            if let Ok(inputs) = self.prepare(task).await {
                ready.push((task.id.clone(), inputs));
            }
        }
        let keys: Vec<&str> = ready.iter().map(|(_, i)| i.key.as_str()).collect();
        let found = match self.store.cached_renders(&keys).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "looking up a batch in the result cache failed");
                return HashMap::new();
            }
        };
        ready
            .into_iter()
            .map(|(id, inputs)| {
                // Cloned, not taken: charts of one batch may share a key.
                let cached = found.get(&inputs.key).cloned();
                (id, Prepared { inputs, cached })
            })
            .collect()
    }

    async fn render_task(
        &self,
        task: &ImageTaskRow,
        prepared: Option<Prepared>,
    ) -> std::result::Result<Rendered, TaskError> {
        let (inputs, cached) = match prepared {
            Some(p) => (p.inputs, p.cached),
            None => {
                let inputs = self.prepare(task).await?;
                let cached = self
                    .store
                    .cached_render(&inputs.key)
                    .await
                    .map_err(TaskError::Transient)?;
                (inputs, cached)
            }
        };
        let Inputs {
            dataset,
            plugin,
            style,
            params,
            format,
            key,
        } = inputs;
        if let Some(cached) = cached {
            return Ok(Rendered {
                version: plugin.info.version.clone(),
                sha256: plugin.sha256.clone(),
                cached,
                logs: json!({"stdout": "", "stderr": ""}),
                store_as: None,
                unstored: Vec::new(),
            });
        }
        let version = Some(plugin.info.version.clone());
        let sha = Some(plugin.sha256.clone());

        let token = self.start_held(task);
        if token.is_cancelled() {
            return Err(TaskError::Final(
                Error::new(ErrorCode::PluginCancelled, "cancelled before it started"),
                version,
                sha,
                None,
            ));
        }
        let rasterizer = self.rasterizer.clone();
        let runtime = self.registry.runtime().clone();
        let plugin_for_run = plugin.clone();
        let dataset_for_run = dataset;
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
        if write_fault {
            return Err(TaskError::Transient(Error::new(
                ErrorCode::Internal,
                "storing the chart's files failed (injected fault)",
            )));
        }
        let unstored = take_files(&mut art, format);
        let logs = &art.logs;
        Ok(Rendered {
            version: plugin.info.version.clone(),
            sha256: plugin.sha256.clone(),
            cached: CachedRender {
                png_sha256: None,
                svg_sha256: None,
                chart_data: art.chart_data.to_string(),
                warnings: Value::from(art.warnings.clone()).to_string(),
            },
            logs: json!({"stdout": logs.stdout, "stderr": logs.stderr}),
            store_as: Some(key),
            unstored,
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

/// A render's files to store (content-addressed; the image bytes move
/// out of `art`): its PNG if drawn, its SVG if asked for.
fn take_files(art: &mut pipeline::ChartArtifacts, format: OutputFormat) -> Vec<File> {
    let mut files = Vec::with_capacity(2);
    if let Some(png) = art.png.take() {
        files.push((png.into(), "png"));
    }
    if format.wants_svg() {
        files.push((std::mem::take(&mut art.svg).into(), "svg"));
    }
    files
}

/// A file of a render: its bytes and its extension.
pub(super) type File = (Bytes, &'static str);

/// Names a render's PNG and SVG in its cache record by the sha256s its
/// `files` (as [`take_files`] listed them) were stored under.
pub(super) fn name_files(cached: &mut CachedRender, files: &[File], shas: &[String]) {
    for ((_, ext), sha) in files.iter().zip(shas) {
        let slot = if *ext == "png" {
            &mut cached.png_sha256
        } else {
            &mut cached.svg_sha256
        };
        *slot = Some(sha.clone());
    }
}

/// What a task's render takes, resolved.
pub(super) struct Inputs {
    dataset: Arc<Dataset>,
    plugin: Arc<LoadedPlugin>,
    style: ResolvedStyle,
    params: Value,
    format: OutputFormat,
    key: String,
}

/// A batched task's inputs and what the result cache held for it when
/// its batch was claimed.
pub(super) struct Prepared {
    inputs: Inputs,
    cached: Option<CachedRender>,
}

pub(super) struct Rendered {
    pub version: String,
    pub sha256: String,
    pub cached: CachedRender,
    /// The result-cache key to store a fresh render under; `None` when
    /// the render came from the cache.
    pub store_as: Option<String>,
    /// A fresh render's files, not yet stored (`cached` does not name
    /// them yet): its worker writes them with its batch-mates', before
    /// their ends.
    pub unstored: Vec<File>,
    pub logs: Value,
}

impl Rendered {
    pub fn cache_hit(&self) -> bool {
        self.store_as.is_none()
    }
}

/// Transient errors are retried; final ones (every plugin failure: the
/// same input fails the same way) are recorded, with what is known of the
/// plugin and its output.
pub(super) enum TaskError {
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
