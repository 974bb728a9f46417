//! Office Open XML workbooks (.xlsx, .xlsm), read by calamine after the zip
//! pre-scan.
//!
//! Sheets are streamed cell by cell (`worksheet_cells_reader`) instead of
//! loaded as ranges: a range is a dense rectangle, so one value at A1 and
//! one at XFD1048576 would cost 17 billion cells, while streaming costs
//! only the cells present and stops at the first one past a limit.
//!
//! The pre-scan bounds what each zip entry inflates to, but calamine
//! inflates a sheet's entry once per sheet that points at it, and nothing
//! stops a hostile workbook from listing the same 64 MiB part under 200
//! sheet names. calamine therefore reads the upload through [`Metered`],
//! which refuses to serve the compressed bytes more than a few times over.

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use calamine::{DataType, Reader, SheetType, Xlsx, XlsxError};

use crate::error::{Error, Result};
use crate::ingest::limits::{IngestLimits, exceeded};
use crate::ingest::sheet::{Collector, value_from_ref};
use crate::ingest::{corrupt, encrypted, guarded};

/// Reads every worksheet of an xlsx workbook (already pre-scanned) into
/// `collector`; chart sheets and macro sheets are skipped.
pub(crate) fn read(
    bytes: &[u8],
    limits: &IngestLimits,
    collector: &mut Collector<'_>,
    keep_all: impl Fn(&str) -> bool,
) -> Result<()> {
    let meter = Meter {
        read: Cell::new(0),
        // Reading every part once costs about the upload size; headers and
        // buffering add little. Three times over is never legitimate.
        budget: (bytes.len() as u64).saturating_mul(3) + 64 * 1024,
        tripped: Cell::new(false),
    };
    let upload = Metered {
        inner: Cursor::new(bytes),
        meter: &meter,
    };
    let map_err = |e: XlsxError| {
        if meter.tripped.get() {
            corrupt(
                "several of its sheets point at the same part of the file, which would be \
                 inflated again for every one of them",
            )
        } else {
            xlsx_error(e)
        }
    };
    let mut workbook: Xlsx<Metered<'_>> = guarded(|| Xlsx::new(upload).map_err(map_err))?;
    let sheets = workbook.sheets_metadata().to_vec();
    if sheets.len() > limits.max_sheets {
        return Err(exceeded(
            "max_sheets",
            limits.max_sheets as u64,
            format!("the workbook has {} sheets", sheets.len()),
        ));
    }
    for sheet in sheets.iter().filter(|s| s.typ == SheetType::WorkSheet) {
        let mut sink = collector.sheet(&sheet.name, keep_all(&sheet.name))?;
        guarded(|| {
            let mut cells = workbook
                .worksheet_cells_reader(&sheet.name)
                .map_err(map_err)?;
            while let Some(cell) = cells.next_cell().map_err(map_err)? {
                let (row, col) = cell.get_position();
                if !sink.wants(col) {
                    // Skip building strings that would be dropped anyway.
                    if !cell.get_value().is_empty() {
                        sink.count(row, col)?;
                    }
                    continue;
                }
                if let Some(value) = value_from_ref(cell.get_value().clone()) {
                    sink.push(row, col, value)?;
                }
            }
            Ok(())
        })?;
        sink.finish();
    }
    Ok(())
}

/// Tracks how many bytes of the upload calamine has read.
struct Meter {
    read: Cell<u64>,
    budget: u64,
    tripped: Cell<bool>,
}

/// The upload as calamine reads it, metered.
struct Metered<'a> {
    inner: Cursor<&'a [u8]>,
    meter: &'a Meter,
}

impl Read for Metered<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.meter.tripped.get() {
            return Err(io::Error::other("read budget exhausted"));
        }
        let n = self.inner.read(buf)?;
        let read = self.meter.read.get() + n as u64;
        self.meter.read.set(read);
        if read > self.meter.budget {
            self.meter.tripped.set(true);
            return Err(io::Error::other("read budget exhausted"));
        }
        Ok(n)
    }
}

impl Seek for Metered<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn xlsx_error(e: XlsxError) -> Error {
    match e {
        XlsxError::Password => encrypted(),
        e => corrupt(e),
    }
}
