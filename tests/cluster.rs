//! Several `patchart serve` processes sharing one PostgreSQL database,
//! each with a data dir of its own: work posted to one node is run by the
//! others, events stream in order from any node, every node serves every
//! artifact, and one idempotency key names one job however many nodes it
//! is sent to at once.
//!
//! Needs `PATCHART_TEST_DATABASE_URL` (a PostgreSQL server whose user may
//! create databases); without it every test here skips with a message.

use std::time::Duration;

use futures_util::StreamExt;
use patchart_suite::cluster::{Node, cluster_database};
use patchart_suite::workbook::standard_export;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn post_job(
    http: &reqwest::Client,
    node: &Node,
    token: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let images = json!([
        {"algorithm_key": "top_patent_countries", "params": {"top_n": 5}, "output_format": "both"},
        {"algorithm_key": "patent_evolution", "output_format": "png"},
        {"algorithm_key": "top_patent_applicants", "output_format": "svg"},
    ]);
    let mut form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(standard_export()).file_name("Filters.xlsx"),
        )
        .text("images", images.to_string());
    if let Some(k) = key {
        form = form.text("idempotency_key", k.to_string());
    }
    let r = http
        .post(format!("{}/api/jobs/", node.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("POST /api/jobs/");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Every event of the job's stream from `node`, until the server closes
/// it after the job's end (`close_when_complete`).
async fn stream(node: &Node, token: &str, job: &str, after: i64) -> Vec<Value> {
    let url = node.ws(&format!(
        "/ws/jobs/{job}/?token={token}&after={after}&close_when_complete=true"
    ));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    let mut out = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("an event or the close within 60 s");
        match next {
            Some(Ok(Message::Text(t))) => out.push(serde_json::from_str(&t).expect("event JSON")),
            Some(Ok(Message::Close(_))) | None => return out,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("ws error: {e}"),
        }
    }
}

async fn get(http: &reqwest::Client, node: &Node, token: &str, path: &str) -> reqwest::Response {
    http.get(node.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_posted_to_an_api_only_node_runs_on_the_others_and_streams_from_any_node() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let api_only = Node::start(&scratch.url, 0, &[]);
    let worker_a = Node::start(&scratch.url, 1, &[]);
    let worker_b = Node::start(&scratch.url, 1, &[]);
    // Writes nothing itself: its stream can only be woken by the others.
    let watcher = Node::start(&scratch.url, 0, &[]);
    let http = reqwest::Client::new();

    let (status, created) = post_job(&http, &api_only, &token, None).await;
    assert_eq!(status, 201, "{created}");
    let job = created["job_id"].as_str().expect("job id").to_string();

    // Streamed from a node that neither took the upload nor (it has no
    // workers) ran anything: every event, in order, then the close.
    let events = stream(&watcher, &token, &job, 0).await;
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["event_id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    let terminal: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "job_status_changed" && e["payload"]["status"] == "SUCCESS")
        .collect();
    assert_eq!(terminal.len(), 1, "one terminal event: {events:?}");
    assert_eq!(
        events.last(),
        Some(terminal[0]),
        "the stream ends with the job"
    );

    let detail: Value = get(&http, &api_only, &token, &format!("/api/jobs/{job}/"))
        .await
        .json()
        .await
        .expect("job JSON");
    assert_eq!(detail["status"], "SUCCESS", "{detail}");
    let tasks = detail["image_tasks"].as_array().expect("tasks").clone();
    assert_eq!(tasks.len(), 3);
    for t in &tasks {
        let done: Vec<&Value> = events
            .iter()
            .filter(|e| e["task_id"] == t["id"] && e["event_type"] == "DONE")
            .collect();
        assert_eq!(
            done.len(),
            1,
            "exactly one DONE for {}: {events:?}",
            t["id"]
        );
        assert_eq!(t["attempts"], 1, "run once: {t}");
    }

    // Replay after any event is exactly the rest, from any node.
    let mid = ids[ids.len() / 2];
    let replay = stream(&api_only, &token, &job, mid).await;
    assert_eq!(replay, events[ids.len() / 2 + 1..].to_vec());

    // The API-only node never rendered anything, yet serves every artifact
    // and the ZIP; the bytes are the same from every node.
    for t in &tasks {
        for (field, kind) in [("png_url", "image/png"), ("svg_url", "image/svg+xml")] {
            let Some(url) = t[field].as_str() else {
                continue;
            };
            let mut bodies = Vec::new();
            for node in [&api_only, &watcher, &worker_a, &worker_b] {
                let r = get(&http, node, &token, url).await;
                assert_eq!(r.status(), 200, "{url} from {}", node.base);
                let ct = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                assert!(ct.starts_with(kind), "{ct}");
                bodies.push(r.bytes().await.expect("body").to_vec());
            }
            assert!(!bodies[0].is_empty());
            assert!(
                bodies.iter().all(|b| *b == bodies[0]),
                "{url} differs between nodes"
            );
        }
    }
    let zip = get(
        &http,
        &api_only,
        &token,
        &format!("/api/jobs/{job}/download/"),
    )
    .await;
    assert_eq!(zip.status(), 200);
    let zip = zip.bytes().await.expect("zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).expect("a zip");
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.expect("a file name").to_string())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".png")).count(),
        2,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".svg")).count(),
        2,
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_to_three_nodes_at_once_makes_one_job() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let nodes = [
        Node::start(&scratch.url, 0, &[]),
        Node::start(&scratch.url, 0, &[]),
        Node::start(&scratch.url, 1, &[]),
    ];
    let http = reqwest::Client::new();
    let answers = futures_util::future::join_all((0..100).map(|i| {
        let (http, node, token) = (http.clone(), &nodes[i % 3], token.clone());
        async move { post_job(&http, node, &token, Some("one-key")).await }
    }))
    .await;
    let mut ids: Vec<String> = Vec::new();
    let mut created = 0;
    for (status, body) in &answers {
        assert!(matches!(status, 200 | 201), "{status}: {body}");
        created += usize::from(*status == 201);
        ids.push(body["job_id"].as_str().expect("job id").to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one job for one key: {ids:?}");
    assert_eq!(created, 1, "exactly one answer says it was created");
    let list: Value = get(&http, &nodes[1], &token, "/api/jobs/?page_size=50")
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(list["count"], 1, "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_tasks_claimed_by_three_nodes_of_two_workers_each_run_exactly_once() {
    const JOBS: usize = 40;
    const PER_JOB: usize = 50;
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let nodes = [
        Node::start(&scratch.url, 2, &["--max-active-jobs", "100"]),
        Node::start(&scratch.url, 2, &["--max-active-jobs", "100"]),
        Node::start(&scratch.url, 2, &["--max-active-jobs", "100"]),
    ];
    let http = reqwest::Client::new();
    nodes[0]
        .upload_plugin(&token, patchart_suite::variant("ok", "1.0.0", 6))
        .await;
    let dataset = nodes[1].dataset(&http, &token).await;
    let jobs: Vec<String> = futures_util::future::join_all((0..JOBS).map(|j| {
        let (http, node, token, dataset) = (&http, &nodes[j % 3], &token, &dataset);
        // Params differ per task, so every one runs the plugin instead of
        // being served from the result cache.
        let images = Value::Array(
            (0..PER_JOB)
                .map(|i| json!({"algorithm_key": "variant_probe", "params": {"n": j * PER_JOB + i}, "output_format": "svg"}))
                .collect(),
        );
        async move { node.post_images(http, token, dataset, images).await }
    }))
    .await;

    let mut claim_times = std::collections::HashSet::new();
    for (j, job) in jobs.iter().enumerate() {
        let done = nodes[(j + 1) % 3]
            .probe(&http, &token, job)
            .assert_intact(None, patchart_suite::integrity::Expect::ALL_SUCCEEDED)
            .await;
        let mut last_task_end = String::new();
        for t in done["image_tasks"].as_array().expect("tasks") {
            assert_eq!(t["attempts"], 1, "claimed once: {t}");
            assert_eq!(t["cache_hit"], false, "{t}");
            claim_times.insert(t["started_at"].as_str().expect("start").to_string());
            last_task_end = last_task_end.max(t["finished_at"].as_str().expect("end").to_string());
        }
        // The job ends with its last task, in that task's transaction, not
        // seconds later when a periodic sweep notices.
        let ms = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .expect("a timestamp")
                .timestamp_millis()
        };
        let ended = done["finished_at"].as_str().expect("job end");
        assert!(
            ms(ended) - ms(&last_task_end) < 1000,
            "job {job} ended at {ended}, its last task at {last_task_end}"
        );
    }
    // Tasks of a millisecond are claimed several at a time, all stamped
    // with their claim's time (413 times for 2,000 tasks in one run); one
    // claim per task would stamp most with their own.
    patchart_suite::note(format!(
        "{} claim times for {} tasks",
        claim_times.len(),
        JOBS * PER_JOB
    ));
    assert!(
        claim_times.len() < JOBS * PER_JOB / 2,
        "fast tasks claimed in batches: {} claim times for {} tasks",
        claim_times.len(),
        JOBS * PER_JOB
    );
    // Each node counts the plugin runs it did: together exactly one per
    // task, and every node took a share.
    let mut runs = Vec::new();
    for node in &nodes {
        runs.push(
            node.metric(
                &http,
                r#"patchart_plugin_duration_seconds_count{algorithm="variant_probe"}"#,
            )
            .await,
        );
    }
    patchart_suite::note(format!("plugin runs per node: {runs:?}"));
    assert_eq!(
        runs.iter().sum::<f64>(),
        (JOBS * PER_JOB) as f64,
        "{runs:?}"
    );
    assert!(
        runs.iter().all(|r| *r > 0.0),
        "every node ran some: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_chart_cancelled_on_one_node_stops_its_plugin_on_another() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let api_only = Node::start(&scratch.url, 0, &[]);
    let worker = Node::start(&scratch.url, 1, &[]);
    let http = reqwest::Client::new();
    // The registry test plugin spins `params.work` million times; its
    // deadline is far past what the test waits, so only the cancel can
    // free the worker.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(patchart_suite::plugin_wasm("hostile_variant"))
            .file_name("spin.wasm"),
    );
    let r = http
        .post(format!("{}/api/plugins/", api_only.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201);
    let r = http
        .patch(format!(
            "{}/api/plugins/variant_probe/1.0.0/",
            api_only.base
        ))
        .bearer_auth(&token)
        .json(&json!({"limits": {"timeout_ms": 180_000}}))
        .send()
        .await
        .expect("limits");
    assert_eq!(r.status(), 200);
    let images = json!([
        {"algorithm_key": "variant_probe", "params": {"work": 1_000_000_000_000u64}},
        {"algorithm_key": "top_patent_countries", "params": {}},
    ]);
    let form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(standard_export()).file_name("Filters.xlsx"),
        )
        .text("images", images.to_string());
    let created: Value = http
        .post(format!("{}/api/jobs/", api_only.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("job")
        .json()
        .await
        .expect("json");
    let job = created["job_id"].as_str().expect("job id").to_string();
    let spinning = created["image_tasks"][0]["id"]
        .as_str()
        .expect("task id")
        .to_string();
    let task_url = format!("/api/image-tasks/{spinning}/");
    let mut running = false;
    for _ in 0..600 {
        let t: Value = get(&http, &api_only, &token, &task_url)
            .await
            .json()
            .await
            .expect("task");
        if t["status"] == "RUNNING" {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(running, "the spinning chart started on the worker node");

    let cancelled_at = std::time::Instant::now();
    let r = http
        .post(format!("{}{task_url}cancel/", api_only.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 200);
    // The worker node hears of it and its one worker draws the other chart.
    let events = stream(&worker, &token, &job, 0).await;
    let end = events.last().expect("events");
    assert_eq!(end["event_type"], "job_status_changed", "{events:?}");
    assert_eq!(end["payload"]["status"], "PARTIAL_SUCCESS", "{events:?}");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(60),
        "the cancelled plugin kept the worker for {:?}",
        cancelled_at.elapsed()
    );
    let detail: Value = get(&http, &worker, &token, &format!("/api/jobs/{job}/"))
        .await
        .json()
        .await
        .expect("job");
    assert_eq!(detail["image_tasks"][0]["status"], "CANCELLED", "{detail}");
    assert_eq!(detail["image_tasks"][1]["status"], "SUCCESS", "{detail}");
}
