//! Faults in a cluster of nodes sharing one PostgreSQL database: a node
//! killed mid-task, the database restarted mid-job, a job cancelled on a
//! node other than the one running it. After each, nothing finished is
//! lost and nothing runs twice (the checks of `support/integrity.rs`).
//!
//! Needs `PATCHART_TEST_DATABASE_URL`; the restart test also needs the
//! installed PostgreSQL's `initdb` and `pg_ctl`. Without them the tests
//! skip with a message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use patchart_suite::cluster::{Node, cluster_database, scratch_with_admin, wait_for};
use patchart_suite::integrity::Expect;
use patchart_suite::variant;
use serde_json::{Value, json};

/// Million-iteration units of busy work per task (`hostile_variant`):
/// long enough that a fault lands while tasks run, short enough that a
/// job of [`TASKS`] ends in seconds.
const WORK: u64 = 150;
const TASKS: usize = 24;

/// [`TASKS`] variant charts in every output format, each with its own
/// params (so none is served from the result cache).
fn busy_images(work: u64) -> Value {
    let formats = ["png", "svg", "both"];
    Value::Array(
        (0..TASKS)
            .map(|i| {
                json!({
                    "algorithm_key": "variant_probe",
                    "params": {"work": work, "n": i},
                    "output_format": formats[i % formats.len()],
                })
            })
            .collect(),
    )
}

fn task<'a>(job: &'a Value, id: &str) -> &'a Value {
    job["image_tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("task {id} in {job}"))
}

/// The ids of the image tasks `GET /api/nodes/` says `node_id` is running.
async fn running_on(
    http: &reqwest::Client,
    asked: &Node,
    token: &str,
    node_id: &str,
) -> Option<Vec<String>> {
    let (status, nodes) = asked.get(http, token, "/api/nodes/").await;
    assert_eq!(status, 200, "{nodes}");
    let node = nodes["results"]
        .as_array()?
        .iter()
        .find(|n| n["id"] == node_id)?;
    Some(
        node["running"]
            .as_array()?
            .iter()
            .filter(|t| t["kind"] == "image")
            .filter_map(|t| t["id"].as_str().map(str::to_string))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_killed_mid_task_leaves_its_tasks_to_another_with_nothing_lost_or_doubled() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let mut doomed = Node::start(&scratch.url, 2, &["--node-id", "doomed"]);
    let survivor = Node::start(&scratch.url, 2, &["--node-id", "survivor"]);
    let http = reqwest::Client::new();
    doomed
        .upload_plugin(&token, variant("ok", "1.0.0", 1))
        .await;
    let dataset = survivor.dataset(&http, &token).await;
    let job = survivor
        .post_images(&http, &token, &dataset, busy_images(WORK))
        .await;
    let probe = survivor.probe(&http, &token, &job);
    let before = probe.wait_partly_done().await;

    // What the doomed node holds when it dies must run again elsewhere.
    let (held, _) = wait_for(
        Duration::from_secs(30),
        "the doomed node running a task",
        async || {
            running_on(&http, &survivor, &token, "doomed")
                .await
                .filter(|held| !held.is_empty())
        },
    )
    .await;
    doomed.kill9();

    let done = probe
        .assert_intact(Some(&before), Expect::ALL_SUCCEEDED)
        .await;
    let attempts: Vec<i64> = held
        .iter()
        .map(|id| task(&done, id)["attempts"].as_i64().expect("attempts"))
        .collect();
    // A held task may have been recorded in the instant before the kill;
    // not all of them (each takes a good part of a second).
    assert!(
        attempts.contains(&2),
        "a task the killed node held ran again: {attempts:?}"
    );
    for t in done["image_tasks"].as_array().expect("tasks") {
        assert!(t["attempts"].as_i64() <= Some(2), "{t}");
    }

    // Its heartbeat stopped: it drops out of the node list.
    wait_for(
        Duration::from_secs(20),
        "the killed node delisted",
        async || {
            let (_, nodes) = survivor.get(&http, &token, "/api/nodes/").await;
            let ids: Vec<&str> = nodes["results"]
                .as_array()?
                .iter()
                .filter_map(|n| n["id"].as_str())
                .collect();
            (ids == ["survivor"]).then_some(())
        },
    )
    .await;
}

/// A PostgreSQL server of the test's own, in a temporary directory,
/// stopped (immediately) when dropped.
struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl OwnPostgres {
    /// `None` (after a skip) when the PostgreSQL server programs are not
    /// installed.
    fn start() -> Option<OwnPostgres> {
        let Some(bin) = postgres_bin() else {
            patchart_suite::skip("no PostgreSQL server programs (initdb, pg_ctl) installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = OwnPostgres {
            bin,
            data,
            port,
            _dir: dir,
        };
        if is_root() {
            // initdb and postgres refuse to run as root.
            let owner = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(pg._dir.path())
                .status()
                .expect("chown");
            assert!(owner.success(), "chown the server's directory to postgres");
        }
        pg.run(
            "initdb",
            &["-A", "trust", "-U", "postgres", "--no-sync", "-D"],
            true,
        );
        pg.ctl(&["start"]);
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self._dir.path().display()
        );
        let log = self._dir.path().join("server.log");
        let mut args: Vec<&str> = action.to_vec();
        let log = log.to_string_lossy().into_owned();
        args.extend(["-w", "-m", "fast", "-o", &options, "-l", &log, "-D"]);
        self.run("pg_ctl", &args, true);
    }

    /// Runs `program args <data dir>`, as the `postgres` user when root.
    fn run(&self, program: &str, args: &[&str], data_last: bool) {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        if data_last {
            cmd.arg(&self.data);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest `/usr/lib/postgresql/<major>/bin` holding `initdb`.
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            Path::new(&bin.join("initdb"))
                .is_file()
                .then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_restarted_mid_job_nodes_reconnect_and_the_job_finishes_with_nothing_lost() {
    if std::env::var("PATCHART_TEST_DATABASE_URL").is_err() {
        patchart_suite::skip(
            "PATCHART_TEST_DATABASE_URL is not set (several nodes need PostgreSQL)",
        );
        return;
    }
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let (scratch, token) = scratch_with_admin(&pg.url()).await;
    let a = Node::start(&scratch.url, 2, &[]);
    let b = Node::start(&scratch.url, 2, &[]);
    let http = reqwest::Client::new();
    a.upload_plugin(&token, variant("ok", "1.0.0", 2)).await;
    let dataset = b.dataset(&http, &token).await;
    let job = a
        .post_images(&http, &token, &dataset, busy_images(WORK))
        .await;
    let probe = b.probe(&http, &token, &job);
    let before = probe.wait_partly_done().await;

    pg.ctl(&["stop"]);
    // Without its database a node is not healthy, and says so.
    let health = http.get(a.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 503);
    let body: Value = health.json().await.expect("error JSON");
    assert_eq!(body["error"]["code"], "UNAVAILABLE", "{body}");
    // Long enough for running tasks to end while it is down: their
    // results wait for it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.ctl(&["start"]);

    let started = Instant::now();
    probe
        .assert_intact(Some(&before), Expect::ALL_SUCCEEDED)
        .await;
    patchart_suite::note(format!(
        "job finished {:?} after the database came back",
        started.elapsed()
    ));
    for node in [&a, &b] {
        let health = http
            .get(node.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status(), 200, "{} healthy again", node.base);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_cancelled_on_one_node_stops_the_plugin_spinning_on_another_within_500_ms() {
    let Some((scratch, token)) = cluster_database().await else {
        return;
    };
    let api = Node::start(&scratch.url, 0, &[]);
    let worker = Node::start(&scratch.url, 1, &[]);
    let http = reqwest::Client::new();
    api.upload_plugin(&token, variant("ok", "1.0.0", 3)).await;
    let dataset = api.dataset(&http, &token).await;
    // Far more work than the test will wait for: only a cancel ends it.
    let job = api
        .post_images(
            &http,
            &token,
            &dataset,
            json!([{"algorithm_key": "variant_probe", "params": {"work": 1_000_000_000_000u64}, "output_format": "svg"}]),
        )
        .await;
    wait_for(
        Duration::from_secs(60),
        "the plugin running on the worker",
        async || (worker.metric(&http, "patchart_node_running_tasks").await >= 1.0).then_some(()),
    )
    .await;

    let (status, body) = api
        .send(
            &http,
            reqwest::Method::POST,
            &token,
            &format!("/api/jobs/{job}/cancel/"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, stopped_in) = wait_for(Duration::from_secs(10), "the plugin stopped", async || {
        (worker.metric(&http, "patchart_node_running_tasks").await == 0.0).then_some(())
    })
    .await;
    patchart_suite::note(format!(
        "the plugin on the other node stopped {stopped_in:?} after the cancel"
    ));
    assert!(
        stopped_in < Duration::from_millis(500),
        "stopped {stopped_in:?} after the cancel"
    );
    let (_, detail) = worker
        .get(&http, &token, &format!("/api/jobs/{job}/"))
        .await;
    assert_eq!(detail["status"], "CANCELLED", "{detail}");
    assert_eq!(detail["image_tasks"][0]["status"], "CANCELLED", "{detail}");
}
