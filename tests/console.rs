//! The web console in a real browser: headless Chromium over WebDriver,
//! against `patchart serve` as a process, on workbooks the tests write.
//! Each step leaves screenshots at 1280 and 375 px wide in
//! `target/console-screenshots/`. Without Chromium and its driver the
//! tests skip (CI installs both, and refuses skips).

use std::time::Duration;

use patchart_suite::browser::{Browser, CutProxy};
use patchart_suite::process::{ServeProcess, serve};
use patchart_suite::workbook::standard_export;
use patchart_suite::{note, skip, variant};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(90);
const SHORT: Duration = Duration::from_secs(15);

struct Setup {
    server: ServeProcess,
    _dir: tempfile::TempDir,
    browser: Browser,
    files: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

async fn setup() -> Option<Setup> {
    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(why) => {
            skip(why);
            return None;
        }
    };
    let dir = tempfile::tempdir().expect("data dir");
    let server = serve(dir.path(), &[]);
    Some(Setup {
        server,
        _dir: dir,
        browser,
        files: tempfile::tempdir().expect("files"),
    })
}

impl Setup {
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.files.path().join(name);
        std::fs::write(&path, bytes).expect("write file");
        path.display().to_string()
    }

    /// A token for a new non-admin user, from the admin's.
    async fn user_token(&self, name: &str) -> String {
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

async fn upload_plugin(s: &Setup, wasm: Vec<u8>) {
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
async fn job_status(s: &Setup, job: &Value) -> (Value, String) {
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
async fn sign_in_by_url(s: &Setup, base: &str) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_goes_from_an_export_to_downloaded_described_charts() {
    let Some(s) = setup().await else { return };
    let b = &s.browser;
    let proxy = CutProxy::start(&s.server.base).await;
    let base = proxy.base.clone();

    // Sign in by the printed URL; the URL works once.
    sign_in_by_url(&s, &base).await;
    let who = b
        .js(
            "return document.querySelector('#who').textContent",
            json!([]),
        )
        .await;
    assert_eq!(who, "admin");
    let first_render = b
        .js(
            "const n = performance.getEntriesByType('navigation')[0]; \
             const m = performance.getEntriesByName('patchart:rendered')[0]; \
             return {dcl: n.domContentLoadedEventEnd, rendered: m ? m.startTime : null, \
                     bytes: performance.getEntriesByType('resource').reduce((a, r) => a + r.decodedBodySize, n.decodedBodySize)}",
            json!([]),
        )
        .await;
    note(format_args!(
        "console first render (loopback, through the test proxy, debug build): {first_render}"
    ));
    b.shots("01-upload").await;

    // A corrupt file: the ingest error in words, no summary.
    let bad = s.file("broken.xlsx", b"this is not a workbook at all");
    b.send_keys("#file", &bad).await;
    let err = b
        .wait(
            "the ingest error",
            "document.querySelector('[data-testid=upload-error]')?.textContent",
            SHORT,
        )
        .await;
    let err = err.as_str().unwrap_or("");
    assert!(err.contains("INGEST_"), "{err}");
    assert!(err.contains("not a workbook"), "{err}");
    b.shots("02-corrupt-file").await;

    // The real export: query and every facet before any chart.
    let good = s.file("export.xlsx", &standard_export());
    b.send_keys("#file", &good).await;
    b.wait(
        "the facet summary",
        "document.querySelectorAll('[data-testid=dataset] tr[data-facet]').length",
        SHORT,
    )
    .await;
    let summary = b
        .js(
            "return document.querySelector('[data-testid=dataset]').innerText",
            json!([]),
        )
        .await;
    let summary = summary.as_str().unwrap_or("");
    for want in [
        "phytorem",
        "Countries (family)",
        "Applicants",
        "CN (20)",
        "UNIV ZHEJIANG (7)",
    ] {
        assert!(summary.contains(want), "summary lacks {want}:\n{summary}");
    }
    b.shots("03-facet-summary").await;

    upload_plugin(&s, variant("slow", "1.0.0", 3)).await;
    // Charts: three picked, top_n and palette changed; a chart whose
    // facet the export lacks is greyed with the reason.
    b.click("[data-testid=to-charts]").await;
    b.wait(
        "the chart cards",
        "document.querySelector('#alg-variant_probe')",
        SHORT,
    )
    .await;
    let inventors = b
        .js(
            "const c = document.querySelector('[data-algorithm=top_patent_inventors]'); \
             return {disabled: c.querySelector('input').disabled, text: c.innerText}",
            json!([]),
        )
        .await;
    assert_eq!(inventors["disabled"], true, "{inventors}");
    assert!(
        inventors["text"]
            .as_str()
            .unwrap_or("")
            .contains("inventors")
    );
    for key in [
        "top_patent_countries",
        "top_patent_applicants",
        "patent_evolution",
    ] {
        b.click(&format!("#alg-{key}")).await;
    }
    // A fourth chart asked (through its generated form) for more work than
    // its time limit allows keeps the job running for seconds, so the
    // connection below is cut mid-job; it fails with its code, shown on
    // its card.
    b.click("#alg-variant_probe").await;
    b.js(
        "const i = document.querySelector('[data-algorithm=variant_probe] input[name=work]'); \
         i.value = '1000000'; i.dispatchEvent(new Event('change'))",
        json!([]),
    )
    .await;
    // An out-of-range value is refused inline before anything is sent.
    let set_top_n = "const i = document.querySelector('[data-algorithm=top_patent_countries] input[name=top_n]'); \
         i.value = arguments[0]; i.dispatchEvent(new Event('change')); \
         return i.closest('.field').querySelector('.field-error').textContent";
    let msg = b.js(set_top_n, json!(["500"])).await;
    assert!(msg.as_str().unwrap_or("").contains("100"), "{msg}");
    b.shots("04-charts-invalid").await;
    let msg = b.js(set_top_n, json!(["2"])).await;
    assert_eq!(msg, "");
    b.click("label[for=pal-vibrant]").await;
    b.shots("05-charts-and-style").await;
    b.click("#run").await;

    // Progress: cut every connection once the first events arrived; the
    // page must reconnect (with ?after=) and still show every chart.
    b.wait("the job page", "location.hash.startsWith('#/jobs/')", SHORT)
        .await;
    b.wait(
        "a first event over the WebSocket",
        "document.querySelector('.link-state')?.dataset.connections === '1' && document.querySelectorAll('.log li').length > 0",
        LONG,
    )
    .await;
    proxy.cut();
    let job_id = b.js("return location.hash.split('/')[2]", json!([])).await;
    let (_, mid) = job_status(&s, &job_id).await;
    assert!(
        mid == "RUNNING" || mid == "PENDING",
        "the cut came mid-job, not after it: {mid}"
    );
    b.wait(
        "a resumed WebSocket",
        "Number(document.querySelector('.link-state').dataset.connections) >= 2",
        LONG,
    )
    .await;
    b.wait(
        "100 %",
        "document.querySelector('[data-testid=progress]').textContent === '100 %'",
        LONG,
    )
    .await;
    let loaded = b
        .wait(
            "every gallery image loaded",
            "(() => { const imgs = [...document.querySelectorAll('.gallery img')]; \
              return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0) && imgs.length; })()",
            LONG,
        )
        .await;
    assert_eq!(loaded, 3);
    let log = b
        .js(
            "return [...document.querySelectorAll('.log li')].map(l => l.textContent)",
            json!([]),
        )
        .await;
    let log: Vec<String> = serde_json::from_value(log).expect("log lines");
    let done = log.iter().filter(|l| l.contains(" DONE ")).count();
    assert_eq!(
        done, 3,
        "every chart's DONE once, none lost or repeated: {log:#?}"
    );
    let failed = b
        .js(
            "return document.querySelector('.gallery .chart .error')?.textContent",
            json!([]),
        )
        .await;
    assert!(
        failed.as_str().unwrap_or("").contains("PLUGIN_TIMEOUT"),
        "the spinning chart's card shows its error: {failed}"
    );
    let (config, status) = job_status(&s, &job_id).await;
    assert_eq!(status, "PARTIAL_SUCCESS", "{config}");
    assert_eq!(
        config["visualization_config"]["palette"], "vibrant",
        "{config}"
    );
    let countries = config["image_tasks"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["algorithm_key"] == "top_patent_countries")
        })
        .expect("countries task");
    assert_eq!(countries["params"]["top_n"], 2);
    b.shots("06-gallery").await;

    // The ZIP link downloads an archive (fetched as the page would, with
    // the cookie).
    let zip = b
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.querySelector('[data-testid=zip]').href).then(async r => \
               done({status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength}))",
            json!([]),
        )
        .await;
    assert_eq!(zip["status"], 200, "{zip}");
    assert!(zip["type"].as_str().unwrap_or("").contains("zip"), "{zip}");
    assert!(zip["size"].as_u64().unwrap_or(0) > 1000, "{zip}");

    // Describe (the built-in facts provider): text streams in on the same
    // WebSocket.
    b.js(
        "document.querySelector('.gallery .describe').open = true",
        json!([]),
    )
    .await;
    b.click(".gallery .describe .describe-form button").await;
    let text = b
        .wait(
            "a description",
            "(() => { const d = document.querySelector('[data-testid=description]'); \
              return d.dataset.state === 'SUCCESS' && d.textContent; })()",
            LONG,
        )
        .await;
    assert!(text.as_str().unwrap_or("").len() > 40, "{text}");
    b.shots("07-described").await;

    // History lists the job.
    b.goto(&format!("{base}/#/history")).await;
    b.wait(
        "the history",
        "document.querySelectorAll('main tbody tr').length === 1",
        SHORT,
    )
    .await;
    b.shots("08-history").await;

    // Spanish, remembered across a reload.
    b.js(
        "const l = document.querySelector('#lang'); l.value = 'es'; l.dispatchEvent(new Event('change'))",
        json!([]),
    )
    .await;
    b.goto(&format!("{base}/")).await;
    let labels = b
        .wait(
            "Spanish labels",
            "document.querySelector('main h1')?.textContent.includes('Suba') && document.querySelector('#nav').innerText",
            SHORT,
        )
        .await;
    let labels = labels.as_str().unwrap_or("");
    assert!(
        labels.contains("Historial") && labels.contains("Nuevo gráfico"),
        "{labels}"
    );
    assert_eq!(
        b.js("return document.documentElement.lang", json!([]))
            .await,
        "es"
    );
    b.shots("09-spanish").await;

    // Sign out ends the session on the server: the old cookie is refused.
    b.click("#signout").await;
    b.wait(
        "the sign-in form",
        "document.querySelector('form.signin')",
        SHORT,
    )
    .await;
    let after = b
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/session/').then(r => done(r.status))",
            json!([]),
        )
        .await;
    assert_eq!(after, 401);
    // The printed URL worked once.
    let login = s.server.login_url.clone().expect("login url");
    b.goto(&login.replacen(&s.server.base, &base, 1)).await;
    b.wait(
        "a refused reuse",
        "location.search.includes('signin=failed')",
        SHORT,
    )
    .await;
    b.shots("10-signed-out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_plugins_and_plugin_text_stays_text() {
    let Some(s) = setup().await else { return };
    let b = &s.browser;
    let base = s.server.base.clone();

    // A non-admin, signed in by pasting a token: no operators' page, and
    // the API says 403.
    let bob = s.user_token("bob").await;
    b.goto(&format!("{base}/")).await;
    b.wait(
        "the sign-in form",
        "document.querySelector('form.signin')",
        SHORT,
    )
    .await;
    b.shots("11-sign-in-form").await;
    b.send_keys("#token", &bob).await;
    b.click("form.signin button").await;
    b.wait(
        "bob's console",
        "document.querySelector('#who').textContent === 'bob'",
        SHORT,
    )
    .await;
    let url = b.url().await;
    assert!(!url.contains("pat_"), "{url}");
    assert_eq!(
        b.js(
            "return document.querySelector('#nav-operators').hidden",
            json!([])
        )
        .await,
        true
    );
    b.goto(&format!("{base}/#/operators")).await;
    b.wait(
        "the upload page instead",
        "document.querySelector('#file')",
        SHORT,
    )
    .await;
    let status = b
        .js_async(
            "const done = arguments[arguments.length - 1]; fetch('/api/plugins/').then(r => done(r.status))",
            json!([]),
        )
        .await;
    assert_eq!(status, 403);
    b.shots("12-non-admin").await;
    b.click("#signout").await;
    b.wait("signed out", "document.querySelector('form.signin')", SHORT)
        .await;

    // The admin uploads a plugin whose name and description are markup.
    sign_in_by_url(&s, &base).await;
    b.goto(&format!("{base}/#/operators")).await;
    b.wait(
        "the plugins table",
        "document.querySelectorAll('table.plugins tbody tr').length > 5",
        SHORT,
    )
    .await;
    let wasm = s.file("markup.wasm", &variant("markup", "1.0.0", 7));
    b.send_keys("#plugin-file", &wasm).await;
    b.click("form.upload-plugin button[type=submit]").await;
    let verdict = b
        .wait(
            "the server's verdict",
            "document.querySelector('[data-testid=verdict]').dataset.ok === 'true' && document.querySelector('[data-testid=verdict]').textContent",
            LONG,
        )
        .await;
    assert!(
        verdict.as_str().unwrap_or("").contains("variant_probe"),
        "{verdict}"
    );
    let row = b
        .wait(
            "the new plugin listed",
            "document.querySelector('tr[data-plugin=variant_probe] .plugin-name')?.textContent",
            SHORT,
        )
        .await;
    assert_eq!(row, "<img src=x onerror=alert(1)>");
    b.shots("13-operators").await;
    // A bad component gets the server's refusal as the verdict.
    let junk = s.file("junk.wasm", b"\0asm not really");
    b.send_keys("#plugin-file", &junk).await;
    b.click("form.upload-plugin button[type=submit]").await;
    let refused = b
        .wait(
            "a refusal",
            "document.querySelector('[data-testid=verdict]').dataset.ok === 'false' && document.querySelector('[data-testid=verdict]').textContent",
            LONG,
        )
        .await;
    note(format_args!("verdict on a broken component: {refused}"));

    // On the charts page the markup is a card title, as text, and no
    // element was made from it.
    b.goto(&format!("{base}/")).await;
    let good = s.file("export.xlsx", &standard_export());
    b.send_keys("#file", &good).await;
    b.wait(
        "the summary",
        "document.querySelector('[data-testid=to-charts]')",
        SHORT,
    )
    .await;
    b.click("[data-testid=to-charts]").await;
    let card = b
        .wait(
            "the markup plugin's card",
            "document.querySelector('[data-algorithm=variant_probe] .alg-name')?.textContent",
            SHORT,
        )
        .await;
    assert_eq!(card, "<img src=x onerror=alert(1)>");
    let imgs = b
        .js(
            "return document.querySelectorAll('main img').length",
            json!([]),
        )
        .await;
    assert_eq!(imgs, 0, "markup from a plugin became an element");
    b.shots("14-markup-as-text").await;
}

/// A chat-completions endpoint on loopback that streams `PIECES`, one
/// every 300 ms, so the page can be seen holding part of the text.
async fn streaming_model() -> String {
    use axum::body::{Body, Bytes};
    use axum::response::IntoResponse;
    async fn completions() -> axum::response::Response {
        let mut events: Vec<String> = PIECES
            .iter()
            .map(|p| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
                )
            })
            .collect();
        events.push("data: [DONE]\n\n".into());
        let stream = futures_util::stream::unfold(events.into_iter(), |mut it| async move {
            let next = it.next()?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from(next)), it))
        });
        (
            [("content-type", "text/event-stream")],
            Body::from_stream(stream),
        )
            .into_response()
    }
    let app = axum::Router::new().route("/v1/chat/completions", axum::routing::post(completions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/v1")
}

const PIECES: &[&str] = &[
    "China leads ",
    "with twenty ",
    "documents, ",
    "ahead of the United States ",
    "and the European Patent Office.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_description_streams_from_a_chat_completions_model_into_the_page() {
    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(why) => return skip(why),
    };
    let model = streaming_model().await;
    let dir = tempfile::tempdir().expect("data dir");
    let server = serve(
        dir.path(),
        &[
            "--openai-base-url",
            &model,
            "--openai-api-key",
            "sk-test",
            "--openai-model",
            "test-model",
        ],
    );
    let s = Setup {
        server,
        _dir: dir,
        browser,
        files: tempfile::tempdir().expect("files"),
    };
    let b = &s.browser;
    let base = s.server.base.clone();
    // A chart made over the API; the console opens it.
    let form = reqwest::multipart::Form::new()
        .part(
            "source_data",
            reqwest::multipart::Part::bytes(standard_export()).file_name("export.xlsx"),
        )
        .text("images", r#"[{"algorithm_key": "top_patent_countries"}]"#);
    let job: Value = reqwest::Client::new()
        .post(format!("{base}/api/jobs/"))
        .bearer_auth(s.server.token.clone().expect("admin token"))
        .multipart(form)
        .send()
        .await
        .expect("job")
        .json()
        .await
        .expect("json");
    let job_id = job["job_id"].as_str().expect("job id");
    sign_in_by_url(&s, &base).await;
    b.goto(&format!("{base}/#/jobs/{job_id}")).await;
    b.wait(
        "the chart",
        "[...document.querySelectorAll('.gallery img')].some(i => i.naturalWidth > 0)",
        LONG,
    )
    .await;
    b.js(
        "document.querySelector('.gallery .describe').open = true",
        json!([]),
    )
    .await;
    let provider = b
        .js(
            "return document.querySelector('.gallery .describe select').value",
            json!([]),
        )
        .await;
    assert_eq!(provider, "openai", "the configured model is the default");
    b.click(".gallery .describe .describe-form button").await;
    // Part of the text, while the model is still writing.
    let partial = b
        .wait(
            "part of the text",
            "(() => { const d = document.querySelector('[data-testid=description]'); \
              return d.dataset.state === 'writing' && d.textContent.length > 0 && d.textContent; })()",
            LONG,
        )
        .await;
    let whole: String = PIECES.concat();
    let partial = partial.as_str().unwrap_or("");
    assert!(
        whole.starts_with(partial) && partial.len() < whole.len(),
        "{partial:?}"
    );
    b.shots("15-description-streaming").await;
    let text = b
        .wait(
            "the whole text",
            "(() => { const d = document.querySelector('[data-testid=description]'); \
              return d.dataset.state === 'SUCCESS' && d.textContent; })()",
            LONG,
        )
        .await;
    assert_eq!(text.as_str().unwrap_or(""), whole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_websockets_the_page_polls_and_a_running_job_can_be_cancelled() {
    let Some(s) = setup().await else { return };
    let b = &s.browser;
    let proxy = CutProxy::start(&s.server.base).await;
    let base = proxy.base.clone();
    proxy.refuse_websockets();
    upload_plugin(&s, variant("slow", "1.0.0", 4)).await;
    sign_in_by_url(&s, &base).await;
    let good = s.file("export.xlsx", &standard_export());
    b.send_keys("#file", &good).await;
    b.wait(
        "the summary",
        "document.querySelector('[data-testid=to-charts]')",
        SHORT,
    )
    .await;
    b.click("[data-testid=to-charts]").await;
    b.wait(
        "the cards",
        "document.querySelector('#alg-variant_probe')",
        SHORT,
    )
    .await;
    // A chart that will not finish on its own for seconds.
    b.click("#alg-variant_probe").await;
    b.js(
        "const i = document.querySelector('[data-algorithm=variant_probe] input[name=work]'); \
         i.value = '1000000'; i.dispatchEvent(new Event('change'))",
        json!([]),
    )
    .await;
    b.click("#run").await;
    b.wait(
        "polling instead of a WebSocket",
        "document.querySelector('.link-state')?.dataset.mode === 'polling'",
        LONG,
    )
    .await;
    b.wait(
        "the chart running",
        "document.querySelector('.job-status')?.dataset.status === 'RUNNING'",
        LONG,
    )
    .await;
    b.shots("16-polling").await;
    b.click(".progress-row button.danger").await;
    b.wait(
        "the job cancelled, seen by polling",
        "document.querySelector('.job-status')?.dataset.status === 'CANCELLED'",
        LONG,
    )
    .await;
    b.wait(
        "the cancellation in the polled event log",
        "[...document.querySelectorAll('.log li')].some(l => l.textContent.includes('CANCELLED'))",
        LONG,
    )
    .await;
    b.shots("17-cancelled").await;
}
