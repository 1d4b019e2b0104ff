//! The catalogue file's shape: what serde reads and writes. Times, dates, timeframes and rules are
//! text here; the checks turn them into values (see `check.rs`), and export turns values back.

use serde::{Deserialize, Serialize};

use super::model::{
    BankSection, Catalogue, CentreKind, Channel, DayHours, HolidayPolicy, IdAlphabet, Location, ProviderKind,
    Sector, ServiceKind, Source, Text, Window,
};
use crate::fees::Waives;

/// The value of the top-level `format` key.
pub(crate) const FORMAT: &str = "onestop-catalogue";
/// The file format version this code reads and writes.
pub(crate) const VERSION: u32 = 1;

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The whole file, for export (import reads it item by item).
#[derive(Serialize)]
pub(crate) struct FileCatalogue {
    pub format: &'static str,
    pub version: u32,
    pub country: FileCountry,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<FileGroup>,
    pub providers: Vec<FileProvider>,
    pub services: Vec<FileService>,
    pub centres: Vec<FileCentre>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileCountry {
    pub code: String,
    pub name: Text,
    pub currency: FileCurrency,
    pub languages: Vec<String>,
    pub time_zone: String,
    pub national_id: FileNationalId,
    pub phone_prefix: String,
    pub weekend: Vec<Day>,
    #[serde(default)]
    pub holidays: FileHolidays,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub working_weekend_days: Vec<FileWorkingDay>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileCurrency {
    pub code: String,
    pub minor_units: u8,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileNationalId {
    pub name: Text,
    pub length: u8,
    pub alphabet: IdAlphabet,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileHolidays {
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub days: Vec<FileHoliday>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileHoliday {
    pub date: String,
    pub name: Text,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileWorkingDay {
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// A weekday as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Day> for jiff::civil::Weekday {
    fn from(day: Day) -> jiff::civil::Weekday {
        use jiff::civil::Weekday as W;
        match day {
            Day::Monday => W::Monday,
            Day::Tuesday => W::Tuesday,
            Day::Wednesday => W::Wednesday,
            Day::Thursday => W::Thursday,
            Day::Friday => W::Friday,
            Day::Saturday => W::Saturday,
            Day::Sunday => W::Sunday,
        }
    }
}

impl From<jiff::civil::Weekday> for Day {
    fn from(day: jiff::civil::Weekday) -> Day {
        use jiff::civil::Weekday as W;
        match day {
            W::Monday => Day::Monday,
            W::Tuesday => Day::Tuesday,
            W::Wednesday => Day::Wednesday,
            W::Thursday => Day::Thursday,
            W::Friday => Day::Friday,
            W::Saturday => Day::Saturday,
            W::Sunday => Day::Sunday,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileGroup {
    pub code: String,
    pub name: Text,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileProvider {
    pub code: String,
    pub sector: Sector,
    pub kind: ProviderKind,
    pub name: Text,
    #[serde(default)]
    pub source: Source,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileService {
    pub code: String,
    pub provider: String,
    pub group: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub life_events: Vec<String>,
    pub kind: ServiceKind,
    pub name: Text,
    pub description: Text,
    #[serde(default)]
    pub documents: Vec<FileDocument>,
    #[serde(default)]
    pub steps: Vec<Text>,
    pub timeframe: String,
    pub handling_minutes: u32,
    pub fees: FileFees,
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub source: Source,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileDocument {
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Text>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileFees {
    pub state: i64,
    pub service: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<FileExemption>,
    #[serde(default)]
    pub source: Source,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileExemption {
    pub rule: String,
    pub waives: Waives,
    pub reason: Text,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileCentre {
    pub code: String,
    pub kind: CentreKind,
    pub name: Text,
    pub address: Text,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub hours: Vec<FileHours>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub public_holidays: HolidayPolicy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_days: Vec<FileSpecialDay>,
    pub floors: Vec<i32>,
    #[serde(default)]
    pub windows: Vec<Window>,
    #[serde(default)]
    pub bank_sections: Vec<BankSection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timetable: Vec<FileStop>,
    #[serde(default)]
    pub source: Source,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileHours {
    pub days: Vec<Day>,
    pub open: String,
    pub close: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSpecialDay {
    pub date: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub closed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileStop {
    pub from: String,
    pub to: String,
    pub place: Text,
    pub location: Location,
}

/// `HH:MM`.
pub(crate) fn hhmm(time: jiff::civil::Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

impl From<&Catalogue> for FileCatalogue {
    fn from(c: &Catalogue) -> FileCatalogue {
        let country = &c.country;
        FileCatalogue {
            format: FORMAT,
            version: VERSION,
            country: FileCountry {
                code: country.code.clone(),
                name: country.name.clone(),
                currency: FileCurrency {
                    code: country.currency.code.clone(),
                    minor_units: country.currency.minor_units,
                },
                languages: country.languages.clone(),
                time_zone: country.time_zone.clone(),
                national_id: FileNationalId {
                    name: country.national_id.name.clone(),
                    length: country.national_id.length,
                    alphabet: country.national_id.alphabet,
                },
                phone_prefix: country.phone_prefix.clone(),
                weekend: country.weekend.iter().map(|&d| Day::from(d)).collect(),
                holidays: FileHolidays {
                    source: country.holidays.source,
                    days: country
                        .holidays
                        .days
                        .iter()
                        .map(|h| FileHoliday { date: h.date.to_string(), name: h.name.clone() })
                        .collect(),
                },
                working_weekend_days: country
                    .working_weekend_days
                    .iter()
                    .map(|d| FileWorkingDay { date: d.date.to_string(), note: d.note.clone() })
                    .collect(),
            },
            groups: c
                .groups
                .iter()
                .map(|g| FileGroup { code: g.code.to_string(), name: g.name.clone() })
                .collect(),
            providers: c
                .providers
                .iter()
                .map(|p| FileProvider {
                    code: p.code.to_string(),
                    sector: p.sector,
                    kind: p.kind,
                    name: p.name.clone(),
                    source: p.source,
                })
                .collect(),
            services: c
                .services
                .iter()
                .map(|s| FileService {
                    code: s.code.to_string(),
                    provider: s.provider.to_string(),
                    group: s.group.to_string(),
                    life_events: s.life_events.clone(),
                    kind: s.kind,
                    name: s.name.clone(),
                    description: s.description.clone(),
                    documents: s
                        .documents
                        .iter()
                        .map(|d| FileDocument { name: d.name.clone(), notes: d.notes.clone() })
                        .collect(),
                    steps: s.steps.clone(),
                    timeframe: s.timeframe.to_string(),
                    handling_minutes: s.handling_minutes,
                    fees: FileFees {
                        state: s.fees.state,
                        service: s.fees.service,
                        exemptions: s
                            .fees
                            .exemptions
                            .iter()
                            .map(|e| FileExemption {
                                rule: e.rule.source().to_owned(),
                                waives: e.waives,
                                reason: e.reason.clone(),
                            })
                            .collect(),
                        source: s.fees.source,
                    },
                    channels: s.channels.clone(),
                    source: s.source,
                })
                .collect(),
            centres: c
                .centres
                .iter()
                .map(|centre| FileCentre {
                    code: centre.code.to_string(),
                    kind: centre.kind,
                    name: centre.name.clone(),
                    address: centre.address.clone(),
                    location: centre.location,
                    time_zone: centre.time_zone.clone(),
                    hours: centre
                        .hours
                        .iter()
                        .map(|h| FileHours {
                            days: h.days.iter().map(|&d| Day::from(d)).collect(),
                            open: hhmm(h.open),
                            close: hhmm(h.close),
                        })
                        .collect(),
                    public_holidays: centre.public_holidays,
                    special_days: centre
                        .special_days
                        .iter()
                        .map(|d| {
                            let (closed, open, close) = match d.hours {
                                DayHours::Closed => (true, None, None),
                                DayHours::Open { open, close } => {
                                    (false, Some(hhmm(open)), Some(hhmm(close)))
                                }
                            };
                            FileSpecialDay {
                                date: d.date.to_string(),
                                closed,
                                open,
                                close,
                                note: d.note.clone(),
                            }
                        })
                        .collect(),
                    floors: centre.floors.clone(),
                    windows: centre.windows.clone(),
                    bank_sections: centre.bank_sections.clone(),
                    timetable: centre
                        .timetable
                        .iter()
                        .map(|s| FileStop {
                            from: s.from.to_string(),
                            to: s.to.to_string(),
                            place: s.place.clone(),
                            location: s.location,
                        })
                        .collect(),
                    source: centre.source,
                })
                .collect(),
        }
    }
}
