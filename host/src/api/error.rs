//! API errors: an HTTP status, a stable code, a message a person can act
//! on, and for validation failures the fields at fault.
//!
//! Two statuses split what is wrong with a request: 400 when it does not
//! match the OpenAPI document (syntax, types, required or unknown fields,
//! enums, bounds), 422 when it does but the server cannot act on what it
//! names or holds (an algorithm or dataset that does not exist, params a
//! plugin's own schema refuses, a file that is not a readable export).

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

    /// [`Self::validation`] for a request the document allows: 422.
    pub fn unprocessable(fields: BTreeMap<String, String>) -> Self {
        let mut e = Self::validation(fields);
        e.status = StatusCode::UNPROCESSABLE_ENTITY;
        e
    }

    /// A body sent as a media type the operation does not take.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("send the body as {expected} (with that Content-Type)"),
        )
    }

    /// A JSON body axum could not read as `expected` (which the message
    /// shows): 415 without a JSON content type, otherwise 400.
    pub fn json(e: &axum::extract::rejection::JsonRejection, expected: &str) -> Self {
        use axum::extract::rejection::JsonRejection;
        match e {
            JsonRejection::MissingJsonContentType(_) => {
                Self::unsupported_media_type("application/json")
            }
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::rejection(b.status(), "the body is too large", &b.body_text())
            }
            _ => Self::bad_request(
                "VALIDATION_ERROR",
                format!("invalid body: {}; expected {expected}", e.body_text()),
            ),
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
            // The request was well-formed (the extractors and handlers
            // refuse what is not); the domain refused its content.
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "internal error");
        }
        ApiError::new(status, e.code.as_str(), e.message)
    }
}

/// The field errors of one request, each against the document (400) or
/// against what the request names or holds (422). One answer carries them
/// all; its status is 400 as soon as any is against the document.
#[derive(Debug, Default)]
pub struct FieldErrors {
    shape: BTreeMap<String, String>,
    content: BTreeMap<String, String>,
}

impl FieldErrors {
    /// `field` does not match the document.
    pub fn shape(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.shape.insert(field.into(), message.into());
    }

    /// `field` matches the document, but its content cannot be used.
    pub fn content(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.content.insert(field.into(), message.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.shape.contains_key(field) || self.content.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.shape.is_empty() && self.content.is_empty()
    }

    /// `Ok` when there is nothing to refuse.
    pub fn check(self) -> Result<(), ApiError> {
        if self.is_empty() {
            return Ok(());
        }
        let against_document = !self.shape.is_empty();
        let mut all = self.content;
        all.extend(self.shape);
        Err(if against_document {
            ApiError::validation(all)
        } else {
            ApiError::unprocessable(all)
        })
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
