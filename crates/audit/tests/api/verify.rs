//! Tamper evidence: a chain verifies until someone edits, removes or rewrites an
//! entry behind the application's back, and verification names the first one.

use tessera_kernel::ActorRef;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, spawn_app};

use crate::support::{all_pages, org_entries, record, record_from, sql, verify};

/// An application with a 10-entry organization chain, its administrator and the org.
async fn ten_entries() -> (TestApp, tessera_testkit::TestUser, OrgId) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    record_from(&app, "192.0.2.10", "tests", org_entries(org, &ActorRef::System, 10)).await;
    (app, admin, org)
}

/// The id of the entry at `seq` of `org`'s chain, as the listing shows it.
async fn id_at(admin: &tessera_testkit::TestUser, org: OrgId, seq: i64) -> String {
    let res = admin.client.get(&format!("/api/v1/audit-logs?orgId={org}&limit=200")).await;
    let entries = res.data().as_array().unwrap().clone();
    let entry = entries.iter().find(|e| e["seq"] == seq).unwrap();
    entry["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_untouched_chain_verifies() {
    let (_app, admin, org) = ten_entries().await;

    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], true, "{v}");
    assert_eq!((v["checked"].as_i64(), v["headSeq"].as_i64(), v["fromSeq"].as_i64()), (Some(10), Some(10), Some(1)));
    assert_eq!(v["firstBrokenId"], serde_json::Value::Null);
    assert_eq!(v["chain"], org.to_string().as_str());
    let empty = verify(&admin.client, &OrgId::new().to_string()).await;
    assert_eq!((empty["valid"].as_bool(), empty["checked"].as_i64()), (Some(true), Some(0)));
}

#[tokio::test]
async fn changing_the_action_of_an_entry_in_the_database_is_caught_at_that_entry() {
    let (app, admin, org) = ten_entries().await;
    let edited = id_at(&admin, org, 5).await;

    sql(&app, &format!("UPDATE audit_log SET action = 'member.removed' WHERE chain_key = '{org}' AND seq = 5")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 5);
    assert_eq!(v["firstBrokenId"], edited.as_str());
    assert_eq!(v["checked"], 4);
    assert_eq!(v["reason"], "the entry was altered");
}

#[tokio::test]
async fn changing_the_target_of_an_entry_is_caught_at_that_entry() {
    let (app, admin, org) = ten_entries().await;
    let edited = id_at(&admin, org, 8).await;

    sql(&app, &format!("UPDATE audit_log SET target_id = 'someone-else' WHERE chain_key = '{org}' AND seq = 8")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(8)), "{v}");
    assert_eq!(v["firstBrokenId"], edited.as_str());
}

#[tokio::test]
async fn an_owner_verifying_their_organizations_log_is_told_the_first_entry_edited_in_the_database() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Watched").await.id;
    for name in ["Core", "Edge", "Ops", "Labs"] {
        app.create_team(&owner, org, name).await;
    }
    let path = format!("/api/v1/orgs/{org}/audit-logs/verify");
    let before = owner.client.get(&path).await;
    assert_eq!(before.data()["valid"], true, "{}", before.text);
    let log = all_pages(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs?action=team.created"), 50).await;
    // Oldest first: Core, Edge, Ops, Labs.
    let seqs: Vec<i64> = log.iter().rev().map(|e| e["seq"].as_i64().unwrap()).collect();
    let edited = log.iter().rev().nth(1).unwrap()["id"].as_str().unwrap().to_owned();

    // Two rows changed behind the application's back: a personal field, then a later entry's action.
    let set =
        |column: &str, seq: i64| format!("UPDATE audit_log SET {column} WHERE chain_key = '{org}' AND seq = {seq}");
    sql(&app, &set("ip = '198.51.100.7'", seqs[1])).await;
    sql(&app, &set("action = 'team.deleted'", seqs[3])).await;
    let res = owner.client.get(&path).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let v = res.data();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!((v["firstBrokenId"].as_str(), v["firstBrokenSeq"].as_i64()), (Some(edited.as_str()), Some(seqs[1])));
    assert_eq!(v["reason"], "the actor, address, user agent or changes were altered");
    assert_eq!(v["chain"], org.to_string());
}

#[tokio::test]
async fn deleting_an_entry_in_the_middle_is_caught_as_a_gap() {
    let (app, admin, org) = ten_entries().await;
    let after_gap = id_at(&admin, org, 6).await;

    sql(&app, &format!("DELETE FROM audit_log WHERE chain_key = '{org}' AND seq = 5")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 6, "the entry after the gap");
    assert_eq!(v["firstBrokenId"], after_gap.as_str());
    assert_eq!(v["reason"], "an entry before this one is missing");
}

#[tokio::test]
async fn renumbering_entries_to_hide_a_deletion_is_caught() {
    let (app, admin, org) = ten_entries().await;

    sql(&app, &format!("DELETE FROM audit_log WHERE chain_key = '{org}' AND seq = 5")).await;
    for seq in 6..=10 {
        sql(&app, &format!("UPDATE audit_log SET seq = {} WHERE chain_key = '{org}' AND seq = {seq}", seq - 1)).await;
    }
    sql(&app, &format!("UPDATE audit_chains SET seq = 9 WHERE chain_key = '{org}'")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(5)), "{v}");
}

#[tokio::test]
async fn deleting_the_newest_entries_is_caught() {
    let (app, admin, org) = ten_entries().await;

    sql(&app, &format!("DELETE FROM audit_log WHERE chain_key = '{org}' AND seq >= 9")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 9);
    assert_eq!(v["reason"], "the last entries of the chain are missing");
}

#[tokio::test]
async fn changing_the_address_of_an_entry_is_caught_by_its_commitment() {
    let (app, admin, org) = ten_entries().await;
    let edited = id_at(&admin, org, 3).await;

    sql(&app, &format!("UPDATE audit_log SET ip = '198.51.100.1' WHERE chain_key = '{org}' AND seq = 3")).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["firstBrokenId"], edited.as_str());
    assert_eq!(v["reason"], "the actor, address, user agent or changes were altered");
}

#[tokio::test]
async fn changes_read_back_from_the_database_still_match_their_digest() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = OrgId::new();
    // Key order, nesting, numbers and text that databases may store differently.
    let entry = tessera_kernel::audit::AuditEntry::new(ActorRef::System, "org.updated", "org", org).in_org(org).change(
        serde_json::json!({"zeta": 1, "alpha": {"b": [1.5, -2, 1e-7], "a": null}, "ünïcode": "\"q\" \\ \n"}),
        serde_json::json!({"settings": {"long_key_name": true, "k": 18446744073709551615u64, "f": 0.1}}),
    );
    record(&app, vec![entry]).await;

    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], true, "{v}");
}

#[tokio::test]
async fn marking_an_entry_erased_does_not_let_its_personal_fields_be_rewritten() {
    let (app, admin, org) = ten_entries().await;
    let forged = uuid::Uuid::now_v7();

    sql(
        &app,
        &format!(
            "UPDATE audit_log SET erased_at = 1, actor_id = '{forged}', ip = NULL \
             WHERE chain_key = '{org}' AND seq = 4"
        ),
    )
    .await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(4)), "{v}");
    assert_eq!(v["reason"], "the actor, address, user agent or changes were altered");
}

/// Inserts, behind the application's back, a copy of the entry at `seq` of `org`'s
/// chain with a new id at position `to`, linked to `prev` and hashed as the
/// application would; returns its id.
async fn forge(app: &TestApp, org: OrgId, seq: i64, to: i64, prev: Option<String>) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use tessera_audit::testing::audit_log::{ActiveModel, Column, Entity};
    let conn = &app.core.db.conn;
    let query = Entity::find().filter(Column::ChainKey.eq(org.to_string())).filter(Column::Seq.eq(seq));
    let mut row = query.one(conn).await.unwrap().unwrap();
    (row.id, row.seq, row.target_id) = (tessera_kernel::ids::AuditId::new(), to, "forged".into());
    if let Some(prev) = prev {
        row.prev_hash = prev;
    }
    row.hash = tessera_audit::testing::entry_hash(&row);
    Entity::insert(ActiveModel::from(row.clone())).exec_without_returning(conn).await.unwrap();
    row.id.to_string()
}

#[tokio::test]
async fn an_entry_inserted_after_the_head_is_caught() {
    let (app, admin, org) = ten_entries().await;
    let head = verify(&admin.client, &org.to_string()).await["headHash"].as_str().unwrap().to_owned();

    let forged = forge(&app, org, 10, 11, Some(head)).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!((v["firstBrokenSeq"].as_i64(), v["firstBrokenId"].as_str()), (Some(11), Some(forged.as_str())));
    assert_eq!(v["reason"], "an entry outside the chain was inserted");
}

#[tokio::test]
async fn an_entry_slipped_into_the_middle_is_caught_after_it() {
    let (app, admin, org) = ten_entries().await;
    assert_eq!(verify(&admin.client, &org.to_string()).await["valid"], true);
    let prev = {
        let res = admin.client.get(&format!("/api/v1/audit-logs?orgId={org}&limit=200")).await;
        let list = res.data().as_array().unwrap().clone();
        list.iter().find(|e| e["seq"] == 5).unwrap()["hash"].as_str().unwrap().to_owned()
    };

    for seq in (6..=10).rev() {
        sql(&app, &format!("UPDATE audit_log SET seq = {} WHERE chain_key = '{org}' AND seq = {seq}", seq + 1)).await;
    }
    sql(&app, &format!("UPDATE audit_chains SET seq = 11 WHERE chain_key = '{org}'")).await;
    forge(&app, org, 5, 6, Some(prev)).await;
    let v = verify(&admin.client, &org.to_string()).await;

    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 7, "the forged entry links well; the one it pushed along does not: {v}");
}
