//! What a receiver gets is a Standard Webhooks request: the envelope, the
//! headers, and signatures that both `tessera_webhooks::signing::verify` and an
//! independent implementation (the Python reference library `standardwebhooks`
//! for `v1`; Python's `cryptography` for `v1a`, which that library lacks) accept,
//! with HMAC and Ed25519 secrets, before and after a rotation.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, id_of, publish};
use tessera_webhooks::signing::{DEFAULT_TOLERANCE, VerifyKey, verify};

use crate::support::{Hit, Receiver, Reply, create_endpoint, hooks_app, hooks_path};

/// Verifies each request of the input list; prints one `"ok"` or error text per request.
/// `v1` with `standardwebhooks.Webhook(secret).verify`, `v1a` with the `whpk_` key alone.
const PY_VERIFY: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks import Webhook
out = []
for req in json.load(sys.stdin):
    body = base64.b64decode(req["body"])
    h = req["headers"]
    try:
        if req["key"].startswith("whpk_"):
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(req["key"][5:]))
            content = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.'.encode() + body
            ok = False
            for entry in h["webhook-signature"].split(" "):
                version, sig = entry.split(",", 1)
                if version == "v1a":
                    try:
                        key.verify(base64.b64decode(sig), content)
                        ok = True
                    except Exception:
                        pass
            out.append("ok" if ok else "no valid v1a signature")
        else:
            Webhook(req["key"]).verify(body, h)
            out.append("ok")
    except Exception as e:
        out.append(f"{type(e).__name__}: {e}")
print(json.dumps(out))
"#;

/// The Python verdict on each `(hit, key)`: "ok" or why not.
fn python_verdicts(checks: &[(&Hit, &str)]) -> Vec<String> {
    let python = std::env::var("TESSERA_TEST_PYTHON")
        .unwrap_or_else(|_| panic!("TESSERA_TEST_PYTHON is unset: run `eval \"$(scripts/test-deps)\"` first"));
    let input: Vec<Value> = checks
        .iter()
        .map(|(hit, key)| json!({ "body": STANDARD.encode(&hit.body), "headers": hit.headers, "key": key }))
        .collect();
    let mut child = Command::new(&python)
        .args(["-c", PY_VERIFY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {python}: {e}"));
    child.stdin.take().unwrap().write_all(Value::from(input).to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `tessera_webhooks::signing::verify` on a received request with one key.
fn rust_verifies(app: &TestApp, hit: &Hit, key: &str) -> bool {
    let key = VerifyKey::parse(key).unwrap();
    let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
    verify(
        hit.header("webhook-signature"),
        &[key],
        hit.header("webhook-id"),
        ts,
        &hit.body,
        app.clock.now(),
        DEFAULT_TOLERANCE,
    )
    .is_ok()
}

/// Both implementations agree on `key` for `hit`, and the answer is `expected`.
#[track_caller]
fn assert_verifies(app: &TestApp, hit: &Hit, key: &str, expected: bool) {
    assert_eq!(rust_verifies(app, hit, key), expected, "tessera verify with {}…", &key[..8]);
    let verdict = python_verdicts(&[(hit, key)]).remove(0);
    assert_eq!(verdict == "ok", expected, "python verify with {}…: {verdict}", &key[..8]);
}

/// A request as the spec shapes it: envelope, ids and headers.
fn assert_standard_request(hit: &Hit, event_id: &str, org: OrgId, event_type: &str) {
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/hook");
    assert_eq!(hit.header("webhook-id"), event_id);
    assert_eq!(hit.header("user-agent"), "tessera-webhooks/0.1.0");
    assert_eq!(hit.header("content-type"), "application/json");
    let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
    assert!(ts > 1_700_000_000, "webhook-timestamp in seconds: {ts}");
    let body = hit.json();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["actor", "data", "id", "occurredAt", "orgId", "type"], "{body}");
    assert_eq!(body["id"], event_id);
    assert_eq!(body["type"], event_type);
    assert_eq!(body["orgId"], org.to_string());
}

#[tokio::test]
async fn hmac_requests_verify_here_and_with_the_reference_library() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(204)).await;
    let ep = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["invoice.*"] })).await;
    let secret = ep["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(ep["signing"], "hmac");
    assert!(ep["publicKey"].is_null());

    let event = id_of(
        &publish(&owner.client, org, "invoice.paid", json!({ "amount": 4200, "customer": "Zoë Ångström 🦀" })).await,
    );

    let hit = rx.wait_event("invoice.paid").await;
    assert_standard_request(&hit, &event, org, "invoice.paid");
    assert_eq!(hit.json()["data"], json!({ "amount": 4200, "customer": "Zoë Ångström 🦀" }));
    let signature = hit.header("webhook-signature");
    assert!(signature.starts_with("v1,") && !signature.contains(' '), "{signature}");
    assert_verifies(&app, &hit, &secret, true);
    // Neither accepts another secret, nor a changed body.
    let other = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["other.thing"] })).await;
    assert_verifies(&app, &hit, other["secret"].as_str().unwrap(), false);
    let mut tampered = hit.clone();
    tampered.body = String::from_utf8(hit.body.clone()).unwrap().replace("4200", "4201").into_bytes();
    assert_verifies(&app, &tampered, &secret, false);
}

#[tokio::test]
async fn after_a_rotation_both_hmac_secrets_verify_until_the_grace_ends() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["invoice.*"] })).await;
    let (id, old) = (id_of(&ep), ep["secret"].as_str().unwrap().to_owned());

    let res = owner.client.post(&hooks_path(org, &format!("/{id}/rotate-secret")), &json!({})).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let new = res.data()["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(res.data()["previousSecretUntil"].is_string(), "{}", res.text);
    id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 1 })).await);
    let hit = rx.wait_event("invoice.paid").await;
    let signatures: Vec<&str> = hit.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    let third = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["x.y"] })).await;
    let verdicts = python_verdicts(&[(&hit, &old), (&hit, &new), (&hit, third["secret"].as_str().unwrap())]);
    assert_eq!(verdicts[..2], ["ok", "ok"]);
    assert_ne!(verdicts[2], "ok");
    assert!(rust_verifies(&app, &hit, &old) && rust_verifies(&app, &hit, &new));

    // Without grace the old secret stops signing at once.
    let res = owner.client.post(&hooks_path(org, &format!("/{id}/rotate-secret")), &json!({ "graceHours": 0 })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let newest = res.data()["secret"].as_str().unwrap().to_owned();
    assert!(res.data()["previousSecretUntil"].is_null(), "{}", res.text);
    id_of(&publish(&owner.client, org, "invoice.voided", json!({ "n": 2 })).await);
    let hit = rx.wait_event("invoice.voided").await;
    assert_eq!(hit.header("webhook-signature").split(' ').count(), 1);
    assert_verifies(&app, &hit, &newest, true);
    assert_verifies(&app, &hit, &new, false);
}

#[tokio::test]
async fn ed25519_requests_verify_with_the_public_key_alone_also_across_a_rotation() {
    let app = hooks_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["*"], "signing": "ed25519" })).await;
    let id = id_of(&ep);
    assert!(ep["secret"].as_str().unwrap().starts_with("whsk_"), "{ep}");
    let public = ep["publicKey"].as_str().unwrap().to_owned();
    assert!(public.starts_with("whpk_"), "{ep}");
    assert_eq!(ep["signing"], "ed25519");
    // The public key stays readable; the secret does not.
    let got = owner.client.get(&hooks_path(org, &format!("/{id}"))).await;
    assert_eq!(got.data()["publicKey"], public.as_str());
    assert!(got.data().get("secret").is_none(), "{}", got.text);

    let event = id_of(&publish(&owner.client, org, "invoice.paid", json!({ "amount": 1 })).await);

    let hit = rx.wait_event("invoice.paid").await;
    assert_standard_request(&hit, &event, org, "invoice.paid");
    let signature = hit.header("webhook-signature");
    assert!(signature.starts_with("v1a,") && !signature.contains(' '), "{signature}");
    assert_verifies(&app, &hit, &public, true);
    let mut tampered = hit.clone();
    tampered.body.push(b' ');
    assert_verifies(&app, &tampered, &public, false);

    let res = owner.client.post_empty(&hooks_path(org, &format!("/{id}/rotate-secret"))).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let new_public = res.data()["publicKey"].as_str().unwrap().to_owned();
    assert!(res.data()["secret"].as_str().unwrap().starts_with("whsk_"));
    assert_ne!(new_public, public);
    id_of(&publish(&owner.client, org, "invoice.voided", json!({ "amount": 2 })).await);
    let hit = rx.wait_event("invoice.voided").await;
    let signatures: Vec<&str> = hit.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1a,")));
    assert_verifies(&app, &hit, &public, true);
    assert_verifies(&app, &hit, &new_public, true);
    let stranger = create_endpoint(&owner, org, json!({ "url": rx.url(), "events": ["a.b"], "signing": "ed25519" }))
        .await["publicKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_verifies(&app, &hit, &stranger, false);
}
