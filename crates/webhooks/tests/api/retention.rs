//! Retention: finished deliveries (with their attempts) and old events leave the
//! history once older than their retention period; pending deliveries stay.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tessera_webhooks::testing::{attempts, deliveries};

use tessera_testkit::{id_of, publish};

use crate::support::*;

#[tokio::test]
async fn old_finished_deliveries_and_events_are_deleted_and_recent_ones_kept() {
    let app = hooks_app_with(|cfg| {
        cfg.set("webhooks.retention_days", json!(30)).set("events.retention_days", json!(30));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Keepers").await.id;
    let ok = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &ok.url(), &["invoice.*"]).await);
    let old = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    wait_delivery(&owner, org, &ep, &old, "DELIVERED").await;

    // A month and a day later, a new event.
    app.clock.advance(time::Duration::days(31));
    let owner = app.login(&owner.email, &owner.password).await; // access tokens expired meanwhile
    let new = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 2 })).await);
    wait_delivery(&owner, org, &ep, &new, "DELIVERED").await;
    let db = &app.core.db.conn;
    assert_eq!(deliveries::Entity::find().count(db).await.unwrap(), 2);

    let gone = tessera_webhooks::testing::apply_retention(&app.service::<tessera_webhooks::testing::Webhooks>())
        .await
        .unwrap();
    assert_eq!(gone, 1, "only the month-old delivery goes");
    let left = deliveries(&owner, org, &ep).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["eventId"], new.as_str());
    assert_eq!(attempts::Entity::find().count(db).await.unwrap(), 1, "its attempts went with it");

    let events_gone =
        tessera_events::testing::apply_retention(&app.service::<tessera_events::testing::Events>()).await.unwrap();
    assert!(events_gone >= 1, "the old events leave the history");
    let history = owner.client.get(&format!("/api/v1/orgs/{org}/events?type=invoice.*")).await;
    let ids: Vec<&str> = history.data().as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![new.as_str()], "{}", history.text);
    let gone_again = tessera_webhooks::testing::apply_retention(&app.service::<tessera_webhooks::testing::Webhooks>())
        .await
        .unwrap();
    assert_eq!(gone_again, 0);
}

#[tokio::test]
async fn pending_deliveries_are_kept_whatever_their_age() {
    let app = hooks_app_with(|cfg| {
        cfg.set("webhooks.retention_days", json!(1)).set("webhooks.retry_schedule_secs", json!([0, 3600]));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Patient").await.id;
    let down = Receiver::start(Reply::Status(500)).await;
    let ep = id_of(&endpoint(&owner, org, &down.url(), &["invoice.*"]).await);
    let ev = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    wait_delivery(&owner, org, &ep, &ev, "RETRYING").await;
    app.clock.advance(time::Duration::days(3));
    let owner = app.login(&owner.email, &owner.password).await;
    assert_eq!(
        tessera_webhooks::testing::apply_retention(&app.service::<tessera_webhooks::testing::Webhooks>())
            .await
            .unwrap(),
        0
    );
    assert_eq!(deliveries(&owner, org, &ep).await.len(), 1);
}
