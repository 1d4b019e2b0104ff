//! A simulated day in figures: waits and the service level per hour and per service, and the
//! windows open and busy per window group and hour, averaged over the days simulated.

use std::fmt::Write;

use onestop_domain::staffing::Target;

use crate::engine::{Usage, Visit, run};
use crate::plan::{self, Day, PlanError, PlanFile};
use crate::rng::Rng;
use onestop_domain::catalogue::Catalogue;

/// Figures of a set of visits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Tickets issued (per day).
    pub arrivals: f64,
    /// Called while there (per day).
    pub served: f64,
    /// Gave up before the call (per day).
    pub gave_up: f64,
    /// Still waiting at closing (per day).
    pub unserved: f64,
    /// Mean wait of those called, minutes.
    pub mean_wait: f64,
    /// 90th percentile of the waits of those called, minutes.
    pub p90_wait: f64,
    /// Share of tickets called within the target while there.
    pub service_level: f64,
}

fn figures(visits: &[&Visit], days: f64, target: Target) -> Figures {
    let mut waits: Vec<f64> = visits.iter().filter_map(|v| v.wait()).collect();
    waits.sort_by(f64::total_cmp);
    let n = visits.len() as f64;
    let within = waits.iter().filter(|w| **w <= target.within).count() as f64;
    Figures {
        arrivals: n / days,
        served: waits.len() as f64 / days,
        gave_up: visits.iter().filter(|v| v.abandoned).count() as f64 / days,
        unserved: visits.iter().filter(|v| v.called.is_none() && !v.abandoned).count() as f64 / days,
        mean_wait: waits.iter().sum::<f64>() / waits.len().max(1) as f64 / 60.0,
        p90_wait: waits
            .get(((waits.len() as f64 * 0.9).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
            / 60.0,
        service_level: if n > 0.0 { within / n } else { 1.0 },
    }
}

/// One hour of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct HourRow {
    /// The hour, local.
    pub hour: usize,
    /// Tickets issued in it and what became of them.
    pub figures: Figures,
    /// Windows open, on average over the hour.
    pub open_windows: f64,
    /// Busy time over open time of the open windows.
    pub utilisation: f64,
}

/// One service over the day.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    /// Its code.
    pub service: String,
    /// Its figures.
    pub figures: Figures,
}

/// One window group over the day.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Its windows, e.g. `1-4`.
    pub label: String,
    /// Its services.
    pub services: Vec<String>,
    /// Per hour: `(hour, windows open on average, utilisation)`.
    pub hours: Vec<(usize, f64, f64)>,
    /// Tickets of its services issued per hour, called within the target: `(hour, share)`.
    pub service_level: Vec<(usize, f64)>,
}

/// A simulated day, averaged over the days run.
#[derive(Debug, Clone, PartialEq)]
pub struct DayReport {
    /// The centre.
    pub centre: String,
    /// The date.
    pub date: String,
    /// Days simulated.
    pub days: u64,
    /// The target.
    pub target: Target,
    /// The whole day.
    pub total: Figures,
    /// Per hour.
    pub hours: Vec<HourRow>,
    /// Per service.
    pub services: Vec<ServiceRow>,
    /// Per window group.
    pub groups: Vec<GroupRow>,
}

/// Simulates the plan's days of `centre` on `date` (seeds from the plan's on) and sums them up.
pub fn simulate(
    catalogue: &Catalogue,
    centre: &str,
    date: jiff::civil::Date,
    plan: &PlanFile,
) -> Result<DayReport, PlanError> {
    let mut runs = Vec::new();
    let mut first: Option<Day> = None;
    for k in 0..plan.days() {
        let seed = plan.seed() + k;
        let day = plan::day(catalogue, centre, date, plan, seed)?;
        let mut visits = Vec::new();
        let usage = run(&day.scenario, &mut Rng::seeded(seed), &mut |v| visits.push(v.clone()));
        runs.push((visits, usage));
        first.get_or_insert(day);
    }
    let Some(day) = first else {
        return Err(PlanError::Syntax("no day to simulate".into()));
    };
    Ok(summarise(&day, &runs, plan.target()))
}

/// Sums up runs of `day`.
pub fn summarise(day: &Day, runs: &[(Vec<Visit>, Usage)], target: Target) -> DayReport {
    let days = runs.len().max(1) as f64;
    let all: Vec<&Visit> = runs.iter().flat_map(|(v, _)| v.iter()).collect();
    let first_hour = (day.open / 3600.0).floor() as usize;
    let last_hour = ((day.close / 3600.0).ceil() as usize).max(first_hour + 1);
    let hour_of = |v: &Visit| (v.arrived / 3600.0).floor() as usize;
    let window_index = |n: u32| day.scenario.windows.iter().position(|w| w.number == n);
    let usage_of = |windows: &[usize], hour: usize| {
        let mut open = 0.0;
        let mut busy = 0.0;
        for (_, usage) in runs {
            for w in windows {
                open += usage.open[*w].get(hour).copied().unwrap_or(0.0);
                busy += usage.busy[*w].get(hour).copied().unwrap_or(0.0);
            }
        }
        (open / 3600.0 / days, if open > 0.0 { busy / open } else { 0.0 })
    };
    let every: Vec<usize> = (0..day.scenario.windows.len()).collect();
    let hours = (first_hour..last_hour)
        .map(|hour| {
            let mine: Vec<&Visit> = all.iter().copied().filter(|v| hour_of(v) == hour).collect();
            let (open_windows, utilisation) = usage_of(&every, hour);
            HourRow { hour, figures: figures(&mine, days, target), open_windows, utilisation }
        })
        .collect();
    let services = day
        .scenario
        .services
        .iter()
        .enumerate()
        .map(|(s, spec)| {
            let mine: Vec<&Visit> = all.iter().copied().filter(|v| v.service == s).collect();
            ServiceRow { service: spec.code.to_string(), figures: figures(&mine, days, target) }
        })
        .collect();
    let groups = day
        .groups
        .iter()
        .map(|g| {
            let windows: Vec<usize> = g.windows.iter().filter_map(|n| window_index(*n)).collect();
            let service_ids: Vec<usize> = g
                .services
                .iter()
                .filter_map(|code| day.scenario.services.iter().position(|s| s.code == *code))
                .collect();
            GroupRow {
                label: g.label(),
                services: g.services.iter().map(ToString::to_string).collect(),
                hours: (first_hour..last_hour)
                    .map(|h| {
                        let (open, util) = usage_of(&windows, h);
                        (h, open, util)
                    })
                    .collect(),
                service_level: (first_hour..last_hour)
                    .map(|h| {
                        let mine: Vec<&Visit> = all
                            .iter()
                            .copied()
                            .filter(|v| hour_of(v) == h && service_ids.contains(&v.service))
                            .collect();
                        (h, figures(&mine, days, target).service_level)
                    })
                    .collect(),
            }
        })
        .collect();
    DayReport {
        centre: day.centre.code.to_string(),
        date: day.date.to_string(),
        days: runs.len() as u64,
        target,
        total: figures(&all, days, target),
        hours,
        services,
        groups,
    }
}

fn row(out: &mut String, label: &str, f: &Figures) {
    let _ = writeln!(
        out,
        "{label:<24} {:>8.1} {:>8.1} {:>7.1} {:>8.1} {:>8.1} {:>8.1} {:>6.1}%",
        f.arrivals,
        f.served,
        f.gave_up,
        f.unserved,
        f.mean_wait,
        f.p90_wait,
        f.service_level * 100.0
    );
}

impl DayReport {
    /// The report as plain-text tables.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} on {}: {} simulated day(s); target {:.0} % called within {:.0} min\n",
            self.centre,
            self.date,
            self.days,
            self.target.share * 100.0,
            self.target.within / 60.0
        );
        let head = "tickets   called gave up unserved mean min  p90 min  target";
        let _ = writeln!(out, "{:<24} {head}   windows  busy", "hour");
        for h in &self.hours {
            let mut line = String::new();
            row(&mut line, &format!("{:02}:00", h.hour), &h.figures);
            let _ =
                writeln!(out, "{}  {:>7.1} {:>5.0}%", line.trim_end(), h.open_windows, h.utilisation * 100.0);
        }
        row(&mut out, "day", &self.total);
        let _ = writeln!(out, "\n{:<24} {head}", "service");
        for s in self.services.iter().filter(|s| s.figures.arrivals > 0.0) {
            row(&mut out, &s.service, &s.figures);
        }
        let _ = writeln!(out, "\nwindows open / busy % / target met % per hour, by window group");
        let header: String =
            self.hours.iter().map(|h| format!(" {:>11}", format!("{:02}:00", h.hour))).collect();
        let _ = writeln!(out, "{:<14}{header}", "windows");
        for g in &self.groups {
            let cells: String = g
                .hours
                .iter()
                .zip(&g.service_level)
                .map(|((_, open, util), (_, sl))| {
                    format!(" {:>11}", format!("{open:.1}/{:.0}/{:.0}", util * 100.0, sl * 100.0))
                })
                .collect();
            let _ = writeln!(out, "{:<14}{cells}", g.label);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::demo;

    #[test]
    fn a_day_at_baku_1_adds_up() {
        let plan = PlanFile::parse("days = 2").unwrap();
        let report = simulate(&demo(), "BAKU-1", "2026-03-03".parse().unwrap(), &plan).unwrap();
        assert_eq!(report.hours.first().map(|h| h.hour), Some(10));
        assert_eq!(report.hours.last().map(|h| h.hour), Some(19));
        let t = &report.total;
        assert!(t.arrivals > 500.0, "{t:?}");
        assert!((t.served + t.gave_up + t.unserved - t.arrivals).abs() < 1e-9);
        let by_hour: f64 = report.hours.iter().map(|h| h.figures.arrivals).sum();
        assert!((by_hour - t.arrivals).abs() < 1e-9);
        assert!(report.hours.iter().all(|h| (h.open_windows - 40.0).abs() < 1e-6));
        assert!(report.hours.iter().all(|h| (0.0..=1.0).contains(&h.utilisation)));
        let text = report.render();
        assert!(
            text.contains("BAKU-1 on 2026-03-03") && text.contains("MIA-ID-CARD") && text.contains("1-4")
        );
    }
}
