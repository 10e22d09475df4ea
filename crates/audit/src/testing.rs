//! What the module's own tests and the benchmark seeder reach inside it for
//! (feature `testing`, never in a build that serves): the chain's hash, to forge
//! an entry and prove verification catches it, the tables, to seed a million
//! entries fast, and retention, to run a pass on demand.

pub use crate::chain::{GENESIS, entry_hash};
pub use crate::commitments::seal as seal_commitments;
pub use crate::entity::{audit_chains, audit_log};
pub use crate::model::Cursor;
pub use crate::service::retention::{RetentionReport, apply as apply_retention};
