//! Driving the queue: every window repeats a visit — a kiosk issues a ticket at its centre, the
//! window calls next, starts and finishes — either as fast as the server answers (closed loop,
//! for sustained throughput) or at a fixed rate of operations (open loop, for latency at a load;
//! latency is measured from when an operation was due, so a slow server is not flattered).

use crate::client::{Api, Op};
use crate::setup::Network;
use crate::stats::{ms, percentile};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The samples of a run.
#[derive(Debug, Default)]
pub struct Samples {
    /// Latencies of successful operations, by operation.
    pub latencies: BTreeMap<Op, Vec<Duration>>,
    /// Operations that failed, with the first few errors.
    pub errors: u64,
    /// The first errors seen.
    pub first_errors: Vec<String>,
    /// Ids of tickets whose issue was acknowledged (201).
    pub issued: Vec<i64>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Open loop only: operations that were due while every window was busy.
    pub skipped: u64,
}

impl Samples {
    fn record(&mut self, op: Op, took: Duration) {
        self.latencies.entry(op).or_default().push(took);
    }

    fn error(&mut self, e: String) {
        self.errors += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(e);
        }
    }

    fn merge(&mut self, other: Samples) {
        for (op, mut l) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut l);
        }
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
        self.issued.extend(other.issued);
        self.skipped += other.skipped;
    }

    /// Successful operations.
    pub fn ops(&self) -> usize {
        self.latencies.values().map(Vec::len).sum()
    }

    /// Successful operations per second.
    pub fn rate(&self) -> f64 {
        self.ops() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The 50th and 99th percentile over every operation, in milliseconds.
    pub fn p50_p99(&self) -> (f64, f64) {
        let mut all: Vec<Duration> = self.latencies.values().flatten().copied().collect();
        (ms(percentile(&mut all, 50.0)), ms(percentile(&mut all, 99.0)))
    }
}

/// Ticket issues acknowledged so far, recorded the moment each answer arrives (so they are known
/// even if the load is cut off), with a count to await.
#[derive(Debug)]
pub struct Acked {
    ids: Mutex<Vec<i64>>,
    count: tokio::sync::watch::Sender<usize>,
}

impl Default for Acked {
    fn default() -> Acked {
        Acked { ids: Mutex::default(), count: tokio::sync::watch::Sender::new(0) }
    }
}

impl Acked {
    fn record(&self, id: i64) {
        let mut ids = self.ids.lock().expect("not poisoned");
        ids.push(id);
        self.count.send_replace(ids.len());
    }

    /// The ids acknowledged so far.
    pub fn ids(&self) -> Vec<i64> {
        self.ids.lock().expect("not poisoned").clone()
    }

    /// Completes once at least `n` issues were acknowledged.
    pub async fn reached(&self, n: usize) {
        let mut count = self.count.subscribe();
        let _ = count.wait_for(|c| *c >= n).await;
    }
}

/// Where a window is in its visit.
#[derive(Debug, Clone, Copy)]
enum Step {
    Issue,
    Call,
    Start(i64),
    Finish(i64),
}

/// Runs one step of window `w`; answers the next step.
async fn step(api: &Api, network: &Network, w: usize, step: Step, samples: &mut Samples) -> Step {
    let officer = &network.officers[w];
    let devices =
        network.devices.iter().find(|d| d.centre == officer.centre).expect("devices of every centre");
    let began = crate::instant();
    let (op, result) = match step {
        Step::Issue => (
            Op::Issue,
            api.issue(devices).await.map(|id| Some(Step::Call).inspect(|_| samples.issued.push(id))),
        ),
        Step::Call => (
            Op::Call,
            api.call_next(officer).await.map(|t| Some(t.map_or(Step::Issue, |(id, _)| Step::Start(id)))),
        ),
        Step::Start(id) => (Op::Start, api.start(officer, id).await.map(|()| Some(Step::Finish(id)))),
        Step::Finish(id) => (Op::Finish, api.finish(officer, id).await.map(|()| Some(Step::Issue))),
    };
    match result {
        Ok(next) => {
            samples.record(op, began.elapsed());
            next.unwrap_or(Step::Issue)
        }
        Err(e) => {
            samples.error(e);
            // Start the visit again; a half-served ticket stays open until the day closes.
            Step::Issue
        }
    }
}

/// Signs every officer in to their window, `parallel` at a time.
pub async fn sign_in_all(api: &Api, network: &Network, parallel: usize) -> Result<(), String> {
    let next = Arc::new(Mutex::new(0usize));
    let mut tasks = Vec::new();
    for _ in 0..parallel {
        let (api, network, next) = (api.clone(), network.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = {
                    let mut n = next.lock().expect("not poisoned");
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(officer) = network.officers.get(i) else { return Ok::<(), String>(()) };
                api.sign_in(officer).await?;
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Closed loop: `clients` concurrent clients, each cycling over its share of the windows, for
/// `duration`. `acked` records acknowledged ticket issues as they happen, for a watcher.
pub async fn closed_loop(
    api: &Api,
    network: &Network,
    clients: usize,
    duration: Duration,
    acked: Arc<Acked>,
) -> Samples {
    let began = crate::instant();
    let deadline = began + duration;
    let mut tasks = Vec::new();
    for k in 0..clients {
        let (api, network, acked) = (api.clone(), network.clone(), Arc::clone(&acked));
        tasks.push(tokio::spawn(async move {
            let mine: Vec<usize> = (k..network.officers.len()).step_by(clients).collect();
            let mut steps = vec![Step::Issue; mine.len()];
            let mut samples = Samples::default();
            let mut turn = 0;
            while !mine.is_empty() && crate::instant() < deadline {
                let slot = turn % mine.len();
                let before = samples.issued.len();
                steps[slot] = step(&api, &network, mine[slot], steps[slot], &mut samples).await;
                if let Some(id) = samples.issued.get(before) {
                    acked.record(*id);
                }
                turn += 1;
            }
            // Finish the visits under way, unmeasured, so that no ticket is left waiting or at a
            // window to weigh on the next run (a centre's open tickets are read with each issue).
            let mut unmeasured = Samples::default();
            for (slot, w) in mine.iter().enumerate() {
                while !matches!(steps[slot], Step::Issue) {
                    steps[slot] = step(&api, &network, *w, steps[slot], &mut unmeasured).await;
                }
            }
            samples
        }));
    }
    let mut samples = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            samples.merge(s);
        }
    }
    samples.elapsed = began.elapsed();
    samples
}

/// Open loop: one operation due every `1/rate` seconds for `duration`, each on the next idle
/// window; latency counts from when the operation was due.
pub async fn open_loop(api: &Api, network: &Network, rate: f64, duration: Duration) -> Samples {
    let (idle_tx, mut idle_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Step)>();
    for w in 0..network.officers.len() {
        let _ = idle_tx.send((w, Step::Issue));
    }
    let shared = Arc::new(Mutex::new(Samples::default()));
    let began = crate::instant();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (duration.as_secs_f64() * rate) as u64;
    let mut tasks = Vec::new();
    let mut skipped = 0;
    for i in 0..total {
        let due = began + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let Ok((w, s)) = idle_rx.try_recv() else {
            skipped += 1;
            continue;
        };
        let (api, network, shared, idle_tx) =
            (api.clone(), network.clone(), Arc::clone(&shared), idle_tx.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            let next = step(&api, &network, w, s, &mut samples).await;
            // Latency from when the operation was due, not from when it was sent.
            let late = due.elapsed();
            if let Some((_, l)) = samples.latencies.iter_mut().next()
                && let Some(last) = l.last_mut()
            {
                *last = late;
            }
            shared.lock().expect("not poisoned").merge(samples);
            let _ = idle_tx.send((w, next));
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut samples = std::mem::take(&mut *shared.lock().expect("not poisoned"));
    samples.elapsed = began.elapsed();
    samples.skipped = skipped;
    samples
}
