//! Checks of a centre or a bus: hours, special days, floors, windows, bank sections, stops.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::{Time, Weekday};

use super::values::{CodeCase, channel_name, day_name, hhmm, is_code};
use super::{Checker, ProviderFacts, ServiceFacts};
use crate::catalogue::file::{FileCentre, FileHours, FileSpecialDay, FileStop};
use crate::catalogue::model::{
    Centre, CentreCode, CentreKind, Channel, DayHours, OpeningHours, ProviderKind, SpecialDay, Stop,
};
use crate::catalogue::node::join;

impl Checker<'_> {
    pub(super) fn centre(
        &mut self,
        path: &str,
        c: FileCentre,
        seen: &mut HashMap<String, String>,
        providers: &HashMap<String, Option<ProviderFacts>>,
        services: &HashMap<String, Option<ServiceFacts>>,
    ) -> Option<Centre> {
        let before = self.errors.len();
        self.code(path, &c.code, CodeCase::Upper, "centre", seen);
        self.text(&join(path, "name"), &c.name);
        self.text(&join(path, "address"), &c.address);
        self.location(&join(path, "location"), c.location);
        if let Some(zone) = &c.time_zone {
            self.time_zone(&join(path, "time_zone"), zone);
        }
        let hours = self.hours(path, &c.hours);
        let special_days = self.special_days(path, &c.special_days);

        let mut floors = BTreeSet::new();
        if c.floors.is_empty() {
            self.error(&join(path, "floors"), "at least one floor is needed (a bus has floor 1)");
        }
        for (i, floor) in c.floors.iter().enumerate() {
            if !floors.insert(*floor) {
                self.error(&format!("{path}.floors.{i}"), format!("floor {floor} is listed twice"));
            }
        }

        // A window of a bus offers its services through the bus channel, one of a building through
        // the centre channel; the services must say so.
        let channel = if c.kind == CentreKind::MobileBus { Channel::MobileBus } else { Channel::Centre };
        let mut numbers = HashMap::new();
        for (i, w) in c.windows.iter().enumerate() {
            let window_path = format!("{path}.windows.{i}");
            if w.number == 0 {
                self.error(&join(&window_path, "number"), "window numbers start at 1");
            } else if let Some(first) = numbers.insert(w.number, i) {
                self.error(
                    &join(&window_path, "number"),
                    format!("window {} is already windows[{first}] of this centre", w.number),
                );
            }
            if !floors.contains(&w.floor) {
                self.error(
                    &join(&window_path, "floor"),
                    format!("floor {} is not among the centre's floors", w.floor),
                );
            }
            if !providers.contains_key(w.provider.as_str()) {
                self.error(&join(&window_path, "provider"), format!("unknown provider `{}`", w.provider));
            }
            if w.services.is_empty() {
                self.error(&join(&window_path, "services"), "a window renders at least one service");
            }
            let mut listed = BTreeSet::new();
            for (j, service) in w.services.iter().enumerate() {
                let service_path = format!("{window_path}.services.{j}");
                match services.get(service.as_str()) {
                    None => self.error(&service_path, format!("unknown service `{service}`")),
                    Some(Some(facts)) if facts.provider != w.provider.as_str() => self.error(
                        &service_path,
                        format!(
                            "`{service}` is rendered by `{}`, not by the window's provider `{}`",
                            facts.provider, w.provider
                        ),
                    ),
                    Some(Some(facts)) if !facts.channels.contains(&channel) => self.error(
                        &service_path,
                        format!(
                            "`{service}` is offered here but does not list the `{}` channel",
                            channel_name(channel)
                        ),
                    ),
                    Some(_) => {}
                }
                if !listed.insert(service.as_str()) {
                    self.error(&service_path, format!("`{service}` is listed twice"));
                }
            }
        }

        let mut section_codes = HashMap::new();
        for (i, b) in c.bank_sections.iter().enumerate() {
            let section_path = format!("{path}.bank_sections.{i}");
            if !is_code(&b.code, CodeCase::Upper) {
                self.error(
                    &join(&section_path, "code"),
                    format!("`{}` is not a code of upper-case letters, digits and `-`", b.code),
                );
            } else if let Some(first) = section_codes.insert(b.code.clone(), i) {
                self.error(
                    &join(&section_path, "code"),
                    format!("bank section `{}` is already bank_sections[{first}] of this centre", b.code),
                );
            }
            if !floors.contains(&b.floor) {
                self.error(
                    &join(&section_path, "floor"),
                    format!("floor {} is not among the centre's floors", b.floor),
                );
            }
            match providers.get(b.provider.as_str()) {
                None => {
                    self.error(&join(&section_path, "provider"), format!("unknown provider `{}`", b.provider))
                }
                Some(Some(facts)) if facts.kind != ProviderKind::Bank => self.error(
                    &join(&section_path, "provider"),
                    format!("`{}` is not a bank; only banks keep bank sections", b.provider),
                ),
                Some(_) => {}
            }
        }

        let timetable = self.timetable(path, c.kind, &c.timetable);

        if self.errors.len() > before {
            return None;
        }
        Some(Centre {
            code: CentreCode::new(c.code),
            kind: c.kind,
            name: c.name,
            address: c.address,
            location: c.location,
            time_zone: c.time_zone,
            hours: hours?,
            public_holidays: c.public_holidays,
            special_days: special_days?,
            floors: c.floors,
            windows: c.windows,
            bank_sections: c.bank_sections,
            timetable: timetable?,
            source: c.source,
        })
    }

    fn hours(&mut self, path: &str, entries: &[FileHours]) -> Option<Vec<OpeningHours>> {
        if entries.is_empty() {
            self.error(&join(path, "hours"), "opening hours are missing; list the weekdays it opens");
            return None;
        }
        let mut ok = true;
        let mut hours = Vec::new();
        let mut first_entry: HashMap<Weekday, usize> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let entry_path = format!("{path}.hours.{i}");
            if entry.days.is_empty() {
                self.error(&join(&entry_path, "days"), "list at least one weekday");
                ok = false;
            }
            let mut days = Vec::new();
            for (j, day) in entry.days.iter().enumerate() {
                let day = Weekday::from(*day);
                match first_entry.get(&day) {
                    Some(&first) => {
                        let message = if first == i {
                            format!("{} is listed twice", day_name(day))
                        } else {
                            format!(
                                "{} already has hours in hours[{first}]; a weekday may have only one",
                                day_name(day)
                            )
                        };
                        self.error(
                            &format!("{entry_path}.days.{j}"),
                            format!("overlapping hours: {message}"),
                        );
                        ok = false;
                    }
                    None => {
                        first_entry.insert(day, i);
                    }
                }
                days.push(day);
            }
            match self.span(&entry_path, &entry.open, &entry.close) {
                Some((open, close)) => hours.push(OpeningHours { days, open, close }),
                None => ok = false,
            }
        }
        ok.then_some(hours)
    }

    /// Parses `open` and `close` at `path` and checks that the centre opens before it closes.
    fn span(&mut self, path: &str, open: &str, close: &str) -> Option<(Time, Time)> {
        let open_time = self.time(&join(path, "open"), open);
        let close_time = self.time(&join(path, "close"), close);
        let (open, close) = (open_time?, close_time?);
        if open >= close {
            self.error(
                &join(path, "close"),
                format!(
                    "closes at {} but opens at {}; the closing time must be after the opening time",
                    hhmm(close),
                    hhmm(open)
                ),
            );
            return None;
        }
        Some((open, close))
    }

    fn special_days(&mut self, path: &str, entries: &[FileSpecialDay]) -> Option<Vec<SpecialDay>> {
        let mut ok = true;
        let mut days = Vec::new();
        let mut dates = HashMap::new();
        for (i, d) in entries.iter().enumerate() {
            let day_path = format!("{path}.special_days.{i}");
            if let Some(note) = &d.note {
                self.text(&join(&day_path, "note"), note);
            }
            let date = self.date(&join(&day_path, "date"), &d.date);
            if let Some(date) = date
                && let Some(first) = dates.insert(date, i)
            {
                self.error(&join(&day_path, "date"), format!("{date} is already special_days[{first}]"));
                ok = false;
            }
            let hours = match (d.closed, &d.open, &d.close) {
                (true, None, None) => Some(DayHours::Closed),
                (false, Some(open), Some(close)) => {
                    self.span(&day_path, open, close).map(|(open, close)| DayHours::Open { open, close })
                }
                (true, _, _) => {
                    self.error(
                        &day_path,
                        "a closed day has no opening hours; give `closed: true` or `open` and `close`",
                    );
                    None
                }
                (false, _, _) => {
                    self.error(&day_path, "give either `closed: true` or both `open` and `close`");
                    None
                }
            };
            match (date, hours) {
                (Some(date), Some(hours)) => days.push(SpecialDay { date, hours, note: d.note.clone() }),
                _ => ok = false,
            }
        }
        ok.then_some(days)
    }

    fn timetable(&mut self, path: &str, kind: CentreKind, stops: &[FileStop]) -> Option<Vec<Stop>> {
        if kind != CentreKind::MobileBus && !stops.is_empty() {
            self.error(&join(path, "timetable"), "only a mobile bus has a timetable of stops");
            return None;
        }
        let mut ok = true;
        let mut timetable: Vec<Stop> = Vec::new();
        for (i, s) in stops.iter().enumerate() {
            let stop_path = format!("{path}.timetable.{i}");
            self.text(&join(&stop_path, "place"), &s.place);
            self.location(&join(&stop_path, "location"), s.location);
            let from = self.date(&join(&stop_path, "from"), &s.from);
            let to = self.date(&join(&stop_path, "to"), &s.to);
            let (Some(from), Some(to)) = (from, to) else {
                ok = false;
                continue;
            };
            if to < from {
                self.error(
                    &join(&stop_path, "to"),
                    format!("the stop ends on {to}, before it starts on {from}"),
                );
                ok = false;
                continue;
            }
            if let Some(j) = timetable.iter().position(|other| from <= other.to && other.from <= to) {
                self.error(
                    &join(&stop_path, "from"),
                    format!("the bus is already at timetable[{j}] on some of these days"),
                );
                ok = false;
            }
            timetable.push(Stop { from, to, place: s.place.clone(), location: s.location });
        }
        ok.then_some(timetable)
    }
}
