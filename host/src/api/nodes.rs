//! `GET /api/nodes/`: the nodes serving this database, for operators.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::views::ErrorBody;
use super::{Admin, ApiError, AppState};
use crate::store::LeasedTask;

/// A node that has not written its heartbeat for this long is not listed:
/// it stopped without saying so (killed, its machine gone), and its tasks
/// run elsewhere once their leases end.
pub const NODE_SILENT_AFTER_MS: i64 = 10_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeView {
    /// Set by `--node-id` (default: random at each start); leases name it
    /// as `<node id>/<worker>`.
    pub id: String,
    /// patchart's version on that node.
    pub version: String,
    /// The address its API listens on.
    pub bind: String,
    /// Image workers (0: an API-only node).
    pub workers: i64,
    pub describe_workers: i64,
    pub started_at: String,
    pub last_heartbeat: String,
    /// How long ago, as this node's clock sees it.
    pub heartbeat_age_ms: i64,
    /// Whether this is the node that answered.
    pub this_node: bool,
    /// Tasks its workers hold live leases on.
    pub running: Vec<LeasedTask>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeList {
    pub count: usize,
    pub results: Vec<NodeView>,
    /// Tasks leased to a worker of no listed node (it died; each runs
    /// again when its lease ends).
    pub orphaned: Vec<LeasedTask>,
}

/// Live nodes, with what each is running.
#[utoipa::path(get, path = "/api/nodes/", security(("bearer" = [])),
    responses(
        (status = 200, body = NodeList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn list_nodes(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> Result<Json<NodeList>, ApiError> {
    let nodes = state.store.live_nodes(NODE_SILENT_AFTER_MS).await?;
    let mut leased = state.store.leased_tasks().await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let this = &state.jobs.config().node_id;
    let results: Vec<NodeView> = nodes
        .into_iter()
        .map(|n| {
            let prefix = format!("{}/", n.id);
            let (running, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut leased)
                .into_iter()
                .partition(|t| t.worker.starts_with(&prefix));
            leased = rest;
            NodeView {
                this_node: &n.id == this,
                heartbeat_age_ms: (now_ms - n.heartbeat_ms).max(0),
                id: n.id,
                version: n.version,
                bind: n.bind,
                workers: n.workers,
                describe_workers: n.describe_workers,
                started_at: n.started_at,
                last_heartbeat: n.heartbeat_at,
                running,
            }
        })
        .collect();
    Ok(Json(NodeList {
        count: results.len(),
        results,
        orphaned: leased,
    }))
}
