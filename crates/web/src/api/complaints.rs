//! Complaints and suggestions as JSON. Handlers parse HTTP and call the flows in
//! [`crate::complaints`].

use crate::AppState;
use crate::auth::Caller;
use crate::complaints::{
    self, BreachesView, ComplaintQuery, ComplaintRequest, ComplaintStaffView, ComplaintView, StepRequest,
};
use crate::i18n::Locale;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onestop_domain::feedback::complaint::Step;

/// Registers a complaint or suggestion: from the web (anyone), a complaint booth (kiosk devices),
/// or entered by staff from the call centre, a paper journal or social networks (`channel`).
#[utoipa::path(post, path = "/api/v1/complaints", tag = "feedback", operation_id = "registerComplaint",
    request_body = ComplaintRequest,
    responses(
        (status = 201, description = "The complaint with its reference", body = ComplaintView,
            headers(("location" = String, description = "Where to follow it"))),
        (status = 403, description = "A staff channel asked by someone who may not register for others", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No text, no way to reply, an unknown category, subject or channel", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ComplaintRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not a complaint: {e}")))?;
    let record = complaints::register(&state, &caller, &request, false, locale.lang).await?;
    let today = record.received_on;
    let location = format!("/api/v1/complaints/{}", record.reference);
    let view = complaints::view(&state, &record, today);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)).into_response())
}

/// Follows a complaint by its reference: status, answer, history (no contact details).
#[utoipa::path(get, path = "/api/v1/complaints/{reference}", tag = "feedback", operation_id = "getComplaint",
    params(("reference" = String, Path, description = "The reference, e.g. `FB-7K3Q-X9PM`")),
    responses(
        (status = 200, description = "The complaint", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn follow(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<ComplaintView>, ApiError> {
    let record = complaints::find(&state, &reference).await?;
    let today = complaints::today(&state).await?;
    Ok(Json(complaints::view(&state, &record, today)))
}

/// The complainant reopens an answered complaint, within the configured days of the answer.
#[utoipa::path(post, path = "/api/v1/complaints/{reference}/reopen", tag = "feedback", operation_id = "reopenComplaint",
    params(("reference" = String, Path, description = "The reference")),
    responses(
        (status = 200, description = "The complaint, reopened", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not answered yet, or answered too long ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Json<ComplaintView>, ApiError> {
    let record =
        complaints::advance(&state, &caller, &reference, Step::Reopen, &StepRequest::default()).await?;
    let today = complaints::today(&state).await?;
    Ok(Json(complaints::view(&state, &record, today)))
}

/// The complaints, newest first, for the monitoring department and the call centre.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "feedback", operation_id = "listComplaints",
    security(("session" = [])),
    params(ComplaintQuery),
    responses(
        (status = 200, description = "The complaints", body = Vec<ComplaintStaffView>),
        (status = 400, description = "An unknown status or category", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read complaints", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ComplaintQuery>,
) -> Result<Json<Vec<ComplaintStaffView>>, ApiError> {
    let today = complaints::today(&state).await?;
    let records = complaints::list(&state, &q).await?;
    Ok(Json(records.iter().map(|r| complaints::staff_view(&state, r, today)).collect()))
}

/// Complaints past their answer deadline (and how many were answered late).
#[utoipa::path(get, path = "/api/v1/complaints/breaches", tag = "feedback", operation_id = "complaintBreaches",
    security(("session" = [])),
    responses(
        (status = 200, description = "The breaches as of today", body = BreachesView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read complaints", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn breaches(State(state): State<AppState>) -> Result<Json<BreachesView>, ApiError> {
    Ok(Json(complaints::breaches(&state).await?))
}

fn step_request(body: &[u8]) -> Result<StepRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(StepRequest::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not a step: {e}")))
}

macro_rules! complaint_step {
    ($name:ident, $path:literal, $op:literal, $doc:literal, $step:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "feedback", operation_id = $op,
            security(("session" = [])),
            params(("reference" = String, Path, description = "The reference")),
            request_body = StepRequest,
            responses(
                (status = 200, description = "The complaint after the step", body = ComplaintStaffView),
                (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not the monitoring department", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The workflow refuses the step in the complaint's status", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "No answer, or an assignee outside the department", body = Problem, content_type = "application/problem+json"),
            ))]
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            Path(reference): Path<String>,
            body: Bytes,
        ) -> Result<Json<ComplaintStaffView>, ApiError> {
            let request = step_request(&body)?;
            let record = complaints::advance(&state, &caller, &reference, $step, &request).await?;
            let today = complaints::today(&state).await?;
            Ok(Json(complaints::staff_view(&state, &record, today)))
        }
    };
}

complaint_step!(
    assign,
    "/api/v1/complaints/{reference}/assign",
    "assignComplaint",
    "Assigns the complaint to a member of the monitoring department (default: the caller).",
    Step::Assign
);
complaint_step!(
    answer,
    "/api/v1/complaints/{reference}/answer",
    "answerComplaint",
    "Answers the complainant.",
    Step::Answer
);
complaint_step!(
    close,
    "/api/v1/complaints/{reference}/close",
    "closeComplaint",
    "Closes an answered complaint.",
    Step::Close
);
