//! The lease queue that image tasks and description tasks share: a task
//! is claimed with a lease naming its worker (`<node id>/<worker>`), its
//! worker records the end only while it still holds the lease, a lease
//! that expires (its worker died) makes the task claimable again, and a
//! node stopping gracefully gives its leases back at once.
//!
//! Each queue is a table with `status`, `lease_owner`, `lease_expires_ms`,
//! `attempts`, `started_at`, `updated_at` and `created_at`; the claim and
//! the release are the same statements over either table.

use super::sql::{Backend, db};
use super::{Store, now};
use crate::error::Result;

/// The statements of one queue table, per backend.
pub(crate) struct LeaseQueue {
    claim_sqlite: &'static str,
    claim_postgres: &'static str,
    /// Binds `$1` the time, `$2` the worker prefix.
    pub release: &'static str,
    /// Binds `$1` the new deadline in ms, `$2` the task, `$3` the worker.
    pub renew: &'static str,
}

impl LeaseQueue {
    /// Claims the oldest runnable task: one whose lease expired first (the
    /// oldest work), else the oldest pending one; two lookups, each walking
    /// the queue index from its status (an OR of the two would scan every
    /// task ever queued). Binds `$1` the worker, `$2` the lease deadline in
    /// ms, `$3` the time, `$4` now in ms; returns the claimed row.
    pub fn claim(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.claim_sqlite,
            Backend::Postgres => self.claim_postgres,
        }
    }
}

/// `$lock` is empty on SQLite, whose single writer cannot race; on
/// PostgreSQL it locks the row a lookup picks and skips rows that other
/// claims hold. Either way the outer `WHERE` re-checks the status, so a
/// row that changed meanwhile is never taken.
macro_rules! claim_sql {
    (table: $table:literal, runnable: $runnable:literal, order: $order:literal,
     set: $set:literal, lock: $lock:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET status = 'RUNNING', lease_owner = $1, lease_expires_ms = $2, \
             attempts = attempts + 1, ",
            $set,
            "started_at = COALESCE(started_at, $3), updated_at = $3 \
             WHERE id = COALESCE( \
                 (SELECT t.id FROM ",
            $table,
            " t \
                  WHERE t.status = 'RUNNING' AND t.lease_expires_ms < $4 \
                  ORDER BY ",
            $order,
            " LIMIT 1",
            $lock,
            "), \
                 (SELECT t.id FROM ",
            $table,
            " t \
                  WHERE t.status = 'PENDING' \
                  ORDER BY ",
            $order,
            " LIMIT 1",
            $lock,
            ")) \
             AND (status = 'PENDING' OR (status = 'RUNNING' AND lease_expires_ms < $4))",
            $runnable,
            " RETURNING *"
        )
    };
}

/// Moves the deadline of a lease its worker still holds.
macro_rules! renew_sql {
    (table: $table:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET lease_expires_ms = $1 WHERE id = $2 AND status = 'RUNNING' AND lease_owner = $3"
        )
    };
}

/// A released task is pending again and its attempt is not counted.
macro_rules! release_sql {
    (table: $table:literal, set: $set:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET status = 'PENDING', ",
            $set,
            "lease_owner = NULL, lease_expires_ms = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $1 \
             WHERE status = 'RUNNING' AND lease_owner LIKE $2 || '%'"
        )
    };
}

/// Image tasks are runnable while their job is pending or running. Every
/// change that ends a job ends its tasks in the same transaction, so that
/// holds already; it is checked once more on the row picked, not in the
/// lookups, where a join made PostgreSQL (with a fresh table's statistics)
/// sort every pending task on each claim instead of reading the queue
/// index's first entry.
macro_rules! image_claim {
    ($lock:literal) => {
        claim_sql!(table: "image_tasks",
            runnable: " AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = image_tasks.job_id \
                       AND j.status IN ('PENDING', 'RUNNING'))",
            order: "t.created_at, t.position", set: "progress = 10, ", lock: $lock)
    };
}

macro_rules! description_claim {
    ($lock:literal) => {
        claim_sql!(table: "description_tasks", runnable: "", order: "t.created_at",
            set: "", lock: $lock)
    };
}

/// Image tasks (a cancelled job's tasks are never taken).
pub(crate) const IMAGE_TASKS: LeaseQueue = LeaseQueue {
    claim_sqlite: image_claim!(""),
    claim_postgres: image_claim!(" FOR UPDATE OF t SKIP LOCKED"),
    release: release_sql!(table: "image_tasks", set: "progress = 0, "),
    renew: renew_sql!(table: "image_tasks"),
};

/// The image claim on PostgreSQL with the claimed task's job marked
/// RUNNING in the same statement (one round trip, not two): the claimed
/// row and `job_started`, 1 when this claim started its job. Binds as
/// [`LeaseQueue::claim`].
pub(crate) const IMAGE_CLAIM_STARTING_JOB_POSTGRES: &str = concat!(
    "WITH c AS (",
    image_claim!(" FOR UPDATE OF t SKIP LOCKED"),
    "), s AS (UPDATE jobs SET status = 'RUNNING', updated_at = $3 FROM c \
     WHERE jobs.id = c.job_id AND jobs.status = 'PENDING' RETURNING jobs.id) \
     SELECT c.*, (SELECT COUNT(*) FROM s) AS job_started FROM c"
);

pub(crate) const DESCRIPTION_TASKS: LeaseQueue = LeaseQueue {
    claim_sqlite: description_claim!(""),
    claim_postgres: description_claim!(" FOR UPDATE OF t SKIP LOCKED"),
    release: release_sql!(table: "description_tasks", set: ""),
    renew: renew_sql!(table: "description_tasks"),
};

impl Store {
    /// Runs `work` while extending the lease `worker` holds on task `id`
    /// of `queue` every third of `lease`: a live worker on a slow task (a
    /// long render, a plugin compiled on first use, a model streaming) is
    /// not taken for a dead one. A lease found taken away is not renewed
    /// again; the end of `work` is then refused by its write's lease-owner
    /// guard.
    pub(crate) async fn while_renewing<T>(
        &self,
        queue: &LeaseQueue,
        id: &str,
        worker: &str,
        lease: std::time::Duration,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let renew = async {
            loop {
                tokio::time::sleep(lease / 3).await;
                match self.renew(queue, id, worker, lease).await {
                    Ok(true) => {}
                    Ok(false) => std::future::pending::<()>().await,
                    Err(e) => tracing::warn!(task = %id, error = %e, "renewing a lease failed"),
                }
            }
        };
        tokio::select! {
            done = work => done,
            never = renew => never,
        }
    }

    async fn renew(
        &self,
        queue: &LeaseQueue,
        id: &str,
        worker: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let n = sqlx::query(self.db.sql(queue.renew))
            .bind(super::now_ms() + lease.as_millis() as i64)
            .bind(id)
            .bind(worker)
            .execute(&self.db.write)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n == 1)
    }

    /// Gives back every task of `queue` whose lease names a worker of
    /// `worker_prefix` (a node stopping gracefully): pending again at once
    /// instead of after its lease.
    pub(crate) async fn release(&self, queue: &LeaseQueue, worker_prefix: &str) -> Result<u64> {
        let n = sqlx::query(self.db.sql(queue.release))
            .bind(now())
            .bind(worker_prefix)
            .execute(&self.db.write)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n)
    }
}
