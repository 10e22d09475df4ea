//! Use cases of the orgs module. [`Orgs`] holds what they share: the core, the
//! identity module (names and addresses of members), and this node's cache of
//! who holds which role, read on every authorization check.

pub(crate) mod cache;
mod directory;
pub(crate) mod expiry;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod personal;
pub mod public;
pub mod teams;

use std::sync::Arc;
use std::time::Duration;

use tessera_identity::api::{Identity, UserSummary};
pub(crate) use tessera_kernel::audit::Target;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::{RoleKey, TeamRole};
use tessera_kernel::{ApiError, Core, Millis};

use crate::config::OrgsConfig;

/// A team seat as checks need it: the team's organization and the seat's role.
pub(crate) type Seat = (OrgId, TeamRole);

/// The orgs module's services.
pub struct Orgs {
    pub(crate) core: Core,
    pub(crate) identity: Arc<Identity>,
    /// `(org, user)` → the member's role, or `None` for "not a member".
    pub(crate) roles: moka::sync::Cache<(OrgId, UserId), Option<RoleKey>>,
    /// `(team, user)` → the team's organization and the seat's role.
    pub(crate) seats: moka::sync::Cache<(TeamId, UserId), Option<Seat>>,
    /// Organization rows as `GET /orgs/{id}` shows them (read on every such request).
    pub(crate) rows: moka::sync::Cache<OrgId, Arc<crate::entity::orgs::Model>>,
}

impl Orgs {
    /// Builds the module and registers its part of users' personal data, its
    /// expiry job and the watcher that keeps this node's caches current.
    /// Changes made on this node apply to its caches at once; those made on
    /// another as soon as this node hears of their event (see [`cache`]);
    /// `orgs.membership_cache_secs` bounds only what no event announces.
    pub(crate) fn new(core: Core, cfg: &OrgsConfig, identity: Arc<Identity>) -> Arc<Self> {
        let ttl = Duration::from_secs(cfg.membership_cache_secs);
        let orgs = Arc::new(Self {
            roles: moka::sync::Cache::builder().max_capacity(200_000).time_to_live(ttl).build(),
            seats: moka::sync::Cache::builder().max_capacity(200_000).time_to_live(ttl).build(),
            rows: moka::sync::Cache::builder().max_capacity(20_000).time_to_live(ttl).build(),
            core: core.clone(),
            identity,
        });
        // A weak link: the registry lives in the core, which the module holds.
        core.personal.register(Arc::new(personal::Memberships(Arc::downgrade(&orgs))));
        core.bus.watch(Arc::new(cache::Forget(Arc::downgrade(&orgs))));
        expiry::register(&orgs);
        orgs
    }

    pub(crate) fn now(&self) -> Millis {
        self.core.clock.now_ms()
    }

    /// Forgets this node's cached role of `user` in `org` (after a committed change).
    pub(crate) fn forget_member(&self, org: OrgId, user: UserId) {
        self.roles.invalidate(&(org, user));
    }

    /// Forgets this node's cached seat of `user` in `team`.
    pub(crate) fn forget_seat(&self, team: TeamId, user: UserId) {
        self.seats.invalidate(&(team, user));
    }

    /// Forgets every cached role (an organization or team was deleted: rare).
    pub(crate) fn forget_all(&self) {
        self.roles.invalidate_all();
        self.seats.invalidate_all();
        self.rows.invalidate_all();
    }

    /// Names and addresses of `ids`, by id.
    pub(crate) async fn people(
        &self,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, UserSummary>, ApiError> {
        let found = self.identity.users_by_ids(ids).await?;
        Ok(found.into_iter().map(|u| (u.id, u)).collect())
    }
}
