//! `kill -9` of a server mid-job: after a restart on the same data dir the
//! job completes, every task ends in exactly one terminal state, and no
//! result is lost.

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
        .text("idempotency_key", "crash-1");
    let created: Value = client
        .post(format!("{}/api/jobs/", first.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let id = created["job_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();

    // Kill as soon as some, but not all, tasks have finished.
    let mut before = Value::Null;
    for _ in 0..400 {
        before = job(&client, &first, &token, &id).await;
        let done = before["image_tasks"]
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
    let mut after = Value::Null;
    for _ in 0..600 {
        after = job(&client, &second, &token, &id).await;
        if !matches!(after["status"].as_str(), Some("PENDING" | "RUNNING")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.child.kill().expect("stop");
    let _ = second.child.wait();
    assert_eq!(after["status"], "SUCCESS", "{after}");
    let tasks = after["image_tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 48);
    for t in tasks {
        assert_eq!(t["status"], "SUCCESS", "{t}");
        assert!(t["png_url"].is_string(), "artifact kept: {t}");
    }
}
