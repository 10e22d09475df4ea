//! Events the orgs module publishes, written to the outbox in the same
//! transaction as the change (each with its audit entry, under the same name).
//!
//! `invitation.expired` is emitted lazily: the first time an expired pending
//! invitation is observed (its token looked up, the organization's invitations
//! listed, or the address invited again), it is marked expired and the event written.

use serde::Serialize;
use tessera_kernel::ids::{InvitationId, OrgId, TeamId, UserId};

pub const ORG_CREATED: &str = "org.created";
pub const ORG_UPDATED: &str = "org.updated";
pub const ORG_DELETED: &str = "org.deleted";
pub const MEMBER_ADDED: &str = "member.added";
pub const MEMBER_ROLE_CHANGED: &str = "member.role_changed";
pub const MEMBER_REMOVED: &str = "member.removed";
pub const TEAM_CREATED: &str = "team.created";
pub const TEAM_UPDATED: &str = "team.updated";
pub const TEAM_DELETED: &str = "team.deleted";
pub const TEAM_MEMBER_ADDED: &str = "team.member_added";
/// A team seat's role changed (not in the list; named like `member.role_changed`).
pub const TEAM_MEMBER_ROLE_CHANGED: &str = "team.member_role_changed";
pub const TEAM_MEMBER_REMOVED: &str = "team.member_removed";
pub const INVITATION_CREATED: &str = "invitation.created";
pub const INVITATION_ACCEPTED: &str = "invitation.accepted";
pub const INVITATION_DECLINED: &str = "invitation.declined";
pub const INVITATION_REVOKED: &str = "invitation.revoked";
pub const INVITATION_EXPIRED: &str = "invitation.expired";
/// A pending invitation was sent again with a new token (audit only, no event).
pub const INVITATION_RESENT: &str = "invitation.resent";

/// Every event type of this module.
pub const ALL: &[&str] = &[
    ORG_CREATED,
    ORG_UPDATED,
    ORG_DELETED,
    MEMBER_ADDED,
    MEMBER_ROLE_CHANGED,
    MEMBER_REMOVED,
    TEAM_CREATED,
    TEAM_UPDATED,
    TEAM_DELETED,
    TEAM_MEMBER_ADDED,
    TEAM_MEMBER_ROLE_CHANGED,
    TEAM_MEMBER_REMOVED,
    INVITATION_CREATED,
    INVITATION_ACCEPTED,
    INVITATION_DECLINED,
    INVITATION_REVOKED,
    INVITATION_EXPIRED,
];

/// `org.created`, `org.updated`, `org.deleted`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgEvent {
    pub org_id: OrgId,
    pub name: String,
    pub slug: String,
    /// For `org.updated`: the fields that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<&'static str>,
}

/// `member.added`, `member.role_changed`, `member.removed`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberEvent {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: String,
    /// For `member.role_changed`: the role before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_role: Option<String>,
    /// How it happened: `created`, `invitation`, `transfer`, `removed`, `left`, `account_deleted`, …
    pub via: &'static str,
}

/// `team.created`, `team.updated`, `team.deleted`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamEvent {
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub name: String,
}

/// `team.member_added`, `team.member_role_changed`, `team.member_removed`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberEvent {
    pub org_id: OrgId,
    pub team_id: TeamId,
    pub user_id: UserId,
    pub role: String,
}

/// `invitation.*`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationEvent {
    pub org_id: OrgId,
    pub invitation_id: InvitationId,
    pub email: String,
    pub role: String,
    /// For `invitation.accepted`: the member it made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}
