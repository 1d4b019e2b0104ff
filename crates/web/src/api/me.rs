//! `GET /api/v1/me`: who the caller is, as the server sees them.

use crate::auth::Caller;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::http::StatusCode;
use onestop_domain::identity::Principal;
use serde::Serialize;
use utoipa::ToSchema;

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `staff` or `device`.
    pub kind: &'static str,
    /// How the audit trail names the caller: `staff:LOGIN` or `device:ID`.
    pub actor: String,
    /// The staff role or device kind.
    pub role: &'static str,
    /// The centre the caller is bound to.
    pub centre: Option<String>,
    /// The provider the caller is bound to (officers).
    pub provider: Option<String>,
    /// The window the caller is bound to (window devices).
    pub window: Option<String>,
    /// The session's CSRF token, which state-changing calls made with the session cookie send in
    /// the `X-CSRF-Token` header. Absent for bearer tokens.
    pub csrf_token: Option<String>,
}

/// Who am I?
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", operation_id = "me",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    let principal =
        caller.principal.as_ref().ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"))?;
    let scope = principal.scope().clone();
    Ok(Json(Me {
        kind: if matches!(principal, Principal::Staff(_)) { "staff" } else { "device" },
        actor: principal.actor(),
        role: principal.role_name(),
        centre: scope.centre,
        provider: scope.provider,
        window: scope.window,
        csrf_token: caller.session.as_ref().map(|s| s.csrf.clone()),
    }))
}
