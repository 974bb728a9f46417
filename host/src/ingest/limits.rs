//! Resource limits for ingesting untrusted uploads.
//!
//! Every upload is hostile until proven otherwise: a few kilobytes of zip can
//! inflate to gigabytes, and a few bytes of spreadsheet XML can ask a reader
//! to materialise millions of cells. The limits below bound memory and time
//! before any parser allocates for what the file claims; the operator can
//! raise them for installations that ingest unusually large exports.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};

const MIB: u64 = 1024 * 1024;

/// Bounds on what one upload may cost. All fields are operator-configurable;
/// [`IngestLimits::default`] fits Espacenet exports (a real "Filters" export
/// is tens of kilobytes and a few thousand cells) with two orders of
/// magnitude of headroom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IngestLimits {
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Total bytes the entries of a zip-based workbook (xlsx, ods) may
    /// inflate to. For ods and xls it also bounds the text the workbook would
    /// expand to in memory (repeated cells, shared strings cloned per cell).
    pub max_inflated_bytes: u64,
    /// Bytes any single zip entry may inflate to.
    pub max_entry_inflated_bytes: u64,
    /// Rows a sheet may span: the highest row holding a value, 1-based.
    pub max_rows_per_sheet: u64,
    /// Non-empty cells all sheets together may hold. Shared-string tables
    /// larger than this are refused too, since no sheet could use them.
    pub max_cells: u64,
    /// Sheets a workbook may contain.
    pub max_sheets: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_upload_bytes: 50 * MIB,
            max_inflated_bytes: 256 * MIB,
            max_entry_inflated_bytes: 64 * MIB,
            max_rows_per_sheet: 200_000,
            max_cells: 2_000_000,
            max_sheets: 200,
        }
    }
}

/// The error for a breached limit: what was found, which limit field it
/// breached and its value, so the operator knows exactly what to raise.
pub(crate) fn exceeded(field: &str, limit: u64, found: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::IngestLimitExceeded,
        format!(
            "{found}, above the ingest limit {field} = {}; upload a smaller export, or ask the \
             operator to raise {field} if this file is genuine",
            human(field, limit)
        ),
    )
}

/// Byte limits read better with their MiB value alongside.
fn human(field: &str, limit: u64) -> String {
    if field.ends_with("_bytes") && limit >= MIB {
        let mib = limit as f64 / MIB as f64;
        if limit.is_multiple_of(MIB) {
            format!("{limit} bytes ({} MiB)", limit / MIB)
        } else {
            format!("{limit} bytes ({mib:.1} MiB)")
        }
    } else if field.ends_with("_bytes") {
        format!("{limit} bytes")
    } else {
        limit.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_field_and_value() {
        let e = exceeded("max_rows_per_sheet", 10, "sheet 'A' has more than 10 rows");
        assert_eq!(e.code, ErrorCode::IngestLimitExceeded);
        assert!(
            e.message.contains("max_rows_per_sheet = 10"),
            "{}",
            e.message
        );
        let e = exceeded("max_upload_bytes", 50 * MIB, "the upload is 60 MiB");
        assert!(
            e.message.contains("52428800 bytes (50 MiB)"),
            "{}",
            e.message
        );
    }
}
