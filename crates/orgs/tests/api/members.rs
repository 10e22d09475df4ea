//! `/orgs/{id}/members`: list (pages, text search, role filter), change roles,
//! remove, leave, transfer ownership. An organization never loses its last owner,
//! and only an owner changes or removes an owner.

use serde_json::json;
use tessera_kernel::ids::UserId;
use tessera_orgs::testing::team_members;
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{events_of, rows_of};

#[tokio::test]
async fn members_are_listed_by_page_text_and_role() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let m1 = app.join_new(&owner, org, "member").await;
    let m2 = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let path = format!("/api/v1/orgs/{org}/members");

    let all = viewer.client.get(&path).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let ids: Vec<&str> = all.data().as_array().unwrap().iter().map(|m| m["userId"].as_str().unwrap()).collect();
    assert_eq!(ids, [owner.id, admin.id, m1.id, m2.id, viewer.id].map(|id| id.to_string()));
    assert_eq!(all.json["meta"], json!({ "page": 1, "limit": 20, "total": 5 }));
    assert_eq!(all.data()[2]["email"], m1.email.as_str());
    assert_eq!(all.data()[2]["name"], "New member");
    assert!(all.data()[2]["joinedAt"].is_string());

    let page = owner.client.get(&format!("{path}?limit=2&page=2")).await;
    let ids: Vec<&str> = page.data().as_array().unwrap().iter().map(|m| m["userId"].as_str().unwrap()).collect();
    assert_eq!(ids, [m1.id.to_string(), m2.id.to_string()]);
    assert_eq!(page.json["meta"]["total"], 5);

    let members = owner.client.get(&format!("{path}?role=member")).await;
    assert_eq!(members.json["meta"]["total"], 2);
    assert!(members.data().as_array().unwrap().iter().all(|m| m["role"] == "member"));

    let local = m2.email.split('@').next().unwrap().to_uppercase();
    let by_email = owner.client.get(&format!("{path}?q={local}")).await;
    assert_eq!(by_email.json["meta"]["total"], 1, "{}", by_email.text);
    assert_eq!(by_email.data()[0]["userId"], m2.id.to_string());
    let by_name = owner.client.get(&format!("{path}?q=new%20MEMBER&limit=1")).await;
    assert_eq!(by_name.json["meta"]["total"], 2);
    assert_eq!(by_name.data().as_array().unwrap().len(), 1);
    let both = owner.client.get(&format!("{path}?q=new&role=viewer")).await;
    assert_eq!(both.json["meta"]["total"], 1);
    assert_eq!(both.data()[0]["userId"], viewer.id.to_string());
    for wildcard in ["%25", "_"] {
        let res = owner.client.get(&format!("{path}?q={wildcard}")).await;
        assert_eq!(res.json["meta"]["total"], 0, "{wildcard} is not a wildcard");
    }

    for bad in ["limit=0", "limit=101", "page=0", "page=9223372036854775808", "limit=x", "sort=name"] {
        assert_error(&owner.client.get(&format!("{path}?{bad}")).await, 422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn owners_and_admins_change_roles_within_their_own() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let role_of = |user: UserId| format!("/api/v1/orgs/{org}/members/{user}");

    let res = owner.client.patch(&role_of(member.id), &json!({ "role": "admin" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["role"], "admin");
    assert_eq!(res.data()["email"], member.email.as_str());
    assert_eq!(member.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "admin");
    let changed = events_of(&app, "member.role_changed", org).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["userId"], member.id.to_string());
    assert_eq!(changed[0]["role"], "admin");
    assert_eq!(changed[0]["previousRole"], "member");

    let res = admin.client.patch(&role_of(member.id), &json!({ "role": "viewer" })).await;
    assert_eq!(res.status, 200, "an admin changes a non-owner: {}", res.text);
    assert_error(&admin.client.patch(&role_of(viewer.id), &json!({ "role": "owner" })).await, 403, "FORBIDDEN");
    assert_error(&admin.client.patch(&role_of(owner.id), &json!({ "role": "member" })).await, 403, "FORBIDDEN");
    assert_error(&viewer.client.patch(&role_of(viewer.id), &json!({ "role": "admin" })).await, 403, "FORBIDDEN");
    let member_self = member.client.patch(&role_of(member.id), &json!({ "role": "admin" })).await;
    assert_error(&member_self, 403, "FORBIDDEN");
    assert_error(&owner.client.patch(&role_of(viewer.id), &json!({ "role": "boss" })).await, 422, "UNKNOWN_ROLE");
    let stranger = uuid::Uuid::now_v7();
    assert_error(&owner.client.patch(&role_of(UserId(stranger)), &json!({ "role": "viewer" })).await, 404, "NOT_FOUND");
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "owner");
    assert_eq!(viewer.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "viewer");

    // The last owner cannot step down; with a second owner, one can.
    assert_error(&owner.client.patch(&role_of(owner.id), &json!({ "role": "admin" })).await, 409, "LAST_OWNER");
    assert_eq!(owner.client.patch(&role_of(admin.id), &json!({ "role": "owner" })).await.status, 200);
    assert_eq!(admin.client.patch(&role_of(owner.id), &json!({ "role": "member" })).await.status, 200);
    assert_error(&admin.client.patch(&role_of(admin.id), &json!({ "role": "member" })).await, 409, "LAST_OWNER");
    assert_eq!(events_of(&app, "member.role_changed", org).await.len(), 4);
}

#[tokio::test]
async fn removing_a_member_takes_their_team_seats() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let other = app.join_new(&owner, org, "member").await;
    let core = app.create_team(&owner, org, "Core").await;
    let seat =
        owner.client.post(&format!("/api/v1/orgs/{org}/teams/{core}/members"), &json!({ "userId": member.id })).await;
    assert_eq!(seat.status, 201);
    let path = |user: UserId| format!("/api/v1/orgs/{org}/members/{user}");

    assert_error(&other.client.delete(&path(member.id)).await, 403, "FORBIDDEN");
    assert_error(&admin.client.delete(&path(owner.id)).await, 403, "FORBIDDEN");
    let res = admin.client.delete(&path(member.id)).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_error(&member.client.get(&format!("/api/v1/orgs/{org}")).await, 404, "NOT_FOUND");
    assert_eq!(rows_of::<team_members::Entity>(&app, org).await, 1, "only the creator's seat is left");
    let removed = events_of(&app, "member.removed", org).await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["userId"], member.id.to_string());
    assert_eq!(removed[0]["via"], "removed");
    let seats = events_of(&app, "team.member_removed", org).await;
    assert_eq!(seats.len(), 1);
    assert_eq!(seats[0]["userId"], member.id.to_string());
    assert_error(&admin.client.delete(&path(member.id)).await, 404, "NOT_FOUND");
    assert_error(&owner.client.delete(&path(owner.id)).await, 409, "LAST_OWNER");
    assert_eq!(owner.client.delete(&path(admin.id)).await.status, 204, "an owner removes an admin");
    assert_eq!(other.client.delete(&path(other.id)).await.status, 204, "anyone removes themselves");
}

#[tokio::test]
async fn members_leave_but_the_last_owner_stays() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let leave = format!("/api/v1/orgs/{org}/leave");

    let res = viewer.client.post_empty(&leave).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_error(&viewer.client.get(&format!("/api/v1/orgs/{org}")).await, 404, "NOT_FOUND");
    assert!(viewer.client.get("/api/v1/orgs").await.data().as_array().unwrap().is_empty());
    assert_eq!(events_of(&app, "member.removed", org).await[0]["via"], "left");
    assert_error(&viewer.client.post_empty(&leave).await, 404, "NOT_FOUND");

    let res = owner.client.post_empty(&leave).await;
    assert_error(&res, 409, "LAST_OWNER");
    assert!(res.json["error"]["message"].as_str().unwrap().contains("transfer"));
    let second = app.join_new(&owner, org, "owner").await;
    assert_eq!(owner.client.post_empty(&leave).await.status, 200);
    assert_error(&second.client.post_empty(&leave).await, 409, "LAST_OWNER");
}

#[tokio::test]
async fn an_owner_hands_ownership_to_another_member() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let outsider = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let transfer = format!("/api/v1/orgs/{org}/transfer-ownership");

    assert_error(&admin.client.post(&transfer, &json!({ "userId": admin.id })).await, 403, "FORBIDDEN");
    let res = owner.client.post(&transfer, &json!({ "userId": outsider.id })).await;
    assert_error(&res, 422, "NOT_AN_ORG_MEMBER");
    assert_error(&owner.client.post(&transfer, &json!({ "userId": owner.id })).await, 422, "VALIDATION_FAILED");

    let res = owner.client.post(&transfer, &json!({ "userId": member.id })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(member.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "owner");
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "admin");
    let changes = events_of(&app, "member.role_changed", org).await;
    assert_eq!(changes.len(), 2);
    assert_eq!(
        (changes[0]["userId"].as_str(), changes[0]["role"].as_str()),
        (Some(member.id.to_string().as_str()), Some("owner"))
    );
    assert_eq!(
        (changes[1]["userId"].as_str(), changes[1]["role"].as_str()),
        (Some(owner.id.to_string().as_str()), Some("admin"))
    );
    assert!(changes.iter().all(|c| c["via"] == "transfer"));
    // The former owner lost what only owners have.
    assert_error(&owner.client.post(&transfer, &json!({ "userId": owner.id })).await, 403, "FORBIDDEN");
    assert_error(&owner.client.delete(&format!("/api/v1/orgs/{org}")).await, 403, "FORBIDDEN");
    assert_eq!(member.client.delete(&format!("/api/v1/orgs/{org}")).await.status, 204);
}

#[tokio::test]
async fn nobody_changes_or_removes_a_member_whose_role_they_could_not_give() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let roles = format!("/api/v1/orgs/{org}/roles");
    let res = owner
        .client
        .post(&roles, &json!({ "name": "Manager", "permissions": ["members:read", "members:manage", "teams:read"] }))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let manager_role = res.data()["id"].as_str().unwrap().to_owned();
    let res =
        admin.client.post(&roles, &json!({ "name": "Reader", "permissions": ["members:read", "teams:read"] })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let reader = res.data()["id"].as_str().unwrap().to_owned();
    let manager = app.join_new(&owner, org, &manager_role).await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let member = |user: UserId| format!("/api/v1/orgs/{org}/members/{user}");

    let res = manager.client.patch(&member(viewer.id), &json!({ "role": reader })).await;
    assert_eq!(res.status, 200, "a custom role within the manager's own: {}", res.text);
    assert_eq!(res.data()["role"], reader.as_str());
    let listed = owner.client.get(&format!("/api/v1/orgs/{org}/members?role={reader}")).await;
    assert_eq!(listed.data()[0]["userId"], viewer.id.to_string());
    assert_error(&manager.client.patch(&member(viewer.id), &json!({ "role": "admin" })).await, 403, "FORBIDDEN");
    // An admin holds more than the manager: the manager neither demotes nor removes them.
    assert_error(&manager.client.patch(&member(admin.id), &json!({ "role": "viewer" })).await, 403, "FORBIDDEN");
    assert_error(&manager.client.delete(&member(admin.id)).await, 403, "FORBIDDEN");
    assert_eq!(admin.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "admin");
    assert_eq!(manager.client.delete(&member(viewer.id)).await.status, 204, "within the manager's reach");
    assert_eq!(admin.client.patch(&member(manager.id), &json!({ "role": "viewer" })).await.status, 200);
}

#[tokio::test]
async fn two_owners_leaving_at_once_leave_one_behind() {
    let app = spawn_app().await;
    let first = app.signed_up_user().await;
    let org = app.create_org(&first, "Acme").await.id;
    let second = app.join_new(&first, org, "owner").await;
    let leave = format!("/api/v1/orgs/{org}/leave");

    let (a, b) = tokio::join!(first.client.post_empty(&leave), second.client.post_empty(&leave));

    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    let stayed = if a.status == 409 { &first } else { &second };
    assert_eq!(stayed.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "owner");
}

#[tokio::test]
async fn a_member_left_with_a_role_that_no_longer_exists_can_be_given_another() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let stray = app.join_new(&owner, org, "viewer").await;
    // Behind the application's back: a role id that names nothing.
    tessera_orgs::testing::members::Entity::update_many()
        .col_expr(tessera_orgs::testing::members::Column::Role, Expr::value(uuid::Uuid::now_v7().to_string()))
        .filter(tessera_orgs::testing::members::Column::UserId.eq(stray.id))
        .exec(&app.core.db.conn)
        .await
        .unwrap();

    let res =
        admin.client.patch(&format!("/api/v1/orgs/{org}/members/{}", stray.id), &json!({ "role": "viewer" })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["role"], "viewer");
}
