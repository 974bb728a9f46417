//! Format detection by content, never by file name: users rename files, and
//! browsers and Espacenet itself are loose with extensions.

/// The container a workbook may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    /// A zip archive: xlsx, ods, or something else zipped.
    Zip,
    /// An OLE2 compound file: xls, or an encrypted (password-protected)
    /// OOXML package, or another legacy Office document.
    Ole2,
}

const OLE2_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Classifies the upload, or describes what it looks like instead
/// ("a PNG image") when it is no workbook container at all.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Container, String> {
    if bytes.is_empty() {
        return Err("an empty file (0 bytes)".to_owned());
    }
    // Local file header, or the end-of-central-directory record of an empty
    // archive, or a spanned-archive marker: all zip.
    if bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || bytes.starts_with(b"PK\x07\x08")
    {
        return Ok(Container::Zip);
    }
    if bytes.starts_with(OLE2_MAGIC) {
        return Ok(Container::Ole2);
    }
    Err(describe(bytes).to_owned())
}

/// A short description of a non-workbook upload, for the error message.
fn describe(bytes: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"\x1F\x8B", "a gzip-compressed file"),
        (b"BZh", "a bzip2-compressed file"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1A\x07", "a RAR archive"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"\xFD7zXZ\0", "an xz-compressed file"),
        (b"\x28\xB5\x2F\xFD", "a zstd-compressed file"),
        (b"{\\rtf", "an RTF document"),
        (
            b"\xFF\xFE",
            "a UTF-16 text file (perhaps a CSV or tab-separated export)",
        ),
        (
            b"\xFE\xFF",
            "a UTF-16 text file (perhaps a CSV or tab-separated export)",
        ),
    ];
    if let Some((_, what)) = SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return what;
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "a WebP image";
    }
    describe_text(bytes).unwrap_or("binary data of an unknown kind")
}

/// Text uploads are common mistakes (CSV exports, HTML pages saved with an
/// .xls extension, the Excel 2003 XML format); name them precisely because
/// the fix differs.
fn describe_text(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the 4 KiB window is still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text.contains('\0') {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let start = lower.trim_start();
    if start.starts_with("<!doctype html") || start.starts_with("<html") || lower.contains("<table")
    {
        return Some(
            "an HTML page (some \"Excel\" downloads are web pages; open it in Excel and save it \
             as .xlsx)",
        );
    }
    if start.starts_with("<?xml") || start.starts_with('<') {
        if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") {
            return Some("an Excel 2003 XML spreadsheet, which is not supported");
        }
        return Some("an XML document");
    }
    let first_line = text.lines().next().unwrap_or("");
    if [',', ';', '\t', '|']
        .iter()
        .any(|sep| first_line.contains(*sep))
    {
        return Some("a CSV or other delimited text file");
    }
    Some("a plain text file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_and_descriptions() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Ok(Container::Zip));
        assert_eq!(sniff(OLE2_MAGIC), Ok(Container::Ole2));
        assert_eq!(sniff(b"").unwrap_err(), "an empty file (0 bytes)");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap_err(), "a PNG image");
        assert!(sniff(b"label,count\nCN,3\n").unwrap_err().contains("CSV"));
        assert!(sniff(b"<html><body>").unwrap_err().contains("HTML"));
        assert!(
            sniff(&[0u8, 1, 2, 3, 200, 201])
                .unwrap_err()
                .contains("unknown")
        );
        // "é" cut in half by the window must not turn text into binary.
        let mut text = vec![b'a'; 4095];
        text.extend_from_slice("é".as_bytes());
        assert_eq!(sniff(&text).unwrap_err(), "a plain text file");
    }
}
