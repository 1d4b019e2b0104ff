//! Liveness and readiness, for load balancers and orchestrators.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: the process answers.
    pub status: &'static str,
    /// The onestop version.
    pub version: &'static str,
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`: the database answers.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// The newest migration applied.
    pub schema_version: Option<i64>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "The process answers", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// The process can serve: its database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    responses(
        (status = 200, description = "The database answers", body = Ready),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let unavailable = |e: onestop_store::StoreError| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::unavailable("the database does not answer")
    };
    state.store.ping().await.map_err(unavailable)?;
    let schema_version = state.store.schema_version().await.map_err(unavailable)?;
    Ok(Json(Ready { status: "ready", database: state.store.backend().name(), schema_version }))
}
