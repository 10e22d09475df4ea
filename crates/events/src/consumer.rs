//! Consumers: subscribers in Rust (other modules, the NATS bridge, webhook
//! fan-out), each following the event log in order from its own cursor.
//!
//! Delivery is at least once: a batch is handed over, then the cursor moves past
//! it; a node that dies in between hands the batch over again from another node,
//! so handlers are idempotent by event id. A failing batch is retried with
//! backoff and holds back only its own consumer. One node at a time holds a
//! consumer, under a lease renewed as it moves; when the lease runs out another
//! node takes over from the last recorded position.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tessera_kernel::Core;
use tokio::sync::{Notify, watch};

use crate::entity::event_cursors;
use crate::model::event_of;
use crate::store;
use crate::store::cursors::Progress;
use tessera_kernel::bus::{Event, Subscriber};

/// Creates `consumer`'s cursor at the log's current head unless it exists: a new
/// consumer sees the events relayed from then on.
pub async fn ensure_cursor(core: &Core, consumer: &str) -> Result<(), DbErr> {
    let head = store::head::get(&core.db.conn).await?;
    store::cursors::create(core.db.writer(), consumer, head, core.clock.now_ms()).await
}

/// Runs one subscriber's loop on this node.
pub(crate) struct Consumer {
    pub core: Core,
    pub sub: Arc<dyn Subscriber>,
    pub node: String,
    pub moved: Arc<Notify>,
    pub poll: Duration,
    pub lease_ms: i64,
}

/// Delay after `failures` failures in a row: 1 s doubling to 5 min, ±20%.
fn backoff_ms(failures: i32) -> i64 {
    let base = 1_000_i64.saturating_mul(1 << failures.clamp(1, 10).saturating_sub(1)).min(300_000);
    base + (base as f64 * rand::random_range(-0.2..=0.2)) as i64
}

impl Consumer {
    /// Creates the cursor at the log's current head unless it exists.
    pub async fn ensure_cursor(&self) -> Result<(), DbErr> {
        ensure_cursor(&self.core, self.sub.name()).await
    }

    pub fn start(self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            // Without its cursor the consumer can never be claimed: try until it exists.
            while let Err(err) = self.ensure_cursor().await {
                tracing::warn!(consumer = self.sub.name(), error = %err, "creating the consumer's cursor failed");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    return;
                }
            }
            let mut held: Option<event_cursors::Model> = None;
            loop {
                if *stop.borrow() {
                    break;
                }
                let moved = self.moved.clone();
                let notified = moved.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let pause = match self.step(&mut held).await {
                    Ok(Step::More) => continue,
                    Ok(Step::Idle) => self.poll,
                    Ok(Step::Wait(ms)) => Duration::from_millis(ms.clamp(1, 60_000) as u64),
                    Err(err) => {
                        tracing::warn!(consumer = self.sub.name(), error = %err, "consumer step failed");
                        held = None;
                        Duration::from_secs(1)
                    }
                };
                // New events concern only the node holding the consumer; the others try to
                // take it over on their timer, not at every batch.
                let holding = held.is_some();
                tokio::select! {
                    _ = &mut notified, if holding => {}
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
            }
            if held.is_some() {
                let _ = self.release().await;
            }
        })
    }

    async fn step(&self, held: &mut Option<event_cursors::Model>) -> Result<Step, DbErr> {
        let now = self.core.clock.now_ms();
        let cursor = match held.take() {
            Some(c) if c.lease_until.unwrap_or(0) - now > self.lease_ms / 2 => c,
            _ => match self.claim(now).await? {
                Some(c) => c,
                None => return Ok(Step::Wait(self.lease_ms / 3)),
            },
        };
        if cursor.retry_at > now {
            let wait = cursor.retry_at - now;
            *held = Some(cursor);
            return Ok(Step::Wait(wait));
        }
        let rows = store::log::after(&self.core.db.conn, cursor.position, self.sub.batch_size().max(1)).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            *held = Some(cursor);
            return Ok(Step::Idle);
        };
        let full = rows.len() as u64 >= self.sub.batch_size().max(1);
        let events: Vec<Event> = rows.into_iter().filter(|r| self.sub.wants(&r.event_type)).map(event_of).collect();
        let outcome = if events.is_empty() { Ok(()) } else { self.sub.handle(&events).await };
        let now = self.core.clock.now_ms();
        match outcome {
            Ok(()) => {
                if !self.record(last, 0, 0, None, now).await? {
                    return Ok(Step::Wait(self.lease_ms / 3)); // another node took it over
                }
                *held = Some(event_cursors::Model {
                    position: last,
                    failures: 0,
                    retry_at: 0,
                    lease_until: Some(now + self.lease_ms),
                    ..cursor
                });
                Ok(if full { Step::More } else { Step::Idle })
            }
            Err(err) => {
                let failures = cursor.failures.saturating_add(1);
                let retry_at = now + backoff_ms(failures);
                tracing::warn!(consumer = self.sub.name(), failures, error = %err, "subscriber failed; retrying later");
                metrics::counter!("tessera_event_consumer_failures_total", "consumer" => self.sub.name().to_owned())
                    .increment(1);
                let error = err.0.chars().take(2_000).collect::<String>();
                if self.record(cursor.position, failures, retry_at, Some(error.clone()), now).await? {
                    *held = Some(event_cursors::Model {
                        failures,
                        retry_at,
                        last_error: Some(error),
                        lease_until: Some(now + self.lease_ms),
                        ..cursor
                    });
                }
                Ok(Step::Wait(retry_at - now))
            }
        }
    }

    /// Takes the consumer if no other node holds it (or its lease ran out).
    async fn claim(&self, now: i64) -> Result<Option<event_cursors::Model>, DbErr> {
        let (db, name) = (self.core.db.relaxed(), self.sub.name());
        if !store::cursors::lease(db, name, &self.node, now, now + self.lease_ms).await? {
            return Ok(None);
        }
        store::cursors::find(db, name).await
    }

    /// Records progress or a failure while this node holds the consumer; false if it no longer does.
    async fn record(
        &self,
        position: i64,
        failures: i32,
        retry_at: i64,
        error: Option<String>,
        now: i64,
    ) -> Result<bool, DbErr> {
        let progress = Progress { position, failures, retry_at, last_error: error, lease_until: now + self.lease_ms };
        store::cursors::advance(self.core.db.relaxed(), self.sub.name(), &self.node, progress, now).await
    }

    /// Lets another node (or this one, restarted) take over at once.
    async fn release(&self) -> Result<(), DbErr> {
        store::cursors::release(self.core.db.relaxed(), self.sub.name(), &self.node).await
    }
}

enum Step {
    /// A full batch went through: go on at once.
    More,
    /// Nothing new: wait for the relay (or the poll interval).
    Idle,
    /// Wait this many ms (a retry is due later, or another node holds the consumer).
    Wait(i64),
}
