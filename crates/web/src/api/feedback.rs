//! Ratings and satisfaction as JSON. Handlers parse HTTP and call the flows in [`crate::ratings`].

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::problem::{ApiError, Problem};
use crate::ratings::{self, RatingRequest, RatingView, SatisfactionQuery, SatisfactionView};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

fn rating_request(body: &[u8]) -> Result<RatingRequest, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not a rating: {e}")))
}

/// The feedback tablet at a window rates the ticket just finished there: once per ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/rating", tag = "feedback", operation_id = "rateTicket",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's id")),
    request_body = RatingRequest,
    responses(
        (status = 201, description = "The rating", body = RatingView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a feedback tablet, or the ticket was finished at another window", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket at the tablet's centre", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ticket has not finished, or was already rated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A score out of 1–5, an unknown reason or a comment too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rate_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<RatingView>), ApiError> {
    let request = rating_request(&body)?;
    Ok((StatusCode::CREATED, Json(ratings::rate_ticket(&state, &caller, id, &request).await?)))
}

/// An exit-poll rating of a visit to a centre.
#[utoipa::path(post, path = "/api/v1/centres/{code}/exit-poll", tag = "feedback", operation_id = "exitPoll",
    params(("code" = String, Path, description = "The centre's code")),
    request_body = RatingRequest,
    responses(
        (status = 201, description = "The rating", body = RatingView),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A score out of 1–5, an unknown reason or a comment too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn exit_poll(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RatingView>), ApiError> {
    let request = rating_request(&body)?;
    Ok((StatusCode::CREATED, Json(ratings::rate_visit(&state, &caller, &code, &request).await?)))
}

/// Satisfaction rates (the share of ratings of 4 and 5) per centre, provider, service or officer
/// over a period.
#[utoipa::path(get, path = "/api/v1/satisfaction", tag = "feedback", operation_id = "satisfaction",
    params(SatisfactionQuery),
    responses(
        (status = 200, description = "The rates", body = SatisfactionView),
        (status = 400, description = "A bad grouping or date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Officers' rates asked without signing in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers' rates asked by a role that may not read them", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn satisfaction(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<SatisfactionQuery>,
) -> Result<Json<SatisfactionView>, ApiError> {
    Ok(Json(ratings::satisfaction(&state, &caller, locale.lang, &q).await?))
}
