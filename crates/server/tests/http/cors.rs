//! CORS: only origins on `server.cors_origins` get the allow headers.

use reqwest::Method;
use serde_json::json;
use tessera_testkit::{TestApp, TestResponse, spawn_app, spawn_app_with};

const ALLOWED: &str = "https://app.example.test";

async fn spawn_app_allowing_one_origin() -> TestApp {
    spawn_app_with(|cfg| {
        cfg.set("server.cors_origins", json!([ALLOWED]));
    })
    .await
}

async fn preflight(app: &TestApp, origin: &str) -> TestResponse {
    let client = app.anonymous();
    client
        .send(
            client
                .request(Method::OPTIONS, "/api/v1/auth/login")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type,x-request-id"),
        )
        .await
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_gets_the_allow_headers() {
    let app = spawn_app_allowing_one_origin().await;

    let res = preflight(&app, ALLOWED).await;

    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(ALLOWED));
    let methods = res.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let headers = res.header("access-control-allow-headers").unwrap_or_default();
    for h in ["content-type", "authorization", "x-request-id"] {
        assert!(headers.contains(h), "{h} missing from {headers}");
    }
    assert_eq!(res.header("access-control-max-age"), Some("600"));
    assert!(res.header("vary").unwrap_or_default().contains("origin"));
}

#[tokio::test]
async fn a_preflight_from_another_origin_is_not_allowed() {
    let app = spawn_app_allowing_one_origin().await;

    let res = preflight(&app, "https://evil.example.test").await;

    assert_eq!(res.header("access-control-allow-origin"), None);
    assert_eq!(res.header("access-control-allow-credentials"), None);
}

#[tokio::test]
async fn without_configured_origins_no_origin_is_allowed() {
    let app = spawn_app().await;

    let res = preflight(&app, ALLOWED).await;

    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_request_from_an_allowed_origin_may_read_the_request_id_and_rate_limit_headers() {
    let app = spawn_app_allowing_one_origin().await;
    let client = app.anonymous();

    let res = client.send(client.request(Method::GET, "/health").header("origin", ALLOWED)).await;

    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(ALLOWED));
    let exposed = res.header("access-control-expose-headers").unwrap_or_default();
    for h in ["x-request-id", "retry-after", "ratelimit-remaining"] {
        assert!(exposed.contains(h), "{h} missing from {exposed}");
    }
}
