//! The one place errors become HTTP responses: RFC 9457 `application/problem+json`.
//!
//! Handlers return [`ApiError`]. Responses that other layers make on their own (404 for an unknown
//! path, 405, 408 on timeout, 413 for a large body, an extractor's rejection) are turned into the
//! same shape by [`problems_only`], so a client meets one error format everywhere. Internal details
//! are logged, never sent.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onestop_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a client can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request field at fault, where one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a full appointment slot: the next slots with a free place (RFC 3339 start times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_free_slots: Option<Vec<String>>,
}

/// An error a handler returns; becomes a problem response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    detail: Option<String>,
    field: Option<String>,
    next_free_slots: Option<Vec<String>>,
}

impl ApiError {
    /// An error with `status` and a detail for the client.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self { status, detail: Some(detail.into()), field: None, next_free_slots: None }
    }

    /// Adds the next free appointment slots (to a 409 for a full slot).
    pub fn with_next_free_slots(mut self, slots: Vec<String>) -> Self {
        self.next_free_slots = Some(slots);
        self
    }

    /// 400: the request is malformed; `field` names the part at fault.
    pub fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(StatusCode::BAD_REQUEST, detail) }
    }

    /// 422: the request is well-formed but its content is refused; `field` names the part at fault.
    pub fn unprocessable(field: &str, detail: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail) }
    }

    /// 404: nothing here.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 503: a dependency (the database) is not answering.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    /// 500, with no detail for the client; the cause must already be logged.
    pub fn internal() -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, detail: None, field: None, next_free_slots: None }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The problem body of this error.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").into(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
            next_free_slots: self.next_free_slots.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::Conflict(what) => ApiError::conflict(what),
            StoreError::Other(cause) => {
                tracing::error!(%cause, "storage error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).expect("a problem always serialises");
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Marks an error response that speaks a format a standard demands (Open311's error list), which
/// [`problems_only`] leaves as it is.
#[derive(Debug, Clone, Copy)]
pub struct OwnErrorFormat;

/// The fallback for paths no route matches.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("there is nothing at {}", request.uri().path()))
}

/// The fallback for a known path asked with a method it does not take.
pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not take {}", request.uri().path(), request.method()),
    )
}

/// Turns every error response that is neither a problem nor a page into a problem. A 4xx keeps the plain-text
/// reason another layer gave (it describes the request, not the server); a 5xx keeps nothing.
pub async fn problems_only(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    // Problems pass as they are; so do pages, which explain their errors to people.
    let explained = content_type.starts_with(PROBLEM_JSON.as_bytes())
        || content_type.starts_with(b"text/html")
        || response.extensions().get::<OwnErrorFormat>().is_some();
    if !(status.is_client_error() || status.is_server_error()) || explained {
        return response;
    }
    let detail = if status.is_client_error() {
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        Some(if text.is_empty() { default_detail(status) } else { text })
    } else {
        drop(response);
        None
    };
    let error = ApiError { status, detail, field: None, next_free_slots: None };
    let mut response = error.into_response();
    if status == StatusCode::REQUEST_TIMEOUT {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than this server accepts".into(),
        other => other.canonical_reason().unwrap_or("error").to_lowercase(),
    }
}
