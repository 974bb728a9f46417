//! "Nothing lost, nothing doubled": what must hold of a job after any
//! fault (a killed process, a stopped node, a failing disk), checked
//! through the public API alone, so it works against any node that serves
//! the job: a base URL, a token and the job's id.
//!
//! Take a [`Snapshot`] before the fault and pass it to
//! [`Integrity::assert_intact`] after: tasks that had already finished
//! must keep their result (same artifact hashes, same attempts).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;

/// A job as one node's API shows it.
pub struct Integrity<'a> {
    pub http: &'a reqwest::Client,
    /// `http://host:port`, without a trailing slash.
    pub base: &'a str,
    pub token: &'a str,
    pub job_id: &'a str,
}

/// The job and its finished tasks at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub job: Value,
    /// Tasks that had ended in SUCCESS, by id.
    pub finished: BTreeMap<String, Value>,
}

/// What the job is expected to end as.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'e> {
    pub job_status: &'e str,
    /// Statuses every task may end in.
    pub task_statuses: &'e [&'e str],
}

impl Expect<'static> {
    /// Every task succeeded, and so did the job.
    pub const ALL_SUCCEEDED: Expect<'static> = Expect {
        job_status: "SUCCESS",
        task_statuses: &["SUCCESS"],
    };
}

const TERMINAL_JOB: [&str; 4] = ["SUCCESS", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"];

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn tasks_of(job: &Value) -> &Vec<Value> {
    job["image_tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("a job lists its image_tasks: {job}"))
}

fn id_of(task: &Value) -> String {
    task["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a task has an id: {task}"))
        .to_string()
}

impl Integrity<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /api/jobs/<id>/`.
    pub async fn job(&self) -> Value {
        let r = self
            .http
            .get(self.url(&format!("/api/jobs/{}/", self.job_id)))
            .bearer_auth(self.token)
            .send()
            .await
            .expect("GET the job");
        assert_eq!(r.status(), 200, "GET the job");
        r.json().await.expect("job JSON")
    }

    /// The job now, with the tasks that have finished.
    pub async fn snapshot(&self) -> Snapshot {
        let job = self.job().await;
        let finished = tasks_of(&job)
            .iter()
            .filter(|t| t["status"] == "SUCCESS")
            .map(|t| (id_of(t), t.clone()))
            .collect();
        Snapshot { job, finished }
    }

    /// Polls until the job is terminal; panics with its state after
    /// `within`.
    pub async fn wait_terminal(&self, within: Duration) -> Value {
        let until = Instant::now() + within;
        loop {
            let job = self.job().await;
            if TERMINAL_JOB.contains(&job["status"].as_str().unwrap_or("")) {
                return job;
            }
            assert!(
                Instant::now() < until,
                "job {} not terminal within {within:?}: {job}",
                self.job_id
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until some (at least two), but not all, of the job's tasks
    /// have finished, and returns that state: the fault that follows
    /// lands mid-job, with results to lose. Fails if the job ends first
    /// or nothing finishes within two minutes.
    pub async fn wait_partly_done(&self) -> Snapshot {
        let until = Instant::now() + Duration::from_secs(120);
        loop {
            let now = self.snapshot().await;
            let status = now.job["status"].as_str().unwrap_or("").to_string();
            assert!(
                matches!(status.as_str(), "PENDING" | "RUNNING"),
                "the job ended before the fault could land mid-job: {}",
                now.job
            );
            if now.finished.len() >= 2 {
                assert_eq!(status, "RUNNING", "{}", now.job);
                assert!(
                    now.finished.len() < tasks_of(&now.job).len(),
                    "everything finished already: {}",
                    now.job
                );
                return now;
            }
            assert!(
                Instant::now() < until,
                "no two tasks finished within 2 minutes: {}",
                now.job
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The job's whole event log, replayed over its WebSocket from the
    /// start (`after=0`) until the server closes it after the terminal
    /// event (`close_when_complete`).
    pub async fn events(&self) -> Vec<Value> {
        let url = format!(
            "{}/ws/jobs/{}/?token={}&after=0&close_when_complete=true",
            self.base.replacen("http://", "ws://", 1),
            self.job_id,
            self.token
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        let mut out = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), ws.next())
                .await
                .expect("the replay of an ended job closes within 60 s");
            match next {
                Some(Ok(Message::Text(t))) => {
                    out.push(serde_json::from_str(&t).expect("event JSON"))
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("ws error: {e}"),
            }
        }
        out
    }

    /// Downloads `path` and returns its bytes.
    async fn download(&self, path: &str) -> Vec<u8> {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(r.status(), 200, "GET {path}");
        r.bytes().await.expect("artifact body").to_vec()
    }

    /// Waits for the job to end, then asserts nothing was lost and nothing
    /// doubled:
    ///
    /// - the job ended as `expect.job_status`, every task in one of
    ///   `expect.task_statuses`;
    /// - every artifact a succeeded task's `output_format` asks for is
    ///   served, and its bytes hash to what the task reports;
    /// - every task finished in `before` kept its hashes and attempts;
    /// - the event log holds exactly one ending event per task (DONE for a
    ///   success) and exactly one terminal `job_status_changed`, naming the
    ///   job's status; no event id appears twice.
    ///
    /// Returns the final job.
    pub async fn assert_intact(&self, before: Option<&Snapshot>, expect: Expect<'_>) -> Value {
        let job = self.wait_terminal(Duration::from_secs(180)).await;
        assert_eq!(job["status"], expect.job_status, "job status: {job}");
        let tasks = tasks_of(&job);
        assert!(!tasks.is_empty(), "a job has tasks: {job}");

        for t in tasks {
            let status = t["status"].as_str().unwrap_or("");
            assert!(
                expect.task_statuses.contains(&status),
                "task ended {status}, expected one of {:?}: {t}",
                expect.task_statuses
            );
            if status != "SUCCESS" {
                continue;
            }
            let format = t["output_format"].as_str().unwrap_or("");
            let (png, svg) = match format {
                "png" => (true, false),
                "svg" => (false, true),
                "both" => (true, true),
                other => panic!("unknown output_format {other:?}: {t}"),
            };
            for (wanted, kind, magic) in [(png, "png", &b"\x89PNG"[..]), (svg, "svg", &b"<svg"[..])]
            {
                if !wanted {
                    continue;
                }
                let sha = t[format!("{kind}_sha256")]
                    .as_str()
                    .unwrap_or_else(|| panic!("a {format} task reports {kind}_sha256: {t}"));
                let url = t[format!("{kind}_url")]
                    .as_str()
                    .unwrap_or_else(|| panic!("a {format} task serves its {kind}: {t}"));
                let bytes = self.download(url).await;
                assert!(
                    bytes.windows(magic.len()).take(64).any(|w| w == magic),
                    "{url} is not a {kind}"
                );
                assert_eq!(
                    sha256_hex(&bytes),
                    sha,
                    "{url} serves other bytes than the task's {kind}_sha256"
                );
            }
        }

        if let Some(before) = before {
            let now: BTreeMap<String, &Value> = tasks.iter().map(|t| (id_of(t), t)).collect();
            for (id, then) in &before.finished {
                let after = now
                    .get(id)
                    .unwrap_or_else(|| panic!("task {id} finished before the fault and is gone"));
                for field in [
                    "status",
                    "png_sha256",
                    "svg_sha256",
                    "attempts",
                    "finished_at",
                ] {
                    assert_eq!(
                        after[field], then[field],
                        "task {id} finished before the fault; its {field} changed after it"
                    );
                }
            }
        }

        let events = self.events().await;
        let mut ids: Vec<i64> = events
            .iter()
            .map(|e| e["event_id"].as_i64().expect("event_id"))
            .collect();
        let replayed = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), replayed, "an event was replayed twice");

        let terminal: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["event_type"] == "job_status_changed"
                    && TERMINAL_JOB.contains(&e["payload"]["status"].as_str().unwrap_or(""))
            })
            .collect();
        assert_eq!(
            terminal.len(),
            1,
            "exactly one terminal job_status_changed: {terminal:?}"
        );
        assert_eq!(terminal[0]["payload"]["status"], job["status"]);

        for t in tasks {
            let id = id_of(t);
            let ends: Vec<&str> = events
                .iter()
                .filter(|e| e["entity_type"] == "image_task" && e["task_id"] == id.as_str())
                .filter_map(|e| e["event_type"].as_str())
                .filter(|k| matches!(*k, "DONE" | "ERROR" | "ALGORITHM_ERROR" | "CANCELLED"))
                .collect();
            let expected: &[&str] = match t["status"].as_str().unwrap_or("") {
                "SUCCESS" => &["DONE"],
                "FAILED" => &["ERROR", "ALGORITHM_ERROR"],
                "CANCELLED" => &["CANCELLED"],
                other => panic!("task {id} is not terminal: {other}"),
            };
            assert!(
                ends.len() == 1 && expected.contains(&ends[0]),
                "task {id} ended {} and has ending events {ends:?}",
                t["status"]
            );
        }
        job
    }
}
