//! Clients that open a connection and then stall (slowloris: nothing
//! sent, half a request head, half a body) neither keep others from
//! being served nor hold their connection past the read timeouts.

use std::time::{Duration, Instant};

use patchart::http::ReadTimeouts;
use patchart_suite::server::TestServer;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER: Duration = Duration::from_secs(3);
const BODY: Duration = Duration::from_secs(3);

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.read_timeouts = ReadTimeouts {
            header: HEADER,
            body: BODY,
        }
    })
    .await
}

/// How a stalled client stops.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Connects and sends nothing.
    Silent,
    /// Sends a request line and one header, never the blank line.
    HalfHead,
    /// Sends a whole head declaring a JSON body, then part of it.
    HalfBody,
}

/// Opens a connection and sends what `stall` sends.
async fn stalled(s: &TestServer, stall: Stall) -> TcpStream {
    let mut tcp = TcpStream::connect(s.running().addr())
        .await
        .expect("connect");
    let sent = match stall {
        Stall::Silent => String::new(),
        Stall::HalfHead => "GET /api/jobs/ HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_string(),
        Stall::HalfBody => format!(
            "POST /api/tokens/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"user\": \"sl",
            s.admin_token
        ),
    };
    tcp.write_all(sent.as_bytes()).await.expect("send");
    tcp
}

/// Reads until the server closes `tcp`; what it sent before.
async fn until_closed(mut tcp: TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_stalled_connections_do_not_stop_service_and_are_closed_after_the_timeouts() {
    let s = server().await;
    let kinds = [Stall::Silent, Stall::HalfHead, Stall::HalfBody];
    let opened = Instant::now();
    let mut idle = Vec::new();
    for i in 0..300 {
        let kind = kinds[i % kinds.len()];
        idle.push((kind, stalled(&s, kind).await));
    }
    // Served while all of them are open and before any timeout is due.
    let client = reqwest::Client::new();
    for path in ["/healthz", "/api/jobs/", "/api/algorithms/"] {
        let r = client
            .get(s.url(path))
            .bearer_auth(&s.admin_token)
            .send()
            .await
            .expect("served");
        assert_eq!(r.status(), 200, "{path}");
    }
    assert!(
        opened.elapsed() < HEADER.min(BODY),
        "the check must run before the timeouts are due (took {:?})",
        opened.elapsed()
    );

    let closed = futures_util::future::join_all(idle.into_iter().map(|(kind, tcp)| async move {
        let got = tokio::time::timeout(Duration::from_secs(30), until_closed(tcp))
            .await
            .unwrap_or_else(|_| panic!("a {kind:?} connection still open after 30 s"));
        (kind, got, opened.elapsed())
    }))
    .await;
    for (kind, got, at) in closed {
        // Not before its timeout: it is the timeout that closed it.
        let timeout = match kind {
            Stall::HalfBody => BODY,
            _ => HEADER,
        };
        assert!(
            at >= timeout,
            "{kind:?} closed after {at:?}, before {timeout:?}"
        );
        let text = String::from_utf8_lossy(&got);
        match kind {
            // A handler was reading the body: it is told why it ended.
            Stall::HalfBody => {
                assert!(text.starts_with("HTTP/1.1 408"), "{kind:?}: {text:?}");
                let body: Value = text
                    .split_once("\r\n\r\n")
                    .and_then(|(_, b)| serde_json::from_str(b).ok())
                    .unwrap_or_else(|| panic!("{kind:?}: no JSON body in {text:?}"));
                assert_eq!(body["error"]["code"], "BODY_READ_TIMEOUT", "{body}");
            }
            _ => assert!(got.is_empty(), "{kind:?}: {text:?}"),
        }
    }
    // The stalled body stored nothing.
    let (status, tokens) = s.get_json(&s.admin_token, "/api/tokens/").await;
    assert_eq!(status, 200);
    assert_eq!(tokens["count"], 1, "{tokens}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_keeps_arriving_slower_than_the_timeout_in_all_is_read_in_full() {
    let s = server().await;
    let body = json!({"user": "slow-uploader", "label": "x".repeat(150)}).to_string();
    let mut tcp = TcpStream::connect(s.running().addr())
        .await
        .expect("connect");
    let head = format!(
        "POST /api/tokens/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.admin_token,
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.expect("head");
    // Five pieces a second apart: twice the body timeout in all, never a
    // pause as long as it.
    let started = Instant::now();
    let piece = body.len().div_ceil(5);
    for chunk in body.as_bytes().chunks(piece) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tcp.write_all(chunk).await.expect("piece");
    }
    assert!(started.elapsed() > BODY, "the upload outlasts the timeout");
    let got = tokio::time::timeout(Duration::from_secs(30), until_closed(tcp))
        .await
        .expect("an answer");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_serves_requests_then_closes_once_idle_past_the_head_timeout() {
    let s = server().await;
    let mut tcp = TcpStream::connect(s.running().addr())
        .await
        .expect("connect");
    for _ in 0..2 {
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .expect("send");
        let mut buf = vec![0u8; 4096];
        let n = tcp.read(&mut buf).await.expect("answer");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    }
    let idle = Instant::now();
    let rest = tokio::time::timeout(Duration::from_secs(30), until_closed(tcp))
        .await
        .expect("closed once idle");
    assert!(rest.is_empty());
    assert!(
        idle.elapsed() >= HEADER,
        "closed after {:?}",
        idle.elapsed()
    );
}
