//! onestop's rules and types.
//!
//! This crate is pure: it performs no I/O, reads no clock and knows nothing of HTTP or SQL.
//! Time, ids and stored state are passed in, so every rule is testable on its own.
//! One module per area of the product; each later capability adds its own.

pub mod idempotency;
