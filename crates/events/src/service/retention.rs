//! Retention: events older than `events.retention_days` leave the history (in
//! batches, oldest first, never one a consumer has not passed yet), and
//! idempotency keys older than 24 hours are forgotten.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::watch;

use super::Events;
use super::publish::IDEMPOTENCY_MS;
use crate::store;

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
    store::idempotency::delete_before(core.db.writer(), now - IDEMPOTENCY_MS).await?;
    if events.cfg.retention_days == 0 {
        return Ok(0);
    }
    let since = now - i64::from(events.cfg.retention_days) * 86_400_000;
    // Never past the slowest consumer: it still has to see those events.
    let slowest = store::cursors::slowest(&core.db.conn).await?;
    let mut deleted = 0;
    loop {
        let seqs = store::log::seqs_before(&core.db.conn, since, slowest, BATCH).await?;
        if seqs.is_empty() {
            return Ok(deleted);
        }
        deleted += store::log::delete(core.db.writer(), seqs).await?;
    }
}
