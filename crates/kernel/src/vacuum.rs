//! Queue tables on PostgreSQL. A row a queue inserts, updates and deletes leaves
//! dead versions behind, in the table and in its indexes, and every scan of the
//! queue steps over them until VACUUM removes them. Autovacuum visits a database
//! once per `autovacuum_naptime` (a minute by default): at a few thousand rows a
//! second that is a few hundred thousand dead rows, and a claim that should read
//! one index page reads ten thousand heap pages. So the tables modules name as
//! hot are watched here and vacuumed once their dead rows pass
//! `database.vacuum_dead_rows`. Nodes sharing the database may all watch:
//! `SKIP_LOCKED` lets a vacuum already running on a table make the others skip it.
//! MySQL's purge thread and SQLite's single version need none of this.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult, Statement};
use tokio::sync::watch;

use crate::db::Db;

/// The kernel's own queue tables: the outbox and the job queue.
pub const KERNEL_TABLES: &[&str] = &["outbox_events", "jobs"];

/// How often the dead-row counts are read.
const EVERY: Duration = Duration::from_secs(2);

#[derive(FromQueryResult)]
struct Dead {
    relname: String,
    n_dead_tup: i64,
}

/// Vacuums each of `tables` holding more than `threshold` dead rows; returns the ones vacuumed.
pub async fn sweep(db: &Db, tables: &[&str], threshold: i64) -> Result<Vec<String>, DbErr> {
    if db.backend() != DatabaseBackend::Postgres || tables.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    let counts = Dead::find_by_statement(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT relname::text AS relname, n_dead_tup FROM pg_stat_user_tables \
         WHERE schemaname = current_schema() AND relname = ANY($1)",
        [names.into()],
    ))
    .all(&db.conn)
    .await?;
    let mut done = Vec::new();
    for t in counts.into_iter().filter(|c| c.n_dead_tup > threshold) {
        // The name comes from the catalogue and is one of `tables`; quoted all the same.
        let sql = format!("VACUUM (SKIP_LOCKED) \"{}\"", t.relname.replace('"', "\"\""));
        db.conn.execute_unprepared(&sql).await?;
        metrics::counter!("tessera_db_vacuums_total", "table" => t.relname.clone()).increment(1);
        done.push(t.relname);
    }
    Ok(done)
}

/// Watches `tables` until `stop` turns true; `None` when there is nothing to do
/// (not PostgreSQL, no tables, or a threshold of 0).
pub fn start(
    db: Db,
    tables: Vec<&'static str>,
    threshold: i64,
    mut stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if db.backend() != DatabaseBackend::Postgres || tables.is_empty() || threshold <= 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => break,
            }
            match sweep(&db, &tables, threshold).await {
                Ok(done) if !done.is_empty() => tracing::debug!(tables = ?done, "vacuumed queue tables"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "vacuuming queue tables failed"),
            }
        }
    }))
}
