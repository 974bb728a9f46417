//! The job platform over real HTTP and WebSocket clients against a real
//! server on an ephemeral port.

use std::collections::HashSet;

use patchart_suite::server::TestServer;
use patchart_suite::workbook::{facet, full_export, query_sheet, xlsx};
use serde_json::{Value, json};

async fn all_algorithms(s: &TestServer) -> Vec<String> {
    let (status, algos) = s.get_json(&s.admin_token, "/api/algorithms/").await;
    assert_eq!(status, 200);
    algos
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["key"].as_str().expect("key").to_string())
        .collect()
}

/// The HTTP answer to a WebSocket handshake the server refused, as
/// (status, JSON body). Anything else (an upgrade, a failure without an
/// HTTP answer) fails the test.
async fn refused_handshake(s: &TestServer, path: &str) -> (u16, Value) {
    use tokio_tungstenite::tungstenite::Error;
    match tokio_tungstenite::connect_async(s.ws_url(path)).await {
        Err(Error::Http(r)) => {
            let body = r.body().as_deref().unwrap_or_default();
            let body = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!("not a JSON body ({e}): {:?}", String::from_utf8_lossy(body))
            });
            (r.status().as_u16(), body)
        }
        Err(e) => panic!("{path}: the handshake failed without an HTTP answer: {e}"),
        Ok(_) => panic!("{path}: the handshake was accepted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_built_in_chart_succeeds_with_ordered_events_and_downloads() {
    let s = TestServer::start().await;
    // One upload's bytes, reused: the writer stamps the time into the file,
    // and the same bytes must mean the same dataset.
    let file = full_export();
    let keys = all_algorithms(&s).await;
    assert!(
        keys.contains(&"top_patent_countries".to_string()),
        "{keys:?}"
    );
    let images: Vec<Value> = keys
        .iter()
        .map(|k| json!({"algorithm_key": k, "params": {}, "output_format": "both"}))
        .collect();
    let (status, created) = s
        .post_job(
            &s.admin_token,
            file.clone(),
            &json!(images),
            Some("all-1"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let job_id = created["job_id"].as_str().expect("job_id").to_string();

    let events = s.events(&s.admin_token, &job_id, None, 10_000).await;
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["event_id"].as_i64().expect("event_id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "events in order: {ids:?}"
    );
    let last = events.last().expect("events");
    assert_eq!(last["event_type"], "job_status_changed");
    assert_eq!(last["payload"]["status"], "SUCCESS", "{events:#?}");
    let done = events.iter().filter(|e| e["event_type"] == "DONE").count();
    assert_eq!(done, keys.len(), "one DONE per chart");
    assert!(
        events
            .iter()
            .all(|e| e["trace_id"].is_string() && e["message"].is_string())
    );

    let (_, job) = s
        .get_json(&s.admin_token, &format!("/api/jobs/{job_id}/"))
        .await;
    assert_eq!(job["status"], "SUCCESS");
    assert_eq!(job["progress_total"], 100);
    assert!(job["dataset"]["facets"].as_array().expect("facets").len() >= 13);
    for t in job["image_tasks"].as_array().expect("tasks") {
        assert_eq!(t["status"], "SUCCESS", "{t}");
        assert!(t["chart_data"]["schema_version"] == 1, "{t}");
        assert!(t["algorithm_version"].is_string() && t["plugin_sha256"].is_string());
        let png = s
            .get(&s.admin_token, t["png_url"].as_str().expect("png_url"))
            .await;
        assert_eq!(png.status(), 200);
        assert_eq!(png.headers()["content-type"], "image/png");
        assert!(
            png.headers()["cache-control"]
                .to_str()
                .expect("cc")
                .contains("immutable")
        );
        assert_eq!(&png.bytes().await.expect("png")[..8], b"\x89PNG\r\n\x1a\n");
        let svg = s
            .get(&s.admin_token, t["svg_url"].as_str().expect("svg_url"))
            .await;
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert!(svg.text().await.expect("svg").contains("<svg"));
    }

    let zip = s
        .get(&s.admin_token, &format!("/api/jobs/{job_id}/download/"))
        .await;
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let bytes = zip.bytes().await.expect("zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("valid zip");
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect();
    assert!(names.iter().any(|n| n == "job.json"));
    assert_eq!(
        names.iter().filter(|n| n.ends_with("chart.png")).count(),
        keys.len()
    );

    // The same charts again: served from the result cache.
    let (status, again) = s
        .post_job(&s.admin_token, file, &json!(images), Some("all-2"), None)
        .await;
    assert_eq!(status, 201);
    let job2 = s
        .wait_job(&s.admin_token, again["job_id"].as_str().expect("id"))
        .await;
    assert_eq!(job2["status"], "SUCCESS");
    assert!(
        job2["image_tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .all(|t| t["cache_hit"] == true)
    );
    assert_eq!(
        job2["dataset"]["id"], job["dataset"]["id"],
        "same upload, one dataset"
    );
}

/// An export with only the countries facet: enough for the country
/// chart, missing what the others need.
fn countries_only_export() -> Vec<u8> {
    xlsx(&[
        query_sheet("3 results found for x"),
        facet(
            "Countries (family)",
            "Countries (family)",
            &[("CN", 3.0), ("US", 1.0)],
        ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chart_missing_its_facet_makes_the_job_partial_success() {
    let s = TestServer::start().await;
    let file = countries_only_export();
    let images = json!([
        {"algorithm_key": "top_patent_countries", "params": {"top_n": 5}},
        {"algorithm_key": "patent_evolution", "params": {}},
    ]);
    let (status, created) = s.post_job(&s.admin_token, file, &images, None, None).await;
    assert_eq!(status, 201, "{created}");
    let job = s
        .wait_job(&s.admin_token, created["job_id"].as_str().expect("id"))
        .await;
    assert_eq!(job["status"], "PARTIAL_SUCCESS", "{job}");
    let tasks = job["image_tasks"].as_array().expect("tasks");
    assert_eq!(tasks[0]["status"], "SUCCESS");
    assert_eq!(tasks[1]["status"], "FAILED");
    assert_eq!(tasks[1]["error_code"], "PLUGIN_MISSING_DATA");
    assert!(
        tasks[1]["error_message"]
            .as_str()
            .expect("msg")
            .contains("publication_years")
    );
    assert!(tasks[1]["png_url"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_result_the_database_refuses_for_good_is_not_retried_and_the_chart_runs_again_after_its_lease()
 {
    use sqlx::{ConnectOptions, Connection};
    // A transient refusal (a dropped connection, a busy database) is
    // retried; this one (a constraint) would fail the same way every time,
    // so the worker gives up on the write, and the task runs again once
    // its lease ends. (The cluster tests restart a real PostgreSQL for the
    // transient kind.)
    const LEASE: std::time::Duration = std::time::Duration::from_secs(6);
    let s = TestServer::start_with(|c| c.workers.lease = LEASE).await;
    let mut db = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(s.dir.path().join("patchart.db"))
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
        .expect("open the server's database");
    // Every attempt to record a finished task fails with a constraint
    // error.
    sqlx::query(
        "CREATE TRIGGER refuse_results BEFORE UPDATE OF status ON image_tasks \
         WHEN NEW.status IN ('SUCCESS', 'FAILED') BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
    )
    .execute(&mut db)
    .await
    .expect("create the trigger");
    let file = countries_only_export();
    let images = json!([{"algorithm_key": "top_patent_countries", "params": {}}]);
    let (status, created) = s.post_job(&s.admin_token, file, &images, None, None).await;
    assert_eq!(status, 201, "{created}");
    let job_id = created["job_id"].as_str().expect("id").to_string();
    // The chart is drawn (its duration is observed just before the
    // result is written) and the write refused.
    let drawn = r#"patchart_plugin_duration_seconds_count{algorithm="top_patent_countries"} 1"#;
    let mut was_drawn = false;
    for _ in 0..200 {
        let metrics = s
            .get(&s.admin_token, "/metrics")
            .await
            .text()
            .await
            .expect("metrics");
        if metrics.contains(drawn) {
            was_drawn = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(was_drawn, "the chart was never drawn");
    // Long enough for several refused attempts.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, job) = s
        .get_json(&s.admin_token, &format!("/api/jobs/{job_id}/"))
        .await;
    assert_eq!(
        job["status"], "RUNNING",
        "nothing can end while writes fail: {job}"
    );
    sqlx::query("DROP TRIGGER refuse_results")
        .execute(&mut db)
        .await
        .expect("drop the trigger");
    db.close().await.expect("close");
    let dropped = std::time::Instant::now();
    let job = s.wait_job(&s.admin_token, &job_id).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let task = &job["image_tasks"][0];
    assert_eq!(task["status"], "SUCCESS", "{task}");
    assert_eq!(
        task["attempts"], 2,
        "the refused write was not retried: the chart ran again after its lease: {task}"
    );
    assert!(task["png_url"].is_string(), "{task}");
    let events = s.events(&s.admin_token, &job_id, Some(0), 1000).await;
    let done = events
        .iter()
        .filter(|e| e["event_type"] == "DONE" && e["task_id"] == task["id"])
        .count();
    assert_eq!(done, 1, "one ending event: {events:?}");
    assert!(
        dropped.elapsed() < LEASE * 3,
        "recorded {:?} after writes were accepted again",
        dropped.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_hundred_concurrent_posts_with_one_key_make_one_job() {
    let s = std::sync::Arc::new(TestServer::start().await);
    let file = full_export();
    let images = json!([{"algorithm_key": "top_patent_countries", "params": {}}]);
    let mut handles = Vec::new();
    for _ in 0..100 {
        let (s, file, images) = (s.clone(), file.clone(), images.clone());
        handles.push(tokio::spawn(async move {
            s.post_job(&s.admin_token, file, &images, Some("same-key"), None)
                .await
        }));
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    for h in handles {
        let (status, body) = h.await.expect("task");
        assert!(status == 201 || status == 200, "{status} {body}");
        if status == 201 {
            created += 1;
        }
        ids.insert(body["job_id"].as_str().expect("id").to_string());
    }
    assert_eq!(ids.len(), 1, "one job for one key");
    assert_eq!(created, 1, "exactly one 201");
    let (_, list) = s.get_json(&s.admin_token, "/api/jobs/").await;
    assert_eq!(list["count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_mid_run_leaves_every_task_terminal() {
    let s = TestServer::start_with(|c| c.workers.workers = 1).await;
    let images: Vec<Value> = (0..40)
        .map(|i| json!({"algorithm_key": "top_patent_countries", "params": {"top_n": 1 + i}}))
        .collect();
    let (_, created) = s
        .post_job(&s.admin_token, full_export(), &json!(images), None, None)
        .await;
    let job_id = created["job_id"].as_str().expect("id").to_string();
    // Wait for the first chart to finish, then cancel.
    let first = s.events(&s.admin_token, &job_id, None, 3).await;
    assert!(!first.is_empty());
    let r = s
        .http
        .post(s.url(&format!("/api/jobs/{job_id}/cancel/")))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert!(body["cancelled_tasks"].as_u64().expect("n") > 0, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, job) = s
        .get_json(&s.admin_token, &format!("/api/jobs/{job_id}/"))
        .await;
    assert_eq!(job["status"], "CANCELLED");
    for t in job["image_tasks"].as_array().expect("tasks") {
        let st = t["status"].as_str().expect("status");
        assert!(matches!(st, "SUCCESS" | "CANCELLED"), "task left {st}");
    }
    let again = s
        .http
        .post(s.url(&format!("/api/jobs/{job_id}/cancel/")))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("cancel");
    assert_eq!(again.status(), 409);
    let events = s.events(&s.admin_token, &job_id, None, 10_000).await;
    assert_eq!(
        events.last().expect("events")["payload"]["status"],
        "CANCELLED"
    );
    // One event per task the cancellation took, and one terminal status.
    let count = |kind: &str| events.iter().filter(|e| e["event_type"] == kind).count();
    assert_eq!(
        count("CANCELLED") as u64,
        body["cancelled_tasks"].as_u64().expect("n")
    );
    let terminal = events
        .iter()
        .filter(|e| {
            e["event_type"] == "job_status_changed" && e["payload"]["status"] == "CANCELLED"
        })
        .count();
    assert_eq!(terminal, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_job_interrupts_its_running_plugin_long_before_the_plugin_deadline() {
    use futures_util::StreamExt;
    use patchart_suite::integrity::{Expect, Integrity};
    use std::time::{Duration, Instant};
    // One worker, and a lease longer than the test: only the cancel can
    // free the worker.
    let s = TestServer::start_with(|c| {
        c.workers.workers = 1;
        c.workers.lease = Duration::from_secs(900);
    })
    .await;
    // The registry test plugin loops `params.work` million times before it
    // draws: 10^18 iterations is a loop no machine finishes. A deadline far
    // past what the test waits for the worker, so a worker freed sooner
    // was freed by the cancel (and a failing run still ends once the
    // deadline stops the plugin).
    s.load_spin_probe(180_000).await;
    let images =
        json!([{"algorithm_key": "variant_probe", "params": {"work": 1_000_000_000_000u64}}]);
    let (status, created) = s
        .post_job(&s.admin_token, full_export(), &images, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let job_id = created["job_id"].as_str().expect("id").to_string();
    let task_id = created["image_tasks"][0]["id"].as_str().map(str::to_string);

    // Wait for the task's START: the plugin is running.
    let url = s.ws_url(&format!("/ws/jobs/{job_id}/?token={}", s.admin_token));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("the task starts within 60 s");
        let t = match next {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => t,
            other => panic!("the socket ended before the task started: {other:?}"),
        };
        let event: Value = serde_json::from_str(&t).expect("event JSON");
        if event["entity_type"] == "image_task" && event["event_type"] == "START" {
            if let Some(id) = &task_id {
                assert_eq!(event["task_id"], id.as_str());
            }
            break;
        }
    }
    drop(ws);
    let (_, job) = s
        .get_json(&s.admin_token, &format!("/api/jobs/{job_id}/"))
        .await;
    assert_eq!(job["image_tasks"][0]["status"], "RUNNING", "{job}");

    let cancelled_at = Instant::now();
    let r = s
        .http
        .post(s.url(&format!("/api/jobs/{job_id}/cancel/")))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["cancelled_tasks"], 1, "{body}");
    let probe = Integrity {
        http: &s.http,
        base: &s.base,
        token: &s.admin_token,
        job_id: &job_id,
    };
    let job = probe
        .assert_intact(
            None,
            Expect {
                job_status: "CANCELLED",
                task_statuses: &["CANCELLED"],
            },
        )
        .await;
    let task = &job["image_tasks"][0];
    // The code a cancelled task stores (the plugin's own PLUGIN_CANCELLED
    // is never recorded over it).
    assert_eq!(task["error_code"], "CANCELLED", "{task}");

    // The task row says CANCELLED at once; that the plugin itself stopped
    // shows in the only worker drawing the next job's chart.
    let next = json!([{"algorithm_key": "top_patent_countries", "params": {}}]);
    let (status, created) = s
        .post_job(&s.admin_token, full_export(), &next, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let next_id = created["job_id"].as_str().expect("id");
    let done = s.wait_job(&s.admin_token, next_id).await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    let freed = cancelled_at.elapsed();
    eprintln!("the worker was free {freed:?} after the cancel");
    assert!(
        freed < Duration::from_secs(90),
        "the worker stayed busy {freed:?} after the cancel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reconnecting_client_gets_exactly_what_it_missed() {
    let s = TestServer::start().await;
    let images: Vec<Value> = (0..6)
        .map(|i| json!({"algorithm_key": "top_patent_countries", "params": {"top_n": 2 + i}}))
        .collect();
    let (_, created) = s
        .post_job(&s.admin_token, full_export(), &json!(images), None, None)
        .await;
    let job_id = created["job_id"].as_str().expect("id").to_string();
    let head = s.events(&s.admin_token, &job_id, None, 3).await;
    assert_eq!(head.len(), 3);
    let last_seen = head[2]["event_id"].as_i64().expect("id");
    let tail = s
        .events(&s.admin_token, &job_id, Some(last_seen), 10_000)
        .await;
    let all = s.events(&s.admin_token, &job_id, None, 10_000).await;
    let stitched: Vec<i64> = head
        .iter()
        .chain(tail.iter())
        .map(|e| e["event_id"].as_i64().expect("id"))
        .collect();
    let full: Vec<i64> = all
        .iter()
        .map(|e| e["event_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(stitched, full, "replay after reconnect is exact");
    assert_eq!(
        all.last().expect("last")["event_type"],
        "job_status_changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_only_see_their_own_things() {
    let s = TestServer::start().await;
    let alice = s.user_token("alice").await;
    let bob = s.user_token("bob").await;
    let export = full_export();
    let (status, created) = s
        .post_job(
            &alice,
            export.clone(),
            &json!([{"algorithm_key": "top_patent_countries", "params": {}}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201);
    let job_id = created["job_id"].as_str().expect("id").to_string();
    let job = s.wait_job(&alice, &job_id).await;
    let task_id = job["image_tasks"][0]["id"]
        .as_str()
        .expect("task")
        .to_string();
    for path in [
        format!("/api/jobs/{job_id}/"),
        format!("/api/jobs/{job_id}/download/"),
        format!("/api/image-tasks/{task_id}/"),
        format!("/api/image-tasks/{task_id}/png/"),
        format!("/api/image-tasks/{task_id}/svg/"),
    ] {
        let (status, body) = s.get_json(&bob, &path).await;
        assert_eq!(status, 404, "bob must not see {path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}: {body}");
        assert_eq!(
            s.get(&alice, &path).await.status(),
            200,
            "alice sees {path}"
        );
        assert_eq!(
            s.get(&s.admin_token, &path).await.status(),
            200,
            "admin sees {path}"
        );
    }
    let cancel = s
        .http
        .post(s.url(&format!("/api/jobs/{job_id}/cancel/")))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("post");
    assert_eq!(cancel.status(), 404);
    let body: Value = cancel.json().await.expect("json");
    assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");
    let (status, body) = refused_handshake(&s, &format!("/ws/jobs/{job_id}/?token={bob}")).await;
    assert_eq!(status, 404, "bob cannot open alice's event stream: {body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");
    // Alice can, on the same path.
    let events = s.events(&alice, &job_id, None, 10_000).await;
    assert_eq!(
        events.last().expect("events")["event_type"],
        "job_status_changed"
    );
    assert_eq!(s.get_json(&bob, "/api/jobs/").await.1["count"], 0);
    assert_eq!(s.get_json(&bob, "/api/image-tasks/").await.1["count"], 0);
    assert_eq!(s.get_json(&alice, "/api/jobs/").await.1["count"], 1);
    // Bob cannot start a job on alice's dataset either.
    let dataset_id = job["dataset"]["id"].as_str().expect("dataset");
    let r = s
        .http
        .post(s.url("/api/jobs/"))
        .bearer_auth(&bob)
        .json(&json!({"dataset_id": dataset_id, "images": [{"algorithm_key": "top_patent_countries"}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert!(body["error"]["fields"]["dataset_id"].is_string(), "{body}");
    // Uploading the same bytes shares the stored dataset (not parsed
    // again), and only then may bob chart it by id.
    let (status, bobs) = s
        .post_job(
            &bob,
            export,
            &json!([{"algorithm_key": "top_patent_inventors"}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 201, "{bobs}");
    assert_eq!(bobs["dataset_id"], job["dataset"]["id"]);
    let bobs_job = s.wait_job(&bob, bobs["job_id"].as_str().expect("id")).await;
    assert_eq!(bobs_job["status"], "SUCCESS", "{bobs_job}");
    assert!(
        bobs_job["dataset"]["facets"]
            .as_array()
            .is_some_and(|f| f.len() >= 13),
        "{bobs_job}"
    );
    let r = s
        .http
        .post(s.url("/api/jobs/"))
        .bearer_auth(&bob)
        .json(&json!({"dataset_id": dataset_id, "images": [{"algorithm_key": "top_patent_countries"}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    assert_eq!(s.get_json(&alice, "/api/jobs/").await.1["count"], 1);
    // Without a token: 401.
    let anon = s.http.get(s.url("/api/jobs/")).send().await.expect("get");
    assert_eq!(anon.status(), 401);
    let body: Value = anon.json().await.expect("json");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_requests_are_refused_with_field_errors_and_store_nothing() {
    let s = TestServer::start().await;
    let before = s.stored().await;
    assert_eq!(before.rows["jobs"], 0, "{before:?}");
    // 422: what the document allows but the server cannot use; 400: what
    // the document does not allow.
    let cases = [
        (
            json!([{"algorithm_key": "no_such_chart"}]),
            "images[0].algorithm_key",
            "no_such_chart",
            422,
        ),
        (
            json!([{"algorithm_key": "top_patent_countries", "params": {"top_n": 500}}]),
            "images[0].params",
            "top_n",
            422,
        ),
        (
            json!([{"algorithm_key": "top_patent_countries", "output_format": "gif"}]),
            "images[0].output_format",
            "gif",
            400,
        ),
        (
            json!([{"algorithm_key": "top_patent_countries", "output_format": "PNG"}]),
            "images[0].output_format",
            "PNG",
            400,
        ),
        (
            json!([{"algorithm_key": "top_patent_countries", "params": [1]}]),
            "images[0].params",
            "object",
            400,
        ),
        (json!([]), "images", "at least one chart", 400),
    ];
    for (images, field, says, want) in cases {
        let (status, body) = s
            .post_job(&s.admin_token, full_export(), &images, None, None)
            .await;
        assert_eq!(status, want, "{body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
        let fields = body["error"]["fields"].as_object().expect("fields");
        assert_eq!(fields.len(), 1, "only {field} is at fault: {body}");
        assert!(
            fields[field].as_str().is_some_and(|m| m.contains(says)),
            "{field} saying {says:?} in {body}"
        );
    }
    let (status, body) = s
        .post_job(
            &s.admin_token,
            full_export(),
            &json!([{"algorithm_key": "top_patent_countries"}]),
            None,
            Some(&json!({"palette": "neon"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["error"]["fields"]["visualization_config"]
            .as_str()
            .expect("msg")
            .contains("colorblind")
    );
    let (status, body) = s
        .post_job(
            &s.admin_token,
            b"not a workbook".to_vec(),
            &json!([{"algorithm_key": "top_patent_countries"}]),
            None,
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "INGEST_NOT_A_WORKBOOK");
    assert!(
        body["error"]["fields"]["source_data"]
            .as_str()
            .is_some_and(|m| m.starts_with("INGEST_NOT_A_WORKBOOK: ")),
        "{body}"
    );
    // No job, task, dataset, access grant, event or stored file.
    assert_eq!(s.stored().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_metrics_openapi_and_algorithms() {
    let s = TestServer::start().await;
    let health = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
    let (_, created) = s
        .post_job(
            &s.admin_token,
            full_export(),
            &json!([{"algorithm_key": "top_patent_countries"}]),
            None,
            None,
        )
        .await;
    s.wait_job(&s.admin_token, created["job_id"].as_str().expect("id"))
        .await;
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for needle in [
        "patchart_image_tasks",
        "status=\"SUCCESS\"",
        "patchart_queue_depth",
        "patchart_plugin_duration_seconds_bucket",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from /metrics:\n{metrics}"
        );
    }
    let (status, api) = s.get_json(&s.admin_token, "/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/jobs/",
        "/api/jobs/{id}/",
        "/api/jobs/{id}/cancel/",
        "/api/jobs/{id}/download/",
        "/api/image-tasks/",
        "/api/image-tasks/{id}/",
        "/api/description-tasks/",
        "/api/algorithms/",
        "/ws/jobs/{id}/",
        "/healthz",
        "/metrics",
    ] {
        assert!(
            api["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(api["components"]["schemas"]["ErrorBody"].is_object());
    let (_, algos) = s.get_json(&s.admin_token, "/api/algorithms/").await;
    let tpc = algos
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["key"] == "top_patent_countries")
        .expect("tpc");
    assert_eq!(tpc["defaults"]["top_n"], 15);
    assert!(tpc["params_schema"]["properties"]["top_n"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn too_many_active_jobs_per_user_is_429() {
    // An API-only node (no workers): jobs stay pending, so the limit holds.
    let s = TestServer::start_with(|c| {
        c.workers.workers = 0;
        c.limits.max_active_jobs_per_user = 2;
    })
    .await;
    let alice = s.user_token("alice").await;
    let bob = s.user_token("bob").await;
    let images = json!([{"algorithm_key": "top_patent_countries", "params": {}}]);
    let (status, first) = s
        .post_job(&alice, full_export(), &images, Some("retry-me"), None)
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        s.post_job(&alice, full_export(), &images, None, None)
            .await
            .0,
        201
    );
    let (status, body) = s.post_job(&alice, full_export(), &images, None, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "TOO_MANY_ACTIVE_JOBS");
    // At the limit, a retry of an earlier request still gets its job back.
    let (status, replay) = s
        .post_job(&alice, full_export(), &images, Some("retry-me"), None)
        .await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["job_id"], first["job_id"]);
    // The limit is per user.
    assert_eq!(
        s.post_job(&bob, full_export(), &images, None, None).await.0,
        201
    );
    // Cancelling one frees a slot.
    let id = first["job_id"].as_str().expect("id");
    let r = s
        .http
        .post(s.url(&format!("/api/jobs/{id}/cancel/")))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.post_job(&alice, full_export(), &images, None, None)
            .await
            .0,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn list_filters_validate_the_status() {
    let s = TestServer::start().await;
    let (status, body) = s.get_json(&s.admin_token, "/api/jobs/?status=DONE").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("PARTIAL_SUCCESS"),
        "{body}"
    );
    let (status, body) = s
        .get_json(&s.admin_token, "/api/image-tasks/?status=nope")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("CANCELLED"),
        "{body}"
    );
    // Spelled as the document spells it, or refused.
    assert_eq!(
        s.get_json(&s.admin_token, "/api/jobs/?status=SUCCESS")
            .await
            .0,
        200
    );
    assert_eq!(
        s.get_json(&s.admin_token, "/api/jobs/?status=success")
            .await
            .0,
        400
    );
}
