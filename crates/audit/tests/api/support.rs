//! Helpers (organizations, members and teams come from the test kit's
//! fixtures): record entries straight through the audit sink (as a module's
//! service would, in its transaction), run SQL behind the application's back, and
//! read listings page by page.

use sea_orm::ConnectionTrait;
use serde_json::Value;
use tessera_kernel::ActorRef;
use tessera_kernel::audit::AuditEntry;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_testkit::{Client, TestApp, TestResponse};

/// Records `entries` in one transaction, as a service records its change.
pub async fn record(app: &TestApp, entries: impl IntoIterator<Item = AuditEntry>) {
    let txn = app.core.db.begin_write().await.unwrap();
    for entry in entries {
        app.core.audit_sink().unwrap().record(&txn, entry).await.unwrap();
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

pub fn user_actor(id: UserId) -> ActorRef {
    ActorRef::User { id }
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

/// Sends `req` with `User-Agent: user_agent`.
pub async fn send_as(client: &Client, user_agent: &str, req: reqwest::RequestBuilder) -> TestResponse {
    client.send(req.header("user-agent", user_agent)).await
}

/// The entries of a listing page at `path` (asserting a 200).
pub async fn entries(client: &Client, path: &str) -> Vec<Value> {
    let res = client.get(path).await;
    assert_eq!(res.status, 200, "{path}: {}", res.text);
    res.data().as_array().unwrap().clone()
}

/// A strict RFC 4180 reader: fails the test on anything malformed.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty() && !was_quoted, "a quote inside an unquoted field: {field}");
                quoted = true;
                was_quoted = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                was_quoted = false;
            }
            '\n' => panic!("a bare line feed outside quotes"),
            c => {
                assert!(!was_quoted, "text after a closing quote");
                field.push(c);
            }
        }
    }
    assert!(!quoted, "an unterminated quote");
    assert!(field.is_empty() && row.is_empty(), "the last record ends with CRLF");
    rows
}
