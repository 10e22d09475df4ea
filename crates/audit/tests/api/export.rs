//! Exports: every entry, oldest first, as well-formed JSON Lines or CSV.

use std::collections::HashSet;

use serde_json::Value;
use tessera_kernel::ActorRef;
use tessera_kernel::audit::AuditEntry;
use tessera_kernel::ids::OrgId;
use tessera_testkit::spawn_app;

use crate::support::{org_entries, parse_csv, record, record_from};

const MANY: usize = 3_000;

#[tokio::test]
async fn a_json_lines_export_holds_every_entry_once_oldest_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    record(&app, org_entries(org, &ActorRef::System, MANY)).await;
    record(&app, org_entries(OrgId::new(), &ActorRef::System, 10)).await;

    let res = admin.client.get(&format!("/api/v1/audit-logs/export?orgId={org}&format=jsonl")).await;

    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/x-ndjson"));
    assert!(res.header("content-disposition").unwrap().contains(".jsonl"));
    assert!(res.text.ends_with('\n'));
    let lines: Vec<Value> = res.text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), MANY);
    let seqs: Vec<i64> = lines.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=MANY as i64).collect::<Vec<_>>());
    let ids: HashSet<&str> = lines.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), MANY);
    assert_eq!(lines[7]["changes"]["after"]["n"], 7);
}

#[tokio::test]
async fn a_csv_export_is_well_formed_whatever_the_fields_hold() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    record(&app, org_entries(org, &ActorRef::System, MANY - 2)).await;
    let awkward = "Mozilla/5.0 (\"quoted\", with commas)\r\nand a second line";
    let tricky = vec![
        AuditEntry::new(ActorRef::System, "team.updated", "team", "t,1")
            .in_org(org)
            .change(serde_json::json!({"name": "A \"team\""}), serde_json::json!({"name": "B, C\nD"})),
        AuditEntry::new(ActorRef::System, "team.updated", "team", "=1+2").in_org(org),
    ];
    record_from(&app, "2001:db8::1", awkward, tricky).await;

    let res = admin.client.get(&format!("/api/v1/audit-logs/export?orgId={org}&format=csv&action=team.*")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    let rows = parse_csv(&res.text);
    assert_eq!(rows.len(), 3, "the header and two rows: {}", res.text);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[1][col("userAgent")], awkward);
    assert_eq!(rows[1][col("targetId")], "t,1");
    let changes: Value = serde_json::from_str(&rows[1][col("changes")]).unwrap();
    assert_eq!(changes["after"]["name"], "B, C\nD");
    assert_eq!(rows[2][col("targetId")], "'=1+2", "a formula is defused");
    assert_eq!(rows[2][col("ip")], "2001:db8::1");

    let res = admin.client.get(&format!("/api/v1/audit-logs/export?orgId={org}&format=csv")).await;
    let rows = parse_csv(&res.text);
    assert_eq!(rows.len(), MANY + 1);
    assert!(rows.iter().all(|r| r.len() == header.len()), "every row has every column");
    let seqs: Vec<i64> = rows[1..].iter().map(|r| r[col("seq")].parse().unwrap()).collect();
    assert_eq!(seqs, (1..=MANY as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_unknown_export_format_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.client.get("/api/v1/audit-logs/export?format=xml").await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "format");
}
