//! API keys: `/orgs/{orgId}/api-keys` (organization keys, need `api_keys:manage`)
//! and `/users/me/api-keys` (personal keys, acting as their user). The secret is
//! in the answer to creation and rotation only.

use crate::model::API_KEYS_MANAGE;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};
use tessera_kernel::{
    Actor, ApiError, ApiResult, Created, Data, FieldError, FieldErrors, Json, NoContent, OrgScope, Page, PageMeta,
    Path, Query,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AccessState, push_all};
use crate::entity::api_keys::Model;
use crate::error::AccessError;
use crate::model::{self, MAX_GRACE_HOURS};
use crate::service::api_keys::{IssuedKey, NewKey};
use crate::service::json_list;
use crate::store::api_keys::KeyOwner;
use tessera_kernel::PageQuery;
use tessera_kernel::permission::KeyPermissions;

pub fn routes() -> OpenApiRouter<AccessState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_keys, create_org_key))
        .routes(routes!(revoke_org_key))
        .routes(routes!(rotate_org_key))
        .routes(routes!(list_my_keys, create_my_key))
        .routes(routes!(revoke_my_key))
        .routes(routes!(rotate_my_key))
}

/// A key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyOut {
    pub id: ApiKeyId,
    /// The organization of an organization key; absent for a personal key.
    pub org_id: Option<OrgId>,
    pub name: String,
    /// The first characters of the secret, to recognize it.
    pub prefix: String,
    pub permissions: Vec<String>,
    pub created_by: UserId,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<i64>,
    #[serde(with = "tessera_kernel::clock::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<i64>,
}

impl From<&Model> for ApiKeyOut {
    fn from(k: &Model) -> Self {
        Self {
            id: k.id,
            org_id: k.org_id,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            permissions: json_list(&k.permissions),
            created_by: k.owner_id,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
        }
    }
}

/// A key with its secret: shown this once, never again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedApiKeyOut {
    #[serde(flatten)]
    pub key: ApiKeyOut,
    /// `tsk_…`: send it as `Authorization: Bearer …` or `X-API-Key`.
    pub secret: String,
}

impl From<IssuedKey> for IssuedApiKeyOut {
    fn from(issued: IssuedKey) -> Self {
        Self { key: ApiKeyOut::from(&issued.key), secret: issued.secret }
    }
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyIn {
    pub name: String,
    /// Catalogue keys. Organization keys: required, each held by the creator.
    /// Personal keys: `["*"]` (everything the user may do) when absent.
    pub permissions: Option<Vec<String>>,
    /// RFC 3339, in the future; never when absent.
    pub expires_at: Option<String>,
}

/// How long the old secret keeps working after a rotation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateIn {
    /// 0..=720 hours (default 24); 0 stops the old secret at once.
    pub grace_period_hours: Option<u32>,
}

impl ApiKeyIn {
    fn parse(self, s: &AccessState, personal: bool) -> Result<NewKey, ApiError> {
        let mut errors = FieldErrors::new();
        let name = errors.check(model::parse_key_name("name", &self.name));
        let raw = match (self.permissions, personal) {
            (Some(list), _) => list,
            (None, true) => vec![KeyPermissions::ALL.to_owned()],
            (None, false) => {
                errors.push(FieldError::new("permissions", "REQUIRED", "an organization key needs its permissions"));
                Vec::new()
            }
        };
        let permissions = match s.access.catalogue.parse_key_permissions("permissions", &raw, personal) {
            Ok(KeyPermissions::Only(list)) if list.is_empty() && !personal => {
                errors.push(FieldError::new("permissions", "REQUIRED", "give the key at least one permission"));
                None
            }
            Ok(set) => Some(set),
            Err(list) => {
                push_all(&mut errors, list);
                None
            }
        };
        let expires_at = match self.expires_at {
            Some(raw) => errors.check(parse_expiry(&raw, s.app.clock.now_ms())).map(Some),
            None => Some(None),
        };
        errors.finish()?;
        match (name, permissions, expires_at) {
            (Some(name), Some(permissions), Some(expires_at)) => Ok(NewKey { name, permissions, expires_at }),
            _ => Err(ApiError::bad_request("invalid API key")),
        }
    }
}

fn parse_expiry(raw: &str, now: i64) -> Result<i64, FieldError> {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(raw, &Rfc3339)
        .map_err(|_| FieldError::new("expiresAt", "INVALID_DATE", "must be an RFC 3339 date-time"))?;
    let ms = tessera_kernel::clock::to_millis(at);
    if ms <= now {
        return Err(FieldError::new("expiresAt", "IN_THE_PAST", "must be in the future"));
    }
    Ok(ms)
}

/// The grace period of a rotation: an optional JSON body.
fn grace_hours(s: &AccessState, body: &Bytes) -> Result<u32, ApiError> {
    let input: RotateIn = if body.iter().all(u8::is_ascii_whitespace) {
        RotateIn::default()
    } else {
        tessera_kernel::extract::parse_json(body)?
    };
    let hours = input.grace_period_hours.unwrap_or(s.access.cfg.default_rotation_grace_hours);
    if hours > MAX_GRACE_HOURS {
        return Err(FieldError::new("gracePeriodHours", "OUT_OF_RANGE", "must be 0..=720").into());
    }
    Ok(hours)
}

/// Personal keys are managed by their user, in person or through one of their personal keys
/// (listing and revoking; creating and rotating hand out a secret, so they take the person).
fn personal_owner(actor: &Actor) -> Result<KeyOwner, ApiError> {
    match actor {
        Actor::ApiKey(k) if k.org_id.is_some() => Err(AccessError::OrgKeyForbidden.into()),
        _ => Ok(KeyOwner::Personal(actor.user_id())),
    }
}

fn page_of(rows: Vec<Model>, total: u64, page: crate::store::PageReq) -> Page<ApiKeyOut> {
    Page::new(rows.iter().map(ApiKeyOut::from).collect(), PageMeta { page: page.page, limit: page.limit, total })
}

/// The organization's live keys, newest first (needs `api_keys:manage`).
#[utoipa::path(get, path = "/orgs/{orgId}/api-keys", tag = "api-keys", operation_id = "access.org_keys.list",
    params(("orgId" = OrgId, Path), PageQuery),
    responses((status = 200, body = Page<ApiKeyOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_org_keys(
    State(s): State<AccessState>,
    scope: OrgScope,
    Query(q): Query<PageQuery>,
) -> ApiResult<Page<ApiKeyOut>> {
    scope.require(&s.app, API_KEYS_MANAGE).await?;
    let page = q.parse()?;
    let (rows, total) = s.access.list_keys(KeyOwner::Org(scope.org_id), page).await?;
    Ok(page_of(rows, total, page))
}

/// Creates an organization key (a person holding `api_keys:manage` and every
/// permission given); the answer holds the secret, once. Emits `api_key.created`.
#[utoipa::path(post, path = "/orgs/{orgId}/api-keys", tag = "api-keys", operation_id = "access.org_keys.create",
    params(("orgId" = OrgId, Path)), request_body = ApiKeyIn,
    responses((status = 201, body = Data<IssuedApiKeyOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_org_key(
    State(s): State<AccessState>,
    scope: OrgScope,
    Json(input): Json<ApiKeyIn>,
) -> ApiResult<Created<IssuedApiKeyOut>> {
    scope.require(&s.app, API_KEYS_MANAGE).await?;
    let new = input.parse(&s, false)?;
    let issued = s.access.create_key(&scope.actor, KeyOwner::Org(scope.org_id), new).await?;
    Ok(Created(issued.into()))
}

/// Revokes an organization key, effective at once (needs `api_keys:manage`). Emits `api_key.revoked`.
#[utoipa::path(delete, path = "/orgs/{orgId}/api-keys/{keyId}", tag = "api-keys", operation_id = "access.org_keys.revoke",
    params(("orgId" = OrgId, Path), ("keyId" = ApiKeyId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke_org_key(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, key_id)): Path<(OrgId, ApiKeyId)>,
) -> ApiResult<NoContent> {
    scope.require(&s.app, API_KEYS_MANAGE).await?;
    s.access.revoke_key(&scope.actor, KeyOwner::Org(scope.org_id), key_id).await?;
    Ok(NoContent)
}

/// Gives an organization key a new secret (shown once); the old one works for the grace period.
/// Only a person holding every permission of the key may rotate it (403 otherwise).
#[utoipa::path(post, path = "/orgs/{orgId}/api-keys/{keyId}/rotate", tag = "api-keys",
    operation_id = "access.org_keys.rotate", params(("orgId" = OrgId, Path), ("keyId" = ApiKeyId, Path)),
    request_body = Option<RotateIn>,
    responses((status = 200, body = Data<IssuedApiKeyOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn rotate_org_key(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, key_id)): Path<(OrgId, ApiKeyId)>,
    body: Bytes,
) -> ApiResult<Data<IssuedApiKeyOut>> {
    scope.require(&s.app, API_KEYS_MANAGE).await?;
    let hours = grace_hours(&s, &body)?;
    let issued = s.access.rotate_key(&scope.actor, KeyOwner::Org(scope.org_id), key_id, hours).await?;
    Ok(Data::new(issued.into()))
}

/// The caller's live personal keys, newest first.
#[utoipa::path(get, path = "/users/me/api-keys", tag = "api-keys", operation_id = "access.my_keys.list",
    params(PageQuery), responses((status = 200, body = Page<ApiKeyOut>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
async fn list_my_keys(
    State(s): State<AccessState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Page<ApiKeyOut>> {
    let owner = personal_owner(&actor)?;
    let page = q.parse()?;
    let (rows, total) = s.access.list_keys(owner, page).await?;
    Ok(page_of(rows, total, page))
}

/// Creates a personal key acting as the caller (signed in, not through a key); the secret is shown once.
#[utoipa::path(post, path = "/users/me/api-keys", tag = "api-keys", operation_id = "access.my_keys.create",
    request_body = ApiKeyIn,
    responses((status = 201, body = Data<IssuedApiKeyOut>), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn create_my_key(
    State(s): State<AccessState>,
    actor: Actor,
    Json(input): Json<ApiKeyIn>,
) -> ApiResult<Created<IssuedApiKeyOut>> {
    let owner = personal_owner(&actor)?;
    let new = input.parse(&s, true)?;
    Ok(Created(s.access.create_key(&actor, owner, new).await?.into()))
}

/// Revokes one of the caller's personal keys, effective at once.
#[utoipa::path(delete, path = "/users/me/api-keys/{keyId}", tag = "api-keys", operation_id = "access.my_keys.revoke",
    params(("keyId" = ApiKeyId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke_my_key(
    State(s): State<AccessState>,
    actor: Actor,
    Path(key_id): Path<ApiKeyId>,
) -> ApiResult<NoContent> {
    let owner = personal_owner(&actor)?;
    s.access.revoke_key(&actor, owner, key_id).await?;
    Ok(NoContent)
}

/// Gives one of the caller's personal keys a new secret; the old one works for the grace period.
/// The user in person only: a key cannot rotate itself or another key into a new secret.
#[utoipa::path(post, path = "/users/me/api-keys/{keyId}/rotate", tag = "api-keys", operation_id = "access.my_keys.rotate",
    params(("keyId" = ApiKeyId, Path)), request_body = Option<RotateIn>,
    responses((status = 200, body = Data<IssuedApiKeyOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn rotate_my_key(
    State(s): State<AccessState>,
    actor: Actor,
    Path(key_id): Path<ApiKeyId>,
    body: Bytes,
) -> ApiResult<Data<IssuedApiKeyOut>> {
    let owner = personal_owner(&actor)?;
    let hours = grace_hours(&s, &body)?;
    Ok(Data::new(s.access.rotate_key(&actor, owner, key_id, hours).await?.into()))
}
