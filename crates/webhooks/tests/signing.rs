//! An independent implementation agrees with `tessera_webhooks::signing`: the Python reference
//! library `standardwebhooks` verifies the HMAC signatures made here and signs ones verified here.
//! That library has no Ed25519 (`v1a`) scheme, so Python's `cryptography` stands in for it.
//! The interpreter comes from `TESSERA_TEST_PYTHON`, set by `eval "$(scripts/test-deps)"`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tessera_kernel::Clock;
use tessera_webhooks::signing::{
    DEFAULT_TOLERANCE, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, SigningSecret, VerifyError, VerifyKey,
    signature_header, verify,
};

const MSG_ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
// Non-ASCII text checks both sides sign the same UTF-8 bytes.
const BODY: &str = r#"{"type":"user.created","data":{"name":"Zoë Ångström 🦀","n":1}}"#;

/// `Webhook(secret).verify(body, headers)`; prints the parsed body.
const PY_VERIFY_HMAC: &str = r#"
import base64, json, sys
from standardwebhooks import Webhook
req = json.load(sys.stdin)
print(json.dumps(Webhook(req["secret"]).verify(base64.b64decode(req["body"]), req["headers"])))
"#;

/// Verifies the `v1a` entries of the signature header with the `whpk_` key alone.
const PY_VERIFY_ED25519: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
req = json.load(sys.stdin)
h = req["headers"]
key = Ed25519PublicKey.from_public_bytes(base64.b64decode(req["public_key"].removeprefix("whpk_")))
content = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.'.encode() + base64.b64decode(req["body"])
verified = 0
for entry in h["webhook-signature"].split(" "):
    version, sig = entry.split(",", 1)
    if version == "v1a":
        try:
            key.verify(base64.b64decode(sig), content)
            verified += 1
        except Exception:
            pass
if not verified:
    sys.exit("NO_VALID_V1A_SIGNATURE")
print(json.dumps({"verified": verified}))
"#;

/// Makes fresh keys in Python and signs with them: HMAC through `Webhook.sign`, Ed25519 by hand.
const PY_SIGN: &str = r#"
import base64, json, os, sys
from datetime import datetime, timezone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks import Webhook
req = json.load(sys.stdin)
secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
when = datetime.fromtimestamp(req["timestamp"], tz=timezone.utc)
hmac_sig = Webhook(secret).sign(req["msg_id"], when, req["body"])
ed = Ed25519PrivateKey.generate()
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
public = "whpk_" + base64.b64encode(ed.public_key().public_bytes(*raw)).decode()
content = f'{req["msg_id"]}.{req["timestamp"]}.{req["body"]}'.encode()
ed_sig = "v1a," + base64.b64encode(ed.sign(content)).decode()
print(json.dumps({"secret": secret, "hmac": hmac_sig, "public_key": public, "ed25519": ed_sig}))
"#;

/// Runs `script` with `input` as JSON on stdin: its JSON output, or its stderr when it fails.
fn python(script: &str, input: &Value) -> Result<Value, String> {
    let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "TESSERA_TEST_PYTHON is unset: these tests check signatures against the Python \
             reference library; run `eval \"$(scripts/test-deps)\"` first"
        )
    });
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {python}: {e} (scripts/test-deps installs standardwebhooks)"));
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("ModuleNotFoundError"), "{python} lacks a module: {stderr}");
    if out.status.success() { Ok(serde_json::from_slice(&out.stdout).unwrap()) } else { Err(stderr) }
}

fn now_secs() -> i64 {
    Clock::system().now_secs()
}

fn delivery(timestamp: i64, signature: &str, body: &str) -> Value {
    json!({
        "body": STANDARD.encode(body),
        "headers": { HEADER_ID: MSG_ID, HEADER_TIMESTAMP: timestamp.to_string(), HEADER_SIGNATURE: signature },
    })
}

fn python_verifies_hmac(secret: &SigningSecret, timestamp: i64, signature: &str, body: &str) -> Result<Value, String> {
    let mut input = delivery(timestamp, signature, body);
    input["secret"] = json!(*secret.to_secret_string());
    python(PY_VERIFY_HMAC, &input)
}

fn python_verifies_ed25519(public_key: &str, timestamp: i64, signature: &str, body: &str) -> Result<Value, String> {
    let mut input = delivery(timestamp, signature, body);
    input["public_key"] = json!(public_key);
    python(PY_VERIFY_ED25519, &input)
}

#[test]
fn the_reference_library_verifies_hmac_signatures_made_here() {
    let secret = SigningSecret::generate_hmac();
    let ts = now_secs();
    let signature = secret.sign(MSG_ID, ts, BODY.as_bytes());

    let parsed = python_verifies_hmac(&secret, ts, &signature, BODY).unwrap();

    assert_eq!(parsed, serde_json::from_str::<Value>(BODY).unwrap());
    let tampered = BODY.replace("\"n\":1", "\"n\":2");
    let err = python_verifies_hmac(&secret, ts, &signature, &tampered).unwrap_err();
    assert!(err.contains("No matching signature found"), "{err}");
    let err = python_verifies_hmac(&SigningSecret::generate_hmac(), ts, &signature, BODY).unwrap_err();
    assert!(err.contains("No matching signature found"), "{err}");
}

#[test]
fn during_rotation_the_reference_library_accepts_a_header_whose_second_signature_it_knows() {
    let old = SigningSecret::generate_hmac();
    let new = SigningSecret::generate_hmac();
    let ts = now_secs();

    let header = signature_header(&[&old, &new], MSG_ID, ts, BODY.as_bytes());

    assert_eq!(header.split(' ').count(), 2);
    assert!(python_verifies_hmac(&new, ts, &header, BODY).is_ok());
    assert!(python_verifies_hmac(&old, ts, &header, BODY).is_ok());
    let err = python_verifies_hmac(&SigningSecret::generate_hmac(), ts, &header, BODY).unwrap_err();
    assert!(err.contains("No matching signature found"), "{err}");
}

#[test]
fn ed25519_signatures_made_here_verify_in_python_from_the_public_key_alone() {
    let hmac = SigningSecret::generate_hmac();
    let ed = SigningSecret::generate_ed25519();
    let public = ed.public_key_string().unwrap();
    let ts = now_secs();

    // Moving from HMAC to Ed25519: the header carries both.
    let header = signature_header(&[&hmac, &ed], MSG_ID, ts, BODY.as_bytes());

    assert_eq!(python_verifies_ed25519(&public, ts, &header, BODY).unwrap()["verified"], 1);
    // The reference library skips the `v1a` entry and checks the `v1` one.
    assert!(python_verifies_hmac(&hmac, ts, &header, BODY).is_ok());
    let err = python_verifies_ed25519(&public, ts + 1, &header, BODY).unwrap_err();
    assert!(err.contains("NO_VALID_V1A_SIGNATURE"), "{err}");
    let other = SigningSecret::generate_ed25519().public_key_string().unwrap();
    assert!(python_verifies_ed25519(&other, ts, &header, BODY).is_err());
}

#[test]
fn signatures_made_by_python_with_its_own_keys_verify_here() {
    let ts = now_secs();
    let signed = python(PY_SIGN, &json!({ "msg_id": MSG_ID, "timestamp": ts, "body": BODY })).unwrap();
    let hmac_key = VerifyKey::parse(signed["secret"].as_str().unwrap()).unwrap();
    let ed_key = VerifyKey::parse(signed["public_key"].as_str().unwrap()).unwrap();
    let hmac_sig = signed["hmac"].as_str().unwrap();
    let ed_sig = signed["ed25519"].as_str().unwrap();
    let now = Clock::system().now();
    let check = |sig: &str, key: &VerifyKey, ts: i64, body: &str| {
        verify(sig, std::slice::from_ref(key), MSG_ID, ts, body.as_bytes(), now, DEFAULT_TOLERANCE)
    };

    assert_eq!(check(hmac_sig, &hmac_key, ts, BODY), Ok(()));
    assert_eq!(check(ed_sig, &ed_key, ts, BODY), Ok(()));
    let both = format!("{hmac_sig} {ed_sig}");
    assert_eq!(check(&both, &ed_key, ts, BODY), Ok(()));
    assert_eq!(check(&both, &hmac_key, ts, BODY), Ok(()));
    let no = Err(VerifyError::NoMatchingSignature);
    assert_eq!(check(hmac_sig, &hmac_key, ts, "{}"), no);
    assert_eq!(check(ed_sig, &ed_key, ts - 1, BODY), no);
    assert_eq!(check(ed_sig, &hmac_key, ts, BODY), no);
    // Python's secret signs here exactly as it does there.
    let secret = SigningSecret::parse(signed["secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.sign(MSG_ID, ts, BODY.as_bytes()), hmac_sig);
}
