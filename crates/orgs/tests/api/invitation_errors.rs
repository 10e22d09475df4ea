//! Invitations that must not work: the wrong person, an unproven address, an
//! existing member or pending invitation, a role the inviter cannot give, an
//! inviter without the permission, and malformed requests.

use serde_json::json;
use tessera_testkit::{Inbox, assert_error, fresh_email, spawn_app};

use crate::invitations::app_with_smtp;

#[tokio::test]
async fn only_the_invited_verified_address_accepts() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let token = app.invite_via(mail, &owner, org, "gina@example.test", "member").await.token;
    let accept = format!("/api/v1/invitations/{token}/accept");
    let eve = app.verified_user_via(mail, "eve@example.test").await;

    let res = eve.client.post_empty(&accept).await;
    assert_error(&res, 403, "EMAIL_MISMATCH");
    assert_error(&eve.client.get(&format!("/api/v1/orgs/{org}")).await, 404, "NOT_FOUND");

    // The invited address, registered but not yet confirmed.
    let gina = app.register_and_login("gina@example.test", "gina's long password").await;
    assert_error(&gina.client.post_empty(&accept).await, 403, "EMAIL_NOT_VERIFIED");
    // An account exists for the address: registering through the link is refused.
    let res = app.anonymous().post(&accept, &json!({ "name": "Gina", "password": "another long password" })).await;
    assert_error(&res, 409, "EMAIL_TAKEN");

    let confirm = mail.mail_to("gina@example.test", "Confirm your e-mail").await;
    let verify = confirm.token(&format!("{}/verify-email", app.base_url)).unwrap();
    assert_eq!(app.anonymous().post("/api/v1/auth/verify-email", &json!({ "token": verify })).await.status, 200);
    // Signed in, an empty object is no registration.
    let res = gina.client.post(&accept, &json!({})).await;
    assert_eq!(res.status, 200, "the invitation was still pending: {}", res.text);
    assert_eq!(gina.client.get(&format!("/api/v1/orgs/{org}")).await.data()["role"], "member");
}

#[tokio::test]
async fn members_and_pending_invitees_are_not_invited_again() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");

    let res = owner.client.post(&invitations, &json!({ "email": member.email.to_uppercase(), "role": "viewer" })).await;
    assert_error(&res, 409, "ALREADY_MEMBER");
    let res = owner.client.post(&invitations, &json!({ "email": owner.email, "role": "viewer" })).await;
    assert_error(&res, 409, "ALREADY_MEMBER");
    assert_eq!(
        owner.client.post(&invitations, &json!({ "email": "hank@example.test", "role": "viewer" })).await.status,
        201
    );
    let res = owner.client.post(&invitations, &json!({ "email": "Hank@Example.test", "role": "admin" })).await;
    assert_error(&res, 409, "ALREADY_INVITED");
    // Another organization may invite the same address.
    let other = app.create_org(&owner, "Other").await.id;
    let res = owner
        .client
        .post(&format!("/api/v1/orgs/{other}/invitations"), &json!({ "email": "hank@example.test", "role": "viewer" }))
        .await;
    assert_eq!(res.status, 201);
    // Once the member has left, they may be invited again.
    assert_eq!(member.client.post_empty(&format!("/api/v1/orgs/{org}/leave")).await.status, 200);
    assert_eq!(owner.client.post(&invitations, &json!({ "email": member.email, "role": "viewer" })).await.status, 201);
}

#[tokio::test]
async fn inviters_give_only_roles_they_may_give() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    let body = |role: &str| json!({ "email": fresh_email(role), "role": role });

    assert_error(&viewer.client.post(&invitations, &body("viewer")).await, 403, "FORBIDDEN");
    assert_error(&member.client.post(&invitations, &body("viewer")).await, 403, "FORBIDDEN");
    assert_error(&viewer.client.get(&invitations).await, 403, "FORBIDDEN");
    assert_error(&admin.client.post(&invitations, &body("owner")).await, 403, "FORBIDDEN");
    for role in ["admin", "member", "viewer"] {
        assert_eq!(admin.client.post(&invitations, &body(role)).await.status, 201, "an admin invites {role}s");
    }
    assert_eq!(owner.client.post(&invitations, &body("owner")).await.status, 201);
    assert_error(&owner.client.post(&invitations, &body("superuser")).await, 422, "UNKNOWN_ROLE");
    // Nothing was created by the refused requests.
    assert_eq!(owner.client.get(&format!("{invitations}?status=pending")).await.json["meta"]["total"], 4);
}

#[tokio::test]
async fn team_invitations_need_the_organizations_teams() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let other = app.create_org(&owner, "Other").await.id;
    let foreign = app.create_team(&owner, other, "Foreign").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");

    let res = owner
        .client
        .post(&invitations, &json!({ "email": "ivy@example.test", "role": "member", "teamIds": [foreign] }))
        .await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "teamIds");
    let res = owner
        .client
        .post(
            &invitations,
            &json!({ "email": "ivy@example.test", "role": "member", "teamIds": [uuid::Uuid::now_v7()] }),
        )
        .await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    let res = owner
        .client
        .post(&invitations, &json!({ "email": "ivy@example.test", "role": "member", "teamIds": ["nope"] }))
        .await;
    assert_error(&res, 422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn malformed_invitations_are_refused_field_by_field() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let invitations = format!("/api/v1/orgs/{org}/invitations");

    for (body, field) in [
        (json!({ "email": "not an address", "role": "member" }), "email"),
        (json!({ "email": "a@example.test", "role": "" }), "role"),
        (json!({ "email": "a@example.test", "role": "member", "expiresInDays": 0 }), "expiresInDays"),
        (json!({ "email": "a@example.test", "role": "member", "expiresInDays": 31 }), "expiresInDays"),
        (json!({ "email": "a@example.test", "role": "member", "expiresInDays": "7" }), "expiresInDays"),
        (json!({ "email": "a@example.test" }), "role"),
        (json!({ "email": "a@example.test", "role": "member", "message": "hi" }), "message"),
    ] {
        let res = owner.client.post(&invitations, &body).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(res.json["error"]["details"]["fields"][0]["field"], field, "{body}");
    }
    assert_eq!(owner.client.get(&invitations).await.json["meta"]["total"], 0);
}

#[tokio::test]
async fn resending_an_expired_invitation_never_makes_a_second_pending_one() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    let res = owner
        .client
        .post(&invitations, &json!({ "email": "jo@example.test", "role": "viewer", "expiresInDays": 1 }))
        .await;
    let old = res.data()["id"].as_str().unwrap().to_owned();
    app.clock.advance(time::Duration::days(2));
    let owner = app.login(&owner.email, &owner.password).await;
    assert_eq!(
        owner.client.post(&invitations, &json!({ "email": "jo@example.test", "role": "member" })).await.status,
        201
    );

    let res = owner.client.post_empty(&format!("{invitations}/{old}/resend")).await;

    assert_error(&res, 409, "ALREADY_INVITED");
    assert_eq!(owner.client.get(&format!("{invitations}?status=pending")).await.json["meta"]["total"], 1);
}

#[tokio::test]
async fn one_link_accepted_twice_at_once_makes_one_account() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let token = app.invite(&owner, org, "kim@example.test", "member").await.token;
    let accept = format!("/api/v1/invitations/{token}/accept");
    let body = json!({ "name": "Kim", "password": "kim's long password" });

    let (c1, c2) = (app.anonymous(), app.anonymous());
    let (a, b) = tokio::join!(c1.post(&accept, &body), c2.post(&accept, &body));

    let ok = [&a, &b].iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{} / {}", a.text, b.text);
    let other = if a.status == 200 { &b } else { &a };
    assert!([409, 410].contains(&other.status), "{}", other.text);
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}/members")).await.json["meta"]["total"], 2);
    app.login("kim@example.test", "kim's long password").await;
}

#[tokio::test]
async fn an_invitation_to_a_role_deleted_since_does_not_make_a_powerless_member() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let roles = format!("/api/v1/orgs/{org}/roles");
    let res =
        owner.client.post(&roles, &json!({ "name": "Auditor", "permissions": ["members:read", "audit:read"] })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let role = res.data()["id"].as_str().unwrap().to_owned();
    let token = app.invite(&owner, org, "lee@example.test", &role).await.token;
    assert_eq!(owner.client.delete(&format!("{roles}/{role}")).await.status, 204);

    let res = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            &json!({ "name": "Lee", "password": "lee's long password" }),
        )
        .await;

    assert_error(&res, 409, "ROLE_GONE");
    assert_eq!(owner.client.get(&format!("/api/v1/orgs/{org}/members")).await.json["meta"]["total"], 1);
    let login = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({ "email": "lee@example.test", "password": "lee's long password" }))
        .await;
    assert_eq!(login.status, 401, "no account was made");
}
