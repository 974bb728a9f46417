//! `emit_event`: every event is persisted first, then published. The
//! database is the source of truth for order and completeness; the
//! in-process broadcast only wakes subscribers, which then read the log
//! from the last event they sent. So a WebSocket client sees each event
//! once, in order, even when two workers emit at the same moment.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::error::Result;
use crate::jobs::model::EventRow;
use crate::store::{NewEvent, Store, WriteTx};

/// Event types (seed-compatible).
pub mod kind {
    pub const START: &str = "START";
    pub const PROGRESS: &str = "PROGRESS";
    pub const DONE: &str = "DONE";
    pub const ERROR: &str = "ERROR";
    pub const ALGORITHM_ERROR: &str = "ALGORITHM_ERROR";
    pub const CANCELLED: &str = "CANCELLED";
    pub const JOB_STATUS_CHANGED: &str = "job_status_changed";
}

#[derive(Clone)]
pub struct EventBus {
    store: Store,
    tx: broadcast::Sender<Arc<EventRow>>,
}

impl EventBus {
    pub fn new(store: Store) -> Self {
        let (tx, _) = broadcast::channel(4096);
        EventBus { store, tx }
    }

    /// Persists `event`, then publishes it.
    pub async fn emit(&self, event: NewEvent) -> Result<EventRow> {
        let row = self.store.insert_event(&event).await?;
        // No subscriber is not an error: the event is in the log.
        let _ = self.tx.send(Arc::new(row.clone()));
        Ok(row)
    }

    /// Commits `tx`, then publishes the events it inserted.
    pub async fn commit(&self, tx: WriteTx) -> Result<()> {
        for row in tx.commit().await? {
            let _ = self.tx.send(Arc::new(row));
        }
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventRow>> {
        self.tx.subscribe()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
