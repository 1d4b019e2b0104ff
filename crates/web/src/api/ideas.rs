//! The Bank of Ideas as JSON. Handlers parse HTTP and call the flows in [`crate::ideas`].

use crate::AppState;
use crate::auth::Caller;
use crate::ideas::{self, CriterionView, DecisionRequest, IdeaRequest, IdeaView, ScoresRequest};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

fn body<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body is not {what}: {e}")))
}

/// The published criteria ideas are scored against, with their weights.
#[utoipa::path(get, path = "/api/v1/ideas/criteria", tag = "feedback", operation_id = "ideaCriteria",
    responses((status = 200, description = "The criteria", body = Vec<CriterionView>)))]
pub async fn criteria() -> Json<Vec<CriterionView>> {
    Json(ideas::criteria())
}

/// Submits an idea to the Bank of Ideas.
#[utoipa::path(post, path = "/api/v1/ideas", tag = "feedback", operation_id = "submitIdea",
    request_body = IdeaRequest,
    responses(
        (status = 201, description = "The idea with its reference", body = IdeaView),
        (status = 422, description = "No title or description, or too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: IdeaRequest = body(&bytes, "an idea")?;
    let record = ideas::submit(&state, &caller, &request).await?;
    let location = format!("/api/v1/ideas/{}", record.reference);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(ideas::view(&record))).into_response())
}

/// Every idea with its public status, newest first.
#[utoipa::path(get, path = "/api/v1/ideas", tag = "feedback", operation_id = "listIdeas",
    responses((status = 200, description = "The ideas", body = Vec<IdeaView>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<IdeaView>>, ApiError> {
    Ok(Json(state.store.ideas(500).await?.iter().map(ideas::view).collect()))
}

/// One idea with its public status, scores and reward.
#[utoipa::path(get, path = "/api/v1/ideas/{reference}", tag = "feedback", operation_id = "getIdea",
    params(("reference" = String, Path, description = "The idea's reference")),
    responses(
        (status = 200, description = "The idea", body = IdeaView),
        (status = 404, description = "No such idea", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<IdeaView>, ApiError> {
    Ok(Json(ideas::view(&ideas::find(&state, &reference).await?)))
}

/// A commission member scores an idea on every published criterion (again: replaces).
#[utoipa::path(post, path = "/api/v1/ideas/{reference}/scores", tag = "feedback", operation_id = "scoreIdea",
    security(("session" = [])),
    params(("reference" = String, Path, description = "The idea's reference")),
    request_body = ScoresRequest,
    responses(
        (status = 200, description = "The idea", body = IdeaView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the commission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such idea", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A criterion missing, unknown or out of 0–5", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Json<IdeaView>, ApiError> {
    let request: ScoresRequest = body(&bytes, "scores")?;
    Ok(Json(ideas::view(&ideas::score(&state, &caller, &reference, &request).await?)))
}

/// The commission accepts an idea with a reward, or rejects it.
#[utoipa::path(post, path = "/api/v1/ideas/{reference}/decision", tag = "feedback", operation_id = "decideIdea",
    security(("session" = [])),
    params(("reference" = String, Path, description = "The idea's reference")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "The idea", body = IdeaView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the commission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such idea", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not scored yet, or already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Acceptance without a reward, or rejection with one", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Json<IdeaView>, ApiError> {
    let request: DecisionRequest = body(&bytes, "a decision")?;
    Ok(Json(ideas::view(&ideas::decide(&state, &caller, &reference, &request).await?)))
}
