//! Two nodes sharing limits through Redis (`redis.url`): one budget for both, and
//! when Redis goes away (or is away at start) each node falls back to its own
//! in-memory limits — never an error for the client.

use serde_json::json;
use tessera_testkit::{
    TestApp, TestConfig, TestResponse, ThrowawayRedis, fresh_prefix, redis_url, spawn_app_with, spawn_nodes,
};

const PAGE: &str = "/.well-known/jwks.json";

fn header_u64(res: &TestResponse, name: &str) -> u64 {
    res.header(name).unwrap_or_else(|| panic!("{name} missing: {:?}", res.headers)).parse().unwrap()
}

fn global_limit(limit: u32, url: &str, prefix: &str) -> impl Fn(&mut TestConfig) {
    let (url, prefix) = (url.to_owned(), prefix.to_owned());
    move |cfg| {
        cfg.set("rate_limit.global_per_ip", json!(limit)).redis(&url, &prefix);
    }
}

async fn ready(node: &TestApp) -> TestResponse {
    node.anonymous().get("/ready").await
}

#[tokio::test]
async fn ten_a_minute_is_one_budget_for_requests_spread_over_two_nodes() {
    let (a, b) = spawn_nodes(global_limit(10, &redis_url(), &fresh_prefix())).await;

    let mut remaining = Vec::new();
    for i in 0..10 {
        let node = if i % 2 == 0 { &a } else { &b };
        let res = node.anonymous().get(PAGE).await;
        assert_eq!(res.status, 200, "request {i}: {}", res.text);
        remaining.push(header_u64(&res, "ratelimit-remaining"));
    }
    let on_a = a.anonymous().get(PAGE).await;
    let on_b = b.anonymous().get(PAGE).await;

    assert_eq!(remaining, (0..10).rev().collect::<Vec<_>>());
    for refused in [&on_a, &on_b] {
        assert_eq!(refused.status, 429, "{}", refused.text);
        assert_eq!(refused.error_code(), "RATE_LIMITED");
        assert!((1..=6).contains(&header_u64(refused, "retry-after")), "{:?}", refused.headers);
        assert_eq!(header_u64(refused, "ratelimit-limit"), 10);
    }
    assert_eq!(ready(&a).await.json["checks"]["redis"], "ok");
}

#[tokio::test]
async fn when_redis_goes_away_each_node_falls_back_to_its_own_limit_and_never_fails() {
    let mut redis = ThrowawayRedis::start();
    let (a, b) = spawn_nodes(global_limit(5, &redis.url, &fresh_prefix())).await;
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        assert_eq!(node.anonymous().get(PAGE).await.status, 200, "request {i}");
    }
    assert_eq!(b.anonymous().get(PAGE).await.status, 429, "shared while Redis is there");

    redis.kill();

    let statuses: Vec<u16> = statuses(&a, 6).await;
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "node A alone enforces its limit");
    let login = b
        .anonymous()
        .post("/api/v1/auth/login", &json!({ "email": "nobody@example.test", "password": "wrong-password-1" }))
        .await;
    assert_eq!(login.status, 401, "sign-in strikes fall back too: {}", login.text);
    assert_eq!(login.error_code(), "INVALID_CREDENTIALS");
    let ready = ready(&b).await;
    assert_eq!(ready.status, 200, "a node without Redis still serves: {}", ready.text);
    assert_eq!(ready.json["checks"]["redis"], "unreachable");
    assert_eq!(ready.json["checks"]["database"], "ok");
    let metrics = b.anonymous().get("/metrics").await.text;
    assert!(metrics.contains("tessera_redis_failures_total{op=\"rate_limit\"}"), "{metrics}");
}

/// The statuses of `n` requests in a row to node `node`.
async fn statuses(node: &TestApp, n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(node.anonymous().get(PAGE).await.status);
    }
    out
}

#[tokio::test]
async fn a_node_starts_and_serves_while_redis_is_down() {
    // Nothing listens on port 1 of loopback: every connection is refused.
    let app = spawn_app_with(global_limit(3, "redis://127.0.0.1:1", &fresh_prefix())).await;

    assert_eq!(statuses(&app, 4).await, [200, 200, 200, 429]);
    let ready = ready(&app).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json["checks"]["redis"], "unreachable");
}
