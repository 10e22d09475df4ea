//! Real changes made over HTTP land in the audit log through the one shared path,
//! with who made them, from where, in which request, and what changed.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_testkit::spawn_app;

use crate::support::{entries, send_as};

#[tokio::test]
async fn a_profile_change_is_recorded_with_its_client_request_and_diff() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let admin = app.admin().await;
    let agent = "audit-test/1.0 (profile; +https://example.test)";

    let req = me.client.request(Method::PATCH, "/api/v1/users/me").json(&json!({ "name": "Renamed" }));
    let res = send_as(&me.client, agent, req).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let request_id = res.header("x-request-id").unwrap().to_owned();
    let found = entries(&admin.client, &format!("/api/v1/audit-logs?actor={}&action=user.updated", me.id)).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let e = &found[0];
    assert_eq!(e["actor"], json!({ "type": "user", "id": me.id, "owner": null }));
    assert_eq!(e["orgId"], Value::Null, "a profile belongs to no organization");
    assert_eq!(e["target"], json!({ "type": "user", "id": me.id }));
    assert_eq!(e["changes"], json!({ "before": { "name": "Test User" }, "after": { "name": "Renamed" } }));
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["userAgent"], agent);
    assert_eq!(e["requestId"], request_id.as_str());
    assert!(e["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_request_id_the_client_sends_is_the_one_recorded() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let admin = app.admin().await;

    let req = me
        .client
        .request(Method::PATCH, "/api/v1/users/me")
        .header("x-request-id", "trace-4f1c.7")
        .json(&json!({ "locale": "fr-FR" }));
    let res = me.client.send(req).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("x-request-id"), Some("trace-4f1c.7"));
    let found = entries(&admin.client, &format!("/api/v1/audit-logs?actor={}&action=user.updated", me.id)).await;
    assert_eq!(found[0]["requestId"], "trace-4f1c.7");
    assert_eq!(found[0]["changes"]["after"], json!({ "locale": "fr-FR" }));
}

#[tokio::test]
async fn a_password_change_is_recorded_without_any_password_or_hash() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let admin = app.admin().await;
    let new_password = "an entirely new passphrase 42";

    let body = json!({ "currentPassword": me.password, "newPassword": new_password });
    let res = me.client.post("/api/v1/auth/change-password", &body).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let mine = entries(&admin.client, &format!("/api/v1/audit-logs?actor={}&limit=200", me.id)).await;
    let changed = mine.iter().find(|e| e["action"] == "user.password_changed").expect("an entry for the change");
    assert_eq!(changed["target"], json!({ "type": "user", "id": me.id }));
    // Everything the log holds, as an administrator exports it.
    let export = admin.client.get("/api/v1/audit-logs/export?format=jsonl").await;
    assert_eq!(export.status, 200);
    assert!(export.text.contains("user.password_changed"));
    for secret in [me.password.as_str(), new_password, "$argon2", "argon2id"] {
        assert!(!export.text.contains(secret), "the log holds {secret:?}");
    }
    let text = serde_json::to_string(&mine).unwrap();
    assert!(!text.to_ascii_lowercase().contains("passwordhash"), "{text}");
}

#[tokio::test]
async fn changes_in_an_organization_land_in_its_chain_in_order() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let team = app.create_team(&owner, org, "Core").await;
    let res = owner.client.patch(&format!("/api/v1/orgs/{org}"), &json!({ "name": "Acme Inc" })).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let log = entries(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs")).await;

    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["org.updated", "team.member_added", "team.created", "member.added", "org.created"]);
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=log.len() as i64).rev().collect::<Vec<_>>(), "one chain per organization, from 1");
    assert!(log.iter().all(|e| e["orgId"] == org.to_string() && e["ip"] == "127.0.0.1"));
    let created = log.iter().find(|e| e["action"] == "team.created").unwrap();
    assert_eq!(created["target"], json!({ "type": "team", "id": team }));
    assert_eq!(created["actor"]["id"], owner.id.to_string());
    let renamed = &log[0];
    assert_eq!(renamed["changes"]["before"]["name"], "Acme");
    assert_eq!(renamed["changes"]["after"]["name"], "Acme Inc");
    let v = owner.client.get(&format!("/api/v1/orgs/{org}/audit-logs/verify")).await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!((v.data()["valid"].as_bool(), v.data()["checked"].as_u64()), (Some(true), Some(log.len() as u64)));
}

#[tokio::test]
async fn a_change_made_with_an_api_key_names_the_key_and_its_owner() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Keyed").await.id;
    let body = json!({ "name": "ci", "permissions": ["teams:create", "teams:read"] });
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let (key_id, secret) = (res.data()["id"].as_str().unwrap().to_owned(), res.data()["secret"].as_str().unwrap());
    let key = app.with_token(secret);

    let res = send_as(
        &key,
        "deploy-bot/2",
        key.request(Method::POST, &format!("/api/v1/orgs/{org}/teams")).json(&json!({ "name": "Bots" })),
    )
    .await;

    assert_eq!(res.status, 201, "{}", res.text);
    let found = entries(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs?action=team.created")).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["actor"], json!({ "type": "apikey", "id": key_id, "owner": owner.id }));
    assert_eq!(found[0]["userAgent"], "deploy-bot/2");
    let by_owner = entries(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs?actor={}", owner.id)).await;
    assert!(by_owner.iter().any(|e| e["action"] == "team.created"), "a user id also finds their keys' entries");
    let created = entries(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs?action=api_key.created")).await;
    assert_eq!(created.len(), 1);
    assert!(!serde_json::to_string(&created).unwrap().contains(secret), "the key's secret is never logged");
}
