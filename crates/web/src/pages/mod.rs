//! HTML pages of the staff area.

pub mod account;
pub mod staff;
