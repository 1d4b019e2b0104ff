//! The citizens' voice (case study §2.8): ratings after every service and at the exit, and
//! complaints and suggestions from every channel with their workflow and answer deadlines, the
//! Bank of Ideas, and surveys.
//!
//! Nothing here ties a rating to the citizen: a rating names the ticket, service, provider,
//! window and officer, never the ticket's holder.

pub mod complaint;
pub mod idea;
pub mod rating;
pub mod survey;
