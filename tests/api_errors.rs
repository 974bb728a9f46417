//! Every way the API refuses a request, over real HTTP and WebSocket
//! clients: the status, the stable `error.code`, the fields at fault, the
//! JSON envelope even where axum's extractors answer first, and that a
//! refused request leaves nothing behind.

use patchart_suite::server::TestServer;
use patchart_suite::workbook::{
    E, N, S, compound_file, facet, full_export, query_sheet, sheet, standard_export, xlsx,
};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const CHART: &str = r#"[{"algorithm_key": "top_patent_countries"}]"#;

/// Status, content type and JSON body of an answer; a body that is not
/// JSON fails the test (every error must be the envelope).
async fn answer(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("{status} answered with a body that is not JSON ({e}): {text:?}")
    });
    (status, content_type, body)
}

/// Asserts `body` is the error envelope with `code`, and returns its
/// fields (empty when it has none).
fn envelope<'a>(
    what: &str,
    (status, content_type, body): &'a (u16, String, Value),
    want_status: u16,
    code: &str,
) -> &'a serde_json::Map<String, Value> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    assert_eq!(*status, want_status, "{what}: {body}");
    assert_eq!(content_type, "application/json", "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: a message: {body}"
    );
    body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(serde_json::Map::new))
}

async fn post_form(s: &TestServer, form: Form) -> (u16, String, Value) {
    // A connection of its own: a refused request may leave the server
    // closing the connection it came on.
    let r = reqwest::Client::new()
        .post(s.url("/api/jobs/"))
        .bearer_auth(&s.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("POST /api/jobs/");
    answer(r).await
}

fn file_part(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name("Filters.xlsx")
}

async fn get(s: &TestServer, token: &str, path: &str) -> (u16, String, Value) {
    answer(s.get(token, path).await).await
}

async fn post_json(s: &TestServer, token: &str, path: &str, body: &Value) -> (u16, String, Value) {
    let r = s
        .http
        .post(s.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST");
    answer(r).await
}

/// The HTTP answer to a WebSocket handshake the server refused.
async fn refused_handshake(s: &TestServer, path: &str) -> (u16, String, Value) {
    use tokio_tungstenite::tungstenite::Error;
    match tokio_tungstenite::connect_async(s.ws_url(path)).await {
        Err(Error::Http(r)) => {
            let content_type = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = r.body().as_deref().unwrap_or_default();
            let json = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!(
                    "{path}: not JSON ({e}): {:?}",
                    String::from_utf8_lossy(body)
                )
            });
            (r.status().as_u16(), content_type, json)
        }
        Err(e) => panic!("{path}: the handshake failed without an HTTP answer: {e}"),
        Ok(_) => panic!("{path}: the handshake was accepted"),
    }
}

/// A pending job of the admin's (on a server without workers it stays so).
async fn pending_job(s: &TestServer) -> Value {
    let (status, created) = s
        .post_job(
            &s.admin_token,
            standard_export(),
            &serde_json::from_str(CHART).expect("json"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn healthz_answers_503_unavailable_once_the_database_is_unreachable() {
    let s = TestServer::start().await;
    let r = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    let (status, _, body) = answer(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"status": "ok"}));

    s.running().store().close().await;
    let r = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    let got = answer(r).await;
    envelope("healthz", &got, 503, "UNAVAILABLE");
    // Everything else that needs the database is a 503 with its code (the
    // same request may succeed once the database is back), not a dropped
    // connection.
    let got = get(&s, &s.admin_token, "/api/jobs/").await;
    envelope("a list", &got, 503, "DATABASE_UNAVAILABLE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_job_uploads_are_refused_naming_the_field_and_store_nothing() {
    let s = TestServer::start_with(|c| c.limits.max_images_per_job = 2).await;
    let before = s.stored().await;
    let three = json!([
        {"algorithm_key": "top_patent_countries"},
        {"algorithm_key": "top_patent_countries"},
        {"algorithm_key": "top_patent_countries"},
    ])
    .to_string();
    // 400 for what the document does not allow; 422 for what it allows
    // but the server cannot use.
    let cases: Vec<(&str, Form, &str, &str, u16)> = vec![
        (
            "no file",
            Form::new().text("images", CHART),
            "source_data",
            "required",
            400,
        ),
        (
            "an unknown field",
            Form::new()
                .text("images", CHART)
                .text("colour", "red")
                .part("source_data", file_part(standard_export())),
            "colour",
            "unknown field",
            400,
        ),
        (
            "an unsupported source type",
            Form::new()
                .text("source_type", "lens_csv")
                .text("images", CHART)
                .part("source_data", file_part(standard_export())),
            "source_type",
            "espacenet_excel",
            400,
        ),
        (
            "no images",
            Form::new().part("source_data", file_part(standard_export())),
            "images",
            "required",
            400,
        ),
        (
            "images that are not JSON",
            Form::new()
                .text("images", "[{algorithm_key: top}")
                .part("source_data", file_part(standard_export())),
            "images",
            "not a JSON list",
            400,
        ),
        (
            "an image with an unknown field",
            Form::new()
                .text(
                    "images",
                    r#"[{"algorithm_key": "top_patent_countries", "colour": "red"}]"#,
                )
                .part("source_data", file_part(standard_export())),
            "images",
            "colour",
            400,
        ),
        (
            "too many images",
            Form::new()
                .text("images", three)
                .part("source_data", file_part(standard_export())),
            "images",
            "3 charts requested; this server's limit is 2",
            422,
        ),
        (
            "a visualization_config that is not JSON",
            Form::new()
                .text("images", CHART)
                .text("visualization_config", "{palette: ocean")
                .part("source_data", file_part(standard_export())),
            "visualization_config",
            "not JSON",
            400,
        ),
        (
            "an unknown style field",
            Form::new()
                .text("images", CHART)
                .text("visualization_config", r#"{"font_size": "huge"}"#)
                .part("source_data", file_part(standard_export())),
            "visualization_config",
            "font_size",
            422,
        ),
    ];
    for (what, form, field, says, status) in cases {
        let got = post_form(&s, form).await;
        let fields = envelope(what, &got, status, "VALIDATION_ERROR");
        assert!(
            fields
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains(says)),
            "{what}: {field} saying {says:?} in {}",
            got.2
        );
        assert_eq!(
            fields.len(),
            1,
            "{what}: only {field} is at fault: {}",
            got.2
        );
    }
    // A multipart body that cannot be parsed: no boundary, or cut short.
    for (what, content_type, body) in [
        ("no boundary", "multipart/form-data", &b"--x\r\n"[..]),
        (
            "cut short",
            "multipart/form-data; boundary=x",
            &b"--x\r\nContent-Disposition: form-data; name=\"images\"\r\n\r\n[]"[..],
        ),
    ] {
        let r = s
            .http
            .post(s.url("/api/jobs/"))
            .bearer_auth(&s.admin_token)
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("post");
        let got = answer(r).await;
        envelope(what, &got, 400, "VALIDATION_ERROR");
        assert!(
            got.2["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("multipart")),
            "{what}: {}",
            got.2
        );
    }
    // A JSON body naming fields the API does not know, or not JSON at all.
    let got = post_json(
        &s,
        &s.admin_token,
        "/api/jobs/",
        &json!({"dataset_id": "x", "images": [], "colour": "red"}),
    )
    .await;
    envelope("an unknown JSON field", &got, 400, "VALIDATION_ERROR");
    assert!(
        got.2["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("colour")),
        "{}",
        got.2
    );
    let r = s
        .http
        .post(s.url("/api/jobs/"))
        .bearer_auth(&s.admin_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    envelope(
        "a body that is not JSON",
        &answer(r).await,
        400,
        "VALIDATION_ERROR",
    );
    // Neither JSON nor multipart, at each endpoint that takes a body.
    for path in [
        "/api/jobs/",
        "/api/datasets/",
        "/api/plugins/",
        "/api/ai/describe/",
        "/api/tokens/",
    ] {
        let r = s
            .http
            .post(s.url(path))
            .bearer_auth(&s.admin_token)
            .header("content-type", "text/plain")
            .body("images=top")
            .send()
            .await
            .expect("post");
        envelope(path, &answer(r).await, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(s.stored().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_export_the_ingest_refuses_is_answered_with_the_ingest_code() {
    let s = TestServer::start().await;
    let before = s.stored().await;
    let truncated = {
        let b = standard_export();
        b[..b.len() / 2].to_vec()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a truncated zip", truncated, "INGEST_CORRUPT"),
        (
            "no facet sheets",
            xlsx(&[sheet("Results", vec![vec![S("Title"), S("Number")]])]),
            "INGEST_NO_FACETS",
        ),
        (
            "a count that is not a number",
            xlsx(&[
                query_sheet("2 results found for x"),
                sheet(
                    "Countries (family)",
                    vec![
                        vec![S("Countries (family)"), S("Number of documents")],
                        vec![S("CN"), S("many")],
                        vec![S("US"), E],
                        vec![S("EP"), N(1.0)],
                    ],
                ),
            ]),
            "INGEST_BAD_COUNT",
        ),
        (
            "a password-protected workbook",
            compound_file(&[
                ("EncryptionInfo", vec![4, 0, 4, 0]),
                ("EncryptedPackage", vec![0; 16]),
            ]),
            "INGEST_ENCRYPTED",
        ),
        (
            "a text file",
            b"Country;Count\nCN;3\n".to_vec(),
            "INGEST_NOT_A_WORKBOOK",
        ),
    ];
    for (what, bytes, code) in cases {
        let form = Form::new()
            .text("images", CHART)
            .part("source_data", file_part(bytes));
        let got = post_form(&s, form).await;
        // Sent as the document says, but not an export the server reads.
        let fields = envelope(what, &got, 422, code);
        assert!(
            fields["source_data"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{code}: "))),
            "{what}: {}",
            got.2
        );
    }
    assert_eq!(s.stored().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_export_past_an_ingest_limit_is_413_ingest_limit_exceeded() {
    let s = TestServer::start_with(|c| c.limits.ingest.max_cells = 10).await;
    let before = s.stored().await;
    let form = Form::new()
        .text("images", CHART)
        .part("source_data", file_part(full_export()));
    let got = post_form(&s, form).await;
    let fields = envelope("too many cells", &got, 413, "INGEST_LIMIT_EXCEEDED");
    assert!(
        fields["source_data"]
            .as_str()
            .is_some_and(|m| m.contains("max_cells")),
        "{}",
        got.2
    );
    assert_eq!(s.stored().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_over_the_size_limit_is_413_upload_too_large_and_the_server_keeps_serving() {
    let s = TestServer::start_with(|c| c.limits.max_upload_bytes = 1 << 20).await;
    let before = s.stored().await;
    // Declared far over the limit: answered before any of the body is
    // sent, so no reset can race the answer.
    let head = format!(
        "POST /api/jobs/ HTTP/1.1\r\nHost: patchart\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {}\r\n\r\n",
        s.admin_token,
        200u64 << 20
    );
    let r = s.raw(&head, b"").await;
    assert_eq!(r.status, 413, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["error"]["code"], "UPLOAD_TOO_LARGE", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 MiB")),
        "{body}"
    );
    // A file just over the limit, found while the body is read, with more
    // of the body after it that the server never reads: the answer must
    // still arrive (a failed request fails here), not a dropped connection.
    let form = Form::new()
        .part("source_data", file_part(vec![7u8; (1 << 20) + 1]))
        .text("images", CHART)
        .text("visualization_config", " ".repeat(900 << 10));
    let got = post_form(&s, form).await;
    envelope("a file over the limit", &got, 413, "UPLOAD_TOO_LARGE");
    // Still serving, and nothing kept.
    let (status, _, list) = get(&s, &s.admin_token, "/api/jobs/").await;
    assert_eq!((status, list["count"].clone()), (200, json!(0)), "{list}");
    assert_eq!(s.stored().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_page_through_results_and_refuse_bad_page_parameters_with_the_envelope() {
    let s = TestServer::start_with(|c| c.workers.workers = 0).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            pending_job(&s).await["job_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    // Newest first, two a page.
    let mut seen = Vec::new();
    for (page, expect) in [(1, 2), (2, 1), (3, 0)] {
        let (status, _, body) = get(
            &s,
            &s.admin_token,
            &format!("/api/jobs/?page={page}&page_size=2"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 3, "{body}");
        assert_eq!(body["page"], page, "{body}");
        assert_eq!(body["page_size"], 2, "{body}");
        let results = body["results"].as_array().expect("results");
        assert_eq!(results.len(), expect, "page {page}: {body}");
        seen.extend(
            results
                .iter()
                .map(|j| j["id"].as_str().expect("id").to_string()),
        );
    }
    ids.reverse();
    assert_eq!(seen, ids, "every job once, newest first");
    let (_, _, tasks) = get(&s, &s.admin_token, "/api/image-tasks/?page=2&page_size=1").await;
    assert_eq!(tasks["count"], 3, "{tasks}");
    assert_eq!(
        tasks["results"].as_array().map(Vec::len),
        Some(1),
        "{tasks}"
    );
    let (_, _, defaults) = get(&s, &s.admin_token, "/api/jobs/").await;
    assert_eq!(
        (defaults["page"].clone(), defaults["page_size"].clone()),
        (json!(1), json!(50))
    );

    for list in ["/api/jobs/", "/api/image-tasks/", "/api/description-tasks/"] {
        for (query, field) in [
            ("page=0", Some("page")),
            ("page=-1", Some("page")),
            ("page_size=0", Some("page_size")),
            ("page_size=201", Some("page_size")),
            // No page is that far: the offset would overflow.
            ("page=9223372036854775807", Some("page")),
            ("page=abc", None),
            ("page_size=1.5", None),
            ("page_size=9223372036854775808", None),
        ] {
            let what = format!("{list}?{query}");
            let got = get(&s, &s.admin_token, &what).await;
            let fields = envelope(&what, &got, 400, "VALIDATION_ERROR");
            match field {
                Some(f) => assert!(fields[f].is_string(), "{what}: {}", got.2),
                None => {
                    let name = query.split('=').next().expect("name");
                    assert!(
                        got.2["error"]["message"]
                            .as_str()
                            .is_some_and(|m| m.contains(name)),
                        "{what}: names {name}: {}",
                        got.2
                    );
                }
            }
        }
    }
    // The WebSocket's own parameter, refused the same way.
    let got = refused_handshake(
        &s,
        &format!("/ws/jobs/{}/?token={}&after=abc", ids[0], s.admin_token),
    )
    .await;
    envelope("after=abc", &got, 400, "VALIDATION_ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paths_without_the_trailing_slash_are_the_same_endpoints_and_unknown_ones_are_404() {
    let s = TestServer::start_with(|c| c.workers.workers = 0).await;
    let id = pending_job(&s).await["job_id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _, with) = get(&s, &s.admin_token, "/api/jobs/").await;
    assert_eq!(status, 200);
    let (status, _, without) = get(&s, &s.admin_token, "/api/jobs").await;
    assert_eq!(status, 200, "{without}");
    assert_eq!(without, with, "no redirect, the same answer");
    let (status, _, job) = get(&s, &s.admin_token, &format!("/api/jobs/{id}")).await;
    assert_eq!(
        (status, job["id"].as_str()),
        (200, Some(id.as_str())),
        "{job}"
    );
    let (status, _, algos) = get(&s, &s.admin_token, "/api/algorithms").await;
    assert!(status == 200 && algos.as_array().is_some_and(|a| !a.is_empty()));
    let r = s
        .http
        .post(s.url(&format!("/api/jobs/{id}/cancel")))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("cancel");
    let (status, _, cancelled) = answer(r).await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("CANCELLED")),
        "{cancelled}"
    );

    for path in ["/api/nope/", "/api/jobs/a/b/c/", "/api", "/nope"] {
        let got = get(&s, &s.admin_token, path).await;
        envelope(path, &got, 404, "NOT_FOUND");
    }
    // A known path with a method it does not answer.
    let r = s
        .http
        .delete(s.url("/api/jobs/"))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("delete");
    envelope(
        "DELETE /api/jobs/",
        &answer(r).await,
        405,
        "METHOD_NOT_ALLOWED",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_in_the_query_string_opens_websockets_only() {
    let s = TestServer::start().await;
    let created = pending_job(&s).await;
    let id = created["job_id"].as_str().expect("id");
    let r = s
        .http
        .get(s.url(&format!("/api/jobs/?token={}", s.admin_token)))
        .send()
        .await
        .expect("get");
    envelope("?token= on /api", &answer(r).await, 401, "UNAUTHENTICATED");
    let r = s
        .http
        .get(s.url(&format!("/api/jobs/{id}/?token={}", s.admin_token)))
        .send()
        .await
        .expect("get");
    envelope("?token= on a job", &answer(r).await, 401, "UNAUTHENTICATED");
    for token in ["not-a-token", ""] {
        let got = get(&s, token, "/api/jobs/").await;
        envelope("a bad bearer token", &got, 401, "UNAUTHENTICATED");
    }
    // On the WebSocket the same token in the query string is accepted.
    let events = s.events(&s.admin_token, id, None, 10_000).await;
    assert_eq!(
        events.last().expect("events")["event_type"],
        "job_status_changed",
        "{events:?}"
    );
    for path in [
        format!("/ws/jobs/{id}/"),
        format!("/ws/jobs/{id}/?token=not-a-token"),
    ] {
        let got = refused_handshake(&s, &path).await;
        envelope(&path, &got, 401, "UNAUTHENTICATED");
    }
    let got = refused_handshake(&s, &format!("/ws/jobs/nope/?token={}", s.admin_token)).await;
    envelope("an unknown job's events", &got, 404, "NOT_FOUND");
    // A plain GET on the events endpoint: told to use a WebSocket.
    let got = get(&s, &s.admin_token, &format!("/ws/jobs/{id}/")).await;
    assert!(matches!(got.0, 400 | 426), "{}", got.2);
    envelope("a GET without upgrade", &got, got.0, "WEBSOCKET_REQUIRED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_ids_are_404_not_found_and_a_finished_job_cannot_be_cancelled() {
    let s = TestServer::start_with(|c| c.workers.workers = 0).await;
    for path in [
        "/api/jobs/nope/",
        "/api/jobs/nope/download/",
        "/api/image-tasks/nope/",
        "/api/image-tasks/nope/png/",
        "/api/image-tasks/nope/svg/",
        "/api/description-tasks/nope/",
    ] {
        let got = get(&s, &s.admin_token, path).await;
        envelope(path, &got, 404, "NOT_FOUND");
    }
    let got = post_json(&s, &s.admin_token, "/api/jobs/nope/cancel/", &json!({})).await;
    envelope("cancel an unknown job", &got, 404, "NOT_FOUND");

    let created = pending_job(&s).await;
    let id = created["job_id"].as_str().expect("id");
    // A pending chart has no artifacts yet.
    let task = created["image_tasks"][0]["id"].as_str().expect("task");
    let got = get(&s, &s.admin_token, &format!("/api/image-tasks/{task}/png/")).await;
    envelope("a pending chart's png", &got, 404, "NOT_FOUND");
    assert!(
        got.2["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("PENDING")),
        "{}",
        got.2
    );
    let path = format!("/api/jobs/{id}/cancel/");
    let got = post_json(&s, &s.admin_token, &path, &json!({})).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["cancelled_tasks"], 1, "{}", got.2);
    let got = post_json(&s, &s.admin_token, &path, &json!({})).await;
    envelope("cancel twice", &got, 409, "JOB_FINISHED");
    assert!(
        got.2["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CANCELLED")),
        "{}",
        got.2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn descriptions_are_refused_with_their_codes() {
    let s = TestServer::start_with(|c| {
        // Descriptions stay pending, so the per-user limit holds.
        c.describe.workers = 0;
        c.describe.max_active_per_user = 1;
    })
    .await;
    let (status, created) = s
        .post_job(
            &s.admin_token,
            xlsx(&[
                query_sheet("3 results found for x"),
                facet("Countries (family)", "Countries (family)", &[("CN", 3.0)]),
            ]),
            &json!([
                {"algorithm_key": "top_patent_countries"},
                {"algorithm_key": "patent_evolution"},
            ]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let job = s
        .wait_job(&s.admin_token, created["job_id"].as_str().expect("id"))
        .await;
    assert_eq!(job["status"], "PARTIAL_SUCCESS", "{job}");
    let ok = job["image_tasks"][0]["id"].as_str().expect("task");
    let failed = job["image_tasks"][1]["id"].as_str().expect("task");

    let describe = |body: Value| {
        let s = &s;
        async move { post_json(s, &s.admin_token, "/api/ai/describe/", &body).await }
    };
    let got = describe(json!({"image_task_id": failed})).await;
    envelope("a failed chart", &got, 409, "CHART_NOT_READY");
    let got = describe(json!({"image_task_id": "nope"})).await;
    envelope("an unknown chart", &got, 404, "NOT_FOUND");
    let got = describe(json!({"image_task_id": ok, "locale": "fr", "provider": "oracle"})).await;
    let fields = envelope("a bad locale and provider", &got, 400, "VALIDATION_ERROR");
    assert!(
        fields["locale"]
            .as_str()
            .is_some_and(|m| m.contains("en, es")),
        "{}",
        got.2
    );
    assert!(fields["provider"].is_string(), "{}", got.2);
    let got = describe(json!({"image_task_id": ok, "tone": "dry"})).await;
    envelope("an unknown field", &got, 400, "VALIDATION_ERROR");
    // Declared over the body limit: answered before the body is sent.
    let head = format!(
        "POST /api/ai/describe/ HTTP/1.1\r\nHost: patchart\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        s.admin_token,
        3u64 << 20
    );
    let r = s.raw(&head, b"").await;
    assert_eq!(r.status, 413, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["error"]["code"], "BODY_TOO_LARGE", "{}", r.json());

    let got = describe(json!({"image_task_id": ok})).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let got = describe(json!({"image_task_id": ok})).await;
    envelope("one too many", &got, 429, "TOO_MANY_ACTIVE_DESCRIPTIONS");
}
