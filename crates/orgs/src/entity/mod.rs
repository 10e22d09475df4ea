//! SeaORM entities of the orgs module, one table per file.

pub mod invitations;
pub mod members;
pub mod orgs;
pub mod team_members;
pub mod teams;
