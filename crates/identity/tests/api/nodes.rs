//! Several nodes on one database: they start together without racing on
//! migrations, and each accepts the tokens and sessions of the others.

use serde_json::json;
use tessera_testkit::{Engine, TestDatabase, spawn_app_with};

#[tokio::test]
async fn two_nodes_starting_together_share_the_database_and_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(Engine::from_env(), dir.path()).await;
    let shared = |c: &mut tessera_testkit::TestConfig| {
        // Behind one load balancer, nodes share the public URL and so the issuer.
        c.set("database.url", json!(db.url))
            .set("data.dir", json!(dir.path()))
            .set("identity.issuer", json!("https://id.example.test"));
    };

    let (a, b) = tokio::join!(spawn_app_with(shared), spawn_app_with(shared));

    let user = a.signed_up_user().await;
    let on_b = b.with_token(&user.access_token).get("/api/v1/users/me").await;
    assert_eq!(on_b.status, 200, "node B verifies node A's token: {}", on_b.text);
    let refreshed = b.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await;
    assert_eq!(refreshed.status, 200);
    let token = refreshed.data()["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(a.with_token(&token).get("/api/v1/users/me").await.status, 200, "and A verifies B's");
    let a_keys = a.anonymous().get("/.well-known/jwks.json").await.json;
    let b_keys = b.anonymous().get("/.well-known/jwks.json").await.json;
    assert_eq!(a_keys, b_keys);
}

#[tokio::test]
async fn a_key_rotated_on_one_node_verifies_on_the_other_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(Engine::from_env(), dir.path()).await;
    let shared = |c: &mut tessera_testkit::TestConfig| {
        // Behind one load balancer, nodes share the public URL and so the issuer.
        c.set("database.url", json!(db.url))
            .set("data.dir", json!(dir.path()))
            .set("identity.issuer", json!("https://id.example.test"));
    };
    let a = spawn_app_with(shared).await;
    let b = spawn_app_with(shared).await;
    let user = a.signed_up_user().await;

    a.service::<tessera_identity::api::Identity>().rotate_keys().await.unwrap();
    let fresh = a.login(&user.email, &user.password).await;

    assert_eq!(b.with_token(&fresh.access_token).get("/api/v1/users/me").await.status, 200);
    assert_eq!(b.with_token(&user.access_token).get("/api/v1/users/me").await.status, 200);
}
