//! The queue day of a centre: which local date a ticket belongs to, and when a day is over so that
//! its remaining tickets close with the outcome "centre closed" (see
//! [`Action::CloseDay`](super::ticket::Action::CloseDay)).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::catalogue::{Centre, Country};

/// The centre's time zone (its own, else the country's); UTC if the name is unknown, which a
/// parsed catalogue rules out.
pub fn zone(centre: &Centre, country: &Country) -> TimeZone {
    TimeZone::get(centre.time_zone(country)).unwrap_or(TimeZone::UTC)
}

/// The centre's local date at `now`: the day a ticket issued now is numbered in.
pub fn local_date(centre: &Centre, country: &Country, now: Timestamp) -> Date {
    now.to_zoned(zone(centre, country)).date()
}

/// Whether the centre is open at `now` (its hours that date, special days and holidays included).
pub fn is_open(centre: &Centre, country: &Country, now: Timestamp) -> bool {
    let local = now.to_zoned(zone(centre, country));
    centre
        .hours_on_date(local.date(), country)
        .is_some_and(|(open, close)| open <= local.time() && local.time() < close)
}

/// Whether queue day `day` of the centre is over at `now`: it is before the centre's local date,
/// or it is that date and the centre has closed (or does not open at all that date).
pub fn day_is_over(centre: &Centre, country: &Country, day: Date, now: Timestamp) -> bool {
    let local = now.to_zoned(zone(centre, country));
    match day.cmp(&local.date()) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => {
            centre.hours_on_date(day, country).is_none_or(|(_, close)| local.time() >= close)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::parse_catalogue;

    fn demo() -> crate::catalogue::Catalogue {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/asan-demo.yaml"))
                .unwrap();
        parse_catalogue(&text).unwrap()
    }

    #[test]
    fn a_day_is_over_after_closing_time_in_the_centre_zone() {
        let catalogue = demo();
        let centre = catalogue.centre("BAKU-1").unwrap();
        let country = &catalogue.country;
        // Monday 2 March 2026; Baku is UTC+4.
        let day: Date = "2026-03-02".parse().unwrap();
        let (open, close) = centre.hours_on_date(day, country).unwrap();
        let at = |h: i8, m: i8| -> Timestamp {
            day.at(h, m, 0, 0).to_zoned(TimeZone::get("Asia/Baku").unwrap()).unwrap().timestamp()
        };
        let before_close = at(close.hour(), close.minute()) - jiff::SignedDuration::from_mins(1);
        let at_close = at(close.hour(), close.minute());
        assert_eq!(local_date(centre, country, at_close), day);
        assert!(!day_is_over(centre, country, day, before_close));
        assert!(day_is_over(centre, country, day, at_close));
        assert!(is_open(centre, country, before_close));
        assert!(!is_open(centre, country, at_close));
        assert!(is_open(centre, country, at(open.hour(), open.minute())));
        assert!(!is_open(
            centre,
            country,
            at(open.hour(), open.minute()) - jiff::SignedDuration::from_mins(1)
        ));
        // The day before is over; the day after is not.
        assert!(day_is_over(centre, country, day.yesterday().unwrap(), before_close));
        assert!(!day_is_over(centre, country, day.tomorrow().unwrap(), at_close));
    }

    #[test]
    fn a_closed_date_is_over_from_its_start() {
        let catalogue = demo();
        let centre = catalogue.centre("BAKU-1").unwrap();
        let country = &catalogue.country;
        let holiday = country.holidays.days.first().unwrap().date;
        assert_eq!(centre.hours_on_date(holiday, country), None, "the demo centres close on public holidays");
        let morning =
            holiday.at(9, 0, 0, 0).to_zoned(TimeZone::get("Asia/Baku").unwrap()).unwrap().timestamp();
        assert!(day_is_over(centre, country, holiday, morning));
        assert!(!is_open(centre, country, morning));
    }
}
