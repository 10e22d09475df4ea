//! One error type for every HTTP answer: [`ApiError`] carries the status, a stable
//! `UPPER_SNAKE` code, a human sentence and optional details, and renders the
//! failure envelope with the request id of the current request.

use std::borrow::Cow;
use std::panic::Location;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::request_id;

/// Result of a handler or service: the value or an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

/// A failure as the client sees it (boxed: errors travel in every `Result`).
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorParts>);

/// What an [`ApiError`] says; its fields are reachable through the error.
#[derive(Debug, Clone)]
pub struct ErrorParts {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
    pub details: Option<Value>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
    /// The limit that refused the request, for `RateLimit-Limit`/`-Remaining`/`-Reset`.
    pub rate: Option<(u32, u64)>,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorParts;
    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

/// One field that failed validation, reported under `details.fields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Cow<'static, str>,
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
}

impl FieldError {
    /// A field error with a code and a sentence for people.
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// Collects field errors while a DTO is parsed, so the client learns every problem at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }
    /// Keeps the parsed value, or records its error and returns `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
    /// `Ok(())` when nothing failed, else a `VALIDATION_FAILED` error listing every field.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::validation(self.0)) }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::validation(vec![error])
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self(Box::new(ErrorParts {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            retry_after: None,
            rate: None,
        }))
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn with_rate(mut self, limit: u32, reset_secs: u64) -> Self {
        self.rate = Some((limit, reset_secs));
        self
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }
    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "some fields are invalid")
            .with_details(serde_json::json!({ "fields": fields }))
    }
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }
    pub fn token_expired() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED", "the access token has expired")
    }
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} not found"))
    }
    /// A 404 with a code naming what is missing (`WEBHOOK_NOT_FOUND`), where clients expect one.
    pub fn not_found_as(code: &'static str, what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, format!("{what} not found"))
    }
    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn gone(code: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::GONE, code, message)
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests, slow down")
            .with_retry_after(retry_after)
    }
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }
    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "the request body is too large")
    }

    /// An unexpected failure: the cause and call site go to the log, the client
    /// gets `INTERNAL` and a plain sentence.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let at = Location::caller();
        tracing::error!(error = %cause, at = %at, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "something went wrong on our side")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<sea_orm::DbErr> for ApiError {
    #[track_caller]
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unique_violation(&err) {
            return ApiError::conflict("CONFLICT", "a resource with these values already exists");
        }
        ApiError::internal(err)
    }
}

impl<E: std::fmt::Display> From<sea_orm::TransactionError<E>> for ApiError
where
    ApiError: From<E>,
{
    #[track_caller]
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

/// A status that a kernel extractor or a server layer answers on its own, before
/// any handler runs. The OpenAPI document lists it, with its codes, on every
/// operation that uses the extractor or layer, so the document cannot miss it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    /// The codes sent and when, e.g. `INVALID_JSON: the body is not JSON`.
    pub description: &'static str,
}

/// The failure envelope as sent; the OpenAPI document gives every error answer
/// this schema, named `ErrorEnvelope`.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorEnvelope)]
pub struct Envelope<'a> {
    /// Always `false`.
    success: bool,
    error: Body<'a>,
}

/// What went wrong: a stable code, a sentence for people, optional details
/// (`details.fields` lists the fields of a `VALIDATION_FAILED`).
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorBody)]
#[serde(rename_all = "camelCase")]
pub struct Body<'a> {
    /// `UPPER_SNAKE`, e.g. `VALIDATION_FAILED`.
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
    /// The request's `x-request-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            success: false,
            error: Body {
                code: &self.code,
                message: &self.message,
                details: self.details.as_ref(),
                request_id: request_id::current(),
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut res = (self.status, bytes).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some((limit, reset)) = self.rate {
            headers.insert("ratelimit-limit", HeaderValue::from(limit));
            headers.insert("ratelimit-remaining", HeaderValue::from(0));
            headers.insert("ratelimit-reset", HeaderValue::from(reset));
        }
        res
    }
}
