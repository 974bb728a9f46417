//! Built-in charts cannot be destroyed: an admin cannot retire one, a
//! disabled one comes back when re-enabled (across restarts too), a data
//! dir in which an older server recorded one as retired gets it back, and a
//! directory file standing in for one gives it back when removed.

use std::path::Path;
use std::time::{Duration, Instant};

use patchart::server::RunningServer;
use patchart_suite::plugin_wasm;
use patchart_suite::server::test_config;
use patchart_suite::workbook::standard_export;
use serde_json::{Value, json};

const KEY: &str = "top_patent_countries";

/// One server on `dir`, with an admin token; stopped and started again on
/// the same dir by [`Node::restart`].
struct Node {
    server: Option<RunningServer>,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Node {
    async fn start(dir: &Path, token: Option<String>) -> Node {
        let server = patchart::server::start(test_config(dir))
            .await
            .expect("server starts");
        let token = match token {
            Some(t) => t,
            None => {
                let admin = server
                    .store()
                    .ensure_user("admin", true)
                    .await
                    .expect("admin");
                server.store().create_token(&admin).await.expect("token")
            }
        };
        Node {
            base: format!("http://{}", server.addr()),
            server: Some(server),
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn restart(mut self, dir: &Path) -> Node {
        self.stop().await;
        Node::start(dir, Some(self.token.clone())).await
    }

    async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The version of the built-in `KEY` this binary carries.
    async fn builtin_version(&self) -> String {
        let (status, list) = self.send(reqwest::Method::GET, "/api/plugins/", None).await;
        assert_eq!(status, 200, "{list}");
        let builds = list["plugins"]
            .as_array()
            .or_else(|| list.as_array())
            .unwrap_or_else(|| panic!("a list of builds: {list}"))
            .clone();
        builds
            .iter()
            .find(|b| b["key"] == KEY && b["source"] == "builtin")
            .and_then(|b| b["version"].as_str())
            .unwrap_or_else(|| panic!("{KEY} is built in: {list}"))
            .to_string()
    }

    async fn build(&self, version: &str) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::GET,
                &format!("/api/plugins/{KEY}/{version}/"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn listed(&self) -> bool {
        let (status, list) = self
            .send(reqwest::Method::GET, "/api/algorithms/", None)
            .await;
        assert_eq!(status, 200, "{list}");
        list.to_string().contains(&format!("\"{KEY}\""))
    }

    async fn set_enabled(&self, version: &str, enabled: bool) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::PATCH,
                &format!("/api/plugins/{KEY}/{version}/"),
                Some(json!({ "enabled": enabled })),
            )
            .await;
        assert_eq!(status, 200, "PATCH enabled={enabled}: {body}");
        body
    }

    /// Runs a one-chart job of `KEY` and returns the finished job.
    async fn chart(&self) -> Value {
        let form = reqwest::multipart::Form::new()
            .text("source_type", "espacenet_excel")
            .part(
                "source_data",
                reqwest::multipart::Part::bytes(standard_export()).file_name("Filters.xlsx"),
            )
            .text("images", json!([{ "algorithm_key": KEY }]).to_string());
        let r = self
            .http
            .post(format!("{}/api/jobs/", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("POST /api/jobs/");
        let status = r.status().as_u16();
        let created: Value = r.json().await.expect("json");
        assert_eq!(status, 201, "{created}");
        let id = created["job_id"].as_str().expect("job id").to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, job) = self
                .send(reqwest::Method::GET, &format!("/api/jobs/{id}/"), None)
                .await;
            if !matches!(job["status"].as_str(), Some("PENDING" | "RUNNING")) {
                return job;
            }
            assert!(Instant::now() < deadline, "job did not finish: {job}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `wasm` with a custom section appended: the same component (same key,
/// version and behaviour) under another content hash.
fn with_custom_section(wasm: &[u8], payload: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"patchart-test";
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name);
    body.extend_from_slice(payload);
    let mut out = wasm.to_vec();
    out.push(0);
    leb(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_in_cannot_be_retired_and_disabling_it_is_undone_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = Node::start(dir.path(), None).await;
    let version = node.builtin_version().await;
    let path = format!("/api/plugins/{KEY}/{version}/");

    let (status, body) = node.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "PLUGIN_BUILTIN", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"enabled\": false")),
        "the refusal says what to do instead: {body}"
    );
    assert_eq!(node.build(&version).await["status"], "enabled");
    assert_eq!(node.chart().await["status"], "SUCCESS");

    assert_eq!(
        node.set_enabled(&version, false).await["status"],
        "disabled"
    );
    assert!(!node.listed().await, "a disabled built-in is hidden");
    let node = node.restart(dir.path()).await;
    assert_eq!(
        node.build(&version).await["status"],
        "disabled",
        "disabling survives a restart"
    );
    assert!(!node.listed().await);

    assert_eq!(node.set_enabled(&version, true).await["status"], "enabled");
    let mut node = node.restart(dir.path()).await;
    assert_eq!(node.build(&version).await["status"], "enabled");
    assert!(node.listed().await);
    let job = node.chart().await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_in_an_older_server_retired_comes_back_disabled_and_can_be_enabled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = Node::start(dir.path(), None).await;
    let version = node.builtin_version().await;
    let sha = node.build(&version).await["sha256"]
        .as_str()
        .expect("sha256")
        .to_string();
    // What servers before built-ins were protected left in data dirs: the
    // built-in's row marked retired.
    node.server
        .as_ref()
        .expect("running")
        .store()
        .set_plugin_status(&sha, "retired")
        .await
        .expect("mark retired");
    node.stop().await;

    let node = Node::start(dir.path(), Some(node.token.clone())).await;
    let build = node.build(&version).await;
    assert_eq!(build["status"], "disabled", "{build}");
    assert_eq!(build["sha256"], sha.as_str());
    assert!(!node.listed().await);
    assert_eq!(node.set_enabled(&version, true).await["status"], "enabled");
    let mut node = node.restart(dir.path()).await;
    assert_eq!(node.build(&version).await["status"], "enabled");
    assert_eq!(node.chart().await["status"], "SUCCESS");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_file_standing_in_for_a_built_in_gives_it_back_when_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = Node::start(dir.path(), None).await;
    let version = node.builtin_version().await;
    let builtin_sha = node.build(&version).await["sha256"]
        .as_str()
        .expect("sha256")
        .to_string();

    let stand_in = with_custom_section(&plugin_wasm(KEY), b"a local build");
    let file = dir.path().join("plugins").join("local_countries.wasm");
    std::fs::write(&file, &stand_in).expect("write plugin file");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let build = node.build(&version).await;
        if build["source"] == "directory" {
            assert_eq!(build["status"], "enabled", "{build}");
            assert_ne!(build["sha256"], builtin_sha.as_str());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the file was not loaded: {build}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    std::fs::remove_file(&file).expect("remove plugin file");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let build = node.build(&version).await;
        if build["source"] == "builtin" && build["status"] == "enabled" {
            assert_eq!(build["sha256"], builtin_sha.as_str());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the built-in did not come back: {build}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = node.chart().await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(
        job["image_tasks"][0]["plugin_sha256"],
        builtin_sha.as_str(),
        "{job}"
    );
    node.stop().await;
}
