use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera_identity::api::Identity;
use tessera_identity::testing::{Claims, sign};
use tessera_testkit::{TestApp, assert_error, spawn_app};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let res = app.anonymous().get("/.well-known/jwks.json").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/jwk-set+json"));
    res.json
}

/// Verifies `token` with PyJWT, an independent implementation, from the JWKS alone.
fn verify_with_pyjwt(token: &str, jwks: &Value, issuer: &str) -> Result<Value, String> {
    let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys, jwt
token, jwks, issuer = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
kid = jwt.get_unverified_header(token)["kid"]
key = jwt.PyJWKSet.from_dict(jwks)[kid]
print(json.dumps(jwt.decode(token, key=key, algorithms=["EdDSA"], audience="tessera", issuer=issuer)))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, token, &jwks.to_string(), issuer])
        .output()
        .unwrap_or_else(|e| panic!("run {python}: {e} (scripts/test-deps installs PyJWT)"));
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test]
async fn access_tokens_verify_with_an_independent_library_from_the_jwks_alone() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let keys = jwks(&app).await;
    assert_eq!(keys["keys"][0]["kty"], "OKP");
    assert_eq!(keys["keys"][0]["crv"], "Ed25519");
    assert!(keys["keys"][0].get("d").is_none(), "no private part in the JWKS");

    let claims = verify_with_pyjwt(&user.access_token, &keys, &app.base_url).unwrap();

    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["role"], "user");
    assert_eq!(claims["aud"], "tessera");
    for c in ["sid", "jti", "iat", "exp", "nbf"] {
        assert!(!claims[c].is_null(), "{c}");
    }
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert_eq!(header_of(&user.access_token)["alg"], "EdDSA");
    // Change a character in the middle of the signature (the last one carries padding bits).
    let at = user.access_token.len() - 20;
    let flipped = if &user.access_token[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &user.access_token[..at], &user.access_token[at + 1..]);
    assert!(verify_with_pyjwt(&tampered, &keys, &app.base_url).is_err(), "PyJWT also refuses a bad signature");
}

#[tokio::test]
async fn verify_token_returns_the_claims_of_a_valid_token() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = user.client.get("/api/v1/auth/verify-token").await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["valid"], true);
    assert_eq!(res.data()["claims"]["sub"], user.id.to_string());
    assert_eq!(app.anonymous().get("/api/v1/auth/verify-token").await.status, 401);
}

fn forged(header: &Value, claims: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

async fn refused(app: &TestApp, token: &str) -> String {
    let res = app.with_token(token).get("/api/v1/auth/verify-token").await;
    assert_eq!(res.status, 401, "accepted a forged token: {}", res.text);
    let me = app.with_token(token).get("/api/v1/users/me").await;
    assert_eq!(me.status, 401);
    res.error_code().to_owned()
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let claims = claims_of(&user.access_token);
    let kid = header_of(&user.access_token)["kid"].clone();

    // alg: none, no signature.
    assert_eq!(refused(&app, &forged(&json!({"alg": "none", "typ": "JWT"}), &claims, b"")).await, "UNAUTHORIZED");
    assert_eq!(
        refused(&app, &format!("{}.", forged(&json!({"alg": "none"}), &claims, b"").trim_end_matches('.'))).await,
        "UNAUTHORIZED"
    );

    // HS256 "signed" with the public key, the classic key-confusion attack.
    let keys = jwks(&app).await;
    let x = keys["keys"][0]["x"].as_str().unwrap();
    for secret in [URL_SAFE_NO_PAD.decode(x).unwrap(), x.as_bytes().to_vec(), keys["keys"][0].to_string().into_bytes()]
    {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.as_str().map(str::to_owned);
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(refused(&app, &token).await, "UNAUTHORIZED");
    }

    // A key that is not ours, with a kid we never published.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&stranger).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("unknown-kid".into());
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap();
    assert_eq!(refused(&app, &token).await, "UNAUTHORIZED");
    // …and the same stranger claiming our kid.
    header.kid = kid.as_str().map(str::to_owned);
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap();
    assert_eq!(refused(&app, &token).await, "UNAUTHORIZED");

    // Changed claims under the real signature.
    let mut elevated = claims.clone();
    elevated["role"] = json!("admin");
    let parts: Vec<&str> = user.access_token.split('.').collect();
    let token = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(elevated.to_string()), parts[2]);
    assert_eq!(refused(&app, &token).await, "UNAUTHORIZED");

    assert_eq!(refused(&app, "not.a.jwt").await, "UNAUTHORIZED");
    assert_eq!(refused(&app, "garbage").await, "UNAUTHORIZED");
}

fn real_claims(app: &TestApp, user_token: &str) -> Claims {
    let c = claims_of(user_token);
    let now = app.clock.now_secs();
    Claims {
        iss: app.base_url.clone(),
        aud: "tessera".into(),
        sub: c["sub"].as_str().unwrap().parse().unwrap(),
        sid: c["sid"].as_str().unwrap().parse().unwrap(),
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: "test".into(),
        role: tessera_kernel::PlatformRole::User,
    }
}

#[tokio::test]
async fn correctly_signed_tokens_with_wrong_claims_are_refused() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let identity = app.service::<Identity>();
    let good = sign(&identity, &real_claims(&app, &user.access_token)).unwrap();
    assert_eq!(app.with_token(&good).get("/api/v1/users/me").await.status, 200, "the baseline is accepted");

    let mut c = real_claims(&app, &user.access_token);
    c.iss = "https://evil.example".into();
    assert_eq!(refused(&app, &sign(&identity, &c).unwrap()).await, "UNAUTHORIZED");

    let mut c = real_claims(&app, &user.access_token);
    c.aud = "another-service".into();
    assert_eq!(refused(&app, &sign(&identity, &c).unwrap()).await, "UNAUTHORIZED");

    let mut c = real_claims(&app, &user.access_token);
    c.nbf += 3600;
    c.iat += 3600;
    assert_eq!(refused(&app, &sign(&identity, &c).unwrap()).await, "UNAUTHORIZED");

    let mut c = real_claims(&app, &user.access_token);
    c.exp = c.iat - 1;
    assert_eq!(refused(&app, &sign(&identity, &c).unwrap()).await, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn an_access_token_expires_after_fifteen_minutes() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    app.clock.advance(time::Duration::minutes(14));
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 200);

    app.clock.advance(time::Duration::minutes(2));

    let res = user.client.get("/api/v1/users/me").await;
    assert_error(&res, 401, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn after_rotation_the_previous_key_still_verifies_its_tokens() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let old_kid = header_of(&user.access_token)["kid"].as_str().unwrap().to_owned();

    let new_kid = app.service::<Identity>().rotate_keys().await.unwrap();

    assert_ne!(old_kid, new_kid);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 200, "old tokens keep working");
    let fresh = app.login(&user.email, &user.password).await;
    assert_eq!(header_of(&fresh.access_token)["kid"], new_kid.as_str());
    let keys = jwks(&app).await;
    let kids: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
    assert!(verify_with_pyjwt(&user.access_token, &keys, &app.base_url).is_ok());
    assert!(verify_with_pyjwt(&fresh.access_token, &keys, &app.base_url).is_ok());

    // Once every token the old key signed has expired, it leaves the JWKS.
    app.clock.advance(time::Duration::minutes(20));
    app.service::<Identity>().reload_keys().await.unwrap();
    let keys = jwks(&app).await;
    let kids: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, vec![new_kid.as_str()]);
}

#[tokio::test]
async fn introspection_follows_rfc_7662_for_administrators() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;

    let res = admin
        .client
        .send(
            admin
                .client
                .request(reqwest::Method::POST, "/api/v1/auth/introspect")
                .form(&[("token", user.access_token.as_str()), ("token_type_hint", "access_token")]),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["active"], true);
    assert_eq!(res.json["sub"], user.id.to_string());
    assert_eq!(res.json["token_type"], "Bearer");
    assert!(res.json["exp"].is_i64());

    let res = admin.client.post("/api/v1/auth/introspect", &json!({"token": "nonsense"})).await;
    assert_eq!(res.json, json!({"active": false}));

    user.client.post_empty("/api/v1/auth/logout").await;
    let res = admin.client.post("/api/v1/auth/introspect", &json!({"token": user.access_token})).await;
    assert_eq!(res.json["active"], false, "a revoked session's token is inactive");

    let other = app.signed_up_user().await;
    let res = other.client.post("/api/v1/auth/introspect", &json!({"token": other.access_token})).await;
    assert_eq!(res.status, 403);
    assert_eq!(app.anonymous().post("/api/v1/auth/introspect", &json!({"token": "x"})).await.status, 401);
}
