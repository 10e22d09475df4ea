//! The OpenAPI document against the server's real answers: every operation is
//! sent the bad input its own declaration implies (a broken body, a body of the
//! wrong type, unknown fields, unknown query parameters, credentials that do not
//! authenticate), and whatever it answers must be a status the document lists
//! for it, with the error envelope. Path parameters are camelCase, as in JSON.

use reqwest::Method;
use serde_json::Value;
use tessera_testkit::{Client, TestResponse, spawn_app};

/// The names between braces in a path template.
fn placeholders(template: &str) -> Vec<&str> {
    template.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

/// The template with a made-up UUID in every placeholder.
fn made_up(template: &str) -> String {
    let mut out = template.to_owned();
    for name in placeholders(template) {
        out = out.replace(&format!("{{{name}}}"), &uuid::Uuid::now_v7().to_string());
    }
    out
}

/// The names of `op`'s parameters that sit in `place` (`path`, `query`).
fn params<'a>(op: &'a Value, place: &str) -> Vec<&'a str> {
    let all = op["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
    all.iter().filter(|p| p["in"] == place).filter_map(|p| p["name"].as_str()).collect()
}

/// Whether `op` may only be called with credentials (no empty requirement).
fn needs_bearer(op: &Value) -> bool {
    let reqs = op["security"].as_array().map(Vec::as_slice).unwrap_or_default();
    reqs.iter().any(|r| r.get("bearer").is_some()) && !reqs.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))
}

/// The bad requests `op`'s declaration implies, each sent once.
async fn bad_requests(
    client: &Client,
    stranger: &Client,
    method: &Method,
    path: &str,
    op: &Value,
) -> Vec<TestResponse> {
    let mut out = Vec::new();
    if op.get("requestBody").is_some() {
        for (content_type, body) in [
            ("application/json", r#"{"unterminated"#),
            ("text/plain", "plain"),
            ("application/json", r#"{"noSuchField":[]}"#),
        ] {
            out.push(client.send_raw(method.clone(), path, content_type, body).await);
        }
    }
    if !params(op, "query").is_empty() {
        out.push(client.send(client.request(method.clone(), &format!("{path}?noSuchParameter=1"))).await);
    }
    if op.get("security").is_some() {
        out.push(stranger.send(stranger.request(method.clone(), path)).await);
    }
    out
}

#[tokio::test]
async fn every_answer_to_bad_input_has_a_status_the_document_lists_and_the_envelope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let stranger = app.with_token("not-a-token");
    let doc = app.anonymous().get("/openapi.json").await.json;
    let mut checked = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        let path = made_up(template);
        for (method, op) in ops.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            for res in bad_requests(&admin.client, &stranger, &method, &path, op).await {
                let status = res.status.to_string();
                assert!(
                    op["responses"].get(&status).is_some(),
                    "{method} {template} answered {status}, which the document does not list: {}",
                    res.text
                );
                if res.status >= 400 {
                    assert_eq!(res.json["success"], false, "{method} {template}: {}", res.text);
                    assert!(res.json["error"]["code"].is_string(), "{method} {template}: {}", res.text);
                }
                checked += 1;
            }
            if needs_bearer(op) {
                let res = app.anonymous().send(app.anonymous().request(method.clone(), &path)).await;
                assert_eq!(res.status, 401, "{method} {template} without credentials: {}", res.text);
                assert!(op["responses"].get("401").is_some(), "{method} {template} lists 401");
            }
        }
    }
    assert!(checked >= 150, "the document's operations were exercised: {checked} answers");
}

#[tokio::test]
async fn path_parameters_are_camel_case_like_the_json_and_each_is_declared() {
    let app = spawn_app().await;

    let doc = app.anonymous().get("/openapi.json").await.json;

    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/orgs/{orgId}/members/{userId}"), "{:?}", paths.keys());
    for (template, ops) in paths {
        let mut named = placeholders(template);
        for name in &named {
            let camel = name.chars().all(|c| c.is_ascii_alphanumeric()) && name.starts_with(|c: char| c.is_lowercase());
            assert!(camel, "{template}: `{name}` is not camelCase");
        }
        named.sort_unstable();
        for (method, op) in ops.as_object().unwrap() {
            let mut declared = params(op, "path");
            declared.sort_unstable();
            assert_eq!(declared, named, "{method} {template} declares its path parameters");
        }
    }
}
