//! The orgs module's part of a user's personal data: memberships, team seats and
//! invitations in the export; erasure removes memberships and seats, and is
//! refused, naming the organizations, while the user is their last owner.

use serde_json::json;
use tessera_orgs::testing::{members, team_members};
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{events_of, rows_of};

#[tokio::test]
async fn the_export_holds_memberships_seats_and_invitations() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let core = app.create_team(&owner, org, "Core").await;
    let seat = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/teams/{core}/members"), &json!({ "userId": admin.id, "role": "viewer" }))
        .await;
    assert_eq!(seat.status, 201);
    let sent = admin
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": "friend@example.test", "role": "member" }))
        .await;
    assert_eq!(sent.status, 201);

    let res = admin.client.get("/api/v1/users/me/export").await;

    assert_eq!(res.status, 200, "{}", res.text);
    let part = &res.data()["memberships"];
    assert_eq!(part["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(part["memberships"][0]["orgId"], org.to_string());
    assert_eq!(part["memberships"][0]["orgName"], "Acme");
    assert_eq!(part["memberships"][0]["role"], "admin");
    assert_eq!(part["teams"][0]["teamId"], core.to_string());
    assert_eq!(part["teams"][0]["teamName"], "Core");
    assert_eq!(part["teams"][0]["role"], "viewer");
    assert_eq!(part["invitationsSent"][0]["email"], "friend@example.test");
    assert_eq!(part["invitationsSent"][0]["status"], "pending");
    assert_eq!(part["invitationsReceived"][0]["email"], admin.email.as_str());
    assert_eq!(part["invitationsReceived"][0]["status"], "accepted");
    assert_eq!(part["invitationsReceived"][0]["role"], "admin");
    assert!(!res.text.contains("tokenHash") && !res.text.contains("token_hash"));
    // Someone else's export holds nothing of theirs.
    let other = app.signed_up_user().await;
    let theirs = other.client.get("/api/v1/users/me/export").await;
    assert_eq!(theirs.data()["memberships"]["memberships"], json!([]));
    assert!(!theirs.text.contains(&org.to_string()));
}

#[tokio::test]
async fn the_last_owner_is_told_which_organizations_to_hand_over_first() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let sole = app.create_org(&owner, "Solely Mine").await.id;
    let shared = app.create_org(&owner, "Shared").await.id;
    app.join_new(&owner, shared, "owner").await;
    let member = app.join_new(&owner, sole, "member").await;

    let res = owner.client.delete("/api/v1/users/me").await;

    assert_error(&res, 409, "LAST_OWNER");
    let message = res.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("Solely Mine") && !message.contains("Shared"), "{message}");
    assert_eq!(res.json["error"]["details"]["organizations"], json!([{ "id": sole, "name": "Solely Mine" }]));
    assert_eq!(owner.client.get("/api/v1/users/me").await.status, 200, "the account is still there");
    assert_eq!(rows_of::<members::Entity>(&app, sole).await, 2);

    let transfer =
        owner.client.post(&format!("/api/v1/orgs/{sole}/transfer-ownership"), &json!({ "userId": member.id })).await;
    assert_eq!(transfer.status, 200);
    assert_eq!(owner.client.delete("/api/v1/users/me").await.status, 204);
    assert_eq!(rows_of::<members::Entity>(&app, sole).await, 1);
    assert_eq!(rows_of::<members::Entity>(&app, shared).await, 1);
}

#[tokio::test]
async fn erasing_a_member_removes_their_membership_seats_and_pending_invitations() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let core = app.create_team(&owner, org, "Core").await;
    owner.client.post(&format!("/api/v1/orgs/{org}/teams/{core}/members"), &json!({ "userId": admin.id })).await;
    let own_team = app.create_team(&admin, org, "Admin's").await;
    let sent = admin
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": "pal@example.test", "role": "viewer" }))
        .await;
    let sent = sent.data()["id"].as_str().unwrap().to_owned();

    let res = admin.client.delete("/api/v1/users/me").await;

    assert_eq!(res.status, 204, "{}", res.text);
    let members = owner.client.get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(members.json["meta"]["total"], 1);
    assert_eq!(rows_of::<team_members::Entity>(&app, org).await, 1, "only the owner's seat in Core");
    let seats = owner.client.get(&format!("/api/v1/orgs/{org}/teams/{own_team}/members")).await;
    assert_eq!(seats.data(), &json!([]), "the team stays, without them");
    let removed = events_of(&app, "member.removed", org).await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["via"], "account_deleted");
    assert_eq!(events_of(&app, "team.member_removed", org).await.len(), 2);
    let invitations = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=revoked")).await;
    assert_eq!(invitations.data()[0]["id"], sent.as_str());
    assert_eq!(invitations.data()[0]["invitedBy"], serde_json::Value::Null, "the inviter is forgotten");
    let accepted = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=accepted")).await;
    assert_eq!(accepted.data()[0]["acceptedBy"], serde_json::Value::Null, "so is who accepted");
    assert!(accepted.data()[0]["email"].as_str().unwrap().ends_with("@erased.invalid"), "{}", accepted.text);
    assert!(!accepted.text.contains(&admin.email), "their address is gone");
}
