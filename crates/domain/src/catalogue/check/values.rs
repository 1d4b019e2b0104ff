//! Checks of small values: texts, codes, coordinates, time zones, dates and times.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::{Date, Time, Weekday};

use super::Checker;
use crate::catalogue::model::{Channel, Location, Text};
use crate::catalogue::node::{Node, Value, join};

impl Checker<'_> {
    /// Checks that `text` has every declared language, none empty, and no other language.
    pub(super) fn text(&mut self, path: &str, text: &Text) {
        let Some(languages) = self.languages.clone() else { return };
        for language in &languages {
            match text.get(language) {
                None => self.error(
                    path,
                    format!("the `{language}` text is missing (every declared language is required)"),
                ),
                Some(value) if value.trim().is_empty() => {
                    self.error(&join(path, language), format!("the `{language}` text is empty"))
                }
                Some(_) => {}
            }
        }
        for (language, _) in text.iter() {
            if !languages.iter().any(|l| l == language) {
                self.error(
                    &join(path, language),
                    format!(
                        "`{language}` is not a language declared in country.languages ({})",
                        languages.join(", ")
                    ),
                );
            }
        }
    }

    /// Checks a code's spelling and that it is not used twice among `seen`.
    pub(super) fn code(
        &mut self,
        item_path: &str,
        code: &str,
        case: CodeCase,
        what: &str,
        seen: &mut HashMap<String, String>,
    ) {
        let path = join(item_path, "code");
        if !is_code(code, case) {
            let letters = match case {
                CodeCase::Upper => "upper-case letters",
                CodeCase::Lower => "lower-case letters",
            };
            self.error(
                &path,
                format!("`{code}` is not a {what} code: use {letters}, digits and `-`, at most 40"),
            );
        }
        if let Some(first) = seen.get(code) {
            let line = self.index.place(first).line;
            self.error(&path, format!("duplicate {what} code `{code}` (first used on line {line})"));
        } else {
            seen.insert(code.to_owned(), path);
        }
    }

    pub(super) fn location(&mut self, path: &str, location: Location) {
        if !(location.lat.is_finite() && (-90.0..=90.0).contains(&location.lat)) {
            self.error(&join(path, "lat"), format!("latitude {} is out of range (-90 to 90)", location.lat));
        }
        if !(location.lon.is_finite() && (-180.0..=180.0).contains(&location.lon)) {
            self.error(
                &join(path, "lon"),
                format!("longitude {} is out of range (-180 to 180)", location.lon),
            );
        }
    }

    /// An IANA time zone name's spelling (`Asia/Baku`, `UTC`). Whether the zone exists is not
    /// checked here: that needs the time zone database, which the pure domain does not read.
    pub(super) fn time_zone(&mut self, path: &str, zone: &str) {
        let ok = !zone.is_empty()
            && zone.len() <= 64
            && zone.split('/').all(|part| {
                part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            });
        if !ok {
            self.error(path, format!("`{zone}` is not an IANA time zone name like Asia/Baku"));
        }
    }

    /// A date written `YYYY-MM-DD`.
    pub(super) fn date(&mut self, path: &str, text: &str) -> Option<Date> {
        let date = parse_date(text);
        if date.is_none() {
            self.error(path, format!("`{text}` is not a date written YYYY-MM-DD"));
        }
        date
    }

    /// A time of day written `HH:MM` (00:00 to 23:59).
    pub(super) fn time(&mut self, path: &str, text: &str) -> Option<Time> {
        let time = parse_hhmm(text);
        if time.is_none() {
            self.error(path, format!("`{text}` is not a time of day written HH:MM (00:00 to 23:59)"));
        }
        time
    }
}

/// A date written exactly `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<Date> {
    let shaped = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return None;
    }
    text.parse::<Date>().ok()
}

/// A time written exactly `HH:MM`, 00:00 to 23:59.
fn parse_hhmm(text: &str) -> Option<Time> {
    match text.as_bytes() {
        [h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) => {
            let hour = i8::try_from((h1 - b'0') * 10 + (h2 - b'0')).ok()?;
            let minute = i8::try_from((m1 - b'0') * 10 + (m2 - b'0')).ok()?;
            Time::new(hour, minute, 0, 0).ok()
        }
        _ => None,
    }
}

#[derive(Clone, Copy)]
pub(super) enum CodeCase {
    Upper,
    Lower,
}

/// Letters of one case, digits and inner `-`, 1 to 40 characters.
pub(super) fn is_code(code: &str, case: CodeCase) -> bool {
    let letter = |c: char| match case {
        CodeCase::Upper => c.is_ascii_uppercase(),
        CodeCase::Lower => c.is_ascii_lowercase(),
    };
    (1..=40).contains(&code.len())
        && code.chars().all(|c| letter(c) || c.is_ascii_digit() || c == '-')
        && !code.starts_with('-')
        && !code.ends_with('-')
}

/// The `code` of every item of the top-level list `key`, whatever shape the items are in.
pub(super) fn codes(root: &Node, key: &str) -> BTreeSet<String> {
    match root.get(key) {
        Some(Node { value: Value::Seq(items), .. }) => {
            items.iter().filter_map(|item| item.get("code").and_then(Node::scalar_text)).collect()
        }
        _ => BTreeSet::new(),
    }
}

pub(super) fn hhmm(time: Time) -> String {
    crate::catalogue::file::hhmm(time)
}

pub(super) fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Centre => "centre",
        Channel::MobileBus => "mobile_bus",
        Channel::HomeService => "home_service",
        Channel::Online => "online",
        Channel::CallCentre => "call_centre",
    }
}

pub(super) fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_letters_of_one_case_digits_and_inner_dashes() {
        assert!(is_code("MOJ-BIRTH-REG", CodeCase::Upper));
        assert!(is_code("108", CodeCase::Upper));
        assert!(is_code("civil-status", CodeCase::Lower));
        assert!(!is_code("moj", CodeCase::Upper));
        assert!(!is_code("Civil", CodeCase::Lower));
        assert!(!is_code("-MOJ", CodeCase::Upper));
        assert!(!is_code("MOJ-", CodeCase::Upper));
        assert!(!is_code("MOJ BIRTH", CodeCase::Upper));
        assert!(!is_code("", CodeCase::Upper));
        assert!(!is_code(&"A".repeat(41), CodeCase::Upper));
    }

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse_hhmm("10:00"), Some(Time::constant(10, 0, 0, 0)));
        assert_eq!(parse_hhmm("23:59"), Some(Time::constant(23, 59, 0, 0)));
        assert_eq!(parse_hhmm("00:00"), Some(Time::MIN));
        for bad in ["24:00", "10:60", "9:00", "10:00:00", "10.00", "", "ab:cd"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_yyyy_mm_dd() {
        assert_eq!(parse_date("2026-03-20"), Some(jiff::civil::date(2026, 3, 20)));
        for bad in ["2026-02-30", "2026-3-20", "20260320", "2026-03-20T10:00", "2026-03-20 "] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
