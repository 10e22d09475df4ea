//! What the module's own tests reach inside it for (feature `testing`, never in
//! a build that serves): its tables and ids, to check what retention and a
//! deletion left, the queue index, and retention on demand.

pub use crate::entity::{attempts, deliveries, endpoints};
pub use crate::ids::{DeliveryId, EndpointId};
pub use crate::migration::QUEUED;
pub use crate::service::Webhooks;
pub use crate::service::retention::apply as apply_retention;
