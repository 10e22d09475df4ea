//! `/orgs/{id}/teams`: teams and their seats. Only members of the organization
//! hold seats; a team's admins manage that team and no other.

use serde_json::json;
use tessera_kernel::ids::TeamId;
use tessera_orgs::testing::team_members;
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{events_of, rows_of};

#[tokio::test]
async fn members_create_teams_and_become_their_admins() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let teams = format!("/api/v1/orgs/{org}/teams");

    let res = member.client.post(&teams, &json!({ "name": " Platform ", "description": "Runs the platform" })).await;

    assert_eq!(res.status, 201, "{}", res.text);
    let created = res.data().clone();
    assert_eq!(created["name"], "Platform");
    assert_eq!(created["description"], "Runs the platform");
    assert_eq!(created["orgId"], org.to_string());
    let id = created["id"].as_str().unwrap();
    let seats = member.client.get(&format!("{teams}/{id}/members")).await;
    assert_eq!(seats.status, 200);
    assert_eq!(seats.data().as_array().unwrap().len(), 1);
    assert_eq!(seats.data()[0]["userId"], member.id.to_string());
    assert_eq!(seats.data()[0]["role"], "admin");
    assert_eq!(seats.data()[0]["email"], member.email.as_str());
    assert_eq!(events_of(&app, "team.created", org).await[0]["teamId"], id);
    assert_eq!(events_of(&app, "team.member_added", org).await[0]["role"], "admin");

    assert_error(&viewer.client.post(&teams, &json!({ "name": "Mine" })).await, 403, "FORBIDDEN");
    assert_error(&owner.client.post(&teams, &json!({ "name": "Platform" })).await, 409, "TEAM_NAME_TAKEN");
    for bad in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(201) }),
        json!({ "name": "ok", "description": "d".repeat(1001) }),
    ] {
        assert_error(&owner.client.post(&teams, &bad).await, 422, "VALIDATION_FAILED");
    }
    // Names are unique per organization only.
    let other = app.create_org(&owner, "Other").await.id;
    app.create_team(&owner, other, "Platform").await;
}

#[tokio::test]
async fn teams_are_listed_by_name_and_read_by_every_member() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let zeta = app.create_team(&owner, org, "Zeta").await;
    let alpha = app.create_team(&owner, org, "Alpha").await;
    let mid = app.create_team(&owner, org, "Mid").await;
    let teams = format!("/api/v1/orgs/{org}/teams");

    let res = viewer.client.get(&teams).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let ids: Vec<&str> = res.data().as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [alpha.to_string(), mid.to_string(), zeta.to_string()]);
    assert_eq!(res.json["meta"]["total"], 3);
    let page = viewer.client.get(&format!("{teams}?limit=2&page=2")).await;
    assert_eq!(page.data().as_array().unwrap().len(), 1);
    assert_eq!(page.data()[0]["id"], zeta.to_string());
    let one = viewer.client.get(&format!("{teams}/{mid}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.data()["name"], "Mid");
    assert_eq!(one.data()["description"], serde_json::Value::Null);
    assert_error(&viewer.client.get(&format!("{teams}/{}", uuid::Uuid::now_v7())).await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn only_members_of_the_organization_take_seats() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let outsider = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let core = app.create_team(&owner, org, "Core").await;
    let seats = format!("/api/v1/orgs/{org}/teams/{core}/members");

    let res = owner.client.post(&seats, &json!({ "userId": outsider.id })).await;
    assert_error(&res, 422, "NOT_AN_ORG_MEMBER");
    let res = owner.client.post(&seats, &json!({ "userId": uuid::Uuid::now_v7() })).await;
    assert_error(&res, 422, "NOT_AN_ORG_MEMBER");

    let res = owner.client.post(&seats, &json!({ "userId": member.id })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.data()["role"], "member", "the default team role");
    assert_eq!(res.data()["name"], "New member");
    let res = owner.client.post(&seats, &json!({ "userId": viewer.id, "role": "viewer" })).await;
    assert_eq!(res.data()["role"], "viewer");
    assert_error(&owner.client.post(&seats, &json!({ "userId": member.id })).await, 409, "ALREADY_IN_TEAM");
    let res = owner.client.post(&seats, &json!({ "userId": member.id, "role": "boss" })).await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "role");

    let list = viewer.client.get(&seats).await;
    let roles: Vec<(&str, &str)> = list
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["userId"].as_str().unwrap(), s["role"].as_str().unwrap()))
        .collect();
    let ids = [owner.id, member.id, viewer.id].map(|id| id.to_string());
    assert_eq!(roles, [(ids[0].as_str(), "admin"), (ids[1].as_str(), "member"), (ids[2].as_str(), "viewer")]);

    let res = owner.client.patch(&format!("{seats}/{member}", member = member.id), &json!({ "role": "admin" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["role"], "admin");
    assert_eq!(events_of(&app, "team.member_role_changed", org).await.len(), 1);
    let res = owner.client.delete(&format!("{seats}/{}", viewer.id)).await;
    assert_eq!(res.status, 204);
    let removed = events_of(&app, "team.member_removed", org).await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["userId"], viewer.id.to_string());
    assert_error(&owner.client.delete(&format!("{seats}/{}", viewer.id)).await, 404, "NOT_FOUND");
    assert_eq!(rows_of::<team_members::Entity>(&app, org).await, 2);
}

#[tokio::test]
async fn a_team_admin_manages_their_team_and_no_other() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let lead = app.join_new(&owner, org, "viewer").await;
    let member = app.join_new(&owner, org, "member").await;
    let peer = app.join_new(&owner, org, "viewer").await;
    let mine = app.create_team(&owner, org, "Mine").await;
    let theirs = app.create_team(&owner, org, "Theirs").await;
    let t = |id: TeamId| format!("/api/v1/orgs/{org}/teams/{id}");
    owner.client.post(&format!("{}/members", t(mine)), &json!({ "userId": lead.id, "role": "admin" })).await;
    owner.client.post(&format!("{}/members", t(mine)), &json!({ "userId": peer.id, "role": "member" })).await;

    // An organization viewer who is admin of one team manages that team.
    let res = lead.client.patch(&t(mine), &json!({ "name": "Ours", "description": "d" })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["name"], "Ours");
    let res =
        lead.client.post(&format!("{}/members", t(mine)), &json!({ "userId": member.id, "role": "viewer" })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let res = lead.client.patch(&format!("{}/members/{}", t(mine), member.id), &json!({ "role": "member" })).await;
    assert_eq!(res.status, 200);
    assert_eq!(lead.client.delete(&format!("{}/members/{}", t(mine), member.id)).await.status, 204);

    // … but not the other team, nor the organization.
    assert_error(&lead.client.patch(&t(theirs), &json!({ "name": "Taken" })).await, 403, "FORBIDDEN");
    let res = lead.client.post(&format!("{}/members", t(theirs)), &json!({ "userId": lead.id })).await;
    assert_error(&res, 403, "FORBIDDEN");
    assert_error(&lead.client.delete(&t(theirs)).await, 403, "FORBIDDEN");
    assert_error(
        &lead.client.post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": "New" })).await,
        403,
        "FORBIDDEN",
    );

    // A plain seat manages nothing, but may leave.
    assert_error(&peer.client.patch(&t(mine), &json!({ "name": "Peer's" })).await, 403, "FORBIDDEN");
    let res = peer.client.patch(&format!("{}/members/{}", t(mine), peer.id), &json!({ "role": "admin" })).await;
    assert_error(&res, 403, "FORBIDDEN");
    assert_error(&peer.client.delete(&format!("{}/members/{}", t(mine), lead.id)).await, 403, "FORBIDDEN");
    assert_eq!(peer.client.delete(&format!("{}/members/{}", t(mine), peer.id)).await.status, 204);

    let res = lead.client.delete(&t(mine)).await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_error(&owner.client.get(&t(mine)).await, 404, "NOT_FOUND");
    // The seat went with the team: lead is admin of nothing now.
    assert_error(&lead.client.patch(&t(theirs), &json!({ "name": "x" })).await, 403, "FORBIDDEN");
    let deleted = events_of(&app, "team.deleted", org).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["name"], "Ours");
    assert_eq!(events_of(&app, "team.updated", org).await.len(), 1);
}

#[tokio::test]
async fn renaming_keeps_names_unique_and_null_clears_the_description() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let a = app.create_team(&owner, org, "A team").await;
    app.create_team(&owner, org, "B team").await;
    let path = format!("/api/v1/orgs/{org}/teams/{a}");

    assert_eq!(owner.client.patch(&path, &json!({ "description": "first" })).await.data()["description"], "first");
    let res = owner.client.patch(&path, &json!({ "description": null })).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["description"], serde_json::Value::Null);
    assert_error(&owner.client.patch(&path, &json!({ "name": "B team" })).await, 409, "TEAM_NAME_TAKEN");
    assert_error(&owner.client.patch(&path, &json!({ "name": "" })).await, 422, "VALIDATION_FAILED");
    assert_error(&owner.client.patch(&path, &json!({ "color": "red" })).await, 422, "VALIDATION_FAILED");
    assert_eq!(owner.client.get(&path).await.data()["name"], "A team");
    assert_eq!(events_of(&app, "team.updated", org).await.len(), 2);
}

#[tokio::test]
async fn another_organizations_teams_are_not_found() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let mallory = app.signed_up_user().await;
    let a = app.create_org(&alice, "Acme").await.id;
    let m = app.create_org(&mallory, "Evil").await.id;
    let secret = app.create_team(&alice, a, "Secret").await;

    // Under her own organization's path, Alice's team does not exist for Mallory.
    let own_path = format!("/api/v1/orgs/{m}/teams/{secret}");
    assert_error(&mallory.client.get(&own_path).await, 404, "NOT_FOUND");
    assert_error(&mallory.client.patch(&own_path, &json!({ "name": "Mine" })).await, 404, "NOT_FOUND");
    assert_error(&mallory.client.delete(&own_path).await, 404, "NOT_FOUND");
    let res = mallory.client.post(&format!("{own_path}/members"), &json!({ "userId": mallory.id })).await;
    assert_error(&res, 404, "NOT_FOUND");
    // Under Alice's organization's path, nothing exists for her at all.
    let their_path = format!("/api/v1/orgs/{a}/teams/{secret}");
    assert_error(&mallory.client.get(&their_path).await, 404, "NOT_FOUND");
    assert_error(&mallory.client.get(&format!("/api/v1/orgs/{a}/teams")).await, 404, "NOT_FOUND");
    assert_eq!(alice.client.get(&their_path).await.data()["name"], "Secret");
}
