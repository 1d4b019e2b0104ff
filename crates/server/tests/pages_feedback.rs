//! The pages of the citizens' voice on both databases: the tablet screen shows the ticket just
//! finished at its window, the exit poll and the complaint form work without script, and the
//! transparency page publishes the rate; the call centre enters a phoned complaint and the
//! monitoring department assigns, answers and closes it on its pages.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store::feedback::RatingFilter;
use onestop_store_tests::TestDb;
use serde_json::json;
use support::{TestApp, set_cookies};

on_both_databases!(
    the_tablet_screen_offers_the_finished_ticket,
    forms_work_without_script,
    ideas_and_surveys_have_their_pages,
    the_department_handles_complaints_on_their_pages,
    the_complaint_booth_registers_by_the_booth_channel,
);

const CENTRE: &str = "BAKU-1";

async fn app(db: &TestDb) -> TestApp {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app
}

async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.client().get(app.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn the_tablet_screen_offers_the_finished_ticket(db: &TestDb) {
    let app = app(db).await;
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let tablet =
        token_issue(app.store.as_ref(), "tablet", CENTRE.into(), Some("2".into()), None).await.unwrap().1;
    app.staff("rashad", Role::Officer, Some(CENTRE), Some("MIA")).await;
    let officer = app.sign_in("rashad").await;

    let (status, html) = page(&app, "/screens/feedback", Some(&tablet)).await;
    assert_eq!(status, 200);
    assert!(html.contains("When your service is finished, you can rate it here."), "{html}");
    assert!(html.contains(r#"id="feedback-form" hidden"#));

    let post = |path: String, body: serde_json::Value| officer.post(&app, &path).json(&body).send();
    post(format!("/api/v1/windows/{CENTRE}:2/sign-in"), json!({})).await.unwrap();
    let issued = app
        .client()
        .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
        .bearer_auth(&kiosk)
        .json(&json!({"service": "MIA-ID-CARD", "id_card": "5ABC12K"}))
        .send()
        .await
        .unwrap();
    let id = issued.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    post(format!("/api/v1/windows/{CENTRE}:2/call-next"), json!({})).await.unwrap();
    post(format!("/api/v1/windows/{CENTRE}:2/start"), json!({"ticket": id})).await.unwrap();
    let finished =
        post(format!("/api/v1/windows/{CENTRE}:2/finish"), json!({"ticket": id, "outcome": "served"}));
    assert_eq!(finished.await.unwrap().status(), 200);

    let (_, html) = page(&app, "/screens/feedback", Some(&tablet)).await;
    assert!(html.contains("Ticket J-001"), "{html}");
    assert!(html.contains(&format!(r#""ticket":{id}"#)), "the script knows the ticket");
    assert!(html.contains(r#"name="score" value="5""#) && html.contains("Excellent"));
    assert!(!html.contains("5ABC12K"), "never the citizen");
    // Once rated, the screen waits for the next ticket.
    let rated = app
        .client()
        .post(app.url(&format!("/api/v1/tickets/{id}/rating")))
        .bearer_auth(&tablet)
        .json(&json!({"score": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(rated.status(), 201);
    let (_, html) = page(&app, "/screens/feedback", Some(&tablet)).await;
    assert!(html.contains(r#"id="feedback-form" hidden"#));
    // In Azerbaijani by default.
    let response = app
        .client()
        .get(app.url("/screens/feedback"))
        .bearer_auth(&tablet)
        .header("accept-language", "az")
        .send()
        .await
        .unwrap();
    assert!(response.text().await.unwrap().contains("Sizə necə xidmət göstərildi?"));

    let (status, html) = page(&app, "/transparency?by=service", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("100 % satisfied, of 1 ratings"), "{html}");
    app.stop().await;
}

async fn forms_work_without_script(db: &TestDb) {
    let app = app(db).await;
    // The exit poll: a CSRF cookie from the form, then the rating.
    let form = app.get(&format!("/centres/{CENTRE}/exit-poll")).await;
    assert_eq!(form.status(), 200);
    let csrf = set_cookies(&form).into_iter().find(|c| c.starts_with("onestop_csrf=")).unwrap();
    let csrf = csrf.trim_start_matches("onestop_csrf=").split(';').next().unwrap().to_owned();
    let post = |path: String, fields: Vec<(&'static str, String)>, with_cookie: bool| {
        let mut request = app.client().post(app.url(&path)).form(&fields);
        if with_cookie {
            request = request.header("cookie", format!("onestop_csrf={csrf}"));
        }
        request.send()
    };
    let path = format!("/centres/{CENTRE}/exit-poll");
    let stale = post(path.clone(), vec![("csrf", csrf.clone()), ("score", "5".into())], false).await.unwrap();
    assert_eq!(stale.status(), 400);
    let missing = post(path.clone(), vec![("csrf", csrf.clone())], true).await.unwrap();
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("Choose a rating from 1 to 5."));
    let fields = vec![
        ("csrf", csrf.clone()),
        ("score", "5".into()),
        ("reasons", "courtesy".into()),
        ("reasons", "speed".into()),
    ];
    let done = post(path, fields, true).await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Thank you! Your rating helps us serve better."));
    let saved = app.store.ratings(&RatingFilter::default(), 10).await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].verdict.reasons.len(), 2);

    // A complaint from the web form: refused without a way to reply, then registered.
    let bad = vec![("csrf", csrf.clone()), ("category", "waiting_time".into()), ("text", "Slow".into())];
    let refused = post("/complaints".into(), bad, true).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("give an email address, a phone number or a postal address"), "{html}");
    assert!(html.contains(">Slow</textarea>"), "what was typed is kept");
    let good = vec![
        ("csrf", csrf.clone()),
        ("category", "waiting_time".into()),
        ("text", "Slow".into()),
        ("email", "a@b.az".into()),
    ];
    let created = post("/complaints".into(), good, true).await.unwrap();
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let reference = location.trim_start_matches("/complaints/").trim_end_matches("?saved=1").to_owned();
    let (status, html) = page(&app, &location, None).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Registered. Keep your reference to follow it: {reference}")));
    assert!(html.contains("Received") && !html.contains("a@b.az"));
    let found = app.get(&format!("/complaints/find?reference={}", reference.to_lowercase())).await;
    assert_eq!(found.headers()["location"], format!("/complaints/{reference}"));
    let (status, _) = page(&app, "/complaints/FB-2222-2222", None).await;
    assert_eq!(status, 404);

    // The department's list shows it; a citizen cannot reopen before an answer.
    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let analyst = app.sign_in("aysel").await;
    let list = analyst.get(&app, "/staff/complaints").send().await.unwrap().text().await.unwrap();
    assert!(list.contains(&reference) && list.contains("0 complaints are past their deadline"), "{list}");
    let early =
        post(format!("/complaints/{reference}/reopen"), vec![("csrf", csrf.clone())], true).await.unwrap();
    assert_eq!(early.status(), 409);
    app.stop().await;
}

async fn ideas_and_surveys_have_their_pages(db: &TestDb) {
    let app = app(db).await;
    let form = app.get("/ideas").await;
    let csrf = set_cookies(&form).into_iter().find(|c| c.starts_with("onestop_csrf=")).unwrap();
    let csrf = csrf.trim_start_matches("onestop_csrf=").split(';').next().unwrap().to_owned();
    let html = form.text().await.unwrap();
    assert!(
        html.contains("Benefit to citizens — weight 3, scored 0 to 5") && html.contains("No ideas yet."),
        "{html}"
    );
    let post = |path: &str, fields: Vec<(&'static str, String)>| {
        app.client().post(app.url(path)).header("cookie", format!("onestop_csrf={csrf}")).form(&fields).send()
    };
    let refused = post("/ideas", vec![("csrf", csrf.clone()), ("title", "Chairs".into())]).await.unwrap();
    assert_eq!(refused.status(), 422);
    let sent = post(
        "/ideas",
        vec![("csrf", csrf.clone()), ("title", "Chairs".into()), ("text", "More chairs".into())],
    )
    .await
    .unwrap();
    assert_eq!(sent.status(), 303);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    let html = app.get(&location).await.text().await.unwrap();
    assert!(html.contains("reference: ID-") && html.contains("Chairs") && html.contains("Submitted"));

    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let analyst = app.sign_in("aysel").await;
    let definition = json!({"code": "exit", "title": "Leaving", "channels": ["web", "link"], "questions": [
        {"kind": "scale", "prompt": "How was it?", "min": 1, "max": 5},
        {"kind": "choice", "prompt": "Came by", "options": ["Bus", "Car"]},
        {"kind": "text", "prompt": "Else?"}]});
    assert_eq!(analyst.post(&app, "/api/v1/surveys").json(&definition).send().await.unwrap().status(), 201);
    assert_eq!(app.get("/surveys/exit").await.status(), 404, "unpublished");
    analyst.post(&app, "/api/v1/surveys/exit/publish").send().await.unwrap();
    let html = app.get("/surveys/exit?via=link").await.text().await.unwrap();
    assert!(html.contains("How was it?") && html.contains(r#"name="via" value="link""#), "{html}");
    let out = post("/surveys/exit", vec![("csrf", csrf.clone()), ("q0", "9".into()), ("q1", "0".into())])
        .await
        .unwrap();
    assert_eq!(out.status(), 422);
    assert!(out.text().await.unwrap().contains("answer 0: give a number from 1 to 5"));
    let fields = vec![
        ("csrf", csrf.clone()),
        ("via", "link".into()),
        ("q0", "4".into()),
        ("q1", "1".into()),
        ("q2", "".into()),
    ];
    let done = post("/surveys/exit", fields).await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Thank you for your answers."));
    let results: serde_json::Value =
        analyst.get(&app, "/api/v1/surveys/exit/results").send().await.unwrap().json().await.unwrap();
    assert_eq!(results["responses"], 1);
    assert_eq!(results["questions"][1]["tally"]["counts"], json!([0, 1]));
    app.stop().await;
}

/// Posts `fields` as a plain HTML form would: the session cookie and the `csrf` field, no header.
async fn submit(
    app: &TestApp,
    session: &support::Session,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf", session.csrf.as_str())];
    form.extend_from_slice(fields);
    app.client().post(app.url(path)).header("cookie", &session.cookie).form(&form).send().await.unwrap()
}

async fn the_department_handles_complaints_on_their_pages(db: &TestDb) {
    let app = app(db).await;
    app.staff("nigar", Role::CallCentreOperator, None, None).await;
    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let operator = app.sign_in("nigar").await;
    let analyst = app.sign_in("aysel").await;

    // The call centre enters a phoned complaint; without a channel the form says what is missing.
    let form = operator.get(&app, "/staff/complaints/new").send().await.unwrap().text().await.unwrap();
    assert!(form.contains("Register a complaint for a citizen") && form.contains("Paper journal"), "{form}");
    assert!(form.contains("What the complainant said") && form.contains("autocomplete=\"off\""), "{form}");
    let fields = [
        ("lang", "ru"),
        ("category", "waiting_time"),
        ("subject_kind", "centre"),
        ("subject", CENTRE),
        ("text", "Waited two hours at window 3"),
        ("email", "leyla@example.az"),
    ];
    let refused = submit(&app, &operator, "/staff/complaints/new", &fields).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Choose how it came in"));
    let mut phoned = fields.to_vec();
    phoned.push(("channel", "call_centre"));
    let created = submit(&app, &operator, "/staff/complaints/new", &phoned).await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let reference = location.trim_start_matches("/staff/complaints/").to_owned();
    let record = app.store.complaint(&reference).await.unwrap().unwrap();
    assert_eq!((record.channel.as_str(), record.lang.as_str()), ("call_centre", "ru"));
    assert_eq!(record.entered_by.as_deref(), Some("staff:nigar"));
    // The operator reads it but may not take the department's steps.
    let html = operator.get(&app, &location).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("leyla@example.az") && !html.contains("id=\"assign\""), "{html}");
    assert_eq!(submit(&app, &operator, &format!("{location}/assign"), &[]).await.status(), 403);

    // The department assigns it to the analyst herself, answers (an empty answer is refused on
    // the page) and closes it.
    let html = analyst.get(&app, &location).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"assign\"") && !html.contains("id=\"answer-form\""), "{html}");
    assert_eq!(submit(&app, &analyst, &format!("{location}/assign"), &[]).await.status(), 303);
    let html = analyst.get(&app, &location).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<dd id=\"assignee\">aysel</dd>") && html.contains("id=\"answer-form\""), "{html}");
    let empty = submit(&app, &analyst, &format!("{location}/answer"), &[("answer", " ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("write the answer"));
    let answer = [("answer", "A second window now serves identity cards.")];
    assert_eq!(submit(&app, &analyst, &format!("{location}/answer"), &answer).await.status(), 303);
    assert_eq!(submit(&app, &analyst, &format!("{location}/close"), &[]).await.status(), 303);
    let html = analyst.get(&app, &location).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("A second window now serves identity cards.") && html.contains("Closed"), "{html}");
    assert!(!html.contains("id=\"close\""), "no step is left: {html}");
    // A step the workflow does not allow is refused on the page with nothing changed.
    let again = submit(&app, &analyst, &format!("{location}/close"), &[]).await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.store.complaint(&reference).await.unwrap().unwrap().history.len(), 4);

    // The complainant heard of each step but the assignment, in Russian.
    let mut sent = app.store.outbox_messages(Some("leyla@example.az"), 10).await.unwrap();
    sent.reverse();
    let topics: Vec<_> = sent.iter().map(|m| m.message.topic.as_str()).collect();
    assert_eq!(topics, ["complaint.received", "complaint.answered", "complaint.closed"]);
    assert!(sent[0].message.subject.contains(&reference) && sent[0].message.subject.contains("получены"));
    app.stop().await;
}

/// A kiosk paired as a centre's complaint booth shows the form; what it sends (as its script does,
/// with the device token) comes in by the booth channel at the booth's centre.
async fn the_complaint_booth_registers_by_the_booth_channel(db: &TestDb) {
    let app = app(db).await;
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let (status, html) = page(&app, "/screens/complaint-booth?lang=en", Some(&kiosk)).await;
    assert_eq!(status, 200);
    assert!(html.contains("<form id=\"booth\"") && html.contains("/assets/js/booth.js"), "{html}");
    assert!(html.contains("Tell us what went wrong at this centre"), "{html}");
    let (status, _) = page(&app, "/screens/complaint-booth", None).await;
    assert_eq!(status, 401);

    let body = json!({"category": "premises", "text": "No ramp at the entrance", "phone": "+994501234567",
        "subject_kind": "centre", "subject": CENTRE});
    let sent = app
        .client()
        .post(app.url("/api/v1/complaints"))
        .bearer_auth(&kiosk)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let sent: serde_json::Value = sent.json().await.unwrap();
    assert_eq!(sent["channel"], "booth");
    let record = app.store.complaint(sent["reference"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(record.centre.as_deref(), Some(CENTRE));
    assert!(record.entered_by.as_deref().is_some_and(|e| e.starts_with("device:")), "{record:?}");
    app.stop().await;
}
