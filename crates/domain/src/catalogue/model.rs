//! The registry's types: country, providers, services and centres, as a checked [`Catalogue`].
//!
//! Values of these types come out of [`parse_catalogue`](super::parse_catalogue), which has
//! checked every reference and rule; the fields are public so that storage can rebuild them.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, Timeframe, WorkingCalendar};

mod centre;

use crate::fees::{self, FeeError, Rule, Waives};
pub use centre::{
    BankSection, Centre, CentreKind, DayHours, HolidayPolicy, Location, OpeningHours, SpecialDay, Stop,
    Window,
};

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a code. Codes from a parsed catalogue have been checked; this does not check.
            pub fn new(code: impl Into<String>) -> $name {
                $name(code.into())
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

code_type!(
    /// A provider's code, e.g. `MOJ`.
    ProviderCode
);
code_type!(
    /// A service's code, e.g. `MOJ-BIRTH-REG`.
    ServiceCode
);
code_type!(
    /// A centre's or a bus's code, e.g. `BAKU-1`.
    CentreCode
);
code_type!(
    /// A service group's code, e.g. `civil-status`.
    GroupCode
);

/// A text in every language the catalogue declares, keyed by language code (`az`, `en`, `ru`).
///
/// No language is special to this type: a catalogue declares its languages in
/// [`Country::languages`], and every text of a parsed catalogue has all of them and no other.
/// The first declared language is the default ([`Country::default_language`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(BTreeMap<String, String>);

impl Text {
    /// An empty text.
    pub fn new() -> Text {
        Text(BTreeMap::new())
    }

    /// This text with `value` in `language`.
    pub fn with(mut self, language: &str, value: impl Into<String>) -> Text {
        self.0.insert(language.to_owned(), value.into());
        self
    }

    /// The text in `language`, if present.
    pub fn get(&self, language: &str) -> Option<&str> {
        self.0.get(language).map(String::as_str)
    }

    /// The text in `language`, else in `fallback`, else in any language, else "".
    pub fn get_or(&self, language: &str, fallback: &str) -> &str {
        self.get(language)
            .or_else(|| self.get(fallback))
            .or_else(|| self.0.values().next().map(String::as_str))
            .unwrap_or("")
    }

    /// The (language, text) pairs, ordered by language code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether no language is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where an entry's figures come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Stated by the ASAN Service case study (or, for another country, by its official source).
    CaseStudy,
    /// A plausible value chosen for the catalogue, not taken from a source.
    #[default]
    Assumed,
}

/// The whole registry: the country, service groups, providers, services and centres.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// The country whose network this is: currency, languages, ID format, calendar, time zone.
    pub country: Country,
    /// Service groups (e.g. civil status acts), in file order.
    pub groups: Vec<Group>,
    /// Providers, in file order.
    pub providers: Vec<Provider>,
    /// Services, in file order.
    pub services: Vec<Service>,
    /// Centres and mobile buses, in file order.
    pub centres: Vec<Centre>,
}

impl Catalogue {
    /// The provider with `code`.
    pub fn provider(&self, code: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.code == code)
    }

    /// The service with `code`.
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// The centre or bus with `code`.
    pub fn centre(&self, code: &str) -> Option<&Centre> {
        self.centres.iter().find(|c| c.code == code)
    }

    /// The group with `code`.
    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }

    /// The services `provider` renders, in file order.
    pub fn services_of(&self, provider: &str) -> Vec<&Service> {
        self.services.iter().filter(|s| s.provider == provider).collect()
    }

    /// The centres and buses that offer the service: those with a window that lists it, and for a
    /// bank's service those with a section of that bank (a bank section renders all the services
    /// of its bank). In file order; empty for an unknown code.
    pub fn offered_at(&self, service_code: &str) -> Vec<&Centre> {
        let Some(service) = self.service(service_code) else { return Vec::new() };
        self.centres.iter().filter(|centre| centre.offers(service)).collect()
    }

    /// The mobile buses, in file order.
    pub fn buses(&self) -> impl Iterator<Item = &Centre> {
        self.centres.iter().filter(|c| c.kind == CentreKind::MobileBus)
    }
}

/// The country a catalogue serves; everything country-specific comes from here, not from code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, e.g. `AZ`.
    pub code: String,
    /// The country's name.
    pub name: Text,
    /// The currency of every fee.
    pub currency: Currency,
    /// Language codes of every text, the first being the default, e.g. `[az, en, ru]`.
    pub languages: Vec<String>,
    /// IANA time zone name of the centres, e.g. `Asia/Baku`; a centre may override it.
    pub time_zone: String,
    /// The national personal identification number (in Azerbaijan the FIN of the ID card).
    pub national_id: NationalId,
    /// International dialling prefix, e.g. `+994`.
    pub phone_prefix: String,
    /// The days of the weekend, e.g. Saturday and Sunday.
    pub weekend: Vec<Weekday>,
    /// Public holidays (non-working days).
    pub holidays: Holidays,
    /// Weekend dates declared working days.
    pub working_weekend_days: Vec<WorkingWeekendDay>,
}

impl Country {
    /// The default language: the first declared.
    pub fn default_language(&self) -> &str {
        self.languages.first().map_or("", String::as_str)
    }

    /// The working-day calendar (weekend, holidays named in the default language, declared
    /// working days). Always `Ok` for a country of a parsed catalogue, which has been checked.
    pub fn calendar(&self) -> Result<WorkingCalendar, CalendarError> {
        let language = self.default_language();
        WorkingCalendar::new(
            self.weekend.iter().copied(),
            self.holidays.days.iter().map(|h| (h.date, h.name.get_or(language, language).to_owned())),
            self.working_weekend_days.iter().map(|d| d.date),
        )
    }
}

/// A currency: ISO 4217 code and the number of minor units in a major unit's decimal places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217 code, e.g. `AZN`.
    pub code: String,
    /// Decimal places of the minor unit, e.g. 2 (1 AZN = 100 qəpik).
    pub minor_units: u8,
}

/// The format of the national personal identification number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId {
    /// What it is called, e.g. FİN / PIN / ФИН.
    pub name: Text,
    /// The exact number of characters.
    pub length: u8,
    /// Which characters it may contain.
    pub alphabet: IdAlphabet,
}

impl NationalId {
    /// Whether `id` has the right length and only characters of the alphabet.
    pub fn is_valid(&self, id: &str) -> bool {
        id.chars().count() == usize::from(self.length) && id.chars().all(|c| self.alphabet.allows(c))
    }
}

/// The characters a national ID number may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdAlphabet {
    /// `0`–`9`.
    Digits,
    /// `A`–`Z`.
    Upper,
    /// `0`–`9` and `A`–`Z`.
    AlnumUpper,
}

impl IdAlphabet {
    /// Whether `c` belongs to the alphabet.
    pub fn allows(self, c: char) -> bool {
        match self {
            IdAlphabet::Digits => c.is_ascii_digit(),
            IdAlphabet::Upper => c.is_ascii_uppercase(),
            IdAlphabet::AlnumUpper => c.is_ascii_digit() || c.is_ascii_uppercase(),
        }
    }
}

/// Public holidays and where the list comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    /// Whether the dates are sourced or assumed.
    pub source: Source,
    /// The holidays, in file order.
    pub days: Vec<Holiday>,
}

/// One public holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The date.
    pub date: Date,
    /// Its name.
    pub name: Text,
}

/// A weekend date declared a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingWeekendDay {
    /// The date (a weekend day).
    pub date: Date,
    /// Why, e.g. which day off it was exchanged for.
    pub note: Option<Text>,
}

/// A group of services shown together, e.g. civil status acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's code.
    pub code: GroupCode,
    /// Its name.
    pub name: Text,
}

/// Whether a provider is a state entity or a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// A state entity rendering public services assigned to it by law.
    Public,
    /// A company (private or state-owned) rendering functional subsidiary services.
    Private,
}

/// What kind of organisation a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// A ministry.
    Ministry,
    /// A state committee.
    StateCommittee,
    /// A state service.
    StateService,
    /// A state agency.
    Agency,
    /// A department of the state, e.g. the national archive.
    Department,
    /// The central bank (e.g. as keeper of the credit registry).
    CentralBank,
    /// A commercial bank; only banks keep bank sections.
    Bank,
    /// An insurance company.
    Insurer,
    /// A legal services company.
    Legal,
    /// A translation agency.
    Translation,
    /// A medical company.
    Medical,
    /// A photo studio.
    Photo,
    /// A utility: electricity, gas, water.
    Utility,
    /// A mobile or fixed telecom operator.
    Telecom,
    /// A travel agency.
    Tourism,
    /// A courier or postal company.
    Delivery,
    /// A ticket seller (cinema, theatre, concerts).
    TicketSales,
    /// An operator of payment terminals.
    PaymentTerminals,
    /// Anything else.
    Other,
}

/// A public entity or a company that renders services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Short stable code, e.g. `MOJ`.
    pub code: ProviderCode,
    /// State entity or company.
    pub sector: Sector,
    /// What kind of organisation.
    pub kind: ProviderKind,
    /// Its name.
    pub name: Text,
    /// Whether its identity is sourced or assumed (e.g. which bank).
    pub source: Source,
}

/// A public service (of a state entity) or a functional subsidiary service (of a company).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// A public service assigned to a state entity by law.
    Public,
    /// A functional subsidiary service that complements the public ones.
    FunctionalSubsidiary,
}

/// A way to reach a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At a window of a service centre.
    Centre,
    /// At a mobile bus.
    MobileBus,
    /// At home or another address, ordered through the call centre.
    HomeService,
    /// Online.
    Online,
    /// By telephone through the call centre.
    CallCentre,
}

/// A service of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Stable code, e.g. `MOJ-BIRTH-REG`.
    pub code: ServiceCode,
    /// Who renders it.
    pub provider: ProviderCode,
    /// The group it is shown in.
    pub group: GroupCode,
    /// Life situations it belongs to, for search (e.g. `birth`, `moving-house`).
    pub life_events: Vec<String>,
    /// Public or functional subsidiary.
    pub kind: ServiceKind,
    /// Its name.
    pub name: Text,
    /// What it is.
    pub description: Text,
    /// Evidence the applicant brings.
    pub documents: Vec<Document>,
    /// The procedure, step by step.
    pub steps: Vec<Text>,
    /// The legal timeframe in working days (`P0D`: the same day).
    pub timeframe: Timeframe,
    /// Average handling time at the window, in minutes.
    pub handling_minutes: u32,
    /// State fee, service fee and exemptions.
    pub fees: ServiceFees,
    /// How it can be reached.
    pub channels: Vec<Channel>,
    /// Whether the service is named by the case study or added as plausible.
    pub source: Source,
}

/// A piece of evidence a service requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// What it is.
    pub name: Text,
    /// Conditions or remarks, e.g. "only for applicants under 16".
    pub notes: Option<Text>,
}

/// The fees of a service in minor units of the country's currency, with exemptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFees {
    /// The state fee; never negative.
    pub state: i64,
    /// The service fee; never negative.
    pub service: i64,
    /// Exemptions, in order: the first that applies waives a fee.
    pub exemptions: Vec<Exemption>,
    /// Whether the amounts are stated by the case study or assumed.
    pub source: Source,
}

impl Service {
    /// Whether every word of `query` appears (case-insensitively) in the service's name or
    /// description in any language; an empty query matches every service.
    pub fn matches_words(&self, query: &str) -> bool {
        let text = self
            .name
            .iter()
            .chain(self.description.iter())
            .map(|(_, t)| t.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        query.to_lowercase().split_whitespace().all(|word| text.contains(word))
    }
}

impl ServiceFees {
    /// The fees as [`fees::Fees`] for billing, with reasons in `language`.
    pub fn to_fees(&self, currency: &str, language: &str) -> Result<fees::Fees, FeeError> {
        let exemptions = self
            .exemptions
            .iter()
            .map(|e| fees::Exemption {
                rule: e.rule.clone(),
                waives: e.waives,
                reason: e.reason.get_or(language, language).to_owned(),
            })
            .collect();
        fees::Fees::new(self.state, self.service, currency, exemptions)
    }
}

/// Who does not pay which fee, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// Who is exempt, in the rule language of [`crate::fees`], e.g. `age < 16`.
    pub rule: Rule,
    /// Which fee is waived.
    pub waives: Waives,
    /// The reason shown on the bill.
    pub reason: Text,
}
