//! Crashes and faults: the server as a process killed with `kill -9` or
//! stopped with SIGTERM mid-job, oversize uploads, a disk that fails to
//! store charts, a build gone by the time its task runs, a chart too large
//! to rasterize. After each, every task ends in exactly one terminal state,
//! with its stable code, and nothing finished is lost or done twice.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use patchart_suite::integrity::{Expect, Integrity};
use patchart_suite::plugin_wasm;
use patchart_suite::server::{TestServer, test_config};
use patchart_suite::workbook::{full_export, standard_export};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Served {
    child: Child,
    base: String,
    token: Option<String>,
}

impl Served {
    fn probe<'a>(
        &'a self,
        http: &'a reqwest::Client,
        token: &'a str,
        id: &'a str,
    ) -> Integrity<'a> {
        Integrity {
            http,
            base: &self.base,
            token,
            job_id: id,
        }
    }
}

/// A crashed server's tasks run again once their lease expires: short, so
/// recovery is quick.
const SHORT_LEASE: &str = "6";

fn serve(data_dir: &Path, lease_secs: &str, extra: &[&str]) -> Served {
    let mut args = vec!["--workers", "1", "--lease-secs", lease_secs];
    args.extend_from_slice(extra);
    let p = patchart_suite::process::serve(data_dir, &args);
    Served {
        child: p.child,
        base: p.base,
        token: p.token,
    }
}

const TASKS: usize = 48;

/// A job of 48 charts in every output format.
async fn submit(client: &reqwest::Client, s: &Served, token: &str, key: &str) -> String {
    let charts = [
        "patent_forecast",
        "cpc_treemap",
        "top_patent_applicants",
        "patent_trends_cumulative",
    ];
    let formats = ["png", "svg", "both"];
    let images: Vec<Value> = (0..TASKS)
        .map(|i| {
            json!({
                "algorithm_key": charts[i % charts.len()],
                "params": {},
                "output_format": formats[i % formats.len()],
            })
        })
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

fn count(job: &Value, status: &str) -> usize {
    job["image_tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["status"] == status)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_kill_9_and_completes_after_restart_with_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = serve(dir.path(), SHORT_LEASE, &[]);
    let token = first
        .token
        .clone()
        .expect("a fresh data dir prints the admin token");
    let client = reqwest::Client::new();
    let id = submit(&client, &first, &token, "crash-1").await;
    let before = first.probe(&client, &token, &id).wait_partly_done().await;
    first.child.kill().expect("kill -9");
    first.child.wait().expect("reap");

    let mut second = serve(dir.path(), SHORT_LEASE, &[]);
    assert!(
        second.token.is_none(),
        "an existing data dir creates no new admin"
    );
    let job = second
        .probe(&client, &token, &id)
        .assert_intact(Some(&before), Expect::ALL_SUCCEEDED)
        .await;
    assert_eq!(count(&job, "SUCCESS"), TASKS);
    second.child.kill().expect("stop");
    let _ = second.child.wait();
}

/// Tasks of the server's database that are running or still leased.
async fn leased_tasks(data_dir: &Path) -> i64 {
    use sqlx::{ConnectOptions, Connection};
    let mut db = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join("patchart.db"))
        .connect()
        .await
        .expect("open the stopped server's database");
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM image_tasks WHERE status = 'RUNNING' OR lease_owner IS NOT NULL",
    )
    .fetch_one(&mut db)
    .await
    .expect("count leased tasks");
    db.close().await.expect("close");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_gives_leases_back_and_the_job_finishes_after_restart() {
    // Leases far longer than this test waits: after the restart, only a
    // task whose lease was given back at shutdown can run again.
    const LONG_LEASE: &str = "600";
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = serve(dir.path(), LONG_LEASE, &[]);
    let token = first.token.clone().expect("admin token");
    let client = reqwest::Client::new();
    let id = submit(&client, &first, &token, "term-1").await;
    let before = first.probe(&client, &token, &id).wait_partly_done().await;
    // The one worker claims its next task in the transaction that records
    // the last: mid-job, a task is always leased.
    assert_eq!(
        count(&before.job, "RUNNING"),
        1,
        "a task is leased: {}",
        before.job
    );
    let pid = first.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let mut exited = None;
    for _ in 0..600 {
        if let Some(status) = first.child.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = exited.expect("the server exits within 30 s of SIGTERM");
    assert!(status.success(), "graceful exit: {status}");
    assert_eq!(
        leased_tasks(dir.path()).await,
        0,
        "a graceful stop leaves no task running or leased"
    );

    let mut second = serve(dir.path(), LONG_LEASE, &[]);
    let job = second
        .probe(&client, &token, &id)
        .assert_intact(Some(&before), Expect::ALL_SUCCEEDED)
        .await;
    assert_eq!(count(&job, "SUCCESS"), TASKS);
    second.child.kill().expect("stop");
    let _ = second.child.wait();
}

/// Sends a multipart job whose file is `file_len` bytes, the whole body
/// with an honest `Content-Length`, over a raw connection; reads the
/// server's answer even while the body is still being written (a client
/// that stops at the first failed write would report a reset instead).
/// Returns the status and the JSON body.
async fn post_raw_upload(base: &str, token: &str, file_len: usize) -> (u16, Value) {
    let addr = base.strip_prefix("http://").expect("http base");
    let boundary = "patchart-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"source_type\"\r\n\r\nespacenet_excel\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"images\"\r\n\r\n\
         [{{\"algorithm_key\":\"top_patent_countries\"}}]\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"source_data\"; filename=\"big.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let request = format!(
        "POST /api/jobs/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        head.len() + file_len + tail.len()
    );
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        let chunk = vec![b'x'; 64 << 10];
        let mut sent = 0;
        let _ = async {
            writer.write_all(request.as_bytes()).await?;
            writer.write_all(head.as_bytes()).await?;
            while sent < file_len {
                let n = chunk.len().min(file_len - sent);
                writer.write_all(&chunk[..n]).await?;
                sent += n;
            }
            writer.write_all(tail.as_bytes()).await
        }
        .await;
        // Held open until the answer is read: a client that half-closes
        // its side ends the exchange for the server before it answers.
        std::future::pending::<()>().await;
        drop(writer);
    });
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if response_complete(&answer) {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .expect("the server answers within 30 s");
    sending.abort();
    let text = String::from_utf8_lossy(&answer).into_owned();
    if let Err(e) = read {
        assert!(
            response_complete(&answer),
            "the connection failed ({e}) before a whole answer arrived: {text:?}"
        );
    }
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer, the connection closed: {text:?}"));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, json)
}

/// Whether `raw` holds a whole HTTP/1.1 response with a `Content-Length`.
fn response_complete(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .is_some_and(|len| body.len() >= len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused_with_413_upload_too_large_and_the_server_serves_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = serve(dir.path(), SHORT_LEASE, &["--max-upload-mb", "1"]);
    let token = s.token.clone().expect("admin token");
    for file_len in [3 << 20, (1 << 20) + (256 << 10)] {
        let (status, body) = post_raw_upload(&s.base, &token, file_len).await;
        assert_eq!(status, 413, "{file_len} bytes: {body}");
        assert_eq!(body["error"]["code"], "UPLOAD_TOO_LARGE", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("1 MiB")),
            "names the limit: {body}"
        );
        assert!(
            s.child.try_wait().expect("wait").is_none(),
            "the server died"
        );
    }
    // Still serving, and an upload within the limit still works.
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(standard_export()).file_name("ok.xlsx"),
        )
        .text("images", r#"[{"algorithm_key":"top_patent_countries"}]"#);
    let ok = client
        .post(format!("{}/api/jobs/", s.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("post within the limit");
    assert_eq!(ok.status(), 201);
    s.child.kill().expect("stop");
    let _ = s.child.wait();
}

fn probe<'a>(s: &'a TestServer, id: &'a str) -> Integrity<'a> {
    Integrity {
        http: &s.http,
        base: &s.base,
        token: &s.admin_token,
        job_id: id,
    }
}

/// The image-task events of type `kind` among `events`.
fn of_kind<'e>(events: &'e [Value], kind: &str) -> Vec<&'e Value> {
    events
        .iter()
        .filter(|e| e["entity_type"] == "image_task" && e["event_type"] == kind)
        .collect()
}

async fn one_chart_job(s: &TestServer) -> String {
    let images = json!([{"algorithm_key": "top_patent_countries", "output_format": "both"}]);
    let (status, created) = s
        .post_job(&s.admin_token, standard_export(), &images, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    created["job_id"].as_str().expect("job_id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_whose_files_could_not_be_stored_is_retried_and_succeeds() {
    let faults = Arc::new(AtomicU32::new(1));
    let s = TestServer::start_with(|c| {
        c.workers.workers = 1;
        c.workers.max_attempts = 3;
        c.workers.artifact_write_faults = faults.clone();
    })
    .await;
    let id = one_chart_job(&s).await;
    let p = probe(&s, &id);
    let job = p.assert_intact(None, Expect::ALL_SUCCEEDED).await;
    assert_eq!(faults.load(Ordering::Relaxed), 0, "the fault was hit");
    let task = &job["image_tasks"][0];
    assert_eq!(task["attempts"], 2, "drawn again after the fault: {task}");
    assert!(task["error_code"].is_null(), "{task}");
    let events = p.events().await;
    let retries: Vec<&Value> = of_kind(&events, "PROGRESS")
        .into_iter()
        .filter(|e| e["payload"]["retry"] == true)
        .collect();
    assert_eq!(retries.len(), 1, "one retry announced: {retries:?}");
    assert_eq!(retries[0]["payload"]["attempt"], 1);
    assert_eq!(of_kind(&events, "START").len(), 2, "claimed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_whose_files_can_never_be_stored_fails_after_max_attempts() {
    let faults = Arc::new(AtomicU32::new(100));
    let s = TestServer::start_with(|c| {
        c.workers.workers = 1;
        c.workers.max_attempts = 3;
        c.workers.artifact_write_faults = faults.clone();
    })
    .await;
    let id = one_chart_job(&s).await;
    let p = probe(&s, &id);
    let job = p
        .assert_intact(
            None,
            Expect {
                job_status: "FAILED",
                task_statuses: &["FAILED"],
            },
        )
        .await;
    assert_eq!(
        faults.load(Ordering::Relaxed),
        97,
        "drawn exactly max_attempts times"
    );
    let task = &job["image_tasks"][0];
    assert_eq!(task["attempts"], 3, "{task}");
    assert_eq!(task["error_code"], "INTERNAL", "{task}");
    assert!(
        task["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("storing the chart's files failed")),
        "{task}"
    );
    assert!(task["png_url"].is_null() && task["png_sha256"].is_null());
    let events = p.events().await;
    let retries = of_kind(&events, "PROGRESS")
        .into_iter()
        .filter(|e| e["payload"]["retry"] == true)
        .count();
    assert_eq!(retries, 2, "two retries, then the end");
    assert_eq!(of_kind(&events, "START").len(), 3);
    let error = of_kind(&events, "ERROR");
    assert_eq!(error.len(), 1);
    assert_eq!(error[0]["payload"]["error_code"], "INTERNAL");
}

async fn upload_plugin(http: &reqwest::Client, base: &str, token: &str, wasm: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(wasm).file_name("plugin.wasm"),
    );
    let r = http
        .post(format!("{base}/api/plugins/"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert!(status == 201 || status == 200, "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_pinned_to_a_build_no_longer_loaded_fails_with_plugin_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let http = reqwest::Client::new();
    // An API-only node: the job is accepted, and its task pinned to the
    // uploaded build, but nothing runs it yet.
    let mut config = test_config(dir.path());
    config.workers.workers = 0;
    let first = patchart::server::start(config).await.expect("start");
    let admin = first
        .store()
        .ensure_user("admin", true)
        .await
        .expect("admin");
    let token = first.store().create_token(&admin).await.expect("token");
    let base = format!("http://{}", first.addr());
    let wasm = plugin_wasm("hostile_variant");
    upload_plugin(&http, &base, &token, wasm.clone()).await;
    let form = reqwest::multipart::Form::new()
        .text("source_type", "espacenet_excel")
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(standard_export()).file_name("f.xlsx"),
        )
        .text("images", r#"[{"algorithm_key":"variant_probe"}]"#);
    let created: Value = http
        .post(format!("{base}/api/jobs/"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("post job")
        .json()
        .await
        .expect("json");
    let id = created["job_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let p = Integrity {
        http: &http,
        base: &base,
        token: &token,
        job_id: &id,
    };
    let task = p.job().await["image_tasks"][0].clone();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&wasm))
    };
    assert_eq!(task["plugin_sha256"], sha.as_str(), "pinned at creation");
    assert_eq!(task["status"], "PENDING");
    let retired = http
        .delete(format!("{base}/api/plugins/variant_probe/1.0.0/"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("retire");
    assert_eq!(retired.status(), 200);
    first.shutdown().await;

    // A retired upload is not loaded again at start.
    let second = patchart::server::start(test_config(dir.path()))
        .await
        .expect("restart");
    let base = format!("http://{}", second.addr());
    let p = Integrity {
        http: &http,
        base: &base,
        token: &token,
        job_id: &id,
    };
    let job = p
        .assert_intact(
            None,
            Expect {
                job_status: "FAILED",
                task_statuses: &["FAILED"],
            },
        )
        .await;
    let task = &job["image_tasks"][0];
    assert_eq!(task["error_code"], "PLUGIN_NOT_FOUND", "{task}");
    assert!(
        task["error_message"]
            .as_str()
            .is_some_and(|m| m.contains(&sha)),
        "names the build: {task}"
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_too_large_to_rasterize_fails_with_render_failed() {
    let s = TestServer::start_with(|c| c.workers.workers = 1).await;
    upload_plugin(
        &s.http,
        &s.base,
        &s.admin_token,
        plugin_wasm("hostile_giant_canvas"),
    )
    .await;
    let images = json!([
        {"algorithm_key": "hostile_giant_canvas", "params": {"giant": true}, "output_format": "png"},
        {"algorithm_key": "hostile_giant_canvas", "params": {"giant": true}, "output_format": "svg"},
    ]);
    let (status, created) = s
        .post_job(&s.admin_token, standard_export(), &images, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job_id"].as_str().expect("job_id");
    let job = probe(&s, id)
        .assert_intact(
            None,
            Expect {
                job_status: "PARTIAL_SUCCESS",
                task_statuses: &["SUCCESS", "FAILED"],
            },
        )
        .await;
    let png = &job["image_tasks"][0];
    assert_eq!(png["status"], "FAILED", "{png}");
    assert_eq!(png["error_code"], "RENDER_FAILED", "{png}");
    assert!(
        png["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("20000x20000")),
        "{png}"
    );
    // The same SVG without rasterizing is a chart.
    let svg = &job["image_tasks"][1];
    assert_eq!(svg["status"], "SUCCESS", "{svg}");
}
