//! Who belongs where, as the access module asks on every check: one
//! primary-key lookup each, remembered briefly by this node (changes made here
//! forget the entry at once).

use tessera_kernel::ApiError;
use tessera_kernel::authz::Directory;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::{RoleKey, TeamRole};

use super::Orgs;
use crate::store;

#[async_trait::async_trait]
impl Directory for Orgs {
    async fn org_role(&self, org: OrgId, user: UserId) -> Result<Option<RoleKey>, ApiError> {
        if let Some(cached) = self.roles.get(&(org, user)) {
            return Ok(cached);
        }
        let role = store::members::role(&self.core.db.conn, org, user).await?;
        self.roles.insert((org, user), role.clone());
        Ok(role)
    }

    async fn team_role(&self, org: OrgId, team: TeamId, user: UserId) -> Result<Option<TeamRole>, ApiError> {
        let seat = match self.seats.get(&(team, user)) {
            Some(cached) => cached,
            None => {
                let seat = store::teams::seat_role(&self.core.db.conn, team, user).await?;
                self.seats.insert((team, user), seat);
                seat
            }
        };
        // A seat counts only in the team's own organization.
        Ok(seat.filter(|(o, _)| *o == org).map(|(_, r)| r))
    }

    async fn members_with_role(&self, org: OrgId, role: &RoleKey) -> Result<u64, ApiError> {
        Ok(store::members::count_with_role(&self.core.db.conn, org, role).await?)
    }
}
