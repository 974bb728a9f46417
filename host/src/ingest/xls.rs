//! Legacy Excel 97-2003 workbooks (BIFF8 `.xls`), read by calamine behind
//! two guards:
//!
//! 1. the OLE2 container is opened with the `cfb` crate, which validates it
//!    (FAT, mini-FAT, DIFAT and directory chains: out-of-range sectors, a
//!    sector claimed twice, a chain that loops back to its start, a looping
//!    directory tree); only its `Workbook` stream is taken, within
//!    `max_inflated_bytes`;
//! 2. [`biffguard::check`] walks that stream's record headers and refuses
//!    what would make calamine allocate beyond the limits.
//!
//! calamine then gets a fresh compound file that `cfb` writes around the
//! checked stream, never the upload itself: calamine has its own container
//! parser, and a crafted upload could show it a different `Workbook`
//! stream (say, an orphaned directory entry) than the one that was checked.
//!
//! Supported: BIFF8 (Excel 97 and later, what every "Save as .xls" writes).
//! Earlier BIFF versions (Excel 5.0/95) are refused with a clear message.

use std::io::{Cursor, Read, Write};

use calamine::{Reader, SheetType, Xls, XlsError, XlsOptions};

use crate::error::{Error, Result};
use crate::ingest::biffguard::{self, UNSUPPORTED_BIFF};
use crate::ingest::limits::{IngestLimits, exceeded};
use crate::ingest::sheet::{Collector, value_from_data};
use crate::ingest::{corrupt, encrypted, guarded, not_a_workbook};

/// Reads every worksheet of a BIFF8 workbook into `collector`.
pub(crate) fn read(
    bytes: &[u8],
    limits: &IngestLimits,
    collector: &mut Collector<'_>,
    keep_all: impl Fn(&str) -> bool,
) -> Result<()> {
    let mut stream = workbook_stream(bytes, limits)?;
    biffguard::check(&mut stream, limits)?;
    let container = repackage(&stream)?;
    drop(stream);
    let mut options = XlsOptions::default();
    // BIFF8 strings are Latin-1 or UTF-16 whatever the CODEPAGE record says;
    // this also keeps calamine's decoding to what the guard measured.
    options.force_codepage = Some(1200);
    let mut workbook =
        guarded(|| Xls::new_with_options(Cursor::new(container), options).map_err(xls_error))?;
    let sheets = workbook.sheets_metadata().to_vec();
    for sheet in sheets.iter().filter(|s| s.typ == SheetType::WorkSheet) {
        let name = &sheet.name;
        let range = guarded(|| workbook.worksheet_range(name).map_err(xls_error))?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut sink = collector.sheet(name, keep_all(name))?;
        for (r, c, data) in range.used_cells() {
            let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) else {
                return Err(corrupt(format!(
                    "sheet '{name}' is larger than a sheet can be"
                )));
            };
            if let Some(value) = value_from_data(data) {
                sink.push(row0.saturating_add(r), col0.saturating_add(c), value)?;
            }
        }
        sink.finish();
    }
    Ok(())
}

/// Opens the container with `cfb` and returns its `Workbook` stream, or
/// names what the compound file holds instead.
fn workbook_stream(bytes: &[u8], limits: &IngestLimits) -> Result<Vec<u8>> {
    let damaged =
        |e: std::io::Error| corrupt(format!("its compound-file structure is damaged ({e})"));
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(damaged)?;
    let has = |name: &str| cfb.is_stream(name);
    if has("EncryptedPackage") || has("EncryptionInfo") {
        return Err(encrypted());
    }
    if !has("Workbook") {
        return Err(not_a_workbook(if has("Book") {
            UNSUPPORTED_BIFF
        } else if has("WordDocument") {
            "a Word 97-2003 document (.doc)"
        } else if has("PowerPoint Document") {
            "a PowerPoint 97-2003 presentation (.ppt)"
        } else {
            "an OLE2 compound file that holds no workbook (perhaps an Outlook message or an \
             installer package)"
        }));
    }
    let stream = cfb.open_stream("Workbook").map_err(damaged)?;
    let size = stream.len();
    if size > limits.max_inflated_bytes {
        return Err(exceeded(
            "max_inflated_bytes",
            limits.max_inflated_bytes,
            format!("the workbook stream is {size} bytes"),
        ));
    }
    // A stream cannot be larger than the file that holds it.
    let mut out = Vec::with_capacity(usize::try_from(size.min(bytes.len() as u64)).unwrap_or(0));
    stream
        .take(limits.max_inflated_bytes)
        .read_to_end(&mut out)
        .map_err(damaged)?;
    Ok(out)
}

/// A compound file holding only `stream` as its `Workbook`, for calamine.
fn repackage(stream: &[u8]) -> Result<Vec<u8>> {
    let failed = |e: std::io::Error| {
        Error::new(
            crate::error::ErrorCode::Internal,
            format!("cannot repackage the workbook stream: {e}"),
        )
    };
    // Version 3 (512-byte sectors): calamine refuses a version 4 file whose
    // root has no mini stream, which is what `cfb` writes for a large stream.
    let mut cfb = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .map_err(failed)?;
    let mut out = cfb.create_stream("Workbook").map_err(failed)?;
    out.write_all(stream).map_err(failed)?;
    out.flush().map_err(failed)?;
    drop(out);
    cfb.flush().map_err(failed)?;
    Ok(cfb.into_inner().into_inner())
}

fn xls_error(e: XlsError) -> Error {
    match e {
        XlsError::Password => encrypted(),
        e => corrupt(e),
    }
}
