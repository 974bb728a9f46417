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

    /// [`Self::put`] for several blobs (a chart's files, a batch of
    /// charts'); their sha256s in order. A store that pays a round trip
    /// per write does them in one.
    fn put_many<'a>(&'a self, blobs: Vec<(Bytes, &'a str)>) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            let mut shas = Vec::with_capacity(blobs.len());
            for (bytes, ext) in blobs {
                shas.push(self.put(bytes, ext).await?);
            }
            Ok(shas)
        })
    }

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
    /// Blobs of at most one chunk each, distinct, in one statement: as
    /// [`BlobStore::put`] does for one.
    async fn put_small(&self, blobs: &[(&str, &str, &Bytes)]) -> Result<()> {
        let values = super::sql::values_list_from(blobs.len(), 4, 2);
        let sql = format!(
            "WITH v(sha256, ext, size_bytes, data) AS (VALUES {values}), \
             b AS (INSERT INTO blobs (sha256, ext, size_bytes, chunks, created_at) \
                   SELECT sha256, ext, size_bytes, CASE WHEN size_bytes > 0 THEN 1 ELSE 0 END, $1 FROM v \
                   ON CONFLICT (sha256, ext) DO UPDATE SET created_at = EXCLUDED.created_at \
                   RETURNING sha256, ext, (xmax = 0) AS inserted) \
             INSERT INTO blob_chunks (sha256, ext, seq, data) \
             SELECT v.sha256, v.ext, 0, v.data FROM v JOIN b ON b.sha256 = v.sha256 AND b.ext = v.ext \
             WHERE b.inserted AND v.size_bytes > 0"
        );
        let mut q = sqlx::query(self.db.sql_owned(sql)).bind(super::now());
        for (sha, ext, bytes) in blobs {
            q = q
                .bind(*sha)
                .bind(*ext)
                .bind(bytes.len() as i64)
                .bind(bytes.to_vec());
        }
        q.execute(&self.db.write).await.map_err(db)?;
        Ok(())
    }

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

/// The sha256 of `bytes`, in hex.
async fn sha256_hex(bytes: &Bytes) -> Result<String> {
    if bytes.len() <= HASH_INLINE {
        return Ok(hex::encode(Sha256::digest(bytes)));
    }
    let hashed = bytes.clone();
    tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&hashed)))
        .await
        .map_err(join_error)
}

impl BlobStore for DbBlobs {
    fn put_many<'a>(&'a self, blobs: Vec<(Bytes, &'a str)>) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            let mut shas = Vec::with_capacity(blobs.len());
            // Blobs of one chunk at most go in one statement; each row of
            // it once (a statement may not upsert a row twice), so files
            // that repeat within the call are written once.
            let mut small: Vec<(&str, &str, &Bytes)> = Vec::new();
            let mut large = Vec::new();
            for (bytes, _) in &blobs {
                shas.push(sha256_hex(bytes).await?);
            }
            for ((bytes, ext), sha) in blobs.iter().zip(&shas) {
                if bytes.len() > CHUNK {
                    large.push((bytes.clone(), *ext));
                } else if !small.iter().any(|(s, e, _)| s == sha && e == ext) {
                    small.push((sha.as_str(), *ext, bytes));
                }
            }
            if !small.is_empty() {
                self.put_small(&small).await?;
            }
            for (bytes, ext) in large {
                self.put(bytes, ext).await?;
            }
            Ok(shas)
        })
    }

    fn put<'a>(&'a self, bytes: Bytes, ext: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let sha = sha256_hex(&bytes).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores;

    #[tokio::test]
    async fn blobs_written_together_read_back_as_written_once_each() {
        let large = Bytes::from(
            (0..CHUNK + 1000)
                .map(|i| (i * 7 % 251) as u8)
                .collect::<Vec<_>>(),
        );
        let files: Vec<(Bytes, &str)> = vec![
            (Bytes::from_static(b"<svg>a</svg>"), "svg"),
            (Bytes::from_static(b"\x89PNG a"), "png"),
            // The same file twice in one call, and under another extension.
            (Bytes::from_static(b"<svg>a</svg>"), "svg"),
            (Bytes::from_static(b"<svg>a</svg>"), "txt"),
            (Bytes::new(), "svg"),
            (large.clone(), "png"),
        ];
        for t in test_stores().await {
            let blobs = t.store.blobs();
            let backend = t.store.backend().as_str();
            let shas = blobs.put_many(files.clone()).await.expect("put_many");
            assert_eq!(shas.len(), files.len());
            for ((bytes, ext), sha) in files.iter().zip(&shas) {
                assert_eq!(sha, &hex::encode(Sha256::digest(bytes)), "{backend}");
                let back = blobs.get(sha, ext).await.expect("get");
                assert_eq!(back.as_deref(), Some(&bytes[..]), "{backend}: {ext}");
            }
            // Again, with the blobs there: the same names, nothing fails.
            let again = blobs.put_many(files.clone()).await.expect("again");
            assert_eq!(again, shas, "{backend}");
            assert_eq!(
                blobs.put_many(Vec::new()).await.expect("none"),
                Vec::<String>::new()
            );
        }
    }
}
