//! Listing the audit log: pages, filters, the shape of an entry, and who may read.

use serde_json::json;
use tessera_kernel::ActorRef;
use tessera_kernel::audit::AuditEntry;
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};
use tessera_testkit::{error_fields, spawn_app};

use crate::support::{all_pages, org_entries, record, record_from, user_actor};

#[tokio::test]
async fn platform_administrators_page_through_an_organizations_log_newest_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    record(&app, org_entries(org, &user_actor(admin.id), 25)).await;
    record(&app, org_entries(OrgId::new(), &ActorRef::System, 3)).await;

    let entries = all_pages(&admin.client, &format!("/api/v1/audit-logs?orgId={org}"), 10).await;

    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=25).rev().collect::<Vec<_>>(), "newest first, nothing skipped or repeated");
    assert!(entries.iter().all(|e| e["orgId"] == org.to_string().as_str()));
}

#[tokio::test]
async fn an_entry_shows_who_did_what_to_what_from_where() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    let (key, owner) = (ApiKeyId::new(), UserId::new());
    let entry = AuditEntry::new(ActorRef::ApiKey { id: key, owner }, "member.role_changed", "member", "u-1")
        .in_org(org)
        .change(json!({"role": "viewer"}), json!({"role": "admin", "clientSecret": "s3cr3t"}));
    record_from(&app, "203.0.113.7", "curl/8.0", vec![entry]).await;

    let res = admin.client.get(&format!("/api/v1/audit-logs?orgId={org}")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let e = &res.data()[0];
    assert_eq!(e["actor"], json!({"type": "apikey", "id": key.to_string(), "owner": owner.to_string()}));
    assert_eq!(
        (e["action"].as_str(), e["orgId"].as_str()),
        (Some("member.role_changed"), Some(org.to_string().as_str()))
    );
    assert_eq!(e["target"], json!({"type": "member", "id": "u-1"}));
    assert_eq!(
        e["changes"],
        json!({"before": {"role": "viewer"}, "after": {"role": "admin", "clientSecret": "[redacted]"}})
    );
    assert_eq!((e["ip"].as_str(), e["userAgent"].as_str()), (Some("203.0.113.7"), Some("curl/8.0")));
    assert_eq!(e["seq"], 1);
    assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    assert!(e["createdAt"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC: {}", e["createdAt"]);
    assert!(e["id"].as_str().is_some() && e.get("requestId").is_some());
    assert_eq!(res.json["meta"]["nextCursor"], serde_json::Value::Null);
}

#[tokio::test]
async fn filters_narrow_the_log_by_actor_action_target_and_time() {
    let app = spawn_app().await;
    let org = OrgId::new();
    let (alice, bob) = (UserId::new(), UserId::new());
    let key = ApiKeyId::new();
    let a = ActorRef::User { id: alice };
    record(
        &app,
        vec![
            AuditEntry::new(a.clone(), "member.added", "member", bob).in_org(org),
            AuditEntry::new(a.clone(), "member.role_changed", "member", bob).in_org(org),
            AuditEntry::new(ActorRef::ApiKey { id: key, owner: alice }, "team.created", "team", "t-1").in_org(org),
        ],
    )
    .await;
    let first_batch_done = app.clock.now();
    app.clock.advance(time::Duration::hours(2));
    record(
        &app,
        vec![
            AuditEntry::new(ActorRef::User { id: bob }, "member.removed", "member", alice).in_org(org),
            AuditEntry::new(ActorRef::System, "api_key.revoked", "api_key", "k-1").in_org(org),
            AuditEntry::new(ActorRef::System, "apixkey.revoked", "api_key", "k-2").in_org(org),
        ],
    )
    .await;
    // Signed in after the clock moved, so the access token is fresh.
    let admin = app.admin().await;
    let base = format!("/api/v1/audit-logs?orgId={org}");
    let actions = |query: String| {
        let client = admin.client.clone();
        async move {
            let res = client.get(&query).await;
            assert_eq!(res.status, 200, "{query}: {}", res.text);
            res.data().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };

    assert_eq!(actions(format!("{base}&actor={key}")).await, ["team.created"]);
    assert_eq!(
        actions(format!("{base}&actor={alice}")).await,
        ["team.created", "member.role_changed", "member.added"],
        "a user id also finds what their keys did"
    );
    assert_eq!(actions(format!("{base}&actorType=system")).await, ["apixkey.revoked", "api_key.revoked"]);
    assert_eq!(actions(format!("{base}&action=member.added")).await, ["member.added"]);
    assert_eq!(
        actions(format!("{base}&action=member.*")).await,
        ["member.removed", "member.role_changed", "member.added"]
    );
    assert_eq!(
        actions(format!("{base}&action=api_key.*")).await,
        ["api_key.revoked"],
        "`_` in a prefix is no wildcard"
    );
    assert_eq!(actions(format!("{base}&targetType=member&targetId={alice}")).await, ["member.removed"]);
    let cut =
        (first_batch_done + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(actions(format!("{base}&to={cut}&actorType=user")).await, ["member.role_changed", "member.added"]);
    assert_eq!(actions(format!("{base}&from={cut}&actorType=user")).await, ["member.removed"]);
    assert!(actions(format!("{base}&action=org.*")).await.is_empty());
}

#[tokio::test]
async fn the_platform_chain_holds_what_happens_outside_organizations() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    record(&app, vec![AuditEntry::new(ActorRef::System, "user.disabled", "user", "u-9")]).await;
    record(&app, org_entries(OrgId::new(), &ActorRef::System, 2)).await;

    let res = admin.client.get("/api/v1/audit-logs?orgId=platform&action=user.disabled").await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data().as_array().unwrap().len(), 1);
    assert_eq!(res.data()[0]["orgId"], serde_json::Value::Null);
    let everything = all_pages(&admin.client, "/api/v1/audit-logs", 200).await;
    assert!(everything.len() >= 3, "without orgId, every chain is listed");
}

#[tokio::test]
async fn only_platform_administrators_read_verify_or_export_the_platform_log() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    for path in ["/api/v1/audit-logs", "/api/v1/audit-logs/export", "/api/v1/audit-logs/verify?chain=platform"] {
        let res = user.client.get(path).await;
        assert_eq!(res.status, 403, "{path}: {}", res.text);
        assert_eq!(res.error_code(), "FORBIDDEN");
        assert_eq!(app.anonymous().get(path).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn bad_filters_are_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("from=yesterday", "from"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("action=member.%25", "action"),
        ("actor=alice", "actor"),
        ("orgId=acme", "orgId"),
        ("actorType=robot", "actorType"),
        ("colour=blue", "colour"),
    ] {
        let res = admin.client.get(&format!("/api/v1/audit-logs?{query}")).await;
        assert_eq!(res.status, 422, "{query}: {}", res.text);
        assert_eq!(res.error_code(), "VALIDATION_FAILED");
        assert!(error_fields(&res).iter().any(|f| f == field), "{query}: {}", res.text);
    }
    for path in ["/api/v1/audit-logs/verify?chain=acme", "/api/v1/audit-logs/verify", "/api/v1/audit-logs/verify?x=1"] {
        let res = admin.client.get(path).await;
        assert!(matches!(res.status, 400 | 422), "{path}: {}", res.text);
        assert_ne!(res.error_code(), "INTERNAL");
    }
}
