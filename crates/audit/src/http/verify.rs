//! Chain verification: `/orgs/{orgId}/audit-logs/verify` for members holding
//! `audit:read`, `/audit-logs/verify?chain=` for platform administrators.

use crate::AUDIT_READ;
use axum::extract::State;
use serde::Deserialize;
use tessera_kernel::{ApiResult, Data, OrgScope, PlatformAdmin, Query};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AuditState;
use super::query::parse_chain;
use crate::chain::Verification;

pub fn routes() -> OpenApiRouter<AuditState> {
    OpenApiRouter::new().routes(routes!(verify_org_chain)).routes(routes!(verify_chain))
}

/// Checks every link of the organization's audit chain from the oldest entry
/// kept, and reports the first entry that was altered, inserted or removed.
#[utoipa::path(get, path = "/orgs/{orgId}/audit-logs/verify", tag = "audit", operation_id = "audit.org_logs.verify",
    params(("orgId" = tessera_kernel::ids::OrgId, Path, description = "The organization")),
    responses((status = 200, body = Data<Verification>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn verify_org_chain(State(s): State<AuditState>, scope: OrgScope) -> ApiResult<Data<Verification>> {
    scope.require(&s.app, AUDIT_READ).await?;
    Ok(Data::new(s.audit.verify(&scope.org_id.to_string()).await?))
}

/// Which chain to verify.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// An organization id, or `platform` for entries outside any organization.
    pub chain: String,
}

/// Checks one audit chain (platform administrators).
#[utoipa::path(get, path = "/audit-logs/verify", tag = "audit", operation_id = "audit.logs.verify",
    params(VerifyQuery),
    responses((status = 200, body = Data<Verification>), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn verify_chain(
    State(s): State<AuditState>,
    _admin: PlatformAdmin,
    Query(q): Query<VerifyQuery>,
) -> ApiResult<Data<Verification>> {
    let chain = parse_chain("chain", &q.chain)?;
    Ok(Data::new(s.audit.verify(&chain).await?))
}
