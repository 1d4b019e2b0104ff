//! What a simulation runs: services with their service times, windows with the hours their
//! officers are signed in, walk-in arrival rates, booked appointments and the visitors' patience.
//!
//! Times are seconds after [`Scenario::start`], as `f64`.

use jiff::Timestamp;
use onestop_domain::catalogue::ServiceCode;
use onestop_domain::queue::calling::CallingRules;
use onestop_domain::queue::ticket::WindowNumber;

use crate::rng::Rng;

/// How long serving one visitor takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceTime {
    /// Exponential with this mean (seconds): the M/M/s model.
    Exponential {
        /// Seconds.
        mean: f64,
    },
    /// Log-normal with this mean (seconds) and coefficient of variation.
    LogNormal {
        /// Seconds.
        mean: f64,
        /// Standard deviation over mean.
        cv: f64,
    },
    /// Drawn from these observed times (seconds), each equally likely.
    Empirical(Vec<f64>),
}

impl ServiceTime {
    /// A random service time, seconds.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            ServiceTime::Exponential { mean } => rng.exponential(*mean),
            ServiceTime::LogNormal { mean, cv } => rng.log_normal(*mean, *cv),
            ServiceTime::Empirical(times) => times.get(rng.below(times.len())).copied().unwrap_or(0.0),
        }
    }

    /// The true mean, seconds.
    pub fn mean(&self) -> f64 {
        match self {
            ServiceTime::Exponential { mean } | ServiceTime::LogNormal { mean, .. } => *mean,
            ServiceTime::Empirical(times) => times.iter().sum::<f64>() / times.len().max(1) as f64,
        }
    }
}

/// A service as simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    /// Its code.
    pub code: ServiceCode,
    /// Its service times.
    pub time: ServiceTime,
    /// The catalogue's handling time, which the predictor uses until it has enough history.
    pub handling_minutes: u32,
}

/// A piecewise-constant arrival rate: `(from, per_second)` pieces in time order; the rate before
/// the first piece is 0, and the last piece lasts until [`Scenario::arrivals_until`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateTable {
    /// `(from, arrivals per second)`, sorted by `from`.
    pub pieces: Vec<(f64, f64)>,
}

impl RateTable {
    /// A constant rate from time 0: a homogeneous Poisson process.
    pub fn constant(per_second: f64) -> RateTable {
        RateTable { pieces: vec![(0.0, per_second)] }
    }

    /// The rate at `t`.
    pub fn at(&self, t: f64) -> f64 {
        self.pieces.iter().rev().find(|(from, _)| *from <= t).map_or(0.0, |(_, r)| *r)
    }

    /// The next arrival after `t` of the non-homogeneous Poisson process with this rate, before
    /// `until`: an exponential step at the current piece's rate, redrawn at each piece's end
    /// (exact, by memorylessness).
    pub fn next_after(&self, mut t: f64, until: f64, rng: &mut Rng) -> Option<f64> {
        loop {
            if t >= until {
                return None;
            }
            let rate = self.at(t);
            let piece_end =
                self.pieces.iter().map(|(from, _)| *from).find(|from| *from > t).unwrap_or(f64::INFINITY);
            let end = piece_end.min(until);
            if rate > 0.0 {
                let next = t + rng.exponential(1.0 / rate);
                if next < end {
                    return Some(next);
                }
            }
            if end.is_infinite() {
                return None;
            }
            t = end;
        }
    }

    /// Expected arrivals between `from` and `to`.
    pub fn expected(&self, from: f64, to: f64) -> f64 {
        let mut total = 0.0;
        for (i, (start, rate)) in self.pieces.iter().enumerate() {
            let end = self.pieces.get(i + 1).map_or(f64::INFINITY, |p| p.0);
            let (a, b) = (start.max(from), end.min(to));
            if b > a {
                total += rate * (b - a);
            }
        }
        total
    }
}

/// A window and when an officer is signed in there.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    /// Its number.
    pub number: WindowNumber,
    /// Indices into [`Scenario::services`] of the services rendered there.
    pub services: Vec<usize>,
    /// `(open, close)` intervals, sorted and disjoint. A window closing while it serves finishes
    /// that visitor first.
    pub open: Vec<(f64, f64)>,
}

/// A booked appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentSpec {
    /// Index into [`Scenario::services`].
    pub service: usize,
    /// The booked time.
    pub booked_at: f64,
    /// When the holder checks in; `None`: they never come.
    pub arrives_at: Option<f64>,
}

/// A whole simulation.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The instant of time 0 (the domain's rules see real timestamps).
    pub start: Timestamp,
    /// The services.
    pub services: Vec<ServiceSpec>,
    /// The windows.
    pub windows: Vec<WindowSpec>,
    /// Walk-in arrival rates, one table per service (same order as `services`).
    pub arrivals: Vec<RateTable>,
    /// Walk-ins stop arriving at this time (the centre stops issuing tickets).
    pub arrivals_until: f64,
    /// Stop after this many walk-in arrivals (for long stationary runs).
    pub max_arrivals: Option<u64>,
    /// Booked appointments.
    pub appointments: Vec<AppointmentSpec>,
    /// The share of walk-ins of a priority group.
    pub priority_share: f64,
    /// Mean patience (seconds, exponential); `None`: nobody gives up.
    pub patience: Option<f64>,
    /// The officer's time on a ticket whose holder has left (calls, recalls, then no-show).
    pub no_show_secs: f64,
    /// When the centre closes the day: tickets still waiting end unserved.
    pub close_at: Option<f64>,
    /// The calling rules.
    pub rules: CallingRules,
    /// Recent service times the predictor reads per service (the server reads 50).
    pub history: usize,
    /// Recent service times needed before the history is trusted over the catalogue.
    pub min_samples: usize,
}

impl Scenario {
    /// An M/M/s queue: one service with exponential service times of mean `mean_service`
    /// seconds, `windows` windows always open, Poisson arrivals at `load` × capacity, nobody giving
    /// up, no priorities or appointments; `arrivals` walk-ins in all.
    pub fn mms(windows: usize, load: f64, mean_service: f64, arrivals: u64) -> Scenario {
        let service = ServiceSpec {
            code: ServiceCode::new("MMS"),
            time: ServiceTime::Exponential { mean: mean_service },
            handling_minutes: (mean_service / 60.0).round().max(1.0) as u32,
        };
        let rate = load * windows as f64 / mean_service;
        Scenario {
            start: Timestamp::UNIX_EPOCH,
            services: vec![service],
            windows: (1..=windows)
                .map(|n| WindowSpec {
                    number: u32::try_from(n).unwrap_or(u32::MAX),
                    services: vec![0],
                    open: vec![(0.0, f64::INFINITY)],
                })
                .collect(),
            arrivals: vec![RateTable::constant(rate)],
            arrivals_until: f64::INFINITY,
            max_arrivals: Some(arrivals),
            appointments: Vec::new(),
            priority_share: 0.0,
            patience: None,
            no_show_secs: 0.0,
            close_at: None,
            rules: CallingRules::default(),
            history: 50,
            min_samples: onestop_domain::queue::predict::DEFAULT_MIN_SAMPLES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_table_generates_its_expected_arrivals() {
        // 0.01/s for an hour, none for an hour, 0.05/s for an hour.
        let table = RateTable { pieces: vec![(0.0, 0.01), (3600.0, 0.0), (7200.0, 0.05)] };
        assert_eq!(table.at(100.0), 0.01);
        assert_eq!(table.at(4000.0), 0.0);
        assert!((table.expected(0.0, 10_800.0) - 216.0).abs() < 1e-9);
        let mut rng = Rng::seeded(3);
        let mut counts = [0usize; 3];
        for _ in 0..200 {
            let mut t = 0.0;
            while let Some(next) = table.next_after(t, 10_800.0, &mut rng) {
                counts[(next / 3600.0) as usize] += 1;
                t = next;
            }
        }
        assert_eq!(counts[1], 0);
        assert!((counts[0] as f64 / 200.0 - 36.0).abs() < 2.0, "{counts:?}");
        assert!((counts[2] as f64 / 200.0 - 180.0).abs() < 4.0, "{counts:?}");
    }

    #[test]
    fn empirical_times_are_drawn_from_the_sample() {
        let time = ServiceTime::Empirical(vec![60.0, 120.0, 180.0]);
        assert_eq!(time.mean(), 120.0);
        let mut rng = Rng::seeded(1);
        assert!((0..100).all(|_| [60.0, 120.0, 180.0].contains(&time.sample(&mut rng))));
    }
}
