//! `WS /ws/jobs/<id>/`: a job's events as JSON text frames, in order.
//! `?after=<event_id>` replays what a reconnecting client missed. The
//! database log is read after every wake-up, so nothing is skipped or sent
//! twice however events interleave.
//!
//! The socket stays open while the client is connected, as the replaced
//! Jobs API's consumer did: a description asked for after the job ended
//! streams on the same channel. The terminal `job_status_changed` event
//! marks the job's end; a client closes once it has that and the final
//! event (DONE, ERROR, CANCELLED) of each description it waits for. With
//! `?close_when_complete=true` the server closes instead, once the job and
//! every description of its charts have ended.

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::views::EventView;
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth};
use crate::events::kind;
use crate::store::Signal;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Last event id the client saw; events after it are sent.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Token, for clients that cannot set headers. Read by the `Auth`
    /// extractor from the URI; declared here for the OpenAPI document.
    #[allow(dead_code)]
    pub token: Option<String>,
    /// Close the socket once the job and every description of its charts
    /// have ended (default false: stay open until the client closes).
    pub close_when_complete: Option<bool>,
}

/// Stream a job's events (WebSocket upgrade).
#[utoipa::path(get, path = "/ws/jobs/{id}/", tag = "events", params(("id" = String, Path), WsQuery),
    responses((status = 101, description = "Switching to WebSocket; text frames carry events (EventView)"), (status = 401, body = super::views::ErrorBody), (status = 404, body = super::views::ErrorBody)),
    security(("bearer" = [])))]
pub async fn job_events(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WsQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let job = super::visible_job(&state, &user, &id).await?;
    // Checked after the job, so whether a job exists is answered the same
    // way with or without the upgrade headers.
    let ws = ws.map_err(|e| {
        ApiError::new(
            e.status(),
            "WEBSOCKET_REQUIRED",
            format!(
                "this endpoint streams events over a WebSocket; open it with a WebSocket client ({})",
                e.body_text()
            ),
        )
    })?;
    let after = q.after.unwrap_or(0);
    let close_when_complete = q.close_when_complete.unwrap_or(false);
    Ok(ws
        // A client only ever sends a close or a ping here. The read buffer
        // is zero-filled to its full size on every read attempt, so the
        // default 128 KiB cost a memset per wake-up of every subscriber
        // (a tenth of a busy node's CPU); and a client's messages are
        // bounded like any request body.
        .read_buffer_size(WS_READ_BUFFER)
        .max_message_size(WS_MAX_CLIENT_MESSAGE)
        .max_frame_size(WS_MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| stream(state, job.id, after, close_when_complete, socket)))
}

const WS_READ_BUFFER: usize = 4 << 10;
const WS_MAX_CLIENT_MESSAGE: usize = 64 << 10;

async fn stream(
    state: AppState,
    job_id: String,
    mut last: i64,
    close_when_complete: bool,
    mut socket: WebSocket,
) {
    // Subscribe before the first read so nothing emitted in between is lost.
    let mut rx = state.jobs.events().subscribe();
    let mut first = true;
    loop {
        let batch = match state.store.events_after(&job_id, last, 500).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "reading events failed");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        let full = batch.len() == 500;
        let mut ending = false;
        for event in batch {
            last = event.id;
            ending |= (event.event_type == kind::JOB_STATUS_CHANGED
                && is_terminal_payload(&event.payload))
                || (event.entity_type == "description_task"
                    && matches!(
                        event.event_type.as_str(),
                        kind::DONE | kind::ERROR | kind::CANCELLED
                    ));
            let text = serde_json::to_string(&EventView::from(&event)).unwrap_or_default();
            if socket.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        // The log is complete once the job has ended and so has every
        // description of its charts (descriptions may run after the job).
        // Checked at the start too, so a client resuming past the end is
        // not kept waiting.
        if close_when_complete
            && (ending || first)
            && state
                .store
                .job_log_complete(&job_id, last)
                .await
                .unwrap_or(false)
        {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
        first = false;
        // Wait for the next event of this job, a client message, or a close.
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    // Events already sent (read from the log with an
                    // earlier one of their batch) need no new read.
                    Ok(Signal::Events { job_id: j, last_id }) if j == job_id && last_id > last => break,
                    // Announcements may have been missed: the log says.
                    Ok(Signal::Resync) | Err(RecvError::Lagged(_)) => break,
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return,
                },
                m = socket.recv() => match m {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                },
            }
        }
    }
}

/// Whether a `job_status_changed` payload names a final status.
fn is_terminal_payload(payload: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_string))
        .and_then(|s| crate::store::model::JobStatus::parse(&s))
        .is_some_and(|s| s.is_terminal())
}
