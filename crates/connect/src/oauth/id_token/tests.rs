use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use super::*;

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://idp.example";

struct Issuer {
    kid: &'static str,
    signing: SigningKey,
}

impl Issuer {
    fn new(kid: &'static str, seed: u8) -> Self {
        Self { kid, signing: SigningKey::from_bytes(&[seed; 32]) }
    }

    fn jwks(&self) -> JwkSet {
        let x = URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes());
        serde_json::from_value(json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA", "use": "sig" }] }))
            .unwrap()
    }

    fn sign(&self, claims: &Value) -> String {
        let der = self.signing.to_pkcs8_der().unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap()
    }
}

fn claims() -> Value {
    json!({ "iss": ISSUER, "sub": "user-1", "aud": "client-1", "exp": NOW + 300, "iat": NOW, "nonce": "n0nce",
            "email": "ada@example.test", "email_verified": true, "name": "Ada" })
}

fn expected() -> Expected<'static> {
    Expected { issuer: ISSUER, client_id: "client-1", nonce: "n0nce", now_secs: NOW }
}

fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut c = claims();
    change(c.as_object_mut().unwrap());
    c
}

#[test]
fn a_token_from_the_issuer_for_this_client_and_flow_is_accepted() {
    let idp = Issuer::new("k1", 7);
    let id = validate(&idp.sign(&claims()), &idp.jwks(), &expected()).unwrap();
    assert_eq!(id.subject, "user-1");
    assert_eq!(id.email.as_deref(), Some("ada@example.test"));
    assert!(id.email_verified);
    assert_eq!(id.name.as_deref(), Some("Ada"));
    // Cognito writes the flag as a string; anything but true is not verified.
    let cognito = with(|c| {
        c.insert("email_verified".into(), json!("true"));
    });
    assert!(validate(&idp.sign(&cognito), &idp.jwks(), &expected()).unwrap().email_verified);
    let unsure = with(|c| {
        c.insert("email_verified".into(), json!("yes"));
    });
    assert!(!validate(&idp.sign(&unsure), &idp.jwks(), &expected()).unwrap().email_verified);
    let within_leeway = with(|c| {
        c.insert("exp".into(), json!(NOW - 30));
    });
    assert!(validate(&idp.sign(&within_leeway), &idp.jwks(), &expected()).is_ok());
}

#[test]
fn a_token_with_another_nonce_audience_issuer_or_time_is_refused() {
    let idp = Issuer::new("k1", 7);
    let check = |claims: Value| validate(&idp.sign(&claims), &idp.jwks(), &expected()).unwrap_err();
    assert_eq!(check(with(|c| drop(c.insert("nonce".into(), json!("replayed"))))), IdTokenError::Claim("nonce"));
    assert_eq!(check(with(|c| drop(c.remove("nonce")))), IdTokenError::Claim("nonce"));
    assert_eq!(check(with(|c| drop(c.insert("aud".into(), json!("another-client"))))), IdTokenError::Claim("aud"));
    assert_eq!(check(with(|c| drop(c.insert("aud".into(), json!(["client-1", "other"]))))), IdTokenError::Claim("azp"));
    let azp = with(|c| {
        c.insert("aud".into(), json!(["client-1", "other"]));
        c.insert("azp".into(), json!("client-1"));
    });
    assert!(validate(&idp.sign(&azp), &idp.jwks(), &expected()).is_ok());
    assert_eq!(
        check(with(|c| drop(c.insert("iss".into(), json!("https://evil.example"))))),
        IdTokenError::Claim("iss")
    );
    assert_eq!(check(with(|c| drop(c.insert("exp".into(), json!(NOW - 61))))), IdTokenError::Expired);
    assert_eq!(check(with(|c| drop(c.insert("iat".into(), json!(NOW + 3600))))), IdTokenError::Claim("iat"));
    assert_eq!(check(with(|c| drop(c.remove("sub")))), IdTokenError::Malformed);
}

#[test]
fn a_token_not_signed_by_the_issuers_key_is_refused() {
    let idp = Issuer::new("k1", 7);
    let forger = Issuer::new("k1", 8);
    assert_eq!(validate(&forger.sign(&claims()), &idp.jwks(), &expected()).unwrap_err(), IdTokenError::Signature);
    let stranger = Issuer::new("k9", 8);
    assert_eq!(validate(&stranger.sign(&claims()), &idp.jwks(), &expected()).unwrap_err(), IdTokenError::UnknownKey);

    // The issuer's public key used as an HMAC secret (algorithm confusion).
    let public = idp.signing.verifying_key().to_bytes();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let confused = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&public)).unwrap();
    assert_eq!(validate(&confused, &idp.jwks(), &expected()).unwrap_err(), IdTokenError::Algorithm);

    // `alg: none` with no signature.
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    assert!(validate(&format!("{head}.{body}."), &idp.jwks(), &expected()).is_err());
    assert_eq!(validate("not a token", &idp.jwks(), &expected()).unwrap_err(), IdTokenError::Malformed);
}
