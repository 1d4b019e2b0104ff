//! The server edge's clock: the only place onestop reads the time of day. Everything inward
//! receives the time as a value.

use jiff::Timestamp;

/// The current time.
#[allow(clippy::disallowed_methods)] // This is the edge the lint points everyone else to.
pub fn now() -> Timestamp {
    Timestamp::now()
}
