//! Files on local disk, content-addressed: uploads and rendered artifacts
//! are stored once by the sha256 of their bytes, so a repeated upload or a
//! cached chart costs no space.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(root: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&root).map_err(|e| io(&root, e))?;
        Ok(FileStore { root })
    }

    /// Where the blob `sha256.ext` lives (two-level fan-out keeps
    /// directories small).
    pub fn path(&self, sha256: &str, ext: &str) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("00");
        self.root.join(fan).join(format!("{sha256}.{ext}"))
    }

    /// Stores `bytes` unless an identical blob exists; returns its sha256.
    /// An existing blob is touched: its age is what the collector goes by
    /// (see [`FileStore::sweep`]), and a blob stored again is in use.
    pub fn put(&self, bytes: &[u8], ext: &str) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha, ext);
        if touch(&path).is_ok() {
            return Ok(sha);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        // Write then rename: a reader never sees a partial file, and two
        // writers of the same blob both end with the same complete file.
        let tmp = path.with_extension(format!("{ext}.tmp{}", uuid::Uuid::new_v4().simple()));
        if let Err(e) = std::fs::write(&tmp, bytes) {
            // A full disk leaves no partial file behind.
            let _ = std::fs::remove_file(&tmp);
            return Err(io(&tmp, e));
        }
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(&path, e)
        })?;
        Ok(sha)
    }

    /// Deletes the blobs last stored before `cutoff` whose sha256 is not
    /// in `referenced`, and temporary files a crash left; returns how many
    /// blobs went.
    ///
    /// A blob is first renamed aside, then its age checked again: one
    /// stored again in between (touched, so young) is put back, and a
    /// writer that finds it gone writes it anew. So a blob a new row is
    /// about to reference is never lost.
    pub fn sweep(&self, cutoff: SystemTime, referenced: &HashSet<String>) -> Result<u64> {
        let mut removed = 0;
        let Ok(fans) = std::fs::read_dir(&self.root) else {
            return Ok(0);
        };
        for fan in fans.flatten() {
            let Ok(entries) = std::fs::read_dir(fan.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                let old = modified(&path).is_some_and(|m| m < cutoff);
                if !old {
                    continue;
                }
                if name.contains(".tmp") || name.contains(".trash") {
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                let sha = name.split('.').next().unwrap_or("");
                if referenced.contains(sha) {
                    continue;
                }
                let aside = path.with_extension(format!("trash{}", uuid::Uuid::new_v4().simple()));
                if std::fs::rename(&path, &aside).is_err() {
                    continue;
                }
                if modified(&aside).is_some_and(|m| m < cutoff) {
                    std::fs::remove_file(&aside).map_err(|e| io(&aside, e))?;
                    removed += 1;
                } else {
                    std::fs::rename(&aside, &path).map_err(|e| io(&path, e))?;
                }
            }
        }
        Ok(removed)
    }
}

fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .append(true)
        .open(path)?
        .set_modified(SystemTime::now())
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn io(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return Error::new(
            ErrorCode::StorageFull,
            format!(
                "the disk holding {} is full: free space there (or move --data-dir) and try again",
                path.display()
            ),
        );
    }
    Error::new(
        ErrorCode::Internal,
        format!("storage error at {}: {e}", path.display()),
    )
}
