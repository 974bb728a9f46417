//! The format-independent view of a sheet that the Espacenet reader works
//! on. Each format reader (xlsx, ods, xls) pushes cells through a
//! [`Collector`], which enforces the row and cell limits as cells arrive and
//! keeps only what the Espacenet reader needs, so memory stays proportional
//! to the facet tables rather than to whatever else a workbook carries.

use calamine::{Data, DataRef, ExcelDateTime};

use crate::error::Result;
use crate::ingest::limits::{IngestLimits, exceeded};

/// A non-empty cell value, decoupled from the reader that produced it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
    /// A date or time, already rendered as text (ISO 8601).
    Date(String),
    /// An error value such as `#N/A`.
    Error(String),
}

/// What is kept of one sheet.
#[derive(Debug, Clone)]
pub(crate) struct SheetCells {
    pub name: String,
    /// Cells of columns A and B (0-based columns 0 and 1) or, for a sheet
    /// read in full, every cell; `(row, column, value)`, 0-based, sorted by
    /// position once the sheet is finished.
    pub cells: Vec<(u32, u32, Value)>,
    /// Non-empty cells right of column B that were counted but not kept.
    /// Facet tables have two columns; anything wider is some other table.
    pub wide_cells: u64,
}

/// Counts cells against the limits across all sheets of one workbook.
pub(crate) struct Collector<'l> {
    limits: &'l IngestLimits,
    total_cells: u64,
    /// Bytes of text kept. Many cells can share one long string (a shared
    /// string table entry), so what is kept must be bounded too.
    kept_text: u64,
    sheets: Vec<SheetCells>,
}

impl<'l> Collector<'l> {
    pub fn new(limits: &'l IngestLimits) -> Self {
        Collector {
            limits,
            total_cells: 0,
            kept_text: 0,
            sheets: Vec::new(),
        }
    }

    /// Starts a sheet. `keep_all` keeps every column (the query sheet,
    /// whose text may sit anywhere); otherwise only columns A and B are kept.
    pub fn sheet(&mut self, name: &str, keep_all: bool) -> Result<SheetSink<'_, 'l>> {
        if self.sheets.len() >= self.limits.max_sheets {
            return Err(exceeded(
                "max_sheets",
                self.limits.max_sheets as u64,
                format!(
                    "the workbook has more than {} sheets",
                    self.limits.max_sheets
                ),
            ));
        }
        Ok(SheetSink {
            collector: self,
            sheet: SheetCells {
                name: name.to_owned(),
                cells: Vec::new(),
                wide_cells: 0,
            },
            keep_all,
            sorted: true,
            last: None,
        })
    }

    pub fn finish(self) -> Vec<SheetCells> {
        self.sheets
    }
}

/// Receives the cells of one sheet; [`SheetSink::finish`] hands the sheet
/// back to the collector.
pub(crate) struct SheetSink<'c, 'l> {
    collector: &'c mut Collector<'l>,
    sheet: SheetCells,
    keep_all: bool,
    /// Readers deliver cells in row order in practice; sorting is only
    /// needed when one does not.
    sorted: bool,
    last: Option<(u32, u32)>,
}

impl SheetSink<'_, '_> {
    /// Whether a value in `col` would be kept. Lets readers skip building
    /// values (strings) for cells that would be dropped; the cell must still
    /// be reported through [`SheetSink::count`] or [`SheetSink::push`].
    pub fn wants(&self, col: u32) -> bool {
        self.keep_all || col <= 1
    }

    /// Counts a non-empty cell against the limits without keeping it.
    pub fn count(&mut self, row: u32, col: u32) -> Result<()> {
        let limits = self.collector.limits;
        if u64::from(row) >= limits.max_rows_per_sheet {
            return Err(exceeded(
                "max_rows_per_sheet",
                limits.max_rows_per_sheet,
                format!(
                    "sheet '{}' has data in row {}",
                    self.sheet.name,
                    u64::from(row) + 1
                ),
            ));
        }
        self.collector.total_cells += 1;
        if self.collector.total_cells > limits.max_cells {
            return Err(exceeded(
                "max_cells",
                limits.max_cells,
                format!(
                    "the workbook has more than {} non-empty cells",
                    limits.max_cells
                ),
            ));
        }
        if !self.wants(col) {
            self.sheet.wide_cells += 1;
        }
        Ok(())
    }

    /// Counts a non-empty cell and keeps it if its column is wanted.
    pub fn push(&mut self, row: u32, col: u32, value: Value) -> Result<()> {
        self.count(row, col)?;
        if self.wants(col) {
            if let Value::Text(text) = &value {
                let limits = self.collector.limits;
                self.collector.kept_text += text.len() as u64;
                if self.collector.kept_text > limits.max_inflated_bytes {
                    return Err(exceeded(
                        "max_inflated_bytes",
                        limits.max_inflated_bytes,
                        format!(
                            "the workbook's cells expand to more than {} bytes of text",
                            limits.max_inflated_bytes
                        ),
                    ));
                }
            }
            if self.last.is_some_and(|last| last >= (row, col)) {
                self.sorted = false;
            }
            self.last = Some((row, col));
            self.sheet.cells.push((row, col, value));
        }
        Ok(())
    }

    pub fn finish(mut self) {
        if !self.sorted {
            // Stable, so a duplicated position keeps its file order.
            self.sheet.cells.sort_by_key(|&(row, col, _)| (row, col));
        }
        self.collector.sheets.push(self.sheet);
    }
}

/// A calamine cell value (owned, as the ods reader yields them), or `None`
/// when the cell holds nothing.
pub(crate) fn value_from_data(data: &Data) -> Option<Value> {
    Some(match data {
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) if s.is_empty() => return None,
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => Value::Date(render_datetime(dt)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::Empty => return None,
    })
}

/// A calamine cell value as the streaming xlsx reader yields them.
pub(crate) fn value_from_ref(data: DataRef<'_>) -> Option<Value> {
    Some(match data {
        DataRef::Int(i) => Value::Int(i),
        DataRef::Float(f) => Value::Number(f),
        DataRef::String(s) if s.is_empty() => return None,
        DataRef::String(s) => Value::Text(s),
        DataRef::SharedString("") => return None,
        DataRef::SharedString(s) => Value::Text(s.to_owned()),
        DataRef::Bool(b) => Value::Bool(b),
        DataRef::DateTime(dt) => Value::Date(render_datetime(&dt)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Date(s),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::Empty => return None,
    })
}

/// ISO 8601: a date, a date and time, or a duration.
fn render_datetime(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        let total = (dt.as_f64() * 86_400.0).round();
        if !total.is_finite() || total.abs() > 1e15 {
            return dt.as_f64().to_string();
        }
        let total = total as i64;
        let sign = if total < 0 { "-" } else { "" };
        let total = total.unsigned_abs();
        return format!(
            "{sign}PT{}H{}M{}S",
            total / 3600,
            (total / 60) % 60,
            total % 60
        );
    }
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn rows_and_cells_are_limited() {
        let limits = IngestLimits {
            max_rows_per_sheet: 3,
            max_cells: 4,
            ..IngestLimits::default()
        };
        let mut collector = Collector::new(&limits);
        let mut sink = collector.sheet("S", false).unwrap();
        sink.push(2, 0, Value::Int(1)).unwrap();
        let err = sink.push(3, 0, Value::Int(1)).unwrap_err();
        assert_eq!(err.code, ErrorCode::IngestLimitExceeded);
        assert!(err.message.contains("row 4"), "{}", err.message);
        sink.push(0, 5, Value::Int(1)).unwrap();
        sink.push(0, 1, Value::Int(1)).unwrap();
        sink.push(1, 1, Value::Int(1)).unwrap();
        let err = sink.push(1, 0, Value::Int(1)).unwrap_err();
        assert!(err.message.contains("max_cells = 4"), "{}", err.message);
        sink.finish();
        let sheets = collector.finish();
        assert_eq!(sheets[0].wide_cells, 1);
        let positions: Vec<_> = sheets[0].cells.iter().map(|c| (c.0, c.1)).collect();
        assert_eq!(positions, vec![(0, 1), (1, 1), (2, 0)]);
    }
}
