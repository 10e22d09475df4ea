//! Use cases of the identity module. [`Identity`] holds what they share: the core,
//! configuration, password hasher, token signer and the session cache.

pub mod auth;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tessera_kernel::actor::{Authenticator, UserActor};
pub(crate) use tessera_kernel::audit::Target;
use tessera_kernel::ids::{SessionId, UserId};
use tessera_kernel::{Actor, ApiError, Core, Millis, PlatformRole};

use crate::config::IdentityConfig;
use crate::error::IdentityError;
use crate::jwt::Tokens;
use crate::model::UserOut;
use crate::model::UserStatus;
use crate::password::Hasher;
use crate::store;

/// The `changed` fields of two renderings of a user, before and after.
pub(crate) fn user_diff(before: &UserOut, after: &UserOut, changed: &[&str]) -> (Value, Value) {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return (Value::Null, Value::Null);
    };
    let pick = |m: &serde_json::Map<String, Value>| {
        Value::Object(changed.iter().filter_map(|k| m.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect())
    };
    (pick(&b), pick(&a))
}

/// What a node remembers about a session between database reads.
#[derive(Clone, Debug)]
struct SessionView {
    user_id: UserId,
    role: PlatformRole,
    live: bool,
    expires_at: Millis,
}

/// The identity module's services.
pub struct Identity {
    pub(crate) core: Core,
    pub(crate) cfg: IdentityConfig,
    pub(crate) hasher: Hasher,
    pub(crate) tokens: Tokens,
    sessions: moka::sync::Cache<SessionId, SessionView>,
    /// Users read recently, for profile reads; this node forgets one when it
    /// changes it, other nodes' copies expire within `session_cache_secs`.
    pub(crate) users: moka::sync::Cache<UserId, Arc<crate::entity::users::Model>>,
    pub(crate) ip_strikes: throttle::IpStrikes,
}

impl Identity {
    /// Builds the module: loads (or creates) the signing keys.
    pub(crate) async fn new(core: Core, cfg: IdentityConfig) -> Result<Arc<Self>, ApiError> {
        let issuer = if cfg.issuer.trim().is_empty() {
            core.config.server.public_url.as_str().trim_end_matches('/').to_owned()
        } else {
            cfg.issuer.clone()
        };
        let tokens = Tokens::new(core.clone(), issuer, cfg.audience.clone(), cfg.access_token_ttl_secs).await?;
        let hasher = Hasher::new(&cfg.password).map_err(ApiError::internal)?;
        crate::model::preload_common_passwords();
        let sessions = moka::sync::Cache::builder()
            .max_capacity(200_000)
            .time_to_live(Duration::from_secs(cfg.session_cache_secs))
            .build();
        let users = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(cfg.session_cache_secs))
            .build();
        let ip_strikes = throttle::IpStrikes::new(cfg.lockout.clone(), core.redis.clone());
        core.personal.register(Arc::new(crate::personal::Profile { core: core.clone() }));
        let identity = Arc::new(Self { core, cfg, hasher, tokens, sessions, users, ip_strikes });
        passwords::MailJob::register(&identity);
        Ok(identity)
    }

    /// The token signer (JWKS, rotation).
    pub(crate) fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    pub(crate) fn now(&self) -> Millis {
        self.core.clock.now_ms()
    }

    /// Forgets the cached view of sessions this node has just changed.
    pub(crate) fn forget_sessions(&self, ids: &[SessionId]) {
        for id in ids {
            self.sessions.invalidate(id);
        }
    }

    /// Forgets this node's copy of a user after a committed change.
    pub(crate) fn user_changed(&self, id: UserId) {
        self.users.invalidate(&id);
    }

    /// Forgets the cached sessions of a user whose role changed, so the new role
    /// applies at once on this node (other nodes within `session_cache_secs`).
    pub(crate) async fn forget_user(&self, user: UserId) -> Result<(), ApiError> {
        let live = store::sessions::active_for_user(&self.core.db.conn, user, self.now()).await?;
        let ids: Vec<SessionId> = live.iter().map(|s| s.id).collect();
        self.forget_sessions(&ids);
        Ok(())
    }

    /// Checks an access token and the session behind it.
    pub(crate) async fn authenticate_token(&self, token: &str) -> Result<(Arc<crate::jwt::Claims>, Actor), ApiError> {
        let claims = self.tokens.verify(token).await?;
        let view = match self.sessions.get(&claims.sid) {
            Some(v) => v,
            None => {
                let view = self.load_session(claims.sid).await?;
                self.sessions.insert(claims.sid, view.clone());
                view
            }
        };
        if !view.live || view.expires_at <= self.now() || view.user_id != claims.sub {
            return Err(IdentityError::SessionRevoked.into());
        }
        let actor = Actor::User(UserActor { user_id: claims.sub, session_id: claims.sid, role: view.role });
        Ok((claims, actor))
    }

    async fn load_session(&self, id: SessionId) -> Result<SessionView, ApiError> {
        let db = &self.core.db.conn;
        let Some(session) = store::sessions::find(db, id).await? else {
            return Ok(SessionView {
                user_id: UserId(uuid::Uuid::nil()),
                role: PlatformRole::User,
                live: false,
                expires_at: 0,
            });
        };
        let user = store::users::find(db, session.user_id).await?;
        let (live, role) = match user {
            Some(u) => (session.revoked_at.is_none() && u.status != UserStatus::Disabled, u.role),
            None => (false, PlatformRole::User),
        };
        Ok(SessionView { user_id: session.user_id, role, live, expires_at: session.expires_at })
    }
}

/// Plugs the identity module into the kernel's [`Actor`] extractor.
pub struct IdentityAuthenticator(pub Arc<Identity>);

#[async_trait::async_trait]
impl Authenticator for IdentityAuthenticator {
    async fn authenticate(&self, credential: &str) -> Result<Actor, ApiError> {
        self.0.authenticate_token(credential).await.map(|(_, actor)| actor)
    }
}
