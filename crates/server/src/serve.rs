//! Running the HTTP server until a shutdown signal, then letting in-flight requests finish.

use crate::config::Config;
use onestop_domain::idempotency::RETENTION;
use onestop_store::Store;
use onestop_web::{AppState, HttpLimits, Shared};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often expired idempotency records are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// How often centres past their closing time have their queue day closed.
const CLOSE_DAYS_EVERY: Duration = Duration::from_secs(60);

/// Binds the configured address. A separate step so callers (and tests) learn the bound address,
/// e.g. of `127.0.0.1:0`, before serving.
pub async fn bind(config: &Config) -> Result<TcpListener, String> {
    let addr = config.listen_addr();
    TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// Serves `store` on `listener` until `shutdown` completes, then stops accepting connections and
/// gives in-flight requests the configured grace to finish; finally closes the database pool.
pub async fn run(
    config: &Config,
    listener: TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let limits = HttpLimits {
        request_timeout: Duration::from_secs(config.server.request_timeout_secs),
        body_limit_bytes: usize::try_from(config.server.body_limit_bytes).unwrap_or(usize::MAX),
    };
    let mut shared =
        Shared::new(Arc::clone(&store), Arc::new(crate::clock::now)).with_booking(config.booking_settings());
    shared.secure_cookies = config.server.secure_cookies;
    shared.monitoring = config.monitoring_settings();
    shared.feedback = onestop_web::FeedbackSettings {
        reopen_days: config.feedback.reopen_days,
        open311_jurisdiction: config.feedback.open311_jurisdiction.clone(),
    };
    shared.cases = crate::config::cases_settings(&config.cases)?;
    shared.public_url = if config.server.public_url.ends_with('/') {
        config.server.public_url.clone()
    } else {
        format!("{}/", config.server.public_url)
    };
    let state = AppState::from(shared);
    let registry = Arc::clone(&state.registry);
    let catalog = Arc::clone(&state.templates.catalog);
    let transports = crate::outbox_worker::Transports::from_config(&config.notify)?;
    let live =
        onestop_web::live::start(&state).await.map_err(|e| format!("cannot follow queue changes: {e}"))?;
    let hub = Arc::clone(&state.live);
    let state_for_jobs = state.clone();
    let app = onestop_web::app(state, limits).into_make_service_with_connect_info::<SocketAddr>();
    let key = crate::audit_key::load_or_create(std::path::Path::new(&config.audit.signing_key_file))?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, database = store.backend().name(), "onestop is listening on http://{addr}");

    let purger = tokio::spawn(purge_idempotency_keys(Arc::clone(&store)));
    let signer = tokio::spawn(sign_audit_periodically(
        Arc::clone(&store),
        key.clone(),
        Duration::from_secs(config.audit.sign_interval_secs),
    ));
    let day_closer = tokio::spawn(close_days_periodically(Arc::clone(&store), Arc::clone(&registry)));
    let outbox = tokio::spawn(crate::outbox_worker::run(
        Arc::clone(&store),
        transports,
        crate::outbox_worker::retry_of(&config.notify),
        Duration::from_millis(config.notify.poll_interval_ms),
    ));
    let sweeper = tokio::spawn(sweep_bookings_periodically(
        Arc::clone(&store),
        registry,
        catalog,
        config.booking_settings().rules,
        Duration::from_secs(config.booking.sweep_interval_secs),
    ));
    let folder = tokio::spawn(fold_periodically(
        state_for_jobs.clone(),
        Duration::from_secs(config.monitoring.fold_interval_secs),
    ));
    let reporter = tokio::spawn(report_periodically(
        state_for_jobs,
        Duration::from_secs(config.monitoring.report_interval_secs),
    ));
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop_rx.changed().await;
        })
        .into_future();
    tokio::pin!(server);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let outcome = tokio::select! {
        served = &mut server => served.map_err(|e| e.to_string()),
        () = shutdown => {
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop_tx.send(true);
            hub.close().await;
            match tokio::time::timeout(grace, &mut server).await {
                Ok(served) => served.map_err(|e| e.to_string()),
                Err(_) => {
                    tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time; stopping");
                    Ok(())
                }
            }
        }
    };
    // Every job stops before the database closes: abort only asks, and a job in the middle of a
    // step (on another worker thread) would otherwise go on against a closed database.
    let jobs = [purger, signer, day_closer, outbox, sweeper, folder, reporter, live];
    for job in &jobs {
        job.abort();
    }
    for job in jobs {
        let _ = job.await;
    }
    if let Err(e) = crate::admin::sign_audit_head(store.as_ref(), &key, crate::clock::now()).await {
        tracing::warn!(error = %e, "could not sign the audit trail at shutdown");
    }
    store.close().await;
    tracing::info!("database closed; onestop stopped");
    outcome
}

/// Completes on SIGTERM or ctrl-c (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn purge_idempotency_keys(store: Arc<dyn Store>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        let cutoff = crate::clock::now() - RETENTION;
        match store.purge_idempotency_keys(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired idempotency keys removed"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
    }
}

async fn sign_audit_periodically(store: Arc<dyn Store>, key: ed25519_dalek::SigningKey, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match crate::admin::sign_audit_head(store.as_ref(), &key, crate::clock::now()).await {
            Ok(Some(seq)) => tracing::debug!(seq, "signed the audit trail"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "signing the audit trail failed"),
        }
    }
}

async fn close_days_periodically(store: Arc<dyn Store>, registry: Arc<onestop_web::registry::RegistryCache>) {
    let mut ticks = tokio::time::interval(CLOSE_DAYS_EVERY);
    loop {
        ticks.tick().await;
        let now = crate::clock::now();
        if let Err(e) = crate::queue_day::close_finished_days(store.as_ref(), &registry, now).await {
            tracing::warn!(error = %e, "closing finished queue days failed");
        }
    }
}

async fn sweep_bookings_periodically(
    store: Arc<dyn Store>,
    registry: Arc<onestop_web::registry::RegistryCache>,
    catalog: Arc<onestop_web::i18n::Catalog>,
    rules: onestop_domain::booking::BookingRules,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let now = crate::clock::now();
        match crate::booking_sweep::sweep(store.as_ref(), &registry, &catalog, &rules, now).await {
            Ok(swept) if swept.no_shows + swept.reminders > 0 => {
                tracing::info!(no_shows = swept.no_shows, reminders = swept.reminders, "booking sweep");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the booking sweep failed"),
        }
    }
}

/// Folds the days that are over into the monitoring rollups, every `every`.
async fn fold_periodically(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match onestop_web::monitoring::fold_now(&state, 31).await {
            Ok(report) if report.days > 0 => {
                tracing::info!(days = report.days, cells = report.cells, "statistics folded");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "folding statistics failed"),
        }
    }
}

/// Produces the reports of closed periods and keeps the Index of the current and the previous
/// quarter computed, every `every`.
async fn report_periodically(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match crate::monitoring_jobs::run(&state).await {
            Ok(made) if made > 0 => tracing::info!(reports = made, "monitoring reports produced"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "the monitoring report job failed"),
        }
    }
}
