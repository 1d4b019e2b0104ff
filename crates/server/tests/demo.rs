//! The living demo: the driver's simulated citizens and officers move a test server's queue
//! through the real HTTP API, on both databases.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import};
use onestop_server::demo_driver::{self, DemoSettings};
use onestop_store::feedback::RatingFilter;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use support::TestApp;

on_both_databases!(the_driver_moves_the_queue_through_the_api);

/// Served-today over every service of BAKU-1's public statistics.
async fn served_today(app: &TestApp) -> u64 {
    let body: Value = app.get("/api/v1/centres/BAKU-1/queue").await.json().await.unwrap();
    body["services"].as_array().unwrap().iter().map(|s| s["served_today"].as_u64().unwrap_or(0)).sum()
}

async fn the_driver_moves_the_queue_through_the_api(db: &onestop_store_tests::TestDb) {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    // The test's clock stands still at a Saturday 13:00 in Baku, when BAKU-1 is open.
    let now = app.now();
    let settings = DemoSettings {
        windows: 4,
        speed: 900.0,
        initial_tickets: 8,
        booking_gap: 0.2,
        clock: Arc::new(move || now),
        ..DemoSettings::default()
    };
    let driver = demo_driver::start(Arc::clone(&app.store), app.base.clone(), settings).await.unwrap();
    assert!(driver.display_token.starts_with("ost_"));

    // Check the public statistics and the store after each thing the driver does, within a
    // deadline: everything checked is written before the driver counts it.
    let mut changes = driver.counters.subscribe();
    let progress = async {
        loop {
            let served = served_today(&app).await;
            let rated = app.store.ratings(&RatingFilter::default(), 100).await.unwrap().len();
            let booked = driver.counters.booked.load(std::sync::atomic::Ordering::Relaxed);
            // Bills paid, from the records: at the bank section, the terminal or online.
            let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Baku").unwrap()).date();
            let paid = app.store.reconciliation("BAKU-1", today).await.unwrap().paid.count;
            if served >= 5 && rated >= 1 && booked >= 1 && paid >= 1 {
                return (served, rated, booked);
            }
            changes.changed().await.expect("the driver runs until stopped");
        }
    };
    let reached = tokio::time::timeout(Duration::from_secs(60), progress).await;
    let counters = &driver.counters;
    assert!(
        reached.is_ok(),
        "within 60 s the demo did not serve 5, rate 1, book 1 and take a payment: {counters:?}"
    );
    // The officers signed in through the API: four windows open.
    let body: Value = app.get("/api/v1/centres/BAKU-1/queue").await.json().await.unwrap();
    assert_eq!(body["open_windows"], 4);
    let calls = app.audit("ticket.call").await.len();
    assert!(calls >= 5, "{calls} calls audited");

    driver.stop().await;
    // Stopped: the windows are signed out and the driver's device tokens revoked.
    let body: Value = app.get("/api/v1/centres/BAKU-1/queue").await.json().await.unwrap();
    assert_eq!(body["open_windows"], 0);
    let tokens = app.store.list_device_tokens().await.unwrap();
    assert!(tokens.iter().all(|t| t.revoked_at.is_some()), "{tokens:?}");
    app.stop().await;
}
