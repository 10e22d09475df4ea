//! Organizations: create (the creator becomes owner), list mine, read, change,
//! delete with everything in them.

use std::sync::Arc;

use serde_json::{Value, json};
use tessera_kernel::PageReq;
use tessera_kernel::authz::Directory;
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Actor, ApiError};
use tessera_kernel::{Change, ChangeCtx};

use super::{Orgs, Target};
use crate::entity::{members, orgs};
use crate::error::OrgsError;
use crate::events::{self, MemberEvent, OrgEvent};
use crate::model::{BuiltInRole, OrgSlug, RoleKey};
use crate::store;

/// A new organization as submitted.
#[derive(Debug)]
pub struct NewOrg {
    pub name: String,
    /// Without one, a slug is derived from the name.
    pub slug: Option<OrgSlug>,
}

/// Changes to an organization; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub slug: Option<OrgSlug>,
    /// Replaces the stored settings.
    pub settings: Option<Value>,
    /// Replaces the stored metadata.
    pub metadata: Option<Value>,
}

/// An organization and the caller's role in it (none for an organization's key).
#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: orgs::Model,
    pub role: Option<RoleKey>,
}

/// What audit entries show of an organization.
fn snapshot(org: &orgs::Model) -> Value {
    json!({ "name": org.name, "slug": org.slug, "settings": org.settings, "metadata": org.metadata })
}

fn org_event(org: &orgs::Model, changed: Vec<&'static str>) -> OrgEvent {
    OrgEvent { org_id: org.id, name: org.name.clone(), slug: org.slug.clone(), changed }
}

impl Orgs {
    /// Creates an organization owned by the caller.
    #[tracing::instrument(skip_all)]
    pub async fn create_org(&self, actor: &Actor, new: NewOrg) -> Result<OrgView, ApiError> {
        if let Actor::ApiKey(key) = actor
            && key.org_id.is_some()
        {
            return Err(ApiError::forbidden("an organization's API key cannot create organizations"));
        }
        let user = actor.user_id();
        for attempt in 0..3 {
            let slug = match &new.slug {
                Some(s) => s.clone(),
                None => self.free_slug(&new.name, attempt).await?,
            };
            let now = self.now();
            let org = orgs::Model {
                id: OrgId::new(),
                name: new.name.clone(),
                slug: slug.as_str().to_owned(),
                settings: json!({}),
                metadata: json!({}),
                created_at: now,
                updated_at: now,
            };
            let txn = self.core.db.begin_write().await?;
            match store::orgs::insert(&*txn, org.clone()).await {
                Err(e) if tessera_kernel::db::is_unique_violation(&e) => {
                    if new.slug.is_some() {
                        return Err(OrgsError::SlugTaken.into());
                    }
                    continue; // another request took the derived slug first
                }
                other => other?,
            }
            let member =
                members::Model { org_id: org.id, user_id: user, role: BuiltInRole::Owner.into(), joined_at: now };
            store::members::insert(&*txn, member).await?;
            let actor_ref = actor.as_ref();
            let target = Target::new("org", org.id).diff(Value::Null, snapshot(&org));
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor_ref.clone(), org.id),
                    Change::new(events::ORG_CREATED, target, org_event(&org, vec![])),
                )
                .await?;
            let data = MemberEvent {
                org_id: org.id,
                user_id: user,
                role: BuiltInRole::Owner.into(),
                previous_role: None,
                via: "created",
            };
            let target = Target::new("member", user).diff(Value::Null, json!({ "role": BuiltInRole::Owner }));
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor_ref.clone(), org.id),
                    Change::new(events::MEMBER_ADDED, target, data),
                )
                .await?;
            txn.commit().await?;
            self.forget_member(org.id, user);
            return Ok(OrgView { org, role: Some(BuiltInRole::Owner.into()) });
        }
        Err(ApiError::conflict("SLUG_TAKEN", "could not find a free slug; choose one"))
    }

    /// The first free slug derived from `name` (`acme`, `acme-2`, …); after a
    /// lost race, one with a random suffix.
    async fn free_slug(&self, name: &str, attempt: u32) -> Result<OrgSlug, ApiError> {
        let base = OrgSlug::derive(name);
        if attempt > 0 {
            return Ok(base.with_suffix(rand::random_range(1000..1_000_000)));
        }
        let taken = store::orgs::slugs_like(&self.core.db.conn, base.as_str()).await?;
        if !taken.iter().any(|s| s == base.as_str()) {
            return Ok(base);
        }
        let n = (2..).find(|n| !taken.iter().any(|s| *s == base.with_suffix(*n).as_str())).unwrap_or(2);
        Ok(base.with_suffix(n))
    }

    /// The organizations the caller belongs to (an organization's key: its own), a page of them.
    pub async fn my_orgs(&self, actor: &Actor, page: PageReq) -> Result<(Vec<OrgView>, u64), ApiError> {
        let db = &self.core.db.conn;
        let mut memberships = store::members::for_user(db, actor.user_id()).await?;
        // An organization's key sees its organization only, and holds no role in it (as `get_org` says).
        let org_key = matches!(actor, Actor::ApiKey(key) if key.org_id.is_some());
        if let Actor::ApiKey(key) = actor
            && let Some(own) = key.org_id
        {
            memberships.retain(|m| m.org_id == own);
        }
        let total = memberships.len() as u64;
        let slice = page.slice(memberships);
        let ids: Vec<OrgId> = slice.iter().map(|m| m.org_id).collect();
        let found = store::orgs::by_ids(db, &ids).await?;
        let views = slice
            .into_iter()
            .filter_map(|m| {
                let org = found.iter().find(|o| o.id == m.org_id)?.clone();
                Some(OrgView { org, role: (!org_key).then_some(m.role) })
            })
            .collect();
        Ok((views, total))
    }

    /// The organization in scope, with the caller's role (both from this node's
    /// brief caches, which changes made here clear at once).
    pub async fn get_org(&self, actor: &Actor, id: OrgId) -> Result<OrgView, ApiError> {
        let org = match self.rows.get(&id) {
            Some(row) => row,
            None => {
                let row = store::orgs::find(&self.core.db.conn, id).await?;
                let row = Arc::new(row.ok_or(OrgsError::NotFound("organization"))?);
                self.rows.insert(id, row.clone());
                row
            }
        };
        let role = match actor {
            Actor::ApiKey(key) if key.org_id.is_some() => None,
            actor => self.org_role(id, actor.user_id()).await?,
        };
        Ok(OrgView { org: (*org).clone(), role })
    }

    /// Applies `patch` (the caller holds `org:update`).
    #[tracing::instrument(skip_all)]
    pub async fn update_org(&self, actor: &Actor, id: OrgId, patch: OrgPatch) -> Result<OrgView, ApiError> {
        let txn = self.core.db.begin_write().await?;
        let before = store::orgs::lock(&*txn, id).await?.ok_or(OrgsError::NotFound("organization"))?;
        let mut org = before.clone();
        let mut changed = Vec::new();
        if let Some(name) = patch.name.filter(|n| *n != org.name) {
            org.name = name;
            changed.push("name");
        }
        if let Some(slug) = patch.slug.filter(|s| s.as_str() != org.slug) {
            org.slug = slug.as_str().to_owned();
            changed.push("slug");
        }
        if let Some(settings) = patch.settings.filter(|s| *s != org.settings) {
            org.settings = settings;
            changed.push("settings");
        }
        if let Some(metadata) = patch.metadata.filter(|m| *m != org.metadata) {
            org.metadata = metadata;
            changed.push("metadata");
        }
        if !changed.is_empty() {
            org.updated_at = self.now();
            store::orgs::update(&*txn, &org).await.map_err(|e| {
                if tessera_kernel::db::is_unique_violation(&e) {
                    OrgsError::SlugTaken.into()
                } else {
                    ApiError::from(e)
                }
            })?;
            let pick = |v: Value| {
                Value::Object(changed.iter().filter_map(|k| v.get(*k).map(|x| ((*k).to_owned(), x.clone()))).collect())
            };
            let target = Target::new("org", org.id).diff(pick(snapshot(&before)), pick(snapshot(&org)));
            let data = org_event(&org, changed.clone());
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.as_ref(), org.id),
                    Change::new(events::ORG_UPDATED, target, data),
                )
                .await?;
            txn.commit().await?;
            self.rows.invalidate(&org.id);
        }
        let role = self.get_org(actor, id).await?.role;
        Ok(OrgView { org, role })
    }

    /// Deletes the organization with its memberships, teams and invitations, and
    /// lets other modules drop theirs (keys, roles, grants) in the same transaction.
    #[tracing::instrument(skip_all)]
    pub async fn delete_org(&self, actor: &Actor, org: OrgId) -> Result<(), ApiError> {
        let id = org;
        let txn = self.core.db.begin_write().await?;
        let org = store::orgs::lock(&*txn, id).await?.ok_or(OrgsError::NotFound("organization"))?;
        store::invitations::delete_for_org(&*txn, id).await?;
        store::teams::delete_for_org(&*txn, id).await?;
        store::members::delete_for_org(&*txn, id).await?;
        self.core.org_cleanup.org_deleted(&txn, id).await?;
        store::orgs::delete(&*txn, id).await?;
        let target = Target::new("org", id).diff(snapshot(&org), Value::Null);
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), id),
                Change::new(events::ORG_DELETED, target, org_event(&org, vec![])),
            )
            .await?;
        txn.commit().await?;
        self.forget_all();
        Ok(())
    }
}
