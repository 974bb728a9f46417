//! Prometheus metrics: plugin duration histogram and failures recorded as
//! tasks run; tasks by status and queue depth read from the store at
//! scrape time, so they are right even after a restart.
//!
//! Each node serves its own: the counters, the histogram and
//! `node_running_tasks` are this node's (`node_info` names it), while
//! the task and queue gauges, read from the shared database, are the
//! cluster's and read the same on every node.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::ErrorCode;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Algorithm {
    algorithm: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Failure {
    algorithm: String,
    error_code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabels {
    node: String,
    version: String,
    backend: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: String,
}

pub struct Metrics {
    registry: Registry,
    plugin_seconds: Family<Algorithm, Histogram>,
    failures: Family<Failure, Counter>,
    cache_hits: Counter,
    tasks: Family<Status, Gauge>,
    queue_depth: Gauge,
    node_info: Family<NodeLabels, Gauge>,
    node_running: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("patchart");
        let plugin_seconds = Family::<Algorithm, Histogram>::new_with_constructor(|| {
            // 0.5 ms .. ~8 s
            Histogram::new(exponential_buckets(0.0005, 2.0, 15))
        });
        let failures = Family::<Failure, Counter>::default();
        let cache_hits = Counter::default();
        let tasks = Family::<Status, Gauge>::default();
        let queue_depth = Gauge::default();
        let node_info = Family::<NodeLabels, Gauge>::default();
        let node_running = Gauge::default();
        registry.register(
            "node_info",
            "This node: its id, version and database backend (value 1)",
            node_info.clone(),
        );
        registry.register(
            "node_running_tasks",
            "Plugins running on this node now",
            node_running.clone(),
        );
        registry.register(
            "plugin_duration_seconds",
            "Time to draw one chart (plugin + rasterize; its files are written with its batch's ends), by algorithm",
            plugin_seconds.clone(),
        );
        registry.register(
            "plugin_failures",
            "Failed image tasks by algorithm and error code",
            failures.clone(),
        );
        registry.register(
            "render_cache_hits",
            "Image tasks served from the result cache",
            cache_hits.clone(),
        );
        registry.register("image_tasks", "Image tasks by status", tasks.clone());
        registry.register(
            "queue_depth",
            "Image tasks waiting to run",
            queue_depth.clone(),
        );
        Metrics {
            registry,
            plugin_seconds,
            failures,
            cache_hits,
            tasks,
            queue_depth,
            node_info,
            node_running,
        }
    }

    /// Names the node these metrics are of.
    pub fn set_node(&self, node: &str, backend: &str) {
        self.node_info
            .get_or_create(&NodeLabels {
                node: node.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                backend: backend.to_string(),
            })
            .set(1);
    }

    pub fn set_running(&self, n: usize) {
        self.node_running.set(n as i64);
    }

    pub fn observe_render(&self, algorithm: &str, elapsed: Duration, cache_hit: bool) {
        if cache_hit {
            self.cache_hits.inc();
        } else {
            self.plugin_seconds
                .get_or_create(&Algorithm {
                    algorithm: algorithm.to_string(),
                })
                .observe(elapsed.as_secs_f64());
        }
    }

    pub fn observe_failure(&self, algorithm: &str, code: ErrorCode) {
        self.failures
            .get_or_create(&Failure {
                algorithm: algorithm.to_string(),
                error_code: code.as_str().to_string(),
            })
            .inc();
    }

    /// The text exposition, with the store-derived gauges set from
    /// `task_counts` (status, count).
    pub fn encode(&self, task_counts: &[(String, i64)]) -> String {
        for status in crate::store::model::TaskStatus::ALL {
            let n = task_counts
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| *n);
            self.tasks
                .get_or_create(&Status {
                    status: status.as_str().to_string(),
                })
                .set(n);
            if status == crate::store::model::TaskStatus::Pending {
                self.queue_depth.set(n);
            }
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.push_str("# encoding failed\n");
        }
        out
    }
}
