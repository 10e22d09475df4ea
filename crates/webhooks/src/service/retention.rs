//! Retention: finished deliveries (DELIVERED or FAILED) older than
//! `webhooks.retention_days` are deleted with their attempts, oldest first, in
//! batches; pending ones stay whatever their age.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::watch;

use super::Webhooks;
use crate::store;

const BATCH: u64 = 1_000;
const FIRST_PASS: Duration = Duration::from_secs(90);
const INTERVAL: Duration = Duration::from_secs(3_600);

/// Runs a pass shortly after start-up, then hourly.
pub fn start(hooks: Arc<Webhooks>, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tessera_kernel::jobs::every(FIRST_PASS, INTERVAL, stop, move || {
        let hooks = hooks.clone();
        async move {
            match apply(&hooks).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "webhook retention deleted old deliveries"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "webhook retention failed"),
            }
        }
    })
}

/// One pass; returns how many deliveries were deleted.
pub async fn apply(hooks: &Webhooks) -> Result<u64, DbErr> {
    if hooks.cfg.retention_days == 0 {
        return Ok(0);
    }
    let before = hooks.core.clock.now_ms() - i64::from(hooks.cfg.retention_days) * 86_400_000;
    let mut deleted = 0;
    loop {
        let ids = store::deliveries::finished_before(&hooks.core.db.conn, before, BATCH).await?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        let txn = hooks.core.db.begin_write().await?;
        store::attempts::delete_of_deliveries(&*txn, ids.clone()).await?;
        let removed = store::deliveries::delete_finished(&*txn, ids).await?;
        txn.commit().await?;
        deleted += removed;
    }
}
