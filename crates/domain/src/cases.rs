//! Applications: what an officer accepts at a window, with its tracking number, legal deadline and
//! workflow.
//!
//! When an officer accepts a ticket's documents, an application is created with a tracking number
//! (`AS-2026-000123`: the year and a sequence number within it), the documents received and a
//! legal deadline: the service's timeframe counted in working days from the day of acceptance
//! ([`crate::calendar::WorkingCalendar::deadline`]). Its life follows a [`workflow::Workflow`]
//! defined per service as data; every action is appended to its history, never updated in place.
//!
//! An application **breaches** its legal deadline when it reaches no `done` state (ready for
//! collection, out for delivery, issued) by the end of its deadline day; a rejected application is
//! never in breach. A state may also have its own limit in working days (e.g. five days to pay);
//! an application past it is **overdue** in that state.

pub mod workflow;

use crate::calendar::WorkingCalendar;
use jiff::civil::Date;

/// The prefix of tracking numbers.
pub const TRACKING_PREFIX: &str = "AS";

/// The tracking number of the `sequence`-th application of `year`, e.g. `AS-2026-000123`.
pub fn tracking_number(year: i16, sequence: u32) -> String {
    format!("{TRACKING_PREFIX}-{year:04}-{sequence:06}")
}

/// The year and sequence of a tracking number, if `text` is one (case-insensitive, surrounding
/// space ignored).
pub fn parse_tracking(text: &str) -> Option<(i16, u32)> {
    let text = text.trim().to_ascii_uppercase();
    let rest = text.strip_prefix(TRACKING_PREFIX)?.strip_prefix('-')?;
    let (year, sequence) = rest.split_once('-')?;
    if year.len() != 4
        || sequence.len() < 6
        || !(year.bytes().chain(sequence.bytes()).all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((year.parse().ok()?, sequence.parse().ok()?))
}

/// The tracking number in its canonical form, if `text` is one.
pub fn canonical_tracking(text: &str) -> Option<String> {
    parse_tracking(text).map(|(year, sequence)| tracking_number(year, sequence))
}

/// The legal deadline of an application accepted on `accepted_on` for a service with a
/// `timeframe` of working days.
pub fn legal_deadline(
    calendar: &WorkingCalendar,
    accepted_on: Date,
    timeframe: crate::calendar::Timeframe,
) -> Date {
    calendar.deadline(accepted_on, timeframe)
}

/// The day by which an application that entered a state on `entered_on` should leave it, for a
/// state with a limit of `days` working days.
pub fn state_due(calendar: &WorkingCalendar, entered_on: Date, days: Option<u32>) -> Option<Date> {
    days.map(|d| calendar.add_working_days(entered_on, d))
}

/// Whether an application with legal deadline `deadline_on`, done (ready or handed over) on
/// `done_on` if at all, and `rejected` or not, breaches its deadline as of `today`.
pub fn breached(deadline_on: Date, done_on: Option<Date>, rejected: bool, today: Date) -> bool {
    if rejected {
        return false;
    }
    match done_on {
        Some(done) => done > deadline_on,
        None => today > deadline_on,
    }
}

/// Whether an application in a state whose limit ends on `state_due_on` is overdue there `today`.
pub fn overdue(state_due_on: Option<Date>, today: Date) -> bool {
    state_due_on.is_some_and(|due| today > due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn tracking_numbers_read_back_in_any_case() {
        assert_eq!(tracking_number(2026, 123), "AS-2026-000123");
        assert_eq!(parse_tracking(" as-2026-000123 "), Some((2026, 123)));
        assert_eq!(tracking_number(2026, 1_234_567), "AS-2026-1234567");
        assert_eq!(parse_tracking("AS-2026-1234567"), Some((2026, 1_234_567)));
        for bad in ["", "AS-2026", "AS-26-000123", "AS-2026-12345", "XX-2026-000123", "AS-2026-00012a"] {
            assert_eq!(parse_tracking(bad), None, "{bad:?}");
        }
        assert_eq!(canonical_tracking("as-2026-000007").as_deref(), Some("AS-2026-000007"));
    }

    #[test]
    fn breach_counts_from_the_day_after_the_deadline() {
        let deadline = date(2026, 12, 10);
        assert!(!breached(deadline, None, false, date(2026, 12, 10)));
        assert!(breached(deadline, None, false, date(2026, 12, 11)));
        assert!(!breached(deadline, Some(date(2026, 12, 10)), false, date(2027, 1, 1)));
        assert!(breached(deadline, Some(date(2026, 12, 11)), false, date(2026, 12, 11)));
        assert!(!breached(deadline, None, true, date(2027, 1, 1)), "a rejection is not a breach");
        assert!(overdue(Some(date(2026, 12, 1)), date(2026, 12, 2)));
        assert!(!overdue(Some(date(2026, 12, 1)), date(2026, 12, 1)));
        assert!(!overdue(None, date(2026, 12, 1)));
    }
}
