//! onestop's HTTP layer: the JSON API under `/api/v1`, operations endpoints (`/healthz`, `/readyz`,
//! `/metrics`), the OpenAPI document, and the one place errors become responses ([`problem`]).
//!
//! Handlers parse and check input, call the store and the domain, and shape answers; rules live in
//! `onestop-domain` and SQL in the store crates.

pub mod health;
pub mod metrics;
pub mod problem;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use onestop_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header that carries a request's id, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The Prometheus metrics of this process.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// State over `store` with fresh metrics.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, metrics: Arc::new(metrics::Metrics::new()) }
    }
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A request that takes longer is answered 408 and its work dropped.
    pub request_timeout: Duration,
    /// The largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { request_timeout: Duration::from_secs(30), body_limit_bytes: 1024 * 1024 }
    }
}

/// The OpenAPI document's header; paths are added from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "onestop API",
        description = "The API of onestop, the software of a one-stop-shop public service agency.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    tags((name = "operations", description = "Liveness, readiness and metrics of the server"))
)]
struct ApiDoc;

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The whole application: routes, and the layers every request passes through.
pub fn app(state: AppState, limits: HttpLimits) -> Router {
    let (api, document) = api_routes().split_for_parts();
    let document = document.to_pretty_json().expect("the OpenAPI document always serialises");
    let routes = api
        .route("/api/v1/openapi.json", get(move || openapi_json(document.clone())))
        .route("/metrics", get(metrics::render))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::record))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .with_state(state);

    // Layers wrap from the inside out: the last added sees a request first.
    routes
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(axum::middleware::from_fn(problem::problems_only))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
                    tracing::info_span!("request", id = id.unwrap_or("-"), method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn openapi_json(document: String) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], document)
}
