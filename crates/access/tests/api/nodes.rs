//! Several nodes on one database: what one node changes (a member removed, a
//! role changed or edited, a key revoked) is refused on the others within
//! seconds, although they cache memberships, roles and keys for minutes. SQLite
//! serves one node, which must refuse at once.

use std::time::{Duration, Instant};

use serde_json::json;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{ApiKey, Client, Engine, TestApp, TestConfig, TestUser, spawn_app_with};

use crate::support::{check, set_role};

/// Caches far longer than the test runs: only the watchers can make a node forget.
fn long_caches(cfg: &mut TestConfig) {
    cfg.set("access.role_cache_secs", json!(3600)).set("access.api_key_cache_secs", json!(300));
}

/// The first node, and a second on its database and data key (the first again on SQLite).
async fn cluster() -> (TestApp, Option<TestApp>) {
    let first = spawn_app_with(long_caches).await;
    let second = match Engine::from_env() {
        Engine::Sqlite => None,
        _ => Some(
            spawn_app_with(|cfg| {
                long_caches(cfg);
                cfg.set("database.url", json!(first.database_url))
                    .set("data.dir", json!(first.data_dir))
                    // One issuer, so the first node's tokens are good on the second.
                    .set("server.public_url", json!(first.base_url));
            })
            .await,
        ),
    };
    (first, second)
}

/// `user` signed in, talking to `node`.
fn on(node: &TestApp, user: &TestUser) -> Client {
    node.with_token(&user.access_token)
}

fn key_on(node: &TestApp, key: &ApiKey) -> Client {
    node.as_key(key)
}

/// Waits (at most 10 s, a fraction of every cache's lifetime) until `path` answers `status` to `client`.
async fn until_status(client: &Client, path: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = client.get(path).await;
        if res.status == status {
            return;
        }
        assert!(Instant::now() < deadline, "{path} still answers {} after 10 s: {}", res.status, res.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most 10 s) until checking `permission` in `org` as `client` answers `allowed`.
async fn until_check(client: &Client, org: OrgId, permission: &str, allowed: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (now, reason) = check(client, json!({ "orgId": org, "permission": permission })).await;
        if now == allowed {
            return;
        }
        assert!(Instant::now() < deadline, "{permission} still {now} ({reason}) after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_removed_member_is_refused_on_every_node() {
    let (a, second) = cluster().await;
    let b = second.as_ref().unwrap_or(&a);
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let member = a.join_new(&owner, org, "member").await;
    let members = format!("/api/v1/orgs/{org}/members");
    // The other node learns (and caches) the membership.
    assert_eq!(on(b, &member).get(&members).await.status, 200);

    let res = owner.client.delete(&format!("{members}/{}", member.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);

    until_status(&on(b, &member), &members, 404).await;
    assert_eq!(on(&a, &member).get(&members).await.status, 404, "the node that removed them refuses at once");
}

#[tokio::test]
async fn a_changed_role_holds_on_every_node() {
    let (a, second) = cluster().await;
    let b = second.as_ref().unwrap_or(&a);
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let admin = a.join_new(&owner, org, "admin").await;
    let (allowed, _) = check(&on(b, &admin), json!({ "orgId": org, "permission": "members:invite" })).await;
    assert!(allowed, "an admin invites");

    set_role(&owner, org, &admin, "viewer").await;

    until_check(&on(b, &admin), org, "members:invite", false).await;
    let (still, reason) = check(&on(b, &admin), json!({ "orgId": org, "permission": "members:read" })).await;
    assert!(still, "a viewer still reads members: {reason}");
}

#[tokio::test]
async fn an_edited_custom_role_holds_on_every_node() {
    let (a, second) = cluster().await;
    let b = second.as_ref().unwrap_or(&a);
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let body = json!({ "name": "Inviter", "permissions": ["members:invite", "members:read"] });
    let role = owner.client.post(&format!("/api/v1/orgs/{org}/roles"), &body).await;
    assert_eq!(role.status, 201, "{}", role.text);
    let role = role.data()["id"].as_str().unwrap().to_owned();
    let inviter = a.join_new(&owner, org, &role).await;
    let (allowed, _) = check(&on(b, &inviter), json!({ "orgId": org, "permission": "members:invite" })).await;
    assert!(allowed, "the role lets them invite");

    let edit = json!({ "permissions": ["members:read"] });
    let res = owner.client.patch(&format!("/api/v1/orgs/{org}/roles/{role}"), &edit).await;
    assert_eq!(res.status, 200, "{}", res.text);

    until_check(&on(b, &inviter), org, "members:invite", false).await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_every_node() {
    let (a, second) = cluster().await;
    let b = second.as_ref().unwrap_or(&a);
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let key = a.org_key(&owner.client, org, &["members:read"]).await;
    let members = format!("/api/v1/orgs/{org}/members");
    // The other node learns (and caches) the key.
    assert_eq!(key_on(b, &key).get(&members).await.status, 200);

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/api-keys/{}", key.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);

    until_status(&key_on(b, &key), &members, 401).await;
    assert_eq!(key_on(&a, &key).get(&members).await.status, 401, "the revoking node refuses at once");
}
