//! The fuzz corpus, replayed by the ordinary test suite: every committed
//! input under `fuzz/corpus/<target>/` and every fixed crash input under
//! `fuzz/regressions/<target>/` goes through the very checks the fuzz
//! targets run (`fuzz/src/lib.rs`, included below), so a regression shows
//! up in `cargo test` without nightly or cargo-fuzz.
//!
//! `write_seed_corpus` (ignored) writes the seeds the project generates
//! itself; see fuzz/README.md.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A replayed input that takes longer than this is a hang, even in an
/// unoptimised test build (the fuzzers run optimised, with `-timeout=10`).
const BOUND: Duration = Duration::from_secs(30);

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The committed inputs of `target`: its corpus and its regressions.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(read) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        files.extend(read.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    files.sort();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(fuzz_dir().join("corpus"))),
        "fuzz/corpus/{target}/ is empty: nothing would be replayed"
    );
    files
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for path in inputs(target) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        let took = started.elapsed();
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        assert!(took < BOUND, "{} took {took:?}", path.display());
    }
}

#[test]
fn every_ingest_input_gives_a_dataset_or_an_ingest_code() {
    replay("ingest", |data| {
        checks::ingest(data);
    });
}

#[test]
fn every_ingest_seed_is_a_readable_export() {
    // A seed the reader refuses would start the fuzzer at an error path.
    for path in inputs("ingest") {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("seed-") {
            let bytes = std::fs::read(&path).expect("seed");
            assert!(checks::ingest(&bytes).is_some(), "{name} is not read");
        }
    }
}

#[test]
fn every_chart_data_input_is_validated_and_described_without_a_panic() {
    replay("chart_data", checks::chart_data);
}

#[test]
fn every_params_input_is_valid_or_plugin_invalid_params() {
    replay("params", checks::params);
}

#[test]
fn every_job_request_gets_a_job_or_a_coded_error_and_never_a_5xx() {
    let api = checks::JobApi::start();
    replay("job_request", |data| {
        checks::job_request(&api, data);
    });
}

#[test]
fn the_job_request_seeds_create_jobs() {
    // Seeds that stopped at validation would leave the fuzzer outside the
    // code that stores datasets and jobs.
    let api = checks::JobApi::start();
    for seed in ["seed-json", "seed-multipart"] {
        let path = fuzz_dir().join("corpus/job_request").join(seed);
        let bytes = std::fs::read(&path).expect("seed");
        assert_eq!(checks::job_request(&api, &bytes), Some(201), "{seed}");
    }
}

// ---- seeds ----------------------------------------------------------------------------

fn write_seeds(target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("mkdir corpus");
    for (name, bytes) in seeds {
        write(&dir.join(name), bytes);
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Writes the seed corpus from the suite's own workbook writers and the
/// built-in plugins' output (`cargo test --test fuzz_corpus -- --ignored`).
/// Seeds are named `seed-*`; the fuzzers add their finds beside them.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when the seeds change"]
fn write_seed_corpus() {
    use patchart::ingest::{IngestLimits, ingest_bytes};
    use patchart_suite::workbook::*;

    let small = standard_export();
    let xls = {
        use XlsCell::{Label, Number, Shared};
        compound_file(&[(
            "Workbook",
            biff8(&[
                (
                    "Query",
                    vec![
                        (0, 0, Label("Patent search")),
                        (1, 0, Label("5 results found for rice")),
                    ],
                ),
                (
                    "Countries (family)",
                    vec![
                        (0, 0, Shared("Countries (family)")),
                        (0, 1, Shared("Number of documents")),
                        (1, 0, Shared("CN")),
                        (1, 1, Number(3.0)),
                        (2, 0, Label("EP")),
                        (2, 1, Number(2.0)),
                    ],
                ),
            ]),
        )])
    };
    let ods_export = ods(&[
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
    ]);
    write_seeds(
        "ingest",
        &[
            ("seed-standard.xlsx".into(), small.clone()),
            ("seed-full.xlsx".into(), full_export()),
            ("seed-export.ods".into(), ods_export.clone()),
            ("seed-export.xls".into(), xls),
            ("seed-parts-xlsx".into(), xlsx_parts(&small)),
            ("seed-parts-ods".into(), ods_parts(&ods_export)),
        ],
    );

    // chart_data: what every built-in plugin answers for the full export.
    let dataset = ingest_bytes(
        "espacenet_excel",
        "seed.xlsx",
        &full_export(),
        &IngestLimits::default(),
    )
    .expect("the full export ingests");
    let runtime = patchart_suite::runtime();
    let registry = patchart_suite::registry();
    let mut chart_data = Vec::new();
    let mut params = Vec::new();
    let plugins = checks::builtins();
    for (i, plugin) in plugins.iter().enumerate() {
        let key = &plugin.info.key;
        let plugin = registry.get(key, None).expect("built-in loads");
        let out = runtime
            .render(
                &plugin,
                &dataset,
                &serde_json::json!({}),
                &patchart::style::ResolvedStyle::default(),
                None,
            )
            .unwrap_or_else(|f| panic!("{key}: {f}"));
        chart_data.push((
            format!("seed-{key}.json"),
            out.chart_data.to_string().into_bytes(),
        ));
        let mut input = vec![i as u8];
        input.extend_from_slice(plugin.param_defaults().to_string().as_bytes());
        params.push((format!("seed-{key}-defaults"), input));
    }
    write_seeds("chart_data", &chart_data);
    // Past the last plugin: a schema of its own, a NUL, then params.
    let mut custom = vec![plugins.len() as u8];
    custom.extend_from_slice(
        br#"{"type":"object","additionalProperties":false,"properties":{"top_n":{"type":"integer","minimum":1,"maximum":50},"title":{"type":"string","maxLength":80,"pattern":"^[^<]*$"},"mode":{"enum":["a","b"]}},"required":["top_n"]}"#,
    );
    custom.push(0);
    custom.extend_from_slice(br#"{"top_n":10,"title":"x","mode":"a"}"#);
    params.push(("seed-own-schema".into(), custom));
    write_seeds("params", &params);

    // job_request: byte 0 picks the content type (0 JSON, 1 multipart with
    // boundary "patchartfuzz"), then the body.
    let key = &plugins[0].info.key;
    let images = format!(r#"[{{"algorithm_key":"{key}","params":{{}},"output_format":"svg"}}]"#);
    let mut json_body = vec![0u8];
    json_body.extend_from_slice(
        format!(
            r#"{{"dataset_id":"@DATASET@","images":{images},"idempotency_key":"k1","visualization_config":{{"locale":"en"}}}}"#
        )
        .as_bytes(),
    );
    let mut multipart = vec![1u8];
    let part = |name: &str, extra: &str, body: &[u8]| {
        let mut p = format!(
            "--patchartfuzz\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n"
        )
        .into_bytes();
        p.extend_from_slice(body);
        p.extend_from_slice(b"\r\n");
        p
    };
    multipart.extend(part("source_type", "", b"espacenet_excel"));
    multipart.extend(part(
        "source_data",
        "; filename=\"export.xlsx\"\r\nContent-Type: application/octet-stream",
        &small,
    ));
    multipart.extend(part("images", "", images.as_bytes()));
    multipart.extend(part("visualization_config", "", br#"{"locale":"es"}"#));
    multipart.extend_from_slice(b"--patchartfuzz--\r\n");
    write_seeds(
        "job_request",
        &[
            ("seed-json".into(), json_body),
            ("seed-multipart".into(), multipart),
        ],
    );
}

/// `entry` of the zip `archive`, inflated.
fn unzip(archive: &[u8], entry: &str) -> Vec<u8> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("zip");
    let mut out = Vec::new();
    zip.by_name(entry)
        .expect("entry")
        .read_to_end(&mut out)
        .expect("inflate");
    out
}

/// The parts form of the ingest target (see `checks::workbook_from_parts`)
/// of an xlsx's "Countries (family)" sheet (its second).
fn xlsx_parts(xlsx: &[u8]) -> Vec<u8> {
    let mut out = vec![0, b'X'];
    out.extend(unzip(xlsx, "xl/worksheets/sheet2.xml"));
    out.push(0);
    out.extend(unzip(xlsx, "xl/sharedStrings.xml"));
    out
}

/// The parts form of an ods: its content.xml.
fn ods_parts(ods: &[u8]) -> Vec<u8> {
    let mut out = vec![0, b'O'];
    out.extend(unzip(ods, "content.xml"));
    out
}
