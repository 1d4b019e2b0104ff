//! Working-day calendars and legal timeframes.
//!
//! A legal timeframe ("the passport is issued within 10 working days") counts working days: days
//! that are neither a weekend day nor a public holiday. Governments also move days off — in
//! Azerbaijan a Saturday is sometimes declared a working day in exchange for a day off elsewhere —
//! so a weekend date may be declared a working day. Which days form the weekend, the holidays and
//! the declared working days all come from data; nothing here is specific to one country.
//!
//! Counting starts on the day after the application is accepted: with [`Timeframe`] `P1D` an
//! application accepted on a Thursday is due on Friday, and one accepted on a Friday is due on the
//! next working day after the weekend.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

/// Weekend days, public holidays and weekend dates declared working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// Whether each weekday is a weekend day, indexed by [`Weekday::to_monday_zero_offset`].
    /// (jiff's `Weekday` is not `Ord`, so it cannot sit in a `BTreeSet`.)
    weekend: [bool; 7],
    holidays: BTreeMap<Date, String>,
    working_weekend_days: BTreeSet<Date>,
}

/// Why a calendar or a timeframe is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A date is listed both as a holiday and as a declared working day.
    #[error("{date} is both a holiday ({name}) and a declared working day")]
    HolidayAndWorkingDay {
        /// The date.
        date: Date,
        /// The holiday's name.
        name: String,
    },
    /// A declared working day is not a weekend day, so declaring it changes nothing: a data error.
    #[error("{date} is declared a working day but is a {weekday:?}, which is not a weekend day")]
    NotAWeekendDay {
        /// The date.
        date: Date,
        /// Its day of the week.
        weekday: Weekday,
    },
    /// All seven days of the week are weekend days.
    #[error("every day of the week is a weekend day; at least one must be a working day")]
    NoWorkingWeekday,
    /// A timeframe is not of the form `PnD`; the message names the text and the problem.
    #[error("{0}")]
    Timeframe(String),
}

impl WorkingCalendar {
    /// Builds a calendar from the weekend days, the holidays (date and name) and the weekend dates
    /// declared working days.
    ///
    /// A date listed twice as a holiday keeps both names, joined by "; ". Refused: a date that is
    /// both a holiday and a declared working day, a declared working day that is not a weekend day,
    /// and a weekend of all seven days.
    pub fn new(
        weekend: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = (Date, String)>,
        working_days: impl IntoIterator<Item = Date>,
    ) -> Result<WorkingCalendar, CalendarError> {
        let mut weekend_days = [false; 7];
        for day in weekend {
            weekend_days[index(day)] = true;
        }
        if weekend_days.iter().all(|&is_weekend| is_weekend) {
            return Err(CalendarError::NoWorkingWeekday);
        }
        let mut holiday_names: BTreeMap<Date, String> = BTreeMap::new();
        for (date, name) in holidays {
            let entry = holiday_names.entry(date).or_default();
            if entry.is_empty() {
                *entry = name;
            } else if !entry.split("; ").any(|existing| existing == name) {
                entry.push_str("; ");
                entry.push_str(&name);
            }
        }
        let mut working_weekend_days = BTreeSet::new();
        for date in working_days {
            if let Some(name) = holiday_names.get(&date) {
                return Err(CalendarError::HolidayAndWorkingDay { date, name: name.clone() });
            }
            if !weekend_days[index(date.weekday())] {
                return Err(CalendarError::NotAWeekendDay { date, weekday: date.weekday() });
            }
            working_weekend_days.insert(date);
        }
        Ok(WorkingCalendar { weekend: weekend_days, holidays: holiday_names, working_weekend_days })
    }

    /// Whether `date` is a working day: a declared working day, or neither a holiday nor a
    /// weekend day.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.working_weekend_days.contains(&date)
            || (!self.holidays.contains_key(&date) && !self.weekend[index(date.weekday())])
    }

    /// The name of the holiday on `date`, if it is one.
    pub fn holiday(&self, date: Date) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    /// The `n`-th working day after `start`.
    ///
    /// For `n ≥ 1` `start` itself is never counted: the result is the day on which, walking forward
    /// from the day after `start`, the `n`-th working day is met. For `n = 0` the result is `start`
    /// if it is a working day, else the first working day after it — so on a non-working `start`,
    /// `n = 0` and `n = 1` give the same day. For `n ≥ 1`,
    /// `working_days_between(start, add_working_days(start, n)) == n`.
    ///
    /// Dates stop at [`Date::MAX`] (9999-12-31): a count that would pass it returns `Date::MAX`.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut date = start;
        if n == 0 {
            while !self.is_working_day(date) {
                let Ok(next) = date.tomorrow() else { return Date::MAX };
                date = next;
            }
            return date;
        }
        let mut left = n;
        while left > 0 {
            let Ok(next) = date.tomorrow() else { return Date::MAX };
            date = next;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// The number of working days in `(from, to]`: after `from`, up to and including `to`; the
    /// negated count of `(to, from]` when `to` is before `from`, and 0 when they are equal.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let mut count = 0;
        let mut date = from;
        while date < to {
            let Ok(next) = date.tomorrow() else { break };
            date = next;
            if self.is_working_day(date) {
                count += 1;
            }
        }
        count
    }

    /// The legal deadline of an application accepted on `accepted_on`: the last day of the
    /// timeframe, counted as in [`WorkingCalendar::add_working_days`]. `P0D` means the same day
    /// when it is a working day.
    pub fn deadline(&self, accepted_on: Date, timeframe: Timeframe) -> Date {
        self.add_working_days(accepted_on, timeframe.working_days())
    }
}

fn index(day: Weekday) -> usize {
    // 0 (Monday) to 6 (Sunday), so the conversion cannot fail.
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

/// A legal timeframe in working days, written as an ISO 8601 duration in days: `P10D`.
///
/// Only days are accepted: weeks, months and years are not a fixed number of working days, and
/// a timeframe counts whole days. It serializes as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timeframe {
    working_days: u32,
}

impl Timeframe {
    /// A timeframe of `working_days` working days.
    pub const fn new(working_days: u32) -> Timeframe {
        Timeframe { working_days }
    }

    /// Parses `PnD`, e.g. `P10D` or `P0D`; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Timeframe, CalendarError> {
        let text = text.trim();
        let fail = |why: &str| Err(CalendarError::Timeframe(format!("{text}: {why}")));
        if text.is_empty() {
            return Err(CalendarError::Timeframe(
                "the timeframe is empty; write the number of working days as an ISO 8601 duration, e.g. P10D"
                    .to_owned(),
            ));
        }
        if text.bytes().any(|b| b.is_ascii_lowercase()) {
            return fail("write the ISO 8601 designators in upper case, e.g. P10D");
        }
        let Some(body) = text.strip_prefix('P') else {
            return fail("a timeframe is an ISO 8601 duration starting with \"P\", e.g. P10D");
        };
        if body.starts_with('-') {
            return fail("a timeframe cannot be negative");
        }
        if body.contains('T') {
            return fail("a timeframe counts whole working days; hours, minutes and seconds are not allowed");
        }
        if body.is_empty() {
            return fail("the number of days is missing; write e.g. P10D");
        }
        let digits_end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
        let (digits, rest) = body.split_at(digits_end);
        if digits.is_empty() {
            return fail("expected a number of days after \"P\", e.g. P10D");
        }
        let mut rest_chars = rest.chars();
        match rest_chars.next() {
            Some('D') if rest_chars.as_str().is_empty() => {}
            Some('D') => return fail("nothing may follow the days; write only the days, e.g. P10D"),
            Some('Y') => {
                return fail(
                    "years are not a fixed number of working days; write the timeframe in days, e.g. P250D",
                );
            }
            Some('M') => {
                return fail(
                    "months are not a fixed number of working days; write the timeframe in days, e.g. P30D",
                );
            }
            Some('W') => {
                return fail(
                    "weeks are not a fixed number of working days; write the timeframe in days, e.g. P5D",
                );
            }
            Some('.' | ',') => {
                return fail("a timeframe counts whole working days; fractions are not allowed");
            }
            None => return fail("the designator \"D\" is missing after the number, e.g. P10D"),
            Some(_) => return fail("expected the designator \"D\" after the number, e.g. P10D"),
        }
        match digits.parse() {
            Ok(working_days) => Ok(Timeframe { working_days }),
            Err(_) => fail(&format!("too many days (at most {})", u32::MAX)),
        }
    }

    /// The number of working days.
    pub const fn working_days(&self) -> u32 {
        self.working_days
    }
}

/// `P{n}D`, e.g. `P10D`.
impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}D", self.working_days)
    }
}

impl FromStr for Timeframe {
    type Err = CalendarError;

    fn from_str(text: &str) -> Result<Timeframe, CalendarError> {
        Timeframe::parse(text)
    }
}

impl TryFrom<String> for Timeframe {
    type Error = CalendarError;

    fn try_from(text: String) -> Result<Timeframe, CalendarError> {
        Timeframe::parse(&text)
    }
}

impl From<Timeframe> for String {
    fn from(timeframe: Timeframe) -> String {
        timeframe.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    const WEEKEND: [Weekday; 2] = [Weekday::Saturday, Weekday::Sunday];

    fn d(text: &str) -> Date {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn holidays(list: &[(&str, &str)]) -> Vec<(Date, String)> {
        list.iter().map(|(day, name)| (d(day), (*name).to_owned())).collect()
    }

    /// A 2026 calendar shaped like Azerbaijan's: Saturday and Sunday off, Martyrs' Day on a
    /// Tuesday, Women's Day moved from Sunday to Monday, Novruz 20–24 March (Friday to Tuesday),
    /// Armed Forces Day on a Friday, and Saturday 28 March declared a working day.
    fn az_2026() -> WorkingCalendar {
        WorkingCalendar::new(
            WEEKEND,
            holidays(&[
                ("2026-01-20", "Martyrs' Day"),
                ("2026-03-09", "Women's Day (moved from Sunday)"),
                ("2026-03-20", "Novruz"),
                ("2026-03-21", "Novruz"),
                ("2026-03-22", "Novruz"),
                ("2026-03-23", "Novruz"),
                ("2026-03-24", "Novruz"),
                ("2026-06-26", "Armed Forces Day"),
            ]),
            [d("2026-03-28")],
        )
        .expect("valid calendar")
    }

    fn tf(text: &str) -> Timeframe {
        Timeframe::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_test_calendar_falls_on_the_weekdays_it_claims() {
        assert_eq!(d("2026-01-20").weekday(), Weekday::Tuesday);
        assert_eq!(d("2026-03-08").weekday(), Weekday::Sunday);
        assert_eq!(d("2026-03-20").weekday(), Weekday::Friday);
        assert_eq!(d("2026-03-24").weekday(), Weekday::Tuesday);
        assert_eq!(d("2026-03-28").weekday(), Weekday::Saturday);
        assert_eq!(d("2026-06-26").weekday(), Weekday::Friday);
    }

    #[test]
    fn working_days_and_holidays() {
        let cal = az_2026();
        assert!(cal.is_working_day(d("2026-03-19")));
        assert!(!cal.is_working_day(d("2026-03-20")));
        assert!(!cal.is_working_day(d("2026-03-14")), "an ordinary Saturday");
        assert!(!cal.is_working_day(d("2026-03-15")), "an ordinary Sunday");
        assert!(cal.is_working_day(d("2026-03-28")), "a declared working Saturday");
        assert!(!cal.is_working_day(d("2026-03-29")));
        assert_eq!(cal.holiday(d("2026-03-22")), Some("Novruz"));
        assert_eq!(cal.holiday(d("2026-03-25")), None);
        assert_eq!(cal.holiday(d("2026-03-28")), None);
    }

    #[test]
    fn deadlines_across_weekends_and_holidays() {
        let cal = az_2026();
        let cases = [
            // An ordinary week: Monday + 3 is Thursday, Thursday + 1 is Friday.
            ("2026-02-02", "P3D", "2026-02-05"),
            ("2026-02-05", "P1D", "2026-02-06"),
            // Over a weekend: Friday + 1 is Monday, Thursday + 3 is Tuesday.
            ("2026-02-06", "P1D", "2026-02-09"),
            ("2026-02-05", "P3D", "2026-02-10"),
            // Accepted on a Saturday: the first working day is Monday.
            ("2026-02-07", "P1D", "2026-02-09"),
            ("2026-02-07", "P5D", "2026-02-13"),
            // Over a Tuesday holiday.
            ("2026-01-19", "P1D", "2026-01-21"),
            ("2026-01-16", "P3D", "2026-01-22"),
            // A holiday on a Friday makes a long weekend: Thursday + 1 is Monday.
            ("2026-06-25", "P1D", "2026-06-29"),
            ("2026-06-24", "P2D", "2026-06-29"),
            // Novruz, Friday 20 to Tuesday 24 March: Thursday + 1 is Wednesday.
            ("2026-03-19", "P1D", "2026-03-25"),
            ("2026-03-18", "P3D", "2026-03-26"),
            ("2026-03-22", "P1D", "2026-03-25"),
            // The declared working Saturday counts.
            ("2026-03-27", "P1D", "2026-03-28"),
            ("2026-03-27", "P2D", "2026-03-30"),
            ("2026-03-26", "P3D", "2026-03-30"),
            // Women's Day moved to Monday 9 March.
            ("2026-03-06", "P1D", "2026-03-10"),
        ];
        for (accepted, timeframe, due) in cases {
            assert_eq!(cal.deadline(d(accepted), tf(timeframe)), d(due), "{accepted} + {timeframe}");
        }
    }

    #[test]
    fn zero_days() {
        let cal = az_2026();
        // A working day is its own deadline.
        assert_eq!(cal.deadline(d("2026-03-19"), tf("P0D")), d("2026-03-19"));
        assert_eq!(cal.deadline(d("2026-03-28"), tf("P0D")), d("2026-03-28"));
        // Otherwise the next working day: the same as P1D.
        assert_eq!(cal.deadline(d("2026-03-20"), tf("P0D")), d("2026-03-25"));
        assert_eq!(cal.deadline(d("2026-03-20"), tf("P1D")), d("2026-03-25"));
        assert_eq!(cal.add_working_days(d("2026-02-07"), 0), d("2026-02-09"));
    }

    #[test]
    fn long_spans() {
        let cal = az_2026();
        // 60 working days from Monday 5 January: 12 weeks to Monday 30 March, plus five weekday
        // holidays (20 Jan, 9 Mar, 20, 23, 24 Mar), less the working Saturday 28 March.
        let due = cal.deadline(d("2026-01-05"), tf("P60D"));
        assert_eq!(due, d("2026-04-03"));
        assert_eq!(cal.working_days_between(d("2026-01-05"), due), 60);
        let plain = WorkingCalendar::new(WEEKEND, [], []).expect("valid");
        assert_eq!(plain.deadline(d("2026-01-05"), tf("P60D")), d("2026-03-30"));
        // A year of weekdays, across the turn of the year.
        assert_eq!(plain.working_days_between(d("2025-12-31"), d("2026-12-31")), 261);
        assert_eq!(plain.add_working_days(d("2025-12-31"), 261), d("2026-12-31"));
    }

    #[test]
    fn between_counts_after_from_up_to_and_including_to() {
        let cal = az_2026();
        assert_eq!(cal.working_days_between(d("2026-03-19"), d("2026-03-19")), 0);
        assert_eq!(cal.working_days_between(d("2026-03-19"), d("2026-03-24")), 0);
        assert_eq!(cal.working_days_between(d("2026-03-19"), d("2026-03-25")), 1);
        assert_eq!(cal.working_days_between(d("2026-03-18"), d("2026-03-19")), 1);
        assert_eq!(cal.working_days_between(d("2026-03-19"), d("2026-03-18")), -1);
        assert_eq!(cal.working_days_between(d("2026-03-25"), d("2026-03-19")), -1);
        assert_eq!(cal.working_days_between(d("2026-03-26"), d("2026-03-30")), 3);
    }

    #[test]
    fn between_is_symmetric_with_add() {
        let cal = az_2026();
        let mut start = d("2025-12-20");
        let (mut checked, mut days) = (0, 0);
        while start <= d("2026-07-10") {
            for n in 0..=70u32 {
                let due = cal.add_working_days(start, n);
                assert!(cal.is_working_day(due), "{start} + {n} = {due}");
                if n == 0 {
                    assert!(cal.working_days_between(start, due) <= 1);
                    continue;
                }
                let n = i64::from(n);
                assert_eq!(cal.working_days_between(start, due), n, "{start} + {n} = {due}");
                assert_eq!(cal.working_days_between(due, start), -n, "{due} back to {start}");
                // The earliest such day: the day before holds one fewer.
                let before = due.yesterday().expect("in range");
                assert_eq!(cal.working_days_between(start, before), n - 1, "{start} + {n}");
                checked += 1;
            }
            start = start.tomorrow().expect("in range");
            days += 1;
        }
        assert_eq!(days, 203);
        assert_eq!(checked, days * 70);
    }

    #[test]
    fn dates_stop_at_the_end_of_time() {
        let cal = az_2026();
        assert_eq!(cal.add_working_days(date(9999, 12, 20), 100), Date::MAX);
        assert_eq!(cal.add_working_days(Date::MAX, 1), Date::MAX);
        let fridays_only = WorkingCalendar::new(
            [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Saturday,
                Weekday::Sunday,
            ],
            [],
            [],
        )
        .expect("valid");
        assert_eq!(Date::MAX.weekday(), Weekday::Friday);
        assert_eq!(fridays_only.add_working_days(date(9999, 12, 25), 0), Date::MAX);
        assert_eq!(fridays_only.add_working_days(date(9999, 12, 26), 1), Date::MAX);
        assert_eq!(fridays_only.working_days_between(date(9999, 12, 1), Date::MAX), 5);
    }

    #[test]
    fn other_weekends() {
        let no_weekend = WorkingCalendar::new([], [], []).expect("valid");
        assert!(no_weekend.is_working_day(d("2026-03-21")));
        assert_eq!(no_weekend.add_working_days(d("2026-03-20"), 2), d("2026-03-22"));
        let friday_saturday =
            WorkingCalendar::new([Weekday::Friday, Weekday::Saturday], [], []).expect("valid");
        assert_eq!(friday_saturday.add_working_days(d("2026-03-19"), 1), d("2026-03-22"));
        // Duplicates in the weekend list are harmless.
        let doubled = WorkingCalendar::new([Weekday::Sunday, Weekday::Sunday], [], []).expect("valid");
        assert!(doubled.is_working_day(d("2026-03-21")));
        assert!(!doubled.is_working_day(d("2026-03-22")));
    }

    #[test]
    fn constructor_errors() {
        let clash = WorkingCalendar::new(WEEKEND, holidays(&[("2026-03-21", "Novruz")]), [d("2026-03-21")]);
        assert_eq!(
            clash,
            Err(CalendarError::HolidayAndWorkingDay { date: d("2026-03-21"), name: "Novruz".into() })
        );
        assert_eq!(
            clash.expect_err("clash").to_string(),
            "2026-03-21 is both a holiday (Novruz) and a declared working day"
        );
        let weekday = WorkingCalendar::new(WEEKEND, [], [d("2026-03-19")]);
        assert_eq!(
            weekday,
            Err(CalendarError::NotAWeekendDay { date: d("2026-03-19"), weekday: Weekday::Thursday })
        );
        assert_eq!(
            weekday.expect_err("weekday").to_string(),
            "2026-03-19 is declared a working day but is a Thursday, which is not a weekend day"
        );
        let all = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        assert_eq!(WorkingCalendar::new(all, [], []), Err(CalendarError::NoWorkingWeekday));
        assert!(WorkingCalendar::new(all[1..].iter().copied(), [], []).is_ok());
    }

    #[test]
    fn holidays_on_the_same_date_keep_both_names() {
        let cal = WorkingCalendar::new(
            WEEKEND,
            holidays(&[("2026-03-20", "Novruz"), ("2026-03-20", "Ramadan Bayram"), ("2026-03-20", "Novruz")]),
            [],
        )
        .expect("valid");
        assert_eq!(cal.holiday(d("2026-03-20")), Some("Novruz; Ramadan Bayram"));
    }

    #[test]
    fn timeframe_parsing() {
        for (text, days) in
            [("P10D", 10), ("P0D", 0), ("P1D", 1), (" P60D ", 60), ("P007D", 7), ("P4294967295D", u32::MAX)]
        {
            let parsed = tf(text);
            assert_eq!(parsed.working_days(), days, "{text}");
            assert_eq!(parsed, Timeframe::new(days));
        }
        let refused = [
            (
                "",
                "the timeframe is empty; write the number of working days as an ISO 8601 duration, e.g. P10D",
            ),
            ("10", "a timeframe is an ISO 8601 duration starting with \"P\", e.g. P10D"),
            ("10D", "a timeframe is an ISO 8601 duration starting with \"P\", e.g. P10D"),
            ("p10d", "write the ISO 8601 designators in upper case, e.g. P10D"),
            ("P", "the number of days is missing; write e.g. P10D"),
            ("PD", "expected a number of days after \"P\", e.g. P10D"),
            ("P-1D", "a timeframe cannot be negative"),
            ("P+1D", "expected a number of days after \"P\", e.g. P10D"),
            ("P10", "the designator \"D\" is missing after the number, e.g. P10D"),
            ("P10X", "expected the designator \"D\" after the number, e.g. P10D"),
            ("P10DD", "nothing may follow the days; write only the days, e.g. P10D"),
            ("P1D2D", "nothing may follow the days; write only the days, e.g. P10D"),
            ("P1.5D", "a timeframe counts whole working days; fractions are not allowed"),
            ("P1,5D", "a timeframe counts whole working days; fractions are not allowed"),
            ("P1W", "weeks are not a fixed number of working days; write the timeframe in days, e.g. P5D"),
            ("P1M", "months are not a fixed number of working days; write the timeframe in days, e.g. P30D"),
            (
                "P1M10D",
                "months are not a fixed number of working days; write the timeframe in days, e.g. P30D",
            ),
            ("P1Y", "years are not a fixed number of working days; write the timeframe in days, e.g. P250D"),
            ("PT5H", "a timeframe counts whole working days; hours, minutes and seconds are not allowed"),
            ("P1DT12H", "a timeframe counts whole working days; hours, minutes and seconds are not allowed"),
            ("P4294967296D", "too many days (at most 4294967295)"),
        ];
        for (text, why) in refused {
            let message = if text.is_empty() { why.to_owned() } else { format!("{text}: {why}") };
            assert_eq!(Timeframe::parse(text), Err(CalendarError::Timeframe(message.clone())), "{text:?}");
            assert_eq!(text.parse::<Timeframe>().expect_err(text).to_string(), message);
        }
    }

    #[test]
    fn timeframe_display_and_serde() {
        for days in [0, 1, 10, 60, u32::MAX] {
            let timeframe = Timeframe::new(days);
            assert_eq!(tf(&timeframe.to_string()), timeframe);
        }
        assert_eq!(Timeframe::new(10).to_string(), "P10D");
        assert_eq!(tf("P007D").to_string(), "P7D");
        assert_eq!(String::from(Timeframe::new(3)), "P3D");
        let de: StrDeserializer<'_, DeError> = "P10D".into_deserializer();
        assert_eq!(Timeframe::deserialize(de), Ok(Timeframe::new(10)));
        let de: StrDeserializer<'_, DeError> = "P1M".into_deserializer();
        let e = Timeframe::deserialize(de).expect_err("months");
        assert!(e.to_string().starts_with("P1M: months"), "{e}");
    }
}
