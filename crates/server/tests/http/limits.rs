//! Body size limit (with Content-Length and chunked), the global and sign-in
//! per-address rate limits, and the request timeout.

use futures::stream;
use reqwest::{Body, Method};
use serde_json::json;
use tessera_testkit::{TestApp, TestResponse, assert_error, spawn_app_with};

use crate::support;

const LOGIN: &str = "/api/v1/auth/login";

async fn spawn_app_with_body_limit_2048() -> TestApp {
    spawn_app_with(|cfg| {
        cfg.set("server.body_limit", json!(2048));
    })
    .await
}

/// A valid login body padded with whitespace to `len` bytes.
fn login_body(len: usize) -> Vec<u8> {
    let mut body = json!({ "email": "nobody@example.test", "password": "wrong-password-1" }).to_string().into_bytes();
    body.resize(len, b' ');
    body
}

fn chunked(body: Vec<u8>) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(256).map(|c| Ok(c.to_vec())).collect();
    Body::wrap_stream(stream::iter(chunks))
}

async fn post_body(app: &TestApp, body: impl Into<Body>) -> TestResponse {
    app.anonymous().send_raw(Method::POST, LOGIN, "application/json", body).await
}

#[tokio::test]
async fn a_body_over_the_limit_with_content_length_answers_413() {
    let app = spawn_app_with_body_limit_2048().await;

    let res = post_body(&app, login_body(4096)).await;

    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_answers_413() {
    let app = spawn_app_with_body_limit_2048().await;

    let res = post_body(&app, chunked(login_body(4096))).await;

    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn bodies_under_the_limit_are_read_whether_chunked_or_not() {
    let app = spawn_app_with_body_limit_2048().await;

    let sized = post_body(&app, login_body(2000)).await;
    let streamed = post_body(&app, chunked(login_body(2000))).await;

    assert_error(&sized, 401, "INVALID_CREDENTIALS");
    assert_error(&streamed, 401, "INVALID_CREDENTIALS");
}

fn header_u64(res: &TestResponse, name: &str) -> u64 {
    res.header(name).unwrap_or_else(|| panic!("{name} missing: {:?}", res.headers)).parse().unwrap()
}

#[tokio::test]
async fn passing_the_global_per_address_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.global_per_ip", json!(5));
    })
    .await;
    let client = app.anonymous();

    for left in (0..5).rev() {
        let res = client.get("/.well-known/jwks.json").await;
        assert_eq!(res.status, 200);
        assert_eq!(header_u64(&res, "ratelimit-limit"), 5);
        assert_eq!(header_u64(&res, "ratelimit-remaining"), left);
    }
    let refused = client.get("/.well-known/jwks.json").await;

    assert_error(&refused, 429, "RATE_LIMITED");
    let retry = header_u64(&refused, "retry-after");
    assert!((1..=12).contains(&retry), "retry-after {retry}");
    assert_eq!(header_u64(&refused, "ratelimit-limit"), 5);
    assert_eq!(header_u64(&refused, "ratelimit-remaining"), 0);
    assert!(header_u64(&refused, "ratelimit-reset") >= 1);
}

#[tokio::test]
async fn the_global_limit_also_refuses_unknown_routes() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.global_per_ip", json!(2));
    })
    .await;
    let client = app.anonymous();
    client.get("/.well-known/jwks.json").await;
    client.get("/.well-known/jwks.json").await;

    let refused = client.get("/no-such-route").await;

    assert_error(&refused, 429, "RATE_LIMITED");
}

#[tokio::test]
async fn passing_the_sign_in_per_address_limit_answers_429_on_auth_routes_only() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.auth_per_ip", json!(3));
    })
    .await;
    let client = app.anonymous();
    let attempt = |n: usize| json!({ "email": format!("u{n}@example.test"), "password": "wrong-password-1" });
    for n in 0..3 {
        let res = client.post(LOGIN, &attempt(n)).await;
        assert_eq!(res.status, 401, "attempt {n}: {}", res.text);
    }

    let refused = client.post(LOGIN, &attempt(3)).await;
    let register = client
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "new@example.test", "password": "a-fine-password-42", "name": "New" }),
        )
        .await;
    let elsewhere = client.get("/health").await;

    assert_error(&refused, 429, "RATE_LIMITED");
    assert_eq!(header_u64(&refused, "ratelimit-limit"), 3);
    assert_eq!(header_u64(&refused, "ratelimit-remaining"), 0);
    assert!(header_u64(&refused, "retry-after") >= 1);
    assert_eq!(register.status, 429, "sign-up shares the limit: {}", register.text);
    assert_eq!(elsewhere.status, 200, "other routes are not limited");
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_answers_408() {
    let app = spawn_app_with(|cfg| {
        cfg.set("server.request_timeout_secs", json!(1));
    })
    .await;
    // Announce 100 bytes of body but send 10: the handler waits for the rest.
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100";

    let (mut stream, _) = support::send_raw(app.addr, head, br#"{"email":"#).await;
    let res = support::read_response(&mut stream).await;

    assert_eq!(res.status, 408, "{}", res.head);
    assert_eq!(res.json["error"]["code"], "REQUEST_TIMEOUT");
    assert!(res.json["error"]["requestId"].is_string());
}

async fn get_from(app: &TestApp, forwarded_for: &str) -> TestResponse {
    let client = app.anonymous();
    client.send(client.request(Method::GET, "/.well-known/jwks.json").header("x-forwarded-for", forwarded_for)).await
}

#[tokio::test]
async fn a_forged_x_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.global_per_ip", json!(2));
    })
    .await;

    let first = get_from(&app, "203.0.113.1").await;
    let second = get_from(&app, "203.0.113.2").await;
    let third = get_from(&app, "203.0.113.3").await;

    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(third.status, 429, "the socket address is what counts");
    assert_eq!(third.error_code(), "RATE_LIMITED");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.global_per_ip", json!(1)).set("server.trust_forwarded_for", json!(true));
    })
    .await;

    let a = get_from(&app, "198.51.100.7, 203.0.113.1").await;
    let b = get_from(&app, "198.51.100.7, 203.0.113.2").await;
    let a_again = get_from(&app, "203.0.113.1").await;

    assert_eq!(a.status, 200);
    assert_eq!(b.status, 200, "the right-most entry (added by the proxy) counts");
    assert_eq!(a_again.status, 429);
}

#[tokio::test]
async fn health_probes_are_never_rate_limited() {
    let app = spawn_app_with(|cfg| {
        cfg.set("rate_limit.global_per_ip", json!(1));
    })
    .await;
    let client = app.anonymous();
    client.get("/.well-known/jwks.json").await;
    assert_eq!(client.get("/.well-known/jwks.json").await.status, 429, "the budget is spent");

    for path in ["/health", "/ready", "/metrics", "/health"] {
        assert_eq!(client.get(path).await.status, 200, "{path}");
    }
}
