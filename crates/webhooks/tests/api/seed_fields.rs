//! What clients of the seed services read and send: an endpoint's `name` and
//! `lastTriggeredAt` (seeds 000 and 001), a delivery's `webhookId`, `event`,
//! `error` and `response` (seed 001), and `WEBHOOK_NOT_FOUND` for an unknown
//! endpoint.

use std::time::Duration;

use serde_json::json;
use tessera_testkit::{assert_error, field_codes, id_of, publish, time_of};

use crate::support::{
    Receiver, Reply, create_endpoint, deliveries, get_endpoint, hooks_app, hooks_path, wait_delivery,
};

#[tokio::test]
async fn an_endpoint_created_the_seed_way_has_its_name() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    // Seed 000's SDK: createWebhook({ name, url, events }).
    let body = json!({ "name": "User Events", "url": "http://127.0.0.1:9/members",
                       "events": ["user.created", "user.updated", "invitation.accepted"] });

    let ep = create_endpoint(&owner, org, body).await;

    assert_eq!(ep["name"], "User Events");
    assert!(ep["lastTriggeredAt"].is_null(), "{ep}");
    assert!(ep["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = id_of(&ep);
    let renamed = owner.client.patch(&hooks_path(org, &format!("/{id}")), &json!({ "name": "People" })).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(get_endpoint(&owner, org, &id).await["name"], "People");
    let cleared = owner.client.patch(&hooks_path(org, &format!("/{id}")), &json!({ "name": null })).await;
    assert!(cleared.data()["name"].is_null(), "{}", cleared.text);
    let long = owner.client.patch(&hooks_path(org, &format!("/{id}")), &json!({ "name": "n".repeat(201) })).await;
    assert_error(&long, 422, "VALIDATION_FAILED");
    assert_eq!(field_codes(&long), ["name:TOO_LONG"]);
    let wrong = owner
        .client
        .post(&hooks_path(org, ""), &json!({ "name": 7, "url": "http://127.0.0.1:9/", "events": ["*"] }))
        .await;
    assert_error(&wrong, 422, "VALIDATION_FAILED");
    assert!(get_endpoint(&owner, org, &id).await["name"].is_null(), "a refused change changed nothing");
}

#[tokio::test]
async fn deliveries_carry_the_seed_names_and_the_last_response() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::scripted(vec![Reply::Status(500)], Reply::Text("thanks".to_owned())).await;
    let ep = id_of(&create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["media.*"] })).await);

    let event = id_of(&publish(&owner.client, org, "media.created", json!({ "mediaId": "m_1" })).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["webhookId"], ep.as_str());
    assert_eq!(d["endpointId"], ep.as_str());
    assert_eq!(d["event"], "media.created");
    assert_eq!(d["payload"]["data"], json!({ "mediaId": "m_1" }));
    assert!(d["error"].is_null(), "{d}");
    let response = &d["response"];
    assert_eq!(response["statusCode"], 200, "{d}");
    assert_eq!(response["body"], "thanks");
    assert!(response["durationMs"].as_i64().unwrap() >= 0);
    assert!(response["headers"].is_object(), "{response}");
    let listed = deliveries(&owner, org, &ep).await;
    assert_eq!(
        (listed[0]["webhookId"].as_str(), listed[0]["event"].as_str()),
        (Some(ep.as_str()), Some("media.created"))
    );
    let endpoint = get_endpoint(&owner, org, &ep).await;
    assert!(time_of(&endpoint["lastTriggeredAt"]) >= time_of(&endpoint["lastSuccessAt"]), "{endpoint}");
}

#[tokio::test]
async fn a_failing_delivery_shows_its_error_and_the_endpoint_when_it_was_last_tried() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(503)).await;
    let ep = id_of(&create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["media.*"] })).await);

    let event = id_of(&publish(&owner.client, org, "media.created", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "FAILED").await;
    assert_eq!(d["attempts"], 3, "{d}");
    assert!(d["error"].as_str().unwrap().contains("503"), "{d}");
    assert_eq!(d["error"], d["lastError"]);
    assert_eq!(d["response"]["statusCode"], 503, "{d}");
    let endpoint = get_endpoint(&owner, org, &ep).await;
    assert!(endpoint["lastSuccessAt"].is_null(), "{endpoint}");
    assert!(endpoint["failingSince"].is_string(), "{endpoint}");
    let last_attempt = time_of(&d["attemptLog"][2]["attemptedAt"]);
    assert!(time_of(&endpoint["lastTriggeredAt"]) >= last_attempt, "{endpoint} after {last_attempt}");
    assert!(time_of(&endpoint["failingSince"]) < time_of(&endpoint["lastTriggeredAt"]), "{endpoint}");
}

#[tokio::test]
async fn a_delivery_whose_first_attempt_is_still_running_has_no_response() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Slow(Duration::from_secs(2))).await;
    let ep = id_of(&create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["*"] })).await);

    let res = owner.client.post_empty(&hooks_path(org, &format!("/{ep}/test"))).await;

    assert_eq!(res.status, 202, "{}", res.text);
    let d = res.data();
    assert_eq!((d["status"].as_str(), d["attempts"].as_i64()), (Some("PENDING"), Some(0)));
    assert!(d["response"].is_null() && d.as_object().unwrap().contains_key("response"), "{d}");
    assert!(d["error"].is_null());
    assert_eq!(d["event"], "webhook.test");
    let done = wait_delivery(&owner, org, &ep, d["eventId"].as_str().unwrap(), "DELIVERED").await;
    assert_eq!(done["response"]["statusCode"], 200, "{done}");
}
