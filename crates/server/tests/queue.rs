//! The queue over real HTTP on both databases, on the ASAN demo catalogue: windows racing to call,
//! tickets issued in parallel, a kiosk ticket followed on a hall screen to its end, screens
//! resuming after a reconnect, refusals that change nothing, and the day's close.

#![allow(clippy::unwrap_used)]

mod support;

use futures_util::future::join_all;
use jiff::SignedDuration;
use onestop_domain::catalogue::{CentreCode, parse_catalogue};
use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use support::{Session, TestApp, problem};

on_both_databases!(
    eight_windows_calling_at_once_never_share_a_ticket,
    parallel_issues_get_distinct_numbers_without_gaps,
    a_kiosk_ticket_is_followed_from_the_hall_screen_to_the_statistics,
    a_screen_resumes_after_the_last_event_it_saw,
    refusals_name_the_cause_and_change_nothing,
    a_parked_ticket_returns_to_its_window_and_a_transfer_keeps_the_number,
    the_day_closes_and_the_counts_reconcile,
    a_retried_issue_with_its_idempotency_key_gets_the_same_ticket,
    no_shows_in_the_history_shorten_the_predicted_wait,
);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";
const FIN: &str = "5ABC12K";

/// The demo catalogue, where BAKU-1's windows 5 to 8 also serve ID cards for MIA (so eight
/// windows of one provider serve one service).
fn eight_mia_windows() -> String {
    let mut text = DEMO_CATALOGUE.to_owned();
    for number in 5..=8 {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {{number: {number}, floor: 1,")))
            .unwrap()
            .to_owned();
        let indent = &line[..line.find('-').unwrap()];
        let new = format!("{indent}- {{number: {number}, floor: 1, provider: MIA, services: [MIA-ID-CARD]}}");
        text = text.replacen(&line, &new, 1);
    }
    text
}

async fn app_with(db: &TestDb, catalogue: &str) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), catalogue, "asan-demo.yaml").await.unwrap();
    app
}

/// A device token of `kind` at BAKU-1.
async fn device(app: &TestApp, kind: &str, window: Option<&str>) -> String {
    token_issue(app.store.as_ref(), kind, CENTRE.into(), window.map(Into::into), None).await.unwrap().1
}

async fn officer(app: &TestApp, login: &str) -> Session {
    app.staff(login, Role::Officer, Some(CENTRE), Some("MIA")).await;
    app.sign_in(login).await
}

/// The prefix letter the ID card's group gets at BAKU-1 in the demo catalogue.
fn identity_prefix() -> char {
    let catalogue = parse_catalogue(DEMO_CATALOGUE).unwrap();
    let centre = catalogue.centre(CENTRE).unwrap();
    let prefixes = onestop_web::queue::prefixes_at(&catalogue, centre).unwrap();
    // Every group served at the centre has its own letter.
    assert_eq!(prefixes.values().collect::<BTreeSet<_>>().len(), prefixes.len());
    prefixes[&catalogue.service(SERVICE).unwrap().group]
}

async fn kiosk_issue(app: &TestApp, kiosk: &str, service: &str) -> reqwest::Response {
    app.client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(kiosk)
        .json(&json!({"service": service, "id_card": FIN}))
        .send()
        .await
        .unwrap()
}

async fn issued(app: &TestApp, kiosk: &str) -> Value {
    let response = kiosk_issue(app, kiosk, SERVICE).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn window_post(
    app: &TestApp,
    who: &Session,
    window: u32,
    action: &str,
    body: Value,
) -> reqwest::Response {
    who.post(app, &format!("/api/v1/windows/{CENTRE}:{window}/{action}")).json(&body).send().await.unwrap()
}

async fn sign_in_window(app: &TestApp, who: &Session, window: u32) -> Value {
    ok(window_post(app, who, window, "sign-in", json!({})).await).await
}

/// A server-sent event stream read as it arrives.
struct Screen {
    response: reqwest::Response,
    buffer: String,
}

/// One server-sent event.
#[derive(Debug, Clone)]
struct Seen {
    id: i64,
    kind: String,
    data: Value,
}

impl Screen {
    async fn open(app: &TestApp, token: &str, query: &str, last_event_id: Option<i64>) -> Screen {
        let mut request =
            app.client().get(app.url(&format!("/api/v1/centres/{CENTRE}/events{query}"))).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Screen { response, buffer: String::new() }
    }

    /// The next event (keep-alive comments skipped); fails the test after 20 s of silence.
    async fn next(&mut self) -> Seen {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let (Some(id), Some(kind)) = (id, kind) {
                    return Seen { id, kind, data: serde_json::from_str(&data).unwrap() };
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("no event within 20 s")
                .unwrap()
                .expect("the stream ended");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event, which must be of `kind`.
    async fn expect(&mut self, kind: &str) -> Seen {
        let seen = self.next().await;
        assert_eq!(seen.kind, kind, "{seen:?}");
        seen
    }
}

async fn eight_windows_calling_at_once_never_share_a_ticket(db: &TestDb) {
    let app = app_with(db, &eight_mia_windows()).await;
    let kiosk = device(&app, "kiosk", None).await;
    let mut officers = Vec::new();
    for window in 1..=8u32 {
        let session = officer(&app, &format!("officer{window}")).await;
        let state = sign_in_window(&app, &session, window).await;
        assert_eq!(state["officer"], format!("officer{window}"));
        officers.push((window, session));
    }
    let mut issued_ids = BTreeSet::new();
    for _ in 0..40 {
        issued_ids.insert(issued(&app, &kiosk).await["id"].as_i64().unwrap());
    }
    assert_eq!(issued_ids.len(), 40);

    let mut called: Vec<(i64, u32)> = Vec::new();
    let shared = &app;
    for _round in 0..20 {
        let calls = officers.iter().map(|(window, session)| async move {
            let body = ok(window_post(shared, session, *window, "call-next", json!({})).await).await;
            (*window, body)
        });
        let answers = join_all(calls).await;
        let mut any = false;
        for (window, body) in answers {
            if body["ticket"].is_null() {
                assert!(body["rule"].is_null());
                continue;
            }
            any = true;
            assert_eq!(body["rule"], "first_come");
            assert_eq!(body["ticket"]["state"], "called");
            assert_eq!(body["ticket"]["window"]["number"], window);
            called.push((body["ticket"]["id"].as_i64().unwrap(), window));
        }
        if !any {
            break;
        }
    }
    let called_ids: BTreeSet<i64> = called.iter().map(|(id, _)| *id).collect();
    assert_eq!(called.len(), 40, "every ticket called once");
    assert_eq!(called_ids, issued_ids, "no ticket twice, none left");

    // The store agrees: each ticket has one call, at the window that was told.
    let day = app.store.day_tickets(&CentreCode::new(CENTRE), jiff::civil::date(2026, 11, 28)).await.unwrap();
    assert_eq!(day.len(), 40);
    for record in &day {
        let calls: Vec<_> = record.ticket.steps.iter().filter(|s| s.action.to_string() == "call").collect();
        assert_eq!(calls.len(), 1);
        let told = called.iter().find(|(id, _)| *id == record.ticket.id.0).unwrap().1;
        assert_eq!(calls[0].window, Some(told));
    }
    assert_eq!(app.audit("ticket.call").await.len(), 40);
    app.stop().await;
}

async fn parallel_issues_get_distinct_numbers_without_gaps(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let answers = join_all((0..50).map(|_| kiosk_issue(&app, &kiosk, SERVICE))).await;
    let mut numbers = BTreeSet::new();
    for response in answers {
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        numbers.insert(body["number"].as_str().unwrap().to_owned());
    }
    let prefix = identity_prefix();
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("{prefix}-{n:03}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(app.audit("ticket.issue").await.len(), 50);
    app.stop().await;
}

async fn a_kiosk_ticket_is_followed_from_the_hall_screen_to_the_statistics(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let hall = device(&app, "display", None).await;
    let mut screen = Screen::open(&app, &hall, "", None).await;

    let response = kiosk_issue(&app, &kiosk, SERVICE).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let ticket: Value = response.json().await.unwrap();
    let id = ticket["id"].as_i64().unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/tickets/{id}"));
    assert_eq!(number, format!("{}-001", identity_prefix()));
    assert_eq!(ticket["state"], "waiting");
    assert_eq!(ticket["service_name"], "Issue and renewal of identity cards");
    assert_eq!(ticket["people_ahead"], 0);
    assert!(ticket["predicted_wait_minutes"].is_null(), "no window is open");
    assert_eq!(
        ticket["windows"],
        json!([{"number": 1, "floor": 1}, {"number": 2, "floor": 1}, {"number": 3, "floor": 1}, {"number": 4, "floor": 1}])
    );
    assert!(ticket["holder"].is_null(), "a kiosk does not read holders");
    assert_eq!(ticket["ticket_url"], format!("http://127.0.0.1:8080/tickets/{id}"));
    assert_eq!(ticket["issued_at"], "2026-11-28T09:00:00Z");

    let seen = screen.expect("issued").await;
    assert_eq!(seen.data["number"], number.as_str());
    assert_eq!(seen.data["service"], SERVICE);
    assert_eq!(seen.data["service_name"], "Issue and renewal of identity cards");
    assert_eq!(seen.data["waiting"], 1);
    assert_eq!(seen.data["id"], seen.id);

    let anna = officer(&app, "anna").await;
    sign_in_window(&app, &anna, 3).await;
    assert_eq!(screen.expect("window_opened").await.data["window"], 3);
    // With window 3 open and free, the ticket waits no more.
    let public = ok(app.get(&format!("/api/v1/tickets/{id}")).await).await;
    assert_eq!(public["predicted_wait_minutes"], 0);
    assert!(public["holder"].is_null(), "the public page shows nobody's name");

    app.advance(SignedDuration::from_mins(4));
    let call = ok(window_post(&app, &anna, 3, "call-next", json!({})).await).await;
    assert_eq!(call["rule"], "first_come");
    assert_eq!(call["ticket"]["id"], id);
    assert_eq!(call["ticket"]["window"], json!({"number": 3, "floor": 1}));
    assert_eq!(call["ticket"]["holder"]["fin_masked"], "*****2K");
    assert_eq!(call["ticket"]["called_at"], "2026-11-28T09:04:00Z");
    let seen = screen.expect("called").await;
    assert_eq!(
        (seen.data["number"].as_str(), &seen.data["window"], &seen.data["floor"]),
        (Some(number.as_str()), &json!(3), &json!(1))
    );
    assert_eq!(seen.data["waiting"], 0);

    // The window display at window 3 reads the holder; the hall display does not.
    let window_display = device(&app, "display", Some("3")).await;
    let at_window: Value = app
        .client()
        .get(app.url(&format!("/api/v1/windows/{CENTRE}:3")))
        .bearer_auth(&window_display)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_window["current"]["holder"]["fin_masked"], "*****2K");
    assert_eq!(at_window["officer"], "anna");
    let from_hall: Value = app
        .client()
        .get(app.url(&format!("/api/v1/windows/{CENTRE}:3")))
        .bearer_auth(&hall)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(from_hall["current"]["holder"].is_null());

    app.advance(SignedDuration::from_mins(1));
    let started = ok(window_post(&app, &anna, 3, "start", json!({"ticket": id})).await).await;
    assert_eq!(started["ticket"]["state"], "serving");
    assert_eq!(screen.expect("started").await.data["ticket"], id);
    app.advance(SignedDuration::from_mins(9));
    let done =
        ok(window_post(&app, &anna, 3, "finish", json!({"ticket": id, "outcome": "served"})).await).await;
    assert_eq!(
        (&done["ticket"]["state"], &done["ticket"]["outcome"]),
        (&json!("finished"), &json!("served"))
    );
    assert!(done["follow_on"].is_null());
    assert_eq!(screen.expect("finished").await.data["number"], number.as_str());

    let stats = ok(app.get(&format!("/api/v1/centres/{CENTRE}/queue")).await).await;
    assert_eq!(stats["centre"], CENTRE);
    assert_eq!(stats["day"], "2026-11-28");
    assert_eq!(stats["open_windows"], 1);
    let id_card = stats["services"].as_array().unwrap().iter().find(|s| s["service"] == SERVICE).unwrap();
    assert_eq!(
        id_card,
        &json!({"service": SERVICE, "name": "Issue and renewal of identity cards", "waiting": 0,
                "served_today": 1, "median_wait_minutes": 4, "predicted_wait_minutes": 0, "open_windows": 1})
    );
    assert!(!stats.to_string().contains(FIN), "no personal data");

    // Compared across centres: BAKU-1 has the open window, so it comes first.
    let compare = ok(app.get(&format!("/api/v1/services/{SERVICE}/queues")).await).await;
    let centres = compare["centres"].as_array().unwrap();
    assert!(centres.len() >= 11);
    assert_eq!(centres[0]["centre"], CENTRE);
    assert_eq!(centres[0]["predicted_wait_minutes"], 0);
    assert!(centres[1..].iter().all(|c| c["predicted_wait_minutes"].is_null() && c["open_windows"] == 0));

    // Every step audited, never with the ID number.
    for action in ["ticket.issue", "window.sign_in", "ticket.call", "ticket.start", "ticket.finish"] {
        let entries = app.audit(action).await;
        assert_eq!(entries.len(), 1, "{action}");
        assert!(!entries[0].event.summary.contains(FIN), "{action}");
    }
    app.stop().await;
}

async fn a_screen_resumes_after_the_last_event_it_saw(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let hall = device(&app, "display", None).await;
    for _ in 0..3 {
        issued(&app, &kiosk).await;
    }
    // Without a resume point, a screen starts at the newest event.
    let mut fresh = Screen::open(&app, &hall, "", None).await;
    let fourth = issued(&app, &kiosk).await;
    let seen = fresh.expect("issued").await;
    assert_eq!(seen.data["ticket"], fourth["id"]);

    let log = app.store.queue_events(&CentreCode::new(CENTRE), 0, 100).await.unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[3].id, seen.id);
    // Reconnecting after the first event replays exactly the ones after it, then goes live.
    let mut header = Screen::open(&app, &hall, "", Some(log[0].id)).await;
    let mut query = Screen::open(&app, &hall, &format!("?after={}", log[1].id), None).await;
    let fifth = issued(&app, &kiosk).await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(header.next().await.id);
    }
    let expected: Vec<i64> = log[1..].iter().map(|e| e.id).collect();
    assert_eq!(&got[..3], &expected[..]);
    let mut from_query = Vec::new();
    for _ in 0..3 {
        from_query.push(query.next().await);
    }
    assert_eq!(from_query.iter().map(|s| s.id).collect::<Vec<_>>()[..2], expected[1..]);
    // The live event after the replay comes once, on every screen, with the same id.
    let last = app.store.last_queue_event(&CentreCode::new(CENTRE)).await.unwrap();
    assert_eq!(got[3], last);
    assert_eq!(from_query[2].id, last);
    assert_eq!(from_query[2].data["ticket"], fifth["id"]);
    assert_eq!(fresh.next().await.id, last, "the first screen saw the fifth too, once");

    // A bad resume point is refused.
    let response = app
        .client()
        .get(app.url(&format!("/api/v1/centres/{CENTRE}/events?after=yesterday")))
        .bearer_auth(&hall)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response, 400).await["field"], "after");
    app.stop().await;
}

/// What a refusal must leave as it was.
async fn footprint(app: &TestApp) -> (usize, i64, usize) {
    let day = app.store.day_tickets(&CentreCode::new(CENTRE), jiff::civil::date(2026, 11, 28)).await.unwrap();
    let steps = day.iter().map(|r| r.ticket.steps.len()).sum::<usize>();
    let last = app.store.last_queue_event(&CentreCode::new(CENTRE)).await.unwrap();
    (day.len() * 1000 + steps, last, app.audit("ticket.issue").await.len())
}

/// A TD1 machine-readable zone with every check digit computed.
fn mrz(break_document_digit: bool) -> String {
    fn digit(field: &str) -> char {
        let weights = [7u32, 3, 1];
        let sum: u32 = field
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let v = match c {
                    '<' => 0,
                    '0'..='9' => c.to_digit(10).unwrap(),
                    _ => c as u32 - 'A' as u32 + 10,
                };
                v * weights[i % 3]
            })
            .sum();
        char::from_digit(sum % 10, 10).unwrap()
    }
    let pad = |s: &str, n: usize| format!("{s:<<n$}");
    let number = "AA1234567";
    let mut check = digit(number);
    if break_document_digit {
        check = char::from_digit((check.to_digit(10).unwrap() + 1) % 10, 10).unwrap();
    }
    let l1 = format!("IDAZE{number}{check}{}", pad(FIN, 15));
    let birth = format!("900215{}", digit("900215"));
    let expiry = format!("340101{}", digit("340101"));
    let opt2 = pad("", 11);
    let composite = digit(&format!("{}{birth}{expiry}{opt2}", &l1[5..30]));
    let l2 = format!("{birth}M{expiry}AZE{opt2}{composite}");
    format!("{l1}\n{l2}\n{}", pad("MAMMADOV<<ALI<VUGAR", 30))
}

async fn refusals_name_the_cause_and_change_nothing(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    app.staff("desk", Role::InfoDesk, Some(CENTRE), None).await;
    let desk = app.sign_in("desk").await;
    let desk_issue =
        |body: Value| desk.post(&app, &format!("/api/v1/centres/{CENTRE}/tickets")).json(&body).send();

    // The info desk reads a swiped card and ticks every document: the holder is named.
    let every: Vec<usize> = (0..6).collect();
    let response = desk_issue(
        json!({"service": SERVICE, "id_card": mrz(false), "documents": every, "priority": "pregnant"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["holder"], json!({"name": "ALI VUGAR MAMMADOV", "fin_masked": "*****2K"}));
    let before = footprint(&app).await;

    // A required document not ticked.
    let body = problem(
        desk_issue(json!({"service": SERVICE, "id_card": FIN, "documents": [0, 1, 2, 4, 5]})).await.unwrap(),
        422,
    )
    .await;
    assert_eq!(body["field"], "documents");
    assert!(body["detail"].as_str().unwrap().contains("3 (Health certificate"), "{body}");
    // A service the centre does not offer, at the desk and at a kiosk.
    let body = problem(
        desk_issue(json!({"service": "MIA-NOPE", "id_card": FIN, "documents": []})).await.unwrap(),
        422,
    )
    .await;
    assert_eq!(body["field"], "service");
    let sumgayit = app
        .client()
        .post(app.url("/api/v1/centres/SUMGAYIT/tickets"))
        .bearer_auth(&kiosk)
        .json(&json!({"service": SERVICE, "id_card": FIN}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(sumgayit, 403).await["detail"], "this belongs to another centre");
    let unknown_centre = kiosk_issue_at(&app, &kiosk, "NOWHERE").await;
    assert_eq!(problem(unknown_centre, 404).await["detail"], "there is no centre NOWHERE");
    let body = problem(kiosk_issue(&app, &kiosk, "ITICKET-TICKETS-X").await, 422).await;
    assert_eq!(body["detail"], "service ITICKET-TICKETS-X is not offered at centre BAKU-1");
    // A check digit that does not match names the field.
    let body = problem(
        desk_issue(json!({"service": SERVICE, "id_card": mrz(true), "documents": every})).await.unwrap(),
        422,
    )
    .await;
    assert_eq!(body["field"], "id_card");
    assert!(
        body["detail"].as_str().unwrap().contains("the check digit of the document number does not match"),
        "{body}"
    );
    let body = problem(kiosk_issue_card(&app, &kiosk, "12#").await, 422).await;
    assert_eq!(body["field"], "id_card");
    // The centre closed: Saturday's hours end at 17:00 in Baku (13:00 UTC).
    app.advance(SignedDuration::from_hours(5));
    let body = problem(kiosk_issue(&app, &kiosk, SERVICE).await, 409).await;
    assert_eq!(body["detail"], "centre BAKU-1 is closed now: today it is open from 10:00 to 17:00");
    app.advance(SignedDuration::from_hours(-5));
    assert_eq!(footprint(&app).await, before);

    // Windows: an officer serves only their provider's windows, and only the one they hold.
    let anna = officer(&app, "anna").await;
    let boris = officer(&app, "boris").await;
    let body = problem(window_post(&app, &anna, 7, "sign-in", json!({})).await, 403).await;
    assert_eq!(body["detail"], "this belongs to another provider");
    sign_in_window(&app, &anna, 1).await;
    let body = problem(window_post(&app, &boris, 1, "sign-in", json!({})).await, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("window"), "{body}");
    let body = problem(window_post(&app, &boris, 2, "call-next", json!({})).await, 409).await;
    assert_eq!(body["detail"], "you are not signed in to window BAKU-1:2: sign in to it first");
    sign_in_window(&app, &boris, 2).await;
    let call = ok(window_post(&app, &anna, 1, "call-next", json!({})).await).await;
    assert_eq!(call["rule"], "priority");
    let ticket = call["ticket"]["id"].as_i64().unwrap();
    let before = footprint(&app).await;
    let audits = app.audit("ticket.finish").await.len();
    // Boris cannot finish, start or park Anna's ticket.
    let body = problem(
        window_post(&app, &boris, 2, "finish", json!({"ticket": ticket, "outcome": "served"})).await,
        409,
    )
    .await;
    assert_eq!(body["detail"], format!("ticket {} is not at window 2", first["number"].as_str().unwrap()));
    problem(window_post(&app, &boris, 2, "start", json!({"ticket": ticket})).await, 409).await;
    // A step the ticket's state forbids, with the rule's words.
    let body = problem(
        window_post(&app, &anna, 1, "finish", json!({"ticket": ticket, "outcome": "served"})).await,
        409,
    )
    .await;
    assert_eq!(body["detail"], "cannot finish a ticket that is called");
    // Not served needs a reason; an unknown ticket is not found.
    let body = problem(
        window_post(&app, &anna, 1, "finish", json!({"ticket": ticket, "outcome": "not_served"})).await,
        422,
    )
    .await;
    assert_eq!(body["field"], "reason");
    problem(window_post(&app, &anna, 1, "start", json!({"ticket": 999_999})).await, 404).await;
    assert_eq!(footprint(&app).await, before);
    assert_eq!(app.audit("ticket.finish").await.len(), audits);
    let ticket_now = ok(app.get(&format!("/api/v1/tickets/{ticket}")).await).await;
    assert_eq!((&ticket_now["state"], &ticket_now["window"]["number"]), (&json!("called"), &json!(1)));
    app.stop().await;
}

async fn kiosk_issue_at(app: &TestApp, kiosk: &str, centre: &str) -> reqwest::Response {
    app.client()
        .post(app.url(&format!("/api/v1/centres/{centre}/tickets")))
        .bearer_auth(kiosk)
        .json(&json!({"service": SERVICE, "id_card": FIN}))
        .send()
        .await
        .unwrap()
}

async fn kiosk_issue_card(app: &TestApp, kiosk: &str, card: &str) -> reqwest::Response {
    app.client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(kiosk)
        .json(&json!({"service": SERVICE, "id_card": card}))
        .send()
        .await
        .unwrap()
}

async fn a_parked_ticket_returns_to_its_window_and_a_transfer_keeps_the_number(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let anna = officer(&app, "anna").await;
    let boris = officer(&app, "boris").await;
    sign_in_window(&app, &anna, 1).await;
    sign_in_window(&app, &boris, 2).await;
    let first = issued(&app, &kiosk).await;
    let second = issued(&app, &kiosk).await;
    let id = first["id"].as_i64().unwrap();

    ok(window_post(&app, &anna, 1, "call-next", json!({})).await).await;
    ok(window_post(&app, &anna, 1, "start", json!({"ticket": id})).await).await;
    let parked =
        ok(window_post(&app, &anna, 1, "park", json!({"ticket": id, "reason": "payment"})).await).await;
    assert_eq!(parked["ticket"]["state"], "parked");
    let window = ok(anna.get(&app, &format!("/api/v1/windows/{CENTRE}:1")).send().await.unwrap()).await;
    assert_eq!(window["parked"][0]["id"], id);
    assert!(window["current"].is_null());

    // Paid at the bank section: the teller returns it; window 2 cannot take it, window 1 calls it first.
    app.staff("teller", Role::BankTeller, Some(CENTRE), None).await;
    let teller = app.sign_in("teller").await;
    let back = ok(teller.post(&app, &format!("/api/v1/tickets/{id}/return")).send().await.unwrap()).await;
    assert_eq!(back["ticket"]["state"], "waiting");
    let other = ok(window_post(&app, &boris, 2, "call-next", json!({})).await).await;
    assert_eq!(other["ticket"]["id"], second["id"]);
    let again = ok(window_post(&app, &anna, 1, "call-next", json!({})).await).await;
    assert_eq!((&again["ticket"]["id"], &again["rule"]), (&json!(id), &json!("returning")));

    // Transferred to the passport service: a follow-on ticket with the same number waits there.
    let moved =
        ok(window_post(&app, &anna, 1, "transfer", json!({"ticket": id, "service": "MIA-PASSPORT"})).await)
            .await;
    assert_eq!(moved["ticket"]["outcome"], "transferred");
    let follow = &moved["follow_on"];
    assert_eq!(
        (&follow["state"], &follow["service"], &follow["number"]),
        (&json!("waiting"), &json!("MIA-PASSPORT"), &first["number"])
    );
    let body =
        problem(window_post(&app, &anna, 1, "transfer", json!({"ticket": id, "window": 40})).await, 422)
            .await;
    assert_eq!(body["field"], "window");
    for action in ["ticket.park", "ticket.return", "ticket.transfer"] {
        assert_eq!(app.audit(action).await.len(), 1, "{action}");
    }
    app.stop().await;
}

async fn the_day_closes_and_the_counts_reconcile(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let anna = officer(&app, "anna").await;
    sign_in_window(&app, &anna, 1).await;
    let served = issued(&app, &kiosk).await["id"].as_i64().unwrap();
    issued(&app, &kiosk).await;
    issued(&app, &kiosk).await;
    ok(window_post(&app, &anna, 1, "call-next", json!({})).await).await;
    ok(window_post(&app, &anna, 1, "start", json!({"ticket": served})).await).await;
    ok(window_post(&app, &anna, 1, "finish", json!({"ticket": served, "outcome": "served"})).await).await;
    ok(window_post(&app, &anna, 1, "call-next", json!({})).await).await;

    // An officer may not close the day; the centre's manager may.
    let body =
        problem(anna.post(&app, &format!("/api/v1/centres/{CENTRE}/close-day")).send().await.unwrap(), 403)
            .await;
    assert_eq!(body["detail"], "your role may not do this");
    app.staff("boss", Role::CentreManager, Some(CENTRE), None).await;
    let boss = app.sign_in("boss").await;
    let closed =
        ok(boss.post(&app, &format!("/api/v1/centres/{CENTRE}/close-day")).send().await.unwrap()).await;
    assert_eq!(
        closed,
        json!({"day": "2026-11-28", "issued": 3, "closed_now": 2,
               "by_outcome": {"served": 1, "not_served": 0, "no_show": 0, "transferred": 0, "centre_closed": 2}})
    );
    let total: u64 = closed["by_outcome"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 3);
    let stats = ok(app.get(&format!("/api/v1/centres/{CENTRE}/queue")).await).await;
    let id_card = stats["services"].as_array().unwrap().iter().find(|s| s["service"] == SERVICE).unwrap();
    assert_eq!((&id_card["waiting"], &id_card["served_today"]), (&json!(0), &json!(1)));
    assert_eq!(app.audit("queue.close_day").await.len(), 1);
    // A manager of another centre may not close this one.
    app.staff("other", Role::CentreManager, Some("GANJA"), None).await;
    let other = app.sign_in("other").await;
    let body =
        problem(other.post(&app, &format!("/api/v1/centres/{CENTRE}/close-day")).send().await.unwrap(), 403)
            .await;
    assert_eq!(body["detail"], "this belongs to another centre");
    app.stop().await;
}

/// A kiosk that retries with the same `Idempotency-Key` — even racing itself — gets the first ticket
/// again, not a second one; the key cannot be reused for another request; without a key each
/// request is a new ticket.
async fn a_retried_issue_with_its_idempotency_key_gets_the_same_ticket(db: &TestDb) {
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let send = |key: &'static str, service: &'static str| {
        app.client()
            .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
            .bearer_auth(&kiosk)
            .header("idempotency-key", key)
            .json(&json!({"service": service, "id_card": FIN}))
            .send()
    };
    let first = send("kiosk-7-0001", SERVICE).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    // Three retries at once: all replay the first answer.
    for retry in join_all((0..3).map(|_| send("kiosk-7-0001", SERVICE))).await {
        let retry = retry.unwrap();
        assert_eq!(retry.status(), 201);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        assert_eq!(retry.headers()["location"].to_str().unwrap(), location);
        let body: Value = retry.json().await.unwrap();
        assert_eq!((&body["id"], &body["number"]), (&first["id"], &first["number"]));
    }
    assert_eq!(app.audit("ticket.issue").await.len(), 1, "one ticket, however often it was asked for");

    // The same key for another request is refused; a malformed key too; nothing is issued.
    let other = send("kiosk-7-0001", "MIA-PASSPORT").await.unwrap();
    let body = problem(other, 422).await;
    assert_eq!(body["detail"], "this Idempotency-Key was already used for a different request");
    let bad = app
        .client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(&kiosk)
        .header("idempotency-key", "")
        .json(&json!({"service": SERVICE, "id_card": FIN}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(bad, 400).await["detail"], "the Idempotency-Key is empty");
    assert_eq!(app.audit("ticket.issue").await.len(), 1);

    // A refused request releases its key: fixed and retried with the same key, it issues.
    let closed_service = send("kiosk-7-0002", "NO-SUCH-SERVICE").await.unwrap();
    problem(closed_service, 422).await;
    let again = app
        .client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(&kiosk)
        .header("idempotency-key", "kiosk-7-0002")
        .json(&json!({"service": SERVICE, "id_card": FIN}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    // Without a key, each request is a ticket of its own.
    assert_eq!(kiosk_issue(&app, &kiosk, SERVICE).await.status(), 201);
    assert_eq!(app.audit("ticket.issue").await.len(), 3);
    app.stop().await;
}

/// The published wait counts each person ahead by the chance that they are still there, from the
/// no-shows among the service's recent calls as the store keeps them
/// (`onestop_domain::queue::predict`).
async fn no_shows_in_the_history_shorten_the_predicted_wait(db: &TestDb) {
    use onestop_domain::queue::predict::{
        Ahead, CallEnd, DEFAULT_MIN_SAMPLES, RecentCall, ServiceModel, WaitContext, predict_wait,
    };
    use onestop_domain::queue::stats::minutes_up;
    let mins = SignedDuration::from_mins;
    let app = app_with(db, DEMO_CATALOGUE).await;
    let kiosk = device(&app, "kiosk", None).await;
    let anna = officer(&app, "anna").await;
    sign_in_window(&app, &anna, 3).await;
    // Fifteen calls, each after a 4-minute wait: ten served for 4 minutes, five no-shows marked
    // after a minute.
    let mut history = Vec::new();
    for k in 0..15 {
        let id = issued(&app, &kiosk).await["id"].as_i64().unwrap();
        app.advance(mins(4));
        ok(window_post(&app, &anna, 3, "call-next", json!({})).await).await;
        if k % 3 == 2 {
            app.advance(mins(1));
            ok(window_post(&app, &anna, 3, "no-show", json!({"ticket": id})).await).await;
            history.push(RecentCall { waited: Some(mins(4)), end: CallEnd::NoShow(mins(1)) });
        } else {
            ok(window_post(&app, &anna, 3, "start", json!({"ticket": id})).await).await;
            app.advance(mins(4));
            ok(window_post(&app, &anna, 3, "finish", json!({"ticket": id, "outcome": "served"})).await).await;
            history.push(RecentCall { waited: Some(mins(4)), end: CallEnd::Served(mins(4)) });
        }
    }
    let model = ServiceModel::from_history(&history, 15, DEFAULT_MIN_SAMPLES);
    // Five left over 10 · 4 + 5 · 2 minutes at risk: a mean patience of 10 minutes.
    assert_eq!(model.mean, mins(4));
    assert!((model.give_ups.rate - 1.0 / 600.0).abs() < 1e-12, "{model:?}");

    // One being served at window 3; then two waiting, issued 5 minutes apart.
    let serving = issued(&app, &kiosk).await["id"].as_i64().unwrap();
    ok(window_post(&app, &anna, 3, "call-next", json!({})).await).await;
    ok(window_post(&app, &anna, 3, "start", json!({"ticket": serving})).await).await;
    issued(&app, &kiosk).await;
    app.advance(mins(5));
    let second = issued(&app, &kiosk).await["id"].as_i64().unwrap();
    app.advance(mins(5));
    let now = "2026-11-28T09:00:00Z".parse::<jiff::Timestamp>().unwrap() + mins(15 * 4 + 10 * 4 + 5 + 10);
    let context = WaitContext { busy_windows: 1, appointments: &[], grace: mins(10), now };
    let expect = |ahead: &[Ahead]| minutes_up(predict_wait(ahead, 1, &model, &context).wait.unwrap());

    // The second has the first ahead, waiting 10 minutes so far: called after 4 more, there with
    // chance exp(−14/10) = 0.25, so 4 + 0.25 · 4 + 0.75 · 1 minutes, not two full services.
    let ticket = ok(app.get(&format!("/api/v1/tickets/{second}")).await).await;
    assert_eq!(ticket["people_ahead"], 1);
    let minutes = expect(&[Ahead::waiting(mins(10))]);
    assert_eq!(ticket["predicted_wait_minutes"], minutes);
    assert_eq!(minutes, 6);
    // A newcomer has both ahead.
    let stats = ok(app.get(&format!("/api/v1/centres/{CENTRE}/queue")).await).await;
    let id_card = stats["services"].as_array().unwrap().iter().find(|s| s["service"] == SERVICE).unwrap();
    let minutes = expect(&[Ahead::waiting(mins(10)), Ahead::waiting(mins(5))]);
    assert_eq!(id_card["predicted_wait_minutes"], minutes);
    assert!(minutes < 12, "three full services would be 12 minutes: {minutes}");
    let compare = ok(app.get(&format!("/api/v1/services/{SERVICE}/queues")).await).await;
    assert_eq!(compare["centres"][0]["predicted_wait_minutes"], minutes);
    app.stop().await;
}
