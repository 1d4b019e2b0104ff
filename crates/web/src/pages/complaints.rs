//! The pages of complaints and suggestions: the public form (the web channel), following one by
//! reference and reopening it, and the monitoring department's list with its deadline breaches.

use crate::AppState;
use crate::auth::Caller;
use crate::complaints::{self, ComplaintQuery, ComplaintRequest};
use crate::i18n::{Locale, format_datetime};
use crate::pages::feedback::{field, form_csrf, form_csrf_ok, form_fields, with_cookie};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use onestop_domain::feedback::complaint::{Category, Step, SubjectKind};
use serde::Deserialize;
use serde_json::{Value, json};

fn form_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    csrf: &str,
    form: Value,
    errors: Vec<FormError>,
) -> Result<axum::response::Html<String>, ApiError> {
    state.templates.page(
        locale,
        caller,
        "complaints.html",
        json!({
            "csrf": csrf,
            "form": form,
            "errors": errors,
            "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "subjects": SubjectKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "complaint-title", "href": "/complaints" }],
        }),
    )
}

/// `GET /complaints`: the form for a complaint or suggestion, and finding one by reference.
pub async fn form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let page = form_page(&state, &caller, &locale, &csrf, json!({}), Vec::new())?;
    Ok(with_cookie(page.into_response(), set))
}

/// `POST /complaints`: registers it from the web and shows its reference.
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
    let echo = json!({
        "category": get("category"), "subject_kind": get("subject_kind"), "subject": get("subject"),
        "text": get("text"), "name": get("name"), "email": get("email"), "phone": get("phone"),
        "address": get("address"),
    });
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let page = form_page(&state, &caller, &locale, &csrf, echo, vec![error])?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let request = ComplaintRequest {
        category: get("category").unwrap_or_default(),
        subject_kind: get("subject_kind"),
        subject: get("subject"),
        text: get("text").unwrap_or_default(),
        name: get("name"),
        email: get("email"),
        phone: get("phone"),
        address: get("address"),
        channel: None,
        centre: None,
    };
    match complaints::register(&state, &caller, &request, false, locale.lang).await {
        Ok(record) => Ok(Redirect::to(&format!("/complaints/{}?saved=1", record.reference)).into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let problem = e.problem();
            let at: &'static str = match problem.field.as_deref() {
                Some("text") => "text",
                Some("email") => "email",
                Some("phone") => "phone",
                Some("contact") => "contact",
                Some("subject") | Some("subject_kind") => "subject",
                _ => "category",
            };
            let error = FormError::at(at, problem.detail.unwrap_or_default());
            let page = form_page(&state, &caller, &locale, &csrf, echo, vec![error])?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// A reference typed into the finding form.
#[derive(Debug, Deserialize)]
pub struct Find {
    #[serde(default)]
    reference: String,
}

/// `GET /complaints/find?reference=…`: goes to the complaint's page.
pub async fn find(Query(q): Query<Find>) -> Response {
    let reference: String = q
        .reference
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Redirect::to(&format!("/complaints/{reference}")).into_response()
}

/// Whether the page follows a fresh registration.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

async fn follow_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    headers: &HeaderMap,
    reference: &str,
    saved: bool,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let record = complaints::find(state, reference).await?;
    let today = complaints::today(state).await?;
    let zone = crate::templates::default_zone();
    let view = complaints::view(state, &record, today);
    let history: Vec<Value> = record
        .history
        .iter()
        .map(|h| json!({ "at": format_datetime(locale.lang, h.at, &zone), "step": h.step.map_or("register", Step::as_str) }))
        .collect();
    let (csrf, set) = form_csrf(caller, headers);
    let page = state.templates.page(
        locale,
        caller,
        "complaint.html",
        json!({
            "c": view,
            "received": format_datetime(locale.lang, record.received_at, &zone),
            "history": history,
            "saved": saved,
            "csrf": csrf,
            "errors": errors,
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "complaint-title", "href": "/complaints" },
                { "key": "complaint-reference", "label": record.reference, "href": format!("/complaints/{}", record.reference) },
            ],
        }),
    )?;
    Ok(with_cookie(page.into_response(), set))
}

/// `GET /complaints/{reference}`: a complaint as its complainant follows it.
pub async fn follow(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, ApiError> {
    follow_page(&state, &caller, &locale, &headers, &reference, q.saved.is_some(), Vec::new()).await
}

/// `POST /complaints/{reference}/reopen`: the complainant reopens an answered complaint.
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let page = follow_page(&state, &caller, &locale, &headers, &reference, false, vec![error]).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    match complaints::advance(&state, &caller, &reference, Step::Reopen, &Default::default()).await {
        Ok(record) => Ok(Redirect::to(&format!("/complaints/{}", record.reference)).into_response()),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            let error = FormError::general(e.problem().detail.unwrap_or_default());
            let page =
                follow_page(&state, &caller, &locale, &headers, &reference, false, vec![error]).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `GET /staff/complaints`: the monitoring department's list, breaches first.
pub async fn staff_list(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<ComplaintQuery>,
) -> Result<Response, ApiError> {
    let today = complaints::today(&state).await?;
    let records = complaints::list(&state, &q).await?;
    let breaches = complaints::breaches(&state).await?;
    let mut rows: Vec<_> = records.iter().map(|r| complaints::view(&state, r, today)).collect();
    rows.sort_by_key(|r| !r.breached);
    let assignees: std::collections::HashMap<String, Option<String>> =
        records.iter().map(|r| (r.reference.clone(), r.assignee.clone())).collect();
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            v["assignee"] = json!(assignees.get(&r.reference).cloned().flatten());
            v
        })
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "staff_complaints.html",
        json!({ "complaints": rows, "breaches": { "overdue_count": breaches.overdue_count, "answered_late": breaches.answered_late } }),
    )?;
    Ok(page.into_response())
}
