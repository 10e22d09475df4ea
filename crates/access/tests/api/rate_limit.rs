//! Each API key has its own rate limit (`access.api_key_rate_limit_per_minute`).

use serde_json::json;
use tessera_testkit::{assert_error, spawn_app_with};

#[tokio::test]
async fn a_key_past_its_budget_gets_429_with_retry_after_while_others_go_on() {
    let app = spawn_app_with(|c| {
        c.set("access.api_key_rate_limit_per_minute", json!(3));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let busy = app.org_key(&owner.client, org, &["members:read"]).await;
    let quiet = app.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.as_key(&busy).get(&path).await);
    }

    assert_eq!(statuses[..3].iter().map(|r| r.status).collect::<Vec<_>>(), [200, 200, 200]);
    let limited = &statuses[3];
    assert_error(limited, 429, "RATE_LIMITED");
    let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    assert_eq!(app.as_key(&quiet).get(&path).await.status, 200);
    assert_eq!(owner.client.get(&path).await.status, 200, "the person is not limited by the key's budget");
}

#[tokio::test]
async fn two_nodes_sharing_redis_count_one_budget_per_key() {
    let prefix = tessera_testkit::fresh_prefix();
    let (a, b) = tessera_testkit::spawn_nodes(|c| {
        c.set("access.api_key_rate_limit_per_minute", json!(4)).redis(&tessera_testkit::redis_url(), &prefix);
    })
    .await;
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let key = a.org_key(&owner.client, org, &["members:read"]).await;
    let path = format!("/api/v1/orgs/{org}/members");

    let mut statuses = Vec::new();
    for node in [&a, &b, &a, &b, &a, &b] {
        statuses.push(node.as_key(&key).get(&path).await.status);
    }

    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
}
