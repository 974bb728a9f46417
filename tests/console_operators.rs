//! The console's operators' page in a real browser (see tests/console.rs):
//! hidden from non-admins, whom the API refuses too; an admin uploads
//! plugins and sees the server's verdict; a plugin whose name and
//! description are markup is shown as text everywhere.

use patchart_suite::console::{LONG, SHORT, setup, sign_in_by_url};
use patchart_suite::workbook::standard_export;
use patchart_suite::{note, variant};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_plugins_and_plugin_text_stays_text() {
    let Some(s) = setup(&[]).await else { return };
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

    // Disable, enable, limits and retire, each through its control; the
    // API reads back what the page did.
    let plugin = |s: &patchart_suite::console::Setup| {
        let url = format!("{}/api/plugins/variant_probe/1.0.0/", s.server.base);
        let token = s.server.token.clone().expect("admin token");
        async move {
            let v: serde_json::Value = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("plugin")
                .json()
                .await
                .expect("plugin json");
            v
        }
    };
    b.goto(&format!("{base}/#/operators")).await;
    let row = "tr[data-plugin=variant_probe]";
    let status =
        |want: &str| format!("document.querySelector('{row} .badge')?.dataset.status === '{want}'");
    b.wait("the uploaded plugin's row", &status("enabled"), SHORT)
        .await;
    b.click(&format!("{row} .actions button.secondary")).await;
    b.wait("disabled", &status("disabled"), SHORT).await;
    assert_eq!(plugin(&s).await["status"], "disabled");
    b.click(&format!("{row} .actions button.secondary")).await;
    b.wait("enabled again", &status("enabled"), SHORT).await;
    assert_eq!(plugin(&s).await["status"], "enabled");
    b.js(
        &format!(
            "const r = document.querySelector('{row}'); r.dataset.stale = '1'; r.querySelector('details').open = true; \
             const [mem, time] = r.querySelectorAll('details input'); \
             mem.value = '96'; time.value = '4321'; r.querySelector('details button').click()"
        ),
        json!([]),
    )
    .await;
    b.wait(
        "the new limits drawn from the server",
        &format!(
            "(r => r && !r.dataset.stale && r.querySelectorAll('details input')[1].value === '4321')(document.querySelector('{row}'))"
        ),
        SHORT,
    )
    .await;
    let limits = plugin(&s).await["limits"].clone();
    assert_eq!(limits["timeout_ms"], 4321, "{limits}");
    assert_eq!(limits["memory_bytes"], 96 * 1024 * 1024, "{limits}");
    b.shots("15-operators-limits").await;
    // Retire asks first; declining keeps the plugin.
    b.js("window.confirm = () => false", json!([])).await;
    b.click(&format!("{row} .actions button.danger")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(plugin(&s).await["status"], "enabled");
    b.js("window.confirm = () => true", json!([])).await;
    b.click(&format!("{row} .actions button.danger")).await;
    b.wait("retired", &status("retired"), SHORT).await;
    assert_eq!(plugin(&s).await["status"], "retired");
    let buttons = b
        .js(
            &format!("return document.querySelectorAll('{row} .actions button').length"),
            json!([]),
        )
        .await;
    assert_eq!(buttons, 0, "a retired upload offers no actions");
}
