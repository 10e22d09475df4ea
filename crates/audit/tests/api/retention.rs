//! Retention: old entries go, the chain verifies from the cut, and tampering with
//! what is kept is still caught.

use std::time::Duration;

use serde_json::{Value, json};
use tessera_audit::AuditModule;
use tessera_kernel::ActorRef;
use tessera_kernel::Module;
use tessera_kernel::config::Settings;
use tessera_kernel::ids::OrgId;
use tessera_kernel::module::config_of;
use tessera_testkit::{TestApp, TestUser, spawn_app, spawn_app_with};

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
    let report = tessera_audit::testing::apply_retention(&app.core, 30).await.unwrap();
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
    let again = tessera_audit::testing::apply_retention(&app.core, 30).await.unwrap();
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

    tessera_audit::testing::apply_retention(&app.core, 30).await.unwrap();

    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["checked"].as_i64(), v["fromSeq"].as_i64()), (Some(true), Some(0), Some(5)));
    record(&app, org_entries(org, &ActorRef::System, 1)).await;
    let v = verify(&admin.client, &org.to_string()).await;
    assert_eq!((v["valid"].as_bool(), v["checked"].as_i64(), v["headSeq"].as_i64()), (Some(true), Some(1), Some(5)));
}

#[tokio::test]
async fn the_scheduled_job_deletes_what_the_setting_says_is_too_old_and_the_chain_still_verifies() {
    let app = spawn_app_with(|cfg| {
        cfg.set("audit.retention_days", json!(30)).set("audit.retention_interval_secs", json!(1));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Long Ago").await.id;
    app.create_team(&owner, org, "Early").await;
    let log_path = format!("/api/v1/orgs/{org}/audit-logs");
    let old = all_pages(&owner.client, &log_path, 50).await;
    app.clock.advance(time::Duration::days(40));
    // Signed in again after the clock moved, so the access token is fresh.
    let owner = app.login(&owner.email, &owner.password).await;
    app.create_team(&owner, org, "Late").await;

    // The job runs by itself every second; wait (bounded) for a pass to cut the chain.
    let verify_path = format!("{log_path}/verify");
    let mut v = Value::Null;
    for _ in 0..300 {
        v = owner.client.get(&verify_path).await.data().clone();
        if v["fromSeq"].as_i64() > Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let first_kept = old.len() as i64 + 1;
    assert_eq!(v["fromSeq"].as_i64(), Some(first_kept), "the job cut the chain after the old entries: {v}");
    assert_eq!(v["valid"], true, "{v}");
    let kept = all_pages(&owner.client, &log_path, 50).await;
    assert!(kept.iter().all(|e| e["seq"].as_i64() >= Some(first_kept)), "{kept:?}");
    assert!(kept.iter().any(|e| e["action"] == "team.created"), "the new team's entry stays: {kept:?}");
    assert!(old.iter().all(|o| kept.iter().all(|k| k["id"] != o["id"])), "every old entry went");
    let admin = app.admin().await;
    assert_eq!(verify(&admin.client, "platform").await["valid"], true);
}

#[tokio::test]
async fn retention_zero_keeps_everything() {
    let app = spawn_app().await;
    record(&app, org_entries(OrgId::new(), &ActorRef::System, 3)).await;
    app.clock.advance(time::Duration::days(3650));

    let report = tessera_audit::testing::apply_retention(&app.core, 0).await.unwrap();

    assert_eq!(report.deleted, 0);
}

#[test]
fn the_retention_setting_is_read_and_checked() {
    let settings =
        |days: serde_json::Value| Settings::for_test(&[AuditModule::DEFAULT_CONFIG], &[("audit.retention_days", days)]);
    assert_eq!(
        config_of::<AuditModule>(&Settings::for_test(&[AuditModule::DEFAULT_CONFIG], &[])).unwrap().retention_days,
        0
    );
    assert_eq!(config_of::<AuditModule>(&settings(json!(90))).unwrap().retention_days, 90);
    let err = config_of::<AuditModule>(&settings(json!(-1))).unwrap_err().to_string();
    assert!(err.contains("audit.retention_days"), "{err}");
    let err = config_of::<AuditModule>(&settings(json!(100_000))).unwrap_err().to_string();
    assert!(err.contains("audit.retention_days"), "{err}");
}

#[test]
fn the_retention_period_defaults_to_an_hour_and_is_checked() {
    let settings = |secs: serde_json::Value| {
        Settings::for_test(&[AuditModule::DEFAULT_CONFIG], &[("audit.retention_interval_secs", secs)])
    };
    let defaults = Settings::for_test(&[AuditModule::DEFAULT_CONFIG], &[]);
    assert_eq!(config_of::<AuditModule>(&defaults).unwrap().retention_interval_secs, 3_600);
    assert_eq!(config_of::<AuditModule>(&settings(json!(5))).unwrap().retention_interval_secs, 5);
    for bad in [json!(0), json!(-5), json!(604_801), json!("hourly")] {
        let err = config_of::<AuditModule>(&settings(bad.clone())).unwrap_err().to_string();
        assert!(err.contains("audit.retention_interval_secs"), "{bad}: {err}");
    }
}
