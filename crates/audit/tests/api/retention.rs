//! Retention: old entries go, the chain verifies from the cut, and tampering with
//! what is kept is still caught.

use serde_json::json;
use tessera_audit::AuditConfig;
use tessera_kernel::ActorRef;
use tessera_kernel::config::Settings;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, TestUser, spawn_app};

use crate::support::{all_pages, org_entries, record, sql, verify};

/// Five entries 40 days old and three from today in one organization's chain,
/// then retention at 30 days.
async fn cut_after_forty_days() -> (TestApp, TestUser, OrgId) {
    let app = spawn_app().await;
    let org = OrgId::new();
    record(&app, org_entries(org, &ActorRef::System, 5)).await;
    app.clock.advance(time::Duration::days(40));
    record(&app, org_entries(org, &ActorRef::System, 3)).await;
    // Signed in after the clock moved, so the access token is fresh.
    let admin = app.admin().await;
    let report = tessera_audit::retention::apply(&app.core, 30).await.unwrap();
    assert!(report.deleted >= 5, "{report:?}");
    (app, admin, org)
}

#[tokio::test]
async fn retention_deletes_old_entries_and_the_chain_verifies_from_the_cut() {
    let (app, admin, org) = cut_after_forty_days().await;

    let kept = all_pages(&admin.client, &format!("/api/v1/audit-logs?orgId={org}"), 50).await;
    let seqs: Vec<i64> = kept.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [8, 7, 6]);
    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!((v["fromSeq"].as_i64(), v["checked"].as_i64(), v["headSeq"].as_i64()), (Some(6), Some(3), Some(8)));

    record(&app, org_entries(org, &ActorRef::System, 2)).await;
    let again = tessera_audit::retention::apply(&app.core, 30).await.unwrap();
    assert_eq!(again.deleted, 0, "nothing is old enough any more");
    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["checked"].as_i64()), (Some(true), Some(5)), "appends continue the chain");
    assert_eq!(verify(&admin.client, "platform").await["valid"], true);
}

#[tokio::test]
async fn tampering_after_the_cut_is_still_caught() {
    let (app, admin, org) = cut_after_forty_days().await;

    sql(&app, &format!("UPDATE audit_log SET action = 'org.deleted' WHERE chain_key = '{org}' AND seq = 7")).await;

    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(7)), "{v}");
}

#[tokio::test]
async fn deleting_the_oldest_kept_entry_is_caught() {
    let (app, admin, org) = cut_after_forty_days().await;

    sql(&app, &format!("DELETE FROM audit_log WHERE chain_key = '{org}' AND seq = 6")).await;

    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["firstBrokenSeq"].as_i64()), (Some(false), Some(7)), "{v}");
    assert_eq!(v["reason"], "an entry before this one is missing");
}

#[tokio::test]
async fn a_chain_whose_every_entry_is_old_is_emptied_and_still_verifies() {
    let app = spawn_app().await;
    let org = OrgId::new();
    record(&app, org_entries(org, &ActorRef::System, 4)).await;
    app.clock.advance(time::Duration::days(31));
    let admin = app.admin().await;

    tessera_audit::retention::apply(&app.core, 30).await.unwrap();

    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["checked"].as_i64(), v["fromSeq"].as_i64()), (Some(true), Some(0), Some(5)));
    record(&app, org_entries(org, &ActorRef::System, 1)).await;
    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["checked"].as_i64(), v["headSeq"].as_i64()), (Some(true), Some(1), Some(5)));
}

#[tokio::test]
async fn retention_zero_keeps_everything() {
    let app = spawn_app().await;
    record(&app, org_entries(OrgId::new(), &ActorRef::System, 3)).await;
    app.clock.advance(time::Duration::days(3650));

    let report = tessera_audit::retention::apply(&app.core, 0).await.unwrap();

    assert_eq!(report.deleted, 0);
}

#[test]
fn the_retention_setting_is_read_and_checked() {
    let settings = |days: serde_json::Value| {
        Settings::for_test(&[tessera_audit::DEFAULT_CONFIG], &[("audit.retention_days", days)])
    };
    assert_eq!(
        AuditConfig::from_settings(&Settings::for_test(&[tessera_audit::DEFAULT_CONFIG], &[])).unwrap().retention_days,
        0
    );
    assert_eq!(AuditConfig::from_settings(&settings(json!(90))).unwrap().retention_days, 90);
    let err = AuditConfig::from_settings(&settings(json!(-1))).unwrap_err().to_string();
    assert!(err.contains("audit.retention_days"), "{err}");
    let err = AuditConfig::from_settings(&settings(json!(100_000))).unwrap_err().to_string();
    assert!(err.contains("audit.retention_days"), "{err}");
}
