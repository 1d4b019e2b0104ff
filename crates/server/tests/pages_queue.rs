//! The queue's pages and screens over real HTTP on both databases, on the ASAN demo catalogue: the
//! printed ticket, pairing a screen and what its cookie may do, the public live queues and the
//! comparison of centres, the officer console and the info desk, in all three languages.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use onestop_web::i18n::{Catalog, LANGUAGES};
use serde_json::{Value, json};
use support::{TestApp, problem, set_cookies};

on_both_databases!(
    the_printed_ticket_has_the_number_the_qr_code_and_the_80mm_page,
    a_paired_kiosk_issues_only_with_the_device_header,
    the_pages_speak_three_languages,
    the_comparison_puts_the_fastest_centre_first,
    staff_pages_show_what_the_role_may_use,
);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";
const FIN: &str = "5ABC12K";

async fn app(db: &TestDb) -> TestApp {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app
}

async fn device(app: &TestApp, kind: &str, centre: &str, window: Option<&str>) -> String {
    token_issue(app.store.as_ref(), kind, centre.into(), window.map(Into::into), None).await.unwrap().1
}

/// Issues a ticket at `centre` with a kiosk's bearer token; answers the TicketView.
async fn issue(app: &TestApp, kiosk: &str, centre: &str) -> Value {
    let response = app
        .client()
        .post(app.url(&format!("/api/v1/centres/{centre}/tickets")))
        .bearer_auth(kiosk)
        .json(&json!({ "service": SERVICE, "id_card": FIN }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn text(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200, "{}", response.url());
    response.text().await.unwrap()
}

async fn the_printed_ticket_has_the_number_the_qr_code_and_the_80mm_page(db: &TestDb) {
    let app = app(db).await;
    let kiosk = device(&app, "kiosk", CENTRE, None).await;
    let first = issue(&app, &kiosk, CENTRE).await;
    let ticket = issue(&app, &kiosk, CENTRE).await;
    let id = ticket["id"].as_i64().unwrap();
    let number = ticket["number"].as_str().unwrap();
    assert_ne!(number, first["number"].as_str().unwrap());

    let page = text(app.get(&format!("/tickets/{id}/print?lang=en")).await).await;
    assert!(page.contains("@page { size: 80mm auto; margin: 0; }"), "{page}");
    assert!(page.contains(&format!("</span> {number}</h1>")), "the big number: {page}");
    assert!(page.contains("Issue and renewal of identity cards"), "the service");
    assert!(page.contains("Window 1, floor 1"), "the windows that serve it: {page}");
    // One person is ahead; the clock stands at 09:00 UTC, 13:00 in Baku.
    assert!(page.contains("<dt>People ahead</dt>\n    <dd>1</dd>"), "{page}");
    assert!(page.contains("28 Nov 2026, 13:00"), "issue time in the centre's zone: {page}");
    // The QR code is inline SVG of the public ticket page, whose address is also printed.
    let svg = page.split("<div class=\"os-print__qr\">").nth(1).unwrap();
    assert!(
        svg.starts_with("<svg class=\"os-qr\" role=\"img\" aria-label=\"QR code of this ticket's page\"")
    );
    assert!(svg.contains("<path"), "QR modules are drawn");
    let printed = format!("http://127.0.0.1:8080/tickets/{id}").replace('/', "&#x2f;");
    assert!(page.contains(&format!("{printed}</p>")), "the address under the code: {page}");
    assert!(!page.contains("print.js"), "prints itself only when asked");
    assert!(text(app.get(&format!("/tickets/{id}/print?auto=1")).await).await.contains("print.js"));

    // The same ticket in Azerbaijani: the local date format and the words.
    let az = text(app.get(&format!("/tickets/{id}/print?lang=az")).await).await;
    assert!(az.contains("28.11.2026 13:00"), "{az}");
    assert!(az.contains("1 saylı pəncərə, mərtəbə 1"), "{az}");

    // An unknown ticket, or something that is not a ticket id, is a 404 page.
    assert_eq!(app.get("/tickets/999999/print").await.status(), 404);
    assert_eq!(app.get("/tickets/1%3Fx=1/print").await.status(), 404);
    app.stop().await;
}

/// The `name=value` of the cookie `name` that `response` sets, and the whole header.
fn cookie_set(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    set_cookies(response).into_iter().find(|c| c.starts_with(&format!("{name}="))).map(|header| {
        let pair = header.split(';').next().unwrap().to_owned();
        (pair, header)
    })
}

async fn a_paired_kiosk_issues_only_with_the_device_header(db: &TestDb) {
    let app = app(db).await;
    let kiosk = device(&app, "kiosk", CENTRE, None).await;
    let form = app.get("/screens/pair").await;
    let (csrf_cookie, _) = cookie_set(&form, "onestop_csrf").unwrap();
    let csrf = csrf_cookie.trim_start_matches("onestop_csrf=").to_owned();
    assert!(form.text().await.unwrap().contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    let pair = |token: &str, csrf: &str| {
        app.client()
            .post(app.url("/screens/pair"))
            .header("cookie", &csrf_cookie)
            .form(&[("token", token), ("csrf", csrf)])
            .send()
    };

    // A wrong token is refused and sets no device cookie; so is a form without its CSRF token.
    let refused = pair("ost_not-a-token", &csrf).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(cookie_set(&refused, "onestop_device").is_none());
    assert!(refused.text().await.unwrap().contains("This token is not known or was revoked."));
    let forged = pair(&kiosk, "forged").await.unwrap();
    assert_eq!(forged.status(), 403);
    assert!(cookie_set(&forged, "onestop_device").is_none());

    let paired = pair(&kiosk, &csrf).await.unwrap();
    assert_eq!(paired.status(), 303);
    assert_eq!(paired.headers()["location"], "/screens/kiosk");
    let (device_cookie, header) = cookie_set(&paired, "onestop_device").unwrap();
    assert_eq!(device_cookie, format!("onestop_device={kiosk}"));
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict"), "{header}");
    let paired_audit = app.audit("device.pair").await;
    let summaries: Vec<_> = paired_audit.iter().map(|e| (&e.event.summary, e.event.outcome)).collect();
    assert_eq!(paired_audit.len(), 2, "the refusal and the pairing: {summaries:?}");
    assert!(!paired_audit.iter().any(|e| e.event.summary.contains(&kiosk)), "the token is never logged");

    // The kiosk screen opens with the cookie alone and lists the centre's services.
    let screen = text(
        app.client().get(app.url("/screens/kiosk")).header("cookie", &device_cookie).send().await.unwrap(),
    )
    .await;
    assert!(screen.contains(&format!("data-service=\"{SERVICE}\"")));
    assert!(screen.contains("\"centre\":\"BAKU-1\""));

    // Issuing with the cookie but without the header is refused, and nothing is issued.
    let issue_with = |header: Option<&str>| {
        let mut request = app
            .client()
            .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
            .header("cookie", &device_cookie)
            .json(&json!({ "service": SERVICE, "id_card": FIN }));
        if let Some(value) = header {
            request = request.header("x-onestop-device", value);
        }
        request.send()
    };
    for header in [None, Some("0")] {
        let body = problem(issue_with(header).await.unwrap(), 403).await;
        assert_eq!(
            body["detail"],
            "a paired screen's requests that change anything must carry the header x-onestop-device: 1"
        );
    }
    let queue: Value = app.get(&format!("/api/v1/centres/{CENTRE}/queue")).await.json().await.unwrap();
    let waiting = |q: &Value| {
        q["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == SERVICE)
            .map(|s| s["waiting"].as_u64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(waiting(&queue), 0);
    assert_eq!(app.audit("csrf.refused").await.len(), 3, "the forged pairing and the two without the header");

    let issued = issue_with(Some("1")).await.unwrap();
    assert_eq!(issued.status(), 201);
    let ticket: Value = issued.json().await.unwrap();
    assert_eq!(ticket["centre"], CENTRE);
    let queue: Value = app.get(&format!("/api/v1/centres/{CENTRE}/queue")).await.json().await.unwrap();
    assert_eq!(waiting(&queue), 1);
    let issue_audit = app.audit("ticket.issue").await;
    assert!(issue_audit[0].event.actor.starts_with("device:"), "{:?}", issue_audit[0].event);

    // The pairing page knows this browser; a revoked token sends the screen back to it.
    let again = text(
        app.client()
            .get(app.url("/screens/pair?lang=en"))
            .header("cookie", &device_cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(again.contains("It is a kiosk screen of centre BAKU-1."), "{again}");
    let id = app.audit("device.pair").await[0].event.actor.trim_start_matches("device:").parse().unwrap();
    onestop_server::admin::token_revoke(app.store.as_ref(), id).await.unwrap();
    let gone = app
        .client()
        .get(app.url("/screens/kiosk"))
        .header("cookie", &device_cookie)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 303);
    assert_eq!(gone.headers()["location"], "/screens/pair");
    app.stop().await;
}

async fn the_pages_speak_three_languages(db: &TestDb) {
    let app = app(db).await;
    let catalog = Catalog::new();
    let kiosk = device(&app, "kiosk", CENTRE, None).await;
    let hall = device(&app, "display", CENTRE, None).await;
    let window = device(&app, "display", CENTRE, Some("1")).await;
    let ticket = issue(&app, &kiosk, CENTRE).await;
    let id = ticket["id"].as_i64().unwrap();
    app.staff("officer", Role::Officer, Some(CENTRE), Some("MIA")).await;
    app.staff("desk", Role::InfoDesk, Some(CENTRE), None).await;
    let officer = app.sign_in("officer").await;
    let desk = app.sign_in("desk").await;

    let pages: Vec<(String, Option<String>, &str)> = vec![
        ("/queues".into(), None, "queues-title"),
        (format!("/queues/compare?service={SERVICE}"), None, "compare-title"),
        (format!("/tickets/{id}"), None, "ticket-state-waiting"),
        (format!("/tickets/{id}/print"), None, "ticket-follow"),
        ("/screens/pair".into(), None, "pair-title"),
        ("/screens/kiosk".into(), Some(format!("onestop_device={kiosk}")), "kiosk-pick-service"),
        ("/screens/hall".into(), Some(format!("onestop_device={hall}")), "hall-calls"),
        ("/screens/window".into(), Some(format!("onestop_device={window}")), "window-free"),
        ("/staff/window".into(), Some(officer.cookie.clone()), "officer-sign-in"),
        ("/staff/desk".into(), Some(desk.cookie.clone()), "desk-documents"),
    ];
    for lang in LANGUAGES {
        for (path, cookie, key) in &pages {
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut request = app.client().get(app.url(&format!("{path}{sep}lang={lang}")));
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let body = text(request.send().await.unwrap()).await;
            assert!(body.contains(&format!("<html lang=\"{lang}\">")), "{lang} {path}");
            let words = catalog.text(lang, key, &[]);
            let escaped = words.replace('"', "&quot;");
            assert!(body.contains(&words) || body.contains(&escaped), "{lang} {path} lacks {key} ({words})");
        }
    }
    // The window display is bound to its window; a hall display asking for it gets the hall.
    let screen = text(
        app.client()
            .get(app.url("/screens/window"))
            .header("cookie", format!("onestop_device={window}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(screen.contains("\"window\":\"BAKU-1:1\""), "{screen}");
    let hall_window = app
        .client()
        .get(app.url("/screens/window"))
        .header("cookie", format!("onestop_device={hall}"))
        .send()
        .await
        .unwrap();
    assert_eq!(hall_window.status(), 303);
    assert_eq!(hall_window.headers()["location"], "/screens/hall");
    app.stop().await;
}

async fn the_comparison_puts_the_fastest_centre_first(db: &TestDb) {
    let app = app(db).await;
    // Windows open at two centres; three people wait at BAKU-1 and nobody at BAKU-2.
    for (login, centre) in [("one", "BAKU-1"), ("two", "BAKU-2")] {
        app.staff(login, Role::Officer, Some(centre), Some("MIA")).await;
        let session = app.sign_in(login).await;
        let signed = session.post(&app, &format!("/api/v1/windows/{centre}:1/sign-in")).send().await.unwrap();
        assert_eq!(signed.status(), 200, "{centre}: {}", signed.text().await.unwrap());
    }
    let kiosk = device(&app, "kiosk", "BAKU-1", None).await;
    for _ in 0..3 {
        issue(&app, &kiosk, "BAKU-1").await;
    }
    let api: Value = app.get(&format!("/api/v1/services/{SERVICE}/queues")).await.json().await.unwrap();
    let centres = api["centres"].as_array().unwrap();
    assert_eq!(centres[0]["centre"], "BAKU-2");
    assert_eq!(centres[1]["centre"], "BAKU-1");
    let gap = centres[1]["predicted_wait_minutes"].as_i64().unwrap()
        - centres[0]["predicted_wait_minutes"].as_i64().unwrap();
    assert!(gap > 0, "{api}");

    let page = text(app.get(&format!("/queues/compare?service={SERVICE}&lang=en")).await).await;
    let headline = format!(
        "Baku ASAN Service Centre No. 2 is {gap} minutes faster than Baku ASAN Service Centre No. 1."
    );
    assert!(page.contains(&headline), "{page}");
    let two = page.find("href=\"/centres/BAKU-2\"").unwrap();
    let one = page.find("href=\"/centres/BAKU-1\"").unwrap();
    assert!(two < one, "the fastest first");
    assert!(page.contains(&format!("{gap} min faster than Baku ASAN Service Centre No. 1")));

    // The live queues list every centre with its waiting count, and link the comparison.
    let queues = text(app.get("/queues?lang=en").await).await;
    let row = queues.split("href=\"/centres/BAKU-1\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("<td>3</td><td>1</td>"), "3 waiting, 1 open window: {row}");
    assert!(queues.contains(&format!("href=\"/queues/compare?service={SERVICE}\"")));
    // The home page and the service page lead there; the service page also to booking it.
    assert!(text(app.get("/").await).await.contains("href=\"/queues\""));
    let service = text(app.get(&format!("/services/{SERVICE}")).await).await;
    assert!(service.contains(&format!("/queues/compare?service={SERVICE}")));
    assert!(service.contains(&format!("id=\"book-service\" href=\"/book/{SERVICE}\"")), "{service}");
    app.stop().await;
}

async fn staff_pages_show_what_the_role_may_use(db: &TestDb) {
    let app = app(db).await;
    app.staff("officer", Role::Officer, Some(CENTRE), Some("MIA")).await;
    app.staff("desk", Role::InfoDesk, Some(CENTRE), None).await;
    let officer = app.sign_in("officer").await;
    let desk = app.sign_in("desk").await;

    let home = text(officer.get(&app, "/staff").send().await.unwrap()).await;
    // Navigation links are HTML-escaped: `/` is `&#x2f;`.
    let (console_link, desk_link) = ("href=\"&#x2f;staff&#x2f;window\"", "href=\"&#x2f;staff&#x2f;desk\"");
    assert!(home.contains(console_link) && !home.contains(desk_link), "{home}");
    let home = text(desk.get(&app, "/staff").send().await.unwrap()).await;
    assert!(home.contains(desk_link) && !home.contains(console_link), "{home}");

    // The console offers the windows of the officer's provider only, and carries the CSRF token.
    let console = text(officer.get(&app, "/staff/window?lang=en").send().await.unwrap()).await;
    for number in 1..=6 {
        assert!(console.contains(&format!("value=\"BAKU-1:{number}\"")), "MIA window {number}");
    }
    assert!(!console.contains("value=\"BAKU-1:7\""), "window 7 is the Ministry of Justice's");
    assert!(console.contains(&format!("\"csrf\":\"{}\"", officer.csrf)));
    assert!(console.contains("\"login\":\"officer\""));

    // The desk lists the service's required documents for the ticks.
    let page = text(desk.get(&app, "/staff/desk?lang=en").send().await.unwrap()).await;
    let catalogue = onestop_domain::catalogue::parse_catalogue(DEMO_CATALOGUE).unwrap();
    let service = catalogue.service(SERVICE).unwrap();
    assert!(!service.documents.is_empty());
    let config = page.split("<script type=\"application/json\" id=\"os-config\">").nth(1).unwrap();
    let config: Value = serde_json::from_str(config.split("</script>").next().unwrap()).unwrap();
    let offered = config["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["services"].as_array().unwrap().iter())
        .find(|s| s["code"] == SERVICE)
        .unwrap();
    let names: Vec<&str> = service.documents.iter().map(|d| d.name.get("en").unwrap()).collect();
    assert_eq!(offered["documents"], json!(names));
    // The info desk's ticket needs every document ticked: the API refuses one short.
    let short = desk
        .post(&app, &format!("/api/v1/centres/{CENTRE}/tickets"))
        .json(&json!({ "service": SERVICE, "id_card": FIN, "documents": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    app.stop().await;
}
