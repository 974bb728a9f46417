//! `emit_event`: every event is persisted first, then announced. The
//! database is the source of truth for order and completeness; the
//! announcement (a store [`Signal`], crossing nodes on PostgreSQL) only
//! wakes subscribers, which then read the log from the last event they
//! sent. So a WebSocket client sees each event once, in order, even when
//! two workers (or two nodes) emit at the same moment.

use tokio::sync::broadcast;

use crate::error::Result;
use crate::store::model::EventRow;
use crate::store::{NewEvent, Signal, Store, WriteTx};

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

/// Event levels, spelled as the replaced Jobs API wrote them: its clients
/// compare `level` with `"ERROR"` and `"WARNING"`.
pub mod level {
    pub const INFO: &str = "INFO";
    pub const WARNING: &str = "WARNING";
    pub const ERROR: &str = "ERROR";
}

/// Appends events to the log and wakes the readers of each job's
/// stream, on this node and (through the store's signals) on every node
/// sharing the database.
#[derive(Clone)]
pub struct EventBus {
    store: Store,
}

impl EventBus {
    pub fn new(store: Store) -> Self {
        EventBus { store }
    }

    /// Persists `event`; its readers are woken once it is durable.
    pub async fn emit(&self, event: NewEvent) -> Result<EventRow> {
        self.store.insert_event(&event).await
    }

    /// Commits `tx`; the readers of its events are woken once they are
    /// durable.
    pub async fn commit(&self, tx: WriteTx) -> Result<()> {
        tx.commit().await?;
        Ok(())
    }

    /// Wake-ups: [`Signal::Events`] names a job and its last event;
    /// [`Signal::Resync`] (and a lagged receiver) means re-read.
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.store.subscribe()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
