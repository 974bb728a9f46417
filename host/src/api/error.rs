//! API errors: an HTTP status, a stable code, a message a person can act
//! on, and for validation failures the fields at fault.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, ErrorCode};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let summary = fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "VALIDATION_ERROR".into(),
            message: format!("the request is invalid: {summary}"),
            fields,
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send a valid token as `Authorization: Bearer <token>` (create one with `patchart token create`)",
        )
    }

    /// A multipart body that could not be read: `too_large` when it hit
    /// the body limit, else a 400 saying why.
    pub fn multipart(e: &axum::extract::multipart::MultipartError, too_large: ApiError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large
        } else {
            ApiError::bad_request(
                "VALIDATION_ERROR",
                format!("unreadable multipart body: {}", e.body_text()),
            )
        }
    }

    /// A request axum's extractors refused (query string, path, body),
    /// in the envelope instead of their text/plain answer.
    pub fn rejection(status: StatusCode, what: &str, detail: &str) -> Self {
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "BODY_TOO_LARGE"
        } else {
            "VALIDATION_ERROR"
        };
        Self::new(status, code, format!("{what}: {detail}"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub fn unavailable(message: &str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e.code {
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::DatasetInUse => StatusCode::CONFLICT,
            ErrorCode::IngestLimitExceeded => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PluginVersionExists
            | ErrorCode::PluginRetired
            | ErrorCode::PluginBuiltin => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "internal error");
        }
        ApiError::new(status, e.code.as_str(), e.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if !self.fields.is_empty() {
            body["fields"] = json!(self.fields);
        }
        (self.status, Json(json!({ "error": body }))).into_response()
    }
}
