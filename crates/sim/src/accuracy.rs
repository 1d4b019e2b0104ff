//! How good the wait predictor is: predicted against actual waits of simulated visitors.
//!
//! - [`mms`]: on M/M/s, the root mean squared error of the predictions made to delayed visitors
//!   divided by their mean wait. A delayed visitor with `q` people ahead waits Erlang(q + 1, sμ),
//!   whose mean the predictor gives; its relative error is exactly `√(1 − ρ)` (Ibrahim and
//!   Whitt). The estimate comes with a 95 % confidence interval by batch means.
//! - [`compare`]: on any run, the root mean squared error of onestop's prediction, the naive
//!   estimate and ZMS's, and their ratios.

use crate::engine::{Visit, run};
use crate::model::Scenario;
use crate::rng::Rng;

/// Which prediction of a [`Visit`] to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predictor {
    /// onestop as the server runs it (mean service time estimated from recent history).
    Onestop,
    /// onestop's formula with the true mean service time, patience and no-show cost.
    OnestopTrueModel,
    /// People ahead × average handling time ÷ open windows.
    Naive,
    /// ZMS's `waitingTimeEstimate`.
    Zms,
    /// The middle of ZMS's displayed range (optimistic to estimate).
    ZmsMiddle,
}

impl Predictor {
    /// The prediction of `visit`, seconds.
    pub fn of(self, visit: &Visit) -> Option<f64> {
        let p = &visit.predicted;
        match self {
            Predictor::Onestop => p.onestop,
            Predictor::OnestopTrueModel => p.onestop_true_model,
            Predictor::Naive => p.naive,
            Predictor::Zms => p.zms,
            Predictor::ZmsMiddle => p.zms.zip(p.zms_optimistic).map(|(hi, lo)| (hi + lo) / 2.0),
        }
    }
}

/// Sums for a root mean squared error and a mean wait.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorSums {
    /// Visits scored.
    pub n: u64,
    /// Σ (predicted − actual)².
    pub squared_error: f64,
    /// Σ actual.
    pub wait: f64,
    /// Σ (predicted − actual).
    pub error: f64,
}

impl ErrorSums {
    /// Adds a visit.
    pub fn add(&mut self, predicted: f64, actual: f64) {
        self.n += 1;
        self.squared_error += (predicted - actual).powi(2);
        self.error += predicted - actual;
        self.wait += actual;
    }

    /// The root mean squared error, seconds.
    pub fn rmse(&self) -> f64 {
        (self.squared_error / self.n.max(1) as f64).sqrt()
    }

    /// The mean wait, seconds.
    pub fn mean_wait(&self) -> f64 {
        self.wait / self.n.max(1) as f64
    }

    /// The mean error (bias), seconds; positive when predictions are too long.
    pub fn bias(&self) -> f64 {
        self.error / self.n.max(1) as f64
    }

    /// RMSE over mean wait.
    pub fn relative(&self) -> f64 {
        self.rmse() / self.mean_wait()
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (Cornish–Fisher expansion;
/// within 0.1 % of the tables from 10 degrees of freedom on).
pub fn t975(df: usize) -> f64 {
    let z = 1.959_963_984_540_054_f64;
    let n = df.max(1) as f64;
    z + (z.powi(3) + z) / (4.0 * n)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * n.powi(3))
}

/// A figure with its 95 % confidence half-width by batch means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate over the whole run.
    pub value: f64,
    /// The half-width of its 95 % confidence interval.
    pub half_width: f64,
}

/// The batch-means confidence interval of `whole` given the same figure over each batch.
pub fn batch_estimate(whole: f64, batches: &[f64]) -> Estimate {
    let b = batches.len();
    if b < 2 {
        return Estimate { value: whole, half_width: f64::INFINITY };
    }
    let mean = batches.iter().sum::<f64>() / b as f64;
    let var = batches.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (b - 1) as f64;
    Estimate { value: whole, half_width: t975(b - 1) * (var / b as f64).sqrt() }
}

/// The outcome of [`mms`].
#[derive(Debug, Clone, PartialEq)]
pub struct MmsAccuracy {
    /// Windows.
    pub windows: usize,
    /// Load ρ.
    pub load: f64,
    /// Arrivals simulated (after the warm-up).
    pub arrivals: u64,
    /// Delayed visitors scored.
    pub delayed: u64,
    /// Share of visitors delayed (compare Erlang C's probability of waiting).
    pub delayed_share: f64,
    /// RMSE ÷ mean wait of delayed visitors, with the true mean service time.
    pub relative_error: Estimate,
    /// The same with the server's estimate of the mean service time (from the last 50 service
    /// times, `onestop_domain::queue::predict::mean_service_time`).
    pub relative_error_estimated_mean: Estimate,
    /// Mean wait of delayed visitors, seconds (compare Erlang C's `1/(sμ − λ)`).
    pub mean_delayed_wait: f64,
    /// Bias of the prediction with the estimated mean, seconds.
    pub bias_estimated_mean: f64,
    /// `√(1 − ρ)`.
    pub theory: f64,
}

/// Simulates M/M/s with `windows` windows at load `load` (mean service 600 s) for `arrivals`
/// visitors after a warm-up of `warmup`, in `batches` batches, and scores the predictor over the
/// delayed visitors.
pub fn mms(windows: usize, load: f64, arrivals: u64, warmup: u64, batches: usize, seed: u64) -> MmsAccuracy {
    let scenario = Scenario::mms(windows, load, 600.0, arrivals + warmup);
    let per_batch = (arrivals / batches.max(1) as u64).max(1);
    let mut seen = 0u64;
    let mut delayed = 0u64;
    let mut whole = [ErrorSums::default(); 2];
    let mut batch = vec![[ErrorSums::default(); 2]; batches.max(1)];
    // Visits are reported at their call, not in arrival order; number them by arrival order
    // instead through the arrival time, as the run's arrivals are one Poisson stream.
    let rate = load * windows as f64 / 600.0;
    let mut sink = |v: &Visit| {
        let Some(wait) = v.wait() else { return };
        let index = (v.arrived * rate) as u64;
        if index < warmup {
            return;
        }
        seen += 1;
        if wait <= 0.0 {
            return;
        }
        let which = (((index - warmup) / per_batch) as usize).min(batch.len() - 1);
        for (k, p) in [Predictor::OnestopTrueModel, Predictor::Onestop].into_iter().enumerate() {
            if let Some(predicted) = p.of(v) {
                whole[k].add(predicted, wait);
                batch[which][k].add(predicted, wait);
            }
        }
        delayed += 1;
    };
    run(&scenario, &mut Rng::seeded(seed), &mut sink);
    let estimate = |k: usize| {
        let per: Vec<f64> = batch.iter().filter(|b| b[k].n > 0).map(|b| b[k].relative()).collect();
        batch_estimate(whole[k].relative(), &per)
    };
    MmsAccuracy {
        windows,
        load,
        arrivals: seen,
        delayed,
        delayed_share: delayed as f64 / seen.max(1) as f64,
        relative_error: estimate(0),
        relative_error_estimated_mean: estimate(1),
        mean_delayed_wait: whole[0].mean_wait(),
        bias_estimated_mean: whole[1].bias(),
        theory: (1.0 - load).sqrt(),
    }
}

/// Errors of each predictor over the same visits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Comparison {
    /// onestop as the server runs it.
    pub onestop: ErrorSums,
    /// onestop with the true mean service time, patience and no-show cost.
    pub onestop_true_model: ErrorSums,
    /// The naive estimate.
    pub naive: ErrorSums,
    /// ZMS's estimate.
    pub zms: ErrorSums,
    /// The middle of ZMS's range.
    pub zms_middle: ErrorSums,
}

impl Comparison {
    /// Scores `visit` if its holder was there when called and every predictor predicted.
    pub fn add(&mut self, visit: &Visit) {
        if let Some(wait) = visit.wait() {
            self.add_wait(visit, wait);
        }
    }

    /// Scores `visit`'s predictions against `wait`, if every predictor predicted.
    pub fn add_wait(&mut self, visit: &Visit, wait: f64) {
        let all = [
            Predictor::Onestop,
            Predictor::OnestopTrueModel,
            Predictor::Naive,
            Predictor::Zms,
            Predictor::ZmsMiddle,
        ]
        .map(|p| p.of(visit));
        let [Some(a), Some(b), Some(c), Some(d), Some(e)] = all else { return };
        self.onestop.add(a, wait);
        self.onestop_true_model.add(b, wait);
        self.naive.add(c, wait);
        self.zms.add(d, wait);
        self.zms_middle.add(e, wait);
    }

    /// onestop's RMSE over the naive estimate's.
    pub fn ratio_to_naive(&self) -> f64 {
        self.onestop.rmse() / self.naive.rmse()
    }

    /// onestop's RMSE over ZMS's.
    pub fn ratio_to_zms(&self) -> f64 {
        self.onestop.rmse() / self.zms.rmse()
    }
}

/// Runs `scenario` `days` times (seeds `seed`, `seed + 1`, …) and compares the predictors.
pub fn compare(scenario: &Scenario, days: u64, seed: u64) -> Comparison {
    let mut comparison = Comparison::default();
    for day in 0..days {
        run(scenario, &mut Rng::seeded(seed + day), &mut |v| comparison.add(v));
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        for (df, table) in [(9, 2.262), (19, 2.093), (29, 2.045), (99, 1.984)] {
            assert!((t975(df) - table).abs() < 0.003, "{df}: {}", t975(df));
        }
    }

    #[test]
    fn error_sums() {
        let mut e = ErrorSums::default();
        e.add(10.0, 7.0);
        e.add(5.0, 9.0);
        assert_eq!(e.rmse(), 12.5f64.sqrt());
        assert_eq!(e.mean_wait(), 8.0);
        assert_eq!(e.bias(), -0.5);
    }

    /// A short M/M/s run lands near √(1 − ρ); the benchmark program runs the long ones.
    #[test]
    fn the_mms_relative_error_is_near_its_theory() {
        let r = mms(20, 0.9, 60_000, 2_000, 10, 1);
        let theory = (0.1f64).sqrt();
        assert!((r.relative_error.value / theory - 1.0).abs() < 0.1, "{r:?}");
        // Delayed visitors wait 1/(sμ − λ) on average: 600 / (20 − 18) = 300 s.
        assert!((r.mean_delayed_wait / 300.0 - 1.0).abs() < 0.1, "{r:?}");
    }
}
