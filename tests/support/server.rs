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
    /// The PostgreSQL database of a server started with
    /// [`TestServer::on_each_backend`]; dropped after the server.
    pub scratch: Option<patchart::store::ScratchDatabase>,
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
            scratch: None,
        }
    }

    /// One server per store backend, each configured by `tweak`: SQLite,
    /// and PostgreSQL on a scratch database when
    /// `PATCHART_TEST_DATABASE_URL` names a server (otherwise that one is
    /// [`crate::skip`]ped).
    pub async fn on_each_backend(tweak: impl Fn(&mut ServerConfig)) -> Vec<TestServer> {
        let mut out = vec![Self::start_with(&tweak).await];
        match std::env::var("PATCHART_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let scratch = patchart::store::ScratchDatabase::create(&url)
                    .await
                    .expect("a scratch database on PATCHART_TEST_DATABASE_URL");
                let database_url = scratch.url.clone();
                let mut s = Self::start_with(|c| {
                    tweak(c);
                    c.database_url = Some(database_url);
                })
                .await;
                s.scratch = Some(scratch);
                out.push(s);
            }
            _ => crate::skip("PATCHART_TEST_DATABASE_URL is not set: PostgreSQL not tested"),
        }
        out
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

    /// Reads a job's events over WebSocket until the server closes it (it
    /// is asked to once the job and its descriptions have ended) or `max`
    /// events arrive.
    pub async fn events(
        &self,
        token: &str,
        job_id: &str,
        after: Option<i64>,
        max: usize,
    ) -> Vec<Value> {
        let mut url = self.ws_url(&format!(
            "/ws/jobs/{job_id}/?token={token}&close_when_complete=true"
        ));
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

    /// Loads the registry test plugin (`hostile_variant`, key
    /// `variant_probe`) with a `timeout_ms` deadline. Its render loops
    /// `params.work` million times first, so a task asking for
    /// `{"work": 1_000_000_000_000}` runs until it is cancelled (or the
    /// deadline stops it). Returns the key.
    pub async fn load_spin_probe(&self, timeout_ms: u64) -> &'static str {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(crate::plugin_wasm("hostile_variant"))
                .file_name("spin.wasm"),
        );
        let r = self
            .http
            .post(self.url("/api/plugins/"))
            .bearer_auth(&self.admin_token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 201, "upload the probe");
        let r = self
            .http
            .patch(self.url("/api/plugins/variant_probe/1.0.0/"))
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({"limits": {"timeout_ms": timeout_ms}}))
            .send()
            .await
            .expect("patch limits");
        assert_eq!(r.status(), 200, "set the probe's deadline");
        "variant_probe"
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

/// What a server has stored: the row count of every table and every file
/// under its data dir (the database's own files aside). Two snapshots are
/// equal when a request left nothing behind.
#[derive(Debug, PartialEq, Eq)]
pub struct Stored {
    pub rows: std::collections::BTreeMap<String, i64>,
    pub files: std::collections::BTreeSet<PathBuf>,
}

impl TestServer {
    pub async fn stored(&self) -> Stored {
        use sqlx::{ConnectOptions, Connection};
        let mut db = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.dir.path().join("patchart.db"))
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("open the server's database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&mut db)
        .await
        .expect("list tables");
        let mut rows = std::collections::BTreeMap::new();
        for t in tables {
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                    .fetch_one(&mut db)
                    .await
                    .expect("count rows");
            rows.insert(t, n);
        }
        db.close().await.expect("close");
        let mut files = std::collections::BTreeSet::new();
        let mut dirs = vec![self.dir.path().to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("read data dir") {
                let p = e.expect("entry").path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if p.is_dir() {
                    dirs.push(p);
                } else if !name.starts_with("patchart.db") {
                    files.insert(
                        p.strip_prefix(self.dir.path())
                            .expect("under")
                            .to_path_buf(),
                    );
                }
            }
        }
        Stored { rows, files }
    }
}

/// An HTTP answer read off the wire: status, headers (names lowercased),
/// body.
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

impl TestServer {
    /// Sends `head` (request line and headers, ending in an empty line) and
    /// `body` on a connection of its own, then reads the answer. Unlike an
    /// HTTP client it keeps reading whatever the server does with the rest
    /// of a request it declared: a server that waits for a body never sent,
    /// or closes or resets before answering, fails here (within 60 s).
    pub async fn raw(&self, head: &str, body: &[u8]) -> RawAnswer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(self.running().addr())
            .await
            .expect("connect");
        tcp.write_all(head.as_bytes()).await.expect("send the head");
        tcp.write_all(body).await.expect("send the body");
        let read = async {
            let mut buf = Vec::new();
            loop {
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let text = String::from_utf8_lossy(&buf[..end]).to_string();
                    let mut lines = text.split("\r\n");
                    let status: u16 = lines
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .and_then(|c| c.parse().ok())
                        .unwrap_or_else(|| panic!("no status line in {text:?}"));
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(n, _)| n == "content-length")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or_else(|| panic!("no content-length in {text:?}"));
                    if buf.len() >= end + 4 + len {
                        let body = buf[end + 4..end + 4 + len].to_vec();
                        return RawAnswer {
                            status,
                            headers,
                            body,
                        };
                    }
                }
                let mut chunk = [0u8; 16 << 10];
                match tcp.read(&mut chunk).await {
                    Ok(0) => panic!(
                        "the server closed the connection before answering in full: {:?}",
                        String::from_utf8_lossy(&buf)
                    ),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) => panic!(
                        "the connection failed before a full answer ({e}): {:?}",
                        String::from_utf8_lossy(&buf)
                    ),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .expect("an answer within 60 s")
    }
}
