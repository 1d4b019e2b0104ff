//! Applications as JSON. Handlers parse HTTP and call the flows in [`crate::cases`].

use crate::AppState;
use crate::auth::Caller;
use crate::cases::{self, AcceptRequest, ActRequest, ApplicationView, DeliveryRequest, TrackRequest};
use crate::i18n::Locale;
use crate::idempotency::HEADER;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not {what}: {e}")))
}

fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(HEADER)
        .map(|v| {
            v.to_str()
                .map_err(|_| {
                    ApiError::bad_request("Idempotency-Key", "the Idempotency-Key is not visible ASCII")
                })
                .and_then(|k| {
                    onestop_domain::idempotency::IdempotencyKey::parse(k)
                        .map(|k| k.as_str().to_owned())
                        .map_err(|e| ApiError::bad_request("Idempotency-Key", e.to_string()))
                })
        })
        .transpose()
}

/// The officer serving a ticket accepts its documents: an application is created with its
/// tracking number, legal deadline and fee bill (exemptions applied).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/application", tag = "cases", operation_id = "acceptApplication",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The ticket's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the application created first")),
    request_body = AcceptRequest,
    responses(
        (status = 201, description = "The application", body = ApplicationView, headers(("location" = String, description = "The application"))),
        (status = 200, description = "A retry under the same Idempotency-Key: the application created first", body = ApplicationView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of the service's provider at this centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ticket is not at a window you hold, or its documents were already accepted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No documents, an unknown document, a bad email or phone, a ticket without an ID", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: AcceptRequest = parse(&body, "an acceptance")?;
    let (record, fresh) = cases::accept(&state, &caller, locale.lang, id, &request, key(&headers)?).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    let view = cases::view(&state, &loaded.catalogue, &caller, locale.lang, &record, today, true);
    let status = if fresh { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/api/v1/applications/{}", record.tracking);
    Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
}

/// Which applications to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// The centre (staff bound to a centre always see their own).
    pub centre: Option<String>,
    /// Only those not yet ready or ended.
    #[serde(default)]
    pub open: bool,
}

/// Applications of the caller's centre (and provider, for officers), newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "cases", operation_id = "listApplications",
    security(("session" = [])),
    params(ApplicationQuery),
    responses(
        (status = 200, description = "The applications", body = Vec<ApplicationView>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read applications", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let records = cases::list(&state, &caller, q.centre.as_deref(), q.open).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    Ok(Json(
        records
            .iter()
            .map(|r| cases::view(&state, &loaded.catalogue, &caller, locale.lang, r, today, true))
            .collect(),
    ))
}

/// An application with its history and bills, for staff.
#[utoipa::path(get, path = "/api/v1/applications/{tracking}", tag = "cases", operation_id = "getApplication",
    security(("session" = [])),
    params(("tracking" = String, Path, description = "The tracking number, e.g. `AS-2026-000123`")),
    responses(
        (status = 200, description = "The application", body = ApplicationView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre's or provider's application", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let record = cases::staff_application(&state, &caller, &tracking).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    Ok(Json(cases::view(&state, &loaded.catalogue, &caller, locale.lang, &record, today, true)))
}

/// Takes a workflow action on an application (appended to its history, never updated in place).
#[utoipa::path(post, path = "/api/v1/applications/{tracking}/actions", tag = "cases", operation_id = "actOnApplication",
    security(("session" = [])),
    params(("tracking" = String, Path, description = "The tracking number"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retry of the same action with the same key changes nothing and answers the application; the key on another action is a conflict")),
    request_body = ActRequest,
    responses(
        (status = 200, description = "The application after the action", body = ApplicationView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The action is not allowed in the application's state, the bill is not paid, or the key was used for another action", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown action, or no reason where one is needed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(tracking): Path<String>,
    body: Bytes,
) -> Result<Json<ApplicationView>, ApiError> {
    let request: ActRequest = parse(&body, "an action")?;
    let record = cases::act(&state, &caller, &tracking, &request, key(&headers)?).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    Ok(Json(cases::view(&state, &loaded.catalogue, &caller, locale.lang, &record, today, true)))
}

/// The applicant follows an application by its tracking number and their ID number: status,
/// deadline and what to do or bring.
#[utoipa::path(post, path = "/api/v1/applications/track", tag = "cases", operation_id = "trackApplication",
    request_body = TrackRequest,
    responses(
        (status = 200, description = "The application (no personal data)", body = ApplicationView),
        (status = 404, description = "No application has this tracking number and ID number", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn track(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Json<ApplicationView>, ApiError> {
    let request: TrackRequest = parse(&body, "a tracking request")?;
    let record = cases::track(&state, &request.tracking, &request.fin).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    Ok(Json(cases::view(&state, &loaded.catalogue, &caller, locale.lang, &record, today, false)))
}

/// Orders delivery of the ready document to an address, for the delivery fee: by the applicant
/// (with their ID number) or by staff.
#[utoipa::path(post, path = "/api/v1/applications/{tracking}/delivery", tag = "cases", operation_id = "orderDelivery",
    params(("tracking" = String, Path, description = "The tracking number")),
    request_body = DeliveryRequest,
    responses(
        (status = 200, description = "The application with its delivery bill", body = ApplicationView),
        (status = 401, description = "Staff not signed in (without an ID number)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application (or a wrong ID number)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Delivery already ordered, the application has ended, or the service is not delivered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delivery(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
    body: Bytes,
) -> Result<Json<ApplicationView>, ApiError> {
    let request: DeliveryRequest = parse(&body, "a delivery order")?;
    let record = cases::order_delivery(&state, &caller, &tracking, &request).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    let staff = request.fin.is_none();
    Ok(Json(cases::view(&state, &loaded.catalogue, &caller, locale.lang, &record, today, staff)))
}

/// The applicant's ID number, when a kiosk issues the collection ticket.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CollectRequest {
    /// The applicant's national ID number (kiosks and integrations must give it).
    #[serde(default)]
    pub fin: Option<String>,
}

/// Issues the ticket with which the applicant collects the ready document at the centre.
#[utoipa::path(post, path = "/api/v1/applications/{tracking}/collection-ticket", tag = "cases", operation_id = "collectionTicket",
    security(("session" = []), ("bearer" = [])),
    params(("tracking" = String, Path, description = "The tracking number")),
    request_body = CollectRequest,
    responses(
        (status = 201, description = "The collection ticket", body = crate::queue::TicketView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre's application", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application (or, at a kiosk, a wrong ID number)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing ready to collect, or the centre is closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn collection_ticket(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: CollectRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CollectRequest::default()
    } else {
        parse(&body, "a collection request")?
    };
    let view =
        cases::collection_ticket(&state, &caller, locale.lang, &tracking, request.fin.as_deref()).await?;
    let location = format!("/api/v1/tickets/{}", view.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)).into_response())
}
