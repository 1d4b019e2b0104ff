//! onestop's rules and types.
//!
//! This crate is pure: it performs no I/O, reads no clock and knows nothing of HTTP or SQL.
//! Time, ids, random bytes and stored state are passed in, so every rule is testable on its own.
//! One module per area of the product; each later capability adds its own.

pub mod audit;
pub mod booking;
pub mod calendar;
pub mod cases;
pub mod catalogue;
pub mod cpsv;
pub mod feedback;
pub mod fees;
pub mod idempotency;
pub mod identity;
pub mod monitoring;
pub mod notify;
pub mod password;
pub mod payments;
pub mod pii;
pub mod queue;
pub mod session;
pub mod staffing;
pub mod throttle;
pub mod token;
