//! The nodes serving one database: each writes a heartbeat row, and an
//! operator reads which are alive and what they are running. Leases
//! name their worker as `<node id>/<worker>`, so what a node runs is the
//! tasks whose live lease carries its id.

use serde::Serialize;

use super::sql::db;
use super::{Store, now, now_ms};
use crate::error::Result;

/// What a node says about itself at every heartbeat.
#[derive(Debug, Clone)]
pub struct NodeRegistration {
    pub id: String,
    pub version: String,
    /// The address its HTTP API listens on.
    pub bind: String,
    pub workers: i64,
    pub describe_workers: i64,
    pub started_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NodeRow {
    pub id: String,
    pub version: String,
    pub bind: String,
    pub workers: i64,
    pub describe_workers: i64,
    pub started_at: String,
    pub heartbeat_at: String,
    pub heartbeat_ms: i64,
}

/// A task some worker holds a live lease on.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LeasedTask {
    /// `image` or `description`.
    pub kind: String,
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub job_id: Option<String>,
    /// The chart, for image tasks; the provider, for descriptions.
    pub label: Option<String>,
    /// `<node id>/<worker>`.
    pub worker: String,
    pub started_at: Option<String>,
    pub lease_expires_ms: i64,
}

impl Store {
    /// Writes (or refreshes) this node's row.
    pub async fn heartbeat(&self, node: &NodeRegistration) -> Result<()> {
        sqlx::query(self.db.sql(
            "INSERT INTO nodes (id, version, bind, workers, describe_workers, started_at, heartbeat_at, heartbeat_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, bind = excluded.bind, \
             workers = excluded.workers, describe_workers = excluded.describe_workers, \
             heartbeat_at = excluded.heartbeat_at, heartbeat_ms = excluded.heartbeat_ms",
        ))
        .bind(&node.id)
        .bind(&node.version)
        .bind(&node.bind)
        .bind(node.workers)
        .bind(node.describe_workers)
        .bind(&node.started_at)
        .bind(now())
        .bind(now_ms())
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Removes a node's row (it stopped gracefully), and the rows of
    /// nodes silent for longer than `forget_after_ms`.
    pub async fn remove_node(&self, id: &str, forget_after_ms: i64) -> Result<()> {
        sqlx::query(
            self.db
                .sql("DELETE FROM nodes WHERE id = $1 OR heartbeat_ms < $2"),
        )
        .bind(id)
        .bind(now_ms() - forget_after_ms)
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Nodes whose last heartbeat is at most `max_age_ms` old, by id.
    pub async fn live_nodes(&self, max_age_ms: i64) -> Result<Vec<NodeRow>> {
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM nodes WHERE heartbeat_ms >= $1 ORDER BY id"),
        )
        .bind(now_ms() - max_age_ms)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }

    /// Every image and description task under a lease that has not
    /// expired, oldest first.
    pub async fn leased_tasks(&self) -> Result<Vec<LeasedTask>> {
        sqlx::query_as(self.db.sql(
            "SELECT 'image' AS kind, id, job_id, algorithm_key AS label, lease_owner AS worker, \
                    started_at, lease_expires_ms \
             FROM image_tasks WHERE status = 'RUNNING' AND lease_expires_ms >= $1 \
             UNION ALL \
             SELECT 'description' AS kind, d.id, COALESCE(d.job_id, i.job_id) AS job_id, \
                    COALESCE(d.provider_used, d.requested_provider) AS label, d.lease_owner AS worker, \
                    d.started_at, d.lease_expires_ms \
             FROM description_tasks d LEFT JOIN image_tasks i ON i.id = d.image_task_id \
             WHERE d.status = 'RUNNING' AND d.lease_expires_ms >= $1 \
             ORDER BY started_at",
        ))
        .bind(now_ms())
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores;

    #[tokio::test]
    async fn a_node_is_live_while_it_beats_and_gone_once_removed() {
        for t in test_stores().await {
            let store = &t.store;
            let node = NodeRegistration {
                id: "node-a".to_string(),
                version: "1.2.3".to_string(),
                bind: "127.0.0.1:1".to_string(),
                workers: 2,
                describe_workers: 1,
                started_at: now(),
            };
            store.heartbeat(&node).await.expect("first beat");
            store
                .heartbeat(&NodeRegistration {
                    workers: 3,
                    ..node.clone()
                })
                .await
                .expect("second beat updates");
            let live = store.live_nodes(60_000).await.expect("live");
            assert_eq!(live.len(), 1, "{}", t.store.backend().as_str());
            assert_eq!(live[0].workers, 3, "{}", t.store.backend().as_str());
            // No heartbeat is newer than a minute from now.
            assert!(
                store.live_nodes(-60_000).await.expect("live").is_empty(),
                "{}",
                t.store.backend().as_str()
            );
            store.remove_node("node-a", 60_000).await.expect("remove");
            assert!(
                store.live_nodes(60_000).await.expect("live").is_empty(),
                "{}",
                t.store.backend().as_str()
            );
            assert!(store.leased_tasks().await.expect("leases").is_empty());
        }
    }
}
