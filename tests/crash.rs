//! The server as a process: `kill -9` mid-job and SIGTERM mid-job. After a
//! restart on the same data dir the job completes, every task ends in
//! exactly one terminal state, and no result is lost.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use patchart_suite::workbook::full_export;
use serde_json::{Value, json};

/// The `patchart` binary cargo built for this test run (next to the test
/// executable's `deps/` directory).
fn patchart_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("patchart"))
        .expect("target dir");
    assert!(
        bin.is_file(),
        "{} not built; run the suite with `cargo test --workspace`",
        bin.display()
    );
    bin
}

struct Served {
    child: Child,
    base: String,
    token: Option<String>,
}

fn serve(data_dir: &std::path::Path) -> Served {
    serve_with(data_dir, &[])
}

fn serve_with(data_dir: &std::path::Path, extra: &[&str]) -> Served {
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-compile-cache");
    let mut child = Command::new(patchart_bin())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--lease-secs",
            "6",
            "--data-dir",
        ])
        .arg(data_dir)
        .arg("--cache-dir")
        .arg(cache)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn patchart serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    let mut token = None;
    let mut next_is_token = false;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if next_is_token {
            token = Some(line.trim().to_string());
            next_is_token = false;
        } else if let Some(rest) = line.strip_prefix("patchart listening on ") {
            base = rest.split_whitespace().next().map(str::to_string);
        } else if line.contains("its token") {
            next_is_token = true;
        } else if line.starts_with("ready:") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Served {
        child,
        base: base.expect("listening line"),
        token,
    }
}

async fn submit(client: &reqwest::Client, s: &Served, token: &str, key: &str) -> String {
    let charts = [
        "patent_forecast",
        "cpc_treemap",
        "top_patent_applicants",
        "patent_trends_cumulative",
    ];
    let images: Vec<Value> = (0..48)
        .map(|i| json!({"algorithm_key": charts[i % charts.len()], "params": {}, "output_format": "png"}))
        .collect();
    let form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(full_export()).file_name("f.xlsx"),
        )
        .text("images", Value::from(images).to_string())
        .text("idempotency_key", key.to_string());
    let created: Value = client
        .post(format!("{}/api/jobs/", s.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    created["job_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string()
}

/// Polls until some, but not all, tasks have finished.
async fn wait_partly_done(client: &reqwest::Client, s: &Served, token: &str, id: &str) -> Value {
    let mut job_now = Value::Null;
    for _ in 0..400 {
        job_now = job(client, s, token, id).await;
        let done = job_now["image_tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .filter(|t| t["status"] == "SUCCESS")
            .count();
        if done >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job_now
}

/// Polls until the job is terminal; asserts every task succeeded with its
/// artifact.
async fn assert_completes(client: &reqwest::Client, s: &Served, token: &str, id: &str) {
    let mut after = Value::Null;
    for _ in 0..600 {
        after = job(client, s, token, id).await;
        if !matches!(after["status"].as_str(), Some("PENDING" | "RUNNING")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after["status"], "SUCCESS", "{after}");
    let tasks = after["image_tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 48);
    for t in tasks {
        assert_eq!(t["status"], "SUCCESS", "{t}");
        assert!(t["png_url"].is_string(), "artifact kept: {t}");
    }
}

async fn job(client: &reqwest::Client, s: &Served, token: &str, id: &str) -> Value {
    client
        .get(format!("{}/api/jobs/{id}/", s.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("get job")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_kill_9_and_completes_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = serve(dir.path());
    let token = first
        .token
        .clone()
        .expect("a fresh data dir prints the admin token");
    let client = reqwest::Client::new();
    let id = submit(&client, &first, &token, "crash-1").await;
    let before = wait_partly_done(&client, &first, &token, &id).await;
    first.child.kill().expect("kill -9");
    first.child.wait().expect("reap");
    assert_eq!(
        before["status"], "RUNNING",
        "killed mid-job: {}",
        before["status"]
    );

    let mut second = serve(dir.path());
    assert!(
        second.token.is_none(),
        "an existing data dir creates no new admin"
    );
    assert_completes(&client, &second, &token, &id).await;
    second.child.kill().expect("stop");
    let _ = second.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully_and_the_job_finishes_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = serve(dir.path());
    let token = first.token.clone().expect("admin token");
    let client = reqwest::Client::new();
    let id = submit(&client, &first, &token, "term-1").await;
    let before = wait_partly_done(&client, &first, &token, &id).await;
    assert_eq!(before["status"], "RUNNING");
    let pid = first.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = first.child.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = exited.expect("the server exits within 15 s of SIGTERM");
    assert!(status.success(), "graceful exit: {status}");

    // Leases were given back at shutdown: the restarted server does not
    // wait for them to expire (6 s) before running the rest.
    let started = std::time::Instant::now();
    let mut second = serve(dir.path());
    assert_completes(&client, &second, &token, &id).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    second.child.kill().expect("stop");
    let _ = second.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused_with_413() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = serve_with(dir.path(), &["--max-upload-mb", "1"]);
    let token = s.token.clone().expect("admin token");
    let big = vec![b'x'; 3 << 20];
    let form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(big).file_name("big.xlsx"),
        )
        .text("images", r#"[{"algorithm_key":"top_patent_countries"}]"#);
    let r = reqwest::Client::new()
        .post(format!("{}/api/jobs/", s.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), 413),
        // The server may close the connection before reading the whole
        // body; that too is a refusal.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    s.child.kill().expect("stop");
    let _ = s.child.wait();
}
