//! Integration tests of the events module, driving the real server over HTTP
//! (and, for subscribers and the relay, the library on the server's database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod catalogue;
mod consumers;
mod history;
mod nats;
mod ordering;
mod publish;
mod support;
