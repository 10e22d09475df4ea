//! Request ids (generated, echoed, or replaced when unsafe) and the security
//! headers every answer carries, successes and failures alike.

use reqwest::Method;
use serde_json::json;
use tessera_testkit::{TestResponse, spawn_app};

async fn get_with_request_id(app: &tessera_testkit::TestApp, path: &str, id: &str) -> TestResponse {
    let client = app.anonymous();
    client.send(client.request(Method::GET, path).header("x-request-id", id)).await
}

#[tokio::test]
async fn every_answer_gets_a_generated_request_id_that_error_bodies_repeat() {
    let app = spawn_app().await;

    let ok = app.anonymous().get("/health").await;
    let failed = app.anonymous().get("/no-such-route").await;

    let ok_id = ok.header("x-request-id").expect("request id on a success");
    let failed_id = failed.header("x-request-id").expect("request id on a failure");
    assert_eq!(ok_id.len(), 36, "a UUID: {ok_id}");
    assert_ne!(ok_id, failed_id, "each request gets its own id");
    assert_eq!(failed.error_code(), "NOT_FOUND");
    assert_eq!(failed.json["error"]["requestId"], failed_id);
}

#[tokio::test]
async fn an_acceptable_client_request_id_is_echoed_in_header_and_error_body() {
    let app = spawn_app().await;
    let id = "client-req_01.A:z";

    let ok = get_with_request_id(&app, "/health", id).await;
    let failed = get_with_request_id(&app, "/no-such-route", id).await;

    assert_eq!(ok.header("x-request-id"), Some(id));
    assert_eq!(failed.header("x-request-id"), Some(id));
    assert_eq!(failed.json["error"]["requestId"], id);
}

#[tokio::test]
async fn a_client_request_id_of_128_characters_is_still_echoed() {
    let app = spawn_app().await;
    let id = "a".repeat(128);

    let res = get_with_request_id(&app, "/health", &id).await;

    assert_eq!(res.header("x-request-id"), Some(id.as_str()));
}

#[tokio::test]
async fn an_unacceptable_client_request_id_is_replaced() {
    let app = spawn_app().await;
    let too_long = "b".repeat(129);
    for bad in ["has space", "semi;colon", "quote\"d", "", too_long.as_str()] {
        let res = get_with_request_id(&app, "/no-such-route", bad).await;

        let id = res.header("x-request-id").expect("a request id");
        assert_ne!(id, bad, "{bad:?} must not be echoed");
        assert_eq!(id.len(), 36, "a generated UUID replaces {bad:?}: {id}");
        assert_eq!(res.error_code(), "NOT_FOUND");
        assert_eq!(res.json["error"]["requestId"], id);
    }
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "SAMEORIGIN"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("origin-agent-cluster", "?1"),
    ("x-dns-prefetch-control", "off"),
    ("x-download-options", "noopen"),
    ("x-permitted-cross-domain-policies", "none"),
    ("x-xss-protection", "0"),
];

fn assert_security_headers(what: &str, res: &TestResponse) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(res.header(name), Some(*value), "{name} on {what}");
    }
    let csp = res.header("content-security-policy").unwrap_or_else(|| panic!("content-security-policy on {what}"));
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("object-src 'none'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "{what}: {csp}");
}

#[tokio::test]
async fn security_headers_are_on_successes_and_on_every_kind_of_failure() {
    let app = spawn_app_with_small_body_limit().await;
    let client = app.anonymous();

    let answers = [
        ("200 /health", client.get("/health").await),
        ("404", client.get("/no-such-route").await),
        ("405", client.delete("/api/v1/auth/login").await),
        (
            "401",
            client
                .post("/api/v1/auth/login", &json!({ "email": "nobody@example.test", "password": "wrong-password-1" }))
                .await,
        ),
        ("413", client.send_raw(Method::POST, "/api/v1/auth/login", "application/json", vec![b' '; 4096]).await),
    ];

    for (what, res) in &answers {
        assert!(res.status >= 200, "{what}");
        assert_security_headers(what, res);
    }
    assert_eq!(answers[4].1.status, 413);
}

async fn spawn_app_with_small_body_limit() -> tessera_testkit::TestApp {
    tessera_testkit::spawn_app_with(|cfg| {
        cfg.set("server.body_limit", json!(2048));
    })
    .await
}
