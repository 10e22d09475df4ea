//! Bad input on every route answers with the error envelope and the right
//! status, never a 500; a stranger to an organization learns nothing about it.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_testkit::{Client, TestResponse, assert_error, spawn_app};

/// Every organization-scoped route, with a body that would be valid.
fn routes(org: OrgId, team: TeamId, user: UserId, inv: &str) -> Vec<(Method, String, Option<Value>)> {
    let o = |p: &str| format!("/api/v1/orgs/{org}{p}");
    vec![
        (Method::GET, o(""), None),
        (Method::PATCH, o(""), Some(json!({ "name": "New name" }))),
        (Method::DELETE, o(""), None),
        (Method::GET, o("/members"), None),
        (Method::PATCH, o(&format!("/members/{user}")), Some(json!({ "role": "viewer" }))),
        (Method::DELETE, o(&format!("/members/{user}")), None),
        (Method::POST, o("/leave"), None),
        (Method::POST, o("/transfer-ownership"), Some(json!({ "userId": user }))),
        (Method::POST, o("/teams"), Some(json!({ "name": "T" }))),
        (Method::GET, o("/teams"), None),
        (Method::GET, o(&format!("/teams/{team}")), None),
        (Method::PATCH, o(&format!("/teams/{team}")), Some(json!({ "name": "T2" }))),
        (Method::DELETE, o(&format!("/teams/{team}")), None),
        (Method::POST, o(&format!("/teams/{team}/members")), Some(json!({ "userId": user }))),
        (Method::GET, o(&format!("/teams/{team}/members")), None),
        (Method::PATCH, o(&format!("/teams/{team}/members/{user}")), Some(json!({ "role": "viewer" }))),
        (Method::DELETE, o(&format!("/teams/{team}/members/{user}")), None),
        (Method::POST, o("/invitations"), Some(json!({ "email": "x@example.test", "role": "viewer" }))),
        (
            Method::POST,
            o("/invitations/bulk"),
            Some(json!({ "invitations": [{ "email": "y@example.test", "role": "viewer" }] })),
        ),
        (Method::GET, o("/invitations"), None),
        (Method::DELETE, o(&format!("/invitations/{inv}")), None),
        (Method::POST, o(&format!("/invitations/{inv}/resend")), None),
    ]
}

async fn call(client: &Client, method: &Method, path: &str, body: Option<&Value>) -> TestResponse {
    let req = client.request(method.clone(), path);
    client
        .send(match body {
            Some(b) => req.json(b),
            None => req,
        })
        .await
}

#[tokio::test]
async fn a_stranger_gets_the_same_404_on_every_route_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let stranger = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    app.create_org(&stranger, "Own").await;
    let member = app.join_new(&owner, org, "member").await;
    let t = app.create_team(&owner, org, "Core").await;
    let inv = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": "z@example.test", "role": "viewer" }))
        .await;
    let inv = inv.data()["id"].as_str().unwrap().to_owned();
    let before = app.events().await.len();
    let nowhere = uuid::Uuid::now_v7().to_string();

    for (method, path, body) in routes(org, t, member.id, &inv) {
        let res = call(&stranger.client, &method, &path, body.as_ref()).await;
        assert_error(&res, 404, "NOT_FOUND");
        let ghost = call(&stranger.client, &method, &path.replace(&org.to_string(), &nowhere), body.as_ref()).await;
        assert_eq!(res.json["error"]["message"], ghost.json["error"]["message"], "{method} {path}");
        let anonymous = call(&app.anonymous(), &method, &path, body.as_ref()).await;
        assert_error(&anonymous, 401, "UNAUTHORIZED");
    }
    assert_eq!(app.events().await.len(), before, "nothing changed");
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}")).await.data()["name"], "Acme");
}

#[tokio::test]
async fn malformed_bodies_are_refused_on_every_route_that_takes_one() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let t = app.create_team(&owner, org, "Core").await;
    let inv = uuid::Uuid::now_v7().to_string();
    let mut with_body: Vec<(Method, String)> =
        routes(org, t, member.id, &inv).into_iter().filter(|(_, _, b)| b.is_some()).map(|(m, p, _)| (m, p)).collect();
    with_body.push((Method::POST, "/api/v1/orgs".into()));
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));

    for (method, path) in &with_body {
        let raw = |ct: &'static str, body: String| owner.client.send_raw(method.clone(), path, ct, body);
        assert_error(&raw("application/json", "{\"name\": ".into()).await, 400, "INVALID_JSON");
        assert_error(&raw("application/json", "[1, 2]".into()).await, 422, "VALIDATION_FAILED");
        assert_error(&raw("application/json", "{\"zzz\": 1}".into()).await, 422, "VALIDATION_FAILED");
        assert_error(&raw("text/plain", "{}".into()).await, 415, "UNSUPPORTED_MEDIA_TYPE");
        assert_error(&raw("application/json", huge.clone()).await, 413, "PAYLOAD_TOO_LARGE");
        let wrong_types = owner
            .client
            .send_raw(
                method.clone(),
                path,
                "application/json",
                r#"{"name": 1, "role": [], "userId": 7, "email": {}, "invitations": 3}"#,
            )
            .await;
        assert_error(&wrong_types, 422, "VALIDATION_FAILED");
        assert!(wrong_types.json["error"]["details"]["fields"][0]["field"].is_string(), "{method} {path}");
    }
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}")).await.data()["name"], "Acme");
}

#[tokio::test]
async fn malformed_ids_and_unknown_resources_are_told_apart() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let o = |p: &str| format!("/api/v1/orgs/{org}{p}");
    let unknown = uuid::Uuid::now_v7();

    assert_error(&owner.client.get("/api/v1/orgs/not-a-uuid").await, 400, "BAD_REQUEST");
    assert_error(&owner.client.get(&o("/teams/not-a-uuid")).await, 400, "BAD_REQUEST");
    assert_error(&owner.client.patch(&o("/members/42"), &json!({ "role": "viewer" })).await, 400, "BAD_REQUEST");
    assert_error(&owner.client.delete(&o("/invitations/abc")).await, 400, "BAD_REQUEST");
    assert_error(&owner.client.get(&o(&format!("/teams/{unknown}"))).await, 404, "NOT_FOUND");
    assert_error(&owner.client.get(&o(&format!("/teams/{unknown}/members"))).await, 404, "NOT_FOUND");
    assert_error(&owner.client.delete(&o(&format!("/teams/{unknown}"))).await, 404, "NOT_FOUND");
    assert_error(&owner.client.delete(&o(&format!("/members/{unknown}"))).await, 404, "NOT_FOUND");
    assert_error(&owner.client.post_empty(&o(&format!("/invitations/{unknown}/resend"))).await, 404, "NOT_FOUND");
    assert_error(&owner.client.get(&o("/nothing-here")).await, 404, "NOT_FOUND");
    assert_error(&app.anonymous().get("/api/v1/invitations/%ff%fe").await, 400, "BAD_REQUEST");
    for token in ["x", &"a".repeat(5000), "%00", "..%2F..%2Fetc"] {
        let path = format!("/api/v1/invitations/{token}");
        assert_error(&app.anonymous().get(&path).await, 404, "NOT_FOUND");
        assert_error(&app.anonymous().post_empty(&format!("{path}/decline")).await, 404, "NOT_FOUND");
        let accept = app
            .anonymous()
            .post(&format!("{path}/accept"), &json!({ "name": "N", "password": "a long password here" }))
            .await;
        assert_error(&accept, 404, "NOT_FOUND");
    }
    let res = app.with_token("not-a-token").post_empty("/api/v1/invitations/x/accept").await;
    assert_error(&res, 401, "UNAUTHORIZED");
    let res = app.with_token("not-a-token").get("/api/v1/invitations/x").await;
    assert!(res.status == 404 || res.status == 401, "{}", res.text);
}
