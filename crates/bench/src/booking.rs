//! The booking storm: many clients racing for the slots of one day released at once.
//!
//! A benchmark centre (`BOOK-01`, UTC, open 08:00–18:00 every day) has `windows` windows serving
//! only identity cards (15-minute slots): 40 slots × `windows` places on the first bookable day,
//! all for the website channel. `clients` concurrent clients make `attempts` booking attempts in
//! all, each for a distinct person: fetch a proof-of-work challenge, solve it, hold a slot; a full
//! slot's 409 names the next free slots, which the client tries next; a hold is confirmed at once
//! with the code read from the dev mailbox. Afterwards the places taken are read back from the
//! database and from the API.

use crate::instant;
use onestop_domain::booking::pow::{Challenge, solve};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The benchmark centre's code.
pub const CENTRE: &str = "BOOK-01";
/// The service booked.
pub const SERVICE: &str = "MIA-ID-CARD";
/// Slots of the day: 08:00–18:00 in 15-minute slots.
pub const SLOTS_PER_DAY: u32 = 40;

/// The demo catalogue with the benchmark centre of `windows` windows.
pub fn catalogue(windows: u32) -> String {
    let mut text = onestop_server::admin::DEMO_CATALOGUE.trim_end().to_owned();
    text.push('\n');
    text.push_str(&format!(
        "  - code: {CENTRE}\n    kind: centre\n    \
         name: {{az: \"Rezervasiya sınağı\", en: \"Booking benchmark centre\", ru: \"Центр для теста записи\"}}\n    \
         address: {{az: \"Sınaq küçəsi 1\", en: \"1 Benchmark Street\", ru: \"Тестовая улица, 1\"}}\n    \
         location: {{lat: 40.3, lon: 49.8}}\n    time_zone: UTC\n    \
         hours:\n      - {{days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday], \
         open: \"08:00\", close: \"18:00\"}}\n    public_holidays: open\n    floors: [1]\n    windows:\n"
    ));
    for w in 1..=windows {
        text.push_str(&format!("      - {{number: {w}, floor: 1, provider: MIA, services: [{SERVICE}]}}\n"));
    }
    text
}

/// The configuration the server runs the storm with: only tomorrow bookable, the whole capacity
/// for the website, a cheap proof of work, rate limits out of the way (every client shares one address), and the dev
/// mailbox for reading the codes.
pub fn server_env(difficulty: u8) -> Vec<(&'static str, String)> {
    vec![
        // Only tomorrow is bookable: the day's places are all there is.
        ("ONESTOP_BOOKING_FIRST_DAY", "1".into()),
        ("ONESTOP_BOOKING_LAST_DAY", "1".into()),
        ("ONESTOP_BOOKING_SHARE_WEBSITE_PERCENT", "100".into()),
        ("ONESTOP_BOOKING_SHARE_CALL_CENTRE_PERCENT", "0".into()),
        ("ONESTOP_BOOKING_SHARE_INFO_DESK_PERCENT", "0".into()),
        ("ONESTOP_BOOKING_POW_DIFFICULTY", difficulty.to_string()),
        ("ONESTOP_BOOKING_PER_IP_PER_MINUTE", "100000000".into()),
        ("ONESTOP_BOOKING_PER_ID_PER_HOUR", "1000".into()),
        ("ONESTOP_NOTIFY_DEV_MAILBOX", "true".into()),
    ]
}

/// What the storm measured.
#[derive(Debug, Default)]
pub struct Storm {
    /// Hold attempts made.
    pub attempts: usize,
    /// Holds granted (201).
    pub held: usize,
    /// Holds refused as full (409).
    pub full: usize,
    /// Bookings confirmed with their code.
    pub confirmed: usize,
    /// Any other answer.
    pub errors: usize,
    /// The first few unexpected answers.
    pub first_errors: Vec<String>,
    /// Latency of each hold attempt.
    pub hold_latencies: Vec<Duration>,
    /// Latency of each attempt end to end (challenge, hold and, when held, code and confirmation).
    pub attempt_latencies: Vec<Duration>,
    /// Wall time of the storm.
    pub elapsed: Duration,
}

fn fin(i: usize) -> String {
    // Seven characters, digits and capitals: `B` and the attempt number.
    format!("B{i:06}")
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn json(&self, r: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
        let response = r.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn challenge(&self) -> Result<Challenge, String> {
        let (_, c) = self.json(self.http.get(format!("{}/api/v1/appointments/challenge", self.base))).await?;
        Ok(Challenge {
            text: c["challenge"].as_str().ok_or("no challenge")?.to_owned(),
            difficulty: u8::try_from(c["difficulty"].as_u64().unwrap_or(0)).unwrap_or(0),
        })
    }

    async fn code(&self, to: &str) -> Result<String, String> {
        let url = format!("{}/dev/mailbox.json", self.base);
        let (_, body) = self.json(self.http.get(url).query(&[("to", to)])).await?;
        let text = body["messages"][0]["body"].as_str().ok_or("no message in the dev mailbox")?;
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .map(str::to_owned)
            .ok_or_else(|| "no code in the message".to_owned())
    }
}

/// The starts of the day's slots, as the API lists them.
pub async fn slot_starts(base: &str, date: &str) -> Result<Vec<(String, u64, u64)>, String> {
    let url = format!("{base}/api/v1/centres/{CENTRE}/slots?service={SERVICE}&date={date}");
    let body: Value =
        reqwest::get(url).await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let slots = body["slots"].as_array().ok_or_else(|| format!("no slots: {body}"))?;
    Ok(slots
        .iter()
        .map(|s| {
            (
                s["starts_at"].as_str().unwrap_or_default().to_owned(),
                s["capacity"].as_u64().unwrap_or(0),
                s["free"].as_u64().unwrap_or(0),
            )
        })
        .collect())
}

/// Runs the storm: `attempts` attempts from `clients` clients for the slots `starts`.
pub async fn storm(base: &str, starts: Vec<String>, clients: usize, attempts: usize) -> Storm {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    let next = Arc::new(AtomicUsize::new(0));
    let starts = Arc::new(starts);
    let began = instant();
    let tasks: Vec<_> = (0..clients)
        .map(|k| {
            let client = Client { http: http.clone(), base: base.to_owned() };
            let next = Arc::clone(&next);
            let starts = Arc::clone(&starts);
            tokio::spawn(async move {
                let mut out = Storm::default();
                // Each client starts at its own slot and follows the 409's suggestions.
                let mut target = starts[k % starts.len()].clone();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= attempts {
                        return out;
                    }
                    let began = instant();
                    let result = attempt(&client, i, &target).await;
                    out.attempts += 1;
                    match result {
                        Ok(Outcome::Booked(hold)) => {
                            out.held += 1;
                            out.confirmed += 1;
                            out.hold_latencies.push(hold);
                        }
                        Ok(Outcome::Full(hold, suggestions)) => {
                            out.full += 1;
                            out.hold_latencies.push(hold);
                            if let Some(s) = suggestions.get(i % suggestions.len().max(1)) {
                                target = s.clone();
                            } else {
                                target = starts[i % starts.len()].clone();
                            }
                        }
                        Ok(Outcome::HeldNotConfirmed(hold, why)) => {
                            out.held += 1;
                            out.hold_latencies.push(hold);
                            out.errors += 1;
                            if out.first_errors.len() < 3 {
                                out.first_errors.push(why);
                            }
                        }
                        Err(e) => {
                            out.errors += 1;
                            if out.first_errors.len() < 3 {
                                out.first_errors.push(e);
                            }
                        }
                    }
                    out.attempt_latencies.push(began.elapsed());
                }
            })
        })
        .collect();
    let mut total = Storm::default();
    for t in tasks {
        let Ok(s) = t.await else { continue };
        total.attempts += s.attempts;
        total.held += s.held;
        total.full += s.full;
        total.confirmed += s.confirmed;
        total.errors += s.errors;
        total.first_errors.extend(s.first_errors.into_iter().take(3 - total.first_errors.len().min(3)));
        total.hold_latencies.extend(s.hold_latencies);
        total.attempt_latencies.extend(s.attempt_latencies);
    }
    total.elapsed = began.elapsed();
    total
}

enum Outcome {
    Booked(Duration),
    Full(Duration, Vec<String>),
    HeldNotConfirmed(Duration, String),
}

async fn attempt(client: &Client, i: usize, starts_at: &str) -> Result<Outcome, String> {
    let challenge = client.challenge().await?;
    let nonce = solve(&challenge);
    let email = format!("p{i}@bench.example");
    let body = json!({
        "centre": CENTRE, "service": SERVICE, "starts_at": starts_at,
        "national_id": fin(i), "name": format!("Person {i}"), "email": email,
        "pow_challenge": challenge.text, "pow_nonce": nonce,
    });
    let began = instant();
    let (status, answer) =
        client.json(client.http.post(format!("{}/api/v1/appointments", client.base)).json(&body)).await?;
    let hold = began.elapsed();
    match status {
        201 => {
            let reference = answer["reference"].as_str().ok_or("no reference")?.to_owned();
            let code = match client.code(&email).await {
                Ok(code) => code,
                Err(e) => return Ok(Outcome::HeldNotConfirmed(hold, e)),
            };
            let url = format!("{}/api/v1/appointments/{reference}/confirm", client.base);
            let (status, answer) = client.json(client.http.post(url).json(&json!({"code": code}))).await?;
            if status == 200 && answer["state"] == "confirmed" {
                Ok(Outcome::Booked(hold))
            } else {
                Ok(Outcome::HeldNotConfirmed(hold, format!("confirm answered {status}: {answer}")))
            }
        }
        409 => {
            let next = answer["next_free_slots"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            Ok(Outcome::Full(hold, next))
        }
        other => Err(format!("hold answered {other}: {answer}")),
    }
}
