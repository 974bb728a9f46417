//! Ingest of Espacenet workbooks: the canonical dataset from good exports,
//! precise errors from bad ones, and bounded cost from hostile ones.

use std::time::{Duration, Instant};

use patchart::dataset::{CANONICAL_FACETS, Dataset};
use patchart::error::{Error, ErrorCode};
use patchart::ingest::{IngestLimits, SOURCE_TYPES, ingest_bytes, ingest_path};
use patchart_suite::workbook::*;

const SOURCE: &str = "espacenet_excel";

fn ingest(bytes: &[u8]) -> Result<Dataset, Error> {
    ingest_bytes(SOURCE, "export.xlsx", bytes, &IngestLimits::default())
}

fn ingest_ok(bytes: &[u8]) -> Dataset {
    ingest(bytes).unwrap_or_else(|e| panic!("ingest failed: {e}"))
}

fn ingest_err(bytes: &[u8], limits: &IngestLimits) -> Error {
    match ingest_bytes(SOURCE, "export.xlsx", bytes, limits) {
        Ok(d) => panic!("expected an error, got {} facets", d.facets.len()),
        Err(e) => e,
    }
}

/// Far above what any input here costs while its limits work, even on a
/// busy two-core machine: only a hang or an unbounded blow-up (inflating a
/// bomb, expanding repeats, walking a loop) comes near it. How fast ingest
/// is belongs to the benchmark (`cargo bench --bench ingest`).
const RUNAWAY: Duration = Duration::from_secs(20);

/// [`ingest_err`], failing if it took [`RUNAWAY`] or more.
fn ingest_err_bounded(bytes: &[u8], limits: &IngestLimits) -> Error {
    let started = Instant::now();
    let e = ingest_err(bytes, limits);
    let took = started.elapsed();
    assert!(took < RUNAWAY, "took {took:?} to refuse: {e}");
    e
}

fn entries(d: &Dataset, facet: &str) -> Vec<(String, u64)> {
    d.facet(facet)
        .unwrap_or_else(|| panic!("facet {facet} missing; have {:?}", names(d)))
        .entries
        .iter()
        .map(|e| (e.label.clone(), e.count))
        .collect()
}

fn names(d: &Dataset) -> Vec<&str> {
    d.facets.iter().map(|f| f.name.as_str()).collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(l, c)| ((*l).to_owned(), *c)).collect()
}

#[test]
fn a_normal_export_becomes_the_canonical_dataset() {
    let d = ingest_ok(&standard_export());
    assert_eq!(d.source_type, "espacenet_excel");
    assert_eq!(d.file_name, "export.xlsx");
    assert_eq!(
        d.query.as_deref(),
        Some("ctxt all \"phytorem*\" AND cpc any \"G01N33\"")
    );
    assert_eq!(d.result_count, Some(42));
    assert_eq!(names(&d), ["countries", "publication_years", "applicants"]);
    assert_eq!(
        entries(&d, "countries"),
        pairs(&[("CN", 20), ("US", 12), ("EP", 10)])
    );
    let countries = d.facet("countries").unwrap();
    assert_eq!(countries.source_name, "Countries (family)");
    assert_eq!(countries.total(), 42);
    assert_eq!(
        entries(&d, "applicants"),
        pairs(&[("UNIV ZHEJIANG", 7), ("UNIV CENTRAL SOUTH", 6)])
    );
}

#[test]
fn sha256_identifies_the_upload_bytes() {
    let bytes = standard_export();
    let a = ingest_ok(&bytes);
    assert_eq!(a.sha256.len(), 64);
    assert!(
        a.sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "lower-case hex: {}",
        a.sha256
    );
    let renamed =
        ingest_bytes(SOURCE, "other name.xlsx", &bytes, &IngestLimits::default()).expect("ingest");
    assert_eq!(
        renamed.sha256, a.sha256,
        "the name is not part of the identity"
    );
    assert_eq!(renamed.file_name, "other name.xlsx");
    let mut sheets = standard_sheets();
    sheets[1].rows[1][1] = N(21.0);
    let changed = ingest_ok(&xlsx(&sheets));
    assert_ne!(changed.sha256, a.sha256);
}

#[test]
fn a_cut_sheet_name_is_matched_by_prefix_and_by_its_title() {
    // Espacenet cuts at 30 characters and writes the full title in A1.
    let d = ingest_ok(&standard_export());
    let years = d.facet("publication_years").expect("publication_years");
    assert_eq!(years.source_name, "Earliest publication date (fam");
    assert_eq!(
        entries(&d, "publication_years"),
        pairs(&[("1973", 2), ("2020", 15)])
    );

    // Without a title row the cut name alone is enough.
    let bytes = xlsx(&[
        sheet(
            "Earliest priority date (famil",
            vec![vec![N(1999.0), N(3.0)], vec![N(2000.0), N(4.0)]],
        ),
        sheet("Applicants - country (family", vec![vec![S("US"), N(5.0)]]),
    ]);
    let d = ingest_ok(&bytes);
    assert_eq!(
        entries(&d, "priority_years"),
        pairs(&[("1999", 3), ("2000", 4)])
    );
    assert_eq!(entries(&d, "applicant_countries"), pairs(&[("US", 5)]));

    // A renamed sheet is recognised by its A1 title.
    let bytes = xlsx(&[facet("Sheet7", "Inventors - country", &[("DE", 2.0)])]);
    assert_eq!(
        entries(&ingest_ok(&bytes), "inventor_countries"),
        pairs(&[("DE", 2)])
    );
}

#[test]
fn sheet_order_does_not_matter_and_output_follows_canonical_order() {
    let bytes = xlsx(&[
        facet("Inventors", "Inventors", &[("MA LI", 4.0)]),
        facet(
            "CPC assigning offices",
            "CPC assigning offices",
            &[("CN", 9.0)],
        ),
        facet("Countries (family)", "Countries (family)", &[("CN", 3.0)]),
        facet("Inventors - country", "Inventors - country", &[("US", 1.0)]),
        facet("Languages (family)", "Languages (family)", &[("en", 3.0)]),
        query_sheet("3 results found for solar"),
    ]);
    let d = ingest_ok(&bytes);
    assert_eq!(
        names(&d),
        [
            "countries",
            "languages",
            "cpc_offices",
            "inventors",
            "inventor_countries"
        ]
    );
    assert_eq!(d.query.as_deref(), Some("solar"));
    assert_eq!(d.result_count, Some(3));
}

#[test]
fn blank_rows_and_cells_are_skipped() {
    let bytes = xlsx(&[sheet(
        "Countries (family)",
        vec![
            vec![],
            vec![S("Countries (family)"), S("Number of documents")],
            vec![S("CN"), N(5.0)],
            vec![],
            vec![S("   "), E],
            vec![S("US"), N(2.0)],
            vec![],
            vec![],
        ],
    )]);
    assert_eq!(
        entries(&ingest_ok(&bytes), "countries"),
        pairs(&[("CN", 5), ("US", 2)])
    );
}

#[test]
fn numbers_stored_as_text_are_counts_and_number_labels_lose_their_fraction() {
    let bytes = xlsx(&[sheet(
        "Earliest publication date (fam",
        vec![
            vec![
                S("Earliest publication date (family)"),
                S("Number of documents"),
            ],
            vec![N(1973.0), S("12")],
            vec![N(1989.0), S(" 7 ")],
            vec![S("1990"), S("1,234")],
            vec![N(1991.0), S("3.0")],
        ],
    )]);
    assert_eq!(
        entries(&ingest_ok(&bytes), "publication_years"),
        pairs(&[("1973", 12), ("1989", 7), ("1990", 1234), ("1991", 3)])
    );
}

#[test]
fn non_ascii_labels_are_kept_intact() {
    let bytes = xlsx(&[facet(
        "Applicants",
        "Applicants",
        &[
            ("Universidad Politécnica", 3.0),
            ("北京大学", 2.0),
            ("  Ñandú  ", 1.0),
            ("Ümlaut GmbH & Co. KG", 1.0),
        ],
    )]);
    assert_eq!(
        entries(&ingest_ok(&bytes), "applicants"),
        pairs(&[
            ("Universidad Politécnica", 3),
            ("北京大学", 2),
            ("Ñandú", 1),
            ("Ümlaut GmbH & Co. KG", 1)
        ])
    );
}

#[test]
fn duplicate_labels_are_summed_into_the_first() {
    let bytes = xlsx(&[facet(
        "Countries (family)",
        "Countries (family)",
        &[("CN", 5.0), ("US", 2.0), (" CN", 1.0)],
    )]);
    assert_eq!(
        entries(&ingest_ok(&bytes), "countries"),
        pairs(&[("CN", 6), ("US", 2)])
    );
}

#[test]
fn unknown_two_column_sheets_are_kept_under_a_slug_and_other_sheets_skipped() {
    let mut sheets = standard_sheets();
    sheets.push(facet(
        "My Extra Sheet!",
        "Something",
        &[("a", 1.0), ("b", 2.0)],
    ));
    sheets.push(sheet("Données (brutes)", vec![vec![S("x"), N(3.0)]]));
    sheets.push(sheet("统计", vec![vec![S("y"), N(4.0)]]));
    // A result list: many columns, not a facet.
    sheets.push(sheet(
        "Results",
        vec![
            vec![
                S("Title"),
                S("Publication number"),
                S("Applicants"),
                S("Date"),
            ],
            vec![
                S("Plant sensor"),
                S("CN1234A"),
                S("UNIV X"),
                S("2020-01-01"),
            ],
        ],
    ));
    // Notes: one column of text, no counts.
    sheets.push(sheet(
        "Notes",
        vec![vec![S("exported by hand")], vec![S("see mail")]],
    ));
    // A second sheet for an already-present canonical facet.
    sheets.push(facet("Countries", "Countries", &[("JP", 1.0)]));
    let d = ingest_ok(&xlsx(&sheets));
    assert_eq!(
        names(&d),
        [
            "countries",
            "publication_years",
            "applicants",
            "my_extra_sheet",
            "donnees_brutes",
            "sheet_7",
            "countries_2",
        ]
    );
    assert_eq!(entries(&d, "my_extra_sheet"), pairs(&[("a", 1), ("b", 2)]));
    assert_eq!(
        d.facet("my_extra_sheet").unwrap().source_name,
        "My Extra Sheet!"
    );
    assert_eq!(entries(&d, "sheet_7"), pairs(&[("y", 4)]));
    assert_eq!(entries(&d, "countries_2"), pairs(&[("JP", 1)]));
}

#[test]
fn a_bad_count_names_sheet_row_and_value() {
    let cases: [(C, &str, &str); 4] = [
        (S("abc"), "\"abc\"", "is not a number"),
        (N(-3.0), "-3", "is negative"),
        (N(2.5), "2.5", "is not a whole number"),
        (S("1.5"), "\"1.5\"", "is not a whole number"),
    ];
    for (bad, shown, problem) in cases {
        let bytes = xlsx(&[sheet(
            "Countries (family)",
            vec![
                vec![S("Countries (family)"), S("Number of documents")],
                vec![S("CN"), N(5.0)],
                vec![],
                vec![S("US"), N(2.0)],
                vec![S("EP"), bad],
            ],
        )]);
        let e = ingest_err(&bytes, &IngestLimits::default());
        assert_eq!(e.code, ErrorCode::IngestBadCount, "{e}");
        for needle in ["'Countries (family)'", "row 5", shown, problem] {
            assert!(
                e.message.contains(needle),
                "missing {needle:?} in: {}",
                e.message
            );
        }
    }
    let bytes = xlsx(&[sheet(
        "Applicants",
        vec![
            vec![S("Applicants"), S("Number of documents")],
            vec![S("X"), E],
        ],
    )]);
    let e = ingest_err(&bytes, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestBadCount);
    assert!(
        e.message.contains("row 2") && e.message.contains("no count"),
        "{e}"
    );
}

#[test]
fn files_that_are_not_workbooks_say_what_they_look_like() {
    let mut random = Vec::with_capacity(4096);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random.push(x as u8);
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R']);
    let cases: [(&[u8], &str); 5] = [
        (&random, "unknown"),
        (&png, "PNG image"),
        (b"", "empty"),
        (b"Country;Count\nCN;3\n", "CSV"),
        (b"<!DOCTYPE html><html><table></table></html>", "HTML"),
    ];
    for (bytes, what) in cases {
        let e = ingest_err(bytes, &IngestLimits::default());
        assert_eq!(e.code, ErrorCode::IngestNotAWorkbook, "{what}: {e}");
        assert!(e.message.contains(what), "{what}: {}", e.message);
    }
    // A zip that holds no workbook.
    let zip = raw_zip(&[("hello.txt", 0, crc32(b"hi"), 2, b"hi")]);
    let e = ingest_err(&zip, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestNotAWorkbook, "{e}");
    assert!(e.message.contains("zip archive"), "{e}");
}

#[test]
fn a_truncated_zip_is_corrupt() {
    let bytes = standard_export();
    for cut in [bytes.len() / 2, bytes.len() - 10, 100] {
        let e = ingest_err(&bytes[..cut], &IngestLimits::default());
        assert_eq!(e.code, ErrorCode::IngestCorrupt, "cut at {cut}: {e}");
    }
    // A damaged sheet entry, found when it is inflated.
    let mut bytes = standard_export();
    let at = bytes.len() / 3;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0x5A;
    }
    let e = ingest_err(&bytes, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
}

#[test]
fn a_workbook_without_facet_sheets_lists_its_sheets() {
    let bytes = xlsx(&[
        sheet("Sheet1", vec![]),
        sheet(
            "Results",
            vec![
                vec![S("Title"), S("Number"), S("Date")],
                vec![S("t"), S("n"), S("d")],
            ],
        ),
        sheet("Extra", vec![vec![S("label"), N(1.0)]]),
    ]);
    let e = ingest_err(&bytes, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestNoFacets, "{e}");
    for name in ["'Sheet1'", "'Results'", "'Extra'"] {
        assert!(e.message.contains(name), "missing {name} in {}", e.message);
    }
}

#[test]
fn a_zip_bomb_fails_fast_without_inflating_it() {
    const GIB: u64 = 1 << 30;
    let sheet = sheet_bomb(GIB);
    // Honest headers: the counting reader stops it at the per-entry limit.
    let bomb = xlsx_bomb(&sheet, GIB as u32);
    assert!(bomb.len() < 8 << 20, "bomb is {} bytes", bomb.len());
    let e = ingest_err_bounded(&bomb, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_entry_inflated_bytes"), "{e}");
    assert!(e.message.contains("xl/worksheets/sheet1.xml"), "{e}");
    // Stopped at the limit, not after inflating the gigabyte.
    assert!(
        e.message.contains("inflates to more than 67108864 bytes"),
        "{e}"
    );

    // Lying headers (1 GiB declared as 1 KiB): refused as soon as the
    // output passes the declared size, never inflated further.
    let liar = xlsx_bomb(&sheet, 1024);
    let e = ingest_err_bounded(&liar, &IngestLimits::default());
    assert!(
        matches!(
            e.code,
            ErrorCode::IngestCorrupt | ErrorCode::IngestLimitExceeded
        ),
        "{e}"
    );

    // With a larger per-entry limit the total limit is what trips.
    let limits = IngestLimits {
        max_entry_inflated_bytes: 1 << 40,
        max_inflated_bytes: 32 << 20,
        ..IngestLimits::default()
    };
    let e = ingest_err(&bomb, &limits);
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_inflated_bytes = 33554432"), "{e}");
}

#[test]
fn sheets_sharing_one_part_are_not_inflated_once_per_sheet() {
    // One sheet pointing at the part is an ordinary workbook.
    let d = ingest_ok(&xlsx_shared_sheet_part(1, 1 << 20));
    assert_eq!(entries(&d, "countries"), pairs(&[("CN", 1)]));
    // Sixty would cost sixty inflations of the part; refused after a few.
    let e = ingest_err(
        &xlsx_shared_sheet_part(60, 1 << 20),
        &IngestLimits::default(),
    );
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
    assert!(e.message.contains("same part"), "{e}");
}

#[test]
fn a_sheet_longer_than_max_rows_per_sheet_is_refused() {
    let rows: Vec<(&'static str, f64)> = (0..50).map(|i| ("X", f64::from(i))).collect();
    let bytes = xlsx(&[facet("Inventors", "Inventors", &rows)]);
    let limits = IngestLimits {
        max_rows_per_sheet: 20,
        ..IngestLimits::default()
    };
    let e = ingest_err(&bytes, &limits);
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_rows_per_sheet = 20"), "{e}");
    assert!(e.message.contains("'Inventors'"), "{e}");
}

#[test]
fn a_sheet_of_many_rows_stops_at_the_limit_while_streaming() {
    // One row past the default limit: the stream stops there instead of
    // loading the sheet.
    let limits = IngestLimits::default();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name("Inventors").expect("name");
    for r in 0..=limits.max_rows_per_sheet as u32 {
        ws.write_number(r, 1, 1.0).expect("write");
    }
    let bytes = workbook.save_to_buffer().expect("save");
    let e = ingest_err(&bytes, &limits);
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_rows_per_sheet"), "{e}");
}

#[test]
fn other_limits_are_enforced_with_their_names() {
    let bytes = standard_export();
    let cases = [
        (
            IngestLimits {
                max_upload_bytes: 1000,
                ..IngestLimits::default()
            },
            "max_upload_bytes = 1000",
        ),
        (
            IngestLimits {
                max_cells: 10,
                ..IngestLimits::default()
            },
            "max_cells = 10",
        ),
        (
            IngestLimits {
                max_sheets: 2,
                ..IngestLimits::default()
            },
            "max_sheets = 2",
        ),
        (
            IngestLimits {
                max_entry_inflated_bytes: 500,
                ..IngestLimits::default()
            },
            "max_entry_inflated_bytes = 500",
        ),
    ];
    for (limits, needle) in cases {
        let e = ingest_err(&bytes, &limits);
        assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
        assert!(
            e.message.contains(needle),
            "missing {needle} in {}",
            e.message
        );
    }
}

#[test]
fn the_query_falls_back_to_the_line_after_patent_search() {
    let bytes = xlsx(&[
        sheet(
            "query",
            vec![
                vec![S("Espacenet")],
                vec![S("Patent search")],
                vec![S("ta = \"graphene\"")],
            ],
        ),
        facet("Countries (family)", "Countries (family)", &[("CN", 1.0)]),
    ]);
    let d = ingest_ok(&bytes);
    assert_eq!(d.query.as_deref(), Some("ta = \"graphene\""));
    assert_eq!(d.result_count, None);

    let bytes = xlsx(&[
        query_sheet("1,234 results found for ti = \"solar cell\""),
        facet("Countries (family)", "Countries (family)", &[("CN", 1.0)]),
    ]);
    let d = ingest_ok(&bytes);
    assert_eq!(d.result_count, Some(1234));
    assert_eq!(d.query.as_deref(), Some("ti = \"solar cell\""));

    let bytes = xlsx(&[facet(
        "Countries (family)",
        "Countries (family)",
        &[("CN", 1.0)],
    )]);
    let d = ingest_ok(&bytes);
    assert_eq!((d.query, d.result_count), (None, None));
}

#[test]
fn unsupported_source_types_are_refused_with_the_supported_list() {
    let e = ingest_bytes("csv", "x.csv", b"a,b", &IngestLimits::default()).unwrap_err();
    assert_eq!(e.code, ErrorCode::IngestUnsupportedSource);
    for s in SOURCE_TYPES {
        assert!(e.message.contains(s), "{e}");
    }
}

#[test]
fn each_ingest_failure_carries_its_stable_wire_code() {
    // The strings clients see in `error.code` and a task's `error_code`.
    let limits = IngestLimits::default();
    let export = standard_export();
    let encrypted = compound_file(&[
        ("EncryptionInfo", vec![4, 0, 4, 0]),
        ("EncryptedPackage", vec![0; 16]),
    ]);
    let no_facets = xlsx(&[sheet("Sheet1", vec![])]);
    let bad_count = xlsx(&[facet(
        "Countries (family)",
        "Countries (family)",
        &[("CN", -1.0)],
    )]);
    let one_sheet = IngestLimits {
        max_sheets: 1,
        ..IngestLimits::default()
    };
    let cases = [
        (ingest_err(b"plain text", &limits), "INGEST_NOT_A_WORKBOOK"),
        (
            ingest_err(&export[..export.len() / 2], &limits),
            "INGEST_CORRUPT",
        ),
        (ingest_err(&encrypted, &limits), "INGEST_ENCRYPTED"),
        (ingest_err(&no_facets, &limits), "INGEST_NO_FACETS"),
        (ingest_err(&bad_count, &limits), "INGEST_BAD_COUNT"),
        (ingest_err(&export, &one_sheet), "INGEST_LIMIT_EXCEEDED"),
        (
            ingest_bytes("csv", "x.csv", b"a,b", &limits).unwrap_err(),
            "INGEST_UNSUPPORTED_SOURCE",
        ),
    ];
    for (e, code) in cases {
        assert_eq!(e.code.as_str(), code, "{e}");
    }
}

#[test]
fn ingest_path_reads_the_file_and_checks_its_size_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("Filters_test.xlsx");
    std::fs::write(&path, standard_export()).expect("write");
    let d = ingest_path(SOURCE, &path, &IngestLimits::default()).expect("ingest");
    assert_eq!(d.file_name, "Filters_test.xlsx");
    assert_eq!(d.facets.len(), 3);
    let limits = IngestLimits {
        max_upload_bytes: 100,
        ..IngestLimits::default()
    };
    let e = ingest_path(SOURCE, &path, &limits).unwrap_err();
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    let e = ingest_path(SOURCE, &dir.path().join("missing.xlsx"), &limits).unwrap_err();
    assert_eq!(e.code, ErrorCode::Internal, "{e}");
}

#[test]
fn an_ods_export_is_read() {
    let bytes = ods(&[
        (
            "Query",
            vec![
                vec![ods_text("Patent search")],
                vec![ods_text("7 results found for ti=rice")],
            ],
        ),
        (
            "Countries (family)",
            vec![
                vec![
                    ods_text("Countries (family)"),
                    ods_text("Number of documents"),
                ],
                vec![ods_text("JP"), ods_number(4.0)],
                vec![ods_text("KR"), ods_number(3.0)],
            ],
        ),
        (
            "Earliest publication date (fam",
            vec![
                vec![
                    ods_text("Earliest publication date (family)"),
                    ods_text("Number of documents"),
                ],
                vec![ods_number(2001.0), ods_number(7.0)],
            ],
        ),
    ]);
    let d = ingest_ok(&bytes);
    assert_eq!(d.query.as_deref(), Some("ti=rice"));
    assert_eq!(d.result_count, Some(7));
    assert_eq!(entries(&d, "countries"), pairs(&[("JP", 4), ("KR", 3)]));
    assert_eq!(entries(&d, "publication_years"), pairs(&[("2001", 7)]));
}

#[test]
fn ods_repeat_bombs_are_refused_before_they_are_expanded() {
    // Each row is 16384 copies of a number, and the row repeats 1000 times:
    // a few hundred bytes of XML asking for 16 million cells.
    let content = format!(
        "<office:document-content><office:body><office:spreadsheet>\
         <table:table table:name=\"Countries (family)\">{}</table:table>\
         </office:spreadsheet></office:body></office:document-content>",
        "<table:table-row table:number-rows-repeated=\"1000\"><table:table-cell \
         table:number-columns-repeated=\"16384\" office:value-type=\"float\" \
         office:value=\"1\"/></table:table-row>"
    );
    let e = ingest_err_bounded(&ods_from_content(&content), &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_cells"), "{e}");
    // Counted from the repeat attributes, before anything was expanded.
    assert!(
        e.message
            .contains("once its repeated rows and columns are expanded"),
        "{e}"
    );
}

#[test]
fn a_legacy_xls_export_is_read() {
    use XlsCell::{Formula, Label, Number, Shared};
    let stream = biff8(&[
        (
            "Query",
            vec![
                (0, 0, Label("Patent search")),
                (1, 0, Label("5 results found for café")),
            ],
        ),
        (
            "Countries (family)",
            vec![
                (0, 0, Shared("Countries (family)")),
                (0, 1, Shared("Number of documents")),
                (1, 0, Shared("CN")),
                (1, 1, Number(3.0)),
                (2, 0, Shared("北京")),
                (2, 1, Number(2.0)),
                (2, 4, Label("ignored, right of column B")),
                (3, 0, Label("EP")),
                (3, 1, Formula(4.0)),
            ],
        ),
    ]);
    let bytes = compound_file(&[("Workbook", stream)]);
    // Read by calamine; the formula's cached value counts, and its tokens
    // are never rendered.
    let d = ingest_ok(&bytes);
    assert_eq!(d.query.as_deref(), Some("café"));
    assert_eq!(d.result_count, Some(5));
    assert_eq!(
        entries(&d, "countries"),
        pairs(&[("CN", 3), ("北京", 2), ("EP", 4)])
    );
}

#[test]
fn xls_formula_tokens_are_never_rendered() {
    use XlsCell::{Formula, Shared};
    // A reader that renders these formulas' tokens pays seconds for each
    // (quadratic in its "insert spaces" tokens); seven, as many as a test
    // compound file holds, take it far past the bound, where blanked ones
    // cost milliseconds. Their cached values are what counts.
    const FORMULAS: u16 = 7;
    let cells = (0..FORMULAS)
        .flat_map(|r| [(r, 0, Shared("CN")), (r, 1, Formula(1.0))])
        .collect();
    let bytes = compound_file(&[("Workbook", biff8(&[("Countries (family)", cells)]))]);
    let started = Instant::now();
    let d = ingest_ok(&bytes);
    let took = started.elapsed();
    println!("{FORMULAS} formulas read in {took:?}");
    assert!(took < RUNAWAY, "took {took:?}");
    assert_eq!(
        entries(&d, "countries"),
        pairs(&[("CN", u64::from(FORMULAS))])
    );
}

#[test]
fn xls_cells_at_opposite_corners_are_refused_before_calamine_builds_the_range() {
    use XlsCell::{Number, Shared};
    // calamine builds a sheet as the dense rectangle spanning its cells:
    // these three cells would cost 65,536 × 65,536 of them.
    let stream = biff8(&[(
        "Countries (family)",
        vec![
            (0, 0, Shared("CN")),
            (0, 1, Number(1.0)),
            (65_535, 65_535, Number(9.0)),
        ],
    )]);
    let bytes = compound_file(&[("Workbook", stream)]);
    let e = ingest_err_bounded(&bytes, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_cells = 2000000"), "{e}");

    // Rows are held to max_rows_per_sheet before calamine runs, too.
    let stream = biff8(&[(
        "Countries (family)",
        vec![
            (0, 0, Shared("CN")),
            (0, 1, Number(1.0)),
            (1500, 0, Shared("US")),
            (1500, 1, Number(2.0)),
        ],
    )]);
    let bytes = compound_file(&[("Workbook", stream)]);
    let limits = IngestLimits {
        max_rows_per_sheet: 1000,
        ..IngestLimits::default()
    };
    let e = ingest_err(&bytes, &limits);
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("row 1501"), "{e}");
    // Within the limits the same sheet is read.
    let d = ingest_ok(&bytes);
    assert_eq!(entries(&d, "countries"), pairs(&[("CN", 1), ("US", 2)]));
}

#[test]
fn xls_shared_strings_cloned_into_many_cells_are_bounded() {
    use XlsCell::Shared;
    // calamine copies a shared string into every cell that uses it.
    let long: &'static str = "x".repeat(30_000).leak();
    let cells = (0..2000u16).map(|r| (r, 0, Shared(long))).collect();
    let bytes = compound_file(&[("Workbook", biff8(&[("Countries (family)", cells)]))]);
    let limits = IngestLimits {
        max_inflated_bytes: 64 << 20,
        ..IngestLimits::default()
    };
    let e = ingest_err(&bytes, &limits);
    assert_eq!(e.code, ErrorCode::IngestLimitExceeded, "{e}");
    assert!(e.message.contains("max_inflated_bytes"), "{e}");
}

#[test]
fn an_ole2_container_with_a_looping_chain_is_corrupt_and_fails_fast() {
    let stream = biff8(&[("Countries (family)", vec![])]);
    let good = compound_file(&[("Workbook", stream)]);
    // The workbook stream occupies sectors 2..=9; its last sector points
    // back at its first (a cycle), or into its middle (a sector claimed
    // twice).
    for back_to in [2, 5] {
        let mut looping = good.clone();
        set_fat(&mut looping, 9, back_to);
        let e = ingest_err_bounded(&looping, &IngestLimits::default());
        assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
        assert!(e.message.contains("compound-file"), "{e}");
    }
    // A chain running past the end of the file, short of the stream's size.
    let mut beyond = good.clone();
    set_fat(&mut beyond, 4, 5000);
    let e = ingest_err(&beyond, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
}

#[test]
fn an_excel_95_workbook_is_refused_with_save_as_advice() {
    let bytes = compound_file(&[("Book", vec![0; 16])]);
    let e = ingest_err(&bytes, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestNotAWorkbook, "{e}");
    assert!(e.message.contains("Excel 5.0/95"), "{e}");
    assert!(e.message.contains(".xlsx"), "{e}");
}

#[test]
fn password_protected_and_foreign_ole2_files_are_named() {
    // Excel encrypts an xlsx into an OLE2 file with these streams.
    let encrypted = compound_file(&[
        ("EncryptionInfo", vec![4, 0, 4, 0]),
        ("EncryptedPackage", vec![0; 16]),
    ]);
    let e = ingest_err(&encrypted, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestEncrypted, "{e}");
    assert!(e.message.contains("password"), "{e}");

    let doc = compound_file(&[("WordDocument", vec![0; 16])]);
    let e = ingest_err(&doc, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestNotAWorkbook, "{e}");
    assert!(e.message.contains("Word"), "{e}");

    let mut damaged = compound_file(&[("Workbook", biff8(&[]))]);
    damaged.truncate(700);
    let e = ingest_err(&damaged, &IngestLimits::default());
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
}

/// The figures of each shared export, checked against the replaced
/// system's numbers. Every export in the folder must be listed: one that is
/// not fails the test instead of being read with nothing checked.
struct KnownExport {
    file_name: &'static str,
    sha256: &'static str,
    result_count: u64,
    countries_total: u64,
    top_country: (&'static str, u64),
    /// One (year, count) of `publication_years`.
    year: (&'static str, u64),
    inventors: usize,
    query_has: &'static [&'static str],
}

const KNOWN_EXPORTS: &[KnownExport] = &[KnownExport {
    file_name: "Filters_20250331_1141.xlsx",
    sha256: "e5855457faec4d7470a1c2b683207a5fe5bdf1a1c853919a46fb224e841e6f2f",
    result_count: 241,
    countries_total: 364,
    top_country: ("CN", 192),
    year: ("1973", 2),
    inventors: 1000,
    query_has: &["phytorem", "distance<3"],
}];

#[test]
fn every_shared_espacenet_export_is_read_with_its_known_figures() {
    use sha2::Digest;
    let files = patchart_suite::shared_exports();
    for path in &files {
        let shown = path.display();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let started = Instant::now();
        let d = ingest_path(SOURCE, path, &IngestLimits::default())
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        println!("{shown}: ingested in {:?}", started.elapsed());
        assert_eq!(names(&d), CANONICAL_FACETS, "{shown}");
        for f in &d.facets {
            assert!(!f.entries.is_empty(), "{shown}: facet {} is empty", f.name);
        }
        assert_eq!(
            d.sha256,
            hex::encode(sha2::Sha256::digest(&bytes)),
            "{shown}"
        );
        let known = KNOWN_EXPORTS
            .iter()
            .find(|k| k.file_name == d.file_name)
            .unwrap_or_else(|| {
                panic!(
                    "{shown}: no known figures for this export (sha256 {}); add them to KNOWN_EXPORTS",
                    d.sha256
                )
            });
        assert_eq!(d.sha256, known.sha256, "{shown}");
        assert_eq!(d.result_count, Some(known.result_count), "{shown}");
        let countries = d.facet("countries").expect("countries");
        assert_eq!(countries.total(), known.countries_total, "{shown}");
        let top = &countries.entries[0];
        assert_eq!(
            (top.label.as_str(), top.count),
            known.top_country,
            "{shown}"
        );
        let years = d.facet("publication_years").expect("publication_years");
        assert_eq!(years.source_name, "Earliest publication date (fam");
        assert!(
            years
                .entries
                .iter()
                .any(|e| (e.label.as_str(), e.count) == known.year),
            "{shown}: {:?} not among {:?}",
            known.year,
            years.entries
        );
        for needle in known.query_has {
            assert!(
                d.query.as_deref().is_some_and(|q| q.contains(needle)),
                "{shown}: {needle:?} not in {:?}",
                d.query
            );
        }
        assert_eq!(
            d.facet("inventors").expect("inventors").entries.len(),
            known.inventors,
            "{shown}"
        );
    }
}

#[test]
fn the_bomb_fixture_is_a_real_deflate_stream() {
    // The bomb test is only meaningful if the stream really inflates to
    // what it claims: check a small one end to end, CRC included.
    let len = 1_000_003u64;
    let head = b"<x>";
    let mut expected = head.to_vec();
    expected.resize(head.len() + len as usize, b' ');
    let zip = raw_zip(&[(
        "a.txt",
        8,
        crc32(&expected),
        expected.len() as u32,
        &deflate_bomb(head, b' ', len, b""),
    )]);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_index(0).expect("entry"), &mut inflated)
        .expect("inflate");
    assert!(inflated == expected, "inflated {} bytes", inflated.len());
}

/// Ingests on another thread and gives up after [`RUNAWAY`]: a reader that
/// loops forever must fail the test, not hang the suite.
fn ingest_err_or_hang(bytes: Vec<u8>) -> Error {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(ingest(&bytes));
    });
    match rx.recv_timeout(RUNAWAY) {
        Ok(Ok(d)) => panic!("expected an error, got {} facets", d.facets.len()),
        Ok(Err(e)) => e,
        Err(_) => panic!("still reading after {RUNAWAY:?}: the reader hangs"),
    }
}

#[test]
fn an_ods_whose_content_is_not_well_formed_is_refused_not_read_forever() {
    // Found by the ingest fuzzer: calamine reads a table until its end tag
    // and never stops at the end of the file.
    let unclosed_table = "<office:document-content><office:body><office:spreadsheet>\
         <table:table table:name=\"Countries (family)\"><table:table-row>\
         <table:table-cell office:value-type=\"string\"><text:p>JP</text:p></table:table-cell>\
         </table:table-row></table:taboe></office:spreadsheet></office:body>\
         </office:document-content>";
    let e = ingest_err_or_hang(ods_from_content(unclosed_table));
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
    assert!(e.message.contains("not well-formed"), "{e}");

    // A cell comment is read until its own end tag, even past the table's.
    let unclosed_comment = "<office:document-content><office:body><office:spreadsheet>\
         <table:table table:name=\"Countries (family)\"><table:table-row>\
         <table:table-cell office:value-type=\"string\"><office:annotation><text:p>note\
         </text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>\
         </office:body></office:document-content>";
    let e = ingest_err_or_hang(ods_from_content(unclosed_comment));
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
    assert!(e.message.contains("closes <office:annotation>"), "{e}");
    // Or simply stops before a table's end.
    let e = ingest_err_or_hang(ods_from_content(
        "<office:document-content><office:body><office:spreadsheet>\
         <table:table table:name=\"Countries (family)\"><table:table-row>",
    ));
    assert_eq!(e.code, ErrorCode::IngestCorrupt, "{e}");
    assert!(e.message.contains("ends inside <table:table-row>"), "{e}");
}
