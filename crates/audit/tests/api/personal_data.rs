//! GDPR over HTTP: the export gathers every module's part about the caller; the
//! account deletion pseudonymizes their audit entries, keeps them, and every chain
//! still verifies.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_testkit::{assert_error, fresh_email, spawn_app};

use crate::support::{all_pages, send_as, verify};

#[tokio::test]
async fn my_export_is_one_document_of_everything_every_module_holds_about_me() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let org = app.create_org(&me, "Mine").await.id;
    let team = app.create_team(&me, org, "Core").await;
    let invitee = fresh_email("invitee");
    let res = me
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": invitee, "role": "member" }))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let res = me.client.post("/api/v1/users/me/api-keys", &json!({ "name": "laptop", "permissions": [] })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let (key_id, secret) =
        (res.data()["id"].as_str().unwrap().to_owned(), res.data()["secret"].as_str().unwrap().to_owned());
    let other_owner = app.signed_up_user().await;
    let other_org = app.create_org(&other_owner, "Theirs").await.id;
    let res = other_owner
        .client
        .post(&format!("/api/v1/orgs/{other_org}/invitations"), &json!({ "email": me.email, "role": "viewer" }))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);

    let res = send_as(&me.client, "export-test/1", me.client.request(Method::GET, "/api/v1/users/me/export")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let doc = res.data();
    assert_eq!(doc["profile"]["user"]["email"], me.email.as_str());
    let sessions = doc["profile"]["sessions"].as_array().unwrap();
    assert!(!sessions.is_empty() && sessions.iter().all(|s| s["ip"] == "127.0.0.1"), "{sessions:?}");
    let m = &doc["memberships"];
    assert_eq!(m["memberships"][0]["orgId"], org.to_string());
    assert_eq!(m["memberships"][0]["role"], "owner");
    assert_eq!(m["teams"][0]["teamId"], team.to_string());
    assert_eq!(m["invitationsSent"][0]["email"], invitee.as_str());
    assert_eq!(m["invitationsReceived"][0]["orgId"], other_org.to_string());
    let keys = doc["apiKeys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0]["id"].as_str(), keys[0]["name"].as_str()), (Some(key_id.as_str()), Some("laptop")));
    assert!(secret.starts_with(keys[0]["prefix"].as_str().unwrap()), "the prefix, to recognize the key");
    assert!(!res.text.contains(&secret), "never the key's secret");
    assert!(doc["accessGrants"].is_array());
    let audit: Vec<&str> =
        doc["auditEntries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in
        ["user.created", "user.logged_in", "org.created", "team.created", "invitation.created", "api_key.created"]
    {
        assert!(audit.contains(&action), "{action} in {audit:?}");
    }
    let mine = |e: &Value| e["actor"]["id"] == me.id.to_string() || e["actor"]["owner"] == me.id.to_string();
    assert!(doc["auditEntries"].as_array().unwrap().iter().all(mine), "only entries I acted in");
    assert_eq!(
        app.with_token(&secret).get("/api/v1/users/me/export").await.status,
        403,
        "a key cannot export its person"
    );
}

#[tokio::test]
async fn deleting_my_account_pseudonymizes_my_entries_and_every_chain_still_verifies() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Stays").await.id;
    let me = app.join_new(&owner, org, "member").await;
    let agent = "leaving-browser/9";
    let req = me.client.request(Method::POST, &format!("/api/v1/orgs/{org}/teams")).json(&json!({ "name": "Mine" }));
    let team = send_as(&me.client, agent, req).await.data()["id"].as_str().unwrap().to_owned();
    let req = me.client.request(Method::PATCH, "/api/v1/users/me").json(&json!({ "name": "Soon Gone" }));
    assert_eq!(send_as(&me.client, agent, req).await.status, 200);
    let res = me.client.post("/api/v1/users/me/api-keys", &json!({ "name": "cli", "permissions": [] })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    // Another organization's offer to my address, still open when I leave.
    let other_owner = app.signed_up_user().await;
    let other_org = app.create_org(&other_owner, "Courting").await.id;
    let res = other_owner
        .client
        .post(&format!("/api/v1/orgs/{other_org}/invitations"), &json!({ "email": me.email, "role": "viewer" }))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let admin = app.admin().await;
    let log_before = all_pages(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs"), 200).await;

    let res = send_as(&me.client, agent, me.client.request(Method::DELETE, "/api/v1/users/me")).await;

    assert_eq!(res.status, 204, "{}", res.text);
    let log = all_pages(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs"), 200).await;
    assert!(log.len() > log_before.len(), "nothing deleted; the removal of my seat and membership is recorded");
    let ids_before: Vec<&Value> = log_before.iter().map(|e| &e["id"]).collect();
    assert!(ids_before.iter().all(|id| log.iter().any(|e| &&e["id"] == id)), "every earlier entry is kept");
    let mine: Vec<&Value> = log.iter().filter(|e| e["erasedAt"].is_string() && e["actor"]["type"] == "user").collect();
    let team_created =
        log.iter().find(|e| e["action"] == "team.created" && e["target"]["id"] == team.as_str()).unwrap();
    assert!(mine.iter().any(|e| e["id"] == team_created["id"]));
    assert_eq!(team_created["actor"], json!({ "type": "user", "id": null, "owner": null }));
    assert_eq!((&team_created["ip"], &team_created["userAgent"]), (&Value::Null, &Value::Null));
    assert_eq!(team_created["changes"], Value::Null);
    assert!(team_created["requestId"].is_string(), "what was done, and in which request, stays");
    let about_me = log.iter().filter(|e| e["target"]["id"].as_str().unwrap().contains(&me.id.to_string()));
    for e in about_me {
        assert_eq!(e["changes"], Value::Null, "changes about me go: {e}");
    }
    for chain in [org.to_string(), other_org.to_string(), "platform".to_owned()] {
        let v = verify(&admin.client, &chain).await;
        assert_eq!(v["valid"], true, "{chain}: {v}");
    }
    let v = owner.client.get(&format!("/api/v1/orgs/{org}/audit-logs/verify")).await;
    assert_eq!(v.data()["valid"], true, "{}", v.text);
    assert!(all_pages(&admin.client, &format!("/api/v1/audit-logs?actor={}", me.id), 200).await.is_empty());
    let platform = all_pages(&admin.client, "/api/v1/audit-logs?orgId=platform", 200).await;
    let deleted = platform.iter().find(|e| e["action"] == "user.deleted" && e["target"]["id"] == me.id.to_string());
    let deleted = deleted.expect("the deletion is recorded");
    assert_eq!(
        (&deleted["actor"]["id"], &deleted["changes"], &deleted["ip"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    let export = admin.client.get("/api/v1/audit-logs/export").await.text;
    for (what, personal) in [("name", "Soon Gone"), ("user agent", agent), ("e-mail", me.email.as_str())] {
        let holders: Vec<&str> = export.lines().filter(|l| l.contains(personal)).collect();
        // Not even the invitations addressed to me (the one I accepted, the one still open).
        assert!(holders.is_empty(), "my {what} is still in {holders:?}");
    }
}

#[tokio::test]
async fn the_last_owner_of_an_organization_is_told_to_hand_it_over_first() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let org = app.create_org(&me, "Only Mine").await.id;

    let res = me.client.delete("/api/v1/users/me").await;

    assert_error(&res, 409, "LAST_OWNER");
    assert!(res.json["error"]["message"].as_str().unwrap().contains("Only Mine"), "{}", res.text);
    let log = all_pages(&me.client, &format!("/api/v1/orgs/{org}/audit-logs"), 200).await;
    assert!(log.iter().all(|e| e["erasedAt"].is_null()), "nothing was erased");
    assert_eq!(me.client.get("/api/v1/users/me").await.status, 200);
}
