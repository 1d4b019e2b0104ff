//! Applications, bills and payments over real HTTP on both databases, on the ASAN demo catalogue:
//! a ticket's documents accepted into an application, its bill paid at the bank section (which
//! returns the parked ticket), processed and issued; no route lets an officer take money; racing
//! tellers take a bill once; online payments through the sandbox acquirer; refunds; and refusals
//! that name their cause and write nothing.

#![allow(clippy::unwrap_used)]

mod support;

use futures_util::future::join_all;
use onestop_domain::identity::{Permission, Role};
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use onestop_web::routes::Access;
use serde_json::{Value, json};
use support::{Session, TestApp, problem};

on_both_databases!(
    a_ticket_becomes_an_application_paid_at_the_bank_and_issued,
    no_route_lets_an_officer_take_money,
    racing_tellers_take_a_bill_once,
    an_online_payment_goes_through_the_sandbox_acquirer,
    refunds_are_asked_decided_and_paid_out_within_the_payment,
    refusals_name_the_cause_and_write_nothing,
    the_pages_follow_an_application_and_take_its_payment,
);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";
const FIN: &str = "5ABC12K";

async fn app(db: &TestDb) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn staff(app: &TestApp, login: &str, role: Role, provider: Option<&str>) -> Session {
    app.staff(login, role, Some(CENTRE), provider).await;
    app.sign_in(login).await
}

async fn window_post(app: &TestApp, who: &Session, action: &str, body: Value) -> Value {
    json_of(
        who.post(app, &format!("/api/v1/windows/{CENTRE}:1/{action}")).json(&body).send().await.unwrap(),
        200,
    )
    .await
}

/// A ticket issued at a kiosk, called and being served at window 1 by `officer`; its id.
async fn serving(app: &TestApp, officer: &Session) -> i64 {
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let ticket = json_of(
        app.client()
            .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
            .bearer_auth(&kiosk)
            .json(&json!({"service": SERVICE, "id_card": FIN}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    let signed = officer
        .post(app, &format!("/api/v1/windows/{CENTRE}:1/sign-in"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(signed.status().is_success() || signed.status() == 409);
    let called = window_post(app, officer, "call-next", json!({})).await;
    assert_eq!(called["ticket"]["id"], id);
    window_post(app, officer, "start", json!({"ticket": id})).await;
    id
}

fn acceptance() -> Value {
    json!({"documents": ["1", "The old identity card"], "email": "ayan@example.org", "lang": "en"})
}

async fn accept(app: &TestApp, officer: &Session, ticket: i64, body: Value) -> reqwest::Response {
    officer.post(app, &format!("/api/v1/tickets/{ticket}/application")).json(&body).send().await.unwrap()
}

/// A served ticket accepted into an application with a 5 AZN bill; (ticket, tracking, reference).
async fn billed(app: &TestApp, officer: &Session) -> (i64, String, String) {
    let ticket = serving(app, officer).await;
    let a = json_of(accept(app, officer, ticket, acceptance()).await, 201).await;
    let tracking = a["tracking"].as_str().unwrap().to_owned();
    let reference = a["bills"][0]["reference"].as_str().unwrap().to_owned();
    (ticket, tracking, reference)
}

async fn bill(app: &TestApp, reference: &str) -> Value {
    json_of(app.get(&format!("/api/v1/bills/{reference}")).await, 200).await
}

async fn messages(app: &TestApp, topic: &str) -> Vec<onestop_domain::notify::Message> {
    app.store
        .outbox_messages(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message)
        .filter(|m| m.topic == topic)
        .collect()
}

async fn a_ticket_becomes_an_application_paid_at_the_bank_and_issued(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let ticket = serving(&app, &officer).await;

    // Accepting the documents: tracking number, deadline 10 working days on, the state fee billed.
    let created = accept(&app, &officer, ticket, acceptance()).await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let a: Value = created.json().await.unwrap();
    let tracking = a["tracking"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/applications/{tracking}"));
    assert!(tracking.starts_with("AS-2026-"), "{tracking}");
    assert_eq!((a["state"].as_str(), a["workflow"].as_str()), (Some("awaiting_payment"), Some("standard")));
    assert_eq!(a["documents"], json!(["Ərizə (mərkəzdə doldurulur)", "Köhnə şəxsiyyət vəsiqəsi"]));
    assert_eq!(a["deadline_on"], "2026-12-11", "10 working days from Saturday 28 November");
    let b = &a["bills"][0];
    assert_eq!(
        (b["state_fee"].as_i64(), b["total"].as_i64(), b["status"].as_str()),
        (Some(500), Some(500), Some("unpaid"))
    );
    let reference = b["reference"].as_str().unwrap().to_owned();
    assert_eq!(reference.len(), 12);
    let billed_notice = messages(&app, "case.billed").await;
    assert_eq!(billed_notice.len(), 1);
    assert!(
        billed_notice[0].body.contains(&reference) && billed_notice[0].body.contains(&tracking),
        "{}",
        billed_notice[0].body
    );
    assert_eq!(billed_notice[0].recipient, "ayan@example.org");

    // Accepting again: refused; with an idempotency key of its own it is still the same ticket.
    let again = problem(accept(&app, &officer, ticket, acceptance()).await, 409).await;
    assert!(again["detail"].as_str().unwrap().contains(&tracking));

    // Proceeding waits for the payment.
    let act = |action: &'static str| {
        officer
            .post(&app, &format!("/api/v1/applications/{tracking}/actions"))
            .json(&json!({"action": action}))
    };
    let refused = problem(act("proceed").send().await.unwrap(), 409).await;
    assert_eq!(refused["detail"], "the bill is not paid in full");

    // The citizen goes to the bank section: the ticket is parked for payment.
    window_post(&app, &officer, "park", json!({"ticket": ticket, "reason": "payment"})).await;
    let teller = staff(&app, "tariq", Role::BankTeller, None).await;
    let pay = |amount: i64, key: &'static str| {
        teller
            .post(&app, &format!("/api/v1/bills/{reference}/payments"))
            .header("idempotency-key", key)
            .json(&json!({"amount": amount}))
    };
    let paid = json_of(pay(500, "pay-1").send().await.unwrap(), 201).await;
    assert_eq!((paid["status"].as_str(), paid["paid_via"].as_str()), (Some("paid"), Some("bank")));
    // The same key replays the answer; the same key with another body is a conflict.
    let replay = pay(500, "pay-1").send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(replay, 201).await, paid);
    problem(pay(600, "pay-1").send().await.unwrap(), 409).await;
    // Paid: the ticket went back to window 1's queue, and is called first.
    let t = json_of(app.get(&format!("/api/v1/tickets/{ticket}")).await, 200).await;
    assert_eq!(t["state"], "waiting");
    let back = window_post(&app, &officer, "call-next", json!({})).await;
    assert_eq!((&back["ticket"]["id"], &back["rule"]), (&json!(ticket), &json!("returning")));
    assert_eq!(messages(&app, "case.paid").await.len(), 1);

    // Processing to issue, keyed: a retried action changes nothing.
    let keyed = officer
        .post(&app, &format!("/api/v1/applications/{tracking}/actions"))
        .header("idempotency-key", "proceed-1")
        .json(&json!({"action": "proceed"}));
    let moved = json_of(keyed.try_clone().unwrap().send().await.unwrap(), 200).await;
    assert_eq!(moved["state"], "in_processing");
    let retried = json_of(keyed.send().await.unwrap(), 200).await;
    assert_eq!(retried["history"].as_array().unwrap().len(), moved["history"].as_array().unwrap().len());
    json_of(act("ready").send().await.unwrap(), 200).await;

    // The applicant follows it by tracking number and ID: no personal data, what to do now.
    let track = |fin: &str| {
        app.client()
            .post(app.url("/api/v1/applications/track"))
            .json(&json!({"tracking": tracking, "fin": fin}))
    };
    let seen = json_of(track(FIN).send().await.unwrap(), 200).await;
    assert_eq!(seen["state"], "ready_for_collection");
    assert!(seen["applicant_name"].is_null() && seen["history"][0]["actor"].is_null());
    assert!(!seen["breached"].as_bool().unwrap());
    problem(track("1AAAAAA").send().await.unwrap(), 404).await;

    // The applicant comes to collect it: the info desk issues a collection ticket; a kiosk needs
    // the applicant's ID number.
    let desk = staff(&app, "dina", Role::InfoDesk, None).await;
    let collect = format!("/api/v1/applications/{tracking}/collection-ticket");
    let ticket2 = json_of(desk.post(&app, &collect).send().await.unwrap(), 201).await;
    assert_eq!((ticket2["state"].as_str(), ticket2["service"].as_str()), (Some("waiting"), Some(SERVICE)));
    let stored = app
        .store
        .ticket(onestop_domain::queue::ticket::TicketId(ticket2["id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ticket.origin, onestop_domain::queue::ticket::Origin::Collection);
    assert_eq!(stored.holder.unwrap().fin.reveal(), FIN);
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let by_kiosk = |fin: &str| {
        app.client().post(app.url(&collect)).bearer_auth(&kiosk).json(&json!({"fin": fin})).send()
    };
    problem(by_kiosk("1AAAAAA").await.unwrap(), 404).await;
    json_of(by_kiosk(FIN).await.unwrap(), 201).await;
    let issued = json_of(act("issue").send().await.unwrap(), 200).await;
    assert_eq!(issued["state"], "issued");
    let actions: Vec<&str> =
        issued["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["accept", "bill", "proceed", "ready", "issue"]);
    // A notice per status change: billed at acceptance, then proceed, ready and issue.
    assert_eq!(messages(&app, "case.status").await.len(), 3);
    for action in ["application.accept", "bill.pay", "application.proceed", "application.issue"] {
        assert_eq!(app.audit(action).await.len(), 1, "{action}");
    }
    // The day's money at the centre balances.
    let manager = staff(&app, "mira", Role::CentreManager, None).await;
    let r = json_of(
        manager
            .get(&app, &format!("/api/v1/centres/{CENTRE}/reconciliation?date=2026-11-28"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (r["issued"]["amount"].as_i64(), r["paid"]["amount"].as_i64(), r["closing_outstanding"].as_i64()),
        (Some(500), Some(500), Some(0))
    );
    assert_eq!(r["balanced"], true);
    assert_eq!(r["takers"][0]["taker"], "staff:tariq");
    app.stop().await;
}

/// A body for any route that might take money: every field a payment, refund, action or card
/// might read, the bill's own amount.
fn money_body(reference: &str, tracking: &str) -> Value {
    json!({
        "amount": 500, "currency": "AZN", "reference": reference, "tracking": tracking, "fin": FIN,
        "action": "proceed", "reason": "overpaid", "card_number": "4444333322221111",
        "cardholder_name": "A", "expiry_month": 12, "expiry_year": 2030, "cvc": "123",
    })
}

async fn no_route_lets_an_officer_take_money(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let (ticket, tracking, reference) = billed(&app, &officer).await;
    let form: Vec<(&str, String)> = vec![
        ("csrf", officer.csrf.clone()),
        ("reference", reference.clone()),
        ("amount", "500".into()),
        ("tracking", tracking.clone()),
        ("fin", FIN.into()),
        ("action", "proceed".into()),
        ("ticket", ticket.to_string()),
    ];
    let mut tried = 0;
    for spec in onestop_web::route_specs() {
        let reaches = match spec.access {
            Access::Public => true,
            Access::Requires(p) => Role::Officer.grants(p),
        };
        if !reaches || spec.method != axum::http::Method::POST {
            continue;
        }
        // Online payments are the citizen's own, through the acquirer, never an officer's record.
        if spec.path.starts_with("/api/v1/payments")
            || spec.path.starts_with("/pay/")
            || spec.path.starts_with("/bills/")
        {
            continue;
        }
        let path = spec
            .path
            .replace("{reference}", &reference)
            .replace("{tracking}", &tracking)
            .replace("{id}", &ticket.to_string())
            .replace("{code}", CENTRE);
        if path.contains('{') || path == "/sign-out" || path.starts_with("/account/") {
            continue;
        }
        tried += 1;
        let json = officer.post(&app, &path).json(&money_body(&reference, &tracking)).send().await.unwrap();
        assert_ne!(json.status().as_u16(), 201, "POST {path} created something with a payment body");
        let form = officer.post(&app, &path).form(&form).send().await.unwrap();
        assert!(form.status().as_u16() < 500, "POST {path}: {}", form.status());
        let b = bill(&app, &reference).await;
        assert_eq!(
            (b["paid"].as_i64(), b["status"].as_str()),
            (Some(0), Some("unpaid")),
            "after POST {path}"
        );
    }
    assert!(tried > 20, "the officer reached {tried} routes");
    // The payment route itself says why.
    let body = problem(
        officer
            .post(&app, &format!("/api/v1/bills/{reference}/payments"))
            .json(&json!({"amount": 500}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(body["detail"], "your role may not do this");
    assert!(
        !Role::Officer.grants(Permission::TakePayment) && !Role::AgencyAdmin.grants(Permission::TakePayment)
    );
    let r = app.store.reconciliation(CENTRE, jiff::civil::date(2026, 11, 28)).await.unwrap();
    assert_eq!((r.paid.count, r.issued.count), (0, 1));
    app.stop().await;
}

async fn racing_tellers_take_a_bill_once(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let (_, _, reference) = billed(&app, &officer).await;
    let mut tellers = Vec::new();
    for i in 0..6 {
        tellers.push(staff(&app, &format!("teller{i}"), Role::BankTeller, None).await);
    }
    let terminal = token_issue(app.store.as_ref(), "terminal", CENTRE.into(), None, None).await.unwrap().1;
    let mut calls: Vec<_> = tellers
        .iter()
        .map(|t| {
            t.post(&app, &format!("/api/v1/bills/{reference}/payments")).json(&json!({"amount": 500})).send()
        })
        .collect();
    calls.push(
        app.client()
            .post(app.url(&format!("/api/v1/bills/{reference}/payments")))
            .bearer_auth(&terminal)
            .json(&json!({"amount": 500}))
            .send(),
    );
    let answers = join_all(calls).await;
    let statuses: Vec<u16> = answers.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 409].contains(s)), "{statuses:?}");
    let b = bill(&app, &reference).await;
    assert_eq!((b["paid"].as_i64(), b["status"].as_str()), (Some(500), Some("paid")));
    let r = app.store.reconciliation(CENTRE, jiff::civil::date(2026, 11, 28)).await.unwrap();
    assert_eq!((r.paid.count, r.paid.amount), (1, 500));
    app.stop().await;
}

async fn an_online_payment_goes_through_the_sandbox_acquirer(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let (ticket, _, reference) = billed(&app, &officer).await;
    window_post(&app, &officer, "park", json!({"ticket": ticket, "reason": "payment"})).await;
    let create = |amount: i64, key: &'static str| {
        app.client().post(app.url("/api/v1/payments")).header("idempotency-key", key).json(
            &json!({"amount": amount, "reference": reference, "return_url": "https://example.org/back"}),
        )
    };
    let wrong = problem(create(400, "k0").send().await.unwrap(), 422).await;
    assert_eq!(wrong["detail"], "pay exactly 500 (minor units), not 400");
    let first = json_of(create(500, "k1").send().await.unwrap(), 201).await;
    let id = first["payment_id"].as_str().unwrap().to_owned();
    assert_eq!(
        (first["state"]["status"].as_str(), first["sandbox"].as_bool()),
        (Some("created"), Some(true))
    );
    assert_eq!(first["_links"]["next_url"]["href"], format!("/pay/{id}"));
    assert_eq!(json_of(create(500, "k1").send().await.unwrap(), 201).await["payment_id"], id.as_str());
    problem(
        create(500, "k1").json(&json!({"amount": 500, "reference": reference})).send().await.unwrap(),
        409,
    )
    .await;

    let card = |number: &str| json!({"card_number": number, "cardholder_name": "Ayan Aliyeva", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"});
    let submit = |id: &str, number: &str| {
        app.client().post(app.url(&format!("/api/v1/payments/{id}/pay"))).json(&card(number))
    };
    // A declined card fails the payment; nothing is paid.
    let declined = json_of(submit(&id, "4000 0000 0000 0002").send().await.unwrap(), 200).await;
    assert_eq!(
        (declined["state"]["status"].as_str(), declined["state"]["finished"].as_bool()),
        (Some("failed"), Some(true))
    );
    assert_eq!(bill(&app, &reference).await["status"], "unpaid");
    problem(submit(&id, "4444333322221111").send().await.unwrap(), 409).await;
    // A new payment with a good card: submitted, then confirmed.
    let second = json_of(create(500, "k2").send().await.unwrap(), 201).await;
    let id = second["payment_id"].as_str().unwrap().to_owned();
    problem(submit(&id, "4444333322221112").send().await.unwrap(), 422).await;
    let submitted = json_of(submit(&id, "4444 3333 2222 1111").send().await.unwrap(), 200).await;
    assert_eq!(
        (submitted["state"]["status"].as_str(), submitted["card"].as_str()),
        (Some("submitted"), Some("visa •••• 1111"))
    );
    let confirm = || app.client().post(app.url(&format!("/api/v1/payments/{id}/confirm")));
    let done = json_of(confirm().send().await.unwrap(), 200).await;
    assert_eq!(done["state"]["status"], "success");
    problem(confirm().send().await.unwrap(), 409).await;
    let b = bill(&app, &reference).await;
    assert_eq!((b["status"].as_str(), b["paid_via"].as_str()), (Some("paid"), Some("online")));
    assert_eq!(json_of(app.get(&format!("/api/v1/tickets/{ticket}")).await, 200).await["state"], "waiting");
    // A paid bill takes no new online payment.
    problem(create(500, "k3").send().await.unwrap(), 409).await;
    app.stop().await;
}

async fn refunds_are_asked_decided_and_paid_out_within_the_payment(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let (_, _, reference) = billed(&app, &officer).await;
    let teller = staff(&app, "tariq", Role::BankTeller, None).await;
    let manager = staff(&app, "mira", Role::CentreManager, None).await;
    let ask = |amount: i64| {
        officer
            .post(&app, &format!("/api/v1/bills/{reference}/refunds"))
            .json(&json!({"amount": amount, "reason": "wrongly_charged"}))
    };
    // Nothing paid yet: nothing to refund.
    assert_eq!(problem(ask(100).send().await.unwrap(), 422).await["field"], "amount");
    json_of(
        teller
            .post(&app, &format!("/api/v1/bills/{reference}/payments"))
            .json(&json!({"amount": 500}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let refund = json_of(ask(300).send().await.unwrap(), 201).await;
    let id = refund["id"].as_i64().unwrap();
    let over = problem(ask(300).send().await.unwrap(), 422).await;
    assert_eq!(over["detail"], "at most 200 (minor units) can still be refunded, not 300");
    // The officer may not decide; the teller may not execute before the manager approves.
    problem(officer.post(&app, &format!("/api/v1/refunds/{id}/approve")).send().await.unwrap(), 403).await;
    problem(teller.post(&app, &format!("/api/v1/refunds/{id}/execute")).send().await.unwrap(), 409).await;
    let approved =
        json_of(manager.post(&app, &format!("/api/v1/refunds/{id}/approve")).send().await.unwrap(), 200)
            .await;
    assert_eq!(approved["state"], "approved");
    let executed =
        json_of(teller.post(&app, &format!("/api/v1/refunds/{id}/execute")).send().await.unwrap(), 200).await;
    assert_eq!(
        (executed["state"].as_str(), executed["executed_by"].as_str()),
        (Some("executed"), Some("staff:tariq"))
    );
    assert_eq!(bill(&app, &reference).await["refunded"], 300);
    let listed = json_of(
        manager.get(&app, &format!("/api/v1/centres/{CENTRE}/refunds?state=executed")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let r = json_of(
        manager.get(&app, &format!("/api/v1/centres/{CENTRE}/reconciliation")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (r["refunded"]["amount"].as_i64(), r["net_collected"].as_i64(), r["balanced"].as_bool()),
        (Some(300), Some(200), Some(true))
    );
    // A teller of another centre may not execute refunds here.
    app.staff("elsewhere", Role::BankTeller, Some("GANJA-1"), None).await;
    let other = app.sign_in("elsewhere").await;
    problem(
        other
            .post(&app, &format!("/api/v1/bills/{reference}/refunds"))
            .json(&json!({"amount": 1, "reason": "overpaid"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    app.stop().await;
}

async fn refusals_name_the_cause_and_write_nothing(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let ticket = serving(&app, &officer).await;
    // Bad acceptances write nothing.
    for (body, field) in [
        (json!({"documents": []}), "documents"),
        (json!({"documents": ["a passport from Mars"]}), "documents"),
        (json!({"documents": ["1"], "email": "not-an-email"}), "email"),
        (json!({"documents": ["1"], "lang": "fr"}), "lang"),
    ] {
        assert_eq!(problem(accept(&app, &officer, ticket, body).await, 422).await["field"], field);
    }
    assert!(
        app.store
            .application_of_ticket(onestop_domain::queue::ticket::TicketId(ticket))
            .await
            .unwrap()
            .is_none()
    );
    // Another provider's officer may not accept it.
    let other = staff(&app, "omar", Role::Officer, Some("MOJ")).await;
    problem(accept(&app, &other, ticket, acceptance()).await, 403).await;

    let a = json_of(accept(&app, &officer, ticket, acceptance()).await, 201).await;
    let tracking = a["tracking"].as_str().unwrap();
    let reference = a["bills"][0]["reference"].as_str().unwrap();
    let teller = staff(&app, "tariq", Role::BankTeller, None).await;
    let pay = |amount: i64| {
        teller.post(&app, &format!("/api/v1/bills/{reference}/payments")).json(&json!({"amount": amount}))
    };
    for amount in [499, 501, 0] {
        let body = problem(pay(amount).send().await.unwrap(), 422).await;
        assert_eq!(body["field"], "amount", "{amount}");
    }
    problem(
        teller
            .post(&app, "/api/v1/bills/123456789012/payments")
            .json(&json!({"amount": 500}))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(bill(&app, reference).await["status"], "unpaid");
    json_of(pay(500).send().await.unwrap(), 201).await;
    assert_eq!(problem(pay(500).send().await.unwrap(), 409).await["detail"], "the bill is already paid");
    // An action the workflow gives another role, or does not know, or needs a reason for.
    let desk = staff(&app, "dina", Role::InfoDesk, None).await;
    let act = |who: &Session, body: Value| {
        who.post(&app, &format!("/api/v1/applications/{tracking}/actions")).json(&body).send()
    };
    let body = problem(act(&desk, json!({"action": "proceed"})).await.unwrap(), 403).await;
    assert_eq!(body["detail"], "a info_desk may not proceed an application");
    assert_eq!(
        problem(act(&officer, json!({"action": "teleport"})).await.unwrap(), 422).await["field"],
        "action"
    );
    assert_eq!(
        problem(act(&officer, json!({"action": "reject"})).await.unwrap(), 422).await["field"],
        "reason"
    );
    assert_eq!(
        problem(act(&officer, json!({"action": "issue"})).await.unwrap(), 409).await["detail"],
        "issue cannot be taken while the application is awaiting_payment"
    );
    let a =
        json_of(officer.get(&app, &format!("/api/v1/applications/{tracking}")).send().await.unwrap(), 200)
            .await;
    assert_eq!((a["state"].as_str(), a["history"].as_array().unwrap().len()), (Some("awaiting_payment"), 2));
    // Refunds above the payment, and delivery before a deadline-bearing state allows it.
    let over = teller
        .post(&app, &format!("/api/v1/bills/{reference}/refunds"))
        .json(&json!({"amount": 501, "reason": "overpaid"}));
    problem(over.send().await.unwrap(), 422).await;
    let no_reason = teller
        .post(&app, &format!("/api/v1/bills/{reference}/refunds"))
        .json(&json!({"amount": 1, "reason": "because"}));
    assert_eq!(problem(no_reason.send().await.unwrap(), 422).await["field"], "reason");
    let delivery = |fin: &str, address: &str| {
        app.client()
            .post(app.url(&format!("/api/v1/applications/{tracking}/delivery")))
            .json(&json!({"fin": fin, "address": address}))
    };
    problem(delivery("1AAAAAA", "Nizami 10, Baku").send().await.unwrap(), 404).await;
    assert_eq!(problem(delivery(FIN, "x").send().await.unwrap(), 422).await["field"], "address");
    let ordered = json_of(delivery(FIN, "Nizami 10, Baku").send().await.unwrap(), 200).await;
    assert_eq!(ordered["bills"][1]["purpose"], "delivery");
    assert!(ordered["delivery_address"].is_null(), "the applicant's view hides the address");
    problem(delivery(FIN, "Nizami 12, Baku").send().await.unwrap(), 409).await;
    // Nothing is ready to collect yet.
    let body = problem(
        desk.post(&app, &format!("/api/v1/applications/{tracking}/collection-ticket")).send().await.unwrap(),
        409,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("nothing to collect"), "{body}");
    app.stop().await;
}

async fn the_pages_follow_an_application_and_take_its_payment(db: &TestDb) {
    let app = app(db).await;
    let officer = staff(&app, "anna", Role::Officer, Some("MIA")).await;
    let ticket = serving(&app, &officer).await;
    // The officer accepts the documents with the form.
    let form = officer
        .get(&app, &format!("/staff/window/accept?ticket={ticket}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"name="document" value="2""#), "{form}");
    let accepted = officer
        .post(&app, "/staff/window/accept")
        .form(&[
            ("csrf", officer.csrf.as_str()),
            ("ticket", &ticket.to_string()),
            ("document", "1"),
            ("document", "3"),
            ("age", "15"),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    let a = app
        .store
        .application_of_ticket(onestop_domain::queue::ticket::TicketId(ticket))
        .await
        .unwrap()
        .unwrap();
    let location = accepted.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/staff/applications/{}", a.tracking));
    let page = officer.page(&app, &location).await;
    assert!(page.contains(&a.tracking), "{page}");
    // Under 16: the state fee is waived by the service's rule, with its reason.
    assert_eq!((a.bills[0].total, a.state.as_str()), (0, "accepted"));
    assert_eq!(a.bills[0].waivers[0].reason, "16 yaşınadək şəxslər");
    assert!(page.contains(r#"id="action-proceed""#), "{page}");

    // A fee-paying applicant: the bank section finds the bill and takes it.
    window_post(&app, &officer, "finish", json!({"ticket": ticket, "outcome": "served"})).await;
    let second = serving(&app, &officer).await;
    let b = json_of(accept(&app, &officer, second, acceptance()).await, 201).await;
    let reference = b["bills"][0]["reference"].as_str().unwrap().to_owned();
    let tracking = b["tracking"].as_str().unwrap().to_owned();
    let teller = staff(&app, "tariq", Role::BankTeller, None).await;
    let bank = teller
        .get(&app, &format!("/staff/bank?reference={reference}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bank.contains(r#"id="take-payment""#), "{bank}");
    let taken = teller
        .post(&app, "/staff/bank/pay")
        .form(&[("csrf", teller.csrf.as_str()), ("reference", &reference), ("amount", "500")])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 303);
    let location = taken.headers()["location"].to_str().unwrap().to_owned();
    let taken = teller.page(&app, &location).await;
    assert!(taken.contains(r#"id="paid-message""#), "{taken}");
    assert_eq!(bill(&app, &reference).await["status"], "paid");

    // The applicant's tracking page shows the state and what to do.
    let csrf_page = app.client().get(app.url("/track?lang=en")).send().await.unwrap();
    let cookie = csrf_page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let html = csrf_page.text().await.unwrap();
    let csrf = html.split(r#"name="csrf" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let tracked = app
        .client()
        .post(app.url("/track?lang=en"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("tracking", tracking.as_str()), ("fin", FIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status(), 200);
    let html = tracked.text().await.unwrap();
    assert!(html.contains(r#"data-state="awaiting_payment""#), "{html}");
    assert!(html.contains("Nothing to do now"), "{html}");
    // The reconciliation page balances.
    let manager = staff(&app, "mira", Role::CentreManager, None).await;
    let rec = manager.page(&app, "/staff/reconciliation?date=2026-11-28&lang=en").await;
    assert!(rec.contains("Balanced"), "{rec}");
    app.stop().await;
}
