//! Custom events: `POST /orgs/{org}/events` answers 202 with the envelope, needs
//! `events:publish`, refuses types outside the customer's namespaces and data
//! that is not an object, and an idempotency key returns the first event for 24
//! hours instead of making a second one.

use serde_json::{Value, json};
use tessera_testkit::{TestApp, id_of, publish, spawn_app};

use crate::support::{history, post_event, wait_relayed};

/// Every recorded event (outbox and log) of `event_type`.
async fn recorded(app: &TestApp, event_type: &str) -> Vec<Value> {
    app.events().await.into_iter().filter(|(t, _)| t == event_type).map(|(_, d)| d).collect()
}

#[tokio::test]
async fn publishing_answers_202_with_the_envelope() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;

    let res = post_event(&owner.client, org, &json!({ "type": "invoice.paid", "data": { "amount": 1250 } })).await;

    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.header("idempotent-replayed"), None);
    let event = res.data();
    let fields: Vec<&str> = event.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 6, "{event}");
    for key in ["id", "type", "occurredAt", "orgId", "actor", "data"] {
        assert!(event.get(key).is_some(), "{key} in {event}");
    }
    assert!(id_of(event).parse::<uuid::Uuid>().is_ok(), "{event}");
    assert_eq!(event["type"], "invoice.paid");
    assert_eq!(event["orgId"], org.to_string());
    assert_eq!(event["actor"], json!({ "type": "user", "id": owner.id }));
    assert_eq!(event["data"], json!({ "amount": 1250 }));
    tessera_testkit::time_of(&event["occurredAt"]); // RFC 3339 UTC, milliseconds
    // The history shows the same envelope once relayed.
    wait_relayed(&app, &[id_of(event)]).await;
    let listed = history(&owner.client, org, "type=invoice.paid").await;
    assert_eq!(listed, vec![event.clone()]);
}

#[tokio::test]
async fn owners_admins_and_keys_with_the_permission_publish_members_and_viewers_do_not() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let publisher = app.org_key(&owner.client, org, &["events:publish"]).await.secret;
    let reader = app.org_key(&owner.client, org, &["events:read"]).await.secret;
    let body = json!({ "type": "invoice.paid", "data": {} });

    for (who, client) in [("member", &member.client), ("viewer", &viewer.client)] {
        let res = post_event(client, org, &body).await;
        assert_eq!(res.status, 403, "{who}: {}", res.text);
        assert_eq!(res.error_code(), "FORBIDDEN");
        let res = client.get(&format!("/api/v1/orgs/{org}/events")).await;
        assert_eq!(res.status, 403, "{who} reads the history: {}", res.text);
    }
    let res = post_event(&app.with_token(&reader), org, &body).await;
    assert_eq!(res.status, 403, "a read-only key: {}", res.text);
    let res = app.with_token(&reader).get(&format!("/api/v1/orgs/{org}/events")).await;
    assert_eq!(res.status, 200, "a read-only key reads: {}", res.text);
    let res = app.anonymous().post(&format!("/api/v1/orgs/{org}/events"), &body).await;
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(recorded(&app, "invoice.paid").await.len(), 0, "nothing refused was recorded");

    let by_admin = publish(&admin.client, org, "invoice.paid", json!({ "by": "admin" })).await;
    assert_eq!(by_admin["actor"], json!({ "type": "user", "id": admin.id }));
    let by_key = publish(&app.with_token(&publisher), org, "invoice.paid", json!({ "by": "key" })).await;
    assert_eq!(by_key["actor"]["type"], "apikey", "{by_key}");
    assert_eq!(by_key["actor"]["owner"], owner.id.to_string(), "{by_key}");
    assert_eq!(recorded(&app, "invoice.paid").await, vec![json!({ "by": "admin" }), json!({ "by": "key" })]);
}

#[tokio::test]
async fn types_are_dotted_lowercase_outside_tesseras_namespaces() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let too_long = format!("invoice.{}", "p".repeat(121));
    let mut refused = vec![
        "invoice",
        "Invoice.paid",
        "invoice.Paid",
        "invoice..paid",
        ".paid",
        "invoice.paid.",
        "invoice.pa id",
        "invoice-paid.x",
        "2fa.enabled",
        "invoice.*",
        "",
        too_long.as_str(),
    ];
    // tessera's own namespaces, as the catalogue lists them.
    let catalogue = app.anonymous().get("/api/v1/event-types").await;
    let own: Vec<String> = catalogue
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}.custom", t["name"].as_str().unwrap().split('.').next().unwrap()))
        .collect();
    for ns in ["user", "org", "member", "team", "webhook", "invitation", "api_key", "role", "grant", "session"] {
        assert!(own.contains(&format!("{ns}.custom")), "{ns} is one of tessera's namespaces: {own:?}");
    }
    refused.extend(own.iter().map(String::as_str));
    refused.extend(["event.custom", "tessera.custom"]);

    for t in &refused {
        let res = post_event(&owner.client, org, &json!({ "type": t, "data": {} })).await;
        assert_eq!(res.status, 422, "{t:?}: {}", res.text);
        assert_eq!(res.error_code(), "VALIDATION_FAILED", "{t:?}");
        assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "type", "{t:?}: {}", res.text);
    }
    for t in ["invoice.paid", "invoice.line_item.added", "shipment2.delivered", "users.created", "orgs.x"] {
        publish(&owner.client, org, t, json!({})).await;
    }
    let custom: Vec<String> = app
        .event_types()
        .await
        .into_iter()
        .filter(|t| refused.iter().any(|r| r == t) || t.ends_with(".custom"))
        .collect();
    assert!(custom.is_empty(), "refused types were recorded: {custom:?}");
}

#[tokio::test]
async fn data_must_be_an_object_and_the_body_well_formed() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    for data in [json!([1, 2]), json!("paid"), json!(12), json!(true), json!(null)] {
        let res = post_event(&owner.client, org, &json!({ "type": "invoice.paid", "data": data })).await;
        assert_eq!(res.status, 422, "{data}: {}", res.text);
        assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "data", "{data}: {}", res.text);
    }
    for (what, body) in [
        ("no data", json!({ "type": "invoice.paid" })),
        ("no type", json!({ "data": {} })),
        ("an unknown field", json!({ "type": "invoice.paid", "data": {}, "orgId": org })),
        ("a numeric type", json!({ "type": 5, "data": {} })),
        ("an empty key", json!({ "type": "invoice.paid", "data": {}, "idempotencyKey": "" })),
        ("a long key", json!({ "type": "invoice.paid", "data": {}, "idempotencyKey": "k".repeat(256) })),
    ] {
        let res = post_event(&owner.client, org, &body).await;
        assert!(matches!(res.status, 400 | 422), "{what}: {}", res.text);
        assert!(!res.error_code().is_empty(), "{what}");
    }
    let res = owner
        .client
        .send_raw(reqwest::Method::POST, &format!("/api/v1/orgs/{org}/events"), "application/json", "{\"type\":")
        .await;
    assert_eq!(res.status, 400, "{}", res.text);
    // Nested data of any shape is kept as sent.
    let data = json!({ "lines": [{ "sku": "A-1", "qty": 2 }], "paid": true, "note": null, "total": 12.5 });
    let event = publish(&owner.client, org, "invoice.paid", data.clone()).await;
    assert_eq!(event["data"], data);
    assert_eq!(recorded(&app, "invoice.paid").await, vec![data]);
}

#[tokio::test]
async fn an_idempotency_key_answers_the_first_event_for_24_hours() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let (other_owner, other_org) = app.owned_org("Elsewhere").await;
    let first_body = json!({ "type": "invoice.paid", "data": { "n": 1 }, "idempotencyKey": "inv-42" });

    let first = post_event(&owner.client, org, &first_body).await;
    let again = post_event(&owner.client, org, &first_body).await;
    // A retry that differs answers the first event too: the key names the operation.
    let changed = json!({ "type": "invoice.voided", "data": { "n": 2 }, "idempotencyKey": "inv-42" });
    let differs = post_event(&owner.client, org, &changed).await;

    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    for res in [&again, &differs] {
        assert_eq!(res.status, 202, "{}", res.text);
        assert_eq!(res.header("idempotent-replayed"), Some("true"));
        assert_eq!(res.data(), first.data(), "the first event, unchanged");
    }
    // Once relayed, the key still answers the same event.
    let id = id_of(first.data());
    wait_relayed(&app, std::slice::from_ref(&id)).await;
    let relayed = post_event(&owner.client, org, &first_body).await;
    assert_eq!(relayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(relayed.data(), first.data());
    assert_eq!(recorded(&app, "invoice.paid").await, vec![json!({ "n": 1 })], "one event anywhere");
    assert_eq!(recorded(&app, "invoice.voided").await, Vec::<Value>::new());
    let listed = history(&owner.client, org, "type=invoice.paid,invoice.voided").await;
    assert_eq!(listed, vec![first.data().clone()]);

    // Keys belong to one organization.
    let elsewhere = post_event(&other_owner.client, other_org, &first_body).await;
    assert_eq!(elsewhere.status, 202, "{}", elsewhere.text);
    assert_eq!(elsewhere.header("idempotent-replayed"), None);
    assert_ne!(id_of(elsewhere.data()), id);

    // After 24 hours the key makes a new event.
    app.clock.advance(time::Duration::hours(23));
    let owner = app.login(&owner.email, &owner.password).await;
    let still = post_event(&owner.client, org, &first_body).await;
    assert_eq!(still.header("idempotent-replayed"), Some("true"), "{}", still.text);
    app.clock.advance(time::Duration::hours(2));
    let owner = app.login(&owner.email, &owner.password).await;
    let later = post_event(
        &owner.client,
        org,
        &json!({ "type": "invoice.paid", "data": { "n": 3 }, "idempotencyKey": "inv-42" }),
    )
    .await;
    assert_eq!(later.status, 202, "{}", later.text);
    assert_eq!(later.header("idempotent-replayed"), None);
    assert_ne!(id_of(later.data()), id);
    assert_eq!(later.data()["data"], json!({ "n": 3 }));
    // … which the key then answers.
    let replay = post_event(&owner.client, org, &first_body).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.data(), later.data());
    assert_eq!(recorded(&app, "invoice.paid").await.len(), 3, "org's two, the other org's one");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_event() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let same = json!({ "type": "order.placed", "data": { "n": 0 }, "idempotencyKey": "order-7" });
    let mut calls = Vec::new();
    for i in 0..12 {
        let (client, org) = (owner.client.clone(), org);
        // Half send the shared key; the others each their own.
        let body = if i % 2 == 0 {
            same.clone()
        } else {
            json!({ "type": "order.placed", "data": { "n": i }, "idempotencyKey": format!("order-k{i}") })
        };
        calls.push(tokio::spawn(async move { (i, post_event(&client, org, &body).await) }));
    }
    let mut shared = Vec::new();
    for call in calls {
        let (i, res) = call.await.unwrap();
        assert_eq!(res.status, 202, "call {i}: {}", res.text);
        if i % 2 == 0 {
            shared.push((id_of(res.data()), res.header("idempotent-replayed").is_some()));
        } else {
            assert_eq!(res.header("idempotent-replayed"), None, "call {i}");
        }
    }
    let first = &shared[0].0;
    assert!(shared.iter().all(|(id, _)| id == first), "one event for the key: {shared:?}");
    assert_eq!(shared.iter().filter(|(_, replayed)| !replayed).count(), 1, "one call made it: {shared:?}");
    let events = recorded(&app, "order.placed").await;
    assert_eq!(events.len(), 7, "the shared key's event and six others: {events:?}");
    assert_eq!(events.iter().filter(|d| d["n"] == 0).count(), 1);
}
