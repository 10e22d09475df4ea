//! The audit log: `audit_entries` rows spread over 90 days, a share in the hot
//! organization and the rest round-robin over the others, each chained to its
//! predecessor exactly as `tessera_audit::chain::AuditLog::append` does (same
//! commitment and hash functions), written in multi-row inserts and large
//! transactions, then the chain heads.

use std::time::Instant;

use sea_orm::{DbErr, Set};
use serde_json::{Value, json};
use tessera_audit::testing::{Cursor, GENESIS, audit_chains, audit_log, entry_hash, seal_commitments};
use tessera_kernel::db::Db;
use tessera_kernel::ids::{AuditId, OrgId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Fixture, insert_all, secs};

/// Rows per write transaction.
const ROWS_PER_TXN: usize = 50_000;

/// The actions recorded, with their target type.
const ACTIONS: [(&str, &str); 10] = [
    ("member.added", "member"),
    ("member.role_changed", "member"),
    ("team.member_added", "team"),
    ("team.created", "team"),
    ("invitation.created", "invitation"),
    ("member.role_changed", "member"),
    ("team.updated", "team"),
    ("api_key.created", "api_key"),
    ("member.removed", "member"),
    ("org.updated", "org"),
];

/// The head of one chain while it is being written.
#[derive(Clone)]
struct Head {
    seq: i64,
    last_hash: String,
}

/// A cheap deterministic mix of an index (splitmix64), so the layout is the same on every run.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Entry `i` of the log in organization `o`; `exporter` makes user 1 its actor.
fn entry(f: &Fixture, i: usize, o: usize, exporter: bool, at: i64, head: &Head) -> audit_log::Model {
    let r = mix(i as u64);
    let m = f.plan.members_per_org;
    let (action, target_type) = ACTIONS[(r % ACTIONS.len() as u64) as usize];
    let member = f.users[f.member(o, ((r >> 8) as usize) % m)];
    let (actor_type, actor_id, actor_owner) = if exporter {
        ("user", Some(f.users[1].to_string()), None)
    } else {
        // Never the exporter, whose entries must number exactly `export_entries`.
        let mut j = ((r >> 16) as usize) % m;
        if f.member(o, j) == 1 {
            j = (j + 1) % m;
        }
        let actor = f.users[f.member(o, j)].to_string();
        match (r >> 24) % 20 {
            0 => ("apikey", Some(uuid::Uuid::from_u64_pair(r, o as u64).to_string()), Some(actor)),
            1 => ("system", None, None),
            _ => ("user", Some(actor), None),
        }
    };
    let team = f.teams[o][((r >> 32) as usize) % f.teams[o].len()];
    let (target_id, changes) = match action {
        "member.role_changed" => {
            (member.to_string(), Some(json!({"before": {"role": "member"}, "after": {"role": "admin"}})))
        }
        "member.added" | "member.removed" => {
            (member.to_string(), Some(json!({"before": null, "after": {"role": "member"}})))
        }
        "team.created" | "team.updated" => (team.to_string(), Some(json!({"before": null, "after": {"name": "Team"}}))),
        "team.member_added" => {
            (team.to_string(), Some(json!({"before": null, "after": {"userId": member, "role": "member"}})))
        }
        "org.updated" => (f.orgs[o].to_string(), Some(json!({"before": {"name": "Old"}, "after": {"name": "New"}}))),
        _ => (uuid::Uuid::from_u64_pair(r, i as u64).to_string(), None),
    };
    let mut row = audit_log::Model {
        id: AuditId::new(),
        chain_key: f.orgs[o].to_string(),
        seq: head.seq + 1,
        org_id: Some(f.orgs[o]),
        actor_type: actor_type.to_owned(),
        actor_id,
        actor_owner,
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id,
        changes,
        ip: Some(format!("10.{}.{}.{}", (r >> 40) % 256, (r >> 48) % 256, (r >> 56) % 250 + 1)),
        user_agent: Some("tessera-bench-seed/1.0".to_owned()),
        request_id: Some(format!("seed-{i}")),
        created_at: at,
        personal_commitments: String::new(),
        personal_salts: String::new(),
        erased_at: None,
        prev_hash: head.last_hash.clone(),
        hash: String::new(),
    };
    (row.personal_commitments, row.personal_salts) = seal_commitments(&row);
    row.hash = entry_hash(&row);
    row
}

/// Writes the log; returns the layout, the timings and the cursors of the hot organization.
pub async fn seed(db: &Db, f: &Fixture, now_ms: i64) -> Result<Value, DbErr> {
    let started = Instant::now();
    let total = f.plan.audit_entries;
    let hot_total = (total as f64 * f.plan.hot_share).floor() as usize;
    let exporter_every = (hot_total / f.plan.export_entries.max(1)).max(1);
    // From 90 days ago to an hour ago, strictly increasing along the whole log.
    let first = now_ms - 90 * 86_400_000;
    let step = ((90 * 86_400_000 - 3_600_000) / total.max(1) as i64).max(1);
    let mut heads = vec![Head { seq: 0, last_hash: GENESIS.to_owned() }; f.plan.orgs];
    let (mut hot, mut cold, mut exporter) = (0usize, 0usize, 0usize);
    let mut marks: Vec<(&str, Option<Cursor>, i64)> = Vec::new();
    let mut pending: Vec<audit_log::ActiveModel> = Vec::with_capacity(ROWS_PER_TXN);
    for i in 0..total {
        let at = first + i as i64 * step;
        // Entry i is the hot organization's when the hot count must grow to keep the share.
        let is_hot = ((i + 1) as f64 * f.plan.hot_share).floor() as usize > hot;
        let o = if is_hot { 0 } else { 1 + cold % (f.plan.orgs - 1) };
        let by_exporter = is_hot && hot % exporter_every == 0 && exporter < f.plan.export_entries;
        let row = entry(f, i, o, by_exporter, at, &heads[o]);
        heads[o] = Head { seq: row.seq, last_hash: row.hash.clone() };
        if is_hot {
            // Newest first, the middle of the hot log is `hot_total / 2` entries deep.
            for (name, at_hot) in
                [("quarter", hot_total / 4), ("middle", hot_total / 2), ("threeQuarters", hot_total * 3 / 4)]
            {
                if hot == at_hot {
                    marks.push((name, Some(Cursor::of(&row)), row.created_at));
                }
            }
            hot += 1;
            exporter += usize::from(by_exporter);
        } else {
            cold += 1;
        }
        pending.push(row.into());
        if pending.len() == ROWS_PER_TXN {
            insert_all(db, std::mem::take(&mut pending), f.plan.batch).await?;
        }
    }
    insert_all(db, pending, f.plan.batch).await?;
    let entries_s = secs(started);
    let chains: Vec<audit_chains::ActiveModel> = heads
        .iter()
        .enumerate()
        .filter(|(_, h)| h.seq > 0)
        .map(|(o, h)| audit_chains::ActiveModel {
            chain_key: Set(f.orgs[o].to_string()),
            seq: Set(h.seq),
            last_hash: Set(h.last_hash.clone()),
            cut_seq: Set(1),
            cut_hash: Set(GENESIS.to_owned()),
        })
        .collect();
    let chain_count = chains.len();
    insert_all(db, chains, f.plan.batch).await?;
    let mut cursors = serde_json::Map::new();
    for (name, cursor, at) in marks {
        let c = cursor.map(|c| c.encode());
        cursors.insert(name.to_owned(), json!({ "cursor": c, "time": rfc3339(at) }));
    }
    let hot_org: OrgId = f.orgs[0];
    Ok(json!({
        "entries": total, "hotOrgEntries": hot, "otherEntries": cold, "chains": chain_count,
        "exporterEntries": exporter, "hotOrgId": hot_org, "seconds": secs(started), "entriesSeconds": entries_s,
        "entriesPerSecond": if entries_s > 0.0 { (total as f64 / entries_s).round() } else { 0.0 },
        "firstTime": rfc3339(first), "lastTime": rfc3339(first + (total.max(1) as i64 - 1) * step),
        "hotCursors": cursors,
    }))
}
