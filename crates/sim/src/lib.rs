//! onestop's centre simulator.
//!
//! A discrete-event simulation of a service centre ([`engine`]) over a [`model::Scenario`]:
//! walk-ins arriving per service at rates that vary by hour and weekday, booked appointments,
//! priority visitors, visitors who give up, log-normal, exponential or empirical service times,
//! and windows opening and closing by a staffing plan. It runs the domain's own calling rules
//! and wait predictor (`onestop_domain::queue`), so what it measures is what the server does.
//!
//! Around it: [`plan`] builds a scenario from the catalogue, a date and a plan file;
//! [`report`] sums a day's waits and utilisation per service and hour; [`planner`] recommends
//! windows per hour (Erlang C, Erlang A from `onestop_domain::staffing`, checked by simulation);
//! [`accuracy`] measures the wait predictor against what happened.

pub mod accuracy;
pub mod engine;
pub mod model;
pub mod plan;
pub mod planner;
pub mod report;
pub mod rng;
