//! The SSRF guard: endpoints on this host, the private network or a metadata
//! service are refused when created or changed (no connection is made), and a
//! redirect is never followed.

use serde_json::json;
use tessera_testkit::spawn_app;

use crate::support::{
    Receiver, Reply, assert_error, create_org, endpoint, field_codes, hooks_app, hooks_path, id_of, publish,
    wait_delivery,
};

const REFUSED: &[&str] = &[
    "http://127.0.0.1:1/",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://169.254.169.254/latest",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://127.1/",
    "http://0/",
    "http://[::]/",
    "http://api.localhost:8080/",
    "http://192.168.1.1/",
    "http://[fd00::1]/",
];

#[tokio::test]
async fn private_and_loopback_targets_are_refused_without_an_allowlist() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;

    for url in REFUSED {
        let res = owner.client.post(&hooks_path(&org, ""), &json!({ "url": url, "events": ["*"] })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    for url in ["ftp://example.com/", "http://user:pw@example.com/", "not a url", "file:///etc/passwd"] {
        let res = owner.client.post(&hooks_path(&org, ""), &json!({ "url": url, "events": ["*"] })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    let list = owner.client.get(&hooks_path(&org, "")).await;
    assert_eq!(list.json["meta"]["total"], 0, "{}", list.text);
}

#[tokio::test]
async fn a_changed_url_passes_the_same_guard() {
    // Only loopback is allowed here: private ranges stay refused.
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = endpoint(&owner, &org, &rx.url(), &["*"]).await;

    for url in ["http://10.0.0.1/", "http://169.254.169.254/latest", "http://[::ffff:10.0.0.1]/"] {
        let res = owner.client.patch(&hooks_path(&org, &format!("/{}", id_of(&ep))), &json!({ "url": url })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    let got = owner.client.get(&hooks_path(&org, &format!("/{}", id_of(&ep)))).await;
    assert_eq!(got.data()["url"], rx.url().as_str());
}

#[tokio::test]
async fn a_redirect_is_recorded_as_a_failure_and_not_followed() {
    let app = hooks_app_with_one_attempt().await;
    let owner = app.signed_up_user().await;
    let org = create_org(&owner, "Acme").await;
    let target = Receiver::start(Reply::Status(200)).await;
    let redirector = Receiver::start(Reply::Redirect(format!("http://127.0.0.1:{}/", target.port))).await;
    let ep = id_of(&endpoint(&owner, &org, &redirector.url(), &["invoice.paid"]).await);

    let event = publish(&owner, &org, "invoice.paid", json!({})).await;

    let d = wait_delivery(&owner, &org, &ep, &event, "FAILED").await;
    let attempt = &d["attemptLog"][0];
    assert_eq!(attempt["statusCode"], 302, "{d}");
    assert!(attempt["error"].as_str().unwrap().contains("302"), "{attempt}");
    assert_eq!(attempt["responseHeaders"]["location"], format!("http://127.0.0.1:{}/", target.port));
    assert_eq!(redirector.hits().len(), 1);
    assert!(target.hits().is_empty(), "the redirect was followed");
}

async fn hooks_app_with_one_attempt() -> tessera_testkit::TestApp {
    crate::support::hooks_app_with(|cfg| {
        cfg.set("webhooks.retry_schedule_secs", json!([0]));
    })
    .await
}
