//! Endpoint management: create, list, read, change, delete, rotate the secret,
//! send a test message, statistics.

use crate::{WEBHOOKS_MANAGE, WEBHOOKS_READ};
use std::collections::BTreeMap;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_kernel::PageQuery;
use tessera_kernel::ids::OrgId;
use tessera_kernel::{ApiResult, Created, Data, FieldError, FieldErrors, Json, NoContent, OrgScope, Page, Path, Query};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::HooksState;
use crate::ids::EndpointId;
use crate::model::{EndpointOut, Signing, parse_events, parse_headers, parse_metadata};
use crate::service::deliveries::DeliveryOut;
use crate::service::endpoints::{EndpointPatch, NewEndpoint};
use crate::service::stats::EndpointStats;

pub fn routes() -> OpenApiRouter<HooksState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(rotate_secret))
        .routes(routes!(test_endpoint))
        .routes(routes!(endpoint_stats))
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointIn {
    /// `http` or `https`; private and loopback addresses are refused unless the operator allows them.
    pub url: String,
    /// A short label, at most 200 characters.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Exact event types, prefixes (`user.*`) or `*`.
    pub events: Vec<String>,
    pub integration_id: Option<String>,
    /// Extra headers sent with every request.
    pub headers: Option<BTreeMap<String, String>>,
    /// At most this many requests per second (1..=10000).
    pub rate_limit_per_second: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Default true.
    pub is_active: Option<bool>,
    /// `hmac` (default: `whsec_` secret, `v1` signatures) or `ed25519` (`whsk_`/`whpk_` keys, `v1a`).
    pub signing: Option<String>,
}

fn check_text(errors: &mut FieldErrors, field: &'static str, v: Option<&str>, max: usize) {
    if v.is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(field, "TOO_LONG", format!("at most {max} characters")));
    }
}

fn check_url(errors: &mut FieldErrors, url: &str) {
    if url.len() > 2_048 {
        errors.push(FieldError::new("url", "TOO_LONG", "at most 2048 characters"));
    }
}

fn check_rate(errors: &mut FieldErrors, rate: Option<i32>) {
    if rate.is_some_and(|r| !(1..=10_000).contains(&r)) {
        errors.push(FieldError::new("rateLimitPerSecond", "OUT_OF_RANGE", "must be 1..=10000"));
    }
}

/// Creates an endpoint (needs `webhooks:manage`). The answer carries its `secret`: it is shown only now.
#[utoipa::path(post, path = "/orgs/{orgId}/webhooks", tag = "webhooks", operation_id = "webhooks.endpoint.create",
    params(("orgId" = OrgId, Path)), request_body = EndpointIn,
    responses((status = 201, body = Data<EndpointOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_endpoint(
    State(s): State<HooksState>,
    scope: OrgScope,
    Json(input): Json<EndpointIn>,
) -> ApiResult<Created<EndpointOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    let mut errors = FieldErrors::new();
    check_url(&mut errors, &input.url);
    check_text(&mut errors, "name", input.name.as_deref(), 200);
    check_text(&mut errors, "description", input.description.as_deref(), 500);
    check_text(&mut errors, "integrationId", input.integration_id.as_deref(), 128);
    check_rate(&mut errors, input.rate_limit_per_second);
    let events = errors.check(parse_events(&input.events));
    let headers = errors.check(parse_headers(&input.headers.unwrap_or_default()));
    let metadata = errors.check(parse_metadata(&input.metadata.unwrap_or_else(|| json!({}))));
    let signing = errors.check(Signing::parse("signing", input.signing.as_deref()));
    errors.finish()?;
    let new = NewEndpoint {
        url: input.url,
        name: input.name.filter(|n| !n.is_empty()),
        description: input.description.filter(|d| !d.is_empty()),
        events: events.unwrap_or_default(),
        integration_id: input.integration_id,
        headers: headers.unwrap_or_default(),
        rate_limit_per_second: input.rate_limit_per_second,
        metadata: metadata.unwrap_or_default(),
        is_active: input.is_active.unwrap_or(true),
        signing: signing.unwrap_or(Signing::Hmac),
    };
    Ok(Created(s.hooks.create_endpoint(&scope.actor, scope.org_id, new).await?))
}

/// The organization's endpoints, oldest first (needs `webhooks:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/webhooks", tag = "webhooks", operation_id = "webhooks.endpoint.list",
    params(("orgId" = OrgId, Path), PageQuery),
    responses((status = 200, body = Page<EndpointOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_endpoints(
    State(s): State<HooksState>,
    scope: OrgScope,
    Query(q): Query<PageQuery>,
) -> ApiResult<Page<EndpointOut>> {
    scope.require(&s.app, WEBHOOKS_READ).await?;
    let page = q.parse()?;
    let (rows, total) = s.hooks.list_endpoints(scope.org_id, page).await?;
    Ok(Page::new(rows, page.meta(total)))
}

/// One endpoint (needs `webhooks:read`); Ed25519 endpoints show their public key.
#[utoipa::path(get, path = "/orgs/{orgId}/webhooks/{endpointId}", tag = "webhooks", operation_id = "webhooks.endpoint.get",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)),
    responses((status = 200, body = Data<EndpointOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_endpoint(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
) -> ApiResult<Data<EndpointOut>> {
    scope.require(&s.app, WEBHOOKS_READ).await?;
    let row = s.hooks.endpoint(scope.org_id, id).await?;
    Ok(Data::new(s.hooks.view(&row, None)))
}

/// Changes to an endpoint; absent fields stay, null clears the optional ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointPatchIn {
    pub url: Option<String>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub integration_id: Option<Option<String>>,
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<i32>)]
    pub rate_limit_per_second: Option<Option<i32>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Turning an endpoint back on clears its failure record.
    pub is_active: Option<bool>,
}

/// Changes an endpoint (needs `webhooks:manage`).
#[utoipa::path(patch, path = "/orgs/{orgId}/webhooks/{endpointId}", tag = "webhooks", operation_id = "webhooks.endpoint.update",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)), request_body = EndpointPatchIn,
    responses((status = 200, body = Data<EndpointOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn update_endpoint(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
    Json(input): Json<EndpointPatchIn>,
) -> ApiResult<Data<EndpointOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    let mut errors = FieldErrors::new();
    if let Some(url) = &input.url {
        check_url(&mut errors, url);
    }
    check_text(&mut errors, "name", input.name.as_ref().and_then(|d| d.as_deref()), 200);
    check_text(&mut errors, "description", input.description.as_ref().and_then(|d| d.as_deref()), 500);
    check_text(&mut errors, "integrationId", input.integration_id.as_ref().and_then(|d| d.as_deref()), 128);
    check_rate(&mut errors, input.rate_limit_per_second.flatten());
    let patch = EndpointPatch {
        url: input.url,
        name: input.name.map(|n| n.filter(|n| !n.is_empty())),
        description: input.description.map(|d| d.filter(|d| !d.is_empty())),
        events: input.events.and_then(|e| errors.check(parse_events(&e))),
        integration_id: input.integration_id,
        headers: input.headers.and_then(|h| errors.check(parse_headers(&h))),
        rate_limit_per_second: input.rate_limit_per_second,
        metadata: input.metadata.and_then(|m| errors.check(parse_metadata(&m))),
        is_active: input.is_active,
    };
    errors.finish()?;
    Ok(Data::new(s.hooks.update_endpoint(&scope.actor, scope.org_id, id, patch).await?))
}

/// Deletes an endpoint with its delivery history (needs `webhooks:manage`).
#[utoipa::path(delete, path = "/orgs/{orgId}/webhooks/{endpointId}", tag = "webhooks", operation_id = "webhooks.endpoint.delete",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_endpoint(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
) -> ApiResult<NoContent> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    s.hooks.delete_endpoint(&scope.actor, scope.org_id, id).await?;
    Ok(NoContent)
}

/// How long the old secret keeps signing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateIn {
    /// Hours, 0..=720 (default 24): meanwhile requests carry both signatures.
    pub grace_hours: Option<u32>,
}

/// Replaces the signing secret (needs `webhooks:manage`); the new secret is shown only now.
#[utoipa::path(post, path = "/orgs/{orgId}/webhooks/{endpointId}/rotate-secret", tag = "webhooks", operation_id = "webhooks.endpoint.rotate",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)), request_body(content = Option<RotateIn>),
    responses((status = 200, body = Data<EndpointOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn rotate_secret(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
    input: Option<Json<RotateIn>>,
) -> ApiResult<Data<EndpointOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    let grace = input.and_then(|Json(i)| i.grace_hours).unwrap_or(s.hooks.cfg.secret_grace_hours);
    if grace > 720 {
        return Err(tessera_kernel::ApiError::validation(vec![FieldError::new(
            "graceHours",
            "OUT_OF_RANGE",
            "must be 0..=720",
        )]));
    }
    Ok(Data::new(s.hooks.rotate_secret(&scope.actor, scope.org_id, id, grace).await?))
}

/// Sends a `webhook.test` message to this endpoint (needs `webhooks:manage`); answers its delivery.
#[utoipa::path(post, path = "/orgs/{orgId}/webhooks/{endpointId}/test", tag = "webhooks", operation_id = "webhooks.endpoint.test",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)),
    responses((status = 202, body = Data<DeliveryOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn test_endpoint(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
) -> ApiResult<tessera_kernel::Accepted<DeliveryOut>> {
    scope.require(&s.app, WEBHOOKS_MANAGE).await?;
    Ok(tessera_kernel::Accepted(s.hooks.send_test(scope.org_id, id, &scope.actor.as_ref()).await?))
}

/// Success rate and latency percentiles over the last hour and day (needs `webhooks:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/webhooks/{endpointId}/stats", tag = "webhooks", operation_id = "webhooks.endpoint.stats",
    params(("orgId" = OrgId, Path), ("endpointId" = EndpointId, Path)),
    responses((status = 200, body = Data<EndpointStats>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn endpoint_stats(
    State(s): State<HooksState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, EndpointId)>,
) -> ApiResult<Data<EndpointStats>> {
    scope.require(&s.app, WEBHOOKS_READ).await?;
    Ok(Data::new(s.hooks.stats(scope.org_id, id).await?))
}
