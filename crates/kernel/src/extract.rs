//! Request extractors that turn every kind of bad input into the error envelope:
//! [`Json`] (syntax → 400 `INVALID_JSON`, wrong types, missing or unknown fields →
//! 422 `VALIDATION_FAILED` naming the field, too large → 413), [`Query`] and [`Path`].

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Failure, FieldError};

/// A JSON body parsed with field-level error reporting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// What [`Json`] (and the server's body limit) answers for a bad body: the
/// OpenAPI document lists these on every operation with a request body.
pub const JSON_FAILURES: &[Failure] = &[
    Failure {
        status: StatusCode::BAD_REQUEST,
        description: "INVALID_JSON: the body is empty, not JSON, or has trailing characters",
    },
    Failure {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        description: "PAYLOAD_TOO_LARGE: the body is over server.body_limit",
    },
    Failure {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        description: "UNSUPPORTED_MEDIA_TYPE: the body is not application/json",
    },
    Failure {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        description: "VALIDATION_FAILED: a field is missing, unknown, of the wrong type or invalid (details.fields)",
    },
];

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "expected a body with content-type application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(bytes_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

/// An optional JSON body: no body at all is `None`; a body is parsed as
/// [`Json`] parses it.
impl<T, S> OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let declared_empty =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() == "0");
        if declared_empty || (!is_json(req.headers()) && req.headers().get(header::CONTENT_TYPE).is_none()) {
            let bytes = Bytes::from_request(req, state).await.map_err(bytes_rejection)?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "expected a body with content-type application/json",
            ));
        }
        <Json<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

/// For PATCH bodies (`#[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]`):
/// an absent field is `None`, `null` is `Some(None)`.
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    de: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(de).map(Some)
}

/// Parses a JSON document, reporting the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "INVALID_JSON", "the request body is empty"));
    };
    // Every body of this API is an object; serde would otherwise fill a struct
    // from an array, field by field.
    if *first != b'{' {
        if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
            return Err(invalid_json());
        }
        return Err(ApiError::validation(vec![FieldError::new(".", "INVALID_TYPE", "the body must be a JSON object")]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // A data error can surface before a syntax error further on; syntax wins.
        let syntax_ok = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        match inner.classify() {
            serde_json::error::Category::Data if syntax_ok => field_error(&path, &inner.to_string()),
            _ => invalid_json(),
        }
    })?;
    de.end().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_JSON", "the request body has trailing characters")
    })?;
    Ok(value)
}

fn invalid_json() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "INVALID_JSON", "the request body is not valid JSON")
}

/// Maps a serde data error to a 422 that names the field and the kind of problem.
fn field_error(path: &str, message: &str) -> ApiError {
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next());
    let (field, code) = if let Some(name) = named("missing field `") {
        // The path stops at the object that lacks the field.
        let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
        (field, "REQUIRED")
    } else if let Some(name) = named("unknown field `") {
        // The path already ends at the unknown field.
        let field = if path == "." { name.to_owned() } else { path.to_owned() };
        (field, "UNKNOWN_FIELD")
    } else if let Some(name) = named("duplicate field `") {
        let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
        (field, "DUPLICATE_FIELD")
    } else if message.starts_with("invalid type") {
        (path.to_owned(), "INVALID_TYPE")
    } else {
        (path.to_owned(), "INVALID")
    };
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    ApiError::validation(vec![FieldError::new(field, code, message)])
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn bytes_rejection(rej: BytesRejection) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::bad_request(format!("could not read the request body: {}", rej.body_text()))
    }
}

/// Query-string parameters; wrong types answer 422 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// What [`Query`] answers for bad parameters: listed on every operation with query parameters.
pub const QUERY_FAILURES: &[Failure] = &[Failure {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    description: "VALIDATION_FAILED: a parameter is unknown, of the wrong type or invalid (details.fields)",
}];

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de).map(Query).map_err(|err| {
            let path = err.path().to_string();
            field_error(&path, &err.into_inner().to_string())
        })
    }
}

fn form_urlencoded_parse(query: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(query.as_bytes())
}

/// Path parameters; a malformed id answers 400 instead of axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

/// What [`Path`] (and [`OrgScope`](crate::OrgScope)) answers for the ids in a
/// path: listed on every operation with path parameters.
pub const PATH_FAILURES: &[Failure] = &[
    Failure { status: StatusCode::BAD_REQUEST, description: "BAD_REQUEST: a path parameter is malformed" },
    Failure {
        status: StatusCode::NOT_FOUND,
        description: "NOT_FOUND (or a code naming the resource): what the path names does not exist or is not yours",
    },
];

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|axum::extract::Path(v)| Path(v)).map_err(
            |rej: PathRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", format!("invalid path: {}", rej.body_text()))
            },
        )
    }
}
