//! The predicted wait printed on a ticket and shown on the public queue statistics.
//!
//! # Method: queue length over service capacity
//!
//! Let `s` be the number of open windows serving the service, `b` of them busy now, `q` the
//! people ahead of the newcomer in calling order (see [`people_ahead`](super::calling::people_ahead):
//! returning tickets, appointments due and priority groups count when they are ahead), and `1/μ`
//! the mean service time of the service (from recent history, see [`mean_service_time`]).
//!
//! With `n = b + q` people in front of the newcomer at the windows or in line:
//!
//! - if `n < s`, a window is free when the newcomer's turn comes: the wait is **0**;
//! - otherwise the newcomer is called at the `k = n − s + 1`-th departure from the windows. While
//!   all `s` windows are busy they finish, in the M/M/s model (exponential service times), as a
//!   Poisson process of rate `sμ`, so the wait is Erlang(k, sμ) with mean **`k / (sμ)`**. When every
//!   window is busy (`b = s`), `k = q + 1`: a delayed customer with `q` people ahead waits
//!   Erlang(q + 1, sμ). [`Prediction::departures`] is `k`, for checking the model by simulation.
//!
//! Appointments booked but not yet checked in join ahead when they fall due (their time minus the
//! calling grace) before the newcomer would be called: the prediction is repeated with them added
//! until no more join (at most one pass per appointment). Priority visitors who have not yet
//! arrived cannot be foreseen and are not counted. The prediction is a mean, not a promise; with
//! no open window there is none.
//!
//! # People who leave before their call
//!
//! A visitor who gives up leaves the hall silently: the ticket stays in line, is called in its
//! turn and, after the recalls, ends as a no-show. The server cannot tell who has left, but the
//! service's recent calls ([`RecentCall`]) tell how often people leave and what a no-show costs a
//! window, and the predictor counts each person ahead by the chance that they are still there.
//!
//! - **Patience.** Visitors are taken to leave at a constant rate `γ` while they wait (exponential
//!   patience of mean `1/γ`, the Erlang A model of `onestop_domain::staffing`). A recent call
//!   that ended *served* or *not served* is a visitor who was still there after waiting `w`; one
//!   that ended *no-show* left at some moment within its wait `w`. The life-table (actuarial)
//!   estimate is `γ = no-shows ÷ (Σ w of those who came + ½ Σ w of the no-shows)`: departures over
//!   the waiting time at risk, each leaver counted at risk for half its wait ([`give_ups`]). With
//!   fewer than the minimum number of calls with a known wait, or no no-show among them, `γ = 0`.
//! - **Cost of a no-show.** A window calling someone who has left is busy only from the call to
//!   the no-show (the recalls), `c`: the mean of the recent no-shows' times.
//! - **The line.** As in the M/M/s model, a job at a window ends at a constant rate: `μ` for a
//!   service, `1/c` for the call of someone who has left. The newcomer still waits for the `k`-th
//!   departure, but departures come faster the more windows are calling no-shows. Let `N` be the
//!   number of services among the `s` jobs at the windows, a random number whose distribution the
//!   predictor follows: the `b` jobs at the windows now are services, and person `i` ahead (in
//!   calling order) adds a service with chance `pᵢ = exp(−γ (eᵢ + tᵢ))` — still there when called
//!   at `tᵢ` after waiting `eᵢ` so far — and a no-show call otherwise. With every window busy, the
//!   next departure comes after `1/(Nμ + (s − N)/c)` on average, and it is a service's with chance
//!   `Nμ / (Nμ + (s − N)/c)`; the freed window calls the next person, at the expected time of that
//!   departure. Free windows take the first people ahead at once (`tᵢ = 0`). The newcomer's wait
//!   is the expected time of the `k`-th departure, a sum of `k` expected gaps (work `k·(s + 1)` at
//!   most). People known to be in the hall — back at the window that parked them, or handed on by
//!   another window — and appointments joining count with `pᵢ = 1`.
//!
//! With nobody leaving (`γ = 0`) `N = s` throughout and each gap is `1/(sμ)`: the wait is
//! `k / (sμ)`, the M/M/s mean above. The refinement only shortens waits, by the expected time
//! saved on those who have left; with one window it is exact in expectation for any service time
//! distribution (a departure then takes the mean time of the job at the window).

//! # The mean service time
//!
//! [`mean_service_time`]: the mean of the recent positive service times no longer than
//! [`OUTLIER_FACTOR`] times their median, so that a ticket left open for hours does not skew it.
//! Short times are kept: a mistaken click moves the mean by its share only, while cutting the
//! short end of a right-skewed distribution would bias it. (A symmetric 10 % trimmed mean, used
//! before, is 0.83 of the true mean on exponential service times; this one is within 1 %: the
//! exponential's mass beyond ten medians is 0.8 % of its mean.) With too little history, the
//! catalogue's handling time.

use jiff::{SignedDuration, Timestamp};

use super::ticket::{ActionName, Outcome, Ticket};

/// Recent service times needed before the history is trusted over the catalogue, by default.
pub const DEFAULT_MIN_SAMPLES: usize = 10;

/// Service times longer than this many medians of the recent ones are left out of the mean.
pub const OUTLIER_FACTOR: i32 = 10;

/// Where a mean service time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The mean of this many recent service times (outliers left out).
    History {
        /// Positive samples before the outliers were left out.
        samples: usize,
    },
    /// The catalogue's handling time (too little history).
    Catalogue,
}

/// A service's mean service time and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceTime {
    /// The mean, `1/μ`.
    pub mean: SignedDuration,
    /// Its source.
    pub basis: Basis,
}

/// The mean service time of a service: the mean of the positive `recent` service times no longer
/// than [`OUTLIER_FACTOR`] times their median, when there are at least `min_samples` positive ones;
/// else the catalogue's `handling_minutes`. See the module documentation.
pub fn mean_service_time(
    recent: &[SignedDuration],
    handling_minutes: u32,
    min_samples: usize,
) -> ServiceTime {
    let mut times: Vec<SignedDuration> = recent.iter().copied().filter(|d| d.is_positive()).collect();
    if times.is_empty() || times.len() < min_samples {
        return ServiceTime {
            mean: SignedDuration::from_mins(i64::from(handling_minutes)),
            basis: Basis::Catalogue,
        };
    }
    times.sort();
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 };
    let fence = median.checked_mul(OUTLIER_FACTOR).unwrap_or(SignedDuration::MAX);
    let kept: Vec<i128> = times.iter().filter(|d| **d <= fence).map(|d| d.as_millis()).collect();
    let mean = kept.iter().sum::<i128>() / i128::try_from(kept.len()).unwrap_or(1).max(1);
    ServiceTime {
        mean: SignedDuration::from_millis(i64::try_from(mean).unwrap_or(i64::MAX)),
        basis: Basis::History { samples: times.len() },
    }
}

/// How a recent call of a service ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// The holder came and was served (or not served) at the window for this long.
    Served(SignedDuration),
    /// The holder had left: the window spent this long from the call to the no-show.
    NoShow(SignedDuration),
}

/// A recent call of a service, as its history keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentCall {
    /// From issue to the first call; `None` when it is not a wait in this line (the follow-on
    /// ticket of a transfer, whose wait began at another window) or unknown.
    pub waited: Option<SignedDuration>,
    /// How it ended.
    pub end: CallEnd,
}

impl RecentCall {
    /// The call a finished ticket adds to its service's history: served or not served, with its
    /// [`Ticket::service_time`]; a no-show, with the time from its last call to the no-show.
    /// `None` for other outcomes (transferred, centre closed) and open tickets. The wait is
    /// [`Ticket::waited`], except for a follow-on ticket of a transfer (`None`).
    pub fn of(ticket: &Ticket) -> Option<RecentCall> {
        let end = match ticket.outcome()? {
            Outcome::Served | Outcome::NotServed { .. } => CallEnd::Served(ticket.service_time()?),
            Outcome::NoShow => {
                let called = ticket.steps.iter().rev().find(|s| s.action == ActionName::Call)?;
                let gone = ticket.steps.last()?;
                CallEnd::NoShow(gone.at.duration_since(called.at))
            }
            Outcome::Transferred { .. } | Outcome::CentreClosed => return None,
        };
        let waited = if ticket.follows.is_some() { None } else { ticket.waited() };
        Some(RecentCall { waited, end })
    }

    /// The service time, for a call whose holder came.
    pub fn service_time(&self) -> Option<SignedDuration> {
        match self.end {
            CallEnd::Served(d) => Some(d),
            CallEnd::NoShow(_) => None,
        }
    }
}

/// What a service's recent calls say about visitors who leave before they are called.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiveUps {
    /// The rate at which a waiting visitor leaves, per second of waiting (`γ`; exponential
    /// patience of mean `1/γ`); 0 when nobody was seen leaving or the history is too short.
    pub rate: f64,
    /// A window's mean time on the ticket of someone who has left: from the call to the no-show.
    pub no_show_cost: SignedDuration,
    /// Recent calls with a known wait, the estimate's sample.
    pub calls: usize,
    /// Of those, no-shows.
    pub no_shows: usize,
}

impl GiveUps {
    /// Nobody leaves.
    pub const NONE: GiveUps =
        GiveUps { rate: 0.0, no_show_cost: SignedDuration::ZERO, calls: 0, no_shows: 0 };

    /// The chance that someone who will have waited `secs` seconds when called is still there.
    pub fn still_there(&self, secs: f64) -> f64 {
        (-self.rate * secs.max(0.0)).exp()
    }
}

/// The give-up rate and the cost of a no-show from a service's `recent` calls (see the module
/// documentation); [`GiveUps::NONE`] with fewer than `min_samples` calls of known wait.
pub fn give_ups(recent: &[RecentCall], min_samples: usize) -> GiveUps {
    let mut at_risk = 0.0;
    let (mut calls, mut no_shows) = (0usize, 0usize);
    let mut cost = SignedDuration::ZERO;
    for call in recent {
        let Some(waited) = call.waited else { continue };
        let w = waited.as_secs_f64().max(0.0);
        calls += 1;
        match call.end {
            CallEnd::Served(_) => at_risk += w,
            CallEnd::NoShow(spent) => {
                at_risk += w / 2.0;
                no_shows += 1;
                cost += spent.max(SignedDuration::ZERO);
            }
        }
    }
    if calls == 0 || calls < min_samples || no_shows == 0 || at_risk <= 0.0 {
        return GiveUps { calls, no_shows, ..GiveUps::NONE };
    }
    let no_show_cost = cost / i32::try_from(no_shows).unwrap_or(i32::MAX);
    GiveUps { rate: no_shows as f64 / at_risk, no_show_cost, calls, no_shows }
}

/// What the predictor knows of a service: its mean service time and its visitors' give-ups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceModel {
    /// The mean service time, `1/μ`.
    pub mean: SignedDuration,
    /// Visitors leaving before their call.
    pub give_ups: GiveUps,
}

impl ServiceModel {
    /// A service whose visitors all stay, with mean service time `mean`.
    pub fn staying(mean: SignedDuration) -> ServiceModel {
        ServiceModel { mean, give_ups: GiveUps::NONE }
    }

    /// The model of a service from its `recent` calls, newest first: [`mean_service_time`] of
    /// their service times (the catalogue's `handling_minutes` with fewer than `min_samples`) and
    /// [`give_ups`].
    pub fn from_history(recent: &[RecentCall], handling_minutes: u32, min_samples: usize) -> ServiceModel {
        let times: Vec<SignedDuration> = recent.iter().filter_map(RecentCall::service_time).collect();
        ServiceModel {
            mean: mean_service_time(&times, handling_minutes, min_samples).mean,
            give_ups: give_ups(recent, min_samples),
        }
    }
}

/// Someone ahead of the newcomer, in calling order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ahead {
    /// How long they have waited since taking their ticket; `None` for someone known to be in the
    /// hall (back at the window that parked them, or handed on by another window), who is not
    /// discounted.
    pub waited: Option<SignedDuration>,
}

impl Ahead {
    /// Someone who has waited `waited` so far.
    pub fn waiting(waited: SignedDuration) -> Ahead {
        Ahead { waited: Some(waited) }
    }

    /// Someone known to be in the hall.
    pub const PRESENT: Ahead = Ahead { waited: None };
}

/// The state of the windows and the bookings, beside the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitContext<'a> {
    /// Open windows serving the service that are serving someone now.
    pub busy_windows: usize,
    /// Booked times of today's appointments for the service not yet checked in.
    pub appointments: &'a [Timestamp],
    /// How long before its time an appointment is called (the calling rules' grace).
    pub grace: SignedDuration,
    /// Now.
    pub now: Timestamp,
}

/// A predicted wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prediction {
    /// The mean wait until called; `None` when no window serving the service is open.
    pub wait: Option<SignedDuration>,
    /// People ahead, including appointments that join ahead.
    pub ahead: usize,
    /// Of those, appointments not yet checked in.
    pub appointments_joining: usize,
    /// Departures from the windows the newcomer waits for (`k` of Erlang(k, sμ)); 0 when a window
    /// will be free.
    pub departures: usize,
}

/// The mean wait of a newcomer behind `ahead` (in calling order), with `open_windows` open windows
/// serving the service described by `model`; see the module documentation for the method.
pub fn predict_wait(
    ahead: &[Ahead],
    open_windows: usize,
    model: &ServiceModel,
    context: &WaitContext<'_>,
) -> Prediction {
    if open_windows == 0 {
        return Prediction { wait: None, ahead: ahead.len(), appointments_joining: 0, departures: 0 };
    }
    let busy = context.busy_windows.min(open_windows);
    let mut joining = 0;
    let (mut departures, mut wait) = line_wait(busy, joining, ahead, open_windows, model);
    loop {
        let horizon = context.now + wait;
        let due = context.appointments.iter().filter(|at| **at - context.grace <= horizon).count();
        if due == joining {
            break;
        }
        joining = due;
        (departures, wait) = line_wait(busy, joining, ahead, open_windows, model);
    }
    Prediction { wait: Some(wait), ahead: ahead.len() + joining, appointments_joining: joining, departures }
}

/// The departures a newcomer waits for and the mean wait, behind `joining` appointments (first,
/// as they are called first) and `ahead`, with `busy` of `windows` windows busy.
fn line_wait(
    busy: usize,
    joining: usize,
    ahead: &[Ahead],
    windows: usize,
    model: &ServiceModel,
) -> (usize, SignedDuration) {
    let departures = (busy + joining + ahead.len() + 1).saturating_sub(windows);
    let ms = |secs: f64| SignedDuration::from_millis((secs * 1000.0).round() as i64);
    // Mean window times, seconds; at least a millisecond, so that every job ends at some rate.
    let service = model.mean.as_secs_f64().max(1e-3);
    if model.give_ups.rate <= 0.0 || ahead.iter().all(|a| a.waited.is_none()) {
        // Everyone comes: every departure takes 1/(sμ), the M/M/s mean.
        return (departures, ms(departures as f64 * service / windows as f64));
    }
    let cost = model.give_ups.no_show_cost.as_secs_f64().max(1e-3);
    let mut people = std::iter::repeat_n(Ahead::PRESENT, joining).chain(ahead.iter().copied());
    // The chance that a person called at `t` (seconds from now) comes to the window.
    let comes = |person: Ahead, t: f64| match person.waited {
        Some(waited) => model.give_ups.still_there(waited.as_secs_f64() + t),
        None => 1.0,
    };
    // serving[n]: the chance that n of the jobs at the windows are services, the others calls of
    // someone who has left; nonzero only for n in lo..=hi. A person called is a service with
    // chance `p`.
    let mut serving = vec![0.0f64; windows + 1];
    let mut after = vec![0.0f64; windows + 1];
    serving[busy] = 1.0;
    let (mut lo, mut hi) = (busy, busy);
    let call = |serving: &mut [f64], lo: &mut usize, hi: &mut usize, p: f64| {
        if p > 0.0 && *hi < windows {
            *hi += 1;
        }
        if p >= 1.0 && *lo < *hi {
            *lo += 1;
        }
        for n in (*lo..=*hi).rev() {
            let below = if n > 0 { serving[n - 1] } else { 0.0 };
            serving[n] = serving[n] * (1.0 - p) + below * p;
        }
        if *lo > 0 {
            serving[*lo - 1] = 0.0;
        }
    };
    for _ in busy..windows {
        let Some(person) = people.next() else { return (0, SignedDuration::ZERO) };
        call(&mut serving, &mut lo, &mut hi, comes(person, 0.0));
    }
    let mut t = 0.0;
    for _ in 0..departures {
        // Every window is busy: with n services and s − n no-shows, the next one frees at rate
        // n/(1/μ) + (s − n)/c; the job that ends is a service in proportion to its rate.
        let mut gap = 0.0;
        after[lo.saturating_sub(1)..=hi].fill(0.0);
        for n in lo..=hi {
            let chance = serving[n];
            let rate_serving = n as f64 / service;
            let rate = rate_serving + (windows - n) as f64 / cost;
            gap += chance / rate;
            let ended_serving = chance * rate_serving / rate;
            after[n] += chance - ended_serving;
            if n > 0 {
                after[n - 1] += ended_serving;
            }
        }
        t += gap;
        std::mem::swap(&mut serving, &mut after);
        lo = lo.saturating_sub(1);
        // The freed window calls the next person ahead, or at last the newcomer.
        let Some(person) = people.next() else { break };
        call(&mut serving, &mut lo, &mut hi, comes(person, t));
    }
    (departures, ms(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-02T08:00:00Z".parse().unwrap()
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn secs(s: i64) -> SignedDuration {
        SignedDuration::from_secs(s)
    }

    fn context(busy: usize, appointments: &[Timestamp]) -> WaitContext<'_> {
        WaitContext { busy_windows: busy, appointments, grace: mins(10), now: now() }
    }

    /// `q` people ahead who have just arrived.
    fn line(q: usize) -> Vec<Ahead> {
        vec![Ahead::waiting(SignedDuration::ZERO); q]
    }

    /// Nobody leaves, mean service `minutes`.
    fn staying(minutes: i64) -> ServiceModel {
        ServiceModel::staying(mins(minutes))
    }

    #[test]
    fn a_free_window_means_no_wait() {
        let p = predict_wait(&line(0), 2, &staying(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(SignedDuration::ZERO), 0));
        assert_eq!(
            predict_wait(&line(2), 3, &staying(10), &context(0, &[])).wait,
            Some(SignedDuration::ZERO)
        );
    }

    #[test]
    fn all_busy_waits_q_plus_one_over_s_mu() {
        // One window, busy, nobody ahead: one mean service time.
        let p = predict_wait(&line(0), 1, &staying(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(mins(10)), 1));
        // Two windows, both busy, three ahead: 4 departures at rate 2/10 min → 20 min.
        let p = predict_wait(&line(3), 2, &staying(10), &context(2, &[]));
        assert_eq!((p.wait, p.departures, p.ahead), (Some(mins(20)), 4, 3));
        // Three windows, busy, q ahead: (q + 1) · 12 / 3 minutes.
        for q in 0..20 {
            let p = predict_wait(&line(q), 3, &staying(12), &context(3, &[]));
            assert_eq!(p.wait, Some(mins(4 * (q as i64 + 1))));
        }
    }

    #[test]
    fn free_windows_absorb_the_first_people_ahead() {
        // Two windows, one busy, one ahead: that one takes the free window, the newcomer waits for
        // the first departure: 10 / 2 = 5 minutes.
        let p = predict_wait(&line(1), 2, &staying(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(mins(5)), 1));
        // Busy windows beyond the open count are capped.
        assert_eq!(predict_wait(&line(0), 1, &staying(10), &context(5, &[])).wait, Some(mins(10)));
    }

    #[test]
    fn no_open_window_no_prediction() {
        assert_eq!(predict_wait(&line(4), 0, &staying(10), &context(0, &[])).wait, None);
    }

    #[test]
    fn appointments_due_within_the_wait_join_ahead() {
        let t = |m: i64| now() + mins(m);
        // 10 min alone; the 15-min booking is due at 5 → 20 min; the 25 one due at 15 → 30 min;
        // the 45 one due at 35 stays behind.
        let booked = [t(45), t(15), t(25)];
        let p = predict_wait(&line(0), 1, &staying(10), &context(1, &booked));
        assert_eq!((p.wait, p.appointments_joining, p.ahead, p.departures), (Some(mins(30)), 2, 2, 3));
        // With a window free now and nothing booked soon, nothing joins.
        let p = predict_wait(&line(0), 2, &staying(10), &context(0, &[t(30)]));
        assert_eq!((p.wait, p.appointments_joining), (Some(SignedDuration::ZERO), 0));
        // A booking due now takes the free window first.
        let p = predict_wait(&line(0), 1, &staying(10), &context(0, &[t(5)]));
        assert_eq!((p.wait, p.appointments_joining), (Some(mins(10)), 1));
        let p = predict_wait(&line(0), 1, &staying(10), &context(1, &[t(5)]));
        assert_eq!((p.wait, p.appointments_joining), (Some(mins(20)), 1));
    }

    #[test]
    fn service_time_falls_back_to_the_catalogue() {
        let few = [mins(3); 9];
        assert_eq!(mean_service_time(&few, 15, 10), ServiceTime { mean: mins(15), basis: Basis::Catalogue });
        assert_eq!(mean_service_time(&[], 15, 0).basis, Basis::Catalogue);
        // Non-positive durations are not samples.
        let mut odd = vec![SignedDuration::ZERO; 10];
        odd.push(mins(4));
        assert_eq!(mean_service_time(&odd, 15, 10).basis, Basis::Catalogue);
    }

    #[test]
    fn service_time_is_the_mean_of_history_without_outliers() {
        let even = [mins(6); 10];
        assert_eq!(
            mean_service_time(&even, 15, 10),
            ServiceTime { mean: mins(6), basis: Basis::History { samples: 10 } }
        );
        // One forgotten ticket (3 hours, beyond ten medians) is left out; a mistaken click of 1 s
        // is kept: (8 × 10 min + 1 s) / 9.
        let mut skewed = vec![mins(10); 8];
        skewed.push(mins(180));
        skewed.push(secs(1));
        let got = mean_service_time(&skewed, 15, 10);
        assert_eq!(got.mean, SignedDuration::from_millis((80 * 60_000 + 1000) / 9));
        assert_eq!(got.basis, Basis::History { samples: 10 });
        // 1..=10 minutes: all kept, mean 5.5 minutes.
        let ramp: Vec<_> = (1..=10).map(mins).collect();
        assert_eq!(mean_service_time(&ramp, 15, 10).mean, secs(330));
        // Just within the fence (ten medians) is kept.
        let mut edge = vec![mins(2); 9];
        edge.push(mins(20));
        assert_eq!(mean_service_time(&edge, 15, 10).mean, secs((9 * 120 + 1200) / 10));
    }

    #[test]
    fn the_mean_is_unbiased_on_exponential_times_where_a_trimmed_mean_is_not() {
        // The exponential distribution of mean 600 s, by its quantiles at 1000 evenly spaced
        // probabilities: their plain mean is 596 s.
        let n = 1000;
        let times: Vec<SignedDuration> = (0..n)
            .map(|i| -600.0 * (1.0 - (f64::from(i) + 0.5) / f64::from(n)).ln())
            .map(SignedDuration::from_secs_f64)
            .collect();
        let plain = times.iter().map(|d| d.as_secs_f64()).sum::<f64>() / f64::from(n);
        let mean = mean_service_time(&times, 10, 10).mean.as_secs_f64();
        assert!((mean / plain - 1.0).abs() < 0.01, "{mean} against {plain}");
        let mut sorted = times.clone();
        sorted.sort();
        let trimmed = sorted[100..900].iter().map(|d| d.as_secs_f64()).sum::<f64>() / 800.0;
        assert!(trimmed / plain < 0.85, "the 10 % trimmed mean: {trimmed}");
    }

    fn came(waited: i64) -> RecentCall {
        RecentCall { waited: Some(mins(waited)), end: CallEnd::Served(mins(10)) }
    }

    fn left(waited: i64, spent_secs: i64) -> RecentCall {
        RecentCall { waited: Some(mins(waited)), end: CallEnd::NoShow(secs(spent_secs)) }
    }

    #[test]
    fn give_ups_are_leavers_over_the_waiting_time_at_risk() {
        // 8 came after 10 minutes, 2 left within their 10 (counted at risk for 5 each):
        // 2 / (80 + 10) minutes; a no-show cost the window (60 + 180) / 2 s.
        let mut recent = vec![came(10); 8];
        recent.extend([left(10, 60), left(10, 180)]);
        let g = give_ups(&recent, 10);
        assert_eq!((g.calls, g.no_shows, g.no_show_cost), (10, 2, secs(120)));
        assert!((g.rate - 2.0 / 5400.0).abs() < 1e-12, "{g:?}");
        // Calls of unknown wait do not count; too few calls, or nobody leaving: no give-ups.
        let mut unknown = recent.clone();
        unknown[0].waited = None;
        assert_eq!(give_ups(&unknown, 10).rate, 0.0);
        assert_eq!(give_ups(&unknown, 9).calls, 9);
        assert_eq!(give_ups(&[came(5); 20], 10).rate, 0.0);
        assert_eq!(give_ups(&[], 0), GiveUps::NONE);
        // Everyone called at once, yet no-shows: nothing to estimate a patience from.
        assert_eq!(give_ups(&[left(0, 60); 12], 10).rate, 0.0);
    }

    /// A small xorshift generator, so the randomised test repeats exactly.
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn the_give_up_rate_recovers_an_exponential_patience() {
        // Patience exponential of mean 45 minutes; waits uniform up to 40 minutes.
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let recent: Vec<RecentCall> = (0..20_000)
            .map(|_| {
                let waited = SignedDuration::from_secs_f64(rng.uniform() * 2400.0);
                let patience = -2700.0 * (1.0 - rng.uniform()).ln();
                let end = if patience < waited.as_secs_f64() {
                    CallEnd::NoShow(secs(60))
                } else {
                    CallEnd::Served(mins(10))
                };
                RecentCall { waited: Some(waited), end }
            })
            .collect();
        let g = give_ups(&recent, 10);
        assert!((g.rate * 2700.0 - 1.0).abs() < 0.05, "mean patience {} s", 1.0 / g.rate);
    }

    #[test]
    fn people_ahead_count_by_the_chance_they_are_still_there() {
        // One window, busy, 10-minute services; half of those who wait 10 minutes have left
        // (γ = ln 2 / 10 min) and a no-show costs the window 1 minute.
        let model = ServiceModel {
            mean: mins(10),
            give_ups: GiveUps {
                rate: std::f64::consts::LN_2 / 600.0,
                no_show_cost: mins(1),
                calls: 50,
                no_shows: 10,
            },
        };
        // The first ahead, just arrived, is called at the first departure (10 min): there with
        // chance 1/2, so 0.5 · 600 + 0.5 · 60 = 330 s at the window. The second, waiting 270 s
        // already, is called at 600 + 330 = 930 s, after 1200 s in all: there with chance 1/4,
        // 0.25 · 600 + 0.75 · 60 = 195 s. The newcomer waits 600 + 330 + 195 = 1125 s.
        let ahead = [Ahead::waiting(SignedDuration::ZERO), Ahead::waiting(secs(270))];
        let p = predict_wait(&ahead, 1, &model, &context(1, &[]));
        assert_eq!((p.wait, p.departures, p.ahead), (Some(secs(1125)), 3, 2));
        // Those known to be in the hall count in full: 3 × 10 minutes.
        let p = predict_wait(&[Ahead::PRESENT; 2], 1, &model, &context(1, &[]));
        assert_eq!(p.wait, Some(mins(30)));
        // A free window is still free.
        let p = predict_wait(&line(1), 2, &model, &context(0, &[]));
        assert_eq!(p.wait, Some(SignedDuration::ZERO));
    }

    /// The expected departure times written plainly: the whole distribution every step.
    fn reference_wait(busy: usize, ahead: &[Ahead], windows: usize, model: &ServiceModel) -> f64 {
        let (service, cost) = (model.mean.as_secs_f64(), model.give_ups.no_show_cost.as_secs_f64());
        let comes = |a: &Ahead, t: f64| {
            a.waited.map_or(1.0, |w| (-model.give_ups.rate * (w.as_secs_f64() + t)).exp())
        };
        let add = |d: &[f64], p: f64| -> Vec<f64> {
            (0..d.len()).map(|n| d[n] * (1.0 - p) + if n > 0 { d[n - 1] * p } else { 0.0 }).collect()
        };
        let mut d = vec![0.0; windows + 1];
        d[busy] = 1.0;
        let mut line = ahead.iter();
        for _ in busy..windows {
            let Some(a) = line.next() else { return 0.0 };
            d = add(&d, comes(a, 0.0));
        }
        let mut t = 0.0;
        loop {
            let mut next = vec![0.0; windows + 1];
            for n in 0..=windows {
                let (rs, rc) = (n as f64 / service, (windows - n) as f64 / cost);
                t += d[n] / (rs + rc);
                next[n] += d[n] * rc / (rs + rc);
                if n > 0 {
                    next[n - 1] += d[n] * rs / (rs + rc);
                }
            }
            let Some(a) = line.next() else { return t };
            d = add(&next, comes(a, t));
        }
    }

    #[test]
    fn randomised_the_wait_is_the_expected_departure_time() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..500 {
            let windows = 1 + (rng.uniform() * 12.0) as usize;
            let busy = (rng.uniform() * (windows + 1) as f64) as usize;
            let q = (rng.uniform() * 40.0) as usize;
            let ahead: Vec<Ahead> = (0..q)
                .map(|_| {
                    if rng.uniform() < 0.1 {
                        Ahead::PRESENT
                    } else {
                        Ahead::waiting(SignedDuration::from_secs_f64(rng.uniform() * 3600.0))
                    }
                })
                .collect();
            let model = ServiceModel {
                mean: SignedDuration::from_secs_f64(60.0 + rng.uniform() * 1200.0),
                give_ups: GiveUps {
                    rate: rng.uniform() / 1200.0,
                    no_show_cost: SignedDuration::from_secs_f64(10.0 + rng.uniform() * 300.0),
                    calls: 50,
                    no_shows: 5,
                },
            };
            let got = predict_wait(&ahead, windows, &model, &context(busy, &[])).wait.unwrap();
            let want = reference_wait(busy.min(windows), &ahead, windows, &model);
            assert!((got.as_secs_f64() - want).abs() < 2e-3, "round {round}: {got} against {want} s");
        }
    }

    #[test]
    fn give_ups_only_shorten_the_wait_and_more_so_the_longer_people_wait() {
        let leaving = |rate: f64| ServiceModel {
            mean: mins(12),
            give_ups: GiveUps { rate, no_show_cost: mins(2), calls: 50, no_shows: 5 },
        };
        for q in [0usize, 1, 5, 30] {
            for busy in [2usize, 3] {
                let waits: Vec<SignedDuration> = [0.0, 1e-4, 1e-3]
                    .into_iter()
                    .map(|rate| predict_wait(&line(q), 3, &leaving(rate), &context(busy, &[])).wait.unwrap())
                    .collect();
                assert!(waits.windows(2).all(|w| w[1] <= w[0]), "q {q}, busy {busy}: {waits:?}");
                // Never shorter than if everyone ahead had left.
                let floor = predict_wait(&line(q), 3, &leaving(1e9), &context(busy, &[])).wait.unwrap();
                assert!(floor <= waits[2]);
            }
        }
        // Those who have waited longer are likelier gone.
        let fresh = predict_wait(&line(6), 3, &leaving(1e-3), &context(3, &[])).wait.unwrap();
        let old = vec![Ahead::waiting(mins(40)); 6];
        let stale = predict_wait(&old, 3, &leaving(1e-3), &context(3, &[])).wait.unwrap();
        assert!(stale < fresh, "{stale} against {fresh}");
    }

    #[test]
    fn a_finished_ticket_makes_a_recent_call() {
        use crate::catalogue::{CentreCode, ServiceCode};
        use crate::queue::number::TicketNumber;
        use crate::queue::ticket::{Action, Origin, ServiceResult, TicketId, TransferTarget, apply};
        let at = |m: i64| now() + mins(m);
        let issued = Ticket::issue(
            TicketId(1),
            TicketNumber::new('J', 1).unwrap(),
            CentreCode::new("BAKU-1"),
            ServiceCode::new("ID"),
            Origin::Kiosk,
            None,
            at(0),
        );
        let run = |steps: &[(i64, Action)]| {
            steps.iter().fold(issued.clone(), |t, (m, action)| apply(&t, action.clone(), at(*m)).unwrap())
        };
        let served = run(&[
            (4, Action::Call { window: 1 }),
            (5, Action::Start),
            (17, Action::Finish { result: ServiceResult::Served }),
        ]);
        assert_eq!(
            RecentCall::of(&served),
            Some(RecentCall { waited: Some(mins(4)), end: CallEnd::Served(mins(12)) })
        );
        // A no-show: the window's time from the last call (the recalls included) to the no-show.
        let gone = run(&[
            (9, Action::Call { window: 1 }),
            (10, Action::Recall),
            (11, Action::Recall),
            (12, Action::NoShow),
        ]);
        assert_eq!(
            RecentCall::of(&gone),
            Some(RecentCall { waited: Some(mins(9)), end: CallEnd::NoShow(mins(3)) })
        );
        // Transferred, closed and open tickets make none; a follow-on's wait is not this line's.
        let moved = run(&[
            (2, Action::Call { window: 1 }),
            (3, Action::Transfer { to: TransferTarget::Service(ServiceCode::new("PASSPORT")) }),
        ]);
        assert_eq!(RecentCall::of(&moved), None);
        assert_eq!(RecentCall::of(&run(&[(30, Action::CloseDay)])), None);
        assert_eq!(RecentCall::of(&run(&[(2, Action::Call { window: 1 })])), None);
        let follow = moved.follow_on(TicketId(2)).unwrap();
        let follow = [
            (20, Action::Call { window: 2 }),
            (21, Action::Start),
            (25, Action::Finish { result: ServiceResult::Served }),
        ]
        .into_iter()
        .fold(follow, |t, (m, action)| apply(&t, action, at(m)).unwrap());
        assert_eq!(RecentCall::of(&follow), Some(RecentCall { waited: None, end: CallEnd::Served(mins(4)) }));
    }

    #[test]
    fn the_model_comes_from_the_history() {
        let mut recent = vec![came(10); 8];
        recent.extend([left(10, 60), left(10, 180)]);
        let model = ServiceModel::from_history(&recent, 15, 8);
        assert_eq!(model.mean, mins(10));
        assert_eq!(model.give_ups, give_ups(&recent, 8));
        // Eight service times are too few for 10 samples: the catalogue's, and no give-ups.
        let model = ServiceModel::from_history(&recent, 15, 10);
        assert_eq!(model.mean, mins(15));
        assert!(model.give_ups.rate > 0.0);
        assert_eq!(ServiceModel::from_history(&[], 15, 10), ServiceModel::staying(mins(15)));
    }
}
