//! Endpoints that stop working are turned off: at once when they answer 410
//! Gone, or after `disable_after_days` without a success; the organization's
//! owners and admins are told by mail, and the endpoint gets nothing more until
//! it is turned back on. One created inactive likewise gets nothing until turned on.

use serde_json::{Value, json};

use tessera_testkit::{fresh_email, id_of, publish};

use crate::support::{
    Receiver, Reply, create_endpoint, deliveries, endpoint, get_endpoint, hooks_app, hooks_path, wait_delivery,
    wait_disabled, wait_org_events,
};

#[tokio::test]
async fn an_endpoint_answering_410_is_disabled_as_gone_and_its_delivery_fails() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let gone = Receiver::start(Reply::Status(410)).await;
    let ok = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &gone.url(), &["invoice.*"]).await);
    let sentinel = id_of(&endpoint(&owner, org, &ok.url(), &["invoice.*"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "FAILED").await;
    assert_eq!((d["attempts"].as_i64(), d["lastStatusCode"].as_i64()), (Some(1), Some(410)), "{d}");
    let e = wait_disabled(&owner, org, &ep).await;
    assert_eq!(e["disabledReason"], "gone");
    let disabled = wait_org_events(&owner, org, "webhook.endpoint_disabled", 1).await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["data"]["endpointId"], ep.as_str());
    assert_eq!(disabled[0]["data"]["disabledReason"], "gone");
    assert_eq!(disabled[0]["data"]["isActive"], false);
    let mail = app.mail_to(&owner.email, "webhook endpoint was disabled").await;
    assert!(mail.text.contains(&ep) && mail.text.contains("410"), "{}", mail.text);
    assert_eq!(gone.hits().len(), 1, "410 is not retried");

    // A disabled endpoint gets no deliveries; the working one shows the event was fanned out.
    let later = id_of(&publish(&owner.client, org, "invoice.voided", json!({})).await);
    wait_delivery(&owner, org, &sentinel, &later, "DELIVERED").await;
    assert_eq!(deliveries(&owner, org, &ep).await.len(), 1);
    assert_eq!(gone.hits().len(), 1);

    // Turned back on, it receives again.
    gone.answer(Reply::Status(200));
    let res = owner.client.patch(&hooks_path(org, &format!("/{ep}")), &json!({ "isActive": true })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.data()["disabledReason"].is_null() && res.data()["isActive"] == true, "{}", res.text);
    let again = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "again": true })).await);
    wait_delivery(&owner, org, &ep, &again, "DELIVERED").await;
    // What failed with the 410 is sent again on request.
    let since = json!({ "since": d["createdAt"] });
    let res = owner.client.post(&hooks_path(org, &format!("/{ep}/recover")), &since).await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.data()["queued"], 1, "{}", res.text);
    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["attempts"], 2);
}

#[tokio::test]
async fn an_endpoint_failing_for_days_is_disabled_and_owners_and_admins_are_mailed() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let rx = Receiver::start(Reply::Status(500)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.*"]).await);
    let first = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    let d = wait_delivery(&owner, org, &ep, &first, "FAILED").await;
    assert_eq!(d["attempts"], 3, "three attempts on the schedule: {d}");
    let e = get_endpoint(&owner, org, &ep).await;
    assert_eq!(e["isActive"], true, "failing for seconds is not enough: {e}");
    assert!(e["failingSince"].is_string() && e["lastSuccessAt"].is_null(), "{e}");

    app.clock.advance(time::Duration::days(6));
    // Access tokens expired meanwhile.
    let owner = app.login(&owner.email, &owner.password).await;
    let second = id_of(&publish(&owner.client, org, "invoice.voided", json!({})).await);

    let e = wait_disabled(&owner, org, &ep).await;
    assert_eq!(e["disabledReason"], "failing", "{e}");
    let d = wait_delivery(&owner, org, &ep, &second, "FAILED").await;
    assert!(d["attempts"].as_i64().unwrap() >= 1, "{d}");
    for person in [&owner.email, &admin.email] {
        let mail = app.mail_to(person, "webhook endpoint was disabled").await;
        assert!(mail.text.contains(&ep) && mail.text.contains("5 days"), "{}", mail.text);
    }
    assert!(
        !app.mails().iter().any(|m| m.to.eq_ignore_ascii_case(&member.email) && m.subject.contains("disabled")),
        "members are not mailed"
    );
    let disabled = wait_org_events(&owner, org, "webhook.endpoint_disabled", 1).await;
    assert_eq!(disabled[0]["data"]["disabledReason"], "failing");
}

#[tokio::test]
async fn an_endpoint_turned_off_by_hand_gets_nothing_until_turned_on() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ok = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.*"]).await);
    let sentinel = id_of(&endpoint(&owner, org, &ok.url(), &["invoice.*"]).await);

    let res = owner.client.patch(&hooks_path(org, &format!("/{ep}")), &json!({ "isActive": false })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        (res.data()["isActive"].as_bool(), res.data()["disabledReason"].as_str()),
        (Some(false), Some("manual"))
    );
    let first = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    wait_delivery(&owner, org, &sentinel, &first, "DELIVERED").await;
    assert!(deliveries(&owner, org, &ep).await.is_empty());
    let res = owner.client.patch(&hooks_path(org, &format!("/{ep}")), &json!({ "isActive": true })).await;
    assert_eq!(res.data()["disabledReason"], serde_json::Value::Null);
    let second = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);
    wait_delivery(&owner, org, &ep, &second, "DELIVERED").await;
    assert_eq!(rx.types(), ["invoice.paid"]);
    assert_eq!(rx.hits()[0].header("webhook-id"), second);
}

#[tokio::test]
async fn an_endpoint_created_inactive_gets_nothing_until_turned_on() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ok = Receiver::start(Reply::Status(200)).await;
    let sentinel = id_of(&endpoint(&owner, org, &ok.url(), &["invoice.*"]).await);

    let created =
        create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["invoice.*"], "isActive": false })).await;

    let ep = id_of(&created);
    assert_eq!((created["isActive"].as_bool(), created["disabledReason"].as_str()), (Some(false), Some("manual")));
    let shown = get_endpoint(&owner, org, &ep).await;
    assert_eq!((shown["isActive"].as_bool(), shown["disabledReason"].as_str()), (Some(false), Some("manual")));
    let made = wait_org_events(&owner, org, "webhook.endpoint_created", 2).await;
    let made = made.iter().find(|e| e["data"]["endpointId"] == ep.as_str()).unwrap();
    assert_eq!(made["data"]["isActive"], false, "{made}");

    // Fanned out (the sentinel has it), but an inactive endpoint is given no delivery at all.
    let missed = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    wait_delivery(&owner, org, &sentinel, &missed, "DELIVERED").await;
    assert!(deliveries(&owner, org, &ep).await.is_empty());
    let detail = owner.client.get(&format!("/api/v1/orgs/{org}/events/{missed}")).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let reported: Vec<&str> =
        detail.data()["deliveries"].as_array().unwrap().iter().map(|d| d["endpointId"].as_str().unwrap()).collect();
    assert_eq!(reported, [sentinel.as_str()], "{}", detail.text);
    assert!(rx.hits().is_empty());

    let res = owner.client.patch(&hooks_path(org, &format!("/{ep}")), &json!({ "isActive": true })).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!((res.data()["isActive"].as_bool(), res.data()["disabledReason"].as_str()), (Some(true), None));
    let later = id_of(&publish(&owner.client, org, "invoice.voided", json!({ "n": 2 })).await);
    let d = wait_delivery(&owner, org, &ep, &later, "DELIVERED").await;
    assert_eq!(d["attempts"], 1, "{d}");
    let hits = rx.wait_hits(1).await;
    let got: Vec<String> = hits.iter().map(|h| h.event_id()).collect();
    assert_eq!(got, [later.as_str()], "only what happened while it was on");
    // What it missed while off never became a delivery, so there is nothing to recover.
    let since = json!({ "since": created["createdAt"] });
    let res = owner.client.post(&hooks_path(org, &format!("/{ep}/recover")), &since).await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(res.data()["queued"], 0, "{}", res.text);
    assert_eq!(deliveries(&owner, org, &ep).await.len(), 1);
}

#[tokio::test]
async fn every_owner_and_admin_is_mailed_however_many_there_are() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Crowd").await.id;
    // 105 admins, more than any one page of members holds: invited at once, each
    // accepting by creating an account.
    let admins: Vec<String> = (0..105).map(|i| fresh_email(&format!("admin-{i}"))).collect();
    let invitations: Vec<Value> = admins.iter().map(|e| json!({ "email": e, "role": "admin" })).collect();
    let res = owner
        .client
        .post(&format!("/api/v1/orgs/{org}/invitations/bulk"), &json!({ "invitations": invitations }))
        .await;
    assert_eq!(res.status, 200, "{}", &res.text[..res.text.len().min(500)]);
    assert_eq!(res.data()["summary"]["created"], 105);
    for email in &admins {
        let token = app.invitation_token(&app, email).await;
        let body = json!({ "name": "Admin", "password": "admin password for tests" });
        let res = app.anonymous().post(&format!("/api/v1/invitations/{token}/accept"), &body).await;
        assert_eq!(res.status, 200, "accept: {}", res.text);
    }
    let gone = Receiver::start(Reply::Status(410)).await;
    let ep = id_of(&endpoint(&owner, org, &gone.url(), &["invoice.*"]).await);

    id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    wait_disabled(&owner, org, &ep).await;
    for person in admins.iter().chain([&owner.email]) {
        let mail = app.mail_to(person, "webhook endpoint was disabled").await;
        assert!(mail.text.contains(&ep), "{}", mail.text);
    }
    let told = app.mails().iter().filter(|m| m.subject.contains("webhook endpoint was disabled")).count();
    assert_eq!(told, 106, "each owner and admin once");
}
