//! The `openai` provider: any OpenAI-compatible chat-completions endpoint
//! (`POST {base_url}/chat/completions`), streamed or not.
//!
//! Failure handling, in order:
//! - `timeout` bounds the connection and response headers, then every gap
//!   between two streamed chunks (or the whole body when not streaming);
//!   a timeout is not retried: the next provider of the chain is faster
//!   than waiting again;
//! - 429 and 5xx are retried `max_retries` times with exponential backoff
//!   from `backoff`, or after the server's `Retry-After` when that is at
//!   most `max_retry_after` (a longer one means "not now": fall back);
//! - anything that is not the protocol (bad JSON, no `choices`, an empty
//!   text, a stream cut before `[DONE]`) is `AI_BAD_RESPONSE`, never
//!   retried, with a sample of what came back.
//!
//! Once text has been streamed to listeners nothing is retried, so a
//! reader never sees the same words twice.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::prompt::Prompt;
use crate::error::{Error, ErrorCode, Result};

/// Settings of one OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// Up to and including the version segment, e.g.
    /// `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; local servers often need none.
    pub api_key: Option<String>,
    /// Models clients may ask for; the first is the default.
    pub models: Vec<String>,
    /// Stream the answer (`stream: true`, server-sent events).
    pub stream: bool,
    pub timeout: Duration,
    pub max_retries: u32,
    /// First retry delay; doubled on each further retry.
    pub backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the attempts.
    pub max_retry_after: Duration,
}

impl std::fmt::Debug for OpenAiConfig {
    // The key never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("models", &self.models)
            .field("stream", &self.stream)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl OpenAiConfig {
    pub fn new(base_url: &str, models: Vec<String>) -> OpenAiConfig {
        OpenAiConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: None,
            models,
            stream: true,
            timeout: Duration::from_secs(30),
            max_retries: 2,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(10),
        }
    }

    pub fn default_model(&self) -> Option<&str> {
        self.models.first().map(String::as_str)
    }
}

/// A client of one endpoint.
pub struct OpenAiClient {
    http: reqwest::Client,
    config: OpenAiConfig,
}

/// How one HTTP attempt failed, and whether another may follow.
struct Failure {
    error: Error,
    /// Wait this long and try again (429/5xx), if attempts remain.
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retry_after: None,
        }
    }
}

impl OpenAiClient {
    pub fn new(config: OpenAiConfig) -> Result<OpenAiClient> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .user_agent(concat!("patchart/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::Internal,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(OpenAiClient { http, config })
    }

    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    /// Asks `model` for the text of `prompt`. Streamed pieces are sent on
    /// `chunks` as they arrive (when not streaming, the whole text once).
    /// Returns the full text.
    pub async fn complete(
        &self,
        model: &str,
        prompt: &Prompt,
        chunks: &mpsc::UnboundedSender<String>,
    ) -> Result<String> {
        let mut attempt = 0u32;
        loop {
            let mut streamed = false;
            match self.attempt(model, prompt, chunks, &mut streamed).await {
                Ok(text) => return Ok(text),
                Err(Failure {
                    error,
                    retry_after: Some(wait),
                }) if attempt < self.config.max_retries && !streamed => {
                    let wait = wait.max(self.config.backoff * 2u32.saturating_pow(attempt));
                    tracing::info!(model, attempt, error = %error, ?wait, "retrying the model");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    async fn attempt(
        &self,
        model: &str,
        prompt: &Prompt,
        chunks: &mpsc::UnboundedSender<String>,
        streamed: &mut bool,
    ) -> std::result::Result<String, Failure> {
        let url = format!("{}/chat/completions", self.config.base_url);
        let body = json!({
            "model": model,
            "messages": prompt.messages(),
            "stream": self.config.stream,
        });
        let mut req = self.http.post(&url).json(&body);
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key);
        }
        let timeout = self.config.timeout;
        let resp = match tokio::time::timeout(timeout, req.send()).await {
            Err(_) => return Err(Failure::fatal(self.timed_out("the response headers"))),
            Ok(Err(e)) if e.is_timeout() => {
                return Err(Failure::fatal(self.timed_out("the connection")));
            }
            Ok(Err(e)) => {
                return Err(Failure::fatal(Error::new(
                    ErrorCode::AiUnavailable,
                    format!(
                        "cannot reach the model endpoint {url}: {}; check --openai-base-url and that the server is up",
                        error_chain(&e)
                    ),
                )));
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(self.http_failure(resp).await);
        }
        let is_sse = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if is_sse {
            self.read_stream(resp, chunks, streamed).await
        } else {
            // Servers may answer a streaming request with one JSON body.
            let bytes = self.read_all(resp).await?;
            let text = parse_completion(&bytes).map_err(Failure::fatal)?;
            *streamed = true;
            let _ = chunks.send(text.clone());
            Ok(text)
        }
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::new(
            ErrorCode::AiTimeout,
            format!(
                "the model endpoint did not send {what} within {} ms",
                self.config.timeout.as_millis()
            ),
        )
    }

    async fn read_all(&self, mut resp: reqwest::Response) -> std::result::Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(self.config.timeout, resp.chunk()).await {
                Err(_) => return Err(Failure::fatal(self.timed_out("the rest of its answer"))),
                Ok(Err(e)) => {
                    return Err(Failure::fatal(Error::new(
                        ErrorCode::AiUnavailable,
                        format!("the connection to the model broke: {}", error_chain(&e)),
                    )));
                }
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(b))) => {
                    if body.len() + b.len() > MAX_BODY {
                        return Err(Failure::fatal(too_long()));
                    }
                    body.extend_from_slice(&b);
                }
            }
        }
    }

    /// Reads server-sent events: `data: {json}` lines until `data: [DONE]`.
    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        chunks: &mpsc::UnboundedSender<String>,
        streamed: &mut bool,
    ) -> std::result::Result<String, Failure> {
        let mut sse = SseText::default();
        loop {
            let next = match tokio::time::timeout(self.config.timeout, resp.chunk()).await {
                Err(_) => return Err(Failure::fatal(self.timed_out("its next chunk"))),
                Ok(Err(e)) => {
                    return Err(Failure::fatal(Error::new(
                        ErrorCode::AiUnavailable,
                        format!(
                            "the connection to the model broke mid-answer: {}",
                            error_chain(&e)
                        ),
                    )));
                }
                Ok(Ok(next)) => next,
            };
            let Some(bytes) = next else {
                return sse.finish().map_err(Failure::fatal);
            };
            for piece in sse.feed(&bytes).map_err(Failure::fatal)? {
                *streamed = true;
                let _ = chunks.send(piece);
            }
            if sse.done {
                return sse.finish().map_err(Failure::fatal);
            }
        }
    }

    async fn http_failure(&self, resp: reqwest::Response) -> Failure {
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let body = match tokio::time::timeout(self.config.timeout, resp.bytes()).await {
            Ok(Ok(b)) => b.to_vec(),
            _ => Vec::new(),
        };
        let detail = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_string))
            .unwrap_or_else(|| sample(&body));
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        let hint = match status.as_u16() {
            401 | 403 => "; check the API key (--openai-api-key / PATCHART_OPENAI_API_KEY)",
            404 => {
                "; check --openai-base-url (it ends before /chat/completions) and the model name"
            }
            429 => "; the endpoint is rate limiting",
            _ => "",
        };
        let error = Error::new(
            ErrorCode::AiUpstreamError,
            format!("the model endpoint answered HTTP {status}: {detail}{hint}"),
        );
        let retry_after = match retry_after {
            // Waiting longer than allowed is not worth it: fall back now.
            Some(d) if d > self.config.max_retry_after => None,
            Some(d) => Some(d),
            None => Some(Duration::ZERO),
        };
        Failure {
            error,
            retry_after: if retryable { retry_after } else { None },
        }
    }
}

/// Largest answer read: a description is a paragraph, not a book.
const MAX_BODY: usize = 1 << 20;

fn too_long() -> Error {
    Error::new(
        ErrorCode::AiBadResponse,
        format!(
            "the model's answer exceeds {} KiB; a description is one paragraph",
            MAX_BODY >> 10
        ),
    )
}

/// Assembles the text of a chat-completions event stream.
#[derive(Default)]
struct SseText {
    pending: Vec<u8>,
    text: String,
    done: bool,
    finished: bool,
}

impl SseText {
    /// Takes the next bytes; returns the text pieces they completed.
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() + self.text.len() > MAX_BODY {
            return Err(too_long());
        }
        let mut out = Vec::new();
        while let Some(nl) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            // Comments (": keep-alive"), `event:`/`id:` fields and blank
            // separators carry no text.
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let data = data.trim();
            if data == "[DONE]" {
                self.done = true;
                break;
            }
            let v: Value = serde_json::from_str(data).map_err(|e| {
                bad(format!(
                    "a streamed event is not JSON ({e}): {}",
                    sample(data.as_bytes())
                ))
            })?;
            if let Some(msg) = v.pointer("/error/message").and_then(Value::as_str) {
                return Err(Error::new(
                    ErrorCode::AiUpstreamError,
                    format!("the model stopped with an error: {msg}"),
                ));
            }
            let choice = v.pointer("/choices/0").ok_or_else(|| {
                bad(format!(
                    "a streamed event has no choices[0]: {}",
                    sample(data.as_bytes())
                ))
            })?;
            if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
                self.finished = true;
            }
            if let Some(piece) = choice.pointer("/delta/content").and_then(Value::as_str)
                && !piece.is_empty()
            {
                self.text.push_str(piece);
                out.push(piece.to_string());
            }
        }
        Ok(out)
    }

    fn finish(self) -> Result<String> {
        if !self.done && !self.finished {
            return Err(bad(
                "the stream ended before `data: [DONE]` or a finish_reason; the answer is cut"
                    .into(),
            ));
        }
        non_empty(self.text)
    }
}

/// The text of a non-streamed chat completion.
fn parse_completion(body: &[u8]) -> Result<String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("the answer is not JSON ({e}): {}", sample(body))))?;
    if let Some(msg) = v.pointer("/error/message").and_then(Value::as_str) {
        return Err(Error::new(
            ErrorCode::AiUpstreamError,
            format!("the model answered with an error: {msg}"),
        ));
    }
    let text = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad(format!(
                "the answer has no choices[0].message.content: {}",
                sample(body)
            ))
        })?;
    non_empty(text.to_string())
}

fn non_empty(text: String) -> Result<String> {
    if text.trim().is_empty() {
        Err(bad("the model returned no text".into()))
    } else {
        Ok(text.trim().to_string())
    }
}

fn bad(message: String) -> Error {
    Error::new(
        ErrorCode::AiBadResponse,
        format!("{message}; the endpoint does not speak the chat-completions protocol as expected"),
    )
}

/// The start of a body, for error messages.
fn sample(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    if s.is_empty() {
        return "(empty body)".into();
    }
    let cut: String = s.chars().take(200).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// reqwest errors say "error sending request"; the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_text_joins_deltas_across_split_lines() {
        let mut s = SseText::default();
        let a = s
            .feed(b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hel")
            .expect("first bytes");
        assert!(a.is_empty());
        let b = s
            .feed(b"lo\"}}]}\r\n\r\n: keep-alive\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" world\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n")
            .expect("rest");
        assert_eq!(b, vec!["Hello".to_string(), " world".to_string()]);
        assert!(s.done);
        assert_eq!(s.finish().expect("text"), "Hello world");
    }

    #[test]
    fn a_cut_stream_and_a_non_json_event_are_bad_responses() {
        let mut s = SseText::default();
        s.feed(b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n")
            .expect("feed");
        let e = s.finish().expect_err("no [DONE]");
        assert_eq!(e.code, ErrorCode::AiBadResponse);
        assert!(e.message.contains("[DONE]"), "{}", e.message);

        let mut s = SseText::default();
        let e = s.feed(b"data: <html>oops</html>\n").expect_err("not JSON");
        assert_eq!(e.code, ErrorCode::AiBadResponse);
        assert!(e.message.contains("<html>oops</html>"), "{}", e.message);
    }

    #[test]
    fn completions_are_read_and_malformed_ones_explained() {
        let ok = br#"{"choices":[{"message":{"role":"assistant","content":" A chart. "}}]}"#;
        assert_eq!(parse_completion(ok).expect("text"), "A chart.");
        for (body, needle) in [
            (&b"{\"choices\":[]}"[..], "choices[0].message.content"),
            (&b"not json"[..], "not JSON"),
            (
                &b"{\"choices\":[{\"message\":{\"content\":\"  \"}}]}"[..],
                "no text",
            ),
        ] {
            let e = parse_completion(body).expect_err("malformed");
            assert_eq!(e.code, ErrorCode::AiBadResponse);
            assert!(e.message.contains(needle), "{}", e.message);
        }
        let e =
            parse_completion(br#"{"error":{"message":"model overloaded"}}"#).expect_err("error");
        assert_eq!(e.code, ErrorCode::AiUpstreamError);
    }
}
