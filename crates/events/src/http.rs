//! HTTP routes: custom events and history under `/orgs/{orgId}/events`, and the
//! catalogue at `/event-types`.

use crate::{EVENTS_PUBLISH, EVENTS_READ};
use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_kernel::clock::parse_time_field;
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::{ApiResult, AppState, CursorPage, Data, FieldError, FieldErrors, Json, OrgScope, Path, Query};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::Events;
use crate::service::history::HistoryFilter;
use crate::service::publish::Publish;
use tessera_kernel::bus::Event;

/// Router state: the application plus the events service.
#[derive(Clone)]
pub struct EventsState {
    pub app: AppState,
    pub events: Arc<Events>,
}

impl FromRef<EventsState> for AppState {
    fn from_ref(s: &EventsState) -> AppState {
        s.app.clone()
    }
}

pub fn routes(state: EventsState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(publish_event, list_events))
        .routes(routes!(get_event))
        .routes(routes!(event_types))
        .with_state(state)
}

/// A custom event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventIn {
    /// `<noun>.<verb>` such as `invoice.paid`; tessera's own namespaces (`user`, `org`, …) are refused.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Any JSON object.
    #[schema(value_type = Object)]
    pub data: Value,
    /// The same key within 24 hours returns the first event instead of publishing another.
    pub idempotency_key: Option<String>,
}

/// Publishes a custom event to the organization's consumers (webhooks, NATS) (needs
/// `events:publish`). 202 with the event; a repeated idempotency key answers the
/// first event with `idempotent-replayed: true`.
#[utoipa::path(post, path = "/orgs/{orgId}/events", tag = "events", operation_id = "events.publish",
    params(("orgId" = OrgId, Path)), request_body = EventIn,
    responses((status = 202, body = Data<Event>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn publish_event(
    State(s): State<EventsState>,
    scope: OrgScope,
    Json(input): Json<EventIn>,
) -> ApiResult<Response> {
    scope.require(&s.app, EVENTS_PUBLISH).await?;
    let req = Publish { event_type: input.event_type, data: input.data, idempotency_key: input.idempotency_key };
    let out = s.events.publish(scope.org_id, &scope.actor.as_ref(), req).await?;
    let mut res = (StatusCode::ACCEPTED, axum::Json(Data::new(out.event))).into_response();
    if out.replayed {
        res.headers_mut().insert(HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Filters and page of the event history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Comma-separated event types or prefixes (`member.*`).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Events before this time (RFC 3339).
    pub to: Option<String>,
    /// `meta.nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// 1..=200 (default 50).
    pub limit: Option<u64>,
}

impl EventsQuery {
    fn parse(self) -> ApiResult<HistoryFilter> {
        let mut errors = FieldErrors::new();
        let mut filter = HistoryFilter { limit: self.limit.unwrap_or(50), ..Default::default() };
        if !(1..=200).contains(&filter.limit) {
            errors.push(FieldError::new("limit", "OUT_OF_RANGE", "must be 1..=200"));
        }
        for t in self.event_type.iter().flat_map(|t| t.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
            let name = t.strip_suffix(".*").unwrap_or(t);
            let ok = !name.is_empty()
                && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if ok && t.len() <= 128 {
                filter.types.push(t.to_owned());
            } else {
                errors.push(FieldError::new(
                    "type",
                    "INVALID",
                    "event types such as member.added, or prefixes such as member.*",
                ));
            }
        }
        filter.from = self.from.as_deref().and_then(|f| errors.check(parse_time_field("from", f)));
        filter.to = self.to.as_deref().and_then(|t| errors.check(parse_time_field("to", t)));
        if let Some(c) = self.cursor.as_deref().filter(|c| !c.is_empty()) {
            filter.before_seq = errors.check(decode_cursor(c));
        }
        errors.finish()?;
        Ok(filter)
    }
}

fn decode_cursor(raw: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new("cursor", "INVALID_CURSOR", "not a cursor this API gave");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("e.").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("e.{seq}"))
}

/// The organization's events, newest first (needs `events:read`). Events appear
/// here once relayed, a few milliseconds after their change.
#[utoipa::path(get, path = "/orgs/{orgId}/events", tag = "events", operation_id = "events.list",
    params(("orgId" = OrgId, Path), EventsQuery),
    responses((status = 200, body = CursorPage<Event>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_events(
    State(s): State<EventsState>,
    scope: OrgScope,
    Query(q): Query<EventsQuery>,
) -> ApiResult<CursorPage<Event>> {
    scope.require(&s.app, EVENTS_READ).await?;
    let filter = q.parse()?;
    let page = s.events.list(scope.org_id, &filter).await?;
    Ok(CursorPage::new(page.events, page.next.map(encode_cursor), filter.limit))
}

/// An event with its delivery status per consumer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDetailOut {
    #[serde(flatten)]
    pub event: Event,
    /// `pending` while in the outbox, then `relayed`.
    pub status: &'static str,
    /// Each consumer's report: `deliveries` lists every webhook endpoint's delivery.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub reports: Map<String, Value>,
}

/// One event and how its delivery went (needs `events:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/events/{eventId}", tag = "events", operation_id = "events.get",
    params(("orgId" = OrgId, Path), ("eventId" = EventId, Path)),
    responses((status = 200, body = Data<EventDetailOut>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn get_event(
    State(s): State<EventsState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EventId)>,
) -> ApiResult<Data<EventDetailOut>> {
    scope.require(&s.app, EVENTS_READ).await?;
    let (event, reports) = s.events.get(scope.org_id, id).await?;
    let status = if event.seq > 0 { "relayed" } else { "pending" };
    Ok(Data::new(EventDetailOut { event, status, reports }))
}

/// One event type of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    pub name: &'static str,
    pub module: &'static str,
    pub description: &'static str,
    /// JSON Schema (2020-12) of the event's `data`.
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// Every event type tessera emits, with the JSON Schema of its `data`.
#[utoipa::path(get, path = "/event-types", tag = "events", operation_id = "events.types",
    responses((status = 200, body = Data<Vec<EventTypeOut>>)))]
async fn event_types(State(s): State<EventsState>) -> Data<Vec<EventTypeOut>> {
    let out = s
        .events
        .catalogue()
        .iter()
        .map(|t| EventTypeOut { name: t.name, module: t.module, description: t.description, schema: (t.schema)() })
        .collect();
    Data::new(out)
}
