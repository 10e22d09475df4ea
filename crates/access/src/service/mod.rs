//! Use cases of the access module. [`Access`] holds what they share: the core,
//! the directory of memberships (the orgs module), the permission catalogue, and
//! the caches of custom roles and API keys.

pub mod api_keys;
pub mod authn;
pub mod authz;
pub(crate) mod cache;
pub mod check;
pub mod grants;
pub mod hooks;
pub mod roles;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tessera_kernel::authz::Directory;
use tessera_kernel::ids::{ApiKeyId, OrgId, RoleId, UserId};
use tessera_kernel::{Actor, Core, KeyActor, Millis};
use uuid::Uuid;

use crate::config::AccessConfig;
use crate::model::{Catalogue, PermissionSet};

/// A custom role as checks need it.
#[derive(Clone, Debug)]
pub(crate) struct CustomRole {
    pub org_id: OrgId,
    pub name: String,
    pub permissions: PermissionSet,
}

/// An API key as authentication needs it, cached briefly by secret hash.
#[derive(Clone, Debug)]
pub(crate) struct KeyView {
    pub actor: KeyActor,
    /// The earlier of the key's expiry and the end of this secret's grace period.
    pub expires_at: Option<Millis>,
}

/// Whose rights a check is about.
#[derive(Clone, Debug)]
pub enum Subject {
    User(UserId),
    Key(KeyActor),
}

impl From<&Actor> for Subject {
    fn from(actor: &Actor) -> Self {
        match actor {
            Actor::User(u) => Subject::User(u.user_id),
            Actor::ApiKey(k) => Subject::Key(k.clone()),
        }
    }
}

/// The access module's services.
pub struct Access {
    pub(crate) core: Core,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) cfg: AccessConfig,
    pub(crate) catalogue: Catalogue,
    pub(crate) roles: moka::future::Cache<RoleId, Option<Arc<CustomRole>>>,
    pub(crate) keys: moka::future::Cache<String, Option<Arc<KeyView>>>,
    /// When this node last wrote each key's `last_used_at`.
    touched: moka::sync::Cache<ApiKeyId, Millis>,
    /// `(org, subject)` → whether the subject holds any grant there, so that a
    /// check refused by every role costs no grant probe for the many subjects
    /// that hold none. Only "none" can be stale (a grant made on another node in
    /// the last `role_cache_secs`); a subject that holds some is always probed.
    pub(crate) holds_grants: moka::sync::Cache<(OrgId, Uuid), bool>,
    /// Ids known to name no live API key (a user's, or a revoked or expired
    /// key's): neither ever becomes a live key, so `/authz/check` about a
    /// stranger need not look them up again.
    not_keys: moka::sync::Cache<Uuid, ()>,
}

impl Access {
    /// Builds the module and registers its organization-cleanup and
    /// personal-data parts and the watcher that keeps this node's caches current.
    pub(crate) fn new(core: Core, cfg: AccessConfig, directory: Arc<dyn Directory>) -> Arc<Self> {
        let roles = moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(cfg.role_cache_secs))
            .build();
        let keys = moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(cfg.api_key_cache_secs))
            .build();
        let touched = moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(Duration::from_secs(600)).build();
        let holds_grants = moka::sync::Cache::builder()
            .max_capacity(200_000)
            .time_to_live(Duration::from_secs(cfg.role_cache_secs))
            .build();
        let not_keys =
            moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(Duration::from_secs(600)).build();
        let catalogue = Catalogue::new(core.permissions.clone());
        let access = Arc::new(Self { core, directory, cfg, catalogue, roles, keys, touched, holds_grants, not_keys });
        hooks::register(&access);
        access
    }

    pub(crate) fn now(&self) -> Millis {
        self.core.clock.now_ms()
    }

    /// Forgets this node's copy of a custom role after a committed change.
    pub(crate) async fn role_changed(&self, id: RoleId) {
        self.roles.invalidate(&id).await;
    }

    /// Forgets this node's cached views of these secrets.
    pub(crate) async fn secrets_changed(&self, hashes: &[String]) {
        for h in hashes {
            self.keys.invalidate(h).await;
        }
    }

    /// Forgets that `subject` held no grant in `org` (this node just granted it one).
    pub(crate) fn grant_added(&self, org: OrgId, subject: Uuid) {
        self.holds_grants.invalidate(&(org, subject));
    }

    /// Forgets every cached role and key (an organization was deleted).
    pub(crate) fn forget_all(&self) {
        self.roles.invalidate_all();
        self.keys.invalidate_all();
        self.holds_grants.invalidate_all();
    }
}

/// A JSON array of strings as a list (anything else reads as empty).
pub(crate) fn json_list(value: &Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}
