//! Integration tests of the identity module, driving the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod bad_input;
mod brute_force;
mod mail_flows;
mod me;
mod nodes;
mod passwords;
mod refresh;
mod register_login;
mod sessions;
mod tokens;
