//! Signing in and out, sessions, CSRF, throttling, passwords and staff administration, through
//! HTTP on both databases; and personal data kept off public endpoints.

#![allow(clippy::unwrap_used)]

mod support;

use jiff::SignedDuration;
use onestop_domain::audit::Outcome;
use onestop_domain::identity::Role;
use onestop_store_tests::TestDb;
use support::{PASSWORD, TestApp, problem, set_cookies};

on_both_databases!(
    sign_in_sets_a_strict_session_cookie,
    wrong_passwords_and_forms_without_csrf_are_refused_and_audited,
    state_changes_need_the_csrf_token,
    sessions_end_by_sign_out_idleness_and_age,
    failed_sign_ins_back_off_then_lock,
    people_change_their_own_password,
    an_admin_reset_forces_a_new_password,
    suspension_ends_sessions_and_stops_sign_in,
    centre_managers_manage_their_own_centre_only,
    personal_data_stays_off_public_endpoints,
);

async fn sign_in_sets_a_strict_session_cookie(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    let response = app.post_sign_in("aynur", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/staff");
    let cookie = set_cookies(&response).into_iter().find(|c| c.starts_with("onestop_session=")).unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP cannot carry a Secure cookie: {cookie}");
    let value = cookie.split(';').next().unwrap().trim_start_matches("onestop_session=");
    assert_eq!(value.len(), 64);

    // Behind a TLS proxy the cookie is Secure.
    let csrf = app.sign_in_csrf().await;
    let response = app
        .client()
        .post(app.url("/sign-in"))
        .header("cookie", format!("onestop_csrf={csrf}"))
        .header("x-forwarded-proto", "https")
        .form(&[("login", "aynur"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert!(
        set_cookies(&response).iter().any(|c| c.starts_with("onestop_session=") && c.contains("; Secure"))
    );

    let session = app.sign_in("aynur").await;
    let home = session.get(&app, "/staff").send().await.unwrap().text().await.unwrap();
    assert!(home.contains("aynur Məmmədov") && home.contains("agency administrator"), "{home}");
    let started = app.audit("session.start").await;
    assert_eq!(started.len(), 3);
    assert_eq!(started[0].event.actor, "staff:aynur");
    assert_eq!(started[0].event.origin.as_deref(), Some("127.0.0.1"));
    app.stop().await;
}

async fn wrong_passwords_and_forms_without_csrf_are_refused_and_audited(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    let response = app.post_sign_in("aynur", "not the password").await;
    assert_eq!(response.status(), 401);
    assert!(set_cookies(&response).iter().all(|c| !c.starts_with("onestop_session=")));
    let page = response.text().await.unwrap();
    assert!(page.contains("The login or password is wrong") && page.contains("role=\"alert\""), "{page}");
    let failed = app.audit("sign_in.fail").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].event.outcome, Outcome::Refused);
    assert_eq!(failed[0].event.record.as_deref(), Some("staff:aynur"));
    assert!(failed[0].event.summary.contains("wrong password"));

    // An unknown login is refused the same way.
    let response = app.post_sign_in("nobody", PASSWORD).await;
    assert_eq!(response.status(), 401);
    assert!(app.audit("sign_in.fail").await[0].event.summary.contains("unknown login"));

    // A form whose CSRF token does not match its cookie is refused before the password is looked at.
    let csrf = app.sign_in_csrf().await;
    let response = app
        .client()
        .post(app.url("/sign-in"))
        .header("cookie", format!("onestop_csrf={csrf}"))
        .form(&[("login", "aynur"), ("password", PASSWORD), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(set_cookies(&response).iter().all(|c| !c.starts_with("onestop_session=")));
    assert_eq!(app.audit("csrf.refused").await.len(), 1);
    assert!(app.audit("session.start").await.is_empty());
    app.stop().await;
}

async fn state_changes_need_the_csrf_token(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    app.staff("kamal", Role::InfoDesk, Some("AZ-B1"), None).await;
    let admin = app.sign_in("aynur").await;

    let without = app
        .client()
        .post(app.url("/admin/staff/kamal/suspend"))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    let body = problem(without, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("CSRF"), "{body}");
    let wrong = app
        .client()
        .post(app.url("/admin/staff/kamal/suspend"))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert!(problem(wrong, 403).await["detail"].as_str().unwrap().contains("CSRF token is missing or wrong"));
    assert_eq!(app.audit("csrf.refused").await.len(), 2);
    assert!(app.store.staff_by_login("kamal").await.unwrap().unwrap().0.active, "nothing changed");

    // The form field works as well as the header.
    let form = app
        .client()
        .post(app.url("/admin/staff/kamal/suspend"))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    assert!(!app.store.staff_by_login("kamal").await.unwrap().unwrap().0.active);
    let suspended = app.audit("staff.suspend").await;
    assert_eq!(suspended[0].event.summary, "status: active → suspended");
    assert_eq!(suspended[0].event.actor, "staff:aynur");
    app.stop().await;
}

async fn sessions_end_by_sign_out_idleness_and_age(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;

    let session = app.sign_in("aynur").await;
    let out = session.post(&app, "/sign-out").send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert!(set_cookies(&out).iter().any(|c| c.starts_with("onestop_session=;") && c.contains("Max-Age=0")));
    let body = problem(session.get(&app, "/api/v1/me").send().await.unwrap(), 401).await;
    assert_eq!(body["detail"], "the session was ended: sign in again");
    // A person's browser is sent to the sign-in page instead.
    let page = session.get(&app, "/staff").header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/sign-in?next=/staff");

    let idle = app.sign_in("aynur").await;
    app.advance(SignedDuration::from_mins(59));
    assert_eq!(idle.get(&app, "/api/v1/me").send().await.unwrap().status(), 200);
    app.advance(SignedDuration::from_mins(59));
    assert_eq!(idle.get(&app, "/api/v1/me").send().await.unwrap().status(), 200, "use keeps it alive");
    app.advance(SignedDuration::from_mins(61));
    let body = problem(idle.get(&app, "/api/v1/me").send().await.unwrap(), 401).await;
    assert_eq!(body["detail"], "the session timed out after inactivity: sign in again");

    let busy = app.sign_in("aynur").await;
    for _ in 0..24 {
        app.advance(SignedDuration::from_mins(30));
        let _ = busy.get(&app, "/api/v1/me").send().await.unwrap();
    }
    let body = problem(busy.get(&app, "/api/v1/me").send().await.unwrap(), 401).await;
    assert_eq!(body["detail"], "the session expired: sign in again");
    let refused = app.audit("access.refused").await;
    assert!(refused.iter().any(|e| e.event.summary.contains("the session expired")));
    assert!(refused.iter().any(|e| e.event.summary.contains("timed out")));
    assert!(refused.iter().any(|e| e.event.summary.contains("was ended")));
    app.stop().await;
}

async fn failed_sign_ins_back_off_then_lock(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    for _ in 0..3 {
        assert_eq!(app.post_sign_in("aynur", "wrong password!").await.status(), 401);
    }
    // A fourth attempt straight away must wait, even with the right password.
    let response = app.post_sign_in("aynur", PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(response.text().await.unwrap().contains("Try again in 1 seconds"));
    assert_eq!(app.audit("sign_in.throttled").await.len(), 1);

    // Keep failing, waiting out each back-off, until the login locks.
    let mut locked_at = None;
    for attempt in 4..=10 {
        app.advance(SignedDuration::from_secs(61));
        let response = app.post_sign_in("aynur", "wrong password!").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
        if attempt == 10 {
            locked_at = Some(app.now());
        }
    }
    assert_eq!(app.audit("sign_in.lock").await.len(), 1);
    app.advance(SignedDuration::from_mins(14));
    let response = app.post_sign_in("aynur", PASSWORD).await;
    assert_eq!(response.status(), 429, "locked even with the right password");
    assert_eq!(app.audit("sign_in.locked").await.len(), 1);
    assert!(app.audit("session.start").await.is_empty());

    app.advance((locked_at.unwrap() + SignedDuration::from_mins(15)).duration_since(app.now()));
    assert_eq!(app.post_sign_in("aynur", PASSWORD).await.status(), 303, "the lock is over");
    assert_eq!(app.store.sign_in_throttle("aynur").await.unwrap(), Default::default());
    app.stop().await;
}

async fn people_change_their_own_password(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("leyla", Role::InfoDesk, Some("AZ-B1"), None).await;
    let here = app.sign_in("leyla").await;
    let elsewhere = app.sign_in("leyla").await;

    let wrong = here
        .post(&app, "/account/password")
        .form(&[("current", "not it"), ("new", "leyla's new secret"), ("confirm", "leyla's new secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("The current password is wrong") && page.contains("href=\"#current\""), "{page}");
    let short = here
        .post(&app, "/account/password")
        .form(&[("current", PASSWORD), ("new", "short"), ("confirm", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    assert!(short.text().await.unwrap().contains("at least 12 characters"));

    let new = "a brand new passphrase";
    let done = here
        .post(&app, "/account/password")
        .form(&[("current", PASSWORD), ("new", new), ("confirm", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Your password was changed"));
    assert_eq!(here.get(&app, "/api/v1/me").send().await.unwrap().status(), 200, "this session goes on");
    assert_eq!(elsewhere.get(&app, "/api/v1/me").send().await.unwrap().status(), 401, "the other one ends");
    assert_eq!(app.post_sign_in("leyla", PASSWORD).await.status(), 401);
    assert_eq!(app.post_sign_in("leyla", new).await.status(), 303);
    let audited = app.audit("staff.password_change").await;
    assert_eq!(
        audited.iter().map(|e| e.event.outcome).collect::<Vec<_>>(),
        [Outcome::Done, Outcome::Refused]
    );
    app.stop().await;
}

async fn an_admin_reset_forces_a_new_password(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    app.staff("rashad", Role::Officer, Some("AZ-B1"), Some("MIA")).await;
    let admin = app.sign_in("aynur").await;
    let officer = app.sign_in("rashad").await;
    let temporary = "temporary passphrase 1";
    let reset = admin
        .post(&app, "/admin/staff/rashad/reset-password")
        .form(&[("password", temporary)])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert!(reset.text().await.unwrap().contains("The password of rashad was reset"));
    assert_eq!(
        officer.get(&app, "/api/v1/me").send().await.unwrap().status(),
        401,
        "the reset ended their sessions"
    );

    let response = app.post_sign_in("rashad", temporary).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account/password");
    let cookie = set_cookies(&response).into_iter().find(|c| c.starts_with("onestop_session=")).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let home = app
        .client()
        .get(app.url("/staff"))
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(home.headers()["location"], "/account/password", "nothing else until the password is changed");
    let form = app.client().get(app.url("/account/password")).header("cookie", &cookie).send().await.unwrap();
    assert!(form.text().await.unwrap().contains("Choose your own"));
    let api = app.client().get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(problem(api, 403).await["detail"], "set a new password first");
    let reset = app.audit("staff.password_reset").await;
    assert_eq!(
        (reset[0].event.actor.as_str(), reset[0].event.record.as_deref()),
        ("staff:aynur", Some("staff:rashad"))
    );
    app.stop().await;
}

async fn suspension_ends_sessions_and_stops_sign_in(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    app.staff("kamal", Role::BankTeller, Some("AZ-B1"), None).await;
    let admin = app.sign_in("aynur").await;
    let teller = app.sign_in("kamal").await;
    assert_eq!(admin.post(&app, "/admin/staff/kamal/suspend").send().await.unwrap().status(), 303);
    assert_eq!(teller.get(&app, "/api/v1/me").send().await.unwrap().status(), 401);
    assert_eq!(app.post_sign_in("kamal", PASSWORD).await.status(), 401);
    assert!(app.audit("sign_in.fail").await[0].event.summary.contains("account suspended"));
    assert_eq!(admin.post(&app, "/admin/staff/kamal/activate").send().await.unwrap().status(), 303);
    assert_eq!(app.post_sign_in("kamal", PASSWORD).await.status(), 303);
    let own = admin.post(&app, "/admin/staff/aynur/suspend").send().await.unwrap();
    assert_eq!(problem(own, 409).await["detail"], "you cannot suspend your own account");
    app.stop().await;
}

async fn centre_managers_manage_their_own_centre_only(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.staff("nigar", Role::CentreManager, Some("AZ-B1"), None).await;
    app.staff("own", Role::InfoDesk, Some("AZ-B1"), None).await;
    app.staff("other", Role::InfoDesk, Some("AZ-B2"), None).await;
    app.staff("boss", Role::AgencyAdmin, None, None).await;
    let manager = app.sign_in("nigar").await;

    let listed: serde_json::Value =
        manager.get(&app, "/api/v1/staff").send().await.unwrap().json().await.unwrap();
    let logins: Vec<_> = listed.as_array().unwrap().iter().map(|s| s["login"].as_str().unwrap()).collect();
    assert_eq!(logins, ["nigar", "own"]);

    assert_eq!(manager.post(&app, "/admin/staff/own/suspend").send().await.unwrap().status(), 303);
    let body = problem(manager.post(&app, "/admin/staff/other/suspend").send().await.unwrap(), 403).await;
    assert_eq!(body["detail"], "this belongs to another centre");
    let body = problem(manager.post(&app, "/admin/staff/boss/suspend").send().await.unwrap(), 403).await;
    assert_eq!(body["detail"], "this belongs to another centre", "a network-wide account is nobody's centre");
    assert!(app.store.staff_by_login("other").await.unwrap().unwrap().0.active);

    let add = |login: &'static str, role: &'static str, centre: &'static str| {
        manager.post(&app, "/admin/staff").form(&[
            ("login", login),
            ("full_name", "New Person"),
            ("role", role),
            ("centre", centre),
            ("password", "temporary passphrase 1"),
        ])
    };
    assert_eq!(add("newdesk", "info_desk", "AZ-B1").send().await.unwrap().status(), 303);
    let created = app.store.staff_by_login("newdesk").await.unwrap().unwrap().0;
    assert!(created.must_change_password);
    let body = problem(add("elsewhere", "info_desk", "AZ-B2").send().await.unwrap(), 403).await;
    assert_eq!(body["detail"], "this belongs to another centre");
    let body = problem(add("newadmin", "agency_admin", "").send().await.unwrap(), 403).await;
    assert_eq!(body["detail"], "this belongs to another centre");
    let invalid = add("x", "officer", "AZ-B1").send().await.unwrap();
    assert_eq!(invalid.status(), 400);
    let page = invalid.text().await.unwrap();
    assert!(page.contains("for the login") && page.contains("must be bound to a provider"), "{page}");
    assert!(app.store.staff_by_login("elsewhere").await.unwrap().is_none());
    let refusals =
        app.audit("staff").await.into_iter().filter(|e| e.event.outcome == Outcome::Refused).count();
    assert_eq!(refusals, 4, "two suspensions and two creations refused");
    app.stop().await;
}

async fn personal_data_stays_off_public_endpoints(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let people = [("5ZK7Q2M", "+994501234567"), ("1AB2C3D", "+994557654321"), ("7XYZ9QW", "+994701112233")];
    for (i, (fin, phone)) in people.iter().enumerate() {
        let login = format!("person{i}");
        app.staff_with(&login, Role::InfoDesk, Some("AZ-B1"), None, Some(fin), Some(phone)).await;
    }
    app.staff("aynur", Role::AgencyAdmin, None, None).await;
    app.staff("nigar", Role::CentreManager, Some("AZ-B1"), None).await;
    // Sign-in attempts with those accounts put their records in the audit trail too.
    let _ = app.post_sign_in("person0", "wrong password!").await;

    let leaks =
        |body: &str| people.iter().any(|(fin, phone)| body.contains(fin) || body.contains(&phone[1..]));
    for spec in onestop_web::route_specs() {
        if spec.access != onestop_web::routes::Access::Public || spec.method != axum::http::Method::GET {
            continue;
        }
        let path = spec.path.replace("{*path}", "onestop.css");
        let body = app.get(&path).await.text().await.unwrap();
        assert!(!leaks(&body), "GET {} shows personal data", spec.path);
    }
    // Staff lists mask them for a centre manager and show them to an agency admin.
    let manager = app.sign_in("nigar").await;
    let masked = manager.get(&app, "/api/v1/staff").send().await.unwrap().text().await.unwrap();
    assert!(!leaks(&masked), "{masked}");
    assert!(masked.contains("*****2M") && masked.contains("+99450*****67"), "{masked}");
    let page = manager.get(&app, "/admin/staff").send().await.unwrap().text().await.unwrap();
    assert!(!leaks(&page));
    let admin = app.sign_in("aynur").await;
    let full = admin.get(&app, "/api/v1/staff").send().await.unwrap().text().await.unwrap();
    assert!(full.contains("5ZK7Q2M") && full.contains("+994557654321"));
    // The audit trail never records them either.
    let audit = admin.get(&app, "/api/v1/audit?limit=500").send().await.unwrap().text().await.unwrap();
    assert!(!leaks(&audit), "{audit}");
    app.stop().await;
}
