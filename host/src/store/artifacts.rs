//! Files on local disk, content-addressed: uploads and rendered artifacts
//! are stored once by the sha256 of their bytes, so a repeated upload or a
//! cached chart costs no space.

use std::path::{Path, PathBuf};

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
    pub fn put(&self, bytes: &[u8], ext: &str) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha, ext);
        if path.is_file() {
            return Ok(sha);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        // Write then rename: a reader never sees a partial file, and two
        // writers of the same blob both end with the same complete file.
        let tmp = path.with_extension(format!("{ext}.tmp{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
        Ok(sha)
    }
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("storage error at {}: {e}", path.display()),
    )
}
