//! The console's sign-in over plain HTTP, on each backend: login tokens
//! and API tokens exchanged for a session cookie, the cookie accepted by
//! the API, cross-site requests it would authorise refused, sign-out on
//! the server; and the datasets API the console uploads through.

use patchart_suite::server::TestServer;
use patchart_suite::workbook::standard_export;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `patchart_session=<secret>` from a sign-in answer.
fn cookie_of(r: &reqwest::Response) -> String {
    let set = r
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    set.split(';').next().expect("name=value").to_string()
}

async fn login_token(s: &TestServer) -> String {
    let store = s.running().store();
    let admin = store
        .user_named("admin")
        .await
        .expect("lookup")
        .expect("admin");
    store.create_login_token(&admin).await.expect("login token")
}

fn upload(bytes: Vec<u8>, name: &str) -> Form {
    Form::new().part(
        "source_data",
        Part::bytes(bytes).file_name(name.to_string()),
    )
}

#[tokio::test]
async fn a_login_url_signs_in_once_and_redirects_to_a_url_without_the_token() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let http = no_redirects();
        let login = login_token(&s).await;
        let r = http
            .get(s.url(&format!("/login?token={login}")))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/");
        let cookie = cookie_of(&r);
        let me: Value = http
            .get(s.url("/api/session/"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        assert_eq!(me["user"], "admin");
        assert_eq!(me["is_admin"], true);
        // The same URL again signs no one in.
        let again = http
            .get(s.url(&format!("/login?token={login}")))
            .send()
            .await
            .expect("again");
        assert_eq!(again.headers()[LOCATION], "/?signin=failed");
        assert!(again.headers().get(SET_COOKIE).is_none());
        // Any API token, posted from the sign-in form, works too.
        let bob = s.user_token("bob").await;
        let r = http
            .post(s.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(ORIGIN, &s.base)
            .body(format!("token={bob}"))
            .send()
            .await
            .expect("form login");
        assert_eq!(r.status(), 303);
        let bob_cookie = cookie_of(&r);
        let me: Value = http
            .get(s.url("/api/session/"))
            .header(COOKIE, &bob_cookie)
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        assert_eq!(me["user"], "bob");
        assert_eq!(me["is_admin"], false);
    }
}

#[tokio::test]
async fn a_cookie_authorises_same_site_writes_only_and_bearer_clients_are_unaffected() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let http = no_redirects();
        let login = login_token(&s).await;
        let r = http
            .get(s.url(&format!("/login?token={login}")))
            .send()
            .await
            .expect("login");
        let cookie = cookie_of(&r);
        // One export's bytes (the writer stamps the time into each file).
        let export = standard_export();
        let post = |origin: Option<&str>, fetch_site: Option<&str>| {
            let mut req = http
                .post(s.url("/api/datasets/"))
                .header(COOKIE, &cookie)
                .multipart(upload(export.clone(), "export.xlsx"));
            if let Some(o) = origin {
                req = req.header(ORIGIN, o);
            }
            if let Some(f) = fetch_site {
                req = req.header("sec-fetch-site", f);
            }
            req.send()
        };
        let same = post(Some(&s.base), Some("same-origin"))
            .await
            .expect("same");
        assert_eq!(same.status(), 201, "a same-origin upload is accepted");
        for (origin, site) in [
            (Some("http://evil.example"), None),
            (Some("null"), None),
            (None, Some("cross-site")),
        ] {
            let r = post(origin, site).await.expect("cross");
            assert_eq!(r.status(), 403, "{origin:?} {site:?}");
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["error"]["code"], "CROSS_SITE_REQUEST");
        }
        // Reads by cookie need no Origin check: nothing changes.
        let list = http
            .get(s.url("/api/datasets/"))
            .header(COOKIE, &cookie)
            .header(ORIGIN, "http://evil.example")
            .send()
            .await
            .expect("list");
        assert_eq!(list.status(), 200);
        // A bearer token from anywhere is what it always was.
        let bearer = http
            .post(s.url("/api/datasets/"))
            .bearer_auth(&s.admin_token)
            .header(ORIGIN, "http://evil.example")
            .header("sec-fetch-site", "cross-site")
            .multipart(upload(export.clone(), "export.xlsx"))
            .send()
            .await
            .expect("bearer");
        assert_eq!(bearer.status(), 200, "already stored: 200");
        // A WebSocket opened by another site with the cookie is refused.
        let job = s
            .post_job(
                &s.admin_token,
                standard_export(),
                &serde_json::json!([{"algorithm_key": "top_patent_countries"}]),
                None,
                None,
            )
            .await;
        let job_id = job.1["job_id"].as_str().expect("job id").to_string();
        let ws = |origin: &'static str| {
            let mut req =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                    s.ws_url(&format!("/ws/jobs/{job_id}/?close_when_complete=true")),
                )
                .expect("request");
            req.headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
            req.headers_mut()
                .insert("origin", origin.parse().expect("origin header"));
            tokio_tungstenite::connect_async(req)
        };
        assert!(
            ws("http://evil.example").await.is_err(),
            "cross-site WebSocket"
        );
        let base: &'static str = Box::leak(s.base.clone().into_boxed_str());
        let (mut socket, _) = ws(base).await.expect("same-site WebSocket by cookie");
        let first = futures_util::StreamExt::next(&mut socket).await;
        assert!(matches!(first, Some(Ok(_))), "events arrive: {first:?}");
    }
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let http = no_redirects();
        let login = login_token(&s).await;
        let r = http
            .get(s.url(&format!("/login?token={login}")))
            .send()
            .await
            .expect("login");
        let cookie = cookie_of(&r);
        let cross = http
            .delete(s.url("/api/session/"))
            .header(COOKIE, &cookie)
            .header(ORIGIN, "http://evil.example")
            .send()
            .await
            .expect("cross-site sign-out");
        assert_eq!(cross.status(), 403, "another site cannot sign you out");
        let out = http
            .delete(s.url("/api/session/"))
            .header(COOKIE, &cookie)
            .header(ORIGIN, &s.base)
            .send()
            .await
            .expect("sign out");
        assert_eq!(out.status(), 204);
        let cleared = out.headers()[SET_COOKIE].to_str().expect("header");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        // The old cookie, replayed, signs no one in.
        let me = http
            .get(s.url("/api/session/"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("session");
        assert_eq!(me.status(), 401);
    }
}

#[tokio::test]
async fn datasets_are_uploaded_listed_and_read_per_user_with_the_ingest_error_in_words() {
    for s in TestServer::on_each_backend(|_| {}).await {
        let http = reqwest::Client::new();
        // One export's bytes (the writer stamps the time into each file).
        let export = standard_export();
        let ana = s.user_token("ana").await;
        let bob = s.user_token("bob").await;
        let r = http
            .post(s.url("/api/datasets/"))
            .bearer_auth(&ana)
            .multipart(upload(export.clone(), "export.xlsx"))
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 201);
        let ds: Value = r.json().await.expect("json");
        let id = ds["id"].as_str().expect("id").to_string();
        assert!(ds["query"].as_str().unwrap_or("").contains("phytorem"));
        let countries = ds["facets"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == "countries"))
            .expect("countries");
        assert_eq!(countries["entries"], 3);
        assert_eq!(countries["top"][0]["label"], "CN");
        assert_eq!(countries["top"][0]["count"], 20);
        let (status, one) = s.get_json(&ana, &format!("/api/datasets/{id}/")).await;
        assert_eq!(status, 200);
        assert_eq!(one["facets"], ds["facets"]);
        let (_, list) = s.get_json(&ana, "/api/datasets/").await;
        assert_eq!(list["count"], 1);
        assert_eq!(list["results"][0]["id"], id.as_str());
        // Bob sees neither, until he uploads the same bytes himself.
        let (status, _) = s.get_json(&bob, &format!("/api/datasets/{id}/")).await;
        assert_eq!(status, 404);
        let (_, list) = s.get_json(&bob, "/api/datasets/").await;
        assert_eq!(list["count"], 0);
        let again = http
            .post(s.url("/api/datasets/"))
            .bearer_auth(&bob)
            .multipart(upload(export.clone(), "copy.xlsx"))
            .send()
            .await
            .expect("upload");
        assert_eq!(again.status(), 200, "already stored");
        let (status, _) = s.get_json(&bob, &format!("/api/datasets/{id}/")).await;
        assert_eq!(status, 200);
        // A file that is no workbook: the reason, in words.
        let bad = http
            .post(s.url("/api/datasets/"))
            .bearer_auth(&ana)
            .multipart(upload(b"just some text".to_vec(), "notes.xlsx"))
            .send()
            .await
            .expect("bad upload");
        assert_eq!(bad.status(), 422);
        let body: Value = bad.json().await.expect("json");
        assert_eq!(body["error"]["code"], "INGEST_NOT_A_WORKBOOK");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("not a workbook"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_console_is_served_with_a_strict_policy_and_listed_in_openapi() {
    let s = TestServer::start().await;
    let r = reqwest::get(s.url("/")).await.expect("console");
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    for part in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let html = r.text().await.expect("html");
    assert!(html.contains("/console/app.js"));
    let js = reqwest::get(s.url("/console/app.js")).await.expect("js");
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/javascript")
    );
    let api: Value = reqwest::get(s.url("/api/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for path in ["/api/datasets/", "/api/datasets/{id}/", "/api/session/"] {
        assert!(api["paths"][path].is_object(), "{path} missing");
    }
    assert!(api["paths"]["/api/datasets/"]["post"].is_object());
}
