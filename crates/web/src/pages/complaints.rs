//! The pages of complaints and suggestions: the public form (the web channel), following one by
//! reference and reopening it, the monitoring department's list with its deadline breaches and each
//! complaint's page with the workflow's steps, and the staff form for complaints that came by
//! phone, a paper journal or a social network.

use crate::AppState;
use crate::auth::Caller;
use crate::complaints::{self, ComplaintQuery, ComplaintRequest};
use crate::i18n::{LANGUAGES, Locale, format_datetime};
use crate::pages::feedback::{field, form_csrf, form_csrf_ok, form_fields, with_cookie};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use onestop_domain::feedback::complaint::{Category, Channel, Status, Step, SubjectKind, next_status};
use onestop_domain::identity::{Permission, Target};
use onestop_store::complaints::ComplaintRecord;
use serde::Deserialize;
use serde_json::{Value, json};

/// The form field (its `id`) a refused registration points at, from the problem's `field`.
fn field_at(field: Option<&str>) -> &'static str {
    match field {
        Some("text") => "text",
        Some("email") => "email",
        Some("phone") => "phone",
        Some("contact") => "contact",
        Some("centre") => "centre",
        Some("subject" | "subject_kind") => "subject",
        _ => "category",
    }
}

/// A complaint's history as its pages list it: when, in `locale`'s way, and which step.
fn history(locale: &Locale, record: &ComplaintRecord, zone: &jiff::tz::TimeZone) -> Vec<Value> {
    record
        .history
        .iter()
        .map(|h| json!({ "at": format_datetime(locale.lang, h.at, zone), "step": h.step.map_or("register", Step::as_str) }))
        .collect()
}

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
            let error = FormError::at(field_at(problem.field.as_deref()), problem.detail.unwrap_or_default());
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
    let history = history(locale, &record, &zone);
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
        json!({
            "complaints": rows,
            "breaches": { "overdue_count": breaches.overdue_count, "answered_late": breaches.answered_late },
            "may_register": caller.authorize(Permission::RegisterComplaint, Target::ANY).is_ok(),
        }),
    )?;
    Ok(page.into_response())
}

/// The steps the monitoring department may take on a complaint in `status`, in workflow order.
fn staff_steps(status: Status, today: jiff::civil::Date) -> Vec<&'static str> {
    [Step::Assign, Step::Answer, Step::Close]
        .into_iter()
        .filter(|s| next_status(status, *s, None, today, 0).is_ok())
        .map(Step::as_str)
        .collect()
}

async fn staff_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    reference: &str,
    form: Value,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let record = complaints::find(state, reference).await?;
    let today = complaints::today(state).await?;
    let zone = crate::templates::default_zone();
    let history = history(locale, &record, &zone);
    let handles = caller.authorize(Permission::HandleComplaints, Target::ANY).is_ok();
    let me = caller.staff().map(|s| s.login.clone()).unwrap_or_default();
    let page = state.templates.page(
        locale,
        caller,
        "staff_complaint.html",
        json!({
            "c": complaints::staff_view(state, &record, today),
            "received": format_datetime(locale.lang, record.received_at, &zone),
            "history": history,
            "steps": if handles { staff_steps(record.status, today) } else { Vec::new() },
            "me": me,
            "form": form,
            "errors": errors,
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "staff-complaints-title", "href": "/staff/complaints" },
                { "key": "complaint-reference", "label": record.reference, "href": format!("/staff/complaints/{}", record.reference) },
            ],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/complaints/{reference}`: a complaint with its contact details and history, and the
/// workflow's next steps for the monitoring department.
pub async fn staff_complaint(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    staff_page(&state, &caller, &locale, &reference, json!({}), Vec::new()).await
}

/// `POST /staff/complaints/{reference}/{step}`: assigns, answers or closes it from its page.
pub async fn staff_step(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path((reference, step)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let step = Step::parse(&step)
        .filter(|s| *s != Step::Reopen)
        .ok_or_else(|| ApiError::not_found(format!("there is no step {step}")))?;
    let fields = form_fields(&body)?;
    let get = |name: &str| field(&fields, name).map(str::to_owned).filter(|v| !v.trim().is_empty());
    let request = complaints::StepRequest { assignee: get("assignee"), answer: get("answer") };
    match complaints::advance(&state, &caller, &reference, step, &request).await {
        Ok(record) => Ok(Redirect::to(&format!("/staff/complaints/{}", record.reference)).into_response()),
        Err(e) if matches!(e.status(), StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let status = e.status();
            let problem = e.problem();
            let error = match problem.field.as_deref() {
                Some("assignee") => FormError::at("assignee-field", problem.detail.unwrap_or_default()),
                Some("answer") => FormError::at("answer-field", problem.detail.unwrap_or_default()),
                _ => FormError::general(problem.detail.unwrap_or_default()),
            };
            let echo = json!({ "assignee": request.assignee, "answer": request.answer });
            let page = staff_page(&state, &caller, &locale, &reference, echo, vec![error]).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn entry_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    form: Value,
    errors: Vec<FormError>,
) -> Result<axum::response::Html<String>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let fallback = c.country.default_language();
    let centres: Vec<Value> = c
        .centres
        .iter()
        .map(|x| json!({ "code": x.code.as_str(), "name": x.name.get_or(locale.lang, fallback) }))
        .collect();
    state.templates.page(
        locale,
        caller,
        "staff_complaint_new.html",
        json!({
            "form": form,
            "errors": errors,
            "channels": staff_channels(),
            "centres": centres,
            "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "subjects": SubjectKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "staff-complaints-title", "href": "/staff/complaints" },
                { "key": "staff-complaint-new-title", "href": "/staff/complaints/new" },
            ],
        }),
    )
}

/// The channels staff enter complaints from on someone's behalf.
fn staff_channels() -> Vec<&'static str> {
    Channel::ALL.iter().filter(|c| c.entered_by_staff()).map(|c| c.as_str()).collect()
}

/// `GET /staff/complaints/new`: the form for a complaint that came by phone, in a centre's paper
/// journal or on a social network.
pub async fn staff_new(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    Ok(entry_page(&state, &caller, &locale, json!({}), Vec::new()).await?.into_response())
}

/// `POST /staff/complaints/new`: registers it on the complainant's behalf, in the staff member's
/// language for the messages unless another is chosen.
pub async fn staff_create(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let get = |name: &str| field(&fields, name).map(str::to_owned).filter(|v| !v.trim().is_empty());
    let echo = json!({
        "channel": get("channel"), "centre": get("centre"), "lang": get("lang"),
        "category": get("category"), "subject_kind": get("subject_kind"), "subject": get("subject"),
        "text": get("text"), "name": get("name"), "email": get("email"), "phone": get("phone"),
        "address": get("address"),
    });
    let channel = get("channel").filter(|c| Channel::parse(c).is_some_and(Channel::entered_by_staff));
    let Some(channel) = channel else {
        let error =
            FormError::at("channel", state.templates.text(&locale, "staff-complaint-channel-missing", &[]));
        let page = entry_page(&state, &caller, &locale, echo, vec![error]).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let request = ComplaintRequest {
        category: get("category").unwrap_or_default(),
        subject_kind: get("subject_kind"),
        subject: get("subject"),
        text: get("text").unwrap_or_default(),
        name: get("name"),
        email: get("email"),
        phone: get("phone"),
        address: get("address"),
        channel: Some(channel),
        centre: get("centre"),
    };
    let lang =
        get("lang").and_then(|l| LANGUAGES.iter().copied().find(|known| *known == l)).unwrap_or(locale.lang);
    match complaints::register(&state, &caller, &request, false, lang).await {
        Ok(record) => Ok(Redirect::to(&format!("/staff/complaints/{}", record.reference)).into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let problem = e.problem();
            let error = FormError::at(field_at(problem.field.as_deref()), problem.detail.unwrap_or_default());
            let page = entry_page(&state, &caller, &locale, echo, vec![error]).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
