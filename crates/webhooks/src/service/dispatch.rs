//! The dispatcher: claims due deliveries with a lease (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL and MySQL, so nodes share the work), attempts each within the
//! per-endpoint concurrency limit and at the slot its endpoint's rate limit gave
//! it (see `pacing`), and hands outcomes to the recorder.
//!
//! A lease is always longer than an attempt can take, and an attempt starts only
//! while its lease has room for it, so no other node sends a delivery while its
//! attempt still runs. A node that dies leaves leases that expire; another node
//! (or the same one, restarted) then claims those deliveries again.
//!
//! New deliveries need not wait for a claim: the fan-out offers them to this
//! node's dispatcher first (`reserve`), which takes what it can start at once
//! (unpaced endpoints, room in the endpoint's lane, a free slot). Those are
//! written already leased to this node and handed straight to an attempt
//! (`hand_over`); the rest go to the queue for any node to claim.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ActiveValue, DbErr};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::Webhooks;
use super::pacing::Paced;
use super::record::Outcome;
use crate::entity::deliveries;
use crate::ids::{DeliveryId, EndpointId};
use crate::store;

/// This node's view of one endpoint's traffic.
#[derive(Default)]
struct Lane {
    /// Claimed and not yet recorded.
    busy: usize,
}

pub(crate) struct Dispatcher {
    hooks: Arc<Webhooks>,
    slots: Arc<Semaphore>,
    /// Signalled when an attempt ends, for a loop waiting with every slot taken.
    freed: tokio::sync::Notify,
    lanes: Mutex<HashMap<EndpointId, Lane>>,
    per_endpoint: Arc<Mutex<HashMap<EndpointId, Arc<Semaphore>>>>,
    outcomes: mpsc::Sender<Outcome>,
    stop: watch::Receiver<bool>,
}

/// New deliveries this node's dispatcher took before they were written, each with its slot.
pub(crate) type Reserved = HashMap<DeliveryId, OwnedSemaphorePermit>;

impl Dispatcher {
    pub fn start(
        hooks: Arc<Webhooks>,
        outcomes: mpsc::Sender<Outcome>,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let me = Arc::new(Self {
            slots: Arc::new(Semaphore::new(hooks.cfg.max_in_flight)),
            freed: tokio::sync::Notify::new(),
            hooks,
            lanes: Mutex::new(HashMap::new()),
            per_endpoint: Arc::default(),
            outcomes,
            stop: stop.clone(),
        });
        // The fan-out finds the dispatcher through a weak reference, so it ends with this loop.
        if let Ok(mut local) = me.hooks.local.lock() {
            *local = Arc::downgrade(&me);
        }
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                if *stop.borrow() {
                    break;
                }
                let free = me.slots.available_permits().min(me.hooks.cfg.claim_batch as usize);
                if free == 0 {
                    // Every slot is taken: claim again when one frees up, not before.
                    tokio::select! {
                        _ = me.freed.notified() => tokio::time::sleep(Duration::from_millis(5)).await,
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                let wait = {
                    match me.claim(free).await {
                        Ok(batch) => {
                            failures = 0;
                            let got = batch.len();
                            for d in batch {
                                let Ok(permit) = me.slots.clone().acquire_owned().await else { break };
                                me.begin(d, permit);
                            }
                            if got == free {
                                continue;
                            }
                            Duration::from_millis(200)
                        }
                        Err(err) => {
                            failures += 1;
                            tracing::warn!(error = %err, "claiming webhook deliveries failed");
                            tessera_kernel::jobs::loop_pause(failures)
                        }
                    }
                };
                tokio::select! {
                    _ = me.hooks.wake.notified() => {}
                    _ = me.freed.notified() => {
                        // An endpoint may have room again: gather a few more endings into one claim.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Endpoints with as many deliveries in hand on this node as they may have in flight.
    fn saturated(&self) -> Vec<EndpointId> {
        let cap = self.hooks.cfg.max_in_flight_per_endpoint;
        self.lanes
            .lock()
            .map(|l| l.iter().filter(|(_, v)| v.busy >= cap).map(|(k, _)| *k).collect())
            .unwrap_or_default()
    }

    /// Leases up to `n` due deliveries (fewer when rate limits put some back).
    async fn claim(&self, n: usize) -> Result<Vec<Paced>, DbErr> {
        let hooks = &self.hooks;
        let now = hooks.core.clock.now_ms();
        let lease_until = now + hooks.cfg.lease_ms();
        let txn = hooks.core.db.begin_relaxed().await?;
        let rows = store::deliveries::lock_due(&*txn, now, self.saturated(), n as u64).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = hooks.pace(&*txn, rows, now).await?;
        if !batch.is_empty() {
            store::deliveries::lease(&*txn, batch.iter().map(|p| p.delivery.id), lease_until, &hooks.node).await?;
        }
        txn.commit().await?;
        for p in &mut batch {
            p.delivery.lease_until = Some(lease_until);
            p.delivery.leased_by = Some(hooks.node.clone());
        }
        Ok(batch)
    }

    /// Takes from `rows` (new deliveries, not yet written) those this node can start at once:
    /// leases them to itself and keeps a slot for each. Deliveries of paced or inactive
    /// endpoints, and those beyond their lane's room or the free slots, are left to the queue.
    pub(crate) async fn reserve(&self, rows: &mut [deliveries::ActiveModel], now: i64) -> Reserved {
        let cap = self.hooks.cfg.max_in_flight_per_endpoint;
        let mut room: HashMap<EndpointId, usize> = HashMap::new();
        let mut taken = Reserved::new();
        if *self.stop.borrow() {
            return taken;
        }
        for row in rows.iter_mut() {
            let (ActiveValue::Set(id), ActiveValue::Set(endpoint_id)) = (&row.id, &row.endpoint_id) else { continue };
            let (id, endpoint_id) = (*id, *endpoint_id);
            if let std::collections::hash_map::Entry::Vacant(slot) = room.entry(endpoint_id) {
                let unpaced = matches!(
                    self.hooks.cached_endpoint(endpoint_id).await,
                    Ok(Some(e)) if e.is_active && e.rate_limit_per_second.is_none_or(|r| r <= 0)
                );
                let busy = self.lanes.lock().map(|l| l.get(&endpoint_id).map_or(0, |l| l.busy)).unwrap_or(cap);
                slot.insert(if unpaced { cap.saturating_sub(busy) } else { 0 });
            }
            let Some(left) = room.get_mut(&endpoint_id).filter(|n| **n > 0) else { continue };
            let Ok(permit) = self.slots.clone().try_acquire_owned() else { break };
            *left -= 1;
            row.lease_until = ActiveValue::Set(Some(now + self.hooks.cfg.lease_ms()));
            row.leased_by = ActiveValue::Set(Some(self.hooks.node.clone()));
            taken.insert(id, permit);
        }
        taken
    }

    /// Starts the attempts of reserved deliveries once they are written (`written`: those that were).
    pub(crate) fn hand_over(self: &Arc<Self>, written: Vec<deliveries::Model>, mut reserved: Reserved) {
        for delivery in written {
            if let Some(permit) = reserved.remove(&delivery.id) {
                self.begin(Paced { delivery, send_at_us: None }, permit);
            }
        }
    }

    /// Runs the attempt of a leased delivery in its own task, holding one of this node's slots.
    fn begin(self: &Arc<Self>, paced: Paced, permit: OwnedSemaphorePermit) {
        let me = self.clone();
        let endpoint_id = paced.delivery.endpoint_id;
        if let Ok(mut lanes) = self.lanes.lock() {
            lanes.entry(endpoint_id).or_default().busy += 1;
        }
        tokio::spawn(async move {
            let outcome = me.run(paced).await;
            if let Some(outcome) = outcome {
                let _ = me.outcomes.send(outcome).await;
            }
            // Wake the claim loop only when this ending opens room it was kept from: an endpoint
            // leaving saturation, or a slot when all were taken. Other endings would only make it
            // claim in vain, one transaction per attempt.
            let cap = me.hooks.cfg.max_in_flight_per_endpoint;
            let lane_opened = me.lanes.lock().is_ok_and(|mut lanes| {
                lanes.get_mut(&endpoint_id).is_some_and(|lane| {
                    lane.busy = lane.busy.saturating_sub(1);
                    lane.busy + 1 == cap
                })
            });
            let slots_were_full = me.slots.available_permits() == 0;
            drop(permit);
            if lane_opened || slots_were_full {
                me.freed.notify_one();
            }
        });
    }

    /// Attempts `delivery` if its endpoint still takes it and its lease has room; `None` leaves it to its lease.
    async fn run(&self, Paced { delivery, send_at_us }: Paced) -> Option<Outcome> {
        let hooks = &self.hooks;
        let endpoint = match hooks.cached_endpoint(delivery.endpoint_id).await {
            Ok(e) => e,
            Err(_) => return None, // database trouble: the lease expires and it is tried again
        };
        let Some(endpoint) = endpoint.filter(|e| e.is_active) else {
            return Some(Outcome::abandoned(
                delivery,
                "the endpoint is disabled or deleted",
                hooks.core.clock.now_ms(),
            ));
        };
        let gate = self.endpoint_gate(endpoint.id);
        let _in_flight = gate.acquire_owned().await.ok()?;
        if let Some(at) = send_at_us {
            let wait = at - hooks.core.clock.now_ms() * 1_000;
            if wait > 0 {
                tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())).await;
            }
        }
        // Start only if the attempt can finish inside the lease.
        let room = delivery.lease_until.unwrap_or(0) - hooks.core.clock.now_ms();
        if room < i64::try_from(hooks.cfg.attempt_timeout_secs * 1_000 + 5_000).unwrap_or(i64::MAX) {
            // Too late to start safely: hand it back so a claim can take it at once.
            if let Err(err) = hooks.release(&delivery).await {
                tracing::warn!(delivery = %delivery.id, error = %err, "releasing a delivery failed; its lease will expire");
            }
            return None;
        }
        let result = hooks.attempt(&endpoint, &delivery).await;
        Some(Outcome { delivery, endpoint: Some(endpoint), result })
    }

    fn endpoint_gate(&self, id: EndpointId) -> Arc<Semaphore> {
        let cap = self.hooks.cfg.max_in_flight_per_endpoint;
        match self.per_endpoint.lock() {
            Ok(mut map) => map.entry(id).or_insert_with(|| Arc::new(Semaphore::new(cap))).clone(),
            Err(_) => Arc::new(Semaphore::new(cap)),
        }
    }
}

impl Webhooks {
    /// Gives up this node's lease on `delivery` without an attempt.
    async fn release(&self, delivery: &deliveries::Model) -> Result<(), DbErr> {
        store::deliveries::release(self.core.db.relaxed(), delivery.id, &self.node).await
    }
}
