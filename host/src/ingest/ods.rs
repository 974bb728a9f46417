//! OpenDocument spreadsheets (.ods), read by calamine after a pre-scan.
//!
//! calamine materialises every table of an ods file when it opens it, and
//! ods can say "repeat this cell 16384 times" and "repeat this row a million
//! times" in a few bytes, or "insert 10^12 spaces" in one element. Inflating
//! `content.xml` within the byte limits therefore does not bound what
//! calamine builds from it. [`estimate_content`] runs over `content.xml`
//! during the zip pre-scan with calamine's own parser settings and mirrors
//! how calamine expands repeats, so the cells and text it would build are
//! counted against the limits before it builds them.

use std::io::{BufRead, Cursor};

use calamine::{Ods, OdsError, Reader};
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};
use crate::ingest::limits::{IngestLimits, exceeded};
use crate::ingest::sheet::{Collector, value_from_data};
use crate::ingest::zipscan::xml_reader;
use crate::ingest::{corrupt, encrypted, guarded};

/// calamine's own caps on repeats (ods rows and columns of one table).
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;

/// Attributes that make calamine treat a cell as holding a value.
const VALUE_ATTRS: &[&str] = &[
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
    "office:value-type",
    "calcext:value-type",
    "table:formula",
];

/// Reads every table of an ods workbook (already pre-scanned) into
/// `collector`.
pub(crate) fn read(
    bytes: &[u8],
    limits: &IngestLimits,
    collector: &mut Collector<'_>,
    keep_all: impl Fn(&str) -> bool,
) -> Result<()> {
    let mut workbook: Ods<Cursor<&[u8]>> =
        guarded(|| Ods::new(Cursor::new(bytes)).map_err(ods_error))?;
    let names: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    if names.len() > limits.max_sheets {
        return Err(exceeded(
            "max_sheets",
            limits.max_sheets as u64,
            format!("the workbook has {} sheets", names.len()),
        ));
    }
    for name in names {
        let range = guarded(|| workbook.worksheet_range(&name).map_err(ods_error))?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut sink = collector.sheet(&name, keep_all(&name))?;
        for (r, c, data) in range.used_cells() {
            let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) else {
                return Err(corrupt(format!(
                    "sheet '{name}' is larger than a sheet can be"
                )));
            };
            let (row, col) = (row0.saturating_add(r), col0.saturating_add(c));
            if let Some(value) = value_from_data(data) {
                sink.push(row, col, value)?;
            }
        }
        sink.finish();
    }
    Ok(())
}

fn ods_error(e: OdsError) -> Error {
    match e {
        OdsError::Password => encrypted(),
        e => corrupt(e),
    }
}

#[derive(Default)]
struct Table {
    name: String,
    /// Rows seen so far, capped as calamine caps them.
    total_rows: u64,
    /// Whether a row with a value has been seen; rows before it are not
    /// materialised, rows between values are.
    started: bool,
    /// Rows of the materialised range so far.
    expanded: u64,
    /// Empty rows since the last row with a value.
    pending_empty: u64,
    col_min: u64,
    col_max: u64,
    /// Text the materialised range holds (each repeat is a clone).
    range_text: u64,
}

#[derive(Default)]
struct Row {
    repeats: u64,
    /// Cells calamine pushes for this row element (before row repeats).
    pushed: u64,
    pending_empty: u64,
    first: Option<u64>,
    last: u64,
    text: u64,
}

#[derive(Default)]
struct Cell {
    repeats: u64,
    has_value: bool,
    text: u64,
}

struct Estimate<'l> {
    limits: &'l IngestLimits,
    tables: u64,
    /// Cells materialised in finished tables and rows.
    cells: u64,
    /// Text bytes materialised in finished tables and rows.
    text: u64,
    table: Option<Table>,
    row: Option<Row>,
    cell: Option<Cell>,
}

/// Counts, without building anything, the cells and text calamine would
/// materialise for `content.xml`, failing as soon as a limit is passed.
pub(crate) fn estimate_content<R: BufRead>(reader: R, limits: &IngestLimits) -> Result<()> {
    let mut est = Estimate {
        limits,
        tables: 0,
        cells: 0,
        text: 0,
        table: None,
        row: None,
        cell: None,
    };
    let mut xml = xml_reader(reader);
    let mut buf = Vec::new();
    // calamine reads a table until its end tag, and a cell comment until
    // its own, ignoring everything else, the end of the file included: a
    // content.xml that ends inside one makes it loop forever, and which
    // end tag it takes for whose depends on how it skips what it does not
    // read. In well-formed XML every element ends where it should, so only
    // well-formed content reaches it.
    let mut open: Vec<String> = Vec::new();
    loop {
        let event = xml.read_event_into(&mut buf);
        match &event {
            Ok(Event::Start(e)) => open.push(e.name().into_inner().to_string()),
            Ok(Event::End(e)) => {
                let closed = open.pop();
                if closed.as_deref() != Some(e.name().into_inner()) {
                    return Err(corrupt(format!(
                        "its content.xml is not well-formed: </{}> closes {}",
                        e.name().into_inner(),
                        closed.map_or("nothing".to_string(), |n| format!("<{n}>"))
                    )));
                }
            }
            Ok(Event::Eof) => {
                if let Some(n) = open.last() {
                    return Err(corrupt(format!("its content.xml ends inside <{n}>")));
                }
            }
            _ => {}
        }
        match event {
            Ok(Event::Start(e)) => match e.name().as_ref() {
                "table:table" => {
                    let name = attr(&e, "table:name").unwrap_or_default();
                    est.start_table(name)?;
                }
                "table:table-row" => {
                    let repeats = repeat_attr(&e, "table:number-rows-repeated");
                    est.start_row(repeats)?;
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let repeats = repeat_attr(&e, "table:number-columns-repeated");
                    let mut cell = Cell {
                        repeats,
                        ..Cell::default()
                    };
                    for a in e.attributes().with_checks(false).flatten() {
                        if VALUE_ATTRS.contains(&a.key.as_ref()) {
                            // `table:formula=""` alone leaves the cell empty.
                            cell.has_value |=
                                a.key.as_ref() != "table:formula" || !a.value.is_empty();
                            cell.text += a.value.len() as u64;
                        }
                    }
                    est.start_cell(cell)?;
                }
                "text:s" => {
                    // calamine pushes this many spaces, whatever the count.
                    let spaces = attr(&e, "text:c")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .unwrap_or(1);
                    est.add_text(spaces)?;
                }
                _ => est.add_text(1)?,
            },
            Ok(Event::End(e)) => match e.name().as_ref() {
                "table:table" => est.end_table()?,
                "table:table-row" => est.end_row()?,
                "table:table-cell" | "table:covered-table-cell" => est.end_cell()?,
                _ => {}
            },
            Ok(Event::Text(t)) => est.add_text(t.len() as u64)?,
            Ok(Event::CData(t)) => est.add_text(t.len() as u64)?,
            Ok(Event::GeneralRef(_)) => est.add_text(4)?,
            Ok(Event::Eof) => return est.end_table(),
            // calamine parses the same bytes with the same settings and
            // stops at the same error; everything before it was counted.
            Err(_) => return est.end_table(),
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The first value of an attribute, raw (not unescaped: escapes only
/// shrink the value, so lengths stay upper bounds).
fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.into_owned())
}

/// A repeat count as calamine reads it; the largest if the attribute is
/// duplicated, 1 if absent. An unparsable count makes calamine fail, so
/// any value is safe there.
fn repeat_attr(e: &BytesStart<'_>, key: &str) -> u64 {
    e.attributes()
        .with_checks(false)
        .flatten()
        .filter(|a| a.key.as_ref() == key)
        .filter_map(|a| a.value.trim().parse::<u64>().ok())
        .max()
        .unwrap_or(1)
}

impl Estimate<'_> {
    fn start_table(&mut self, name: String) -> Result<()> {
        self.end_table()?;
        self.tables += 1;
        if self.tables > self.limits.max_sheets as u64 {
            return Err(exceeded(
                "max_sheets",
                self.limits.max_sheets as u64,
                format!(
                    "the workbook has more than {} sheets",
                    self.limits.max_sheets
                ),
            ));
        }
        self.table = Some(Table {
            name,
            ..Table::default()
        });
        Ok(())
    }

    fn start_row(&mut self, repeats: u64) -> Result<()> {
        self.end_row()?;
        let table = self.table.get_or_insert_with(Table::default);
        let capped = repeats.min(MAX_ROWS.saturating_sub(table.total_rows));
        table.total_rows += capped;
        self.row = Some(Row {
            repeats: capped,
            ..Row::default()
        });
        Ok(())
    }

    fn start_cell(&mut self, cell: Cell) -> Result<()> {
        self.end_cell()?;
        self.cell = Some(cell);
        self.check_cell_text()
    }

    fn add_text(&mut self, n: u64) -> Result<()> {
        if let Some(cell) = &mut self.cell {
            cell.text = cell.text.saturating_add(n);
            self.check_cell_text()?;
        }
        Ok(())
    }

    fn check_cell_text(&self) -> Result<()> {
        match &self.cell {
            Some(cell) if cell.text > self.limits.max_inflated_bytes => Err(self.too_much_text()),
            _ => Ok(()),
        }
    }

    fn end_cell(&mut self) -> Result<()> {
        let Some(cell) = self.cell.take() else {
            return Ok(());
        };
        if self.row.is_none() {
            self.start_row(1)?;
        }
        let Some(row) = self.row.as_mut() else {
            return Ok(());
        };
        if cell.has_value {
            // Empty cells before a value are pushed as blanks.
            row.pushed += row.pending_empty.min(MAX_COLUMNS - row.pushed);
            row.pending_empty = 0;
            let repeats = cell.repeats.min(MAX_COLUMNS - row.pushed);
            if repeats > 0 {
                row.first.get_or_insert(row.pushed);
                row.pushed += repeats;
                row.last = row.pushed - 1;
                row.text = row.text.saturating_add(cell.text.saturating_mul(repeats));
            }
        } else {
            row.pending_empty = row.pending_empty.saturating_add(cell.repeats);
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<()> {
        self.end_cell()?;
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        self.cells += row.pushed;
        self.text = self.text.saturating_add(row.text);
        let table = self.table.get_or_insert_with(Table::default);
        if let Some(first) = row.first {
            if table.started {
                table.expanded += table.pending_empty;
                table.col_min = table.col_min.min(first);
                table.col_max = table.col_max.max(row.last);
            } else {
                table.started = true;
                table.col_min = first;
                table.col_max = row.last;
            }
            table.pending_empty = 0;
            table.expanded += row.repeats;
            table.range_text = table
                .range_text
                .saturating_add(row.text.saturating_mul(row.repeats));
        } else if table.started {
            table.pending_empty += row.repeats;
        }
        if table.expanded > self.limits.max_rows_per_sheet {
            return Err(exceeded(
                "max_rows_per_sheet",
                self.limits.max_rows_per_sheet,
                format!(
                    "sheet '{}' spans more than {} rows once its repeated rows are expanded",
                    table.name, self.limits.max_rows_per_sheet
                ),
            ));
        }
        let area = table.expanded * (table.col_max + 1 - table.col_min);
        let range_text = table.range_text;
        if self.cells.saturating_add(area) > self.limits.max_cells {
            return Err(self.too_many_cells());
        }
        if self.text.saturating_add(range_text) > self.limits.max_inflated_bytes {
            return Err(self.too_much_text());
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        self.end_row()?;
        if let Some(table) = self.table.take()
            && table.started
        {
            self.cells += table.expanded * (table.col_max + 1 - table.col_min);
            self.text = self.text.saturating_add(table.range_text);
        }
        if self.cells > self.limits.max_cells {
            return Err(self.too_many_cells());
        }
        Ok(())
    }

    fn too_many_cells(&self) -> Error {
        exceeded(
            "max_cells",
            self.limits.max_cells,
            format!(
                "the workbook expands to more than {} cells once its repeated rows and columns \
                 are expanded",
                self.limits.max_cells
            ),
        )
    }

    fn too_much_text(&self) -> Error {
        exceeded(
            "max_inflated_bytes",
            self.limits.max_inflated_bytes,
            format!(
                "the workbook's cells expand to more than {} bytes of text",
                self.limits.max_inflated_bytes
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn estimate(xml: &str, limits: &IngestLimits) -> Result<()> {
        estimate_content(xml.as_bytes(), limits)
    }

    fn content(rows: &str) -> String {
        format!(
            "<office:document-content><office:body><office:spreadsheet>\
             <table:table table:name=\"T\">{rows}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        )
    }

    #[test]
    fn trailing_empty_repeats_are_free() {
        // What LibreOffice writes after the last used row.
        let xml = content(
            "<table:table-row><table:table-cell office:value-type=\"float\" office:value=\"1\"/>\
             </table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048575\">\
             <table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>",
        );
        let limits = IngestLimits {
            max_rows_per_sheet: 10,
            max_cells: 10,
            ..IngestLimits::default()
        };
        estimate(&xml, &limits).unwrap();
    }

    #[test]
    fn repeated_values_are_counted_as_expanded() {
        let xml = content(
            "<table:table-row table:number-rows-repeated=\"200\">\
             <table:table-cell table:number-columns-repeated=\"16384\" \
             office:value-type=\"float\" office:value=\"1\"/></table:table-row>",
        );
        let err = estimate(&xml, &IngestLimits::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::IngestLimitExceeded);
        assert!(err.message.contains("max_cells"), "{}", err.message);
    }

    #[test]
    fn rows_between_values_count() {
        let xml = content(
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>a</text:p>\
             </table:table-cell></table:table-row>\
             <table:table-row table:number-rows-repeated=\"500\"><table:table-cell/></table:table-row>\
             <table:table-row><table:table-cell office:value-type=\"string\"><text:p>b</text:p>\
             </table:table-cell></table:table-row>",
        );
        let limits = IngestLimits {
            max_rows_per_sheet: 100,
            ..IngestLimits::default()
        };
        let err = estimate(&xml, &limits).unwrap_err();
        assert!(
            err.message.contains("max_rows_per_sheet"),
            "{}",
            err.message
        );
    }

    #[test]
    fn huge_space_runs_are_refused() {
        let xml = content(
            "<table:table-row><table:table-cell office:value-type=\"string\">\
             <text:p><text:s text:c=\"1000000000000\"/></text:p></table:table-cell></table:table-row>",
        );
        let err = estimate(&xml, &IngestLimits::default()).unwrap_err();
        assert!(
            err.message.contains("max_inflated_bytes"),
            "{}",
            err.message
        );
    }
}
