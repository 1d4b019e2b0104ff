//! The discrete-event engine: visitors arrive, take tickets, wait, are called by the domain's
//! calling rules, are served, or give up; officers sign in and out of windows.
//!
//! The engine keeps the waiting tickets as the server's rules see them —
//! [`Candidate`]s — and asks the same functions the server asks:
//! [`next_ticket`] when a window calls, and, when a ticket is issued,
//! [`line_ahead`] and [`predict_wait`] with the [`ServiceModel`] of the service's recent calls
//! (the last [`Scenario::history`] of them, as the server's store keeps them: each call's wait
//! and its service time, or the window's time on a no-show), the open windows serving the service
//! and the busy ones among them, as `onestop_domain::queue::stats::CentreDay` does for the server
//! (appointments not yet checked in are not passed, as the server does not). Beside that
//! prediction it records the same formula with the true mean service time and patience, and two
//! baselines (see [`Predictions`]).
//!
//! A visitor who gives up leaves silently, as in a real hall: the ticket stays in line, is
//! called in its turn, and costs the window [`Scenario::no_show_secs`] (call, recall, no-show).
//! The server cannot know who has left; the predictor discounts each person ahead by the chance
//! that they have, estimated from the no-shows among the recent calls.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use onestop_domain::catalogue::ServiceCode;

use jiff::{SignedDuration, Timestamp};
use onestop_domain::queue::calling::{Candidate, WindowContext, line_ahead, next_ticket};
use onestop_domain::queue::predict::{
    Ahead, CallEnd, GiveUps, RecentCall, ServiceModel, WaitContext, predict_wait,
};
use onestop_domain::queue::ticket::{PriorityGroup, TicketId, WindowNumber};

use crate::model::Scenario;
use crate::rng::Rng;

/// Where a visit's ticket came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VisitOrigin {
    /// Walked in and took a ticket.
    WalkIn,
    /// Checked in an appointment booked for this time.
    Appointment {
        /// Seconds.
        booked_at: f64,
    },
}

/// What was predicted when the ticket was issued (seconds; `None` with no open window).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Predictions {
    /// People ahead in calling order ([`line_ahead`]).
    pub ahead: usize,
    /// Tickets of the same service waiting, in issue order (what a naive display counts).
    pub ahead_in_issue_order: usize,
    /// Open windows serving the service.
    pub open_windows: usize,
    /// Of those, busy ones.
    pub busy_windows: usize,
    /// onestop's prediction as the server makes it: [`predict_wait`] with the
    /// [`ServiceModel`] of the recent calls.
    pub onestop: Option<f64>,
    /// The same with the true mean service time, patience and no-show cost (the predictor alone,
    /// without the estimates).
    pub onestop_true_model: Option<f64>,
    /// The naive estimate: people ahead in issue order × the plain mean of the recent service
    /// times ÷ open windows.
    pub naive: Option<f64>,
    /// ZMS's estimate (`waitingTimeEstimate`): (position + 1) × the plain mean ÷ workstations.
    pub zms: Option<f64>,
    /// ZMS's optimistic end (`waitingTimeOptimistic`): the first `s` places wait nothing, then
    /// 0.8 × the plain mean ÷ workstations per place.
    pub zms_optimistic: Option<f64>,
}

/// One ticket's life, reported when it is called, or when the day closes on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Index into [`Scenario::services`].
    pub service: usize,
    /// Issue time, seconds.
    pub arrived: f64,
    /// Walk-in or appointment.
    pub origin: VisitOrigin,
    /// Of a priority group.
    pub priority: bool,
    /// The predictions made at issue.
    pub predicted: Predictions,
    /// When it was called; `None` if the day closed first.
    pub called: Option<f64>,
    /// The window that called it.
    pub window: Option<WindowNumber>,
    /// The holder had given up before the call (or the close).
    pub abandoned: bool,
    /// The service time, seconds (0 unless served).
    pub served_secs: f64,
}

impl Visit {
    /// The wait from issue to call, for a visitor who was there when called.
    pub fn wait(&self) -> Option<f64> {
        if self.abandoned {
            return None;
        }
        self.called.map(|c| c - self.arrived)
    }

    /// The wait from issue to call, whether or not the holder was still there: for one who had
    /// left, the wait they would have had (their ticket was called in its turn).
    pub fn wait_in_line(&self) -> Option<f64> {
        self.called.map(|c| c - self.arrived)
    }
}

/// Busy and open time per window per hour of the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Usage {
    /// Window numbers, in [`Scenario::windows`] order.
    pub windows: Vec<WindowNumber>,
    /// Seconds serving (or waiting for a no-show), `[window][hour]`.
    pub busy: Vec<Vec<f64>>,
    /// Seconds signed in, `[window][hour]`.
    pub open: Vec<Vec<f64>>,
    /// When the last event happened.
    pub ended: f64,
}

fn add_by_hour(hours: &mut Vec<f64>, from: f64, to: f64) {
    let mut t = from;
    while t < to {
        let hour = (t / 3600.0).floor();
        let end = ((hour + 1.0) * 3600.0).min(to);
        let index = hour.max(0.0) as usize;
        if hours.len() <= index {
            hours.resize(index + 1, 0.0);
        }
        hours[index] += end - t;
        t = end;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    WalkIn { service: usize },
    CheckIn { appointment: usize },
    GiveUp { ticket: i64 },
    Done { window: usize },
    Open { window: usize },
    Close { window: usize },
    CloseDay,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Scheduled {
    at: f64,
    seq: u64,
    event: Event,
}

impl Eq for Scheduled {}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        // A min-heap on (time, sequence).
        other.at.total_cmp(&self.at).then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Win {
    context: WindowContext,
    services: Vec<usize>,
    signed_in: bool,
    closing: bool,
    /// Busy since, and the call to add to its service's history when done.
    current: Option<(f64, Option<(usize, RecentCall)>)>,
    open_since: f64,
}

struct Pending {
    visit: Visit,
    gone: bool,
}

struct Engine<'a, 'r> {
    scenario: &'a Scenario,
    rng: &'r mut Rng,
    queue: BinaryHeap<Scheduled>,
    seq: u64,
    windows: Vec<Win>,
    idle: Vec<usize>,
    waiting: Vec<Candidate>,
    pending: HashMap<i64, Pending>,
    history: Vec<Vec<RecentCall>>,
    next_id: i64,
    walk_ins: u64,
    closed: bool,
    usage: Usage,
}

/// The recent calls of each service, newest last: what the server's store keeps from one day to
/// the next (the last [`Scenario::history`] per service).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    calls: HashMap<ServiceCode, Vec<RecentCall>>,
}

impl History {
    /// The recent calls of `service`, oldest first.
    pub fn of(&self, service: &ServiceCode) -> &[RecentCall] {
        self.calls.get(service).map_or(&[][..], |c| &c[..])
    }
}

/// Runs `scenario` with `rng` from an empty history, handing each visit to `sink` when it is
/// called or the day closes on it; answers the windows' usage.
pub fn run(scenario: &Scenario, rng: &mut Rng, sink: &mut dyn FnMut(&Visit)) -> Usage {
    run_after(scenario, rng, &mut History::default(), sink)
}

/// [`run`], the predictor starting from `history` (the days before), which the run brings up to
/// date.
pub fn run_after(
    scenario: &Scenario,
    rng: &mut Rng,
    history: &mut History,
    sink: &mut dyn FnMut(&Visit),
) -> Usage {
    let windows = scenario
        .windows
        .iter()
        .map(|w| Win {
            context: WindowContext {
                number: w.number,
                services: w.services.iter().map(|s| scenario.services[*s].code.clone()).collect(),
                rules: scenario.rules,
            },
            services: w.services.clone(),
            signed_in: false,
            closing: false,
            current: None,
            open_since: 0.0,
        })
        .collect();
    let usage = Usage {
        windows: scenario.windows.iter().map(|w| w.number).collect(),
        busy: vec![Vec::new(); scenario.windows.len()],
        open: vec![Vec::new(); scenario.windows.len()],
        ended: 0.0,
    };
    let mut engine = Engine {
        scenario,
        rng,
        queue: BinaryHeap::new(),
        seq: 0,
        windows,
        idle: Vec::new(),
        waiting: Vec::new(),
        pending: HashMap::new(),
        history: scenario.services.iter().map(|s| history.of(&s.code).to_vec()).collect(),
        next_id: 1,
        walk_ins: 0,
        closed: false,
        usage,
    };
    engine.start();
    let mut now = 0.0;
    while let Some(Scheduled { at, event, .. }) = engine.queue.pop() {
        now = at;
        engine.handle(at, event, sink);
    }
    engine.finish(now, sink);
    for (spec, calls) in scenario.services.iter().zip(std::mem::take(&mut engine.history)) {
        history.calls.insert(spec.code.clone(), calls);
    }
    engine.usage
}

impl Engine<'_, '_> {
    fn schedule(&mut self, at: f64, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled { at, seq: self.seq, event });
    }

    fn ts(&self, t: f64) -> Timestamp {
        self.scenario.start + SignedDuration::from_nanos((t * 1e9).round() as i64)
    }

    fn start(&mut self) {
        let scenario = self.scenario;
        for (service, table) in scenario.arrivals.iter().enumerate() {
            if let Some(at) = table.next_after(0.0, scenario.arrivals_until, self.rng) {
                self.schedule(at, Event::WalkIn { service });
            }
        }
        for (appointment, a) in scenario.appointments.iter().enumerate() {
            if let Some(at) = a.arrives_at {
                self.schedule(at, Event::CheckIn { appointment });
            }
        }
        for (window, w) in scenario.windows.iter().enumerate() {
            for (open, close) in &w.open {
                self.schedule(*open, Event::Open { window });
                if close.is_finite() {
                    self.schedule(*close, Event::Close { window });
                }
            }
        }
        if let Some(at) = scenario.close_at {
            self.schedule(at, Event::CloseDay);
        }
    }

    fn handle(&mut self, t: f64, event: Event, sink: &mut dyn FnMut(&Visit)) {
        match event {
            Event::WalkIn { service } => {
                self.walk_ins += 1;
                let more = self.scenario.max_arrivals.is_none_or(|max| self.walk_ins < max);
                if more
                    && let Some(next) =
                        self.scenario.arrivals[service].next_after(t, self.scenario.arrivals_until, self.rng)
                {
                    self.schedule(next, Event::WalkIn { service });
                }
                if !self.closed {
                    let priority = self.rng.chance(self.scenario.priority_share);
                    self.issue(t, service, VisitOrigin::WalkIn, priority);
                    self.call_from_idle(t, sink);
                }
            }
            Event::CheckIn { appointment } => {
                let a = &self.scenario.appointments[appointment];
                if !self.closed {
                    let origin = VisitOrigin::Appointment { booked_at: a.booked_at };
                    self.issue(t, a.service, origin, false);
                    self.call_from_idle(t, sink);
                }
            }
            Event::GiveUp { ticket } => {
                if let Some(p) = self.pending.get_mut(&ticket) {
                    p.gone = true;
                }
            }
            Event::Done { window } => {
                let busy_since = self.windows[window].current.take().map(|(since, finished)| {
                    if let Some((service, call)) = finished {
                        let history = &mut self.history[service];
                        history.push(call);
                        if history.len() > self.scenario.history {
                            history.remove(0);
                        }
                    }
                    since
                });
                if let Some(since) = busy_since {
                    add_by_hour(&mut self.usage.busy[window], since, t);
                }
                if self.windows[window].closing {
                    self.sign_out(t, window);
                } else if !self.call(t, window, sink) {
                    self.idle.push(window);
                }
            }
            Event::Open { window } => {
                let w = &mut self.windows[window];
                w.closing = false;
                if !w.signed_in {
                    w.signed_in = true;
                    w.open_since = t;
                    if w.current.is_none() && !self.call(t, window, sink) {
                        self.idle.push(window);
                    }
                }
            }
            Event::Close { window } => {
                let w = &mut self.windows[window];
                if w.current.is_some() {
                    w.closing = true;
                } else if w.signed_in {
                    self.idle.retain(|i| *i != window);
                    self.sign_out(t, window);
                }
            }
            Event::CloseDay => {
                self.closed = true;
                for c in std::mem::take(&mut self.waiting) {
                    if let Some(p) = self.pending.remove(&c.id.0) {
                        let mut visit = p.visit;
                        visit.abandoned = p.gone;
                        sink(&visit);
                    }
                }
            }
        }
    }

    fn sign_out(&mut self, t: f64, window: usize) {
        let w = &mut self.windows[window];
        w.signed_in = false;
        w.closing = false;
        let since = w.open_since;
        add_by_hour(&mut self.usage.open[window], since, t);
    }

    fn finish(&mut self, t: f64, sink: &mut dyn FnMut(&Visit)) {
        self.usage.ended = t;
        for window in 0..self.windows.len() {
            if self.windows[window].signed_in {
                self.sign_out(t, window);
            }
        }
        let mut left: Vec<Pending> = self.pending.drain().map(|(_, p)| p).collect();
        left.sort_by(|a, b| a.visit.arrived.total_cmp(&b.visit.arrived));
        for p in left {
            let mut visit = p.visit;
            visit.abandoned = p.gone;
            sink(&visit);
        }
    }

    /// Idle windows, longest idle first, call while someone they may call waits.
    fn call_from_idle(&mut self, t: f64, sink: &mut dyn FnMut(&Visit)) {
        let mut i = 0;
        while i < self.idle.len() {
            let window = self.idle[i];
            if self.call(t, window, sink) {
                self.idle.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Window `window` calls the ticket the calling rules choose; false when nobody is callable.
    fn call(&mut self, t: f64, window: usize, sink: &mut dyn FnMut(&Visit)) -> bool {
        let now = self.ts(t);
        let Some(chosen) = next_ticket(&self.windows[window].context, &self.waiting, now) else {
            return false;
        };
        if let Some(at) = self.waiting.iter().position(|c| c.id == chosen.id) {
            self.waiting.swap_remove(at);
        }
        let Some(p) = self.pending.remove(&chosen.id.0) else {
            return false;
        };
        let mut visit = p.visit;
        visit.called = Some(t);
        visit.window = Some(self.windows[window].context.number);
        visit.abandoned = p.gone;
        let (busy_for, end): (f64, fn(SignedDuration) -> CallEnd) = if p.gone {
            (self.scenario.no_show_secs, CallEnd::NoShow)
        } else {
            (self.scenario.services[visit.service].time.sample(self.rng), CallEnd::Served)
        };
        let call = RecentCall { waited: Some(millis(t - visit.arrived)), end: end(millis(busy_for)) };
        visit.served_secs = if p.gone { 0.0 } else { busy_for };
        sink(&visit);
        self.windows[window].current = Some((t, Some((visit.service, call))));
        self.schedule(t + busy_for, Event::Done { window });
        true
    }

    fn issue(&mut self, t: f64, service: usize, origin: VisitOrigin, priority: bool) {
        let id = TicketId(self.next_id);
        self.next_id += 1;
        let now = self.ts(t);
        let candidate = Candidate {
            id,
            service: self.scenario.services[service].code.clone(),
            issued_at: now,
            priority: priority.then_some(PriorityGroup::Elderly),
            appointment: match origin {
                VisitOrigin::Appointment { booked_at } => Some(self.ts(booked_at)),
                VisitOrigin::WalkIn => None,
            },
            returning_to: None,
        };
        let predicted = self.predict(&candidate, service, now);
        self.waiting.push(candidate);
        let visit = Visit {
            service,
            arrived: t,
            origin,
            priority,
            predicted,
            called: None,
            window: None,
            abandoned: false,
            served_secs: 0.0,
        };
        self.pending.insert(id.0, Pending { visit, gone: false });
        if let Some(mean) = self.scenario.patience {
            let at = t + self.rng.exponential(mean);
            self.schedule(at, Event::GiveUp { ticket: id.0 });
        }
    }

    fn predict(&self, candidate: &Candidate, service: usize, now: Timestamp) -> Predictions {
        let spec = &self.scenario.services[service];
        let serving = |w: &&Win| w.signed_in && w.services.contains(&service);
        let open = self.windows.iter().filter(serving).count();
        let busy = self.windows.iter().filter(serving).filter(|w| w.current.is_some()).count();
        let line: Vec<Ahead> = line_ahead(candidate, &self.waiting, now, &self.scenario.rules)
            .into_iter()
            .map(|c| Ahead::waiting(now.duration_since(c.issued_at)))
            .collect();
        let in_order = self.waiting.iter().filter(|c| c.service == spec.code).count();
        let recent = &self.history[service];
        let model = ServiceModel::from_history(recent, spec.handling_minutes, self.scenario.min_samples);
        let context = WaitContext {
            busy_windows: busy,
            appointments: &[],
            grace: self.scenario.rules.appointment_grace,
            now,
        };
        let secs = |d: SignedDuration| d.as_secs_f64();
        let onestop = predict_wait(&line, open, &model, &context).wait.map(secs);
        let truth = ServiceModel {
            mean: SignedDuration::from_secs_f64(spec.time.mean()),
            give_ups: match self.scenario.patience {
                Some(patience) => GiveUps {
                    rate: 1.0 / patience,
                    no_show_cost: millis(self.scenario.no_show_secs),
                    ..GiveUps::NONE
                },
                None => GiveUps::NONE,
            },
        };
        let onestop_true_model = predict_wait(&line, open, &truth, &context).wait.map(secs);
        // The baselines' "average handling time": the plain mean of the same recent service
        // times, or the catalogue's until there are enough.
        let times: Vec<f64> = recent.iter().filter_map(RecentCall::service_time).map(secs).collect();
        let plain = if times.len() >= self.scenario.min_samples.max(1) {
            times.iter().sum::<f64>() / times.len() as f64
        } else {
            f64::from(spec.handling_minutes) * 60.0
        };
        let per_place = (open > 0).then(|| plain / open as f64);
        Predictions {
            ahead: line.len(),
            ahead_in_issue_order: in_order,
            open_windows: open,
            busy_windows: busy,
            onestop,
            onestop_true_model,
            naive: per_place.map(|p| in_order as f64 * p),
            zms: per_place.map(|p| (in_order + 1) as f64 * p),
            zms_optimistic: per_place.map(|p| 0.8 * p * (in_order + 1).saturating_sub(open) as f64),
        }
    }
}

/// Seconds as a duration, to the millisecond.
fn millis(secs: f64) -> SignedDuration {
    SignedDuration::from_millis((secs * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppointmentSpec, RateTable, ServiceSpec, ServiceTime, WindowSpec};
    use onestop_domain::catalogue::ServiceCode;

    fn collect(scenario: &Scenario, seed: u64) -> (Vec<Visit>, Usage) {
        let mut visits = Vec::new();
        let usage = run(scenario, &mut Rng::seeded(seed), &mut |v| visits.push(v.clone()));
        (visits, usage)
    }

    #[test]
    fn everyone_is_called_once_and_no_window_serves_two_at_once() {
        let scenario = Scenario::mms(3, 0.9, 600.0, 3000);
        let (visits, usage) = collect(&scenario, 5);
        assert_eq!(visits.len(), 3000);
        assert!(visits.iter().all(|v| v.called.is_some() && !v.abandoned));
        // Per window, services do not overlap.
        for number in 1..=3 {
            let mut mine: Vec<&Visit> = visits.iter().filter(|v| v.window == Some(number)).collect();
            mine.sort_by(|a, b| a.called.unwrap().total_cmp(&b.called.unwrap()));
            for pair in mine.windows(2) {
                assert!(pair[0].called.unwrap() + pair[0].served_secs <= pair[1].called.unwrap() + 1e-6);
            }
        }
        // First come, first served with one service: calls in issue order.
        let mut by_call = visits.clone();
        by_call.sort_by(|a, b| a.called.unwrap().total_cmp(&b.called.unwrap()));
        assert!(by_call.windows(2).all(|p| p[0].arrived <= p[1].arrived));
        // Utilisation near the load.
        let busy: f64 = usage.busy.iter().flatten().sum();
        let open: f64 = usage.open.iter().flatten().sum();
        assert!((busy / open - 0.9).abs() < 0.05, "{}", busy / open);
    }

    #[test]
    fn a_visitor_finding_a_free_window_is_called_at_once_and_predicted_zero() {
        let scenario = Scenario::mms(5, 0.2, 600.0, 500);
        let (visits, _) = collect(&scenario, 9);
        for v in visits.iter().filter(|v| v.predicted.busy_windows < 5 && v.predicted.ahead == 0) {
            assert_eq!(v.wait(), Some(0.0));
            assert_eq!(v.predicted.onestop, Some(0.0));
        }
    }

    fn two_services() -> Scenario {
        let spec = |code: &str| ServiceSpec {
            code: ServiceCode::new(code),
            time: ServiceTime::LogNormal { mean: 300.0, cv: 0.5 },
            handling_minutes: 5,
        };
        Scenario {
            services: vec![spec("A"), spec("B")],
            windows: vec![
                WindowSpec { number: 1, services: vec![0, 1], open: vec![(0.0, 3600.0)] },
                WindowSpec { number: 2, services: vec![1], open: vec![(1800.0, 7200.0)] },
            ],
            arrivals: vec![RateTable::constant(1.0 / 600.0), RateTable::constant(1.0 / 400.0)],
            arrivals_until: 7200.0,
            close_at: Some(7200.0),
            appointments: vec![
                AppointmentSpec { service: 0, booked_at: 1200.0, arrives_at: Some(700.0) },
                AppointmentSpec { service: 1, booked_at: 2400.0, arrives_at: None },
            ],
            priority_share: 0.2,
            patience: Some(900.0),
            no_show_secs: 60.0,
            ..Scenario::mms(1, 0.5, 300.0, 0)
        }
        .with_max_arrivals(None)
    }

    impl Scenario {
        fn with_max_arrivals(mut self, max: Option<u64>) -> Scenario {
            self.max_arrivals = max;
            self
        }
    }

    #[test]
    fn windows_serve_only_their_services_and_only_while_signed_in() {
        let scenario = two_services();
        let (visits, usage) = collect(&scenario, 11);
        assert!(!visits.is_empty());
        for v in &visits {
            match v.window {
                Some(2) => {
                    assert_eq!(v.service, 1);
                    assert!(v.called.unwrap() >= 1800.0);
                }
                Some(1) => assert!(v.called.unwrap() < 3600.0),
                Some(other) => panic!("window {other}"),
                None => assert!(v.called.is_none()),
            }
        }
        // Window 1 closed at 3600 (finishing its last visitor): no open time after hour 1.
        assert!(usage.open[0].iter().skip(2).all(|s| *s == 0.0));
        assert!((usage.open[1].iter().sum::<f64>() - 5400.0).abs() < 1e-6);
        // The booked holder who came is reported as an appointment.
        assert!(
            visits
                .iter()
                .any(|v| matches!(v.origin, VisitOrigin::Appointment { booked_at } if booked_at == 1200.0))
        );
        // Service A has no window after window 1 closes: no prediction then.
        let late_a = visits.iter().filter(|v| v.service == 0 && v.arrived > 3700.0);
        assert!(late_a.clone().all(|v| v.predicted.onestop.is_none() && v.called.is_none()));
    }

    #[test]
    fn the_same_seed_gives_the_same_day() {
        let scenario = two_services();
        assert_eq!(collect(&scenario, 3).0, collect(&scenario, 3).0);
        assert_ne!(collect(&scenario, 3).0, collect(&scenario, 4).0);
    }

    #[test]
    fn impatient_visitors_leave_and_their_tickets_cost_a_no_show() {
        // Overloaded: 2 windows, twice their capacity, 5-minute patience.
        let mut scenario = Scenario::mms(2, 2.0, 600.0, 2000);
        scenario.patience = Some(300.0);
        scenario.no_show_secs = 30.0;
        let (visits, _) = collect(&scenario, 2);
        let gone = visits.iter().filter(|v| v.abandoned).count();
        assert!(gone > 800, "{gone}");
        assert!(visits.iter().filter(|v| v.abandoned).all(|v| v.served_secs == 0.0));
    }

    #[test]
    fn the_history_keeps_each_call_and_carries_to_the_next_day() {
        let mut scenario = Scenario::mms(2, 1.5, 600.0, 400);
        scenario.patience = Some(600.0);
        scenario.no_show_secs = 45.0;
        let mut history = History::default();
        let mut visits = Vec::new();
        run_after(&scenario, &mut Rng::seeded(8), &mut history, &mut |v| visits.push(v.clone()));
        let code = &scenario.services[0].code;
        let calls = history.of(code);
        assert_eq!(calls.len(), scenario.history);
        // The calls that ended last, in the order they ended, with their waits and how they
        // ended.
        let end = |v: &Visit| v.called.unwrap() + if v.abandoned { 45.0 } else { v.served_secs };
        let mut by_end: Vec<&Visit> = visits.iter().filter(|v| v.called.is_some()).collect();
        by_end.sort_by(|a, b| end(a).total_cmp(&end(b)));
        let want: Vec<RecentCall> = by_end[by_end.len() - scenario.history..]
            .iter()
            .map(|v| RecentCall {
                waited: Some(millis(v.called.unwrap() - v.arrived)),
                end: if v.abandoned {
                    CallEnd::NoShow(millis(45.0))
                } else {
                    CallEnd::Served(millis(v.served_secs))
                },
            })
            .collect();
        assert_eq!(calls, &want[..]);
        assert!(calls.iter().any(|c| matches!(c.end, CallEnd::NoShow(_))));
        // The next day's first visitor is predicted with that history: its give-ups.
        let model = ServiceModel::from_history(calls, 10, scenario.min_samples);
        assert!(model.give_ups.rate > 0.0 && model.give_ups.no_show_cost == millis(45.0), "{model:?}");
        let mut next = Vec::new();
        run_after(&scenario, &mut Rng::seeded(9), &mut history, &mut |v| next.push(v.clone()));
        assert_eq!(history.of(code).len(), scenario.history);
        let fresh = collect(&scenario, 9).0;
        let predicted = |visits: &[Visit]| visits.iter().map(|v| v.predicted.onestop).collect::<Vec<_>>();
        assert_ne!(predicted(&next), predicted(&fresh));
    }
}
