//! Answers produced outside handlers and every kind of bad input use the failure
//! envelope with a stable code: 404, 405, 400 INVALID_JSON, 415 and 422 with details.

use reqwest::Method;
use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

const LOGIN: &str = "/api/v1/auth/login";

#[tokio::test]
async fn an_unknown_route_answers_404_not_found_in_the_envelope() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/api/v1/no-such-thing").await;

    assert_error(&res, 404, "NOT_FOUND");
    assert_eq!(res.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn a_wrong_method_answers_405_and_names_the_allowed_one() {
    let app = spawn_app().await;

    let res = app.anonymous().delete(LOGIN).await;

    assert_error(&res, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[tokio::test]
async fn malformed_json_answers_400_invalid_json() {
    let app = spawn_app().await;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", "{not json").await;

    assert_error(&res, 400, "INVALID_JSON");
}

#[tokio::test]
async fn an_empty_json_body_answers_400_invalid_json() {
    let app = spawn_app().await;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", "  ").await;

    assert_error(&res, 400, "INVALID_JSON");
}

#[tokio::test]
async fn trailing_characters_after_the_json_document_answer_400_invalid_json() {
    let app = spawn_app().await;
    let body = r#"{"email":"a@example.test","password":"whatever-1"} {}"#;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", body).await;

    assert_error(&res, 400, "INVALID_JSON");
}

#[tokio::test]
async fn a_field_of_the_wrong_type_answers_422_naming_the_field() {
    let app = spawn_app().await;

    let res = app.anonymous().post(LOGIN, &json!({ "email": 42, "password": "whatever-1" })).await;

    assert_error(&res, 422, "VALIDATION_FAILED");
    let fields = &res.json["error"]["details"]["fields"];
    assert_eq!(fields[0]["field"], "email", "{}", res.text);
    assert_eq!(fields[0]["code"], "INVALID_TYPE", "{}", res.text);
    assert!(fields[0]["message"].as_str().unwrap().contains("string"));
}

#[tokio::test]
async fn a_missing_field_answers_422_required() {
    let app = spawn_app().await;

    let res = app.anonymous().post(LOGIN, &json!({ "email": "a@example.test" })).await;

    assert_error(&res, 422, "VALIDATION_FAILED");
    let fields = &res.json["error"]["details"]["fields"];
    assert_eq!(fields[0]["field"], "password", "{}", res.text);
    assert_eq!(fields[0]["code"], "REQUIRED", "{}", res.text);
}

#[tokio::test]
async fn an_unknown_field_answers_422_naming_exactly_that_field() {
    let app = spawn_app().await;
    let bodies = [
        r#"{"admin":true,"email":"a@example.test","password":"whatever-1"}"#,
        r#"{"email":"a@example.test","password":"whatever-1","admin":true}"#,
    ];
    for body in bodies {
        let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", body).await;

        assert_error(&res, 422, "VALIDATION_FAILED");
        let fields = &res.json["error"]["details"]["fields"];
        assert_eq!(fields[0]["code"], "UNKNOWN_FIELD", "{}", res.text);
        assert_eq!(fields[0]["field"], "admin", "{}", res.text);
    }
}

#[tokio::test]
async fn a_body_without_content_type_answers_415() {
    let app = spawn_app().await;
    let client = app.anonymous();

    let res = client
        .send(client.request(Method::POST, LOGIN).body(r#"{"email":"a@example.test","password":"whatever-1"}"#))
        .await;

    assert_error(&res, 415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn a_body_of_another_content_type_answers_415() {
    let app = spawn_app().await;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "text/plain", "email=a@example.test").await;

    assert_error(&res, 415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn a_handler_error_uses_the_envelope_with_its_own_code() {
    let app = spawn_app().await;

    let res =
        app.anonymous().post(LOGIN, &json!({ "email": "nobody@example.test", "password": "wrong-password-1" })).await;

    assert_error(&res, 401, "INVALID_CREDENTIALS");
    assert_eq!(res.json["success"], false);
}

#[tokio::test]
async fn a_malformed_id_in_the_path_answers_400_not_500() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let res = admin.client.get("/api/v1/users/not-a-uuid").await;

    assert_error(&res, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn a_query_parameter_of_the_wrong_type_answers_422_naming_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let res = admin.client.get("/api/v1/users?page=abc").await;

    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "page", "{}", res.text);
}

#[tokio::test]
async fn a_json_array_in_place_of_the_object_answers_422() {
    let app = spawn_app().await;
    // serde's derive accepts a sequence for a struct, field by field, in order.
    let body = r#"["nobody@example.test","wrong-password-1"]"#;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", body).await;

    assert_error(&res, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn a_duplicated_field_answers_422_naming_that_field() {
    let app = spawn_app().await;
    let body = r#"{"email":"a@example.test","email":"b@example.test","password":"whatever-1"}"#;

    let res = app.anonymous().send_raw(Method::POST, LOGIN, "application/json", body).await;

    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "email", "{}", res.text);
}
