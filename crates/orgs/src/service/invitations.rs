//! Invitations by e-mail, one at a time or up to 1,000 at once: the role must
//! exist and be the inviter's to give, the person must not be a member or have
//! a pending invitation already. The token travels only in the e-mailed link;
//! the database keeps its SHA-256, and a resend replaces it.

use std::collections::{HashMap, HashSet};
use tessera_kernel::permission as perm;

use serde_json::{Value, json};
use tessera_kernel::PageReq;
use tessera_kernel::authz::{ResourceRef, require};
use tessera_kernel::crypto::{random_token, token_hash};
use tessera_kernel::db::WriteTxn;
use tessera_kernel::ids::{InvitationId, OrgId, TeamId, UserId};
use tessera_kernel::mail::Mail;
use tessera_kernel::{Actor, ActorRef, ApiError, FieldError, Millis};
use tessera_kernel::{Change, ChangeCtx};

use super::{Orgs, Target};
use crate::entity::invitations::Model;
use crate::error::OrgsError;
use crate::events::{self, InvitationEvent};
use crate::model::{InvitationStatus, InvitationTtl, RoleKey};
use crate::store;

/// Random bytes in an invitation token.
const TOKEN_BYTES: usize = 32;

/// An invitation as submitted, parsed.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// Normalized (trimmed, lower-case).
    pub email: String,
    pub role: RoleKey,
    pub team_ids: Vec<TeamId>,
    pub ttl: InvitationTtl,
}

/// One address of a bulk invitation: parsed, or why not.
#[derive(Debug)]
pub struct BulkEntry {
    pub email: String,
    pub parsed: Result<NewInvitation, ApiError>,
}

/// What happened to one address of a bulk invitation.
#[derive(Debug)]
pub enum Outcome {
    Created(Box<Model>),
    AlreadyMember,
    AlreadyInvited,
    Invalid(ApiError),
}

pub(crate) fn invitation_event(row: &Model, user: Option<UserId>) -> InvitationEvent {
    InvitationEvent {
        org_id: row.org_id,
        invitation_id: row.id,
        email: row.email.clone(),
        role: row.role.clone(),
        user_id: user,
    }
}

pub(crate) fn team_ids_of(row: &Model) -> Vec<TeamId> {
    row.team_ids.as_array().into_iter().flatten().filter_map(|v| v.as_str()?.parse().ok()).collect()
}

fn unknown_team() -> ApiError {
    FieldError::new("teamIds", "UNKNOWN_TEAM", "names a team that does not exist in this organization").into()
}

impl Orgs {
    /// Checks the teams of invitations exist here and the caller manages them.
    async fn check_teams(&self, actor: &Actor, org: OrgId, ids: &HashSet<TeamId>) -> Result<HashSet<TeamId>, ApiError> {
        let wanted: Vec<TeamId> = ids.iter().copied().collect();
        let found: HashSet<TeamId> =
            store::teams::among(&self.core.db.conn, org, &wanted).await?.into_iter().map(|t| t.id).collect();
        // A resource-level check the handler cannot make: which teams exist is known only now.
        let authz = self.core.authorizer()?;
        for id in &found {
            require(&**authz, actor, org, perm::TEAMS_MANAGE, Some(&ResourceRef::team(*id))).await?;
        }
        Ok(found)
    }

    /// Invites one address (the caller holds `members:invite`).
    #[tracing::instrument(skip_all)]
    pub async fn create_invitation(&self, actor: &Actor, org: OrgId, new: NewInvitation) -> Result<Model, ApiError> {
        let entry = BulkEntry { email: new.email.clone(), parsed: Ok(new) };
        match self.invite_many(actor, org, vec![entry]).await?.pop() {
            Some(Outcome::Created(row)) => Ok(*row),
            Some(Outcome::AlreadyMember) => Err(OrgsError::AlreadyMember.into()),
            Some(Outcome::AlreadyInvited) => Err(OrgsError::AlreadyInvited.into()),
            Some(Outcome::Invalid(err)) => Err(err),
            None => Err(ApiError::internal("no outcome for one invitation")),
        }
    }

    /// Invites each address, reporting each one's outcome in order; those that
    /// pass are created in one transaction.
    #[tracing::instrument(skip_all, fields(count = entries.len()))]
    pub async fn invite_many(
        &self,
        actor: &Actor,
        org: OrgId,
        entries: Vec<BulkEntry>,
    ) -> Result<Vec<Outcome>, ApiError> {
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(entries.len());
        let mut roles: HashMap<RoleKey, Result<(), ApiError>> = HashMap::new();
        let teams: HashSet<TeamId> =
            entries.iter().filter_map(|e| e.parsed.as_ref().ok()).flat_map(|n| n.team_ids.clone()).collect();
        let known_teams = self.check_teams(actor, org, &teams).await?;
        for entry in &entries {
            let outcome = match &entry.parsed {
                Err(err) => Some(Outcome::Invalid(err.clone())),
                Ok(new) => {
                    if !roles.contains_key(&new.role) {
                        let checked = self.check_assignable(actor, org, &new.role).await;
                        roles.insert(new.role.clone(), checked);
                    }
                    match roles.get(&new.role) {
                        Some(Err(err)) => Some(Outcome::Invalid(err.clone())),
                        _ if new.team_ids.iter().any(|t| !known_teams.contains(t)) => {
                            Some(Outcome::Invalid(unknown_team()))
                        }
                        _ => None,
                    }
                }
            };
            outcomes.push(outcome);
        }
        // Who already belongs here.
        let emails: Vec<String> =
            entries.iter().filter_map(|e| e.parsed.as_ref().ok()).map(|n| n.email.clone()).collect();
        let users = self.identity.users_by_emails(&emails).await?;
        let user_ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let members: HashSet<UserId> =
            store::members::among(&self.core.db.conn, org, &user_ids).await?.into_iter().collect();
        let member_emails: HashSet<&str> =
            users.iter().filter(|u| members.contains(&u.id)).map(|u| u.email.as_str()).collect();

        let now = self.now();
        // Locked, so two requests inviting one address cannot both pass the pending check below.
        let (txn, org_row) = self.begin_invitations(org).await?;
        let org_row = org_row.ok_or(OrgsError::NotFound("organization"))?;
        self.expire_in(&txn, org, now).await?;
        let mut invited: HashSet<String> =
            store::invitations::pending_for(&*txn, org, &emails, now).await?.into_iter().map(|i| i.email).collect();
        let inviter = actor.user_id();
        let inviter_name = self.people(&[inviter]).await?.remove(&inviter).map(|p| p.name);
        let actor = actor.as_ref();
        let mut created = 0usize;
        for (entry, outcome) in entries.into_iter().zip(outcomes.iter_mut()) {
            let Ok(new) = entry.parsed else { continue };
            if outcome.is_some() {
                continue;
            }
            if member_emails.contains(new.email.as_str()) {
                *outcome = Some(Outcome::AlreadyMember);
                continue;
            }
            if !invited.insert(new.email.clone()) {
                *outcome = Some(Outcome::AlreadyInvited);
                continue;
            }
            let token = random_token("", TOKEN_BYTES);
            let row = Model {
                id: InvitationId::new(),
                org_id: org,
                email: new.email,
                role: new.role,
                team_ids: json!(new.team_ids.iter().map(ToString::to_string).collect::<Vec<_>>()),
                token_hash: token_hash(&token),
                invited_by: Some(inviter),
                status: InvitationStatus::Pending,
                ttl_days: new.ttl.days(),
                expires_at: new.ttl.expires_at(now),
                accepted_by: None,
                responded_at: None,
                created_at: now,
                updated_at: now,
            };
            store::invitations::insert(&*txn, row.clone()).await?;
            let mail = self.invitation_mail(&row, &org_row.name, inviter_name.as_deref(), &token);
            self.core.mailer.enqueue(&self.core.jobs, &*txn, &mail).await?;
            self.schedule_expiry(&txn, &row).await?;
            let after =
                json!({ "email": row.email, "role": row.role, "teamIds": row.team_ids, "expiresAt": row.expires_at });
            let target = Target::new("invitation", row.id).diff(Value::Null, after);
            self.core
                .record(
                    &txn,
                    &ChangeCtx::in_org(actor.clone(), org),
                    Change::new(events::INVITATION_CREATED, target, invitation_event(&row, None)),
                )
                .await?;
            *outcome = Some(Outcome::Created(Box::new(row)));
            created += 1;
        }
        txn.commit().await?;
        if created > 0 {
            self.core.jobs.wake();
        }
        Ok(outcomes.into_iter().map(|o| o.unwrap_or(Outcome::AlreadyInvited)).collect())
    }

    /// The e-mail carrying an invitation's link.
    fn invitation_mail(&self, row: &Model, org_name: &str, inviter: Option<&str>, token: &str) -> Mail {
        let link = self.core.config.server.link(&format!("/invitations/{token}"));
        let who = inviter.filter(|n| !n.is_empty()).unwrap_or("Someone");
        Mail {
            to: row.email.clone(),
            subject: format!("You are invited to join {org_name}"),
            text: format!(
                "Hello,\n\n{who} invited you to join {org_name} as {role}.\n\nTo accept or decline, open this \
                 link:\n\n{link}\n\nThe invitation is valid for {days} days and works once. If you did not expect \
                 it, ignore this message.\n",
                role = row.role,
                days = row.ttl_days,
            ),
            html: None,
        }
    }

    /// A write transaction holding the organization's row. Every change to an
    /// organization's invitations takes it first, so two of them (a request and an
    /// expiry job, say) queue on it rather than each holding a row the other needs:
    /// MySQL's foreign-key checks lock the organization row too, and the two would
    /// deadlock. `None` for the row when the organization is gone.
    pub(crate) async fn begin_invitations(
        &self,
        org: OrgId,
    ) -> Result<(WriteTxn, Option<crate::entity::orgs::Model>), ApiError> {
        let txn = self.core.db.begin_write().await?;
        let row = store::orgs::lock(&*txn, org).await?;
        Ok((txn, row))
    }

    /// Marks the organization's expired pending invitations and records
    /// `invitation.expired` for each, in `txn` (the lazy expiry).
    pub(crate) async fn expire_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        org: OrgId,
        now: Millis,
    ) -> Result<(), ApiError> {
        for row in store::invitations::unmarked_expired(txn, org, now).await? {
            self.expire_one(txn, &row, now).await?;
        }
        Ok(())
    }

    /// Marks one invitation expired and records it, unless someone else did.
    pub(crate) async fn expire_one(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        row: &Model,
        now: Millis,
    ) -> Result<(), ApiError> {
        if store::invitations::mark_expired(txn, row.id, now).await? {
            let target =
                Target::new("invitation", row.id).diff(json!({ "status": "pending" }), json!({ "status": "expired" }));
            self.core
                .record(
                    txn,
                    &ChangeCtx::in_org(ActorRef::System, row.org_id),
                    Change::new(events::INVITATION_EXPIRED, target, invitation_event(row, None)),
                )
                .await?;
        }
        Ok(())
    }

    /// A page of the organization's invitations, newest first (the caller holds `members:invite`).
    pub async fn list_invitations(
        &self,
        org: OrgId,
        status: Option<InvitationStatus>,
        page: PageReq,
    ) -> Result<(Vec<Model>, u64), ApiError> {
        let now = self.now();
        if !store::invitations::unmarked_expired(&self.core.db.conn, org, now).await?.is_empty() {
            let (txn, _) = self.begin_invitations(org).await?;
            self.expire_in(&txn, org, now).await?;
            txn.commit().await?;
        }
        Ok(store::invitations::page(&self.core.db.conn, org, status, now, page).await?)
    }

    /// Revokes a pending invitation: its link stops working at once.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_invitation(&self, actor: &Actor, org: OrgId, id: InvitationId) -> Result<Model, ApiError> {
        let now = self.now();
        let (txn, _) = self.begin_invitations(org).await?;
        let mut row = store::invitations::find(&*txn, org, id).await?.ok_or(OrgsError::NotFound("invitation"))?;
        if InvitationStatus::of(row.status, row.expires_at, now) != InvitationStatus::Pending
            || !store::invitations::finish(&*txn, id, InvitationStatus::Revoked, None, now).await?
        {
            return Err(OrgsError::InvitationNotPending.into());
        }
        let target =
            Target::new("invitation", id).diff(json!({ "status": row.status }), json!({ "status": "revoked" }));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), org),
                Change::new(events::INVITATION_REVOKED, target, invitation_event(&row, None)),
            )
            .await?;
        txn.commit().await?;
        (row.status, row.responded_at, row.updated_at) = (InvitationStatus::Revoked, Some(now), now);
        Ok(row)
    }

    /// Sends a pending (or expired) invitation again with a new token and a new
    /// expiry; the old link stops working.
    #[tracing::instrument(skip_all)]
    pub async fn resend_invitation(&self, actor: &Actor, org: OrgId, id: InvitationId) -> Result<Model, ApiError> {
        let db = &self.core.db.conn;
        let row = store::invitations::find(db, org, id).await?.ok_or(OrgsError::NotFound("invitation"))?;
        self.check_assignable(actor, org, &row.role).await?;
        if let Some(user) = self.identity.user_by_email(&row.email).await?
            && store::members::find(db, org, user.id).await?.is_some()
        {
            return Err(OrgsError::AlreadyMember.into());
        }
        let now = self.now();
        let token = random_token("", TOKEN_BYTES);
        let expires_at = InvitationTtl::from_days(row.ttl_days).expires_at(now);
        let (txn, org_row) = self.begin_invitations(org).await?;
        let org_row = org_row.ok_or(OrgsError::NotFound("organization"))?;
        // An expired invitation revived must not stand beside a newer pending one to the same address.
        let pending = store::invitations::pending_for(&*txn, org, std::slice::from_ref(&row.email), now).await?;
        if pending.iter().any(|p| p.id != id) {
            return Err(OrgsError::AlreadyInvited.into());
        }
        if !store::invitations::renew(&*txn, id, &token_hash(&token), expires_at, now).await? {
            return Err(OrgsError::InvitationNotPending.into());
        }
        let inviter = self.people(&[actor.user_id()]).await?.remove(&actor.user_id()).map(|p| p.name);
        let mail = self.invitation_mail(&row, &org_row.name, inviter.as_deref(), &token);
        self.core.mailer.enqueue(&self.core.jobs, &*txn, &mail).await?;
        self.schedule_expiry(&txn, &Model { expires_at, ..row.clone() }).await?;
        let target = Target::new("invitation", id)
            .diff(json!({ "expiresAt": row.expires_at }), json!({ "expiresAt": expires_at }));
        self.core.audit_only(&txn, &ChangeCtx::in_org(actor.as_ref(), org), events::INVITATION_RESENT, target).await?;
        txn.commit().await?;
        self.core.jobs.wake();
        Ok(Model { status: InvitationStatus::Pending, expires_at, updated_at: now, ..row })
    }
}

/// The actor of a public invitation action: the signed-in user, or the system.
pub(crate) fn actor_or_system(actor: Option<&Actor>) -> ActorRef {
    actor.map(Actor::as_ref).unwrap_or(ActorRef::System)
}
