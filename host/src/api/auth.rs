//! Who is calling: bearer tokens (or `?token=` on WebSockets), admins,
//! and the slowdown of an address that keeps sending bad tokens.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::store::model::User;

/// Failed authentications an address may make per [`WINDOW`] before its
/// failures are answered late: enough for a mistyped or rotated token,
/// too few to guess one.
const FREE_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(60);
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Addresses remembered at most; past it, the oldest windows go first.
const MAX_TRACKED: usize = 10_000;

/// Failed authentications by client address. Past [`FREE_FAILURES`] in a
/// window, each further failure is answered only after a delay that
/// doubles up to [`MAX_DELAY`]. Requests with a valid token are never
/// delayed, so a user sharing an address with a guesser is unaffected.
#[derive(Default)]
pub struct AuthThrottle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AuthThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure from `ip`; returns how long to hold its answer.
    fn failed(&self, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let entry = map.entry(ip).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        match entry.0.checked_sub(FREE_FAILURES + 1) {
            None => Duration::ZERO,
            Some(over) => FIRST_DELAY
                .saturating_mul(1u32 << over.min(16))
                .min(MAX_DELAY),
        }
    }
}

/// An authenticated admin; anyone else gets 403.
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Auth(user) = Auth::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(Admin(user))
        } else {
            Err(ApiError::forbidden(
                "this is for admins (plugins, nodes, tokens); ask an operator for an admin token",
            ))
        }
    }
}

/// The authenticated caller. Tokens come from `Authorization: Bearer`, or
/// for WebSockets (browsers cannot set headers there) from `?token=`.
pub struct Auth(pub User);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header_token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let query_token = || {
            parts.uri.query().and_then(|q| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == "token")
                    .map(|(_, v)| v.to_string())
            })
        };
        let token = match header_token {
            Some(t) => Some(t),
            None if parts.uri.path().starts_with("/ws/") => query_token(),
            None => None,
        };
        let Some(token) = token else {
            return Err(ApiError::unauthenticated());
        };
        match state.store.user_for_token(&token).await? {
            Some(user) => Ok(Auth(user)),
            None => {
                // Only a token that was tried counts: a missing one guesses
                // nothing.
                if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
                    let hold = state.auth_throttle.failed(peer.ip());
                    if !hold.is_zero() {
                        tracing::warn!(client = %peer.ip(), delay_ms = hold.as_millis() as u64, "repeated failed authentication; answering late");
                        tokio::time::sleep(hold).await;
                    }
                }
                Err(ApiError::unauthenticated())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_free_ones_are_held_longer_each_time_up_to_the_cap() {
        let t = AuthThrottle::new();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let holds: Vec<Duration> = (0..12).map(|_| t.failed(ip)).collect();
        assert!(
            holds[..FREE_FAILURES as usize]
                .iter()
                .all(Duration::is_zero)
        );
        assert_eq!(holds[FREE_FAILURES as usize], FIRST_DELAY);
        assert_eq!(holds[FREE_FAILURES as usize + 1], FIRST_DELAY * 2);
        assert_eq!(*holds.last().expect("held"), MAX_DELAY);
        // Another address starts free.
        assert!(t.failed([10, 0, 0, 2].into()).is_zero());
    }
}
