//! The queue in a centre: reading the ID card at the info desk ([`mrz`]), ticket numbers such as
//! `J-017` ([`number`]), the life of a ticket from issue to outcome ([`ticket`]), which ticket a
//! window calls next ([`calling`]) the predicted wait ([`predict`]) and the public statistics ([`stats`]).
//!
//! Everything here is a rule over values passed in: storage keeps the tickets and counters, and the
//! caller passes the time.

pub mod calling;
pub mod mrz;
pub mod number;
pub mod predict;
pub mod stats;
pub mod ticket;
