//! Attempts and retries: failures retried on the schedule with the same
//! `webhook-id`, timeouts, `Retry-After`, the 16 KB response cap, manual retry
//! and recovery, and the statistics and outcome events they leave.

use std::time::Duration;

use serde_json::json;

use tessera_testkit::{id_of, publish};

use crate::support::{
    Receiver, Reply, deliveries, delivery, endpoint, hooks_app, hooks_app_with, hooks_path, wait_delivery,
    wait_org_events,
};

#[tokio::test]
async fn two_failures_then_a_success_make_one_delivery_with_three_attempts() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::scripted(vec![Reply::Status(500), Reply::Status(503)], Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "amount": 10 })).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["attempts"], 3, "{d}");
    assert_eq!(d["eventType"], "invoice.paid");
    assert_eq!(d["lastStatusCode"], 200);
    assert!(d["lastError"].is_null() && d["deliveredAt"].is_string() && d["nextAttemptAt"].is_null(), "{d}");
    assert_eq!(d["payload"]["id"], event.as_str());
    let log = d["attemptLog"].as_array().unwrap();
    let codes: Vec<_> = log.iter().map(|a| a["statusCode"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 503, 200]);
    assert!(log[0]["error"].as_str().unwrap().contains("500"), "{}", log[0]);
    assert!(log[2]["error"].is_null());
    assert!(log.iter().all(|a| a["attemptedAt"].is_string() && a["durationMs"].as_i64().unwrap() >= 0));
    assert_eq!(deliveries(&owner, org, &ep).await.len(), 1);
    let hits = rx.wait_hits(3).await;
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.header("webhook-id") == event), "the same webhook-id on every attempt");
    assert!(hits.iter().all(|h| h.body == hits[0].body), "the same body on every attempt");
    // The outcome is recorded once, with the attempts it took.
    let outcome = wait_org_events(&owner, org, "webhook.delivered", 1).await;
    assert_eq!(outcome.len(), 1);
    assert_eq!(outcome[0]["data"]["eventId"], event.as_str());
    assert_eq!(outcome[0]["data"]["deliveryId"], d["id"]);
    assert_eq!(outcome[0]["data"]["attempts"], 3);
    // The event's own page reports the delivery.
    let detail = owner.client.get(&format!("/api/v1/orgs/{org}/events/{event}")).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let reported = detail.data()["deliveries"].as_array().unwrap();
    assert_eq!(reported.len(), 1, "{}", detail.text);
    assert_eq!(
        (reported[0]["endpointId"].as_str(), reported[0]["status"].as_str()),
        (Some(ep.as_str()), Some("DELIVERED"))
    );
    let stats = owner.client.get(&hooks_path(org, &format!("/{ep}/stats"))).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let hour = &stats.data()["lastHour"];
    assert_eq!(
        (hour["attempts"].as_u64(), hour["succeeded"].as_u64(), hour["failed"].as_u64()),
        (Some(3), Some(1), Some(2))
    );
    assert!((hour["successRate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9, "{hour}");
    assert!(hour["latencyMsP50"].is_number() && hour["latencyMsP99"].is_number(), "{hour}");
    assert_eq!(stats.data()["lastDay"]["attempts"], 3);
}

#[tokio::test]
async fn an_attempt_that_outlasts_the_timeout_fails_as_a_timeout_and_is_retried() {
    let app = hooks_app_with(|cfg| {
        cfg.set("webhooks.attempt_timeout_secs", json!(1));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::scripted(vec![Reply::Slow(Duration::from_secs(3))], Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["attempts"], 2, "{d}");
    let log = d["attemptLog"].as_array().unwrap();
    assert!(log[0]["statusCode"].is_null(), "{}", log[0]);
    let error = log[0]["error"].as_str().unwrap().to_ascii_lowercase();
    assert!(error.contains("timed out") || error.contains("timeout"), "{error}");
    assert_eq!(log[1]["statusCode"], 200);
    let hits = rx.wait_hits(2).await;
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));
}

/// Publishes one event to a receiver answering `busy` once, then 200; returns the
/// delivered delivery with both attempts.
async fn delivered_after(busy: Reply) -> serde_json::Value {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::scripted(vec![busy], Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["attemptLog"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(rx.wait_hits(2).await.len(), 2);
    d
}

/// When each attempt in a delivery's `attemptLog` started (ms since the epoch), in order.
fn attempt_times(d: &serde_json::Value) -> Vec<i64> {
    let log = d["attemptLog"].as_array().unwrap_or_else(|| panic!("no attemptLog in {d}"));
    log.iter()
        .map(|a| i64::try_from(tessera_testkit::time_of(&a["attemptedAt"]).unix_timestamp_nanos() / 1_000_000).unwrap())
        .collect()
}

/// The time between the first and the second attempt, as the attempt log records them.
fn first_gap_ms(d: &serde_json::Value) -> i64 {
    let times = attempt_times(d);
    times[1] - times[0]
}

// The schedule alone would retry after about 1 s (±20%); each endpoint below asks for more.

#[tokio::test]
async fn retry_after_on_429_puts_the_next_attempt_off() {
    let d = delivered_after(Reply::WithHeaders(429, vec![("retry-after", "2".to_owned())])).await;

    let log = d["attemptLog"].as_array().unwrap();
    assert_eq!(log[0]["statusCode"], 429);
    assert_eq!(log[0]["responseHeaders"]["retry-after"], "2", "{}", log[0]);
    assert_eq!(log[1]["statusCode"], 200);
    let gap = first_gap_ms(&d);
    assert!(gap >= 2_000, "the second attempt came {gap} ms after the first, not the 2 s asked");
}

#[tokio::test]
async fn retry_after_in_seconds_on_503_puts_the_next_attempt_off() {
    let d = delivered_after(Reply::WithHeaders(503, vec![("retry-after", "2".to_owned())])).await;

    let log = d["attemptLog"].as_array().unwrap();
    assert_eq!((log[0]["statusCode"].as_i64(), log[1]["statusCode"].as_i64()), (Some(503), Some(200)), "{d}");
    assert_eq!(log[0]["responseHeaders"]["retry-after"], "2", "{}", log[0]);
    let gap = first_gap_ms(&d);
    assert!(gap >= 2_000, "the second attempt came {gap} ms after the first, not the 2 s asked");
}

#[tokio::test]
async fn retry_after_as_an_http_date_on_503_puts_the_next_attempt_off_until_then() {
    // A date 3 s after the request; whole seconds, so at least 2 s after the attempt began.
    let d = delivered_after(Reply::RetryAtDate(503, Duration::from_secs(3))).await;

    let log = d["attemptLog"].as_array().unwrap();
    assert_eq!((log[0]["statusCode"].as_i64(), log[1]["statusCode"].as_i64()), (Some(503), Some(200)), "{d}");
    let date = log[0]["responseHeaders"]["retry-after"].as_str().unwrap_or_else(|| panic!("{}", log[0]));
    let until = httpdate::parse_http_date(date).unwrap_or_else(|e| panic!("retry-after {date}: {e}"));
    let until_ms = i64::try_from(until.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let times = attempt_times(&d);
    assert!(times[1] >= until_ms, "the second attempt began {} ms before the date asked ({date})", until_ms - times[1]);
    let gap = first_gap_ms(&d);
    assert!(gap >= 2_000, "the second attempt came {gap} ms after the first ({date} asked for more)");
}

#[tokio::test]
async fn a_large_response_body_is_kept_cut_at_16_kb() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Big(100 * 1024)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    let attempt = &d["attemptLog"][0];
    let body = attempt["responseBody"].as_str().unwrap();
    assert_eq!(body.len(), 16 * 1024);
    assert!(body.bytes().all(|b| b == b'x'));
    assert_eq!(attempt["statusCode"], 200);
    assert_eq!(attempt["responseHeaders"]["content-length"], (100 * 1024).to_string());

    // Cut inside a three-byte character: the stored text stays within the cap and is the body's prefix.
    let euros = "€".repeat(40_000);
    let rx = Receiver::start(Reply::Text(euros.clone())).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.voided"]).await);
    let event = id_of(&publish(&owner.client, org, "invoice.voided", json!({})).await);
    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    let body = d["attemptLog"][0]["responseBody"].as_str().unwrap();
    assert!(body.len() <= 16 * 1024 && body.len() > 16 * 1024 - 4, "{} bytes kept", body.len());
    assert!(euros.starts_with(body), "the kept body is not what the endpoint sent");
}

#[tokio::test]
async fn a_failed_delivery_is_sent_again_by_retry_and_by_recover_once_the_receiver_works() {
    let app = hooks_app_with(|cfg| {
        cfg.set("webhooks.retry_schedule_secs", json!([0]));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(500)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.*"]).await);
    let first = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    let second = id_of(&publish(&owner.client, org, "invoice.voided", json!({ "n": 2 })).await);
    let d1 = wait_delivery(&owner, org, &ep, &first, "FAILED").await;
    let d2 = wait_delivery(&owner, org, &ep, &second, "FAILED").await;
    assert_eq!((d1["attempts"].as_i64(), d1["lastStatusCode"].as_i64()), (Some(1), Some(500)));
    let failed = wait_org_events(&owner, org, "webhook.failed", 2).await;
    assert!(failed.iter().any(|e| e["data"]["deliveryId"] == d1["id"] && e["data"]["statusCode"] == 500));
    let filtered = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?status=FAILED"))).await;
    assert_eq!(filtered.data().as_array().unwrap().len(), 2, "{}", filtered.text);
    rx.answer(Reply::Status(200));

    let res = owner.client.post_empty(&hooks_path(org, &format!("/{ep}/deliveries/{}/retry", id_of(&d1)))).await;

    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.data()["id"], d1["id"]);
    assert!(["PENDING", "DELIVERED"].contains(&res.data()["status"].as_str().unwrap()), "{}", res.text);
    let d1 = wait_delivery(&owner, org, &ep, &first, "DELIVERED").await;
    assert_eq!(d1["attempts"], 2);
    assert_eq!(delivery(&owner, org, &ep, &id_of(&d2)).await["status"], "FAILED", "retry touches one delivery");

    let since = d1["createdAt"].as_str().unwrap();
    let res = owner.client.post(&hooks_path(org, &format!("/{ep}/recover")), &json!({ "since": since })).await;

    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.data()["queued"], 1, "only the delivery still failed: {}", res.text);
    let d2 = wait_delivery(&owner, org, &ep, &second, "DELIVERED").await;
    assert_eq!(d2["attempts"], 2);
    let res = owner.client.post(&hooks_path(org, &format!("/{ep}/recover")), &json!({ "since": since })).await;
    assert_eq!(res.data()["queued"], 0, "{}", res.text);
    let hits = rx.hits();
    assert_eq!(hits.iter().filter(|h| h.header("webhook-id") == first).count(), 2);
    assert_eq!(hits.iter().filter(|h| h.header("webhook-id") == second).count(), 2);
}

#[tokio::test]
async fn deliveries_page_newest_first_with_a_cursor_and_filters() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.*"]).await);
    let mut ids = Vec::new();
    for n in 0..5 {
        let t = if n % 2 == 0 { "invoice.paid" } else { "invoice.voided" };
        ids.push(id_of(&publish(&owner.client, org, t, json!({ "n": n })).await));
    }
    for id in &ids {
        wait_delivery(&owner, org, &ep, id, "DELIVERED").await;
    }

    let page1 = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?limit=2"))).await;
    let cursor = page1.json["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let page2 = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?limit=2&cursor={cursor}"))).await;
    let cursor = page2.json["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let page3 = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?limit=2&cursor={cursor}"))).await;

    let seen: Vec<String> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| p.data().as_array().unwrap().iter().map(|d| d["eventId"].as_str().unwrap().to_owned()))
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    assert!(page3.json["meta"]["nextCursor"].is_null(), "{}", page3.text);
    assert!(page1.data()[0].get("payload").is_none() && page1.data()[0].get("attemptLog").is_none());
    let voided = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?eventType=invoice.voided"))).await;
    assert_eq!(voided.data().as_array().unwrap().len(), 2, "{}", voided.text);
    let one = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?eventId={}", ids[2]))).await;
    assert_eq!(one.data().as_array().unwrap().len(), 1);
    assert_eq!(one.data()[0]["eventId"], ids[2].as_str());
    let none = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?status=retrying"))).await;
    assert_eq!(none.data().as_array().unwrap().len(), 0, "{}", none.text);
    let future = owner.client.get(&hooks_path(org, &format!("/{ep}/deliveries?from=2999-01-01T00:00:00Z"))).await;
    assert_eq!(future.data().as_array().unwrap().len(), 0, "{}", future.text);
}
