//! SeaORM queries of the events module. Stores make no decisions; every function
//! takes the connection (pool or transaction) it runs on, and the organization or
//! consumer it is scoped to.

pub mod cursors;
pub mod head;
pub mod idempotency;
pub mod log;
