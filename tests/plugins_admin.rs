//! Operators managing plugins on a running server: uploads validated end
//! to end, versions swapped under load, the plugins directory watched,
//! enable/disable/limits/retire, and all of it admin-only.
//!
//! The test plugin is one component (`hostile_variant`) whose version and
//! behaviour come from a marker in its data, rewritten here: each rewrite
//! is a different build with its own hash.

use std::path::Path;
use std::time::{Duration, Instant};

use patchart_suite::server::{TestServer, test_config};
use patchart_suite::{plugin_wasm, variant, workbook};
use serde_json::{Value, json};

const KEY: &str = "variant_probe";

/// `wasm` with every `patchart:chart/<interface>@0.1.0` it names moved to
/// `@0.9.0`: a plugin built for a contract version this host does not know.
fn retargeted(wasm: &[u8]) -> Vec<u8> {
    let (from, to) = (b"@0.1.0", b"@0.9.0");
    let prefix = b"patchart:chart/";
    let mut out = wasm.to_vec();
    let mut moved = 0;
    let mut i = 0;
    while let Some(at) = out[i..].windows(prefix.len()).position(|w| w == prefix) {
        let start = i + at + prefix.len();
        let name_len = out[start..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || **b == b'-')
            .count();
        let version = start + name_len;
        if out.get(version..version + from.len()) == Some(from.as_slice()) {
            out[version..version + to.len()].copy_from_slice(to);
            moved += 1;
        }
        i = version;
    }
    assert!(moved > 0, "no versioned contract names found");
    out
}

async fn upload(s: &TestServer, token: &str, bytes: Vec<u8>, name: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    // A connection of its own: a refused upload (403, 413) is answered
    // before its body is read, and the server then closes the connection,
    // which a pooled client could otherwise pick for the next request.
    let r = reqwest::Client::new()
        .post(s.url("/api/plugins/"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("POST /api/plugins/");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON answer"))
}

async fn send_json(
    s: &TestServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s.http.request(method, s.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn patch(s: &TestServer, path: &str, body: Value) -> (u16, Value) {
    send_json(s, reqwest::Method::PATCH, &s.admin_token, path, Some(body)).await
}

/// A dataset of the admin's, for JSON job posts.
async fn dataset(s: &TestServer) -> String {
    let (status, job) = s
        .post_job(
            &s.admin_token,
            workbook::standard_export(),
            &json!([{"algorithm_key": "top_patent_countries", "output_format": "svg"}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{job}");
    job["dataset_id"].as_str().expect("dataset_id").to_string()
}

async fn post_chart(s: &TestServer, dataset: &str, image: Value) -> (u16, Value) {
    send_json(
        s,
        reqwest::Method::POST,
        &s.admin_token,
        "/api/jobs/",
        Some(json!({"dataset_id": dataset, "images": [image]})),
    )
    .await
}

async fn plugin_list(s: &TestServer) -> Value {
    let (status, list) = s.get_json(&s.admin_token, "/api/plugins/").await;
    assert_eq!(status, 200, "{list}");
    list
}

fn builds_of<'a>(list: &'a Value, key: &str) -> Vec<&'a Value> {
    list["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .filter(|p| p["key"] == key)
        .collect()
}

async fn algorithm(s: &TestServer, key: &str) -> Option<Value> {
    let (_, algos) = s.get_json(&s.admin_token, "/api/algorithms/").await;
    algos
        .as_array()
        .expect("algorithms")
        .iter()
        .find(|a| a["key"] == key)
        .cloned()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_with_their_reason_and_register_nothing() {
    let s = TestServer::start_with(|c| c.limits.max_plugin_bytes = 4 << 20).await;
    let before = plugin_list(&s).await["plugins"]
        .as_array()
        .expect("list")
        .len();

    let load_failed = "PLUGIN_LOAD_FAILED";
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("empty", Vec::new(), load_failed, "empty"),
        (
            "not wasm",
            b"#!/bin/sh\necho hi\n".to_vec(),
            load_failed,
            "not WebAssembly",
        ),
        (
            "core module",
            b"\0asm\x01\0\0\0".to_vec(),
            load_failed,
            "not a component",
        ),
        (
            "wrong world",
            plugin_wasm("hostile_wrong_world"),
            load_failed,
            "chart-plugin",
        ),
        (
            "info traps",
            variant("trap", "1.0.0", 0),
            load_failed,
            "info() failed",
        ),
        (
            "info loops",
            variant("spin", "1.0.0", 0),
            load_failed,
            "deadline",
        ),
        (
            "invalid schema",
            variant("schema", "1.0.0", 0),
            load_failed,
            "not a valid JSON Schema",
        ),
        (
            "smoke render panics",
            plugin_wasm("hostile_panic"),
            "PLUGIN_SMOKE_FAILED",
            "smoke render",
        ),
        (
            "unknown contract version",
            retargeted(&variant("ok", "1.0.0", 0)),
            load_failed,
            "targets patchart:chart@0.9.0; this host accepts patchart:chart@0.1.0",
        ),
    ];
    for (what, bytes, code, expect) in cases {
        let (status, body) = upload(&s, &s.admin_token, bytes, "plugin.wasm").await;
        // A well-formed upload of a file that is no plugin this server loads.
        assert_eq!(status, 422, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expect), "{what}: {body}");
    }
    // A multipart body without the `file` field, or with another one.
    let form = reqwest::multipart::Form::new().text("plugin", "x");
    let r = reqwest::Client::new()
        .post(s.url("/api/plugins/"))
        .bearer_auth(&s.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"file\"")),
        "{body}"
    );

    // Declared far over the limit: answered before any of the body is
    // sent, so the answer cannot be lost to a reset connection.
    let head = format!(
        "POST /api/plugins/ HTTP/1.1\r\nHost: patchart\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {}\r\n\r\n",
        s.admin_token,
        200u64 << 20
    );
    let r = s.raw(&head, b"").await;
    assert_eq!(r.status, 413, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["error"]["code"], "PLUGIN_TOO_LARGE", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4 MiB")),
        "{body}"
    );
    // Over the limit by less than the body's allowance for framing, so
    // found while the body is read: still answered, with the code; a
    // failed request fails the test.
    let over = {
        let mut w = variant("ok", "1.0.0", 3);
        w.resize((4 << 20) + (256 << 10), 0);
        w
    };
    let (status, body) = upload(&s, &s.admin_token, over, "big.wasm").await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "PLUGIN_TOO_LARGE", "{body}");

    let after = plugin_list(&s).await;
    assert_eq!(after["plugins"].as_array().expect("list").len(), before);
    assert!(builds_of(&after, KEY).is_empty(), "{after}");
    assert!(algorithm(&s, KEY).await.is_none());
    assert!(algorithm(&s, "hostile_panic").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_management_is_for_admins_only() {
    let s = TestServer::start().await;
    let user = s.user_token("ursula").await;
    let (status, body) = s.get_json(&user, "/api/plugins/").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    let (status, body) = upload(&s, &user, variant("ok", "1.0.0", 0), "v.wasm").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN", "{body}");
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let (status, body) = send_json(
            &s,
            method.clone(),
            &user,
            "/api/plugins/top_patent_countries/0.1.0/",
            Some(json!({"enabled": false})),
        )
        .await;
        assert_eq!(status, 403, "{method}: {body}");
        assert_eq!(body["error"]["code"], "FORBIDDEN", "{method}: {body}");
    }
    for token in ["not-a-token", ""] {
        let (status, body) = s.get_json(token, "/api/plugins/").await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
        let (status, body) = upload(&s, token, variant("ok", "1.0.0", 0), "v.wasm").await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
    }
    // Nothing changed for anyone.
    assert!(algorithm(&s, "top_patent_countries").await.is_some());
    assert!(algorithm(&s, KEY).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_plugin_is_used_pinned_disabled_limited_and_retired() {
    let s = TestServer::start().await;
    let ds = dataset(&s).await;
    let v1 = variant("ok", "1.0.0", 0);
    let v2 = variant("ok", "2.0.0", 0);

    let (status, body) = upload(&s, &s.admin_token, v1.clone(), "variant-1.wasm").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["plugin"]["key"], KEY);
    assert_eq!(body["plugin"]["version"], "1.0.0");
    assert_eq!(body["plugin"]["sha256"], sha256(&v1));
    assert_eq!(body["plugin"]["source"], "upload");
    assert_eq!(body["plugin"]["status"], "enabled");
    // The same bytes again: nothing new.
    let (status, body) = upload(&s, &s.admin_token, v1.clone(), "again.wasm").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], false);
    // Other bytes under a version that exists: refused, the first kept.
    let (status, body) = upload(&s, &s.admin_token, variant("ok", "1.0.0", 7), "x.wasm").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "PLUGIN_VERSION_EXISTS");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("bump the version")
    );

    let (status, body) = upload(&s, &s.admin_token, v2.clone(), "variant-2.wasm").await;
    assert_eq!(status, 201, "{body}");
    let algo = algorithm(&s, KEY).await.expect("listed");
    assert_eq!(algo["latest_version"], "2.0.0");
    assert_eq!(algo["versions"].as_array().map(Vec::len), Some(2));

    // Unpinned runs the newest; pinned runs what it names; the task says
    // which build ran, and the chart it drew agrees.
    for (image, sha, title) in [
        (json!({"algorithm_key": KEY}), sha256(&v2), "variant 2.0.0"),
        (
            json!({"algorithm_key": KEY, "algorithm_version": "1.0.0"}),
            sha256(&v1),
            "variant 1.0.0",
        ),
    ] {
        let (status, job) = post_chart(&s, &ds, image).await;
        assert_eq!(status, 201, "{job}");
        let done = s
            .wait_job(&s.admin_token, job["job_id"].as_str().expect("id"))
            .await;
        assert_eq!(done["status"], "SUCCESS", "{done}");
        let task = &done["image_tasks"][0];
        assert_eq!(task["plugin_sha256"], sha);
        assert_eq!(task["chart_data"]["title"], title, "{task}");
    }
    let (status, body) = post_chart(
        &s,
        &ds,
        json!({"algorithm_key": KEY, "algorithm_version": "9.9.9"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["images[0].algorithm_version"].is_string(),
        "{body}"
    );

    // Disabled: refused for new jobs, saying why; the other version serves.
    let path = format!("/api/plugins/{KEY}/2.0.0/");
    let (status, body) = patch(&s, &path, json!({"enabled": false})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "disabled");
    let (status, body) = post_chart(
        &s,
        &ds,
        json!({"algorithm_key": KEY, "algorithm_version": "2.0.0"}),
    )
    .await;
    assert_eq!(status, 422);
    let why = body["error"]["fields"]["images[0].algorithm_version"]
        .as_str()
        .unwrap_or("");
    assert!(why.contains("disabled"), "{body}");
    assert_eq!(
        algorithm(&s, KEY).await.expect("listed")["latest_version"],
        "1.0.0"
    );
    let (status, body) = patch(&s, &path, json!({"enabled": true})).await;
    assert_eq!(status, 200, "{body}");

    // Limits apply to the next run: a slow render under a short timeout.
    let (status, body) = patch(&s, &path, json!({"limits": {"timeout_ms": 50}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["limits"]["timeout_ms"], 50);
    let (_, job) = post_chart(
        &s,
        &ds,
        json!({"algorithm_key": KEY, "params": {"work": 100000}}),
    )
    .await;
    let done = s
        .wait_job(&s.admin_token, job["job_id"].as_str().expect("id"))
        .await;
    assert_eq!(
        done["image_tasks"][0]["error_code"], "PLUGIN_TIMEOUT",
        "{done}"
    );
    // 400 outside the document's bounds; 422 past this server's ceiling.
    for (bad, code, says, want) in [
        (
            json!({"limits": {"timeout_ms": 0}}),
            "INVALID_LIMITS",
            "timeout_ms",
            400,
        ),
        (
            json!({"limits": {"max_svg_bytes": 10}}),
            "INVALID_LIMITS",
            "max_svg_bytes",
            400,
        ),
        (
            json!({"limits": {"memory_bytes": 1u64 << 40}}),
            "INVALID_LIMITS",
            "memory_bytes",
            422,
        ),
        (json!({"colour": "red"}), "VALIDATION_ERROR", "colour", 400),
        (
            json!({"limits": {"timeout": 5}}),
            "VALIDATION_ERROR",
            "timeout",
            400,
        ),
    ] {
        let (status, body) = patch(&s, &path, bad.clone()).await;
        assert_eq!(status, want, "{bad}: {body}");
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{bad}: {body}"
        );
    }
    // The refused changes changed nothing.
    let (_, body) = s.get_json(&s.admin_token, &path).await;
    assert_eq!(body["limits"]["timeout_ms"], 50, "{body}");

    // Retired: gone for new jobs, kept in the list; statistics counted.
    let (status, body) = send_json(&s, reqwest::Method::DELETE, &s.admin_token, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "retired");
    let (status, _) = post_chart(
        &s,
        &ds,
        json!({"algorithm_key": KEY, "algorithm_version": "2.0.0"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, body) = patch(&s, &path, json!({"enabled": true})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "PLUGIN_RETIRED", "{body}");
    let list = plugin_list(&s).await;
    let v2_entry = builds_of(&list, KEY)
        .into_iter()
        .find(|p| p["version"] == "2.0.0")
        .expect("v2 listed")
        .clone();
    assert_eq!(v2_entry["status"], "retired");
    assert_eq!(v2_entry["runs"], 2, "{v2_entry}");
    assert_eq!(v2_entry["failures"], 1, "{v2_entry}");
    assert!(v2_entry["p50_duration_ms"].is_number(), "{v2_entry}");
    for (method, body) in [
        (reqwest::Method::GET, None),
        (reqwest::Method::PATCH, Some(json!({"enabled": false}))),
        (reqwest::Method::DELETE, None),
    ] {
        for missing in [
            "/api/plugins/nope/1.0.0/",
            &format!("/api/plugins/{KEY}/9.9.9/"),
        ] {
            let (status, answer) =
                send_json(&s, method.clone(), &s.admin_token, missing, body.clone()).await;
            assert_eq!(status, 404, "{method} {missing}: {answer}");
            assert_eq!(
                answer["error"]["code"], "NOT_FOUND",
                "{method} {missing}: {answer}"
            );
        }
    }

    // What operators decided survives a restart.
    let mut s = s;
    let server = s.server.take().expect("running");
    let dir = s.dir.path().to_path_buf();
    server.shutdown().await;
    let restarted = patchart::server::start(test_config(&dir))
        .await
        .expect("restart");
    s.base = format!("http://{}", restarted.addr());
    s.server = Some(restarted);
    let list = plugin_list(&s).await;
    let status_of = |v: &str| {
        builds_of(&list, KEY)
            .into_iter()
            .find(|p| p["version"] == v)
            .map(|p| (p["status"].clone(), p["limits"]["timeout_ms"].clone()))
    };
    assert_eq!(status_of("1.0.0"), Some((json!("enabled"), json!(5000))));
    // Retired uploads are not loaded again.
    assert_eq!(status_of("2.0.0"), None);
    assert_eq!(
        algorithm(&s, KEY).await.expect("listed")["latest_version"],
        "1.0.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_uploaded_under_load_takes_over_without_failing_a_task() {
    let s = TestServer::start_with(|c| c.limits.max_active_jobs_per_user = 1000).await;
    let ds = dataset(&s).await;
    let v1 = variant("ok", "1.0.0", 0);
    let v2 = variant("ok", "2.0.0", 0);
    let (status, body) = upload(&s, &s.admin_token, v1.clone(), "v1.wasm").await;
    assert_eq!(status, 201, "{body}");

    // Clients post jobs back to back (each render takes a few ms of work,
    // so tasks are running while the new version arrives).
    // Counts of jobs answered, and of jobs sent once the upload was done,
    // decide when to upload and when to stop (not fixed sleeps, which a
    // loaded machine could fill with a single request).
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    let stop = Arc::new(AtomicBool::new(false));
    let swapped = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let sent_after = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..3u64 {
        let http = s.http.clone();
        let url = s.url("/api/jobs/");
        let token = s.admin_token.clone();
        let ds = ds.clone();
        let (stop, swapped) = (stop.clone(), swapped.clone());
        let (answered, sent_after) = (answered.clone(), sent_after.clone());
        clients.push(tokio::spawn(async move {
            let mut posted = Vec::new();
            let mut n = 0u64;
            while !stop.load(SeqCst) {
                if swapped.load(SeqCst) {
                    sent_after.fetch_add(1, SeqCst);
                }
                let sent = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"dataset_id": ds, "images": [{"algorithm_key": KEY, "params": {"work": 20, "n": c * 100_000 + n}}]}))
                    .send()
                    .await
                    .expect("post");
                assert_eq!(r.status(), 201);
                let body: Value = r.json().await.expect("json");
                posted.push((sent, Instant::now(), body["job_id"].as_str().expect("id").to_string()));
                answered.fetch_add(1, SeqCst);
                n += 1;
            }
            posted
        }));
    }
    let until = |counter: Arc<AtomicUsize>, n: usize| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        while counter.load(SeqCst) < n {
            assert!(Instant::now() < deadline, "the clients stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    until(answered.clone(), 6).await;
    let upload_started = Instant::now();
    let (status, body) = upload(&s, &s.admin_token, v2.clone(), "v2.wasm").await;
    let upload_done = Instant::now();
    swapped.store(true, SeqCst);
    assert_eq!(status, 201, "{body}");
    until(sent_after.clone(), 6).await;
    stop.store(true, SeqCst);

    let mut before = 0;
    let mut after = 0;
    for c in clients {
        for (sent, answered, job_id) in c.await.expect("client") {
            let job = s.wait_job(&s.admin_token, &job_id).await;
            assert_eq!(job["status"], "SUCCESS", "{job}");
            let task = &job["image_tasks"][0];
            let ran = task["plugin_sha256"].as_str().expect("sha");
            let title = task["chart_data"]["title"].as_str().expect("title");
            // The recorded build is the one that drew the chart.
            if ran == sha256(&v1) {
                assert_eq!(title, "variant 1.0.0");
            } else {
                assert_eq!(ran, sha256(&v2));
                assert_eq!(title, "variant 2.0.0");
            }
            if answered < upload_started {
                assert_eq!(
                    ran,
                    sha256(&v1),
                    "a job accepted before the upload moved to the new build"
                );
                before += 1;
            } else if sent > upload_done {
                assert_eq!(
                    ran,
                    sha256(&v2),
                    "a job accepted after the upload ran the old build"
                );
                after += 1;
            }
        }
    }
    assert!(
        before > 0 && after > 0,
        "load on both sides of the swap: {before} before, {after} after"
    );
}

/// How long a change to the plugins directory may take to show. The
/// watcher reacts within a fraction of a second, so a busy machine stays
/// far inside this; the periodic rescan (every 30 s) would repair a lost
/// event only after it, so a lost event fails the test.
const PICKUP: Duration = Duration::from_secs(15);

/// Polls the algorithm list until `check` holds, failing after [`PICKUP`].
async fn picked_up(s: &TestServer, what: &str, check: impl Fn(Option<&Value>) -> bool) {
    let deadline = Instant::now() + PICKUP;
    loop {
        let algo = algorithm(s, KEY).await;
        if check(algo.as_ref()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} not picked up within {PICKUP:?}: {algo:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write plugin file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_directory_is_watched() {
    let s = TestServer::start().await;
    let dir = s.dir.path().join("plugins");
    let v1 = variant("ok", "1.0.0", 1);
    let v2 = variant("ok", "2.0.0", 1);
    // Compiled once beforehand, so the wait is for the watcher alone.
    for w in [&v1, &v2] {
        patchart_suite::runtime().load(w, None).expect("loads");
    }

    write(&dir, "variant.wasm", &v1);
    picked_up(&s, "a dropped-in plugin", |a| {
        a.is_some_and(|a| a["latest_version"] == "1.0.0")
    })
    .await;

    write(&dir, "variant.wasm", &v2);
    picked_up(&s, "a replaced plugin", |a| {
        a.is_some_and(|a| {
            a["latest_version"] == "2.0.0" && a["versions"].as_array().map(Vec::len) == Some(1)
        })
    })
    .await;

    // A broken file is reported, and takes nothing down.
    write(&dir, "broken.wasm", b"not a component");
    let deadline = Instant::now() + PICKUP;
    loop {
        let list = plugin_list(&s).await;
        let errors = list["directory_errors"].as_array().expect("errors").clone();
        if let Some(e) = errors.iter().find(|e| {
            e["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("broken.wasm"))
        }) {
            assert!(
                e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("not WebAssembly"),
                "{e}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "broken file not reported: {list}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        algorithm(&s, KEY).await.expect("still there")["latest_version"],
        "2.0.0"
    );

    std::fs::remove_file(dir.join("variant.wasm")).expect("remove");
    picked_up(&s, "a removed plugin", |a| a.is_none()).await;
    let list = plugin_list(&s).await;
    let builds = builds_of(&list, KEY);
    assert_eq!(builds.len(), 2, "{list}");
    assert!(
        builds
            .iter()
            .all(|b| b["status"] == "retired" && b["source"] == "directory"),
        "{list}"
    );
}
