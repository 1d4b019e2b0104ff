//! Centres, utility centres and mobile buses: hours, special days, windows, bank sections, stops.

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

use super::{CentreCode, Country, ProviderCode, Service, ServiceCode, Source, Text};

/// What a centre is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreKind {
    /// A service centre building.
    Centre,
    /// A mobile bus.
    MobileBus,
    /// A centre of utility companies.
    UtilityCentre,
}

/// Whether a centre opens on the country's public holidays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayPolicy {
    /// Closed on public holidays unless a special day says otherwise.
    #[default]
    Closed,
    /// Open on public holidays with its weekday hours.
    Open,
}

/// A service centre, a utility centre or a mobile bus.
#[derive(Debug, Clone, PartialEq)]
pub struct Centre {
    /// Stable code, e.g. `BAKU-1` or `BUS-01`.
    pub code: CentreCode,
    /// Centre, bus or utility centre.
    pub kind: CentreKind,
    /// Its name.
    pub name: Text,
    /// Its address (a bus: its base).
    pub address: Text,
    /// Where it is (a bus: its base).
    pub location: Location,
    /// IANA time zone when it differs from the country's.
    pub time_zone: Option<String>,
    /// Weekly opening hours; a weekday not listed is closed.
    pub hours: Vec<OpeningHours>,
    /// Whether it opens on public holidays.
    pub public_holidays: HolidayPolicy,
    /// Dates with other hours or closed.
    pub special_days: Vec<SpecialDay>,
    /// Floor numbers.
    pub floors: Vec<i32>,
    /// Service windows.
    pub windows: Vec<Window>,
    /// Bank sections, where fees are paid.
    pub bank_sections: Vec<BankSection>,
    /// A bus's stops; empty for a building.
    pub timetable: Vec<Stop>,
    /// Whether its address, coordinates and hours are sourced or assumed.
    pub source: Source,
}

impl Centre {
    /// The hours on `day`, or `None` when closed that weekday.
    pub fn hours_on(&self, day: Weekday) -> Option<(Time, Time)> {
        self.hours.iter().find(|h| h.days.contains(&day)).map(|h| (h.open, h.close))
    }

    /// The hours on `date`, or `None` when closed: a special day's if `date` is one; else closed on
    /// a public holiday of `country` unless the centre opens on holidays; else the weekday's hours.
    pub fn hours_on_date(&self, date: Date, country: &Country) -> Option<(Time, Time)> {
        if let Some(special) = self.special_days.iter().find(|d| d.date == date) {
            return match special.hours {
                DayHours::Closed => None,
                DayHours::Open { open, close } => Some((open, close)),
            };
        }
        let holiday = country.holidays.days.iter().any(|h| h.date == date);
        if holiday && self.public_holidays == HolidayPolicy::Closed {
            return None;
        }
        self.hours_on(date.weekday())
    }

    /// Where a bus stands on `date`, if its timetable says.
    pub fn stop_on(&self, date: Date) -> Option<&Stop> {
        self.timetable.iter().find(|s| s.from <= date && date <= s.to)
    }

    /// The centre's time zone: its own, else the country's.
    pub fn time_zone<'a>(&'a self, country: &'a Country) -> &'a str {
        self.time_zone.as_deref().unwrap_or(&country.time_zone)
    }

    /// Whether the centre offers `service` (see [`Catalogue::offered_at`]).
    pub fn offers(&self, service: &Service) -> bool {
        self.windows.iter().any(|w| w.services.contains(&service.code))
            || self.bank_sections.iter().any(|b| b.provider == service.provider)
    }

    /// The windows where `service` is rendered.
    pub fn windows_for<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Window> + 'a {
        self.windows.iter().filter(move |w| w.services.iter().any(|s| s == service))
    }
}

/// A latitude and longitude in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// Opening hours on some weekdays. A weekday appears in at most one entry of a centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// The weekdays these hours apply to.
    pub days: Vec<Weekday>,
    /// Opening time, local.
    pub open: Time,
    /// Closing time, local; after `open`.
    pub close: Time,
}

/// A date with other hours than usual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    /// The date.
    pub date: Date,
    /// Closed, or open with these hours.
    pub hours: DayHours,
    /// Why, e.g. the eve of a holiday.
    pub note: Option<Text>,
}

/// The hours of one special day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayHours {
    /// Closed all day.
    Closed,
    /// Open from `open` to `close`.
    Open {
        /// Opening time.
        open: Time,
        /// Closing time; after `open`.
        close: Time,
    },
}

/// A service window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Its number, unique in the centre.
    pub number: u32,
    /// The floor it is on.
    pub floor: i32,
    /// The provider whose officer works there.
    pub provider: ProviderCode,
    /// The services rendered there, all of that provider.
    pub services: Vec<ServiceCode>,
}

/// A bank section, where fees are paid; it also renders all the services of its bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankSection {
    /// Its code, unique in the centre.
    pub code: String,
    /// The floor it is on.
    pub floor: i32,
    /// The bank.
    pub provider: ProviderCode,
}

/// Where a mobile bus stands from one date to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// First day there.
    pub from: Date,
    /// Last day there; not before `from`.
    pub to: Date,
    /// The place.
    pub place: Text,
    /// Where exactly.
    pub location: Location,
}
