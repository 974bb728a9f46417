//! Deleting jobs and datasets, and collecting the blobs nothing refers
//! to any more.
//!
//! Rows go first, each deletion in one transaction (a job with its tasks,
//! descriptions and events); blobs go later, in [`Store::collect_garbage`],
//! and only those no remaining row names and nobody stored for a grace
//! period. A crash between the two leaves unreferenced blobs for the next
//! sweep: never a row whose blob is missing.

use std::collections::HashSet;
use std::time::Duration;

use super::model::User;
use super::sql::db;
use super::{Store, now_ms};
use crate::error::{Error, ErrorCode, Result};

/// What deleting a dataset did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DatasetDeleted {
    /// The caller no longer sees the dataset.
    pub access_removed: bool,
    /// No one else had it: the dataset itself is gone (its upload is
    /// collected by the next sweep).
    pub dataset_removed: bool,
}

/// Terminal job statuses, as stored.
const ENDED: &str = "('SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'CANCELLED')";

impl Store {
    /// Deletes job `id` with its tasks, descriptions and events. False
    /// when there was no such job.
    pub async fn delete_job(&self, id: &str) -> Result<bool> {
        let n = sqlx::query(self.db.sql("DELETE FROM jobs WHERE id = $1"))
            .bind(id)
            .execute(&self.db.write)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n > 0)
    }

    /// Jobs that ended before `before_ms` (oldest first, at most `limit`),
    /// for the retention sweep.
    pub async fn jobs_ended_before(&self, before_ms: i64, limit: i64) -> Result<Vec<String>> {
        let before = chrono::DateTime::from_timestamp_millis(before_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let sql = self.db.sql_owned(format!(
            "SELECT id FROM jobs WHERE status IN {ENDED} AND updated_at < $1 \
             ORDER BY updated_at LIMIT CAST($2 AS BIGINT)"
        ));
        sqlx::query_scalar(sql)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.db.read)
            .await
            .map_err(db)
    }

    /// Takes dataset `id` away from `user` (an admin: from everyone), and
    /// deletes it once no one has it. Refused with `DATASET_IN_USE` while
    /// jobs the caller could delete use it (an admin: any job), so no job
    /// loses its input. `None` when the caller cannot see it.
    pub async fn delete_dataset(&self, user: &User, id: &str) -> Result<Option<DatasetDeleted>> {
        if self.dataset_for(user, id).await?.is_none() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let in_use: i64 = if user.is_admin() {
            sqlx::query_scalar(
                self.db
                    .sql("SELECT COUNT(*) FROM jobs WHERE dataset_id = $1"),
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await
        } else {
            sqlx::query_scalar(
                self.db
                    .sql("SELECT COUNT(*) FROM jobs WHERE dataset_id = $1 AND created_by = $2"),
            )
            .bind(id)
            .bind(&user.id)
            .fetch_one(&mut *tx)
            .await
        }
        .map_err(db)?;
        if in_use > 0 {
            return Err(Error::new(
                ErrorCode::DatasetInUse,
                format!(
                    "{in_use} job(s) use this dataset; delete them first (DELETE /api/jobs/<id>/)"
                ),
            ));
        }
        let access_removed = if user.is_admin() {
            true
        } else {
            sqlx::query(
                self.db
                    .sql("DELETE FROM dataset_access WHERE dataset_id = $1 AND user_id = $2"),
            )
            .bind(id)
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
                > 0
        };
        // Gone once no one else has it and no job (of anyone) uses it.
        let dataset_removed = sqlx::query(self.db.sql(
            "DELETE FROM datasets WHERE id = $1 \
             AND ($2 OR NOT EXISTS (SELECT 1 FROM dataset_access a WHERE a.dataset_id = datasets.id)) \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.dataset_id = datasets.id)",
        ))
        .bind(id)
        .bind(user.is_admin())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            > 0;
        tx.commit().await.map_err(db)?;
        Ok(Some(DatasetDeleted {
            access_removed,
            dataset_removed,
        }))
    }

    /// Deletes the blobs (uploads, artifacts, plugin components) no row
    /// refers to and nobody stored in the last `grace`, after dropping
    /// result-cache entries whose charts no task shows any more. Returns
    /// how many blobs went.
    ///
    /// The grace covers a blob stored a moment before the row naming it
    /// commits: a render whose task row is still being written, an upload
    /// whose dataset is being inserted.
    pub async fn collect_garbage(&self, grace: Duration) -> Result<u64> {
        let cutoff_ms = now_ms() - grace.as_millis() as i64;
        let cutoff = chrono::DateTime::from_timestamp_millis(cutoff_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        sqlx::query(self.db.sql(
            "DELETE FROM render_cache WHERE created_at < $1 \
             AND (png_sha256 IS NULL OR png_sha256 NOT IN \
                  (SELECT png_sha256 FROM image_tasks WHERE png_sha256 IS NOT NULL)) \
             AND (svg_sha256 IS NULL OR svg_sha256 NOT IN \
                  (SELECT svg_sha256 FROM image_tasks WHERE svg_sha256 IS NOT NULL))",
        ))
        .bind(&cutoff)
        .execute(&self.db.write)
        .await
        .map_err(db)?;
        let referenced: HashSet<String> = sqlx::query_scalar::<_, String>(self.db.sql(
            "SELECT png_sha256 FROM image_tasks WHERE png_sha256 IS NOT NULL \
             UNION SELECT svg_sha256 FROM image_tasks WHERE svg_sha256 IS NOT NULL \
             UNION SELECT png_sha256 FROM render_cache WHERE png_sha256 IS NOT NULL \
             UNION SELECT svg_sha256 FROM render_cache WHERE svg_sha256 IS NOT NULL \
             UNION SELECT sha256 FROM datasets \
             UNION SELECT sha256 FROM plugins",
        ))
        .fetch_all(&self.db.read)
        .await
        .map_err(db)?
        .into_iter()
        .collect();
        let removed = self.blobs.sweep(cutoff_ms, &referenced).await?;
        if removed > 0 {
            tracing::info!(blobs = removed, "collected unreferenced blobs");
        }
        Ok(removed)
    }
}
