//! Direct grants: `POST/GET /orgs/{orgId}/grants`, `DELETE /orgs/{orgId}/grants/{grantId}`.

use serde_json::json;
use tessera_kernel::ids::TeamId;
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{audit_entries, check};

fn on_team(subject: impl std::fmt::Display, team: impl std::fmt::Display) -> serde_json::Value {
    json!({ "subject": subject.to_string(), "permission": "teams:manage", "resourceType": "team", "resourceId": team.to_string() })
}

#[tokio::test]
async fn a_grant_on_one_team_lets_a_viewer_manage_that_team_only() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let team_a = app.create_team(&owner, org, "Core").await;
    let team_b = app.create_team(&owner, org, "Edge").await;
    let resource = |team: TeamId| json!({ "orgId": org, "permission": "teams:manage", "resource": { "type": "team", "id": team } });
    // Refused first, so the node has seen the viewer without grants: the grant must still count at once.
    assert_eq!(check(&viewer.client, resource(team_a)).await, (false, "missing permission".to_owned()));

    let res = owner.client.post(&format!("/api/v1/orgs/{org}/grants"), &on_team(viewer.id, team_a)).await;

    assert_eq!(res.status, 201, "{}", res.text);
    let grant = res.data().clone();
    assert_eq!(grant["subjectType"], "user");
    assert_eq!(grant["createdBy"], owner.id.to_string());
    assert_eq!(check(&viewer.client, resource(team_a)).await, (true, "grant".to_owned()));
    assert!(!check(&viewer.client, resource(team_b)).await.0);
    let patch_a =
        viewer.client.patch(&format!("/api/v1/orgs/{org}/teams/{team_a}"), &json!({ "name": "Core 2" })).await;
    let patch_b =
        viewer.client.patch(&format!("/api/v1/orgs/{org}/teams/{team_b}"), &json!({ "name": "Edge 2" })).await;
    assert_eq!(patch_a.status, 200, "{}", patch_a.text);
    assert_eq!(patch_b.status, 403, "{}", patch_b.text);
    let entries = audit_entries(&owner, org, "grant.created").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"]["id"], grant["id"]);
}

#[tokio::test]
async fn grants_are_listed_filtered_and_withdrawn() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let member = app.join_new(&owner, org, "member").await;
    let team = app.create_team(&owner, org, "Core").await;
    let path = format!("/api/v1/orgs/{org}/grants");
    let first = owner.client.post(&path, &on_team(viewer.id, team)).await;
    assert_eq!(owner.client.post(&path, &on_team(member.id, team)).await.status, 201);
    let grant_id = first.data()["id"].as_str().unwrap().to_owned();

    let all = owner.client.get(&path).await;
    let viewers = owner.client.get(&format!("{path}?subject={}", viewer.id)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.json["meta"]["total"], 2);
    assert_eq!(viewers.json["meta"]["total"], 1);
    assert_eq!(viewers.data()[0]["id"], grant_id);

    let res = owner.client.delete(&format!("{path}/{grant_id}")).await;

    assert_eq!(res.status, 204, "{}", res.text);
    let resource = json!({ "orgId": org, "permission": "teams:manage", "resource": { "type": "team", "id": team } });
    assert!(!check(&viewer.client, resource).await.0);
    assert_eq!(owner.client.get(&path).await.json["meta"]["total"], 1);
    assert_eq!(owner.client.delete(&format!("{path}/{grant_id}")).await.status, 404);
    assert_eq!(audit_entries(&owner, org, "grant.deleted").await.len(), 1);
    assert_eq!(app.events_of("grant.created").await.len(), 2);
    let deleted = app.events_of("grant.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], grant_id);
    assert_eq!(deleted[0]["subject"], viewer.id.to_string());
}

#[tokio::test]
async fn the_same_grant_twice_conflicts() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let path = format!("/api/v1/orgs/{org}/grants");
    assert_eq!(owner.client.post(&path, &on_team(viewer.id, "t-1")).await.status, 201);

    let res = owner.client.post(&path, &on_team(viewer.id, "t-1")).await;

    assert_error(&res, 409, "GRANT_EXISTS");
}

#[tokio::test]
async fn grants_go_to_members_and_keys_of_the_organization_only() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let stranger = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let other = app.create_org(&owner, "Bravo").await.id;
    let foreign_key = app.org_key(&owner.client, other, &["teams:read"]).await;
    let path = format!("/api/v1/orgs/{org}/grants");

    for subject in [stranger.id.to_string(), foreign_key.id.to_string(), uuid::Uuid::now_v7().to_string()] {
        let res = owner.client.post(&path, &on_team(&subject, "t-1")).await;
        assert_eq!(res.status, 422, "{}", res.text);
        assert!(res.text.contains("UNKNOWN_SUBJECT"), "{}", res.text);
    }
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let role = owner
        .client
        .post(
            &format!("/api/v1/orgs/{org}/roles"),
            &json!({ "name": "Granter", "permissions": ["grants:manage", "members:read"] }),
        )
        .await;
    let granter = app.join_new(&owner, org, role.data()["id"].as_str().unwrap()).await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let path = format!("/api/v1/orgs/{org}/grants");

    let escalate = granter.client.post(&path, &on_team(viewer.id, "t-1")).await;
    let self_grant = granter.client.post(&path, &on_team(granter.id, "t-1")).await;
    let by_viewer = viewer.client.post(&path, &on_team(viewer.id, "t-1")).await;
    let owner_only = owner
        .client
        .post(
            &path,
            &json!({ "subject": viewer.id, "permission": "org:delete", "resourceType": "org", "resourceId": org }),
        )
        .await;

    assert_eq!(escalate.status, 403, "{}", escalate.text);
    assert_eq!(self_grant.status, 403, "{}", self_grant.text);
    assert_eq!(by_viewer.status, 403, "{}", by_viewer.text);
    assert_eq!(owner_only.status, 422, "{}", owner_only.text);
    assert_eq!(owner.client.get(&path).await.json["meta"]["total"], 0);
}

#[tokio::test]
async fn a_grant_to_a_key_widens_it_on_that_resource_within_its_creators_rights() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let team = app.create_team(&owner, org, "Core").await;
    let key = app.org_key(&owner.client, org, &["teams:read"]).await;
    let team_path = format!("/api/v1/orgs/{org}/teams/{team}");
    assert_eq!(app.as_key(&key).patch(&team_path, &json!({ "name": "A" })).await.status, 403);

    let res = owner.client.post(&format!("/api/v1/orgs/{org}/grants"), &on_team(key.id, team)).await;

    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.data()["subjectType"], "apikey");
    let patched = app.as_key(&key).patch(&team_path, &json!({ "name": "B" })).await;
    assert_eq!(patched.status, 200, "{}", patched.text);

    let revoked = owner.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;
    assert_eq!(revoked.status, 204);
    let grants = owner.client.get(&format!("/api/v1/orgs/{org}/grants")).await;
    assert_eq!(grants.json["meta"]["total"], 0, "a revoked key's grants go with it: {}", grants.text);
    let withdrawn = audit_entries(&owner, org, "grant.deleted").await;
    assert_eq!(withdrawn.len(), 1, "and that is audited: {withdrawn:?}");
    assert_eq!(withdrawn[0]["target"]["id"], res.data()["id"]);
    assert_eq!(withdrawn[0]["actor"]["id"], owner.id.to_string(), "as the revoker's doing");
}

#[tokio::test]
async fn grants_of_another_organization_are_not_found() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_a = app.create_org(&owner, "Acme").await.id;
    let org_b = app.create_org(&owner, "Bravo").await.id;
    let viewer = app.join_new(&owner, org_a, "viewer").await;
    let res = owner.client.post(&format!("/api/v1/orgs/{org_a}/grants"), &on_team(viewer.id, "t")).await;
    let id = res.data()["id"].as_str().unwrap().to_owned();

    let delete = owner.client.delete(&format!("/api/v1/orgs/{org_b}/grants/{id}")).await;
    let list = owner.client.get(&format!("/api/v1/orgs/{org_b}/grants")).await;

    assert_eq!(delete.status, 404, "{}", delete.text);
    assert_eq!(list.json["meta"]["total"], 0);
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org_a}/grants")).await.json["meta"]["total"], 1);
}

#[tokio::test]
async fn a_member_who_leaves_takes_no_grant_back_on_return() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let team = app.create_team(&owner, org, "Core").await;
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/grants"), &on_team(viewer.id, team)).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/members/{}", viewer.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);
    let grants = owner.client.get(&format!("/api/v1/orgs/{org}/grants")).await;
    assert_eq!(grants.data(), &json!([]), "the grant went with the membership: {}", grants.text);
    // Invited again (the first link is spent), the person comes back with the role only.
    app.join(&owner, org, &viewer, "viewer").await;
    let resource = json!({ "orgId": org, "permission": "teams:manage", "resource": { "type": "team", "id": team } });
    assert!(!check(&viewer.client, resource).await.0, "no grant came back");
}
