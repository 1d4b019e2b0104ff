//! Surveys as JSON. Handlers parse HTTP and call the flows in [`crate::surveys`].

use crate::AppState;
use crate::auth::Caller;
use crate::problem::{ApiError, Problem};
use crate::surveys::{self, ResponseRequest, SurveyRequest, SurveyResults, SurveyView};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

fn body<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not {what}: {e}")))
}

/// Defines a survey (published separately).
#[utoipa::path(post, path = "/api/v1/surveys", tag = "feedback", operation_id = "createSurvey",
    security(("session" = [])),
    request_body = SurveyRequest,
    responses(
        (status = 201, description = "The survey", body = SurveyView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not define surveys", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad code, title, question or channel list", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    bytes: Bytes,
) -> Result<(StatusCode, Json<SurveyView>), ApiError> {
    let request: SurveyRequest = body(&bytes, "a survey")?;
    let record = surveys::create(&state, &caller, &request).await?;
    Ok((StatusCode::CREATED, Json(surveys::view(&state, &record))))
}

/// Publishes a survey on its channels.
#[utoipa::path(post, path = "/api/v1/surveys/{survey}/publish", tag = "feedback", operation_id = "publishSurvey",
    security(("session" = [])),
    params(("survey" = String, Path, description = "The survey's code")),
    responses(
        (status = 200, description = "The survey", body = SurveyView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not publish surveys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<SurveyView>, ApiError> {
    Ok(Json(surveys::view(&state, &surveys::publish(&state, &caller, &code).await?)))
}

/// A published survey, to answer.
#[utoipa::path(get, path = "/api/v1/surveys/{survey}", tag = "feedback", operation_id = "getSurvey",
    params(("survey" = String, Path, description = "The survey's code")),
    responses(
        (status = 200, description = "The survey", body = SurveyView),
        (status = 404, description = "No such published survey", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<SurveyView>, ApiError> {
    Ok(Json(surveys::view(&state, &surveys::find(&state, &caller, &code).await?)))
}

/// Answers a published survey: on the web, on a feedback tablet (its token), or through the link
/// sent after service (`via: link`).
#[utoipa::path(post, path = "/api/v1/surveys/{survey}/responses", tag = "feedback", operation_id = "answerSurvey",
    params(("survey" = String, Path, description = "The survey's code")),
    request_body = ResponseRequest,
    responses(
        (status = 201, description = "Recorded"),
        (status = 403, description = "Not published on this channel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such published survey", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An answer missing or out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    bytes: Bytes,
) -> Result<StatusCode, ApiError> {
    let request: ResponseRequest = body(&bytes, "a response")?;
    surveys::answer(&state, &caller, &code, &request).await?;
    Ok(StatusCode::CREATED)
}

/// A survey's responses aggregated per question.
#[utoipa::path(get, path = "/api/v1/surveys/{survey}/results", tag = "feedback", operation_id = "surveyResults",
    security(("session" = [])),
    params(("survey" = String, Path, description = "The survey's code")),
    responses(
        (status = 200, description = "The results", body = SurveyResults),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read survey results", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such survey", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn results(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<SurveyResults>, ApiError> {
    Ok(Json(surveys::results(&state, &caller, &code).await?))
}
