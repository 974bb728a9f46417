//! A headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`), for the console's browser tests, and a loopback
//! proxy that can cut every connection through it (a dropped WebSocket,
//! seen from the page).
//!
//! The WebDriver protocol is plain HTTP + JSON, so the client is a few
//! calls over the suite's reqwest rather than another crate: new session,
//! navigate, find, click, send keys (file inputs take a path), execute
//! script, window size, screenshot.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";

/// A browser session and the driver process serving it.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    /// `127.0.0.1:<port>` of the driver and the session's id, to end the
    /// session from `Drop`, where nothing can be awaited.
    driver_addr: String,
    session_id: String,
    shots: PathBuf,
    /// Dropped after the browser has quit.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium at 1280 px wide, or `None` (with the reason)
    /// when the browser or its driver is not installed.
    pub async fn start() -> Result<Browser, String> {
        for bin in [CHROMIUM, DRIVER] {
            if !Path::new(bin).exists() {
                return Err(format!(
                    "{bin} is missing (apt-get install chromium chromium-driver)"
                ));
            }
        }
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {DRIVER}: {e}"))?;
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not become ready".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,1400", "--lang=en-US",
                         format!("--user-data-dir={}", profile.path().display())],
            },
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let session = r["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {r}"))?;
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
        std::fs::create_dir_all(&shots).map_err(|e| e.to_string())?;
        Ok(Browser {
            http,
            session: format!("{base}/session/{session}"),
            driver,
            driver_addr: format!("127.0.0.1:{port}"),
            session_id: session.to_string(),
            shots,
            _profile: profile,
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        let req = self.http.request(method.clone(), &url);
        let req = if method == reqwest::Method::GET {
            req
        } else {
            req.json(&body)
        };
        let r: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver json");
        if r["value"]["error"].is_string() {
            panic!("webdriver {path}: {}", r["value"]);
        }
        r["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1](v)`
    /// with its answer (e.g. after a fetch).
    pub async fn js_async(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/async",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Waits until the expression `expr` is truthy in the page; its value.
    pub async fn wait(&self, what: &str, expr: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let v = self
                .js(
                    &format!("try {{ return ({expr}); }} catch (e) {{ return null; }}"),
                    json!([]),
                )
                .await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!("") && v != json!(0);
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let body = self.js("return document.body.innerText", json!([])).await;
                panic!("waited {within:?} for {what} ({expr}); the page reads:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    /// Types `text` into the element (a file input takes a path).
    pub async fn send_keys(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// Screenshots of the page at 1280 and at 375 px wide, as
    /// `target/console-screenshots/<name>-1280.png` and `-375.png`.
    pub async fn shots(&self, name: &str) {
        for (w, h) in [(1280, 1400), (375, 1600)] {
            self.resize(w, h).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let b64 = self
                .cmd(reqwest::Method::GET, "/screenshot", Value::Null)
                .await;
            let png = decode_base64(b64.as_str().unwrap_or(""));
            std::fs::write(self.shots.join(format!("{name}-{w}.png")), png).expect("screenshot");
        }
        self.resize(1280, 1400).await;
    }
}

impl Drop for Browser {
    /// Ends the session (the driver then quits its Chromium, which would
    /// otherwise outlive the driver), then stops the driver. A plain
    /// blocking request: `Drop` runs inside the test's runtime, where
    /// nothing can be awaited.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        if let Ok(mut tcp) = std::net::TcpStream::connect(&self.driver_addr) {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                tcp,
                "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session_id, self.driver_addr
            );
            let mut answer = Vec::new();
            let _ = tcp.read_to_end(&mut answer);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in s.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A TCP proxy on loopback in front of `upstream`; [`CutProxy::cut`]
/// drops every connection open through it, as a network failure would;
/// [`CutProxy::refuse_websockets`] closes every new connection that asks
/// for a WebSocket upgrade, as some corporate proxies do.
pub struct CutProxy {
    pub base: String,
    cut: watch::Sender<u64>,
    refuse_ws: Arc<AtomicBool>,
}

impl CutProxy {
    pub async fn start(upstream: &str) -> CutProxy {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (cut, rx) = watch::channel(0u64);
        let refuse_ws = Arc::new(AtomicBool::new(false));
        let refusing = refuse_ws.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let mut rx = rx.clone();
                rx.mark_unchanged();
                let refusing = refusing.clone();
                tokio::spawn(async move {
                    if refusing.load(Ordering::SeqCst) {
                        let mut head = [0u8; 2048];
                        let Ok(n) = client.peek(&mut head).await else {
                            return;
                        };
                        let head = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
                        if head.contains("upgrade: websocket") {
                            return;
                        }
                    }
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.changed() => {}
                    }
                });
            }
        });
        CutProxy {
            base,
            cut,
            refuse_ws,
        }
    }

    /// From now on, new WebSocket connections are closed at once.
    pub fn refuse_websockets(&self) {
        self.refuse_ws.store(true, Ordering::SeqCst);
    }

    /// Drops every open connection.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}
