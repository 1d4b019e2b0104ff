//! Online appointments: the rules of booking a place at a centre for a service at a fixed time.
//!
//! - [`capacity`]: the slots of a centre, service and date, derived from the windows that serve the
//!   service, the opening hours and the service's handling time, with a share per channel.
//! - [`pow`]: the proof-of-work challenge on the booking form.
//! - [`ics`]: the booking as an RFC 5545 calendar file.
//!
//! This module holds the rules that need no storage: the booking window, the hold and release
//! delays, the check-in window, the no-show cool-down, references and one-time codes. Time and
//! random bytes are passed in.

pub mod capacity;
pub mod ics;
pub mod pow;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// Where a booking was made: each channel has its own share of a slot's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookingChannel {
    /// The public website (and the API used anonymously).
    Website,
    /// An operator of the call centre, on the caller's behalf.
    CallCentre,
    /// The information desk of a centre, for a later day.
    InfoDesk,
}

impl BookingChannel {
    /// Every channel.
    pub const ALL: [BookingChannel; 3] =
        [BookingChannel::Website, BookingChannel::CallCentre, BookingChannel::InfoDesk];

    /// The channel's name as stored and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingChannel::Website => "website",
            BookingChannel::CallCentre => "call_centre",
            BookingChannel::InfoDesk => "info_desk",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<BookingChannel> {
        BookingChannel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The life of an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentState {
    /// Held for the person until the one-time code confirms it or the hold expires.
    Held,
    /// Confirmed: the person is expected at its time.
    Confirmed,
    /// Cancelled by the person; its place returns to the slot after the release delay.
    Cancelled,
    /// Not confirmed in time (or too many wrong codes).
    Expired,
    /// Checked in: it became a queue ticket.
    CheckedIn,
    /// Not checked in by the end of the grace period.
    NoShow,
}

impl AppointmentState {
    /// Every state.
    pub const ALL: [AppointmentState; 6] = [
        AppointmentState::Held,
        AppointmentState::Confirmed,
        AppointmentState::Cancelled,
        AppointmentState::Expired,
        AppointmentState::CheckedIn,
        AppointmentState::NoShow,
    ];

    /// The state's name as stored and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentState::Held => "held",
            AppointmentState::Confirmed => "confirmed",
            AppointmentState::Cancelled => "cancelled",
            AppointmentState::Expired => "expired",
            AppointmentState::CheckedIn => "checked_in",
            AppointmentState::NoShow => "no_show",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<AppointmentState> {
        AppointmentState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The thresholds of booking, all configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRules {
    /// The first bookable day, in days after the centre's today (1: from tomorrow).
    pub first_day: i64,
    /// The last bookable day, in days after the centre's today (7: a week ahead).
    pub last_day: i64,
    /// How long a held slot waits for its one-time code.
    pub hold: SignedDuration,
    /// How long a cancelled place stays taken before it is offered again (against trading).
    pub release_delay: SignedDuration,
    /// How early before its time an appointment may be checked in.
    pub check_in_before: SignedDuration,
    /// How late after its time an appointment may still be checked in; later it is a no-show.
    pub grace: SignedDuration,
    /// Wrong one-time codes allowed before the hold is dropped.
    pub code_attempts: u32,
    /// No-shows within [`BookingRules::cool_down`] that bar a person from booking.
    pub no_show_limit: u32,
    /// How long no-shows count against a person.
    pub cool_down: SignedDuration,
    /// The share of each slot's capacity for each channel, in percent (the rest is for walk-ins).
    pub share_website: u32,
    /// The call centre's share, in percent.
    pub share_call_centre: u32,
    /// The information desk's share, in percent.
    pub share_info_desk: u32,
}

impl Default for BookingRules {
    fn default() -> Self {
        BookingRules {
            first_day: 1,
            last_day: 7,
            hold: SignedDuration::from_mins(10),
            release_delay: SignedDuration::from_mins(60),
            check_in_before: SignedDuration::from_mins(10),
            grace: SignedDuration::from_mins(15),
            code_attempts: 5,
            no_show_limit: 2,
            cool_down: SignedDuration::from_hours(24 * 30),
            share_website: 30,
            share_call_centre: 10,
            share_info_desk: 10,
        }
    }
}

impl BookingRules {
    /// The share of `channel`, in percent.
    pub fn share(&self, channel: BookingChannel) -> u32 {
        match channel {
            BookingChannel::Website => self.share_website,
            BookingChannel::CallCentre => self.share_call_centre,
            BookingChannel::InfoDesk => self.share_info_desk,
        }
    }

    /// Whether `day` may be booked when the centre's local date is `today`.
    pub fn bookable_day(&self, today: Date, day: Date) -> Result<(), BookingError> {
        let ahead = (day - today).get_days();
        if i64::from(ahead) < self.first_day || i64::from(ahead) > self.last_day {
            let first = today.checked_add(jiff::Span::new().days(self.first_day)).unwrap_or(today);
            let last = today.checked_add(jiff::Span::new().days(self.last_day)).unwrap_or(today);
            return Err(BookingError::OutsideWindow { first, last });
        }
        Ok(())
    }

    /// Whether a slot starting at `starts_at` may still be booked at `now`: not once it has begun
    /// (it would be a no-show as soon as its grace period ran out).
    pub fn bookable_start(&self, starts_at: Timestamp, now: Timestamp) -> Result<(), BookingError> {
        if starts_at <= now {
            return Err(BookingError::Started);
        }
        Ok(())
    }

    /// Whether an appointment at `starts_at` may be checked in at `now`.
    pub fn check_in(&self, starts_at: Timestamp, now: Timestamp) -> Result<(), BookingError> {
        if now < starts_at - self.check_in_before {
            return Err(BookingError::TooEarly { from: starts_at - self.check_in_before });
        }
        if now > starts_at + self.grace {
            return Err(BookingError::TooLate);
        }
        Ok(())
    }

    /// Whether an appointment at `starts_at`, still confirmed at `now`, is a no-show.
    pub fn is_no_show(&self, starts_at: Timestamp, now: Timestamp) -> bool {
        now > starts_at + self.grace
    }
}

/// Why a booking rule refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// The date is not in the bookable window.
    #[error("appointments can be booked from {first} through {last}")]
    OutsideWindow {
        /// The first bookable date.
        first: Date,
        /// The last bookable date.
        last: Date,
    },
    /// Check-in before its window opens.
    #[error("check-in opens at {from}")]
    TooEarly {
        /// When it opens.
        from: Timestamp,
    },
    /// Check-in after the grace period.
    #[error("the grace period after the appointment's time is over")]
    TooLate,
    /// A slot that has already begun.
    #[error("this time has already begun: choose a later one")]
    Started,
}

/// The letters of references and their spoken-over-the-phone safety: no 0/O, 1/I/L.
const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A booking reference such as `AP-7KQ2-M9XD`, from 8 random bytes (one letter each).
pub fn reference(random: [u8; 8]) -> String {
    let letters: String = random
        .iter()
        .map(|b| char::from(REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()]))
        .collect();
    format!("AP-{}-{}", &letters[..4], &letters[4..])
}

/// Whether `text` has the form of a reference (so a typo is told apart from an unknown one).
pub fn is_reference(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 12
        && text.starts_with("AP-")
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i < 3 || i == 7 || REFERENCE_ALPHABET.contains(c))
}

/// A six-digit one-time code from 4 random bytes.
pub fn one_time_code(random: [u8; 4]) -> String {
    format!("{:06}", u32::from_le_bytes(random) % 1_000_000)
}

/// How a one-time code is stored: its SHA-256 with the reference, hex.
pub fn code_hash(reference: &str, code: &str) -> String {
    let digest = Sha256::digest(format!("{reference}:{}", code.trim()).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_runs_from_tomorrow_through_a_week() {
        let rules = BookingRules::default();
        let today: Date = "2026-11-28".parse().unwrap();
        assert!(rules.bookable_day(today, today).is_err());
        assert!(rules.bookable_day(today, "2026-11-29".parse().unwrap()).is_ok());
        assert!(rules.bookable_day(today, "2026-12-05".parse().unwrap()).is_ok());
        let err = rules.bookable_day(today, "2026-12-06".parse().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "appointments can be booked from 2026-11-29 through 2026-12-05");
        let at: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        assert_eq!(rules.bookable_start(at, at), Err(BookingError::Started), "a slot that begins now");
        assert!(rules.bookable_start(at, at - jiff::SignedDuration::from_secs(1)).is_ok());
    }

    #[test]
    fn check_in_opens_before_and_closes_after_the_grace() {
        let rules = BookingRules::default();
        let at: Timestamp = "2026-11-29T08:00:00Z".parse().unwrap();
        assert!(matches!(
            rules.check_in(at, at - SignedDuration::from_mins(11)),
            Err(BookingError::TooEarly { .. })
        ));
        assert!(rules.check_in(at, at - SignedDuration::from_mins(10)).is_ok());
        assert!(rules.check_in(at, at + SignedDuration::from_mins(15)).is_ok());
        assert_eq!(rules.check_in(at, at + SignedDuration::from_mins(16)), Err(BookingError::TooLate));
        assert!(rules.is_no_show(at, at + SignedDuration::from_mins(16)));
        assert!(!rules.is_no_show(at, at + SignedDuration::from_mins(15)));
    }

    #[test]
    fn references_and_codes_have_their_forms() {
        let r = reference([0, 1, 2, 3, 30, 31, 200, 255]);
        assert!(is_reference(&r), "{r}");
        assert!(!is_reference("AP-0000-0000"));
        assert!(!is_reference("AP-ABCDEFGH"));
        assert_eq!(one_time_code([1, 0, 0, 0]), "000001");
        assert_ne!(code_hash(&r, "123456"), code_hash(&r, "123457"));
        assert_eq!(code_hash(&r, " 123456 "), code_hash(&r, "123456"));
        for state in AppointmentState::ALL {
            assert_eq!(AppointmentState::parse(state.as_str()), Some(state));
        }
        for channel in BookingChannel::ALL {
            assert_eq!(BookingChannel::parse(channel.as_str()), Some(channel));
        }
    }
}
