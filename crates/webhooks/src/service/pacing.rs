//! `rateLimitPerSecond` for the whole cluster. A claim gives each delivery of a
//! rate-limited endpoint a send slot from the endpoint's shared schedule
//! (`webhook_pacing`, locked by the claiming transaction), one slot per `1/rate`
//! seconds, so however many nodes claim, the endpoint is sent at most `rate`
//! requests a second. Slots are handed out only a short horizon ahead: the
//! deliveries beyond it go back to the queue, due when their slot would come, so
//! no node holds work it could not start inside its lease.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::Webhooks;
use crate::entity::deliveries;
use crate::ids::EndpointId;
use crate::store;

/// A claimed delivery, with the time its endpoint's rate limit lets it go.
pub(crate) struct Paced {
    pub delivery: deliveries::Model,
    /// Microseconds since the epoch; `None`: at once.
    pub send_at_us: Option<i64>,
}

impl Webhooks {
    /// Splits the deliveries `rows` (claimed in `txn`, in order) into those to send
    /// now, each with its slot, and those put back until their slot would come.
    pub(crate) async fn pace<C: ConnectionTrait>(
        &self,
        txn: &C,
        rows: Vec<deliveries::Model>,
        now_ms: i64,
    ) -> Result<Vec<Paced>, DbErr> {
        let mut by_endpoint: BTreeMap<EndpointId, Vec<deliveries::Model>> = BTreeMap::new();
        for row in rows {
            by_endpoint.entry(row.endpoint_id).or_default().push(row);
        }
        let now_us = now_ms * 1_000;
        let horizon_us = i64::try_from(self.cfg.attempt_timeout_secs * 500_000).unwrap_or(i64::MAX);
        let mut go = Vec::new();
        // In id order, so two claims lock the schedules they share in the same order.
        for (id, rows) in by_endpoint {
            let rate = match self.cached_endpoint(id).await {
                Ok(endpoint) => endpoint.filter(|e| e.is_active).and_then(|e| e.rate_limit_per_second),
                Err(e) => return Err(DbErr::Custom(e.to_string())),
            };
            let Some(rate) = rate.filter(|r| *r > 0) else {
                go.extend(rows.into_iter().map(|delivery| Paced { delivery, send_at_us: None }));
                continue;
            };
            let interval = 1_000_000 / i64::from(rate);
            let mut slot = store::pacing::lock_next_slot(txn, id, now_us).await?.max(now_us);
            let mut later = Vec::new();
            let mut due_again = None;
            for delivery in rows {
                if slot - now_us <= horizon_us {
                    go.push(Paced { delivery, send_at_us: Some(slot) });
                    slot += interval;
                } else {
                    due_again.get_or_insert((slot + 999) / 1_000);
                    later.push(delivery.id);
                }
            }
            store::pacing::set_next_slot(txn, id, slot).await?;
            if let Some(at) = due_again {
                store::deliveries::due_again(txn, later, at).await?;
            }
        }
        Ok(go)
    }
}
