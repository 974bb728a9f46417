//! Espacenet "Filters" exports: from sheets to the canonical dataset.
//!
//! An export is a `Query` sheet (the search text and result count) and one
//! sheet per facet, each a two-column table: a header row (the facet title,
//! "Number of documents") and then one row per label. Sheet names are cut
//! by Espacenet/Excel ("Earliest publication date (fam"), users rename and
//! reorder sheets, and re-saving through other tools turns numbers into
//! text; all of that is tolerated. What is not tolerated is a count that is
//! not a whole number of documents: charts built on a guessed count would
//! be wrong without anyone noticing.

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::OnceLock;

use crate::dataset::{CANONICAL_FACETS, Entry, Facet};
use crate::error::{Error, ErrorCode, Result};
use crate::ingest::sheet::{SheetCells, Value};

/// What the workbook yields, before provenance is attached.
#[derive(Debug)]
pub(crate) struct Extracted {
    pub query: Option<String>,
    pub result_count: Option<u64>,
    pub facets: Vec<Facet>,
}

/// Spellings of each canonical facet seen in Espacenet exports (sheet names
/// and A1 titles) and reasonable variants. Matching ignores case,
/// punctuation, word order, plurals and the word "family" (see
/// [`match_key`]), so "Applicants - country", "Applicant countries" and
/// "Country of applicant" all match one entry.
const KNOWN_NAMES: &[(&str, &[&str])] = &[
    (
        "countries",
        &["Countries (family)", "Publication country", "Country code"],
    ),
    ("languages", &["Languages (family)", "Publication language"]),
    (
        "publication_years",
        &[
            "Earliest publication date (family)",
            "Publication date",
            "Publication year",
            "Earliest publication year",
        ],
    ),
    (
        "priority_years",
        &[
            "Earliest priority date (family)",
            "Priority date",
            "Priority year",
            "Earliest priority year",
        ],
    ),
    (
        "ipc_main_groups",
        &["IPC main groups", "IPC main-groups", "IPC maingroups"],
    ),
    ("ipc_subgroups", &["IPC subgroups", "IPC sub-groups"]),
    (
        "cpc_main_groups",
        &["CPC main groups", "CPC main-groups", "CPC maingroups"],
    ),
    ("cpc_subgroups", &["CPC subgroups", "CPC sub-groups"]),
    (
        "cpc_offices",
        &["CPC assigning offices", "Assigning offices", "CPC offices"],
    ),
    ("applicants", &["Applicants (family)", "Applicant names"]),
    ("inventors", &["Inventors (family)", "Inventor names"]),
    (
        "applicant_countries",
        &[
            "Applicants - country",
            "Applicants - country (family)",
            "Applicant countries",
            "Country of applicant",
        ],
    ),
    (
        "inventor_countries",
        &[
            "Inventors - country",
            "Inventors - country (family)",
            "Inventor countries",
            "Country of inventor",
        ],
    ),
];

/// Words that never distinguish one facet from another.
const STOP_WORDS: &[&str] = &["family", "of", "the", "by", "per", "names", "name"];

/// Excel caps sheet names at 31 characters and Espacenet cuts its own at
/// 30. A name at least this long that is the start of a known longer name
/// is taken to be that name, cut; shorter names are too unspecific.
const MIN_TRUNCATED_CHARS: usize = 25;

pub(crate) fn is_query_sheet(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case("query")
}

/// Lower-case words of a name, apostrophes dropped ("Applicant's" ->
/// "applicants"), split on anything that is not a letter or digit.
fn words(s: &str) -> Vec<String> {
    s.chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '\u{2018}'))
        .collect::<String>()
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|s| s.len() > 1) {
        format!("{stem}y")
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The order- and plural-insensitive key two spellings of a facet share.
fn match_key(s: &str) -> String {
    let mut key: Vec<String> = words(s)
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| singular(w))
        .collect();
    key.sort();
    key.dedup();
    key.join(" ")
}

struct Known {
    canonical: &'static str,
    key: String,
    /// Words joined by single spaces, for prefix (truncation) matching.
    flat: String,
}

fn known() -> &'static [Known] {
    static KNOWN: OnceLock<Vec<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut known = Vec::new();
        for (canonical, phrases) in KNOWN_NAMES {
            // The canonical name itself ("applicant_countries") is a spelling.
            for phrase in phrases.iter().copied().chain([*canonical]) {
                known.push(Known {
                    canonical,
                    key: match_key(phrase),
                    flat: words(phrase).join(" "),
                });
            }
        }
        known
    })
}

fn resolve_exact(text: &str) -> Option<&'static str> {
    let key = match_key(text);
    if key.is_empty() {
        return None;
    }
    known().iter().find(|k| k.key == key).map(|k| k.canonical)
}

fn resolve_truncated(name: &str) -> Option<&'static str> {
    if name.trim().chars().count() < MIN_TRUNCATED_CHARS {
        return None;
    }
    let flat = words(name).join(" ");
    let mut candidates = known()
        .iter()
        .filter(|k| k.flat.len() > flat.len() && k.flat.starts_with(&flat))
        .map(|k| k.canonical);
    let first = candidates.next()?;
    // Ambiguous prefixes resolve to nothing rather than to a guess.
    candidates.all(|c| c == first).then_some(first)
}

/// The canonical facet a sheet holds, from its name, else from its A1
/// title (which Espacenet writes in full), else from its name read as cut.
fn resolve(sheet_name: &str, title: Option<&str>) -> Option<&'static str> {
    resolve_exact(sheet_name)
        .or_else(|| title.and_then(resolve_exact))
        .or_else(|| resolve_truncated(sheet_name))
}

/// A slug for an unknown sheet: lower-case ASCII letters and digits joined
/// by single underscores, common accented Latin letters folded ("é" -> "e"),
/// other characters dropped.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars() {
        let folded: Option<&str> = if c.is_ascii_alphanumeric() {
            None
        } else {
            fold(c)
        };
        if c.is_ascii_alphanumeric() || folded.is_some() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            match folded {
                Some(s) => out.push_str(s),
                None => out.push(c.to_ascii_lowercase()),
            }
        } else if !c.is_alphanumeric() {
            // Separators become one underscore; unfoldable letters (CJK,
            // Cyrillic...) are dropped without splitting words around them.
            gap = true;
        }
    }
    out
}

/// Folds common accented Latin letters to ASCII.
fn fold(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("çćĉċč", "c"),
        ("ďđð", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("ŕŗř", "r"),
        ("śŝşš", "s"),
        ("ţťŧ", "t"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵ", "w"),
        ("ýÿŷ", "y"),
        ("źżž", "z"),
        ("æ", "ae"),
        ("œ", "oe"),
        ("ß", "ss"),
        ("þ", "th"),
    ];
    let lower = c.to_lowercase().next()?;
    TABLE
        .iter()
        .find(|(from, _)| from.contains(lower))
        .map(|(_, to)| *to)
}

/// One row of a sheet's A/B columns; `None` is blank.
struct Row<'a> {
    /// 1-based, as Excel shows it.
    number: u64,
    label: Option<&'a Value>,
    count: Option<&'a Value>,
}

fn non_blank(v: &Value) -> Option<&Value> {
    match v {
        Value::Text(t) if t.trim().is_empty() => None,
        v => Some(v),
    }
}

/// Rows with anything in column A or B, in order.
fn rows(sheet: &SheetCells) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for (r, c, value) in &sheet.cells {
        let Some(value) = non_blank(value) else {
            continue;
        };
        if *c > 1 {
            continue;
        }
        let number = u64::from(*r) + 1;
        if rows.last().is_none_or(|last| last.number != number) {
            rows.push(Row {
                number,
                label: None,
                count: None,
            });
        }
        if let Some(row) = rows.last_mut() {
            let slot = if *c == 0 {
                &mut row.label
            } else {
                &mut row.count
            };
            slot.get_or_insert(value);
        }
    }
    rows
}

/// Why a cell is not a count.
fn count_of(value: &Value) -> Result<u64, &'static str> {
    // Doubles hold integers exactly up to 2^53; beyond that a "count" has
    // already been rounded by whatever wrote it.
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Int(i) => u64::try_from(*i).map_err(|_| "is negative"),
        Value::Number(f) if !f.is_finite() => Err("is not a number"),
        Value::Number(f) if *f < 0.0 => Err("is negative"),
        Value::Number(f) if f.fract() != 0.0 => Err("is not a whole number"),
        Value::Number(f) if *f > MAX_EXACT => Err("is too large"),
        Value::Number(f) => Ok(*f as u64),
        Value::Text(t) => count_of_text(t),
        Value::Bool(_) => Err("is a TRUE/FALSE value, not a number"),
        Value::Date(_) => Err("is a date, not a number"),
        Value::Error(_) => Err("is an error value, not a number"),
    }
}

/// Counts stored as text, as CSV round-trips and some locales produce them:
/// surrounding spaces, a leading '+', thousands separators in well-formed
/// groups of three ("1,234", "1 234", "1'234", with ordinary, no-break or
/// narrow no-break spaces) and a zero decimal part ("12.0") are accepted.
/// "1.234" is read as a decimal, not as a German thousands separator: it is
/// refused as not whole rather than silently turned into 1234.
fn count_of_text(text: &str) -> Result<u64, &'static str> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() {
        return Err("is not a number");
    }
    if let Some(rest) = t.strip_prefix('-') {
        return if count_of_text(rest).is_ok() || rest.trim().parse::<f64>().is_ok() {
            Err("is negative")
        } else {
            Err("is not a number")
        };
    }
    let (int, frac) = match t.rsplit_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (t, None),
    };
    if let Some(frac) = frac {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err("is not a number");
        }
        if frac.bytes().any(|b| b != b'0') {
            return Err("is not a whole number");
        }
    }
    let digits = ungroup(int).ok_or_else(|| {
        // "12,5" is a decimal comma, worth a precise message.
        if t.replacen(',', ".", 1).parse::<f64>().is_ok() {
            "is not a whole number"
        } else {
            "is not a number"
        }
    })?;
    digits.parse::<u64>().map_err(|_| "is too large")
}

/// Digits without thousands separators, if `s` is plain digits or digits
/// grouped by threes with one kind of separator.
fn ungroup(s: &str) -> Option<String> {
    const SEPARATORS: &[char] = &[',', ' ', '\u{a0}', '\u{202f}', '\''];
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.to_owned());
    }
    let sep = s.chars().find(|c| SEPARATORS.contains(c))?;
    let mut groups = s.split(sep);
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = first.to_owned();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}

/// A label as the user sees it: text trimmed, whole numbers without ".0"
/// (years arrive as 1973.0).
fn label_of(value: &Value) -> Result<String, &'static str> {
    Ok(match value {
        Value::Text(t) => t.trim().to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Number(f) => format!("{f}"),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Value::Date(d) => d.clone(),
        Value::Error(_) => return Err("is an error value"),
    })
}

/// A cell value as it appears in messages.
fn shown(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{t}\""),
        Value::Int(i) => i.to_string(),
        Value::Number(f) => format!("{f}"),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Value::Date(d) | Value::Error(d) => d.clone(),
    }
}

fn bad_row(sheet: &str, row: u64, what: String) -> Error {
    Error::new(
        ErrorCode::IngestBadCount,
        format!(
            "sheet '{sheet}', row {row}: {what}. Each facet row needs a label in column A and a \
             whole number of documents (0 or more) in column B; fix the cell in the workbook and \
             upload it again"
        ),
    )
}

/// A facet sheet's table: its header (A1 title and B1 text) when it has a
/// header row, and its data rows, or the first row that is not one.
struct Table {
    title: Option<String>,
    header_count: Option<String>,
    rows: Result<Vec<(u64, String, u64)>>,
}

impl Table {
    /// Whether B1 is Espacenet's own "Number of documents" header.
    fn has_documents_header(&self) -> bool {
        self.header_count
            .as_deref()
            .is_some_and(|h| words(h).iter().any(|w| w.starts_with("document")))
    }
}

/// Splits off the header row and reads each data row.
fn read_table(sheet: &SheetCells) -> Table {
    let rows = rows(sheet);
    let mut table = Table {
        title: None,
        header_count: None,
        rows: Ok(Vec::new()),
    };
    let mut data = rows.as_slice();
    if let Some(first) = rows.first() {
        // A header has a non-numeric B1 ("Number of documents"), or no B1
        // and a title in A1 that names a facet or the sheet itself.
        let is_header = match (first.label, first.count) {
            (_, Some(Value::Text(t))) => count_of_text(t).is_err(),
            (Some(Value::Text(title)), None) => {
                resolve_exact(title).is_some() || words(title) == words(&sheet.name)
            }
            _ => false,
        };
        if is_header {
            table.title = first.label.and_then(|v| label_of(v).ok());
            table.header_count = first.count.and_then(|v| label_of(v).ok());
            data = &rows[1..];
        }
    }
    table.rows = data_rows(&sheet.name, data);
    table
}

fn data_rows(sheet: &str, data: &[Row<'_>]) -> Result<Vec<(u64, String, u64)>> {
    let mut out = Vec::with_capacity(data.len());
    for row in data {
        let (label, count) = match (row.label, row.count) {
            (Some(label), Some(count)) => (label, count),
            (Some(label), None) => {
                return Err(bad_row(
                    sheet,
                    row.number,
                    format!("the label {} has no count", shown(label)),
                ));
            }
            (None, Some(count)) => {
                return Err(bad_row(
                    sheet,
                    row.number,
                    format!("the count {} has no label", shown(count)),
                ));
            }
            (None, None) => continue,
        };
        let label_text = label_of(label).map_err(|problem| {
            bad_row(
                sheet,
                row.number,
                format!("the label {} {problem}", shown(label)),
            )
        })?;
        let count = count_of(count).map_err(|problem| {
            bad_row(
                sheet,
                row.number,
                format!("the count {} {problem}", shown(count)),
            )
        })?;
        out.push((row.number, label_text, count));
    }
    Ok(out)
}

/// Entries in first-seen order. A label listed twice is summed into its
/// first row: Espacenet never repeats a label, so a repeat comes from
/// editing (rows merged by hand, or labels that differed only in spaces
/// before trimming), and two bars with one label would make every chart
/// keyed by label ambiguous.
fn entries(sheet: &str, rows: Vec<(u64, String, u64)>) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::with_capacity(rows.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    for (number, label, count) in rows {
        match index.get(&label) {
            Some(&i) => {
                let entry = &mut entries[i];
                entry.count = entry.count.checked_add(count).ok_or_else(|| {
                    bad_row(
                        sheet,
                        number,
                        format!("the counts of label \"{label}\" add up to more than 2^64"),
                    )
                })?;
            }
            None => {
                index.insert(label.clone(), entries.len());
                entries.push(Entry { label, count });
            }
        }
    }
    Ok(entries)
}

/// The query line Espacenet writes: "<N> results found for <query>".
fn parse_query(sheet: &SheetCells) -> (Option<String>, Option<u64>) {
    let texts: Vec<&str> = sheet
        .cells
        .iter()
        .filter_map(|(_, _, v)| match v {
            Value::Text(t) if !t.trim().is_empty() => Some(t.trim()),
            _ => None,
        })
        .collect();
    for text in &texts {
        // ASCII lower-casing keeps byte offsets, so they index `text`.
        let lower = text.to_ascii_lowercase();
        for marker in ["results found for", "result found for"] {
            if let Some(at) = lower.find(marker) {
                let query = text[at + marker.len()..].trim();
                let count = count_of_text(&text[..at]).ok();
                return ((!query.is_empty()).then(|| query.to_owned()), count);
            }
        }
    }
    // Without that line, the query is what follows the "Patent search" title.
    let query = texts
        .iter()
        .position(|t| t.eq_ignore_ascii_case("patent search"))
        .and_then(|i| texts.get(i + 1))
        .map(|t| (*t).to_owned());
    (query, None)
}

/// Reduces the sheets of an Espacenet export to query and facets.
///
/// Sheets are classified independently of their order:
/// - the `Query` sheet gives the query and result count;
/// - a sheet whose name (or A1 title) names a canonical facet is read
///   strictly: any row that is not (label, whole count) is an error, while
///   columns right of B (a user's notes) are ignored;
/// - any other sheet is kept under a slug of its name if it is a facet-like
///   table: nothing right of column B, and every row after an optional
///   header a (label, whole count) pair. If its B1 says "Number of
///   documents" (Espacenet's own header) it is read strictly too; otherwise
///   a sheet that does not fit (a result list, notes, a blank sheet) is
///   skipped, since it is not a facet table at all.
///
/// A second sheet resolving to a canonical name that is already taken is
/// kept under its own slug rather than merged or dropped.
///
/// At least one canonical facet is required (else `IngestNoFacets`): the
/// source is declared to be an Espacenet export, and a workbook without a
/// single Espacenet facet is almost always the wrong file (the result list,
/// another spreadsheet), which is better said at upload than discovered
/// when every chart reports missing data.
pub(crate) fn extract(sheets: &[SheetCells]) -> Result<Extracted> {
    let mut query = None;
    let mut result_count = None;
    let mut canonical: Vec<Option<Facet>> = vec![None; CANONICAL_FACETS.len()];
    let mut others: Vec<(usize, &SheetCells, Vec<Entry>)> = Vec::new();
    let mut seen_query = false;

    for (position, sheet) in sheets.iter().enumerate() {
        if is_query_sheet(&sheet.name) {
            if !seen_query {
                seen_query = true;
                (query, result_count) = parse_query(sheet);
            }
            continue;
        }
        let table = read_table(sheet);
        if let Some(name) = resolve(&sheet.name, table.title.as_deref()) {
            let entries = entries(&sheet.name, table.rows?)?;
            let slot = CANONICAL_FACETS
                .iter()
                .position(|c| *c == name)
                .and_then(|i| canonical.get_mut(i));
            match slot {
                Some(slot @ None) => {
                    *slot = Some(Facet {
                        name: name.to_owned(),
                        source_name: sheet.name.clone(),
                        entries,
                    });
                }
                _ => others.push((position, sheet, entries)),
            }
            continue;
        }
        if sheet.wide_cells > 0 {
            continue;
        }
        let strict = table.has_documents_header();
        match table.rows {
            Ok(rows) if !rows.is_empty() || strict => {
                others.push((position, sheet, entries(&sheet.name, rows)?));
            }
            Err(e) if strict => return Err(e),
            // Not a facet table: notes, a blank sheet, a list.
            _ => {}
        }
    }

    if canonical.iter().all(Option::is_none) {
        return Err(no_facets(sheets));
    }

    let mut used: HashSet<String> = CANONICAL_FACETS.iter().map(|s| (*s).to_owned()).collect();
    let mut facets: Vec<Facet> = canonical.into_iter().flatten().collect();
    for (position, sheet, entries) in others {
        let mut base = slug(&sheet.name);
        if base.is_empty() {
            base = format!("sheet_{}", position + 1);
        }
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        facets.push(Facet {
            name,
            source_name: sheet.name.clone(),
            entries,
        });
    }
    Ok(Extracted {
        query,
        result_count,
        facets,
    })
}

fn no_facets(sheets: &[SheetCells]) -> Error {
    let found = if sheets.is_empty() {
        "it has no worksheets".to_owned()
    } else {
        let names: Vec<String> = sheets.iter().map(|s| format!("'{}'", s.name)).collect();
        format!("its sheets are {}", names.join(", "))
    };
    Error::new(
        ErrorCode::IngestNoFacets,
        format!(
            "no Espacenet facet sheet was recognised in the workbook: {found}. An Espacenet \
             \"Filters\" export has sheets such as 'Countries (family)', 'Applicants' or 'CPC \
             subgroups', each a table of labels and \"Number of documents\"; check that this is \
             that export"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        let cases = [
            ("Countries (family)", "countries"),
            ("countries", "countries"),
            ("  COUNTRY ", "countries"),
            ("Languages (family)", "languages"),
            ("Earliest publication date (fam", "publication_years"),
            ("Publication year", "publication_years"),
            ("Earliest priority date", "priority_years"),
            ("IPC main groups", "ipc_main_groups"),
            ("IPC sub-groups", "ipc_subgroups"),
            ("CPC subgroups", "cpc_subgroups"),
            ("CPC assigning offices", "cpc_offices"),
            ("Applicants", "applicants"),
            ("Inventors", "inventors"),
            ("Applicants - country", "applicant_countries"),
            ("Applicant countries", "applicant_countries"),
            ("Applicant's country", "applicant_countries"),
            ("Inventors - country", "inventor_countries"),
            ("inventor_countries", "inventor_countries"),
        ];
        for (name, want) in cases {
            assert_eq!(resolve(name, None), Some(want), "{name}");
        }
        assert_eq!(resolve("Results", None), None);
        assert_eq!(resolve("Earliest", None), None);
        assert_eq!(
            resolve("Sheet 3", Some("Earliest publication date (family)")),
            Some("publication_years")
        );
        // Cut sheet names resolve by prefix only when long enough.
        assert_eq!(
            resolve("Earliest priority date (fami", None),
            Some("priority_years")
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("My Extra Sheet!"), "my_extra_sheet");
        assert_eq!(slug("  Año -- Ñandú  "), "ano_nandu");
        assert_eq!(slug("北京大学"), "");
        assert_eq!(slug("Données 2024"), "donnees_2024");
        assert_eq!(slug("Straße"), "strasse");
    }

    #[test]
    fn text_counts() {
        assert_eq!(count_of_text(" 12 "), Ok(12));
        assert_eq!(count_of_text("1,234"), Ok(1234));
        assert_eq!(count_of_text("1\u{a0}234\u{a0}567"), Ok(1_234_567));
        assert_eq!(count_of_text("12.0"), Ok(12));
        assert_eq!(count_of_text("+7"), Ok(7));
        assert_eq!(count_of_text("1.5"), Err("is not a whole number"));
        assert_eq!(count_of_text("1.234"), Err("is not a whole number"));
        assert_eq!(count_of_text("12,5"), Err("is not a whole number"));
        assert_eq!(count_of_text("-3"), Err("is negative"));
        assert_eq!(count_of_text("1,23"), Err("is not a whole number"));
        assert_eq!(count_of_text("12a"), Err("is not a number"));
        assert_eq!(count_of_text("1,2,3"), Err("is not a number"));
        assert_eq!(count_of_text("99999999999999999999"), Err("is too large"));
    }

    #[test]
    fn labels() {
        assert_eq!(label_of(&Value::Number(1973.0)).unwrap(), "1973");
        assert_eq!(label_of(&Value::Number(-0.0)).unwrap(), "0");
        assert_eq!(label_of(&Value::Number(2.5)).unwrap(), "2.5");
        assert_eq!(label_of(&Value::Text("  Ñandú ".into())).unwrap(), "Ñandú");
    }
}
