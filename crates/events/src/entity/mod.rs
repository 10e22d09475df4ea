//! The events module's tables.

pub mod event_cursors;
pub mod event_idempotency;
pub mod event_log;
pub mod event_relay;
