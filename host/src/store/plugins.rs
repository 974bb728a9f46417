//! What operators decided about plugin builds (status, limits), and the
//! run statistics of each build, taken from the tasks it ran.

use std::collections::HashMap;

use super::notify::Signal;
use super::{Store, db, now};
use crate::error::Result;

/// A plugin build as recorded in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PluginRecord {
    pub sha256: String,
    pub key: String,
    pub version: String,
    pub source: String,
    pub origin: String,
    pub status: String,
    /// JSON of the limits override, if an operator set one.
    pub limits: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// How a plugin build has done so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginStats {
    /// Tasks that ran the plugin to an end (cache hits excluded).
    pub runs: i64,
    pub failures: i64,
    /// Tasks served from the render cache on this build.
    pub cache_hits: i64,
    /// Median duration of the runs, in milliseconds.
    pub p50_ms: Option<i64>,
}

impl Store {
    pub async fn plugin_records(&self) -> Result<Vec<PluginRecord>> {
        sqlx::query_as(
            self.db
                .sql("SELECT * FROM plugins ORDER BY key, version, created_at"),
        )
        .fetch_all(&self.db.read)
        .await
        .map_err(db)
    }

    /// Records a build seen at start or registered at run time. A known
    /// build keeps its status and limits unless `status` is given.
    pub async fn record_plugin(
        &self,
        sha256: &str,
        key: &str,
        version: &str,
        source: &str,
        origin: &str,
        status: Option<&str>,
    ) -> Result<()> {
        let ts = now();
        sqlx::query(
            self.db.sql("INSERT INTO plugins (sha256, key, version, source, origin, status, limits, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, COALESCE($6, 'enabled'), NULL, $7, $7) \
             ON CONFLICT (sha256) DO UPDATE SET source = $4, origin = $5, \
             status = COALESCE($6, plugins.status), updated_at = $7"),
        )
        .bind(sha256)
        .bind(key)
        .bind(version)
        .bind(source)
        .bind(origin)
        .bind(status)
        .bind(&ts)
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        self.announce(vec![Signal::Plugins]).await
    }

    pub async fn set_plugin_status(&self, sha256: &str, status: &str) -> Result<()> {
        self.update_plugin(
            "UPDATE plugins SET status = $1, updated_at = $2 WHERE sha256 = $3",
            status,
            sha256,
        )
        .await
    }

    pub async fn set_plugin_limits(&self, sha256: &str, limits_json: &str) -> Result<()> {
        self.update_plugin(
            "UPDATE plugins SET limits = $1, updated_at = $2 WHERE sha256 = $3",
            limits_json,
            sha256,
        )
        .await
    }

    async fn update_plugin(&self, sql: &'static str, value: &str, sha256: &str) -> Result<()> {
        sqlx::query(self.db.sql(sql))
            .bind(value)
            .bind(now())
            .bind(sha256)
            .execute(&self.db.write)
            .await
            .map_err(db)?;
        self.announce(vec![Signal::Plugins]).await
    }

    /// Statistics of every build that has run at least one task, or of
    /// the build `only` alone.
    pub async fn plugin_stats(&self, only: Option<&str>) -> Result<HashMap<String, PluginStats>> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            self.db.sql("SELECT plugin_sha256, \
                    SUM(CASE WHEN cache_hit = 0 AND status IN ('SUCCESS', 'FAILED') THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN cache_hit = 0 AND status = 'FAILED' THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN cache_hit = 1 THEN 1 ELSE 0 END) \
             FROM image_tasks WHERE plugin_sha256 IS NOT NULL AND ($1 IS NULL OR plugin_sha256 = $1) \
             GROUP BY plugin_sha256"),
        )
        .bind(only)
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?;
        let mut out = HashMap::new();
        for (sha, runs, failures, cache_hits) in rows {
            let p50_ms = if runs > 0 {
                sqlx::query_scalar(
                    self.db.sql("SELECT duration_ms FROM image_tasks \
                     WHERE plugin_sha256 = $1 AND cache_hit = 0 AND status IN ('SUCCESS', 'FAILED') \
                     AND duration_ms IS NOT NULL ORDER BY duration_ms LIMIT 1 OFFSET $2"),
                )
                .bind(&sha)
                .bind((runs - 1) / 2)
                .fetch_optional(&self.db.read)
                .await
                .map_err(db)?
            } else {
                None
            };
            out.insert(
                sha,
                PluginStats {
                    runs,
                    failures,
                    cache_hits,
                    p50_ms,
                },
            );
        }
        Ok(out)
    }
}
