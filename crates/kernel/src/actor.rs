//! Who is calling. Handlers receive a typed [`Actor`] from the extractor here and
//! never read `Authorization` themselves; the identity module fills in the
//! [`Authenticator`] that turns a credential into an actor.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Failure};
use crate::ids::{ApiKeyId, OrgId, SessionId, UserId};
use crate::permission::KeyPermissions;
use crate::state::AppState;

/// A platform-wide role; stored as its lower-case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))")]
#[serde(rename_all = "lowercase")]
pub enum PlatformRole {
    #[sea_orm(string_value = "user")]
    User,
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// A signed-in user acting through one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserActor {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: PlatformRole,
}

/// An API key acting: organization keys act in their organization, personal keys
/// as their owner. Either way a key never holds more than its owner could do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyActor {
    pub key_id: ApiKeyId,
    /// The organization of an organization key; `None` for a personal key.
    pub org_id: Option<OrgId>,
    /// The user who created the key (an organization key) or owns it (a personal key).
    pub owner: UserId,
    /// What the key was given; effective rights are these and the owner's, intersected.
    pub permissions: KeyPermissions,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(UserActor),
    ApiKey(KeyActor),
}

impl Actor {
    /// The user this actor acts as or for (a key's owner).
    pub fn user_id(&self) -> UserId {
        match self {
            Actor::User(u) => u.user_id,
            Actor::ApiKey(k) => k.owner,
        }
    }
    /// Platform administration is never delegated to keys.
    pub fn is_platform_admin(&self) -> bool {
        match self {
            Actor::User(u) => u.role == PlatformRole::Admin,
            Actor::ApiKey(_) => false,
        }
    }
    /// The signed-in user and session, for what only a person may do (sessions,
    /// passwords, keys); an API key gets 403.
    pub fn session_user(&self) -> Result<&UserActor, ApiError> {
        match self {
            Actor::User(u) => Ok(u),
            Actor::ApiKey(_) => Err(ApiError::forbidden("API keys cannot do this; sign in as the user")),
        }
    }
    /// How this actor appears in events and audit entries.
    pub fn as_ref(&self) -> ActorRef {
        match self {
            Actor::User(u) => ActorRef::User { id: u.user_id },
            Actor::ApiKey(k) => ActorRef::ApiKey { id: k.key_id, owner: k.owner },
        }
    }
}

/// An actor as recorded in events: `{"type":"user","id":…}`,
/// `{"type":"apikey","id":…,"owner":…}` or `{"type":"system"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ActorRef {
    User {
        id: UserId,
    },
    #[serde(rename = "apikey")]
    ApiKey {
        id: ApiKeyId,
        owner: UserId,
    },
    System,
}

/// Turns a credential into an actor: the identity module checks access tokens,
/// the access module API keys; the server routes each credential to its owner.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Validates `credential` (the part after `Bearer `, or an `X-API-Key`); errors are 401s.
    async fn authenticate(&self, credential: &str) -> Result<Actor, ApiError>;
}

/// The prefix of every API key.
pub const API_KEY_PREFIX: &str = "tsk_";

/// The bearer credential of a request, if it carries one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// What the [`Actor`] extractor answers: listed on every operation whose
/// security names the bearer scheme.
pub const ACTOR_FAILURES: &[Failure] = &[Failure {
    status: axum::http::StatusCode::UNAUTHORIZED,
    description: "UNAUTHORIZED, TOKEN_EXPIRED or SESSION_REVOKED: no credentials, or they do not authenticate",
}];

impl<S> FromRequestParts<S> for Actor
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        let app = AppState::from_ref(state);
        let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
        let token = bearer(&parts.headers).or(api_key).filter(|t| !t.is_empty()).ok_or_else(|| {
            ApiError::unauthorized("sign in first: send Authorization: Bearer <token> (or X-API-Key)")
        })?;
        let actor = app.auth.authenticate(token).await?;
        parts.extensions.insert(actor.clone());
        Ok(actor)
    }
}

/// An optional actor: no credentials is `None`; credentials that do not
/// authenticate are still refused (401), never silently ignored.
impl<S> OptionalFromRequestParts<S> for Actor
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let presented = parts.headers.contains_key(header::AUTHORIZATION) || parts.headers.contains_key("x-api-key");
        if !presented {
            return Ok(None);
        }
        <Actor as FromRequestParts<S>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// An actor that must be a platform administrator (403 otherwise).
#[derive(Clone, Debug)]
pub struct PlatformAdmin(pub Actor);

impl<S> FromRequestParts<S> for PlatformAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let actor = <Actor as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if !actor.is_platform_admin() {
            return Err(ApiError::forbidden("this needs a platform administrator"));
        }
        Ok(PlatformAdmin(actor))
    }
}

/// The client's address as resolved by the server (proxy-aware when configured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Where a request comes from: address and user agent.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientIp>().map(|c| c.0).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(512).collect());
        Ok(ClientInfo { ip, user_agent })
    }
}
