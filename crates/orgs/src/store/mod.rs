//! SeaORM queries of the orgs module. Stores make no decisions; every function
//! takes the connection (pool or transaction) it runs on, and the organization it
//! is scoped to where there is one.

pub mod invitations;
pub mod members;
pub mod orgs;
pub mod teams;

use sea_orm::sea_query::LockType;
use sea_orm::{ConnectionTrait, DatabaseBackend, QuerySelect, Select};

/// Ids per `IN (…)` list, well under every engine's parameter limit.
pub(crate) const CHUNK: usize = 500;

/// `FOR UPDATE` where the engine has it; SQLite has one writer, so a write
/// transaction already excludes every other.
pub(crate) fn for_update<E: sea_orm::EntityTrait, C: ConnectionTrait>(query: Select<E>, conn: &C) -> Select<E> {
    if conn.get_database_backend() == DatabaseBackend::Sqlite { query } else { query.lock(LockType::Update) }
}

/// The row offset of a 1-based page.
pub(crate) fn offset(page: u64, limit: u64) -> u64 {
    (page.max(1) - 1) * limit
}
