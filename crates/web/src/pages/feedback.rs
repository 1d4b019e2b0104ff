//! The pages of ratings: the feedback tablet's touch screen at a window, the exit poll of each
//! centre, and the public transparency page of satisfaction rates.

use crate::AppState;
use crate::auth::{CSRF_COOKIE, Caller, cookie, random_token, set_cookie};
use crate::i18n::Locale;
use crate::pages::queue::{texts, tr};
use crate::problem::ApiError;
use crate::ratings::{self, RatingRequest, SatisfactionQuery};
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onestop_domain::feedback::rating::Reason;
use onestop_domain::feedback::survey::SurveyChannel;
use onestop_domain::token;
use serde_json::{Value, json};

/// Words the rating script shows.
const FEEDBACK_TEXTS: &[&str] = &["feedback-ticket", "screen-reconnecting"];

fn reasons() -> Vec<&'static str> {
    Reason::ALL.iter().map(|r| r.as_str()).collect()
}

/// The CSRF token a public form carries: the session's for signed-in staff (which the guard
/// checks), else the double-submit cookie's (set when missing).
pub(crate) fn form_csrf(caller: &Caller, headers: &HeaderMap) -> (String, Option<header::HeaderValue>) {
    if let Some(session) = &caller.session {
        return (session.csrf.clone(), None);
    }
    match cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => (c, None),
        None => {
            let fresh = random_token();
            let set = set_cookie(CSRF_COOKIE, &fresh, caller.secure, None);
            (fresh, Some(set))
        }
    }
}

/// Whether a public form's CSRF field matches (sessions are checked by the guard already).
pub(crate) fn form_csrf_ok(caller: &Caller, headers: &HeaderMap, given: Option<&str>) -> bool {
    if caller.session.is_some() {
        return true;
    }
    let expected = cookie(headers, CSRF_COOKIE).unwrap_or_default();
    !expected.is_empty() && given.is_some_and(|g| token::same(g, &expected))
}

/// Form fields, repeated names kept.
pub(crate) fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| ApiError::bad_request("body", "the form could not be read"))
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub(crate) fn with_cookie(mut response: Response, set: Option<header::HeaderValue>) -> Response {
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

/// `GET /screens/feedback`: the feedback tablet at a window — the ticket just finished there
/// and a touch-first 1–5 rating; the next finished ticket arrives live.
pub async fn tablet(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    let (centre, window) = ratings::tablet_place(&caller)?;
    let pending = ratings::pending_ticket(&state, &centre, window).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let name = c.centre(centre.as_str()).map(|x| tr(&x.name, locale.lang, c));
    let surveys: Vec<Value> = state
        .store
        .surveys()
        .await?
        .into_iter()
        .filter(|s| s.published_at.is_some() && s.channels.contains(&SurveyChannel::Tablet))
        .map(|s| json!({ "code": s.code, "title": s.title }))
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "screen_feedback.html",
        json!({
            "centre": { "code": centre.as_str(), "name": name },
            "pending": pending.as_ref().map(|(id, number)| json!({ "id": id, "number": number })),
            "reasons": reasons(),
            "surveys": surveys,
            "action": "#",
            "config": {
                "mode": "tablet",
                "centre": centre.as_str(),
                "window": window,
                "ticket": pending.as_ref().map(|(id, _)| *id),
                "texts": texts(&state, &locale, FEEDBACK_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

async fn exit_poll_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    code: &str,
    csrf: &str,
    errors: Vec<FormError>,
    done: bool,
) -> Result<axum::response::Html<String>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = crate::queue::centre(c, code)?;
    state.templates.page(
        locale,
        caller,
        "exit_poll.html",
        json!({
            "centre": { "code": code, "name": tr(&centre.name, locale.lang, c) },
            "reasons": reasons(),
            "action": format!("/centres/{code}/exit-poll"),
            "csrf": csrf,
            "errors": errors,
            "done": done,
            "config": { "mode": "exit", "centre": code, "texts": texts(state, locale, FEEDBACK_TEXTS) },
        }),
    )
}

/// `GET /centres/{code}/exit-poll`: the exit poll of a centre.
pub async fn exit_poll_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let page = exit_poll_page(&state, &caller, &locale, &code, &csrf, Vec::new(), false).await?;
    Ok(with_cookie(page.into_response(), set))
}

/// `POST /centres/{code}/exit-poll`: records the exit poll's rating (the form without script).
pub async fn exit_poll(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let (csrf, _) = form_csrf(&caller, &headers);
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let page = exit_poll_page(&state, &caller, &locale, &code, &csrf, vec![error], false).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let request = RatingRequest {
        score: field(&fields, "score").and_then(|s| s.parse().ok()).unwrap_or(0),
        reasons: fields.iter().filter(|(k, _)| k == "reasons").map(|(_, v)| v.clone()).collect(),
        comment: field(&fields, "comment").map(str::to_owned),
    };
    match ratings::rate_visit(&state, &caller, &code, &request).await {
        Ok(_) => Ok(exit_poll_page(&state, &caller, &locale, &code, &csrf, Vec::new(), true)
            .await?
            .into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let error = FormError::at("score-5", state.templates.text(&locale, "rating-score-required", &[]));
            let page = exit_poll_page(&state, &caller, &locale, &code, &csrf, vec![error], false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `GET /transparency`: satisfaction rates per centre, provider or service over a period.
pub async fn transparency(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(mut q): Query<SatisfactionQuery>,
) -> Result<Response, ApiError> {
    if q.by.as_deref() == Some("officer") {
        q.by = None;
    }
    let view = ratings::satisfaction(&state, &caller, locale.lang, &q).await?;
    let network = network_figures(&state, locale.lang, &view.from, &view.to).await?;
    let index = crate::monitoring::index::view(&state, locale.lang, None).await?;
    let view: Value = serde_json::to_value(&view).map_err(|_| ApiError::internal())?;
    let page = state.templates.page(
        &locale,
        &caller,
        "transparency.html",
        json!({
            "view": view,
            "network": network,
            "index": {
                "quarter": index.quarter,
                "stored": index.stored,
                "providers": index.providers,
                "services": index.services.iter().take(10).collect::<Vec<_>>(),
            },
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "transparency-title", "href": "/transparency" },
            ],
        }),
    )?;
    Ok(page.into_response())
}

/// The network's totals and each centre's waits over `[from, to]`, for the public page: no
/// officer and no personal data.
async fn network_figures(state: &AppState, lang: &str, from: &str, to: &str) -> Result<Value, ApiError> {
    use crate::monitoring::stats::{FigureRow, grouped, name_of};
    use onestop_domain::monitoring::{Cuboid, Filter, GroupBy};
    let (Ok(from), Ok(to)) = (from.parse::<jiff::civil::Date>(), to.parse::<jiff::civil::Date>()) else {
        return Ok(Value::Null);
    };
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let all = Filter::default();
    let total = grouped(state, c, Cuboid::Flow, GroupBy::Total, (from, to), &all).await?;
    let centres = grouped(state, c, Cuboid::Flow, GroupBy::Centre, (from, to), &all).await?;
    let clock = |s: Option<i64>| crate::monitoring::clock_text(s);
    let row = |r: FigureRow| {
        json!({
            "name": r.name, "visits": r.visits, "served": r.served,
            "wait_p50": clock(r.wait_p50_secs), "wait_p90": clock(r.wait_p90_secs),
        })
    };
    let empty = onestop_domain::monitoring::Tally::default();
    Ok(json!({
        "total": row(FigureRow::of("", String::new(), total.get("").unwrap_or(&empty))),
        "centres": centres
            .iter()
            .map(|(k, t)| row(FigureRow::of(k, name_of(c, lang, GroupBy::Centre, k), t)))
            .collect::<Vec<_>>(),
    }))
}
