//! GDPR: a user's export holds the audit entries they acted in; erasure
//! pseudonymizes entries without deleting them, and every chain still verifies.

use serde_json::{Value, json};
use tessera_kernel::ActorRef;
use tessera_kernel::audit::AuditEntry;
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};
use tessera_testkit::{TestApp, spawn_app};

use crate::support::{all_pages, record_from, sql, verify};

/// Entries by `me` (directly and through my key), by someone else, and about me.
async fn history(app: &TestApp, me: UserId, org: OrgId) -> ApiKeyId {
    let key = ApiKeyId::new();
    let other = ActorRef::User { id: UserId::new() };
    record_from(
        app,
        "203.0.113.5",
        "my-browser",
        vec![
            AuditEntry::new(ActorRef::User { id: me }, "team.created", "team", "t-1")
                .in_org(org)
                .change(json!(null), json!({"name": "Core"})),
            AuditEntry::new(ActorRef::ApiKey { id: key, owner: me }, "team.updated", "team", "t-1")
                .in_org(org)
                .change(json!({"name": "Core"}), json!({"name": "Kernel"})),
            AuditEntry::new(ActorRef::User { id: me }, "user.updated", "user", me)
                .change(json!({"name": "Me"}), json!({"name": "Still me"})),
        ],
    )
    .await;
    record_from(
        app,
        "198.51.100.9",
        "admin-browser",
        vec![
            AuditEntry::new(other.clone(), "member.role_changed", "member", me)
                .in_org(org)
                .change(json!({"role": "viewer", "email": "me@example.test"}), json!({"role": "member"})),
            AuditEntry::new(other, "team.deleted", "team", "t-2").in_org(org),
        ],
    )
    .await;
    key
}

#[tokio::test]
async fn my_export_holds_the_audit_entries_i_acted_in_directly_or_through_my_keys() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;
    let my_id = me.id;
    let key = history(&app, my_id, OrgId::new()).await;

    let res = me.client.get("/api/v1/users/me/export").await;

    assert_eq!(res.status, 200, "{}", res.text);
    let entries = res.data()["auditEntries"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.logged_in"), "identity's entry of my sign-in is mine too: {actions:?}");
    // Identity's entries of the registration and sign-in come first; then what `history` recorded.
    let recorded: Vec<&str> =
        actions.iter().copied().filter(|a| !["user.created", "user.logged_in"].contains(a)).collect();
    assert_eq!(recorded, ["team.created", "team.updated", "user.updated"], "oldest first, only mine");
    let by_key = entries.iter().find(|e| e["action"] == "team.updated").unwrap();
    assert_eq!(by_key["actor"], json!({"type": "apikey", "id": key.to_string(), "owner": me.id}));
    assert_eq!(by_key["ip"], "203.0.113.5");
}

#[tokio::test]
async fn my_export_is_one_document_with_a_section_per_module() {
    let app = spawn_app().await;
    let me = app.signed_up_user().await;

    let res = me.client.get("/api/v1/users/me/export").await;

    assert_eq!(res.status, 200, "{}", res.text);
    let doc = res.data().as_object().unwrap();
    assert!(doc.contains_key("auditEntries"), "{}", res.text);
    assert_eq!(app.anonymous().get("/api/v1/users/me/export").await.status, 401);
}

#[tokio::test]
async fn erasure_pseudonymizes_my_entries_keeps_them_and_every_chain_still_verifies() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let me = app.signed_up_user().await;
    let my_id = me.id;
    let org = OrgId::new();
    history(&app, my_id, org).await;
    let before = all_pages(&admin.client, &format!("/api/v1/audit-logs?orgId={org}"), 100).await;

    let txn = app.core.db.begin_write().await.unwrap();
    app.core.personal.erase(&txn, my_id).await.unwrap();
    txn.commit().await.unwrap();

    let after = all_pages(&admin.client, &format!("/api/v1/audit-logs?orgId={org}"), 100).await;
    assert_eq!(after.len(), before.len(), "nothing is deleted");
    let by = |action: &str| after.iter().find(|e| e["action"] == action).unwrap().clone();
    for action in ["team.created", "team.updated"] {
        let e = by(action);
        assert_eq!(e["actor"]["id"], Value::Null, "{e}");
        assert_eq!(e["actor"]["owner"], Value::Null, "{e}");
        assert_eq!((&e["ip"], &e["userAgent"], &e["changes"]), (&Value::Null, &Value::Null, &Value::Null), "{e}");
        assert!(e["erasedAt"].is_string(), "{e}");
        assert_eq!(e["target"]["id"], "t-1", "what was done stays");
    }
    let about_me = by("member.role_changed");
    assert_eq!(about_me["changes"], Value::Null, "changes about me go");
    assert_eq!(about_me["ip"], "198.51.100.9", "the acting administrator's entry keeps its actor and address");
    assert!(about_me["actor"]["id"].is_string());
    let untouched = by("team.deleted");
    assert_eq!(untouched["erasedAt"], Value::Null);
    assert_eq!(verify(&admin.client, &org.to_string()).await["valid"], true);
    assert_eq!(verify(&admin.client, "platform").await["valid"], true);
    let mine = admin.client.get(&format!("/api/v1/audit-logs?actor={my_id}")).await;
    assert_eq!(mine.data().as_array().unwrap().len(), 0, "no entry names me as actor any more");
}

#[tokio::test]
async fn tampering_is_still_caught_after_an_erasure() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let my_id = app.signed_up_user().await.id;
    let org = OrgId::new();
    history(&app, my_id, org).await;
    let txn = app.core.db.begin_write().await.unwrap();
    app.core.personal.erase(&txn, my_id).await.unwrap();
    txn.commit().await.unwrap();

    sql(&app, &format!("UPDATE audit_log SET target_id = 't-9' WHERE chain_key = '{org}' AND seq = 1")).await;

    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(1)), "{v}");
}
