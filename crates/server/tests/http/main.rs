//! Integration tests of the HTTP kernel: the envelope for bad input, request ids,
//! security headers, CORS, body and rate limits, timeouts, health, metrics, the
//! OpenAPI document and the offline docs UI, and graceful shutdown — each against
//! the real server on a random port; and the document against the real answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod contract;
mod cors;
mod docs;
mod envelope;
mod headers;
mod limits;
mod observability;
mod shared_limits;
mod shutdown;
mod support;
