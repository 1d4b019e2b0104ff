//! Live-screen fan-out: many hall screens follow one centre's events over SSE while a window
//! calls tickets; the time from sending a call to each screen reading its `called` event is
//! measured.

use crate::client::Api;
use crate::setup::{Devices, Officer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When each screen read the `called` event of each ticket number, and how many it read in all.
#[derive(Default)]
pub struct Seen {
    arrivals: Mutex<HashMap<String, Vec<Instant>>>,
    count: tokio::sync::watch::Sender<usize>,
}

impl Seen {
    fn record(&self, number: &str, at: Instant) {
        self.arrivals.lock().expect("not poisoned").entry(number.to_owned()).or_default().push(at);
        self.count.send_modify(|n| *n += 1);
    }

    /// Completes once `n` `called` events were read, over all screens.
    async fn reached(&self, n: usize) {
        let _ = self.count.subscribe().wait_for(|c| *c >= n).await;
    }
}

/// Opens `screens` SSE connections to the centre's event stream with its display token; each
/// records when it reads a `called` event, by ticket number. Answers once every stream is open.
pub async fn connect(
    api: &Api,
    devices: &Devices,
    screens: usize,
) -> Result<(Arc<Seen>, Vec<tokio::task::JoinHandle<()>>), String> {
    let seen: Arc<Seen> = Arc::default();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(screens.max(1));
    let mut tasks = Vec::new();
    for _ in 0..screens {
        let url = format!("{}/api/v1/centres/{}/events", api.base(), devices.centre);
        let (http, token, seen, ready) =
            (api.http().clone(), devices.display.clone(), Arc::clone(&seen), ready_tx.clone());
        tasks.push(tokio::spawn(async move {
            let response =
                match http.get(&url).bearer_auth(&token).header("accept", "text/event-stream").send().await {
                    Ok(r) if r.status().is_success() => r,
                    Ok(r) => {
                        let _ = ready.send(Err(format!("events: {}", r.status()))).await;
                        return;
                    }
                    Err(e) => {
                        let _ = ready.send(Err(format!("events: {e}"))).await;
                        return;
                    }
                };
            let _ = ready.send(Ok(())).await;
            read_events(response, &seen).await;
        }));
    }
    for _ in 0..screens {
        ready_rx.recv().await.ok_or("a screen task ended")??;
    }
    Ok((seen, tasks))
}

/// Reads an SSE stream, noting when each `called` event arrives.
async fn read_events(mut response: reqwest::Response, seen: &Seen) {
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let is_call = event.lines().any(|l| l == "event: called" || l == "event:called");
            if !is_call {
                continue;
            }
            let data = event.lines().find_map(|l| l.strip_prefix("data:")).unwrap_or_default();
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(data.trim())
                && let Some(number) = value["number"].as_str()
            {
                seen.record(number, crate::instant());
            }
        }
    }
}

/// Issues and calls `calls` tickets at `officer`'s window, `gap` apart, while `screens` screens
/// listen; answers the delivery delays of every call to every screen, and how many deliveries
/// had not arrived one second after the last call.
pub async fn fan_out(
    api: &Api,
    devices: &Devices,
    officer: &Officer,
    screens: usize,
    calls: usize,
    gap: Duration,
) -> Result<(Vec<Duration>, usize), String> {
    let (seen, tasks) = connect(api, devices, screens).await?;
    let mut sent = Vec::new();
    for _ in 0..calls {
        api.issue(devices).await?;
        let at = crate::instant();
        let Some((id, number)) = api.call_next(officer).await? else {
            return Err("the ticket just issued was not called".into());
        };
        sent.push((number, at));
        api.start(officer, id).await?;
        api.finish(officer, id).await?;
        tokio::time::sleep(gap).await;
    }
    // Await every delivery, giving up one second after the last call: what is still out is missing.
    let _ = tokio::time::timeout(Duration::from_secs(1), seen.reached(screens * calls)).await;
    for task in &tasks {
        task.abort();
    }
    let seen = seen.arrivals.lock().expect("not poisoned");
    let mut delays = Vec::new();
    let mut missing = 0;
    for (number, at) in sent {
        let arrivals = seen.get(&number).map_or(&[][..], Vec::as_slice);
        missing += screens.saturating_sub(arrivals.len());
        delays.extend(arrivals.iter().map(|a| a.saturating_duration_since(at)));
    }
    Ok((delays, missing))
}
