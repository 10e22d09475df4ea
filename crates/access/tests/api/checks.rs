//! `POST /authz/check`, `POST /authz/check/batch` and `GET /users/me/permissions`.

use serde_json::{Value, json};
use tessera_kernel::ids::{OrgId, TeamId};
use tessera_testkit::{assert_error, spawn_app};

use crate::support::check;

#[tokio::test]
async fn a_member_asks_about_itself_and_learns_the_deciding_rule() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;

    let read = check(&viewer.client, json!({ "orgId": org, "permission": "members:read" })).await;
    let invite = check(&viewer.client, json!({ "orgId": org, "permission": "members:invite" })).await;
    let owner_delete = check(&owner.client, json!({ "orgId": org, "permission": "org:delete" })).await;
    let named_self =
        check(&viewer.client, json!({ "subject": viewer.id, "orgId": org, "permission": "teams:read" })).await;

    assert_eq!(read, (true, "role:viewer".to_owned()));
    assert_eq!(invite, (false, "missing permission".to_owned()));
    assert_eq!(owner_delete, (true, "role:owner".to_owned()));
    assert_eq!(named_self, (true, "role:viewer".to_owned()));
}

#[tokio::test]
async fn asking_about_someone_else_needs_authz_check() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let admin = app.join_new(&owner, org, "admin").await;
    let about_owner = json!({ "subject": owner.id, "orgId": org, "permission": "org:delete" });

    let refused = member.client.post("/api/v1/authz/check", &about_owner).await;
    let answered = check(&admin.client, about_owner.clone()).await;
    let about_member =
        check(&admin.client, json!({ "subject": member.id, "orgId": org, "permission": "teams:manage" })).await;

    assert_error(&refused, 403, "FORBIDDEN");
    assert_eq!(answered, (true, "role:owner".to_owned()));
    assert_eq!(about_member, (false, "missing permission".to_owned()));
}

#[tokio::test]
async fn an_outsider_learns_nothing_about_an_organization() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let stranger = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let nowhere = OrgId::new();

    let mut answers = Vec::new();
    for (subject, org_id) in [(&owner.id, &org), (&stranger.id, &org), (&owner.id, &nowhere), (&stranger.id, &nowhere)]
    {
        let body = json!({ "subject": subject, "orgId": org_id, "permission": "org:delete" });
        answers.push(check(&stranger.client, body).await);
    }
    answers.push(check(&stranger.client, json!({ "orgId": org, "permission": "members:read" })).await);

    for answer in answers {
        assert_eq!(answer, (false, "not a member".to_owned()));
    }
    let mine = stranger.client.get(&format!("/api/v1/users/me/permissions?orgId={org}")).await;
    let none = stranger.client.get(&format!("/api/v1/users/me/permissions?orgId={nowhere}")).await;
    assert_eq!(mine.status, 404, "{}", mine.text);
    assert_eq!(none.status, 404, "{}", none.text);
    assert_eq!(mine.json["error"]["message"], none.json["error"]["message"]);
}

#[tokio::test]
async fn a_check_can_be_about_an_api_key() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;

    let given = check(&owner.client, json!({ "subject": key.id, "orgId": org, "permission": "members:read" })).await;
    let not_given = check(&owner.client, json!({ "subject": key.id, "orgId": org, "permission": "teams:read" })).await;
    let itself = check(&app.as_key(&key), json!({ "orgId": org, "permission": "members:read" })).await;

    assert_eq!(given, (true, "role:owner".to_owned()));
    assert_eq!(not_given, (false, "missing permission".to_owned()));
    assert!(itself.0);
}

#[tokio::test]
async fn team_roles_grant_on_their_team_only() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let team_a = app.create_team(&owner, org, "Core").await;
    let team_b = app.create_team(&owner, org, "Edge").await;
    let seat = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/teams/{team_a}/members"), &json!({ "userId": viewer.id, "role": "admin" }))
        .await;
    assert_eq!(seat.status, 201, "{}", seat.text);
    let on = |team: TeamId| json!({ "orgId": org, "permission": "teams:manage", "resource": { "type": "team", "id": team } });

    assert_eq!(check(&viewer.client, on(team_a)).await, (true, "team_role:admin".to_owned()));
    assert_eq!(check(&viewer.client, on(team_b)).await, (false, "missing permission".to_owned()));
    let org_wide = check(&viewer.client, json!({ "orgId": org, "permission": "teams:manage" })).await;
    assert!(!org_wide.0);
    let patch_a =
        viewer.client.patch(&format!("/api/v1/orgs/{org}/teams/{team_a}"), &json!({ "name": "Core 2" })).await;
    let patch_b =
        viewer.client.patch(&format!("/api/v1/orgs/{org}/teams/{team_b}"), &json!({ "name": "Edge 2" })).await;
    assert_eq!(patch_a.status, 200, "{}", patch_a.text);
    assert_eq!(patch_b.status, 403, "{}", patch_b.text);
}

#[tokio::test]
async fn a_batch_answers_up_to_a_hundred_checks_in_order() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let mut checks: Vec<Value> = (0..99)
        .map(|i| {
            let permission = if i % 2 == 0 { "members:read" } else { "members:invite" };
            json!({ "subject": viewer.id, "orgId": org, "permission": permission })
        })
        .collect();
    checks.push(json!({ "orgId": org, "permission": "org:delete" }));

    let res = owner.client.post("/api/v1/authz/check/batch", &json!({ "checks": checks })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let results = res.data()["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    for (i, r) in results[..99].iter().enumerate() {
        assert_eq!(r["allowed"], i % 2 == 0, "check {i}: {r}");
    }
    assert_eq!(results[99], json!({ "allowed": true, "reason": "role:owner" }));
}

#[tokio::test]
async fn a_batch_of_none_or_more_than_a_hundred_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let one = json!({ "orgId": org, "permission": "members:read" });

    let too_many = owner.client.post("/api/v1/authz/check/batch", &json!({ "checks": vec![one.clone(); 101] })).await;
    let empty = owner.client.post("/api/v1/authz/check/batch", &json!({ "checks": [] })).await;
    let unknown = owner
        .client
        .post("/api/v1/authz/check/batch", &json!({ "checks": [one, { "orgId": org, "permission": "nope:nope" }] }))
        .await;

    for res in [&too_many, &empty, &unknown] {
        assert_error(res, 422, "VALIDATION_FAILED");
    }
    assert!(unknown.text.contains("checks[1].permission"), "{}", unknown.text);
}

#[tokio::test]
async fn a_batch_about_others_without_authz_check_is_refused_whole() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let checks = json!([
        { "orgId": org, "permission": "members:read" },
        { "subject": owner.id, "orgId": org, "permission": "members:read" },
    ]);

    let res = member.client.post("/api/v1/authz/check/batch", &json!({ "checks": checks })).await;

    assert_eq!(res.status, 403, "{}", res.text);
    assert!(res.text.contains("check 1"), "{}", res.text);
}

#[tokio::test]
async fn an_unknown_permission_in_a_check_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let res = owner.client.post("/api/v1/authz/check", &json!({ "orgId": org, "permission": "rockets:launch" })).await;

    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("UNKNOWN_PERMISSION"), "{}", res.text);
}

#[tokio::test]
async fn my_permissions_list_role_and_organization_wide_permissions() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let key = app.org_key(&owner.client, org, &["members:read", "audit:read"]).await;

    let mine = member.client.get(&format!("/api/v1/users/me/permissions?orgId={org}")).await;
    let keys = app.as_key(&key).get(&format!("/api/v1/users/me/permissions?orgId={org}")).await;

    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.data()["role"], "member");
    assert_eq!(mine.data()["permissions"], json!(["members:read", "teams:create", "teams:read"]));
    assert_eq!(keys.status, 200, "{}", keys.text);
    assert_eq!(keys.data()["permissions"], json!(["audit:read", "members:read"]));
}

#[tokio::test]
async fn my_permissions_need_a_well_formed_organization_id() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;

    let missing = owner.client.get("/api/v1/users/me/permissions").await;
    let malformed = owner.client.get("/api/v1/users/me/permissions?orgId=acme").await;
    let extra = owner.client.get(&format!("/api/v1/users/me/permissions?orgId={}&x=1", uuid::Uuid::now_v7())).await;
    let anonymous = app.anonymous().get(&format!("/api/v1/users/me/permissions?orgId={}", uuid::Uuid::now_v7())).await;

    for res in [&missing, &malformed, &extra] {
        assert_error(res, 422, "VALIDATION_FAILED");
    }
    assert_eq!(anonymous.status, 401);
}
