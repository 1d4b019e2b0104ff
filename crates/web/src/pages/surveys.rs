//! A published survey answered on the web, or through the link sent after service (`?via=link`),
//! without script.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::pages::feedback::{field, form_csrf, form_csrf_ok, form_fields, with_cookie};
use crate::problem::ApiError;
use crate::surveys::{self, ResponseRequest};
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use onestop_domain::feedback::survey::{Answer, Question};
use serde::Deserialize;
use serde_json::json;

/// How the survey was reached.
#[derive(Debug, Default, Deserialize)]
pub struct Via {
    via: Option<String>,
}

#[allow(clippy::too_many_arguments)] // one page's parts
async fn page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    code: &str,
    csrf: &str,
    via: Option<&str>,
    errors: Vec<FormError>,
    done: bool,
) -> Result<axum::response::Html<String>, ApiError> {
    let survey = surveys::find(state, caller, code).await?;
    state.templates.page(
        locale,
        caller,
        "survey.html",
        json!({
            "survey": surveys::view(state, &survey),
            "csrf": csrf,
            "via": via.filter(|v| *v == "link"),
            "errors": errors,
            "done": done,
            // A paired screen (a feedback tablet) answers through the API, which knows its channel.
            "config": {
                "device": caller.device_cookie,
                "code": survey.code,
                "questions": survey.questions,
            },
        }),
    )
}

/// `GET /surveys/{survey}`: the questionnaire.
pub async fn form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<Via>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let html = page(&state, &caller, &locale, &code, &csrf, q.via.as_deref(), Vec::new(), false).await?;
    Ok(with_cookie(html.into_response(), set))
}

/// `POST /surveys/{survey}`: records the answers.
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let (csrf, _) = form_csrf(&caller, &headers);
    let via = field(&fields, "via").map(str::to_owned);
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let html = page(&state, &caller, &locale, &code, &csrf, via.as_deref(), vec![error], false).await?;
        return Ok((StatusCode::BAD_REQUEST, html).into_response());
    }
    let survey = surveys::find(&state, &caller, &code).await?;
    let answers: Vec<Answer> = survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let raw = field(&fields, &format!("q{i}")).unwrap_or_default().trim().to_owned();
            match q {
                Question::Text { .. } => Answer::Text(raw),
                _ => raw.parse::<i64>().map(Answer::Number).unwrap_or(Answer::Text(raw)),
            }
        })
        .collect();
    let request = ResponseRequest { answers, via: via.clone() };
    match surveys::answer(&state, &caller, &code, &request).await {
        Ok(()) => Ok(page(&state, &caller, &locale, &code, &csrf, via.as_deref(), Vec::new(), true)
            .await?
            .into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY || e.status() == StatusCode::FORBIDDEN => {
            let status = e.status();
            let error = FormError::general(e.problem().detail.unwrap_or_default());
            let html =
                page(&state, &caller, &locale, &code, &csrf, via.as_deref(), vec![error], false).await?;
            Ok((status, html).into_response())
        }
        Err(e) => Err(e),
    }
}
