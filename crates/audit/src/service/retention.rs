//! Retention: entries older than `audit.retention_days` are deleted, oldest first,
//! a batch per transaction. Each batch moves the chain's cut (`cut_seq`,
//! `cut_hash`) in the same transaction, so the chain verifies from the oldest
//! entry kept, and tampering with what is kept is still caught.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ActiveModelTrait, DbErr, Set};
use serde::Serialize;
use tessera_kernel::Core;
use tokio::sync::watch;

use super::Audit;
use crate::chain;
use crate::entity::audit_chains;
use crate::store;

/// Entries deleted per transaction.
const BATCH: i64 = 5_000;
/// The first pass after start-up (or after one period, when that is shorter).
const FIRST_PASS: Duration = Duration::from_secs(60);

/// What a retention pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Chains that lost entries.
    pub chains: u64,
    pub deleted: u64,
}

/// Deletes the entries of every chain recorded more than `days` days ago (0: none).
#[tracing::instrument(skip(core))]
pub async fn apply(core: &Core, days: u32) -> Result<RetentionReport, DbErr> {
    let mut report = RetentionReport::default();
    if days == 0 {
        return Ok(report);
    }
    let since = core.clock.now_ms() - i64::from(days) * 86_400_000;
    for key in store::chain_keys(&core.db.conn).await? {
        let deleted = cut_chain(core, &key, since).await?;
        if deleted > 0 {
            report.chains += 1;
            report.deleted += deleted;
        }
    }
    if report.deleted > 0 {
        tracing::info!(chains = report.chains, deleted = report.deleted, "audit retention deleted old entries");
    }
    Ok(report)
}

/// Cuts `key` before its first entry recorded at or after `since`, in batches.
async fn cut_chain(core: &Core, key: &str, since: i64) -> Result<u64, DbErr> {
    let mut deleted = 0;
    loop {
        let txn = core.db.begin_write().await?;
        // Appends to this chain wait until the cut is recorded.
        let head = chain::lock_head(&txn, key).await?;
        let keep_from = match store::first_since(&*txn, key, since).await? {
            Some(row) => row.seq,
            None => head.seq + 1,
        };
        let cut = keep_from.min(head.cut_seq + BATCH);
        if cut <= head.cut_seq {
            return Ok(deleted);
        }
        // The hash the first kept entry links to: the last deleted entry's, as stored.
        let cut_hash = match store::at_seq(&*txn, key, cut - 1).await? {
            Some(last) => last.hash,
            None => match store::at_seq(&*txn, key, cut).await? {
                Some(first_kept) => first_kept.prev_hash,
                None => head.last_hash.clone(),
            },
        };
        deleted += store::delete_before(&*txn, key, cut).await?;
        let mut head: audit_chains::ActiveModel = head.into();
        head.cut_seq = Set(cut);
        head.cut_hash = Set(cut_hash);
        head.update(&*txn).await?;
        txn.commit().await?;
        if cut == keep_from {
            return Ok(deleted);
        }
    }
}

impl Audit {
    /// Runs retention now with the configured `audit.retention_days`.
    pub async fn apply_retention(&self) -> Result<RetentionReport, DbErr> {
        apply(&self.core, self.cfg.retention_days).await
    }

    /// Applies retention in the background, every `audit.retention_interval_secs`,
    /// until `stop` turns true; `None` when entries are kept forever.
    pub(crate) fn start_retention(
        self: &Arc<Self>,
        stop: watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if self.cfg.retention_days == 0 {
            return None;
        }
        let interval = Duration::from_secs(self.cfg.retention_interval_secs);
        let audit = self.clone();
        Some(tessera_kernel::jobs::every(FIRST_PASS.min(interval), interval, stop, move || {
            let audit = audit.clone();
            async move {
                if let Err(err) = audit.apply_retention().await {
                    tracing::warn!(error = %err, "audit retention failed; it will run again");
                }
            }
        }))
    }
}
