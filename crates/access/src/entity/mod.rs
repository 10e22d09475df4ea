//! SeaORM entities of the access module, one table per file.

pub mod api_key_secrets;
pub mod api_keys;
pub mod grants;
pub mod roles;
