//! The webhooks module's tables.

pub mod attempts;
pub mod deliveries;
pub mod endpoints;
pub mod pacing;
