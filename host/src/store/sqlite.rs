//! The embedded backend: one SQLite file in WAL mode under the data dir.
//!
//! SQLite allows one writer at a time. Writers in separate connections
//! find the database locked and back off in SQLite's busy handler, which
//! sleeps 1, 2, 5, 10 ms and more between tries: a queue whose workers,
//! event log and API all write at once spent most of its latency there.
//! So every write goes through one connection, where writes wait their
//! turn in the pool's queue and are woken the moment the previous one
//! commits; reads use read-only connections, which WAL lets run beside a
//! write.

use std::path::Path;
use std::time::Duration;

use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use super::sql::{Backend, Db, db};
use crate::error::{Error, ErrorCode, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// Per-connection settings. WAL + NORMAL is durable across process
/// crashes (not power loss of the last transactions), which is what a
/// queue needs; foreign keys are off by default in SQLite.
const PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;";

/// Read-only connections beside the one writer.
const READERS: u32 = 8;

/// Each reader's page cache (SQLite's default is 2 MB). Readers look up
/// recent rows by index, and a page they miss is in the OS's file cache;
/// eight default caches filling slowly as the file grew were most of a
/// server's memory growth under steady load (bench/abuse.py's soak:
/// +19.6 % in 10 minutes after its warm-up, SQLite's heaps tripling;
/// with these 256 KiB, +2.9 % in 5 minutes and the heaps flat).
const READER_CACHE: &str = "PRAGMA cache_size = -256;";

pub(crate) async fn connect(data_dir: &Path) -> Result<Db> {
    sqlx::any::install_default_drivers();
    let path = data_dir.join("patchart.db");
    let url = |mode: &str| -> Result<AnyConnectOptions> {
        format!("sqlite://{}?mode={mode}", path.display())
            .parse()
            .map_err(db)
    };
    let writer = AnyPoolOptions::new()
        .max_connections(1)
        // By default every acquire pings the connection first: a round
        // trip to its worker thread before each statement, guarding
        // against a server hanging up. A local file cannot, and the
        // queue's statements are latency the job waits on.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL;").await?;
                conn.execute(PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_with(url("rwc")?)
        .await
        .map_err(db)?;
    MIGRATOR
        .run(&writer)
        .await
        .map_err(|e| internal(format!("database migration failed: {e}")))?;
    // Read-only, so a write sent here by mistake fails at once instead of
    // contending with the writer.
    let read = AnyPoolOptions::new()
        .max_connections(READERS)
        // All open from the start and kept: a pool that grows under load
        // and closes idle connections later holds a varying number of
        // files, threads (sqlx runs each SQLite connection on its own)
        // and page caches, so a server's descriptors and memory moved
        // with its load long after it started (seen in the soak of
        // bench/abuse.py: 12 more descriptors in its 10 minutes).
        .min_connections(READERS)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(PRAGMAS).await?;
                conn.execute(READER_CACHE).await?;
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(url("ro")?)
        .await
        .map_err(db)?;
    Ok(Db {
        backend: Backend::Sqlite,
        read,
        write: writer,
    })
}

fn internal(message: String) -> Error {
    Error::new(ErrorCode::Internal, message)
}
