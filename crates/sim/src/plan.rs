//! A centre's day to simulate: the catalogue's centre, its hours on the date, and a plan file.
//!
//! # The plan file (TOML)
//!
//! Every key is optional; an empty file simulates the centre with the assumed demand
//! (`onestop_domain::staffing::typical_arrivals`) and every window open all day.
//!
//! ```toml
//! seed = 1                  # the random stream; the same seed gives the same day
//! days = 20                 # days simulated and averaged (replications)
//! load = 0.7                # assumed demand: the peak hour's arrivals over what all windows serve
//! priority_share = 0.05     # walk-ins of a priority group
//! patience_minutes = 45     # mean patience (exponential); 0: nobody gives up
//! no_show_seconds = 60      # a window's time on a ticket whose holder left
//! appointment_share = 0.15  # share of the demand that books an appointment
//! appointment_no_show = 0.1 # share of appointments never checked in
//! service_time_cv = 0.5     # log-normal service times around the catalogue's handling time
//! target_minutes = 15       # the service-level target: called within…
//! target_share = 0.8        # …for this share of visitors
//!
//! [weekday]                 # demand factors by weekday (assumed profile: monday 1.1 … sunday 0.6)
//! monday = 1.2
//!
//! [[arrivals]]              # a service's visitors per hour (walk-ins and appointments together),
//! service = "MIA-ID-CARD"   # from each listed time until the next; none before the first
//! per_hour = { "10:00" = 30, "11:00" = 42, "13:00" = 30, "15:00" = 40 }
//!
//! [[service_times]]         # minutes: log-normal mean and cv, or observed samples
//! service = "MIA-ID-CARD"
//! mean_minutes = 12
//! cv = 0.6
//! # samples_minutes = [8, 9, 12, 15, 30]
//!
//! [[windows]]               # how many of these windows are open from each listed time
//! numbers = "1-4"           # (the lowest numbers first); none before the first time.
//! open = { "10:00" = 3, "12:00" = 4, "13:00" = 2, "14:00" = 4 }
//! ```
//!
//! Windows named by no `[[windows]]` entry are open from opening to closing. Times are the
//! centre's local time on the date; hours are whole or `HH:MM`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use onestop_domain::catalogue::{Catalogue, Centre, ServiceCode};
use onestop_domain::queue::calling::CallingRules;
use onestop_domain::queue::day;
use onestop_domain::staffing::{self, Target, WindowGroup};
use serde::Deserialize;

use crate::model::{AppointmentSpec, RateTable, Scenario, ServiceSpec, ServiceTime, WindowSpec};
use crate::rng::Rng;

/// A plan file, as written (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// The random stream.
    pub seed: Option<u64>,
    /// Days simulated.
    pub days: Option<u64>,
    /// Assumed demand level.
    pub load: Option<f64>,
    /// Walk-ins of a priority group.
    pub priority_share: Option<f64>,
    /// Mean patience, minutes; 0: nobody gives up.
    pub patience_minutes: Option<f64>,
    /// A window's time on a ticket whose holder left.
    pub no_show_seconds: Option<f64>,
    /// Share of the demand that books.
    pub appointment_share: Option<f64>,
    /// Share of appointments never checked in.
    pub appointment_no_show: Option<f64>,
    /// Coefficient of variation of log-normal service times.
    pub service_time_cv: Option<f64>,
    /// Target: minutes…
    pub target_minutes: Option<f64>,
    /// …and share.
    pub target_share: Option<f64>,
    /// Demand factors by weekday name.
    pub weekday: Option<BTreeMap<String, f64>>,
    /// Per-service arrival tables.
    #[serde(default)]
    pub arrivals: Vec<ArrivalsEntry>,
    /// Per-service service times.
    #[serde(default)]
    pub service_times: Vec<ServiceTimeEntry>,
    /// Windows open by time.
    #[serde(default)]
    pub windows: Vec<WindowsEntry>,
}

/// `[[arrivals]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsEntry {
    /// The service's code.
    pub service: String,
    /// Visitors per hour from each time on.
    pub per_hour: BTreeMap<String, f64>,
}

/// `[[service_times]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTimeEntry {
    /// The service's code.
    pub service: String,
    /// Log-normal mean, minutes.
    pub mean_minutes: Option<f64>,
    /// Log-normal coefficient of variation.
    pub cv: Option<f64>,
    /// Observed times, minutes.
    pub samples_minutes: Option<Vec<f64>>,
}

/// `[[windows]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsEntry {
    /// Window numbers: `1-4`, `7, 9`.
    pub numbers: String,
    /// How many are open from each time on.
    pub open: BTreeMap<String, u32>,
}

/// Why a plan cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The file is not a plan.
    #[error("the plan file is not valid: {0}")]
    Syntax(String),
    /// A value is out of range or names nothing.
    #[error("{field}: {problem}")]
    Invalid {
        /// The key, e.g. `windows[0].numbers`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// No such centre.
    #[error("there is no centre {0}")]
    NoCentre(String),
    /// The centre is closed that day.
    #[error("centre {0} is closed on {1}")]
    Closed(String, Date),
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> PlanError {
    PlanError::Invalid { field: field.into(), problem: problem.into() }
}

impl PlanFile {
    /// Reads a plan file's text.
    pub fn parse(text: &str) -> Result<PlanFile, PlanError> {
        let plan: PlanFile = toml::from_str(text).map_err(|e| PlanError::Syntax(e.to_string()))?;
        for (field, value, max) in [
            ("load", plan.load, 10.0),
            ("priority_share", plan.priority_share, 1.0),
            ("appointment_share", plan.appointment_share, 1.0),
            ("appointment_no_show", plan.appointment_no_show, 1.0),
            ("service_time_cv", plan.service_time_cv, 10.0),
            ("target_share", plan.target_share, 1.0),
            ("patience_minutes", plan.patience_minutes, 1e6),
            ("no_show_seconds", plan.no_show_seconds, 1e6),
            ("target_minutes", plan.target_minutes, 1e6),
        ] {
            if let Some(v) = value
                && !(0.0..=max).contains(&v)
            {
                return Err(invalid(field, format!("{v} is not between 0 and {max}")));
            }
        }
        Ok(plan)
    }

    /// The service-level target.
    pub fn target(&self) -> Target {
        Target { within: self.target_minutes.unwrap_or(15.0) * 60.0, share: self.target_share.unwrap_or(0.8) }
    }

    /// Days to simulate.
    pub fn days(&self) -> u64 {
        self.days.unwrap_or(20).max(1)
    }

    /// The first seed.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(1)
    }

    /// Mean patience in seconds, if visitors give up.
    pub fn patience(&self) -> Option<f64> {
        let minutes = self.patience_minutes.unwrap_or(45.0);
        (minutes > 0.0).then_some(minutes * 60.0)
    }

    fn weekday_factor(&self, day: Weekday, explicit: bool) -> f64 {
        let name = format!("{day:?}").to_lowercase();
        match self.weekday.as_ref().and_then(|w| w.get(&name)) {
            Some(f) => *f,
            None if explicit => 1.0,
            None => staffing::typical_weekday_factor(day),
        }
    }
}

/// Seconds after midnight of `HH` or `HH:MM`.
fn clock(field: &str, text: &str) -> Result<f64, PlanError> {
    let (h, m) = text.split_once(':').unwrap_or((text, "0"));
    match (h.trim().parse::<u32>(), m.trim().parse::<u32>()) {
        (Ok(h), Ok(m)) if h <= 24 && m < 60 => Ok(f64::from(h * 3600 + m * 60)),
        _ => Err(invalid(field, format!("\"{text}\" is not a time of day (HH or HH:MM)"))),
    }
}

/// The numbers of `1-4, 7`.
pub fn window_numbers(field: &str, text: &str) -> Result<Vec<u32>, PlanError> {
    let mut numbers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || invalid(field, format!("\"{part}\" is not a window number or range"));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) =
                    (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                if a > b {
                    return Err(bad());
                }
                numbers.extend(a..=b);
            }
            None => numbers.push(part.parse().map_err(|_| bad())?),
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    Ok(numbers)
}

fn secs_of(t: Time) -> f64 {
    f64::from(t.hour()) * 3600.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second())
}

/// A centre's day, ready to simulate.
#[derive(Debug, Clone)]
pub struct Day {
    /// The centre.
    pub centre: Centre,
    /// The date.
    pub date: Date,
    /// Opening, seconds after local midnight.
    pub open: f64,
    /// Closing, seconds after local midnight.
    pub close: f64,
    /// The centre's window groups.
    pub groups: Vec<WindowGroup>,
    /// The simulation (its appointments drawn for one replication).
    pub scenario: Scenario,
    /// Expected visitors per hour per service (index of `scenario.services`), walk-ins and
    /// appointments together: `[service][hour of day]`.
    pub demand: Vec<[f64; 24]>,
}

/// The day of `centre` on `date` under `plan`, its appointments drawn with `seed`.
pub fn day(
    catalogue: &Catalogue,
    centre: &str,
    date: Date,
    plan: &PlanFile,
    seed: u64,
) -> Result<Day, PlanError> {
    let country = &catalogue.country;
    let centre = catalogue.centre(centre).ok_or_else(|| PlanError::NoCentre(centre.to_owned()))?;
    let (open_time, close_time) = centre
        .hours_on_date(date, country)
        .ok_or_else(|| PlanError::Closed(centre.code.to_string(), date))?;
    let (open, close) = (secs_of(open_time), secs_of(close_time));
    let zone = day::zone(centre, country);
    let start: Timestamp =
        date.at(0, 0, 0, 0).to_zoned(zone).map_err(|e| invalid("date", e.to_string()))?.timestamp();
    let groups = staffing::window_groups(centre);

    // Services rendered at the centre's windows, in window order.
    let mut codes: Vec<ServiceCode> = Vec::new();
    for w in &centre.windows {
        for s in &w.services {
            if !codes.contains(s) {
                codes.push(s.clone());
            }
        }
    }
    let index_of = |field: &str, code: &str| {
        codes
            .iter()
            .position(|c| c == code)
            .ok_or_else(|| invalid(field, format!("no window of {} renders {code}", centre.code)))
    };
    let cv = plan.service_time_cv.unwrap_or(0.5);
    let mut services: Vec<ServiceSpec> = Vec::new();
    for code in &codes {
        let handling = catalogue.service(code.as_str()).map_or(10, |s| s.handling_minutes);
        services.push(ServiceSpec {
            code: code.clone(),
            time: ServiceTime::LogNormal { mean: f64::from(handling) * 60.0, cv },
            handling_minutes: handling,
        });
    }
    for (i, entry) in plan.service_times.iter().enumerate() {
        let field = format!("service_times[{i}]");
        let s = index_of(&format!("{field}.service"), &entry.service)?;
        services[s].time = match (&entry.samples_minutes, entry.mean_minutes) {
            (Some(samples), _) if !samples.is_empty() && samples.iter().all(|m| *m > 0.0) => {
                ServiceTime::Empirical(samples.iter().map(|m| m * 60.0).collect())
            }
            (Some(_), _) => {
                return Err(invalid(format!("{field}.samples_minutes"), "needs positive minutes"));
            }
            (None, Some(mean)) if mean > 0.0 => {
                ServiceTime::LogNormal { mean: mean * 60.0, cv: entry.cv.unwrap_or(cv) }
            }
            _ => return Err(invalid(&field, "needs mean_minutes or samples_minutes")),
        };
    }

    // Demand per service per hour of day.
    let weekday = date.weekday();
    let load = plan.load.unwrap_or(0.7);
    let mut demand = vec![[0.0f64; 24]; codes.len()];
    for group in &groups {
        for hour in 0..24i8 {
            for (code, arrivals) in staffing::typical_arrivals(group, catalogue, load, hour, weekday) {
                if let Some(s) = codes.iter().position(|c| *c == code) {
                    demand[s][hour as usize] = arrivals / staffing::typical_weekday_factor(weekday)
                        * plan.weekday_factor(weekday, false);
                }
            }
        }
    }
    for (i, entry) in plan.arrivals.iter().enumerate() {
        let field = format!("arrivals[{i}]");
        let s = index_of(&format!("{field}.service"), &entry.service)?;
        let mut table: Vec<(f64, f64)> = Vec::new();
        for (at, rate) in &entry.per_hour {
            if *rate < 0.0 {
                return Err(invalid(format!("{field}.per_hour.{at}"), "must not be negative"));
            }
            table.push((clock(&format!("{field}.per_hour"), at)?, *rate));
        }
        table.sort_by(|a, b| a.0.total_cmp(&b.0));
        let factor = plan.weekday_factor(weekday, true);
        for (hour, slot) in demand[s].iter_mut().enumerate() {
            let t = hour as f64 * 3600.0;
            // The rate over the hour: time-weighted over the table's pieces.
            let mut total = 0.0;
            for (k, (from, rate)) in table.iter().enumerate() {
                let to = table.get(k + 1).map_or(f64::INFINITY, |p| p.0);
                let overlap = (to.min(t + 3600.0) - from.max(t)).max(0.0);
                total += rate * overlap / 3600.0;
            }
            *slot = total * factor;
        }
    }

    // Walk-ins: the demand not booked, within opening hours; appointments drawn per hour.
    let booked = plan.appointment_share.unwrap_or(0.15);
    let no_show = plan.appointment_no_show.unwrap_or(0.1);
    let mut rng = Rng::seeded(seed ^ 0x5eed_a990_1170_0000);
    let mut arrivals = Vec::new();
    let mut appointments = Vec::new();
    for (s, hours) in demand.iter().enumerate() {
        let mut pieces = vec![(0.0, 0.0)];
        for (hour, per_hour) in hours.iter().enumerate() {
            let from = (hour as f64 * 3600.0).max(open);
            let to = ((hour + 1) as f64 * 3600.0).min(close);
            if to <= from {
                continue;
            }
            pieces.push((from, per_hour * (1.0 - booked) / 3600.0));
            // Appointments start on the quarter hour inside opening hours.
            let count = rng.poisson(per_hour * booked * (to - from) / 3600.0);
            let quarters = ((to - from) / 900.0).floor().max(1.0) as usize;
            for _ in 0..count {
                let booked_at = from + 900.0 * rng.below(quarters) as f64;
                let arrives = (!rng.chance(no_show)).then(|| (booked_at - rng.uniform() * 900.0).max(open));
                appointments.push(AppointmentSpec { service: s, booked_at, arrives_at: arrives });
            }
        }
        pieces.push((close, 0.0));
        arrivals.push(RateTable { pieces });
    }

    // Windows: all day unless a [[windows]] entry says otherwise.
    let mut window_open: BTreeMap<u32, Vec<(f64, f64)>> =
        centre.windows.iter().map(|w| (w.number, vec![(open, close)])).collect();
    for (i, entry) in plan.windows.iter().enumerate() {
        let field = format!("windows[{i}]");
        let numbers = window_numbers(&format!("{field}.numbers"), &entry.numbers)?;
        if numbers.is_empty() {
            return Err(invalid(format!("{field}.numbers"), "names no window"));
        }
        for n in &numbers {
            if !window_open.contains_key(n) {
                return Err(invalid(
                    format!("{field}.numbers"),
                    format!("{} has no window {n}", centre.code),
                ));
            }
        }
        let mut steps: Vec<(f64, u32)> = Vec::new();
        for (at, count) in &entry.open {
            steps.push((clock(&format!("{field}.open"), at)?, *count));
        }
        steps.sort_by(|a, b| a.0.total_cmp(&b.0));
        for n in &numbers {
            window_open.insert(*n, Vec::new());
        }
        for (k, (from, count)) in steps.iter().enumerate() {
            let to = steps.get(k + 1).map_or(close, |s| s.0).min(close);
            let from = from.max(open);
            if to <= from {
                continue;
            }
            for n in numbers.iter().take(*count as usize) {
                let intervals = window_open.entry(*n).or_default();
                match intervals.last_mut() {
                    Some(last) if last.1 == from => last.1 = to,
                    _ => intervals.push((from, to)),
                }
            }
        }
    }
    let windows = centre
        .windows
        .iter()
        .map(|w| WindowSpec {
            number: w.number,
            services: w.services.iter().filter_map(|s| codes.iter().position(|c| c == s)).collect(),
            open: window_open.get(&w.number).cloned().unwrap_or_default(),
        })
        .collect();

    let scenario = Scenario {
        start,
        services,
        windows,
        arrivals,
        arrivals_until: close,
        max_arrivals: None,
        appointments,
        priority_share: plan.priority_share.unwrap_or(0.05),
        patience: plan.patience(),
        no_show_secs: plan.no_show_seconds.unwrap_or(60.0),
        close_at: Some(close),
        rules: CallingRules::default(),
        history: 50,
        min_samples: onestop_domain::queue::predict::DEFAULT_MIN_SAMPLES,
    };
    Ok(Day { centre: centre.clone(), date, open, close, groups, scenario, demand })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn demo() -> Catalogue {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/asan-demo.yaml"))
                .unwrap();
        onestop_domain::catalogue::parse_catalogue(&text).unwrap()
    }

    fn tuesday() -> Date {
        "2026-03-03".parse().unwrap()
    }

    #[test]
    fn an_empty_plan_opens_every_window_all_day_with_the_assumed_demand() {
        let catalogue = demo();
        let d = day(&catalogue, "BAKU-1", tuesday(), &PlanFile::default(), 1).unwrap();
        assert_eq!((d.open, d.close), (36_000.0, 72_000.0));
        assert_eq!(d.scenario.windows.len(), 40);
        assert!(d.scenario.windows.iter().all(|w| w.open == vec![(36_000.0, 72_000.0)]));
        // Demand before opening is dropped; within opening hours there is some.
        assert!(d.scenario.arrivals.iter().all(|a| a.at(30_000.0) == 0.0 && a.at(80_000.0) == 0.0));
        assert!(d.scenario.arrivals.iter().all(|a| a.at(40_000.0) > 0.0));
        assert!(!d.scenario.appointments.is_empty());
        assert!(d.scenario.appointments.iter().all(|a| a.booked_at >= 36_000.0 && a.booked_at < 72_000.0));
    }

    #[test]
    fn a_plan_sets_windows_arrivals_and_service_times() {
        let text = r#"
            appointment_share = 0
            [[arrivals]]
            service = "MIA-ID-CARD"
            per_hour = { "10" = 30, "12:30" = 60 }
            [[service_times]]
            service = "MIA-ID-CARD"
            samples_minutes = [5, 10]
            [[windows]]
            numbers = "1-4"
            open = { "10:00" = 2, "12:00" = 4, "13:00" = 1 }
        "#;
        let plan = PlanFile::parse(text).unwrap();
        let d = day(&demo(), "BAKU-1", tuesday(), &plan, 1).unwrap();
        let s = d.scenario.services.iter().position(|s| s.code == "MIA-ID-CARD").unwrap();
        assert_eq!(d.demand[s][10], 30.0);
        assert_eq!(d.demand[s][12], 45.0);
        assert_eq!(d.demand[s][13], 60.0);
        assert_eq!(d.scenario.services[s].time, ServiceTime::Empirical(vec![300.0, 600.0]));
        let w = |n: u32| d.scenario.windows.iter().find(|w| w.number == n).unwrap().open.clone();
        assert_eq!(w(1), vec![(36_000.0, 72_000.0)]);
        assert_eq!(w(2), vec![(36_000.0, 46_800.0)]);
        assert_eq!(w(3), vec![(43_200.0, 46_800.0)]);
        assert_eq!(w(5), vec![(36_000.0, 72_000.0)]);
    }

    #[test]
    fn bad_plans_are_refused_naming_the_field() {
        let catalogue = demo();
        let bad = |text: &str| {
            PlanFile::parse(text)
                .and_then(|p| day(&catalogue, "BAKU-1", tuesday(), &p, 1))
                .unwrap_err()
                .to_string()
        };
        assert!(bad("loud = 1").contains("unknown field"));
        assert!(bad("target_share = 2").starts_with("target_share"));
        assert!(bad("[[windows]]\nnumbers = \"1-99\"\nopen = { \"10\" = 1 }").contains("no window 41"));
        assert!(bad("[[arrivals]]\nservice = \"NOPE\"\nper_hour = {}").starts_with("arrivals[0].service"));
        assert!(bad("[[windows]]\nnumbers = \"1\"\nopen = { \"25:00\" = 1 }").contains("not a time"));
        let closed = day(&catalogue, "BAKU-1", "2026-03-20".parse().unwrap(), &PlanFile::default(), 1);
        assert!(matches!(closed, Err(PlanError::Closed(..))), "{closed:?}");
        assert_eq!(window_numbers("f", "7, 1-3,2").unwrap(), vec![1, 2, 3, 7]);
    }
}
