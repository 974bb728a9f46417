//! What each fuzz target checks, one function per target.
//!
//! The targets under `fuzz_targets/` call these functions, and the ordinary
//! test suite includes this very file (`tests/fuzz_corpus.rs`, through
//! `#[path]`) to replay the committed corpus and every fixed crash input:
//! an input is judged the same way by the fuzzer and by `cargo test`.
//!
//! Every check states the contract of one untrusted input: it gives a value
//! or an error with its stable code, and never a panic. Hangs and memory
//! blowups are caught around the check (libFuzzer's `-timeout` and
//! `-rss_limit_mb`; the replay test bounds the time of each input).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use patchart::ingest::{self, IngestLimits};
use patchart::plugins::runtime::{check_params, compile_params_schema, validate_chart_output};
use patchart::plugins::{LoadedPlugin, PluginLimits, PluginRegistry, PluginRuntime, RuntimeConfig};
use patchart::{Dataset, Entry, ErrorCode, Facet};
use patchart_sdk::format::Locale;
use serde_json::Value;

/// The compile cache of the built-in plugins, kept between runs so a
/// target or a test starts in seconds rather than compiling every plugin.
fn compile_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-compile-cache")
}

// ---- ingest ---------------------------------------------------------------------------

/// Workbook bytes (xlsx, ods or xls: the format is sniffed from the
/// content, as for an upload) become a dataset or an `INGEST_*` error.
///
/// Mutating a real xlsx or ods mostly breaks its deflate streams and
/// CRCs, so the parsers behind them see little. An input starting with a
/// NUL byte is therefore a workbook's parts instead, zipped here with
/// correct sizes and CRCs ([`workbook_from_parts`]). No upload starts with
/// NUL and is a workbook, so nothing the raw form could reach is lost.
/// Returns the dataset, if the input was one.
pub fn ingest(data: &[u8]) -> Option<Dataset> {
    let zipped;
    let bytes = match data.split_first() {
        Some((0, parts)) => {
            zipped = workbook_from_parts(parts);
            &zipped[..]
        }
        _ => data,
    };
    match ingest::ingest_bytes(
        "espacenet_excel",
        "upload.xlsx",
        bytes,
        &IngestLimits::default(),
    ) {
        Ok(dataset) => {
            assert_eq!(dataset.sha256.len(), 64, "sha256 is lower-case hex");
            assert!(!dataset.facets.is_empty(), "a dataset has a facet");
            Some(dataset)
        }
        Err(e) => {
            assert!(
                e.code.as_str().starts_with("INGEST_"),
                "ingest failed with a non-ingest code: {e}"
            );
            assert!(!e.message.is_empty(), "{:?} without a message", e.code);
            None
        }
    }
}

const XLSX_CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const XLSX_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const XLSX_WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const XLSX_WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Countries (family)" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// A workbook zipped from fuzzed parts (entries stored, so sizes and CRCs
/// are right). `parts` is a kind byte then NUL-separated parts: `O`, the
/// `content.xml` of an ods; anything else, an xlsx of one sheet named
/// "Countries (family)": its sheet XML, then (optionally) its shared
/// strings, then (optionally) a workbook.xml replacing the fixed one.
pub fn workbook_from_parts(parts: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let (kind, rest) = parts.split_first().unwrap_or((&b'X', &[]));
    let mut pieces = rest.split(|&b| b == 0);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut entries: Vec<(&str, &[u8])> = Vec::new();
    if *kind == b'O' {
        entries.push((
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ));
        entries.push(("META-INF/manifest.xml", ODS_MANIFEST.as_bytes()));
        entries.push(("content.xml", pieces.next().unwrap_or(b"")));
    } else {
        let sheet = pieces.next().unwrap_or(b"");
        let shared = pieces.next();
        let workbook = pieces.next().unwrap_or(XLSX_WORKBOOK.as_bytes());
        entries.push(("[Content_Types].xml", XLSX_CONTENT_TYPES.as_bytes()));
        entries.push(("_rels/.rels", XLSX_RELS.as_bytes()));
        entries.push(("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS.as_bytes()));
        entries.push(("xl/workbook.xml", workbook));
        entries.push(("xl/worksheets/sheet1.xml", sheet));
        if let Some(shared) = shared {
            entries.push(("xl/sharedStrings.xml", shared));
        }
    }
    for (name, bytes) in entries {
        zip.start_file(name, stored).expect("writing to memory");
        zip.write_all(bytes).expect("writing to memory");
    }
    zip.finish().expect("writing to memory").into_inner()
}

/// Lets the ingest target keep running past a panic that
/// `ingest::guarded` catches inside a third-party parser (the upload then
/// fails with `INGEST_CORRUPT`, as designed), while still reporting it once
/// per source location so it is seen and can be prevented upstream.
///
/// libFuzzer's own hook aborts on every panic, caught or not. Replacing it
/// loses nothing: a panic that escapes the check still unwinds into
/// libfuzzer-sys, which aborts and saves the input.
pub fn report_caught_parser_panics() {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        if seen.insert(at.clone()) {
            eprintln!("PANIC (caught by ingest::guarded unless a crash follows) at {at}: {info}");
        }
    }));
}

// ---- chart_data ------------------------------------------------------------------------

/// What a plugin returns as chart_data is checked exactly as after a
/// render; what passes is then read by everything downstream of a chart
/// (the facts describer in both locales and the AI prompt builder), which
/// must answer with a text or `AI_NO_CHART_DATA`, never a panic.
pub fn chart_data(data: &[u8]) {
    let chart_data = String::from_utf8_lossy(data).into_owned();
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#.to_string();
    let Ok(value) = validate_chart_output(&PluginLimits::default(), svg, chart_data) else {
        return;
    };
    for locale in [Locale::En, Locale::Es] {
        match patchart::describe::facts::describe(&value, locale) {
            Ok(text) => {
                let prompt = patchart::describe::prompt::build(&value, &text, None, locale);
                assert!(!prompt.user.is_empty());
            }
            Err(e) => assert_eq!(e.code, ErrorCode::AiNoChartData, "{e}"),
        }
    }
}

// ---- params ---------------------------------------------------------------------------

/// The built-in plugins, loaded once per process.
pub fn builtins() -> &'static [Arc<LoadedPlugin>] {
    static PLUGINS: OnceLock<Vec<Arc<LoadedPlugin>>> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let runtime = PluginRuntime::new(RuntimeConfig {
            cache_dir: Some(compile_cache()),
            ..RuntimeConfig::default()
        })
        .expect("plugin runtime starts");
        let registry = PluginRegistry::new(runtime);
        registry.load_builtins().expect("built-in plugins load");
        registry.list()
    })
}

/// Byte 0 picks a built-in plugin whose published schema checks the rest
/// of the input as params JSON; past the last plugin, the rest is a schema
/// and params separated by a NUL byte, as a hostile plugin would publish
/// and a user would send. Either way the answer is `Ok` or
/// `PLUGIN_INVALID_PARAMS`.
pub fn params(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let plugins = builtins();
    let pick = usize::from(pick) % (plugins.len() + 1);
    let expect_coded = |r: patchart::Result<()>| {
        if let Err(e) = r {
            assert_eq!(e.code, ErrorCode::PluginInvalidParams, "{e}");
            assert!(!e.message.is_empty());
        }
    };
    if let Some(plugin) = plugins.get(pick) {
        // The API reads params as part of a JSON body: what is not JSON
        // never reaches the schema.
        if let Ok(params) = serde_json::from_slice::<Value>(rest) {
            expect_coded(plugin.validate_params(&params));
        }
        return;
    }
    let (schema, params) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let Ok(schema) = serde_json::from_slice::<Value>(schema) else {
        return;
    };
    let Ok(validator) = compile_params_schema(&schema) else {
        return;
    };
    if let Ok(params) = serde_json::from_slice::<Value>(params) {
        expect_coded(check_params(&validator, &params));
    }
}

// ---- job_request ----------------------------------------------------------------------

/// The `Content-Type` a job_request input's first byte selects: both kinds
/// the API accepts, their near misses, and none at all.
const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("multipart/form-data; boundary=patchartfuzz"),
    Some("multipart/form-data"),
    Some("application/json; charset=utf-8"),
    Some("multipart/form-data; boundary=\"patchart fuzz\""),
    Some("text/plain"),
    Some("application/x-www-form-urlencoded"),
    None,
];

/// Stands for the id of the dataset [`JobApi`] owns, so a committed JSON
/// body can name a dataset that exists on the server it is replayed on.
pub const DATASET_PLACEHOLDER: &[u8] = b"@DATASET@";

/// A real server (SQLite in a temporary directory, built-in plugins, no
/// workers, so created jobs stay pending and nothing renders), a user who
/// owns one dataset, and an HTTP client.
pub struct JobApi {
    runtime: tokio::runtime::Runtime,
    server: Option<patchart::server::RunningServer>,
    http: reqwest::Client,
    url: String,
    token: String,
    dataset_id: String,
    _dir: tempfile::TempDir,
}

impl JobApi {
    pub fn start() -> JobApi {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = patchart::server::ServerConfig::new(
            dir.path().to_path_buf(),
            "127.0.0.1:0".parse().expect("loopback address"),
        );
        config.runtime.cache_dir = Some(compile_cache());
        config.workers.workers = 0;
        config.describe.workers = 0;
        let (server, token, dataset_id) = runtime.block_on(async {
            let server = patchart::server::start(config)
                .await
                .expect("server starts");
            let store = server.store();
            let user = store.ensure_user("fuzz", false).await.expect("user");
            let token = store.create_token(&user).await.expect("token");
            let bytes = b"a dataset for the job_request fuzz target";
            let dataset = sample_dataset(bytes);
            let row = store
                .put_dataset(&user, &dataset, bytes)
                .await
                .expect("dataset stored");
            (server, token, row.id)
        });
        JobApi {
            url: format!("http://{}/api/jobs/", server.addr()),
            server: Some(server),
            runtime,
            http: reqwest::Client::new(),
            token,
            dataset_id,
            _dir: dir,
        }
    }
}

impl Drop for JobApi {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

fn sample_dataset(bytes: &[u8]) -> Dataset {
    use sha2::Digest;
    let facet = |name: &str, rows: &[(&str, u64)]| Facet {
        name: name.to_string(),
        source_name: name.to_string(),
        entries: rows
            .iter()
            .map(|(label, count)| Entry {
                label: label.to_string(),
                count: *count,
            })
            .collect(),
    };
    Dataset {
        source_type: "espacenet_excel".into(),
        file_name: "fuzz.xlsx".into(),
        sha256: format!("{:x}", sha2::Sha256::digest(bytes)),
        query: Some("ctxt all \"fuzz\"".into()),
        result_count: Some(60),
        facets: vec![
            facet("countries", &[("CN", 30), ("US", 20), ("EP", 10)]),
            facet(
                "publication_years",
                &[("2021", 10), ("2022", 20), ("2023", 30)],
            ),
            facet("applicants", &[("UNIV A", 7), ("CORP B", 5)]),
            facet("languages", &[("en", 40), ("zh", 20)]),
        ],
    }
}

/// Byte 0 picks the `Content-Type`; the rest is the body of
/// `POST /api/jobs/` ([`DATASET_PLACEHOLDER`] replaced by the dataset id).
/// The answer is never a 5xx: a 2xx carries the job, anything else the
/// JSON error envelope with a stable code. Returns the status, if a
/// request was sent.
pub fn job_request(api: &JobApi, data: &[u8]) -> Option<u16> {
    let (&pick, body) = data.split_first()?;
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let body = replace_all(body, DATASET_PLACEHOLDER, api.dataset_id.as_bytes());
    let (status, answer) = api.runtime.block_on(async {
        let mut req = api.http.post(&api.url).bearer_auth(&api.token).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("the answer's body arrives");
        (status, bytes)
    });
    let text = String::from_utf8_lossy(&answer);
    assert!(status < 500, "{status}: {text}");
    let json: Value = serde_json::from_slice(&answer)
        .unwrap_or_else(|e| panic!("{status} answered with no JSON ({e}): {text}"));
    if (200..300).contains(&status) {
        assert!(json["job_id"].is_string(), "{status}: {text}");
    } else {
        let code = json["error"]["code"].as_str().unwrap_or("");
        assert!(!code.is_empty(), "{status} without an error code: {text}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{status} without an error message: {text}"
        );
    }
    Some(status)
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}
