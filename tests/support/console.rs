//! What the console's browser tests share: a browser beside a fresh
//! `patchart serve`, files written for the page to upload, signing in by
//! the printed URL, and a few API calls made with the admin's token.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::process::{ServeProcess, serve};

pub const LONG: Duration = Duration::from_secs(90);
pub const SHORT: Duration = Duration::from_secs(15);

pub struct Setup {
    pub server: ServeProcess,
    pub dir: tempfile::TempDir,
    pub browser: Browser,
    pub files: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

/// A browser and a fresh `patchart serve` started with `args`; `None`
/// (after [`crate::skip`]) without a browser.
pub async fn setup(args: &[&str]) -> Option<Setup> {
    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(why) => {
            crate::skip(why);
            return None;
        }
    };
    let dir = tempfile::tempdir().expect("data dir");
    let server = serve(dir.path(), args);
    Some(Setup {
        server,
        dir,
        browser,
        files: tempfile::tempdir().expect("files"),
    })
}

impl Setup {
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.files.path().join(name);
        std::fs::write(&path, bytes).expect("write file");
        path.display().to_string()
    }

    /// A token for a new non-admin user, from the admin's.
    pub async fn user_token(&self, name: &str) -> String {
        let admin = self.server.token.clone().expect("admin token");
        let r: Value = reqwest::Client::new()
            .post(format!("{}/api/tokens/", self.server.base))
            .bearer_auth(admin)
            .json(&json!({"user": name}))
            .send()
            .await
            .expect("create token")
            .json()
            .await
            .expect("json");
        r["secret"].as_str().expect("token secret").to_string()
    }
}

/// Uploads a plugin component with the admin's token.
pub async fn upload_plugin(s: &Setup, wasm: Vec<u8>) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(wasm).file_name("plugin.wasm"),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/plugins/", s.server.base))
        .bearer_auth(s.server.token.clone().expect("admin token"))
        .multipart(form)
        .send()
        .await
        .expect("upload plugin");
    assert_eq!(r.status(), 201);
}

/// The job `job` (its id as JSON) and its status, read with the admin's
/// token.
pub async fn job_status(s: &Setup, job: &Value) -> (Value, String) {
    let job: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/jobs/{}/",
            s.server.base,
            job.as_str().unwrap_or("")
        ))
        .bearer_auth(s.server.token.clone().expect("admin token"))
        .send()
        .await
        .expect("job")
        .json()
        .await
        .expect("json");
    let status = job["status"].as_str().unwrap_or("").to_string();
    (job, status)
}

/// Signs in with the printed URL (its host swapped for `base`, e.g. a
/// proxy) and checks the token left the address bar.
pub async fn sign_in_by_url(s: &Setup, base: &str) {
    let login = s
        .server
        .login_url
        .clone()
        .expect("serve prints a login URL");
    let login = login.replacen(&s.server.base, base, 1);
    s.browser.goto(&login).await;
    s.browser
        .wait(
            "the signed-in console",
            "!document.querySelector('#nav').hidden",
            SHORT,
        )
        .await;
    let url = s.browser.url().await;
    assert!(
        !url.contains("token"),
        "the token stays in the address bar: {url}"
    );
    assert_eq!(url.trim_end_matches('/'), base, "redirected to the console");
}
