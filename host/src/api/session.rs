//! Console sign-in, as Jupyter does it: `serve` prints a login URL with a
//! one-time token; opening it (or posting any API token from the sign-in
//! form) sets an HttpOnly, SameSite=Strict session cookie and redirects to
//! a URL without the token, so it stays out of history and bookmarks.
//! `DELETE /api/session/` signs out on the server, not only in the browser.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{SESSION_COOKIE, cross_site_refused, is_cross_site, session_cookie};
use super::views::ErrorBody;
use super::{ApiError, ApiQuery, AppState, Auth};
use crate::store::SESSION_LIFETIME_MS;
use crate::store::model::User;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub token: Option<String>,
}

/// `GET /login?token=…`: the printed URL.
pub async fn login_by_url(
    State(state): State<AppState>,
    ext: Extensions,
    ApiQuery(q): ApiQuery<LoginQuery>,
) -> Result<Response, ApiError> {
    sign_in(&state, &ext, q.token.as_deref().unwrap_or("")).await
}

/// `POST /login` with `token=…` (form-encoded): the sign-in form.
pub async fn login_by_form(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Another site must not sign a visitor in as someone else either.
    if is_cross_site(&headers) {
        return Err(cross_site_refused());
    }
    let form: LoginQuery =
        serde_urlencoded::from_bytes(&body).unwrap_or(LoginQuery { token: None });
    sign_in(&state, &ext, form.token.as_deref().unwrap_or("")).await
}

/// Exchanges a login token (once) or an API token for a session; either
/// way the answer redirects to the console, `?signin=failed` when the
/// token signs no one in.
async fn sign_in(state: &AppState, ext: &Extensions, token: &str) -> Result<Response, ApiError> {
    let token = token.trim();
    let user = if token.is_empty() {
        None
    } else if token.starts_with("login_") {
        state.store.redeem_login_token(token).await?
    } else {
        state.store.user_for_token(token).await?
    };
    let Some(user) = user else {
        if let Some(ConnectInfo(peer)) = ext
            .get::<ConnectInfo<SocketAddr>>()
            .filter(|_| !token.is_empty())
        {
            let hold = state.auth_throttle.failed(peer.ip());
            if !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
        }
        return Ok(redirect("/?signin=failed", None));
    };
    let secret = state.store.create_session(&user).await?;
    tracing::info!(user = %user.name, "console session started");
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_LIFETIME_MS / 1000
    );
    Ok(redirect("/", Some(cookie)))
}

fn redirect(to: &'static str, cookie: Option<String>) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user: String,
    pub role: String,
    pub is_admin: bool,
}

impl From<&User> for SessionView {
    fn from(u: &User) -> Self {
        SessionView {
            user: u.name.clone(),
            role: u.role.clone(),
            is_admin: u.is_admin(),
        }
    }
}

/// Who the caller is (by session cookie or bearer token).
#[utoipa::path(get, path = "/api/session/", tag = "session",
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_session(Auth(user): Auth) -> Json<SessionView> {
    Json(SessionView::from(&user))
}

/// Sign out: the session named by the cookie ends on the server, and the
/// cookie is cleared. Without a session cookie, nothing to end (204).
#[utoipa::path(delete, path = "/api/session/", tag = "session",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn end_session(
    State(state): State<AppState>,
    auth: Result<Auth, ApiError>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The extractor has already refused a cross-site sign-out; a cookie
    // that no longer signs anyone in is still cleared.
    if let Err(e) = auth
        && e.status == StatusCode::FORBIDDEN
    {
        return Err(e);
    }
    if let Some(secret) = session_cookie(&headers) {
        state.store.end_session(&secret).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("patchart_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}
