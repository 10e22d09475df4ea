//! Integration tests of the audit module, driving the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export;
mod gdpr;
mod listing;
mod org_logs;
mod personal_data;
mod recording;
mod retention;
mod support;
mod verify;
