//! Online appointments as JSON: free slots, the proof-of-work challenge, holding, confirming,
//! cancelling, rescheduling and checking in, and the booking's calendar file and QR code.
//! Handlers parse HTTP and call the flows in [`crate::booking`].

use crate::AppState;
use crate::auth::Caller;
use crate::booking::{self, AppointmentView, BookRequest, ChallengeView, CheckedInView, SlotsView};
use crate::i18n::Locale;
use crate::idempotency::{self, Created};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Which slots to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    /// The service's code.
    pub service: String,
    /// The date (`YYYY-MM-DD`), from tomorrow through a week ahead.
    pub date: String,
    /// `website` (default), `call_centre` or `info_desk` (the last two for staff).
    #[serde(default)]
    pub channel: Option<String>,
}

/// The one-time code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// The six digits sent by email or SMS.
    pub code: String,
}

/// Who cancels.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    /// The national ID number the booking was made with.
    pub national_id: String,
}

/// Where to move a booking.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RescheduleRequest {
    /// The national ID number the booking was made with.
    pub national_id: String,
    /// The new slot's start (RFC 3339).
    pub starts_at: String,
    /// Another centre offering the service (default: the same one).
    #[serde(default)]
    pub centre: Option<String>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not {what}: {e}")))
}

/// The free slots of a service at a centre on a date.
#[utoipa::path(get, path = "/api/v1/centres/{code}/slots", tag = "booking", operation_id = "listSlots",
    params(("code" = String, Path, description = "The centre's code"), SlotsQuery),
    responses(
        (status = 200, description = "The slots and their free places", body = SlotsView),
        (status = 400, description = "A malformed date", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A staff channel asked for without the permission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Service not offered here, or the date outside the bookable window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_slots(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(query): Query<SlotsQuery>,
) -> Result<Json<SlotsView>, ApiError> {
    Ok(Json(
        booking::slots_of(&state, &caller, &code, &query.service, &query.date, query.channel.as_deref())
            .await?,
    ))
}

/// A proof-of-work challenge for the booking form.
#[utoipa::path(get, path = "/api/v1/appointments/challenge", tag = "booking", operation_id = "bookingChallenge",
    responses((status = 200, description = "A challenge to solve before booking", body = ChallengeView)))]
pub async fn challenge(State(state): State<AppState>) -> Result<Response, ApiError> {
    let view = booking::challenge(&state)?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response())
}

/// Holds a slot and sends the one-time code; the booking is made when the code confirms it.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "booking", operation_id = "holdAppointment",
    params(("Idempotency-Key" = Option<String>, Header, description = "A key the client chooses per booking: a retry with the same key gets the first answer again")),
    request_body = BookRequest,
    responses(
        (status = 201, description = "Held; the code is on its way", body = AppointmentView,
            headers(("location" = String, description = "The appointment's URL"))),
        (status = 403, description = "Barred by missed appointments, or a staff channel without the permission", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slot is full (`next_free_slots` lists others), or the person already has a booking for the service", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, the date is outside the bookable window, no such slot, or the proof of work is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or for this national ID", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: BookRequest = json_body(&body, "a booking request")?;
    let create = async {
        let view = booking::hold(&state, &caller, locale.lang, request).await?;
        let body = serde_json::to_vec(&view).map_err(|_| ApiError::internal())?;
        Ok(Created { status: StatusCode::CREATED, body, location: location(&view.reference) })
    };
    idempotency::once(&state, &caller, &headers, "/api/v1/appointments", &body, location_of, create).await
}

fn location(reference: &str) -> String {
    format!("/api/v1/appointments/{reference}")
}

fn location_of(body: &[u8]) -> String {
    let reference = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["reference"].as_str().map(str::to_owned));
    reference.map_or_else(|| "/api/v1/appointments".to_owned(), |r| location(&r))
}

/// An appointment, without personal data.
#[utoipa::path(get, path = "/api/v1/appointments/{ref}", tag = "booking", operation_id = "getAppointment",
    params(("ref" = String, Path, description = "The booking reference")),
    responses(
        (status = 200, description = "The appointment", body = AppointmentView),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_appointment(
    State(state): State<AppState>,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Json<AppointmentView>, ApiError> {
    Ok(Json(booking::get(&state, locale.lang, &reference).await?.0))
}

/// Confirms a held appointment with the one-time code.
#[utoipa::path(post, path = "/api/v1/appointments/{ref}/confirm", tag = "booking", operation_id = "confirmAppointment",
    params(("ref" = String, Path, description = "The booking reference")),
    request_body = ConfirmRequest,
    responses(
        (status = 200, description = "Confirmed", body = AppointmentView),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not held (confirmed already, cancelled, …)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The hold expired before the code came", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The code is wrong", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Json<AppointmentView>, ApiError> {
    let request: ConfirmRequest = json_body(&body, "a confirmation")?;
    Ok(Json(booking::confirm(&state, &caller, locale.lang, &reference, &request.code).await?))
}

/// Cancels an appointment (reference and national ID); its place is offered again after a delay.
#[utoipa::path(delete, path = "/api/v1/appointments/{ref}", tag = "booking", operation_id = "cancelAppointment",
    params(("ref" = String, Path, description = "The booking reference")),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled", body = AppointmentView),
        (status = 404, description = "No appointment with that reference and national ID", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid national ID", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Json<AppointmentView>, ApiError> {
    let request: CancelRequest = json_body(&body, "a cancellation")?;
    Ok(Json(booking::cancel(&state, &caller, locale.lang, &reference, &request.national_id).await?))
}

/// Moves a confirmed appointment to another slot: a new reference, confirmed at once.
#[utoipa::path(post, path = "/api/v1/appointments/{ref}/reschedule", tag = "booking", operation_id = "rescheduleAppointment",
    params(("ref" = String, Path, description = "The booking reference")),
    request_body = RescheduleRequest,
    responses(
        (status = 201, description = "The new booking", body = AppointmentView),
        (status = 404, description = "No confirmed appointment with that reference and national ID", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new slot is full (`next_free_slots` lists others)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field, or the date outside the bookable window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let r: RescheduleRequest = json_body(&body, "a reschedule request")?;
    let view = booking::reschedule(
        &state,
        &caller,
        locale.lang,
        &reference,
        &r.national_id,
        &r.starts_at,
        r.centre.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location(&view.reference))], Json(view)).into_response())
}

/// Checks an appointment in at its centre, from 10 minutes before its time until the grace period
/// after: it becomes a queue ticket that the calling rules serve at its time.
#[utoipa::path(post, path = "/api/v1/appointments/{ref}/check-in", tag = "booking", operation_id = "checkInAppointment",
    security(("session" = []), ("bearer" = [])),
    params(("ref" = String, Path, description = "The booking reference")),
    responses(
        (status = 201, description = "The ticket", body = CheckedInView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not at this appointment's centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not confirmed, too early, or past the grace period", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let view = booking::check_in(&state, &caller, locale.lang, &reference).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The appointment as an iCalendar file (RFC 5545).
#[utoipa::path(get, path = "/api/v1/appointments/{ref}/calendar.ics", tag = "booking", operation_id = "appointmentCalendar",
    params(("ref" = String, Path, description = "The booking reference")),
    responses(
        (status = 200, description = "The calendar file", content_type = "text/calendar", body = String),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn calendar(
    State(state): State<AppState>,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let text = booking::ics(&state, locale.lang, &reference).await?;
    let disposition = format!("attachment; filename=\"{reference}.ics\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

/// The booking reference as a QR code (SVG), for the kiosk to scan at check-in.
#[utoipa::path(get, path = "/api/v1/appointments/{ref}/qr.svg", tag = "booking", operation_id = "appointmentQr",
    params(("ref" = String, Path, description = "The booking reference")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn qr(State(state): State<AppState>, Path(reference): Path<String>) -> Result<Response, ApiError> {
    let svg = booking::qr(&state, &reference).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
