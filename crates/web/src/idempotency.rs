//! `Idempotency-Key` on POSTs that create something (DESIGN: tickets, bookings, bills, payments): a
//! client that retries — a kiosk after a dropped connection — sends the same key and gets the first
//! answer again instead of a second ticket. The rule is `onestop_domain::idempotency`; the store
//! claims keys atomically, per caller.

use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use onestop_domain::idempotency::{Claim, IdempotencyKey, RequestFingerprint, StoredResponse};

/// The request header carrying the key.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The created thing's answer: status, JSON body and headers to send with it.
pub struct Created {
    /// The status, e.g. 201.
    pub status: StatusCode,
    /// The JSON body.
    pub body: Vec<u8>,
    /// The `Location` of what was created.
    pub location: String,
}

impl IntoResponse for Created {
    fn into_response(self) -> Response {
        let location = HeaderValue::from_str(&self.location).unwrap_or(HeaderValue::from_static("/"));
        (
            self.status,
            [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            [(axum::http::header::LOCATION, location)],
            self.body,
        )
            .into_response()
    }
}

/// Runs `create`, the POST to `path` with `body`, at most once per `Idempotency-Key` of this caller: without a key it just runs; with
/// a new key it runs and keeps the answer; with a key already answered it replays that answer
/// (marked `Idempotent-Replayed: true`) and runs nothing. A key still being processed answers 409, a
/// key used for a different request 422; a malformed key 400. A failed `create` releases the key,
/// so the client may retry.
pub async fn once<F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    location_of: fn(&[u8]) -> String,
    create: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<Created, ApiError>>,
{
    run(state, caller, headers, (path, body), location_of, StatusCode::UNPROCESSABLE_ENTITY, create).await
}

/// [`once`] for money (payments, as GOV.UK Pay does): a key used for a different request is a
/// conflict, 409.
pub async fn once_for_money<F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    location_of: fn(&[u8]) -> String,
    create: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<Created, ApiError>>,
{
    run(state, caller, headers, (path, body), location_of, StatusCode::CONFLICT, create).await
}

async fn run<F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    (path, body): (&str, &[u8]),
    location_of: fn(&[u8]) -> String,
    mismatch: StatusCode,
    create: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<Created, ApiError>>,
{
    let Some(raw) = headers.get(HEADER) else {
        return create.await.map(IntoResponse::into_response);
    };
    let key = raw
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key", "the Idempotency-Key is not visible ASCII"))
        .and_then(|k| {
            IdempotencyKey::parse(k).map_err(|e| ApiError::bad_request("Idempotency-Key", e.to_string()))
        })?;
    let scope = caller.principal.as_ref().map_or_else(|| "anonymous".to_owned(), |p| p.actor());
    let fingerprint = RequestFingerprint::of("POST", path, body);
    let store = state.store.as_ref();
    match store.claim_idempotency_key(&scope, &key, &fingerprint, state.now()).await? {
        Claim::Fresh => match create.await {
            Ok(created) => {
                let stored = StoredResponse { status: created.status.as_u16(), body: created.body.clone() };
                store.complete_idempotency_key(&scope, &key, &stored).await?;
                Ok(created.into_response())
            }
            Err(e) => {
                store.release_idempotency_key(&scope, &key).await?;
                Err(e)
            }
        },
        Claim::Replay(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let location = location_of(&stored.body);
            let mut response = Created { status, body: stored.body, location }.into_response();
            response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            Ok(response)
        }
        Claim::InFlight => Err(ApiError::conflict(
            "a request with this Idempotency-Key is still being processed; retry in a moment",
        )),
        Claim::Mismatch if mismatch == StatusCode::UNPROCESSABLE_ENTITY => Err(ApiError::unprocessable(
            "Idempotency-Key",
            "this Idempotency-Key was already used for a different request",
        )),
        Claim::Mismatch => {
            Err(ApiError::new(mismatch, "this Idempotency-Key was already used for a different request"))
        }
    }
}
