//! Prometheus metrics: requests and latency by route, and the database pool.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onestop_store::{SYNC_BOUNDS_MICROS, SyncTimes};
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex};

/// The labels of a finished request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// The labels of a request's latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// How long the store's syncs of its log took, as counted by the store and copied in at each scrape:
/// a histogram whose buckets are the store's ([`SYNC_BOUNDS_MICROS`]).
#[derive(Debug, Clone, Default)]
struct SyncHistogram(Arc<Mutex<SyncTimes>>);

impl TypedMetric for SyncHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for SyncHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> std::fmt::Result {
        let times = *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Seconds; the encoder writes the last bound, f64::MAX, as +Inf.
        let bounds = SYNC_BOUNDS_MICROS.map(|micros| micros as f64 / 1e6).into_iter().chain([f64::MAX]);
        let buckets: Vec<(f64, u64)> = bounds.zip(times.buckets).collect();
        encoder.encode_histogram::<NoLabelSet>(times.micros as f64 / 1e6, times.count(), &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// The metrics of one server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    commits: Gauge,
    commit_writes: Gauge,
    log_syncs: Gauge,
    log_sync_seconds: SyncHistogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics, all zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("onestop");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by route",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        registry.register("db_pool_connections", "Database connections open", pool_connections.clone());
        registry.register(
            "db_pool_idle_connections",
            "Database connections open and idle",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool opens",
            pool_max.clone(),
        );
        let commits = Gauge::default();
        let commit_writes = Gauge::default();
        registry.register(
            "db_group_commits",
            "Commits of the group-committing writer (SQLite) so far",
            commits.clone(),
        );
        registry.register(
            "db_group_commit_writes",
            "Writes the group-committing writer (SQLite) has carried so far",
            commit_writes.clone(),
        );
        let log_syncs = Gauge::default();
        registry.register(
            "db_log_syncs",
            "Syncs of the write-ahead log that made the group-committing writer's commits durable (SQLite)",
            log_syncs.clone(),
        );
        let log_sync_seconds = SyncHistogram::default();
        registry.register(
            "db_log_sync_seconds",
            "How long the syncs of the write-ahead log took: the disk's latency, which every write waits for (SQLite)",
            log_sync_seconds.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            commits,
            commit_writes,
            log_syncs,
            log_sync_seconds,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RouteLabels { method: method.to_owned(), route: route.to_owned() };
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests
            .get_or_create(&RequestLabels { method: labels.method, route: labels.route, status })
            .inc();
    }

    /// The metrics in Prometheus' text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Middleware: counts and times every routed request under its route template (never the raw
/// path, which would make one series per ticket).
// Latency is a duration measured on the monotonic clock, not a time of day passed to rules.
#[allow(clippy::disallowed_methods)]
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("unmatched");
    metrics.observe(&method, route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Prometheus text format.
pub async fn render(State(state): State<AppState>) -> Response {
    let pool = state.store.pool_stats();
    state.metrics.pool_connections.set(i64::from(pool.size));
    state.metrics.pool_idle.set(i64::from(pool.idle));
    state.metrics.pool_max.set(i64::from(pool.max));
    if let Some(group) = pool.group_commit {
        state.metrics.commits.set(i64::try_from(group.commits).unwrap_or(i64::MAX));
        state.metrics.commit_writes.set(i64::try_from(group.writes).unwrap_or(i64::MAX));
        state.metrics.log_syncs.set(i64::try_from(group.sync_times.count()).unwrap_or(i64::MAX));
        *state.metrics.log_sync_seconds.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            group.sync_times;
    }
    let mut response = state.metrics.encode().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
