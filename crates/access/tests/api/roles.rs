//! Custom roles: `POST/GET /orgs/{orgId}/roles`, `PATCH/DELETE /orgs/{orgId}/roles/{roleId}`.

use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{audit_entries, set_role, strings};

#[tokio::test]
async fn an_owner_creates_a_custom_role_listed_after_the_built_in_ones() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let body =
        json!({ "name": "Billing", "description": "Pays the bills", "permissions": ["members:read", "audit:read"] });

    let res = owner.client.post(&format!("/api/v1/orgs/{org}/roles"), &body).await;

    assert_eq!(res.status, 201, "{}", res.text);
    let role = res.data().clone();
    let id = role["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{role}");
    assert_eq!(role["name"], "Billing");
    assert_eq!(role["builtIn"], false);
    assert_eq!(strings(&role["permissions"]), ["audit:read", "members:read"]);
    let list = owner.client.get(&format!("/api/v1/orgs/{org}/roles")).await;
    let roles = list.data().as_array().unwrap();
    assert_eq!(roles.len(), 5);
    assert_eq!(roles[4]["id"], id);
    let one = owner.client.get(&format!("/api/v1/orgs/{org}/roles/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.data()["description"], "Pays the bills");
}

#[tokio::test]
async fn creating_a_role_emits_role_created_and_an_audit_entry() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let res = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Ops", "permissions": ["teams:read"] }))
        .await;
    let id = res.data()["id"].as_str().unwrap().to_owned();

    let events = app.events_of("role.created").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], id);
    assert_eq!(events[0]["orgId"], org.to_string());
    let entries = audit_entries(&owner, org, "role.created").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["target"]["id"], id);
    assert_eq!(entries[0]["actor"]["id"], owner.id.to_string());
    assert_eq!(entries[0]["changes"]["after"]["name"], "Ops");
}

#[tokio::test]
async fn an_unknown_permission_is_refused_with_422_naming_it() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let body = json!({ "name": "Odd", "permissions": ["members:read", "rockets:launch"] });

    let res = owner.client.post(&format!("/api/v1/orgs/{org}/roles"), &body).await;

    assert_error(&res, 422, "VALIDATION_FAILED");
    assert!(res.text.contains("permissions[1]") && res.text.contains("UNKNOWN_PERMISSION"), "{}", res.text);
}

#[tokio::test]
async fn custom_roles_cannot_carry_org_delete_or_take_a_built_in_name() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/roles");

    let owner_only = owner.client.post(&path, &json!({ "name": "Boss", "permissions": ["org:delete"] })).await;
    let reserved = owner.client.post(&path, &json!({ "name": "Admin", "permissions": [] })).await;

    assert_eq!(owner_only.status, 422, "{}", owner_only.text);
    assert!(owner_only.text.contains("OWNER_ONLY"), "{}", owner_only.text);
    assert_eq!(reserved.status, 422, "{}", reserved.text);
    assert!(reserved.text.contains("RESERVED_NAME"), "{}", reserved.text);
}

#[tokio::test]
async fn a_second_role_with_the_same_name_conflicts() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/roles");
    assert_eq!(owner.client.post(&path, &json!({ "name": "Ops", "permissions": [] })).await.status, 201);

    let res = owner.client.post(&path, &json!({ "name": "ops", "permissions": [] })).await;

    assert_error(&res, 409, "ROLE_NAME_TAKEN");
}

#[tokio::test]
async fn nobody_puts_a_permission_they_lack_into_a_role() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/roles");
    let limited = owner
        .client
        .post(&path, &json!({ "name": "Role admin", "permissions": ["roles:manage", "members:read"] }))
        .await;
    let role_id = limited.data()["id"].as_str().unwrap().to_owned();
    let manager = app.join_new(&owner, org, &role_id).await;

    let escalate = manager.client.post(&path, &json!({ "name": "Keys", "permissions": ["api_keys:manage"] })).await;
    let fine = manager.client.post(&path, &json!({ "name": "Readers", "permissions": ["members:read"] })).await;

    assert_error(&escalate, 403, "FORBIDDEN");
    assert_eq!(escalate.json["error"]["details"]["missingPermissions"], json!(["api_keys:manage"]));
    assert_eq!(fine.status, 201, "{}", fine.text);
    let readers = fine.data()["id"].as_str().unwrap().to_owned();
    let widen = manager
        .client
        .patch(&format!("{path}/{readers}"), &json!({ "permissions": ["members:read", "audit:read"] }))
        .await;
    assert_eq!(widen.status, 403, "{}", widen.text);
}

#[tokio::test]
async fn members_without_roles_manage_cannot_create_roles() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;

    let res =
        member.client.post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Mine", "permissions": [] })).await;
    let read = member.client.get(&format!("/api/v1/orgs/{org}/roles")).await;

    assert_error(&res, 403, "FORBIDDEN");
    assert_eq!(read.status, 200, "members see the roles: {}", read.text);
}

#[tokio::test]
async fn a_role_is_renamed_and_its_permissions_changed() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let created = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Ops", "permissions": ["teams:read"] }))
        .await;
    let id = created.data()["id"].as_str().unwrap().to_owned();

    let body = json!({ "name": "Operations", "description": null, "permissions": ["teams:read", "teams:manage"] });
    let res = owner.client.patch(&format!("/api/v1/orgs/{org}/roles/{id}"), &body).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["name"], "Operations");
    assert_eq!(strings(&res.data()["permissions"]), ["teams:manage", "teams:read"]);
    let events = app.events_of("role.updated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["changed"], json!(["name", "permissions"]));
    let entries = audit_entries(&owner, org, "role.updated").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["changes"]["before"]["name"], "Ops");
    assert_eq!(entries[0]["changes"]["after"]["name"], "Operations");
}

#[tokio::test]
async fn a_changed_role_changes_what_its_holders_may_do_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let created = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Ops", "permissions": ["members:read"] }))
        .await;
    let id = created.data()["id"].as_str().unwrap().to_owned();
    let ops = app.join_new(&owner, org, &id).await;
    assert_eq!(ops.client.get(&format!("/api/v1/orgs/{org}/audit-logs")).await.status, 403);

    let res = owner
        .client
        .patch(&format!("/api/v1/orgs/{org}/roles/{id}"), &json!({ "permissions": ["members:read", "audit:read"] }))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let logs = ops.client.get(&format!("/api/v1/orgs/{org}/audit-logs")).await;
    assert_eq!(logs.status, 200, "{}", logs.text);
}

#[tokio::test]
async fn built_in_roles_cannot_be_changed_or_deleted() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let patch = owner.client.patch(&format!("/api/v1/orgs/{org}/roles/admin"), &json!({ "name": "Boss" })).await;
    let delete = owner.client.delete(&format!("/api/v1/orgs/{org}/roles/member")).await;

    assert_error(&patch, 409, "BUILT_IN_ROLE");
    assert_error(&delete, 409, "BUILT_IN_ROLE");
}

#[tokio::test]
async fn a_role_in_use_cannot_be_deleted_until_its_holders_have_another() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let created = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "Ops", "permissions": ["members:read"] }))
        .await;
    let id = created.data()["id"].as_str().unwrap().to_owned();
    let ops = app.join_new(&owner, org, &id).await;
    let path = format!("/api/v1/orgs/{org}/roles/{id}");

    let refused = owner.client.delete(&path).await;
    assert_error(&refused, 409, "ROLE_IN_USE");
    assert_eq!(refused.json["error"]["details"]["members"], 1);

    set_role(&owner, org, &ops, "viewer").await;
    let res = owner.client.delete(&path).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(owner.client.get(&path).await.status, 404);
    let events = app.events_of("role.deleted").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], id);
    let entries = audit_entries(&owner, org, "role.deleted").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["changes"]["before"]["name"], "Ops");
}

#[tokio::test]
async fn a_member_cannot_be_given_a_role_with_permissions_the_giver_lacks() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/roles");
    let inviter = owner
        .client
        .post(&path, &json!({ "name": "Inviter", "permissions": ["members:invite", "members:manage", "members:read"] }))
        .await;
    let inviter_role = inviter.data()["id"].as_str().unwrap().to_owned();
    let auditor = owner.client.post(&path, &json!({ "name": "Auditor", "permissions": ["audit:read"] })).await;
    let auditor_role = auditor.data()["id"].as_str().unwrap().to_owned();
    let manager = app.join_new(&owner, org, &inviter_role).await;
    let viewer = app.join_new(&owner, org, "viewer").await;

    let assign = manager
        .client
        .patch(&format!("/api/v1/orgs/{org}/members/{}", viewer.id), &json!({ "role": auditor_role }))
        .await;
    let invite = manager
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": "x@example.test", "role": auditor_role }))
        .await;

    assert_eq!(assign.status, 403, "{}", assign.text);
    assert_eq!(invite.status, 403, "{}", invite.text);
}

#[tokio::test]
async fn roles_of_another_organization_are_not_found() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_a = app.create_org(&owner, "Acme").await.id;
    let org_b = app.create_org(&owner, "Bravo").await.id;
    let created =
        owner.client.post(&format!("/api/v1/orgs/{org_a}/roles"), &json!({ "name": "Ops", "permissions": [] })).await;
    let id = created.data()["id"].as_str().unwrap().to_owned();

    let get = owner.client.get(&format!("/api/v1/orgs/{org_b}/roles/{id}")).await;
    let patch = owner.client.patch(&format!("/api/v1/orgs/{org_b}/roles/{id}"), &json!({ "name": "Mine" })).await;
    let delete = owner.client.delete(&format!("/api/v1/orgs/{org_b}/roles/{id}")).await;
    let assign = owner
        .client
        .post(&format!("/api/v1/orgs/{org_b}/invitations"), &json!({ "email": "y@example.test", "role": id }))
        .await;

    assert_eq!(get.status, 404, "{}", get.text);
    assert_eq!(patch.status, 404, "{}", patch.text);
    assert_eq!(delete.status, 404, "{}", delete.text);
    assert_error(&assign, 422, "UNKNOWN_ROLE");
}

#[tokio::test]
async fn outsiders_see_no_roles_of_an_organization() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let stranger = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let list = stranger.client.get(&format!("/api/v1/orgs/{org}/roles")).await;
    let create =
        stranger.client.post(&format!("/api/v1/orgs/{org}/roles"), &json!({ "name": "X", "permissions": [] })).await;

    assert_eq!(list.status, 404, "{}", list.text);
    assert_eq!(create.status, 404, "{}", create.text);
}
