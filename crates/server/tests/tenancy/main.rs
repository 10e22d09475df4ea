//! Tenant isolation, across every module: each role of organization A and an
//! organization-A API key try every organization-scoped route on organization
//! B's resources (the routes are read from `/openapi.json`, so a new route is
//! covered the day it is added). Each answer must be the one a made-up
//! organization gets: 404 with no sign that B or its resource exists; and B must
//! be exactly as it was. Then privilege escalation inside one organization.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod escalation;
mod world;

use reqwest::Method;
use serde_json::{Value, json};
use tessera_testkit::{Client, TestApp};
use world::{Org, org, snapshot, spawn};

/// `(method, path template)` of every route under `/api/v1/orgs/{orgId}`.
async fn org_routes(app: &TestApp) -> Vec<(Method, String)> {
    let doc = app.anonymous().get("/openapi.json").await.json;
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/orgs/{orgId}") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            if let Ok(m) = method.to_uppercase().parse::<Method>() {
                out.push((m, path.clone()));
            }
        }
    }
    assert!(out.len() >= 50, "every org-scoped route is listed: {out:?}");
    for needed in ["/events/{eventId}", "/webhooks/{endpointId}/deliveries/{deliveryId}/retry"] {
        assert!(out.iter().any(|(_, p)| p.ends_with(needed)), "{needed} is listed: {out:?}");
    }
    out
}

/// The template with `org`'s ids in place.
fn fill(template: &str, org: &Org) -> String {
    template
        .replace("{orgId}", &org.id.to_string())
        .replace("{teamId}", &org.team.to_string())
        .replace("{userId}", &org.member.id.to_string())
        .replace("{invitationId}", &org.invitation.to_string())
        .replace("{roleId}", &org.role)
        .replace("{grantId}", &org.grant)
        .replace("{keyId}", &org.key_id.to_string())
        .replace("{endpointId}", &org.webhook)
        .replace("{deliveryId}", &org.delivery)
        .replace("{eventId}", &org.event)
}

/// The template with made-up ids of the right shapes.
fn fill_unknown(template: &str) -> String {
    let mut out = template.to_owned();
    for name in [
        "orgId",
        "teamId",
        "userId",
        "invitationId",
        "roleId",
        "grantId",
        "keyId",
        "endpointId",
        "deliveryId",
        "eventId",
    ] {
        out = out.replace(&format!("{{{name}}}"), &uuid::Uuid::now_v7().to_string());
    }
    out
}

/// A body that would be valid for the route (so only the tenancy check can refuse it).
fn body_for(method: &Method, template: &str, victim: &Org) -> Option<Value> {
    if *method == Method::GET || *method == Method::DELETE {
        return None;
    }
    let last = template.rsplit('/').next().unwrap();
    Some(match (method.as_str(), last) {
        ("PATCH", "{orgId}") => json!({ "name": "pwned" }),
        ("PATCH", "{userId}") if template.contains("/teams/") => json!({ "role": "admin" }),
        ("PATCH", "{userId}") => json!({ "role": "owner" }),
        ("PATCH", "{teamId}") => json!({ "name": "pwned" }),
        ("PATCH", "{roleId}") => json!({ "permissions": ["members:read"] }),
        ("PATCH", "{endpointId}") => json!({ "url": "http://127.0.0.1:9/pwned", "events": ["*"], "isActive": false }),
        (_, "teams") => json!({ "name": "intruders" }),
        (_, "members") => json!({ "userId": victim.viewer.id, "role": "admin" }),
        (_, "invitations") => json!({ "email": "attacker@example.test", "role": "owner" }),
        (_, "bulk") => json!({ "invitations": [{ "email": "attacker@example.test", "role": "owner" }] }),
        (_, "roles") => json!({ "name": "intruder", "permissions": ["org:delete"] }),
        (_, "grants") => json!({
            "subject": victim.viewer.id, "permission": "org:delete", "resourceType": "team", "resourceId": victim.team
        }),
        (_, "api-keys") => json!({ "name": "stolen", "permissions": ["org:delete"] }),
        (_, "transfer-ownership") => json!({ "userId": victim.viewer.id }),
        (_, "events") => json!({ "type": "invoice.forged", "data": { "amount": -1 }, "idempotencyKey": "forged" }),
        (_, "webhooks") => json!({ "url": "http://127.0.0.1:9/stolen", "events": ["*"] }),
        (_, "recover") => json!({ "since": "2000-01-01T00:00:00Z" }),
        (_, "rotate-secret") => json!({ "graceHours": 0 }),
        _ => json!({}),
    })
}

async fn send(client: &Client, method: &Method, path: &str, body: Option<&Value>) -> tessera_testkit::TestResponse {
    let mut req = client.request(method.clone(), path);
    if let Some(body) = body {
        req = req.json(body);
    }
    client.send(req).await
}

/// `(status, code, message)`: what an answer says, without its request id.
fn shape(res: &tessera_testkit::TestResponse) -> (u16, Value, Value) {
    (res.status, res.json["error"]["code"].clone(), res.json["error"]["message"].clone())
}

#[tokio::test]
async fn no_role_of_one_organization_reaches_another() {
    let app = spawn().await;
    let a = org(&app, "Attackers").await;
    let b = org(&app, "Victims").await;
    let before = snapshot(&app, &b).await;
    let attackers: Vec<(&str, Client)> = vec![
        ("owner", a.owner.client.clone()),
        ("admin", a.admin.client.clone()),
        ("member", a.member.client.clone()),
        ("viewer", a.viewer.client.clone()),
        ("org key", app.with_token(&a.key)),
    ];
    let routes = org_routes(&app).await;
    for (who, client) in &attackers {
        for (method, template) in &routes {
            let body = body_for(method, template, &b);
            let res = send(client, method, &fill(template, &b), body.as_ref()).await;
            let unknown = send(client, method, &fill_unknown(template), body.as_ref()).await;
            assert_eq!(res.status, 404, "{who} {method} {template} on B: {}", res.text);
            assert_eq!(shape(&res), shape(&unknown), "{who} {method} {template}: B answers like a made-up org");
            let secrets = [
                b.id.to_string(),
                b.team.to_string(),
                b.member.id.to_string(),
                b.role.clone(),
                b.key_id.to_string(),
                b.invitation.to_string(),
                b.grant.clone(),
                b.webhook.clone(),
                b.webhook_secret.clone(),
                b.delivery.clone(),
                b.event.clone(),
            ];
            for secret in secrets {
                assert!(!res.text.contains(&secret), "{who} {method} {template} leaks {secret}");
            }
        }
    }
    world::assert_same(&before, &snapshot(&app, &b).await);
    // B's own key still works: nothing revoked it.
    let res = app.with_token(&b.key).get(&format!("/api/v1/orgs/{}", b.id)).await;
    assert_eq!(res.status, 200, "{}", res.text);
}

#[tokio::test]
async fn ids_of_another_organization_do_not_work_under_ones_own() {
    let app = spawn().await;
    let a = org(&app, "Attackers").await;
    let b = org(&app, "Victims").await;
    let before = snapshot(&app, &b).await;
    let routes = org_routes(&app).await;
    let owner = &a.owner.client;
    // A's owner holds every permission in A; B's ids under A's path are unknown there.
    for (method, template) in &routes {
        let ids_in_path = template.matches('{').count();
        if ids_in_path < 2 {
            continue;
        }
        let path = fill(template, &b).replacen(&b.id.to_string(), &a.id.to_string(), 1);
        let body = body_for(method, template, &b);
        let res = send(owner, method, &path, body.as_ref()).await;
        assert_eq!(res.status, 404, "A's owner {method} {template} with B's ids: {}", res.text);
    }
    // B's ids in bodies are refused too.
    let base = format!("/api/v1/orgs/{}", a.id);
    let cases = [
        (format!("{base}/members/{}", a.member.id), Method::PATCH, json!({ "role": b.role })),
        (format!("{base}/teams/{}/members", a.team), Method::POST, json!({ "userId": b.member.id, "role": "member" })),
        (
            format!("{base}/invitations"),
            Method::POST,
            json!({ "email": "x@example.test", "role": "member", "teamIds": [b.team] }),
        ),
        (format!("{base}/transfer-ownership"), Method::POST, json!({ "userId": b.owner.id })),
    ];
    for (path, method, body) in &cases {
        let res = send(owner, method, path, Some(body)).await;
        assert!(matches!(res.status, 404 | 422), "{method} {path} {body}: {}", res.text);
    }
    // B's event id as a filter of A's deliveries finds nothing of B's.
    let res = owner.get(&format!("{base}/webhooks/{}/deliveries?eventId={}", a.webhook, b.event)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data(), &json!([]), "{}", res.text);
    let res = owner.get(&format!("{base}/events?type=invoice.*&limit=200")).await;
    assert!(!res.text.contains(&b.event), "A's history shows B's event: {}", res.text);
    world::assert_same(&before, &snapshot(&app, &b).await);
}

#[tokio::test]
async fn checks_about_another_organization_reveal_nothing() {
    let app = spawn().await;
    let a = org(&app, "Attackers").await;
    let b = org(&app, "Victims").await;
    let made_up = uuid::Uuid::now_v7().to_string();
    for client in [a.owner.client.clone(), a.viewer.client.clone(), app.with_token(&a.key)] {
        for (subject, permission) in [(None, "members:read"), (Some(b.owner.id), "org:delete")] {
            let mut body = json!({ "orgId": b.id, "permission": permission });
            let mut unknown = json!({ "orgId": made_up, "permission": permission });
            if let Some(s) = &subject {
                body["subject"] = json!(s);
                unknown["subject"] = json!(s);
            }
            let res = client.post("/api/v1/authz/check", &body).await;
            let other = client.post("/api/v1/authz/check", &unknown).await;
            assert_ne!(res.data()["allowed"], json!(true), "{body}: {}", res.text);
            assert_eq!(res.status, other.status, "{body}: {} vs {}", res.text, other.text);
            assert_eq!(res.json["error"]["code"], other.json["error"]["code"]);
            assert_eq!(res.json["data"], other.json["data"], "B answers like a made-up org");
        }
        let res = client.get(&format!("/api/v1/users/me/permissions?orgId={}", b.id)).await;
        let other = client.get(&format!("/api/v1/users/me/permissions?orgId={made_up}")).await;
        assert_eq!(shape(&res), shape(&other), "{}", res.text);
        assert!(!res.text.contains("org:delete"), "{}", res.text);
    }
}
