//! A key never holds more than the user behind it, now: creating one with
//! permissions the creator lacks fails, and a creator who is demoted or leaves
//! takes the key's rights along at once.

use serde_json::json;
use tessera_testkit::spawn_app;

use crate::support::{as_key, create_org, join, org_key, set_role};

#[tokio::test]
async fn a_key_with_permissions_its_creator_lacks_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let admin = join(&app, &owner, &org, "admin").await;
    let path = format!("/api/v1/orgs/{org}/api-keys");

    let res = admin.client.post(&path, &json!({ "name": "nuke", "permissions": ["members:read", "org:delete"] })).await;

    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.error_code(), "FORBIDDEN");
    assert_eq!(res.json["error"]["details"]["missingPermissions"], json!(["org:delete"]));
    let listed = owner.client.get(&path).await;
    assert_eq!(listed.json["meta"]["total"], 0, "nothing was created");
}

#[tokio::test]
async fn an_owner_may_give_a_key_org_delete() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;

    let key = org_key(&owner, &org, &["org:delete"]).await;

    let res = as_key(&app, &key).delete(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(res.status, 204, "{}", res.text);
}

#[tokio::test]
async fn a_demoted_creator_takes_the_keys_rights_along_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let admin = join(&app, &owner, &org, "admin").await;
    let key = org_key(&admin, &org, &["members:invite", "members:read", "teams:read"]).await;
    let invite = |email: &str| json!({ "email": email, "role": "viewer" });
    let path = format!("/api/v1/orgs/{org}/invitations");
    let before = as_key(&app, &key).post(&path, &invite("a@example.test")).await;
    assert_eq!(before.status, 201, "{}", before.text);

    set_role(&owner, &org, &admin, "viewer").await;

    let after = as_key(&app, &key).post(&path, &invite("b@example.test")).await;
    assert_eq!(after.status, 403, "{}", after.text);
    let read = as_key(&app, &key).get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(read.status, 200, "the viewer still reads members, and so does the key: {}", read.text);
    let mine = as_key(&app, &key).get(&format!("/api/v1/users/me/permissions?orgId={org}")).await;
    assert_eq!(mine.data()["permissions"], json!(["members:read", "teams:read"]));
}

#[tokio::test]
async fn a_removed_creators_key_stops_working_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let admin = join(&app, &owner, &org, "admin").await;
    let key = org_key(&admin, &org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");
    assert_eq!(as_key(&app, &key).get(&path).await.status, 200);

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/members/{}", admin.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);

    let after = as_key(&app, &key).get(&path).await;
    assert_eq!(after.status, 401, "{}", after.text);
    assert_eq!(after.error_code(), "UNAUTHORIZED");
}

#[tokio::test]
async fn an_organization_key_acts_only_in_its_organization() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_a = create_org(&owner, "Acme").await;
    let org_b = create_org(&owner, "Bravo").await;
    let key = org_key(&owner, &org_a, &["members:read", "api_keys:manage"]).await;

    let members = as_key(&app, &key).get(&format!("/api/v1/orgs/{org_b}/members")).await;
    let keys = as_key(&app, &key).get(&format!("/api/v1/orgs/{org_b}/api-keys")).await;
    let mine = as_key(&app, &key).get(&format!("/api/v1/users/me/permissions?orgId={org_b}")).await;

    assert_eq!(members.status, 404, "{}", members.text);
    assert_eq!(keys.status, 404, "{}", keys.text);
    assert_eq!(mine.status, 404, "{}", mine.text);
}

#[tokio::test]
async fn an_organization_key_cannot_touch_personal_keys() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let key = org_key(&owner, &org, &["members:read"]).await;

    let list = as_key(&app, &key).get("/api/v1/users/me/api-keys").await;
    let create = as_key(&app, &key).post("/api/v1/users/me/api-keys", &json!({ "name": "p" })).await;

    assert_eq!(list.status, 403, "{}", list.text);
    assert_eq!(create.status, 403, "{}", create.text);
}

#[tokio::test]
async fn nobody_rotates_a_key_into_rights_they_lack() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let admin = join(&app, &owner, &org, "admin").await;
    let powerful = org_key(&owner, &org, &["org:delete", "members:read"]).await;
    let manager = org_key(&owner, &org, &["api_keys:manage", "members:read"]).await;
    let rotate = format!("/api/v1/orgs/{org}/api-keys/{}/rotate", powerful.id);

    let by_admin = admin.client.post_empty(&rotate).await;
    let by_key = as_key(&app, &manager).post_empty(&rotate).await;

    assert_eq!(by_admin.status, 403, "an admin would get a key that deletes the organization: {}", by_admin.text);
    assert_eq!(by_key.status, 403, "a key would get another key's secret: {}", by_key.text);
    assert!(by_admin.json["data"]["secret"].is_null() && by_key.json["data"]["secret"].is_null());
    let still = as_key(&app, &powerful).get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(still.status, 200, "the refused rotations changed nothing: {}", still.text);
    let by_owner = owner.client.post_empty(&rotate).await;
    assert_eq!(by_owner.status, 200, "{}", by_owner.text);
}

#[tokio::test]
async fn an_admin_may_revoke_a_key_of_the_owner() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let admin = join(&app, &owner, &org, "admin").await;
    let key = org_key(&owner, &org, &["org:delete"]).await;

    let res = admin.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(as_key(&app, &key).get(&format!("/api/v1/orgs/{org}")).await.status, 401);
}
