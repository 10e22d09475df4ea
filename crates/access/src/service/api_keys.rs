//! Managing API keys: organization keys (act in their organization) and personal
//! keys (act as their user). A secret is shown once, at creation or rotation;
//! only its SHA-256 and a short prefix are stored.

use serde_json::{Value, json};
use tessera_kernel::audit::Target;
use tessera_kernel::crypto::{random_token, token_hash};
use tessera_kernel::ids::ApiKeyId;
use tessera_kernel::{Actor, ApiError, Millis};
use tessera_kernel::{Change, ChangeCtx};

use super::{Access, json_list};
use crate::entity::api_keys::Model;
use crate::error::AccessError;
use crate::events;
use crate::model::key_json;
use crate::store::api_keys::KeyOwner;
use crate::store::{self, PageReq};
use tessera_kernel::permission::KeyPermissions;

/// Characters of a secret kept in clear to recognize it (`tsk_` and 8 more).
pub const PREFIX_LEN: usize = 12;

/// A key to create.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub permissions: KeyPermissions,
    pub expires_at: Option<Millis>,
}

/// A key with its secret, shown once and never stored.
pub struct IssuedKey {
    pub key: Model,
    pub secret: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey").field("key", &self.key.id).field("secret", &"<redacted>").finish()
    }
}

fn audit_view(k: &Model) -> Value {
    json!({ "name": k.name, "prefix": k.prefix, "permissions": k.permissions, "expiresAt": k.expires_at })
}

fn new_secret() -> (String, String, String) {
    let secret = random_token(tessera_kernel::actor::API_KEY_PREFIX, 32);
    let prefix = secret.chars().take(PREFIX_LEN).collect();
    let hash = token_hash(&secret);
    (secret, hash, prefix)
}

fn org_of(owner: KeyOwner) -> Option<tessera_kernel::ids::OrgId> {
    match owner {
        KeyOwner::Org(org) => Some(org),
        KeyOwner::Personal(_) => None,
    }
}

/// The audit target of a key's revocation.
pub(crate) fn revoked(key: &Model) -> Target {
    target(key).diff(json!({ "revoked": false }), json!({ "revoked": true }))
}

/// What a key's audit entries are about.
pub(crate) fn target(key: &Model) -> Target {
    Target::new("api_key", key.id)
}

impl Access {
    /// Creates a key. An organization key takes a person who holds every permission
    /// it is given; a personal key belongs to the actor's user.
    #[tracing::instrument(skip_all)]
    pub async fn create_key(&self, actor: &Actor, owner: KeyOwner, new: NewKey) -> Result<IssuedKey, ApiError> {
        actor.session_user()?;
        if let (KeyOwner::Org(org), KeyPermissions::Only(list)) = (owner, &new.permissions) {
            self.require_all(actor, org, list.iter()).await?;
        }
        let (secret, hash, prefix) = new_secret();
        let key = Model {
            id: ApiKeyId::new(),
            org_id: org_of(owner),
            owner_id: actor.user_id(),
            name: new.name,
            prefix,
            permissions: key_json(&new.permissions),
            created_at: self.now(),
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
        };
        let txn = self.core.db.begin_write().await?;
        store::api_keys::insert(&*txn, key.clone(), hash).await?;
        let data = events::ApiKeyCreated {
            id: key.id,
            org_id: key.org_id,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            permissions: json_list(&key.permissions),
            created_by: key.owner_id,
            expires_at: key.expires_at,
        };
        let diff = target(&key).diff(Value::Null, audit_view(&key));
        self.core
            .record(
                &txn,
                &ChangeCtx { actor: actor.as_ref(), org: key.org_id },
                Change::new(events::API_KEY_CREATED, diff, data),
            )
            .await?;
        txn.commit().await?;
        Ok(IssuedKey { key, secret })
    }

    /// One page of live keys, newest first.
    pub async fn list_keys(&self, owner: KeyOwner, page: PageReq) -> Result<(Vec<Model>, u64), ApiError> {
        Ok(store::api_keys::list(&self.core.db.conn, owner, page).await?)
    }

    /// Revokes a key, effective at once on this node, and withdraws grants to it; emits `api_key.revoked`.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_key(&self, actor: &Actor, owner: KeyOwner, id: ApiKeyId) -> Result<(), ApiError> {
        let txn = self.core.db.begin_write().await?;
        let key = store::api_keys::find_live(&*txn, owner, id).await?.ok_or(AccessError::KeyNotFound)?;
        let hashes = store::api_keys::secret_hashes(&*txn, &[id]).await?;
        store::api_keys::revoke(&*txn, &[id], self.now()).await?;
        let data = events::ApiKeyRevoked { id, org_id: key.org_id, name: key.name.clone(), reason: "revoked" };
        self.core
            .record(
                &txn,
                &ChangeCtx { actor: actor.as_ref(), org: key.org_id },
                Change::new(events::API_KEY_REVOKED, revoked(&key), data),
            )
            .await?;
        // Grants to a dead key would linger in the organization's grant list.
        let grants = store::grants::for_subjects(&*txn, &[id.as_uuid()]).await?;
        self.withdraw_grants(&txn, &actor.as_ref(), grants).await?;
        txn.commit().await?;
        self.secrets_changed(&hashes).await;
        Ok(())
    }

    /// Gives a key a new secret; the old one keeps working for `grace_hours`.
    /// The new secret goes to whoever could have created the key: a person (not a
    /// key) who, for an organization key, holds each of its permissions. Otherwise
    /// an admin could rotate an owner's key into a secret that deletes the
    /// organization, or a narrow key into a wider one.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_key(
        &self,
        actor: &Actor,
        owner: KeyOwner,
        id: ApiKeyId,
        grace_hours: u32,
    ) -> Result<IssuedKey, ApiError> {
        actor.session_user()?;
        let current =
            store::api_keys::find_live(&self.core.db.conn, owner, id).await?.ok_or(AccessError::KeyNotFound)?;
        if let (KeyOwner::Org(org), KeyPermissions::Only(list)) =
            (owner, self.catalogue.stored_key(&current.permissions))
        {
            self.require_all(actor, org, list.iter()).await?;
        }
        let now = self.now();
        let grace_until = now + i64::from(grace_hours) * 3_600_000;
        let txn = self.core.db.begin_write().await?;
        let mut key = store::api_keys::find_live(&*txn, owner, id).await?.ok_or(AccessError::KeyNotFound)?;
        let old = store::api_keys::secret_hashes(&*txn, &[id]).await?;
        let (secret, hash, prefix) = new_secret();
        store::api_keys::rotate(&*txn, id, hash, &prefix, now, grace_until).await?;
        let before = json!({ "prefix": key.prefix });
        key.prefix = prefix;
        let after = json!({ "prefix": key.prefix, "graceHours": grace_hours });
        let data = events::ApiKeyRotated {
            id,
            org_id: key.org_id,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            previous_valid_until: grace_until.max(now),
        };
        self.core
            .record(
                &txn,
                &ChangeCtx { actor: actor.as_ref(), org: key.org_id },
                Change::new(events::API_KEY_ROTATED, target(&key).diff(before, after), data),
            )
            .await?;
        txn.commit().await?;
        // Cached views of the old secret know nothing of its grace period.
        self.secrets_changed(&old).await;
        Ok(IssuedKey { key, secret })
    }
}
