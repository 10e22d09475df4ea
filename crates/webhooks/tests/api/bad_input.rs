//! Bad input gets a coded 400/404/422, never a 500: malformed JSON, wrong types,
//! unknown fields, out-of-range values, bad query parameters, unknown ids.

use reqwest::Method;
use serde_json::json;

use tessera_testkit::{assert_error, field_codes, id_of, publish};

use crate::support::{Receiver, Reply, endpoint, hooks_app, hooks_path, wait_delivery};

#[tokio::test]
async fn malformed_json_is_400_and_wrong_fields_are_422() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["*"]).await);
    let url = rx.url();

    for (method, path) in [
        (Method::POST, hooks_path(org, "")),
        (Method::PATCH, hooks_path(org, &format!("/{ep}"))),
        (Method::POST, hooks_path(org, &format!("/{ep}/rotate-secret"))),
        (Method::POST, hooks_path(org, &format!("/{ep}/recover"))),
    ] {
        let res = owner.client.send_raw(method.clone(), &path, "application/json", r#"{"url": "#).await;
        assert_error(&res, 400, "INVALID_JSON");
        let res = owner.client.send_raw(method, &path, "application/json", "[1, 2]").await;
        assert_error(&res, 422, "VALIDATION_FAILED");
    }

    let cases = [
        (json!({ "url": 5, "events": ["*"] }), "url:INVALID_TYPE"),
        (json!({ "url": url, "events": "invoice.paid" }), "events:INVALID_TYPE"),
        (json!({ "url": url }), "events:REQUIRED"),
        (json!({ "url": url, "events": ["*"], "color": "red" }), "color:UNKNOWN_FIELD"),
        (json!({ "url": url, "events": ["*"], "isActive": "yes" }), "isActive:INVALID_TYPE"),
        (json!({ "url": url, "events": ["*"], "headers": { "x-a": 1 } }), "headers.x-a:INVALID_TYPE"),
        (json!({ "url": url, "events": [] }), "events:INVALID"),
        (json!({ "url": url, "events": ["Invoice.Paid"] }), "events:INVALID"),
        (json!({ "url": url, "events": ["invoice"] }), "events:INVALID"),
        (json!({ "url": url, "events": ["*"], "rateLimitPerSecond": 0 }), "rateLimitPerSecond:OUT_OF_RANGE"),
        (json!({ "url": url, "events": ["*"], "signing": "rsa" }), "signing:INVALID"),
        (json!({ "url": url, "events": ["*"], "metadata": [1] }), "metadata:INVALID"),
        (json!({ "url": url, "events": ["*"], "description": "d".repeat(501) }), "description:TOO_LONG"),
        (json!({ "url": format!("{url}?{}", "a".repeat(2100)), "events": ["*"] }), "url:TOO_LONG"),
    ];
    for (body, expected) in cases {
        let res = owner.client.post(&hooks_path(org, ""), &body).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert!(field_codes(&res).contains(&expected.to_owned()), "{expected}: {}", res.text);
    }
    let patch = hooks_path(org, &format!("/{ep}"));
    for (body, expected) in [
        (json!({ "secret": "whsec_x" }), "secret:UNKNOWN_FIELD"),
        (json!({ "events": [] }), "events:INVALID"),
        (json!({ "rateLimitPerSecond": 10_001 }), "rateLimitPerSecond:OUT_OF_RANGE"),
        (json!({ "isActive": "no" }), "isActive:INVALID_TYPE"),
    ] {
        let res = owner.client.patch(&patch, &body).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert!(field_codes(&res).contains(&expected.to_owned()), "{expected}: {}", res.text);
    }
    let rotate = hooks_path(org, &format!("/{ep}/rotate-secret"));
    let res = owner.client.post(&rotate, &json!({ "graceHours": 721 })).await;
    assert_eq!(field_codes(&res), ["graceHours:OUT_OF_RANGE"], "{}", res.text);
    let res = owner.client.post(&rotate, &json!({ "graceHours": -1 })).await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    let recover = hooks_path(org, &format!("/{ep}/recover"));
    let res = owner.client.post(&recover, &json!({ "since": "yesterday" })).await;
    assert_eq!(field_codes(&res), ["since:INVALID"], "{}", res.text);
    let res = owner.client.post(&recover, &json!({})).await;
    assert_eq!(field_codes(&res), ["since:REQUIRED"], "{}", res.text);

    // Nothing was created or changed.
    let list = owner.client.get(&hooks_path(org, "")).await;
    assert_eq!(list.json["meta"]["total"], 1, "{}", list.text);
    let got = owner.client.get(&patch).await;
    assert_eq!(got.data()["events"], json!(["*"]));
    assert!(got.data()["previousSecretUntil"].is_null(), "{}", got.text);
}

#[tokio::test]
async fn bad_query_parameters_are_422() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let ep = id_of(&endpoint(&owner, org, "http://127.0.0.1:9/x", &["*"]).await);
    let list = hooks_path(org, &format!("/{ep}/deliveries"));

    for (query, expected) in [
        ("limit=0", "limit:OUT_OF_RANGE"),
        ("limit=201", "limit:OUT_OF_RANGE"),
        ("limit=ten", "limit:INVALID"),
        ("status=LOST", "status:INVALID"),
        ("eventId=42", "eventId:INVALID"),
        ("from=yesterday", "from:INVALID"),
        ("to=2026-13-01T00:00:00Z", "to:INVALID"),
        ("cursor=not-a-cursor", "cursor:INVALID_CURSOR"),
        ("colour=red", "colour:UNKNOWN_FIELD"),
    ] {
        let res = owner.client.get(&format!("{list}?{query}")).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert!(field_codes(&res).contains(&expected.to_owned()), "{query}: {}", res.text);
    }
    for query in ["page=0", "page=9223372036854775808", "limit=0", "limit=1000"] {
        let res = owner.client.get(&hooks_path(org, &format!("?{query}"))).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_and_400() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);
    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    let delivery = id_of(&wait_delivery(&owner, org, &ep, &event, "DELIVERED").await);
    let ghost = uuid::Uuid::now_v7().to_string();

    let c = &owner.client;
    let since = json!({ "since": "2020-01-01T00:00:00Z" });
    for res in [
        c.get(&hooks_path(org, &format!("/{ghost}"))).await,
        c.patch(&hooks_path(org, &format!("/{ghost}")), &json!({ "description": "x" })).await,
        c.delete(&hooks_path(org, &format!("/{ghost}"))).await,
        c.post_empty(&hooks_path(org, &format!("/{ghost}/rotate-secret"))).await,
        c.post_empty(&hooks_path(org, &format!("/{ghost}/test"))).await,
        c.get(&hooks_path(org, &format!("/{ghost}/stats"))).await,
        c.get(&hooks_path(org, &format!("/{ghost}/deliveries"))).await,
        c.post(&hooks_path(org, &format!("/{ghost}/recover")), &since).await,
        c.get(&hooks_path(org, &format!("/{ghost}/deliveries/{delivery}"))).await,
        c.post_empty(&hooks_path(org, &format!("/{ghost}/deliveries/{delivery}/retry"))).await,
    ] {
        assert_error(&res, 404, "WEBHOOK_NOT_FOUND");
    }
    for res in [
        c.get(&hooks_path(org, &format!("/{ep}/deliveries/{ghost}"))).await,
        c.post_empty(&hooks_path(org, &format!("/{ep}/deliveries/{ghost}/retry"))).await,
    ] {
        assert_error(&res, 404, "DELIVERY_NOT_FOUND");
    }
    assert_error(&c.get(&format!("/api/v1/orgs/{ghost}/webhooks")).await, 404, "NOT_FOUND");
    for path in [format!("/{ep}x"), format!("/{ep}/deliveries/123"), "/not-an-id/stats".to_owned()] {
        let res = c.get(&hooks_path(org, &path)).await;
        assert_eq!(res.status, 400, "{path}: {}", res.text);
        res.error_code();
    }
    let res = app.anonymous().get(&hooks_path(org, "")).await;
    assert_error(&res, 401, "UNAUTHORIZED");
    assert_eq!(rx.hits().len(), 1, "nothing was sent again");
}
