//! Descriptions in the console, in a real browser (see tests/console.rs):
//! text from a chat-completions model streams into the page as the model
//! writes it.

use std::time::Duration;

use patchart_suite::console::{LONG, setup, sign_in_by_url};
use patchart_suite::workbook::standard_export;
use serde_json::{Value, json};

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
    let model = streaming_model().await;
    let args = [
        "--openai-base-url",
        model.as_str(),
        "--openai-api-key",
        "sk-test",
        "--openai-model",
        "test-model",
    ];
    let Some(s) = setup(&args).await else { return };
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
