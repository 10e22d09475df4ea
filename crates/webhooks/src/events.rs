//! Events the webhooks module records. `webhook.delivered` and `webhook.failed`
//! report each delivery's outcome; an endpoint receives them only when it names
//! them exactly, and their own deliveries report nothing, so they never loop.

use serde::Serialize;
use tessera_kernel::event_types::{EventType, schema_of};
use tessera_kernel::ids::EventId;
use utoipa::ToSchema;

use crate::ids::{DeliveryId, EndpointId};

pub const ENDPOINT_CREATED: &str = "webhook.endpoint_created";
pub const ENDPOINT_UPDATED: &str = "webhook.endpoint_updated";
pub const ENDPOINT_DELETED: &str = "webhook.endpoint_deleted";
pub const ENDPOINT_DISABLED: &str = "webhook.endpoint_disabled";
pub const SECRET_ROTATED: &str = "webhook.secret_rotated";
pub const DELIVERED: &str = "webhook.delivered";
pub const FAILED: &str = "webhook.failed";
/// Sent to one endpoint by `POST …/{id}/test`; never through the outbox.
pub const TEST: &str = "webhook.test";

/// Outcome events: matched only by their exact name.
pub const OUTCOMES: &[&str] = &[DELIVERED, FAILED];

/// An endpoint was created, changed, deleted, disabled, or its secret rotated.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointEvent {
    pub endpoint_id: EndpointId,
    pub url: String,
    pub name: Option<String>,
    /// The event types it receives.
    pub events: Vec<String>,
    pub is_active: bool,
    /// Why it is disabled: `manual`, `gone` (it answered 410) or `failing`.
    pub disabled_reason: Option<crate::model::DisabledReason>,
}

/// A delivery succeeded or failed for good.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryOutcome {
    pub delivery_id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event_id: EventId,
    pub event_type: String,
    pub attempts: i32,
    /// The last response's status, if any came.
    pub status_code: Option<i32>,
    /// For `webhook.failed`: why the last attempt failed.
    pub error: Option<String>,
}

/// The body of `webhook.test`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestEvent {
    pub endpoint_id: EndpointId,
    pub message: String,
}

const fn event(name: &'static str, description: &'static str, schema: fn() -> serde_json::Value) -> EventType {
    EventType { name, module: "webhooks", description, schema }
}

/// Every event type of this module.
pub const EVENT_TYPES: &[EventType] = &[
    event(ENDPOINT_CREATED, "A webhook endpoint was created.", schema_of::<EndpointEvent>),
    event(ENDPOINT_UPDATED, "A webhook endpoint was changed.", schema_of::<EndpointEvent>),
    event(ENDPOINT_DELETED, "A webhook endpoint was deleted.", schema_of::<EndpointEvent>),
    event(
        ENDPOINT_DISABLED,
        "An endpoint was disabled: it answered 410 Gone, or failed for days.",
        schema_of::<EndpointEvent>,
    ),
    event(SECRET_ROTATED, "An endpoint's signing secret was rotated.", schema_of::<EndpointEvent>),
    event(DELIVERED, "A delivery succeeded (2xx).", schema_of::<DeliveryOutcome>),
    event(FAILED, "A delivery failed for good after its last attempt.", schema_of::<DeliveryOutcome>),
    event(TEST, "A test message sent to one endpoint on request.", schema_of::<TestEvent>),
];
