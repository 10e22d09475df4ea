//! A key never holds more than the user behind it, now: creating one with
//! permissions the creator lacks fails, and a creator who is demoted or leaves
//! takes the key's rights along at once.

use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

use crate::support::set_role;

#[tokio::test]
async fn a_key_with_permissions_its_creator_lacks_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let path = format!("/api/v1/orgs/{org}/api-keys");

    let res = admin.client.post(&path, &json!({ "name": "nuke", "permissions": ["members:read", "org:delete"] })).await;

    assert_error(&res, 403, "FORBIDDEN");
    assert_eq!(res.json["error"]["details"]["missingPermissions"], json!(["org:delete"]));
    let listed = owner.client.get(&path).await;
    assert_eq!(listed.json["meta"]["total"], 0, "nothing was created");
}

#[tokio::test]
async fn an_owner_may_give_a_key_org_delete() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let key = app.org_key(&owner.client, org, &["org:delete"]).await;

    let res = app.as_key(&key).delete(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(res.status, 204, "{}", res.text);
}

#[tokio::test]
async fn a_demoted_creator_takes_the_keys_rights_along_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let key = app.org_key(&admin.client, org, &["members:invite", "members:read", "teams:read"]).await;
    let invite = |email: &str| json!({ "email": email, "role": "viewer" });
    let path = format!("/api/v1/orgs/{org}/invitations");
    let before = app.as_key(&key).post(&path, &invite("a@example.test")).await;
    assert_eq!(before.status, 201, "{}", before.text);

    set_role(&owner, org, &admin, "viewer").await;

    let after = app.as_key(&key).post(&path, &invite("b@example.test")).await;
    assert_eq!(after.status, 403, "{}", after.text);
    let read = app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(read.status, 200, "the viewer still reads members, and so does the key: {}", read.text);
    let mine = app.as_key(&key).get(&format!("/api/v1/users/me/permissions?orgId={org}")).await;
    assert_eq!(mine.data()["permissions"], json!(["members:read", "teams:read"]));
}

#[tokio::test]
async fn a_removed_creators_key_stops_working_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let key = app.org_key(&admin.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");
    assert_eq!(app.as_key(&key).get(&path).await.status, 200);

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/members/{}", admin.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);

    let after = app.as_key(&key).get(&path).await;
    assert_error(&after, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn an_organization_key_acts_only_in_its_organization() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_a = app.create_org(&owner, "Acme").await.id;
    let org_b = app.create_org(&owner, "Bravo").await.id;
    let key = app.org_key(&owner.client, org_a, &["members:read", "api_keys:manage"]).await;

    let members = app.as_key(&key).get(&format!("/api/v1/orgs/{org_b}/members")).await;
    let keys = app.as_key(&key).get(&format!("/api/v1/orgs/{org_b}/api-keys")).await;
    let mine = app.as_key(&key).get(&format!("/api/v1/users/me/permissions?orgId={org_b}")).await;

    assert_eq!(members.status, 404, "{}", members.text);
    assert_eq!(keys.status, 404, "{}", keys.text);
    assert_eq!(mine.status, 404, "{}", mine.text);
}

#[tokio::test]
async fn an_organization_key_cannot_touch_personal_keys() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;

    let list = app.as_key(&key).get("/api/v1/users/me/api-keys").await;
    let create = app.as_key(&key).post("/api/v1/users/me/api-keys", &json!({ "name": "p" })).await;

    assert_eq!(list.status, 403, "{}", list.text);
    assert_eq!(create.status, 403, "{}", create.text);
}

#[tokio::test]
async fn nobody_rotates_a_key_into_rights_they_lack() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let powerful = app.org_key(&owner.client, org, &["org:delete", "members:read"]).await;
    let manager = app.org_key(&owner.client, org, &["api_keys:manage", "members:read"]).await;
    let rotate = format!("/api/v1/orgs/{org}/api-keys/{}/rotate", powerful.id);

    let by_admin = admin.client.post_empty(&rotate).await;
    let by_key = app.as_key(&manager).post_empty(&rotate).await;

    assert_eq!(by_admin.status, 403, "an admin would get a key that deletes the organization: {}", by_admin.text);
    assert_eq!(by_key.status, 403, "a key would get another key's secret: {}", by_key.text);
    assert!(by_admin.json["data"]["secret"].is_null() && by_key.json["data"]["secret"].is_null());
    let still = app.as_key(&powerful).get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(still.status, 200, "the refused rotations changed nothing: {}", still.text);
    let by_owner = owner.client.post_empty(&rotate).await;
    assert_eq!(by_owner.status, 200, "{}", by_owner.text);
}

#[tokio::test]
async fn an_admin_may_revoke_a_key_of_the_owner() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let key = app.org_key(&owner.client, org, &["org:delete"]).await;

    let res = admin.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(app.as_key(&key).get(&format!("/api/v1/orgs/{org}")).await.status, 401);
}
