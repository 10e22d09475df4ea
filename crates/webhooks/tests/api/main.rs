//! Integration tests of the webhooks module, driving the real server over HTTP
//! and receiving its deliveries on local receivers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod access;
mod bad_input;
mod disabling;
mod endpoints;
mod filters;
mod handover;
mod in_flight;
mod nodes;
mod queue_tables;
mod retention;
mod retries;
mod seed_fields;
mod signatures;
mod ssrf;
