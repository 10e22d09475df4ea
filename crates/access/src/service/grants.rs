//! Direct grants: one permission for one user or API key on one resource of an
//! organization. Whoever grants must hold that permission on that resource.
//! Each change writes `grant.created` or `grant.deleted` and an audit entry,
//! also when grants are withdrawn because their subject went (a member left, a
//! key was revoked, an account was erased).

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};
use tessera_kernel::Permission;
use tessera_kernel::audit::Target;
use tessera_kernel::authz::ResourceRef;
use tessera_kernel::ids::{ApiKeyId, GrantId, OrgId, UserId};
use tessera_kernel::{Actor, ActorRef, ApiError, FieldError};
use tessera_kernel::{Change, ChangeCtx};
use uuid::Uuid;

use super::{Access, Subject};
use crate::entity::grants::Model;
use crate::error::AccessError;
use crate::events;
use crate::store::{self, PageReq};

/// A grant to create.
#[derive(Debug)]
pub struct NewGrant {
    /// A user id or an API key id.
    pub subject: Uuid,
    pub permission: Permission,
    pub resource: ResourceRef,
}

fn event_of(g: &Model) -> events::GrantChanged {
    events::GrantChanged {
        id: g.id,
        org_id: g.org_id,
        subject: g.subject_id,
        subject_type: g.subject_type.clone(),
        permission: g.permission.clone(),
        resource_type: g.resource_type.clone(),
        resource_id: g.resource_id.clone(),
    }
}

fn audit_view(g: &Model) -> Value {
    json!({
        "subjectType": g.subject_type, "subjectId": g.subject_id, "permission": g.permission,
        "resourceType": g.resource_type, "resourceId": g.resource_id,
    })
}

impl Access {
    /// Whether `id` names an API key or a user that belongs to `org` (else `None`).
    async fn subject_kind(&self, org: OrgId, id: Uuid) -> Result<Option<&'static str>, ApiError> {
        if let Some(key) = store::api_keys::find(&self.core.db.conn, ApiKeyId(id)).await?
            && key.revoked_at.is_none()
        {
            let owner_sees = self.directory.org_role(org, key.owner_id).await?.is_some();
            let ours = key.org_id.map_or(owner_sees, |o| o == org && owner_sees);
            return Ok(ours.then_some("apikey"));
        }
        Ok(self.directory.org_role(org, UserId(id)).await?.map(|_| "user"))
    }

    /// Grants a permission on one resource; the actor must hold it there.
    #[tracing::instrument(skip_all)]
    pub async fn create_grant(&self, actor: &Actor, org: OrgId, new: NewGrant) -> Result<Model, ApiError> {
        let Some(kind) = self.subject_kind(org, new.subject).await? else {
            return Err(FieldError::new(
                "subject",
                "UNKNOWN_SUBJECT",
                "is neither a member of this organization nor one of its API keys",
            )
            .into());
        };
        let own = self.decide(&Subject::from(actor), org, new.permission, Some(&new.resource)).await?;
        if !own.allowed {
            return Err(AccessError::Escalation { missing: vec![new.permission.to_string()] }.into());
        }
        let grant = Model {
            id: GrantId::new(),
            org_id: org,
            subject_type: kind.to_owned(),
            subject_id: new.subject,
            permission: new.permission.to_string(),
            resource_type: new.resource.resource_type,
            resource_id: new.resource.id,
            created_by: actor.user_id(),
            created_at: self.now(),
        };
        let txn = self.core.db.begin_write().await?;
        store::grants::insert(&*txn, grant.clone()).await.map_err(|e| {
            if tessera_kernel::db::is_unique_violation(&e) {
                AccessError::GrantExists.into()
            } else {
                ApiError::from(e)
            }
        })?;
        let diff = Target::new("grant", grant.id).diff(Value::Null, audit_view(&grant));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::GRANT_CREATED, diff, event_of(&grant)),
            )
            .await?;
        txn.commit().await?;
        self.grant_added(org, grant.subject_id);
        Ok(grant)
    }

    /// One page of the organization's grants.
    pub async fn list_grants(
        &self,
        org: OrgId,
        filter: &store::grants::GrantFilter,
        page: PageReq,
    ) -> Result<(Vec<Model>, u64), ApiError> {
        Ok(store::grants::list(&self.core.db.conn, org, filter, page).await?)
    }

    /// Withdraws a grant.
    #[tracing::instrument(skip_all)]
    pub async fn delete_grant(&self, actor: &Actor, org: OrgId, id: GrantId) -> Result<(), ApiError> {
        let txn = self.core.db.begin_write().await?;
        let grant = store::grants::find(&*txn, org, id).await?.ok_or(AccessError::GrantNotFound)?;
        store::grants::delete(&*txn, org, id).await?;
        self.record_deleted(&txn, &actor.as_ref(), &grant).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Withdraws `grants` in `txn`, each with its `grant.deleted` event and audit
    /// entry by `actor` (the system, when their subject went with a cascade).
    /// Deletes exactly these rows, so none goes unrecorded.
    pub(crate) async fn withdraw_grants(
        &self,
        txn: &DatabaseTransaction,
        actor: &ActorRef,
        grants: Vec<Model>,
    ) -> Result<(), ApiError> {
        let ids: Vec<GrantId> = grants.iter().map(|g| g.id).collect();
        store::grants::delete_ids(txn, &ids).await?;
        for grant in &grants {
            self.record_deleted(txn, actor, grant).await?;
        }
        Ok(())
    }

    async fn record_deleted(&self, txn: &DatabaseTransaction, actor: &ActorRef, grant: &Model) -> Result<(), ApiError> {
        let diff = Target::new("grant", grant.id).diff(audit_view(grant), Value::Null);
        self.core
            .record(
                txn,
                &ChangeCtx::in_org(actor.clone(), grant.org_id),
                Change::new(events::GRANT_DELETED, diff, event_of(grant)),
            )
            .await
    }
}
