//! Fan-out: the subscriber that turns each organization event into one delivery
//! per active endpoint that wants it. Deliveries are unique per endpoint and
//! event, so a batch handed over twice adds nothing the second time.

use std::collections::HashMap;
use std::sync::Weak;

use sea_orm::{DbErr, Set, TryIntoModel};
use tessera_kernel::bus::{Event, HandleError, Subscriber};
use tessera_kernel::ids::{EventId, OrgId};

use super::Webhooks;
use super::dispatch::Reserved;
use crate::entity::{deliveries, endpoints};
use crate::ids::{DeliveryId, EndpointId};
use crate::model::{DeliveryStatus, patterns_of, wants};
use crate::store;

/// The fan-out subscriber (holding the module weakly: the core, which the
/// module holds, keeps its subscribers).
pub(crate) struct FanOut(pub(crate) Weak<Webhooks>);

#[async_trait::async_trait]
impl Subscriber for FanOut {
    fn name(&self) -> &str {
        "webhooks.fanout"
    }

    fn batch_size(&self) -> u64 {
        500
    }

    async fn handle(&self, events: &[Event]) -> Result<(), HandleError> {
        let hooks = self.0.upgrade().ok_or_else(|| HandleError("the webhooks module is shutting down".into()))?;
        let now = hooks.core.clock.now_ms();
        let mut by_org: HashMap<OrgId, Vec<endpoints::Model>> = HashMap::new();
        let mut rows = Vec::new();
        for event in events {
            let Some(org) = event.org_id else { continue };
            if let std::collections::hash_map::Entry::Vacant(slot) = by_org.entry(org) {
                let found = hooks.active_endpoints(org).await.map_err(|e| HandleError(e.message.to_string()))?;
                slot.insert(found);
            }
            // Serialized once, and only for an event some endpoint wants.
            let mut payload: Option<serde_json::Value> = None;
            for ep in by_org.get(&org).into_iter().flatten() {
                if !recorded_after(event.id, ep.id) || !wants(&patterns_of(ep), &event.event_type) {
                    continue;
                }
                let payload = payload.get_or_insert_with(|| serde_json::to_value(event).unwrap_or_default());
                rows.push(new_delivery(ep, event, payload.clone(), now));
            }
        }
        hooks.insert_deliveries(rows).await.map_err(|e| HandleError(e.to_string()))
    }
}

/// An endpoint receives what happens from its creation on, however late the fan-out runs.
/// Both ids are UUIDv7, monotonic within a process: unlike the millisecond clock they
/// also order an event recorded in the same millisecond as the endpoint.
fn recorded_after(event: EventId, endpoint: EndpointId) -> bool {
    event.as_uuid() > endpoint.as_uuid()
}

pub(crate) fn new_delivery(
    ep: &endpoints::Model,
    event: &Event,
    payload: serde_json::Value,
    now: i64,
) -> deliveries::ActiveModel {
    deliveries::ActiveModel {
        id: Set(DeliveryId::new()),
        org_id: Set(ep.org_id),
        endpoint_id: Set(ep.id),
        event_id: Set(event.id),
        event_type: Set(event.event_type.clone()),
        payload: Set(payload),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        leased_by: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
    }
}

impl Webhooks {
    /// Adds deliveries (skipping any that exist for the same endpoint and event): those this
    /// node's dispatcher takes are written leased to it and attempted at once, the rest are
    /// queued and the dispatcher woken for them.
    pub(crate) async fn insert_deliveries(&self, mut rows: Vec<deliveries::ActiveModel>) -> Result<(), DbErr> {
        if rows.is_empty() {
            return Ok(());
        }
        let count = rows.len() as u64;
        let local = self.local.lock().ok().and_then(|d| d.upgrade());
        let reserved = match &local {
            Some(dispatcher) => dispatcher.reserve(&mut rows, self.core.clock.now_ms()).await,
            None => Reserved::new(),
        };
        let queued = rows.len() > reserved.len();
        let mut written = Vec::new();
        let mut failed = None;
        for chunk in rows.chunks(500) {
            let taken = chunk.iter().any(|r| r.id.try_as_ref().is_some_and(|id| reserved.contains_key(id)));
            match store::deliveries::insert_new(self.core.db.relaxed(), chunk, taken).await {
                Ok(Some(inserted)) => {
                    // Only the rows this node took are handed over; the rest wait in the queue.
                    let mine = |id: &DeliveryId| inserted.contains(id) && reserved.contains_key(id);
                    let new = chunk.iter().filter(|r| r.id.try_as_ref().is_some_and(mine));
                    written.extend(new.filter_map(|r| r.clone().try_into_model().ok()));
                }
                Ok(None) => {}
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        // What was written leased to this node is attempted even when a later chunk failed.
        if let Some(dispatcher) = local {
            dispatcher.hand_over(written, reserved);
        }
        if let Some(err) = failed {
            return Err(err);
        }
        metrics::counter!("tessera_webhook_deliveries_created_total").increment(count);
        if queued {
            self.wake.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_recorded_after_an_endpoint_reach_it_even_within_one_millisecond() {
        // Thousands of pairs made back to back: most share their millisecond.
        for _ in 0..5_000 {
            let before = EventId::new();
            let endpoint = EndpointId::new();
            let after = EventId::new();
            assert!(!recorded_after(before, endpoint));
            assert!(recorded_after(after, endpoint));
        }
    }
}
