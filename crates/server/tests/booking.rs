//! Online appointments over real HTTP on both databases: racing clients never overbook the last
//! places nor lose a booking, refusals change nothing, and a booking goes from the code in the
//! outbox through its calendar file (parsed by Python's `icalendar`) to a check-in ticket, a
//! reschedule, a cancellation with delayed release, a reminder and the no-show cool-down.

#![allow(clippy::unwrap_used)]

mod support;

use futures_util::future::join_all;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::booking::pow::{Challenge, solve};
use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{TestApp, problem};

on_both_databases!(
    racing_clients_take_exactly_the_free_places,
    one_person_racing_for_two_slots_gets_one,
    refusals_are_clear_and_hold_nothing,
    a_booking_goes_from_code_to_ticket,
    cancelled_places_return_after_the_delay_and_no_shows_cool_down,
    the_pages_book_confirm_and_cancel,
    a_begun_slot_is_neither_offered_nor_booked,
);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";
/// Monday 30 November 2026, 10:00 in Baku: the first slot of a bookable day (the test clock
/// starts on Saturday 28 November).
const FIRST_SLOT: &str = "2026-11-30T06:00:00Z";

/// The demo catalogue, where BAKU-1's windows 5 to 8 serve only ID cards: with windows 1–4 (ID
/// cards and passports) that is six places per ID-card slot.
fn six_places() -> String {
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

fn settings() -> onestop_web::booking::Settings {
    let mut s = onestop_web::booking::Settings::default();
    s.rules.share_website = 100;
    s.rules.share_call_centre = 0;
    s.rules.share_info_desk = 0;
    s.pow_difficulty = 6;
    s.per_ip_per_minute = 100_000;
    s.per_id_per_hour = 1_000;
    s
}

async fn app(db: &TestDb) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn_with(db, settings()).await;
    catalogue_import(app.store.as_ref(), &six_places(), "asan-demo.yaml").await.unwrap();
    app
}

fn fin(i: usize) -> String {
    format!("{:07}", i + 1_000_000).chars().rev().collect::<String>().replacen('0', "A", 1)
}

fn email(i: usize) -> String {
    format!("person{i}@example.az")
}

/// A booking request for person `i` at `starts_at`, with a solved challenge.
async fn request(app: &TestApp, i: usize, starts_at: &str) -> Value {
    let c: Value = app.get("/api/v1/appointments/challenge").await.json().await.unwrap();
    let challenge = Challenge {
        text: c["challenge"].as_str().unwrap().to_owned(),
        difficulty: u8::try_from(c["difficulty"].as_u64().unwrap()).unwrap(),
    };
    let nonce = solve(&challenge);
    json!({
        "centre": CENTRE, "service": SERVICE, "starts_at": starts_at,
        "national_id": fin(i), "name": format!("Person {i}"), "email": email(i),
        "pow_challenge": challenge.text, "pow_nonce": nonce,
    })
}

async fn post_hold(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client().post(app.url("/api/v1/appointments")).json(body).send().await.unwrap()
}

/// The six-digit code in the newest message to `to`.
async fn code_for(app: &TestApp, to: &str) -> String {
    let messages = app.store.outbox_messages(Some(to), 10).await.unwrap();
    let message = messages.iter().find(|m| m.message.topic == "booking.code").unwrap();
    message.message.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
}

async fn confirm(app: &TestApp, reference: &str, code: &str) -> reqwest::Response {
    app.client()
        .post(app.url(&format!("/api/v1/appointments/{reference}/confirm")))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap()
}

async fn slots(app: &TestApp, date: &str) -> Value {
    let response = app.get(&format!("/api/v1/centres/{CENTRE}/slots?service={SERVICE}&date={date}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn free_at(slots: &Value, starts_at: &str) -> u64 {
    slots["slots"].as_array().unwrap().iter().find(|s| s["starts_at"] == starts_at).unwrap()["free"]
        .as_u64()
        .unwrap()
}

/// Counts appointments of the slot in each state, straight from the database's answers.
async fn booked(app: &TestApp, references: &[String]) -> Vec<String> {
    let mut states = Vec::new();
    for r in references {
        states.push(app.store.appointment(r).await.unwrap().unwrap().state.as_str().to_owned());
    }
    states
}

async fn racing_clients_take_exactly_the_free_places(db: &TestDb) {
    let app = app(db).await;
    let day = slots(&app, "2026-11-30").await;
    assert_eq!(day["slots"].as_array().unwrap().len(), 600 / 15);
    assert_eq!(free_at(&day, FIRST_SLOT), 6);
    // The last places of the day: the two last slots, 12 places; 60 clients race for them.
    let all: Vec<String> = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    let last_two = [all[all.len() - 2].clone(), all[all.len() - 1].clone()];
    let mut bodies = Vec::new();
    for i in 0..60 {
        bodies.push(request(&app, i, &last_two[i % 2]).await);
    }
    let responses = join_all(bodies.iter().map(|b| post_hold(&app, b))).await;
    let mut held = Vec::new();
    let mut full = 0;
    for (i, response) in responses.into_iter().enumerate() {
        match response.status().as_u16() {
            201 => {
                let v: Value = response.json().await.unwrap();
                assert_eq!(v["state"], "held");
                assert_eq!(v["starts_at"], last_two[i % 2]);
                held.push((i, v["reference"].as_str().unwrap().to_owned()));
            }
            409 => {
                let body = problem(response, 409).await;
                assert!(body["detail"].as_str().unwrap().contains("the slot is full"), "{body}");
                // The next free slots come after the one asked for.
                let next = body["next_free_slots"].as_array().unwrap();
                assert_eq!(next.len(), 5);
                assert!(next.iter().all(|s| s.as_str().unwrap() > last_two[i % 2].as_str()), "{body}");
                full += 1;
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!(held.len(), 12, "every free place is taken, none twice");
    assert_eq!(full, 48);
    // Each of the two slots got exactly its six.
    for slot in &last_two {
        assert_eq!(held.iter().filter(|(i, _)| last_two[i % 2] == *slot).count(), 6);
    }
    // Every winner confirms at once, concurrently: no booking is lost.
    let mut confirms = Vec::new();
    for (i, reference) in &held {
        confirms.push((reference.clone(), code_for(&app, &email(*i)).await));
    }
    let answers = join_all(confirms.iter().map(|(r, c)| confirm(&app, r, c))).await;
    for a in answers {
        assert_eq!(a.status(), 200);
        let v: Value = a.json().await.unwrap();
        assert_eq!(v["state"], "confirmed");
    }
    let references: Vec<String> = held.iter().map(|(_, r)| r.clone()).collect();
    assert!(booked(&app, &references).await.iter().all(|s| s == "confirmed"));
    assert_eq!(references.iter().collect::<BTreeSet<_>>().len(), 12);
    let day = slots(&app, "2026-11-30").await;
    assert_eq!(free_at(&day, &last_two[0]), 0);
    assert_eq!(free_at(&day, &last_two[1]), 0);
    // The audit trail holds one hold and one confirmation per booking.
    assert_eq!(app.audit("appointment.hold").await.len(), 12);
    assert_eq!(app.audit("appointment.confirm").await.len(), 12);
    app.stop().await;
}

async fn one_person_racing_for_two_slots_gets_one(db: &TestDb) {
    let app = app(db).await;
    let day = slots(&app, "2026-11-30").await;
    let all: Vec<String> = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    let mut bodies = Vec::new();
    for slot in all.iter().take(10) {
        bodies.push(request(&app, 7, slot).await);
    }
    let responses = join_all(bodies.iter().map(|b| post_hold(&app, b))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    for response in responses.into_iter().filter(|r| r.status() == 409) {
        let body = problem(response, 409).await;
        assert_eq!(body["detail"], "this national ID already has an active booking for this service");
    }
    assert_eq!(app.store.outbox_messages(Some(&email(7)), 50).await.unwrap().len(), 1);
    app.stop().await;
}

async fn refusals_are_clear_and_hold_nothing(db: &TestDb) {
    let app = app(db).await;
    let outbox = |app: &TestApp| {
        let store = app.store.clone();
        async move { store.outbox_messages(None, 1000).await.unwrap().len() }
    };
    // A date outside the window: today, and eight days ahead.
    for starts_at in ["2026-11-28T10:00:00Z", "2026-12-06T06:00:00Z"] {
        let body = problem(post_hold(&app, &request(&app, 1, starts_at).await).await, 422).await;
        assert_eq!(body["field"], "starts_at");
        assert_eq!(body["detail"], "appointments can be booked from 2026-11-29 through 2026-12-05");
    }
    let body = problem(
        app.get(&format!("/api/v1/centres/{CENTRE}/slots?service={SERVICE}&date=2026-12-06")).await,
        422,
    )
    .await;
    assert_eq!(body["field"], "date");
    // No slot at that minute.
    let body = problem(post_hold(&app, &request(&app, 1, "2026-11-30T06:07:00Z").await).await, 422).await;
    assert_eq!(body["field"], "starts_at");
    // An invalid national ID; no contact; a bad email.
    let mut r = request(&app, 1, FIRST_SLOT).await;
    r["national_id"] = json!("12");
    let body = problem(post_hold(&app, &r).await, 422).await;
    assert_eq!(body["field"], "national_id");
    let mut r = request(&app, 1, FIRST_SLOT).await;
    r["email"] = json!(null);
    assert_eq!(problem(post_hold(&app, &r).await, 422).await["field"], "email");
    let mut r = request(&app, 1, FIRST_SLOT).await;
    r["email"] = json!("not-an-address");
    assert_eq!(problem(post_hold(&app, &r).await, 422).await["field"], "email");
    // No proof of work, an unsolved one, and one spent twice.
    let mut r = request(&app, 1, FIRST_SLOT).await;
    r["pow_nonce"] = json!(null);
    assert_eq!(problem(post_hold(&app, &r).await, 422).await["field"], "pow_nonce");
    let mut r = request(&app, 1, FIRST_SLOT).await;
    let text = r["pow_challenge"].as_str().unwrap().to_owned();
    let wrong = (0..)
        .map(|n: u64| n.to_string())
        .find(|n| onestop_domain::booking::pow::zero_bits(&text, n) < 6)
        .unwrap();
    r["pow_nonce"] = json!(wrong);
    let body = problem(post_hold(&app, &r).await, 422).await;
    assert_eq!(body["detail"], "the proof of work does not solve the challenge");
    // A staff channel without the permission.
    let mut r = request(&app, 1, FIRST_SLOT).await;
    r["channel"] = json!("call_centre");
    assert_eq!(problem(post_hold(&app, &r).await, 401).await["detail"], "sign in first");
    assert_eq!(outbox(&app).await, 0, "nothing was held, no code was sent");
    assert!(app.audit("appointment.hold").await.is_empty());

    // A good hold; the same challenge again is refused.
    let r = request(&app, 1, FIRST_SLOT).await;
    let held: Value = post_hold(&app, &r).await.json().await.unwrap();
    let reference = held["reference"].as_str().unwrap().to_owned();
    let mut again = r.clone();
    again["national_id"] = json!(fin(2));
    again["email"] = json!(email(2));
    let body = problem(post_hold(&app, &again).await, 422).await;
    assert_eq!(body["detail"], "this proof-of-work challenge was used already: fetch a new one");
    // A second booking for the same service, at another time.
    let body = problem(post_hold(&app, &request(&app, 1, "2026-12-01T06:00:00Z").await).await, 409).await;
    assert_eq!(body["detail"], "this national ID already has an active booking for this service");
    // A full slot: five more take it, the seventh is told the next free slots.
    for i in 10..15 {
        assert_eq!(post_hold(&app, &request(&app, i, FIRST_SLOT).await).await.status(), 201);
    }
    let body = problem(post_hold(&app, &request(&app, 20, FIRST_SLOT).await).await, 409).await;
    let next: Vec<&str> =
        body["next_free_slots"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(
        next,
        [
            "2026-11-30T06:15:00Z",
            "2026-11-30T06:30:00Z",
            "2026-11-30T06:45:00Z",
            "2026-11-30T07:00:00Z",
            "2026-11-30T07:15:00Z"
        ]
    );
    assert_eq!(outbox(&app).await, 6);

    // Wrong codes count down, then the hold is dropped; an unknown reference is 404.
    let code = code_for(&app, &email(1)).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let body = problem(confirm(&app, &reference, wrong).await, 422).await;
    assert_eq!(body["detail"], "the code is wrong (4 tries left)");
    assert_eq!(problem(confirm(&app, &reference, "12ab").await, 422).await["field"], "code");
    assert_eq!(problem(confirm(&app, "AP-2222-2222", &code).await, 404).await["status"], 404);
    // An expired hold: the code comes too late.
    let late = request(&app, 30, "2026-11-30T06:15:00Z").await;
    let late: Value = post_hold(&app, &late).await.json().await.unwrap();
    app.advance(SignedDuration::from_mins(11));
    let late_code = code_for(&app, &email(30)).await;
    let body = problem(confirm(&app, late["reference"].as_str().unwrap(), &late_code).await, 410).await;
    assert_eq!(body["detail"], "the hold has expired before the code came: book again");
    let view: Value = app
        .get(&format!("/api/v1/appointments/{}", late["reference"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "expired");
    // The expired holds released their places: the first slot has its six again but for none.
    let day = slots(&app, "2026-11-30").await;
    assert_eq!(free_at(&day, FIRST_SLOT), 6);
    assert_eq!(app.audit("appointment.confirm").await.len(), 0);
    app.stop().await;
}

async fn a_booking_goes_from_code_to_ticket(db: &TestDb) {
    let app = app(db).await;
    let held = post_hold(&app, &request(&app, 3, FIRST_SLOT).await).await;
    assert_eq!(held.status(), 201);
    let location = held.headers()["location"].to_str().unwrap().to_owned();
    let held: Value = held.json().await.unwrap();
    let reference = held["reference"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/appointments/{reference}"));
    assert_eq!(held["code_sent_to"], "…e.az");
    // The code went to the outbox in the hold's transaction, in the person's language.
    let message = &app.store.outbox_messages(Some(&email(3)), 10).await.unwrap()[0];
    assert!(message.message.subject.starts_with("Your booking code: "), "{:?}", message.message);
    assert!(message.message.body.contains(&reference));
    let code = code_for(&app, &email(3)).await;
    let done: Value = confirm(&app, &reference, &code).await.json().await.unwrap();
    assert_eq!(done["state"], "confirmed");
    assert_eq!(done["local_time"], "30 Nov 2026, 10:00");
    // Confirming again is a conflict; the confirmation message is queued.
    assert_eq!(
        problem(confirm(&app, &reference, &code).await, 409).await["detail"],
        "the appointment is confirmed"
    );
    let topics: Vec<String> = app
        .store
        .outbox_messages(Some(&email(3)), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message.topic)
        .collect();
    assert_eq!(topics, ["booking.confirmed", "booking.code"]);

    // The calendar file, parsed by Python's icalendar.
    let ics = app.get(&format!("/api/v1/appointments/{reference}/calendar.ics")).await;
    assert_eq!(ics.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = ics.text().await.unwrap();
    let parsed = python_icalendar(&ics);
    if let Some(parsed) = parsed {
        assert_eq!(parsed["uid"], format!("{reference}@onestop"));
        assert_eq!(parsed["start"], "2026-11-30T06:00:00+00:00");
        assert_eq!(parsed["end"], "2026-11-30T06:15:00+00:00");
        assert!(parsed["summary"].as_str().unwrap().contains("Baku ASAN Service Centre No. 1"), "{parsed}");
        assert!(parsed["description"].as_str().unwrap().contains(&reference));
    }
    // The QR code.
    let qr = app.get(&format!("/api/v1/appointments/{reference}/qr.svg")).await;
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));

    // Check-in at the kiosk: too early, then within the window: a ticket of origin appointment.
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let check_in = || {
        app.client()
            .post(app.url(&format!("/api/v1/appointments/{reference}/check-in")))
            .bearer_auth(&kiosk)
            .send()
    };
    let start: Timestamp = FIRST_SLOT.parse().unwrap();
    app.advance(start.duration_since(app.now()) - SignedDuration::from_mins(11));
    let body = problem(check_in().await.unwrap(), 409).await;
    assert_eq!(body["detail"], "check-in opens at 2026-11-30T05:50:00Z");
    app.advance(SignedDuration::from_mins(2));
    let response = check_in().await.unwrap();
    assert_eq!(response.status(), 201);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["appointment"]["state"], "checked_in");
    assert_eq!(done["ticket"]["service"], SERVICE);
    assert_eq!(done["ticket"]["state"], "waiting");
    let ticket = app
        .store
        .ticket(onestop_domain::queue::ticket::TicketId(done["ticket"]["id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.ticket.origin, onestop_domain::queue::ticket::Origin::Appointment { at: start });
    assert_eq!(ticket.holder.unwrap().fin.reveal(), fin(3));
    // A second check-in is refused; the appointment names its ticket.
    assert_eq!(problem(check_in().await.unwrap(), 409).await["detail"], "the appointment is checked_in");
    let view: Value = app.get(&format!("/api/v1/appointments/{reference}")).await.json().await.unwrap();
    assert_eq!(view["ticket"], done["ticket"]["id"]);
    // An officer at a window calls it (appointments first at their time).
    app.staff("officer", Role::Officer, Some(CENTRE), Some("MIA")).await;
    let officer = app.sign_in("officer").await;
    assert_eq!(
        officer
            .post(&app, &format!("/api/v1/windows/{CENTRE}:1/sign-in"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let called: Value = officer
        .post(&app, &format!("/api/v1/windows/{CENTRE}:1/call-next"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(called["ticket"]["id"], done["ticket"]["id"]);
    assert_eq!(called["rule"], "appointment");

    // A survey is published to be sent as a link after service: finishing the booked ticket
    // invites its holder, in the same transaction, at the address the booking gave.
    let survey = onestop_store::surveys::NewSurvey {
        code: "visit".into(),
        title: "Your visit".into(),
        questions: vec![onestop_domain::feedback::survey::Question::Text { prompt: "Anything else?".into() }],
        channels: vec![onestop_domain::feedback::survey::SurveyChannel::Link],
    };
    let event = |what: &str| onestop_domain::audit::AuditEvent::new(app.now(), "cli:test", what, "test");
    app.store.create_survey(survey, app.now(), event("survey.create")).await.unwrap();
    app.store.publish_survey("visit", app.now(), event("survey.publish")).await.unwrap();
    let step = |action: &'static str| {
        let body = json!({"ticket": done["ticket"]["id"], "outcome": "served"});
        officer.post(&app, &format!("/api/v1/windows/{CENTRE}:1/{action}")).json(&body).send()
    };
    assert_eq!(step("start").await.unwrap().status(), 200);
    let topics = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let sent = store.outbox_messages(Some(&email(3)), 10).await.unwrap();
            sent.into_iter().map(|m| (m.message.topic, m.message.body)).collect::<Vec<_>>()
        }
    };
    assert_eq!(topics(&app).await.len(), 2, "starting the service sends nothing");
    assert_eq!(step("finish").await.unwrap().status(), 200);
    let sent = topics(&app).await;
    assert_eq!(sent[0].0, "survey.link");
    assert!(
        sent[0].1.contains("Your visit") && sent[0].1.contains("/surveys/visit?via=link"),
        "{}",
        sent[0].1
    );
    app.stop().await;
}

async fn cancelled_places_return_after_the_delay_and_no_shows_cool_down(db: &TestDb) {
    let app = app(db).await;
    // Six people fill the first slot and confirm.
    let mut references = Vec::new();
    for i in 0..6 {
        let held: Value = post_hold(&app, &request(&app, i, FIRST_SLOT).await).await.json().await.unwrap();
        let reference = held["reference"].as_str().unwrap().to_owned();
        let code = code_for(&app, &email(i)).await;
        assert_eq!(confirm(&app, &reference, &code).await.status(), 200);
        references.push(reference);
    }
    // Cancelling needs the right national ID; the place stays taken for the release delay.
    let cancel = |reference: &str, id: &str| {
        app.client()
            .delete(app.url(&format!("/api/v1/appointments/{reference}")))
            .json(&json!({"national_id": id}))
            .send()
    };
    assert_eq!(problem(cancel(&references[0], &fin(1)).await.unwrap(), 404).await["status"], 404);
    let cancelled: Value = cancel(&references[0], &fin(0)).await.unwrap().json().await.unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(free_at(&slots(&app, "2026-11-30").await, FIRST_SLOT), 0);
    app.advance(SignedDuration::from_mins(61));
    assert_eq!(free_at(&slots(&app, "2026-11-30").await, FIRST_SLOT), 1);

    // Rescheduling moves person 1 to a later slot under a new reference; the old place is
    // released only after the delay.
    let moved = app
        .client()
        .post(app.url(&format!("/api/v1/appointments/{}/reschedule", references[1])))
        .json(&json!({"national_id": fin(1), "starts_at": "2026-11-30T07:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 201);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["state"], "confirmed");
    assert_ne!(moved["reference"], references[1].as_str());
    let old: Value = app.get(&format!("/api/v1/appointments/{}", references[1])).await.json().await.unwrap();
    assert_eq!(old["state"], "cancelled");
    assert_eq!(free_at(&slots(&app, "2026-11-30").await, FIRST_SLOT), 1);

    // The reminder the day before goes through the outbox, once.
    let store = app.store.as_ref();
    let registry = onestop_web::registry::RegistryCache::default();
    let catalog = onestop_web::i18n::Catalog::new();
    let rules = settings().rules;
    let at: Timestamp = "2026-11-29T08:00:00Z".parse().unwrap();
    let swept = onestop_server::booking_sweep::sweep(store, &registry, &catalog, &rules, at).await.unwrap();
    assert_eq!(swept.reminders, 5, "the four left in the first slot and the moved one");
    let again = onestop_server::booking_sweep::sweep(store, &registry, &catalog, &rules, at).await.unwrap();
    assert_eq!(again.reminders, 0);
    let reminder = store.outbox_messages(Some(&email(2)), 10).await.unwrap();
    assert_eq!(reminder[0].message.topic, "booking.reminder");
    assert!(reminder[0].message.subject.starts_with("Reminder: "), "{:?}", reminder[0].message);

    // Nobody came: after the grace period the four are no-shows. Person 2 misses a second
    // appointment and is then barred until the cool-down ends.
    let after: Timestamp = "2026-11-30T06:16:00Z".parse().unwrap();
    let swept =
        onestop_server::booking_sweep::sweep(store, &registry, &catalog, &rules, after).await.unwrap();
    assert_eq!(swept.no_shows, 4);
    let view: Value = app.get(&format!("/api/v1/appointments/{}", references[2])).await.json().await.unwrap();
    assert_eq!(view["state"], "no_show");
    app.advance(after.duration_since(app.now()));
    let second: Value =
        post_hold(&app, &request(&app, 2, "2026-12-01T06:00:00Z").await).await.json().await.unwrap();
    let code = code_for(&app, &email(2)).await;
    assert_eq!(confirm(&app, second["reference"].as_str().unwrap(), &code).await.status(), 200);
    let later: Timestamp = "2026-12-01T06:16:00Z".parse().unwrap();
    let swept =
        onestop_server::booking_sweep::sweep(store, &registry, &catalog, &rules, later).await.unwrap();
    assert_eq!(swept.no_shows, 2, "person 2's second appointment and person 1's moved one");
    app.advance(later.duration_since(app.now()));
    let body = problem(post_hold(&app, &request(&app, 2, "2026-12-03T06:00:00Z").await).await, 403).await;
    assert_eq!(
        body["detail"],
        "too many missed appointments: booking is possible again from 2026-12-30T06:00:00Z"
    );
    // Someone with one no-show may still book.
    assert_eq!(post_hold(&app, &request(&app, 3, "2026-12-03T06:00:00Z").await).await.status(), 201);
    app.stop().await;
}

async fn the_pages_book_confirm_and_cancel(db: &TestDb) {
    let mut s = settings();
    s.pow_difficulty = 0;
    s.dev_mailbox = true;
    let app = TestApp::spawn_with(db, s).await;
    catalogue_import(app.store.as_ref(), &six_places(), "asan-demo.yaml").await.unwrap();
    let page = |path: &str| {
        let path = path.to_owned();
        let app = &app;
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let services = page("/book").await;
    assert!(services.contains("href=\"/book/MIA-ID-CARD\""), "{services}");
    let centres = page("/book/MIA-ID-CARD").await;
    assert!(centres.contains("href=\"/book/MIA-ID-CARD/BAKU-1\""), "{centres}");
    let slots = page("/book/MIA-ID-CARD/BAKU-1?date=2026-11-30").await;
    assert!(slots.contains(&format!("value=\"{FIRST_SLOT}\"")));
    assert!(slots.contains("6 places left"));
    // A form with errors comes back with them, in the page's language, and holds nothing.
    let form = |id: &str| {
        vec![
            ("date", "2026-11-30".to_owned()),
            ("starts_at", FIRST_SLOT.to_owned()),
            ("national_id", id.to_owned()),
            ("name", "Leyla Əliyeva".to_owned()),
            ("email", "leyla@example.az".to_owned()),
            ("phone", String::new()),
        ]
    };
    let post = app.client().post(app.url("/book/MIA-ID-CARD/BAKU-1")).form(&form("12")).send().await.unwrap();
    assert_eq!(post.status(), 422);
    let body = post.text().await.unwrap();
    assert!(body.contains("Enter a valid national ID number: 7 letters and digits."), "{body}");
    assert!(body.contains("href=\"#national_id\""));
    assert!(app.store.outbox_messages(None, 10).await.unwrap().is_empty());
    // Booked: on to the code, which the dev mailbox shows.
    let post =
        app.client().post(app.url("/book/MIA-ID-CARD/BAKU-1")).form(&form(&fin(5))).send().await.unwrap();
    assert_eq!(post.status(), 303);
    let to = post.headers()["location"].to_str().unwrap().to_owned();
    let reference = to.trim_start_matches("/appointments/").trim_end_matches("/confirm").to_owned();
    assert!(page(&to).await.contains("We sent a six-digit code to …e.az."));
    let mailbox: Value = app.get("/dev/mailbox.json?to=leyla@example.az").await.json().await.unwrap();
    assert_eq!(mailbox["messages"].as_array().unwrap().len(), 1);
    assert!(page("/dev/mailbox").await.contains(&reference));
    let code = code_for(&app, "leyla@example.az").await;
    let wrong = app.client().post(app.url(&to)).form(&[("code", "999999x")]).send().await.unwrap();
    assert_eq!(wrong.status(), 422);
    let post = app.client().post(app.url(&to)).form(&[("code", code.as_str())]).send().await.unwrap();
    assert_eq!(post.status(), 303);
    let view = page(&format!("/appointments/{reference}")).await;
    assert!(view.contains("Your appointment is confirmed."), "{view}");
    assert!(view.contains(&format!("/api/v1/appointments/{reference}/qr.svg")));
    assert!(view.contains(&format!("/api/v1/appointments/{reference}/calendar.ics")));
    // Cancelled by reference and national ID.
    let post = app
        .client()
        .post(app.url(&format!("/appointments/{reference}/cancel")))
        .form(&[("national_id", fin(5))])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 303);
    assert!(page(&format!("/appointments/{reference}")).await.contains("This appointment was cancelled."));
    // In Azerbaijani too.
    let az = app.client().get(app.url("/book")).header("accept-language", "az").send().await.unwrap();
    assert!(az.text().await.unwrap().contains("Növbəyə yazılmaq"));
    app.stop().await;
}

/// The event of `ics` as Python's `icalendar` reads it; `None` (outside CI) when the package is
/// missing, a failure under `CI=true`.
fn python_icalendar(ics: &str) -> Option<Value> {
    let script = r#"
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.read())
ev = [c for c in cal.walk() if c.name == "VEVENT"][0]
print(json.dumps({
    "uid": str(ev["UID"]),
    "start": ev.decoded("DTSTART").isoformat(),
    "end": ev.decoded("DTEND").isoformat(),
    "summary": str(ev["SUMMARY"]),
    "description": str(ev["DESCRIPTION"]),
}))
"#;
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(!ci, "python3 is needed to check the calendar file");
        eprintln!("python3 missing: calendar file not checked with icalendar");
        return None;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(ics.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'icalendar'") {
        assert!(!ci, "the Python package icalendar is missing (pip install icalendar)");
        eprintln!("icalendar missing: calendar file not checked");
        return None;
    }
    assert!(out.status.success(), "icalendar refused the file: {stderr}\n{ics}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// With same-day booking, the slots that have begun are not offered and a hold for one is
/// refused with nothing held: it could only become a no-show.
async fn a_begun_slot_is_neither_offered_nor_booked(db: &TestDb) {
    let mut s = settings();
    s.rules.first_day = 0;
    let app = TestApp::spawn_with(db, s).await;
    catalogue_import(app.store.as_ref(), &six_places(), "asan-demo.yaml").await.unwrap();
    // Saturday 28 November, 13:00 in Baku (09:00 UTC).
    let today = slots(&app, "2026-11-28").await;
    let offered: Vec<&str> =
        today["slots"].as_array().unwrap().iter().map(|s| s["starts_at"].as_str().unwrap()).collect();
    assert!(!offered.is_empty(), "{today}");
    assert!(offered.iter().all(|s| *s > "2026-11-28T09:00:00"), "only later times: {offered:?}");
    for begun in ["2026-11-28T07:00:00Z", "2026-11-28T09:00:00Z"] {
        let body = problem(post_hold(&app, &request(&app, 1, begun).await).await, 422).await;
        assert_eq!(body["field"], "starts_at");
        assert_eq!(body["detail"], "this time has already begun: choose a later one");
    }
    assert!(app.store.outbox_messages(None, 10).await.unwrap().is_empty(), "no code was sent");
    let later = offered[0].to_owned();
    assert_eq!(post_hold(&app, &request(&app, 1, &later).await).await.status(), 201);
    app.stop().await;
}
