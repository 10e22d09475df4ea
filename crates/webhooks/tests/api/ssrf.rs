//! The SSRF guard: endpoints on this host, the private network or a metadata
//! service are refused when created or changed (no connection is made), a host
//! name is judged by the addresses it resolves to, every attempt is checked
//! again, and a redirect is never followed.

use serde_json::json;
use tessera_testkit::{assert_error, field_codes, id_of, publish, spawn_app, spawn_app_with};

use crate::support::{Receiver, Reply, endpoint, hooks_app, hooks_path, wait_delivery};

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
    let org = app.create_org(&owner, "Acme").await.id;

    for url in REFUSED {
        let res = owner.client.post(&hooks_path(org, ""), &json!({ "url": url, "events": ["*"] })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    for url in ["ftp://example.com/", "http://user:pw@example.com/", "not a url", "file:///etc/passwd"] {
        let res = owner.client.post(&hooks_path(org, ""), &json!({ "url": url, "events": ["*"] })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    let list = owner.client.get(&hooks_path(org, "")).await;
    assert_eq!(list.json["meta"]["total"], 0, "{}", list.text);
}

#[tokio::test]
async fn a_changed_url_passes_the_same_guard() {
    // Only loopback is allowed here: private ranges stay refused.
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = endpoint(&owner, org, &rx.url(), &["*"]).await;

    for url in ["http://10.0.0.1/", "http://169.254.169.254/latest", "http://[::ffff:10.0.0.1]/"] {
        let res = owner.client.patch(&hooks_path(org, &format!("/{}", id_of(&ep))), &json!({ "url": url })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    }
    let got = owner.client.get(&hooks_path(org, &format!("/{}", id_of(&ep)))).await;
    assert_eq!(got.data()["url"], rx.url().as_str());
}

#[tokio::test]
async fn a_redirect_is_recorded_as_a_failure_and_not_followed() {
    let app = hooks_app_with_one_attempt().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let target = Receiver::start(Reply::Status(200)).await;
    let redirector = Receiver::start(Reply::Redirect(format!("http://127.0.0.1:{}/", target.port))).await;
    let ep = id_of(&endpoint(&owner, org, &redirector.url(), &["invoice.paid"]).await);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "FAILED").await;
    let attempt = &d["attemptLog"][0];
    assert_eq!(attempt["statusCode"], 302, "{d}");
    assert!(attempt["error"].as_str().unwrap().contains("302"), "{attempt}");
    assert_eq!(attempt["responseHeaders"]["location"], format!("http://127.0.0.1:{}/", target.port));
    assert_eq!(redirector.hits().len(), 1);
    assert!(target.hits().is_empty(), "the redirect was followed");
}

/// This machine's host name, which its /etc/hosts maps to 127.0.0.1. Checked to
/// resolve to loopback addresses only, so the tests below never connect elsewhere.
async fn loopback_host_name() -> String {
    let name = match std::process::Command::new("hostname").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_owned(),
    };
    assert!(!name.is_empty(), "neither `hostname` nor /etc/hostname gives this machine's host name");
    let addrs: Vec<_> = tokio::net::lookup_host((name.as_str(), 80))
        .await
        .unwrap_or_else(|e| panic!("the host name {name:?} does not resolve ({e}); map it to 127.0.0.1 in /etc/hosts"))
        .collect();
    assert!(
        !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()),
        "the host name {name:?} resolves to {addrs:?}, not to loopback only; these tests need it mapped to \
         127.0.0.1 in /etc/hosts (they never connect anywhere else)"
    );
    name
}

#[tokio::test]
async fn a_host_name_resolving_to_loopback_is_refused_unless_loopback_is_allowed() {
    let host = loopback_host_name().await;
    let rx = Receiver::start(Reply::Status(200)).await;
    let url = format!("http://{host}:{}/hook", rx.port);

    // Loopback not allowed: the name is resolved when the endpoint is created, and refused.
    let guarded = spawn_app().await;
    let owner = guarded.signed_up_user().await;
    let org = guarded.create_org(&owner, "Acme").await.id;
    let res = owner.client.post(&hooks_path(org, ""), &json!({ "url": url, "events": ["*"] })).await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(field_codes(&res), ["url:URL_NOT_ALLOWED"], "{url}: {}", res.text);
    assert!(res.text.contains("loopback"), "the refusal says why: {}", res.text);
    let list = owner.client.get(&hooks_path(org, "")).await;
    assert_eq!(list.json["meta"]["total"], 0, "{}", list.text);

    // With 127.0.0.0/8 allowed, the same URL is accepted and delivered to.
    let allowed = hooks_app().await;
    let owner = allowed.signed_up_user().await;
    let org = allowed.create_org(&owner, "Acme").await.id;
    let ep = id_of(&endpoint(&owner, org, &url, &["invoice.paid"]).await);
    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({})).await);

    let d = wait_delivery(&owner, org, &ep, &event, "DELIVERED").await;
    assert_eq!(d["attemptLog"][0]["statusCode"], 200, "{d}");
    let hits = rx.wait_hits(1).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].event_id(), event);
    assert_eq!(hits[0].header("host"), format!("{host}:{}", rx.port));
}

#[tokio::test]
async fn every_attempt_is_checked_again_so_targets_accepted_while_allowed_are_refused_once_not() {
    let host = loopback_host_name().await;
    let (by_ip_rx, by_name_rx) = (Receiver::start(Reply::Status(200)).await, Receiver::start(Reply::Status(200)).await);
    let mut first = hooks_app().await;
    let owner = first.signed_up_user().await;
    let org = first.create_org(&owner, "Acme").await.id;
    let by_ip = id_of(&endpoint(&owner, org, &by_ip_rx.url(), &["invoice.paid"]).await);
    let name_url = format!("http://{host}:{}/hook", by_name_rx.port);
    let by_name = id_of(&endpoint(&owner, org, &name_url, &["invoice.paid"]).await);
    let before = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    wait_delivery(&owner, org, &by_ip, &before, "DELIVERED").await;
    wait_delivery(&owner, org, &by_name, &before, "DELIVERED").await;

    // The same database and data dir, served without the allowance.
    first.halt().await;
    let second = spawn_app_with(|cfg| {
        cfg.set("database.url", json!(first.database_url))
            .set("data.dir", json!(first.data_dir))
            .set("webhooks.retry_schedule_secs", json!([0]));
    })
    .await;
    let owner = second.login(&owner.email, &owner.password).await;
    let after = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 2 })).await);

    for ep in [&by_ip, &by_name] {
        let d = wait_delivery(&owner, org, ep, &after, "FAILED").await;
        let log = d["attemptLog"].as_array().unwrap();
        assert_eq!(log.len(), 1, "{d}");
        assert!(log[0]["statusCode"].is_null(), "no request was made: {d}");
        let error = log[0]["error"].as_str().unwrap_or_default();
        assert!(error.contains("127.0.0.1") && error.contains("loopback"), "{error}");
        assert_eq!(d["lastError"], error);
    }
    for rx in [&by_ip_rx, &by_name_rx] {
        let got: Vec<String> = rx.hits().iter().map(|h| h.event_id()).collect();
        assert_eq!(got, [before.as_str()], "only the event sent while loopback was allowed arrived");
    }
}

async fn hooks_app_with_one_attempt() -> tessera_testkit::TestApp {
    crate::support::hooks_app_with(|cfg| {
        cfg.set("webhooks.retry_schedule_secs", json!([0]));
    })
    .await
}
