//! SeaORM queries of the access module; every function names the organization or
//! key it is scoped to, and none makes a decision.

pub mod api_keys;
pub mod grants;
pub mod roles;

/// One page of a list: 1-based `page`, `limit` rows.
#[derive(Clone, Copy, Debug)]
pub struct PageReq {
    pub page: u64,
    pub limit: u64,
}

impl PageReq {
    pub fn offset(&self) -> u64 {
        (self.page.max(1) - 1) * self.limit
    }
}
