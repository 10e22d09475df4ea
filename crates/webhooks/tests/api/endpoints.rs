//! Endpoint management: the secret shown once (and sealed at rest), list pages,
//! changes, deletion with history, and the test message.

use sea_orm::EntityTrait;
use serde_json::json;
use tessera_webhooks::testing::endpoints;

use tessera_testkit::{id_of, publish};

use crate::support::{
    Receiver, Reply, create_endpoint, deliveries, endpoint, hooks_app, hooks_path, wait_delivery, wait_org_events,
};

#[tokio::test]
async fn the_secret_is_shown_once_and_sealed_at_rest() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let hmac = create_endpoint(
        &owner,
        org,
        json!({ "url": "http://127.0.0.1:9/a", "events": ["invoice.paid"], "description": "billing",
                "metadata": { "team": "payments" }, "rateLimitPerSecond": 5, "integrationId": "stripe" }),
    )
    .await;
    let ed =
        create_endpoint(&owner, org, json!({ "url": "http://127.0.0.1:9/b", "events": ["*"], "signing": "ed25519" }))
            .await;
    let secrets = [hmac["secret"].as_str().unwrap().to_owned(), ed["secret"].as_str().unwrap().to_owned()];
    assert_eq!(hmac["description"], "billing");
    assert_eq!(hmac["metadata"], json!({ "team": "payments" }));
    assert_eq!(hmac["rateLimitPerSecond"], 5);
    assert_eq!(hmac["integrationId"], "stripe");
    assert_eq!(hmac["isActive"], true);
    assert_eq!(hmac["orgId"], org.to_string());

    let list = owner.client.get(&hooks_path(org, "")).await;
    let one = owner.client.get(&hooks_path(org, &format!("/{}", id_of(&hmac)))).await;
    let changed =
        owner.client.patch(&hooks_path(org, &format!("/{}", id_of(&hmac))), &json!({ "description": null })).await;

    assert_eq!(changed.status, 200, "{}", changed.text);
    assert!(changed.data()["description"].is_null());
    for res in [&list, &one, &changed] {
        for s in &secrets {
            assert!(!res.text.contains(s.as_str()), "a read shows the secret: {}", res.text);
        }
        assert!(!res.text.contains("\"secret\""), "{}", res.text);
    }
    assert_eq!(list.json["meta"]["total"], 2);
    assert_eq!(list.data()[1]["publicKey"], ed["publicKey"]);
    let rows = endpoints::Entity::find().all(&app.core.db.conn).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        for s in &secrets {
            let key_part = s.split_once('_').unwrap().1;
            assert!(!row.secret_sealed.contains(key_part), "the secret is stored in plain text");
            assert!(!format!("{row:?}").contains(key_part), "the secret is stored in plain text");
        }
        assert!(row.secret_sealed.len() > 20, "{}", row.secret_sealed);
    }
    let everything = format!("{:?}", app.events().await);
    for s in &secrets {
        assert!(!everything.contains(s.split_once('_').unwrap().1), "a secret is in the events");
    }
}

#[tokio::test]
async fn endpoints_list_in_pages_oldest_first() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(id_of(&endpoint(&owner, org, &format!("http://127.0.0.1:9/{n}"), &["x.y"]).await));
    }

    let page1 = owner.client.get(&hooks_path(org, "?page=1&limit=2")).await;
    let page3 = owner.client.get(&hooks_path(org, "?page=3&limit=2")).await;

    assert_eq!(page1.json["meta"], json!({ "page": 1, "limit": 2, "total": 5 }));
    let got: Vec<String> = page1.data().as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(got, ids[..2]);
    let got: Vec<String> = page3.data().as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(got, ids[4..]);
}

#[tokio::test]
async fn a_deleted_endpoint_loses_its_history_and_gets_nothing_more() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let sentinel_rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.*"]).await);
    let sentinel = id_of(&endpoint(&owner, org, &sentinel_rx.url(), &["invoice.*"]).await);
    let first = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    wait_delivery(&owner, org, &ep, &first, "DELIVERED").await;

    let res = owner.client.delete(&hooks_path(org, &format!("/{ep}"))).await;

    assert_eq!(res.status, 204, "{}", res.text);
    let res = owner.client.get(&hooks_path(org, &format!("/{ep}"))).await;
    assert_eq!(res.status, 404);
    let res = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries"))).await;
    assert_eq!(res.status, 404);
    let deleted = wait_org_events(&owner, org, "webhook.endpoint_deleted", 1).await;
    assert_eq!(deleted[0]["data"]["endpointId"], ep.as_str());
    let later = id_of(&publish(&owner.client, org, "invoice.voided", json!({})).await);
    wait_delivery(&owner, org, &sentinel, &later, "DELIVERED").await;
    assert_eq!(rx.hits().len(), 1);
    assert_eq!(deliveries(&owner, org, &sentinel).await.len(), 2);
}

#[tokio::test]
async fn the_test_message_goes_to_one_endpoint_signed_like_any_other() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let other_rx = Receiver::start(Reply::Status(200)).await;
    let ep = endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await;
    endpoint(&owner, org, &other_rx.url(), &["*"]).await;

    let res = owner.client.post_empty(&hooks_path(org, &format!("/{}/test", id_of(&ep)))).await;

    assert_eq!(res.status, 202, "{}", res.text);
    let queued = res.data().clone();
    assert_eq!(queued["eventType"], "webhook.test");
    let d = wait_delivery(&owner, org, &id_of(&ep), queued["eventId"].as_str().unwrap(), "DELIVERED").await;
    assert_eq!(d["payload"]["type"], "webhook.test");
    let hit = rx.wait_event("webhook.test").await;
    assert_eq!(hit.header("webhook-id"), queued["eventId"].as_str().unwrap());
    let key = tessera_webhooks::signing::VerifyKey::parse(ep["secret"].as_str().unwrap()).unwrap();
    let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
    tessera_webhooks::signing::verify(
        hit.header("webhook-signature"),
        &[key],
        hit.header("webhook-id"),
        ts,
        &hit.body,
        app.clock.now(),
        tessera_webhooks::signing::DEFAULT_TOLERANCE,
    )
    .unwrap();
    assert!(!other_rx.types().iter().any(|t| t == "webhook.test"), "the test message went to another endpoint");
}

#[tokio::test]
async fn rate_limit_per_second_spaces_the_requests_out() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let body = json!({ "url": rx.url(), "events": ["invoice.paid"], "rateLimitPerSecond": 2 });
    let ep = id_of(&create_endpoint(&owner, org, body).await);

    for n in 0..5 {
        id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await);
    }

    let hits = rx.wait_hits(5).await;
    let span = hits[4].at.duration_since(hits[0].at);
    // Two a second: five requests span about two seconds, however fast they were published.
    assert!(span >= std::time::Duration::from_millis(1_500), "five requests within {span:?}");
    assert_eq!(deliveries(&owner, org, &ep).await.len(), 5);
}

#[tokio::test]
async fn deleting_the_organization_deletes_its_endpoints_and_their_history() {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    use tessera_webhooks::testing::{attempts, deliveries};
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let (doomed, kept) = (app.create_org(&owner, "Doomed").await.id, app.create_org(&owner, "Kept").await.id);
    let mut eps = Vec::new();
    for org in [doomed, kept] {
        let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);
        let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
        wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
        eps.push(ep);
    }

    let res = owner.client.delete(&format!("/api/v1/orgs/{doomed}")).await;

    assert_eq!(res.status, 204, "{}", res.text);
    let db = &app.core.db.conn;
    let rows = endpoints::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(), [eps[1].clone()]);
    assert_eq!(deliveries::Entity::find().filter(deliveries::Column::OrgId.eq(doomed)).count(db).await.unwrap(), 0);
    let ep_id: tessera_webhooks::testing::EndpointId = eps[0].parse().unwrap();
    assert_eq!(attempts::Entity::find().filter(attempts::Column::EndpointId.eq(ep_id)).count(db).await.unwrap(), 0);
    assert_eq!(deliveries(&owner, kept, &eps[1]).await.len(), 1, "the other organization keeps its history");
}
