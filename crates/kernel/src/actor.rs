//! Who is calling. Handlers receive a typed [`Actor`] from the extractor here and
//! never read `Authorization` themselves; the identity module fills in the
//! [`Authenticator`] that turns a credential into an actor.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::{SessionId, UserId};
use crate::state::AppState;

/// A platform-wide role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlatformRole {
    User,
    Admin,
}

impl PlatformRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A signed-in user acting through one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserActor {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: PlatformRole,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(UserActor),
}

impl Actor {
    pub fn user_id(&self) -> UserId {
        match self {
            Actor::User(u) => u.user_id,
        }
    }
    pub fn is_platform_admin(&self) -> bool {
        match self {
            Actor::User(u) => u.role == PlatformRole::Admin,
        }
    }
    /// How this actor appears in events and audit entries.
    pub fn as_ref(&self) -> ActorRef {
        match self {
            Actor::User(u) => ActorRef::User { id: u.user_id },
        }
    }
}

/// An actor as recorded in events: `{"type":"user","id":…}` or `{"type":"system"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ActorRef {
    User { id: UserId },
    System,
}

/// Turns a bearer credential into an actor. Implemented by the identity module.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Validates `credential` (the part after `Bearer `); errors are 401s.
    async fn authenticate(&self, credential: &str) -> Result<Actor, ApiError>;
}

/// The bearer credential of a request, if it carries one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

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
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer <token>"))?;
        let actor = app.auth.authenticate(token).await?;
        parts.extensions.insert(actor.clone());
        Ok(actor)
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
        let actor = Actor::from_request_parts(parts, state).await?;
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
