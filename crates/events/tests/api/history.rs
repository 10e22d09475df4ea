//! Event history: `GET /orgs/{org}/events` lists an organization's relayed
//! events newest first, filtered by type and time, in cursor pages that neither
//! repeat nor skip; `GET /orgs/{org}/events/{id}` shows one with its status and
//! each webhook endpoint's delivery.

use std::collections::HashSet;

use serde_json::{Value, json};
use tessera_testkit::{assert_error, error_fields, id_of, publish, spawn_app};

use crate::support::{Receiver, endpoint, eventually, history, ids, spawn, wait_relayed};

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_history_filters_by_type_and_time_newest_first() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let c = &owner.client;
    let mut published = Vec::new();
    // Three moments a minute apart: `from`/`to` fall between them.
    for t in ["invoice.paid", "invoice.voided", "order.placed"] {
        published.push(publish(c, org, t, json!({ "at": 1 })).await);
    }
    app.clock.advance(time::Duration::minutes(1));
    let second = app.clock.now();
    for t in ["invoice.paid", "line_item.added", "linexitem.added"] {
        published.push(publish(c, org, t, json!({ "at": 2 })).await);
    }
    app.clock.advance(time::Duration::minutes(1));
    let third = app.clock.now();
    for t in ["invoice.paid", "order.shipped"] {
        published.push(publish(c, org, t, json!({ "at": 3 })).await);
    }
    wait_relayed(&app, &ids(&published)).await;
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();

    let all = history(c, org, "limit=200").await;
    let newest: Vec<Value> = published.iter().rev().cloned().collect();
    assert_eq!(all[..published.len()], newest[..], "newest first, as published");
    assert!(types(&all).contains(&"org.created"), "tessera's own events are there too: {:?}", types(&all));
    assert!(all.iter().all(|e| e["orgId"] == org.to_string()));

    let only = |q: &str| {
        let q = q.to_owned();
        let (c, org) = (c.clone(), org);
        async move { history(&c, org, &q).await }
    };
    assert_eq!(types(&only("type=invoice.paid").await), ["invoice.paid"; 3]);
    assert_eq!(
        types(&only("type=order.shipped,invoice.voided").await),
        ["order.shipped", "invoice.voided"],
        "a comma list"
    );
    assert_eq!(
        types(&only("type=invoice.*").await),
        ["invoice.paid", "invoice.paid", "invoice.voided", "invoice.paid"],
        "a prefix"
    );
    assert_eq!(types(&only("type=order.*,invoice.voided").await), ["order.shipped", "order.placed", "invoice.voided"]);
    // `_` is a character, not a wildcard.
    assert_eq!(types(&only("type=line_item.*").await), ["line_item.added"]);
    assert_eq!(types(&only("type=line_item.added").await), ["line_item.added"]);
    let org_events = only("type=org.*").await;
    assert!(!org_events.is_empty() && types(&org_events).iter().all(|t| t.starts_with("org.")), "{org_events:?}");
    assert!(only("type=invoice").await.is_empty(), "a bare word is an exact name");
    assert!(only("type=invoice.pa").await.is_empty());

    let from = only(&format!("from={}", rfc(second))).await;
    assert_eq!(ids(&from), ids(&newest[..5]), "at or after the second moment");
    let to = only(&format!("to={}&type=invoice.*,order.*,line_item.*,linexitem.*", rfc(second))).await;
    assert_eq!(ids(&to), ids(&newest[5..]), "before the second moment");
    let between = only(&format!("from={}&to={}&type=invoice.paid", rfc(second), rfc(third))).await;
    assert_eq!(between, vec![published[3].clone()]);
}

#[tokio::test]
async fn pages_cover_the_history_without_repeats_or_gaps() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let c = &owner.client;
    let mut published = Vec::new();
    for i in 0..45 {
        published.push(publish(c, org, "invoice.paid", json!({ "i": i })).await);
    }
    wait_relayed(&app, &ids(&published)).await;
    let whole = history(c, org, "limit=200&type=invoice.paid").await;
    assert_eq!(whole.len(), 45);

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/orgs/{org}/events?type=invoice.paid&limit=7");
        if let Some(cur) = &cursor {
            path.push_str(&format!("&cursor={cur}"));
        }
        let res = c.get(&path).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.json["meta"]["limit"], 7);
        pages.push(res.data().as_array().unwrap().clone());
        // Events published meanwhile are newer than every page still to come: they never show up in them.
        publish(c, org, "invoice.paid", json!({ "late": pages.len() })).await;
        match res.json["meta"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [7, 7, 7, 7, 7, 7, 3]);
    let paged: Vec<Value> = pages.concat();
    assert_eq!(paged, whole, "the pages, in order, are the whole list");
    let unique: HashSet<String> = ids(&paged).into_iter().collect();
    assert_eq!(unique.len(), 45);
    // Exactly a page's worth: the last page says so.
    let res = c.get(&format!("/api/v1/orgs/{org}/events?type=order.none&limit=5")).await;
    assert_eq!(res.data(), &json!([]));
    assert_eq!(res.json["meta"]["nextCursor"], Value::Null);
}

#[tokio::test]
async fn bad_queries_are_refused_with_field_errors() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Books").await;
    let base = format!("/api/v1/orgs/{org}/events");
    for (query, field) in [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=ZS54", "cursor"),
        ("cursor=ZS4", "cursor"),
        ("cursor=eC4xMg", "cursor"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("from=yesterday", "from"),
        ("to=2025-13-01T00:00:00Z", "to"),
        ("type=Invoice!", "type"),
        ("type=invoice.*.*", "type"),
        ("type=*", "type"),
    ] {
        let res = owner.client.get(&format!("{base}?{query}")).await;
        assert_eq!(res.status, 422, "{query}: {}", res.text);
        assert_eq!(res.error_code(), "VALIDATION_FAILED", "{query}");
        assert!(error_fields(&res).iter().any(|f| f == field), "{query}: {}", res.text);
    }
    let res = owner.client.get(&format!("{base}?cursor=not-a-cursor")).await;
    assert_eq!(res.json["error"]["details"]["fields"][0]["code"], "INVALID_CURSOR", "{}", res.text);
    for query in ["limit=ten", "limit=-1", "colour=red"] {
        let res = owner.client.get(&format!("{base}?{query}")).await;
        assert!(matches!(res.status, 400 | 422), "{query}: {}", res.text);
        assert!(!res.error_code().is_empty());
    }
    let res = owner.client.get(&format!("/api/v1/orgs/{org}/events/not-an-id")).await;
    assert!(matches!(res.status, 400 | 404 | 422), "{}", res.text);
}

#[tokio::test]
async fn one_event_shows_its_status_and_every_endpoints_delivery() {
    let app = spawn().await;
    let receiver = Receiver::start().await;
    let (owner, org) = app.owned_org("Books").await;
    let c = &owner.client;
    let books = endpoint(c, org, &receiver.url("books"), &["invoice.*"]).await;
    let all = endpoint(c, org, &receiver.url("all"), &["*"]).await;
    let orders = endpoint(c, org, &receiver.url("orders"), &["order.*"]).await;

    let event = publish(c, org, "invoice.paid", json!({ "amount": 5 })).await;
    let id = id_of(&event);
    let path = format!("/api/v1/orgs/{org}/events/{id}");
    let res = c.get(&path).await;
    assert_eq!(res.status, 200, "readable at once, relayed or not: {}", res.text);
    assert!(matches!(res.data()["status"].as_str(), Some("pending" | "relayed")), "{}", res.text);

    // Once fan-out ran: one delivery per endpoint that wants the type, each delivered.
    let path = &path;
    let detail = eventually("both deliveries delivered", || async move {
        let res = c.get(path).await;
        let d = res.data().clone();
        let done =
            d["deliveries"].as_array().is_some_and(|l| l.len() == 2 && l.iter().all(|x| x["status"] == "DELIVERED"));
        done.then_some(d)
    })
    .await;
    assert_eq!(detail["status"], "relayed");
    for key in ["id", "type", "occurredAt", "orgId", "actor", "data"] {
        assert_eq!(detail[key], event[key], "{key}");
    }
    let deliveries = detail["deliveries"].as_array().unwrap();
    let endpoints: HashSet<&str> = deliveries.iter().map(|d| d["endpointId"].as_str().unwrap()).collect();
    assert_eq!(endpoints, HashSet::from([books.as_str(), all.as_str()]), "not {orders}");
    for d in deliveries {
        assert_eq!(d["eventId"], id.as_str());
        assert_eq!(d["eventType"], "invoice.paid");
        assert_eq!(d["attempts"], 1);
    }
    // What the receiver got is the envelope.
    for path in ["books", "all"] {
        let got = receiver.wait_for(path, "invoice.paid").await;
        assert_eq!(got.body, event, "/{path}");
    }
    // An event only the catch-all endpoint wants has its delivery alone.
    let other = publish(c, org, "shipment.sent", json!({})).await;
    receiver.wait_for("all", "shipment.sent").await;
    let path = &format!("/api/v1/orgs/{org}/events/{}", id_of(&other));
    let detail = eventually("the delivery delivered", || async move {
        let d = c.get(path).await.data().clone();
        (d["deliveries"][0]["status"] == "DELIVERED").then_some(d)
    })
    .await;
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(detail["deliveries"][0]["endpointId"], all.as_str());
    // Before any endpoint existed, an event got none.
    let (owner2, org2) = app.owned_org("Unhooked").await;
    let lonely = publish(&owner2.client, org2, "shipment.sent", json!({})).await;
    wait_relayed(&app, &[id_of(&lonely)]).await;
    crate::support::wait_caught_up(&app, "webhooks.fanout").await;
    let res = owner2.client.get(&format!("/api/v1/orgs/{org2}/events/{}", id_of(&lonely))).await;
    assert_eq!(res.data()["status"], "relayed");
    assert_eq!(res.data()["deliveries"], json!([]));
}

#[tokio::test]
async fn another_organizations_events_are_not_found() {
    let app = spawn_app().await;
    let (alice, a) = app.owned_org("Alice's").await;
    let (bob, b) = app.owned_org("Bob's").await;
    let admin_of_a = app.join_new(&alice, a, "admin").await;
    let theirs = publish(&bob.client, b, "invoice.paid", json!({ "secret": "bob" })).await;
    let ours = publish(&alice.client, a, "invoice.paid", json!({})).await;
    wait_relayed(&app, &[id_of(&theirs), id_of(&ours)]).await;

    for client in [&alice.client, &admin_of_a.client] {
        let res = client.get(&format!("/api/v1/orgs/{a}/events/{}", id_of(&theirs))).await;
        let made_up = client.get(&format!("/api/v1/orgs/{a}/events/{}", uuid::Uuid::now_v7())).await;
        assert_error(&res, 404, "EVENT_NOT_FOUND");
        assert_eq!(res.error_code(), made_up.error_code());
        assert_eq!(res.json["error"]["message"], made_up.json["error"]["message"]);
        let res = client.get(&format!("/api/v1/orgs/{b}/events/{}", id_of(&theirs))).await;
        assert_eq!(res.status, 404, "B's path: {}", res.text);
        assert!(!res.text.contains("bob"), "{}", res.text);
        let res = client.get(&format!("/api/v1/orgs/{b}/events")).await;
        assert_eq!(res.status, 404, "B's history: {}", res.text);
        let listed = history(client, a, "limit=200").await;
        assert!(!ids(&listed).contains(&id_of(&theirs)), "A's history shows B's event");
        assert!(ids(&listed).contains(&id_of(&ours)));
    }
    // B's own owner sees it.
    let res = bob.client.get(&format!("/api/v1/orgs/{b}/events/{}", id_of(&theirs))).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["data"], json!({ "secret": "bob" }));
}
