//! Teams and their seats. Only members of the organization can hold a seat;
//! removing a member from the organization removes their seats with them.

use serde_json::{Value, json};
use tessera_kernel::PageReq;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::{Actor, Change, ChangeCtx};
use tessera_kernel::{ActorRef, ApiError, Millis};

use super::{Orgs, Target};
use crate::entity::{team_members, teams};
use crate::error::OrgsError;
use crate::events::{self, TeamEvent, TeamMemberEvent};
use crate::model::TeamRole;
use crate::store;

/// A new team as submitted.
#[derive(Debug)]
pub struct NewTeam {
    pub name: String,
    pub description: Option<String>,
}

/// Changes to a team; `None` leaves a field alone, `Some(None)` clears the description.
#[derive(Debug, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// A seat with the name and address the identity module knows.
#[derive(Debug, Clone)]
pub struct SeatView {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    pub added_at: Millis,
}

fn team_event(team: &teams::Model) -> TeamEvent {
    TeamEvent { org_id: team.org_id, team_id: team.id, name: team.name.clone() }
}

fn snapshot(team: &teams::Model) -> Value {
    json!({ "name": team.name, "description": team.description })
}

fn name_taken(err: sea_orm::DbErr) -> ApiError {
    if tessera_kernel::db::is_unique_violation(&err) { OrgsError::TeamNameTaken.into() } else { err.into() }
}

fn seat_target(team: TeamId, user: UserId) -> Target {
    Target::new("team_member", format!("{team}:{user}"))
}

impl Orgs {
    /// Creates a team (the caller holds `teams:create`); the caller, when a
    /// member, becomes its admin.
    #[tracing::instrument(skip_all)]
    pub async fn create_team(&self, actor: &Actor, org: OrgId, new: NewTeam) -> Result<teams::Model, ApiError> {
        let now = self.now();
        let team = teams::Model {
            id: TeamId::new(),
            org_id: org,
            name: new.name,
            description: new.description,
            created_at: now,
            updated_at: now,
        };
        let user = actor.user_id();
        let actor = actor.as_ref();
        let txn = self.core.db.begin_write().await?;
        store::teams::insert(&*txn, team.clone()).await.map_err(name_taken)?;
        let target = Target::new("team", team.id).diff(Value::Null, snapshot(&team));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.clone(), org),
                Change::new(events::TEAM_CREATED, target, team_event(&team)),
            )
            .await?;
        let creator_is_member = store::members::find(&*txn, org, user).await?.is_some();
        if creator_is_member {
            let seat = team_members::Model {
                team_id: team.id,
                user_id: user,
                org_id: org,
                role: TeamRole::Admin,
                added_at: now,
            };
            store::teams::insert_seat(&*txn, seat).await?;
            self.seat_added(&txn, &actor, &team, user, TeamRole::Admin).await?;
        }
        txn.commit().await?;
        self.forget_seat(team.id, user);
        Ok(team)
    }

    async fn seat_added(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &ActorRef,
        team: &teams::Model,
        user: UserId,
        role: TeamRole,
    ) -> Result<(), ApiError> {
        let data = TeamMemberEvent { org_id: team.org_id, team_id: team.id, user_id: user, role };
        let target = seat_target(team.id, user).diff(Value::Null, json!({ "role": role }));
        self.core
            .record(
                txn,
                &ChangeCtx::in_org(actor.clone(), team.org_id),
                Change::new(events::TEAM_MEMBER_ADDED, target, data),
            )
            .await
    }

    /// A page of the organization's teams, by name.
    pub async fn list_teams(&self, org: OrgId, page: PageReq) -> Result<(Vec<teams::Model>, u64), ApiError> {
        Ok(store::teams::page(&self.core.db.conn, org, page).await?)
    }

    /// One team of the organization.
    pub async fn get_team(&self, org: OrgId, team: TeamId) -> Result<teams::Model, ApiError> {
        Ok(store::teams::find(&self.core.db.conn, org, team).await?.ok_or(OrgsError::NotFound("team"))?)
    }

    /// Applies `patch` (the caller holds `teams:manage` on the team).
    #[tracing::instrument(skip_all)]
    pub async fn update_team(
        &self,
        actor: &Actor,
        org: OrgId,
        id: TeamId,
        patch: TeamPatch,
    ) -> Result<teams::Model, ApiError> {
        let txn = self.core.db.begin_write().await?;
        let before = store::teams::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        let mut team = before.clone();
        let mut changed = false;
        if let Some(name) = patch.name.filter(|n| *n != team.name) {
            team.name = name;
            changed = true;
        }
        if let Some(description) = patch.description.filter(|d| *d != team.description) {
            team.description = description;
            changed = true;
        }
        if !changed {
            return Ok(team);
        }
        team.updated_at = self.now();
        store::teams::update(&*txn, &team).await.map_err(name_taken)?;
        let target = Target::new("team", id).diff(snapshot(&before), snapshot(&team));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::TEAM_UPDATED, target, team_event(&team)),
            )
            .await?;
        txn.commit().await?;
        Ok(team)
    }

    /// Deletes a team and its seats (the caller holds `teams:manage` on it).
    #[tracing::instrument(skip_all)]
    pub async fn delete_team(&self, actor: &Actor, org: OrgId, id: TeamId) -> Result<(), ApiError> {
        let txn = self.core.db.begin_write().await?;
        let team = store::teams::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        store::teams::delete(&*txn, org, id).await?;
        let target = Target::new("team", id).diff(snapshot(&team), Value::Null);
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::TEAM_DELETED, target, team_event(&team)),
            )
            .await?;
        txn.commit().await?;
        self.forget_all();
        Ok(())
    }

    /// Seats `user` in the team; they must be a member of the organization.
    #[tracing::instrument(skip_all)]
    pub async fn add_team_member(
        &self,
        actor: &Actor,
        org: OrgId,
        id: TeamId,
        user: UserId,
        role: TeamRole,
    ) -> Result<SeatView, ApiError> {
        let txn = self.core.db.begin_write().await?;
        let team = store::teams::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        if store::members::find(&*txn, org, user).await?.is_none() {
            return Err(OrgsError::NotAnOrgMember.into());
        }
        if store::teams::find_seat(&*txn, id, user).await?.is_some() {
            return Err(OrgsError::AlreadyInTeam.into());
        }
        let seat = team_members::Model { team_id: id, user_id: user, org_id: org, role, added_at: self.now() };
        store::teams::insert_seat(&*txn, seat.clone()).await?;
        self.seat_added(&txn, &actor.as_ref(), &team, user, role).await?;
        txn.commit().await?;
        self.forget_seat(id, user);
        self.seat_view(seat).await
    }

    async fn seat_view(&self, seat: team_members::Model) -> Result<SeatView, ApiError> {
        let person = self.people(&[seat.user_id]).await?.remove(&seat.user_id);
        Ok(SeatView {
            user_id: seat.user_id,
            email: person.as_ref().map(|p| p.email.clone()).unwrap_or_default(),
            name: person.map(|p| p.name).unwrap_or_default(),
            role: seat.role,
            added_at: seat.added_at,
        })
    }

    /// A page of the team's seats, oldest first.
    pub async fn list_team_members(
        &self,
        org: OrgId,
        id: TeamId,
        page: PageReq,
    ) -> Result<(Vec<SeatView>, u64), ApiError> {
        let db = &self.core.db.conn;
        store::teams::find(db, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        let (rows, total) = store::teams::seats_page(db, id, page).await?;
        let ids: Vec<UserId> = rows.iter().map(|s| s.user_id).collect();
        let people = self.people(&ids).await?;
        let views = rows
            .into_iter()
            .map(|s| {
                let person = people.get(&s.user_id);
                SeatView {
                    user_id: s.user_id,
                    email: person.map(|p| p.email.clone()).unwrap_or_default(),
                    name: person.map(|p| p.name.clone()).unwrap_or_default(),
                    role: s.role,
                    added_at: s.added_at,
                }
            })
            .collect();
        Ok((views, total))
    }

    /// Changes the role of a seat (the caller holds `teams:manage` on the team).
    #[tracing::instrument(skip_all)]
    pub async fn change_team_role(
        &self,
        actor: &Actor,
        org: OrgId,
        id: TeamId,
        user: UserId,
        role: TeamRole,
    ) -> Result<SeatView, ApiError> {
        let txn = self.core.db.begin_write().await?;
        store::teams::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        let mut seat = store::teams::find_seat(&*txn, id, user).await?.ok_or(OrgsError::NotFound("team member"))?;
        if seat.role != role {
            store::teams::set_seat_role(&*txn, id, user, role).await?;
            let target = seat_target(id, user).diff(json!({ "role": seat.role }), json!({ "role": role }));
            seat.role = role;
            let data = TeamMemberEvent { org_id: org, team_id: id, user_id: user, role };
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.as_ref(), org),
                    Change::new(events::TEAM_MEMBER_ROLE_CHANGED, target, data),
                )
                .await?;
            txn.commit().await?;
            self.forget_seat(id, user);
        }
        self.seat_view(seat).await
    }

    /// Removes a seat (the caller holds `teams:manage` on the team, or leaves it).
    #[tracing::instrument(skip_all)]
    pub async fn remove_team_member(
        &self,
        actor: &Actor,
        org: OrgId,
        id: TeamId,
        user: UserId,
    ) -> Result<(), ApiError> {
        let txn = self.core.db.begin_write().await?;
        store::teams::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("team"))?;
        let seat = store::teams::find_seat(&*txn, id, user).await?.ok_or(OrgsError::NotFound("team member"))?;
        store::teams::delete_seat(&*txn, id, user).await?;
        let target = seat_target(id, user).diff(json!({ "role": seat.role }), Value::Null);
        let data = TeamMemberEvent { org_id: org, team_id: id, user_id: user, role: seat.role };
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::TEAM_MEMBER_REMOVED, target, data),
            )
            .await?;
        txn.commit().await?;
        self.forget_seat(id, user);
        Ok(())
    }
}
