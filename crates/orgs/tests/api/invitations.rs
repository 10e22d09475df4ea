//! Invitations end to end through a real SMTP server: the link is read out of
//! the received message and used the way the invited person would: to see what
//! it is for, accept it (signed in, or registering in the same call), or decline.

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tessera_orgs::testing::invitations;
use tessera_testkit::{Inbox, SmtpSink, TestApp, assert_error, fresh_email, spawn_app_with};

use crate::support::events_of;

/// An application whose mail goes to a real SMTP server.
pub async fn app_with_smtp() -> (SmtpSink, TestApp) {
    let smtp = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url()));
    })
    .await;
    (smtp, app)
}

#[tokio::test]
async fn an_invitation_mail_carries_a_link_that_shows_what_it_is_for_and_nothing_else() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.verified_user_via(mail, "olivia.owner@example.test").await;
    let org = app.create_org(&owner, "Acme Rockets").await.id;

    let res = owner
        .client
        .post(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "  Bob.Builder@Example.TEST ", "role": "member", "expiresInDays": 3 }),
        )
        .await;

    assert_eq!(res.status, 201, "{}", res.text);
    let inv = res.data().clone();
    assert_eq!(inv["email"], "bob.builder@example.test");
    assert_eq!(inv["role"], "member");
    assert_eq!(inv["status"], "pending");
    assert_eq!(inv["invitedBy"], owner.id.to_string());
    assert_eq!(inv["teamIds"], json!([]));
    assert!(inv.get("token").is_none() && inv.get("tokenHash").is_none(), "the token travels by mail only");
    let message = smtp.mail_to("bob.builder@example.test", "You are invited to join Acme Rockets").await;
    assert!(message.text.contains("Test User invited you to join Acme Rockets as member"), "{}", message.text);
    assert!(message.text.contains("valid for 3 days"), "{}", message.text);
    let token = app.invitation_token_of(&message).expect("a link to the invitation");
    assert!(token.len() >= 43, "at least 32 random bytes: {token}");
    let stored = invitations::Entity::find().one(&app.core.db.conn).await.unwrap().unwrap();
    assert_ne!(stored.token_hash, token, "only a hash is stored");
    assert_eq!(stored.token_hash.len(), 64);
    assert_eq!(events_of(&app, "invitation.created", org).await[0]["email"], "bob.builder@example.test");

    let preview = app.anonymous().get(&format!("/api/v1/invitations/{token}")).await;

    assert_eq!(preview.status, 200, "{}", preview.text);
    let data = preview.data().as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["expiresAt", "inviterName", "organizationName", "role"]);
    assert_eq!(data["organizationName"], "Acme Rockets");
    assert_eq!(data["inviterName"], "Test User");
    assert_eq!(data["role"], "member");
    assert_eq!(data["expiresAt"], inv["expiresAt"]);
    let (owner_id, org_id) = (owner.id.to_string(), org.to_string());
    for secret in [owner.email.as_str(), &owner_id, &org_id, inv["id"].as_str().unwrap(), "bob.builder"] {
        assert!(!preview.text.contains(secret), "the preview leaks {secret}: {}", preview.text);
    }
    assert_error(&app.anonymous().get("/api/v1/invitations/not-a-real-token").await, 404, "NOT_FOUND");

    // The link itself opens a page served by tessera, whose script calls the API.
    let link = message.link(&format!("{}/invitations/", app.base_url)).unwrap();
    let page = app
        .anonymous()
        .send(app.anonymous().request(reqwest::Method::GET, link.trim_start_matches(&app.base_url)))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text.contains("/assets/invitation.js") && !page.text.contains(&token), "the token is not echoed");
    let script = app.anonymous().get("/assets/invitation.js").await;
    assert!(script.text.contains("/api/v1/invitations/") && script.text.contains("/accept"));
}

#[tokio::test]
async fn a_signed_in_person_with_the_verified_address_accepts_into_the_org_and_its_teams() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let core = app.create_team(&owner, org, "Core").await;
    let bob = app.verified_user_via(mail, "bob@example.test").await;
    let res = owner
        .client
        .post(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "BOB@example.test", "role": "admin", "teamIds": [core] }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.data()["id"].as_str().unwrap().to_owned();
    let token = app.invitation_token(mail, "bob@example.test").await;
    let accept = format!("/api/v1/invitations/{token}/accept");

    let with_body = bob.client.post(&accept, &json!({ "name": "Bob", "password": "another long password" })).await;
    assert_error(&with_body, 400, "BAD_REQUEST");
    let res = bob.client.post_empty(&accept).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["orgId"], org.to_string());
    assert_eq!(res.data()["organizationName"], "Acme");
    assert_eq!(res.data()["userId"], bob.id.to_string());
    assert_eq!(res.data()["role"], "admin");
    assert_eq!(res.data()["teamIds"], json!([core]));
    let orgs = bob.client.get("/api/v1/orgs").await;
    assert_eq!(orgs.data()[0]["id"], org.to_string());
    assert_eq!(orgs.data()[0]["role"], "admin");
    let seats = bob.client.get(&format!("/api/v1/orgs/{org}/teams/{core}/members")).await;
    assert!(
        seats.data().as_array().unwrap().iter().any(|s| s["userId"] == bob.id.to_string() && s["role"] == "member")
    );
    let listed = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=accepted")).await;
    assert_eq!(listed.data()[0]["id"], id.as_str());
    assert_eq!(listed.data()[0]["acceptedBy"], bob.id.to_string());
    assert!(listed.data()[0]["respondedAt"].is_string());
    let accepted = events_of(&app, "invitation.accepted", org).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["userId"], bob.id.to_string());
    let added = events_of(&app, "member.added", org).await;
    assert_eq!(added.last().unwrap()["via"], "invitation");
    assert_eq!(events_of(&app, "team.member_added", org).await.last().unwrap()["userId"], bob.id.to_string());

    // A token works once.
    assert_error(&bob.client.post_empty(&accept).await, 410, "INVITATION_USED");
    assert_error(&app.anonymous().get(&format!("/api/v1/invitations/{token}")).await, 410, "INVITATION_USED");
    assert_error(
        &app.anonymous().post_empty(&format!("/api/v1/invitations/{token}/decline")).await,
        410,
        "INVITATION_USED",
    );
}

#[tokio::test]
async fn a_new_person_registers_and_accepts_in_one_call_then_signs_in() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let email = fresh_email("carol");
    let token = app.invite_via(mail, &owner, org, &email, "viewer").await.token;
    let accept = format!("/api/v1/invitations/{token}/accept");

    assert_error(&app.anonymous().post_empty(&accept).await, 401, "UNAUTHORIZED");
    assert_error(&app.anonymous().post(&accept, &json!({})).await, 401, "UNAUTHORIZED");
    let half = app.anonymous().post(&accept, &json!({ "name": "Carol" })).await;
    assert_error(&half, 422, "VALIDATION_FAILED");
    assert_eq!(half.json["error"]["details"]["fields"][0]["field"], "password");
    let weak = app.anonymous().post(&accept, &json!({ "name": "Carol", "password": "short" })).await;
    assert_error(&weak, 422, "VALIDATION_FAILED");
    let extra = app
        .anonymous()
        .post(&accept, &json!({ "name": "Carol", "password": "long enough password", "email": "x@y.z" }))
        .await;
    assert_error(&extra, 422, "VALIDATION_FAILED");
    let res = app.anonymous().post(&accept, &json!({ "name": "Carol", "password": "carol's long password" })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["role"], "viewer");
    let carol = app.login(&email, "carol's long password").await;
    assert_eq!(res.data()["userId"], carol.id.to_string());
    let me = carol.client.get("/api/v1/users/me").await;
    assert_eq!(me.data()["emailVerified"], true, "the link proved the address: {}", me.text);
    assert_eq!(me.data()["name"], "Carol");
    let orgs = carol.client.get("/api/v1/orgs").await;
    assert_eq!(orgs.data().as_array().unwrap().len(), 1);
    assert_eq!(orgs.data()[0]["id"], org.to_string());
    assert_eq!(orgs.data()[0]["role"], "viewer");
    assert!(app.event_types().await.contains(&"user.created".to_owned()));

    assert_error(
        &app.anonymous().post(&accept, &json!({ "name": "Carol", "password": "carol's long password" })).await,
        410,
        "INVITATION_USED",
    );
}

#[tokio::test]
async fn declining_uses_up_the_link() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let token = app.invite_via(mail, &owner, org, "dave@example.test", "member").await.token;

    let res = app.anonymous().post_empty(&format!("/api/v1/invitations/{token}/decline")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["declined"], true);
    let accept = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            &json!({ "name": "D", "password": "a long password here" }),
        )
        .await;
    assert_error(&accept, 410, "INVITATION_USED");
    let listed = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=declined")).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1);
    assert_eq!(listed.data()[0]["status"], "declined");
    assert_eq!(events_of(&app, "invitation.declined", org).await.len(), 1);
    // Declined, the address may be invited again.
    app.invite_via(mail, &owner, org, "dave@example.test", "member").await;
}

#[tokio::test]
async fn revoking_and_resending_kill_the_old_link() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let first = app.invite_via(mail, &owner, org, "erin@example.test", "member").await.token;
    let list = owner.client.get(&format!("/api/v1/orgs/{org}/invitations")).await;
    let id = list.data()[0]["id"].as_str().unwrap().to_owned();
    let inv = format!("/api/v1/orgs/{org}/invitations/{id}");

    let res = owner.client.post_empty(&format!("{inv}/resend")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["status"], "pending");
    let tokens = app.invitation_tokens(mail, "erin@example.test", 2).await;
    assert_eq!(tokens[0], first);
    let second = tokens[1].clone();
    assert_ne!(first, second);
    assert_error(&app.anonymous().get(&format!("/api/v1/invitations/{first}")).await, 404, "NOT_FOUND");
    assert_eq!(app.anonymous().get(&format!("/api/v1/invitations/{second}")).await.status, 200);

    let res = owner.client.delete(&inv).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["status"], "revoked");
    assert_error(&app.anonymous().get(&format!("/api/v1/invitations/{second}")).await, 410, "INVITATION_REVOKED");
    let accept = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{second}/accept"),
            &json!({ "name": "E", "password": "a long password here" }),
        )
        .await;
    assert_error(&accept, 410, "INVITATION_REVOKED");
    assert_error(&owner.client.delete(&inv).await, 409, "INVITATION_NOT_PENDING");
    assert_error(&owner.client.post_empty(&format!("{inv}/resend")).await, 409, "INVITATION_NOT_PENDING");
    assert_eq!(events_of(&app, "invitation.revoked", org).await.len(), 1);
    let revoked = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=revoked")).await;
    assert_eq!(revoked.data()[0]["id"], id.as_str());
    let unknown = format!("/api/v1/orgs/{org}/invitations/{}", uuid::Uuid::now_v7());
    assert_error(&owner.client.delete(&unknown).await, 404, "NOT_FOUND");
    assert_error(&owner.client.post_empty(&format!("{unknown}/resend")).await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn an_invitation_expires_and_a_resend_revives_it() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let res = owner
        .client
        .post(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "fay@example.test", "role": "member", "expiresInDays": 1 }),
        )
        .await;
    let id = res.data()["id"].as_str().unwrap().to_owned();
    let token = app.invitation_token(mail, "fay@example.test").await;

    app.clock.advance(time::Duration::days(1) + time::Duration::minutes(1));

    assert_error(&app.anonymous().get(&format!("/api/v1/invitations/{token}")).await, 410, "INVITATION_EXPIRED");
    let accept = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            &json!({ "name": "F", "password": "a long password here" }),
        )
        .await;
    assert_error(&accept, 410, "INVITATION_EXPIRED");
    assert_error(
        &app.anonymous().post_empty(&format!("/api/v1/invitations/{token}/decline")).await,
        410,
        "INVITATION_EXPIRED",
    );
    let expired = events_of(&app, "invitation.expired", org).await;
    assert_eq!(expired.len(), 1, "recorded once");
    assert_eq!(expired[0]["invitationId"], id.as_str());
    let owner = app.login(&owner.email, &owner.password).await;
    let listed = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=expired")).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1, "{}", listed.text);
    assert_eq!(listed.data()[0]["status"], "expired");
    assert!(
        owner
            .client
            .get(&format!("/api/v1/orgs/{org}/invitations?status=pending"))
            .await
            .data()
            .as_array()
            .unwrap()
            .is_empty()
    );

    let res = owner.client.post_empty(&format!("/api/v1/orgs/{org}/invitations/{id}/resend")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["status"], "pending");
    let fresh = app.invitation_tokens(mail, "fay@example.test", 2).await[1].clone();
    let res = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{fresh}/accept"),
            &json!({ "name": "Fay", "password": "a long password here" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
}

#[tokio::test]
async fn invitations_are_listed_by_status() {
    let (smtp, app) = app_with_smtp().await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let mut tokens = Vec::new();
    for who in ["p1", "p2", "acc", "dec", "rev", "exp"] {
        let days = if who == "exp" { 1 } else { 7 };
        let email = format!("{who}@example.test");
        let res = owner
            .client
            .post(
                &format!("/api/v1/orgs/{org}/invitations"),
                &json!({ "email": email, "role": "viewer", "expiresInDays": days }),
            )
            .await;
        assert_eq!(res.status, 201);
        tokens.push((res.data()["id"].as_str().unwrap().to_owned(), app.invitation_token(mail, &email).await));
    }
    let body = json!({ "name": "Acc", "password": "a long password here" });
    assert_eq!(app.anonymous().post(&format!("/api/v1/invitations/{}/accept", tokens[2].1), &body).await.status, 200);
    assert_eq!(app.anonymous().post_empty(&format!("/api/v1/invitations/{}/decline", tokens[3].1)).await.status, 200);
    assert_eq!(owner.client.delete(&format!("/api/v1/orgs/{org}/invitations/{}", tokens[4].0)).await.status, 200);
    app.clock.advance(time::Duration::days(2));
    let owner = app.login(&owner.email, &owner.password).await;
    let list = |q: &str| {
        let (client, path) = (owner.client.clone(), format!("/api/v1/orgs/{org}/invitations{q}"));
        async move { client.get(&path).await }
    };

    let ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = list("").await;
    assert_eq!(all.json["meta"]["total"], 6);
    assert_eq!(ids(all.data())[0], tokens[5].0, "newest first");
    assert_eq!(all.data()[0]["status"], "expired");
    // Pending ones created more than a day ago were given 7 days: still pending.
    assert_eq!(ids(list("?status=pending").await.data()), [tokens[1].0.clone(), tokens[0].0.clone()]);
    for (status, i) in [("accepted", 2), ("declined", 3), ("revoked", 4), ("expired", 5)] {
        let res = list(&format!("?status={status}")).await;
        assert_eq!(ids(res.data()), [tokens[i].0.clone()], "{status}");
        assert_eq!(res.data()[0]["status"], status);
    }
    let page = list("?limit=2&page=3").await;
    assert_eq!(ids(page.data()), [tokens[1].0.clone(), tokens[0].0.clone()]);
    assert_error(&list("?status=lost").await, 422, "VALIDATION_FAILED");
    assert_eq!(events_of(&app, "invitation.expired", org).await.len(), 1);
}

#[tokio::test]
async fn an_unseen_invitation_expires_on_time_by_itself() {
    let app = tessera_testkit::spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let body = json!({ "email": "gil@example.test", "role": "member", "expiresInDays": 1 });
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/invitations"), &body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.data()["id"].as_str().unwrap().to_owned();
    // Not yet due: the scheduled job leaves it pending.
    app.core.jobs.wake();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(events_of(&app, "invitation.expired", org).await.is_empty());

    app.clock.advance(time::Duration::days(1) + time::Duration::minutes(1));
    app.core.jobs.wake();
    // Nobody reads the invitation: the expiry job marks it (bounded wait).
    let mut expired = Vec::new();
    for _ in 0..100 {
        expired = events_of(&app, "invitation.expired", org).await;
        if !expired.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(expired.len(), 1, "expired once, by the job");
    assert_eq!(expired[0]["invitationId"], id.as_str());
    let row = invitations::Entity::find_by_id(id.parse::<tessera_kernel::ids::InvitationId>().unwrap())
        .one(&app.core.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sea_orm::ActiveEnum::to_value(&row.status), "expired");
}
