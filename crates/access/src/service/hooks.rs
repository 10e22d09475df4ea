//! What the access module does when other modules remove things: an organization
//! deleted takes its keys, custom roles and grants with it; a user's export lists
//! their keys (metadata only) and grants, and erasing the user revokes their
//! personal keys and withdraws grants to them and to those keys, each recorded
//! (event and audit entry) as the system's doing. Organization keys
//! the user created stay, powerless: a key never holds more than its creator, and
//! an erased user belongs nowhere.

use std::sync::{Arc, Weak};

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};
use tessera_kernel::authz::OrgCleanup;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::personal::PersonalData;
use tessera_kernel::{ActorRef, ApiError};
use tessera_kernel::{Change, ChangeCtx};

use super::{Access, api_keys, json_list};
use crate::events;
use crate::store;

/// Registers the parts; they hold the module weakly, so the core (which keeps
/// them) does not keep the module alive in a cycle.
pub(crate) fn register(access: &Arc<Access>) {
    let weak = Arc::downgrade(access);
    access.core.org_cleanup.register(Arc::new(Cleanup(weak.clone())));
    access.core.personal.register(Arc::new(KeysData(weak.clone())));
    access.core.personal.register(Arc::new(GrantsData(weak.clone())));
    access.core.bus.watch(Arc::new(super::cache::Forget(weak)));
}

fn live(weak: &Weak<Access>) -> Result<Arc<Access>, ApiError> {
    weak.upgrade().ok_or_else(|| ApiError::unavailable("the access module is shutting down"))
}

struct Cleanup(Weak<Access>);

#[async_trait::async_trait]
impl OrgCleanup for Cleanup {
    async fn org_deleted(&self, txn: &DatabaseTransaction, org: OrgId) -> Result<(), ApiError> {
        let access = live(&self.0)?;
        store::api_keys::delete_for_org(txn, org).await?;
        store::roles::delete_for_org(txn, org).await?;
        store::grants::delete_for_org(txn, org).await?;
        // Every cached key of the organization goes, and its roles (deletions are rare).
        access.forget_all();
        Ok(())
    }

    /// A person who leaves keeps no grants there for the day they come back,
    /// neither to them nor to their personal keys. Each withdrawn grant is
    /// recorded as the system's `grant.deleted`.
    async fn member_removed(&self, txn: &DatabaseTransaction, org: OrgId, user: UserId) -> Result<(), ApiError> {
        let access = live(&self.0)?;
        let keys = store::api_keys::of_user(txn, user).await?;
        let grants = store::grants::for_subjects_in(txn, org, &personal_subjects(user, &keys)).await?;
        access.withdraw_grants(txn, &ActorRef::System, grants).await
    }
}

/// `apiKeys`: the keys a user owns or created, never their secrets.
struct KeysData(Weak<Access>);

#[async_trait::async_trait]
impl PersonalData for KeysData {
    fn section(&self) -> &'static str {
        "apiKeys"
    }

    async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        let access = live(&self.0)?;
        let keys = store::api_keys::of_user(&access.core.db.conn, user).await?;
        Ok(Value::Array(keys.iter().map(export_key).collect()))
    }

    async fn erase(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError> {
        let access = live(&self.0)?;
        let now = access.now();
        let keys = store::api_keys::of_user(txn, user).await?;
        let personal: Vec<_> = keys.iter().filter(|k| k.org_id.is_none() && k.revoked_at.is_none()).collect();
        let ids: Vec<_> = personal.iter().map(|k| k.id).collect();
        let hashes = store::api_keys::secret_hashes(txn, &ids).await?;
        store::api_keys::revoke(txn, &ids, now).await?;
        for key in personal {
            let data =
                events::ApiKeyRevoked { id: key.id, org_id: None, name: key.name.clone(), reason: "account_deleted" };
            access
                .core
                .record(
                    txn,
                    &ChangeCtx::system(None),
                    Change::new(events::API_KEY_REVOKED, api_keys::revoked(key), data),
                )
                .await?;
        }
        let grants = store::grants::for_subjects(txn, &personal_subjects(user, &keys)).await?;
        access.withdraw_grants(txn, &ActorRef::System, grants).await?;
        access.secrets_changed(&hashes).await;
        Ok(())
    }
}

/// The grant subjects that stand for `user`: the user and their personal keys (of `keys`, theirs).
fn personal_subjects(user: UserId, keys: &[crate::entity::api_keys::Model]) -> Vec<uuid::Uuid> {
    let personal = keys.iter().filter(|k| k.org_id.is_none()).map(|k| k.id.as_uuid());
    personal.chain([user.as_uuid()]).collect()
}

fn export_key(k: &crate::entity::api_keys::Model) -> Value {
    let time = |ms: Option<i64>| ms.map(tessera_kernel::clock::rfc3339_string);
    json!({
        "id": k.id, "orgId": k.org_id, "name": k.name, "prefix": k.prefix,
        "permissions": json_list(&k.permissions), "createdAt": time(Some(k.created_at)),
        "lastUsedAt": time(k.last_used_at), "expiresAt": time(k.expires_at), "revokedAt": time(k.revoked_at),
    })
}

/// `accessGrants`: permissions granted directly to the user on single resources.
struct GrantsData(Weak<Access>);

#[async_trait::async_trait]
impl PersonalData for GrantsData {
    fn section(&self) -> &'static str {
        "accessGrants"
    }

    async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        let access = live(&self.0)?;
        let grants = store::grants::for_subjects(&access.core.db.conn, &[user.as_uuid()]).await?;
        let rows = grants.iter().map(|g| {
            json!({
                "id": g.id, "orgId": g.org_id, "permission": g.permission,
                "resourceType": g.resource_type, "resourceId": g.resource_id,
                "createdAt": tessera_kernel::clock::rfc3339_string(g.created_at),
            })
        });
        Ok(Value::Array(rows.collect()))
    }

    /// Grants go with the keys part's erasure.
    async fn erase(&self, _txn: &DatabaseTransaction, _user: UserId) -> Result<(), ApiError> {
        Ok(())
    }
}
