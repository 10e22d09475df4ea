//! What other modules may ask the orgs module: who holds which roles in an
//! organization, with the names and addresses to reach them. [`Orgs`] is
//! provided to later modules through the module wiring (and as the kernel's
//! [`tessera_kernel::authz::Directory`]); only the methods of this file are public.

use serde::Serialize;
use tessera_kernel::ApiError;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::roles::RoleKey;

pub use crate::service::Orgs;
use crate::store;

/// A member as another module reaches them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: RoleKey,
}

impl Orgs {
    /// Every member of `org` holding one of `roles` (all of them, however many),
    /// with name and address, in the order they joined.
    pub async fn members_with_roles(&self, org: OrgId, roles: &[RoleKey]) -> Result<Vec<Contact>, ApiError> {
        let mut rows = Vec::new();
        for role in roles {
            rows.extend(store::members::all(&self.core.db.conn, org, Some(role)).await?);
        }
        rows.sort_by_key(|m| (m.joined_at, m.user_id));
        let ids: Vec<UserId> = rows.iter().map(|m| m.user_id).collect();
        let people = self.people(&ids).await?;
        Ok(rows
            .into_iter()
            .filter_map(|m| {
                let person = people.get(&m.user_id)?;
                Some(Contact {
                    user_id: m.user_id,
                    email: person.email.clone(),
                    name: person.name.clone(),
                    role: m.role,
                })
            })
            .collect())
    }
}
