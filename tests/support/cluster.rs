//! Several `patchart serve` processes on one PostgreSQL database, each
//! with a data dir of its own, for the multi-node tests and benchmarks.

use std::process::Child;
use std::time::{Duration, Instant};

use patchart::store::{ScratchDatabase, Store};
use serde_json::{Value, json};

use crate::integrity::Integrity;

/// The PostgreSQL server the multi-node tests use, or `None` after a
/// [`crate::skip`] when `PATCHART_TEST_DATABASE_URL` is not set.
pub fn database_server() -> Option<String> {
    match std::env::var("PATCHART_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            crate::skip("PATCHART_TEST_DATABASE_URL is not set (several nodes need PostgreSQL)");
            None
        }
    }
}

/// A scratch database on the server of `admin_url`, with an admin and
/// its token.
pub async fn scratch_with_admin(admin_url: &str) -> (ScratchDatabase, String) {
    let scratch = ScratchDatabase::create(admin_url)
        .await
        .expect("a scratch database");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(Some(&scratch.url), dir.path())
        .await
        .expect("store on the scratch database");
    let admin = store.ensure_user("admin", true).await.expect("admin");
    let token = store.create_token(&admin).await.expect("token");
    (scratch, token)
}

/// [`scratch_with_admin`] on [`database_server`].
pub async fn cluster_database() -> Option<(ScratchDatabase, String)> {
    let url = database_server()?;
    Some(scratch_with_admin(&url).await)
}

/// One node: a server process on its own data dir and port.
pub struct Node {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    _dir: tempfile::TempDir,
}

/// A short lease, so the tasks of a killed node run again soon.
pub const LEASE_SECS: &str = "6";

impl Node {
    /// A node with `workers` image workers (0: API only) and `extra` flags.
    pub fn start(database_url: &str, workers: usize, extra: &[&str]) -> Node {
        let dir = tempfile::tempdir().expect("tempdir");
        let workers = workers.to_string();
        let mut args = vec![
            "--lease-secs",
            LEASE_SECS,
            "--workers",
            &workers,
            "--database-url",
            database_url,
        ];
        args.extend_from_slice(extra);
        // PATCHART_TEST_NODE_LOGS=<dir> keeps each node's warnings there,
        // for a failure to be read after the fact.
        let log = std::env::var_os("PATCHART_TEST_NODE_LOGS")
            .map(|d| std::path::PathBuf::from(d).join(format!("node-{}.log", next_log_name())));
        let p = crate::process::serve_logged(
            dir.path(),
            &args,
            log.as_deref().map(|path| ("warn", path)),
        );
        Node {
            child: p.child,
            base: p.base,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http://", "ws://", 1))
    }

    /// `kill -9`: no graceful stop, no lease given back.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    pub fn probe<'a>(
        &'a self,
        http: &'a reqwest::Client,
        token: &'a str,
        job_id: &'a str,
    ) -> Integrity<'a> {
        Integrity {
            http,
            base: &self.base,
            token,
            job_id,
        }
    }

    /// A JSON request; the status and the JSON answer (`null` if none).
    pub async fn send(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} on {}: {e}", self.base));
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, http: &reqwest::Client, token: &str, path: &str) -> (u16, Value) {
        self.send(http, reqwest::Method::GET, token, path, None)
            .await
    }

    /// Uploads a plugin component; 201 is asserted.
    pub async fn upload_plugin(&self, token: &str, wasm: Vec<u8>) -> Value {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(wasm).file_name("plugin.wasm"),
        );
        let r = reqwest::Client::new()
            .post(self.url("/api/plugins/"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("POST /api/plugins/");
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("a JSON answer");
        assert_eq!(status, 201, "upload on {}: {body}", self.base);
        body
    }

    /// Uploads the standard export with one small chart and returns the
    /// dataset id, for JSON job posts.
    pub async fn dataset(&self, http: &reqwest::Client, token: &str) -> String {
        let images = json!([{"algorithm_key": "top_patent_countries", "output_format": "svg"}]);
        let form = reqwest::multipart::Form::new()
            .text("source_type", "espacenet_excel")
            .part(
                "source_data",
                reqwest::multipart::Part::bytes(crate::workbook::standard_export())
                    .file_name("Filters.xlsx"),
            )
            .text("images", images.to_string());
        let r = http
            .post(self.url("/api/jobs/"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("POST /api/jobs/");
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("job JSON");
        assert_eq!(status, 201, "{body}");
        body["dataset_id"].as_str().expect("dataset_id").to_string()
    }

    /// Posts a job of `images` on `dataset`; returns the job id.
    pub async fn post_images(
        &self,
        http: &reqwest::Client,
        token: &str,
        dataset: &str,
        images: Value,
    ) -> String {
        let (status, job) = self
            .send(
                http,
                reqwest::Method::POST,
                token,
                "/api/jobs/",
                Some(json!({"dataset_id": dataset, "images": images})),
            )
            .await;
        assert_eq!(status, 201, "{job}");
        job["job_id"].as_str().expect("job id").to_string()
    }

    /// A value of this node's Prometheus metric `name` (with its labels,
    /// as exposed: `name{a="b"}`), summed over matching lines.
    pub async fn metric(&self, http: &reqwest::Client, name: &str) -> f64 {
        let text = http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

fn next_log_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 10 ms until it gives a value; panics naming
/// `what` after `within`. Returns the value and how long it took.
pub async fn wait_for<T>(
    within: Duration,
    what: &str,
    check: impl AsyncFn() -> Option<T>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return (v, start.elapsed());
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
