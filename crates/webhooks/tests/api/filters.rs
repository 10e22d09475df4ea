//! Which events an endpoint receives (exact names, `prefix.*`, `*`; outcome
//! events only by exact name), and the custom headers it is sent.

use std::collections::BTreeMap;

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tessera_webhooks::testing::endpoints;

use tessera_testkit::{assert_error, field_codes, id_of, publish};

use crate::support::{
    Receiver, Reply, create_endpoint, endpoint, get_endpoint, hooks_app, hooks_path, org_events, wait_org_events,
    wait_settled,
};

/// The organization's events from the creation of `endpoint` on, oldest first.
fn since_created(events: &[Value], endpoint: &str) -> Vec<Value> {
    let mut oldest_first: Vec<Value> = events.to_vec();
    oldest_first.reverse();
    let start = oldest_first
        .iter()
        .position(|e| e["type"] == "webhook.endpoint_created" && e["data"]["endpointId"] == endpoint)
        .unwrap_or_else(|| panic!("no endpoint_created event of {endpoint}"));
    oldest_first.split_off(start)
}

fn ids_where(events: &[Value], keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .filter(|e| keep(e["type"].as_str().unwrap()))
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn received_ids(rx: &Receiver) -> Vec<String> {
    let mut ids: Vec<String> = rx.hits().iter().map(|h| h.event_id()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn each_endpoint_gets_exactly_the_events_it_selects() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let (ra, rb, rc, rd) = (
        Receiver::start(Reply::Status(200)).await,
        Receiver::start(Reply::Status(200)).await,
        Receiver::start(Reply::Status(200)).await,
        Receiver::start(Reply::Status(200)).await,
    );
    let teams = id_of(&endpoint(&owner, org, &ra.url(), &["team.*"]).await);
    let paid = id_of(&endpoint(&owner, org, &rb.url(), &["invoice.paid"]).await);
    let all = id_of(&endpoint(&owner, org, &rc.url(), &["*"]).await);
    let outcomes = id_of(&endpoint(&owner, org, &rd.url(), &["webhook.delivered"]).await);

    app.create_team(&owner, org, "x").await;
    id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    id_of(&publish(&owner.client, org, "invoice.voided", json!({ "n": 2 })).await);
    id_of(&publish(&owner.client, org, "sentinel.done", json!({})).await);

    // Fan-out follows the log in order: once `*` has the last event, every earlier one is fanned out.
    rc.wait_event("sentinel.done").await;
    let mut settled = 0;
    for ep in [&teams, &paid, &all] {
        settled += wait_settled(&owner, org, ep)
            .await
            .iter()
            .filter(|d| !d["eventType"].as_str().unwrap().starts_with("webhook."))
            .count();
    }
    wait_org_events(&owner, org, "webhook.delivered", settled).await;
    rd.wait_hits(settled).await;
    wait_settled(&owner, org, &outcomes).await;
    let events = org_events(&owner, org, "").await;

    let expect = |ep: &str, keep: &dyn Fn(&str) -> bool| ids_where(&since_created(&events, ep), keep);
    assert!(ra.types().iter().any(|t| t == "team.created"), "{:?}", ra.types());
    assert!(ra.types().iter().all(|t| t.starts_with("team.")), "{:?}", ra.types());
    assert_eq!(received_ids(&ra), expect(&teams, &|t| t.starts_with("team.")));
    assert_eq!(rb.types(), ["invoice.paid"]);
    assert_eq!(received_ids(&rb), expect(&paid, &|t| t == "invoice.paid"));
    let everything = expect(&all, &|t| t != "webhook.delivered" && t != "webhook.failed");
    assert_eq!(received_ids(&rc), everything, "{:?}", rc.types());
    for t in ["team.created", "invoice.paid", "invoice.voided", "webhook.endpoint_created"] {
        assert!(rc.types().iter().any(|r| r == t), "* misses {t}: {:?}", rc.types());
    }
    assert!(!rc.types().iter().any(|t| t == "webhook.delivered"), "* got outcome events");
    assert_eq!(received_ids(&rd), expect(&outcomes, &|t| t == "webhook.delivered"));
    assert_eq!(rd.hits().len(), settled);
    let reported: Vec<String> =
        rd.hits().iter().map(|h| h.json()["data"]["eventType"].as_str().unwrap().to_owned()).collect();
    assert!(reported.iter().all(|t| !t.starts_with("webhook.")), "outcomes of webhook events: {reported:?}");
}

#[tokio::test]
async fn a_changed_selection_applies_to_later_events() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let res = owner.client.patch(&hooks_path(org, &format!("/{ep}")), &json!({ "events": ["invoice.voided"] })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["events"], json!(["invoice.voided"]));
    id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    id_of(&publish(&owner.client, org, "invoice.voided", json!({})).await);
    rx.wait_event("invoice.voided").await;
    assert_eq!(rx.types(), ["invoice.voided"]);
}

#[tokio::test]
async fn custom_headers_arrive_and_reserved_ones_are_refused() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let body = json!({
        "url": rx.url(), "events": ["invoice.paid"],
        "headers": { "X-Tenant": "acme", "Authorization": "Bearer receiver-token" },
    });
    let ep = create_endpoint(&owner, org, body).await;
    // A credential is not shown back, not even to the one who set it.
    assert_eq!(ep["headers"], json!({ "x-tenant": "acme", "authorization": "[redacted]" }));

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let hit = rx.wait_event("invoice.paid").await;
    assert_eq!(hit.header("x-tenant"), "acme");
    assert_eq!(hit.header("authorization"), "Bearer receiver-token");
    assert_eq!(hit.header("webhook-id"), event);
    assert_eq!(hit.header("content-type"), "application/json");

    for name in ["webhook-signature", "content-type", "Webhook-Id", "User-Agent", "host", "content-length"] {
        let headers: BTreeMap<&str, &str> = BTreeMap::from([(name, "forged")]);
        let res = owner
            .client
            .post(&hooks_path(org, ""), &json!({ "url": rx.url(), "events": ["a.b"], "headers": headers }))
            .await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["headers:INVALID"], "{name}: {}", res.text);
        let res =
            owner.client.patch(&hooks_path(org, &format!("/{}", id_of(&ep))), &json!({ "headers": headers })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
    }
    let res = owner
        .client
        .post(&hooks_path(org, ""), &json!({ "url": rx.url(), "events": ["a.b"], "headers": { "x-a": "line\nbreak" } }))
        .await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    // Nothing was created or changed by the refused requests.
    let list = owner.client.get(&hooks_path(org, "")).await;
    assert_eq!(list.json["meta"]["total"], 1, "{}", list.text);
    assert_eq!(list.data()[0]["headers"], ep["headers"]);
}

#[tokio::test]
async fn header_values_are_sealed_at_rest_and_a_redacted_one_sent_back_is_kept() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let headers = json!({ "X-Team": "billing", "X-Api-Key": "receiver-key-123" });
    let ep = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["a.b"], "headers": headers })).await;
    let id = id_of(&ep);

    let row = endpoints::Entity::find_by_id(id.parse::<tessera_webhooks::testing::EndpointId>().unwrap())
        .one(&app.core.db.conn)
        .await
        .unwrap()
        .unwrap();
    let stored = row.headers.to_string();
    assert!(!stored.contains("receiver-key-123") && !stored.contains("billing"), "stored in the clear: {stored}");
    assert_eq!(
        get_endpoint(&owner, org, &id).await["headers"],
        json!({ "x-team": "billing", "x-api-key": "[redacted]" })
    );

    // What a client that read the endpoint sends back: the redacted value stands for the one held.
    let path = hooks_path(org, &format!("/{id}"));
    let changed = json!({ "headers": { "x-team": "ops", "x-api-key": "[redacted]" } });
    let res = owner.client.patch(&path, &changed).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["headers"], json!({ "x-team": "ops", "x-api-key": "[redacted]" }));
    id_of(&publish(&owner.client, org, "a.b", json!({})).await);
    let hit = rx.wait_event("a.b").await;
    assert_eq!((hit.header("x-team"), hit.header("x-api-key")), ("ops", "receiver-key-123"));

    // A new value replaces it; a header left out is gone.
    let res = owner.client.patch(&path, &json!({ "headers": { "x-api-key": "rotated-456" } })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["headers"], json!({ "x-api-key": "[redacted]" }));
    id_of(&publish(&owner.client, org, "a.b", json!({ "second": true })).await);
    let hits = rx.wait_hits(2).await;
    assert_eq!(hits[1].header("x-api-key"), "rotated-456");
    assert!(!hits[1].headers.contains_key("x-team"), "{:?}", hits[1].headers);
}
