//! What the module's own tests and the benchmark seeder reach inside it for
//! (feature `testing`, never in a build that serves): the tables, to check what
//! a deletion left behind and to seed thousands of organizations fast.

pub use crate::entity::{invitations, members, orgs, team_members, teams};
