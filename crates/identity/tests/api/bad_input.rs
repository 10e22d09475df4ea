//! Every endpoint that takes a body answers malformed JSON, wrong types, missing
//! and unknown fields, a missing content type and oversized bodies with the error
//! envelope and the right status — never a 500 — and changes nothing.

use reqwest::Method;
use serde_json::json;
use tessera_testkit::spawn_app;

#[tokio::test]
async fn bad_bodies_get_clear_errors_on_every_endpoint() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;
    let uid = &user.id;
    let endpoints: Vec<(Method, String, bool)> = vec![
        (Method::POST, "/api/v1/auth/register".into(), false),
        (Method::POST, "/api/v1/auth/login".into(), false),
        (Method::POST, "/api/v1/auth/refresh".into(), false),
        (Method::POST, "/api/v1/auth/verify-email".into(), false),
        (Method::POST, "/api/v1/auth/resend-verification".into(), false),
        (Method::POST, "/api/v1/auth/forgot-password".into(), false),
        (Method::POST, "/api/v1/auth/reset-password".into(), false),
        (Method::POST, "/api/v1/auth/change-password".into(), true),
        (Method::PATCH, "/api/v1/users/me".into(), true),
        (Method::POST, "/api/v1/users".into(), true),
        (Method::PATCH, format!("/api/v1/users/{uid}"), true),
        (Method::POST, format!("/api/v1/users/{uid}/password"), true),
    ];
    let before = app.event_types().await.len();
    for (method, path, authed) in endpoints {
        let c = if authed { admin.client.clone() } else { app.anonymous() };

        let res = c.send_raw(method.clone(), &path, "application/json", "{\"email\": ").await;
        assert_eq!((res.status, res.error_code()), (400, "INVALID_JSON"), "{method} {path} truncated JSON");

        let res = c.send_raw(method.clone(), &path, "application/json", "").await;
        assert_eq!((res.status, res.error_code()), (400, "INVALID_JSON"), "{method} {path} empty body");

        let res = c.send_raw(method.clone(), &path, "application/json", "[1,2,3]").await;
        assert_eq!((res.status, res.error_code()), (422, "VALIDATION_FAILED"), "{method} {path} array");

        let res = c.send_raw(method.clone(), &path, "text/plain", "{}").await;
        assert_eq!((res.status, res.error_code()), (415, "UNSUPPORTED_MEDIA_TYPE"), "{method} {path} text/plain");

        let res = c.send_raw(method.clone(), &path, "application/json", json!({"unexpected": true}).to_string()).await;
        assert_eq!((res.status, res.error_code()), (422, "VALIDATION_FAILED"), "{method} {path} unknown field");

        let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
        let res = c.send_raw(method.clone(), &path, "application/json", huge).await;
        assert_eq!((res.status, res.error_code()), (413, "PAYLOAD_TOO_LARGE"), "{method} {path} huge body");
    }
    assert_eq!(app.event_types().await.len(), before, "no bad request changed anything");
}

#[tokio::test]
async fn wrong_types_and_missing_fields_name_the_field() {
    let app = spawn_app().await;
    let res = app
        .anonymous()
        .post("/api/v1/auth/register", &json!({"email": 42, "password": "a fine long password", "name": "N"}))
        .await;
    assert_eq!(res.status, 422);
    let f = &res.json["error"]["details"]["fields"][0];
    assert_eq!((f["field"].as_str(), f["code"].as_str()), (Some("email"), Some("INVALID_TYPE")));

    let res = app.anonymous().post("/api/v1/auth/login", &json!({"email": "a@example.test"})).await;
    let f = &res.json["error"]["details"]["fields"][0];
    assert_eq!((f["field"].as_str(), f["code"].as_str()), (Some("password"), Some("REQUIRED")));

    let res = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "a@example.test", "password": "x", "remember": true}))
        .await;
    let f = &res.json["error"]["details"]["fields"][0];
    assert_eq!((f["field"].as_str(), f["code"].as_str()), (Some("remember"), Some("UNKNOWN_FIELD")));

    let res = app.anonymous().post("/api/v1/auth/login", &json!({"email": "not an address", "password": "x"})).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json["error"]["details"]["fields"][0]["code"], "INVALID_EMAIL");
}

#[tokio::test]
async fn a_password_in_a_rejected_request_is_not_echoed() {
    let app = spawn_app().await;
    let res = app
        .anonymous()
        .post("/api/v1/auth/register", &json!({"email": "x@example.test", "password": ["SuperSecret99"], "name": "N"}))
        .await;
    assert_eq!(res.status, 422);
    assert!(!res.text.contains("SuperSecret99"), "{}", res.text);
}
