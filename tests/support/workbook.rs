//! Workbooks for the ingest tests, written by the tests themselves: no
//! binary fixtures are committed. xlsx comes from rust_xlsxwriter; ods,
//! legacy xls (BIFF8 in an OLE2 container) and hostile archives are
//! assembled byte by byte, since no writer produces them.

use std::io::{Cursor, Write};

use rust_xlsxwriter::Workbook;

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum C {
    S(&'static str),
    N(f64),
    /// Leave the cell empty.
    E,
}

pub use C::{E, N, S};

/// A sheet: its name and its rows from row 1.
pub struct Sheet {
    pub name: &'static str,
    pub rows: Vec<Vec<C>>,
}

pub fn sheet(name: &'static str, rows: Vec<Vec<C>>) -> Sheet {
    Sheet { name, rows }
}

/// A facet sheet as Espacenet writes it: title and "Number of documents",
/// then (label, count) rows.
pub fn facet(name: &'static str, title: &'static str, rows: &[(&'static str, f64)]) -> Sheet {
    let mut all = vec![vec![S(title), S("Number of documents")]];
    all.extend(rows.iter().map(|(label, count)| vec![S(label), N(*count)]));
    Sheet { name, rows: all }
}

/// The `Query` sheet of an export.
pub fn query_sheet(line: &'static str) -> Sheet {
    sheet(
        "Query",
        vec![
            vec![S("Espacenet")],
            vec![S("Patent search")],
            vec![S(line)],
            vec![E],
            vec![S("Query language: en / de / fr")],
            vec![S("Filters: ")],
        ],
    )
}

/// An xlsx workbook with these sheets, in this order.
pub fn xlsx(sheets: &[Sheet]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    for spec in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(spec.name).expect("sheet name");
        for (r, row) in spec.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    S(s) => {
                        ws.write_string(r, c, *s).expect("write string");
                    }
                    N(n) => {
                        ws.write_number(r, c, *n).expect("write number");
                    }
                    E => {}
                }
            }
        }
    }
    workbook.save_to_buffer().expect("save workbook")
}

/// A small but complete export: query, countries, publication years
/// (with Espacenet's cut sheet name), applicants.
pub fn standard_export() -> Vec<u8> {
    xlsx(&standard_sheets())
}

pub fn standard_sheets() -> Vec<Sheet> {
    vec![
        query_sheet("42 results found for ctxt all \"phytorem*\" AND cpc any \"G01N33\""),
        facet(
            "Countries (family)",
            "Countries (family)",
            &[("CN", 20.0), ("US", 12.0), ("EP", 10.0)],
        ),
        facet(
            "Earliest publication date (fam",
            "Earliest publication date (family)",
            &[("1973", 2.0), ("2020", 15.0)],
        ),
        facet(
            "Applicants",
            "Applicants",
            &[("UNIV ZHEJIANG", 7.0), ("UNIV CENTRAL SOUTH", 6.0)],
        ),
    ]
}

/// Writes a zip by hand, so entries can lie about their sizes and carry
/// any compressed bytes. Entries: (name, method, crc, declared size, data).
pub fn raw_zip(entries: &[(&str, u16, u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, crc, size, data) in entries {
        let offset = out.len() as u32;
        let header = |sig: u32, central_dir: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central_dir {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_dir {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
                h.extend_from_slice(&0u32.to_le_bytes()); // external attrs
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A raw deflate stream that inflates to `prefix` followed by `len` copies
/// of `fill` and then `suffix`, built from fixed-Huffman
/// length-258/distance-1 matches
/// (13 bits per 258 bytes: 1 GiB costs under 7 MB, and is built in
/// milliseconds rather than by compressing a gigabyte).
pub fn deflate_bomb(prefix: &[u8], fill: u8, len: u64, suffix: &[u8]) -> Vec<u8> {
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, bits: u32) {
            self.acc |= u64::from(value) << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes are sent most significant bit first.
        fn code(&mut self, code: u32, bits: u32) {
            let mut rev = 0;
            for i in 0..bits {
                rev |= ((code >> i) & 1) << (bits - 1 - i);
            }
            self.put(rev, bits);
        }
        fn literal(&mut self, b: u8) {
            if b < 144 {
                self.code(0x30 + u32::from(b), 8);
            } else {
                self.code(0x190 + u32::from(b) - 144, 9);
            }
        }
        /// Length 258 is symbol 285 (code 11000101), distance 1 is code 0.
        fn max_match(&mut self) {
            self.code(0b1100_0101, 8);
            self.code(0, 5);
        }
    }
    let mut w = Bits::default();
    w.put(1, 1); // final block
    w.put(1, 2); // fixed Huffman
    for &b in prefix {
        w.literal(b);
    }
    w.literal(fill);
    let mut matches = (len - 1) / 258;
    let tail = (len - 1) % 258;
    // Once byte-aligned, eight matches are always the same 13 bytes.
    while w.n != 0 && matches > 0 {
        w.max_match();
        matches -= 1;
    }
    let mut eight = Bits::default();
    for _ in 0..8 {
        eight.max_match();
    }
    w.out.reserve((matches / 8 * 13) as usize + 64);
    for _ in 0..matches / 8 {
        w.out.extend_from_slice(&eight.out);
    }
    for _ in 0..matches % 8 {
        w.max_match();
    }
    for _ in 0..tail {
        w.literal(fill);
    }
    for &b in suffix {
        w.literal(b);
    }
    w.code(0, 7); // end of block (symbol 256)
    w.put(0, 7); // flush
    w.out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Countries (family)" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// Raw deflate data for a sheet XML that inflates to `inflated` bytes: a
/// real worksheet start, then spaces.
pub fn sheet_bomb(inflated: u64) -> Vec<u8> {
    let head = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>CN"#;
    deflate_bomb(head, b' ', inflated - head.len() as u64, b"")
}

/// A valid-looking xlsx whose only sheet is the deflated `sheet`, and whose
/// zip headers claim it inflates to `declared` bytes; bombs lie.
pub fn xlsx_bomb(sheet: &[u8], declared: u32) -> Vec<u8> {
    let small = |s: &'static str| (s.as_bytes(), crc32(s.as_bytes()), s.len() as u32);
    let (ct, ct_crc, ct_len) = small(CONTENT_TYPES);
    let (rr, rr_crc, rr_len) = small(ROOT_RELS);
    let (wb, wb_crc, wb_len) = small(WORKBOOK);
    let (wr, wr_crc, wr_len) = small(WORKBOOK_RELS);
    raw_zip(&[
        ("[Content_Types].xml", 0, ct_crc, ct_len, ct),
        ("_rels/.rels", 0, rr_crc, rr_len, rr),
        ("xl/workbook.xml", 0, wb_crc, wb_len, wb),
        ("xl/_rels/workbook.xml.rels", 0, wr_crc, wr_len, wr),
        // The CRC is not worth a gigabyte of hashing: the scan must stop
        // long before the end, where the CRC would be checked.
        ("xl/worksheets/sheet1.xml", 8, 0, declared, sheet),
    ])
}

/// An xlsx whose `sheets` sheets all point at one sheet part: a facet
/// table followed by `padding` bytes of whitespace. Excel never writes this;
/// a hostile file does it to make a reader inflate the part once per sheet.
pub fn xlsx_shared_sheet_part(sheets: usize, padding: u64) -> Vec<u8> {
    let head = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>CN</t></is></c><c r="B1"><v>1</v></c></row>"#;
    let tail = b"</sheetData></worksheet>";
    let mut plain = head.to_vec();
    plain.resize(head.len() + padding as usize, b' ');
    plain.extend_from_slice(tail);
    let sheet = deflate_bomb(head, b' ', padding, tail);
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    for i in 0..sheets {
        let name = if i == 0 {
            "Countries (family)".to_owned()
        } else {
            format!("Copy {i}")
        };
        workbook.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{}" r:id="rId1"/>"#,
            i + 1
        ));
    }
    workbook.push_str("</sheets></workbook>");
    let small = |s: &'static str| (s.as_bytes(), crc32(s.as_bytes()), s.len() as u32);
    let (ct, ct_crc, ct_len) = small(CONTENT_TYPES);
    let (rr, rr_crc, rr_len) = small(ROOT_RELS);
    let (wr, wr_crc, wr_len) = small(WORKBOOK_RELS);
    raw_zip(&[
        ("[Content_Types].xml", 0, ct_crc, ct_len, ct),
        ("_rels/.rels", 0, rr_crc, rr_len, rr),
        (
            "xl/workbook.xml",
            0,
            crc32(workbook.as_bytes()),
            workbook.len() as u32,
            workbook.as_bytes(),
        ),
        ("xl/_rels/workbook.xml.rels", 0, wr_crc, wr_len, wr),
        (
            "xl/worksheets/sheet1.xml",
            8,
            crc32(&plain),
            plain.len() as u32,
            &sheet,
        ),
    ])
}

/// An ods workbook: `tables` are (name, rows) where each row is a list of
/// raw `<table:table-cell>` elements, written as given.
pub fn ods(tables: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for (name, rows) in tables {
        content.push_str(&format!(r#"<table:table table:name="{name}">"#));
        for row in rows {
            content.push_str("<table:table-row>");
            for cell in row {
                content.push_str(cell);
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    ods_from_content(&content)
}

/// An ods package around a given `content.xml`.
pub fn ods_from_content(content: &str) -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).expect("zip");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("zip");
    zip.start_file("META-INF/manifest.xml", deflated)
        .expect("zip");
    zip.write_all(manifest.as_bytes()).expect("zip");
    zip.start_file("content.xml", deflated).expect("zip");
    zip.write_all(content.as_bytes()).expect("zip");
    zip.finish().expect("zip").into_inner()
}

/// An ods text cell.
pub fn ods_text(s: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{s}</text:p></table:table-cell>"#
    )
}

/// An ods number cell.
pub fn ods_number(n: f64) -> String {
    format!(
        r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
    )
}

/// A cell of a BIFF8 sheet.
pub enum XlsCell {
    /// Text in the shared string table (LABELSST).
    Shared(&'static str),
    /// Text stored in the cell (LABEL).
    Label(&'static str),
    Number(f64),
    /// A formula whose cached value is this number; its tokens are an
    /// integer followed by thousands of "insert 255 spaces" tokens, which a
    /// reader rendering formulas to text pays for quadratically.
    Formula(f64),
}

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

/// An `XLUnicodeString`: compressed (Latin-1) when possible, else UTF-16.
fn unicode_string(s: &str, cch_bytes: usize) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = Vec::new();
    if cch_bytes == 1 {
        out.push(units.len() as u8);
    } else {
        out.extend_from_slice(&(units.len() as u16).to_le_bytes());
    }
    if units.iter().all(|&u| u < 256) {
        out.push(0);
        out.extend(units.iter().map(|&u| u as u8));
    } else {
        out.push(1);
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }
    out
}

/// The cells of a BIFF8 sheet: (row, column, value), 0-based.
pub type XlsCells = Vec<(u16, u16, XlsCell)>;

/// A BIFF8 workbook stream: globals (sheet list, shared strings), then one
/// substream per sheet.
pub fn biff8(sheets: &[(&str, XlsCells)]) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut d = vec![0u8; 16];
        d[0..2].copy_from_slice(&0x0600u16.to_le_bytes());
        d[2..4].copy_from_slice(&dt.to_le_bytes());
        d
    };
    let mut strings: Vec<&str> = Vec::new();
    for (_, cells) in sheets {
        for (_, _, cell) in cells {
            if let XlsCell::Shared(s) = cell
                && !strings.contains(s)
            {
                strings.push(s);
            }
        }
    }
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    let mut boundsheet_at = Vec::new();
    for (name, _) in sheets {
        boundsheet_at.push(globals.len() + 4);
        let mut d = vec![0u8; 6];
        d.extend(unicode_string(name, 1));
        record(&mut globals, 0x0085, &d);
    }
    let mut sst = Vec::new();
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    sst.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    for s in &strings {
        sst.extend(unicode_string(s, 2));
    }
    record(&mut globals, 0x00FC, &sst);
    record(&mut globals, 0x000A, &[]);

    let mut stream = globals;
    for (i, (_, cells)) in sheets.iter().enumerate() {
        let pos = stream.len() as u32;
        stream[boundsheet_at[i]..boundsheet_at[i] + 4].copy_from_slice(&pos.to_le_bytes());
        record(&mut stream, 0x0809, &bof(0x0010));
        for (row, col, cell) in cells {
            let mut d = Vec::new();
            d.extend_from_slice(&row.to_le_bytes());
            d.extend_from_slice(&col.to_le_bytes());
            d.extend_from_slice(&0u16.to_le_bytes()); // XF
            match cell {
                XlsCell::Shared(s) => {
                    let index = strings.iter().position(|x| x == s).unwrap_or(0) as u32;
                    d.extend_from_slice(&index.to_le_bytes());
                    record(&mut stream, 0x00FD, &d);
                }
                XlsCell::Label(s) => {
                    d.extend(unicode_string(s, 2));
                    record(&mut stream, 0x0204, &d);
                }
                XlsCell::Number(n) => {
                    d.extend_from_slice(&n.to_le_bytes());
                    record(&mut stream, 0x0203, &d);
                }
                XlsCell::Formula(n) => {
                    d.extend_from_slice(&n.to_le_bytes());
                    d.extend_from_slice(&[0; 6]); // flags, chn
                    let mut rgce = vec![0x1E, 1, 0]; // PtgInt 1
                    for _ in 0..2000 {
                        rgce.extend_from_slice(&[0x19, 0x40, 0x00, 0xFF]);
                    }
                    d.extend_from_slice(&(rgce.len() as u16).to_le_bytes());
                    d.extend_from_slice(&rgce);
                    record(&mut stream, 0x0006, &d);
                }
            }
        }
        record(&mut stream, 0x000A, &[]);
    }
    stream
}

/// An OLE2 compound file (version 3, 512-byte sectors) holding the given
/// streams, as the `cfb` crate validates them: the directory is a tree
/// (root, then the streams as a chain of right siblings in name order).
/// Streams are padded to 4096 bytes so none lives in the mini stream; the
/// padding is part of the stream, as zero bytes.
pub fn compound_file(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
    const END: u32 = 0xFFFF_FFFE;
    const FREE: u32 = 0xFFFF_FFFF;
    const NONE: u32 = 0xFFFF_FFFF;
    // Directory order: shorter names first, then by upper-cased name.
    let mut streams: Vec<&(&str, Vec<u8>)> = streams.iter().collect();
    streams.sort_by_key(|(name, _)| (name.encode_utf16().count(), name.to_uppercase()));
    let mut fat: Vec<u32> = Vec::new();
    let mut data = Vec::new();
    // Sector 0 is the FAT, sector 1 the directory.
    fat.push(0xFFFF_FFFD);
    fat.push(END);
    let mut starts = Vec::new();
    for (_, bytes) in &streams {
        let mut padded = bytes.clone();
        padded.resize(bytes.len().max(4096).div_ceil(512) * 512, 0);
        let first = fat.len() as u32;
        let count = padded.len() / 512;
        for i in 0..count {
            fat.push(if i + 1 == count {
                END
            } else {
                first + i as u32 + 1
            });
        }
        starts.push(first);
        data.extend(padded);
    }
    assert!(
        fat.len() <= 128 && streams.len() < 4,
        "test compound files are small"
    );
    fat.resize(128, FREE);

    let mut out = vec![0u8; 512];
    out[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    out[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    out[26..28].copy_from_slice(&3u16.to_le_bytes());
    out[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    out[30..32].copy_from_slice(&9u16.to_le_bytes());
    out[32..34].copy_from_slice(&6u16.to_le_bytes());
    out[44..48].copy_from_slice(&1u32.to_le_bytes());
    out[48..52].copy_from_slice(&1u32.to_le_bytes());
    out[56..60].copy_from_slice(&4096u32.to_le_bytes());
    out[60..64].copy_from_slice(&END.to_le_bytes());
    out[68..72].copy_from_slice(&END.to_le_bytes());
    for i in 0..109 {
        let v = if i == 0 { 0 } else { FREE };
        out[76 + i * 4..80 + i * 4].copy_from_slice(&v.to_le_bytes());
    }
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));

    let mut dir = vec![0u8; 512];
    for slot in 0..4 {
        // Left sibling, right sibling, child: none.
        dir[slot * 128 + 68..slot * 128 + 80].fill(0xFF);
    }
    let mut entry = |slot: usize, name: &str, kind: u8, start: u32, size: u32, link: u32| {
        let at = slot * 128;
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            dir[at + i * 2..at + i * 2 + 2].copy_from_slice(&u.to_le_bytes());
        }
        dir[at + 64..at + 66].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
        dir[at + 66] = kind;
        dir[at + 67] = 1; // black
        // The root links its first child; a stream its right sibling.
        let link_at = if kind == 5 { at + 76 } else { at + 72 };
        dir[link_at..link_at + 4].copy_from_slice(&link.to_le_bytes());
        dir[at + 116..at + 120].copy_from_slice(&start.to_le_bytes());
        dir[at + 120..at + 124].copy_from_slice(&size.to_le_bytes());
    };
    let first_child = if streams.is_empty() { NONE } else { 1 };
    entry(0, "Root Entry", 5, END, 0, first_child);
    for (i, (name, bytes)) in streams.iter().enumerate() {
        let next = if i + 1 < streams.len() {
            i as u32 + 2
        } else {
            NONE
        };
        entry(
            i + 1,
            name,
            2,
            starts[i],
            bytes.len().max(4096) as u32,
            next,
        );
    }
    out.extend(dir);
    out.extend(data);
    out
}

/// Sets FAT entry `sector` of a [`compound_file`] (its FAT is sector 0,
/// right after the 512-byte header) to `next`.
pub fn set_fat(file: &mut [u8], sector: usize, next: u32) {
    file[512 + sector * 4..516 + sector * 4].copy_from_slice(&next.to_le_bytes());
}

/// An export with every canonical facet, sized so that every built-in
/// chart can be drawn (twenty years of publications for the forecasts,
/// enough CPC subgroups for a treemap). The numbers are invented.
pub fn full_sheets() -> Vec<Sheet> {
    const YEARS: &[(&str, f64)] = &[
        ("2004", 1.0),
        ("2005", 2.0),
        ("2006", 2.0),
        ("2007", 3.0),
        ("2008", 2.0),
        ("2009", 4.0),
        ("2010", 5.0),
        ("2011", 4.0),
        ("2012", 7.0),
        ("2013", 8.0),
        ("2014", 10.0),
        ("2015", 9.0),
        ("2016", 13.0),
        ("2017", 15.0),
        ("2018", 18.0),
        ("2019", 21.0),
        ("2020", 26.0),
        ("2021", 30.0),
        ("2022", 22.0),
        ("2023", 9.0),
    ];
    vec![
        query_sheet("211 results found for ctxt all \"heavy metal\" AND cpc any \"G01N33\""),
        facet(
            "Countries (family)",
            "Countries (family)",
            &[
                ("CN", 120.0),
                ("WO", 25.0),
                ("US", 22.0),
                ("EP", 15.0),
                ("KR", 9.0),
                ("JP", 8.0),
                ("EC", 2.0),
                ("ES", 3.0),
                ("MX", 1.0),
                ("BR", 3.0),
                ("DE", 3.0),
            ],
        ),
        facet(
            "Languages (family)",
            "Languages (family)",
            &[
                ("en", 150.0),
                ("zh", 120.0),
                ("es", 6.0),
                ("de", 5.0),
                ("ko", 4.0),
                ("ja", 3.0),
            ],
        ),
        facet(
            "Earliest publication date (fam",
            "Earliest publication date (family)",
            YEARS,
        ),
        facet("Earliest priority date", "Earliest priority date", YEARS),
        facet(
            "IPC main groups",
            "IPC main groups",
            &[
                ("G01N33", 150.0),
                ("G01N1", 30.0),
                ("G01N27", 25.0),
                ("C02F1", 12.0),
                ("B09C1", 9.0),
            ],
        ),
        facet(
            "IPC subgroups",
            "IPC subgroups",
            &[
                ("G01N33/24", 70.0),
                ("G01N33/00", 30.0),
                ("G01N33/18", 28.0),
                ("G01N1/28", 10.0),
            ],
        ),
        facet(
            "CPC main groups",
            "CPC main groups",
            &[
                ("G01N33", 155.0),
                ("G01N1", 28.0),
                ("G01N27", 22.0),
                ("Y02A20", 11.0),
                ("B09C1", 8.0),
            ],
        ),
        facet(
            "CPC subgroups",
            "CPC subgroups",
            &[
                ("G01N33/24", 70.0),
                ("G01N33/18", 30.0),
                ("G01N33/0098", 28.0),
                ("G01N33/245", 20.0),
                ("G01N1/28", 12.0),
                ("G01N33/1813", 12.0),
                ("G06Q50/02", 8.0),
                ("Y02A20/152", 7.0),
                ("G01N27/26", 6.0),
                ("B09C1/105", 5.0),
                ("C02F1/28", 4.0),
                ("G01N21/31", 3.0),
            ],
        ),
        facet(
            "CPC assigning offices",
            "CPC assigning offices",
            &[("CN", 110.0), ("EP", 40.0), ("US", 20.0)],
        ),
        facet(
            "Applicants",
            "Applicants",
            &[
                ("UNIV ZHEJIANG", 7.0),
                ("UNIV CENTRAL SOUTH", 6.0),
                ("NANJING UNIVERSITY OF TECHNOLOGY", 5.0),
                ("CHINESE RES ACAD ENV SCIENCES", 4.0),
                ("Univ California", 3.0),
                ("UNIVERSIDAD POLITÉCNICA DE MADRID", 2.0),
            ],
        ),
        facet(
            "Inventors",
            "Inventors",
            &[
                ("MA LI", 4.0),
                ("CHEN WEI", 3.0),
                ("DUAN CHANGQUN", 3.0),
                ("LÓPEZ GARCÍA, MARÍA", 2.0),
                ("WANG JUN", 2.0),
            ],
        ),
        facet(
            "Applicants - country",
            "Applicants - country",
            &[("US", 40.0), ("KR", 11.0), ("CN", 9.0), ("EC", 2.0)],
        ),
        facet(
            "Inventors - country",
            "Inventors - country",
            &[("US", 38.0), ("CN", 12.0), ("KR", 9.0), ("ES", 3.0)],
        ),
    ]
}

/// [`full_sheets`] as an xlsx.
pub fn full_export() -> Vec<u8> {
    xlsx(&full_sheets())
}
