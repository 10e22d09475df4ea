//! The orgs module's failures and their one mapping to the error envelope.
//!
//! Codes: `NOT_FOUND`, `FORBIDDEN`, `SLUG_TAKEN`, `TEAM_NAME_TAKEN`, `LAST_OWNER`,
//! `ALREADY_MEMBER`, `ALREADY_INVITED`, `ALREADY_IN_TEAM`, `NOT_AN_ORG_MEMBER`,
//! `UNKNOWN_ROLE`, `INVITATION_EXPIRED` (410), `INVITATION_REVOKED` (410),
//! `INVITATION_USED` (410), `INVITATION_NOT_PENDING`, `ROLE_GONE`, `EMAIL_MISMATCH`,
//! `EMAIL_NOT_VERIFIED`, `EMAIL_TAKEN`.

use axum::http::StatusCode;
use serde_json::json;
use tessera_kernel::ApiError;
use tessera_kernel::ids::OrgId;

#[derive(Debug, thiserror::Error)]
pub enum OrgsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this slug is already used by another organization")]
    SlugTaken,
    #[error("this organization already has a team with this name")]
    TeamNameTaken,
    #[error("an organization must keep at least one owner: transfer ownership or delete the organization first")]
    LastOwner,
    /// Erasing an account that still solely owns organizations.
    #[error("you are the last owner of organizations; transfer their ownership or delete them first")]
    LastOwnerOf(Vec<(OrgId, String)>),
    #[error("this person is already a member of the organization")]
    AlreadyMember,
    #[error("a pending invitation for this address exists; resend it instead")]
    AlreadyInvited,
    #[error("this person is already in the team")]
    AlreadyInTeam,
    #[error("only members of the organization can join its teams")]
    NotAnOrgMember,
    #[error("no such role in this organization")]
    UnknownRole,
    #[error("you cannot give this role: it holds permissions you lack, or only an owner may give it")]
    CannotAssignRole,
    #[error("only an owner can change or remove an owner")]
    OwnerRequired,
    #[error("this member's role holds permissions you lack: you cannot change or remove them")]
    Outranked,
    #[error("the invitation has expired; ask for a new one")]
    InvitationExpired,
    #[error("the invitation was revoked")]
    InvitationRevoked,
    #[error("the invitation was already used")]
    InvitationUsed,
    #[error("only a pending invitation can be changed")]
    InvitationNotPending,
    #[error("the role this invitation gives no longer exists; ask for a new invitation")]
    RoleGone,
    #[error("this invitation was sent to another e-mail address")]
    EmailMismatch,
    #[error("verify your e-mail address before accepting an invitation")]
    EmailNotVerified,
    #[error("an account with this e-mail address exists: sign in to accept the invitation")]
    EmailTaken,
    #[error("an API key cannot do this; sign in as the user")]
    PersonOnly,
    #[error("{0}")]
    Invalid(&'static str),
}

impl From<OrgsError> for ApiError {
    fn from(err: OrgsError) -> Self {
        use OrgsError as E;
        let msg = err.to_string();
        match err {
            E::NotFound(what) => ApiError::not_found(what),
            E::SlugTaken => ApiError::conflict("SLUG_TAKEN", msg),
            E::TeamNameTaken => ApiError::conflict("TEAM_NAME_TAKEN", msg),
            E::LastOwner => ApiError::conflict("LAST_OWNER", msg),
            E::LastOwnerOf(orgs) => {
                let list: Vec<_> = orgs.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect();
                let names: Vec<&str> = orgs.iter().map(|(_, n)| n.as_str()).collect();
                ApiError::conflict("LAST_OWNER", format!("{msg}: {}", names.join(", ")))
                    .with_details(json!({ "organizations": list }))
            }
            E::AlreadyMember => ApiError::conflict("ALREADY_MEMBER", msg),
            E::AlreadyInvited => ApiError::conflict("ALREADY_INVITED", msg),
            E::AlreadyInTeam => ApiError::conflict("ALREADY_IN_TEAM", msg),
            E::NotAnOrgMember => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "NOT_AN_ORG_MEMBER", msg),
            E::UnknownRole => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "UNKNOWN_ROLE", msg),
            E::CannotAssignRole | E::OwnerRequired | E::Outranked | E::PersonOnly => ApiError::forbidden(msg),
            E::InvitationExpired => ApiError::gone("INVITATION_EXPIRED", msg),
            E::InvitationRevoked => ApiError::gone("INVITATION_REVOKED", msg),
            E::InvitationUsed => ApiError::gone("INVITATION_USED", msg),
            E::InvitationNotPending => ApiError::conflict("INVITATION_NOT_PENDING", msg),
            E::RoleGone => ApiError::conflict("ROLE_GONE", msg),
            E::EmailMismatch => ApiError::new(StatusCode::FORBIDDEN, "EMAIL_MISMATCH", msg),
            E::EmailNotVerified => ApiError::new(StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED", msg),
            E::EmailTaken => ApiError::conflict("EMAIL_TAKEN", msg),
            E::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", msg),
        }
    }
}
