//! SeaORM queries of the webhooks module. Stores make no decisions; every function
//! takes the connection (pool or transaction) it runs on, and the organization or
//! endpoint it is scoped to.

pub mod attempts;
pub mod deliveries;
pub mod endpoints;
pub mod pacing;
