//! Helpers: record entries straight through the audit sink (as a module's
//! service would, in its transaction), run SQL behind the application's back, and
//! read listings page by page.

use sea_orm::ConnectionTrait;
use serde_json::Value;
use tessera_kernel::ActorRef;
use tessera_kernel::audit::AuditEntry;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_testkit::{Client, TestApp};

/// Records `entries` in one transaction, as a service records its change.
pub async fn record(app: &TestApp, entries: impl IntoIterator<Item = AuditEntry>) {
    let txn = app.core.db.begin_write().await.unwrap();
    for entry in entries {
        app.core.audit.record(&txn, entry).await.unwrap();
    }
    txn.commit().await.unwrap();
}

/// Records `entries` as if a request from `ip` with `user_agent` made them.
pub async fn record_from(app: &TestApp, ip: &str, user_agent: &str, entries: Vec<AuditEntry>) {
    tessera_kernel::request_id::scope_client(ip.to_owned(), Some(user_agent.to_owned()), record(app, entries)).await;
}

/// `n` entries in `org`'s chain by `actor`, with a change each.
pub fn org_entries(org: OrgId, actor: &ActorRef, n: usize) -> Vec<AuditEntry> {
    (0..n)
        .map(|i| {
            AuditEntry::new(actor.clone(), "member.role_changed", "member", format!("m-{i}"))
                .in_org(org)
                .change(serde_json::json!({"role": "viewer"}), serde_json::json!({"role": "member", "n": i}))
        })
        .collect()
}

pub fn user_actor(id: &str) -> ActorRef {
    ActorRef::User { id: id.parse::<UserId>().unwrap() }
}

/// Runs `sql` on the application's database, behind its back.
pub async fn sql(app: &TestApp, sql: &str) -> u64 {
    app.core.db.conn.execute_unprepared(sql).await.unwrap().rows_affected()
}

/// Every entry of a listing, following `meta.nextCursor`; asserts each page is full but the last.
pub async fn all_pages(client: &Client, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let res = client.get(&url).await;
        assert_eq!(res.status, 200, "{url}: {}", res.text);
        let page = res.data().as_array().unwrap().clone();
        let next = res.json["meta"]["nextCursor"].as_str().map(str::to_owned);
        if next.is_some() {
            assert_eq!(page.len(), limit, "only the last page is short");
        }
        out.extend(page);
        match next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The platform administrator's verification of `chain`.
pub async fn verify(admin: &Client, chain: &str) -> Value {
    let res = admin.get(&format!("/api/v1/audit-logs/verify?chain={chain}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.data().clone()
}
