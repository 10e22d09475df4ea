//! Every change writes its event to the outbox and its audit entry, under the
//! same name, in the same transaction.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tessera_testkit::{Inbox, assert_error, spawn_app};

use crate::support::{audit_actions, events_of};

/// `(action → count)` of a list of names.
fn tally<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut out = BTreeMap::new();
    for n in names {
        *out.entry(n).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn every_change_is_an_event_and_an_audit_entry() {
    let app = spawn_app().await;
    let mail: &dyn Inbox = &app;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let o = |p: &str| format!("/api/v1/orgs/{org}{p}");
    assert_eq!(owner.client.patch(&o(""), &json!({ "name": "Acme 2" })).await.status, 200);
    let member = app.join_new(&owner, org, "member").await;
    assert_eq!(
        owner.client.patch(&o(&format!("/members/{}", member.id)), &json!({ "role": "viewer" })).await.status,
        200
    );
    let t = app.create_team(&owner, org, "Core").await;
    assert_eq!(owner.client.patch(&o(&format!("/teams/{t}")), &json!({ "name": "Core 2" })).await.status, 200);
    let seat = o(&format!("/teams/{t}/members"));
    assert_eq!(owner.client.post(&seat, &json!({ "userId": member.id })).await.status, 201);
    assert_eq!(owner.client.patch(&format!("{seat}/{}", member.id), &json!({ "role": "admin" })).await.status, 200);
    assert_eq!(owner.client.delete(&format!("{seat}/{}", member.id)).await.status, 204);
    assert_eq!(owner.client.delete(&o(&format!("/teams/{t}"))).await.status, 204);
    let declined = app.invite_via(mail, &owner, org, "declines@example.test", "viewer").await.token;
    assert_eq!(app.anonymous().post_empty(&format!("/api/v1/invitations/{declined}/decline")).await.status, 200);
    app.invite_via(mail, &owner, org, "revoked@example.test", "viewer").await;
    let list = owner.client.get(&o("/invitations?status=pending")).await;
    let id = list.data()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(owner.client.post_empty(&o(&format!("/invitations/{id}/resend"))).await.status, 200);
    assert_eq!(owner.client.delete(&o(&format!("/invitations/{id}"))).await.status, 200);
    let res = owner
        .client
        .post(&o("/invitations"), &json!({ "email": "expires@example.test", "role": "viewer", "expiresInDays": 1 }))
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(owner.client.delete(&o(&format!("/members/{}", member.id))).await.status, 204);
    app.clock.advance(time::Duration::days(2));
    let owner = app.login(&owner.email, &owner.password).await;
    assert_eq!(owner.client.get(&o("/invitations?status=expired")).await.json["meta"]["total"], 1);

    let events: Vec<(String, Value)> =
        app.events().await.into_iter().filter(|(_, d)| d["orgId"] == org.to_string()).collect();
    let audit = audit_actions(&owner, org).await;

    let event_counts = tally(events.iter().map(|(t, _)| t.as_str()));
    let mut audit_counts = tally(audit.iter().map(|e| e["action"].as_str().unwrap()));
    assert_eq!(audit_counts.remove("invitation.resent"), Some(1), "a resend is audited, not an event");
    assert_eq!(event_counts, audit_counts, "one audit entry per event");
    for expected in [
        "org.created",
        "org.updated",
        "member.added",
        "member.role_changed",
        "member.removed",
        "team.created",
        "team.updated",
        "team.deleted",
        "team.member_added",
        "team.member_role_changed",
        "team.member_removed",
        "invitation.created",
        "invitation.accepted",
        "invitation.declined",
        "invitation.revoked",
        "invitation.expired",
    ] {
        assert!(event_counts.contains_key(expected), "{expected} missing from {event_counts:?}");
    }
    // Entries say who did what to what, and how it changed.
    let changed = audit.iter().find(|e| e["action"] == "member.role_changed").unwrap();
    assert_eq!(changed["actor"]["type"], "user");
    assert_eq!(changed["actor"]["id"], owner.id.to_string());
    assert_eq!(changed["target"], json!({ "type": "member", "id": member.id }));
    assert_eq!(changed["changes"]["before"]["role"], "member");
    assert_eq!(changed["changes"]["after"]["role"], "viewer");
    assert!(changed["requestId"].is_string() && changed["ip"].is_string());
    let expired = audit.iter().find(|e| e["action"] == "invitation.expired").unwrap();
    assert_eq!(expired["actor"]["type"], "system");
    let accepted = audit.iter().find(|e| e["action"] == "invitation.accepted").unwrap();
    assert_eq!(accepted["actor"]["id"], member.id.to_string(), "the person who accepted");
    let verify = owner.client.get(&o("/audit-logs/verify")).await;
    assert_eq!(verify.status, 200, "{}", verify.text);
    assert_eq!(verify.data()["valid"], true, "{}", verify.text);

    assert_eq!(owner.client.delete(&o("")).await.status, 204);
    assert_eq!(events_of(&app, "org.deleted", org).await.len(), 1);
    let admin = app.admin().await;
    let res = admin.client.get(&format!("/api/v1/audit-logs?orgId={org}&action=org.deleted")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data().as_array().unwrap().len(), 1);
    assert_eq!(res.data()[0]["actor"]["id"], owner.id.to_string());
    assert_eq!(res.data()[0]["changes"]["before"]["name"], "Acme 2");
}

#[tokio::test]
async fn a_refused_change_leaves_no_event_and_no_entry() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let before = app.events().await.len();
    let entries = audit_actions(&owner, org).await.len();

    assert_error(&viewer.client.patch(&format!("/api/v1/orgs/{org}"), &json!({ "name": "x" })).await, 403, "FORBIDDEN");
    assert_error(&owner.client.post_empty(&format!("/api/v1/orgs/{org}/leave")).await, 409, "LAST_OWNER");
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": "" })).await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    let res = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": viewer.email, "role": "viewer" }))
        .await;
    assert_error(&res, 409, "ALREADY_MEMBER");

    assert_eq!(app.events().await.len(), before);
    assert_eq!(audit_actions(&owner, org).await.len(), entries);
}
