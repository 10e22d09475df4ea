//! Several nodes on one database: they start together without racing on
//! migrations, each accepts the tokens and sessions of the others, and, sharing
//! one Redis, they count sign-in failures together.

use serde_json::json;
use tessera_testkit::{
    Engine, TestApp, TestDatabase, TestResponse, fresh_prefix, redis_url, spawn_app_with, spawn_nodes,
};

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

/// Two nodes sharing limits and strikes through the machine's Redis.
async fn nodes_on_redis(configure: impl Fn(&mut tessera_testkit::TestConfig)) -> (TestApp, TestApp) {
    let prefix = fresh_prefix();
    spawn_nodes(|c| {
        configure(c);
        c.redis(&redis_url(), &prefix);
    })
    .await
}

async fn attempt(node: &TestApp, email: &str, password: &str) -> TestResponse {
    node.anonymous().post("/api/v1/auth/login", &json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn failures_from_one_address_through_node_a_make_node_b_delay_it() {
    let (a, b) = nodes_on_redis(|c| {
        c.set("identity.lockout.ip_max_failures", json!(3));
    })
    .await;
    let victim = b.signed_up_user().await;
    // A credential-stuffing run from one address, spread over both nodes.
    for (i, node) in [&a, &b, &a].into_iter().enumerate() {
        assert_eq!(attempt(node, &format!("target{i}@example.test"), "123456").await.status, 401);
    }

    let refused = attempt(&b, "target9@example.test", "123456").await;
    let right_password = attempt(&b, &victim.email, &victim.password).await;

    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(refused.error_code(), "RATE_LIMITED");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(right_password.status, 429, "even the right password waits; it is not checked");
}

#[tokio::test]
async fn an_account_locked_through_node_a_is_locked_on_node_b() {
    let (a, b) = nodes_on_redis(|_| {}).await;
    let user = a.signed_up_user().await;
    for node in [&a, &b, &a, &b] {
        assert_eq!(attempt(node, &user.email, "wrong guess").await.error_code(), "INVALID_CREDENTIALS");
    }
    let fifth = attempt(&a, &user.email, "wrong guess").await;
    assert_eq!(fifth.status, 423);

    let on_b = attempt(&b, &user.email, &user.password).await;

    assert_eq!(on_b.status, 423, "{}", on_b.text);
    assert_eq!(on_b.error_code(), "ACCOUNT_LOCKED");
    let retry: u64 = on_b.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
}
