//! Helpers of this suite (organizations, members and organization keys come
//! from the test kit's fixtures): personal keys, member roles, raw requests with
//! an `X-API-Key` header, authorization checks and the audit log.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_kernel::ids::OrgId;
use tessera_testkit::{ApiKey, Client, TestApp, TestResponse, TestUser};

/// Changes a member's organization role.
pub async fn set_role(owner: &TestUser, org: OrgId, user: &TestUser, role: &str) {
    let res = owner.client.patch(&format!("/api/v1/orgs/{org}/members/{}", user.id), &json!({ "role": role })).await;
    assert_eq!(res.status, 200, "change role: {}", res.text);
}

/// Creates a personal key of `user` with `body`.
pub async fn personal_key(user: &TestUser, body: Value) -> ApiKey {
    let res = user.client.post("/api/v1/users/me/api-keys", &body).await;
    assert_eq!(res.status, 201, "create personal key: {}", res.text);
    ApiKey::of(&res)
}

/// `GET path` authenticated with `X-API-Key: <secret>`.
pub async fn get_with_x_api_key(app: &TestApp, secret: &str, path: &str) -> TestResponse {
    let client = app.anonymous();
    client.send(client.request(Method::GET, path).header("x-api-key", secret)).await
}

/// One `/authz/check` answer as `(allowed, reason)`.
pub async fn check(client: &Client, body: Value) -> (bool, String) {
    let res = client.post("/api/v1/authz/check", &body).await;
    assert_eq!(res.status, 200, "check {body}: {}", res.text);
    let d = res.data();
    (d["allowed"].as_bool().unwrap(), d["reason"].as_str().unwrap().to_owned())
}

/// The organization's audit entries with `action`, newest first.
pub async fn audit_entries(owner: &TestUser, org: OrgId, action: &str) -> Vec<Value> {
    let res = owner.client.get(&format!("/api/v1/orgs/{org}/audit-logs?action={action}")).await;
    assert_eq!(res.status, 200, "audit: {}", res.text);
    res.data().as_array().unwrap().clone()
}

/// A string list of a JSON array, sorted.
pub fn strings(value: &Value) -> Vec<String> {
    let mut out: Vec<String> = value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}
