//! The HTTP/1.1 listener the API is served on. It is axum's `serve` with
//! what that one leaves out: a deadline for a request's head and a limit
//! on how long a request body may stall, so connections that open and
//! then send nothing, half a head or half a body (slowloris) are closed
//! instead of being held forever while the server keeps serving others.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::api::ApiError;

/// How long a client may take to send what it started.
#[derive(Debug, Clone, Copy)]
pub struct ReadTimeouts {
    /// From the connection's first byte wanted (a new connection, or one
    /// kept alive after an answer) to the end of a request's head. Also
    /// how long an idle kept-alive connection stays open.
    pub header: Duration,
    /// The longest pause in a request body while a handler waits for it;
    /// a slow upload that keeps moving is never cut.
    pub body: Duration,
}

impl Default for ReadTimeouts {
    fn default() -> Self {
        ReadTimeouts {
            header: Duration::from_secs(30),
            body: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting,
/// lets each connection finish the request in hand and waits for them all.
/// WebSockets, once upgraded, are the handlers' own and not waited for.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: ReadTimeouts,
    stop: impl Future<Output = ()>,
) {
    // Every connection holds a receiver of `closing`: shutdown tells them
    // through it, and knows they have all ended when the last one is gone.
    let (closing, open) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Answers are written whole; Nagle would hold their last segment
        // back for the client's delayed ACK.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(tcp, peer, app.clone(), timeouts, open.clone()));
    }
    drop(listener);
    let _ = closing.send(true);
    drop(open);
    closing.closed().await;
}

/// Too many open files passes when connections close; anything else the
/// peer did is its own affair.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: ReadTimeouts,
    mut closing: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(answer(app, req, peer, timeouts.body).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(conn);
    // Held to the end: the listener's shutdown waits for every receiver.
    let stopping = async {
        let _ = closing.wait_for(|c| *c).await;
    };
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(client = %peer, error = %e, "connection ended with an error");
            }
            return;
        }
        _ = stopping => {}
    }
    // Finishes the request in hand, then closes (at once when idle).
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.as_mut().await {
        tracing::debug!(client = %peer, error = %e, "connection ended with an error");
    }
}

/// Runs one request through the router with its body watched for stalls.
async fn answer(
    app: Router,
    req: Request<Incoming>,
    peer: SocketAddr,
    stall: Duration,
) -> Response {
    let stalled = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = Body::new(StallGuard {
        inner: body,
        after: stall,
        timer: None,
        waiting: false,
        stalled: stalled.clone(),
    });
    let mut req = Request::from_parts(parts, body);
    // As axum's `ConnectInfo`: the failed-authentication throttle keys on
    // the peer's address.
    req.extensions_mut().insert(ConnectInfo(peer));
    let response = match app.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if !stalled.load(Ordering::Relaxed) {
        return response;
    }
    // Whatever the handler made of a body that stopped coming (an
    // unreadable multipart, a JSON error), the cause is the client's pause.
    let mut response = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "BODY_READ_TIMEOUT",
        format!(
            "the request body stopped arriving for {} s; send it again without pausing",
            stall.as_secs()
        ),
    )
    .into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// A request body that fails once no frame has come for `after` while
/// its reader waits, and records that it did.
struct StallGuard {
    inner: Incoming,
    after: Duration,
    /// Made on the first wait, so bodies that arrive with their head (and
    /// GETs, which have none) never make one.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Whether the reader is waiting on `timer` now.
    waiting: bool,
    stalled: Arc<AtomicBool>,
}

#[derive(Debug)]
struct BodyStalled;

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body stalled")
    }
}

impl std::error::Error for BodyStalled {}

impl hyper::body::Body for StallGuard {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                // Counted from when the reader starts waiting, so time the
                // handler spends on the previous frame is not the client's.
                let deadline = tokio::time::Instant::now() + this.after;
                let fresh = this.timer.is_none();
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !fresh && !this.waiting {
                    timer.as_mut().reset(deadline);
                }
                this.waiting = true;
                if timer.as_mut().poll(cx).is_ready() {
                    this.stalled.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(BodyStalled.into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
