//! `POST /api/ai/describe/` and `GET /api/ai/models/`: chart descriptions.
//! The task is queued and runs on the description workers; its events
//! stream on the chart's job channel (`/ws/jobs/<job_id>/`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patchart_sdk::format::Locale;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::views::ErrorBody;
use super::{ApiError, AppState, Auth, FieldErrors};
use crate::describe::{Catalog, prompt};
use crate::store::NewDescription;
use crate::store::model::TaskStatus;

/// A description request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeRequest {
    /// The chart (image task) to describe; it must have succeeded.
    #[schema(format = "uuid")]
    pub image_task_id: String,
    /// Background for the writer: audience, emphasis. Models read it;
    /// `facts` does not.
    #[schema(max_length = 2000)]
    pub user_context: Option<String>,
    /// `facts` or `openai` (see `GET /api/ai/models/`; another is refused
    /// with 422); default (also `""`): the first of the configured chain.
    /// `provider_preference` is the replaced Jobs API's name for it.
    #[serde(alias = "provider_preference")]
    pub provider: Option<String>,
    /// A model of that provider (another is refused with 422); default
    /// (also `""`): the provider's first. `model_preference` is the
    /// replaced Jobs API's name for it.
    #[serde(alias = "model_preference")]
    pub model: Option<String>,
    /// Default (also `""`): the chart's own locale.
    #[schema(value_type = Option<String>)]
    pub locale: Option<String>,
}

/// [`DescribeRequest`] form-encoded, as the replaced Jobs API's clients
/// send it: a field left blank is its default.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DescribeForm {
    #[schema(format = "uuid")]
    image_task_id: String,
    #[schema(nullable = false, max_length = 2000)]
    user_context: Option<String>,
    #[schema(nullable = false)]
    provider: Option<String>,
    #[schema(nullable = false)]
    model: Option<String>,
    #[schema(nullable = false)]
    locale: Option<String>,
}

/// The locales a description is written in, as the document spells them
/// (`""`: the chart's own).
pub(crate) const LOCALES: [&str; 3] = ["", "en", "es"];

/// Answer to a description request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DescribeAccepted {
    #[schema(format = "uuid")]
    pub description_task_id: String,
    #[schema(value_type = crate::store::model::TaskStatus)]
    pub status: String,
    #[schema(format = "uuid")]
    pub image_task_id: String,
    #[schema(format = "uuid")]
    pub job_id: String,
    pub locale: String,
    /// The provider and model that will be tried first.
    pub provider: String,
    pub model: String,
    /// Where START, PROGRESS (text chunks), DONE or ERROR arrive.
    pub events_url: String,
    pub status_url: String,
}

/// axum's default body limit, which bounds this endpoint's body.
const MAX_BODY_BYTES: u64 = 2 << 20;

/// Describe a chart: queue a description task (202). The body is JSON or,
/// as the replaced Jobs API's clients send it, form-encoded with the same
/// fields.
#[utoipa::path(post, path = "/api/ai/describe/", tag = "ai",
    request_body(content(
        (DescribeRequest = "application/json"),
        (DescribeForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 202, body = DescribeAccepted, description = "Queued; follow events_url or poll status_url"),
        (status = 400, body = ErrorBody, description = "The body does not match this document (a locale other than en or es, context over 2000 characters)"),
        (status = 415, body = ErrorBody, description = "Neither JSON nor form-encoded"),
        (status = 422, body = ErrorBody, description = "A provider or model this server does not have (the message lists valid values)"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such image task, or not yours"),
        (status = 409, body = ErrorBody, description = "The chart did not succeed"),
        (status = 413, body = ErrorBody, description = "The body is over 2 MiB"),
        (status = 429, body = ErrorBody, description = "Too many descriptions pending")),
    security(("bearer" = [])))]
pub async fn describe(
    State(state): State<AppState>,
    Auth(user): Auth,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    if super::declares_more_than(req.headers(), MAX_BODY_BYTES) {
        return Err(ApiError::rejection(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is too large",
            &format!("the limit is {} MiB", MAX_BODY_BYTES >> 20),
        ));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !form && !content_type.starts_with("application/json") {
        return Err(ApiError::unsupported_media_type(
            "application/json or application/x-www-form-urlencoded",
        ));
    }
    let body = Bytes::from_request(req, &state)
        .await
        .map_err(|e| ApiError::rejection(e.status(), "unreadable body", &e.body_text()))?;
    let parsed = if form {
        serde_urlencoded::from_bytes::<DescribeRequest>(&body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<DescribeRequest>(&body).map_err(|e| e.to_string())
    };
    let req = parsed.map_err(|e| {
        ApiError::bad_request(
            "VALIDATION_ERROR",
            format!(
                "the body must be JSON or form-encoded {{image_task_id, user_context?, provider?, model?, locale?}}: {e}"
            ),
        )
    })?;
    let mut fields = FieldErrors::default();
    // Counted as sent, as the document's maxLength counts.
    if let Some(c) = &req.user_context {
        let n = c.chars().count();
        if n > prompt::MAX_USER_CONTEXT_CHARS {
            fields.shape(
                "user_context",
                format!(
                    "is {n} characters; the limit is {}",
                    prompt::MAX_USER_CONTEXT_CHARS
                ),
            );
        }
    }
    let user_context = req
        .user_context
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let locale = match req.locale.as_deref() {
        None | Some("") => None,
        Some(l) if LOCALES.contains(&l) => Locale::parse(l),
        Some(l) => {
            fields.shape("locale", format!("unknown locale {l:?}; valid: en, es"));
            None
        }
    };
    // A form sends a field left blank as an empty string: the default.
    let provider = req.provider.filter(|p| !p.trim().is_empty());
    let model = req.model.filter(|m| !m.trim().is_empty());
    let step = match state
        .describer
        .resolve_step(provider.as_deref(), model.as_deref())
    {
        Ok(s) => Some(s),
        Err(e) => {
            fields.content(e.field, e.message);
            None
        }
    };
    fields.check()?;
    let step = step.ok_or_else(|| ApiError::bad_request("VALIDATION_ERROR", "no provider"))?;

    let task = state
        .store
        .task_for(&user, &req.image_task_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such image task"))?;
    if task.status() != TaskStatus::Success {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "CHART_NOT_READY",
            format!(
                "the chart has status {}; only a chart that succeeded can be described",
                task.status
            ),
        ));
    }
    let active = state.store.active_descriptions_of(&user.id).await?;
    let limit = state.describer.config().max_active_per_user;
    if active >= limit {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_ACTIVE_DESCRIPTIONS",
            format!(
                "you have {active} descriptions pending or running (limit {limit}); wait for one to finish"
            ),
        ));
    }
    // Default: the language the chart itself was drawn in.
    let locale = locale
        .or_else(|| {
            task.chart_data
                .as_deref()
                .and_then(|cd| serde_json::from_str::<Value>(cd).ok())
                .and_then(|v| Locale::parse(v.get("locale")?.as_str()?))
        })
        .unwrap_or(Locale::En);
    let row = state
        .store
        .insert_description(&NewDescription {
            image_task_id: task.id.clone(),
            job_id: task.job_id.clone(),
            created_by: user.id.clone(),
            user_context,
            locale: locale.code().to_string(),
            requested_provider: provider,
            requested_model: model,
            trace_id: task.trace_id.clone(),
        })
        .await?;
    let accepted = DescribeAccepted {
        description_task_id: row.id.clone(),
        status: row.status.clone(),
        image_task_id: task.id,
        job_id: task.job_id.clone(),
        locale: row.locale.clone(),
        provider: step.provider.as_str().to_string(),
        model: step.model,
        events_url: format!("/ws/jobs/{}/", task.job_id),
        status_url: format!("/api/description-tasks/{}/", row.id),
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// The providers and models a description can ask for, and the fallback
/// chain.
#[utoipa::path(get, path = "/api/ai/models/", tag = "ai",
    responses((status = 200, body = Catalog), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn models(State(state): State<AppState>, Auth(_user): Auth) -> Json<Catalog> {
    Json(state.describer.catalog())
}
