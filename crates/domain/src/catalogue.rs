//! The registry of public services, providers and centres, and its catalogue file format.
//!
//! A catalogue is one YAML file that describes a country's whole one-stop-shop network: the
//! country (currency, languages, ID-number format, weekend, holidays, time zone), service groups,
//! providers (state entities and companies), services (documents, steps, legal timeframe, fees and
//! exemptions, channels) and centres (hours, special days, floors, windows, bank sections; for
//! mobile buses a timetable). Nothing country-specific is in code: another country runs onestop by
//! writing its own file. `catalogue/asan-demo.yaml` is Azerbaijan's ASAN Service network.
//!
//! ```yaml
//! format: onestop-catalogue
//! version: 1
//! country:
//!   code: AZ
//!   name: {az: Azərbaycan, en: Azerbaijan, ru: Азербайджан}
//!   currency: {code: AZN, minor_units: 2}
//!   languages: [az, en, ru]          # every text has all of them; the first is the default
//!   time_zone: Asia/Baku
//!   national_id: {name: {az: FİN, en: PIN, ru: ФИН}, length: 7, alphabet: alnum_upper}
//!   phone_prefix: "+994"
//!   weekend: [saturday, sunday]
//!   holidays:
//!     source: assumed
//!     days:
//!       - {date: 2026-01-01, name: {az: Yeni il, en: New Year, ru: Новый год}}
//! groups:
//!   - {code: identity, name: {az: Şəxsiyyət sənədləri, en: Identity documents, ru: Документы}}
//! providers:
//!   - {code: MIA, sector: public, kind: ministry, name: {az: …, en: …, ru: …}}
//! services:
//!   - code: MIA-ID-CARD
//!     provider: MIA
//!     group: identity
//!     kind: public                   # or functional_subsidiary
//!     name: {az: …, en: …, ru: …}
//!     description: {az: …, en: …, ru: …}
//!     documents: [{name: {…}, notes: {…}}]
//!     steps: [{az: …, en: …, ru: …}]
//!     timeframe: P10D                # working days
//!     handling_minutes: 15
//!     fees:
//!       state: 500                   # minor units of the country's currency
//!       service: 0
//!       exemptions: [{rule: age < 16, waives: state, reason: {…}}]
//!       source: assumed
//!     channels: [centre, mobile_bus, home_service]
//!     source: case_study
//! centres:
//!   - code: BAKU-1
//!     kind: centre                   # or mobile_bus, utility_centre
//!     name: {…}
//!     address: {…}
//!     location: {lat: 40.38, lon: 49.81}
//!     hours:
//!       - {days: [monday, tuesday, wednesday, thursday, friday], open: "10:00", close: "20:00"}
//!       - {days: [saturday, sunday], open: "10:00", close: "17:00"}
//!     special_days: [{date: 2026-03-19, open: "10:00", close: "15:00", note: {…}}]
//!     floors: [1, 2]
//!     windows: [{number: 1, floor: 1, provider: MIA, services: [MIA-ID-CARD]}]
//!     bank_sections: [{code: B1, floor: 1, provider: KAPITAL}]
//! ```
//!
//! [`parse_catalogue`] reads a file whole or not at all: any problem — YAML syntax, an unknown
//! key, a wrong type, a duplicate code, an unknown reference, a negative fee, a malformed
//! timeframe or rule, overlapping hours, a missing translation, coordinates out of range — makes
//! it return every problem it found, each with its line and field. [`to_yaml`] writes a
//! catalogue back; reading what it writes gives an equal catalogue.

mod check;
mod de;
mod file;
mod model;
mod node;

use std::fmt;

pub use model::{
    BankSection, Catalogue, Centre, CentreCode, CentreKind, Channel, Country, Currency, DayHours, Document,
    Exemption, Group, GroupCode, Holiday, HolidayPolicy, Holidays, IdAlphabet, Location, NationalId,
    OpeningHours, Provider, ProviderCode, ProviderKind, Sector, Service, ServiceCode, ServiceFees,
    ServiceKind, Source, SpecialDay, Stop, Text, Window, WorkingWeekendDay,
};

/// One problem in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// 1-based line of the offending value, or of the item that lacks it.
    pub line: usize,
    /// 1-based column of the same place.
    pub column: usize,
    /// Where in the catalogue, e.g. `services[MOJ-BIRTH-REG].fees.state`: list items are named
    /// by their `code` when they have one, else by their position from 0. Empty for the file.
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// Every problem found in a catalogue file, ordered by line; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogueErrors(pub Vec<CatalogueError>);

impl CatalogueErrors {
    /// The problems, ordered by line.
    pub fn errors(&self) -> &[CatalogueError] {
        &self.0
    }
}

impl fmt::Display for CatalogueErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(f, "the catalogue has {count} error{}", if count == 1 { "" } else { "s" })?;
        for error in &self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

/// Reads a catalogue file: the whole checked catalogue, or every error found.
pub fn parse_catalogue(text: &str) -> Result<Catalogue, CatalogueErrors> {
    let root = node::load(text).map_err(|e| {
        CatalogueErrors(vec![CatalogueError {
            line: e.line,
            column: e.column,
            field: String::new(),
            message: format!("not valid YAML: {}", e.message),
        }])
    })?;
    check::check(&root)
}

/// Checks an edited catalogue whole, as an import would: its file text when it holds, or every
/// problem the edit caused (fields name the place, e.g. `centres[BAKU-1].windows[3].services`).
pub fn revise(catalogue: &Catalogue) -> Result<String, CatalogueErrors> {
    let text = to_yaml(catalogue);
    parse_catalogue(&text).map(|_| text)
}

/// The SHA-256 of a catalogue file's text, in hex: what tells two versions apart.
pub fn fingerprint(text: &str) -> String {
    crate::token::digest(text)
}

/// Writes a catalogue in the file format; [`parse_catalogue`] reads it back as an equal catalogue.
pub fn to_yaml(catalogue: &Catalogue) -> String {
    let file = file::FileCatalogue::from(catalogue);
    let mut options = serde_saphyr::SerializerOptions::default();
    // One scalar per line, never folded: folding long texts would be a needless risk to spaces.
    options.prefer_block_scalars = false;
    options.compact_list_indent = false;
    match serde_saphyr::to_string_with_options(&file, options) {
        Ok(yaml) => yaml,
        // The file types are plain structs, strings, integers and finite floats, which the
        // serializer always accepts. Should it ever refuse, the output is a comment only, which
        // reading rejects (no `format`) rather than taking a partial catalogue.
        Err(err) => format!("# the catalogue could not be written: {err}\n"),
    }
}
