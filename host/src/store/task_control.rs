//! One chart at a time: cancelling a single image task and queueing one
//! that failed or was cancelled again (the replaced Jobs API's per-image
//! cancel and retry). Both are guarded single-row updates inside a
//! [`WriteTx`], so the caller adds the events and the job's finalisation
//! to the same transaction and a chart never changes without them.

use super::notify::Signal;
use super::queue::WriteTx;
use super::{db, now};
use crate::error::Result;
use crate::store::model::TaskStatus;

/// What a per-chart request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskChange {
    /// The chart changed; `reopened` when its job had ended and is
    /// running again (a retry).
    Changed { reopened: bool },
    /// The chart was in this status, which the request does not apply to.
    Refused(TaskStatus),
}

impl WriteTx {
    /// Cancels the image task if it is pending or running. The worker of a
    /// running one is told to stop when the transaction commits; whatever
    /// it records afterwards is discarded by the status guard.
    pub async fn cancel_task(&mut self, task_id: &str) -> Result<TaskChange> {
        let ts = now();
        let cancelled = self
            .changes_one(
                sqlx::query(self.db.sql(
                    "UPDATE image_tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires_ms = NULL, \
                     error_code = 'CANCELLED', error_message = 'the chart was cancelled', updated_at = $1, \
                     finished_at = $1 WHERE id = $2 AND status IN ('PENDING', 'RUNNING')",
                ))
                .bind(&ts)
                .bind(task_id),
            )
            .await?;
        if !cancelled {
            return Ok(TaskChange::Refused(self.status_of(task_id).await?));
        }
        self.announce.push(Signal::TaskCancelled {
            task_id: task_id.to_string(),
        });
        Ok(TaskChange::Changed { reopened: false })
    }

    /// Queues a failed or cancelled image task again, on the build it was
    /// pinned to (`plugin_sha256` is kept), with its previous result and
    /// error cleared. Its job, if it had ended, is RUNNING again, so it is
    /// finalised anew when the chart ends.
    pub async fn retry_task(&mut self, task_id: &str, job_id: &str) -> Result<TaskChange> {
        let ts = now();
        let queued = self
            .changes_one(
                sqlx::query(self.db.sql(
                    "UPDATE image_tasks SET status = 'PENDING', progress = 0, lease_owner = NULL, \
                     lease_expires_ms = NULL, png_sha256 = NULL, svg_sha256 = NULL, chart_data = NULL, \
                     warnings = NULL, cache_hit = 0, duration_ms = NULL, error_code = NULL, \
                     error_message = NULL, started_at = NULL, finished_at = NULL, updated_at = $1 \
                     WHERE id = $2 AND status IN ('FAILED', 'CANCELLED')",
                ))
                .bind(&ts)
                .bind(task_id),
            )
            .await?;
        if !queued {
            return Ok(TaskChange::Refused(self.status_of(task_id).await?));
        }
        let reopened = self
            .changes_one(
                sqlx::query(self.db.sql(
                    "UPDATE jobs SET status = 'RUNNING', finished_at = NULL, updated_at = $1 \
                     WHERE id = $2 AND status NOT IN ('PENDING', 'RUNNING')",
                ))
                .bind(&ts)
                .bind(job_id),
            )
            .await?;
        self.announce.push(Signal::Work);
        Ok(TaskChange::Changed { reopened })
    }

    async fn status_of(&mut self, task_id: &str) -> Result<TaskStatus> {
        let s: String =
            sqlx::query_scalar(self.db.sql("SELECT status FROM image_tasks WHERE id = $1"))
                .bind(task_id)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(db)?;
        Ok(TaskStatus::parse(&s).unwrap_or(TaskStatus::Failed))
    }
}
