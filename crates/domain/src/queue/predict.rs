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

use jiff::{SignedDuration, Timestamp};

/// Recent service times needed before the history is trusted over the catalogue, by default.
pub const DEFAULT_MIN_SAMPLES: usize = 10;

/// Where a mean service time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The trimmed mean of this many recent service times.
    History {
        /// Samples used before trimming.
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

/// The mean service time of a service: the trimmed mean of `recent` service times (the shortest and
/// the longest tenth each dropped, so a forgotten open ticket or a mistaken click does not skew it)
/// when there are at least `min_samples` positive ones; else the catalogue's `handling_minutes`.
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
    let cut = times.len() / 10;
    let kept = &times[cut..times.len() - cut];
    let total: i128 = kept.iter().map(|d| d.as_millis()).sum();
    let mean = total / i128::try_from(kept.len()).unwrap_or(1).max(1);
    ServiceTime {
        mean: SignedDuration::from_millis(i64::try_from(mean).unwrap_or(i64::MAX)),
        basis: Basis::History { samples: times.len() },
    }
}

/// The state of the windows and the bookings, beside the queue length.
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

/// The mean wait of a newcomer with `ahead` people ahead, `open_windows` open windows serving the
/// service and `mean_service` per visitor; see the module documentation for the method.
pub fn predict_wait(
    ahead: usize,
    open_windows: usize,
    mean_service: SignedDuration,
    context: &WaitContext<'_>,
) -> Prediction {
    if open_windows == 0 {
        return Prediction { wait: None, ahead, appointments_joining: 0, departures: 0 };
    }
    let busy = context.busy_windows.min(open_windows);
    let per_departure_ms = mean_service.as_millis().max(0);
    let windows = i128::try_from(open_windows).unwrap_or(i128::MAX);
    let estimate = |q: usize| -> (usize, SignedDuration) {
        let departures = (busy + q + 1).saturating_sub(open_windows);
        let k = i128::try_from(departures).unwrap_or(i128::MAX);
        let ms = per_departure_ms.saturating_mul(k) / windows;
        (departures, SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX)))
    };
    let mut joining = 0;
    let (mut departures, mut wait) = estimate(ahead);
    loop {
        let horizon = context.now + wait;
        let due = context.appointments.iter().filter(|at| **at - context.grace <= horizon).count();
        if due == joining {
            break;
        }
        joining = due;
        (departures, wait) = estimate(ahead + joining);
    }
    Prediction { wait: Some(wait), ahead: ahead + joining, appointments_joining: joining, departures }
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

    fn context(busy: usize, appointments: &[Timestamp]) -> WaitContext<'_> {
        WaitContext { busy_windows: busy, appointments, grace: mins(10), now: now() }
    }

    #[test]
    fn a_free_window_means_no_wait() {
        let p = predict_wait(0, 2, mins(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(SignedDuration::ZERO), 0));
        assert_eq!(predict_wait(2, 3, mins(10), &context(0, &[])).wait, Some(SignedDuration::ZERO));
    }

    #[test]
    fn all_busy_waits_q_plus_one_over_s_mu() {
        // One window, busy, nobody ahead: one mean service time.
        let p = predict_wait(0, 1, mins(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(mins(10)), 1));
        // Two windows, both busy, three ahead: 4 departures at rate 2/10 min → 20 min.
        let p = predict_wait(3, 2, mins(10), &context(2, &[]));
        assert_eq!((p.wait, p.departures, p.ahead), (Some(mins(20)), 4, 3));
        // Three windows, busy, q ahead: (q + 1) · 12 / 3 minutes.
        for q in 0..20 {
            let p = predict_wait(q, 3, mins(12), &context(3, &[]));
            assert_eq!(p.wait, Some(mins(4 * (q as i64 + 1))));
        }
    }

    #[test]
    fn free_windows_absorb_the_first_people_ahead() {
        // Two windows, one busy, one ahead: that one takes the free window, the newcomer waits for
        // the first departure: 10 / 2 = 5 minutes.
        let p = predict_wait(1, 2, mins(10), &context(1, &[]));
        assert_eq!((p.wait, p.departures), (Some(mins(5)), 1));
        // Busy windows beyond the open count are capped.
        assert_eq!(predict_wait(0, 1, mins(10), &context(5, &[])).wait, Some(mins(10)));
    }

    #[test]
    fn no_open_window_no_prediction() {
        assert_eq!(predict_wait(4, 0, mins(10), &context(0, &[])).wait, None);
    }

    #[test]
    fn appointments_due_within_the_wait_join_ahead() {
        let t = |m: i64| now() + mins(m);
        // 10 min alone; the 15-min booking is due at 5 → 20 min; the 25 one due at 15 → 30 min;
        // the 45 one due at 35 stays behind.
        let booked = [t(45), t(15), t(25)];
        let p = predict_wait(0, 1, mins(10), &context(1, &booked));
        assert_eq!((p.wait, p.appointments_joining, p.ahead, p.departures), (Some(mins(30)), 2, 2, 3));
        // With a window free now and nothing booked soon, nothing joins.
        let p = predict_wait(0, 2, mins(10), &context(0, &[t(30)]));
        assert_eq!((p.wait, p.appointments_joining), (Some(SignedDuration::ZERO), 0));
        // A booking due now takes the free window first.
        let p = predict_wait(0, 1, mins(10), &context(0, &[t(5)]));
        assert_eq!((p.wait, p.appointments_joining), (Some(mins(10)), 1));
        let p = predict_wait(0, 1, mins(10), &context(1, &[t(5)]));
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
    fn service_time_is_a_trimmed_mean_of_history() {
        let even = [mins(6); 10];
        assert_eq!(
            mean_service_time(&even, 15, 10),
            ServiceTime { mean: mins(6), basis: Basis::History { samples: 10 } }
        );
        // One forgotten ticket (3 hours) and one mistaken click (1 s) among 8 of 10 minutes are trimmed.
        let mut skewed = vec![mins(10); 8];
        skewed.push(mins(180));
        skewed.push(SignedDuration::from_secs(1));
        assert_eq!(mean_service_time(&skewed, 15, 10).mean, mins(10));
        // 1..=10 minutes: 2..=9 kept, mean 5.5 minutes.
        let ramp: Vec<_> = (1..=10).map(mins).collect();
        assert_eq!(mean_service_time(&ramp, 15, 10).mean, SignedDuration::from_secs(330));
    }
}
