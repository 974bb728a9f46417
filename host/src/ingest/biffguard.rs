//! A guard in front of calamine's xls reader: a flat walk over the BIFF8
//! record headers of the `Workbook` stream that bounds what calamine will
//! allocate, before calamine runs. It is not a reader: no cell value, string
//! or formula is decoded; the ingest's cells come from calamine.
//!
//! calamine (0.38) parses the whole workbook when it opens it, and:
//! - builds each sheet as a dense range spanning its cells, so two cells at
//!   opposite corners cost 65,536 × 65,536 cells; every sheet of the
//!   `BOUNDSHEET` list is parsed from the offset it gives, overlapping or not;
//! - reserves the area a `DIMENSIONS` record declares (rows are 32-bit);
//! - clones the shared string a `LABELSST` cell points at into every cell;
//! - renders every formula to text, where "insert spaces" tokens cost
//!   quadratic time and 3-D references repeat sheet names.
//!
//! The walk follows calamine's record boundaries (from offset 0 for the
//! globals, from each `BOUNDSHEET` offset for a sheet, nested substreams
//! skipped) and checks: the bounding box, row span and cell-record count of
//! every sheet; declared dimensions; the text shared strings expand to (their
//! character counts, from the string headers); that sheets do not overlap;
//! runs of `CONTINUE` records (calamine joins them in quadratic time).
//! Formulas are never used (their cached values are), so each `FORMULA`
//! record's token count is set to zero in place and calamine renders nothing.

use crate::error::Result;
use crate::ingest::limits::{IngestLimits, exceeded};
use crate::ingest::{corrupt, encrypted, not_a_workbook};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const FORMULA: u16 = 0x0006;
/// Every record calamine turns into a cell (blanks are counted too, in case
/// a later calamine keeps them).
const CELLS: &[u16] = &[
    0x00FD, 0x0203, 0x027E, 0x00BD, 0x0204, 0x00D6, 0x0201, 0x00BE, 0x0205,
];
/// Writers split a record every 8,224 bytes: 32,768 CONTINUE records carry
/// 256 MiB, more than any real record.
const MAX_CONTINUES: usize = 32_768;
/// What one defined name (`LBL`) may cost calamine as text: its name and a
/// sheet name (255 characters each, up to 3 bytes in UTF-8) and a reference.
const NAME_COST: u64 = 2 * 255 * 3 + 32;
pub(crate) const UNSUPPORTED_BIFF: &str = "an Excel 5.0/95 workbook (.xls), an older format \
    that is not supported; open it in Excel or LibreOffice and save it as .xlsx";

/// The integer at `at`, if the bytes are there. Offsets come from the
/// file (a sheet's offset is 32 bits, `usize::MAX` when missing), so the
/// end is a checked sum: past the end is `None`, never an overflow.
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The records from `pos` on, as calamine's `RecordIter` splits them:
/// `(type, data offset, data length)`.
fn records(s: &[u8], mut pos: usize) -> impl Iterator<Item = Result<(u16, usize, usize)>> + '_ {
    let mut continues = 0;
    std::iter::from_fn(move || {
        let (typ, len) = (
            u16_at(s, pos)?,
            usize::from(u16_at(s, pos.checked_add(2)?)?),
        );
        let at = pos + 4;
        if at + len > s.len() {
            return Some(Err(corrupt("the workbook stream ends inside a record")));
        }
        pos = at + len;
        continues = if typ == CONTINUE { continues + 1 } else { 0 };
        if continues > MAX_CONTINUES {
            return Some(Err(corrupt(
                "a record is continued more often than any writer does",
            )));
        }
        Some(Ok((typ, at, len)))
    })
}

/// Checks the workbook stream against the limits, and blanks its formulas.
pub(crate) fn check(stream: &mut [u8], limits: &IngestLimits) -> Result<()> {
    let mut sheets = Vec::new();
    let mut strings = Vec::new();
    let mut text = 0u64;
    let mut globals_end = stream.len();
    for (i, rec) in records(stream, 0).enumerate() {
        let (typ, at, len) = rec?;
        let data = &stream[at..at + len];
        match typ {
            BOF if i == 0 && u16_at(data, 0) != Some(0x0600) => {
                return Err(not_a_workbook(UNSUPPORTED_BIFF));
            }
            _ if i == 0 && typ != BOF => {
                return Err(corrupt(
                    "the workbook stream does not start with a BOF record",
                ));
            }
            EOF => {
                globals_end = at + len;
                break;
            }
            0x002F => return Err(encrypted()), // FILEPASS: RC4 or XOR
            0x0085 => sheets.push(u32_at(data, 0).map_or(usize::MAX, |p| p as usize)),
            0x0018 => text += NAME_COST,
            // SST: calamine keeps the last one.
            0x00FC => strings = sst_lengths(stream, at, len, limits)?,
            _ => {}
        }
    }
    if sheets.len() > limits.max_sheets {
        let found = format!("the workbook has {} sheets", sheets.len());
        return Err(exceeded("max_sheets", limits.max_sheets as u64, found));
    }
    let mut spans = vec![(0, globals_end)];
    let (mut cells, mut area) = (0u64, 0u64);
    for (n, &start) in sheets.iter().enumerate() {
        let (mut depth, mut seen_bof, mut end) = (0usize, false, stream.len());
        let (mut rows, mut cols) = ((u64::MAX, 0u64), (u64::MAX, 0u64));
        let mut formula_at = (0, 0);
        let mut recs = Vec::new();
        for rec in records(stream, start) {
            let (typ, at, len) = rec?;
            let data = &stream[at..at + len];
            if depth > 0 {
                depth = match typ {
                    BOF => depth + 1,
                    EOF => depth - 1,
                    _ => depth,
                };
                continue;
            }
            let (row, col) = (
                u16_at(data, 0).map(u64::from),
                u16_at(data, 2).map(u64::from),
            );
            let mut hit = |r: u64, c0: u64, c1: u64| {
                (rows, cols) = (
                    (rows.0.min(r), rows.1.max(r)),
                    (cols.0.min(c0), cols.1.max(c1)),
                );
            };
            match (typ, row, col) {
                (BOF, ..) if seen_bof => depth = 1,
                (BOF, ..) => seen_bof = true,
                (EOF, ..) => {
                    end = at + len;
                    break;
                }
                (0x0200, ..) => check_dimensions(data, limits, n)?,
                (FORMULA | 0x0207, ..) => {
                    if let (FORMULA, Some(r), Some(c)) = (typ, row, col) {
                        formula_at = (r, c);
                        recs.push(at);
                    }
                    hit(formula_at.0, formula_at.1, formula_at.1);
                    cells += 1;
                }
                (t, Some(r), Some(c)) if CELLS.contains(&t) => {
                    let width = match t {
                        0x00BD => 6,
                        0x00BE => 2,
                        _ => 0,
                    };
                    let count = if width == 0 {
                        1
                    } else {
                        len.saturating_sub(6).div_ceil(width)
                    };
                    let last = u16_at(data, len.saturating_sub(2)).map_or(0, u64::from);
                    let c1 = (c + count as u64).saturating_sub(1);
                    hit(r, c, if width == 0 { c } else { c1.max(last).max(c) });
                    cells += count as u64;
                    if t == 0x00FD {
                        let cch = u32_at(data, 6).and_then(|i| strings.get(i as usize));
                        text += 3 * cch.copied().map_or(0, u64::from);
                    }
                }
                _ => {}
            }
        }
        spans.push((start, end));
        for at in recs {
            // CellParsedFormula starts 20 bytes in with its token count.
            if let Some(cce) = stream.get_mut(at + 20..at + 22) {
                cce.fill(0);
            }
        }
        if rows.0 <= rows.1 {
            if rows.1 + 1 > limits.max_rows_per_sheet {
                let found = format!("sheet {} has data in row {}", n + 1, rows.1 + 1);
                return Err(exceeded(
                    "max_rows_per_sheet",
                    limits.max_rows_per_sheet,
                    found,
                ));
            }
            area += (rows.1 - rows.0 + 1) * (cols.1 - cols.0 + 1);
        }
        if cells.max(area) > limits.max_cells {
            let found = format!("the workbook's sheets span {} cells", cells.max(area));
            return Err(exceeded("max_cells", limits.max_cells, found));
        }
    }
    if text > limits.max_inflated_bytes {
        let found = format!("the workbook's cells expand to about {text} bytes of text");
        return Err(exceeded(
            "max_inflated_bytes",
            limits.max_inflated_bytes,
            found,
        ));
    }
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(corrupt("its sheets overlap inside the workbook stream"));
    }
    Ok(())
}

/// calamine reserves the rectangle a DIMENSIONS record declares.
fn check_dimensions(d: &[u8], limits: &IngestLimits, sheet: usize) -> Result<()> {
    let (rf, rl, cf, cl) = match d.len() {
        10 => (
            u16_at(d, 0).map(u32::from),
            u16_at(d, 2).map(u32::from),
            u16_at(d, 4),
            u16_at(d, 6),
        ),
        14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
        _ => return Ok(()), // calamine refuses it
    };
    let (Some(rf), Some(rl), Some(cf), Some(cl)) = (rf, rl, cf.map(u32::from), cl.map(u32::from))
    else {
        return Ok(());
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let end = if rl >= 1 && cl >= 1 {
        (rl - 1, cl - 1)
    } else {
        (rf, cf)
    };
    // The same arithmetic as calamine's, which wraps in release builds.
    let rows = u64::from(end.0.wrapping_sub(rf).wrapping_add(1));
    let cols = u64::from(end.1.wrapping_sub(cf).wrapping_add(1));
    if rows.saturating_mul(cols) > limits.max_cells {
        let found = format!("sheet {} declares {rows} × {cols} cells", sheet + 1);
        return Err(exceeded("max_cells", limits.max_cells, found));
    }
    Ok(())
}

/// The character count of each shared string, found by walking the string
/// headers the way calamine's `parse_sst` consumes them (characters of 1 or
/// 2 bytes; a string split by CONTINUE resumes with a width flag).
fn sst_lengths(s: &[u8], at: usize, len: usize, limits: &IngestLimits) -> Result<Vec<u32>> {
    let mut parts = records(s, at + len).map_while(|r| match r {
        Ok((CONTINUE, a, l)) => Some(&s[a..a + l]),
        _ => None,
    });
    let damaged = || corrupt("its shared string table is damaged");
    let mut d = s.get(at + 8..at + len).ok_or_else(damaged)?;
    let mut lengths = Vec::new();
    loop {
        if d.is_empty() {
            let Some(next) = parts.next() else {
                return Ok(lengths);
            };
            d = next;
            if d.is_empty() {
                lengths.push(0);
                continue;
            }
        }
        if lengths.len() as u64 >= limits.max_cells {
            let found = format!(
                "the shared string table has over {} entries",
                limits.max_cells
            );
            return Err(exceeded("max_cells", limits.max_cells, found));
        }
        let (cch, flags) = (
            u16_at(d, 0).ok_or_else(damaged)?,
            *d.get(2).ok_or_else(damaged)?,
        );
        let mut skip = 0usize;
        d = &d[3..];
        if flags & 0x08 != 0 {
            skip += 4 * usize::from(u16_at(d, 0).ok_or_else(damaged)?);
            d = &d[2..];
        }
        if flags & 0x04 != 0 {
            skip = skip.saturating_add(u32_at(d, 0).ok_or_else(damaged)? as i32 as usize);
            d = &d[4..];
        }
        let (mut left, mut width) = (usize::from(cch), 1 + usize::from(flags & 1));
        loop {
            let n = left.min(d.len() / width);
            (d, left) = (&d[n * width..], left - n);
            if left == 0 {
                break;
            }
            d = parts.next().ok_or_else(damaged)?;
            width = 1 + usize::from(*d.first().ok_or_else(damaged)? & 1);
            d = &d[1..];
        }
        while skip > 0 {
            if d.is_empty() {
                d = parts.next().ok_or_else(damaged)?;
            }
            let n = skip.min(d.len());
            (d, skip) = (&d[n..], skip - n);
        }
        lengths.push(u32::from(cch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }

    /// Globals (BIFF8 BOF, one BOUNDSHEET, EOF) and one sheet of `body`.
    fn workbook(body: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut s = Vec::new();
        record(&mut s, BOF, &[0, 6, 5, 0]);
        record(&mut s, 0x0085, &[0; 8]);
        record(&mut s, EOF, &[]);
        let pos = s.len() as u32;
        s[12..16].copy_from_slice(&pos.to_le_bytes());
        record(&mut s, BOF, &[0, 6, 0x10, 0]);
        for (typ, data) in body {
            record(&mut s, *typ, data);
        }
        record(&mut s, EOF, &[]);
        s
    }

    fn code(mut stream: Vec<u8>) -> Option<ErrorCode> {
        check(&mut stream, &IngestLimits::default())
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn declared_dimensions_are_bounded() {
        // rwMic 0, rwMac 2^32-1, columns 0..256: calamine would reserve it.
        let mut dims = vec![0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0];
        assert_eq!(
            code(workbook(&[(0x0200, dims.clone())])),
            Some(ErrorCode::IngestLimitExceeded)
        );
        dims[4..8].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(code(workbook(&[(0x0200, dims)])), None);
    }

    #[test]
    fn formulas_are_blanked_and_continue_runs_bounded() {
        let mut formula = vec![0u8; 30];
        formula[20] = 8;
        let mut stream = workbook(&[(FORMULA, formula)]);
        check(&mut stream, &IngestLimits::default()).unwrap();
        let at = stream.len() - 4 - 30;
        assert_eq!(&stream[at + 20..at + 22], &[0, 0]);

        let body: Vec<_> = std::iter::once((0x0204, vec![0; 9]))
            .chain(std::iter::repeat_n((CONTINUE, vec![]), MAX_CONTINUES + 1))
            .collect();
        assert_eq!(code(workbook(&body)), Some(ErrorCode::IngestCorrupt));
    }

    #[test]
    fn a_sheet_whose_offset_is_cut_off_is_walked_from_nowhere_without_overflow() {
        // A BOUNDSHEET of two bytes: no offset, so the walk starts past any
        // end and finds nothing to bound (found by cargo-fuzz: the offset
        // sums overflowed). What the sheet is, calamine then decides.
        let mut s = Vec::new();
        record(&mut s, BOF, &[0, 6, 5, 0]);
        record(&mut s, 0x0085, &[0; 2]);
        record(&mut s, EOF, &[]);
        assert_eq!(code(s), None);
        assert_eq!(u16_at(&[1, 2, 3], usize::MAX - 1), None);
        assert_eq!(u32_at(&[1, 2, 3], usize::MAX - 2), None);
    }

    #[test]
    fn overlapping_sheets_and_old_biff_are_refused() {
        let mut s = workbook(&[]);
        let boundsheet = s[8..20].to_vec();
        s.splice(8..8, boundsheet); // a second BOUNDSHEET, same offset
        let pos = u32::from_le_bytes(s[12..16].try_into().unwrap()) + 12;
        for at in [12, 24] {
            s[at..at + 4].copy_from_slice(&pos.to_le_bytes());
        }
        assert_eq!(code(s), Some(ErrorCode::IngestCorrupt));

        let mut old = Vec::new();
        record(&mut old, BOF, &[0, 5, 5, 0]);
        let err = check(&mut old, &IngestLimits::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::IngestNotAWorkbook);
        assert!(err.message.contains("Excel 5.0/95"), "{err}");
    }
}
