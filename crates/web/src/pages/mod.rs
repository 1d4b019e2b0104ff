//! HTML pages: the public home and the staff area.

pub mod account;
pub mod audit;
pub mod booking;
pub mod cases;
pub mod complaints;
pub mod feedback;
pub mod home;
pub mod ideas;
pub mod monitoring;
pub mod queue;
pub mod registry;
pub mod registry_admin;
pub mod staff;
pub mod staffing;
pub mod surveys;
