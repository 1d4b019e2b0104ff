//! Statistics from recorded events: what one day of a centre adds to the rollups, and how rollup
//! cells are filtered and grouped into the figures dashboards and reports show.
//!
//! A day's raw events — its tickets with every step (and the officer at the window of each step)
//! and the ratings given that day — become **cells**: tallies keyed by the dimensions of one of
//! four cuboids ([`Cuboid`]). Storage keeps the cells of each folded day and adds them into the
//! cells of its month, so a month's report reads a few thousand rows however many tickets it
//! counts. Figures of days not folded yet are computed from the raw events by the same
//! [`cells_of_day`], so a statistic is the same whichever part of it came from rollups.
//!
//! Definitions (per ticket; a follow-on ticket of a transfer is a ticket, not a visit):
//! - **visit**: a ticket that is not a follow-on;
//! - **wait**: of a visit that was called, from its issue to its first call;
//! - **service time**: of a ticket finished served or not served, the time spent serving over
//!   every spell of service ([`Ticket::service_time`]); **over norm** when longer than the
//!   service's handling time in the registry;
//! - **no-show**: called, and marked as not having come; **abandoned**: still waiting, never
//!   called, when the centre closed the day; **closed**: called but still open at the close;
//! - **officer**: the one signed in at the window of the ticket's last step taken at a window
//!   (the day's close aside);
//! - **hour**: the local hour (in the centre's time zone) the ticket was issued;
//! - a **rating** counts on the local day it was given; **satisfied** is a score of 4 or 5;
//! - an **application** counts as accepted on its day of acceptance and as finished on the day
//!   it reached a final state (done or rejected): **on time** when that day is not after its
//!   legal deadline, **late** otherwise; its officer is the one who accepted it;
//! - a **payment** counts on its day, by channel (bank, terminal, online), with its amount; a
//!   **refund** on the day it was paid out.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::hist::Histogram;
use crate::catalogue::Catalogue;
use crate::queue::ticket::{ActionName, Outcome, Ticket};

/// What statistics need to know of the registry: each service's provider and handling norm, and
/// each centre's time zone.
#[derive(Debug, Clone)]
pub struct Context {
    /// The provider of each service code.
    pub providers: HashMap<String, String>,
    /// The handling norm of each service, in seconds.
    pub norms: HashMap<String, i64>,
    /// The time zone of each centre.
    pub zones: HashMap<String, TimeZone>,
    /// The time zone of a centre not listed (the country's).
    pub default_zone: TimeZone,
}

impl Context {
    /// The context of a registry.
    pub fn from_catalogue(c: &Catalogue) -> Context {
        Context {
            providers: c
                .services
                .iter()
                .map(|s| (s.code.as_str().to_owned(), s.provider.as_str().to_owned()))
                .collect(),
            norms: c
                .services
                .iter()
                .map(|s| (s.code.as_str().to_owned(), i64::from(s.handling_minutes) * 60))
                .collect(),
            zones: c
                .centres
                .iter()
                .map(|x| (x.code.as_str().to_owned(), crate::queue::day::zone(x, &c.country)))
                .collect(),
            default_zone: TimeZone::get(&c.country.time_zone).unwrap_or(TimeZone::UTC),
        }
    }

    /// The time zone of `centre`.
    pub fn zone(&self, centre: &str) -> TimeZone {
        self.zones.get(centre).cloned().unwrap_or_else(|| self.default_zone.clone())
    }

    /// The provider of `service` ("" when the registry does not know it).
    pub fn provider(&self, service: &str) -> String {
        self.providers.get(service).cloned().unwrap_or_default()
    }

    /// The instants `[start, end)` of local date `day` at `centre`.
    pub fn day_bounds(&self, centre: &str, day: Date) -> (Timestamp, Timestamp) {
        let zone = self.zone(centre);
        let start =
            |d: Date| d.to_zoned(zone.clone()).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH);
        (start(day), start(day.tomorrow().unwrap_or(day)))
    }

    /// The local date of `at` at `centre`.
    pub fn local_day(&self, centre: &str, at: Timestamp) -> Date {
        at.to_zoned(self.zone(centre)).date()
    }
}

/// A ticket as monitoring reads it: the ticket with its steps, its queue day, and the login of the
/// officer signed in at the window of each step (by position; `None` where no officer was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTicket {
    /// The ticket.
    pub ticket: Ticket,
    /// Its queue day (the centre's local date it was issued on).
    pub day: Date,
    /// The officer of each step, in step order.
    pub officers: Vec<Option<String>>,
}

/// A rating as monitoring reads it (never its comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRating {
    /// When it was given.
    pub at: Timestamp,
    /// `tablet` or `exit_poll`.
    pub channel: String,
    /// The centre.
    pub centre: String,
    /// The rated ticket's service, for tablet ratings.
    pub service: Option<String>,
    /// The service's provider.
    pub provider: Option<String>,
    /// The officer signed in at the window.
    pub officer: Option<String>,
    /// 1 to 5.
    pub score: u8,
}

/// An application accepted or finished on the day read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedApplication {
    /// The centre.
    pub centre: String,
    /// The service.
    pub service: String,
    /// Its provider.
    pub provider: String,
    /// The accepting officer's login.
    pub officer: String,
    /// The day it was accepted.
    pub accepted_on: Date,
    /// Its legal deadline.
    pub deadline_on: Date,
    /// The day it reached a final state, if it has.
    pub done_on: Option<Date>,
}

/// A payment taken, or a refund paid out, on the day read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedMoney {
    /// The centre.
    pub centre: String,
    /// The bill's service.
    pub service: String,
    /// Its provider.
    pub provider: String,
    /// `bank`, `terminal` or `online` for a payment; `refund` for a refund.
    pub channel: String,
    /// Minor units.
    pub amount: i64,
}

/// The raw events of one local day of a centre: its tickets, the ratings given that day, the
/// applications accepted or finished that day and the payments and refunds of that day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayActivity {
    /// The day.
    pub day: Option<Date>,
    /// The tickets of the queue day, with their steps.
    pub tickets: Vec<ObservedTicket>,
    /// The ratings given at the centre that local day.
    pub ratings: Vec<ObservedRating>,
    /// Applications accepted or finished that day.
    pub applications: Vec<ObservedApplication>,
    /// Payments taken and refunds paid out that day.
    pub money: Vec<ObservedMoney>,
}

impl DayActivity {
    /// Whether the day has no event at all.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
            && self.ratings.is_empty()
            && self.applications.is_empty()
            && self.money.is_empty()
    }
}

/// What monitoring takes from one ticket (see the module's definitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    /// Not a follow-on ticket.
    pub visit: bool,
    /// Called at least once.
    pub called: bool,
    /// How it ended (`served`, …), if it has.
    pub outcome: Option<&'static str>,
    /// The wait in whole seconds, for a visit that was called.
    pub wait_secs: Option<i64>,
    /// The service time in whole seconds, for a ticket served or not served.
    pub service_secs: Option<i64>,
    /// The service time exceeded the service's norm.
    pub over_norm: bool,
    /// The officer of its last step at a window.
    pub officer: Option<String>,
    /// The local hour of its issue.
    pub hour: i8,
}

impl TicketFacts {
    /// The facts of `t` at its centre.
    pub fn of(t: &ObservedTicket, ctx: &Context) -> TicketFacts {
        let ticket = &t.ticket;
        let called = ticket.steps.iter().any(|s| s.action == ActionName::Call);
        let visit = ticket.follows.is_none();
        let outcome = ticket.outcome().map(Outcome::name);
        let wait_secs = if visit && called { ticket.waited().map(|d| d.as_secs().max(0)) } else { None };
        let service_secs = match ticket.outcome() {
            Some(Outcome::Served | Outcome::NotServed { .. }) => ticket.service_time().map(|d| d.as_secs()),
            _ => None,
        };
        let over_norm = match (service_secs, ctx.norms.get(ticket.service.as_str())) {
            (Some(s), Some(norm)) => s > *norm,
            _ => false,
        };
        let officer = ticket
            .steps
            .iter()
            .zip(&t.officers)
            .rev()
            .find(|(s, _)| {
                s.window.is_some() && s.action != ActionName::CloseDay && s.action != ActionName::Return
            })
            .and_then(|(_, o)| o.clone());
        let hour = ticket.issued_at.to_zoned(ctx.zone(ticket.centre.as_str())).hour();
        TicketFacts { visit, called, outcome, wait_secs, service_secs, over_norm, officer, hour }
    }
}

/// The four rollups, each keyed by its own dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cuboid {
    /// Tickets by centre, service (and provider) and origin: counts, waits, service times.
    Flow,
    /// Tickets by centre, service (and provider) and local hour of issue.
    Hours,
    /// Tickets and ratings by centre, officer and service (and provider).
    Officers,
    /// Ratings by centre, service (and provider) and channel.
    Ratings,
    /// Applications by centre, service (and provider) and accepting officer.
    Applications,
    /// Payments and refunds by centre, service (and provider) and channel.
    Payments,
}

impl Cuboid {
    /// Every cuboid.
    pub const ALL: [Cuboid; 6] = [
        Cuboid::Flow,
        Cuboid::Hours,
        Cuboid::Officers,
        Cuboid::Ratings,
        Cuboid::Applications,
        Cuboid::Payments,
    ];

    /// Its name in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Cuboid::Flow => "flow",
            Cuboid::Hours => "hours",
            Cuboid::Officers => "officers",
            Cuboid::Ratings => "ratings",
            Cuboid::Applications => "applications",
            Cuboid::Payments => "payments",
        }
    }

    /// The cuboid named `name`.
    pub fn parse(name: &str) -> Option<Cuboid> {
        Cuboid::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether figures can be grouped by `by` in this cuboid.
    pub fn groups_by(self, by: GroupBy) -> bool {
        match by {
            GroupBy::Total
            | GroupBy::Centre
            | GroupBy::Service
            | GroupBy::Provider
            | GroupBy::Day
            | GroupBy::Weekday
            | GroupBy::Month => true,
            GroupBy::Origin | GroupBy::ServiceOrigin => self == Cuboid::Flow,
            GroupBy::Hour | GroupBy::WeekdayHour => self == Cuboid::Hours,
            GroupBy::Officer | GroupBy::OfficerService => {
                matches!(self, Cuboid::Officers | Cuboid::Applications)
            }
            GroupBy::Channel => matches!(self, Cuboid::Ratings | Cuboid::Payments),
        }
    }
}

/// A cell's position in its cuboid. Dimensions the cuboid does not have are empty (`hour` -1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct CellKey {
    /// The centre.
    pub centre: String,
    /// The service ("" for exit-poll ratings).
    pub service: String,
    /// The service's provider.
    pub provider: String,
    /// How the ticket was issued: `info_desk`, `kiosk`, `appointment` (flow).
    pub origin: String,
    /// In the hours cuboid, the weekday of the queue day (1 = Monday) × 100 plus the local hour
    /// of issue (0–23): `109` is Monday 09:00–09:59, so month cells answer the heat map; else -1.
    pub hour: i64,
    /// The officer's login (officers).
    pub officer: String,
    /// The rating's channel: `tablet`, `exit_poll` (ratings).
    pub channel: String,
}

impl CellKey {
    fn base(centre: &str, service: &str, provider: &str) -> CellKey {
        CellKey {
            centre: centre.to_owned(),
            service: service.to_owned(),
            provider: provider.to_owned(),
            hour: -1,
            ..CellKey::default()
        }
    }
}

/// The figures of one cell, or of any group of cells added together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    /// Tickets (follow-ons of transfers included).
    pub tickets: u64,
    /// Visits: tickets that are not follow-ons.
    pub visits: u64,
    /// Tickets called at least once.
    pub called: u64,
    /// Finished served.
    pub served: u64,
    /// Finished not served.
    pub not_served: u64,
    /// Called and did not come.
    pub no_show: u64,
    /// Transferred to another service or window.
    pub transferred: u64,
    /// Never called, still waiting when the centre closed.
    pub abandoned: u64,
    /// Called, still open when the centre closed.
    pub closed: u64,
    /// Served or not served in longer than the service's norm.
    pub over_norm: u64,
    /// Waits of visits that were called.
    pub wait: Histogram,
    /// Service times of tickets served or not served.
    pub service: Histogram,
    /// Ratings given.
    pub ratings: u64,
    /// The sum of their scores.
    pub rating_sum: u64,
    /// Ratings of 4 or 5.
    pub satisfied: u64,
    /// Applications accepted.
    pub accepted: u64,
    /// Applications finished (done or rejected).
    pub finished: u64,
    /// …of which by the legal deadline.
    pub on_time: u64,
    /// Payments taken.
    pub payments: u64,
    /// Their amount, minor units.
    pub paid: i64,
    /// Refunds paid out, minor units.
    pub refunded: i64,
}

impl Tally {
    /// Adds `other` into this tally.
    pub fn merge(&mut self, other: &Tally) {
        self.tickets += other.tickets;
        self.visits += other.visits;
        self.called += other.called;
        self.served += other.served;
        self.not_served += other.not_served;
        self.no_show += other.no_show;
        self.transferred += other.transferred;
        self.abandoned += other.abandoned;
        self.closed += other.closed;
        self.over_norm += other.over_norm;
        self.wait.merge(&other.wait);
        self.service.merge(&other.service);
        self.ratings += other.ratings;
        self.rating_sum += other.rating_sum;
        self.satisfied += other.satisfied;
        self.accepted += other.accepted;
        self.finished += other.finished;
        self.on_time += other.on_time;
        self.payments += other.payments;
        self.paid += other.paid;
        self.refunded += other.refunded;
    }

    /// Applications finished by their legal deadline, in per mille.
    pub fn deadline_compliance(&self) -> Option<u64> {
        Tally::per_mille(self.on_time, self.finished)
    }

    /// Counts one ticket.
    pub fn add_ticket(&mut self, f: &TicketFacts) {
        self.tickets += 1;
        self.visits += u64::from(f.visit);
        self.called += u64::from(f.called);
        match f.outcome {
            Some("served") => self.served += 1,
            Some("not_served") => self.not_served += 1,
            Some("no_show") => self.no_show += 1,
            Some("transferred") => self.transferred += 1,
            Some("centre_closed") if f.called => self.closed += 1,
            Some("centre_closed") => self.abandoned += 1,
            _ => {}
        }
        self.over_norm += u64::from(f.over_norm);
        if let Some(w) = f.wait_secs {
            self.wait.add(w);
        }
        if let Some(s) = f.service_secs {
            self.service.add(s);
        }
    }

    /// Counts one rating.
    pub fn add_rating(&mut self, score: u8) {
        self.ratings += 1;
        self.rating_sum += u64::from(score);
        self.satisfied += u64::from(score >= 4);
    }

    /// `part` of `whole` in tenths of a percent (per mille), `None` when `whole` is 0.
    pub fn per_mille(part: u64, whole: u64) -> Option<u64> {
        (whole > 0).then(|| (part * 1000 + whole / 2) / whole)
    }

    /// The satisfaction rate in per mille.
    pub fn satisfaction(&self) -> Option<u64> {
        Tally::per_mille(self.satisfied, self.ratings)
    }

    /// No-shows per called ticket, in per mille.
    pub fn no_show_rate(&self) -> Option<u64> {
        Tally::per_mille(self.no_show, self.called)
    }

    /// Abandoned visits per visit, in per mille.
    pub fn abandonment_rate(&self) -> Option<u64> {
        Tally::per_mille(self.abandoned, self.visits)
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.tickets == 0
            && self.ratings == 0
            && self.accepted == 0
            && self.finished == 0
            && self.payments == 0
            && self.refunded == 0
    }
}

/// Cells of a day or of a whole query: a tally per cuboid and key.
pub type Cells = BTreeMap<(Cuboid, CellKey), Tally>;

/// The cells one day of a centre adds to the rollups.
pub fn cells_of_day(activity: &DayActivity, ctx: &Context) -> Cells {
    let mut cells = Cells::new();
    for t in &activity.tickets {
        let f = TicketFacts::of(t, ctx);
        let ticket = &t.ticket;
        let service = ticket.service.as_str();
        let provider = ctx.provider(service);
        let base = CellKey::base(ticket.centre.as_str(), service, &provider);
        let flow = CellKey { origin: ticket.origin.kind().to_owned(), ..base.clone() };
        cells.entry((Cuboid::Flow, flow)).or_default().add_ticket(&f);
        let weekday = i64::from(t.day.weekday().to_monday_one_offset());
        let hours = CellKey { hour: weekday * 100 + i64::from(f.hour), ..base.clone() };
        cells.entry((Cuboid::Hours, hours)).or_default().add_ticket(&f);
        if let Some(officer) = &f.officer {
            let key = CellKey { officer: officer.clone(), ..base };
            cells.entry((Cuboid::Officers, key)).or_default().add_ticket(&f);
        }
    }
    for r in &activity.ratings {
        let service = r.service.clone().unwrap_or_default();
        let provider = r.provider.clone().unwrap_or_default();
        let base = CellKey::base(&r.centre, &service, &provider);
        let key = CellKey { channel: r.channel.clone(), ..base.clone() };
        cells.entry((Cuboid::Ratings, key)).or_default().add_rating(r.score);
        if let Some(officer) = &r.officer {
            let key = CellKey { officer: officer.clone(), ..base };
            cells.entry((Cuboid::Officers, key)).or_default().add_rating(r.score);
        }
    }
    for a in &activity.applications {
        let key = CellKey { officer: a.officer.clone(), ..CellKey::base(&a.centre, &a.service, &a.provider) };
        let t = cells.entry((Cuboid::Applications, key)).or_default();
        if Some(a.accepted_on) == activity.day {
            t.accepted += 1;
        }
        if a.done_on.is_some() && a.done_on == activity.day {
            t.finished += 1;
            t.on_time += u64::from(a.done_on <= Some(a.deadline_on));
        }
    }
    for m in &activity.money {
        let key = CellKey { channel: m.channel.clone(), ..CellKey::base(&m.centre, &m.service, &m.provider) };
        let t = cells.entry((Cuboid::Payments, key)).or_default();
        if m.channel == "refund" {
            t.refunded += m.amount;
        } else {
            t.payments += 1;
            t.paid += m.amount;
        }
    }
    cells
}

/// How figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Everything together.
    Total,
    /// Per centre.
    Centre,
    /// Per service.
    Service,
    /// Per provider.
    Provider,
    /// Per origin of tickets (flow).
    Origin,
    /// Per local hour of issue (hours).
    Hour,
    /// Per officer (officers).
    Officer,
    /// Per rating channel (ratings).
    Channel,
    /// Per local day.
    Day,
    /// Per day of the week (1 = Monday … 7 = Sunday).
    Weekday,
    /// Per weekday and hour, `1-09` (hours): the heat map.
    WeekdayHour,
    /// Per month, `2026-11`.
    Month,
    /// Per officer and service, `login|SERVICE` (officers).
    OfficerService,
    /// Per service and origin, `SERVICE|origin` (flow).
    ServiceOrigin,
}

impl GroupBy {
    /// Every grouping.
    pub const ALL: [GroupBy; 14] = [
        GroupBy::Total,
        GroupBy::Centre,
        GroupBy::Service,
        GroupBy::Provider,
        GroupBy::Origin,
        GroupBy::Hour,
        GroupBy::Officer,
        GroupBy::Channel,
        GroupBy::Day,
        GroupBy::Weekday,
        GroupBy::WeekdayHour,
        GroupBy::Month,
        GroupBy::OfficerService,
        GroupBy::ServiceOrigin,
    ];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Total => "total",
            GroupBy::Centre => "centre",
            GroupBy::Service => "service",
            GroupBy::Provider => "provider",
            GroupBy::Origin => "origin",
            GroupBy::Hour => "hour",
            GroupBy::Officer => "officer",
            GroupBy::Channel => "channel",
            GroupBy::Day => "day",
            GroupBy::Weekday => "weekday",
            GroupBy::WeekdayHour => "weekday_hour",
            GroupBy::Month => "month",
            GroupBy::OfficerService => "officer_service",
            GroupBy::ServiceOrigin => "service_origin",
        }
    }

    /// The grouping named `name`.
    pub fn parse(name: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == name)
    }

    /// The key columns of a cell its group key uses (the period aside, which every read keeps).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            GroupBy::Total | GroupBy::Day | GroupBy::Weekday | GroupBy::Month => &[],
            GroupBy::Centre => &["centre"],
            GroupBy::Service => &["service"],
            GroupBy::Provider => &["provider"],
            GroupBy::Origin => &["origin"],
            GroupBy::Hour | GroupBy::WeekdayHour => &["hour"],
            GroupBy::Officer => &["officer"],
            GroupBy::Channel => &["channel"],
            GroupBy::OfficerService => &["officer", "service"],
            GroupBy::ServiceOrigin => &["service", "origin"],
        }
    }

    /// Whether the grouping needs each day apart (month rollups cannot answer it). The heat map
    /// does not: the hours cuboid keeps the weekday in its key.
    pub fn needs_days(self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Weekday)
    }

    /// The group of a cell of `key` counted in `period` (a day; the first day of a month for a
    /// month's cell, which [`GroupBy::needs_days`] groupings never see).
    pub fn key(self, key: &CellKey, period: Date) -> String {
        match self {
            GroupBy::Total => String::new(),
            GroupBy::Centre => key.centre.clone(),
            GroupBy::Service => key.service.clone(),
            GroupBy::Provider => key.provider.clone(),
            GroupBy::Origin => key.origin.clone(),
            GroupBy::Hour => format!("{:02}", key.hour.rem_euclid(100)),
            GroupBy::Officer => key.officer.clone(),
            GroupBy::Channel => key.channel.clone(),
            GroupBy::Day => period.to_string(),
            GroupBy::Weekday => period.weekday().to_monday_one_offset().to_string(),
            GroupBy::WeekdayHour => format!("{}-{:02}", key.hour.div_euclid(100), key.hour.rem_euclid(100)),
            GroupBy::Month => format!("{:04}-{:02}", period.year(), period.month()),
            GroupBy::OfficerService => format!("{}|{}", key.officer, key.service),
            GroupBy::ServiceOrigin => format!("{}|{}", key.service, key.origin),
        }
    }
}

/// Which cells count. Empty fields are not filtered on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Only this centre.
    pub centre: Option<String>,
    /// Only this provider's services.
    pub provider: Option<String>,
    /// Only this service.
    pub service: Option<String>,
    /// Only this officer.
    pub officer: Option<String>,
}

impl Filter {
    /// Whether a cell of `key` counts.
    pub fn admits(&self, key: &CellKey) -> bool {
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&self.centre, &key.centre)
            && ok(&self.provider, &key.provider)
            && ok(&self.service, &key.service)
            && ok(&self.officer, &key.officer)
    }
}

/// Figures grouped: a tally per group key, in key order.
pub type Grouped = BTreeMap<String, Tally>;

/// Adds the cells of `cuboid` that `filter` admits, counted in `period`, into `out` grouped `by`.
pub fn group_into(
    out: &mut Grouped,
    cells: &Cells,
    cuboid: Cuboid,
    filter: &Filter,
    by: GroupBy,
    period: Date,
) {
    for ((c, key), tally) in cells {
        if *c == cuboid && filter.admits(key) {
            out.entry(by.key(key, period)).or_default().merge(tally);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{CentreCode, ServiceCode};
    use crate::queue::number::TicketNumber;
    use crate::queue::ticket::{Action, Origin, ServiceResult, TicketId, TransferTarget, apply};
    use jiff::SignedDuration;
    use jiff::civil::date;

    fn ctx() -> Context {
        Context {
            providers: [("S1".into(), "P1".into()), ("S2".into(), "P2".into())].into(),
            norms: [("S1".into(), 300), ("S2".into(), 600)].into(),
            zones: [("C1".into(), TimeZone::get("Asia/Baku").unwrap())].into(),
            default_zone: TimeZone::UTC,
        }
    }

    fn at(min: i64) -> Timestamp {
        // 05:00 UTC is 09:00 in Baku.
        "2026-03-02T05:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(min)
    }

    fn observed(ticket: Ticket, officer: &str) -> ObservedTicket {
        let officers = ticket.steps.iter().map(|s| s.window.map(|_| officer.to_owned())).collect();
        ObservedTicket { ticket, day: date(2026, 3, 2), officers }
    }

    fn ticket(id: i64, service: &str, origin: Origin) -> Ticket {
        Ticket::issue(
            TicketId(id),
            TicketNumber::new('A', u32::try_from(id).unwrap()).unwrap(),
            CentreCode::new("C1"),
            ServiceCode::new(service),
            origin,
            None,
            at(0),
        )
    }

    #[test]
    fn a_day_becomes_cells_of_every_cuboid() {
        let served = [
            (10, Action::Call { window: 2 }),
            (11, Action::Start),
            (21, Action::Finish { result: ServiceResult::Served }),
        ]
        .into_iter()
        .fold(ticket(1, "S1", Origin::Kiosk), |t, (m, a)| apply(&t, a, at(m)).unwrap());
        let no_show = [(5, Action::Call { window: 3 }), (8, Action::NoShow)]
            .into_iter()
            .fold(ticket(2, "S1", Origin::Kiosk), |t, (m, a)| apply(&t, a, at(m)).unwrap());
        let abandoned = apply(&ticket(3, "S2", Origin::InfoDesk), Action::CloseDay, at(600)).unwrap();
        let moved = [
            (2, Action::Call { window: 2 }),
            (3, Action::Transfer { to: TransferTarget::Service(ServiceCode::new("S2")) }),
        ]
        .into_iter()
        .fold(ticket(4, "S1", Origin::Kiosk), |t, (m, a)| apply(&t, a, at(m)).unwrap());
        let follow = moved.follow_on(TicketId(5)).unwrap();
        let follow = [
            (30, Action::Call { window: 4 }),
            (31, Action::Start),
            (45, Action::Finish { result: ServiceResult::Served }),
        ]
        .into_iter()
        .fold(follow, |t, (m, a)| apply(&t, a, at(m)).unwrap());
        let activity = DayActivity {
            tickets: vec![
                observed(served, "ali"),
                observed(no_show, "vugar"),
                observed(abandoned, "nobody"),
                observed(moved, "ali"),
                observed(follow, "leyla"),
            ],
            ratings: vec![
                ObservedRating {
                    at: at(22),
                    channel: "tablet".into(),
                    centre: "C1".into(),
                    service: Some("S1".into()),
                    provider: Some("P1".into()),
                    officer: Some("ali".into()),
                    score: 5,
                },
                ObservedRating {
                    at: at(60),
                    channel: "exit_poll".into(),
                    centre: "C1".into(),
                    service: None,
                    provider: None,
                    officer: None,
                    score: 2,
                },
            ],
            ..DayActivity::default()
        };
        let cells = cells_of_day(&activity, &ctx());
        let mut total = Grouped::new();
        group_into(&mut total, &cells, Cuboid::Flow, &Filter::default(), GroupBy::Total, date(2026, 3, 2));
        let t = &total[""];
        assert_eq!((t.tickets, t.visits, t.called, t.served, t.no_show), (5, 4, 4, 2, 1));
        assert_eq!((t.transferred, t.abandoned, t.closed, t.over_norm), (1, 1, 0, 2));
        assert_eq!((t.wait.n, t.wait.percentile(50), t.service.n), (3, Some(300), 2));
        assert_eq!(t.abandonment_rate(), Some(250));

        let mut officers = Grouped::new();
        group_into(
            &mut officers,
            &cells,
            Cuboid::Officers,
            &Filter::default(),
            GroupBy::Officer,
            date(2026, 3, 2),
        );
        let names: Vec<&str> = officers.keys().map(String::as_str).collect();
        assert_eq!(names, ["ali", "leyla", "vugar"], "the abandoned ticket has no officer");
        assert_eq!((officers["ali"].served, officers["ali"].transferred, officers["ali"].ratings), (1, 1, 1));

        let mut heat = Grouped::new();
        group_into(
            &mut heat,
            &cells,
            Cuboid::Hours,
            &Filter::default(),
            GroupBy::WeekdayHour,
            date(2026, 3, 2),
        );
        assert_eq!(heat.keys().collect::<Vec<_>>(), ["1-09"], "Monday, 09 local time");

        let mut ratings = Grouped::new();
        let s1 = Filter { service: Some("S1".into()), ..Filter::default() };
        group_into(
            &mut ratings,
            &cells,
            Cuboid::Ratings,
            &Filter::default(),
            GroupBy::Channel,
            date(2026, 3, 2),
        );
        assert_eq!(
            (ratings["tablet"].satisfaction(), ratings["exit_poll"].satisfaction()),
            (Some(1000), Some(0))
        );
        let mut only = Grouped::new();
        group_into(&mut only, &cells, Cuboid::Ratings, &s1, GroupBy::Total, date(2026, 3, 2));
        assert_eq!(only[""].ratings, 1);
        assert!(Cuboid::Flow.groups_by(GroupBy::Origin) && !Cuboid::Flow.groups_by(GroupBy::Hour));
    }
}
