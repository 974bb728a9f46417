//! Who is calling: bearer tokens (or `?token=` on WebSockets), the
//! console's session cookie, admins, and the slowdown of an address that
//! keeps sending bad tokens.
//!
//! A cookie is sent by the browser whoever made the page that asks, so a
//! request it authorises must also show it came from this site: one that
//! changes something (or opens a WebSocket) is refused when `Origin` names
//! another host or `Sec-Fetch-Site` says `cross-site`. A bearer token is
//! never sent on its own, so bearer clients need no such check.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

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
    pub(crate) fn failed(&self, ip: IpAddr) -> Duration {
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

/// The cookie that names a console session (see `api::session`).
pub const SESSION_COOKIE: &str = "patchart_session";

/// The authenticated caller. Tokens come from `Authorization: Bearer`, or
/// for WebSockets (browsers cannot set headers there) from `?token=`;
/// without either, from the console's session cookie.
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
                    .filter(|v| !v.is_empty())
            })
        };
        let token = match header_token {
            Some(t) => Some(t),
            None if parts.uri.path().starts_with("/ws/") => query_token(),
            None => None,
        };
        let found = match token {
            Some(token) => state.store.user_for_token(&token).await?,
            None => match session_cookie(&parts.headers) {
                Some(secret) => {
                    let user = state.store.user_for_session(&secret).await?;
                    if user.is_some() && needs_same_site(parts) && is_cross_site(&parts.headers) {
                        return Err(cross_site_refused());
                    }
                    user
                }
                None => return Err(ApiError::unauthenticated()),
            },
        };
        match found {
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

/// The session secret in the request's `Cookie` header, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether a cookie-authorised request must come from this site: anything
/// but a read, and every WebSocket (its upgrade is a GET, but what it
/// opens is a channel another site must not read).
fn needs_same_site(parts: &Parts) -> bool {
    !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        || parts.uri.path().starts_with("/ws/")
}

/// Whether the browser says the request was made by another site:
/// `Sec-Fetch-Site: cross-site`, or an `Origin` whose host is not the one
/// the request was sent to (`null`, from sandboxed or opaque origins,
/// counts as another site). Without either header (old browsers, curl) the
/// request is taken as same-site: SameSite=Strict already keeps the cookie
/// off requests other sites start.
pub(crate) fn is_cross_site(headers: &HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if value("sec-fetch-site").is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = value("origin") else {
        return false;
    };
    let host = value("host").unwrap_or("");
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    origin_host.is_none_or(|o| !o.eq_ignore_ascii_case(host))
}

pub(crate) fn cross_site_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "CROSS_SITE_REQUEST",
        "this request came from another site and is authorised only by the console's cookie; \
         send it from the console itself, or use an API token in the Authorization header",
    )
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn a_request_is_cross_site_when_its_origin_or_fetch_metadata_names_another_site() {
        let host = ("host", "127.0.0.1:8000");
        assert!(!is_cross_site(&headers(&[host])));
        assert!(!is_cross_site(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8000")
        ])));
        assert!(!is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("origin", "http://127.0.0.1:9000")
        ])));
        assert!(is_cross_site(&headers(&[host, ("origin", "null")])));
        assert!(is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; patchart_session=ses_x ; b=2")]);
        assert_eq!(session_cookie(&h).as_deref(), Some("ses_x"));
        assert_eq!(session_cookie(&headers(&[("cookie", "a=1")])), None);
    }
}
