//! SeaORM queries of the access module; every function names the organization or
//! key it is scoped to, and none makes a decision.

pub mod api_keys;
pub mod grants;
pub mod roles;

pub use tessera_kernel::PageReq;
