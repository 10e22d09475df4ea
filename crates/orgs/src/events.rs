//! Events the orgs module publishes, written to the outbox in the same
//! transaction as the change (each with its audit entry, under the same name).
//!
//! `invitation.expired` is emitted lazily: the first time an expired pending
//! invitation is observed (its token looked up, the organization's invitations
//! listed, or the address invited again), it is marked expired and the event written.

use serde::Serialize;
use tessera_kernel::event_types::{EventType, schema_of};
use tessera_kernel::ids::{InvitationId, OrgId, TeamId, UserId};
use tessera_kernel::roles::{RoleKey, TeamRole};
use utoipa::ToSchema;

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

const MODULE: &str = "orgs";

/// One catalogue entry of this module.
const fn event(name: &'static str, description: &'static str, schema: fn() -> serde_json::Value) -> EventType {
    EventType { name, module: MODULE, description, schema }
}

/// Every event type of this module with the schema of its `data`.
pub const EVENT_TYPES: &[EventType] = &[
    event(ORG_CREATED, "An organization was created; its creator is its owner.", schema_of::<OrgEvent>),
    event(ORG_UPDATED, "An organization's name, slug, settings or metadata changed.", schema_of::<OrgEvent>),
    event(ORG_DELETED, "An organization was deleted.", schema_of::<OrgEvent>),
    event(
        MEMBER_ADDED,
        "A user became a member (creating the organization or accepting an invitation).",
        schema_of::<MemberEvent>,
    ),
    event(
        MEMBER_ROLE_CHANGED,
        "A member's role changed (directly or by an ownership transfer).",
        schema_of::<MemberEvent>,
    ),
    event(MEMBER_REMOVED, "A member was removed, left, or their account was deleted.", schema_of::<MemberEvent>),
    event(TEAM_CREATED, "A team was created.", schema_of::<TeamEvent>),
    event(TEAM_UPDATED, "A team was renamed or its description changed.", schema_of::<TeamEvent>),
    event(TEAM_DELETED, "A team was deleted.", schema_of::<TeamEvent>),
    event(TEAM_MEMBER_ADDED, "A member was given a seat on a team.", schema_of::<TeamMemberEvent>),
    event(
        TEAM_MEMBER_ROLE_CHANGED,
        "A team seat's role changed; data carries the new role.",
        schema_of::<TeamMemberEvent>,
    ),
    event(
        TEAM_MEMBER_REMOVED,
        "A seat on a team was removed (directly or with the membership).",
        schema_of::<TeamMemberEvent>,
    ),
    event(INVITATION_CREATED, "A person was invited to the organization by e-mail.", schema_of::<InvitationEvent>),
    event(
        INVITATION_ACCEPTED,
        "An invitation was accepted; data names the member it made.",
        schema_of::<InvitationEvent>,
    ),
    event(INVITATION_DECLINED, "An invitation was declined.", schema_of::<InvitationEvent>),
    event(
        INVITATION_REVOKED,
        "A pending invitation was revoked (or its sender's account deleted).",
        schema_of::<InvitationEvent>,
    ),
    event(
        INVITATION_EXPIRED,
        "A pending invitation was found past its expiry and marked expired.",
        schema_of::<InvitationEvent>,
    ),
];

/// `org.created`, `org.updated`, `org.deleted`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgEvent {
    /// The organization.
    pub org_id: OrgId,
    /// Its display name.
    pub name: String,
    /// Its URL name.
    pub slug: String,
    /// For `org.updated`: the fields that changed (`name`, `slug`, `settings`, `metadata`); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<&'static str>,
}

/// `member.added`, `member.role_changed`, `member.removed`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberEvent {
    /// The organization.
    pub org_id: OrgId,
    /// The member.
    pub user_id: UserId,
    /// The member's role (for `member.removed`, the role they held).
    pub role: RoleKey,
    /// For `member.role_changed`: the role before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_role: Option<RoleKey>,
    /// How it happened: `created`, `invitation`, `changed`, `transfer`, `removed`, `left` or `account_deleted`.
    pub via: &'static str,
}

/// `team.created`, `team.updated`, `team.deleted`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamEvent {
    /// The organization.
    pub org_id: OrgId,
    /// The team.
    pub team_id: TeamId,
    /// The team's name.
    pub name: String,
}

/// `team.member_added`, `team.member_role_changed`, `team.member_removed`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberEvent {
    /// The organization.
    pub org_id: OrgId,
    /// The team.
    pub team_id: TeamId,
    /// The member holding the seat.
    pub user_id: UserId,
    /// The seat's role (for `team.member_removed`, the role it had).
    pub role: TeamRole,
}

/// `invitation.*`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationEvent {
    /// The organization.
    pub org_id: OrgId,
    /// The invitation.
    pub invitation_id: InvitationId,
    /// The invited address.
    pub email: String,
    /// The role the invitation grants.
    pub role: RoleKey,
    /// For `invitation.accepted`: the member it made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_kernel::roles::BuiltInRole;

    fn assert_matches_schema(name: &str, data: impl serde::Serialize) {
        tessera_kernel::event_types::testing::assert_matches_schema(EVENT_TYPES, name, data);
    }

    #[test]
    fn every_event_type_is_catalogued_once_with_an_object_schema() {
        tessera_kernel::event_types::testing::assert_catalogued("orgs", ALL, EVENT_TYPES);
    }

    #[test]
    fn emitted_payloads_match_their_schemas() {
        let (org_id, user_id, team_id) = (OrgId::new(), UserId::new(), TeamId::new());
        let org = |changed| OrgEvent { org_id, name: "Acme".into(), slug: "acme".into(), changed };
        assert_matches_schema(ORG_CREATED, org(vec![]));
        assert_matches_schema(ORG_UPDATED, org(vec!["name", "slug"]));
        let member =
            |previous_role, via| MemberEvent { org_id, user_id, role: BuiltInRole::Admin.into(), previous_role, via };
        assert_matches_schema(MEMBER_ADDED, member(None, "invitation"));
        assert_matches_schema(MEMBER_ROLE_CHANGED, member(Some(BuiltInRole::Member.into()), "changed"));
        assert_matches_schema(TEAM_DELETED, TeamEvent { org_id, team_id, name: "Ops".into() });
        let seat = TeamMemberEvent { org_id, team_id, user_id, role: TeamRole::Viewer };
        assert_matches_schema(TEAM_MEMBER_ROLE_CHANGED, seat);
        let invitation = |user_id| InvitationEvent {
            org_id,
            invitation_id: InvitationId::new(),
            email: "bob@example.test".into(),
            role: BuiltInRole::Member.into(),
            user_id,
        };
        assert_matches_schema(INVITATION_CREATED, invitation(None));
        assert_matches_schema(INVITATION_ACCEPTED, invitation(Some(user_id)));
    }
}
