//! A database-backed job queue. Jobs are enqueued inside the caller's transaction,
//! claimed by workers with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL and
//! MySQL), retried with backoff, and taken over by another node when a lease
//! expires, so work survives restarts and crashes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore, watch};

use crate::clock::{Clock, Millis};
use crate::config::JobsConfig;
use crate::db::Db;
use crate::ids::JobId;

pub mod entity {
    //! `jobs`: pending and running background work.
    use sea_orm::entity::prelude::*;

    use crate::ids::JobId;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: JobId,
        pub kind: String,
        pub payload: Json,
        /// `pending` or `running`; finished jobs are deleted, dead ones kept as `failed`.
        pub status: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_at: i64,
        pub lease_until: Option<i64>,
        pub leased_by: Option<String>,
        pub last_error: Option<String>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// What a handler reports when a job fails.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (network failure, remote 5xx…).
    #[error("{0}")]
    Retry(String),
    /// Never going to work (bad payload…): give up now.
    #[error("{0}")]
    Permanent(String),
}

/// Runs jobs of one kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, payload: Value) -> Result<(), JobError>;
}

/// The queue: enqueue from services, run workers on every node.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: Clock,
    cfg: JobsConfig,
    node: String,
    wake: Notify,
    handlers: RwLock<HashMap<String, Arc<dyn JobHandler>>>,
}

impl Jobs {
    pub fn new(db: Db, clock: Clock, cfg: JobsConfig) -> Self {
        let node = format!("node-{}", uuid::Uuid::now_v7());
        Self {
            inner: Arc::new(Inner { db, clock, cfg, node, wake: Notify::new(), handlers: RwLock::new(HashMap::new()) }),
        }
    }

    /// Registers the handler of `kind`; call before [`Jobs::start`].
    pub fn register(&self, kind: &str, handler: Arc<dyn JobHandler>) {
        if let Ok(mut map) = self.inner.handlers.write() {
            map.insert(kind.to_owned(), handler);
        }
    }

    /// Adds a job on `conn` (usually the transaction of the change that needs it).
    /// Call [`Jobs::wake`] after committing so a worker picks it up at once.
    pub async fn enqueue<C: ConnectionTrait>(
        &self,
        conn: &C,
        kind: &str,
        payload: impl Serialize,
        max_attempts: u32,
    ) -> Result<JobId, DbErr> {
        let now = self.inner.clock.now_ms();
        self.enqueue_at(conn, kind, payload, max_attempts, now).await
    }

    /// Adds a job that runs no earlier than `run_at` (ms since the epoch).
    pub async fn enqueue_at<C: ConnectionTrait>(
        &self,
        conn: &C,
        kind: &str,
        payload: impl Serialize,
        max_attempts: u32,
        run_at: Millis,
    ) -> Result<JobId, DbErr> {
        let now = self.inner.clock.now_ms();
        let id = JobId::new();
        let row = entity::ActiveModel {
            id: Set(id),
            kind: Set(kind.to_owned()),
            payload: Set(serde_json::to_value(payload).unwrap_or(Value::Null)),
            status: Set("pending".into()),
            attempts: Set(0),
            max_attempts: Set(i32::try_from(max_attempts.max(1)).unwrap_or(i32::MAX)),
            run_at: Set(run_at.max(now)),
            lease_until: Set(None),
            leased_by: Set(None),
            last_error: Set(None),
            created_at: Set(now),
        };
        Entity::insert(row).exec_without_returning(conn).await?;
        Ok(id)
    }

    /// Wakes the local workers (after a commit that enqueued work).
    pub fn wake(&self) {
        self.inner.wake.notify_waiters();
    }

    /// Runs the worker loop until `stop` turns true.
    pub fn start(&self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(jobs.inner.cfg.workers));
            loop {
                if *stop.borrow() {
                    break;
                }
                let free = slots.available_permits();
                let claimed = if free > 0 { jobs.claim(free).await } else { Ok(Vec::new()) };
                match claimed {
                    Ok(batch) => {
                        let got = batch.len();
                        for job in batch {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let jobs = jobs.clone();
                            tokio::spawn(async move {
                                jobs.execute(job).await;
                                drop(permit);
                                // A slot is free: claim the next job now, not at the loop's next tick
                                // (`notify_one` keeps the wake-up if the loop is not waiting yet).
                                jobs.inner.wake.notify_one();
                            });
                        }
                        if got > 0 && got == free {
                            continue; // more may be waiting
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "claiming jobs failed"),
                }
                tokio::select! {
                    _ = jobs.inner.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Leases up to `n` due jobs (pending, or running with an expired lease).
    async fn claim(&self, n: usize) -> Result<Vec<entity::Model>, DbErr> {
        let now = self.inner.clock.now_ms();
        let lease_ms = i64::try_from(self.inner.cfg.lease_secs * 1000).unwrap_or(60_000);
        let txn = self.inner.db.begin_write().await?;
        use sea_orm::ExprTrait; // scoped: its blanket `min`/`max` shadow `Ord`'s elsewhere
        let due = Column::Status
            .eq("pending")
            .and(Column::RunAt.lte(now))
            .or(Column::Status.eq("running").and(Column::LeaseUntil.lt(now)));
        let query = Entity::find().filter(due).order_by_asc(Column::RunAt).limit(n as u64);
        let rows = crate::db::lock_skip_locked(query, &*txn).all(&*txn).await?;
        let mut leased = Vec::with_capacity(rows.len());
        for row in rows {
            let mut active: entity::ActiveModel = row.into();
            active.status = Set("running".into());
            active.attempts = Set(active.attempts.take().unwrap_or(0) + 1);
            active.lease_until = Set(Some(now + lease_ms));
            active.leased_by = Set(Some(self.inner.node.clone()));
            leased.push(active.update(&*txn).await?);
        }
        txn.commit().await?;
        Ok(leased)
    }

    async fn execute(&self, job: entity::Model) {
        let handler = self.inner.handlers.read().ok().and_then(|m| m.get(&job.kind).cloned());
        let result = match handler {
            Some(h) => h.run(job.payload.clone()).await,
            None => Err(JobError::Retry(format!("no handler for job kind {} on this node", job.kind))),
        };
        if let Err(err) = self.finish(&job, result).await {
            tracing::warn!(job = %job.id, error = %err, "recording a job outcome failed; its lease will expire");
        }
    }

    async fn finish(&self, job: &entity::Model, result: Result<(), JobError>) -> Result<(), DbErr> {
        use sea_orm::ExprTrait;
        let mine = Column::Id.eq(job.id).and(Column::LeasedBy.eq(self.inner.node.clone()));
        let db = self.inner.db.writer();
        match result {
            Ok(()) => {
                Entity::delete_many().filter(mine).exec(db).await?;
            }
            Err(err) => {
                let give_up = matches!(err, JobError::Permanent(_)) || job.attempts >= job.max_attempts;
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, give_up, error = %err, "job failed");
                let run_at = self.inner.clock.now_ms() + backoff_ms(job.attempts);
                Entity::update_many()
                    .col_expr(Column::Status, Expr::value(if give_up { "failed" } else { "pending" }))
                    .col_expr(Column::RunAt, Expr::value(run_at))
                    .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                    .col_expr(Column::LeasedBy, Expr::value(Option::<String>::None))
                    .col_expr(Column::LastError, Expr::value(err.to_string().chars().take(2000).collect::<String>()))
                    .filter(mine)
                    .exec(db)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Runs `pass` `first` after start-up, then every `interval`, until `stop` turns
/// true (housekeeping such as retention, on every node).
pub fn every<F, Fut>(
    first: Duration,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut pass: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut wait = first;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
            wait = interval;
            pass().await;
        }
    })
}

/// How long a background loop pauses after `failures` failures in a row: 200 ms
/// doubling to at most 6.4 s, so a database outage is not hammered.
pub fn loop_pause(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis(100u64 << failures.min(6))
}

/// Delay before retry `attempt` (1-based): 5 s doubling to at most 1 h, ±20% jitter.
pub fn backoff_ms(attempt: i32) -> Millis {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let base = 5_000_i64.saturating_mul(1_i64 << exp.min(10)).min(3_600_000);
    let jitter = rand::random_range(-0.2..=0.2);
    base + (base as f64 * jitter) as i64
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff_ms(1);
        assert!((4_000..=6_000).contains(&first), "{first}");
        let late = backoff_ms(15);
        assert!((2_880_000..=4_320_000).contains(&late), "{late}");
    }
}
