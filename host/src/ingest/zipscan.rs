//! Zip-based workbooks (xlsx, ods): what the archive holds, and the
//! inflation pre-scan that defuses zip bombs before calamine opens it.
//!
//! The pre-scan inflates every entry through a counting reader that stops
//! at the per-entry and total limits. Declared sizes are never trusted: a
//! bomb can claim 1 KiB and inflate to gigabytes, and several entries can
//! share the same compressed bytes. Entries whose content makes calamine
//! allocate in proportion to a number written in the file (the shared
//! string table's `uniqueCount`, ods repeat attributes) are also read with
//! an XML parser on the way through, so those numbers are checked first.

use std::io::{self, BufReader, Cursor, Read};

use quick_xml::events::Event;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::error::{Error, Result};
use crate::ingest::limits::{IngestLimits, exceeded};
use crate::ingest::{corrupt, encrypted, not_a_workbook, ods};

pub(crate) type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// The workbook formats that come zipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZipKind {
    Xlsx,
    Ods,
}

pub(crate) fn open(bytes: &[u8]) -> Result<Archive<'_>> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => encrypted(),
        e => corrupt(format!("its zip structure is damaged or truncated ({e})")),
    })
}

pub(crate) fn zip_error(entry: &str, e: ZipError) -> Error {
    match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => encrypted(),
        ZipError::InvalidPassword => encrypted(),
        e => corrupt(format!("zip entry '{entry}' cannot be read ({e})")),
    }
}

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// Decides from the entry names (and the ODF `mimetype` entry) which
/// workbook format the archive holds, or what else it is.
pub(crate) fn classify(archive: &mut Archive<'_>) -> Result<ZipKind> {
    let names: Vec<String> = archive
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name);

    if let Some(index) = archive.index_for_name("mimetype") {
        let mut mime = Vec::new();
        archive
            .by_index(index)
            .map_err(|e| zip_error("mimetype", e))?
            .take(256)
            .read_to_end(&mut mime)
            .map_err(|e| corrupt(format!("zip entry 'mimetype' cannot be read ({e})")))?;
        let mime = String::from_utf8_lossy(&mime).trim().to_owned();
        if mime.starts_with(ODS_MIMETYPE) {
            return Ok(ZipKind::Ods);
        }
        let what = match mime.strip_prefix("application/vnd.oasis.opendocument.") {
            Some(kind) if kind.starts_with("text") => "an OpenDocument text document (.odt)".into(),
            Some(kind) if kind.starts_with("presentation") => {
                "an OpenDocument presentation (.odp)".into()
            }
            Some(kind) => format!("an OpenDocument {kind} file"),
            None => format!("a zip-based file of type '{mime}'"),
        };
        return Err(not_a_workbook(what));
    }
    if has("xl/workbook.bin") {
        return Err(not_a_workbook(
            "an Excel binary workbook (.xlsb), which is not supported; open it in Excel and \
             save it as .xlsx",
        ));
    }
    if names.iter().any(|n| n.ends_with("workbook.xml")) {
        return Ok(ZipKind::Xlsx);
    }
    let what = if has("word/document.xml") {
        "a Word document (.docx)"
    } else if has("ppt/presentation.xml") {
        "a PowerPoint presentation (.pptx)"
    } else if has("[content_types].xml") {
        "an Office document that holds no workbook"
    } else {
        "a zip archive that holds no workbook"
    };
    Err(not_a_workbook(what))
}

/// Inflates every entry within the limits, inspecting the entries whose
/// declared counts drive calamine's allocations.
pub(crate) fn scan(archive: &mut Archive<'_>, kind: ZipKind, limits: &IngestLimits) -> Result<()> {
    let mut total = 0u64;
    for index in 0..archive.len() {
        let name = archive
            .name_for_index(index)
            .and_then(|n| n.ok())
            .map(|n| n.into_owned())
            .unwrap_or_default();
        let file = archive.by_index(index).map_err(|e| zip_error(&name, e))?;
        if file.encrypted() {
            return Err(encrypted());
        }
        let remaining = limits.max_inflated_bytes.saturating_sub(total);
        let per_entry_binds = limits.max_entry_inflated_bytes <= remaining;
        let mut bounded = Bounded {
            inner: file,
            read: 0,
            allowed: limits.max_entry_inflated_bytes.min(remaining),
            tripped: false,
        };
        let lower = name.to_ascii_lowercase();
        let inspected = match kind {
            ZipKind::Xlsx if lower.ends_with("sharedstrings.xml") => {
                check_shared_strings(BufReader::new(&mut bounded), limits)
            }
            ZipKind::Ods if name == "content.xml" => {
                ods::estimate_content(BufReader::new(&mut bounded), limits)
            }
            _ => Ok(()),
        };
        // Drain what the inspector left, so every byte is counted and the
        // zip reader verifies the entry's CRC.
        let drained = match inspected {
            Ok(()) => io::copy(&mut bounded, &mut io::sink()).map(drop),
            Err(_) if bounded.tripped => Ok(()),
            Err(e) => return Err(e),
        };
        if bounded.tripped {
            return Err(if per_entry_binds {
                exceeded(
                    "max_entry_inflated_bytes",
                    limits.max_entry_inflated_bytes,
                    format!(
                        "zip entry '{name}' inflates to more than {} bytes",
                        limits.max_entry_inflated_bytes
                    ),
                )
            } else {
                exceeded(
                    "max_inflated_bytes",
                    limits.max_inflated_bytes,
                    format!(
                        "the workbook's zip entries inflate to more than {} bytes in total",
                        limits.max_inflated_bytes
                    ),
                )
            });
        }
        drained.map_err(|e| corrupt(format!("zip entry '{name}' cannot be inflated ({e})")))?;
        total += bounded.read;
    }
    Ok(())
}

/// A reader that fails once more than `allowed` bytes have come through.
/// It reads at most one byte past the limit, so a bomb costs no more than
/// the limit to detect.
struct Bounded<R> {
    inner: R,
    read: u64,
    allowed: u64,
    tripped: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tripped {
            return Err(io::Error::other("inflate limit reached"));
        }
        let room = (self.allowed - self.read).saturating_add(1);
        let max = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.read += n as u64;
        if self.read > self.allowed {
            self.tripped = true;
            return Err(io::Error::other("inflate limit reached"));
        }
        Ok(n)
    }
}

/// Parser settings identical to calamine's, so both see the same events.
pub(crate) fn xml_reader<R: io::BufRead>(reader: R) -> quick_xml::Reader<R> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    xml
}

/// calamine reserves room for the `uniqueCount` the shared string table
/// declares before reading a single string, so an absurd count aborts the
/// process on allocation failure. Both the declared and the actual number
/// of entries are held to `max_cells`.
fn check_shared_strings<R: io::BufRead>(reader: R, limits: &IngestLimits) -> Result<()> {
    let too_many = || {
        exceeded(
            "max_cells",
            limits.max_cells,
            format!(
                "the workbook's shared string table has more than {} entries",
                limits.max_cells
            ),
        )
    };
    let mut xml = xml_reader(reader);
    let mut buf = Vec::new();
    let mut entries = 0u64;
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "sst" => {
                    let declared = declared_unique_count(e.attributes_raw().as_bytes());
                    if declared.is_some_and(|n| n > limits.max_cells) {
                        return Err(too_many());
                    }
                }
                "si" => {
                    entries += 1;
                    if entries > limits.max_cells {
                        return Err(too_many());
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => return Ok(()),
            // calamine parses these same bytes with the same settings and
            // will stop at the same error, having allocated only for what
            // came before it, all of which was checked here.
            Err(_) => return Ok(()),
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The largest `uniqueCount` of an `sst` tag's raw attributes, read as
/// calamine reads them: split at `=` and quotes, a value whose closing
/// quote is missing running to the end of the tag. quick-xml's attribute
/// parser refuses such a value, so a check through it saw no count where
/// calamine reserved room for sixteen digits' worth of strings (found by
/// cargo-fuzz). A count too long for 64 bits counts as the most there is.
fn declared_unique_count(raw: &[u8]) -> Option<u64> {
    let mut declared: Option<u64> = None;
    let mut pos = 0;
    while let Some(eq) = raw[pos..].iter().position(|&b| b == b'=') {
        let key = raw[pos..pos + eq].trim_ascii();
        let mut at = pos + eq + 1;
        while raw.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        // calamine stops at an unquoted value, reading nothing after it.
        let Some(&quote @ (b'"' | b'\'')) = raw.get(at) else {
            break;
        };
        let start = at + 1;
        let end = raw[start..]
            .iter()
            .position(|&b| b == quote)
            .map_or(raw.len(), |n| start + n);
        let local = key.rsplit(|&b| b == b':').next().unwrap_or(key);
        if local == b"uniqueCount" {
            let value = raw[start..end].trim_ascii();
            let count = std::str::from_utf8(value).ok().and_then(|v| {
                v.parse::<u64>().ok().or_else(|| {
                    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then_some(u64::MAX)
                })
            });
            declared = declared.max(count);
        }
        pos = (end + 1).min(raw.len());
    }
    declared
}

#[cfg(test)]
mod tests {
    use super::declared_unique_count;

    #[test]
    fn a_unique_count_is_read_as_calamine_reads_it() {
        let count = |raw: &str| declared_unique_count(raw.as_bytes());
        assert_eq!(count(r#" xmlns="x" count="18" uniqueCount="7""#), Some(7));
        assert_eq!(count(" uniqueCount = '12' "), Some(12));
        // No closing quote: calamine takes the rest of the tag.
        assert_eq!(
            count(r#" xmlns="x" count="18" uniqueCount="1111111111111111"#),
            Some(1_111_111_111_111_111)
        );
        assert_eq!(
            count(r#" uniqueCount="99999999999999999999999""#),
            Some(u64::MAX)
        );
        assert_eq!(count(r#" x:uniqueCount="5" uniqueCount="9""#), Some(9));
        assert_eq!(count(r#" count="3""#), None);
        assert_eq!(
            count(r#" uniqueCount=7"#),
            None,
            "unquoted: calamine reads nothing"
        );
    }
}
