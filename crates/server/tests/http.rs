//! Black-box HTTP tests against the real application on 127.0.0.1:0, on both databases.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_store_tests::TestDb;
use serde_json::Value;
use support::{TestApp, problem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_databases!(
    health_and_readiness_answer,
    readiness_fails_when_the_database_does,
    errors_are_problem_documents,
    request_ids_are_kept_or_made,
    metrics_count_requests_by_route,
    the_openapi_document_describes_the_routes,
);

async fn health_and_readiness_answer(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let health: Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));

    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let ready: Value = response.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let backend = if db.url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    assert_eq!(ready["database"], backend);
    assert_eq!(ready["schema_version"], app.store.schema_version().await.unwrap().unwrap());
    app.stop().await;
}

async fn readiness_fails_when_the_database_does(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    app.store.close().await;
    let body = problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["detail"], "the database does not answer");
    assert_eq!(app.get("/healthz").await.status(), 200, "the process is still up");
    app.stop().await;
}

async fn errors_are_problem_documents(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let body = problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert_eq!(body["title"], "Not Found");
    assert_eq!(body["detail"], "there is nothing at /api/v1/no-such-thing");

    let response = app.client().delete(app.url("/healthz")).send().await.unwrap();
    let body = problem(response, 405).await;
    assert_eq!(body["detail"], "/healthz does not take DELETE");

    // A body over the limit is refused from its declared length, before it is read. (Sent by hand:
    // a client still writing the body when the answer comes and the connection closes would see a
    // broken pipe instead of the answer.)
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /healthz HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("length limit"), "{answer}");
    app.stop().await;
}

async fn request_ids_are_kept_or_made(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let response =
        app.client().get(app.url("/healthz")).header("x-request-id", "desk-7-0001").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "desk-7-0001");
    let first = app.get("/nowhere").await.headers()["x-request-id"].to_str().unwrap().to_owned();
    let second = app.get("/nowhere").await.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second);
    app.stop().await;
}

async fn metrics_count_requests_by_route(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/readyz").await;
    let response = app.get("/metrics").await;
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"onestop_http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"onestop_http_requests_total{method="GET",route="/readyz",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"onestop_http_request_duration_seconds_count{method="GET",route="/healthz"} 3"#),
        "{text}"
    );
    assert!(text.contains("onestop_db_pool_max_connections 8"), "{text}");
    assert!(text.contains("# TYPE onestop_db_pool_connections gauge"), "{text}");
    if db.url.starts_with("sqlite:") {
        // An audited write (the refusal of an unknown token) goes through the group-committing writer.
        let before = app.store.pool_stats().group_commit.unwrap();
        let refused = app.client().get(app.url("/api/v1/me")).bearer_auth("no-such-token");
        assert_eq!(refused.send().await.unwrap().status(), 401);
        let text = app.get("/metrics").await.text().await.unwrap();
        let after = app.store.pool_stats().group_commit.unwrap();
        assert!(after.writes > before.writes && after.commits > before.commits, "{before:?} {after:?}");
        // The refusal was answered after a sync of the log, as every acknowledged write is.
        let (syncs_before, syncs) = (before.sync_times.count(), after.sync_times.count());
        assert!(syncs > syncs_before && syncs <= after.commits, "{before:?} {after:?}");
        assert!(text.contains(&format!("onestop_db_group_commits {}", after.commits)), "{text}");
        assert!(text.contains(&format!("onestop_db_group_commit_writes {}", after.writes)), "{text}");
        assert!(text.contains(&format!("onestop_db_log_syncs {syncs}")), "{text}");
        // Every sync was timed: the histogram counts them all, the longest bucket (+Inf) included.
        assert!(text.contains("# TYPE onestop_db_log_sync_seconds histogram"), "{text}");
        assert!(text.contains(&format!("onestop_db_log_sync_seconds_count {syncs}")), "{text}");
        assert!(
            text.contains(&format!("onestop_db_log_sync_seconds_bucket{{le=\"+Inf\"}} {syncs}")),
            "{text}"
        );
        assert!(text.contains("onestop_db_log_sync_seconds_bucket{le=\"0.01\"}"), "{text}");
    } else {
        // PostgreSQL commits each transaction itself: the writer's counts stay zero.
        assert!(text.contains("onestop_db_group_commits 0\n"), "{text}");
    }
    app.stop().await;
}

async fn the_openapi_document_describes_the_routes(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "onestop API");
    assert_eq!(doc["paths"]["/healthz"]["get"]["operationId"], "healthz");
    let ready = &doc["paths"]["/readyz"]["get"]["responses"];
    assert!(ready["503"]["content"]["application/problem+json"].is_object(), "{ready}");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    app.stop().await;
}
