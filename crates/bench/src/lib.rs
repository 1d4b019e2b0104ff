//! Benchmark programs of onestop, run by `onestop-bench` (see `docs/benchmarks.md`).
//!
//! The queue benchmark starts a real `onestop serve` process on a fresh database, fills it with a
//! network of 50 centres × 20 windows (an officer signed in at each window, a kiosk token per
//! centre), and drives it over HTTP with a mix of ticket operations — issue, call next, start,
//! finish — measuring sustained operations per second and latency percentiles. In the same run it
//! measures a raw single-row durable insert loop on the same database, the baseline the figures are
//! compared with, and how long a call takes to reach many hall screens connected over SSE.
//!
//! The pieces are public so the crash test (`tests/crash.rs`) can kill the server in the middle
//! of the load and check what survived.

pub mod booking;
pub mod catalogue;
pub mod client;
pub mod load;
pub mod monitoring;
pub mod raw;
pub mod screens;
pub mod server;
pub mod setup;
pub mod stats;
pub mod syncs;

/// The monotonic clock of the load generator: measuring latency is this crate's purpose, so it
/// reads the clock itself rather than through the server's edge.
#[allow(clippy::disallowed_methods)]
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}
