//! Staffing formulas: how many windows a flow of visitors needs for a service-level target.
//!
//! Three classic queueing models of `n` windows (agents) with Poisson arrivals of rate `λ` and
//! exponential service of mean `1/μ` (the offered load is `a = λ/μ` Erlangs):
//!
//! - **Erlang B** ([`erlang_b`]): the M/M/n/n loss probability, by the recursion
//!   `B(0) = 1`, `B(k) = a·B(k−1) / (k + a·B(k−1))`, which never overflows or cancels.
//! - **Erlang C** ([`ErlangC`]): M/M/n with infinitely patient visitors. The probability of waiting
//!   is `C = n·B / (n − a·(1 − B))`, the service level (waiting at most `t`)
//!   `1 − C·e^{−(nμ − λ)t}`, the average speed of answer `C / (nμ − λ)`, the occupancy `a/n`.
//!   Only stable when `a < n`.
//! - **Erlang A** ([`ErlangA`]; Palm's M/M/n+M, after Garnett, Mandelbaum and Reiman 2002 and
//!   Mandelbaum and Zeltyn 2007): visitors abandon after an exponential patience of mean `1/θ`.
//!   With `x = nμ/θ`, `y = λ/θ`, `γ` the lower incomplete gamma function and
//!   `A(x, y) = x·e^y·y^{−x}·γ(x, y) = Σ_{j≥0} y^j / ((x+1)(x+2)…(x+j))`:
//!   - probability of waiting `P(W > 0) = A·B / (1 + (A − 1)·B)`,
//!   - probability of abandoning `P(Ab) = P(W > 0)·(1/(ρA) + 1 − 1/ρ)`, `ρ = λ/(nμ)`,
//!   - the offered wait (the wait of a visitor who would never give up) beyond `t`:
//!     `P(V > t) = P(W > 0)·A(x, y·e^{−θt})·e^{−nμt}·e^{y(1 − e^{−θt})} / A(x, y)`,
//!   - the service level: the share of visitors served within `t`,
//!     `P(V ≤ t, patience > V)`, computed from the same series (see [`ErlangA::service_level`]).
//!
//!   Stable for any load: abandonment keeps the queue finite.
//!
//! The series `A` is summed in logarithms (term by term, scaled by the largest), so large loads
//! neither overflow nor lose precision. [`windows_for`] finds the fewest windows that meet a
//! target such as "80 % served within 15 minutes". Times are in seconds.
//!
//! For a centre, [`window_groups`] pools the windows that render the same services (one line
//! each), [`typical_arrivals`] is the assumed demand when no history says otherwise, and
//! [`advise`] gives one hour's windows by both models.

use jiff::civil::Weekday;

use crate::catalogue::{Catalogue, Centre, ProviderCode, ServiceCode, Window};

/// A flow of visitors to a pool of windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Arrivals per second (`λ`).
    pub arrival_rate: f64,
    /// Mean service time in seconds (`1/μ`).
    pub mean_service: f64,
}

impl Load {
    /// A load of `arrivals` visitors every `period` seconds, each served in `mean_service` seconds
    /// on average.
    pub fn per_period(arrivals: f64, period: f64, mean_service: f64) -> Load {
        Load { arrival_rate: arrivals / period, mean_service }
    }

    /// The offered load in Erlangs, `a = λ/μ`.
    pub fn erlangs(&self) -> f64 {
        self.arrival_rate * self.mean_service
    }

    fn mu(&self) -> f64 {
        1.0 / self.mean_service
    }
}

/// The Erlang B loss probability of `n` servers offered `a` Erlangs.
pub fn erlang_b(n: usize, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=n {
        let k = k as f64;
        b = a * b / (k + a * b);
    }
    b
}

/// Erlang C: `n` windows, visitors who never give up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangC {
    /// The windows.
    pub windows: usize,
    /// The load.
    pub load: Load,
}

impl ErlangC {
    /// The model of `windows` windows under `load`.
    pub fn new(windows: usize, load: Load) -> ErlangC {
        ErlangC { windows, load }
    }

    /// Whether the queue is stable (`a < n`); every measure below assumes it.
    pub fn is_stable(&self) -> bool {
        self.load.erlangs() < self.windows as f64
    }

    /// The probability that a visitor waits at all (1 when unstable).
    pub fn p_wait(&self) -> f64 {
        if !self.is_stable() {
            return 1.0;
        }
        let n = self.windows as f64;
        let a = self.load.erlangs();
        let b = erlang_b(self.windows, a);
        n * b / (n - a * (1.0 - b))
    }

    /// The share of visitors called within `t` seconds (0 when unstable).
    pub fn service_level(&self, t: f64) -> f64 {
        if !self.is_stable() {
            return 0.0;
        }
        1.0 - self.p_wait() * (-self.drain_rate() * t).exp()
    }

    /// The average speed of answer: the mean wait in seconds (infinite when unstable).
    pub fn average_wait(&self) -> f64 {
        if !self.is_stable() {
            return f64::INFINITY;
        }
        self.p_wait() / self.drain_rate()
    }

    /// The mean wait of those who wait, `1/(nμ − λ)` seconds.
    pub fn average_wait_of_delayed(&self) -> f64 {
        1.0 / self.drain_rate()
    }

    /// The share of time a window is busy, `a/n` (at most 1).
    pub fn occupancy(&self) -> f64 {
        (self.load.erlangs() / self.windows as f64).min(1.0)
    }

    fn drain_rate(&self) -> f64 {
        self.windows as f64 * self.load.mu() - self.load.arrival_rate
    }
}

/// Erlang A: `n` windows, visitors who give up after an exponential patience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    /// The windows.
    pub windows: usize,
    /// The load.
    pub load: Load,
    /// The mean patience in seconds (`1/θ`).
    pub mean_patience: f64,
}

/// `ln A(x, y)` with `A(x, y) = Σ_{j≥0} y^j / ((x+1)…(x+j)) = x·e^y·y^{−x}·γ(x, y)`: the lower
/// incomplete gamma function's series, summed in logarithms.
fn ln_a(x: f64, y: f64) -> f64 {
    if y <= 0.0 {
        return 0.0;
    }
    // Terms grow while y > x + j and shrink after; sum them scaled by the largest so far.
    let ln_y = y.ln();
    let mut ln_term = 0.0_f64;
    let mut ln_max = 0.0_f64;
    let mut scaled_sum = 1.0_f64; // Σ exp(ln_term − ln_max)
    let mut j = 0.0_f64;
    loop {
        j += 1.0;
        ln_term += ln_y - (x + j).ln();
        if ln_term > ln_max {
            scaled_sum = scaled_sum * (ln_max - ln_term).exp() + 1.0;
            ln_max = ln_term;
        } else {
            let rel = (ln_term - ln_max).exp();
            scaled_sum += rel;
            // Past the peak the terms fall at least geometrically (ratio y/(x+j) < 1).
            if x + j > y && rel < 1e-17 * scaled_sum {
                break;
            }
        }
        if j > 1e7 {
            break;
        }
    }
    ln_max + scaled_sum.ln()
}

impl ErlangA {
    /// The model of `windows` windows under `load`, visitors waiting `mean_patience` seconds on
    /// average before giving up.
    pub fn new(windows: usize, load: Load, mean_patience: f64) -> ErlangA {
        ErlangA { windows, load, mean_patience }
    }

    fn theta(&self) -> f64 {
        1.0 / self.mean_patience
    }

    fn x(&self) -> f64 {
        self.windows as f64 * self.load.mu() / self.theta()
    }

    fn y(&self) -> f64 {
        self.load.arrival_rate / self.theta()
    }

    /// The probability that a visitor finds every window busy and waits.
    pub fn p_wait(&self) -> f64 {
        if self.windows == 0 {
            return 1.0;
        }
        let b = erlang_b(self.windows, self.load.erlangs());
        let ln_a = ln_a(self.x(), self.y());
        // A·B / (1 + (A − 1)·B) = 1 / (1 + (1 − B) / (A·B)), safe for a huge A.
        let inv = (1.0 - b) * (-ln_a).exp() / b;
        1.0 / (1.0 + inv)
    }

    /// The probability that a visitor gives up before being called.
    pub fn p_abandon(&self) -> f64 {
        if self.windows == 0 {
            return 1.0;
        }
        let rho = self.load.arrival_rate / (self.windows as f64 * self.load.mu());
        let a = ln_a(self.x(), self.y()).exp();
        self.p_wait() * (1.0 / (rho * a) + 1.0 - 1.0 / rho)
    }

    /// The probability that the offered wait (the wait of a visitor who would never give up)
    /// exceeds `t` seconds.
    pub fn p_offered_wait_over(&self, t: f64) -> f64 {
        if self.windows == 0 {
            return 1.0;
        }
        let (x, y) = (self.x(), self.y());
        let z = (-self.theta() * t).exp();
        let mu_n = self.windows as f64 * self.load.mu();
        let ln_ratio = ln_a(x, y * z) - mu_n * t + y * (1.0 - z) - ln_a(x, y);
        self.p_wait() * ln_ratio.exp()
    }

    /// The service level: the share of all visitors who are called within `t` seconds (those who
    /// give up, or would be called later, miss it). With patience `τ` independent of the offered
    /// wait `V`, this is `P(V ≤ t) − P(τ < V ≤ t)`, i.e.
    /// `1 − P(V > t) − ∫₀ᵗ (1 − e^{−θv}) dP(V ≤ v)`, integrated here with Simpson's rule.
    pub fn service_level(&self, t: f64) -> f64 {
        if self.windows == 0 {
            return 0.0;
        }
        // P(V ≤ t, τ ≥ V) = P(V = 0) + ∫_0^t e^{−θv} f_V(v) dv; integrate by parts:
        // = P(V=0) + [−e^{−θv} P(V > v)]_0^t − θ ∫_0^t e^{−θv} P(V > v) dv
        // = 1 − e^{−θt} P(V > t) − θ ∫_0^t e^{−θv} P(V > v) dv.
        let theta = self.theta();
        let f = |v: f64| (-theta * v).exp() * self.p_offered_wait_over(v);
        let steps = 256;
        let h = t / steps as f64;
        let mut integral = f(0.0) + f(t);
        for k in 1..steps {
            let w = if k % 2 == 1 { 4.0 } else { 2.0 };
            integral += w * f(k as f64 * h);
        }
        integral *= h / 3.0;
        1.0 - (-theta * t).exp() * self.p_offered_wait_over(t) - theta * integral
    }

    /// The mean wait in queue of all visitors (served or not), seconds: by Little's law over the
    /// abandonment rate, `P(Ab)/θ`.
    pub fn average_wait(&self) -> f64 {
        self.p_abandon() * self.mean_patience
    }

    /// The share of time a window is busy: the served load over `n`.
    pub fn occupancy(&self) -> f64 {
        (self.load.erlangs() * (1.0 - self.p_abandon()) / self.windows.max(1) as f64).min(1.0)
    }
}

/// Which model [`windows_for`] staffs with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Erlang C: nobody gives up.
    ErlangC,
    /// Erlang A with this mean patience in seconds.
    ErlangA {
        /// Mean patience, seconds.
        mean_patience: f64,
    },
}

/// A service-level target: at least `share` of visitors called within `within` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Seconds.
    pub within: f64,
    /// Between 0 and 1.
    pub share: f64,
}

/// The service level of `windows` windows under `load` in `model`.
pub fn service_level(model: Model, windows: usize, load: Load, within: f64) -> f64 {
    match model {
        Model::ErlangC => ErlangC::new(windows, load).service_level(within),
        Model::ErlangA { mean_patience } => ErlangA::new(windows, load, mean_patience).service_level(within),
    }
}

/// The fewest windows (at most `max`) whose service level meets `target` under `load`; `None`
/// if even `max` windows do not. No arrivals need no window.
pub fn windows_for(model: Model, load: Load, target: Target, max: usize) -> Option<usize> {
    if load.arrival_rate <= 0.0 {
        return Some(0);
    }
    let start = match model {
        // Erlang C is stable only above the load.
        Model::ErlangC => (load.erlangs().floor() as usize) + 1,
        Model::ErlangA { .. } => 1,
    };
    (start..=max).find(|&n| service_level(model, n, load, target.within) >= target.share)
}

/// Windows of a centre that render the same services: one pool serving one shared line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowGroup {
    /// The windows' numbers, ascending.
    pub windows: Vec<u32>,
    /// The services they render.
    pub services: Vec<ServiceCode>,
    /// Their provider.
    pub provider: ProviderCode,
}

impl WindowGroup {
    /// The windows as text, ranges joined: `1-4`, `7, 9-10`.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.windows.len() {
            let mut j = i;
            while j + 1 < self.windows.len() && self.windows[j + 1] == self.windows[j] + 1 {
                j += 1;
            }
            parts.push(if i == j {
                self.windows[i].to_string()
            } else {
                format!("{}-{}", self.windows[i], self.windows[j])
            });
            i = j + 1;
        }
        parts.join(", ")
    }
}

/// The centre's windows grouped by the services they render, in window order.
pub fn window_groups(centre: &Centre) -> Vec<WindowGroup> {
    let mut groups: Vec<WindowGroup> = Vec::new();
    let mut windows: Vec<&Window> = centre.windows.iter().collect();
    windows.sort_by_key(|w| w.number);
    for w in windows {
        match groups.iter_mut().find(|g| g.services == w.services && g.provider == w.provider) {
            Some(group) => group.windows.push(w.number),
            None => groups.push(WindowGroup {
                windows: vec![w.number],
                services: w.services.clone(),
                provider: w.provider.clone(),
            }),
        }
    }
    groups
}

/// The assumed shape of a day's demand when no history says otherwise: the share of the peak
/// hour's arrivals that come in the hour starting at `hour` (local), a morning and an afternoon
/// peak as ASAN centres report, and the weekday's factor (Monday busiest, Sunday quietest). The
/// case study gives no such figures; these are assumed, and a plan file overrides them.
pub fn typical_hour_share(hour: i8) -> f64 {
    match hour {
        9 => 0.5,
        10 => 0.75,
        11 | 12 => 1.0,
        13 => 0.8,
        14 => 0.85,
        15 => 0.95,
        16 => 0.9,
        17 => 0.75,
        18 => 0.6,
        19 => 0.45,
        8 | 20 => 0.3,
        _ => 0.0,
    }
}

/// The weekday's demand factor of the assumed profile (see [`typical_hour_share`]).
pub fn typical_weekday_factor(day: Weekday) -> f64 {
    match day {
        Weekday::Monday => 1.1,
        Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday => 1.0,
        Weekday::Friday => 0.95,
        Weekday::Saturday => 0.8,
        Weekday::Sunday => 0.6,
    }
}

/// The assumed hourly walk-in and appointment arrivals of `group` in the hour starting at `hour`
/// on `day`: at the peak hour of an average weekday, `load` × the arrivals its windows can
/// serve (`windows × 60 / mean handling minutes`), shaped by [`typical_hour_share`] and
/// [`typical_weekday_factor`], split evenly over its services. Answers per service.
pub fn typical_arrivals(
    group: &WindowGroup,
    catalogue: &Catalogue,
    load: f64,
    hour: i8,
    day: Weekday,
) -> Vec<(ServiceCode, f64)> {
    let mean_minutes = mean_handling_minutes(group, catalogue);
    let peak = load * group.windows.len() as f64 * 60.0 / mean_minutes;
    let total = peak * typical_hour_share(hour) * typical_weekday_factor(day);
    let share = total / group.services.len().max(1) as f64;
    group.services.iter().map(|s| (s.clone(), share)).collect()
}

/// The mean catalogue handling time of a group's services, minutes (at least 1).
pub fn mean_handling_minutes(group: &WindowGroup, catalogue: &Catalogue) -> f64 {
    let minutes: Vec<f64> = group
        .services
        .iter()
        .filter_map(|s| catalogue.service(s.as_str()))
        .map(|s| f64::from(s.handling_minutes))
        .collect();
    (minutes.iter().sum::<f64>() / minutes.len().max(1) as f64).max(1.0)
}

/// One hour of a window group's recommended staffing.
#[derive(Debug, Clone, PartialEq)]
pub struct HourAdvice {
    /// The hour (local, its start).
    pub hour: i8,
    /// Expected arrivals in the hour.
    pub arrivals: f64,
    /// Mean service time, seconds.
    pub mean_service: f64,
    /// Windows Erlang C asks for; `None` when more than the cap.
    pub erlang_c: Option<usize>,
    /// Windows Erlang A asks for; `None` when more than the cap.
    pub erlang_a: Option<usize>,
    /// Erlang A's service level with those windows (or with the cap when more are needed).
    pub service_level: f64,
}

/// The windows a group needs in one hour of `arrivals` visitors with mean service time
/// `mean_service` seconds, for `target`, with visitors' mean patience `mean_patience` seconds
/// (Erlang A) and without (Erlang C); at most `cap` (e.g. four times the group's windows).
pub fn advise(
    hour: i8,
    arrivals: f64,
    mean_service: f64,
    target: Target,
    mean_patience: f64,
    cap: usize,
) -> HourAdvice {
    let load = Load::per_period(arrivals, 3600.0, mean_service);
    let model = Model::ErlangA { mean_patience };
    let erlang_a = windows_for(model, load, target, cap);
    let service_level = service_level(model, erlang_a.unwrap_or(cap).max(1), load, target.within);
    HourAdvice {
        hour,
        arrivals,
        mean_service,
        erlang_c: windows_for(Model::ErlangC, load, target, cap),
        erlang_a,
        service_level: if arrivals > 0.0 { service_level } else { 1.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 arrivals per 30 minutes, 180 s handling time: 10 Erlangs.
    fn fixture() -> Load {
        Load::per_period(100.0, 1800.0, 180.0)
    }

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
    }

    #[test]
    fn windows_are_grouped_by_their_services() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/asan-demo.yaml"))
                .unwrap();
        let catalogue = crate::catalogue::parse_catalogue(&text).unwrap();
        let centre = catalogue.centre("BAKU-1").unwrap();
        let groups = window_groups(centre);
        assert_eq!(groups[0].windows, vec![1, 2, 3, 4]);
        assert_eq!(groups[0].label(), "1-4");
        assert_eq!(groups.iter().map(|g| g.windows.len()).sum::<usize>(), centre.windows.len());
        // The peak hour of a Tuesday at load 0.85: arrivals are 0.85 × what windows 1-4 serve.
        let per_service = typical_arrivals(&groups[0], &catalogue, 0.85, 11, Weekday::Tuesday);
        let total: f64 = per_service.iter().map(|(_, a)| a).sum();
        let capacity = 4.0 * 60.0 / mean_handling_minutes(&groups[0], &catalogue);
        assert!((total - 0.85 * capacity).abs() < 1e-9);
        assert_eq!(typical_arrivals(&groups[0], &catalogue, 0.85, 3, Weekday::Tuesday)[0].1, 0.0);
        let label =
            WindowGroup { windows: vec![7, 9, 10, 11], services: vec![], provider: ProviderCode::new("X") };
        assert_eq!(label.label(), "7, 9-11");
    }

    #[test]
    fn erlang_b_by_recursion() {
        close(erlang_b(0, 3.0), 1.0, 0.0);
        close(erlang_b(1, 1.0), 0.5, 1e-15);
        // B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
        close(erlang_b(2, 1.0), 0.2, 1e-15);
        // Huge systems neither overflow nor underflow.
        let b = erlang_b(5000, 4900.0);
        assert!(b > 0.0 && b < 0.05, "{b}");
    }

    #[test]
    fn erlang_c_fixture_fourteen_agents() {
        let c = ErlangC::new(14, fixture());
        close(c.p_wait(), 0.174_131_933_595_049_8, 1e-13);
        close(c.service_level(20.0), 0.888_350_019_179_466_9, 1e-13);
        close(c.average_wait(), 7.835_937_011_777_24, 1e-11);
        close(c.occupancy(), 0.714_285_7, 1e-7);
    }

    #[test]
    fn erlang_c_fixture_eleven_agents() {
        let c = ErlangC::new(11, fixture());
        close(c.p_wait(), 0.682_118_2, 1e-7);
        close(c.service_level(20.0), 0.389_613_8, 1e-7);
    }

    #[test]
    fn erlang_a_fixture_five_minute_patience() {
        let a = ErlangA::new(14, fixture(), 300.0);
        close(a.p_wait(), 0.145_26, 1e-5);
        close(a.p_abandon(), 0.013_984, 1e-6);
        close(a.service_level(20.0), 0.916_792, 1e-6);
    }

    /// The stationary distribution of M/M/n+M by its birth–death balance, summed directly.
    fn chain(n: usize, load: Load, patience: f64) -> Vec<f64> {
        let (lambda, mu, theta) = (load.arrival_rate, 1.0 / load.mean_service, 1.0 / patience);
        let mut p = vec![1.0];
        for k in 1..1500 {
            let death = if k <= n { k as f64 * mu } else { n as f64 * mu + (k - n) as f64 * theta };
            let next = p[k - 1] * lambda / death;
            p.push(next);
        }
        let total: f64 = p.iter().sum();
        p.iter().map(|x| x / total).collect()
    }

    #[test]
    fn erlang_a_agrees_with_the_birth_death_chain() {
        for (n, arrivals, patience) in
            [(14, 100.0, 300.0), (5, 100.0, 60.0), (30, 400.0, 900.0), (3, 10.0, 30.0)]
        {
            let load = Load::per_period(arrivals, 1800.0, 180.0);
            let p = chain(n, load, patience);
            let waiting: f64 = p[n..].iter().sum();
            // Abandonments per arrival: θ·E[queue] / λ.
            let queue: f64 = p.iter().enumerate().skip(n).map(|(k, pk)| (k - n) as f64 * pk).sum();
            let abandon = queue / patience / load.arrival_rate;
            let model = ErlangA::new(n, load, patience);
            close(model.p_wait(), waiting, 1e-10);
            close(model.p_abandon(), abandon, 1e-10);
            // Offered wait beyond t: an arrival finding j in queue waits the sum of
            // Exp(nμ + iθ), i = 0..=j; check P(V > t) by the same sum computed with a fine
            // numerical solution of the hypoexponential tail.
            let t = 40.0;
            let mu_n = n as f64 / load.mean_service;
            let mut tail = 0.0;
            for (j, pj) in p[n..].iter().enumerate().take(200) {
                // P(sum of Exp(r_i), i = 0..=j > t) by uniformisation.
                let rates: Vec<f64> = (0..=j).map(|i| mu_n + i as f64 / patience).collect();
                tail += pj * hypoexponential_tail(&rates, t);
            }
            close(model.p_offered_wait_over(t), tail, 1e-8);
        }
    }

    /// P(Σ Exp(rates[i]) > t), by uniformisation of the pure-death chain.
    fn hypoexponential_tail(rates: &[f64], t: f64) -> f64 {
        let big = rates.iter().cloned().fold(0.0, f64::max);
        // Probability mass over phases; phase k means k stages done.
        let mut mass = vec![0.0; rates.len() + 1];
        mass[0] = 1.0;
        let mut poisson = (-big * t).exp();
        let mut tail = 0.0;
        for m in 0..5000 {
            // Survival after m uniformised jumps: not yet in the absorbing phase.
            let alive: f64 = mass[..rates.len()].iter().sum();
            tail += poisson * alive;
            let mut next = vec![0.0; rates.len() + 1];
            for (k, r) in rates.iter().enumerate() {
                next[k] += mass[k] * (1.0 - r / big);
                next[k + 1] += mass[k] * r / big;
            }
            next[rates.len()] += mass[rates.len()];
            mass = next;
            poisson *= big * t / (m as f64 + 1.0);
            if m as f64 > big * t && poisson < 1e-18 {
                break;
            }
        }
        tail
    }

    #[test]
    fn erlang_a_approaches_erlang_c_as_patience_grows() {
        let c = ErlangC::new(14, fixture());
        let a = ErlangA::new(14, fixture(), 1e9);
        close(a.p_wait(), c.p_wait(), 1e-6);
        close(a.service_level(20.0), c.service_level(20.0), 1e-6);
        assert!(a.p_abandon() < 1e-6);
    }

    #[test]
    fn erlang_a_is_stable_under_overload() {
        // 30 Erlangs on 10 windows: most give up, nobody waits forever.
        let a = ErlangA::new(10, Load::per_period(300.0, 1800.0, 180.0), 120.0);
        assert!(a.p_wait() > 0.99 && a.p_wait() <= 1.0);
        assert!(a.p_abandon() > 0.5 && a.p_abandon() < 1.0, "{}", a.p_abandon());
        let sl = a.service_level(20.0);
        assert!((0.0..0.2).contains(&sl), "{sl}");
        // Huge series terms stay finite.
        let big = ErlangA::new(100, Load::per_period(5000.0, 3600.0, 600.0), 1800.0);
        assert!(big.p_wait().is_finite() && big.p_abandon().is_finite());
    }

    #[test]
    fn staffing_finds_the_fewest_windows() {
        let target = Target { within: 20.0, share: 0.8 };
        // 13 agents: SL below 0.8; 14: 0.888.
        assert!(ErlangC::new(13, fixture()).service_level(20.0) < 0.8);
        assert_eq!(windows_for(Model::ErlangC, fixture(), target, 50), Some(14));
        let with_patience = windows_for(Model::ErlangA { mean_patience: 300.0 }, fixture(), target, 50);
        assert!(with_patience.is_some_and(|n| n <= 14));
        assert_eq!(windows_for(Model::ErlangC, fixture(), target, 12), None);
        assert_eq!(windows_for(Model::ErlangC, Load::per_period(0.0, 3600.0, 600.0), target, 5), Some(0));
        // Unstable loads are never offered.
        assert!(!ErlangC::new(10, fixture()).is_stable());
        // One hour's advice: 200 arrivals of 180 s = 10 Erlangs, as the fixture.
        let advice = advise(11, 200.0, 180.0, target, 300.0, 40);
        assert_eq!(advice.erlang_c, Some(14));
        assert!(advice.erlang_a.is_some_and(|n| n <= 14) && advice.service_level >= 0.8);
        assert_eq!(advise(11, 0.0, 180.0, target, 300.0, 40).erlang_a, Some(0));
        assert_eq!(ErlangC::new(10, fixture()).service_level(20.0), 0.0);
    }
}
