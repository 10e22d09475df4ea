use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::routing::get;
use serde_json::{Value, json};

use super::*;

/// An issuer on loopback: its discovery document names `issuer_override` when
/// set (a document served for someone else), and its key set can change.
struct FakeIssuer {
    base: String,
    keys: Arc<Mutex<Value>>,
    key_fetches: Arc<AtomicUsize>,
}

fn jwk(kid: &str) -> Value {
    json!({ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": kid })
}

async fn fake_issuer(issuer_override: Option<&str>) -> FakeIssuer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = issuer_override.map_or_else(|| base.clone(), str::to_owned);
    let keys = Arc::new(Mutex::new(json!({ "keys": [jwk("k1")] })));
    let key_fetches = Arc::new(AtomicUsize::new(0));
    let doc = json!({
        "issuer": issuer, "authorization_endpoint": format!("{base}/auth"), "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"), "end_session_endpoint": format!("{base}/logout"),
        "code_challenge_methods_supported": ["S256"], "response_types_supported": ["code"],
    });
    let (served, counter) = (keys.clone(), key_fetches.clone());
    let app =
        axum::Router::new().route("/.well-known/openid-configuration", get(move || async move { Json(doc) })).route(
            "/jwks",
            get(move || {
                let (served, counter) = (served.clone(), counter.clone());
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let keys = served.lock().unwrap().clone();
                    Json(keys)
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeIssuer { base, keys, key_fetches }
}

fn loopback_allowed() -> Outbound {
    Outbound::new(SsrfGuard::new("127.0.0.0/8").unwrap()).unwrap()
}

#[tokio::test]
async fn discovery_reads_the_issuers_document_and_refuses_one_naming_another_issuer() {
    let idp = fake_issuer(None).await;
    let doc = discover(&loopback_allowed(), &idp.base).await.unwrap();
    assert_eq!(doc.issuer, idp.base);
    assert_eq!(doc.token_endpoint, format!("{}/token", idp.base));
    assert_eq!(doc.end_session_endpoint, Some(format!("{}/logout", idp.base)));
    assert_eq!(doc.code_challenge_methods_supported, ["S256"]);

    let impostor = fake_issuer(Some("https://accounts.google.com")).await;
    let err = discover(&loopback_allowed(), &impostor.base).await.unwrap_err();
    assert!(
        matches!(err, FetchError::IssuerMismatch { ref found, .. } if found == "https://accounts.google.com"),
        "{err}"
    );
}

#[tokio::test]
async fn the_ssrf_guard_refuses_an_issuer_on_a_blocked_address_before_connecting() {
    let idp = fake_issuer(None).await;
    let guarded = Outbound::new(SsrfGuard::new("").unwrap()).unwrap();
    let err = discover(&guarded, &idp.base).await.unwrap_err();
    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    assert_eq!(idp.key_fetches.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn keys_are_cached_and_fetched_again_once_for_a_key_id_the_issuer_rotated_in() {
    let idp = fake_issuer(None).await;
    let issuers = Issuers::new(loopback_allowed());
    let keys = issuers.keys(&idp.base, Some("k1")).await.unwrap();
    assert!(keys.find("k1").is_some());
    issuers.keys(&idp.base, Some("k1")).await.unwrap();
    assert_eq!(idp.key_fetches.load(Ordering::SeqCst), 1, "cached");

    *idp.keys.lock().unwrap() = json!({ "keys": [jwk("k1"), jwk("k2")] });
    let keys = issuers.keys(&idp.base, Some("k2")).await.unwrap();
    assert!(keys.find("k2").is_some(), "an unknown key id fetched the set again");
    assert_eq!(idp.key_fetches.load(Ordering::SeqCst), 2);

    // A key id nobody publishes does not make every token a fetch.
    for _ in 0..5 {
        let keys = issuers.keys(&idp.base, Some("forged")).await.unwrap();
        assert!(keys.find("forged").is_none());
    }
    assert_eq!(idp.key_fetches.load(Ordering::SeqCst), 2);
}
