//! API keys as credentials: a `tsk_…` secret is looked up by its SHA-256 (so no
//! secret is ever compared byte by byte), checked for revocation, expiry and the
//! grace period of a rotation, and (an organization key) for its creator still
//! belonging to the organization; it is counted against the key's own rate limit
//! and becomes an [`Actor::ApiKey`]. Lookups are cached for `api_key_cache_secs`;
//! this node forgets a key the moment it revokes or rotates it.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tessera_kernel::actor::{API_KEY_PREFIX, Authenticator};
use tessera_kernel::crypto::token_hash;
use tessera_kernel::ids::ApiKeyId;
use tessera_kernel::ratelimit::{self, Rule};
use tessera_kernel::{Actor, ApiError, KeyActor, Millis};

use super::{Access, KeyView};
use crate::entity::api_keys::Model;
use crate::error::AccessError;
use crate::model::Catalogue;
use crate::store;

/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY_MS: Millis = 60_000;

/// The kernel's view of a stored key.
pub(crate) fn key_actor(key: &Model, catalogue: &Catalogue) -> KeyActor {
    KeyActor {
        key_id: key.id,
        org_id: key.org_id,
        owner: key.owner_id,
        permissions: catalogue.stored_key(&key.permissions),
    }
}

impl Access {
    /// The rate limit every key has on its own.
    fn key_rule(&self) -> Rule {
        Rule { name: "api_key", limit: self.cfg.api_key_rate_limit_per_minute, window: Duration::from_secs(60) }
    }

    /// Turns a `tsk_…` secret into the actor of its key.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_key(&self, credential: &str) -> Result<Actor, ApiError> {
        if !credential.starts_with(API_KEY_PREFIX) || credential.len() > 256 {
            return Err(AccessError::InvalidKey.into());
        }
        let hash = token_hash(credential);
        let db = &self.core.db.conn;
        let load = async {
            let found = store::api_keys::find_by_secret(db, &hash).await?;
            Ok::<_, DbErr>(found.filter(|(key, _)| key.revoked_at.is_none()).map(|(key, grace)| {
                let expires_at = match (key.expires_at, grace) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                Arc::new(KeyView { actor: key_actor(&key, &self.catalogue), expires_at })
            }))
        };
        let view = self.keys.try_get_with_by_ref(&hash, load).await.map_err(ApiError::internal)?;
        let now = self.now();
        let Some(view) = view.filter(|v| v.expires_at.is_none_or(|at| at > now)) else {
            return Err(AccessError::InvalidKey.into());
        };
        // An organization key dies with its creator's membership: asked on every
        // request (the directory answers from its own, promptly forgotten, cache).
        if let Some(org) = view.actor.org_id
            && self.directory.org_role(org, view.actor.owner).await?.is_none()
        {
            return Err(AccessError::InvalidKey.into());
        }
        ratelimit::enforce(&self.core, self.key_rule(), &view.actor.key_id.to_string()).await?;
        self.touch(view.actor.key_id, now).await;
        Ok(Actor::ApiKey(view.actor.clone()))
    }

    /// Records that the key was used, at most once a minute per key and node.
    async fn touch(&self, key: ApiKeyId, now: Millis) {
        if self.touched.get(&key).is_some_and(|last| now - last < TOUCH_EVERY_MS) {
            return;
        }
        self.touched.insert(key, now);
        if let Err(e) = store::api_keys::touch(self.core.db.writer(), key, now).await {
            tracing::warn!(error = %e, key = %key, "recording the last use of an API key failed");
        }
    }
}

/// Authenticates `tsk_…` API keys (the server routes them here).
#[async_trait::async_trait]
impl Authenticator for Access {
    async fn authenticate(&self, credential: &str) -> Result<Actor, ApiError> {
        self.authenticate_key(credential).await
    }
}
