//! A client of the replaced Jobs API (Django REST framework + Channels)
//! against patchart, changed only in its auth header: the requests its
//! front end builds, byte for byte, and every field it reads, from real
//! answers and a real WebSocket. docs/migrating.md lists what differs.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use patchart_suite::server::TestServer;
use patchart_suite::workbook::full_export;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;

/// The browser's FormData boundary, as the old front end sent it.
const BOUNDARY: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

/// The old front end's job creation, as its browser encodes it: the
/// default `algorithm_version` "1.0", the old style names
/// (`color_palette`, named `font_size`, `custom_params`), `cpc_treemap`'s
/// `num_groups` and the `source_params` field.
fn old_job_create_body(file: &[u8], key: &str) -> Vec<u8> {
    let images = r#"[{"algorithm_key":"top_patent_countries","algorithm_version":"1.0","params":{"top_n":15},"output_format":"both"},{"algorithm_key":"cpc_treemap","algorithm_version":"1.0","params":{"num_groups":15},"output_format":"both"},{"algorithm_key":"top_patent_countries","algorithm_version":"1.0","params":{"top_n":5},"output_format":"png"}]"#;
    let config = r#"{"color_palette":"vibrant","font_size":"large","custom_params":{"show_values":true,"title":"Solar panels"}}"#;
    let source_params = r#"{"sheet_name":null,"skip_rows":0}"#;
    let mut body = Vec::new();
    let text = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text(&mut body, "source_type", "espacenet_excel");
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"source_data\"; filename=\"Filters.xlsx\"\r\n\
             Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n");
    text(&mut body, "images", images);
    text(&mut body, "idempotency_key", key);
    text(&mut body, "visualization_config", config);
    text(&mut body, "source_params", source_params);
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_old_job(s: &TestServer, token: &str, key: &str) -> (u16, Value) {
    let r = s
        .http
        .post(s.url("/api/jobs/"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(old_job_create_body(&full_export(), key))
        .send()
        .await
        .expect("POST /api/jobs/");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `v[key]`, which must be present (null is a value; absent is not).
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.as_object()
        .and_then(|o| o.get(key))
        .unwrap_or_else(|| panic!("field {key:?} missing from {v}"))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    field(v, key)
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a string in {v}"))
}

/// What the old consumer's client reads of every event.
fn assert_old_event(e: &Value) {
    for key in [
        "id",
        "event_type",
        "entity_type",
        "level",
        "message",
        "progress",
        "payload",
        "created_at",
    ] {
        field(e, key);
    }
    let level = text(e, "level");
    assert!(
        ["INFO", "WARNING", "ERROR"].contains(&level),
        "level {level:?} is not one the old client compares: {e}"
    );
    let expected = if e["entity_type"] == "job" {
        text(e, "job_id")
    } else {
        text(e, "task_id")
    };
    assert_eq!(text(e, "entity_id"), expected, "{e}");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_event(ws: &mut Socket) -> Value {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("an event within 60 s");
        match next {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("event JSON"),
            Some(Ok(Message::Close(_))) | None => panic!("the server closed the socket"),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("ws error: {e}"),
        }
    }
}

fn is_terminal_job_event(e: &Value) -> bool {
    e["event_type"] == "job_status_changed"
        && !matches!(e["payload"]["status"].as_str(), Some("PENDING" | "RUNNING"))
}

async fn zip_names(s: &TestServer, token: &str, job_id: &str, format: &str) -> BTreeSet<String> {
    let r = s
        .get(
            token,
            &format!("/api/jobs/{job_id}/download-zip/?image_format={format}"),
        )
        .await;
    assert_eq!(r.status(), 200, "download-zip {format}");
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.expect("zip body").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut names = BTreeSet::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut content).expect("read entry");
        let name = f.name().expect("entry name").to_string();
        if name.ends_with(".png") {
            assert!(content.starts_with(b"\x89PNG"), "{name} is not a PNG");
        } else {
            assert!(
                String::from_utf8_lossy(&content).contains("<svg"),
                "{name} is not an SVG"
            );
        }
        names.insert(name);
    }
    names
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_old_front_end_creates_follows_describes_pages_and_downloads_a_job() {
    for s in TestServer::on_each_backend(|_| {}).await {
        old_front_end(&s).await;
    }
}

async fn old_front_end(s: &TestServer) {
    let token = s.user_token("analyst").await;

    let (status, created) = post_old_job(s, &token, "old-front-end-1").await;
    assert_eq!(status, 201, "{created}");
    let job_id = text(&created, "job_id").to_string();
    assert!(!text(&created, "message").is_empty());
    let tasks = field(&created, "image_tasks").as_array().expect("tasks");
    assert_eq!(tasks.len(), 3);
    for t in tasks {
        assert_eq!(t["requested_version"], "1.0", "{t}");
        assert!(
            t["algorithm_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("1.0.")),
            "\"1.0\" resolves to the newest 1.0.x: {t}"
        );
    }
    assert_eq!(tasks[1]["params"], json!({"num_groups": 15}));
    // The old client retries a create with its key and reads the message.
    let (status, replay) = post_old_job(s, &token, "old-front-end-1").await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["job_id"], job_id.as_str());
    assert!(!text(&replay, "message").is_empty());

    // The old consumer: opened once, read until the job's end, and still
    // open for the description asked for afterwards.
    let url = s.ws_url(&format!("/ws/jobs/{job_id}/?token={token}"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    let mut seen = Vec::new();
    loop {
        let e = next_event(&mut ws).await;
        assert_old_event(&e);
        let end = is_terminal_job_event(&e);
        seen.push(e);
        if end {
            break;
        }
    }
    assert_eq!(
        seen.last().expect("events")["payload"]["status"],
        "SUCCESS",
        "{seen:#?}"
    );

    let chart = text(&tasks[0], "id").to_string();
    let r = s
        .http
        .post(s.url("/api/ai/describe/"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "image_task_id={chart}&user_context=For+the+board&provider_preference=facts&model_preference=facts-1"
        ))
        .send()
        .await
        .expect("describe");
    assert_eq!(r.status(), 202);
    let accepted: Value = r.json().await.expect("json");
    assert_eq!(accepted["provider"], "facts", "{accepted}");
    assert_eq!(accepted["model"], "facts-1", "{accepted}");
    let description = text(&accepted, "description_task_id").to_string();
    let mut kinds = Vec::new();
    loop {
        let e = next_event(&mut ws).await;
        assert_old_event(&e);
        assert_eq!(e["entity_type"], "description_task", "{e}");
        assert_eq!(e["entity_id"], description.as_str(), "{e}");
        let kind = text(&e, "event_type").to_string();
        kinds.push(kind.clone());
        if kind == "DONE" {
            break;
        }
    }
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("START"),
        "{kinds:?}"
    );
    // Nothing more to say, and the server does not hang up either.
    let quiet = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(quiet.is_err(), "the socket ended: {quiet:?}");
    ws.send(Message::Close(None)).await.expect("client close");

    // The job detail the old client draws from.
    let (status, job) = s.get_json(&token, &format!("/api/jobs/{job_id}/")).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(text(&job, "dataset_id"), text(&job["dataset"], "id"));
    assert_eq!(text(&job, "source_type"), "espacenet_excel");
    assert!(!text(&job, "created_by").is_empty());
    assert_eq!(
        job["visualization_config"]["color_palette"], "vibrant",
        "{job}"
    );
    let events = field(&job, "events").as_array().expect("events");
    assert!(!events.is_empty());
    events.iter().for_each(assert_old_event);
    assert_eq!(
        field(&job, "events_count").as_u64(),
        Some(events.len() as u64)
    );
    assert!(field(&job, "events_next").is_null());
    let descriptions = field(&job, "description_tasks").as_array().expect("list");
    assert_eq!(descriptions.len(), 1, "{job}");
    assert_eq!(descriptions[0]["id"], description.as_str());
    assert_eq!(field(&job, "description_tasks_count"), 1);
    let r = s
        .http
        .get(text(&job, "description_tasks_url"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("descriptions of the job");
    assert_eq!(r.status(), 200);
    let of_job: Value = r.json().await.expect("json");
    assert_eq!(of_job["count"], 1, "{of_job}");
    assert_eq!(of_job["results"][0]["id"], description.as_str());
    for t in field(&job, "image_tasks").as_array().expect("tasks") {
        assert_eq!(text(t, "job"), job_id);
        assert_eq!(text(t, "created_by"), text(&job, "created_by"));
        text(t, "updated_at");
        let png = text(t, "artifact_png_url");
        assert!(png.starts_with(&s.base), "absolute: {png}");
        // Loaded as it comes, with the client's own auth.
        let r = s
            .http
            .get(png)
            .bearer_auth(&token)
            .send()
            .await
            .expect("png");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        let bytes = r.bytes().await.expect("bytes");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), text(t, "png_sha256"));
        match text(t, "output_format") {
            "png" => assert!(field(t, "artifact_svg_url").is_null()),
            _ => assert!(text(t, "artifact_svg_url").starts_with(&s.base)),
        }
    }

    // The description as the old client polls it.
    let (status, d) = s
        .get_json(&token, &format!("/api/description-tasks/{description}/"))
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(text(&d, "image_task"), chart);
    assert_eq!(field(&d, "progress"), 100);
    text(&d, "updated_at");
    assert_eq!(d["status"], "SUCCESS");
    assert!(field(&d, "prompt_snapshot_object").is_object(), "{d}");

    // Paged by its `next` links, as DRF's clients do.
    let mut url = Some(s.url("/api/image-tasks/?page_size=1"));
    let mut ids = HashSet::new();
    let mut pages = 0;
    while let Some(u) = url {
        let r = s
            .http
            .get(&u)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200, "{u}");
        let page: Value = r.json().await.expect("json");
        assert_eq!(field(&page, "count"), 3);
        if pages == 0 {
            assert!(field(&page, "previous").is_null());
        } else {
            assert!(text(&page, "previous").starts_with(&s.base));
        }
        for t in page["results"].as_array().expect("results") {
            ids.insert(text(t, "id").to_string());
        }
        url = field(&page, "next").as_str().map(str::to_string);
        pages += 1;
        assert!(pages <= 3, "next links run past the last page");
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 3, "every task once: {ids:?}");

    // The old ZIP, in its three variants.
    let png = [
        "png/top_patent_countries.png",
        "png/cpc_treemap.png",
        "png/top_patent_countries_2.png",
    ];
    let svg = ["svg/top_patent_countries.svg", "svg/cpc_treemap.svg"];
    assert_eq!(zip_names(s, &token, &job_id, "png").await, set(&png));
    assert_eq!(zip_names(s, &token, &job_id, "svg").await, set(&svg));
    let both: Vec<&str> = png.iter().chain(svg.iter()).copied().collect();
    assert_eq!(zip_names(s, &token, &job_id, "both").await, set(&both));
    let (status, err) = s
        .get_json(
            &token,
            &format!("/api/jobs/{job_id}/download-zip/?image_format=gif"),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "VALIDATION_ERROR");
    assert!(err["error"]["fields"]["image_format"].is_string(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_detail_bounds_its_event_log_and_links_the_rest() {
    for s in TestServer::on_each_backend(|_| {}).await {
        bounded_event_log(&s).await;
    }
}

async fn bounded_event_log(s: &TestServer) {
    let token = s.user_token("analyst").await;
    // Fifty charts log a start and an end each: more events than a detail
    // carries, however many progress events their batches wrote.
    let images: Vec<Value> = (0..50)
        .map(|_| json!({"algorithm_key": "top_patent_countries", "params": {"top_n": 5}}))
        .collect();
    let (status, created) = s
        .post_job(&token, full_export(), &json!(images), None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let job_id = text(&created, "job_id").to_string();
    s.wait_job(&token, &job_id).await;
    let (_, job) = s.get_json(&token, &format!("/api/jobs/{job_id}/")).await;
    let first = field(&job, "events").as_array().expect("events");
    let total = field(&job, "events_count").as_u64().expect("count");
    assert_eq!(first.len(), 100, "bounded");
    assert!(total > 100, "{total}");
    let mut all: Vec<Value> = first.clone();
    let mut next = field(&job, "events_next").as_str().map(str::to_string);
    while let Some(u) = next {
        let r = s
            .http
            .get(&u)
            .bearer_auth(&token)
            .send()
            .await
            .expect("events");
        assert_eq!(r.status(), 200, "{u}");
        let page: Value = r.json().await.expect("json");
        all.extend(page["results"].as_array().expect("results").iter().cloned());
        next = field(&page, "next").as_str().map(str::to_string);
    }
    assert_eq!(all.len() as u64, total);
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, once each");
}

/// Polls an image task until it leaves PENDING and RUNNING.
async fn wait_task(s: &TestServer, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (_, t) = s.get_json(token, &format!("/api/image-tasks/{id}/")).await;
        if !matches!(t["status"].as_str(), Some("PENDING" | "RUNNING")) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("image task {id} did not end within 60 s");
}

async fn post(s: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let r = s
        .http
        .post(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn job_statuses(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e["event_type"] == "job_status_changed")
        .filter_map(|e| e["payload"]["status"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_chart_is_retried_on_its_build_and_the_job_is_finalised_again() {
    // The chart's files cannot be stored once, and a failure is final at
    // the first attempt: the chart fails, then a retry draws it.
    let faults = std::sync::Mutex::new(Vec::new());
    let servers = TestServer::on_each_backend(|c| {
        let f = Arc::new(AtomicU32::new(1));
        faults.lock().expect("faults").push(f.clone());
        c.workers.workers = 1;
        c.workers.max_attempts = 1;
        c.workers.artifact_write_faults = f;
    })
    .await;
    let faults = faults.into_inner().expect("faults");
    for (s, faults) in servers.iter().zip(faults) {
        retried_after_failure(s, &faults).await;
    }
}

async fn retried_after_failure(s: &TestServer, faults: &AtomicU32) {
    let token = s.user_token("analyst").await;
    let images = json!([{"algorithm_key": "top_patent_countries", "algorithm_version": "1.0", "params": {}}]);
    let (status, created) = s.post_job(&token, full_export(), &images, None, None).await;
    assert_eq!(status, 201, "{created}");
    let job_id = text(&created, "job_id").to_string();
    let task_id = text(&created["image_tasks"][0], "id").to_string();
    let job = s.wait_job(&token, &job_id).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    let failed = &job["image_tasks"][0];
    assert_eq!(failed["status"], "FAILED");
    let build = text(failed, "plugin_sha256").to_string();

    // Someone else's chart is not there to retry.
    let other = s.user_token("other").await;
    let (status, _) = post(s, &other, &format!("/api/image-tasks/{task_id}/retry/")).await;
    assert_eq!(status, 404);

    let (status, retried) = post(s, &token, &format!("/api/image-tasks/{task_id}/retry/")).await;
    assert_eq!(status, 200, "{retried}");
    // An idle worker may take the chart before the answer is read.
    assert!(
        matches!(
            retried["status"].as_str(),
            Some("PENDING" | "RUNNING" | "SUCCESS")
        ),
        "{retried}"
    );
    assert!(retried["error_code"].is_null(), "{retried}");
    let t = wait_task(s, &token, &task_id).await;
    assert_eq!(t["status"], "SUCCESS", "{t}");
    assert_eq!(text(&t, "plugin_sha256"), build, "the pinned build");
    assert_eq!(faults.load(Ordering::Relaxed), 0);
    let job = s.wait_job(&token, &job_id).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["progress_total"], 100);

    let events = s.events(&token, &job_id, None, 10_000).await;
    assert_eq!(
        job_statuses(&events),
        ["RUNNING", "FAILED", "RUNNING", "SUCCESS"],
        "{events:#?}"
    );
    let of_task: Vec<&str> = events
        .iter()
        .filter(|e| e["task_id"] == task_id.as_str())
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(
        of_task,
        ["START", "ERROR", "PROGRESS", "START", "DONE"],
        "{events:#?}"
    );

    // A chart that succeeded is not retried.
    let (status, err) = post(s, &token, &format!("/api/image-tasks/{task_id}/retry/")).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "TASK_NOT_RETRYABLE");
    assert!(text(&err["error"], "message").contains("SUCCESS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn charts_are_cancelled_one_by_one_and_a_cancelled_one_is_retried() {
    for s in TestServer::on_each_backend(|c| c.workers.workers = 1).await {
        cancelled_and_retried(&s).await;
    }
}

async fn cancelled_and_retried(s: &TestServer) {
    let probe = s.load_spin_probe(180_000).await;
    // One worker: the spinning chart runs, the other waits behind it.
    let images = json!([
        {"algorithm_key": probe, "params": {"work": 1_000_000_000_000u64}},
        {"algorithm_key": "top_patent_countries", "params": {}},
    ]);
    let (status, created) = s
        .post_job(&s.admin_token, full_export(), &images, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let job_id = text(&created, "job_id").to_string();
    let spinning = text(&created["image_tasks"][0], "id").to_string();
    let waiting = text(&created["image_tasks"][1], "id").to_string();
    let mut running = false;
    for _ in 0..600 {
        let (_, t) = s
            .get_json(&s.admin_token, &format!("/api/image-tasks/{spinning}/"))
            .await;
        if t["status"] == "RUNNING" {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(running, "the spinning chart started");

    let (status, t) = post(
        s,
        &s.admin_token,
        &format!("/api/image-tasks/{waiting}/cancel/"),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["status"], "CANCELLED");
    let (_, job) = s
        .get_json(&s.admin_token, &format!("/api/jobs/{job_id}/"))
        .await;
    assert_eq!(job["status"], "RUNNING", "the other chart goes on: {job}");
    assert_eq!(job["image_tasks"][0]["status"], "RUNNING", "{job}");
    let (status, err) = post(
        s,
        &s.admin_token,
        &format!("/api/image-tasks/{waiting}/cancel/"),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "TASK_FINISHED");
    let (status, err) = post(
        s,
        &s.admin_token,
        &format!("/api/image-tasks/{spinning}/retry/"),
    )
    .await;
    assert_eq!(status, 409, "a running chart is not retried: {err}");

    // The running one is interrupted, long before its deadline.
    let started = std::time::Instant::now();
    let (status, t) = post(
        s,
        &s.admin_token,
        &format!("/api/image-tasks/{spinning}/cancel/"),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let job = s.wait_job(&s.admin_token, &job_id).await;
    assert_eq!(
        job["status"], "CANCELLED",
        "every chart was cancelled: {job}"
    );

    // Retried, the waiting chart runs on the worker the cancel freed.
    let (status, t) = post(
        s,
        &s.admin_token,
        &format!("/api/image-tasks/{waiting}/retry/"),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let t = wait_task(s, &s.admin_token, &waiting).await;
    assert_eq!(t["status"], "SUCCESS", "{t}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the spinning plugin held the worker"
    );
    let job = s.wait_job(&s.admin_token, &job_id).await;
    assert_eq!(job["status"], "PARTIAL_SUCCESS", "{job}");
    assert_eq!(job["progress_total"], 100);
    let events = s.events(&s.admin_token, &job_id, None, 10_000).await;
    assert_eq!(
        job_statuses(&events),
        ["RUNNING", "CANCELLED", "RUNNING", "PARTIAL_SUCCESS"],
        "{events:#?}"
    );
    let cancelled = events
        .iter()
        .filter(|e| e["event_type"] == "CANCELLED")
        .count();
    assert_eq!(cancelled, 2, "one per cancelled chart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_old_fields_and_endpoints() {
    let s = TestServer::start().await;
    let (status, api) = s.get_json(&s.admin_token, "/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/jobs/{id}/download-zip/",
        "/api/jobs/{id}/events/",
        "/api/image-tasks/{id}/cancel/",
        "/api/image-tasks/{id}/retry/",
    ] {
        assert!(api["paths"][path].is_object(), "{path} missing");
    }
    let props = |schema: &str| api["components"]["schemas"][schema]["properties"].clone();
    for (schema, fields) in [
        (
            "ImageTaskView",
            &[
                "job",
                "artifact_png_url",
                "artifact_svg_url",
                "created_by",
                "updated_at",
            ][..],
        ),
        (
            "JobDetail",
            &[
                "dataset_id",
                "created_by",
                "source_type",
                "description_tasks",
                "events",
                "events_next",
            ][..],
        ),
        (
            "DescriptionTaskView",
            &["image_task", "progress", "updated_at"][..],
        ),
        ("JobCreated", &["message"][..]),
    ] {
        for f in fields {
            assert!(props(schema)[f].is_object(), "{schema}.{f} missing");
        }
    }
    let describe = &api["paths"]["/api/ai/describe/"]["post"]["requestBody"]["content"];
    assert!(
        describe["application/x-www-form-urlencoded"].is_object(),
        "{describe}"
    );
    let (_, algos) = s.get_json(&s.admin_token, "/api/algorithms/").await;
    let treemap = algos
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["key"] == "cpc_treemap")
        .expect("cpc_treemap");
    assert_eq!(
        treemap["params_schema"]["properties"]["num_groups"]["deprecated"],
        true
    );
}
