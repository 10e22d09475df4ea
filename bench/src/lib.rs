//! Helpers for `bench/run`; the binaries live in `src/bin/`.

pub mod seed;
