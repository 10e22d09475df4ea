//! What the holder of an invitation's token may do: see what it is for, accept
//! it (signed in with the invited, verified address, or registering in the same
//! call) or decline it. Each token works once and until it expires.

use serde_json::{Value, json};
use tessera_identity::api::{PreparedUser, Secret, UserSummary};
use tessera_kernel::crypto::token_hash;
use tessera_kernel::ids::{TeamId, UserId};
use tessera_kernel::{Actor, ActorRef, ApiError, Millis};
use tessera_kernel::{Change, ChangeCtx};

use super::invitations::{actor_or_system, invitation_event, team_ids_of};
use super::{Orgs, Target};
use crate::entity::{invitations, members, orgs, team_members};
use crate::error::OrgsError;
use crate::events::{self, MemberEvent, TeamMemberEvent};
use crate::model::{InvitationStatus, RoleKey, TeamRole};
use crate::store;

/// What an invitation shows to whoever holds its link.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    pub org_name: String,
    pub inviter_name: Option<String>,
    pub role: RoleKey,
    pub expires_at: Millis,
}

/// The membership an accepted invitation made.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub org: orgs::Model,
    pub user_id: UserId,
    pub role: RoleKey,
    pub teams: Vec<TeamId>,
}

impl Orgs {
    /// The pending invitation of `token`, or why it cannot be used. An expired
    /// one seen here for the first time is marked so, with its event.
    async fn usable(&self, token: &str) -> Result<invitations::Model, ApiError> {
        let row = store::invitations::find_by_token_hash(&self.core.db.conn, &token_hash(token))
            .await?
            .ok_or(OrgsError::NotFound("invitation"))?;
        let now = self.now();
        match InvitationStatus::of(row.status, row.expires_at, now) {
            InvitationStatus::Pending => Ok(row),
            InvitationStatus::Expired => {
                if row.status == InvitationStatus::Pending {
                    let (txn, _) = self.begin_invitations(row.org_id).await?;
                    self.expire_one(&txn, &row, now).await?;
                    txn.commit().await?;
                }
                Err(OrgsError::InvitationExpired.into())
            }
            InvitationStatus::Revoked => Err(OrgsError::InvitationRevoked.into()),
            InvitationStatus::Accepted | InvitationStatus::Declined => Err(OrgsError::InvitationUsed.into()),
        }
    }

    /// The organization's name, the inviter's name, the role and the expiry; nothing else.
    pub async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview, ApiError> {
        let row = self.usable(token).await?;
        let org = store::orgs::find(&self.core.db.conn, row.org_id).await?.ok_or(OrgsError::NotFound("invitation"))?;
        let inviter_name = match row.invited_by {
            Some(id) => self.people(&[id]).await?.remove(&id).map(|p| p.name),
            None => None,
        };
        Ok(InvitationPreview { org_name: org.name, inviter_name, role: row.role, expires_at: row.expires_at })
    }

    /// Accepts for the signed-in caller, whose verified address must be the invited one.
    #[tracing::instrument(skip_all)]
    pub async fn accept_signed_in(&self, actor: &Actor, token: &str) -> Result<Accepted, ApiError> {
        let user = actor.session_user().map_err(|_| OrgsError::PersonOnly)?.user_id;
        let row = self.usable(token).await?;
        let me = self.people(&[user]).await?.remove(&user).ok_or(OrgsError::NotFound("user"))?;
        if me.email != row.email {
            return Err(OrgsError::EmailMismatch.into());
        }
        if !me.email_verified {
            return Err(OrgsError::EmailNotVerified.into());
        }
        self.role_still_exists(&row).await?;
        self.accept(row, Joiner::Existing(me)).await
    }

    /// Creates the invited person's account (address verified by the link) and accepts.
    #[tracing::instrument(skip_all)]
    pub async fn accept_registering(&self, token: &str, name: &str, password: &Secret) -> Result<Accepted, ApiError> {
        let row = self.usable(token).await?;
        self.role_still_exists(&row).await?;
        if self.identity.user_by_email(&row.email).await?.is_some() {
            return Err(OrgsError::EmailTaken.into());
        }
        let prepared = self.identity.prepare_verified_user(&row.email, name, password).await?;
        self.accept(row, Joiner::New(prepared)).await
    }

    /// A custom role may have been deleted since the invitation was sent; joining
    /// with it would make a member who holds nothing.
    async fn role_still_exists(&self, row: &invitations::Model) -> Result<(), ApiError> {
        if self.core.authorizer()?.role_exists(row.org_id, &row.role).await? {
            Ok(())
        } else {
            Err(OrgsError::RoleGone.into())
        }
    }

    async fn accept(&self, row: invitations::Model, joiner: Joiner) -> Result<Accepted, ApiError> {
        let now = self.now();
        let org_id = row.org_id;
        let (txn, org) = self.begin_invitations(org_id).await?;
        let org = org.ok_or(OrgsError::NotFound("invitation"))?;
        let user = match joiner {
            Joiner::Existing(me) => me,
            Joiner::New(prepared) => self.identity.insert_verified_user(&txn, prepared).await?,
        };
        if store::members::find(&*txn, org_id, user.id).await?.is_some() {
            return Err(OrgsError::AlreadyMember.into());
        }
        if !store::invitations::finish(&*txn, row.id, InvitationStatus::Accepted, Some(user.id), now).await? {
            return Err(OrgsError::InvitationUsed.into());
        }
        let actor = ActorRef::User { id: user.id };
        let member = members::Model { org_id, user_id: user.id, role: row.role.clone(), joined_at: now };
        store::members::insert(&*txn, member).await?;
        let target = Target::new("invitation", row.id)
            .diff(json!({ "status": "pending" }), json!({ "status": "accepted", "acceptedBy": user.id }));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.clone(), org_id),
                Change::new(events::INVITATION_ACCEPTED, target, invitation_event(&row, Some(user.id))),
            )
            .await?;
        let data =
            MemberEvent { org_id, user_id: user.id, role: row.role.clone(), previous_role: None, via: "invitation" };
        let target = Target::new("member", user.id).diff(Value::Null, json!({ "role": row.role }));
        self.core
            .record(&txn, &ChangeCtx::in_org(actor.clone(), org_id), Change::new(events::MEMBER_ADDED, target, data))
            .await?;
        // Teams deleted since the invitation was sent are skipped.
        let teams: Vec<TeamId> =
            store::teams::among(&*txn, org_id, &team_ids_of(&row)).await?.into_iter().map(|t| t.id).collect();
        for team in &teams {
            let role = TeamRole::Member;
            let seat = team_members::Model { team_id: *team, user_id: user.id, org_id, role, added_at: now };
            store::teams::insert_seat(&*txn, seat).await?;
            let data = TeamMemberEvent { org_id, team_id: *team, user_id: user.id, role };
            let target =
                Target::new("team_member", format!("{team}:{}", user.id)).diff(Value::Null, json!({ "role": role }));
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.clone(), org_id),
                    Change::new(events::TEAM_MEMBER_ADDED, target, data),
                )
                .await?;
        }
        txn.commit().await?;
        self.forget_member(org_id, user.id);
        for team in &teams {
            self.forget_seat(*team, user.id);
        }
        Ok(Accepted { org, user_id: user.id, role: row.role, teams })
    }

    /// Declines: the link stops working. Anyone holding the link may decline.
    #[tracing::instrument(skip_all)]
    pub async fn decline_invitation(&self, actor: Option<&Actor>, token: &str) -> Result<(), ApiError> {
        let row = self.usable(token).await?;
        let now = self.now();
        let (txn, _) = self.begin_invitations(row.org_id).await?;
        if !store::invitations::finish(&*txn, row.id, InvitationStatus::Declined, None, now).await? {
            return Err(OrgsError::InvitationUsed.into());
        }
        let target =
            Target::new("invitation", row.id).diff(json!({ "status": "pending" }), json!({ "status": "declined" }));
        let data = invitation_event(&row, None);
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor_or_system(actor), row.org_id),
                Change::new(events::INVITATION_DECLINED, target, data),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Who joins through an accepted invitation.
enum Joiner {
    Existing(UserSummary),
    New(PreparedUser),
}
