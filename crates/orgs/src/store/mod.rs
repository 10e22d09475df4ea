//! SeaORM queries of the orgs module. Stores make no decisions; every function
//! takes the connection (pool or transaction) it runs on, and the organization it
//! is scoped to where there is one.

pub mod invitations;
pub mod members;
pub mod orgs;
pub mod teams;

/// Ids per `IN (…)` list, well under every engine's parameter limit.
pub(crate) const CHUNK: usize = 500;
