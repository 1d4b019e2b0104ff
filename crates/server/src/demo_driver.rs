//! The living demo: simulated citizens and officers driving a centre of the demo network through
//! the server's real HTTP API, so every screen moves.
//!
//! `onestop demo` starts it on the address it listens on (`--no-drive` leaves the network idle).
//! At start it sets up, through the store as an administrator would with the command line, an
//! officer account for each driven window and an info-desk account (fresh random passwords each
//! start, never shown), and a kiosk, a hall display and a feedback tablet per window (device
//! tokens, revoked again at stop). Everything after that goes over HTTP like any client:
//!
//! - officers sign in at `/sign-in`, sign in to their windows, and loop: call next, start (or, now
//!   and then, mark a no-show), serve for a log-normal time around the service's handling time
//!   (divided by [`DemoSettings::speed`]), finish; the window's tablet rates most services;
//! - citizens take tickets at the kiosk and at the info desk (documents ticked, some with a
//!   priority group) at a rate that keeps the windows about 90 % busy;
//! - now and then the info desk books an appointment for tomorrow and confirms it with the code
//!   the citizen receives (read from the outbox, the citizen's mailbox);
//! - for about a third of the services the officer accepts the documents: an application with its
//!   bill. A bill to pay parks the ticket; the citizen pays at the bank section (a bank teller),
//!   the payment terminal or online with the sandbox acquirer's test card; the paid ticket returns
//!   to its window, which calls it first and proceeds with the application.
//!
//! If the centre is closed now (night, weekend evening, holiday), the driver first saves a
//! registry version with a special day that opens it around the clock today, so the demo moves
//! whenever it is started; the change is an ordinary, audited catalogue version.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::civil::Time;
use onestop_domain::catalogue::{Catalogue, DayHours, SpecialDay, Text, to_yaml};
use onestop_domain::queue::day;
use onestop_sim::rng::Rng;
use onestop_store::Store;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::admin;

/// The clock the driver reads (the server's, or a test's).
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// What the driver drives.
#[derive(Clone)]
pub struct DemoSettings {
    /// The centre, e.g. `BAKU-1`.
    pub centre: String,
    /// How many of its windows (the lowest numbers) are staffed.
    pub windows: usize,
    /// How much faster than real life services go: 30 makes a 15-minute service 30 seconds.
    pub speed: f64,
    /// Tickets issued at once when the driver starts, so screens move at once.
    pub initial_tickets: usize,
    /// Mean seconds between two bookings.
    pub booking_gap: f64,
    /// The time now.
    pub clock: Clock,
}

impl Default for DemoSettings {
    fn default() -> DemoSettings {
        DemoSettings {
            centre: "BAKU-1".into(),
            windows: 8,
            speed: 30.0,
            initial_tickets: 12,
            booking_gap: 20.0,
            clock: Arc::new(crate::clock::now),
        }
    }
}

/// What the driver has done so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Tickets issued.
    pub issued: AtomicU64,
    /// Tickets called.
    pub called: AtomicU64,
    /// Services finished.
    pub served: AtomicU64,
    /// Ratings given.
    pub rated: AtomicU64,
    /// Appointments booked and confirmed.
    pub booked: AtomicU64,
    /// Applications accepted at windows.
    pub accepted: AtomicU64,
    /// Bills paid (bank section, terminal or online).
    pub paid: AtomicU64,
    /// Requests that failed.
    pub failed: AtomicU64,
    /// How many counts were added in all, announced to subscribers.
    changes: tokio::sync::watch::Sender<u64>,
}

impl Counters {
    /// Adds one to `counter` (one of these counters) and announces the change.
    fn add(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        self.changes.send_modify(|n| *n += 1);
    }

    /// A receiver woken by every count added from now on: something to await instead of polling.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

/// A running driver.
pub struct Driver {
    tasks: Vec<JoinHandle<()>>,
    store: Arc<dyn Store>,
    tokens: Vec<i64>,
    officers: Vec<(Session, String)>,
    http: Http,
    /// The hall display's device token, to pair a browser at `/screens/pair`.
    pub display_token: String,
    /// What it has done.
    pub counters: Arc<Counters>,
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: String,
    counters: Arc<Counters>,
}

impl Http {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Option<(u16, Value)> {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                if status >= 400 {
                    self.counters.add(&self.counters.failed);
                    tracing::debug!(status, %body, "demo driver: request refused");
                }
                Some((status, body))
            }
            Err(e) => {
                self.counters.add(&self.counters.failed);
                tracing::debug!(error = %e, "demo driver: request failed");
                None
            }
        }
    }

    fn post(&self, session: &Session, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
    }

    /// Signs in at `/sign-in` as a browser does.
    async fn sign_in(&self, login: &str, password: &str) -> Result<Session, String> {
        let fail = |e: reqwest::Error| format!("demo driver: signing in {login}: {e}");
        let page = self.client.get(self.url("/sign-in")).send().await.map_err(fail)?;
        let csrf = cookies(&page)
            .into_iter()
            .find_map(|c| {
                c.strip_prefix("onestop_csrf=").map(|v| v.split(';').next().unwrap_or("").to_owned())
            })
            .ok_or_else(|| format!("demo driver: the sign-in page set no CSRF cookie for {login}"))?;
        let response = self
            .client
            .post(self.url("/sign-in"))
            .header("cookie", format!("onestop_csrf={csrf}"))
            .form(&[("login", login), ("password", password), ("csrf", &csrf), ("next", "/staff")])
            .send()
            .await
            .map_err(fail)?;
        let cookie = cookies(&response)
            .into_iter()
            .find(|c| c.starts_with("onestop_session="))
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .ok_or_else(|| format!("demo driver: {login} could not sign in ({})", response.status()))?;
        let me: Value = self
            .client
            .get(self.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .map_err(fail)?
            .json()
            .await
            .map_err(fail)?;
        let csrf = me["csrf_token"].as_str().unwrap_or_default().to_owned();
        Ok(Session { cookie, csrf })
    }
}

fn cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

fn seeded() -> Rng {
    let bytes = onestop_web::auth::random_bytes();
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes[..8]);
    Rng::seeded(u64::from_le_bytes(seed))
}

fn fin(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..7).map(|_| CHARS[rng.below(CHARS.len())] as char).collect()
}

async fn pause(secs: f64) {
    tokio::time::sleep(Duration::from_secs_f64(secs.clamp(0.05, 600.0))).await;
}

/// Creates the account, or gives the existing one a new password.
async fn account(
    store: &dyn Store,
    now: jiff::Timestamp,
    login: &str,
    role: &str,
    centre: &str,
    provider: Option<&str>,
) -> Result<String, String> {
    let password = onestop_web::auth::random_token();
    if store.staff_by_login(login).await.map_err(|e| e.to_string())?.is_some() {
        let salt: [u8; 16] = onestop_web::auth::random_bytes()[..16].try_into().unwrap_or([7; 16]);
        let hash = onestop_domain::password::hash(&password, &salt);
        let audit = onestop_domain::audit::AuditEvent::new(
            now,
            admin::cli_actor(),
            "staff.password_reset",
            format!("demo driver: new password for {login}"),
        )
        .with_record(format!("staff:{login}"));
        store.set_password(login, &hash, false, None, now, audit).await.map_err(|e| e.to_string())?;
    } else {
        let add = admin::UserAdd {
            login: login.to_owned(),
            role: role.to_owned(),
            centre: Some(centre.to_owned()),
            provider: provider.map(str::to_owned),
            name: format!("Demo {}", login.rsplit('.').next().unwrap_or(login)),
            fin: None,
            phone: None,
            must_change_password: false,
        };
        admin::user_add(store, add, &password).await?;
    }
    Ok(password)
}

/// Opens `centre` around the clock today if it is closed now: a new registry version.
async fn open_today(
    store: &dyn Store,
    now: jiff::Timestamp,
    catalogue: &Catalogue,
    centre: &str,
) -> Result<bool, String> {
    let Some(c) = catalogue.centre(centre) else {
        return Err(format!("demo driver: there is no centre {centre}"));
    };
    if day::is_open(c, &catalogue.country, now) {
        return Ok(false);
    }
    let today = day::local_date(c, &catalogue.country, now);
    let mut changed = catalogue.clone();
    let Some(target) = changed.centres.iter_mut().find(|x| x.code == centre) else {
        return Ok(false);
    };
    target.special_days.retain(|d| d.date != today);
    let mut note = Text::new();
    for lang in &catalogue.country.languages {
        note = note.with(lang, "demo: open around the clock");
    }
    target.special_days.push(SpecialDay {
        date: today,
        hours: DayHours::Open { open: Time::constant(0, 0, 0, 0), close: Time::constant(23, 59, 0, 0) },
        note: Some(note),
    });
    admin::catalogue_import(
        store,
        &to_yaml(&changed),
        &format!("demo: {centre} open around the clock on {today}"),
    )
    .await?;
    Ok(true)
}

/// Pays bill `reference` the way a citizen might: at the bank section (`teller`), at the payment
/// terminal, or online with the sandbox acquirer's test card. Answers whether it was paid.
async fn pay_bill(
    http: &Http,
    rng: &mut Rng,
    teller: &Session,
    terminal: &str,
    reference: &str,
    due: i64,
) -> bool {
    let path = format!("/api/v1/bills/{reference}/payments");
    let pick = rng.uniform();
    if pick < 0.6 {
        return matches!(
            http.json(http.post(teller, &path).json(&json!({"amount": due}))).await,
            Some((201, _))
        );
    }
    if pick < 0.85 {
        let request = http.client.post(http.url(&path)).bearer_auth(terminal).json(&json!({"amount": due}));
        return matches!(http.json(request).await, Some((201, _)));
    }
    let create =
        http.client.post(http.url("/api/v1/payments")).json(&json!({"amount": due, "reference": reference}));
    let Some((201, created)) = http.json(create).await else { return false };
    let Some(id) = created["payment_id"].as_str() else { return false };
    let card = json!({
        "card_number": "4444333322221111", "cardholder_name": "Demo Citizen",
        "expiry_month": 12, "expiry_year": 2099, "cvc": "123",
    });
    let submitted = http.client.post(http.url(&format!("/api/v1/payments/{id}/pay"))).json(&card);
    if !matches!(http.json(submitted).await, Some((200, _))) {
        return false;
    }
    let confirmed = http.client.post(http.url(&format!("/api/v1/payments/{id}/confirm")));
    matches!(http.json(confirmed).await, Some((200, body)) if body["state"]["status"] == "success")
}

/// Starts driving the server at `base` (e.g. `http://127.0.0.1:8080`) over `store`.
pub async fn start(store: Arc<dyn Store>, base: String, settings: DemoSettings) -> Result<Driver, String> {
    let catalogue =
        admin::catalogue_in_force(store.as_ref()).await?.ok_or("demo driver: no catalogue is in force")?;
    let catalogue = if open_today(store.as_ref(), (settings.clock)(), &catalogue, &settings.centre).await? {
        tracing::info!(centre = %settings.centre, "demo: the centre is closed now; opened around the clock today");
        admin::catalogue_in_force(store.as_ref()).await?.ok_or("demo driver: no catalogue is in force")?
    } else {
        catalogue
    };
    let centre = catalogue
        .centre(&settings.centre)
        .ok_or_else(|| format!("demo driver: there is no centre {}", settings.centre))?
        .clone();
    let mut windows = centre.windows.clone();
    windows.sort_by_key(|w| w.number);
    windows.truncate(settings.windows.max(1));
    let code = centre.code.as_str().to_owned();
    let slug = code.to_lowercase();

    let counters = Arc::new(Counters::default());
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let http = Http { client, base: base.trim_end_matches('/').to_owned(), counters: Arc::clone(&counters) };

    let mut tokens = Vec::new();
    let token = |kind: &'static str, window: Option<u32>| {
        let store = Arc::clone(&store);
        let code = code.clone();
        async move {
            let label = format!("demo {kind}");
            admin::token_issue(store.as_ref(), kind, code, window.map(|w| w.to_string()), Some(label)).await
        }
    };
    let (kiosk_id, kiosk) = token("kiosk", None).await?;
    let (display_id, display_token) = token("display", None).await?;
    tokens.extend([kiosk_id, display_id]);
    let mut tablets = Vec::new();
    for w in &windows {
        let (id, secret) = token("tablet", Some(w.number)).await?;
        tokens.push(id);
        tablets.push(secret);
    }

    let desk_login = format!("demo.desk.{slug}");
    let desk_password =
        account(store.as_ref(), (settings.clock)(), &desk_login, "info_desk", &code, None).await?;
    let desk = http.sign_in(&desk_login, &desk_password).await?;
    let teller_login = format!("demo.teller.{slug}");
    let teller_password =
        account(store.as_ref(), (settings.clock)(), &teller_login, "bank_teller", &code, None).await?;
    let teller = http.sign_in(&teller_login, &teller_password).await?;
    let (terminal_id, terminal) = token("terminal", None).await?;
    tokens.push(terminal_id);
    let mut officers = Vec::new();
    for w in &windows {
        let login = format!("demo.officer.{slug}.{}", w.number);
        let password =
            account(store.as_ref(), (settings.clock)(), &login, "officer", &code, Some(w.provider.as_str()))
                .await?;
        let session = http.sign_in(&login, &password).await?;
        let path = format!("/api/v1/windows/{code}:{}/sign-in", w.number);
        http.json(http.post(&session, &path).json(&json!({}))).await;
        officers.push((session, format!("{code}:{}", w.number)));
    }

    // The services the driven windows render, with their mean service time in demo seconds.
    let mut services: Vec<(String, f64, usize)> = Vec::new();
    for w in &windows {
        for s in &w.services {
            if services.iter().all(|(c, _, _)| c != s.as_str())
                && let Some(service) = catalogue.service(s.as_str())
            {
                let secs = f64::from(service.handling_minutes) * 60.0 / settings.speed.max(0.01);
                services.push((s.as_str().to_owned(), secs, service.documents.len()));
            }
        }
    }
    // Arrivals keep the windows about 90 % busy.
    let capacity: f64 = windows
        .iter()
        .map(|w| {
            let mean: f64 = w
                .services
                .iter()
                .filter_map(|s| services.iter().find(|(c, _, _)| c == s.as_str()))
                .map(|(_, secs, _)| *secs)
                .sum::<f64>()
                / w.services.len().max(1) as f64;
            1.0 / mean.max(0.5)
        })
        .sum();
    let mean_gap = 1.0 / (0.9 * capacity.max(1e-6));
    // A citizen comes for a window's services: each window's line gets its share of visitors,
    // weighted by how fast it serves.
    let menus: Vec<(f64, Vec<usize>)> = windows
        .iter()
        .map(|w| {
            let ids: Vec<usize> = w
                .services
                .iter()
                .filter_map(|s| services.iter().position(|(c, _, _)| c == s.as_str()))
                .collect();
            let mean = ids.iter().map(|i| services[*i].1).sum::<f64>() / ids.len().max(1) as f64;
            (1.0 / mean.max(0.5), ids)
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    let services = Arc::new(services);

    let mut tasks = Vec::new();
    // Citizens.
    {
        let (http, services, kiosk, desk, code) =
            (http.clone(), Arc::clone(&services), kiosk.clone(), desk.clone(), code.clone());
        let initial = settings.initial_tickets;
        tasks.push(tokio::spawn(async move {
            let mut rng = seeded();
            let mut issued = 0usize;
            loop {
                if issued >= initial {
                    pause(rng.exponential(mean_gap)).await;
                }
                issued += 1;
                let mut pick = rng.uniform() * menus.iter().map(|m| m.0).sum::<f64>();
                let menu = menus.iter().find(|m| {
                    pick -= m.0;
                    pick <= 0.0
                });
                let Some((_, ids)) = menu.or(menus.last()) else { return };
                let (service, _, documents) = &services[ids[rng.below(ids.len())]];
                let path = format!("/api/v1/centres/{code}/tickets");
                let request = if rng.chance(0.75) {
                    http.client
                        .post(http.url(&path))
                        .bearer_auth(&kiosk)
                        .json(&json!({"service": service, "id_card": fin(&mut rng)}))
                } else {
                    let priority = rng.chance(0.15).then_some("elderly");
                    let body = json!({
                        "service": service,
                        "id_card": fin(&mut rng),
                        "documents": (0..*documents).collect::<Vec<_>>(),
                        "priority": priority,
                    });
                    http.post(&desk, &path).json(&body)
                };
                if let Some((201, _)) = http.json(request).await {
                    http.counters.add(&http.counters.issued);
                }
            }
        }));
    }
    // The bank section: citizens sent to pay come here (or to the terminal, or pay online).
    let (to_bank, mut at_bank) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
    {
        let (http, teller, terminal) = (http.clone(), teller.clone(), terminal.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = seeded();
            while let Some((reference, due)) = at_bank.recv().await {
                // The citizen walks to the bank section.
                pause(1.0 + rng.uniform() * 3.0).await;
                if pay_bill(&http, &mut rng, &teller, &terminal, &reference, due).await {
                    http.counters.add(&http.counters.paid);
                }
            }
        }));
    }
    // Officers. A parked ticket's application waits here until the ticket returns.
    let waiting_payment: Arc<Mutex<std::collections::HashMap<i64, String>>> = Arc::default();
    for ((session, window), tablet) in officers.iter().cloned().zip(tablets) {
        let (http, services) = (http.clone(), Arc::clone(&services));
        let (to_bank, waiting_payment) = (to_bank.clone(), Arc::clone(&waiting_payment));
        tasks.push(tokio::spawn(async move {
            let mut rng = seeded();
            loop {
                let step = |action: &str, body: Value| {
                    http.post(&session, &format!("/api/v1/windows/{window}/{action}")).json(&body)
                };
                let act = |tracking: &str, action: &str| {
                    http.post(&session, &format!("/api/v1/applications/{tracking}/actions"))
                        .json(&json!({"action": action}))
                };
                let called = http.json(step("call-next", json!({}))).await;
                let ticket = called.as_ref().and_then(|(status, body)| {
                    (*status == 200).then(|| {
                        (
                            body["ticket"]["id"].as_i64(),
                            body["ticket"]["service"].clone(),
                            body["rule"] == "returning",
                        )
                    })
                });
                let Some((Some(id), service, returning)) = ticket else {
                    pause(1.5 + rng.uniform()).await;
                    continue;
                };
                http.counters.add(&http.counters.called);
                // The citizen walks to the window.
                pause(1.0 + rng.uniform() * 2.0).await;
                if !returning && rng.chance(0.04) {
                    http.json(step("no-show", json!({"ticket": id}))).await;
                    continue;
                }
                http.json(step("start", json!({"ticket": id}))).await;
                let paid_for = waiting_payment.lock().await.remove(&id);
                if let Some(tracking) = paid_for {
                    // Back from the bank section with the bill paid: the application proceeds.
                    http.json(act(&tracking, "proceed")).await;
                } else if rng.chance(0.35) {
                    let n = rng.below(1_000_000);
                    let body = json!({"documents": ["1"], "email": format!("demo.citizen.{n}@example.org")});
                    let accepted =
                        http.post(&session, &format!("/api/v1/tickets/{id}/application")).json(&body);
                    if let Some((201, a)) = http.json(accepted).await {
                        http.counters.add(&http.counters.accepted);
                        let tracking = a["tracking"].as_str().unwrap_or_default().to_owned();
                        let bill = &a["bills"][0];
                        let due = bill["due"].as_i64().unwrap_or(0);
                        if due > 0 {
                            // To the bank section: the ticket waits, parked, until the bill is paid.
                            let parked = step("park", json!({"ticket": id, "reason": "payment"}));
                            if let Some((200, _)) = http.json(parked).await {
                                waiting_payment.lock().await.insert(id, tracking);
                                let reference = bill["reference"].as_str().unwrap_or_default().to_owned();
                                let _ = to_bank.send((reference, due));
                                continue;
                            }
                        } else {
                            http.json(act(&tracking, "proceed")).await;
                        }
                    }
                }
                let mean = services
                    .iter()
                    .find(|(c, _, _)| Some(c.as_str()) == service.as_str())
                    .map_or(10.0, |s| s.1);
                pause(rng.log_normal(mean, 0.5)).await;
                let finished = http.json(step("finish", json!({"ticket": id, "outcome": "served"}))).await;
                if matches!(finished, Some((200, _))) {
                    http.counters.add(&http.counters.served);
                    if rng.chance(0.7) {
                        let score = [5, 5, 5, 4, 4, 3, 2][rng.below(7)];
                        let rating = http
                            .client
                            .post(http.url(&format!("/api/v1/tickets/{id}/rating")))
                            .bearer_auth(&tablet)
                            .json(&json!({"score": score}));
                        if let Some((201, _)) = http.json(rating).await {
                            http.counters.add(&http.counters.rated);
                        }
                    }
                }
            }
        }));
    }
    // Bookings for tomorrow, made at the info desk.
    {
        let (http, services, desk, code, store) =
            (http.clone(), Arc::clone(&services), desk.clone(), code.clone(), Arc::clone(&store));
        let (clock, gap) = (Arc::clone(&settings.clock), settings.booking_gap);
        let zone = day::zone(&centre, &catalogue.country);
        tasks.push(tokio::spawn(async move {
            let mut rng = seeded();
            let mut n = 0u64;
            loop {
                pause(rng.exponential(gap)).await;
                n += 1;
                let (service, _, _) = &services[rng.below(services.len())];
                let tomorrow = clock().to_zoned(zone.clone()).date().tomorrow().ok();
                let Some(date) = tomorrow else { continue };
                let slots = http.client.get(http.url(&format!(
                    "/api/v1/centres/{code}/slots?service={service}&date={date}&channel=info_desk"
                )));
                let slots = http.json(slots.header("cookie", &desk.cookie)).await;
                let Some((200, body)) = slots else { continue };
                let free: Vec<&Value> = body["slots"]
                    .as_array()
                    .map(|s| s.iter().filter(|x| x["free"].as_u64().unwrap_or(0) > 0).collect())
                    .unwrap_or_default();
                if free.is_empty() {
                    continue;
                }
                let slot = free[rng.below(free.len())];
                let email = format!("demo.citizen.{}.{n}@example.org", rng.below(1_000_000));
                let hold = json!({
                    "centre": code, "service": service, "starts_at": slot["starts_at"],
                    "national_id": fin(&mut rng), "name": "Demo Citizen", "email": email,
                    "channel": "info_desk",
                });
                let Some((201, held)) = http.json(http.post(&desk, "/api/v1/appointments").json(&hold)).await
                else {
                    continue;
                };
                let Some(reference) = held["reference"].as_str() else { continue };
                // The citizen reads the code in their mailbox.
                let messages = store.outbox_messages(Some(&email), 5).await.unwrap_or_default();
                let code_text = messages.iter().find_map(|m| six_digits(&m.message.body));
                let Some(one_time) = code_text else { continue };
                let confirm = http
                    .client
                    .post(http.url(&format!("/api/v1/appointments/{reference}/confirm")))
                    .json(&json!({"code": one_time}));
                if let Some((200, _)) = http.json(confirm).await {
                    http.counters.add(&http.counters.booked);
                }
            }
        }));
    }
    // A line in the log now and then.
    {
        let counters = Arc::clone(&counters);
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            every.tick().await;
            loop {
                every.tick().await;
                let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
                tracing::info!(
                    issued = c(&counters.issued),
                    called = c(&counters.called),
                    served = c(&counters.served),
                    rated = c(&counters.rated),
                    booked = c(&counters.booked),
                    accepted = c(&counters.accepted),
                    paid = c(&counters.paid),
                    "demo driver"
                );
            }
        }));
    }
    tracing::info!(
        centre = %code,
        windows = windows.len(),
        "demo: driving {code} live; pair a hall screen at {base}/screens/pair with the display token {display_token}"
    );
    Ok(Driver { tasks, store, tokens, officers, http, display_token, counters })
}

/// The first run of six digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let before = i.checked_sub(1).map(|j| bytes[j].is_ascii_digit()).unwrap_or(false);
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (run.iter().all(u8::is_ascii_digit) && !before && !after).then(|| text[i..i + 6].to_owned())
    })
}

/// A driver started beside the server, and stopped at shutdown.
pub struct Handle {
    slot: Arc<Mutex<Option<Driver>>>,
    starter: Mutex<Option<JoinHandle<()>>>,
}

impl Handle {
    /// Starts a driver on `base` in the background. Call it once the server's listener is bound:
    /// the driver's first requests then wait in the listener's queue until the server serves them.
    /// A driver that cannot start logs why and leaves the server as it is.
    pub fn spawn(store: Arc<dyn Store>, base: String, settings: DemoSettings) -> Handle {
        let slot: Arc<Mutex<Option<Driver>>> = Arc::default();
        let filled = Arc::clone(&slot);
        let starter = tokio::spawn(async move {
            match start(store, base, settings).await {
                Ok(driver) => *filled.lock().await = Some(driver),
                Err(e) => tracing::warn!(error = %e, "demo driver not started"),
            }
        });
        Handle { slot, starter: Mutex::new(Some(starter)) }
    }

    /// Stops the driver: still starting, it is abandoned; started, it stops.
    pub async fn stop(&self) {
        if let Some(starter) = self.starter.lock().await.take() {
            starter.abort();
            // Wait until it has really ended, so nothing of it runs while the server shuts down.
            let _ = starter.await;
        }
        if let Some(driver) = self.slot.lock().await.take() {
            driver.stop().await;
        }
    }
}

impl Driver {
    /// Stops every simulated person, signs the officers out of their windows and revokes the
    /// driver's device tokens. Call it while the server still runs.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        let signing_out = Mutex::new(());
        for (session, window) in &self.officers {
            let _guard = signing_out.lock().await;
            let request =
                self.http.post(session, &format!("/api/v1/windows/{window}/sign-out")).json(&json!({}));
            let _ = tokio::time::timeout(Duration::from_secs(2), request.send()).await;
        }
        for id in &self.tokens {
            if let Err(e) = admin::token_revoke(self.store.as_ref(), *id).await {
                tracing::warn!(error = %e, "demo driver: could not revoke a device token");
            }
        }
        tracing::info!("demo driver stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_the_six_digits() {
        assert_eq!(six_digits("Your code is 123456; it expires in 10 minutes."), Some("123456".into()));
        assert_eq!(six_digits("1234567 no"), None);
        assert_eq!(six_digits("AP-7KQ2 code 004211"), Some("004211".into()));
    }
}
