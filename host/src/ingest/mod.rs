//! Ingest: uploaded files to the canonical [`Dataset`].
//!
//! The only source today is the Espacenet "Filters" export
//! (`espacenet_excel`), accepted as xlsx, ods or BIFF8 xls; the format is
//! detected from the content, never from the file name.
//!
//! Uploads are untrusted, so the pipeline is ordered to fail cheaply:
//!
//! 1. size check, then sha256 of the bytes (the dataset's identity);
//! 2. container sniffing: zip, OLE2, or an error naming what the file looks
//!    like (a PNG, a CSV, an HTML page...);
//! 3. a pre-scan that bounds what the parser will build: every zip entry is
//!    inflated through a counting reader (declared sizes are ignored), and
//!    the counts calamine would allocate for (shared strings, ods repeats)
//!    are checked; an OLE2 container is validated by the `cfb` crate and its
//!    workbook stream's record headers are checked for the cell ranges and
//!    text calamine would build (module `biffguard`);
//! 4. parsing, streaming cells through a collector that enforces the row,
//!    cell and text limits as they arrive and keeps only columns A and B
//!    (plus the query sheet);
//! 5. the Espacenet reading of those sheets (module `espacenet`).
//!
//! Every failure is an [`Error`] with a stable `INGEST_*` code and a
//! message saying what to do about it.

mod biffguard;
mod espacenet;
mod limits;
mod ods;
mod sheet;
mod sniff;
mod xls;
mod xlsx;
mod zipscan;

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::dataset::Dataset;
use crate::error::{Error, ErrorCode, Result};

pub use limits::IngestLimits;

/// The source types [`ingest_bytes`] accepts.
pub const SOURCE_TYPES: &[&str] = &["espacenet_excel"];

/// Reads an upload into a canonical dataset.
///
/// `file_name` is recorded as provenance only; the format is detected from
/// `bytes`. Errors carry `INGEST_*` codes: `IngestUnsupportedSource`,
/// `IngestLimitExceeded`, `IngestNotAWorkbook`, `IngestEncrypted`,
/// `IngestCorrupt`, `IngestBadCount`, `IngestNoFacets`.
pub fn ingest_bytes(
    source_type: &str,
    file_name: &str,
    bytes: &[u8],
    limits: &IngestLimits,
) -> Result<Dataset> {
    if !SOURCE_TYPES.contains(&source_type) {
        return Err(Error::new(
            ErrorCode::IngestUnsupportedSource,
            format!(
                "unsupported source type '{source_type}'; supported source types: {}",
                SOURCE_TYPES.join(", ")
            ),
        ));
    }
    let size = bytes.len() as u64;
    if size > limits.max_upload_bytes {
        return Err(limits::exceeded(
            "max_upload_bytes",
            limits.max_upload_bytes,
            format!("the upload is {size} bytes"),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(bytes));

    let mut collector = sheet::Collector::new(limits);
    let keep_all = espacenet::is_query_sheet;
    match sniff::sniff(bytes).map_err(not_a_workbook)? {
        sniff::Container::Zip => {
            let mut archive = zipscan::open(bytes)?;
            let kind = zipscan::classify(&mut archive)?;
            zipscan::scan(&mut archive, kind, limits)?;
            drop(archive);
            match kind {
                zipscan::ZipKind::Xlsx => xlsx::read(bytes, limits, &mut collector, keep_all)?,
                zipscan::ZipKind::Ods => ods::read(bytes, limits, &mut collector, keep_all)?,
            }
        }
        sniff::Container::Ole2 => xls::read(bytes, limits, &mut collector, keep_all)?,
    }

    let extracted = espacenet::extract(&collector.finish())?;
    Ok(Dataset {
        source_type: source_type.to_owned(),
        file_name: file_name.to_owned(),
        sha256,
        query: extracted.query,
        result_count: extracted.result_count,
        facets: extracted.facets,
    })
}

/// Reads a file from disk and ingests it under its file name. The size is
/// checked before reading, and the read itself stops past the limit in case
/// the file grows meanwhile.
pub fn ingest_path(source_type: &str, path: &Path, limits: &IngestLimits) -> Result<Dataset> {
    let io_error = |e: std::io::Error| {
        Error::new(
            ErrorCode::Internal,
            format!("cannot read upload '{}': {e}", path.display()),
        )
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    let too_big = |size: u64| {
        limits::exceeded(
            "max_upload_bytes",
            limits.max_upload_bytes,
            format!("the upload is {size} bytes"),
        )
    };
    if size > limits.max_upload_bytes {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_upload_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > limits.max_upload_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ingest_bytes(source_type, &file_name, &bytes, limits)
}

pub(crate) fn not_a_workbook(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::IngestNotAWorkbook,
        format!(
            "the file is not a workbook this service can read: it looks like {what}. Upload the \
             Espacenet \"Filters\" export as .xlsx (.ods, and .xls from Excel 97 or later, are \
             also accepted)"
        ),
    )
}

pub(crate) fn corrupt(reason: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::IngestCorrupt,
        format!(
            "the workbook is damaged and cannot be read: {reason}. Download the export again, or \
             open it in Excel or LibreOffice, save it as .xlsx and upload that file"
        ),
    )
}

pub(crate) fn encrypted() -> Error {
    Error::new(
        ErrorCode::IngestEncrypted,
        "the workbook is password-protected; save it without a password and upload again",
    )
}

/// Runs a third-party parser step, turning a panic on malformed input into
/// `IngestCorrupt`. Parsers are meant to return errors, but one bad index
/// in a dependency must not take down the worker that ingests uploads.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(corrupt("the spreadsheet parser failed on malformed data")))
}
