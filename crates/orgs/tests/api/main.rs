//! Integration tests of the orgs module, driving the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod bulk;
mod events;
mod gdpr;
mod invitation_errors;
mod invitations;
mod members;
mod orgs;
mod support;
mod teams;
