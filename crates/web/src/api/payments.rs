//! Bills, payments, refunds and the reconciliation as JSON. Handlers parse HTTP and call the flows
//! in [`crate::payments`].

use crate::AppState;
use crate::auth::Caller;
use crate::cases::BillView;
use crate::i18n::Locale;
use crate::idempotency::{self, Created};
use crate::payments::{
    self, CardRequest, CreatePaymentRequest, OnlinePaymentView, PayRequest, ReconciliationView,
    RefundRequest, RefundView,
};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onestop_domain::payments::RefundStep;
use serde::Deserialize;
use utoipa::IntoParams;

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not {what}: {e}")))
}

/// A bill: amounts, exemptions and whether it is paid (no personal data).
#[utoipa::path(get, path = "/api/v1/bills/{reference}", tag = "payments", operation_id = "getBill",
    params(("reference" = String, Path, description = "The payment reference (12 digits)")),
    responses(
        (status = 200, description = "The bill", body = BillView),
        (status = 404, description = "No such bill", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_bill(
    State(state): State<AppState>,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    Ok(Json(payments::bill(&state, locale.lang, &reference).await?))
}

/// The bill's payment reference as a QR code for the bank section's scanner.
#[utoipa::path(get, path = "/api/v1/bills/{reference}/qr", tag = "payments", operation_id = "getBillQr",
    params(("reference" = String, Path, description = "The payment reference")),
    responses(
        (status = 200, description = "An SVG image", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No such bill", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bill_qr(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let svg = payments::bill_qr(&state, &reference).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

fn bill_location(body: &[u8]) -> String {
    let reference = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["reference"].as_str().map(str::to_owned));
    reference.map_or_else(|| "/api/v1/bills".to_owned(), |r| format!("/api/v1/bills/{r}"))
}

/// Records a payment at the bank section (a bank teller of the bill's centre) or by the centre's
/// payment terminal: exactly the amount due, once. No other role may record a payment.
#[utoipa::path(post, path = "/api/v1/bills/{reference}/payments", tag = "payments", operation_id = "payBill",
    security(("session" = []), ("bearer" = [])),
    params(("reference" = String, Path, description = "The payment reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key replays the first answer; the same key with a different body is 409")),
    request_body = PayRequest,
    responses(
        (status = 201, description = "The bill, paid", body = BillView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the bank section or a payment terminal of the bill's centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such bill", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already paid, cancelled, nothing to pay, or the Idempotency-Key was used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not exactly the amount due, or another currency", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pay_bill(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: PayRequest = parse(&body, "a payment")?;
    let path = format!("/api/v1/bills/{reference}/payments");
    let create = async {
        let view = payments::pay(&state, &caller, locale.lang, &reference, &request).await?;
        let body = serde_json::to_vec(&view).map_err(|_| ApiError::internal())?;
        Ok(Created {
            status: StatusCode::CREATED,
            body,
            location: format!("/api/v1/bills/{}", view.reference),
        })
    };
    idempotency::once_for_money(&state, &caller, &headers, &path, &body, bill_location, create).await
}

/// Asks for a refund on a paid bill, with its reason.
#[utoipa::path(post, path = "/api/v1/bills/{reference}/refunds", tag = "payments", operation_id = "requestRefund",
    security(("session" = [])),
    params(("reference" = String, Path, description = "The payment reference")),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund, requested", body = RefundView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre's bill, or a role that may not ask", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such bill", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than can still be refunded, nothing, or no reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_refund(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: RefundRequest = parse(&body, "a refund request")?;
    let view = payments::request_refund(&state, &caller, locale.lang, &reference, &request).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

macro_rules! refund_step {
    ($name:ident, $path:literal, $op:literal, $doc:literal, $who:literal, $step:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "payments", operation_id = $op,
            security(("session" = [])),
            params(("id" = i64, Path, description = "The refund's id")),
            responses(
                (status = 200, description = "The refund after the step", body = RefundView),
                (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = $who, body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such refund", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "The refund is not in a state that allows the step", body = Problem, content_type = "application/problem+json"),
            ))]
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            locale: Locale,
            Path(id): Path<i64>,
        ) -> Result<Json<RefundView>, ApiError> {
            Ok(Json(payments::refund_step(&state, &caller, locale.lang, id, $step).await?))
        }
    };
}

refund_step!(
    approve_refund,
    "/api/v1/refunds/{id}/approve",
    "approveRefund",
    "The centre manager approves a refund.",
    "Not the manager of the bill's centre",
    RefundStep::Approve
);
refund_step!(
    decline_refund,
    "/api/v1/refunds/{id}/decline",
    "declineRefund",
    "The centre manager declines a refund.",
    "Not the manager of the bill's centre",
    RefundStep::Decline
);
refund_step!(
    execute_refund,
    "/api/v1/refunds/{id}/execute",
    "executeRefund",
    "The bank section pays an approved refund out.",
    "Not the bank section of the bill's centre",
    RefundStep::Execute
);

/// Which refunds to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundQuery {
    /// States, comma-separated (`requested,approved`); all when absent.
    pub state: Option<String>,
}

/// A centre's refunds.
#[utoipa::path(get, path = "/api/v1/centres/{code}/refunds", tag = "payments", operation_id = "listRefunds",
    security(("session" = [])),
    params(("code" = String, Path, description = "The centre's code"), RefundQuery),
    responses(
        (status = 200, description = "The refunds, oldest first", body = Vec<RefundView>),
        (status = 400, description = "An unknown state", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre, or a role that may not read payments", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refunds(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    Query(q): Query<RefundQuery>,
) -> Result<Json<Vec<RefundView>>, ApiError> {
    let states = payments::refund_states(q.state.as_deref())?;
    Ok(Json(payments::refunds(&state, &caller, locale.lang, &code, &states).await?))
}

/// Which day to reconcile.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The day (`YYYY-MM-DD`); today when absent.
    pub date: Option<String>,
}

/// A centre's money for one day: bills issued and cancelled, payments per channel and taker,
/// refunds, outstanding amounts, and whether they balance.
#[utoipa::path(get, path = "/api/v1/centres/{code}/reconciliation", tag = "payments", operation_id = "reconciliation",
    security(("session" = [])),
    params(("code" = String, Path, description = "The centre's code"), DayQuery),
    responses(
        (status = 200, description = "The reconciliation", body = ReconciliationView),
        (status = 400, description = "Not a date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre, or a role that may not read payments", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Json<ReconciliationView>, ApiError> {
    Ok(Json(payments::reconciliation(&state, &caller, &code, q.date.as_deref()).await?))
}

fn payment_location(body: &[u8]) -> String {
    let id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["payment_id"].as_str().map(str::to_owned));
    id.map_or_else(|| "/api/v1/payments".to_owned(), |id| format!("/api/v1/payments/{id}"))
}

/// Creates an online payment of a bill (the shape of GOV.UK Pay's): then send the payer to
/// `_links.next_url`, or submit the card with `pay` and capture with `confirm`.
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", operation_id = "createPayment",
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key replays the first answer; the same key with a different body is 409")),
    request_body = CreatePaymentRequest,
    responses(
        (status = 201, description = "The payment, created", body = OnlinePaymentView),
        (status = 409, description = "The bill is paid or cancelled, or the Idempotency-Key was used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such bill, or not exactly the amount due", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_payment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: CreatePaymentRequest = parse(&body, "a payment")?;
    let create = async {
        let record = payments::create_online(&state, &request).await?;
        let view = payments::online_view(&state, &record);
        let body = serde_json::to_vec(&view).map_err(|_| ApiError::internal())?;
        Ok(Created {
            status: StatusCode::CREATED,
            body,
            location: format!("/api/v1/payments/{}", view.payment_id),
        })
    };
    idempotency::once_for_money(
        &state,
        &caller,
        &headers,
        "/api/v1/payments",
        &body,
        payment_location,
        create,
    )
    .await
}

/// An online payment and its state.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments", operation_id = "getPayment",
    params(("id" = String, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment", body = OnlinePaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OnlinePaymentView>, ApiError> {
    let record = payments::online(&state, &id).await?;
    Ok(Json(payments::online_view(&state, &record)))
}

/// The payer's card details go to the acquirer, which authorises (`submitted`) or declines
/// (`failed`). Card numbers are never stored.
#[utoipa::path(post, path = "/api/v1/payments/{id}/pay", tag = "payments", operation_id = "submitPayment",
    params(("id" = String, Path, description = "The payment's id")),
    request_body = CardRequest,
    responses(
        (status = 200, description = "The payment, submitted or failed", body = OnlinePaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment is no longer awaiting card details", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Card details that are not a card, or an expired card", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<OnlinePaymentView>, ApiError> {
    let card: CardRequest = parse(&body, "card details")?;
    let record = payments::online_pay(&state, &caller, &id, &card).await?;
    Ok(Json(payments::online_view(&state, &record)))
}

/// Captures a submitted payment: the bill is paid, and a ticket parked for it returns to its
/// window.
#[utoipa::path(post, path = "/api/v1/payments/{id}/confirm", tag = "payments", operation_id = "confirmPayment",
    params(("id" = String, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment, successful or failed", body = OnlinePaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment is not submitted", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OnlinePaymentView>, ApiError> {
    let record = payments::online_confirm(&state, &caller, &id).await?;
    Ok(Json(payments::online_view(&state, &record)))
}

/// Cancels a payment not yet submitted.
#[utoipa::path(post, path = "/api/v1/payments/{id}/cancel", tag = "payments", operation_id = "cancelPayment",
    params(("id" = String, Path, description = "The payment's id")),
    responses(
        (status = 200, description = "The payment, cancelled", body = OnlinePaymentView),
        (status = 404, description = "No such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment is already submitted or ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OnlinePaymentView>, ApiError> {
    let record = payments::online_cancel(&state, &caller, &id).await?;
    Ok(Json(payments::online_view(&state, &record)))
}
