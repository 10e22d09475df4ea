//! The orgs module's part of a user's personal data ("memberships"): their
//! memberships, team seats, and invitations sent and received. Erasure removes
//! memberships and seats, revokes the pending invitations they sent, forgets
//! who sent them, and replaces their address on the invitations they answered
//! and in the audit entries of every invitation they received; it is refused
//! while they are the last owner of an organization.

use std::sync::Weak;

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};
use tessera_kernel::clock::from_millis;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::personal::PersonalData;
use tessera_kernel::{ActorRef, ApiError};
use tessera_kernel::{Change, ChangeCtx};

use super::invitations::invitation_event;
use super::{Orgs, Target};
use crate::entity::invitations;
use crate::error::OrgsError;
use crate::events;
use crate::model::{BuiltInRole, InvitationStatus, RoleKey};
use crate::store;

/// Registered with the core's personal-data registry; holds the module weakly
/// (the registry lives in the core, which the module holds).
pub(crate) struct Memberships(pub(crate) Weak<Orgs>);

fn invitation_json(row: &invitations::Model, now: i64) -> Value {
    json!({
        "id": row.id, "orgId": row.org_id, "email": row.email, "role": row.role,
        "status": InvitationStatus::of(row.status, row.expires_at, now),
        "createdAt": from_millis(row.created_at), "expiresAt": from_millis(row.expires_at),
    })
}

impl Orgs {
    /// The organizations `user` is the only owner of, with their names.
    pub async fn solely_owned(&self, user: UserId) -> Result<Vec<(OrgId, String)>, ApiError> {
        let db = &self.core.db.conn;
        let mut out = Vec::new();
        for m in store::members::for_user(db, user).await?.into_iter().filter(|m| m.role.is(BuiltInRole::Owner)) {
            if store::members::count_with_role(db, m.org_id, &BuiltInRole::Owner.into()).await? <= 1 {
                let name = store::orgs::find(db, m.org_id).await?.map(|o| o.name).unwrap_or_default();
                out.push((m.org_id, name));
            }
        }
        Ok(out)
    }

    async fn export_memberships(&self, user: UserId) -> Result<Value, ApiError> {
        let db = &self.core.db.conn;
        let now = self.now();
        let memberships = store::members::for_user(db, user).await?;
        let org_ids: Vec<OrgId> = memberships.iter().map(|m| m.org_id).collect();
        let orgs = store::orgs::by_ids(db, &org_ids).await?;
        let org_name = |id: OrgId| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone());
        let seats = store::teams::seats_of_user(db, user).await?;
        let team_ids: Vec<_> = seats.iter().map(|s| s.team_id).collect();
        let teams = store::teams::by_ids(db, &team_ids).await?;
        let sent = store::invitations::sent_by(db, user).await?;
        let received = match self.people(&[user]).await?.remove(&user) {
            Some(me) => store::invitations::received_by(db, &me.email).await?,
            None => Vec::new(),
        };
        Ok(json!({
            "memberships": memberships.iter().map(|m| json!({
                "orgId": m.org_id, "orgName": org_name(m.org_id), "role": m.role, "joinedAt": from_millis(m.joined_at),
            })).collect::<Vec<_>>(),
            "teams": seats.iter().map(|s| json!({
                "teamId": s.team_id, "orgId": s.org_id, "role": s.role, "addedAt": from_millis(s.added_at),
                "teamName": teams.iter().find(|t| t.id == s.team_id).map(|t| t.name.clone()),
            })).collect::<Vec<_>>(),
            "invitationsSent": sent.iter().map(|r| invitation_json(r, now)).collect::<Vec<_>>(),
            "invitationsReceived": received.iter().map(|r| invitation_json(r, now)).collect::<Vec<_>>(),
        }))
    }

    async fn erase_memberships(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError> {
        let now = self.now();
        let actor = ActorRef::System;
        let memberships = store::members::for_user(txn, user).await?;
        // Checked again under the organizations' locks: a co-owner may have left
        // since `check_erasable` looked.
        let mut sole = Vec::new();
        for m in memberships.iter().filter(|m| m.role.is(BuiltInRole::Owner)) {
            let org = store::orgs::lock(txn, m.org_id).await?;
            if store::members::count_with_role(txn, m.org_id, &RoleKey::from(BuiltInRole::Owner)).await? <= 1 {
                sole.push((m.org_id, org.map(|o| o.name).unwrap_or_default()));
            }
        }
        if !sole.is_empty() {
            return Err(OrgsError::LastOwnerOf(sole).into());
        }
        // The address, read before this erasure commits (the account row is gone in `txn` only).
        let email = self.people(&[user]).await?.remove(&user).map(|p| p.email);
        for m in memberships {
            let seats = store::teams::seats_of_member(txn, m.org_id, user).await?;
            store::teams::delete_seats_of_member(txn, m.org_id, user).await?;
            for seat in seats {
                let data =
                    events::TeamMemberEvent { org_id: m.org_id, team_id: seat.team_id, user_id: user, role: seat.role };
                let target = Target::new("team_member", format!("{}:{user}", seat.team_id));
                self.core
                    .record(
                        txn,
                        &ChangeCtx::in_org(actor.clone(), m.org_id),
                        Change::new(events::TEAM_MEMBER_REMOVED, target, data),
                    )
                    .await?;
                self.forget_seat(seat.team_id, user);
            }
            store::members::delete(txn, m.org_id, user).await?;
            self.core.org_cleanup.member_removed(txn, m.org_id, user).await?;
            let data = events::MemberEvent {
                org_id: m.org_id,
                user_id: user,
                role: m.role.clone(),
                previous_role: None,
                via: "account_deleted",
            };
            self.core
                .record(
                    txn,
                    &ChangeCtx::in_org(actor.clone(), m.org_id),
                    Change::new(events::MEMBER_REMOVED, Target::new("member", user), data),
                )
                .await?;
            self.forget_member(m.org_id, user);
        }
        for row in store::invitations::sent_by(txn, user).await? {
            if InvitationStatus::of(row.status, row.expires_at, now) == InvitationStatus::Pending
                && store::invitations::finish(txn, row.id, InvitationStatus::Revoked, None, now).await?
            {
                let target = Target::new("invitation", row.id);
                self.core
                    .record(
                        txn,
                        &ChangeCtx::in_org(actor.clone(), row.org_id),
                        Change::new(events::INVITATION_REVOKED, target, invitation_event(&row, None)),
                    )
                    .await?;
            }
        }
        store::invitations::clear_inviter(txn, user).await?;
        // Read first: the pseudonymized rows no longer carry the address.
        let received = store::invitations::received_ids(txn, user, email.as_deref()).await?;
        store::invitations::pseudonymize_received(txn, user, email.as_deref()).await?;
        // Their audit entries name the address (and who accepted): it goes there too,
        // pending offers included; the rows of those keep it for the organization.
        let received: Vec<String> = received.iter().map(ToString::to_string).collect();
        self.core.audit_sink()?.erase_changes(txn, "invitation", &received).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl PersonalData for Memberships {
    fn section(&self) -> &'static str {
        "memberships"
    }

    async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        match self.0.upgrade() {
            Some(orgs) => orgs.export_memberships(user).await,
            None => Ok(Value::Null),
        }
    }

    async fn check_erasable(&self, user: UserId) -> Result<(), ApiError> {
        let Some(orgs) = self.0.upgrade() else { return Ok(()) };
        let owned = orgs.solely_owned(user).await?;
        if owned.is_empty() { Ok(()) } else { Err(OrgsError::LastOwnerOf(owned).into()) }
    }

    async fn erase(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError> {
        match self.0.upgrade() {
            Some(orgs) => orgs.erase_memberships(txn, user).await,
            None => Ok(()),
        }
    }
}
