//! Checks of the country, the service groups and the providers.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Weekday;

use super::Checker;
use super::values::CodeCase;
use crate::catalogue::file::{FileCountry, FileGroup, FileProvider};
use crate::catalogue::model::{
    Country, Currency, Group, GroupCode, Holiday, Holidays, NationalId, Provider, ProviderCode,
    WorkingWeekendDay,
};
use crate::catalogue::node::join;

impl Checker<'_> {
    pub(super) fn country(&mut self, c: FileCountry) -> Option<Country> {
        let before = self.errors.len();
        if c.code.len() != 2 || !c.code.bytes().all(|b| b.is_ascii_uppercase()) {
            self.error(
                "country.code",
                format!("`{}` is not an ISO 3166-1 code of two upper-case letters", c.code),
            );
        }
        if c.currency.code.len() != 3 || !c.currency.code.bytes().all(|b| b.is_ascii_uppercase()) {
            self.error(
                "country.currency.code",
                format!("`{}` is not an ISO 4217 code of three upper-case letters", c.currency.code),
            );
        }
        if c.currency.minor_units > 4 {
            self.error("country.currency.minor_units", "ISO 4217 currencies have 0 to 4 minor-unit digits");
        }
        let mut languages_ok = !c.languages.is_empty();
        if c.languages.is_empty() {
            self.error(
                "country.languages",
                "at least one language must be declared; the first is the default",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, language) in c.languages.iter().enumerate() {
            let path = format!("country.languages.{i}");
            if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
                self.error(
                    &path,
                    format!("`{language}` is not an ISO 639 code of two or three lower-case letters"),
                );
                languages_ok = false;
            } else if !seen.insert(language.as_str()) {
                self.error(&path, format!("the language `{language}` is declared twice"));
            }
        }
        if languages_ok {
            self.languages = Some(c.languages.clone());
        }
        self.text("country.name", &c.name);
        self.time_zone("country.time_zone", &c.time_zone);
        self.text("country.national_id.name", &c.national_id.name);
        if c.national_id.length == 0 {
            self.error(
                "country.national_id.length",
                "the national ID number must have at least one character",
            );
        }
        let prefix_ok = c.phone_prefix.strip_prefix('+').is_some_and(|digits| {
            (1..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
        if !prefix_ok {
            self.error(
                "country.phone_prefix",
                format!(
                    "`{}` is not a dialling prefix like \"+994\" (quote it: YAML reads +994 as a number)",
                    c.phone_prefix
                ),
            );
        }
        let mut weekend = Vec::new();
        for (i, day) in c.weekend.iter().enumerate() {
            let day = Weekday::from(*day);
            if weekend.contains(&day) {
                self.error(&format!("country.weekend.{i}"), format!("{day:?} is listed twice"));
            } else {
                weekend.push(day);
            }
        }
        if weekend.len() == 7 {
            self.error(
                "country.weekend",
                "every day of the week is a weekend day; at least one must be a working day",
            );
        }
        let mut holidays = Vec::new();
        let mut holiday_dates = HashMap::new();
        for (i, h) in c.holidays.days.iter().enumerate() {
            let path = format!("country.holidays.days.{i}");
            self.text(&join(&path, "name"), &h.name);
            if let Some(date) = self.date(&join(&path, "date"), &h.date) {
                if let Some(first) = holiday_dates.insert(date, i) {
                    self.error(&join(&path, "date"), format!("{date} is already a holiday (days[{first}])"));
                }
                holidays.push(Holiday { date, name: h.name.clone() });
            }
        }
        let mut working_weekend_days = Vec::new();
        for (i, d) in c.working_weekend_days.iter().enumerate() {
            let path = format!("country.working_weekend_days.{i}");
            if let Some(note) = &d.note {
                self.text(&join(&path, "note"), note);
            }
            if let Some(date) = self.date(&join(&path, "date"), &d.date) {
                if !weekend.contains(&date.weekday()) {
                    self.error(
                        &join(&path, "date"),
                        format!(
                            "{date} is a {:?}, not a weekend day, so it cannot be declared a working day",
                            date.weekday()
                        ),
                    );
                }
                if holiday_dates.contains_key(&date) {
                    self.error(&join(&path, "date"), format!("{date} is also listed as a holiday"));
                }
                working_weekend_days.push(WorkingWeekendDay { date, note: d.note.clone() });
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Country {
            code: c.code,
            name: c.name,
            currency: Currency { code: c.currency.code, minor_units: c.currency.minor_units },
            languages: c.languages,
            time_zone: c.time_zone,
            national_id: NationalId {
                name: c.national_id.name,
                length: c.national_id.length,
                alphabet: c.national_id.alphabet,
            },
            phone_prefix: c.phone_prefix,
            weekend,
            holidays: Holidays { source: c.holidays.source, days: holidays },
            working_weekend_days,
        })
    }

    pub(super) fn group(
        &mut self,
        path: &str,
        g: FileGroup,
        seen: &mut HashMap<String, String>,
    ) -> Option<Group> {
        let before = self.errors.len();
        self.code(path, &g.code, CodeCase::Lower, "group", seen);
        self.text(&join(path, "name"), &g.name);
        (self.errors.len() == before).then(|| Group { code: GroupCode::new(g.code), name: g.name })
    }

    pub(super) fn provider(
        &mut self,
        path: &str,
        p: FileProvider,
        seen: &mut HashMap<String, String>,
    ) -> Option<Provider> {
        let before = self.errors.len();
        self.code(path, &p.code, CodeCase::Upper, "provider", seen);
        self.text(&join(path, "name"), &p.name);
        (self.errors.len() == before).then(|| Provider {
            code: ProviderCode::new(p.code),
            sector: p.sector,
            kind: p.kind,
            name: p.name,
            source: p.source,
        })
    }
}
