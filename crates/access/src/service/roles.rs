//! Roles of an organization: the four built-in ones and its custom roles. Nobody
//! puts a permission they lack into a role, and a role members still hold cannot
//! be deleted (they are given another role first, through the members API).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tessera_kernel::audit::Target;
use tessera_kernel::ids::{OrgId, RoleId};
use tessera_kernel::{Actor, ApiError, Millis};
use tessera_kernel::{Change, ChangeCtx};

use super::{Access, json_list};
use crate::entity::roles::Model;
use crate::error::AccessError;
use crate::events;
use crate::model::json_of;
use crate::store;
use tessera_kernel::Permission;
use tessera_kernel::roles::{BuiltInRole, RoleKey};

/// A role as listed: built-in or custom.
#[derive(Clone, Debug)]
pub struct RoleView {
    /// What a membership stores: the built-in name, or the custom role's id.
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub built_in: bool,
    pub permissions: Vec<String>,
    pub created_at: Option<Millis>,
    pub updated_at: Option<Millis>,
}

impl From<&Model> for RoleView {
    fn from(r: &Model) -> Self {
        Self {
            key: r.id.to_string(),
            name: r.name.clone(),
            description: r.description.clone(),
            built_in: false,
            permissions: json_list(&r.permissions),
            created_at: Some(r.created_at),
            updated_at: Some(r.updated_at),
        }
    }
}

/// A custom role to create.
#[derive(Debug)]
pub struct NewRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: BTreeSet<Permission>,
}

/// Changes to a custom role; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct RolePatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub permissions: Option<BTreeSet<Permission>>,
}

fn audit_view(r: &Model) -> Value {
    json!({ "name": r.name, "description": r.description, "permissions": r.permissions })
}

fn event_of(r: &Model, changed: Vec<&'static str>) -> events::RoleChanged {
    events::RoleChanged {
        id: r.id,
        org_id: r.org_id,
        name: r.name.clone(),
        description: r.description.clone(),
        permissions: json_list(&r.permissions),
        changed,
    }
}

impl Access {
    fn built_in_view(&self, role: BuiltInRole) -> RoleView {
        let permissions = self.catalogue.built_in(role);
        RoleView {
            key: role.as_str().to_owned(),
            name: role.as_str().to_owned(),
            description: Some(built_in_description(role).to_owned()),
            built_in: true,
            permissions: permissions.iter().map(ToString::to_string).collect(),
            created_at: None,
            updated_at: None,
        }
    }

    /// The built-in roles, then the organization's custom roles by name.
    pub async fn list_roles(&self, org: OrgId) -> Result<Vec<RoleView>, ApiError> {
        let mut roles: Vec<RoleView> = BuiltInRole::ALL.into_iter().map(|r| self.built_in_view(r)).collect();
        let custom = store::roles::list(&self.core.db.conn, org).await?;
        roles.extend(custom.iter().map(RoleView::from));
        Ok(roles)
    }

    /// One role of `org`, by built-in name or custom role id.
    pub async fn get_role(&self, org: OrgId, key: &str) -> Result<RoleView, ApiError> {
        if let Some(role) = BuiltInRole::parse(key) {
            return Ok(self.built_in_view(role));
        }
        let role = self.find_custom(&self.core.db.conn, org, key).await?;
        Ok(RoleView::from(&role))
    }

    async fn find_custom<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        org: OrgId,
        key: &str,
    ) -> Result<Model, ApiError> {
        if BuiltInRole::parse(key).is_some() {
            return Err(AccessError::BuiltInRole.into());
        }
        let id: RoleId = key.parse().map_err(|_| AccessError::RoleNotFound)?;
        let role = store::roles::find(conn, id).await?.filter(|r| r.org_id == org);
        Ok(role.ok_or(AccessError::RoleNotFound)?)
    }

    /// Fails when another role of `org` already has this name (any case).
    async fn ensure_name_free<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        org: OrgId,
        name: &str,
        except: Option<RoleId>,
    ) -> Result<(), ApiError> {
        let roles = store::roles::list(conn, org).await?;
        if roles.iter().any(|r| Some(r.id) != except && r.name.to_lowercase() == name.to_lowercase()) {
            return Err(AccessError::RoleNameTaken.into());
        }
        Ok(())
    }

    /// Creates a custom role; emits `role.created`.
    #[tracing::instrument(skip_all)]
    pub async fn create_role(&self, actor: &Actor, org: OrgId, new: NewRole) -> Result<RoleView, ApiError> {
        self.require_all(actor, org, &new.permissions).await?;
        let now = self.now();
        let role = Model {
            id: RoleId::new(),
            org_id: org,
            name: new.name,
            description: new.description,
            permissions: json_of(&new.permissions),
            created_at: now,
            updated_at: now,
        };
        let txn = self.core.db.begin_write().await?;
        self.ensure_name_free(&*txn, org, &role.name, None).await?;
        store::roles::insert(&*txn, role.clone()).await.map_err(name_conflict)?;
        let diff = Target::new("role", role.id).diff(Value::Null, audit_view(&role));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::ROLE_CREATED, diff, event_of(&role, Vec::new())),
            )
            .await?;
        txn.commit().await?;
        self.role_changed(role.id).await;
        Ok(RoleView::from(&role))
    }

    /// Changes a custom role; emits `role.updated` when something changed.
    #[tracing::instrument(skip_all)]
    pub async fn update_role(
        &self,
        actor: &Actor,
        org: OrgId,
        key: &str,
        patch: RolePatch,
    ) -> Result<RoleView, ApiError> {
        let txn = self.core.db.begin_write().await?;
        let before = self.find_custom(&*txn, org, key).await?;
        let mut role = before.clone();
        let mut changed = Vec::new();
        if let Some(name) = patch.name.filter(|n| *n != before.name) {
            self.ensure_name_free(&*txn, org, &name, Some(before.id)).await?;
            role.name = name;
            changed.push("name");
        }
        if let Some(description) = patch.description.filter(|d| *d != before.description) {
            role.description = description;
            changed.push("description");
        }
        if let Some(permissions) = patch.permissions {
            let old = self.catalogue.stored(&before.permissions);
            // Only what is added needs the actor to hold it; taking away never escalates.
            self.require_all(actor, org, permissions.difference(&old)).await?;
            if permissions != old {
                role.permissions = json_of(&permissions);
                changed.push("permissions");
            }
        }
        if changed.is_empty() {
            return Ok(RoleView::from(&before));
        }
        role.updated_at = self.now();
        store::roles::update(&*txn, &role).await.map_err(name_conflict)?;
        let diff = Target::new("role", role.id).diff(audit_view(&before), audit_view(&role));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::ROLE_UPDATED, diff, event_of(&role, changed)),
            )
            .await?;
        txn.commit().await?;
        self.role_changed(role.id).await;
        Ok(RoleView::from(&role))
    }

    /// Deletes a custom role no member holds; emits `role.deleted`.
    #[tracing::instrument(skip_all)]
    pub async fn delete_role(&self, actor: &Actor, org: OrgId, key: &str) -> Result<(), ApiError> {
        let role = self.find_custom(&self.core.db.conn, org, key).await?;
        let members = self.directory.members_with_role(org, &RoleKey::from(role.id)).await?;
        if members > 0 {
            return Err(AccessError::RoleInUse { members }.into());
        }
        let txn = self.core.db.begin_write().await?;
        if store::roles::delete(&*txn, org, role.id).await? == 0 {
            return Err(AccessError::RoleNotFound.into());
        }
        let data = events::RoleDeleted { id: role.id, org_id: org, name: role.name.clone() };
        let diff = Target::new("role", role.id).diff(audit_view(&role), Value::Null);
        self.core
            .record(&txn, &ChangeCtx::in_org(actor.as_ref(), org), Change::new(events::ROLE_DELETED, diff, data))
            .await?;
        txn.commit().await?;
        self.role_changed(role.id).await;
        Ok(())
    }
}

/// A concurrent creation with the same name loses on the unique index.
fn name_conflict(err: sea_orm::DbErr) -> ApiError {
    if tessera_kernel::db::is_unique_violation(&err) { AccessError::RoleNameTaken.into() } else { err.into() }
}

fn built_in_description(role: BuiltInRole) -> &'static str {
    match role {
        BuiltInRole::Owner => "Every permission, including deleting the organization and granting ownership",
        BuiltInRole::Admin => "Every permission except deleting the organization",
        BuiltInRole::Member => "Sees members and teams, and creates teams",
        BuiltInRole::Viewer => "Sees members and teams",
    }
}
