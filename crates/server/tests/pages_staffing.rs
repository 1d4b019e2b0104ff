//! The staffing page over real HTTP on both databases: a centre manager sees their centre's
//! window groups with the windows that worked and the recommended ones; others are refused.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store_tests::TestDb;
use serde_json::json;
use support::TestApp;

on_both_databases!(a_manager_sees_recommended_against_current_windows);

async fn a_manager_sees_recommended_against_current_windows(db: &TestDb) {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app.staff("manager", Role::CentreManager, Some("BAKU-1"), None).await;
    app.staff("other", Role::CentreManager, Some("BAKU-2"), None).await;
    app.staff("mia", Role::Officer, Some("BAKU-1"), Some("MIA")).await;
    let manager = app.sign_in("manager").await;
    let officer = app.sign_in("mia").await;

    // An officer works at window 2 now: one ticket called.
    let kiosk = token_issue(app.store.as_ref(), "kiosk", "BAKU-1".into(), None, None).await.unwrap().1;
    let issued = app
        .client()
        .post(app.url("/api/v1/centres/BAKU-1/tickets"))
        .bearer_auth(&kiosk)
        .json(&json!({"service": "MIA-ID-CARD", "id_card": "5ABC12K"}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    for step in ["sign-in", "call-next"] {
        let r = officer
            .post(&app, &format!("/api/v1/windows/BAKU-1:2/{step}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{step}");
    }

    // The manager's staff home links the page, which offers their centre only.
    let home = manager.page(&app, "/staff?lang=en").await;
    assert!(home.contains("href=\"&#x2f;staff&#x2f;staffing\""), "{home}");
    let pick = manager.page(&app, "/staff/staffing?lang=en").await;
    assert!(pick.contains("&#x2f;staff&#x2f;centres&#x2f;BAKU-1&#x2f;staffing"), "{pick}");
    assert!(!pick.contains("BAKU-2"), "{pick}");

    // The test clock: Saturday 28 November 2026, 13:00 in Baku (open 10:00-17:00).
    let html = manager.page(&app, "/staff/centres/BAKU-1/staffing?lang=en").await;
    assert!(html.contains("Staffing plan"), "{html}");
    assert!(html.contains("assumed profile"));
    // Windows 1-4 render ID cards and passports; at 13:00 one of them (window 2) works.
    let row = html.split("<strong>1-4</strong>").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("data-hour=\"13:00\" data-current=\"1\""), "{row}");
    assert!(row.contains("data-hour=\"10:00\" data-current=\"\""), "{row}");
    assert_eq!(row.matches("data-hour=").count(), 7);
    let recommended: Vec<usize> = row
        .split("data-recommended=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect();
    assert!(recommended.iter().all(|n| (1..=4).contains(n)), "{recommended:?}");

    // Every language has the page, with the same window groups.
    for lang in ["az", "ru"] {
        let page = manager.page(&app, &format!("/staff/centres/BAKU-1/staffing?lang={lang}")).await;
        assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{page}");
        assert!(!page.contains("Staffing plan"), "{lang}: {page}");
        assert!(page.contains("<strong>1-4</strong>"), "{page}");
    }
    // A stricter target asks for at least as many windows.
    let strict = manager.page(&app, "/staff/centres/BAKU-1/staffing?share=95&minutes=5&lang=en").await;
    assert!(strict.contains("95 % called within 5 minutes"), "{strict}");
    // Bad input is refused naming the field; a closed day says so.
    let bad = manager.get(&app, "/staff/centres/BAKU-1/staffing?share=120&lang=en").send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("share must be a number from 1 to 99.9"), "{bad}");
    let closed = manager.page(&app, "/staff/centres/BAKU-1/staffing?date=2026-03-20&lang=en").await;
    assert!(closed.contains("closed on 2026-03-20"), "{closed}");

    // An agency administrator plans any centre.
    app.staff("admin", Role::AgencyAdmin, None, None).await;
    let admin = app.sign_in("admin").await;
    let plan = admin.page(&app, "/staff/centres/BAKU-1/staffing").await;
    assert!(plan.contains("<strong>1-4</strong>"), "{plan}");
    let pick = admin.page(&app, "/staff/staffing").await;
    assert!(pick.contains("&#x2f;staff&#x2f;centres&#x2f;BAKU-2&#x2f;staffing"));

    // Another centre's manager and an officer are refused.
    let other = app.sign_in("other").await;
    assert_eq!(other.get(&app, "/staff/centres/BAKU-1/staffing").send().await.unwrap().status(), 403);
    assert_eq!(officer.get(&app, "/staff/centres/BAKU-1/staffing").send().await.unwrap().status(), 403);
    app.stop().await;
}
