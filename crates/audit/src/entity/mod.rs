//! SeaORM entities of the audit module.

pub mod audit_chains;
pub mod audit_log;
