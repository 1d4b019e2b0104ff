//! The JSON API under `/api/v1`.

pub mod audit;
pub mod booking;
pub mod cases;
pub mod complaints;
pub mod feedback;
pub mod ideas;
pub mod me;
pub mod monitoring;
pub mod payments;
pub mod queue;
pub mod registry;
pub mod staff;
pub mod surveys;
