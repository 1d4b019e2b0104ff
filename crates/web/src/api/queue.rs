//! The queue as JSON: tickets, windows, the day's close, public statistics and the live event
//! stream. Handlers parse HTTP and call the flows in [`crate::queue`].

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::idempotency::{self, Created};
use crate::live::EventData;
use crate::problem::{ApiError, Problem};
use crate::queue::{
    self, ActView, CallView, CentreQueue, DayClosedView, FinishOutcome, IssueRequest, ParkWhy, ServiceQueues,
    TicketView, WindowState, WindowStep,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A step on one ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketStep {
    /// The ticket's id.
    pub ticket: i64,
}

/// Finishing a service.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FinishStep {
    /// The ticket's id.
    pub ticket: i64,
    /// `served` or `not_served`.
    pub outcome: FinishOutcome,
    /// Why it could not be served (required for `not_served`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Parking a ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParkStep {
    /// The ticket's id.
    pub ticket: i64,
    /// `payment`, `documents` or `other`.
    pub reason: ParkWhy,
    /// A note (required for `other`).
    #[serde(default)]
    pub note: Option<String>,
}

/// Transferring a ticket: to a service or to a window, not both.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferStep {
    /// The ticket's id.
    pub ticket: i64,
    /// Another service offered at this centre.
    #[serde(default)]
    pub service: Option<String>,
    /// Another window at this centre serving the ticket's service.
    #[serde(default)]
    pub window: Option<u32>,
}

/// Where a live stream resumes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this event id (as the `Last-Event-ID` header does).
    after: Option<String>,
}

/// Issues a ticket: at the info desk (every required document ticked) or at a kiosk.
#[utoipa::path(post, path = "/api/v1/centres/{code}/tickets", tag = "queue", operation_id = "issueTicket",
    security(("session" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "The centre's code"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key the client chooses per ticket: a retry with the same key gets the first answer again (marked `Idempotent-Replayed: true`) instead of a second ticket")),
    request_body = IssueRequest,
    responses(
        (status = 201, description = "The ticket", body = TicketView,
            headers(("location" = String, description = "The ticket's URL"))),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not issue tickets at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "A malformed Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The centre is closed now, or a request with the same Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Service not offered here, ID not readable, a required document not ticked, or the Idempotency-Key was used for a different request", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue_ticket(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: IssueRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::unprocessable("body", format!("the request body is not a ticket request: {e}"))
    })?;
    let path = format!("/api/v1/centres/{code}/tickets");
    let create = async {
        let view = queue::issue(&state, &caller, locale.lang, &code, request).await?;
        let body = serde_json::to_vec(&view).map_err(|_| ApiError::internal())?;
        Ok(Created { status: StatusCode::CREATED, body, location: ticket_location(view.id) })
    };
    idempotency::once(&state, &caller, &headers, &path, &body, location_of_ticket, create).await
}

fn ticket_location(id: i64) -> String {
    format!("/api/v1/tickets/{id}")
}

/// The `Location` of a replayed ticket answer, from its stored body.
fn location_of_ticket(body: &[u8]) -> String {
    let id = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v["id"].as_i64());
    id.map_or_else(|| "/api/v1/tickets".to_owned(), ticket_location)
}

/// A ticket: where it is, the windows that serve it, people ahead and the predicted wait.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "queue", operation_id = "getTicket",
    params(("id" = i64, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 404, description = "No such ticket", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_ticket(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<i64>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(queue::ticket(&state, &caller, locale.lang, id).await?))
}

/// A parked ticket returns to its window's queue, first in line (e.g. the fee was paid).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/return", tag = "queue", operation_id = "returnTicket",
    security(("session" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket, waiting again", body = ActView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not return tickets at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ticket is not parked", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn return_ticket(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<i64>,
) -> Result<Json<ActView>, ApiError> {
    Ok(Json(queue::return_parked(&state, &caller, locale.lang, id).await?))
}

/// A window: its officer, the ticket at it and the tickets it parked.
#[utoipa::path(get, path = "/api/v1/windows/{id}", tag = "queue", operation_id = "getWindow",
    security(("session" = []), ("bearer" = [])),
    params(("id" = String, Path, description = "The window: `CENTRE:NUMBER`, e.g. `BAKU-1:7`")),
    responses(
        (status = 200, description = "The window", body = WindowState),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not watch this window", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_window(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
) -> Result<Json<WindowState>, ApiError> {
    Ok(Json(queue::window_view(&state, &caller, locale.lang, &id).await?))
}

/// An officer signs in to a window of their provider at their centre.
#[utoipa::path(post, path = "/api/v1/windows/{id}/sign-in", tag = "queue", operation_id = "windowSignIn",
    security(("session" = [])),
    params(("id" = String, Path, description = "The window: `CENTRE:NUMBER`")),
    responses(
        (status = 200, description = "The window", body = WindowState),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this window's provider at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such window", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another officer holds the window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn window_sign_in(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
) -> Result<Json<WindowState>, ApiError> {
    Ok(Json(queue::sign_in(&state, &caller, locale.lang, &id).await?))
}

/// An officer signs out of their window.
#[utoipa::path(post, path = "/api/v1/windows/{id}/sign-out", tag = "queue", operation_id = "windowSignOut",
    security(("session" = [])),
    params(("id" = String, Path, description = "The window: `CENTRE:NUMBER`")),
    responses(
        (status = 200, description = "The window", body = WindowState),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this window's provider at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such window", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller does not hold the window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn window_sign_out(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
) -> Result<Json<WindowState>, ApiError> {
    Ok(Json(queue::sign_out(&state, &caller, locale.lang, &id).await?))
}

/// Calls the next ticket, chosen by the centre's calling rules (never by the officer).
#[utoipa::path(post, path = "/api/v1/windows/{id}/call-next", tag = "queue", operation_id = "callNext",
    security(("session" = [])),
    params(("id" = String, Path, description = "The window: `CENTRE:NUMBER`")),
    responses(
        (status = 200, description = "The ticket called, or none", body = CallView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of this window's provider at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such window", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller does not hold the window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn call_next(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
) -> Result<Json<CallView>, ApiError> {
    Ok(Json(queue::call_next(&state, &caller, locale.lang, &id).await?))
}

async fn step(
    state: AppState,
    caller: Caller,
    locale: Locale,
    id: String,
    ticket: i64,
    step: WindowStep,
) -> Result<Json<ActView>, ApiError> {
    Ok(Json(queue::act(&state, &caller, locale.lang, &id, ticket, step).await?))
}

macro_rules! window_step {
    ($name:ident, $path:literal, $op:literal, $doc:literal, $body:ty, |$b:ident| $step:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "queue", operation_id = $op,
            security(("session" = [])),
            params(("id" = String, Path, description = "The window: `CENTRE:NUMBER`")),
            request_body = $body,
            responses(
                (status = 200, description = "The ticket after the step", body = ActView),
                (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not an officer of this window's provider at this centre", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such window or ticket", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The caller does not hold the window, the ticket is not at it, or its state forbids the step", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "The step's details are refused", body = Problem, content_type = "application/problem+json"),
            ))]
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            locale: Locale,
            Path(id): Path<String>,
            Json($b): Json<$body>,
        ) -> Result<Json<ActView>, ApiError> {
            let ticket = $b.ticket;
            step(state, caller, locale, id, ticket, $step).await
        }
    };
}

window_step!(
    recall,
    "/api/v1/windows/{id}/recall",
    "recallTicket",
    "Calls the ticket at the window again on the screens (a bounded number of times).",
    TicketStep,
    |b| WindowStep::Recall
);
window_step!(
    start,
    "/api/v1/windows/{id}/start",
    "startService",
    "The visitor came: service starts.",
    TicketStep,
    |b| WindowStep::Start
);
window_step!(
    no_show,
    "/api/v1/windows/{id}/no-show",
    "markNoShow",
    "The visitor called did not come.",
    TicketStep,
    |b| WindowStep::NoShow
);
window_step!(
    finish,
    "/api/v1/windows/{id}/finish",
    "finishService",
    "Finishes the service: served, or not served with a reason.",
    FinishStep,
    |b| WindowStep::Finish { outcome: b.outcome, reason: b.reason }
);
window_step!(
    park,
    "/api/v1/windows/{id}/park",
    "parkTicket",
    "Sets the ticket aside (e.g. to pay at the bank section); it returns to this window first in line.",
    ParkStep,
    |b| WindowStep::Park { reason: b.reason, note: b.note }
);
window_step!(
    transfer,
    "/api/v1/windows/{id}/transfer",
    "transferTicket",
    "Sends the ticket to another service or window; a follow-on ticket keeps its number and place.",
    TransferStep,
    |b| WindowStep::Transfer { service: b.service, window: b.window }
);

/// Closes the centre's queue for today: every open ticket ends "centre closed"; the counts reconcile.
#[utoipa::path(post, path = "/api/v1/centres/{code}/close-day", tag = "queue", operation_id = "closeQueueDay",
    security(("session" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "The centre's code")),
    responses(
        (status = 200, description = "How the day closed", body = DayClosedView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not close this centre's day", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn close_day(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<DayClosedView>, ApiError> {
    Ok(Json(queue::close_day(&state, &caller, &code).await?))
}

/// The centre's live queue statistics per service: no personal data.
#[utoipa::path(get, path = "/api/v1/centres/{code}/queue", tag = "queue", operation_id = "centreQueue",
    params(("code" = String, Path, description = "The centre's code")),
    responses(
        (status = 200, description = "The centre's queue today", body = CentreQueue),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn centre_queue(
    State(state): State<AppState>,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Json<CentreQueue>, ApiError> {
    Ok(Json(queue::centre_queue(&state, locale.lang, &code).await?))
}

/// One service's queue at every centre that serves it, shortest predicted wait first.
#[utoipa::path(get, path = "/api/v1/services/{code}/queues", tag = "queue", operation_id = "serviceQueues",
    params(("code" = String, Path, description = "The service's code")),
    responses(
        (status = 200, description = "The centres compared", body = ServiceQueues),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn service_queues(
    State(state): State<AppState>,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Json<ServiceQueues>, ApiError> {
    Ok(Json(queue::service_queues(&state, locale.lang, &code).await?))
}

fn resume_point(headers: &HeaderMap, query: &EventsQuery) -> Result<Option<i64>, ApiError> {
    let header = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("?").trim().to_owned());
    let (field, text) = match (header, &query.after) {
        (Some(h), _) if !h.is_empty() => ("Last-Event-ID", h),
        (_, Some(after)) => ("after", after.clone()),
        _ => return Ok(None),
    };
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::bad_request(field, format!("{field} must be an event id (a whole number)")))
}

/// The centre's live queue events as server-sent events (`id`, `event`: the kind, `data`: JSON);
/// resumes after `Last-Event-ID` or `?after=` with nothing lost or repeated, else starts at the
/// newest event. A comment keeps the stream open every 15 s.
#[utoipa::path(get, path = "/api/v1/centres/{code}/events", tag = "queue", operation_id = "centreEvents",
    security(("session" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "The centre's code"), EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "The event stream; each event's data is an EventData", body = EventData, content_type = "text/event-stream"),
        (status = 400, description = "The resume point is not an event id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not watch this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn centre_events(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let after = resume_point(&headers, &query)?;
    let centre = queue::watch(&state, &caller, &code).await?;
    Ok(crate::live::follow(&state, centre, locale.lang, after).await?.into_response())
}
