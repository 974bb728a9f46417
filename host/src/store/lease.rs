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
    /// Binds `$1` the new deadline in ms, `$2` the worker.
    pub renew: &'static str,
}

impl LeaseQueue {
    /// Claims up to `$5` of the oldest runnable tasks: those whose lease
    /// expired first (the oldest work), then the oldest pending ones; two
    /// lookups, each walking the queue index from its status (an OR of the
    /// two would scan every task ever queued). Binds `$1` the worker, `$2`
    /// the lease deadline in ms, `$3` the time, `$4` now in ms, `$5` how
    /// many at most; returns the claimed rows, in no particular order.
    pub fn claim(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.claim_sqlite,
            Backend::Postgres => self.claim_postgres,
        }
    }
}

/// The rows a claim takes, as the CTE `picked`. `$lock` is empty on
/// SQLite, whose single writer cannot race; on PostgreSQL it locks the
/// rows a lookup picks and skips rows that other claims hold. The CTE is
/// MATERIALIZED because PostgreSQL may otherwise run the lookups again for
/// each row the update visits, and a second run, seeing the rows the
/// first claimed as taken, picks further ones: a claim of 4 took 5 in a
/// trial. The limit is a cast, not a bare parameter: SQLite plans a
/// `LIMIT ?` for the value bound, and so prepares the statement again each
/// time it runs (a cast it leaves to the run).
macro_rules! pick_sql {
    (table: $table:literal, order: $order:literal, lock: $lock:literal) => {
        concat!(
            "picked AS MATERIALIZED (SELECT id FROM (SELECT t.id FROM ",
            $table,
            " t WHERE t.status = 'RUNNING' AND t.lease_expires_ms < $4 ORDER BY ",
            $order,
            " LIMIT CAST($5 AS BIGINT)",
            $lock,
            ") AS expired UNION ALL SELECT id FROM (SELECT t.id FROM ",
            $table,
            " t WHERE t.status = 'PENDING' ORDER BY ",
            $order,
            " LIMIT CAST($5 AS BIGINT)",
            $lock,
            ") AS pending LIMIT CAST($5 AS BIGINT))"
        )
    };
}

/// The claim's update of the rows `picked` names. Its `WHERE` re-checks
/// the status, so a row that changed since the lookup is never taken.
macro_rules! claim_update_sql {
    (table: $table:literal, runnable: $runnable:literal, set: $set:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET status = 'RUNNING', lease_owner = $1, lease_expires_ms = $2, \
             attempts = attempts + 1, ",
            $set,
            "started_at = COALESCE(started_at, $3), updated_at = $3 \
             WHERE id IN (SELECT id FROM picked) \
             AND (status = 'PENDING' OR (status = 'RUNNING' AND lease_expires_ms < $4))",
            $runnable,
            " RETURNING *"
        )
    };
}

macro_rules! claim_sql {
    (table: $table:literal, runnable: $runnable:literal, order: $order:literal,
     set: $set:literal, lock: $lock:literal) => {
        concat!(
            "WITH ",
            pick_sql!(table: $table, order: $order, lock: $lock),
            " ",
            claim_update_sql!(table: $table, runnable: $runnable, set: $set)
        )
    };
}

/// Moves the deadline of every lease a worker still holds: the task it
/// runs and those it claimed with it (see `claim`), which wait their turn
/// behind it.
macro_rules! renew_sql {
    (table: $table:literal) => {
        concat!(
            "UPDATE ",
            $table,
            " SET lease_expires_ms = $1 WHERE lease_owner = $2 AND status = 'RUNNING'"
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
/// holds already; it is checked once more on the rows picked, not in the
/// lookups, where a join made PostgreSQL (with a fresh table's statistics)
/// sort every pending task on each claim instead of reading the queue
/// index's first entries.
macro_rules! image_claim {
    (pick $lock:literal) => {
        pick_sql!(table: "image_tasks", order: "t.created_at, t.position", lock: $lock)
    };
    (update) => {
        claim_update_sql!(table: "image_tasks",
            runnable: " AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = image_tasks.job_id \
                       AND j.status IN ('PENDING', 'RUNNING'))",
            set: "progress = 10, ")
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
    claim_sqlite: concat!("WITH ", image_claim!(pick ""), " ", image_claim!(update)),
    claim_postgres: concat!(
        "WITH ",
        image_claim!(pick " FOR UPDATE OF t SKIP LOCKED"),
        " ",
        image_claim!(update)
    ),
    release: release_sql!(table: "image_tasks", set: "progress = 0, "),
    renew: renew_sql!(table: "image_tasks"),
};

/// The image claim on PostgreSQL with the claimed tasks' jobs marked
/// RUNNING in the same statement (one round trip, not two): the claimed
/// rows and `job_started`, 1 on the rows whose job this claim started.
/// Binds as [`LeaseQueue::claim`].
pub(crate) const IMAGE_CLAIM_STARTING_JOB_POSTGRES: &str = concat!(
    "WITH ",
    image_claim!(pick " FOR UPDATE OF t SKIP LOCKED"),
    ", c AS (",
    image_claim!(update),
    "), s AS (UPDATE jobs SET status = 'RUNNING', updated_at = $3 \
     WHERE jobs.id IN (SELECT job_id FROM c) AND jobs.status = 'PENDING' RETURNING jobs.id) \
     SELECT c.*, CAST(CASE WHEN c.job_id IN (SELECT id FROM s) THEN 1 ELSE 0 END AS BIGINT) AS job_started FROM c"
);

pub(crate) const DESCRIPTION_TASKS: LeaseQueue = LeaseQueue {
    claim_sqlite: description_claim!(""),
    claim_postgres: description_claim!(" FOR UPDATE OF t SKIP LOCKED"),
    release: release_sql!(table: "description_tasks", set: ""),
    renew: renew_sql!(table: "description_tasks"),
};

impl Store {
    /// Runs `work` (on task `id`) while extending the leases `worker`
    /// holds in `queue` every third of `lease`: a live worker on a slow
    /// task (a long render, a plugin compiled on first use, a model
    /// streaming) is not taken for a dead one, nor are the tasks it
    /// claimed with that one. Once the worker holds no lease, renewing
    /// stops; a task whose lease was taken away meanwhile has its end
    /// refused by its write's lease-owner guard.
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
                match self.renew(queue, worker, lease).await {
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

    pub(super) async fn renew(
        &self,
        queue: &LeaseQueue,
        worker: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let n = sqlx::query(self.db.sql(queue.renew))
            .bind(super::now_ms() + lease.as_millis() as i64)
            .bind(worker)
            .execute(&self.db.write)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n > 0)
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
