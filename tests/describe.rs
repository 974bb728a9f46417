//! Chart descriptions over the real server: the offline `facts` default,
//! and an OpenAI-compatible model played by a chat-completions server
//! written here, on loopback (streamed and not, failing on purpose).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patchart::describe::DescribeConfig;
use patchart::describe::openai::OpenAiConfig;
use patchart_suite::server::{TestServer, test_config};
use patchart_suite::workbook::{facet, query_sheet, standard_export, xlsx};
use serde_json::{Value, json};

// ---- a chat-completions server ----------------------------------------------------

/// What the model server answers to one request.
#[derive(Clone, Debug)]
enum Reply {
    /// Server-sent events, one `delta.content` per piece, 40 ms apart (so
    /// they reach clients as separate events), then `[DONE]`.
    Stream(Vec<&'static str>),
    /// One JSON completion.
    Json(&'static str),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    RateLimited(u32),
    /// Headers never come.
    Hang,
    /// This content type and body, as they are.
    Raw(&'static str, &'static str),
}

#[derive(Default)]
struct ModelServer {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Value>>,
}

impl ModelServer {
    fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn completions(State(m): State<Arc<ModelServer>>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    m.requests.lock().expect("lock").push(request);
    let reply = m
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or(Reply::Status(503));
    match reply {
        Reply::Json(text) => axum::Json(json!({
            "id": "cmpl-1", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
        }))
        .into_response(),
        Reply::Status(code) => (
            StatusCode::from_u16(code).expect("status"),
            axum::Json(json!({"error": {"message": format!("synthetic {code}"), "type": "server_error"}})),
        )
            .into_response(),
        Reply::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            axum::Json(json!({"error": {"message": "slow down", "type": "rate_limit"}})),
        )
            .into_response(),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Reply::Raw(content_type, body) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Reply::Stream(pieces) => {
            let mut events: Vec<String> = vec![
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n".into(),
            ];
            events.extend(pieces.iter().map(|p| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
                )
            }));
            events.push("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".into());
            events.push("data: [DONE]\n\n".into());
            let stream = futures_util::stream::unfold(events.into_iter(), |mut it| async move {
                let next = it.next()?;
                tokio::time::sleep(Duration::from_millis(40)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from(next)), it))
            });
            (
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(stream),
            )
                .into_response()
        }
    }
}

/// Starts the model server; returns it and its base URL (`.../v1`).
async fn model_server(script: Vec<Reply>) -> (Arc<ModelServer>, String) {
    let m = Arc::new(ModelServer {
        script: Mutex::new(script.into()),
        requests: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(m.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (m, format!("http://{addr}/v1"))
}

/// How long the model may keep the server waiting where the test does not
/// want a timeout: no busy machine makes a loopback answer this late.
const PATIENT: Duration = Duration::from_secs(60);

/// A patchart server whose `openai` provider is the model server, waiting
/// `timeout` for each part of an answer.
async fn server_with_model(base_url: &str, stream: bool, timeout: Duration) -> TestServer {
    let mut openai = OpenAiConfig::new(base_url, vec!["test-model".into(), "test-large".into()]);
    openai.api_key = Some("sk-test".into());
    openai.stream = stream;
    openai.timeout = timeout;
    openai.backoff = Duration::from_millis(10);
    openai.max_retries = 2;
    TestServer::start_with(move |c| {
        c.describe = DescribeConfig {
            openai: Some(openai),
            ..DescribeConfig::default()
        }
    })
    .await
}

// ---- helpers ------------------------------------------------------------------------

/// Charts `top_patent_countries` of the standard export (CN 20, US 12,
/// EP 10: 42 in all); returns (job id, image task id).
async fn chart(s: &TestServer, token: &str) -> (String, String) {
    let images = json!([{"algorithm_key": "top_patent_countries", "params": {}}]);
    let (status, created) = s
        .post_job(token, standard_export(), &images, None, None)
        .await;
    assert_eq!(status, 201, "{created}");
    let job_id = created["job_id"].as_str().expect("job_id").to_string();
    let job = s.wait_job(token, &job_id).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let task = job["image_tasks"][0]["id"]
        .as_str()
        .expect("task")
        .to_string();
    (job_id, task)
}

async fn post_describe(s: &TestServer, token: &str, body: &Value) -> (u16, Value) {
    let r = s
        .http
        .post(s.url("/api/ai/describe/"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST /api/ai/describe/");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls a description task until it is no longer pending or running.
async fn wait_description(s: &TestServer, token: &str, id: &str) -> Value {
    for _ in 0..3000 {
        let (status, d) = s
            .get_json(token, &format!("/api/description-tasks/{id}/"))
            .await;
        assert_eq!(status, 200, "{d}");
        if !matches!(d["status"].as_str(), Some("PENDING" | "RUNNING")) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("description {id} did not finish within 60 s");
}

async fn describe_and_wait(s: &TestServer, token: &str, body: &Value) -> Value {
    let (status, accepted) = post_describe(s, token, body).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["description_task_id"].as_str().expect("id");
    wait_description(s, token, id).await
}

/// The id of the job's last event so far.
async fn last_event_id(s: &TestServer, token: &str, job_id: &str) -> i64 {
    let events = s.events(token, job_id, None, 10_000).await;
    events
        .last()
        .and_then(|e| e["event_id"].as_i64())
        .expect("events")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

// ---- facts, the default -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_no_configuration_facts_describes_the_chart_in_both_locales() {
    let s = TestServer::start().await;
    let (status, models) = s.get_json(&s.admin_token, "/api/ai/models/").await;
    assert_eq!(status, 200, "{models}");
    assert_eq!(models["default_provider"], "facts");
    assert_eq!(models["chain"], json!(["facts:facts-1"]));
    assert_eq!(models["providers"].as_array().expect("providers").len(), 1);
    let (_, api) = s.get_json(&s.admin_token, "/api/openapi.json").await;
    for path in ["/api/ai/describe/", "/api/ai/models/"] {
        assert!(
            api["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(api["components"]["schemas"]["DescribeRequest"].is_object());

    let (job_id, task) = chart(&s, &s.admin_token).await;
    let after = last_event_id(&s, &s.admin_token, &job_id).await;
    let (status, accepted) = post_describe(
        &s,
        &s.admin_token,
        &json!({"image_task_id": task, "user_context": "for a briefing"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["provider"], "facts");
    assert_eq!(accepted["locale"], "en", "the chart's own locale");
    assert_eq!(accepted["events_url"], format!("/ws/jobs/{job_id}/"));
    let id = accepted["description_task_id"]
        .as_str()
        .expect("id")
        .to_string();

    // The job ended before; its channel carries the description and closes
    // after its DONE.
    let events = s.events(&s.admin_token, &job_id, Some(after), 100).await;
    let kinds: Vec<&str> = events.iter().map(|e| text(&e["event_type"])).collect();
    assert_eq!(kinds, ["START", "PROGRESS", "DONE"], "{events:#?}");
    assert!(
        events
            .iter()
            .all(|e| e["entity_type"] == "description_task" && e["task_id"] == id.as_str())
    );

    let d = wait_description(&s, &s.admin_token, &id).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["provider_used"], "facts");
    assert_eq!(d["model_used"], "facts-1");
    assert_eq!(d["error_code"], Value::Null);
    let en = text(&d["result_text"]);
    for needle in [
        "CN leads with 20 (47.6%)",
        "US with 12 (28.6%)",
        "The total is 42",
    ] {
        assert!(en.contains(needle), "{needle:?} missing in: {en}");
    }
    assert_eq!(events[1]["payload"]["chunk"], en);
    assert_eq!(events[2]["payload"]["result_text"], en);
    let snapshot: Value = serde_json::from_str(text(&d["prompt_snapshot"])).expect("snapshot");
    let user = text(&snapshot["messages"][1]["content"]);
    assert!(user.contains(en), "the facts ground the prompt");
    assert!(user.contains("for a briefing"));
    assert!(text(&snapshot["messages"][0]["content"]).contains("Use only the numbers given"));

    let es = describe_and_wait(
        &s,
        &s.admin_token,
        &json!({"image_task_id": task, "locale": "es"}),
    )
    .await;
    assert_eq!(es["locale"], "es");
    let es = text(&es["result_text"]);
    for needle in [
        "CN encabeza la lista con 20 (47,6\u{a0}%)",
        "El total es 42",
    ] {
        assert!(es.contains(needle), "{needle:?} missing in: {es}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_are_validated_and_charts_stay_with_their_owner() {
    let s = TestServer::start().await;
    let alice = s.user_token("alice").await;
    let bob = s.user_token("bob").await;
    let (_, task) = chart(&s, &alice).await;

    // 422: a provider or model this server does not have; 400: what the
    // document does not allow.
    for (body, field, needle, want) in [
        (
            json!({"image_task_id": task, "provider": "gpt"}),
            "provider",
            "valid: facts",
            422,
        ),
        (
            json!({"image_task_id": task, "provider": "openai"}),
            "provider",
            "not configured",
            422,
        ),
        (
            json!({"image_task_id": task, "model": "gpt-4o"}),
            "model",
            "valid: facts-1",
            422,
        ),
        (
            json!({"image_task_id": task, "locale": "fr"}),
            "locale",
            "valid: en, es",
            400,
        ),
        (
            json!({"image_task_id": task, "locale": "EN"}),
            "locale",
            "valid: en, es",
            400,
        ),
        (
            json!({"image_task_id": task, "user_context": "x".repeat(2001)}),
            "user_context",
            "limit is 2000",
            400,
        ),
        (
            json!({"image_task_id": task, "user_context": format!("{} ", "x".repeat(2000))}),
            "user_context",
            "limit is 2000",
            400,
        ),
    ] {
        let (status, err) = post_describe(&s, &alice, &body).await;
        assert_eq!(status, want, "{body}: {err}");
        assert_eq!(err["error"]["code"], "VALIDATION_ERROR");
        let msg = text(&err["error"]["fields"][field]);
        assert!(msg.contains(needle), "{field}: {msg}");
    }
    let (status, err) =
        post_describe(&s, &alice, &json!({"image_task_id": task, "extra": 1})).await;
    assert_eq!(status, 400, "unknown fields are refused: {err}");
    let (status, _) = post_describe(&s, &alice, &json!({"image_task_id": "nope"})).await;
    assert_eq!(status, 404);

    // Bob cannot describe Alice's chart, nor see her descriptions.
    let (status, err) = post_describe(&s, &bob, &json!({"image_task_id": task})).await;
    assert_eq!(status, 404, "{err}");
    let d = describe_and_wait(&s, &alice, &json!({"image_task_id": task})).await;
    assert_eq!(d["status"], "SUCCESS");
    let id = text(&d["id"]);
    let (status, _) = s
        .get_json(&bob, &format!("/api/description-tasks/{id}/"))
        .await;
    assert_eq!(status, 404);
    let (_, list) = s.get_json(&bob, "/api/description-tasks/").await;
    assert_eq!(list["count"], 0, "{list}");
    let (status, _) = s
        .get_json(&s.admin_token, &format!("/api/description-tasks/{id}/"))
        .await;
    assert_eq!(status, 200, "admins see every description");
    let (status, _) = post_describe(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(status, 202, "admins may describe any chart");

    // A chart that failed cannot be described.
    let file = xlsx(&[
        query_sheet("3 results found for x"),
        facet("Countries (family)", "Countries (family)", &[("CN", 3.0)]),
    ]);
    let images = json!([{"algorithm_key": "patent_evolution", "params": {}}]);
    let (_, created) = s.post_job(&alice, file, &images, None, None).await;
    let job = s.wait_job(&alice, text(&created["job_id"])).await;
    let failed = text(&job["image_tasks"][0]["id"]).to_string();
    assert_eq!(job["image_tasks"][0]["status"], "FAILED");
    let (status, err) = post_describe(&s, &alice, &json!({"image_task_id": failed})).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "CHART_NOT_READY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_description_whose_worker_died_runs_again_after_its_lease() {
    // No description worker at first, so the dead worker's claim below is
    // the only one: there is no race with a live worker to lose.
    let mut s = TestServer::start_with(|c| c.describe.workers = 0).await;
    let (_, task) = chart(&s, &s.admin_token).await;
    let (status, accepted) =
        post_describe(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(status, 202, "{accepted}");
    let id = text(&accepted["description_task_id"]).to_string();
    // What a crash leaves behind: claimed by a worker that is gone, with a
    // lease that has already expired.
    let claimed = s
        .running()
        .store()
        .claim_description("dead-node/d0", Duration::ZERO)
        .await
        .expect("claim")
        .expect("the queued description");
    assert_eq!(claimed.id, id);
    assert_eq!(claimed.attempts, 1);
    let (_, d) = s
        .get_json(&s.admin_token, &format!("/api/description-tasks/{id}/"))
        .await;
    assert_eq!(d["status"], "RUNNING", "{d}");

    // The same data dir, now with workers: they take the expired lease.
    s.server.take().expect("running").shutdown().await;
    let restarted = patchart::server::start(test_config(s.dir.path()))
        .await
        .expect("server restarts");
    s.base = format!("http://{}", restarted.addr());
    s.server = Some(restarted);
    let d = wait_description(&s, &s.admin_token, &id).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["provider_used"], "facts", "{d}");
    assert_eq!(
        d["attempts"], 2,
        "run again after the dead worker's lease: {d}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_with_too_many_active_descriptions_is_refused_with_429() {
    // No description worker: what is queued stays active.
    let s = TestServer::start_with(|c| {
        c.describe.workers = 0;
        c.describe.max_active_per_user = 2;
    })
    .await;
    let alice = s.user_token("alice").await;
    let (_, task) = chart(&s, &alice).await;
    let body = json!({"image_task_id": task});
    for _ in 0..2 {
        let (status, accepted) = post_describe(&s, &alice, &body).await;
        assert_eq!(status, 202, "{accepted}");
    }
    let (status, err) = post_describe(&s, &alice, &body).await;
    assert_eq!(status, 429, "{err}");
    assert_eq!(
        err["error"]["code"], "TOO_MANY_ACTIVE_DESCRIPTIONS",
        "{err}"
    );
    assert!(text(&err["error"]["message"]).contains("limit 2"), "{err}");
    let (_, list) = s.get_json(&alice, "/api/description-tasks/").await;
    assert_eq!(list["count"], 2, "the refused one was not queued: {list}");
    // The limit is per user.
    let (status, accepted) = post_describe(&s, &s.admin_token, &body).await;
    assert_eq!(status, 202, "{accepted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chart_whose_chart_data_cannot_be_described_fails_with_ai_no_chart_data() {
    use sqlx::{ConnectOptions, Connection};
    let s = TestServer::start().await;
    let (job_id, task) = chart(&s, &s.admin_token).await;
    // What an older plugin could have stored: an object without `series`.
    let mut db = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(s.dir.path().join("patchart.db"))
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("open the server's database");
    sqlx::query("UPDATE image_tasks SET chart_data = '{\"type\": \"bar\"}' WHERE id = ?")
        .bind(&task)
        .execute(&mut db)
        .await
        .expect("replace the chart_data");
    db.close().await.expect("close");
    let after = last_event_id(&s, &s.admin_token, &job_id).await;
    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error_code"], "AI_NO_CHART_DATA", "{d}");
    let message = text(&d["error_message"]);
    assert!(
        message.contains("does not follow the chart-data schema")
            && message.contains("missing field"),
        "{d}"
    );
    assert_eq!(d["result_text"], Value::Null, "{d}");
    let events = s.events(&s.admin_token, &job_id, Some(after), 100).await;
    let last = events.last().expect("events");
    assert_eq!(last["event_type"], "ERROR", "{events:#?}");
    assert_eq!(last["payload"]["error_code"], "AI_NO_CHART_DATA");
}

// ---- a model over HTTP ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_streamed_answer_reaches_the_websocket_chunk_by_chunk() {
    let (model, base) = model_server(vec![Reply::Stream(vec![
        "China leads ",
        "with 20 of 42 ",
        "documents.",
    ])])
    .await;
    let s = server_with_model(&base, true, PATIENT).await;
    let (status, models) = s.get_json(&s.admin_token, "/api/ai/models/").await;
    assert_eq!(status, 200);
    assert_eq!(models["default_provider"], "openai");
    assert_eq!(
        models["chain"],
        json!(["openai:test-model", "facts:facts-1"])
    );
    assert!(
        !models.to_string().contains("sk-test"),
        "the key is never shown"
    );

    let (job_id, task) = chart(&s, &s.admin_token).await;
    let after = last_event_id(&s, &s.admin_token, &job_id).await;
    let (status, accepted) = post_describe(
        &s,
        &s.admin_token,
        &json!({"image_task_id": task, "user_context": "Audience: ministry", "locale": "es"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["provider"], "openai");
    assert_eq!(accepted["model"], "test-model");
    let events = s.events(&s.admin_token, &job_id, Some(after), 100).await;
    let chunks: Vec<&str> = events
        .iter()
        .filter(|e| e["event_type"] == "PROGRESS")
        .map(|e| text(&e["payload"]["chunk"]))
        .collect();
    assert!(chunks.len() >= 2, "streamed in pieces: {events:#?}");
    assert_eq!(chunks.concat(), "China leads with 20 of 42 documents.");
    let done = events.last().expect("events");
    assert_eq!(done["event_type"], "DONE", "{events:#?}");
    assert_eq!(done["payload"]["provider_used"], "openai");

    let d = wait_description(&s, &s.admin_token, text(&accepted["description_task_id"])).await;
    assert_eq!(d["status"], "SUCCESS");
    assert_eq!(d["provider_used"], "openai");
    assert_eq!(d["model_used"], "test-model");
    assert_eq!(d["result_text"], "China leads with 20 of 42 documents.");

    let requests = model.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r["model"], "test-model");
    assert_eq!(r["stream"], true);
    let system = text(&r["messages"][0]["content"]);
    let user = text(&r["messages"][1]["content"]);
    assert!(system.contains("Use only the numbers given") && system.contains("Spanish"));
    assert!(
        user.contains("CN encabeza la lista con 20"),
        "facts in Spanish: {user}"
    );
    assert!(
        user.contains("\"algorithm\":\"top_patent_countries\""),
        "chart_data: {user}"
    );
    assert!(user.contains("Audience: ministry"));
    assert_eq!(
        text(&d["prompt_snapshot"]),
        json!({"messages": r["messages"]}).to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_answer_a_500_then_success_and_a_chosen_model() {
    let (model, base) = model_server(vec![
        Reply::Json("A plain answer."),
        Reply::Status(500),
        Reply::Json("Second time lucky."),
    ])
    .await;
    let s = server_with_model(&base, false, PATIENT).await;
    let (_, task) = chart(&s, &s.admin_token).await;

    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["result_text"], "A plain answer.");
    assert_eq!(model.requests()[0]["stream"], false);

    let d = describe_and_wait(
        &s,
        &s.admin_token,
        &json!({"image_task_id": task, "model": "test-large"}),
    )
    .await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["provider_used"], "openai");
    assert_eq!(d["model_used"], "test-large");
    assert_eq!(d["result_text"], "Second time lucky.");
    assert_eq!(
        d["error_code"],
        Value::Null,
        "a retry that worked is no failure"
    );
    let requests = model.requests();
    assert_eq!(requests.len(), 3, "one retry after the 500");
    assert!(requests[1..].iter().all(|r| r["model"] == "test-large"));

    let (status, err) = post_describe(
        &s,
        &s.admin_token,
        &json!({"image_task_id": task, "model": "gpt-5"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        text(&err["error"]["fields"]["model"]).contains("test-model, test-large"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_that_times_out_falls_back_to_facts() {
    let (model, base) = model_server(vec![Reply::Hang]).await;
    // Short: the model hangs, and the test waits for the timeout.
    let s = server_with_model(&base, true, Duration::from_millis(300)).await;
    let (job_id, task) = chart(&s, &s.admin_token).await;
    let after = last_event_id(&s, &s.admin_token, &job_id).await;
    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["provider_used"], "facts");
    assert_eq!(d["model_used"], "facts-1");
    assert!(text(&d["result_text"]).contains("CN leads with 20 (47.6%)"));
    // Why the model did not write it stays visible.
    assert_eq!(d["error_code"], "AI_TIMEOUT", "{d}");
    assert!(text(&d["error_message"]).contains("300 ms"), "{d}");
    let attempts = d["provider_attempts"].as_array().expect("attempts");
    assert_eq!(attempts[0]["provider"], "openai");
    assert_eq!(attempts[0]["outcome"], "FAILED");
    assert_eq!(attempts[1]["provider"], "facts");
    assert_eq!(model.requests().len(), 1, "a timeout is not retried");

    let events = s.events(&s.admin_token, &job_id, Some(after), 100).await;
    let fallback = events
        .iter()
        .find(|e| e["payload"]["fallback"].is_object())
        .expect("a fallback event");
    assert_eq!(fallback["level"], "WARNING");
    assert_eq!(fallback["payload"]["fallback"]["error_code"], "AI_TIMEOUT");
    assert_eq!(fallback["payload"]["fallback"]["to"], "facts:facts-1");
    assert_eq!(events.last().expect("events")["payload"]["fallback"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_answers_are_named_and_facts_writes_the_text() {
    let (_model, base) = model_server(vec![
        Reply::Raw(
            "application/json",
            "{\"id\": \"x\", \"object\": \"chat.completion\"}",
        ),
        Reply::Raw("text/event-stream", "data: <html>busy</html>\n\n"),
    ])
    .await;
    let s = server_with_model(&base, true, PATIENT).await;
    let (_, task) = chart(&s, &s.admin_token).await;
    for needle in ["choices[0].message.content", "<html>busy</html>"] {
        let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
        assert_eq!(d["status"], "SUCCESS", "{d}");
        assert_eq!(d["provider_used"], "facts");
        assert_eq!(d["error_code"], "AI_BAD_RESPONSE", "{d}");
        let msg = text(&d["error_message"]);
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains("chat-completions protocol"), "{msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_are_waited_out_when_short_and_fallen_back_from_when_long() {
    let (model, base) = model_server(vec![
        Reply::RateLimited(0),
        Reply::Json("After a short wait."),
        Reply::RateLimited(3600),
    ])
    .await;
    let s = server_with_model(&base, false, PATIENT).await;
    let (_, task) = chart(&s, &s.admin_token).await;

    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["provider_used"], "openai", "{d}");
    assert_eq!(d["result_text"], "After a short wait.");
    assert_eq!(model.requests().len(), 2);

    // An hour's Retry-After is not waited for: facts writes the text now.
    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["provider_used"], "facts", "{d}");
    assert_eq!(d["error_code"], "AI_UPSTREAM_ERROR");
    let msg = text(&d["error_message"]);
    assert!(
        msg.contains("429") && msg.contains("slow down") && msg.contains("rate limiting"),
        "{msg}"
    );
    assert_eq!(
        model.requests().len(),
        3,
        "no retry after a long Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_that_refuses_connections_is_unavailable_and_facts_writes_the_text() {
    // A loopback port nothing listens on any more: connecting is refused.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let s = server_with_model(&format!("http://{closed}/v1"), true, PATIENT).await;
    let (_, task) = chart(&s, &s.admin_token).await;
    let d = describe_and_wait(&s, &s.admin_token, &json!({"image_task_id": task})).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    assert_eq!(d["provider_used"], "facts", "{d}");
    assert!(text(&d["result_text"]).contains("CN leads with 20 (47.6%)"));
    assert_eq!(d["error_code"], "AI_UNAVAILABLE", "{d}");
    assert!(
        text(&d["error_message"]).contains(&closed.to_string()),
        "names the endpoint: {d}"
    );
    let attempts = d["provider_attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{d}");
    assert_eq!(attempts[0]["provider"], "openai");
    assert_eq!(attempts[0]["outcome"], "FAILED");
    assert_eq!(attempts[0]["error_code"], "AI_UNAVAILABLE");
    assert_eq!(attempts[1]["provider"], "facts");
    assert_eq!(attempts[1]["outcome"], "SUCCESS");
}
