//! The queue tables stay lean on PostgreSQL: once deliveries and the outbox turn
//! over past `database.vacuum_dead_rows`, tessera vacuums them itself rather
//! than wait up to a minute for autovacuum; and claims read the partial queue
//! index there. On SQLite and MySQL the sweep does nothing, and says so.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, TransactionTrait};
use serde_json::json;
use tessera_kernel::vacuum;
use tessera_testkit::{Engine, id_of, publish};

use crate::support::*;

#[derive(FromQueryResult)]
struct Vacuumed {
    relname: String,
}

#[tokio::test]
async fn busy_queue_tables_are_vacuumed_by_tessera_on_postgres() {
    let app = hooks_app_with(|cfg| {
        cfg.set("database.vacuum_dead_rows", json!(20));
    })
    .await;
    let hot =
        [vacuum::KERNEL_TABLES, <tessera_webhooks::WebhooksModule as tessera_kernel::Module>::HOT_TABLES].concat();
    if Engine::from_env() != Engine::Postgres {
        // Nothing to sweep: SQLite keeps one version of a row, MySQL purges its own.
        assert_eq!(vacuum::sweep(&app.core.db, &hot, 0).await.unwrap(), Vec::<String>::new());
        return;
    }
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Sweepers").await.id;
    let ok = Receiver::start(Reply::Status(204)).await;
    let ep = id_of(&endpoint(&owner, org, &ok.url(), &["invoice.*"]).await);
    for n in 0..40 {
        id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await);
    }
    ok.wait_hits(40).await;
    assert_eq!(wait_settled(&owner, org, &ep).await.len(), 40);

    // Each delivery left dead versions (its claim, its outcome) and each event a
    // deleted outbox row: past 20 of either, the sweeper vacuums the table.
    let db = &app.core.db.conn;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen: Vec<String> = Vec::new();
    while !(seen.iter().any(|t| t == "outbox_events") && seen.iter().any(|t| t == "webhook_deliveries")) {
        assert!(Instant::now() < deadline, "not vacuumed within 30 s; vacuumed so far: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        db.execute_unprepared("SELECT pg_stat_clear_snapshot()").await.unwrap();
        seen = Vacuumed::find_by_statement(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT relname::text AS relname FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND last_vacuum IS NOT NULL",
        ))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.relname)
        .collect();
    }
    assert!(!seen.iter().any(|t| t == "webhook_attempts"), "only the named queue tables are vacuumed: {seen:?}");
}

#[tokio::test]
async fn a_claim_reads_the_queue_index_on_postgres() {
    let app = hooks_app().await;
    if Engine::from_env() != Engine::Postgres {
        return; // SQLite and MySQL keep the composite (status, next_attempt_at) index lean themselves
    }
    // The claim's own condition, as the dispatcher writes it, with plain table
    // scans ruled out: the planner must be able to prove the partial index applies.
    let db = &app.core.db.conn;
    let query = format!(
        "EXPLAIN SELECT id FROM webhook_deliveries WHERE {} AND next_attempt_at <= 1 ORDER BY next_attempt_at LIMIT 10",
        tessera_webhooks::testing::QUEUED
    );
    let txn = db.begin().await.unwrap(); // one connection for the setting and the plan
    txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
    txn.execute_unprepared("SET LOCAL enable_bitmapscan = off").await.unwrap();
    let rows = txn.query_all_raw(Statement::from_string(DatabaseBackend::Postgres, query)).await.unwrap();
    txn.rollback().await.unwrap();
    let plan: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    assert!(plan.iter().any(|line| line.contains("ix_webhook_deliveries_queue")), "plan: {plan:#?}");
}
