//! Two organizations with people in every role, and something of each kind in
//! the victim organization, built through the API the way clients build them.

use std::time::Duration;

use serde_json::{Value, json};
use tessera_kernel::ids::{ApiKeyId, InvitationId, OrgId, TeamId};
use tessera_testkit::{Client, TestApp, TestUser, fresh_email, id_of, publish, spawn_app_with};

/// The application the matrix runs on: webhook endpoints may point at loopback
/// (`http://127.0.0.1:9/`, where nothing listens), and a failed attempt is tried
/// again only after an hour, so deliveries hold still while the matrix runs.
pub async fn spawn() -> TestApp {
    spawn_app_with(|cfg| {
        cfg.set("outbound.ssrf_allow", json!(["127.0.0.0/8"])).set("webhooks.retry_schedule_secs", json!([0, 3600]));
    })
    .await
}

/// An organization and what was made in it.
pub struct Org {
    pub id: OrgId,
    pub owner: TestUser,
    pub admin: TestUser,
    pub member: TestUser,
    pub viewer: TestUser,
    pub team: TeamId,
    pub invitation: InvitationId,
    pub role: String,
    pub grant: String,
    pub key_id: ApiKeyId,
    /// An organization key holding every permission of the owner.
    pub key: String,
    /// A webhook endpoint (receiving `invoice.*`) and its signing secret.
    pub webhook: String,
    pub webhook_secret: String,
    /// A delivery of `POST …/webhooks/{id}/test` to that endpoint.
    pub delivery: String,
    /// A custom `invoice.paid` event (delivered to the endpoint too).
    pub event: String,
}

/// Signs up a person into `org` through an invitation accepted with registration.
pub async fn join(app: &TestApp, owner: &TestUser, org: OrgId, role: &str) -> TestUser {
    let invitation = app.invite(owner, org, &fresh_email(role), role).await;
    // The link opens the built-in page, which loads its script from the binary.
    let page = app.anonymous().get(&format!("/invitations/{}", invitation.token)).await;
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text.contains("/assets/invitation.js"), "{}", page.text);
    let script = app.anonymous().get("/assets/invitation.js").await;
    assert!(script.status == 200 && script.text.contains("/accept"), "{}", script.status);
    app.accept_new(&invitation, role).await
}

/// The id of what a `201` (or `202`) answer made.
fn made(res: &tessera_testkit::TestResponse, what: &str) -> String {
    assert!(matches!(res.status, 200..=202), "create {what}: {}", res.text);
    id_of(res.data())
}

/// An organization with an owner, an admin, a member, a viewer, a team (with the
/// member in it), a pending invitation, a custom role, a grant, a key, a webhook
/// endpoint with two failed deliveries (a custom event and a test message).
pub async fn org(app: &TestApp, name: &str) -> Org {
    let (owner, id) = app.owned_org(name).await;
    let admin = join(app, &owner, id, "admin").await;
    let member = join(app, &owner, id, "member").await;
    let viewer = join(app, &owner, id, "viewer").await;
    let base = format!("/api/v1/orgs/{id}");
    let team = app.create_team(&owner, id, "core").await;
    let seat = owner
        .client
        .post(&format!("{base}/teams/{team}/members"), &json!({ "userId": member.id, "role": "member" }))
        .await;
    assert_eq!(seat.status, 201, "seat: {}", seat.text);
    let invitation = app.invite(&owner, id, &fresh_email("pending"), "member").await.id;
    let role_body = json!({ "name": "auditor", "permissions": ["audit:read", "members:read"] });
    let role = made(&owner.client.post(&format!("{base}/roles"), &role_body).await, "role");
    let grant_body =
        json!({ "subject": viewer.id, "permission": "teams:manage", "resourceType": "team", "resourceId": team });
    let grant = made(&owner.client.post(&format!("{base}/grants"), &grant_body).await, "grant");
    let all = app_permissions(&owner.client).await;
    let key = app.org_key(&owner.client, id, &all.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let hook_body = json!({ "url": "http://127.0.0.1:9/", "events": ["invoice.*"], "description": "books" });
    let res = owner.client.post(&format!("{base}/webhooks"), &hook_body).await;
    let webhook = made(&res, "webhook");
    let webhook_secret = res.data()["secret"].as_str().unwrap().to_owned();
    let event = id_of(&publish(&owner.client, id, "invoice.paid", json!({ "amount": 100 })).await);
    let delivery = made(&owner.client.post_empty(&format!("{base}/webhooks/{webhook}/test")).await, "delivery");
    settle_deliveries(&owner.client, &base, &webhook).await;
    Org {
        id,
        owner,
        admin,
        member,
        viewer,
        team,
        invitation,
        role,
        grant,
        key_id: key.id,
        key: key.secret,
        webhook,
        webhook_secret,
        delivery,
        event,
    }
}

/// Waits (at most 10 s) until the endpoint's two deliveries failed their first
/// attempt; the next is an hour away, so they no longer change.
async fn settle_deliveries(owner: &Client, base: &str, webhook: &str) {
    let path = format!("{base}/webhooks/{webhook}/deliveries");
    for _ in 0..200 {
        let res = owner.get(&path).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let list = res.data().as_array().unwrap();
        if list.len() == 2 && list.iter().all(|d| d["status"] == "RETRYING") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries to {webhook} did not settle: {}", owner.get(&path).await.text);
}

/// Waits (at most 10 s) until the outbox is empty, so the history holds every event.
async fn settle_outbox(app: &TestApp) {
    for _ in 0..200 {
        if !tessera_kernel::outbox::any_pending(&app.core.db.conn).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox was not relayed within 10 s");
}

/// Every organization permission of the catalogue.
pub async fn app_permissions(client: &Client) -> Vec<String> {
    let res = client.get("/api/v1/permissions").await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.data().as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap().to_owned()).collect()
}

/// What the victim's owner sees of the organization, everything listed.
pub async fn snapshot(app: &TestApp, org: &Org) -> Value {
    settle_outbox(app).await;
    let c = &org.owner.client;
    let base = format!("/api/v1/orgs/{}", org.id);
    let hook = format!("/webhooks/{}", org.webhook);
    let mut out = serde_json::Map::new();
    for path in [
        String::new(),
        "/members?limit=100".into(),
        "/teams?limit=100".into(),
        format!("/teams/{}", org.team),
        format!("/teams/{}/members?limit=100", org.team),
        "/invitations?limit=100".into(),
        "/roles".into(),
        "/grants?limit=100".into(),
        "/api-keys".into(),
        "/audit-logs?limit=200".into(),
        "/webhooks?limit=100".into(),
        hook.clone(),
        format!("{hook}/deliveries?limit=200"),
        format!("{hook}/deliveries/{}", org.delivery),
        "/events?limit=200".into(),
        format!("/events/{}", org.event),
    ] {
        let res = c.get(&format!("{base}{path}")).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        let mut data = res.json["data"].clone();
        // Using a key is not changing the organization.
        for key in data.as_array_mut().into_iter().flatten() {
            key.as_object_mut().map(|k| k.remove("lastUsedAt"));
        }
        out.insert(path, data);
    }
    let events = app.events().await.len();
    out.insert("outbox".into(), json!(events));
    Value::Object(out)
}

/// Asserts two snapshots are equal, naming the listings that differ.
pub fn assert_same(before: &Value, after: &Value) {
    let (b, a) = (before.as_object().unwrap(), after.as_object().unwrap());
    let changed: Vec<&String> = b.keys().filter(|k| b.get(*k) != a.get(*k)).collect();
    assert!(changed.is_empty(), "the organization changed in {changed:?}: before {before} after {after}");
}
