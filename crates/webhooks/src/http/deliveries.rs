//! Deliveries of an endpoint: list (cursor pages), one with every attempt,
//! retry now, and recover every failure since a time.

use crate::{WEBHOOKS_MANAGE, WEBHOOKS_READ};
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use tessera_kernel::clock::parse_time_field;
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::{ApiResult, CursorPage, Data, FieldError, FieldErrors, Json, Millis, OrgScope, Path, Query};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::HooksState;
use crate::ids::{DeliveryId, EndpointId};
use crate::model::DeliveryStatus;
use crate::service::deliveries::{DeliveryFilter, DeliveryOut};

pub fn routes() -> OpenApiRouter<HooksState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
        .routes(routes!(recover))
}

/// Filters and page of an endpoint's deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `PENDING`, `RETRYING`, `DELIVERED` or `FAILED`.
    pub status: Option<String>,
    pub event_type: Option<String>,
    pub event_id: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<String>,
    /// Created before (RFC 3339).
    pub to: Option<String>,
    pub cursor: Option<String>,
    /// 1..=200 (default 50).
    pub limit: Option<u64>,
}

fn encode_cursor((at, id): (Millis, DeliveryId)) -> String {
    URL_SAFE_NO_PAD.encode(format!("{at}.{id}"))
}

fn decode_cursor(raw: &str) -> Result<(Millis, DeliveryId), FieldError> {
    let bad = || FieldError::new("cursor", "INVALID_CURSOR", "not a cursor this API gave");
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?).map_err(|_| bad())?;
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

impl DeliveriesQuery {
    fn parse(self) -> ApiResult<DeliveryFilter> {
        let mut errors = FieldErrors::new();
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            errors.push(FieldError::new("limit", "OUT_OF_RANGE", "must be 1..=200"));
        }
        let status = self.status.and_then(|s| errors.check(DeliveryStatus::parse("status", &s)));
        let event_id = self.event_id.and_then(|e| {
            errors.check(e.parse::<EventId>().map_err(|_| FieldError::new("eventId", "INVALID", "must be a UUID")))
        });
        let filter = DeliveryFilter {
            status,
            event_type: self.event_type.filter(|t| !t.is_empty()),
            event_id,
            from: self.from.as_deref().and_then(|f| errors.check(parse_time_field("from", f))),
            to: self.to.as_deref().and_then(|t| errors.check(parse_time_field("to", t))),
            before: self.cursor.as_deref().filter(|c| !c.is_empty()).and_then(|c| errors.check(decode_cursor(c))),
            limit,
        };
        errors.finish()?;
        Ok(filter)
    }
}

/// The endpoint's deliveries, newest first (needs `webhooks:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/webhooks/{endpointId}/deliveries", tag = "webhooks", operation_id = "webhooks.delivery.list",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path), DeliveriesQuery),
    responses((status = 200, body = CursorPage<DeliveryOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_deliveries(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<CursorPage<DeliveryOut>> {
    scope.require(&s.app, WEBHOOKS_READ).await?;
    let filter = q.parse()?;
    let (data, next) = s.hooks.list_deliveries(scope.org_id, id, &filter).await?;
    Ok(CursorPage::new(data, next.map(encode_cursor), filter.limit))
}

/// One delivery with its payload and every attempt (needs `webhooks:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/webhooks/{endpointId}/deliveries/{deliveryId}", tag = "webhooks", operation_id = "webhooks.delivery.get",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path), ("deliveryId" = DeliveryId, Path)),
    responses((status = 200, body = Data<DeliveryOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_delivery(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, endpoint, id)): Path<(OrgId, EndpointId, DeliveryId)>,
) -> ApiResult<Data<DeliveryOut>> {
    scope.require(&s.app, WEBHOOKS_READ).await?;
    Ok(Data::new(s.hooks.get_delivery(scope.org_id, endpoint, id).await?))
}

/// Attempts a delivery again now (needs `webhooks:manage`); 409 while an attempt runs.
#[utoipa::path(post, path = "/orgs/{orgId}/webhooks/{endpointId}/deliveries/{deliveryId}/retry", tag = "webhooks", operation_id = "webhooks.delivery.retry",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path), ("deliveryId" = DeliveryId, Path)),
    responses((status = 202, body = Data<DeliveryOut>), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn retry_delivery(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, endpoint, id)): Path<(OrgId, EndpointId, DeliveryId)>,
) -> ApiResult<tessera_kernel::Accepted<DeliveryOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    Ok(tessera_kernel::Accepted(s.hooks.retry_delivery(&scope.actor.as_ref(), scope.org_id, endpoint, id).await?))
}

/// Which failures to resend.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoverIn {
    /// Failed deliveries created at or after this time (RFC 3339) are sent again.
    pub since: String,
}

/// How many deliveries were queued again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoverOut {
    pub queued: u64,
}

/// Resends every failed delivery since a time (needs `webhooks:manage`).
#[utoipa::path(post, path = "/orgs/{orgId}/webhooks/{endpointId}/recover", tag = "webhooks", operation_id = "webhooks.endpoint.recover",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)), request_body = RecoverIn,
    responses((status = 202, body = Data<RecoverOut>), (status = 401), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn recover(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, endpoint)): Path<(OrgId, EndpointId)>,
    Json(input): Json<RecoverIn>,
) -> ApiResult<tessera_kernel::Accepted<RecoverOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    let since = parse_time_field("since", &input.since).map_err(|e| tessera_kernel::ApiError::validation(vec![e]))?;
    let queued = s.hooks.recover(&scope.actor.as_ref(), scope.org_id, endpoint, since).await?;
    Ok(tessera_kernel::Accepted(RecoverOut { queued }))
}
