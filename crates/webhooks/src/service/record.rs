//! The recorder: writes attempt outcomes in batches, one transaction each: the
//! attempts, the deliveries' new states (successes grouped into one statement
//! per status code), the endpoints' health, and the `webhook.delivered` /
//! `webhook.failed` events. It also applies the disable rules: 410 Gone at once,
//! or no success for `disable_after_days`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, DbErr, Set};
use tessera_kernel::ActorRef;
use tessera_kernel::ChangeCtx;
use tessera_kernel::audit::Target;
use tessera_kernel::outbox::NewEvent;
use tessera_kernel::roles::BuiltInRole;
use tokio::sync::{mpsc, watch};

use super::send::AttemptResult;
use super::{Webhooks, endpoint_change};
use crate::entity::{attempts, deliveries, endpoints};
use crate::events::{self, DeliveryOutcome};
use crate::ids::AttemptId;
use crate::model::{DeliveryStatus, DisabledReason};
use crate::store;
use crate::store::deliveries::Undelivered;

/// An attempt's result (or a delivery given up without one).
pub struct Outcome {
    pub delivery: deliveries::Model,
    /// The endpoint attempted; `None` when the delivery was given up without an attempt.
    pub endpoint: Option<Arc<endpoints::Model>>,
    pub result: AttemptResult,
}

impl Outcome {
    /// A delivery that fails without an attempt (its endpoint is gone or disabled).
    pub fn abandoned(delivery: deliveries::Model, why: &str, now: i64) -> Outcome {
        let result = AttemptResult {
            attempted_at: now,
            duration_ms: 0,
            status: None,
            headers: None,
            body: None,
            error: Some(why.to_owned()),
            retry_after: None,
        };
        Outcome { delivery, endpoint: None, result }
    }

    fn is_abandoned(&self) -> bool {
        self.endpoint.is_none()
    }
}

/// Runs the recorder until the channel closes or `stop` turns true (after draining).
pub fn start(
    hooks: Arc<Webhooks>,
    mut rx: mpsc::Receiver<Outcome>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                o = rx.recv() => o,
                _ = stop.changed() => None,
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            // Gather what arrives within a moment, so one transaction records many.
            let deadline = tokio::time::sleep(Duration::from_millis(5));
            tokio::pin!(deadline);
            while batch.len() < 500 {
                tokio::select! {
                    o = rx.recv() => match o { Some(o) => batch.push(o), None => break },
                    _ = &mut deadline => break,
                }
            }
            for attempt in 0..3 {
                match hooks.record_batch(&batch).await {
                    Ok(()) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, attempt, size = batch.len(), "recording webhook outcomes failed");
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    }
                }
            }
        }
    })
}

impl Webhooks {
    async fn record_batch(&self, batch: &[Outcome]) -> Result<(), DbErr> {
        let now = self.core.clock.now_ms();
        let txn = self.core.db.begin_relaxed().await?;
        let rows: Vec<attempts::ActiveModel> = batch
            .iter()
            .filter(|o| !o.is_abandoned())
            .map(|o| attempts::ActiveModel {
                id: Set(AttemptId::new()),
                delivery_id: Set(o.delivery.id),
                endpoint_id: Set(o.delivery.endpoint_id),
                attempted_at: Set(o.result.attempted_at),
                duration_ms: Set(o.result.duration_ms),
                status_code: Set(o.result.status.map(i32::from)),
                response_headers: Set(o.result.headers.clone()),
                response_body: Set(o.result.body.clone()),
                error: Set(o.result.error.clone()),
            })
            .collect();
        store::attempts::insert_many(&*txn, rows).await?;
        // Successes: one statement per status code.
        let mut ok_by_code: BTreeMap<u16, Vec<_>> = BTreeMap::new();
        for o in batch.iter().filter(|o| o.result.ok()) {
            ok_by_code.entry(o.result.status.unwrap_or(200)).or_default().push(o.delivery.id);
        }
        for (code, ids) in ok_by_code {
            store::deliveries::mark_delivered(&*txn, ids, i32::from(code), now, &self.node).await?;
        }
        let mut outcome_events = Vec::new();
        let mut disable = Vec::new();
        for o in batch.iter().filter(|o| !o.result.ok()) {
            let attempts = o.delivery.attempts + i32::from(!o.is_abandoned());
            let retry = if o.is_abandoned() || o.result.status == Some(410) {
                None
            } else {
                self.cfg.retry_delay_ms(usize::try_from(attempts).unwrap_or(usize::MAX)).map(|d| {
                    let asked = o.result.retry_after.map_or(0, |s| i64::try_from(s.min(86_400)).unwrap_or(0) * 1_000);
                    now + d.max(asked)
                })
            };
            let status = if retry.is_some() { DeliveryStatus::Retrying } else { DeliveryStatus::Failed };
            let left = Undelivered {
                status,
                attempts,
                next_attempt_at: retry.unwrap_or(now),
                status_code: o.result.status.map(i32::from),
                error: o.result.error.as_deref(),
            };
            store::deliveries::mark_undelivered(&*txn, o.delivery.id, left, now, &self.node).await?;
            if retry.is_none() {
                outcome_events.push((events::FAILED, o));
            }
            let Some(endpoint) = &o.endpoint else { continue };
            if o.result.status == Some(410) {
                disable.push((endpoint.clone(), DisabledReason::Gone));
            } else if let Some(since) = endpoint.failing_since
                && now - since >= i64::from(self.cfg.disable_after_days) * 86_400_000
            {
                disable.push((endpoint.clone(), DisabledReason::Failing));
            }
        }
        outcome_events.extend(batch.iter().filter(|o| o.result.ok()).map(|o| (events::DELIVERED, o)));
        self.mark_health(&txn, batch, now).await?;
        if self.cfg.emit_delivery_events {
            self.emit_outcomes(&txn, &outcome_events).await?;
        }
        let mut seen = HashSet::new();
        for (endpoint, reason) in disable {
            if seen.insert(endpoint.id) {
                self.disable(&txn, &endpoint, reason, now).await?;
            }
        }
        txn.commit().await?;
        metrics::counter!("tessera_webhook_attempts_total").increment(batch.len() as u64);
        Ok(())
    }

    /// Endpoint health: the last attempt, the last success, and the first failure since then.
    async fn mark_health(&self, txn: &DatabaseTransaction, batch: &[Outcome], now: i64) -> Result<(), DbErr> {
        let attempted = || batch.iter().filter_map(|o| o.endpoint.as_ref().map(|e| (o, e)));
        let ok: HashSet<_> = attempted().filter(|(o, _)| o.result.ok()).map(|(_, e)| e.id).collect();
        let failed: HashSet<_> = attempted().filter(|(_, e)| !ok.contains(&e.id)).map(|(_, e)| e.id).collect();
        // Those whose cached row must learn that they started failing (the disable rule reads it).
        let newly_failing: Vec<_> = attempted()
            .filter(|(_, e)| failed.contains(&e.id) && e.failing_since.is_none())
            .map(|(_, e)| e.id)
            .collect();
        if !ok.is_empty() {
            store::endpoints::mark_succeeded(txn, ok.iter().copied(), now).await?;
        }
        if !failed.is_empty() {
            store::endpoints::mark_failed(txn, failed.iter().copied(), now).await?;
        }
        for id in ok.iter().chain(newly_failing.iter()) {
            self.endpoints.invalidate(id);
        }
        Ok(())
    }

    /// Publishes `webhook.delivered` / `webhook.failed` (facts about tessera's
    /// own work, so events without audit entries), in one statement.
    async fn emit_outcomes(&self, txn: &DatabaseTransaction, list: &[(&'static str, &Outcome)]) -> Result<(), DbErr> {
        let events = list
            .iter()
            // Outcomes of webhook events report nothing, so outcome events never loop.
            .filter(|(_, o)| !o.delivery.event_type.starts_with("webhook."))
            .map(|(kind, o)| {
                let data = DeliveryOutcome {
                    delivery_id: o.delivery.id,
                    endpoint_id: o.delivery.endpoint_id,
                    event_id: o.delivery.event_id,
                    event_type: o.delivery.event_type.clone(),
                    attempts: o.delivery.attempts + i32::from(!o.is_abandoned()),
                    status_code: o.result.status.map(i32::from),
                    error: if *kind == events::FAILED { o.result.error.clone() } else { None },
                };
                let mut event = NewEvent::new(kind, ActorRef::System, data);
                event.org_id = Some(o.delivery.org_id);
                event
            })
            .collect();
        self.core.publish(txn, events).await.map_err(|e| DbErr::Custom(e.message.to_string()))
    }

    /// Turns the endpoint off, records why (event + audit), and mails the organization's owners and admins.
    async fn disable(
        &self,
        txn: &DatabaseTransaction,
        endpoint: &endpoints::Model,
        reason: DisabledReason,
        now: i64,
    ) -> Result<(), DbErr> {
        let changed = store::endpoints::disable(txn, endpoint.id, reason, now).await?;
        self.endpoints.invalidate(&endpoint.id);
        if changed == 0 {
            return Ok(());
        }
        let mut row = endpoint.clone();
        row.is_active = false;
        row.disabled_reason = Some(reason);
        let target = Target::new("webhook_endpoint", row.id)
            .diff(serde_json::json!({"isActive": true}), serde_json::json!({"isActive": false, "reason": reason}));
        self.core
            .record(
                txn,
                &ChangeCtx::in_org(ActorRef::System, row.org_id),
                endpoint_change(events::ENDPOINT_DISABLED, &row, target),
            )
            .await
            .map_err(|e| DbErr::Custom(e.message.to_string()))?;
        tracing::warn!(endpoint = %row.id, org = %row.org_id, reason = ?reason, "webhook endpoint disabled");
        self.mail_admins(txn, &row, reason).await
    }

    async fn mail_admins(
        &self,
        txn: &DatabaseTransaction,
        row: &endpoints::Model,
        reason: DisabledReason,
    ) -> Result<(), DbErr> {
        let why = match reason {
            DisabledReason::Gone => "it answered 410 Gone".to_owned(),
            DisabledReason::Failing | DisabledReason::Manual => {
                format!("it has failed for {} days without a success", self.cfg.disable_after_days)
            }
        };
        // Everyone who could act on it, however many: an organization may have hundreds of admins.
        let people = self
            .orgs
            .members_with_roles(row.org_id, &[BuiltInRole::Owner.into(), BuiltInRole::Admin.into()])
            .await
            .map_err(|e| DbErr::Custom(e.message.to_string()))?;
        for person in people {
            let mail = tessera_kernel::mail::Mail {
                to: person.email,
                subject: "A webhook endpoint was disabled".to_owned(),
                text: format!(
                    "The webhook endpoint {} ({}) was disabled because {why}.\n\nNo more events are sent to it. Fix the receiver, then turn the endpoint back on (PATCH isActive: true) and recover what it missed (POST …/webhooks/{}/recover).\n",
                    row.url, row.id, row.id
                ),
                html: None,
            };
            self.core.mailer.enqueue(&self.core.jobs, txn, &mail).await?;
        }
        Ok(())
    }
}
