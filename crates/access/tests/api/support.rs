//! Helpers: organizations made through the orgs API, members who join through
//! an e-mailed invitation, keys made through the access API, and raw requests
//! with an `X-API-Key` header.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_testkit::{Client, TestApp, TestResponse, TestUser};

/// Creates an organization as `owner`; returns its id.
pub async fn create_org(owner: &TestUser, name: &str) -> String {
    let res = owner.client.post("/api/v1/orgs", &json!({ "name": name })).await;
    assert_eq!(res.status, 201, "create org: {}", res.text);
    res.data()["id"].as_str().unwrap().to_owned()
}

/// Creates a team as `owner`; returns its id.
pub async fn create_team(owner: &TestUser, org: &str, name: &str) -> String {
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": name })).await;
    assert_eq!(res.status, 201, "create team: {}", res.text);
    res.data()["id"].as_str().unwrap().to_owned()
}

/// A new account that joins `org` with `role` through an invitation from `inviter`
/// (registering with the link, which proves the address), then signs in.
pub async fn join(app: &TestApp, inviter: &TestUser, org: &str, role: &str) -> TestUser {
    let email = format!("member-{}@example.test", uuid::Uuid::now_v7().simple());
    let password = "member password for tests";
    let res =
        inviter.client.post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": email, "role": role })).await;
    assert_eq!(res.status, 201, "invite: {}", res.text);
    let token = invitation_token(app, &email).await;
    let res = app
        .anonymous()
        .post(&format!("/api/v1/invitations/{token}/accept"), &json!({ "name": "Member", "password": password }))
        .await;
    assert_eq!(res.status, 200, "accept: {}", res.text);
    app.login(&email, password).await
}

/// The token of the invitation mailed to `email`.
pub async fn invitation_token(app: &TestApp, email: &str) -> String {
    let mail = app.mail_to(email, "invited").await;
    let prefix = format!("{}/invitations/", app.base_url);
    let link = mail.link(&prefix).unwrap_or_else(|| panic!("no invitation link in {}", mail.text));
    link.trim_start_matches(&prefix).trim_end_matches(['.', ',', '>', ')']).to_owned()
}

/// Changes a member's organization role.
pub async fn set_role(owner: &TestUser, org: &str, user: &TestUser, role: &str) {
    let res = owner.client.patch(&format!("/api/v1/orgs/{org}/members/{}", user.id), &json!({ "role": role })).await;
    assert_eq!(res.status, 200, "change role: {}", res.text);
}

/// A key as issued: its id and its secret.
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// Creates an organization key with `permissions` as `creator`.
pub async fn org_key(creator: &TestUser, org: &str, permissions: &[&str]) -> Key {
    let body = json!({ "name": "ci", "permissions": permissions });
    let res = creator.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
    assert_eq!(res.status, 201, "create key: {}", res.text);
    key_of(&res)
}

/// Creates a personal key of `user` with `body`.
pub async fn personal_key(user: &TestUser, body: Value) -> Key {
    let res = user.client.post("/api/v1/users/me/api-keys", &body).await;
    assert_eq!(res.status, 201, "create personal key: {}", res.text);
    key_of(&res)
}

pub fn key_of(res: &TestResponse) -> Key {
    let data = res.data();
    Key { id: data["id"].as_str().unwrap().to_owned(), secret: data["secret"].as_str().unwrap().to_owned() }
}

/// A client that authenticates with `Authorization: Bearer <secret>`.
pub fn as_key(app: &TestApp, key: &Key) -> Client {
    app.with_token(&key.secret)
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
pub async fn audit_entries(owner: &TestUser, org: &str, action: &str) -> Vec<Value> {
    let res = owner.client.get(&format!("/api/v1/orgs/{org}/audit-logs?action={action}")).await;
    assert_eq!(res.status, 200, "audit: {}", res.text);
    res.data().as_array().unwrap().clone()
}

/// Outbox events of `event_type`, oldest first.
pub async fn events_of(app: &TestApp, event_type: &str) -> Vec<Value> {
    app.events().await.into_iter().filter(|(t, _)| t == event_type).map(|(_, d)| d).collect()
}

/// A string list of a JSON array, sorted.
pub fn strings(value: &Value) -> Vec<String> {
    let mut out: Vec<String> = value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}
