//! The Bank of Ideas page: the published criteria, every idea with its public status and reward,
//! and the form to submit one.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::{Locale, format_money};
use crate::ideas::{self, IdeaRequest};
use crate::pages::feedback::{field, form_csrf, form_csrf_ok, form_fields, with_cookie};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

async fn page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    csrf: &str,
    form: Value,
    errors: Vec<FormError>,
    submitted: Option<String>,
) -> Result<axum::response::Html<String>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let minor_units = u32::from(loaded.catalogue.country.currency.minor_units);
    let list: Vec<Value> = state
        .store
        .ideas(200)
        .await?
        .iter()
        .map(|r| {
            let v = ideas::view(r);
            let reward = v
                .reward
                .as_ref()
                .map(|w| format_money(locale.lang, w.amount_minor, &w.currency, minor_units));
            let mut value = serde_json::to_value(&v).unwrap_or_default();
            value["reward_text"] = json!(reward);
            value
        })
        .collect();
    state.templates.page(
        locale,
        caller,
        "ideas.html",
        json!({
            "criteria": ideas::criteria(),
            "ideas": list,
            "csrf": csrf,
            "form": form,
            "errors": errors,
            "submitted": submitted,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "ideas-title", "href": "/ideas" }],
        }),
    )
}

/// After a submission.
#[derive(Debug, Default, Deserialize)]
pub struct Submitted {
    submitted: Option<String>,
}

/// `GET /ideas`: the Bank of Ideas.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Query(q): Query<Submitted>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let submitted =
        q.submitted.filter(|r| r.len() <= 20 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let html = page(&state, &caller, &locale, &csrf, json!({}), Vec::new(), submitted).await?;
    Ok(with_cookie(html.into_response(), set))
}

/// `POST /ideas`: submits an idea.
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let get = |name: &str| field(&fields, name).map(str::to_owned);
    let (csrf, _) = form_csrf(&caller, &headers);
    let echo = json!({ "title": get("title"), "text": get("text"), "author": get("author"), "contact": get("contact") });
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let html = page(&state, &caller, &locale, &csrf, echo, vec![error], None).await?;
        return Ok((StatusCode::BAD_REQUEST, html).into_response());
    }
    let request = IdeaRequest {
        title: get("title").unwrap_or_default(),
        text: get("text").unwrap_or_default(),
        author: get("author"),
        contact: get("contact"),
    };
    match ideas::submit(&state, &caller, &request).await {
        Ok(record) => Ok(Redirect::to(&format!("/ideas?submitted={}", record.reference)).into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let problem = e.problem();
            let at = if problem.field.as_deref() == Some("title") { "title" } else { "text" };
            let error = FormError::at(at, problem.detail.unwrap_or_default());
            let html = page(&state, &caller, &locale, &csrf, echo, vec![error], None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e),
    }
}
