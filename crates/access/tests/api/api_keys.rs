//! Organization keys: `POST/GET /orgs/{orgId}/api-keys`, `DELETE …/{id}`,
//! `POST …/{id}/rotate`, and authenticating with them.

use base64::Engine as _;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use sha2::Digest as _;
use tessera_kernel::ids::ApiKeyId;
use tessera_testkit::{ApiKey, assert_error, spawn_app};
use time::Duration;

use crate::support::{audit_entries, get_with_x_api_key, strings};

#[tokio::test]
async fn a_new_key_is_shown_once_with_a_visible_prefix() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let body = json!({ "name": "deploy bot", "permissions": ["members:read", "teams:read"] });

    let res = owner.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;

    assert_eq!(res.status, 201, "{}", res.text);
    let key = res.data().clone();
    let secret = key["secret"].as_str().unwrap();
    let random = secret.strip_prefix("tsk_").expect("tsk_ prefix");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(random).unwrap();
    assert!(bytes.len() >= 32, "{} random bytes", bytes.len());
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert!(key["prefix"].as_str().unwrap().len() < secret.len() / 2);
    assert_eq!(key["name"], "deploy bot");
    assert_eq!(key["createdBy"], owner.id.to_string());
    assert_eq!(key["orgId"], org.to_string());
    assert_eq!(strings(&key["permissions"]), ["members:read", "teams:read"]);

    let list = owner.client.get(&format!("/api/v1/orgs/{org}/api-keys")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(!list.text.contains(secret), "the list shows the secret");
    let listed = &list.data()[0];
    assert_eq!(list.json["meta"]["total"], 1);
    for field in ["id", "name", "prefix", "permissions", "createdBy", "createdAt"] {
        assert!(!listed[field].is_null(), "{field} missing: {listed}");
    }
    for field in ["lastUsedAt", "expiresAt"] {
        assert!(listed.get(field).is_some(), "{field} missing: {listed}");
    }
    assert!(listed.get("secret").is_none());
}

#[tokio::test]
async fn only_the_sha256_of_a_secret_is_stored() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;

    let db = &app.core.db.conn;
    let backend = db.get_database_backend();
    let rows =
        db.query_all_raw(Statement::from_string(backend, "SELECT token_hash FROM api_key_secrets")).await.unwrap();
    let hashes: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "token_hash").unwrap()).collect();
    assert_eq!(hashes, [hex::encode(sha2::Sha256::digest(key.secret.as_bytes()))]);
    let keys =
        db.query_all_raw(Statement::from_string(backend, "SELECT id, name, prefix FROM api_keys")).await.unwrap();
    assert_eq!(keys.len(), 1);
    let prefix: String = keys[0].try_get("", "prefix").unwrap();
    assert!(prefix.len() <= 16 && key.secret.starts_with(&prefix));
    let everything = format!("{:?}{:?}", app.events().await, audit_entries(&owner, org, "api_key.created").await);
    assert!(!everything.contains(&key.secret), "the secret leaked into events or audit");
}

#[tokio::test]
async fn a_key_authenticates_with_bearer_or_x_api_key() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");

    let bearer = app.as_key(&key).get(&path).await;
    let header = get_with_x_api_key(&app, &key.secret, &path).await;

    assert_eq!(bearer.status, 200, "{}", bearer.text);
    assert_eq!(header.status, 200, "{}", header.text);
    assert_eq!(bearer.data().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_key_does_only_what_it_was_given() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;

    let res = app.as_key(&key).post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": "Core" })).await;

    assert_error(&res, 403, "FORBIDDEN");
}

#[tokio::test]
async fn wrong_and_malformed_keys_are_refused_with_401() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");
    let mut altered = key.secret.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let long = format!("tsk_{}", "a".repeat(5000));

    for bad in ["tsk_", "tsk_not-a-key", altered.as_str(), long.as_str(), "tsk_\u{e9}\u{e9}"] {
        let bearer = app.with_token(bad).get(&path).await;
        assert_eq!(bearer.status, 401, "{bad}: {}", bearer.text);
        assert_eq!(bearer.error_code(), "UNAUTHORIZED");
        let header = get_with_x_api_key(&app, bad, &path).await;
        assert_eq!(header.status, 401, "{bad}: {}", header.text);
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");
    assert_eq!(app.as_key(&key).get(&path).await.status, 200);

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;

    assert_eq!(res.status, 204, "{}", res.text);
    let after = app.as_key(&key).get(&path).await;
    assert_eq!(after.status, 401, "{}", after.text);
    let list = owner.client.get(&format!("/api/v1/orgs/{org}/api-keys")).await;
    assert_eq!(list.json["meta"]["total"], 0);
    let again = owner.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;
    assert_eq!(again.status, 404, "{}", again.text);
}

#[tokio::test]
async fn creating_and_revoking_keys_emit_events_and_audit_entries_without_the_secret() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    owner.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;

    let created = app.events_of("api_key.created").await;
    let revoked = app.events_of("api_key.revoked").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["id"], key.id.to_string());
    assert_eq!(created[0]["orgId"], org.to_string());
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["id"], key.id.to_string());
    let audit_created = audit_entries(&owner, org, "api_key.created").await;
    let audit_revoked = audit_entries(&owner, org, "api_key.revoked").await;
    assert_eq!(audit_created.len(), 1);
    assert_eq!(audit_created[0]["target"]["id"], key.id.to_string());
    assert_eq!(audit_created[0]["changes"]["after"]["permissions"], json!(["members:read"]));
    assert_eq!(audit_revoked.len(), 1);
    let all = format!("{created:?}{revoked:?}{audit_created:?}{audit_revoked:?}");
    assert!(!all.contains(&key.secret));
}

#[tokio::test]
async fn a_rotated_keys_old_secret_works_for_the_default_day_then_stops() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let old = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");

    let res = owner.client.post_empty(&format!("/api/v1/orgs/{org}/api-keys/{}/rotate", old.id)).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let new = ApiKey::of(&res);
    assert_eq!(new.id, old.id);
    assert_ne!(new.secret, old.secret);
    assert!(new.secret.starts_with(res.data()["prefix"].as_str().unwrap()));
    assert_eq!(app.as_key(&old).get(&path).await.status, 200);
    assert_eq!(app.as_key(&new).get(&path).await.status, 200);
    assert_eq!(audit_entries(&owner, org, "api_key.rotated").await.len(), 1);
    let rotated = app.events_of("api_key.rotated").await;
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0]["prefix"], res.data()["prefix"]);
    assert!(!format!("{rotated:?}").contains(&new.secret));
    app.clock.advance(Duration::hours(23));
    assert_eq!(app.as_key(&old).get(&path).await.status, 200);
    app.clock.advance(Duration::hours(1) + Duration::minutes(1));
    assert_eq!(app.as_key(&old).get(&path).await.status, 401);
    assert_eq!(app.as_key(&new).get(&path).await.status, 200);
}

#[tokio::test]
async fn the_caller_chooses_the_grace_period_of_a_rotation() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/members");
    let one_hour = app.org_key(&owner.client, org, &["members:read"]).await;
    let at_once = app.org_key(&owner.client, org, &["members:read"]).await;

    let rotate = |id: ApiKeyId| format!("/api/v1/orgs/{org}/api-keys/{id}/rotate");
    let a = owner.client.post(&rotate(one_hour.id), &json!({ "gracePeriodHours": 1 })).await;
    let b = owner.client.post(&rotate(at_once.id), &json!({ "gracePeriodHours": 0 })).await;

    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(app.as_key(&at_once).get(&path).await.status, 401);
    assert_eq!(app.as_key(&ApiKey::of(&b)).get(&path).await.status, 200);
    assert_eq!(app.as_key(&one_hour).get(&path).await.status, 200);
    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.as_key(&one_hour).get(&path).await.status, 401);
    assert_eq!(app.as_key(&ApiKey::of(&a)).get(&path).await.status, 200);
}

#[tokio::test]
async fn a_grace_period_beyond_thirty_days_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/api-keys/{}/rotate", key.id);

    let long = owner.client.post(&path, &json!({ "gracePeriodHours": 721 })).await;
    let negative = owner.client.post(&path, &json!({ "gracePeriodHours": -1 })).await;
    let unknown = owner.client.post(&path, &json!({ "grace": 1 })).await;

    for res in [&long, &negative, &unknown] {
        assert_error(res, 422, "VALIDATION_FAILED");
    }
    assert_eq!(app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await.status, 200);
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let expires =
        (app.clock.now() + Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let body = json!({ "name": "short", "permissions": ["members:read"], "expiresAt": expires });
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert!(res.data()["expiresAt"].is_string());
    let key = ApiKey::of(&res);
    let path = format!("/api/v1/orgs/{org}/members");
    assert_eq!(app.as_key(&key).get(&path).await.status, 200);

    app.clock.advance(Duration::minutes(61));

    let after = app.as_key(&key).get(&path).await;
    assert_eq!(after.status, 401, "{}", after.text);
}

#[tokio::test]
async fn an_expiry_in_the_past_or_not_a_date_is_refused() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let path = format!("/api/v1/orgs/{org}/api-keys");

    let past = owner
        .client
        .post(&path, &json!({ "name": "k", "permissions": ["members:read"], "expiresAt": "2001-01-01T00:00:00Z" }))
        .await;
    let garbage = owner
        .client
        .post(&path, &json!({ "name": "k", "permissions": ["members:read"], "expiresAt": "tomorrow" }))
        .await;

    assert_eq!(past.status, 422, "{}", past.text);
    assert!(past.text.contains("IN_THE_PAST"), "{}", past.text);
    assert_eq!(garbage.status, 422, "{}", garbage.text);
    assert!(garbage.text.contains("INVALID_DATE"), "{}", garbage.text);
}

#[tokio::test]
async fn the_last_use_of_a_key_is_recorded() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let list = owner.client.get(&format!("/api/v1/orgs/{org}/api-keys")).await;
    assert!(list.data()[0]["lastUsedAt"].is_null());

    app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await;

    let list = owner.client.get(&format!("/api/v1/orgs/{org}/api-keys")).await;
    assert!(list.data()[0]["lastUsedAt"].is_string(), "{}", list.text);
}

#[tokio::test]
async fn keys_cannot_make_keys_and_members_cannot_manage_them() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["api_keys:manage", "members:read"]).await;
    let member = app.join_new(&owner, org, "member").await;
    let path = format!("/api/v1/orgs/{org}/api-keys");
    let body = json!({ "name": "child", "permissions": ["members:read"] });

    let by_key = app.as_key(&key).post(&path, &body).await;
    let by_member = member.client.post(&path, &body).await;
    let list_by_member = member.client.get(&path).await;

    assert_eq!(by_key.status, 403, "{}", by_key.text);
    assert_eq!(by_member.status, 403, "{}", by_member.text);
    assert_eq!(list_by_member.status, 403, "{}", list_by_member.text);
    let listed = app.as_key(&key).get(&path).await;
    assert_eq!(listed.status, 200, "a key with api_keys:manage lists keys: {}", listed.text);
}

#[tokio::test]
async fn keys_of_another_organization_are_not_found_there() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_a = app.create_org(&owner, "Acme").await.id;
    let org_b = app.create_org(&owner, "Bravo").await.id;
    let key = app.org_key(&owner.client, org_a, &["members:read"]).await;

    let revoke = owner.client.delete(&format!("/api/v1/orgs/{org_b}/api-keys/{}", key.id)).await;
    let rotate = owner.client.post_empty(&format!("/api/v1/orgs/{org_b}/api-keys/{}/rotate", key.id)).await;
    let personal = owner.client.delete(&format!("/api/v1/users/me/api-keys/{}", key.id)).await;
    let listed = owner.client.get(&format!("/api/v1/orgs/{org_b}/api-keys")).await;

    assert_eq!(revoke.status, 404, "{}", revoke.text);
    assert_eq!(rotate.status, 404, "{}", rotate.text);
    assert_eq!(personal.status, 404, "an organization key is not a personal key: {}", personal.text);
    assert_eq!(listed.json["meta"]["total"], 0);
    assert_eq!(app.as_key(&key).get(&format!("/api/v1/orgs/{org_a}/members")).await.status, 200);
}

#[tokio::test]
async fn a_stranger_cannot_see_or_touch_an_organizations_keys() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let stranger = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let key = app.org_key(&owner.client, org, &["members:read"]).await;
    let body = json!({ "name": "x", "permissions": ["members:read"] });

    let list = stranger.client.get(&format!("/api/v1/orgs/{org}/api-keys")).await;
    let create = stranger.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
    let revoke = stranger.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;
    let rotate = stranger.client.post_empty(&format!("/api/v1/orgs/{org}/api-keys/{}/rotate", key.id)).await;

    for res in [&list, &create, &revoke, &rotate] {
        assert_eq!(res.status, 404, "{}", res.text);
        assert_eq!(res.json["error"]["message"], "organization not found");
    }
    assert_eq!(app.as_key(&key).get(&format!("/api/v1/orgs/{org}/members")).await.status, 200);
}
