//! `/authz/check` and `/authz/check/batch`: permission checks for other services.
//! An organization the caller cannot see answers `allowed: false` with the reason
//! `not a member`, whatever the subject: the same as one that does not exist.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::authz::{Decision, ResourceRef};
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Actor, ApiError, ApiResult, Data, FieldError, FieldErrors, Json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AccessState;
use crate::service::authz::CheckQuery;

/// The most checks one batch may ask.
pub const MAX_BATCH: usize = 100;

pub fn routes() -> OpenApiRouter<AccessState> {
    OpenApiRouter::new().routes(routes!(check)).routes(routes!(check_batch))
}

/// One question: may `subject` (the caller when absent) do `permission` in `orgId` (on `resource`)?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckIn {
    /// A user id or API key id; asking about anyone but the caller needs `authz:check`.
    pub subject: Option<Uuid>,
    pub org_id: OrgId,
    pub permission: String,
    pub resource: Option<ResourceRef>,
}

/// Up to 100 questions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckBatchIn {
    pub checks: Vec<CheckIn>,
}

/// The answers, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckBatchOut {
    pub results: Vec<Decision>,
}

fn parse(s: &AccessState, field: String, input: CheckIn, errors: &mut FieldErrors) -> Option<CheckQuery> {
    let permission = errors.check(s.access.catalogue.parse(field, &input.permission))?;
    Some(CheckQuery { subject: input.subject, org: input.org_id, permission, resource: input.resource })
}

/// Whether a subject holds a permission, and the rule that decided. Asking about
/// anyone but yourself needs `authz:check` in that organization (403); in an
/// organization you do not belong to, every answer is `{allowed: false, reason:
/// "not a member"}`, the same as for one that does not exist.
#[utoipa::path(post, path = "/authz/check", tag = "access", operation_id = "access.authz.check", request_body = CheckIn,
    responses((status = 200, body = Data<Decision>), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn check(State(s): State<AccessState>, actor: Actor, Json(input): Json<CheckIn>) -> ApiResult<Data<Decision>> {
    let mut errors = FieldErrors::new();
    let query = parse(&s, "permission".into(), input, &mut errors);
    errors.finish()?;
    let query = query.ok_or_else(|| ApiError::internal("a check was refused without a reason"))?;
    let mut answers = s.access.check_many(&actor, std::slice::from_ref(&query)).await?;
    let answer = answers.pop().ok_or_else(|| ApiError::internal("a check went unanswered"))?;
    Ok(Data::new(answer))
}

/// Answers 1 to 100 checks in one call, in order, under the rules of `/authz/check`
/// (422 beyond 100; a 403 for any check refuses the whole batch).
#[utoipa::path(post, path = "/authz/check/batch", tag = "access", operation_id = "access.authz.check_batch",
    request_body = CheckBatchIn,
    responses((status = 200, body = Data<CheckBatchOut>), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn check_batch(
    State(s): State<AccessState>,
    actor: Actor,
    Json(input): Json<CheckBatchIn>,
) -> ApiResult<Data<CheckBatchOut>> {
    if input.checks.is_empty() || input.checks.len() > MAX_BATCH {
        return Err(FieldError::new("checks", "OUT_OF_RANGE", "must hold 1 to 100 checks").into());
    }
    let mut errors = FieldErrors::new();
    let queries: Vec<Option<CheckQuery>> = input
        .checks
        .into_iter()
        .enumerate()
        .map(|(i, c)| parse(&s, format!("checks[{i}].permission"), c, &mut errors))
        .collect();
    errors.finish()?;
    let queries: Vec<CheckQuery> = queries.into_iter().flatten().collect();
    let results = s.access.check_many(&actor, &queries).await?;
    Ok(Data::new(CheckBatchOut { results }))
}
