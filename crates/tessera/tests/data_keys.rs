//! The data key rotates while a node serves: `tessera keys rotate-data` adds a
//! key and re-seals every stored secret (signing keys, webhook secrets and
//! custom headers) under it, on the engine of `TESSERA_TEST_DB`; the running
//! node opens the re-sealed values without a restart, and `keys verify-data`
//! proves every secret opens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::json;
use support::{Scratch, Server, stderr, stdout};
use tessera_testkit::{Client, Engine, Org, TestDatabase, TestUser, fresh_email};
use tessera_webhooks::signing::{self, SigningSecret};

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver on loopback that keeps what it gets.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Waits (at most 30 s) for the `n`th delivery.
async fn nth_delivery(received: &Received, n: usize) -> (HeaderMap, Bytes) {
    for _ in 0..300 {
        if let Some(got) = received.lock().unwrap().get(n - 1).cloned() {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("delivery {n} never arrived");
}

/// Checks a delivery's signature with the endpoint's secret and its custom header.
fn assert_signed_with_headers(delivery: &(HeaderMap, Bytes), secret: &SigningSecret) {
    let (headers, body) = delivery;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("authorization"), "Bearer receiver-credential", "the sealed header opened");
    assert_eq!(header("x-plain"), "visible");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(timestamp).unwrap();
    signing::verify(
        &header("webhook-signature"),
        &[secret.verify_key()],
        &header("webhook-id"),
        timestamp,
        body,
        now,
        signing::DEFAULT_TOLERANCE,
    )
    .expect("signed with the secret shown at creation");
}

fn key_lines(scratch: &Scratch) -> usize {
    std::fs::read_to_string(scratch.data().join("keys/data.key")).unwrap().lines().count()
}

#[tokio::test]
async fn rotate_data_reseals_every_secret_while_a_node_serves_and_verify_data_proves_they_open() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.data()).unwrap();
    let db = TestDatabase::create(Engine::from_env(), &scratch.data()).await;
    let env = [("TESSERA_DATABASE_URL", db.url.as_str()), ("TESSERA_SSRF_ALLOW", "127.0.0.0/8")];
    let server = Server::start(&scratch, &env).ready().await;
    let anonymous = Client::at(&server.base);
    let email = fresh_email("keys");
    let password = "rotate the data key 4821";
    let owner = TestUser::register(&anonymous, &email, password).await;
    let org = Org::create(&owner, "Keys").await.id;
    let (url, received) = receiver().await;
    let body = json!({ "url": url, "events": ["webhook.test"],
        "headers": { "Authorization": "Bearer receiver-credential", "X-Plain": "visible" } });
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/webhooks"), &body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let endpoint = res.data()["id"].as_str().unwrap().to_owned();
    let secret = SigningSecret::parse(res.data()["secret"].as_str().unwrap()).unwrap();
    let test_path = format!("/api/v1/orgs/{org}/webhooks/{endpoint}/test");
    assert_eq!(owner.client.post_empty(&test_path).await.status, 202);
    assert_signed_with_headers(&nth_delivery(&received, 1).await, &secret);
    assert_eq!(key_lines(&scratch), 1);

    let out = scratch.run(&["keys", "rotate-data"], &env);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let summary = text.lines().find(|l| l.starts_with("data key ")).unwrap_or_else(|| panic!("no summary: {text}"));
    let kid = summary.split_whitespace().nth(2).unwrap().to_owned();
    assert!(kid.starts_with("dk-"), "{text}");
    assert_eq!(key_lines(&scratch), 2, "the new key joins the old one");
    // The signing key, the webhook secret and the two headers: 4 values, all moved.
    assert!(text.contains("4 values re-sealed"), "{text}");
    assert!(text.contains("all 4 stored secrets open; 0 are sealed under keys older than"), "{text}");
    assert!(stderr(&out).contains("re-sealed"), "progress is shown: {}", stderr(&out));

    // The node that kept serving opens what is now sealed under a key it never loaded.
    assert_eq!(owner.client.post_empty(&test_path).await.status, 202);
    assert_signed_with_headers(&nth_delivery(&received, 2).await, &secret);
    let shown = owner.client.get(&format!("/api/v1/orgs/{org}/webhooks/{endpoint}")).await;
    assert_eq!(shown.data()["headers"]["x-plain"], "visible", "{}", shown.text);

    let out = scratch.run(&["keys", "verify-data"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("all 4 stored secrets open; 0 are sealed under keys older than"), "{text}");
    assert!(text.contains(&format!("{kid}=")), "values are counted under the new key: {text}");

    // A restarted node signs tokens with the re-sealed signing key.
    drop(server);
    let server = Server::start(&scratch, &env).ready().await;
    TestUser::login(&Client::at(&server.base), &email, password).await;
}

#[tokio::test]
async fn verify_data_fails_naming_the_count_when_a_secret_does_not_open() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.data()).unwrap();
    let db = TestDatabase::create(Engine::from_env(), &scratch.data()).await;
    let env = [("TESSERA_DATABASE_URL", db.url.as_str())];
    // The first start creates the data key and seals the signing key under it.
    drop(Server::start(&scratch, &env).ready().await);
    // The data key is lost: another one takes its place.
    std::fs::remove_file(scratch.data().join("keys/data.key")).unwrap();
    let out = scratch.run(&["keys", "verify-data"], &env);

    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stderr(&out).contains("1 of 1 stored secrets do not open"), "{}", stderr(&out));
}
