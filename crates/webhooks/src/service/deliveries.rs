//! Delivery history and manual resends: list an endpoint's deliveries, read one
//! with every attempt, retry one now, recover every failure since a time, send
//! a test message, and report an event's deliveries to the events module.

use serde::Serialize;
use serde_json::{Value, json};
use tessera_kernel::ChangeCtx;
use tessera_kernel::audit::Target;
use tessera_kernel::bus::{DeliveryReport, Event};
use tessera_kernel::clock::rfc3339_string;
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::{ActorRef, ApiError, ApiResult, Millis};
use utoipa::ToSchema;

use super::Webhooks;
use crate::entity::deliveries;
use crate::events::{self, TestEvent};
use crate::ids::{DeliveryId, EndpointId};
use crate::model::DeliveryStatus;
use crate::store;
pub use crate::store::deliveries::Filter as DeliveryFilter;
use crate::store::deliveries::Requeue;

/// A delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryOut {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    /// The same as `endpointId` (the name seed 001's clients read).
    pub webhook_id: EndpointId,
    pub event_id: EventId,
    pub event_type: String,
    /// The same as `eventType` (seed 001's name).
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (PENDING, RETRYING).
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// The same as `lastError` (seed 001's name).
    pub error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// What the endpoint answered to the last attempt (in single-delivery answers; null before one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Option<ResponseOut>>,
    /// The envelope that is posted (in single-delivery answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// Every attempt, oldest first (in single-delivery answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<AttemptOut>>,
}

impl DeliveryOut {
    fn new(d: deliveries::Model, full: bool) -> Self {
        let waiting = d.status.is_queued();
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            webhook_id: d.endpoint_id,
            event_id: d.event_id,
            event: d.event_type.clone(),
            event_type: d.event_type,
            next_attempt_at: waiting.then(|| rfc3339_string(d.next_attempt_at)),
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            error: d.last_error.clone(),
            last_error: d.last_error,
            response: None,
            created_at: rfc3339_string(d.created_at),
            delivered_at: d.delivered_at.map(rfc3339_string),
            payload: full.then_some(d.payload),
            attempt_log: None,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptOut {
    pub attempted_at: String,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub response_headers: Option<Value>,
    /// Cut at 16 KB.
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// An endpoint's answer to an attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResponseOut {
    /// Null when no answer came (timeout, connection error).
    pub status_code: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub headers: Option<Value>,
    /// Cut at 16 KB.
    pub body: Option<String>,
    pub duration_ms: i32,
}

impl Webhooks {
    /// An endpoint's deliveries, newest first; the cursor of the next page.
    pub async fn list_deliveries(
        &self,
        org: OrgId,
        endpoint: EndpointId,
        f: &DeliveryFilter,
    ) -> ApiResult<(Vec<DeliveryOut>, Option<(Millis, DeliveryId)>)> {
        self.endpoint(org, endpoint).await?;
        let (rows, next) = store::deliveries::page(&self.core.db.conn, org, endpoint, f).await?;
        Ok((rows.into_iter().map(|d| DeliveryOut::new(d, false)).collect(), next))
    }

    /// The delivery, or 404: `WEBHOOK_NOT_FOUND` when the organization has no such endpoint.
    async fn delivery(&self, org: OrgId, endpoint: EndpointId, id: DeliveryId) -> ApiResult<deliveries::Model> {
        match store::deliveries::find(&self.core.db.conn, org, endpoint, id).await? {
            Some(d) => Ok(d),
            None => {
                self.endpoint(org, endpoint).await?;
                Err(ApiError::not_found_as("DELIVERY_NOT_FOUND", "delivery"))
            }
        }
    }

    /// One delivery with every attempt.
    pub async fn get_delivery(&self, org: OrgId, endpoint: EndpointId, id: DeliveryId) -> ApiResult<DeliveryOut> {
        let d = self.delivery(org, endpoint, id).await?;
        let tries = store::attempts::of_delivery(&self.core.db.conn, id).await?;
        let mut out = DeliveryOut::new(d, true);
        out.response = Some(tries.last().map(|a| ResponseOut {
            status_code: a.status_code,
            headers: a.response_headers.clone(),
            body: a.response_body.clone(),
            duration_ms: a.duration_ms,
        }));
        out.attempt_log = Some(
            tries
                .into_iter()
                .map(|a| AttemptOut {
                    attempted_at: rfc3339_string(a.attempted_at),
                    duration_ms: a.duration_ms,
                    status_code: a.status_code,
                    response_headers: a.response_headers,
                    response_body: a.response_body,
                    error: a.error,
                })
                .collect(),
        );
        Ok(out)
    }

    /// Attempts the delivery again now (whatever its state, unless one is running).
    pub async fn retry_delivery(
        &self,
        actor: &ActorRef,
        org: OrgId,
        endpoint: EndpointId,
        id: DeliveryId,
    ) -> ApiResult<DeliveryOut> {
        let d = self.delivery(org, endpoint, id).await?;
        let now = self.core.clock.now_ms();
        if d.lease_until.is_some_and(|l| l > now) {
            return Err(ApiError::conflict("DELIVERY_IN_FLIGHT", "an attempt of this delivery is running"));
        }
        let target = ("webhook_delivery", id.to_string());
        self.requeue(actor, org, "webhook.delivery_retried", target, Requeue::One(id), now).await?;
        self.get_delivery(org, endpoint, id).await
    }

    /// Queues again every failed delivery of the endpoint created since `since`; returns how many.
    pub async fn recover(&self, actor: &ActorRef, org: OrgId, endpoint: EndpointId, since: Millis) -> ApiResult<u64> {
        self.endpoint(org, endpoint).await?;
        let now = self.core.clock.now_ms();
        let target = ("webhook_endpoint", endpoint.to_string());
        let which = Requeue::FailedSince(endpoint, since);
        self.requeue(actor, org, "webhook.deliveries_recovered", target, which, now).await
    }

    /// Queues the matching deliveries again, with the audit entry of who asked.
    async fn requeue(
        &self,
        actor: &ActorRef,
        org: OrgId,
        action: &'static str,
        (target_type, target_id): (&'static str, String),
        which: Requeue,
        now: Millis,
    ) -> ApiResult<u64> {
        let txn = self.core.db.begin_write().await?;
        let queued = store::deliveries::requeue(&*txn, which, now).await?;
        if queued > 0 {
            let target = Target::new(target_type, target_id).diff(Value::Null, json!({ "queued": queued }));
            self.core.audit_only(&txn, &ChangeCtx::in_org(actor.clone(), org), action, target).await?;
        }
        txn.commit().await?;
        self.wake.notify_one();
        Ok(queued)
    }

    /// Queues a `webhook.test` message to this endpoint only.
    pub async fn send_test(&self, org: OrgId, endpoint: EndpointId, actor: &ActorRef) -> ApiResult<DeliveryOut> {
        let ep = self.endpoint(org, endpoint).await?;
        let now = self.core.clock.now_ms();
        let data = TestEvent { endpoint_id: ep.id, message: "This is a test message from tessera.".to_owned() };
        let event = Event {
            id: EventId::new(),
            event_type: events::TEST.to_owned(),
            occurred_at: rfc3339_string(now),
            org_id: Some(org),
            actor: serde_json::to_value(actor).unwrap_or_default(),
            data: serde_json::to_value(data).unwrap_or_default(),
            seq: 0,
            occurred_ms: now,
        };
        let id = DeliveryId::new();
        let mut row = super::fanout::new_delivery(&ep, &event, serde_json::to_value(&event).unwrap_or_default(), now);
        row.id = sea_orm::Set(id);
        let txn = self.core.db.begin_write().await?;
        store::deliveries::insert(&*txn, row).await?;
        let target = Target::new("webhook_endpoint", ep.id);
        self.core.audit_only(&txn, &ChangeCtx::in_org(actor.clone(), org), "webhook.test_sent", target).await?;
        txn.commit().await?;
        self.wake.notify_one();
        self.get_delivery(org, endpoint, id).await
    }
}

/// Each endpoint's delivery of an event, for `GET /orgs/{orgId}/events/{id}`.
/// (Holding the module weakly: the core, which the module holds, keeps its reports.)
pub(crate) struct EventDeliveries(pub(crate) std::sync::Weak<Webhooks>);

#[async_trait::async_trait]
impl DeliveryReport for EventDeliveries {
    fn section(&self) -> &'static str {
        "deliveries"
    }

    async fn report(&self, org: OrgId, event: EventId) -> Result<Value, ApiError> {
        let hooks = self.0.upgrade().ok_or_else(|| ApiError::unavailable("the webhooks module is shutting down"))?;
        let rows = store::deliveries::of_event(&hooks.core.db.conn, org, event, 1_000).await?;
        Ok(json!(rows.into_iter().map(|d| DeliveryOut::new(d, false)).collect::<Vec<_>>()))
    }
}
