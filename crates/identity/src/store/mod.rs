//! SeaORM queries of the identity module. Stores make no decisions; every function
//! takes the connection (pool or transaction) it runs on.

pub mod action_tokens;
pub mod sessions;
pub mod users;
