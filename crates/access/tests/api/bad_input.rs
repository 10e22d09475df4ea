//! Bad input on every endpoint of the module: malformed JSON is 400, wrong types
//! and unknown fields 422, unknown ids 404, malformed ids 400; never a 500.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_kernel::ids::{ApiKeyId, OrgId};
use tessera_testkit::{TestResponse, TestUser, assert_error, error_fields, spawn_app};

/// Every endpoint with a JSON body, as `(method, path)`.
fn bodies(org: OrgId, role: &str, key: ApiKeyId) -> Vec<(Method, String)> {
    vec![
        (Method::POST, format!("/api/v1/orgs/{org}/roles")),
        (Method::PATCH, format!("/api/v1/orgs/{org}/roles/{role}")),
        (Method::POST, format!("/api/v1/orgs/{org}/grants")),
        (Method::POST, "/api/v1/authz/check".to_owned()),
        (Method::POST, "/api/v1/authz/check/batch".to_owned()),
        (Method::POST, format!("/api/v1/orgs/{org}/api-keys")),
        (Method::POST, format!("/api/v1/orgs/{org}/api-keys/{key}/rotate")),
        (Method::POST, "/api/v1/users/me/api-keys".to_owned()),
    ]
}

async fn send(user: &TestUser, method: Method, path: &str, body: &str) -> TestResponse {
    user.client.send_raw(method, path, "application/json", body.to_owned()).await
}

async fn setup() -> (tessera_testkit::TestApp, TestUser, OrgId, String, ApiKeyId) {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let role =
        owner.client.post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Ops", "permissions": [] })).await;
    let role = role.data()["id"].as_str().unwrap().to_owned();
    let key = app.org_key(&owner.client, org, &["members:read"]).await.id;
    (app, owner, org, role, key)
}

#[tokio::test]
async fn malformed_json_is_400_everywhere() {
    let (_app, owner, org, role, key) = setup().await;
    for (method, path) in bodies(org, &role, key) {
        for body in ["{", "{\"name\": }", "nul", "{\"a\":1} x"] {
            let res = send(&owner, method.clone(), &path, body).await;
            assert_eq!(res.status, 400, "{method} {path} {body}: {}", res.text);
            assert_eq!(res.error_code(), "INVALID_JSON");
        }
    }
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_422_everywhere() {
    let (_app, owner, org, role, key) = setup().await;
    for (method, path) in bodies(org, &role, key) {
        for body in [r#"{"surprise": true}"#, r#"{"name": 5, "permissions": "all"}"#, "[]", "42"] {
            let res = send(&owner, method.clone(), &path, body).await;
            assert_eq!(res.status, 422, "{method} {path} {body}: {}", res.text);
            assert_eq!(res.error_code(), "VALIDATION_FAILED");
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let (_app, owner, org, _role, _key) = setup().await;

    let res = owner
        .client
        .send_raw(Method::POST, &format!("/api/v1/orgs/{org}/roles"), "text/plain", r#"{"name":"x","permissions":[]}"#)
        .await;

    assert_eq!(res.status, 415, "{}", res.text);
}

#[tokio::test]
async fn field_errors_name_their_fields() {
    let (_app, owner, org, _role, _key) = setup().await;
    let cases: Vec<(String, Value, &str)> = vec![
        (format!("/api/v1/orgs/{org}/roles"), json!({ "name": "", "permissions": [] }), "name"),
        (format!("/api/v1/orgs/{org}/roles"), json!({ "name": "x".repeat(65), "permissions": [] }), "name"),
        (format!("/api/v1/orgs/{org}/roles"), json!({ "name": "Ops2" }), "permissions"),
        (format!("/api/v1/orgs/{org}/api-keys"), json!({ "name": "k" }), "permissions"),
        (format!("/api/v1/orgs/{org}/api-keys"), json!({ "name": "k", "permissions": [] }), "permissions"),
        (format!("/api/v1/orgs/{org}/api-keys"), json!({ "name": " ", "permissions": ["members:read"] }), "name"),
        (format!("/api/v1/orgs/{org}/api-keys"), json!({ "name": "k", "permissions": ["*"] }), "permissions[0]"),
        (
            format!("/api/v1/orgs/{org}/grants"),
            json!({ "subject": "not-a-uuid", "permission": "teams:read", "resourceType": "team", "resourceId": "t" }),
            "subject",
        ),
        (
            format!("/api/v1/orgs/{org}/grants"),
            json!({ "subject": owner.id, "permission": "teams:read", "resourceType": "Team!", "resourceId": "t" }),
            "resourceType",
        ),
        (
            format!("/api/v1/orgs/{org}/grants"),
            json!({ "subject": owner.id, "permission": "teams:read", "resourceType": "team", "resourceId": "" }),
            "resourceId",
        ),
        ("/api/v1/authz/check".to_owned(), json!({ "orgId": "acme", "permission": "teams:read" }), "orgId"),
        (
            "/api/v1/authz/check".to_owned(),
            json!({ "orgId": org, "permission": "teams:read", "resource": { "type": "team" } }),
            "resource.id",
        ),
        ("/api/v1/users/me/api-keys".to_owned(), json!({ "name": "p", "permissions": ["nope"] }), "permissions[0]"),
    ];
    for (path, body, field) in cases {
        let res = owner.client.post(&path, &body).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert!(error_fields(&res).iter().any(|f| f == field), "{path} {body}: wanted {field} in {}", res.text);
    }
}

#[tokio::test]
async fn unknown_ids_are_404_and_malformed_ids_400() {
    let (_app, owner, org, _role, _key) = setup().await;
    let unknown = uuid::Uuid::now_v7();
    let not_found = [
        (Method::GET, format!("/api/v1/orgs/{org}/roles/{unknown}"), json!(null)),
        (Method::GET, format!("/api/v1/orgs/{org}/roles/editor"), json!(null)),
        (Method::PATCH, format!("/api/v1/orgs/{org}/roles/{unknown}"), json!({ "name": "X" })),
        (Method::DELETE, format!("/api/v1/orgs/{org}/roles/{unknown}"), json!(null)),
        (Method::DELETE, format!("/api/v1/orgs/{org}/grants/{unknown}"), json!(null)),
        (Method::DELETE, format!("/api/v1/orgs/{org}/api-keys/{unknown}"), json!(null)),
        (Method::POST, format!("/api/v1/orgs/{org}/api-keys/{unknown}/rotate"), json!({})),
        (Method::DELETE, format!("/api/v1/users/me/api-keys/{unknown}"), json!(null)),
        (Method::POST, format!("/api/v1/users/me/api-keys/{unknown}/rotate"), json!({})),
        (Method::GET, format!("/api/v1/orgs/{unknown}/roles"), json!(null)),
        (Method::GET, format!("/api/v1/orgs/{unknown}/api-keys"), json!(null)),
        (Method::GET, format!("/api/v1/orgs/{unknown}/grants"), json!(null)),
    ];
    for (method, path, body) in not_found {
        let res = request(&owner, method.clone(), &path, &body).await;
        assert_eq!(res.status, 404, "{method} {path}: {}", res.text);
        assert_eq!(res.error_code(), "NOT_FOUND");
    }
    let malformed = [
        (Method::DELETE, format!("/api/v1/orgs/{org}/grants/nope")),
        (Method::DELETE, format!("/api/v1/orgs/{org}/api-keys/nope")),
        (Method::POST, format!("/api/v1/orgs/{org}/api-keys/nope/rotate")),
        (Method::DELETE, "/api/v1/users/me/api-keys/nope".to_owned()),
        (Method::GET, "/api/v1/orgs/nope/roles".to_owned()),
    ];
    for (method, path) in malformed {
        let res = request(&owner, method.clone(), &path, &json!(null)).await;
        assert_eq!(res.status, 400, "{method} {path}: {}", res.text);
    }
}

async fn request(user: &TestUser, method: Method, path: &str, body: &Value) -> TestResponse {
    let req = user.client.request(method, path);
    let req = if body.is_null() { req } else { req.json(body) };
    user.client.send(req).await
}

#[tokio::test]
async fn list_queries_are_checked() {
    let (_app, owner, org, _role, _key) = setup().await;
    for path in [
        format!("/api/v1/orgs/{org}/api-keys?limit=0"),
        format!("/api/v1/orgs/{org}/api-keys?limit=101"),
        format!("/api/v1/orgs/{org}/api-keys?page=0"),
        // Past any offset an engine can take: refused, not a 500.
        format!("/api/v1/orgs/{org}/grants?page=9223372036854775808"),
        format!("/api/v1/orgs/{org}/api-keys?page=x"),
        format!("/api/v1/orgs/{org}/grants?subject=x"),
        format!("/api/v1/orgs/{org}/grants?what=1"),
        "/api/v1/users/me/api-keys?limit=-1".to_owned(),
    ] {
        let res = owner.client.get(&path).await;
        assert_eq!(res.status, 422, "{path}: {}", res.text);
        assert_eq!(res.error_code(), "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn every_endpoint_needs_credentials() {
    let (app, _owner, org, role, key) = setup().await;
    let anonymous = app.anonymous();
    let mut all = bodies(org, &role, key);
    all.extend([
        (Method::GET, "/api/v1/permissions".to_owned()),
        (Method::GET, format!("/api/v1/orgs/{org}/roles")),
        (Method::DELETE, format!("/api/v1/orgs/{org}/roles/{role}")),
        (Method::GET, format!("/api/v1/orgs/{org}/grants")),
        (Method::GET, format!("/api/v1/orgs/{org}/api-keys")),
        (Method::DELETE, format!("/api/v1/orgs/{org}/api-keys/{key}")),
        (Method::GET, "/api/v1/users/me/api-keys".to_owned()),
        (Method::GET, format!("/api/v1/users/me/permissions?orgId={org}")),
    ]);
    for (method, path) in all {
        let res = anonymous.send(anonymous.request(method.clone(), &path).json(&json!({}))).await;
        assert_eq!(res.status, 401, "{method} {path}: {}", res.text);
    }
}
