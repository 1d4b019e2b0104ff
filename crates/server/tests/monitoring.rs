//! Monitoring over real HTTP on both databases, on the ASAN demo catalogue: tickets served and
//! rated become statistics (the same before and after the fold), the dashboard draws them, the
//! officer's appraisal counts them and takes a manager's comment, the ASAN Service Index scores
//! every demo service with its breakdown, and reports come out as XLSX and PDF — written to
//! `target/reports/` for CI to open with openpyxl and pypdf.

#![allow(clippy::unwrap_used)]

mod support;

use jiff::SignedDuration;
use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use serde_json::{Value, json};
use support::{Session, TestApp, problem};

on_both_databases!(statistics_appraisals_index_and_reports_follow_the_recorded_events);

const CENTRE: &str = "BAKU-1";
const SERVICE: &str = "MIA-ID-CARD";

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn get_json(app: &TestApp, who: &Session, path: &str) -> Value {
    json_of(who.get(app, path).send().await.unwrap(), 200).await
}

/// Where CI finds the files it opens.
fn reports_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn statistics_appraisals_index_and_reports_follow_the_recorded_events(db: &TestDb) {
    let backend = if db.url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app.staff("rashad", Role::Officer, Some(CENTRE), Some("MIA")).await;
    app.staff("ayla", Role::MonitoringAnalyst, None, None).await;
    app.staff("manager", Role::CentreManager, Some(CENTRE), None).await;
    app.staff("ganja.manager", Role::CentreManager, Some("GANJA-1"), None).await;
    let officer = app.sign_in("rashad").await;
    let mut analyst = app.sign_in("ayla").await;
    let mut manager = app.sign_in("manager").await;
    let elsewhere = app.sign_in("ganja.manager").await;
    json_of(officer.post(&app, &format!("/api/v1/windows/{CENTRE}:1/sign-in")).send().await.unwrap(), 200)
        .await;
    let kiosk = token_issue(app.store.as_ref(), "kiosk", CENTRE.into(), None, None).await.unwrap().1;
    let tablet =
        token_issue(app.store.as_ref(), "tablet", CENTRE.into(), Some("1".into()), None).await.unwrap().1;

    // Three tickets issued at once, called after 4, 7 and 12 minutes, each served in 2 minutes.
    let mut ids = Vec::new();
    for _ in 0..3 {
        let issued = app
            .client()
            .post(app.url(&format!("/api/v1/centres/{CENTRE}/tickets")))
            .bearer_auth(&kiosk)
            .json(&json!({"service": SERVICE, "id_card": "5ABC12K"}))
            .send()
            .await
            .unwrap();
        ids.push(json_of(issued, 201).await["id"].as_i64().unwrap());
    }
    let step = |action: &str, body: Value| {
        officer.post(&app, &format!("/api/v1/windows/{CENTRE}:1/{action}")).json(&body).send()
    };
    for (i, wait) in [4, 1, 3].into_iter().enumerate() {
        app.advance(SignedDuration::from_mins(wait));
        let called = json_of(step("call-next", json!({})).await.unwrap(), 200).await;
        assert_eq!(called["ticket"]["id"], ids[i]);
        json_of(step("start", json!({"ticket": ids[i]})).await.unwrap(), 200).await;
        app.advance(SignedDuration::from_mins(2));
        json_of(step("finish", json!({"ticket": ids[i], "outcome": "served"})).await.unwrap(), 200).await;
        if i < 2 {
            let rating = app
                .client()
                .post(app.url(&format!("/api/v1/tickets/{}/rating", ids[i])))
                .bearer_auth(&tablet)
                .json(&json!({"score": if i == 0 { 5 } else { 2 }}))
                .send()
                .await
                .unwrap();
            json_of(rating, 201).await;
        }
    }

    // The figures, by centre: waits of 4, 7 and 12 minutes → median 7:00, p90 12:00.
    let by_centre = "/api/v1/statistics?by=centre&from=2026-11-28&to=2026-11-28";
    let stats = get_json(&app, &analyst, by_centre).await;
    let row = &stats["rows"][0];
    assert_eq!(
        (row["key"].as_str(), row["visits"].as_u64(), row["served"].as_u64()),
        (Some(CENTRE), Some(3), Some(3))
    );
    assert_eq!((row["wait_p50_secs"].as_i64(), row["wait_p90_secs"].as_i64()), (Some(420), Some(720)));
    assert_eq!(row["service_p50_secs"], 120);
    let ratings =
        get_json(&app, &analyst, "/api/v1/statistics?cuboid=ratings&from=2026-11-28&to=2026-11-28").await;
    assert_eq!(
        (ratings["rows"][0]["ratings"].as_u64(), ratings["rows"][0]["satisfaction_percent"].as_f64()),
        (Some(2), Some(50.0))
    );
    // The same as CSV.
    let csv = analyst.get(&app, &format!("{by_centre}&format=csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("key,name,tickets,visits,called,served"), "{csv}");
    assert!(csv.contains("BAKU-1,") && csv.contains(",420,720,"), "{csv}");
    // A centre manager sees their centre only; another centre's is refused.
    let own = get_json(&app, &manager, "/api/v1/statistics?from=2026-11-28&to=2026-11-28").await;
    assert_eq!((own["centre"].as_str(), own["rows"][0]["visits"].as_u64()), (Some(CENTRE), Some(3)));
    problem(elsewhere.get(&app, &format!("{by_centre}&centre={CENTRE}")).send().await.unwrap(), 403).await;
    problem(officer.get(&app, by_centre).send().await.unwrap(), 403).await;
    problem(app.get(by_centre).await, 401).await;
    let bad = analyst.get(&app, "/api/v1/statistics?cuboid=flow&by=officer").send().await.unwrap();
    assert_eq!(problem(bad, 400).await["field"], "by");

    // The next day, after the fold: the same figures, now from the rollups.
    app.advance(SignedDuration::from_hours(24));
    analyst = app.sign_in("ayla").await;
    manager = app.sign_in("manager").await;
    let folded = json_of(analyst.post(&app, "/api/v1/statistics/fold").send().await.unwrap(), 200).await;
    assert!(folded["days"].as_u64().unwrap() >= 1, "{folded}");
    assert_eq!(get_json(&app, &analyst, by_centre).await, stats);
    problem(manager.post(&app, "/api/v1/statistics/fold").send().await.unwrap(), 403).await;

    // The dashboard: charts as SVG and the same numbers as tables.
    let page = analyst.get(&app, "/monitoring?from=2026-11-01&to=2026-11-30").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for needle in [
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="os-chart" id="heat""#,
        r#"id="waits""#,
        r#"id="mix""#,
        r#"id="deadlines""#,
        r#"id="by-service""#,
        "7:00",
        "12:00",
        "50.0 %",
    ] {
        assert!(page.contains(needle), "the dashboard lacks {needle}");
    }
    let live = analyst.page(&app, "/monitoring/live").await;
    assert!(live.contains(r#"href="/monitoring?centre=BAKU-1""#), "{live}");

    // A complaint about the officer, upheld by the department.
    let complaint = app
        .client()
        .post(app.url("/api/v1/complaints"))
        .json(&json!({"category": "staff_conduct", "subject_kind": "officer", "subject": "rashad", "text": "Rude", "email": "a@b.az"}))
        .send()
        .await
        .unwrap();
    let reference = json_of(complaint, 201).await["reference"].as_str().unwrap().to_owned();
    let verdict =
        analyst.post(&app, &format!("/api/v1/complaints/{reference}/verdict")).json(&json!({"upheld": true}));
    assert_eq!(verdict.send().await.unwrap().status(), 204);

    // The appraisal of November: three served, two ratings, one upheld complaint, a score.
    let appraisals = get_json(&app, &analyst, "/api/v1/appraisals?period=2026-11").await;
    let rashad =
        appraisals["rows"].as_array().unwrap().iter().find(|r| r["officer"] == "rashad").unwrap().clone();
    assert_eq!(
        (rashad["served"].as_u64(), rashad["ratings"].as_u64(), rashad["upheld"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(rashad["median_service_secs"], 120);
    let demo = onestop_domain::catalogue::parse_catalogue(DEMO_CATALOGUE).unwrap();
    let norm = demo.service(SERVICE).unwrap().handling_minutes * 60;
    assert_eq!(rashad["norm_secs"], norm, "the demo's handling time of an ID card");
    assert!(rashad["score"].as_f64().unwrap() > 0.0, "{rashad}");
    let comment = manager
        .post(&app, "/api/v1/appraisals/rashad/comments")
        .json(&json!({"period": "2026-11", "body": "Yaxşı iş — good work"}));
    json_of(comment.send().await.unwrap(), 201).await;
    let refused = analyst
        .post(&app, "/api/v1/appraisals/rashad/comments")
        .json(&json!({"period": "2026-11", "body": "x"}));
    problem(refused.send().await.unwrap(), 403).await;
    let detail = get_json(&app, &manager, "/api/v1/appraisals/rashad?period=2026-11").await;
    assert_eq!(detail["comments"][0]["body"], "Yaxşı iş — good work");
    assert_eq!(detail["history"].as_array().unwrap().len(), 18, "12 months, 4 quarters, 2 years");
    assert_eq!(detail["current"]["served"], 3);
    let csv = analyst.page(&app, "/api/v1/appraisals?period=2026-11&format=csv").await;
    assert!(csv.lines().any(|l| l.starts_with("rashad,")), "{csv}");

    // The Index of the quarter, computed and stored for every demo service with its breakdown.
    let index = json_of(
        analyst
            .post(&app, "/api/v1/index/compute")
            .json(&json!({"quarter": "2026-Q4"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let services = index["services"].as_array().unwrap();
    let demo = demo.services.len();
    assert_eq!(services.len(), demo);
    assert!(index["stored"].as_bool().unwrap());
    for s in services {
        assert_eq!(s["parameters"].as_array().unwrap().len(), 6, "{s}");
        assert_eq!(s["methodology"], "asan-index/1");
        assert_eq!(s["breakdown"]["methodology"], "asan-index/1");
        let total = s["total"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&total), "{s}");
    }
    let id_card = services.iter().find(|s| s["service"] == SERVICE).unwrap();
    assert_eq!(id_card["parameters"][5], 50.0, "satisfaction: one of two ratings was 4 or 5");
    assert_eq!(id_card["breakdown"]["duration"]["waits"], 3);
    assert!(!index["providers"].as_array().unwrap().is_empty());
    let training = analyst
        .post(&app, "/api/v1/index/training")
        .json(&json!({"quarter": "2026-Q4", "provider": "MIA", "hours": 12.5}));
    assert_eq!(training.send().await.unwrap().status(), 204);
    let public: Value = app.get("/api/v1/index?quarter=2026-Q4").await.json().await.unwrap();
    assert_eq!(public["services"].as_array().unwrap().len(), demo);
    assert_eq!(public["training"], json!([["MIA", 12.5]]));
    let transparency = app.get("/transparency?from=2026-11-01&to=2026-11-30").await.text().await.unwrap();
    assert!(transparency.contains(r#"id="index-providers""#) && transparency.contains(r#"id="waits""#));

    // Reports of November: XLSX and PDF, for the network and the centre.
    let dir = reports_dir();
    for (name, media, magic) in [
        ("network.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &b"PK"[..]),
        ("network.pdf", "application/pdf", &b"%PDF-"[..]),
        ("BAKU-1.pdf", "application/pdf", &b"%PDF-"[..]),
    ] {
        let response = analyst.get(&app, &format!("/api/v1/reports/2026-11/{name}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.headers()["content-type"], media);
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{name}");
        std::fs::write(dir.join(format!("{backend}-2026-11-{name}")), &bytes).unwrap();
    }
    // A centre manager gets their centre's, whatever they ask for.
    let theirs = manager.get(&app, "/api/v1/reports/2026-11/network.pdf").send().await.unwrap();
    assert!(theirs.headers()["content-disposition"].to_str().unwrap().contains("report-2026-11-BAKU-1.pdf"));

    // The scheduled job: on 2 December it produces November's, the third quarter's and 2025's
    // reports for the network and every centre, once.
    let clock: onestop_web::Clock = std::sync::Arc::new(|| "2026-12-02T06:00:00Z".parse().unwrap());
    let state = onestop_web::AppState::new(std::sync::Arc::clone(&app.store), clock);
    let made = onestop_server::monitoring_jobs::run(&state).await.unwrap();
    let centres = onestop_domain::catalogue::parse_catalogue(DEMO_CATALOGUE).unwrap().centres.len();
    assert_eq!(made, 3 * (centres + 1) * 2);
    assert_eq!(onestop_server::monitoring_jobs::run(&state).await.unwrap(), 0, "produced once");
    let stored = get_json(&app, &analyst, "/api/v1/reports").await;
    let november = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == "2026-11" && r["scope"] == "" && r["format"] == "xlsx")
        .unwrap()
        .clone();
    let file =
        analyst.get(&app, november["href"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert!(file.starts_with(b"PK"));
    std::fs::write(dir.join(format!("{backend}-stored-2026-11-network.xlsx")), &file).unwrap();
    // In the country's language (Azerbaijani): the PDF carries its letters.
    let pdf = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == "2026-11" && r["scope"] == "" && r["format"] == "pdf")
        .unwrap()
        .clone();
    let file = analyst.get(&app, pdf["href"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert!(file.starts_with(b"%PDF-"));
    std::fs::write(dir.join(format!("{backend}-stored-2026-11-network-az.pdf")), &file).unwrap();
    let managers = get_json(&app, &manager, "/api/v1/reports").await;
    assert!(
        managers.as_array().unwrap().iter().all(|r| r["scope"] == CENTRE),
        "a manager lists their centre's"
    );
    app.stop().await;
}
