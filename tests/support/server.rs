//! A real patchart server on an ephemeral port, with real clients.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use patchart::server::{RunningServer, ServerConfig};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub admin_token: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// Server settings for tests: compiled plugins cached under `target/`,
/// short leases and polls so recovery is quick.
pub fn test_config(dir: &std::path::Path) -> ServerConfig {
    let mut c = ServerConfig::new(dir.to_path_buf(), "127.0.0.1:0".parse().expect("addr"));
    c.runtime.cache_dir =
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-compile-cache"));
    c.workers.workers = 2;
    c.workers.lease = Duration::from_secs(6);
    c.workers.poll = Duration::from_millis(100);
    c
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let server = patchart::server::start(config)
            .await
            .expect("server starts");
        let admin = server
            .store()
            .ensure_user("admin", true)
            .await
            .expect("admin");
        let admin_token = server.store().create_token(&admin).await.expect("token");
        TestServer {
            base: format!("http://{}", server.addr()),
            server: Some(server),
            admin_token,
            http: reqwest::Client::new(),
            dir,
        }
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("server running")
    }

    /// A token for a (new) non-admin user.
    pub async fn user_token(&self, name: &str) -> String {
        let store = self.running().store();
        let u = store.ensure_user(name, false).await.expect("user");
        store.create_token(&u).await.expect("token")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{}", self.base.replacen("http://", "ws://", 1), path)
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.get(token, path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POST /api/jobs/ as multipart, like the seed's example.
    pub async fn post_job(
        &self,
        token: &str,
        file: Vec<u8>,
        images: &Value,
        key: Option<&str>,
        config: Option<&Value>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new()
            .text("source_type", "espacenet_excel")
            .part(
                "source_data",
                reqwest::multipart::Part::bytes(file).file_name("Filters.xlsx"),
            )
            .text("images", images.to_string());
        if let Some(k) = key {
            form = form.text("idempotency_key", k.to_string());
        }
        if let Some(c) = config {
            form = form.text("visualization_config", c.to_string());
        }
        let r = self
            .http
            .post(self.url("/api/jobs/"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("POST /api/jobs/");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Reads a job's events over WebSocket until the socket closes (after
    /// the terminal event) or `max` events arrive.
    pub async fn events(
        &self,
        token: &str,
        job_id: &str,
        after: Option<i64>,
        max: usize,
    ) -> Vec<Value> {
        let mut url = self.ws_url(&format!("/ws/jobs/{job_id}/?token={token}"));
        if let Some(a) = after {
            url.push_str(&format!("&after={a}"));
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        let mut out = Vec::new();
        while out.len() < max {
            let next = tokio::time::timeout(Duration::from_secs(60), ws.next())
                .await
                .expect("event within 60 s");
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

    /// Polls the job until it is terminal.
    pub async fn wait_job(&self, token: &str, job_id: &str) -> Value {
        for _ in 0..600 {
            let (_, job) = self.get_json(token, &format!("/api/jobs/{job_id}/")).await;
            let status = job["status"].as_str().unwrap_or("");
            if !matches!(status, "PENDING" | "RUNNING") {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {job_id} did not finish within 60 s");
    }
}
