//! The citizens' voice over real HTTP on both databases, on the ASAN demo catalogue: a ticket
//! served, rated on the tablet at its window and counted in the satisfaction rate; bad ratings
//! refused with nothing saved; complaints walking their workflow to a deadline breach.

#![allow(clippy::unwrap_used)]

mod support;

use futures_util::future::join_all;
use jiff::SignedDuration;
use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store::complaints::ComplaintFilter;
use onestop_store::feedback::RatingFilter;
use onestop_store_tests::TestDb;
use serde_json::{Value, json};
use support::{Session, TestApp, problem};

on_both_databases!(
    a_served_ticket_is_rated_at_its_window_and_counted,
    racing_tablets_rate_a_ticket_once,
    complaints_walk_their_workflow_to_a_deadline_breach,
    complaints_without_text_or_reply_are_refused,
    ideas_are_scored_decided_and_rewarded,
    surveys_are_answered_and_tallied,
);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";

async fn app(db: &TestDb) -> TestApp {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app
}

async fn device(app: &TestApp, kind: &str, window: Option<&str>) -> String {
    token_issue(app.store.as_ref(), kind, CENTRE.into(), window.map(Into::into), None).await.unwrap().1
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

/// Issues a kiosk ticket and has `officer` serve it at `window` to the end; answers its id.
async fn serve(app: &TestApp, kiosk: &str, officer: &Session, window: u32) -> i64 {
    let issued = app
        .client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(kiosk)
        .json(&json!({"service": SERVICE, "id_card": "5ABC12K"}))
        .send()
        .await
        .unwrap();
    let id = json_of(issued, 201).await["id"].as_i64().unwrap();
    let step = |action: &str, body: Value| {
        officer.post(app, &format!("/api/v1/windows/{CENTRE}:{window}/{action}")).json(&body).send()
    };
    let called = json_of(step("call-next", json!({})).await.unwrap(), 200).await;
    assert_eq!(called["ticket"]["id"], id);
    json_of(step("start", json!({"ticket": id})).await.unwrap(), 200).await;
    json_of(step("finish", json!({"ticket": id, "outcome": "served"})).await.unwrap(), 200).await;
    id
}

async fn rate(app: &TestApp, tablet: &str, ticket: i64, body: Value) -> reqwest::Response {
    app.client()
        .post(app.url(&format!("/api/v1/tickets/{ticket}/rating")))
        .bearer_auth(tablet)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ratings_saved(app: &TestApp) -> usize {
    app.store.ratings(&RatingFilter::default(), 100).await.unwrap().len()
}

async fn a_served_ticket_is_rated_at_its_window_and_counted(db: &TestDb) {
    let app = app(db).await;
    app.staff("rashad", Role::Officer, Some(CENTRE), Some("MIA")).await;
    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let officer = app.sign_in("rashad").await;
    json_of(officer.post(&app, &format!("/api/v1/windows/{CENTRE}:1/sign-in")).send().await.unwrap(), 200)
        .await;
    let kiosk = device(&app, "kiosk", None).await;
    let tablet = device(&app, "tablet", Some("1")).await;
    let other_tablet = device(&app, "tablet", Some("2")).await;
    let first = serve(&app, &kiosk, &officer, 1).await;

    // The tablet of another window, a score out of range, an unknown reason: refused, nothing saved.
    let body = problem(rate(&app, &other_tablet, first, json!({"score": 5})).await, 403).await;
    assert_eq!(body["detail"], "ticket J-001 was finished at window 1, not at this tablet's window");
    let body = problem(rate(&app, &tablet, first, json!({"score": 6})).await, 422).await;
    assert_eq!(body["field"], "score");
    let body = problem(rate(&app, &tablet, first, json!({"score": 0})).await, 422).await;
    assert_eq!(body["field"], "score");
    let body = problem(rate(&app, &tablet, first, json!({"score": 4, "reasons": ["rude"]})).await, 422).await;
    assert_eq!(body["field"], "reasons");
    // A kiosk is no tablet.
    problem(rate(&app, &kiosk, first, json!({"score": 5})).await, 403).await;
    assert_eq!(ratings_saved(&app).await, 0);

    let given =
        rate(&app, &tablet, first, json!({"score": 5, "reasons": ["speed", "courtesy"], "comment": "Fast"}));
    let given = json_of(given.await, 201).await;
    assert_eq!(given["ticket"], first);
    assert_eq!(given["channel"], "tablet");
    assert_eq!(given["centre"], CENTRE);
    assert_eq!(given["service"], SERVICE);
    assert_eq!(given["provider"], "MIA");
    assert_eq!(given["window"], 1);
    assert_eq!(given["score"], 5);
    assert_eq!(given["reasons"], json!(["courtesy", "speed"]));
    // Never the citizen: no holder, FIN or name in what is stored or answered.
    let text = given.to_string();
    assert!(!text.contains("5ABC12K") && !text.contains("holder"), "{text}");
    let stored = app.store.ratings(&RatingFilter::default(), 10).await.unwrap();
    assert_eq!(stored[0].officer.as_deref(), Some("rashad"));

    // A second rating of the ticket: 409, still one saved.
    let body = problem(rate(&app, &tablet, first, json!({"score": 1})).await, 409).await;
    assert_eq!(body["detail"], "ticket J-001 has already been rated");
    assert_eq!(ratings_saved(&app).await, 1);

    // A second ticket rated 2; an exit poll rated 4.
    let second = serve(&app, &kiosk, &officer, 1).await;
    json_of(rate(&app, &tablet, second, json!({"score": 2})).await, 201).await;
    let poll =
        app.client().post(app.url(&format!("/api/v1/centres/{CENTRE}/exit-poll"))).json(&json!({"score": 4}));
    let poll = json_of(poll.send().await.unwrap(), 201).await;
    assert_eq!((poll["channel"].as_str(), poll["ticket"].is_null()), (Some("exit_poll"), true));

    let rates = |query: &'static str| {
        let app = &app;
        async move { json_of(app.get(&format!("/api/v1/satisfaction{query}")).await, 200).await }
    };
    let by_centre = rates("").await;
    assert_eq!(by_centre["by"], "centre");
    assert_eq!(by_centre["to"], "2026-11-28");
    assert_eq!(by_centre["overall"]["ratings"], 3);
    assert_eq!(by_centre["overall"]["satisfied"], 2);
    assert_eq!(by_centre["overall"]["rate_percent"], 66.7);
    assert_eq!(by_centre["groups"][0]["code"], CENTRE);
    assert_eq!(by_centre["groups"][0]["name"], "Baku ASAN Service Centre No. 1");
    let by_service = rates("?by=service").await;
    assert_eq!(
        by_service["groups"],
        json!([{"code": SERVICE, "name": by_service["groups"][0]["name"], "ratings": 2, "satisfied": 1, "rate_percent": 50.0}])
    );
    let by_provider = rates("?by=provider&centre=BAKU-1").await;
    assert_eq!(by_provider["groups"][0]["code"], "MIA");
    assert_eq!(by_provider["groups"][0]["rate_percent"], 50.0);
    // A period before the ratings counts none.
    let before = rates("?from=2026-10-01&to=2026-11-27").await;
    assert_eq!(before["overall"]["ratings"], 0);
    assert!(before["overall"]["rate_percent"].is_null());
    problem(app.get("/api/v1/satisfaction?by=colour").await, 400).await;
    // Officers' rates are for staff who read feedback.
    problem(app.get("/api/v1/satisfaction?by=officer").await, 401).await;
    let analyst = app.sign_in("aysel").await;
    let by_officer =
        json_of(analyst.get(&app, "/api/v1/satisfaction?by=officer").send().await.unwrap(), 200).await;
    assert_eq!(by_officer["groups"][0]["code"], "rashad");
    assert_eq!(by_officer["groups"][0]["ratings"], 2);
    problem(officer.get(&app, "/api/v1/satisfaction?by=officer").send().await.unwrap(), 403).await;
    app.stop().await;
}

async fn racing_tablets_rate_a_ticket_once(db: &TestDb) {
    let app = app(db).await;
    app.staff("rashad", Role::Officer, Some(CENTRE), Some("MIA")).await;
    let officer = app.sign_in("rashad").await;
    json_of(officer.post(&app, &format!("/api/v1/windows/{CENTRE}:3/sign-in")).send().await.unwrap(), 200)
        .await;
    let kiosk = device(&app, "kiosk", None).await;
    let tablet = device(&app, "tablet", Some("3")).await;
    let id = serve(&app, &kiosk, &officer, 3).await;
    let statuses: Vec<u16> = join_all((1..=8).map(|score| {
        let (app, tablet) = (&app, &tablet);
        async move { rate(app, tablet, id, json!({"score": 1 + score % 5})).await.status().as_u16() }
    }))
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
    assert_eq!(ratings_saved(&app).await, 1);
    assert_eq!(app.audit("rating.give").await.len(), 1);
    app.stop().await;
}

async fn register(app: &TestApp, session: Option<&Session>, body: Value) -> reqwest::Response {
    let request = match session {
        Some(s) => s.post(app, "/api/v1/complaints"),
        None => app.client().post(app.url("/api/v1/complaints")),
    };
    request.json(&body).send().await.unwrap()
}

/// The outbox's messages to `to`, oldest first, as (topic, subject, body).
async fn sent_to(app: &TestApp, to: &str) -> Vec<(String, String, String)> {
    let mut sent = app.store.outbox_messages(Some(to), 100).await.unwrap();
    sent.reverse();
    sent.into_iter().map(|m| (m.message.topic, m.message.subject, m.message.body)).collect()
}

async fn complaints_saved(app: &TestApp) -> usize {
    app.store.complaints(&ComplaintFilter::default(), 100).await.unwrap().len()
}

async fn complaints_without_text_or_reply_are_refused(db: &TestDb) {
    let app = app(db).await;
    let cases = [
        (json!({"category": "waiting_time", "text": "  ", "email": "a@b.az"}), "text"),
        (json!({"category": "waiting_time", "text": "Slow"}), "contact"),
        (json!({"category": "waiting_time", "text": "Slow", "phone": " "}), "contact"),
        (json!({"category": "waiting_time", "text": "Slow", "email": "nope"}), "email"),
        (json!({"category": "weather", "text": "Slow", "email": "a@b.az"}), "category"),
        (
            json!({"category": "other", "text": "Slow", "email": "a@b.az", "subject_kind": "centre", "subject": "MARS-1"}),
            "subject",
        ),
    ];
    for (body, field) in cases {
        let refused = problem(register(&app, None, body.clone()).await, 422).await;
        assert_eq!(refused["field"], field, "{body}");
    }
    // Only staff enter complaints from other channels.
    let body = json!({"category": "other", "text": "Rude", "email": "a@b.az", "channel": "call_centre"});
    problem(register(&app, None, body).await, 403).await;
    assert_eq!(complaints_saved(&app).await, 0);
    assert!(app.audit("complaint.register").await.is_empty());
    app.stop().await;
}

async fn complaints_walk_their_workflow_to_a_deadline_breach(db: &TestDb) {
    let app = app(db).await;
    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    app.staff("nigar", Role::CallCentreOperator, None, None).await;
    let analyst = app.sign_in("aysel").await;
    let operator = app.sign_in("nigar").await;

    // From the web in Russian: Saturday 28 November; a corruption complaint is due in 3 working
    // days.
    let body = json!({"category": "corruption", "subject_kind": "centre", "subject": CENTRE,
        "text": "An officer asked for money", "email": "aysel@example.az", "phone": "+994501234567"});
    let response = app
        .client()
        .post(app.url("/api/v1/complaints"))
        .header("accept-language", "ru")
        .json(&body)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let web = json_of(response, 201).await;
    let reference = web["reference"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/complaints/{reference}"));
    assert!(onestop_domain::feedback::complaint::is_reference(&reference), "{reference}");
    assert_eq!(web["status"], "received");
    assert_eq!(web["channel"], "web");
    assert_eq!(web["kind"], "complaint");
    assert_eq!(web["due_on"], "2026-12-02");
    assert_eq!(web["breached"], false);
    // The public view carries no contact details.
    let followed = json_of(app.get(&location).await, 200).await;
    assert!(!followed.to_string().contains("aysel@example.az") && followed.get("contact").is_none());
    assert_eq!(followed["history"][0]["step"], "register");
    problem(app.get("/api/v1/complaints/FB-2222-2222").await, 404).await;
    // The acknowledgement went to the email address (not the phone), in Russian, with the
    // reference, the due day and the page to follow it.
    let sent = sent_to(&app, "aysel@example.az").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (topic, subject, body) = &sent[0];
    assert_eq!(topic, "complaint.received");
    assert!(subject.contains(&reference) && subject.contains("получены"), "{subject}");
    assert!(body.contains("02.12.2026") && body.contains(&format!("/complaints/{reference}")), "{body}");
    assert!(sent_to(&app, "+994501234567").await.is_empty());

    // The call centre registers one on a caller's behalf; a suggestion has 20 working days.
    let body = json!({"category": "suggestion", "text": "Open on Sundays", "address": "Bakı, Nizami 1",
        "channel": "call_centre"});
    let phoned = json_of(register(&app, Some(&operator), body).await, 201).await;
    assert_eq!(
        (phoned["channel"].as_str(), phoned["kind"].as_str()),
        (Some("call_centre"), Some("suggestion"))
    );

    // The operator reads complaints but does not handle them.
    let step = |who: &Session, step: &str, body: Value| {
        who.post(&app, &format!("/api/v1/complaints/{reference}/{step}")).json(&body).send()
    };
    problem(step(&operator, "assign", json!({})).await.unwrap(), 403).await;
    // Answering before assigning: the workflow refuses, nothing changes.
    let body = problem(step(&analyst, "answer", json!({"answer": "Sorry"})).await.unwrap(), 409).await;
    assert_eq!(body["detail"], "a complaint that is received cannot take the step answer");
    let body = problem(step(&analyst, "assign", json!({"assignee": "nigar"})).await.unwrap(), 422).await;
    assert_eq!(body["field"], "assignee");
    let assigned = json_of(step(&analyst, "assign", json!({})).await.unwrap(), 200).await;
    assert_eq!(
        (assigned["status"].as_str(), assigned["assignee"].as_str()),
        (Some("assigned"), Some("aysel"))
    );
    assert_eq!(assigned["contact"]["phone_masked"], "+99450*****67");

    // Thursday 3 December: the deadline has passed; the breach shows.
    app.advance(SignedDuration::from_hours(24 * 5));
    let analyst = app.sign_in("aysel").await;
    let breaches = json_of(analyst.get(&app, "/api/v1/complaints/breaches").send().await.unwrap(), 200).await;
    assert_eq!(breaches["today"], "2026-12-03");
    assert_eq!(breaches["overdue_count"], 1);
    assert_eq!(breaches["overdue"][0]["reference"], reference.as_str());
    assert_eq!(breaches["answered_late"], 0);
    assert_eq!(json_of(app.get(&location).await, 200).await["breached"], true);
    problem(app.get("/api/v1/complaints/breaches").await, 401).await;

    problem(step(&analyst, "answer", json!({"answer": " "})).await.unwrap(), 422).await;
    let answered = json_of(
        step(&analyst, "answer", json!({"answer": "The officer was dismissed."})).await.unwrap(),
        200,
    )
    .await;
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answered_on"], "2026-12-03");
    assert_eq!(answered["reopen_until"], "2026-12-13");
    let breaches = json_of(analyst.get(&app, "/api/v1/complaints/breaches").send().await.unwrap(), 200).await;
    assert_eq!((breaches["overdue_count"].as_u64(), breaches["answered_late"].as_u64()), (Some(0), Some(1)));
    json_of(step(&analyst, "close", json!({})).await.unwrap(), 200).await;
    // The complainant heard of the answer (with its text) and the closing, still in Russian; the
    // refused steps and the assignment sent nothing.
    let sent = sent_to(&app, "aysel@example.az").await;
    let topics: Vec<_> = sent.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(topics, ["complaint.received", "complaint.answered", "complaint.closed"]);
    assert!(
        sent[1].2.contains("The officer was dismissed.") && sent[1].2.contains("10 дн."),
        "{}",
        sent[1].2
    );
    assert!(sent[2].1.contains("закрыто"), "{}", sent[2].1);

    // The complainant reopens it within 10 days; a new deadline runs.
    let reopened =
        json_of(app.client().post(app.url(&format!("{location}/reopen"))).send().await.unwrap(), 200).await;
    assert_eq!(reopened["status"], "reopened");
    assert_eq!(reopened["due_on"], "2026-12-08");
    let steps: Vec<_> =
        reopened["history"].as_array().unwrap().iter().map(|h| h["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["register", "assign", "answer", "close", "reopen"]);
    let sent = sent_to(&app, "aysel@example.az").await;
    assert_eq!(sent.last().map(|(t, _, _)| t.as_str()), Some("complaint.reopened"));
    assert!(sent.last().unwrap().2.contains("08.12.2026"));
    json_of(step(&analyst, "assign", json!({})).await.unwrap(), 200).await;
    json_of(step(&analyst, "answer", json!({"answer": "Reviewed again."})).await.unwrap(), 200).await;
    // Eleven days later it may no longer be reopened.
    app.advance(SignedDuration::from_hours(24 * 11));
    let operator = app.sign_in("nigar").await;
    let body =
        problem(app.client().post(app.url(&format!("{location}/reopen"))).send().await.unwrap(), 409).await;
    assert_eq!(body["detail"], "the answer was given more than 10 days ago; it can no longer be reopened");

    let list =
        json_of(operator.get(&app, "/api/v1/complaints?status=answered").send().await.unwrap(), 200).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(app.audit("complaint.assign").await.len(), 2);
    app.stop().await;
}

async fn ideas_are_scored_decided_and_rewarded(db: &TestDb) {
    let app = app(db).await;
    app.staff("kamala", Role::CommissionMember, None, None).await;
    app.staff("farid", Role::CommissionMember, None, None).await;
    let (kamala, farid) = (app.sign_in("kamala").await, app.sign_in("farid").await);
    let criteria = json_of(app.get("/api/v1/ideas/criteria").await, 200).await;
    assert_eq!(criteria[0], json!({"code": "citizen_benefit", "weight": 3, "max_score": 5}));
    let submit = |body: Value| app.client().post(app.url("/api/v1/ideas")).json(&body).send();
    let refused = problem(submit(json!({"title": " ", "text": "x"})).await.unwrap(), 422).await;
    assert_eq!(refused["field"], "title");
    let idea = submit(
        json!({"title": "SMS before my turn", "text": "Text me five tickets ahead", "author": "Kamran", "contact": "k@example.az"}),
    );
    let idea = json_of(idea.await.unwrap(), 201).await;
    let reference = idea["reference"].as_str().unwrap().to_owned();
    assert_eq!((idea["status"].as_str(), idea["reviewers"].as_u64()), (Some("submitted"), Some(0)));
    assert!(!idea.to_string().contains("k@example.az"), "the contact is never public");
    let path = |what: &str| format!("/api/v1/ideas/{reference}/{what}");
    let all =
        |v: i64| json!({"scores": {"citizen_benefit": v, "feasibility": v, "cost_saving": v, "novelty": v}});
    // Deciding before scoring, scoring out of range, an anonymous score: refused.
    problem(
        kamala
            .post(&app, &path("decision"))
            .json(&json!({"accept": true, "reward_minor": 50000}))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    let out = problem(kamala.post(&app, &path("scores")).json(&all(7)).send().await.unwrap(), 422).await;
    assert_eq!(out["field"], "scores");
    problem(app.client().post(app.url(&path("scores"))).json(&all(3)).send().await.unwrap(), 401).await;
    json_of(kamala.post(&app, &path("scores")).json(&all(5)).send().await.unwrap(), 200).await;
    let scored = json_of(farid.post(&app, &path("scores")).json(&all(3)).send().await.unwrap(), 200).await;
    assert_eq!((scored["status"].as_str(), scored["reviewers"].as_u64()), (Some("under_review"), Some(2)));
    assert_eq!(scored["score_percent"], 80.0);
    assert_eq!(scored["criteria"]["novelty"], 4.0);
    problem(farid.post(&app, &path("decision")).json(&json!({"accept": true})).send().await.unwrap(), 422)
        .await;
    let accepted = farid
        .post(&app, &path("decision"))
        .json(&json!({"accept": true, "reward_minor": 50000, "note": "Paid by transfer"}));
    let accepted = json_of(accepted.send().await.unwrap(), 200).await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(
        accepted["reward"],
        json!({"amount_minor": 50000, "currency": "AZN", "note": "Paid by transfer"})
    );
    let public = json_of(app.get("/api/v1/ideas").await, 200).await;
    assert_eq!(public[0]["status"], "accepted");
    problem(kamala.post(&app, &path("decision")).json(&json!({"accept": false})).send().await.unwrap(), 409)
        .await;
    app.stop().await;
}

async fn surveys_are_answered_and_tallied(db: &TestDb) {
    let app = app(db).await;
    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let analyst = app.sign_in("aysel").await;
    let definition = json!({"code": "visit-2026", "title": "Your visit", "channels": ["web", "tablet"], "questions": [
        {"kind": "scale", "prompt": "How easy was it?", "min": 1, "max": 5},
        {"kind": "choice", "prompt": "How did you come?", "options": ["Bus", "Car", "On foot"]},
        {"kind": "text", "prompt": "Anything else?"},
    ]});
    let bad = json!({"code": "bad", "title": "x", "channels": ["web"], "questions": [{"kind": "scale", "prompt": "?", "min": 3, "max": 1}]});
    problem(analyst.post(&app, "/api/v1/surveys").json(&bad).send().await.unwrap(), 422).await;
    let created =
        json_of(analyst.post(&app, "/api/v1/surveys").json(&definition).send().await.unwrap(), 201).await;
    assert_eq!(
        (created["published"].as_bool(), created["link"].as_str()),
        (Some(false), Some("http://127.0.0.1:8080/surveys/visit-2026?via=link"))
    );
    problem(app.get("/api/v1/surveys/visit-2026").await, 404).await;
    let answer =
        |body: Value| app.client().post(app.url("/api/v1/surveys/visit-2026/responses")).json(&body).send();
    problem(answer(json!({"answers": [5, 0, ""]})).await.unwrap(), 404).await;
    json_of(analyst.post(&app, "/api/v1/surveys/visit-2026/publish").send().await.unwrap(), 200).await;
    assert_eq!(json_of(app.get("/api/v1/surveys/visit-2026").await, 200).await["published"], true);

    // Out of range, a missing answer, a text for a choice: 422, nothing saved.
    for bad in [json!([6, 0, ""]), json!([0, 0, ""]), json!([5, 3, ""]), json!([5, 0]), json!([5, "Bus", ""])]
    {
        let body = problem(answer(json!({"answers": bad})).await.unwrap(), 422).await;
        assert_eq!(body["field"], "answers", "{bad}");
    }
    // The link channel is not published for this survey.
    problem(answer(json!({"answers": [5, 0, ""], "via": "link"})).await.unwrap(), 403).await;
    assert_eq!(answer(json!({"answers": [5, 0, "Great"]})).await.unwrap().status(), 201);
    let tablet = device(&app, "tablet", Some("4")).await;
    let from_tablet = app.client().post(app.url("/api/v1/surveys/visit-2026/responses")).bearer_auth(&tablet);
    assert_eq!(from_tablet.json(&json!({"answers": [2, 2, ""]})).send().await.unwrap().status(), 201);
    let results =
        json_of(analyst.get(&app, "/api/v1/surveys/visit-2026/results").send().await.unwrap(), 200).await;
    assert_eq!(results["responses"], 2);
    assert_eq!(
        results["questions"][0]["tally"],
        json!({"kind": "scale", "responses": 2, "counts": [0, 1, 0, 0, 1], "mean": 3.5})
    );
    assert_eq!(
        results["questions"][1]["tally"],
        json!({"kind": "choice", "responses": 2, "counts": [1, 0, 1]})
    );
    assert_eq!(
        results["questions"][2]["tally"],
        json!({"kind": "text", "responses": 1, "latest": ["Great"]})
    );
    problem(app.get("/api/v1/surveys/visit-2026/results").await, 401).await;
    app.stop().await;
}
