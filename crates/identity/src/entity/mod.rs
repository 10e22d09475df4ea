//! SeaORM entities of the identity module, one table per file.

pub mod action_tokens;
pub mod refresh_tokens;
pub mod sessions;
pub mod signing_keys;
pub mod users;
