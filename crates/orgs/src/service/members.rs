//! Memberships: list, change roles, remove, leave, transfer ownership. An
//! organization never loses its last owner: every change that could take the
//! last one away locks the organization's row and counts the owners first.

use std::collections::HashSet;

use serde_json::{Value, json};
use tessera_kernel::PageReq;
use tessera_kernel::db::WriteTxn;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::{Actor, ApiError, Millis};
use tessera_kernel::{Change, ChangeCtx};

use super::{Orgs, Target};
use crate::entity::members;
use crate::error::OrgsError;
use crate::events::{self, MemberEvent, TeamMemberEvent};
use crate::model::{BuiltInRole, RoleKey};
use crate::store;

/// Which members to list.
#[derive(Debug)]
pub struct MemberFilter {
    pub role: Option<RoleKey>,
    /// Lower-cased text searched in e-mail and name.
    pub q: Option<String>,
    pub page: PageReq,
}

/// A member with the name and address the identity module knows.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: RoleKey,
    pub joined_at: Millis,
}

/// Whether `actor` is the person `user` (removing oneself is leaving).
pub(crate) fn is_self(actor: &Actor, user: UserId) -> bool {
    matches!(actor, Actor::User(u) if u.user_id == user)
}

fn member_event(
    org: OrgId,
    user: UserId,
    role: &RoleKey,
    previous: Option<&RoleKey>,
    via: &'static str,
) -> MemberEvent {
    MemberEvent { org_id: org, user_id: user, role: role.clone(), previous_role: previous.cloned(), via }
}

impl Orgs {
    /// A page of the organization's members. A text search asks the identity
    /// module which members match, so it reads every member id of the organization.
    pub async fn list_members(&self, org: OrgId, f: &MemberFilter) -> Result<(Vec<MemberView>, u64), ApiError> {
        let db = &self.core.db.conn;
        let (rows, total) = match &f.q {
            None => store::members::page(db, org, f.role.as_ref(), f.page).await?,
            Some(q) => {
                let all = store::members::all(db, org, f.role.as_ref()).await?;
                let ids: Vec<UserId> = all.iter().map(|m| m.user_id).collect();
                let hits: HashSet<UserId> = self.identity.search_users(&ids, q).await?.into_iter().collect();
                let matched: Vec<members::Model> = all.into_iter().filter(|m| hits.contains(&m.user_id)).collect();
                let total = matched.len() as u64;
                (f.page.slice(matched), total)
            }
        };
        let ids: Vec<UserId> = rows.iter().map(|m| m.user_id).collect();
        let people = self.people(&ids).await?;
        let views = rows
            .into_iter()
            .map(|m| {
                let person = people.get(&m.user_id);
                MemberView {
                    user_id: m.user_id,
                    email: person.map(|p| p.email.clone()).unwrap_or_default(),
                    name: person.map(|p| p.name.clone()).unwrap_or_default(),
                    role: m.role,
                    joined_at: m.joined_at,
                }
            })
            .collect();
        Ok((views, total))
    }

    /// Checks that `role` exists in `org` and that the caller may give it.
    pub(crate) async fn check_assignable(&self, actor: &Actor, org: OrgId, role: &RoleKey) -> Result<(), ApiError> {
        if !self.core.authorizer()?.role_exists(org, role).await? {
            return Err(OrgsError::UnknownRole.into());
        }
        if !self.core.authorizer()?.can_assign_role(actor, org, role).await? {
            return Err(OrgsError::CannotAssignRole.into());
        }
        Ok(())
    }

    /// Fails with 403 unless the caller could give `member` their current role:
    /// only an owner changes or removes an owner, and nobody changes or removes
    /// someone whose role holds permissions they lack. (A role that no longer
    /// exists outranks nobody, so such a member can always be fixed.)
    async fn check_outranks(&self, actor: &Actor, member: &members::Model) -> Result<(), ApiError> {
        let org = member.org_id;
        if self.core.authorizer()?.can_assign_role(actor, org, &member.role).await?
            || !self.core.authorizer()?.role_exists(org, &member.role).await?
        {
            return Ok(());
        }
        Err(if member.role.is(BuiltInRole::Owner) { OrgsError::OwnerRequired } else { OrgsError::Outranked }.into())
    }

    /// Opens a transaction holding the organization's row and reads a member.
    async fn lock_member(&self, org: OrgId, user: UserId) -> Result<(WriteTxn, members::Model), ApiError> {
        let txn = self.core.db.begin_write().await?;
        store::orgs::lock(&*txn, org).await?.ok_or(OrgsError::NotFound("organization"))?;
        let member = store::members::find(&*txn, org, user).await?.ok_or(OrgsError::NotFound("member"))?;
        Ok((txn, member))
    }

    /// Fails with `LAST_OWNER` when `member` is the organization's only owner.
    async fn keep_an_owner(&self, txn: &WriteTxn, member: &members::Model) -> Result<(), ApiError> {
        let owner = RoleKey::from(BuiltInRole::Owner);
        if member.role == owner && store::members::count_with_role(&**txn, member.org_id, &owner).await? <= 1 {
            return Err(OrgsError::LastOwner.into());
        }
        Ok(())
    }

    /// Gives `user` the role `role` (the caller holds `members:manage`).
    #[tracing::instrument(skip_all)]
    pub async fn change_role(
        &self,
        actor: &Actor,
        org: OrgId,
        user: UserId,
        role: RoleKey,
    ) -> Result<MemberView, ApiError> {
        self.check_assignable(actor, org, &role).await?;
        let (txn, member) = self.lock_member(org, user).await?;
        if member.role != role {
            self.check_outranks(actor, &member).await?;
            self.keep_an_owner(&txn, &member).await?;
            store::members::set_role(&*txn, org, user, &role).await?;
            let target = Target::new("member", user).diff(json!({ "role": member.role }), json!({ "role": role }));
            let data = member_event(org, user, &role, Some(&member.role), "changed");
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.as_ref(), org),
                    Change::new(events::MEMBER_ROLE_CHANGED, target, data),
                )
                .await?;
            txn.commit().await?;
            self.forget_member(org, user);
        }
        let person = self.people(&[user]).await?.remove(&user);
        Ok(MemberView {
            user_id: user,
            email: person.as_ref().map(|p| p.email.clone()).unwrap_or_default(),
            name: person.map(|p| p.name).unwrap_or_default(),
            role,
            joined_at: member.joined_at,
        })
    }

    /// Removes `user` from the organization with their team seats. The caller
    /// holds `members:manage` (the handler checks), unless they remove
    /// themselves (leaving).
    #[tracing::instrument(skip_all)]
    pub async fn remove_member(&self, actor: &Actor, org: OrgId, user: UserId) -> Result<(), ApiError> {
        let leaving = is_self(actor, user);
        let (txn, member) = self.lock_member(org, user).await?;
        if !leaving {
            self.check_outranks(actor, &member).await?;
        }
        self.keep_an_owner(&txn, &member).await?;
        let via = if leaving { "left" } else { "removed" };
        self.drop_member(&txn, &actor.as_ref(), &member, via).await?;
        txn.commit().await?;
        self.forget_member(org, user);
        Ok(())
    }

    /// Deletes a membership and its seats in `txn`, with their events.
    pub(crate) async fn drop_member(
        &self,
        txn: &WriteTxn,
        actor: &tessera_kernel::ActorRef,
        member: &members::Model,
        via: &'static str,
    ) -> Result<(), ApiError> {
        let (org, user) = (member.org_id, member.user_id);
        let seats = store::teams::seats_of_member(&**txn, org, user).await?;
        store::teams::delete_seats_of_member(&**txn, org, user).await?;
        for seat in &seats {
            let data = TeamMemberEvent { org_id: org, team_id: seat.team_id, user_id: user, role: seat.role };
            let target = Target::new("team_member", format!("{}:{user}", seat.team_id))
                .diff(json!({ "role": seat.role }), Value::Null);
            self.core
                .record(
                    txn,
                    &ChangeCtx::in_org(actor.clone(), org),
                    Change::new(events::TEAM_MEMBER_REMOVED, target, data),
                )
                .await?;
            self.forget_seat(seat.team_id, user);
        }
        store::members::delete(&**txn, org, user).await?;
        self.core.org_cleanup.member_removed(txn, org, user).await?;
        let target = Target::new("member", user).diff(json!({ "role": member.role }), Value::Null);
        let data = member_event(org, user, &member.role, None, via);
        self.core
            .record(txn, &ChangeCtx::in_org(actor.clone(), org), Change::new(events::MEMBER_REMOVED, target, data))
            .await
    }

    /// The caller leaves the organization (never its last owner).
    pub async fn leave(&self, actor: &Actor, org: OrgId) -> Result<(), ApiError> {
        let user = actor.session_user().map_err(|_| OrgsError::PersonOnly)?.user_id;
        self.remove_member(actor, org, user).await
    }

    /// Hands ownership to another member: they become owner, the caller admin.
    #[tracing::instrument(skip_all)]
    pub async fn transfer_ownership(&self, actor: &Actor, org: OrgId, to: UserId) -> Result<(), ApiError> {
        let me = actor.session_user().map_err(|_| OrgsError::PersonOnly)?.user_id;
        let (owner, admin) = (RoleKey::from(BuiltInRole::Owner), RoleKey::from(BuiltInRole::Admin));
        // Who may ask comes first: to anyone but an owner, the answer is 403 whatever the body says.
        if !self.core.authorizer()?.can_assign_role(actor, org, &owner).await? {
            return Err(OrgsError::OwnerRequired.into());
        }
        if me == to {
            return Err(OrgsError::Invalid("you already own this organization; name another member").into());
        }
        let (txn, mine) = self.lock_member(org, me).await?;
        if mine.role != owner {
            return Err(OrgsError::OwnerRequired.into());
        }
        let target = store::members::find(&*txn, org, to).await?.ok_or(OrgsError::NotAnOrgMember)?;
        let actor = actor.as_ref();
        if target.role != owner {
            store::members::set_role(&*txn, org, to, &owner).await?;
            let audit = Target::new("member", to).diff(json!({ "role": target.role }), json!({ "role": owner }));
            let data = member_event(org, to, &owner, Some(&target.role), "transfer");
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.clone(), org),
                    Change::new(events::MEMBER_ROLE_CHANGED, audit, data),
                )
                .await?;
        }
        store::members::set_role(&*txn, org, me, &admin).await?;
        let audit = Target::new("member", me).diff(json!({ "role": owner }), json!({ "role": admin }));
        let data = member_event(org, me, &admin, Some(&owner), "transfer");
        self.core
            .record(&txn, &ChangeCtx::in_org(actor.clone(), org), Change::new(events::MEMBER_ROLE_CHANGED, audit, data))
            .await?;
        txn.commit().await?;
        self.forget_member(org, to);
        self.forget_member(org, me);
        Ok(())
    }
}
