//! The description queue: description tasks are claimed atomically with a
//! lease, like image tasks, so a worker that dies leaves a lease that
//! expires and the task runs again (up to the attempt limit).

use std::time::Duration;

use super::lease;
use super::notify::Signal;
use super::sql::Backend;
use super::{Store, db, now, now_ms};
use crate::error::Result;
use crate::store::model::DescriptionTaskRow;

/// A description task, as validated by the API.
#[derive(Debug, Clone)]
pub struct NewDescription {
    pub image_task_id: String,
    pub job_id: String,
    pub created_by: String,
    pub user_context: Option<String>,
    pub locale: String,
    pub requested_provider: Option<String>,
    pub requested_model: Option<String>,
    pub trace_id: String,
}

/// How a description run ended, to be recorded.
#[derive(Debug, Clone)]
pub enum DescriptionOutcome {
    Success {
        text: String,
        provider_used: String,
        model_used: String,
        prompt_snapshot: String,
        provider_attempts: String,
        /// The last provider failure before the one that wrote the text.
        fallback_error: Option<(String, String)>,
    },
    Failed {
        error_code: String,
        error_message: String,
        prompt_snapshot: Option<String>,
        provider_attempts: Option<String>,
    },
}

impl Store {
    pub async fn insert_description(&self, d: &NewDescription) -> Result<DescriptionTaskRow> {
        let ts = now();
        let row = sqlx::query_as(
            self.db.sql("INSERT INTO description_tasks (id, image_task_id, job_id, created_by, user_context, locale, \
             requested_provider, requested_model, status, trace_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9, $10, $11) RETURNING *"),
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&d.image_task_id)
        .bind(&d.job_id)
        .bind(&d.created_by)
        .bind(&d.user_context)
        .bind(&d.locale)
        .bind(&d.requested_provider)
        .bind(&d.requested_model)
        .bind(&d.trace_id)
        .bind(&ts)
        .bind(&ts)
        .fetch_one(&self.db.write)
        .await
        .map_err(db)?;
        self.announce(vec![Signal::Work]).await?;
        Ok(row)
    }

    /// Description tasks `user_id` has pending or running.
    pub async fn active_descriptions_of(&self, user_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            self.db.sql("SELECT COUNT(*) FROM description_tasks WHERE created_by = $1 AND status IN ('PENDING', 'RUNNING')"),
        )
        .bind(user_id)
        .fetch_one(&self.db.read)
        .await
        .map_err(db)
    }

    /// Atomically claims the oldest runnable description: one whose worker
    /// died (expired lease) first, else the oldest pending. Two lookups,
    /// each walking the queue index from its status, as `claim_tasks`
    /// does; one at a time, as a description waits on a model for seconds.
    pub async fn claim_description(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<DescriptionTaskRow>> {
        let now_ms = now_ms();
        sqlx::query_as(self.db.sql(lease::DESCRIPTION_TASKS.claim(self.db.backend)))
            .bind(worker)
            .bind(now_ms + lease.as_millis() as i64)
            .bind(now())
            .bind(now_ms)
            .bind(1_i64)
            .fetch_optional(&self.db.write)
            .await
            .map_err(db)
    }

    /// `work` under `worker`'s lease on description `id`, renewed as it
    /// runs: a model can stream for longer than one lease.
    pub async fn renewing_description_lease<T>(
        &self,
        id: &str,
        worker: &str,
        length: Duration,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        self.while_renewing(&lease::DESCRIPTION_TASKS, id, worker, length, work)
            .await
    }

    /// Records how a description ended, if `worker` still holds it.
    pub async fn finish_description(
        &self,
        id: &str,
        worker: &str,
        outcome: &DescriptionOutcome,
    ) -> Result<bool> {
        let ts = now();
        let q = match outcome {
            DescriptionOutcome::Success {
                text,
                provider_used,
                model_used,
                prompt_snapshot,
                provider_attempts,
                fallback_error,
            } => sqlx::query(
                self.db.sql("UPDATE description_tasks SET status = 'SUCCESS', result_text = $1, provider_used = $2, model_used = $3, \
                 prompt_snapshot = $4, provider_attempts = $5, error_code = $6, error_message = $7, \
                 lease_owner = NULL, lease_expires_ms = NULL, updated_at = $8, finished_at = $9 \
                 WHERE id = $10 AND status = 'RUNNING' AND lease_owner = $11"),
            )
            .bind(text)
            .bind(provider_used)
            .bind(model_used)
            .bind(prompt_snapshot)
            .bind(provider_attempts)
            .bind(fallback_error.as_ref().map(|e| e.0.clone()))
            .bind(fallback_error.as_ref().map(|e| e.1.clone())),
            DescriptionOutcome::Failed {
                error_code,
                error_message,
                prompt_snapshot,
                provider_attempts,
            } => sqlx::query(
                self.db.sql("UPDATE description_tasks SET status = 'FAILED', error_code = $1, error_message = $2, \
                 prompt_snapshot = $3, provider_attempts = $4, lease_owner = NULL, lease_expires_ms = NULL, \
                 updated_at = $5, finished_at = $6 WHERE id = $7 AND status = 'RUNNING' AND lease_owner = $8"),
            )
            .bind(error_code)
            .bind(error_message)
            .bind(prompt_snapshot)
            .bind(provider_attempts),
        };
        let n = q
            .bind(&ts)
            .bind(&ts)
            .bind(id)
            .bind(worker)
            .execute(&self.db.write)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n == 1)
    }

    /// Gives back the descriptions this node's workers hold (graceful
    /// shutdown): pending again at once, the attempt not counted.
    pub async fn release_description_leases(&self, worker_prefix: &str) -> Result<u64> {
        let n = self
            .release(&lease::DESCRIPTION_TASKS, worker_prefix)
            .await?;
        if n > 0 {
            self.announce(vec![Signal::Work]).await?;
        }
        Ok(n)
    }

    /// The stored `chart_data` of an image task, if it has one.
    pub async fn chart_data_of(&self, image_task_id: &str) -> Result<Option<String>> {
        let row: Option<Option<String>> = sqlx::query_scalar(
            self.db
                .sql("SELECT chart_data FROM image_tasks WHERE id = $1"),
        )
        .bind(image_task_id)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)?;
        Ok(row.flatten())
    }

    /// Whether a job's event log is complete up to `last_event_id`: the
    /// job's final `job_status_changed` and the final event (DONE, ERROR,
    /// CANCELLED) of each of its descriptions are at or before it. Event
    /// ids, not statuses, decide, so a stream never closes between a
    /// status change and the event announcing it.
    pub async fn job_log_complete(&self, job_id: &str, last_event_id: i64) -> Result<bool> {
        let sql = match self.db.backend {
            Backend::Sqlite => LOG_COMPLETE_SQLITE,
            Backend::Postgres => LOG_COMPLETE_POSTGRES,
        };
        let complete: i64 = sqlx::query_scalar(self.db.sql(sql))
            .bind(job_id)
            .bind(last_event_id)
            .fetch_one(&self.db.read)
            .await
            .map_err(db)?;
        Ok(complete == 1)
    }
}

/// `$status` reads the `status` field of an event's JSON payload, in the
/// backend's own JSON syntax.
macro_rules! log_complete_sql {
    ($status:literal) => {
        concat!(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM events WHERE job_id = $1 AND id <= $2 AND entity_type = 'job' \
                            AND event_type = 'job_status_changed' AND ",
            $status,
            " IN ('SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'CANCELLED')) \
             AND NOT EXISTS (SELECT 1 FROM description_tasks d WHERE d.job_id = $1 AND NOT EXISTS \
                            (SELECT 1 FROM events e WHERE e.job_id = $1 AND e.task_id = d.id AND e.id <= $2 \
                             AND e.entity_type = 'description_task' AND e.event_type IN ('DONE', 'ERROR', 'CANCELLED'))) \
             THEN 1 ELSE 0 END"
        )
    };
}
const LOG_COMPLETE_SQLITE: &str = log_complete_sql!("json_extract(payload, '$.status')");
const LOG_COMPLETE_POSTGRES: &str = log_complete_sql!("(CAST(payload AS jsonb) ->> 'status')");
