//! `/authz/check` for other services: whether a subject (the caller by default)
//! holds a permission in an organization. Asking about someone else takes
//! `authz:check` there. Whatever the subject, an organization the caller cannot
//! see answers `{allowed: false, reason: "not a member"}`, exactly as one that
//! does not exist, so the answer never reveals what the caller may not know.

use std::collections::HashMap;
use tessera_kernel::Permission;

use tessera_kernel::authz::{Decision, ResourceRef};
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};
use tessera_kernel::{Actor, ApiError};
use uuid::Uuid;

use super::authn::key_actor;
use super::check::NOT_A_MEMBER;
use super::{Access, Subject};
use crate::error::AccessError;
use crate::model::AUTHZ_CHECK;
use crate::store;

/// One question.
#[derive(Clone, Debug)]
pub struct CheckQuery {
    /// A user id or API key id; `None` asks about the caller.
    pub subject: Option<Uuid>,
    pub org: OrgId,
    pub permission: Permission,
    pub resource: Option<ResourceRef>,
}

/// What the caller may ask about an organization.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Cannot see it: every answer is "not a member".
    Hidden,
    /// Sees it, but may only ask about itself.
    SelfOnly,
    /// Holds `authz:check` there.
    Anyone,
}

fn is_caller(caller: &Actor, subject: Uuid) -> bool {
    match caller {
        Actor::User(u) => u.user_id.as_uuid() == subject,
        Actor::ApiKey(k) => k.key_id.as_uuid() == subject,
    }
}

impl Access {
    async fn standing(&self, caller: &Actor, org: OrgId) -> Result<Standing, ApiError> {
        let me = Subject::from(caller);
        if !self.visible(&me, org).await? {
            return Ok(Standing::Hidden);
        }
        let may = self.decide(&me, org, AUTHZ_CHECK, None).await?.allowed;
        Ok(if may { Standing::Anyone } else { Standing::SelfOnly })
    }

    /// The subject an id names in `org`: a member (from the directory's cache), else
    /// a live key, else a user (who then holds nothing there).
    async fn subject_by_id(&self, org: OrgId, id: Uuid) -> Result<Subject, ApiError> {
        if self.directory.org_role(org, UserId(id)).await?.is_some() {
            return Ok(Subject::User(UserId(id)));
        }
        if self.not_keys.contains_key(&id) {
            return Ok(Subject::User(UserId(id)));
        }
        let key = store::api_keys::find(&self.core.db.conn, ApiKeyId(id)).await?;
        let now = self.now();
        match key.filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now)) {
            Some(key) => Ok(Subject::Key(key_actor(&key, &self.catalogue))),
            None => {
                self.not_keys.insert(id, ());
                Ok(Subject::User(UserId(id)))
            }
        }
    }

    /// Answers each question in order. Asking about another subject in an
    /// organization the caller sees without holding `authz:check` fails the call (403).
    #[tracing::instrument(skip_all)]
    pub async fn check_many(&self, caller: &Actor, queries: &[CheckQuery]) -> Result<Vec<Decision>, ApiError> {
        let mut standings: HashMap<OrgId, Standing> = HashMap::new();
        let mut out = Vec::with_capacity(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let subject = match q.subject {
                None => Subject::from(caller),
                Some(s) if is_caller(caller, s) => Subject::from(caller),
                Some(s) => {
                    let standing = match standings.get(&q.org) {
                        Some(st) => *st,
                        None => {
                            let st = self.standing(caller, q.org).await?;
                            standings.insert(q.org, st);
                            st
                        }
                    };
                    match standing {
                        Standing::Hidden => {
                            out.push(Decision { allowed: false, reason: NOT_A_MEMBER.into() });
                            continue;
                        }
                        Standing::SelfOnly => {
                            let at = if queries.len() > 1 { format!(" (check {i})") } else { String::new() };
                            return Err(AccessError::Forbidden(format!(
                                "asking about another subject needs the permission authz:check{at}"
                            ))
                            .into());
                        }
                        Standing::Anyone => self.subject_by_id(q.org, s).await?,
                    }
                }
            };
            out.push(self.decide(&subject, q.org, q.permission, q.resource.as_ref()).await?);
        }
        Ok(out)
    }
}
