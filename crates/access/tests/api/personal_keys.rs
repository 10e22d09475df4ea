//! Personal keys, under `/users/me/api-keys`: they act as their user, within the
//! permissions they were given.

use serde_json::json;
use tessera_testkit::{ApiKey, spawn_app};
use time::Duration;

use crate::support::{personal_key, set_role};

#[tokio::test]
async fn a_personal_key_acts_as_its_user_in_each_of_their_organizations() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let org_a = app.create_org(&user, "Acme").await.id;
    let org_b = app.create_org(&user, "Bravo").await.id;

    let key = personal_key(&user, json!({ "name": "laptop" })).await;

    assert!(key.secret.starts_with("tsk_"));
    for org in [&org_a, &org_b] {
        let res = app.as_key(&key).patch(&format!("/api/v1/orgs/{org}"), &json!({ "name": "Renamed" })).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let orgs = app.as_key(&key).get("/api/v1/orgs").await;
    assert_eq!(orgs.status, 200, "{}", orgs.text);
    assert_eq!(orgs.data().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_personal_key_with_named_permissions_holds_only_those() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let org = app.create_org(&user, "Acme").await.id;

    let key = personal_key(&user, json!({ "name": "reader", "permissions": ["members:read"] })).await;

    assert_eq!(app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await.status, 200);
    let patch = app.as_key(&key).patch(&format!("/api/v1/orgs/{org}"), &json!({ "name": "X" })).await;
    assert_eq!(patch.status, 403, "{}", patch.text);
}

#[tokio::test]
async fn a_personal_key_follows_its_users_role() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let key = personal_key(&admin, json!({ "name": "laptop" })).await;
    let path = format!("/api/v1/orgs/{org}");
    assert_eq!(app.as_key(&key).patch(&path, &json!({ "name": "One" })).await.status, 200);

    set_role(&owner, org, &admin, "member").await;

    let res = app.as_key(&key).patch(&path, &json!({ "name": "Two" })).await;
    assert_eq!(res.status, 403, "{}", res.text);
    let gone = owner.client.delete(&format!("/api/v1/orgs/{org}/members/{}", admin.id)).await;
    assert_eq!(gone.status, 204);
    let hidden = app.as_key(&key).get(&path).await;
    assert_eq!(hidden.status, 404, "a personal key sees what its user sees: {}", hidden.text);
}

#[tokio::test]
async fn personal_keys_are_listed_revoked_and_rotated_by_their_user_only() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let other = app.signed_up_user().await;
    let key = personal_key(&user, json!({ "name": "laptop" })).await;
    let other_key = personal_key(&other, json!({ "name": "theirs" })).await;

    let list = user.client.get("/api/v1/users/me/api-keys").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["meta"]["total"], 1);
    assert_eq!(list.data()[0]["id"], key.id.to_string());
    assert!(list.data()[0]["orgId"].is_null());
    assert!(!list.text.contains(&key.secret));
    let steal = user.client.delete(&format!("/api/v1/users/me/api-keys/{}", other_key.id)).await;
    assert_eq!(steal.status, 404, "{}", steal.text);
    let steal = user.client.post_empty(&format!("/api/v1/users/me/api-keys/{}/rotate", other_key.id)).await;
    assert_eq!(steal.status, 404, "{}", steal.text);

    let rotated = user
        .client
        .post(&format!("/api/v1/users/me/api-keys/{}/rotate", key.id), &json!({ "gracePeriodHours": 1 }))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new = ApiKey::of(&rotated);
    assert_eq!(app.as_key(&key).get("/api/v1/users/me/api-keys").await.status, 200);
    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.as_key(&key).get("/api/v1/users/me/api-keys").await.status, 401);
    assert_eq!(app.as_key(&new).get("/api/v1/users/me/api-keys").await.status, 200);

    let revoked = app.as_key(&new).delete(&format!("/api/v1/users/me/api-keys/{}", new.id)).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_eq!(app.as_key(&new).get("/api/v1/users/me/api-keys").await.status, 401);
    assert_eq!(app.as_key(&other_key).get("/api/v1/users/me/api-keys").await.status, 200);
}

#[tokio::test]
async fn a_personal_key_cannot_make_keys() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let org = app.create_org(&user, "Acme").await.id;
    let key = personal_key(&user, json!({ "name": "laptop" })).await;

    let personal = app.as_key(&key).post("/api/v1/users/me/api-keys", &json!({ "name": "child" })).await;
    let for_org = app
        .as_key(&key)
        .post(&format!("/api/v1/orgs/{org}/api-keys"), &json!({ "name": "child", "permissions": ["members:read"] }))
        .await;

    assert_eq!(personal.status, 403, "{}", personal.text);
    assert_eq!(for_org.status, 403, "{}", for_org.text);
}

#[tokio::test]
async fn personal_key_events_and_audit_entries_never_carry_the_secret() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;
    let key = personal_key(&user, json!({ "name": "laptop", "permissions": ["members:read"] })).await;
    user.client.delete(&format!("/api/v1/users/me/api-keys/{}", key.id)).await;

    let created = app.events_of("api_key.created").await;
    assert_eq!(created.len(), 1);
    assert!(created[0]["orgId"].is_null());
    assert_eq!(app.events_of("api_key.revoked").await.len(), 1);
    let audit = admin.client.get(&format!("/api/v1/audit-logs?targetId={}", key.id)).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions: Vec<&str> = audit.data().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"api_key.created") && actions.contains(&"api_key.revoked"), "{actions:?}");
    assert!(!audit.text.contains(&key.secret));
}

#[tokio::test]
async fn a_narrow_personal_key_cannot_rotate_a_wider_one() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let wide = personal_key(&user, json!({ "name": "everything" })).await;
    let narrow = personal_key(&user, json!({ "name": "reader", "permissions": ["members:read"] })).await;

    let res = app.as_key(&narrow).post_empty(&format!("/api/v1/users/me/api-keys/{}/rotate", wide.id)).await;

    assert_eq!(res.status, 403, "{}", res.text);
    assert!(res.json["data"]["secret"].is_null());
    assert_eq!(app.as_key(&wide).get("/api/v1/users/me/api-keys").await.status, 200);
}

#[tokio::test]
async fn revoking_a_rotated_key_stops_both_secrets() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let old = personal_key(&user, json!({ "name": "laptop" })).await;
    let rotated = user.client.post_empty(&format!("/api/v1/users/me/api-keys/{}/rotate", old.id)).await;
    let new = ApiKey::of(&rotated);
    assert_eq!(app.as_key(&old).get("/api/v1/users/me/api-keys").await.status, 200);

    let res = user.client.delete(&format!("/api/v1/users/me/api-keys/{}", old.id)).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(app.as_key(&old).get("/api/v1/users/me/api-keys").await.status, 401);
    assert_eq!(app.as_key(&new).get("/api/v1/users/me/api-keys").await.status, 401);
}
