//! The shared backend: a PostgreSQL server that several nodes use at once.
//!
//! Unlike SQLite, writers run side by side here, so what SQLite's single
//! writer made safe is made safe by the statements themselves: claims
//! lock the row they take (`FOR UPDATE SKIP LOCKED`) and re-check its
//! status, and a job's events are appended under a lock per job (an
//! advisory lock, see `insert_events_on`) so their ids grow in commit
//! order.

use std::time::Duration;

use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use super::sql::{Backend, Db, db};
use crate::error::{Error, ErrorCode, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections per node: its workers, its API and its event readers.
const MAX_CONNECTIONS: u32 = 16;

pub(crate) async fn connect(url: &str) -> Result<Db> {
    sqlx::any::install_default_drivers();
    let options: AnyConnectOptions = url.parse().map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!(
                "the database URL is not valid ({e}); expected postgres://user@host:port/database"
            ),
        )
    })?;
    let pool = AnyPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(10))
        // By default every acquire pings the server first: a round trip
        // before each query and each transaction, a twelfth of a busy
        // node's CPU. A connection found broken by its query instead fails
        // that query as transient (`DATABASE_UNAVAILABLE`), which the
        // callers retry, and the pool drops it.
        .test_before_acquire(false)
        // The durability the embedded SQLite store has (WAL, synchronous
        // NORMAL): a commit survives patchart being killed, and the server
        // crashing loses at most its last fraction of a second of commits,
        // never consistency. A task whose end is lost that way runs again
        // after its lease. Waiting for the disk at every commit (a task
        // ends in two or three) made a job several times slower here than
        // on SQLite.
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET synchronous_commit = off").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| {
            let mut err = db(e);
            err.message = format!(
                "cannot connect to the database at {}: {}",
                redact(url),
                err.message
            );
            err
        })?;
    // sqlx holds a PostgreSQL advisory lock while it migrates, so nodes
    // starting together apply each migration once and wait for it.
    MIGRATOR.run(&pool).await.map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("database migration failed: {e}"),
        )
    })?;
    Ok(Db {
        backend: Backend::Postgres,
        read: pool.clone(),
        write: pool,
    })
}

/// `url` without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// A database made for one test or benchmark run on the PostgreSQL server
/// of `admin_url`, dropped (with any connections left) when this value is.
pub struct ScratchDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase> {
        use sqlx::Connection;
        let name = format!("patchart_scratch_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url).await.map_err(db)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(db)?;
        let _ = conn.close().await;
        Ok(ScratchDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_string(),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside a runtime (a test's) that must not block:
        // a thread of its own does the round trip.
        let dropped = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn messages_never_carry_the_password() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/patchart"),
            "postgres://app@db:5432/patchart"
        );
        assert_eq!(
            redact("postgres://127.0.0.1/test"),
            "postgres://127.0.0.1/test"
        );
    }

    #[test]
    fn a_scratch_url_names_its_own_database() {
        use super::with_database;
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "s1"),
            "postgres://postgres@127.0.0.1:5432/s1"
        );
        assert_eq!(
            with_database("postgres://h/test?sslmode=disable", "s1"),
            "postgres://h/s1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "s1"), "postgres://h/s1");
    }
}
