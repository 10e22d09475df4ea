//! Privilege escalation inside one organization: each attempt answers 403 and
//! changes nothing.

use crate::world::{org, snapshot, spawn};
use serde_json::json;

#[tokio::test]
async fn nobody_climbs_above_their_role() {
    let app = spawn().await;
    let o = org(&app, "Climbers").await;
    let base = format!("/api/v1/orgs/{}", o.id);
    let before = snapshot(&app, &o).await;
    let member_key = {
        let res = o
            .member
            .client
            .post("/api/v1/users/me/api-keys", &json!({ "name": "mine", "permissions": ["members:read"] }))
            .await;
        // Personal keys are the user's own business; creating one changes nothing in the org.
        assert_eq!(res.status, 201, "{}", res.text);
        res.data()["secret"].as_str().unwrap().to_owned()
    };
    let narrow_key = {
        let body = json!({ "name": "read only", "permissions": ["members:read"] });
        let res = o.owner.client.post(&format!("{base}/api-keys"), &body).await;
        assert_eq!(res.status, 201, "{}", res.text);
        res.data()["secret"].as_str().unwrap().to_owned()
    };
    // The viewer becomes a role-smith: it may manage roles and members, nothing more.
    let smith = {
        let body = json!({ "name": "role-smith", "permissions": ["roles:manage", "members:read", "members:manage"] });
        let res = o.owner.client.post(&format!("{base}/roles"), &body).await;
        assert_eq!(res.status, 201, "{}", res.text);
        let id = res.data()["id"].as_str().unwrap().to_owned();
        let res = o.owner.client.patch(&format!("{base}/members/{}", o.viewer.id), &json!({ "role": id })).await;
        assert_eq!(res.status, 200, "{}", res.text);
        id
    };
    // The keys and the role above are the only changes; take the picture again.
    drop(before);
    let before = snapshot(&app, &o).await;
    let attempts = vec![
        (
            "member makes itself admin",
            o.member.client.clone(),
            "PATCH",
            format!("{base}/members/{}", o.member.id),
            json!({ "role": "admin" }),
        ),
        (
            "admin makes itself owner",
            o.admin.client.clone(),
            "PATCH",
            format!("{base}/members/{}", o.admin.id),
            json!({ "role": "owner" }),
        ),
        (
            "admin demotes the owner",
            o.admin.client.clone(),
            "PATCH",
            format!("{base}/members/{}", o.owner.id),
            json!({ "role": "viewer" }),
        ),
        (
            "role-smith invites",
            o.viewer.client.clone(),
            "POST",
            format!("{base}/invitations"),
            json!({ "email": "friend@example.test", "role": "viewer" }),
        ),
        (
            "admin invites an owner",
            o.admin.client.clone(),
            "POST",
            format!("{base}/invitations"),
            json!({ "email": "boss@example.test", "role": "owner" }),
        ),
        (
            "admin key with a permission it lacks",
            o.admin.client.clone(),
            "POST",
            format!("{base}/api-keys"),
            json!({ "name": "k", "permissions": ["org:delete"] }),
        ),
        (
            "member creates a key",
            o.member.client.clone(),
            "POST",
            format!("{base}/api-keys"),
            json!({ "name": "k", "permissions": ["members:read"] }),
        ),
        (
            "member creates a role",
            o.member.client.clone(),
            "POST",
            format!("{base}/roles"),
            json!({ "name": "x", "permissions": ["members:read"] }),
        ),
        (
            "role-smith makes a role holding what it lacks",
            o.viewer.client.clone(),
            "POST",
            format!("{base}/roles"),
            json!({ "name": "x", "permissions": ["api_keys:manage"] }),
        ),
        (
            "role-smith widens its own role",
            o.viewer.client.clone(),
            "PATCH",
            format!("{base}/roles/{smith}"),
            json!({ "permissions": ["roles:manage", "members:read", "members:manage", "api_keys:manage"] }),
        ),
        (
            "role-smith makes itself admin",
            o.viewer.client.clone(),
            "PATCH",
            format!("{base}/members/{}", o.viewer.id),
            json!({ "role": "admin" }),
        ),
        (
            "member grants itself",
            o.member.client.clone(),
            "POST",
            format!("{base}/grants"),
            json!({ "subject": o.member.id, "permission": "teams:manage", "resourceType": "team", "resourceId": o.team }),
        ),
        (
            "team member manages its team",
            o.member.client.clone(),
            "PATCH",
            format!("{base}/teams/{}", o.team),
            json!({ "name": "mine" }),
        ),
        ("viewer deletes the org", o.viewer.client.clone(), "DELETE", base.clone(), json!(null)),
        ("admin deletes the org", o.admin.client.clone(), "DELETE", base.clone(), json!(null)),
        (
            "read-only key invites",
            app.with_token(&narrow_key),
            "POST",
            format!("{base}/invitations"),
            json!({ "email": "k@example.test", "role": "viewer" }),
        ),
        (
            "read-only key mints a key",
            app.with_token(&narrow_key),
            "POST",
            format!("{base}/api-keys"),
            json!({ "name": "k", "permissions": ["members:read"] }),
        ),
        (
            "member publishes an event",
            o.member.client.clone(),
            "POST",
            format!("{base}/events"),
            json!({ "type": "invoice.forged", "data": {} }),
        ),
        (
            "read-only key publishes an event",
            app.with_token(&narrow_key),
            "POST",
            format!("{base}/events"),
            json!({ "type": "invoice.forged", "data": {} }),
        ),
        (
            "role-smith creates a webhook endpoint",
            o.viewer.client.clone(),
            "POST",
            format!("{base}/webhooks"),
            json!({ "url": "http://127.0.0.1:9/", "events": ["*"] }),
        ),
        (
            "role-smith makes a role that publishes events",
            o.viewer.client.clone(),
            "POST",
            format!("{base}/roles"),
            json!({ "name": "x", "permissions": ["events:publish"] }),
        ),
        (
            "member redirects the webhook",
            o.member.client.clone(),
            "PATCH",
            format!("{base}/webhooks/{}", o.webhook),
            json!({ "url": "http://127.0.0.1:9/mine" }),
        ),
        (
            "read-only key rotates the webhook secret",
            app.with_token(&narrow_key),
            "POST",
            format!("{base}/webhooks/{}/rotate-secret", o.webhook),
            json!({}),
        ),
        (
            "member retries a delivery",
            o.member.client.clone(),
            "POST",
            format!("{base}/webhooks/{}/deliveries/{}/retry", o.webhook, o.delivery),
            json!(null),
        ),
        (
            "member's personal key promotes",
            app.with_token(&member_key),
            "PATCH",
            format!("{base}/members/{}", o.member.id),
            json!({ "role": "admin" }),
        ),
    ];
    for (what, client, method, path, body) in attempts {
        let mut req = client.request(method.parse().unwrap(), &path);
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = client.send(req).await;
        assert_eq!(res.status, 403, "{what}: {}", res.text);
        assert_eq!(res.error_code(), "FORBIDDEN", "{what}: {}", res.text);
    }
    crate::world::assert_same(&before, &snapshot(&app, &o).await);
}
