//! Retention: events older than `events.retention_days` leave the history (in
//! batches, oldest first, never one a consumer has not passed yet), and
//! idempotency keys older than 24 hours are forgotten.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::watch;

use super::Events;
use super::publish::IDEMPOTENCY_MS;
use crate::entity::{event_cursors, event_idempotency, event_log};

const BATCH: u64 = 5_000;
const FIRST_PASS: Duration = Duration::from_secs(60);
const INTERVAL: Duration = Duration::from_secs(3_600);

/// Runs a pass a minute after start-up, then hourly.
pub fn start(events: Arc<Events>, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tessera_kernel::jobs::every(FIRST_PASS, INTERVAL, stop, move || {
        let events = events.clone();
        async move {
            match apply(&events).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "event retention deleted old events"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "event retention failed"),
            }
        }
    })
}

/// One pass; returns how many events were deleted.
pub async fn apply(events: &Events) -> Result<u64, DbErr> {
    let core = &events.core;
    let now = core.clock.now_ms();
    event_idempotency::Entity::delete_many()
        .filter(event_idempotency::Column::CreatedAt.lt(now - IDEMPOTENCY_MS))
        .exec(core.db.writer())
        .await?;
    if events.cfg.retention_days == 0 {
        return Ok(0);
    }
    let since = now - i64::from(events.cfg.retention_days) * 86_400_000;
    // Never past the slowest consumer: it still has to see those events.
    let slowest: Option<i64> = event_cursors::Entity::find()
        .select_only()
        .column(event_cursors::Column::Position)
        .order_by_asc(event_cursors::Column::Position)
        .limit(1)
        .into_tuple()
        .one(&core.db.conn)
        .await?;
    let mut deleted = 0;
    loop {
        let mut query = event_log::Entity::find()
            .select_only()
            .column(event_log::Column::Seq)
            .filter(event_log::Column::OccurredAt.lt(since))
            .order_by_asc(event_log::Column::Seq)
            .limit(BATCH);
        if let Some(pos) = slowest {
            query = query.filter(event_log::Column::Seq.lte(pos));
        }
        let seqs: Vec<i64> = query.into_tuple().all(&core.db.conn).await?;
        if seqs.is_empty() {
            return Ok(deleted);
        }
        let res =
            event_log::Entity::delete_many().filter(event_log::Column::Seq.is_in(seqs)).exec(core.db.writer()).await?;
        deleted += res.rows_affected;
    }
}
