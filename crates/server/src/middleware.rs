//! Cross-cutting HTTP behaviour: request ids, JSON access logs and metrics, the
//! client address, the global per-address rate limit, security headers, and the
//! error envelope for answers produced outside handlers (404, 405, 408, 413…).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tessera_kernel::actor::ClientIp;
use tessera_kernel::{ApiError, AppState, request_id};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id (the client's when acceptable), runs it inside a span
/// carrying that id, echoes it, and records the access log line and metrics.
pub async fn observe(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| request_id::is_acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    // A path carrying a secret (an invitation token) is logged as its route.
    let path = if route.contains("{token}") { route.clone() } else { req.uri().path().to_owned() };
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut res = request_id::scope(id.clone(), next.run(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            method = %method, path = %path, route = %route, status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    });
    let labels = [("method", method.to_string()), ("route", route), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(elapsed.as_secs_f64());
    res
}

/// Resolves the client address: the socket peer, or — behind a trusted proxy —
/// the right-most `X-Forwarded-For` entry (the one that proxy added).
pub async fn client_ip(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let mut ip = peer;
    if app.config.server.trust_forwarded_for
        && let Some(fwd) = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(last) = fwd.rsplit(',').next().and_then(|s| s.trim().parse::<IpAddr>().ok())
    {
        ip = last;
    }
    req.extensions_mut().insert(ClientIp(ip));
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect::<String>());
    // Audit entries recorded while serving this request carry its client.
    request_id::scope_client(ip.to_string(), user_agent, next.run(req)).await
}

/// The global per-address limit; every answer carries `RateLimit-*` headers.
pub async fn global_limit(State(app): State<AppState>, req: Request, next: Next) -> Response {
    // Probes of load balancers and monitoring must never be refused.
    let probe = matches!(req.uri().path(), "/health" | "/ready" | "/metrics");
    if !app.config.rate_limit.enabled || probe {
        return next.run(req).await;
    }
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0.to_string()).unwrap_or_default();
    let rule = app.config.rate_limit.global_rule();
    let decision = app.limiter.hit(rule, &ip).await;
    if let Some(err) = decision.into_error() {
        return err.into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A module's own, stricter refusal already set these.
    if !h.contains_key("ratelimit-limit") {
        h.insert("ratelimit-limit", HeaderValue::from(decision.limit));
        h.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
        h.insert("ratelimit-reset", HeaderValue::from(decision.reset_secs));
    }
    res
}

/// The headers helmet sets by default.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';\
         frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';\
         script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(h, "origin-agent-cluster", "?1");
    set(h, "referrer-policy", "no-referrer");
    set(h, "strict-transport-security", "max-age=31536000; includeSubDomains");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-dns-prefetch-control", "off");
    set(h, "x-download-options", "noopen");
    set(h, "x-frame-options", "SAMEORIGIN");
    set(h, "x-permitted-cross-domain-policies", "none");
    set(h, "x-xss-protection", "0");
    res
}

/// Turns error answers that did not come from a handler (axum's plain-text
/// rejections, tower-http's 408 and 413) into the error envelope.
pub async fn envelope_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return res;
    }
    let err = match status {
        StatusCode::NOT_FOUND => ApiError::new(status, "NOT_FOUND", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "METHOD_NOT_ALLOWED", "this method is not allowed here")
        }
        StatusCode::REQUEST_TIMEOUT => ApiError::new(status, "REQUEST_TIMEOUT", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(status, "UNSUPPORTED_MEDIA_TYPE", "unsupported content type")
        }
        s if s.is_server_error() => ApiError::new(status, "INTERNAL", "something went wrong on our side"),
        s => ApiError::new(s, "BAD_REQUEST", "the request could not be understood"),
    };
    let mut out = err.into_response();
    // Keep headers such as Allow and Retry-After.
    for (k, v) in res.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().entry(k.clone()).or_insert(v.clone());
        }
    }
    out
}

/// Answers a panic in a handler with `INTERNAL` (the panic goes to the log).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}
