//! Content-addressed blobs: uploads, rendered artifacts and uploaded
//! plugin components, stored once by the sha256 of their bytes.
//!
//! One interface, two homes. On SQLite (one node) blobs are files under
//! the data dir ([`FileStore`]); on PostgreSQL they live in the database,
//! in chunks, so every node serves every artifact and can fetch every
//! plugin build, and a node keeps nothing of its own but its compile
//! cache.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sha2::{Digest, Sha256};

use super::FileStore;
use super::sql::{Db, db};
use crate::error::{Error, ErrorCode, Result};

/// Where blobs are kept.
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` unless an identical blob exists; returns its sha256.
    /// A blob is visible to readers only once it is complete.
    fn put<'a>(&'a self, bytes: Bytes, ext: &'a str) -> BoxFuture<'a, Result<String>>;

    /// The whole blob, or `None` when none is stored under that name.
    fn get<'a>(&'a self, sha256: &'a str, ext: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;

    /// The blob in pieces, for responses that should not hold a large
    /// blob in memory; `None` when none is stored under that name.
    fn stream<'a>(
        &'a self,
        sha256: &'a str,
        ext: &'a str,
    ) -> BoxFuture<'a, Result<Option<ByteStream>>>;
    /// Deletes the blobs last stored before `cutoff_ms` (ms since the
    /// epoch) whose sha256 is not in `referenced`; returns how many went.
    /// A blob stored again meanwhile is young again and kept, so one that
    /// a row is about to reference survives the sweep.
    fn sweep<'a>(
        &'a self,
        cutoff_ms: i64,
        referenced: &'a HashSet<String>,
    ) -> BoxFuture<'a, Result<u64>>;
}

pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// The blob store of a store's backend.
pub(crate) fn for_backend(db: &Db, files: &FileStore) -> Arc<dyn BlobStore> {
    match db.backend {
        super::Backend::Sqlite => Arc::new(files.clone()),
        super::Backend::Postgres => Arc::new(DbBlobs { db: db.clone() }),
    }
}

fn missing_is_none<T>(r: std::io::Result<T>, path: &std::path::Path) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(
            ErrorCode::Internal,
            format!("storage error at {}: {e}", path.display()),
        )),
    }
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::new(ErrorCode::Internal, format!("storage task failed: {e}"))
}

impl BlobStore for FileStore {
    fn put<'a>(&'a self, bytes: Bytes, ext: &'a str) -> BoxFuture<'a, Result<String>> {
        let files = self.clone();
        let ext = ext.to_string();
        Box::pin(async move {
            // File I/O off the async runtime: a stalled disk must not stall
            // the connections it serves meanwhile.
            tokio::task::spawn_blocking(move || FileStore::put(&files, &bytes, &ext))
                .await
                .map_err(join_error)?
        })
    }

    fn get<'a>(&'a self, sha256: &'a str, ext: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        let path = self.path(sha256, ext);
        Box::pin(async move {
            let read = tokio::fs::read(&path).await;
            missing_is_none(read, &path)
        })
    }

    fn stream<'a>(
        &'a self,
        sha256: &'a str,
        ext: &'a str,
    ) -> BoxFuture<'a, Result<Option<ByteStream>>> {
        let path = self.path(sha256, ext);
        Box::pin(async move {
            let Some(file) = missing_is_none(tokio::fs::File::open(&path).await, &path)? else {
                return Ok(None);
            };
            let chunks = stream::unfold(Some(file), move |file| {
                let path = path.clone();
                async move {
                    use tokio::io::AsyncReadExt;
                    let mut file = file?;
                    let mut buf = vec![0u8; 64 << 10];
                    match file.read(&mut buf).await {
                        Ok(0) => None,
                        Ok(n) => {
                            buf.truncate(n);
                            Some((Ok(Bytes::from(buf)), Some(file)))
                        }
                        Err(e) => Some((
                            Err(Error::new(
                                ErrorCode::Internal,
                                format!("storage error at {}: {e}", path.display()),
                            )),
                            None,
                        )),
                    }
                }
            });
            Ok(Some(chunks.boxed()))
        })
    }

    fn sweep<'a>(
        &'a self,
        cutoff_ms: i64,
        referenced: &'a HashSet<String>,
    ) -> BoxFuture<'a, Result<u64>> {
        let files = self.clone();
        let referenced = referenced.clone();
        let cutoff = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(cutoff_ms).unwrap_or(0));
        Box::pin(async move {
            tokio::task::spawn_blocking(move || files.sweep(cutoff, &referenced))
                .await
                .map_err(join_error)?
        })
    }
}

/// Blobs in the database: a row per blob, written last, and its bytes in
/// [`CHUNK`]-sized rows, so a download streams a chunk at a time and a
/// blob whose writer died half-way is never seen (its row is missing).
pub(crate) struct DbBlobs {
    db: Db,
}

/// Bytes per chunk row.
const CHUNK: usize = 1 << 20;

/// Blobs up to this size are hashed on the async runtime: handing them to
/// a blocking thread costs more than hashing them.
const HASH_INLINE: usize = 64 << 10;

impl DbBlobs {
    async fn exists(&self, sha256: &str, ext: &str) -> Result<Option<i64>> {
        sqlx::query_scalar(
            self.db
                .sql("SELECT chunks FROM blobs WHERE sha256 = $1 AND ext = $2"),
        )
        .bind(sha256)
        .bind(ext)
        .fetch_optional(&self.db.read)
        .await
        .map_err(db)
    }
}

impl BlobStore for DbBlobs {
    fn put<'a>(&'a self, bytes: Bytes, ext: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let sha = if bytes.len() <= HASH_INLINE {
                hex::encode(Sha256::digest(&bytes))
            } else {
                let hashed = bytes.clone();
                tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&hashed)))
                    .await
                    .map_err(join_error)?
            };
            // One statement, so one round trip whatever happens (a task's
            // end writes one or two blobs): the blob's row is inserted, or
            // touched when it exists (so the collector sees it in use), and
            // its chunks are inserted only when the row is new. `xmax = 0`
            // tells a row this statement inserted from one it updated. Two
            // writers of one blob: the second waits on the first's row,
            // then touches it and writes no chunks.
            let first = 6;
            let chunks: Vec<_> = bytes.chunks(CHUNK).collect();
            let values = (0..chunks.len())
                .map(|i| format!("(${}, ${})", first + 2 * i, first + 2 * i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let upsert = "INSERT INTO blobs (sha256, ext, size_bytes, chunks, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (sha256, ext) DO UPDATE SET created_at = EXCLUDED.created_at";
            let sql = if chunks.is_empty() {
                upsert.to_string()
            } else {
                format!(
                    "WITH b AS ({upsert} RETURNING (xmax = 0) AS inserted) \
                 INSERT INTO blob_chunks (sha256, ext, seq, data) \
                 SELECT $1, $2, c.seq, c.data FROM (VALUES {values}) AS c(seq, data), b WHERE b.inserted"
                )
            };
            let mut q = sqlx::query(self.db.sql_owned(sql))
                .bind(&sha)
                .bind(ext)
                .bind(bytes.len() as i64)
                .bind(chunks.len() as i64)
                .bind(super::now());
            for (seq, chunk) in chunks.iter().enumerate() {
                q = q.bind(seq as i64).bind(chunk.to_vec());
            }
            q.execute(&self.db.write).await.map_err(db)?;
            Ok(sha)
        })
    }

    fn get<'a>(&'a self, sha256: &'a str, ext: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let Some(mut chunks) = self.stream(sha256, ext).await? else {
                return Ok(None);
            };
            let mut out = Vec::new();
            while let Some(piece) = chunks.next().await {
                out.extend_from_slice(&piece?);
            }
            Ok(Some(out))
        })
    }

    fn stream<'a>(
        &'a self,
        sha256: &'a str,
        ext: &'a str,
    ) -> BoxFuture<'a, Result<Option<ByteStream>>> {
        Box::pin(async move {
            let Some(chunks) = self.exists(sha256, ext).await? else {
                return Ok(None);
            };
            let db_ = self.db.clone();
            let (sha256, ext) = (sha256.to_string(), ext.to_string());
            let pieces = stream::unfold(0i64, move |seq| {
                let (db_, sha256, ext) = (db_.clone(), sha256.clone(), ext.clone());
                async move {
                    if seq >= chunks {
                        return None;
                    }
                    let data: Result<Vec<u8>> = sqlx::query_scalar(db_.sql(
                        "SELECT data FROM blob_chunks WHERE sha256 = $1 AND ext = $2 AND seq = $3",
                    ))
                    .bind(&sha256)
                    .bind(&ext)
                    .bind(seq)
                    .fetch_one(&db_.read)
                    .await
                    .map_err(db);
                    Some((data.map(Bytes::from), seq + 1))
                }
            });
            let pieces: Pin<Box<_>> = Box::pin(pieces);
            Ok(Some(pieces as ByteStream))
        })
    }

    fn sweep<'a>(
        &'a self,
        cutoff_ms: i64,
        referenced: &'a HashSet<String>,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            // Same format as `now()`, so the text compares as the time.
            let cutoff = chrono::DateTime::from_timestamp_millis(cutoff_ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let old: Vec<(String, String)> = sqlx::query_as(
                self.db
                    .sql("SELECT sha256, ext FROM blobs WHERE created_at < $1"),
            )
            .bind(&cutoff)
            .fetch_all(&self.db.read)
            .await
            .map_err(db)?;
            let mut removed = 0;
            for (sha, ext) in old {
                if referenced.contains(&sha) {
                    continue;
                }
                // The age is checked again in the delete itself: a put that
                // touched the row meanwhile keeps it.
                removed +=
                    sqlx::query(self.db.sql(
                        "DELETE FROM blobs WHERE sha256 = $1 AND ext = $2 AND created_at < $3",
                    ))
                    .bind(&sha)
                    .bind(&ext)
                    .bind(&cutoff)
                    .execute(&self.db.write)
                    .await
                    .map_err(db)?
                    .rows_affected();
            }
            Ok(removed)
        })
    }
}
