//! The event-type catalogue: `GET /event-types` lists every type tessera emits
//! with a JSON Schema (2020-12) of its `data`, and the payloads really recorded
//! while people use the API validate against those schemas.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tessera_testkit::spawn_app_with;

use crate::support::{Receiver, endpoint, eventually};

/// The catalogue: name → entry.
async fn catalogue(app: &tessera_testkit::TestApp) -> BTreeMap<String, Value> {
    let res = app.anonymous().get("/api/v1/event-types").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let list = res.data().as_array().unwrap();
    let out: BTreeMap<String, Value> =
        list.iter().map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone())).collect();
    assert_eq!(out.len(), list.len(), "names are unique");
    out
}

fn validator(entry: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(&entry["schema"])
        .unwrap_or_else(|e| panic!("the schema of {} compiles: {e}", entry["name"]))
}

#[tokio::test]
async fn every_type_is_listed_with_its_module_description_and_schema() {
    let app = tessera_testkit::spawn_app().await;
    let types = catalogue(&app).await;
    for (name, module) in [
        ("user.created", "identity"),
        ("org.created", "orgs"),
        ("member.added", "orgs"),
        ("invitation.accepted", "orgs"),
        ("api_key.created", "access"),
        ("grant.created", "access"),
        ("webhook.delivered", "webhooks"),
        ("webhook.failed", "webhooks"),
        ("webhook.test", "webhooks"),
    ] {
        let entry = types.get(name).unwrap_or_else(|| panic!("{name} is listed: {:?}", types.keys()));
        assert_eq!(entry["module"], module, "{name}");
    }
    for (name, entry) in &types {
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts.len(), 2, "{name} is <noun>.<verb>");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'), "{name}");
        assert!(entry["module"].as_str().is_some_and(|m| !m.is_empty()), "{name}");
        assert!(entry["description"].as_str().is_some_and(|d| d.len() > 10), "{name}");
        let schema = &entry["schema"];
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        assert_eq!(schema["type"], "object", "{name}: data is an object");
        assert!(!schema.to_string().contains("#/components/"), "{name}: self-contained");
        let v = validator(entry);
        assert!(!v.is_valid(&json!([])), "{name} refuses an array");
        assert!(!v.is_valid(&json!("x")), "{name} refuses a string");
    }
    // Anyone may read it, signed in or not.
    let user = app.signed_up_user().await;
    assert_eq!(
        user.client.get("/api/v1/event-types").await.json,
        app.anonymous().get("/api/v1/event-types").await.json
    );
}

#[tokio::test]
async fn recorded_payloads_validate_against_their_schemas() {
    // A failed delivery fails for good at once, so `webhook.failed` comes quickly.
    let app = spawn_app_with(|cfg| {
        cfg.set("outbound.ssrf_allow", json!(["127.0.0.0/8"])).set("webhooks.retry_schedule_secs", json!([0]));
    })
    .await;
    let receiver = Receiver::start().await;
    let (owner, org) = app.owned_org("Everything").await;
    let c = &owner.client;
    let base = format!("/api/v1/orgs/{org}");
    let ok = |res: tessera_testkit::TestResponse| {
        assert!(res.status < 300, "{}", res.text);
        res
    };
    // Webhooks first, so the changes below are delivered (or fail) and report it.
    let good = endpoint(c, org, &receiver.url("hook"), &["team.*", "member.*", "webhook.delivered"]).await;
    let dead = endpoint(c, org, "http://127.0.0.1:9/", &["team.*"]).await;
    ok(c.patch(&format!("{base}/webhooks/{dead}"), &json!({ "description": "gone soon" })).await);
    ok(c.post(&format!("{base}/webhooks/{good}/rotate-secret"), &json!({ "graceHours": 1 })).await);
    let test = ok(c.post_empty(&format!("{base}/webhooks/{good}/test")).await);
    // Organization life.
    ok(c.patch(&base, &json!({ "name": "Everything Inc" })).await);
    let member = app.join_new(&owner, org, "member").await;
    ok(c.patch(&format!("{base}/members/{}", member.id), &json!({ "role": "viewer" })).await);
    let team = ok(c.post(&format!("{base}/teams"), &json!({ "name": "Core" })).await).data()["id"].clone();
    let team = team.as_str().unwrap();
    ok(c.post(&format!("{base}/teams/{team}/members"), &json!({ "userId": member.id })).await);
    let grant =
        json!({ "subject": member.id, "permission": "teams:manage", "resourceType": "team", "resourceId": team });
    let grant = ok(c.post(&format!("{base}/grants"), &grant).await).data()["id"].clone();
    ok(c.delete(&format!("{base}/grants/{}", grant.as_str().unwrap())).await);
    let role = json!({ "name": "auditor", "permissions": ["members:read"] });
    let role = ok(c.post(&format!("{base}/roles"), &role).await).data()["id"].clone();
    ok(c.delete(&format!("{base}/roles/{}", role.as_str().unwrap())).await);
    let key = ok(c.post(&format!("{base}/api-keys"), &json!({ "name": "ci", "permissions": ["events:read"] })).await);
    ok(c.delete(&format!("{base}/api-keys/{}", key.data()["id"].as_str().unwrap())).await);
    ok(c.post(&format!("{base}/invitations"), &json!({ "email": "later@example.test", "role": "viewer" })).await);
    ok(c.delete(&format!("{base}/teams/{team}")).await);
    ok(c.delete(&format!("{base}/members/{}", member.id)).await);
    // Custom events are the customer's: not in the catalogue, not checked.
    ok(c.post(&format!("{base}/events"), &json!({ "type": "invoice.paid", "data": { "any": "thing" } })).await);

    // Wait for the delivery outcomes, then for the one that reports a delivery outcome to be delivered.
    let app_ref = &app;
    eventually("webhook.failed and webhook.delivered recorded", || async move {
        let types = app_ref.event_types().await;
        (types.iter().any(|t| t == "webhook.failed") && types.iter().any(|t| t == "webhook.delivered")).then_some(())
    })
    .await;
    ok(c.delete(&format!("{base}/webhooks/{dead}")).await);

    let types = catalogue(&app).await;
    let recorded = app.events().await;
    let mut seen = BTreeSet::new();
    for (name, data) in &recorded {
        if name == "invoice.paid" {
            assert!(!types.contains_key(name));
            continue;
        }
        let entry = types.get(name).unwrap_or_else(|| panic!("{name} was recorded but is not in the catalogue"));
        let errors: Vec<String> =
            validator(entry).iter_errors(data).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name} {data} does not match its schema: {errors:?}");
        seen.insert(name.as_str());
    }
    for expected in [
        "user.created",
        "org.created",
        "org.updated",
        "member.added",
        "member.role_changed",
        "member.removed",
        "invitation.created",
        "invitation.accepted",
        "team.created",
        "team.member_added",
        "team.deleted",
        "grant.created",
        "grant.deleted",
        "role.created",
        "role.deleted",
        "api_key.created",
        "api_key.revoked",
        "webhook.endpoint_created",
        "webhook.endpoint_updated",
        "webhook.endpoint_deleted",
        "webhook.secret_rotated",
        "webhook.delivered",
        "webhook.failed",
    ] {
        assert!(seen.contains(expected), "{expected} was recorded and checked: {seen:?}");
    }
    // The test message never goes through the outbox; what is posted still matches `webhook.test`.
    let test_delivery = test.data()["id"].as_str().unwrap();
    let posted = receiver.wait_for("hook", "webhook.test").await;
    let errors: Vec<String> =
        validator(&types["webhook.test"]).iter_errors(&posted.body["data"]).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "webhook.test {} (delivery {test_delivery}): {errors:?}", posted.body);
    // What a receiver gets is the envelope: exactly these fields.
    let delivered = receiver.wait_for("hook", "team.created").await.body;
    let mut fields: Vec<&str> = delivered.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["actor", "data", "id", "occurredAt", "orgId", "type"]);
}
