//! `GET /api/v1/staff`: staff accounts the caller may see.

use crate::AppState;
use crate::auth::Caller;
use crate::pages::staff::{StaffView, visible_staff};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;

/// Staff accounts: every one for network-wide roles, a centre's own for its manager. National ID
/// and phone numbers are masked unless the caller's role may see them.
#[utoipa::path(get, path = "/api/v1/staff", tag = "identity", operation_id = "listStaff",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The accounts, by login", body = [StaffView]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not list staff", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_staff(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    Ok(Json(visible_staff(&state, &caller).await?))
}
