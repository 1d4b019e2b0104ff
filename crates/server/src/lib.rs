//! The `onestop` binary's library: configuration, telemetry, opening the database, and running
//! the server with graceful shutdown. `main.rs` holds only the command line.

pub mod admin;
pub mod audit_key;
pub mod booking_sweep;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo_driver;
pub mod monitoring_jobs;
pub mod outbox_worker;
pub mod queue_day;
pub mod serve;
pub mod simulate;
pub mod telemetry;
