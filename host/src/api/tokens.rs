//! `/api/tokens/`: an admin lists, creates and revokes API tokens (what
//! `patchart token list|create|revoke` does from a shell).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::ErrorBody;
use super::{Admin, ApiError, ApiPath, ApiQuery, AppState, FieldErrors};
use crate::store::{NewToken, TokenRow};

/// Longest expiry a token can be given, in days (about ten years).
pub const MAX_EXPIRY_DAYS: u32 = 3650;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    #[serde(flatten)]
    pub token: TokenRow,
    /// Whether it authenticates now (not revoked, not expired).
    pub active: bool,
}

impl From<TokenRow> for TokenView {
    fn from(token: TokenRow) -> Self {
        TokenView {
            active: token.active(),
            token,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub count: usize,
    pub results: Vec<TokenView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// Only the tokens of this user.
    pub user: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// The user it authenticates as; created if new.
    #[schema(min_length = 1, max_length = 100)]
    pub user: String,
    /// Make a new user an admin (an existing user keeps their role unless
    /// this is true).
    #[serde(default)]
    pub admin: bool,
    #[schema(max_length = 200)]
    pub label: Option<String>,
    /// Days until it stops authenticating; none: never.
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "crate::wholenum::opt_u32")]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// The secret: shown here once, never again.
    pub secret: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Every token (never their secrets), or one user's.
#[utoipa::path(get, path = "/api/tokens/", tag = "tokens", params(TokenQuery),
    responses((status = 200, body = TokenList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Json<TokenList>, ApiError> {
    let results: Vec<TokenView> = state
        .store
        .tokens(q.user.as_deref())
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    Ok(Json(TokenList {
        count: results.len(),
        results,
    }))
}

/// A new token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens/", tag = "tokens", request_body = TokenCreate,
    responses((status = 201, body = TokenCreated), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Not JSON"),
        (status = 422, body = ErrorBody, description = "A user name of spaces only"), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    body: Result<Json<TokenCreate>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::json(
            &e,
            &format!(
                "{{\"user\": string, \"admin\"?: bool, \"label\"?: string, \"expires_in_days\"?: 1..{MAX_EXPIRY_DAYS}}}"
            ),
        )
    })?;
    // Lengths as the document counts them: characters of what was sent.
    let mut fields = FieldErrors::default();
    let name = req.user.trim();
    if !(1..=100).contains(&req.user.chars().count()) {
        fields.shape("user", "1 to 100 characters");
    } else if name.is_empty() {
        fields.content("user", "a name, not only spaces");
    }
    if req.label.as_ref().is_some_and(|l| l.chars().count() > 200) {
        fields.shape("label", "at most 200 characters");
    }
    if req
        .expires_in_days
        .is_some_and(|d| d == 0 || d > MAX_EXPIRY_DAYS)
    {
        fields.shape("expires_in_days", format!("1 to {MAX_EXPIRY_DAYS}"));
    }
    fields.check()?;
    let user = state.store.ensure_user(name, req.admin).await?;
    let new = NewToken {
        label: req.label.clone(),
        expires_ms: req
            .expires_in_days
            .map(|d| chrono::Utc::now().timestamp_millis() + i64::from(d) * 24 * 3600 * 1000),
    };
    let (secret, row) = state.store.create_token_with(&user, &new).await?;
    tracing::info!(token = %row.id, user = %row.user, "token created");
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            secret,
            view: row.into(),
        }),
    ))
}

/// Revoke a token: it stops authenticating at once, on every node, and
/// stays listed with its revocation time.
#[utoipa::path(delete, path = "/api/tokens/{id}/", tag = "tokens",
    params(("id" = String, Path)),
    responses((status = 200, body = TokenView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> Result<Json<TokenView>, ApiError> {
    let row = state
        .store
        .revoke_token(&id.to_string())
        .await?
        .ok_or_else(|| ApiError::not_found("no such token"))?;
    tracing::info!(token = %row.id, user = %row.user, "token revoked");
    Ok(Json(row.into()))
}
