//! Per-chart controls: cancelling one image task, and running one that
//! failed or was cancelled again. Each commits the chart's change, its
//! event and its job's finalisation in one transaction, as a finished
//! task does, so the job's status and `progress_total` always follow.

use serde_json::json;

use super::{JobService, job_status_event, task_event};
use crate::error::Result;
use crate::events::{kind, level};
use crate::store::TaskChange;
use crate::store::model::{ImageTaskRow, JobStatus};

impl JobService {
    /// Cancels `task` if it is pending or running, and interrupts its
    /// plugin if it runs here (other nodes hear of it from the store).
    pub async fn cancel_task(&self, task: &ImageTaskRow) -> Result<TaskChange> {
        let mut w = self.store.write().await?;
        let change = w.cancel_task(&task.id).await?;
        if change != (TaskChange::Changed { reopened: false }) {
            return Ok(change);
        }
        w.insert_event(task_event(
            task,
            kind::CANCELLED,
            level::WARNING,
            format!("{} cancelled", task.algorithm_key),
            None,
            json!({"algorithm_key": task.algorithm_key}),
        ));
        self.finalize_in(&mut w, &task.job_id).await?;
        // Durable before the plugin stops, so its worker finds the task
        // CANCELLED and records nothing over it.
        self.events.commit(w).await?;
        self.interrupt_task(&task.id);
        Ok(change)
    }

    /// Queues `task` again if it failed or was cancelled; it runs on the
    /// build it was accepted with.
    pub async fn retry_task(&self, task: &ImageTaskRow) -> Result<TaskChange> {
        let mut w = self.store.write().await?;
        let change = w.retry_task(&task.id, &task.job_id).await?;
        let TaskChange::Changed { reopened } = change else {
            return Ok(change);
        };
        if reopened {
            w.insert_event(job_status_event(
                &task.job_id,
                &task.trace_id,
                JobStatus::Running,
            ));
        }
        w.insert_event(task_event(
            task,
            kind::PROGRESS,
            level::INFO,
            format!("{} queued again", task.algorithm_key),
            Some(0),
            json!({"algorithm_key": task.algorithm_key, "retry": true, "previous_status": task.status}),
        ));
        self.finalize_in(&mut w, &task.job_id).await?;
        self.events.commit(w).await?;
        self.wake.notify_one();
        Ok(change)
    }

    /// Interrupts `task_id`'s plugin if it runs in this process.
    pub fn interrupt_task(&self, task_id: &str) {
        if let Some(hold) = self.held().get(task_id) {
            hold.token.cancel();
        }
    }
}
