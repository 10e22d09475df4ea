//! What goes when other modules remove things: an organization's keys, roles and
//! grants with it; a deleted account's personal keys.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, spawn_app};

use crate::support::personal_key;

async fn count(app: &TestApp, table: &str, org: OrgId) -> i64 {
    let db = &app.core.db.conn;
    // Ids are stored in each engine's own UUID form; compare on what SeaORM reads back.
    let sql = format!("SELECT org_id FROM {table}");
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().filter(|r| r.try_get::<Option<uuid::Uuid>>("", "org_id").unwrap() == Some(org.as_uuid())).count() as i64
}

#[tokio::test]
async fn deleting_an_organization_removes_its_keys_roles_and_grants() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let kept = app.create_org(&owner, "Bravo").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let other_key = app.org_key(&owner.client, kept, &["members:read"]).await;
    for o in [&org, &kept] {
        let role =
            owner.client.post(&format!("/api/v1/orgs/{o}/roles"), &json!({ "name": "Ops", "permissions": [] })).await;
        assert_eq!(role.status, 201, "{}", role.text);
    }
    let grant = json!({ "subject": viewer.id, "permission": "teams:read", "resourceType": "team", "resourceId": "t" });
    assert_eq!(owner.client.post(&format!("/api/v1/orgs/{org}/grants"), &grant).await.status, 201);
    assert_eq!(count(&app, "api_keys", org).await, 1);
    assert_eq!(count(&app, "access_roles", org).await, 1);
    assert_eq!(count(&app, "access_grants", org).await, 1);

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}")).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(count(&app, "api_keys", org).await, 0);
    assert_eq!(count(&app, "access_roles", org).await, 0);
    assert_eq!(count(&app, "access_grants", org).await, 0);
    assert_eq!(count(&app, "api_keys", kept).await, 1);
    assert_eq!(count(&app, "access_roles", kept).await, 1);
    let db = &app.core.db.conn;
    let sql = "SELECT token_hash FROM api_key_secrets";
    let secrets = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    assert_eq!(secrets.len(), 1, "only the other organization's key keeps a secret");
    let dead = app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(dead.status, 401, "{}", dead.text);
    let alive = app.as_key(&other_key).get(&format!("/api/v1/orgs/{kept}/members")).await;
    assert_eq!(alive.status, 200, "{}", alive.text);
}

#[tokio::test]
async fn deleting_an_account_revokes_its_personal_keys() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let other = app.signed_up_user().await;
    let key = personal_key(&user, json!({ "name": "laptop" })).await;
    let kept = personal_key(&other, json!({ "name": "theirs" })).await;
    assert_eq!(app.as_key(&key).get("/api/v1/users/me/api-keys").await.status, 200);

    let res = user.client.delete("/api/v1/users/me").await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(app.as_key(&key).get("/api/v1/users/me/api-keys").await.status, 401);
    assert_eq!(app.as_key(&kept).get("/api/v1/users/me/api-keys").await.status, 200);
    let revoked = app.events_of("api_key.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["id"], key.id.to_string());
    assert_eq!(revoked[0]["reason"], "account_deleted");
}

#[tokio::test]
async fn a_users_export_lists_their_keys_without_secrets() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let org = app.create_org(&user, "Acme").await.id;
    let personal = personal_key(&user, json!({ "name": "laptop" })).await;
    let org_key = app.org_key(&user.client, org, &["members:read"]).await;

    let res = user.client.get("/api/v1/users/me/export").await;

    assert_eq!(res.status, 200, "{}", res.text);
    let keys = res.data()["apiKeys"].as_array().unwrap_or_else(|| panic!("no apiKeys: {}", res.text));
    assert_eq!(keys.len(), 2);
    assert!(!res.text.contains(&personal.secret) && !res.text.contains(&org_key.secret));
}
