//! Helpers for `bench/run`; the binaries live in `src/bin/`.
