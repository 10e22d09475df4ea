//! Who may do what: `webhooks:read` and `webhooks:manage` (owners and admins
//! have both, members and viewers neither), API keys with one of them, and
//! another organization's owner, who sees nothing and changes nothing.

use serde_json::{Value, json};
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, TestResponse, TestUser, assert_error, id_of, publish};

use crate::support::{Receiver, Reply, deliveries, endpoint, get_endpoint, hooks_app, hooks_path, wait_delivery};

/// Every webhooks route for `ep` and `delivery` of `org`, sent by `user`.
async fn every_route(user: &TestUser, org: OrgId, ep: &str, delivery: &str) -> Vec<(String, TestResponse)> {
    let c = &user.client;
    let p = |rest: &str| hooks_path(org, rest);
    let since = json!({ "since": "2020-01-01T00:00:00Z" });
    vec![
        ("create".into(), c.post(&p(""), &json!({ "url": "http://127.0.0.1:9/", "events": ["*"] })).await),
        ("list".into(), c.get(&p("")).await),
        ("get".into(), c.get(&p(&format!("/{ep}"))).await),
        ("update".into(), c.patch(&p(&format!("/{ep}")), &json!({ "url": "http://127.0.0.1:9/stolen" })).await),
        ("rotate".into(), c.post(&p(&format!("/{ep}/rotate-secret")), &json!({ "graceHours": 0 })).await),
        ("test".into(), c.post_empty(&p(&format!("/{ep}/test"))).await),
        ("stats".into(), c.get(&p(&format!("/{ep}/stats"))).await),
        ("deliveries".into(), c.get(&p(&format!("/{ep}/deliveries"))).await),
        ("delivery".into(), c.get(&p(&format!("/{ep}/deliveries/{delivery}"))).await),
        ("retry".into(), c.post_empty(&p(&format!("/{ep}/deliveries/{delivery}/retry"))).await),
        ("recover".into(), c.post(&p(&format!("/{ep}/recover")), &since).await),
        ("delete".into(), c.delete(&p(&format!("/{ep}"))).await),
    ]
}

const READS: &[&str] = &["list", "get", "stats", "deliveries", "delivery"];

/// An organization with one endpoint and one delivered event: `(org, endpoint, delivery)`.
async fn victim(app: &TestApp, owner: &TestUser, rx: &Receiver) -> (OrgId, Value, String) {
    let org = app.create_org(owner, "Victim").await.id;
    let ep = endpoint(owner, org, &rx.url(), &["invoice.paid"]).await;
    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    let d = wait_delivery(owner, org, &id_of(&ep), &event, "DELIVERED").await;
    (org, ep, id_of(&d))
}

#[tokio::test]
async fn members_and_viewers_get_403_admins_may_manage() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let (org, ep, delivery) = victim(&app, &owner, &rx).await;
    let before = get_endpoint(&owner, org, &id_of(&ep)).await;

    for role in ["member", "viewer"] {
        let person = app.join_new(&owner, org, role).await;
        for (route, res) in every_route(&person, org, &id_of(&ep), &delivery).await {
            assert_eq!(res.status, 403, "{role} {route}: {}", res.text);
            assert_eq!(res.error_code(), "FORBIDDEN");
        }
    }
    assert_eq!(get_endpoint(&owner, org, &id_of(&ep)).await, before, "a refused request changed the endpoint");
    assert_eq!(rx.hits().len(), 1, "a refused request sent something");

    let admin = app.join_new(&owner, org, "admin").await;
    let created = admin.client.post(&hooks_path(org, ""), &json!({ "url": rx.url(), "events": ["a.b"] })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let listed = admin.client.get(&hooks_path(org, "")).await;
    assert_eq!(listed.json["meta"]["total"], 2, "{}", listed.text);
}

#[tokio::test]
async fn api_keys_need_the_right_webhooks_permission() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let (org, ep, delivery) = victim(&app, &owner, &rx).await;
    let key = |perms: &[&str]| {
        let body = json!({ "name": "ci", "permissions": perms });
        let owner = owner.clone();
        async move {
            let res = owner.client.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
            assert_eq!(res.status, 201, "key: {}", res.text);
            res.data()["secret"].as_str().unwrap().to_owned()
        }
    };
    let reader = TestUser { client: app.with_token(&key(&["webhooks:read"]).await), ..owner.clone() };

    for (route, res) in every_route(&reader, org, &id_of(&ep), &delivery).await {
        let expected = if READS.contains(&route.as_str()) { 200 } else { 403 };
        assert_eq!(res.status, expected, "reader {route}: {}", res.text);
    }
    let manager = app.with_token(&key(&["webhooks:manage"]).await);
    let res = manager.post(&hooks_path(org, &format!("/{}/test", id_of(&ep))), &json!({})).await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.data()["eventType"], "webhook.test");
    let hit = rx.wait_event("webhook.test").await;
    assert_eq!(hit.json()["data"]["endpointId"], ep["id"]);
}

#[tokio::test]
async fn another_organizations_owner_gets_404_everywhere_and_changes_nothing() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let (org, ep, delivery) = victim(&app, &owner, &rx).await;
    let ep_id = id_of(&ep);
    let before = get_endpoint(&owner, org, &ep_id).await;
    let stranger = app.signed_up_user().await;
    let own_org = app.create_org(&stranger, "Stranger").await.id;
    let own_rx = Receiver::start(Reply::Status(200)).await;
    let own_ep = id_of(&endpoint(&stranger, own_org, &own_rx.url(), &["invoice.paid"]).await);

    // With the victim's organization in the path.
    for (route, res) in every_route(&stranger, org, &ep_id, &delivery).await {
        assert_error(&res, 404, "NOT_FOUND");
        assert!(!res.text.contains(&ep_id), "{route} leaked: {}", res.text);
    }
    // With their own organization and the victim's endpoint or delivery.
    for (route, res) in every_route(&stranger, own_org, &ep_id, &delivery).await {
        if route == "create" || route == "list" {
            continue;
        }
        assert_error(&res, 404, "WEBHOOK_NOT_FOUND");
    }
    let c = &stranger.client;
    for res in [
        c.get(&hooks_path(own_org, &format!("/{own_ep}/deliveries/{delivery}"))).await,
        c.post_empty(&hooks_path(own_org, &format!("/{own_ep}/deliveries/{delivery}/retry"))).await,
    ] {
        assert_error(&res, 404, "DELIVERY_NOT_FOUND");
    }
    let res =
        c.post(&hooks_path(own_org, &format!("/{own_ep}/recover")), &json!({ "since": "2020-01-01T00:00:00Z" })).await;
    assert_eq!(res.data()["queued"], 0, "{}", res.text);

    assert_eq!(get_endpoint(&owner, org, &ep_id).await, before);
    let list = deliveries(&owner, org, &ep_id).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["attempts"], 1);
    assert_eq!(rx.hits().len(), 1);
    assert!(own_rx.hits().iter().all(|h| h.json()["orgId"] == own_org.to_string()));
    let listed = owner.client.get(&hooks_path(org, "")).await;
    assert_eq!(listed.json["meta"]["total"], 1, "{}", listed.text);
}
