//! The booking pages: pick a service, see the centres offering it with their free places and live
//! queue, pick a time and give the ID, name and contact (the browser solves the proof-of-work
//! challenge), confirm with the code, then the booking with its calendar file and QR code, and
//! cancellation by reference and national ID. Also the dev mailbox of demos.
//!
//! Pages call the same flows as the JSON API (`crate::booking`); their errors are shown in the
//! page's language beside the form.

use crate::AppState;
use crate::auth::Caller;
use crate::booking::{self, BookRequest};
use crate::i18n::Locale;
use crate::pages::queue::{registry, tr};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// A flow's refusal as a form error in the page's language.
fn form_error(state: &AppState, locale: &Locale, error: &ApiError) -> FormError {
    let problem = error.problem();
    let detail = problem.detail.unwrap_or_default();
    let key = match (problem.status, problem.field.as_deref()) {
        (_, Some("national_id")) => "booking-error-national_id",
        (_, Some("name")) => "booking-error-name",
        (_, Some("email")) => "booking-error-email",
        (_, Some("phone")) => "booking-error-phone",
        (_, Some("starts_at" | "date")) => "booking-error-starts_at",
        (_, Some("pow_nonce" | "pow_challenge")) => "booking-error-pow",
        (_, Some("code")) => "booking-error-code",
        (409, _) if detail.contains("full") => "booking-error-full",
        (409, _) if detail.contains("already") => "booking-error-already",
        (409, _) => "booking-error-state",
        (403, _) => "booking-error-cooldown",
        (429, _) => "booking-error-rate",
        (410, _) => "booking-error-expired",
        (404, _) => "booking-error-not-found",
        _ => "booking-error-other",
    };
    let text = state.templates.text(locale, key, &[]);
    match problem.field.as_deref() {
        Some("national_id") => FormError::at("national_id", text),
        Some("name") => FormError::at("name", text),
        Some("email") => FormError::at("email", text),
        Some("phone") => FormError::at("phone", text),
        Some("code") => FormError::at("code", text),
        _ => FormError::general(text),
    }
}

/// `GET /book`: the services that can be booked.
pub async fn services(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let choices: Vec<Value> = c
        .services
        .iter()
        .filter(|s| c.centres.iter().any(|x| x.windows_for(s.code.as_str()).next().is_some()))
        .map(|s| json!({ "name": tr(&s.name, locale.lang, c), "code": s.code.as_str() }))
        .collect();
    let crumbs = json!([{ "key": "nav-home", "href": "/" }, { "key": "nav-book", "href": "/book" }]);
    Ok(state
        .templates
        .page(&locale, &caller, "booking_services.html", json!({ "choices": choices, "crumbs": crumbs }))?
        .into_response())
}

/// `GET /book/{service}`: the centres offering it, their free places over the bookable days and
/// their live queue.
pub async fn centres(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(service): Path<String>,
) -> Result<Response, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let svc = c.service(&service).ok_or_else(|| crate::registry::no_such("service", &service))?;
    let free = booking::free_by_centre(&state, &service).await?;
    let queues = crate::queue::service_queues(&state, locale.lang, &service).await?;
    let rows: Vec<Value> = free
        .iter()
        .map(|(code, free)| {
            let load = queues.centres.iter().find(|l| &l.centre == code);
            json!({
                "code": code,
                "name": c.centre(code).map(|x| tr(&x.name, locale.lang, c)),
                "free": free,
                "waiting": load.map(|l| l.waiting),
                "wait": load.and_then(|l| l.predicted_wait_minutes),
            })
        })
        .collect();
    let name = tr(&svc.name, locale.lang, c);
    let crumbs = json!([{ "key": "nav-book", "href": "/book" }, { "label": name, "href": format!("/book/{service}") }]);
    Ok(state
        .templates
        .page(
            &locale,
            &caller,
            "booking_centres.html",
            json!({ "service": name, "service_code": service, "rows": rows, "crumbs": crumbs }),
        )?
        .into_response())
}

/// Which day's slots to show.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
}

/// The booking form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    pow_challenge: String,
    #[serde(default)]
    pow_nonce: String,
    #[serde(default)]
    date: String,
}

#[allow(clippy::too_many_arguments)] // a page: what it shows, to whom, with what was typed
async fn slots_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    service: &str,
    centre: &str,
    date: Option<&str>,
    form: &BookForm,
    errors: Vec<FormError>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let loaded = registry(state).await?;
    let c = &loaded.catalogue;
    let svc = c.service(service).ok_or_else(|| crate::registry::no_such("service", service))?;
    let x = c.centre(centre).ok_or_else(|| crate::registry::no_such("centre", centre))?;
    let rules = &state.booking.settings.rules;
    let today = onestop_domain::queue::day::local_date(x, &c.country, state.now());
    let days: Vec<String> = (rules.first_day..=rules.last_day)
        .filter_map(|d| today.checked_add(jiff::Span::new().days(d)).ok())
        .map(|d| d.to_string())
        .collect();
    let date =
        date.filter(|d| days.iter().any(|x| x == d)).map(str::to_owned).or_else(|| days.first().cloned());
    let slots = match &date {
        Some(d) => booking::slots_of(state, caller, centre, service, d, None).await?.slots,
        None => Vec::new(),
    };
    let page = state.templates.page(
        locale,
        caller,
        "booking_slots.html",
        json!({
            "service": { "code": service, "name": tr(&svc.name, locale.lang, c) },
            "centre": { "code": centre, "name": tr(&x.name, locale.lang, c), "address": tr(&x.address, locale.lang, c) },
            "days": days.iter().map(|d| json!({ "date": d, "current": Some(d) == date.as_ref() })).collect::<Vec<_>>(),
            "date": date,
            "slots": slots,
            "form": {
                "starts_at": form.starts_at, "national_id": form.national_id, "name": form.name,
                "email": form.email, "phone": form.phone,
            },
            "errors": errors,
            "crumbs": [
                { "key": "nav-book", "href": "/book" },
                { "label": tr(&svc.name, locale.lang, c), "href": format!("/book/{service}") },
                { "label": tr(&x.name, locale.lang, c), "href": format!("/book/{service}/{centre}") },
            ],
            "config": {
                "difficulty": state.booking.settings.pow_difficulty,
                "texts": {
                    "working": state.templates.text(locale, "booking-pow-working", &[]),
                    "failed": state.templates.text(locale, "booking-pow-failed", &[]),
                },
            },
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /book/{service}/{centre}`: a day's slots and the booking form.
pub async fn slots(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path((service, centre)): Path<(String, String)>,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    slots_page(
        &state,
        &caller,
        &locale,
        &service,
        &centre,
        q.date.as_deref(),
        &BookForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /book/{service}/{centre}`: holds the slot; on to the code.
pub async fn book(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path((service, centre)): Path<(String, String)>,
    Form(form): Form<BookForm>,
) -> Result<Response, ApiError> {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let request = BookRequest {
        centre: centre.clone(),
        service: service.clone(),
        starts_at: form.starts_at.clone(),
        national_id: form.national_id.clone(),
        name: form.name.clone(),
        email: opt(&form.email),
        phone: opt(&form.phone),
        channel: None,
        pow_challenge: opt(&form.pow_challenge),
        pow_nonce: opt(&form.pow_nonce),
    };
    if form.starts_at.trim().is_empty() {
        let error = FormError::general(state.templates.text(&locale, "booking-error-starts_at", &[]));
        let date = opt(&form.date);
        return slots_page(
            &state,
            &caller,
            &locale,
            &service,
            &centre,
            date.as_deref(),
            &form,
            vec![error],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match booking::hold(&state, &caller, locale.lang, request).await {
        Ok(view) => Ok(Redirect::to(&format!("/appointments/{}/confirm", view.reference)).into_response()),
        Err(e) => {
            let error = form_error(&state, &locale, &e);
            let date = opt(&form.date);
            slots_page(
                &state,
                &caller,
                &locale,
                &service,
                &centre,
                date.as_deref(),
                &form,
                vec![error],
                e.status(),
            )
            .await
        }
    }
}

async fn view_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    reference: &str,
    template: &str,
    errors: Vec<FormError>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let (view, _) = booking::get(state, locale.lang, reference).await?;
    let page = state.templates.page(
        locale,
        caller,
        template,
        json!({
            "a": view,
            "errors": errors,
            "crumbs": [{ "key": "nav-book", "href": "/book" }, { "label": reference, "href": format!("/appointments/{reference}") }],
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /appointments/{ref}/confirm`: the code form.
pub async fn confirm_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    view_page(&state, &caller, &locale, &reference, "booking_confirm.html", Vec::new(), StatusCode::OK).await
}

/// The code as posted.
#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /appointments/{ref}/confirm`.
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    match booking::confirm(&state, &caller, locale.lang, &reference, &form.code).await {
        Ok(_) => Ok(Redirect::to(&format!("/appointments/{reference}")).into_response()),
        Err(e) => {
            let error = form_error(&state, &locale, &e);
            view_page(&state, &caller, &locale, &reference, "booking_confirm.html", vec![error], e.status())
                .await
        }
    }
}

/// `GET /appointments/{ref}`: the booking, its calendar file and QR code, and the cancel form.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    view_page(&state, &caller, &locale, &reference, "booking_view.html", Vec::new(), StatusCode::OK).await
}

/// The national ID as posted to cancel.
#[derive(Debug, Default, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    national_id: String,
}

/// `POST /appointments/{ref}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, ApiError> {
    match booking::cancel(&state, &caller, locale.lang, &reference, &form.national_id).await {
        Ok(_) => Ok(Redirect::to(&format!("/appointments/{reference}")).into_response()),
        Err(e) => {
            let error = form_error(&state, &locale, &e);
            view_page(&state, &caller, &locale, &reference, "booking_view.html", vec![error], e.status())
                .await
        }
    }
}

/// Whose messages the dev mailbox shows.
#[derive(Debug, Default, Deserialize)]
pub struct MailboxQuery {
    to: Option<String>,
}

async fn mailbox_messages(state: &AppState, to: Option<&str>) -> Result<Vec<Value>, ApiError> {
    if !state.booking.settings.dev_mailbox {
        return Err(ApiError::not_found("the dev mailbox is off (notify.dev_mailbox)"));
    }
    let messages = state.store.outbox_messages(to.filter(|t| !t.is_empty()), 200).await?;
    Ok(messages
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id,
                "created_at": m.created_at.to_string(),
                "channel": m.message.channel.as_str(),
                "to": m.message.recipient,
                "subject": m.message.subject,
                "body": m.message.body,
                "topic": m.message.topic,
                "state": m.state.as_str(),
                "attempts": m.attempts,
            })
        })
        .collect())
}

/// `GET /dev/mailbox`: what the outbox holds and sent (demos only; 404 unless `notify.dev_mailbox`).
pub async fn mailbox(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<MailboxQuery>,
) -> Result<Response, ApiError> {
    let messages = mailbox_messages(&state, q.to.as_deref()).await?;
    Ok(state
        .templates
        .page(&locale, &caller, "dev_mailbox.html", json!({ "messages": messages, "to": q.to }))?
        .into_response())
}

/// `GET /dev/mailbox.json`: the same as JSON, for demo scripts and the booking benchmark.
pub async fn mailbox_json(
    State(state): State<AppState>,
    Query(q): Query<MailboxQuery>,
) -> Result<Response, ApiError> {
    let messages = mailbox_messages(&state, q.to.as_deref()).await?;
    Ok(axum::Json(json!({ "messages": messages })).into_response())
}
