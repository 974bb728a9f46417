//! API tokens: an admin lists, creates and revokes them (over the API and
//! from the command line), expired and revoked tokens stop at once, an
//! address that keeps sending bad tokens is answered late, and no token
//! ever reaches the log.

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use patchart_suite::server::TestServer;
use serde_json::{Value, json};

async fn send(
    s: &TestServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s.http.request(method, s.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_lists_and_revokes_tokens_and_a_revoked_token_stops_at_once() {
    let s = TestServer::start().await;
    let admin = s.admin_token.clone();
    let (status, created) = send(
        &s,
        reqwest::Method::POST,
        &admin,
        "/api/tokens/",
        Some(json!({"user": "bob", "label": "bob's laptop", "expires_in_days": 7})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["user"], "bob");
    assert_eq!(created["role"], "user");
    assert_eq!(created["active"], true);
    let expires = created["expires_ms"].as_i64().expect("expiry");
    let week = chrono_ms() + 7 * 24 * 3600 * 1000;
    assert!(
        (expires - week).abs() < 60_000,
        "expires in 7 days: {created}"
    );

    assert_eq!(s.get_json(&secret, "/api/jobs/").await.0, 200);
    // Tokens are for admins only.
    assert_eq!(s.get_json(&secret, "/api/tokens/").await.0, 403);

    let (status, list) = s.get_json(&admin, "/api/tokens/?user=bob").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["count"], 1, "{list}");
    let listed = &list["results"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["label"], "bob's laptop");
    assert!(
        !list.to_string().contains(&secret) && listed.get("secret").is_none(),
        "a list never shows a secret: {list}"
    );
    let (_, all) = s.get_json(&admin, "/api/tokens/").await;
    assert_eq!(all["count"], 2, "the admin's and bob's: {all}");

    let (status, revoked) = send(
        &s,
        reqwest::Method::DELETE,
        &admin,
        &format!("/api/tokens/{id}/"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["active"], false);
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (status, body) = s.get_json(&secret, "/api/jobs/").await;
    assert_eq!(status, 401, "a revoked token authenticates no one: {body}");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");

    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        &admin,
        "/api/tokens/00000000-0000-4000-8000-000000000000/",
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // 400 for what the document does not allow; a name of spaces only it
    // allows, and the server cannot use (422).
    for (bad, field, want) in [
        (
            json!({"user": "x", "expires_in_days": 0}),
            "expires_in_days",
            400,
        ),
        (json!({"user": "  "}), "user", 422),
        (json!({"user": "é".repeat(101)}), "user", 400),
        (json!({"user": "x", "colour": 1}), "colour", 400),
    ] {
        let (status, body) = send(
            &s,
            reqwest::Method::POST,
            &admin,
            "/api/tokens/",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, want, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
        assert!(body.to_string().contains(field), "names {field}: {body}");
    }
}

fn chrono_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_sending_bad_tokens_is_answered_later_each_time_but_good_tokens_are_not() {
    let s = TestServer::start().await;
    let mut took = Vec::new();
    for i in 0..10 {
        let started = Instant::now();
        let (status, _) = s.get_json(&format!("pat_guess{i}"), "/api/jobs/").await;
        took.push(started.elapsed());
        assert_eq!(status, 401);
    }
    // The first five are free; from the sixth each is held 100 ms, then
    // 200, 400, 800, 1600.
    assert!(
        took[..5].iter().all(|t| *t < Duration::from_millis(100)),
        "{took:?}"
    );
    assert!(took[5] >= Duration::from_millis(100), "{took:?}");
    assert!(took[9] >= Duration::from_millis(1600), "{took:?}");
    // The next failure would be held 3.2 s: a valid token from the same
    // address is answered at once.
    let started = Instant::now();
    assert_eq!(s.get_json(&s.admin_token, "/api/jobs/").await.0, 200);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "a good token is not held: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_reaches_the_log_even_when_everything_is_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log");
    let p = patchart_suite::process::serve_logged(
        &dir.path().join("data"),
        &["--workers", "1"],
        Some(("trace", &log)),
    );
    let mut child = p.child;
    let token = p.token.clone().expect("a fresh data dir prints a token");
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/jobs/", p.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    let wrong = "pat_0123456789abcdef0123456789abcdef";
    let r = http
        .get(format!("{}/api/jobs/", p.base))
        .bearer_auth(wrong)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 401);
    // A WebSocket carries its token in the query string.
    let ws = format!(
        "{}/ws/jobs/00000000-0000-4000-8000-000000000000/?token={token}&after=0",
        p.base.replacen("http://", "ws://", 1)
    );
    if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(ws).await {
        let _ = tokio::time::timeout(Duration::from_secs(2), socket.next()).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("/ws/jobs/") && text.contains("token=[redacted]"),
        "the requests were logged (so the check below means something): {} bytes",
        text.len()
    );
    for secret in [token.as_str(), wrong] {
        assert!(
            !text.contains(secret),
            "a token in the log: {}",
            text.lines()
                .find(|l| l.contains(secret))
                .unwrap_or_default()
        );
    }
}

fn patchart(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(patchart_suite::patchart_bin())
        .args(args)
        .output()
        .expect("run patchart");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_creates_lists_and_revokes_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_string_lossy().into_owned();
    let (ok, out, err) = patchart(&[
        "token",
        "create",
        "--data-dir",
        &data,
        "--user",
        "carol",
        "--label",
        "ci",
        "--expires-days",
        "3",
    ]);
    assert!(ok, "{err}");
    let first = out.lines().next().expect("a first line");
    let id = first.split_whitespace().nth(1).expect("the id").to_string();
    assert!(
        first.contains("carol") && first.contains("expires"),
        "{out}"
    );
    let secret = out.lines().last().expect("the secret");
    assert!(secret.starts_with("pat_"), "{out}");

    let listed = |data: &str| -> Vec<Value> {
        let (ok, out, err) = patchart(&["token", "list", "--data-dir", data, "--json"]);
        assert!(ok, "{err}");
        out.lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let tokens = listed(&data);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0]["id"], id.as_str());
    assert_eq!(tokens[0]["label"], "ci");
    assert_eq!(tokens[0]["active"], true);
    assert!(!tokens[0].to_string().contains(secret));

    let (ok, out, err) = patchart(&["token", "revoke", "--data-dir", &data, &id]);
    assert!(ok, "{err}");
    assert!(out.contains("revoked"), "{out}");
    assert_eq!(listed(&data)[0]["active"], false);

    let (ok, _, err) = patchart(&["token", "revoke", "--data-dir", &data, "no-such-id"]);
    assert!(!ok);
    assert!(
        err.contains("NOT_FOUND") && err.contains("token list"),
        "{err}"
    );
    let (ok, _, err) = patchart(&[
        "token",
        "create",
        "--data-dir",
        &data,
        "--user",
        "dan",
        "--expires-days",
        "0",
    ]);
    assert!(!ok, "a zero-day expiry is refused");
    assert!(err.contains("expires-days"), "{err}");
}
