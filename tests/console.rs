//! The web console in a real browser: headless Chromium over WebDriver,
//! against `patchart serve` as a process, on workbooks the tests write.
//! Each step leaves screenshots at 1280 and 375 px wide in
//! `target/console-screenshots/`. Without Chromium and its driver the
//! tests skip (CI installs both, and refuses skips).

use patchart_suite::browser::CutProxy;
use patchart_suite::console::{LONG, SHORT, job_status, setup, sign_in_by_url, upload_plugin};
use patchart_suite::workbook::standard_export;
use patchart_suite::{note, variant};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_goes_from_an_export_to_downloaded_described_charts() {
    let Some(s) = setup(&[]).await else { return };
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
    // The style form is the server's (`GET /api/styles/`): every palette
    // it lists, in its order, and its bounds on the sizes.
    let offered = b
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/styles/').then(r => r.json()).then(s => done({ \
               api: s.palettes.map(p => p.name), \
               page: [...document.querySelectorAll('input[name=palette]')].map(i => i.value), \
               api_max: String(s.width_px.max), page_max: document.querySelector('#width').max, \
               api_formats: s.output_formats, \
               page_formats: [...document.querySelectorAll('#format option')].map(o => o.value)}))",
            json!([]),
        )
        .await;
    assert_eq!(offered["api"], offered["page"], "{offered}");
    assert!(
        offered["api"].as_array().map_or(0, Vec::len) >= 7,
        "{offered}"
    );
    assert_eq!(offered["api_max"], offered["page_max"], "{offered}");
    assert_eq!(offered["api_formats"], offered["page_formats"], "{offered}");
    b.click("label[for=pal-vibrant]").await;
    b.js(
        "const i = document.querySelector('#width'); i.value = '800'; i.dispatchEvent(new Event('change'))",
        json!([]),
    )
    .await;
    b.shots("05-charts-and-style").await;
    // Every control on the page has a name a screen reader reads, and
    // none is kept out of the keyboard's reach.
    let unlabelled = b
        .js(
            "return [...document.querySelectorAll('input, select, textarea, button')].filter(c => { \
               if (c.tabIndex < 0) return true; \
               const byFor = c.id && document.querySelector(`label[for=\"${c.id}\"]`); \
               return !(byFor || c.closest('label') || c.getAttribute('aria-label') || \
                        (c.tagName === 'BUTTON' && c.textContent.trim())); \
             }).map(c => c.outerHTML.slice(0, 120))",
            json!([]),
        )
        .await;
    assert_eq!(
        unlabelled,
        json!([]),
        "controls without a label or out of tab order"
    );
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
    assert_eq!(config["visualization_config"]["width"], 800, "{config}");
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

    // History lists the job; its status filter and its pages are the
    // API's.
    b.goto(&format!("{base}/#/history")).await;
    b.wait(
        "the history",
        "document.querySelectorAll('main tbody tr').length === 1",
        SHORT,
    )
    .await;
    b.shots("08-history").await;
    let pick_status = "const f = document.querySelector('#status-filter'); \
         f.value = arguments[0]; f.dispatchEvent(new Event('change'))";
    b.js(pick_status, json!(["SUCCESS"])).await;
    b.wait(
        "no SUCCESS job",
        "location.hash.includes('status=SUCCESS') && !document.querySelector('main tbody') && document.querySelector('main p.muted')",
        SHORT,
    )
    .await;
    b.js(pick_status, json!(["PARTIAL_SUCCESS"])).await;
    b.wait(
        "the PARTIAL_SUCCESS job",
        "location.hash.includes('status=PARTIAL_SUCCESS') && document.querySelectorAll('main tbody tr').length === 1",
        SHORT,
    )
    .await;
    let dataset = config["dataset_id"]
        .as_str()
        .expect("dataset id")
        .to_string();
    let http = reqwest::Client::new();
    for width in 0..20 {
        let r = http
            .post(format!("{}/api/jobs/", s.server.base))
            .bearer_auth(s.server.token.clone().expect("admin token"))
            .json(&json!({"dataset_id": dataset, "visualization_config": {"width": 400 + width},
                          "images": [{"algorithm_key": "top_patent_countries", "output_format": "svg"}]}))
            .send()
            .await
            .expect("job");
        assert_eq!(r.status(), 201);
    }
    b.goto(&format!("{base}/#/history")).await;
    let pager = b
        .wait(
            "a first page of 20",
            "document.querySelectorAll('main tbody tr').length === 20 && document.querySelector('.pager').innerText",
            SHORT,
        )
        .await;
    assert!(pager.as_str().unwrap_or("").contains("1 of 2"), "{pager}");
    b.click(".pager a").await;
    b.wait(
        "the second page: the console's own job, oldest",
        "location.hash.includes('page=2') && document.querySelectorAll('main tbody tr').length === 1 && \
         document.querySelector('main tbody [data-status]').dataset.status === 'PARTIAL_SUCCESS'",
        SHORT,
    )
    .await;
    b.shots("08b-history-page-2").await;
    // Chart the same dataset again: its charts page, with its file.
    b.click("main tbody a[href^='#/charts/']").await;
    let again = b
        .wait(
            "the charts page for the same dataset",
            &format!(
                "location.hash === '#/charts/{dataset}' && document.querySelectorAll('[data-algorithm]').length > 5 && location.hash"
            ),
            SHORT,
        )
        .await;
    note(format_args!("charted again from the history: {again}"));

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
async fn without_websockets_the_page_polls_and_a_running_job_can_be_cancelled() {
    let Some(s) = setup(&[]).await else { return };
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
