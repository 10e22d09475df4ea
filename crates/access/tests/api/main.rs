//! Integration tests of the access module, driving the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod api_keys;
mod bad_input;
mod catalogue;
mod checks;
mod cleanup;
mod grants;
mod key_rights;
mod nodes;
mod personal_keys;
mod rate_limit;
mod roles;
mod withdrawn;
