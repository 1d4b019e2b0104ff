//! The pages of applications and payments: the applicant's tracking page (with delivery), a bill
//! with its QR code, the online payment page of the acquirer, the officer's acceptance of a
//! ticket's documents, the staff list and page of applications with the workflow's actions and
//! refund requests, the bank section, the manager's refund decisions and the daily
//! reconciliation. Every form works without JavaScript.

use crate::AppState;
use crate::auth::Caller;
use crate::cases::money;
use crate::cases::{self, AcceptRequest, ActRequest, DeliveryRequest};
use crate::i18n::{LANGUAGES, Locale};
use crate::pages::feedback::{field, form_csrf, form_csrf_ok, form_fields, with_cookie};
use crate::payments::{self, CardRequest, CreatePaymentRequest, PayRequest, RefundRequest};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use onestop_domain::identity::{Permission, Principal, Target};
use onestop_domain::payments::{RefundReason, RefundState, RefundStep};
use onestop_domain::queue::ticket::TicketId;
use onestop_store::cases::ApplicationRecord;
use serde::Deserialize;
use serde_json::{Value, json};

fn fields_of(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    form_fields(body)
}

fn get(fields: &[(String, String)], name: &str) -> Option<String> {
    field(fields, name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// A refused form's error, at the field the problem names when the page has it.
fn form_error(e: &ApiError, fields: &[&'static str]) -> FormError {
    let problem = e.problem();
    let detail = problem.detail.unwrap_or_default();
    match problem.field.as_deref().and_then(|f| fields.iter().find(|x| **x == f)) {
        Some(f) => FormError::at(f, detail),
        None => FormError::general(detail),
    }
}

fn refusable(e: &ApiError) -> bool {
    matches!(
        e.status(),
        StatusCode::CONFLICT
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::NOT_FOUND
            | StatusCode::FORBIDDEN
    )
}

// ---------------------------------------------------------------------------------------------
// The applicant

/// What a tracking form asks.
#[derive(Debug, Default, Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    tracking: Option<String>,
}

async fn track_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    csrf: &str,
    form: Value,
    found: Option<&ApplicationRecord>,
    errors: Vec<FormError>,
) -> Result<axum::response::Html<String>, ApiError> {
    let application = match found {
        Some(a) => {
            let loaded = state.registry.require(state.store.as_ref()).await?;
            let today = cases::today(state).await?;
            Some(cases::view(state, &loaded.catalogue, caller, locale.lang, a, today, false))
        }
        None => None,
    };
    state.templates.page(
        locale,
        caller,
        "track.html",
        json!({
            "csrf": csrf,
            "form": form,
            "a": application,
            "errors": errors,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "track-title", "href": "/track" }],
        }),
    )
}

/// `GET /track`: follow an application by tracking number and ID number.
pub async fn track_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Query(q): Query<TrackQuery>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let page =
        track_page(&state, &caller, &locale, &csrf, json!({ "tracking": q.tracking }), None, Vec::new())
            .await?;
    Ok(with_cookie(page.into_response(), set))
}

/// `POST /track`: the application's status, deadline and what to do, with its bills; and, with an
/// address, orders delivery.
pub async fn track(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let (csrf, _) = form_csrf(&caller, &headers);
    let tracking = get(&fields, "tracking").unwrap_or_default();
    let fin = get(&fields, "fin").unwrap_or_default();
    let echo = json!({ "tracking": tracking, "fin": fin, "address": get(&fields, "address") });
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let page = track_page(&state, &caller, &locale, &csrf, echo, None, vec![error]).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let found = match cases::track(&state, &tracking, &fin).await {
        Ok(a) => a,
        Err(e) => {
            let error = FormError::at("tracking", e.problem().detail.unwrap_or_default());
            let page = track_page(&state, &caller, &locale, &csrf, echo, None, vec![error]).await?;
            return Ok((StatusCode::NOT_FOUND, page).into_response());
        }
    };
    if let Some(address) = get(&fields, "address") {
        let request = DeliveryRequest { fin: Some(fin.clone()), address };
        return match cases::order_delivery(&state, &caller, &found.tracking, &request).await {
            Ok(a) => Ok(track_page(&state, &caller, &locale, &csrf, echo, Some(&a), Vec::new())
                .await?
                .into_response()),
            Err(e) if refusable(&e) => {
                let error = form_error(&e, &["address"]);
                let page =
                    track_page(&state, &caller, &locale, &csrf, echo, Some(&found), vec![error]).await?;
                Ok((e.status(), page).into_response())
            }
            Err(e) => Err(e),
        };
    }
    Ok(track_page(&state, &caller, &locale, &csrf, echo, Some(&found), Vec::new()).await?.into_response())
}

/// `GET /bills/{reference}`: a bill, its QR code, and paying it online.
pub async fn bill(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let bill = payments::bill(&state, locale.lang, &reference).await?;
    let qr = payments::bill_qr(&state, &reference).await?;
    let page = state.templates.page(
        &locale,
        &caller,
        "bill.html",
        json!({
            "csrf": csrf,
            "b": bill,
            "qr": qr,
            "sandbox": state.cases.acquirer.is_sandbox(),
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "bill-title", "label": bill.reference, "href": format!("/bills/{}", bill.reference) }],
        }),
    )?;
    Ok(with_cookie(page.into_response(), set))
}

/// `POST /bills/{reference}/pay`: starts an online payment of the amount due and sends the payer
/// to the acquirer's page.
pub async fn bill_pay(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        return Ok(Redirect::to(&format!("/bills/{reference}")).into_response());
    }
    let bill = payments::bill(&state, "en", &reference).await?;
    let request = CreatePaymentRequest {
        amount: bill.due,
        reference: bill.reference.clone(),
        description: None,
        return_url: Some(format!("/bills/{}", bill.reference)),
    };
    let payment = payments::create_online(&state, &request).await?;
    Ok(Redirect::to(&format!("/pay/{}", payment.id)).into_response())
}

async fn pay_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    csrf: &str,
    id: &str,
    errors: Vec<FormError>,
) -> Result<axum::response::Html<String>, ApiError> {
    let record = payments::online(state, id).await?;
    let view = payments::online_view(state, &record);
    let loaded = state.registry.require(state.store.as_ref()).await?;
    state.templates.page(
        locale,
        caller,
        "pay.html",
        json!({
            "csrf": csrf,
            "p": view,
            "amount": money(&loaded.catalogue, locale.lang, record.amount),
            "errors": errors,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "pay-title", "href": format!("/pay/{id}") }],
        }),
    )
}

/// `GET /pay/{id}`: the acquirer's card page (the sandbox says so), or the payment's outcome.
pub async fn pay_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (csrf, set) = form_csrf(&caller, &headers);
    let page = pay_page(&state, &caller, &locale, &csrf, &id, Vec::new()).await?;
    Ok(with_cookie(page.into_response(), set))
}

/// `POST /pay/{id}`: submits the card and, once authorised, confirms the payment.
pub async fn pay_submit(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let (csrf, _) = form_csrf(&caller, &headers);
    if !form_csrf_ok(&caller, &headers, field(&fields, "csrf")) {
        let error = FormError::general(state.templates.text(&locale, "signin-expired-form", &[]));
        let page = pay_page(&state, &caller, &locale, &csrf, &id, vec![error]).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    if field(&fields, "cancel").is_some() {
        payments::online_cancel(&state, &caller, &id).await?;
        return Ok(Redirect::to(&format!("/pay/{id}")).into_response());
    }
    let number = |name: &str| get(&fields, name).and_then(|v| v.parse().ok()).unwrap_or(0);
    let card = CardRequest {
        card_number: get(&fields, "card_number").unwrap_or_default(),
        cardholder_name: get(&fields, "cardholder_name").unwrap_or_default(),
        expiry_month: number("expiry_month"),
        expiry_year: number("expiry_year").try_into().unwrap_or(0),
        cvc: get(&fields, "cvc").unwrap_or_default(),
    };
    match payments::online_pay(&state, &caller, &id, &card).await {
        Ok(p) if p.status == onestop_domain::payments::OnlineStatus::Submitted => {
            payments::online_confirm(&state, &caller, &id).await?;
            Ok(Redirect::to(&format!("/pay/{id}")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/pay/{id}")).into_response()),
        Err(e) if refusable(&e) => {
            let error = form_error(&e, &["card_number", "expiry_month", "cvc"]);
            let page = pay_page(&state, &caller, &locale, &csrf, &id, vec![error]).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The officer

/// The ticket whose documents are accepted.
#[derive(Debug, Default, Deserialize)]
pub struct AcceptQuery {
    #[serde(default)]
    ticket: i64,
}

async fn accept_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    ticket: i64,
    form: Value,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let record = state
        .store
        .ticket(TicketId(ticket))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no ticket {ticket}")))?;
    let service = c
        .service(record.ticket.service.as_str())
        .ok_or_else(|| ApiError::not_found("the ticket's service is no longer in the registry"))?;
    caller
        .authorize(
            Permission::AcceptApplication,
            Target {
                centre: Some(record.ticket.centre.as_str()),
                provider: Some(service.provider.as_str()),
                window: None,
            },
        )
        .map_err(|_| ApiError::new(StatusCode::FORBIDDEN, "this ticket is for another provider or centre"))?;
    let fallback = c.country.default_language();
    let documents: Vec<Value> = service
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| json!({ "number": i + 1, "name": d.name.get_or(locale.lang, fallback), "notes": d.notes.as_ref().map(|n| n.get_or(locale.lang, fallback)) }))
        .collect();
    let existing = state.store.application_of_ticket(TicketId(ticket)).await?;
    let page = state.templates.page(
        locale,
        caller,
        "accept.html",
        json!({
            "ticket": { "id": ticket, "number": record.ticket.number.to_string(), "holder": record.holder.as_ref().and_then(|h| h.name.clone()) },
            "service": { "code": service.code.as_str(), "name": service.name.get_or(locale.lang, fallback) },
            "documents": documents,
            "existing": existing.map(|a| a.tracking),
            "languages": LANGUAGES.iter().map(|l| json!({ "code": l, "name": crate::templates::language_name(l) })).collect::<Vec<_>>(),
            "form": form,
            "errors": errors,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-officer", "href": "/staff/window" }, { "key": "accept-title", "href": format!("/staff/window/accept?ticket={ticket}") }],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/window/accept?ticket=…`: the documents of the ticket being served, to tick.
pub async fn accept_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<AcceptQuery>,
) -> Result<Response, ApiError> {
    if q.ticket == 0 {
        // Reached from the navigation rather than the console: documents belong to a ticket.
        let page = state.templates.page(
            &locale,
            &caller,
            "accept.html",
            json!({ "missing": true, "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-officer", "href": "/staff/window" }] }),
        )?;
        return Ok(page.into_response());
    }
    accept_page(&state, &caller, &locale, q.ticket, json!({ "lang": locale.lang }), Vec::new()).await
}

/// `POST /staff/window/accept`: creates the application and shows it with its bill.
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let ticket: i64 = get(&fields, "ticket").and_then(|t| t.parse().ok()).unwrap_or(0);
    let documents: Vec<String> =
        fields.iter().filter(|(k, _)| k == "document").map(|(_, v)| v.clone()).collect();
    let flags: Vec<String> = fields.iter().filter(|(k, _)| k == "flag").map(|(_, v)| v.clone()).collect();
    let request = AcceptRequest {
        documents: documents.clone(),
        age: get(&fields, "age").and_then(|a| a.parse().ok()),
        flags: flags.clone(),
        email: get(&fields, "email"),
        phone: get(&fields, "phone"),
        lang: get(&fields, "lang"),
    };
    match cases::accept(&state, &caller, locale.lang, ticket, &request, None).await {
        Ok((a, _)) => Ok(Redirect::to(&format!("/staff/applications/{}", a.tracking)).into_response()),
        Err(e) if matches!(e.status(), StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let error = form_error(&e, &["documents", "email", "phone", "lang"]);
            let echo = json!({ "documents": documents, "flags": flags, "age": get(&fields, "age"), "email": request.email, "phone": request.phone, "lang": request.lang });
            let page = accept_page(&state, &caller, &locale, ticket, echo, vec![error]).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Staff: applications

/// Which applications to list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    open: Option<String>,
}

/// `GET /staff/applications`: the applications of the caller's centre (and provider).
pub async fn staff_list(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let open = q.open.as_deref() == Some("1");
    let records = cases::list(&state, &caller, None, open).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(&state).await?;
    let views: Vec<cases::ApplicationView> = records
        .iter()
        .map(|r| cases::view(&state, &loaded.catalogue, &caller, locale.lang, r, today, true))
        .collect();
    let breached = views.iter().filter(|v| v.breached).count();
    let page = state.templates.page(
        &locale,
        &caller,
        "staff_applications.html",
        json!({
            "applications": views,
            "open": open,
            "breached": breached,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-applications", "href": "/staff/applications" }],
        }),
    )?;
    Ok(page.into_response())
}

async fn staff_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    tracking: &str,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let record = cases::staff_application(state, caller, tracking).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = cases::today(state).await?;
    let view = cases::view(state, &loaded.catalogue, caller, locale.lang, &record, today, true);
    let may_collect = caller
        .authorize(Permission::IssueTicket, Target { centre: Some(&record.centre), ..Target::ANY })
        .is_ok();
    let may_refund = caller
        .authorize(Permission::RequestRefund, Target { centre: Some(&record.centre), ..Target::ANY })
        .is_ok();
    let page = state.templates.page(
        locale,
        caller,
        "staff_application.html",
        json!({
            "a": view,
            "may_refund": may_refund,
            "may_collect": may_collect,
            "reasons": RefundReason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "errors": errors,
            "crumbs": [
                { "key": "nav-staff-home", "href": "/staff" },
                { "key": "nav-applications", "href": "/staff/applications" },
                { "key": "application-title", "label": record.tracking, "href": format!("/staff/applications/{}", record.tracking) },
            ],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/applications/{tracking}`: an application with its bills, history and the actions
/// the caller's role may take.
pub async fn staff_application(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
) -> Result<Response, ApiError> {
    staff_page(&state, &caller, &locale, &tracking, Vec::new()).await
}

/// `POST /staff/applications/{tracking}/act`: takes a workflow action from the page.
pub async fn staff_act(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let request =
        ActRequest { action: get(&fields, "action").unwrap_or_default(), reason: get(&fields, "reason") };
    match cases::act(&state, &caller, &tracking, &request, get(&fields, "key")).await {
        Ok(a) => Ok(Redirect::to(&format!("/staff/applications/{}", a.tracking)).into_response()),
        Err(e) if refusable(&e) && e.status() != StatusCode::NOT_FOUND => {
            let status = e.status();
            let page =
                staff_page(&state, &caller, &locale, &tracking, vec![form_error(&e, &["reason"])]).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /staff/applications/{tracking}/collect`: the info desk issues the collection ticket and
/// prints it.
pub async fn staff_collect(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(tracking): Path<String>,
) -> Result<Response, ApiError> {
    match cases::collection_ticket(&state, &caller, locale.lang, &tracking, None).await {
        Ok(ticket) => Ok(Redirect::to(&format!("/tickets/{}/print", ticket.id)).into_response()),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            let page = staff_page(&state, &caller, &locale, &tracking, vec![form_error(&e, &[])]).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /staff/bills/{reference}/refund`: asks for a refund from the application's page.
pub async fn staff_refund(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let bill = payments::bill(&state, locale.lang, &reference).await?;
    let amount = get(&fields, "amount").and_then(|a| parse_amount(&a)).unwrap_or(0);
    let request = RefundRequest {
        amount,
        reason: get(&fields, "reason").unwrap_or_default(),
        note: get(&fields, "note"),
    };
    match payments::request_refund(&state, &caller, locale.lang, &reference, &request).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/applications/{}", bill.tracking)).into_response()),
        Err(e) if refusable(&e) => {
            let status = e.status();
            let page = staff_page(
                &state,
                &caller,
                &locale,
                &bill.tracking,
                vec![form_error(&e, &["amount", "reason"])],
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// An amount typed in major units (`12.50`, `12,5`, `12`) as minor units (two decimals).
pub fn parse_amount(text: &str) -> Option<i64> {
    let text = text.trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{fraction:0<2}");
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents.parse::<i64>().ok()?)
}

// ---------------------------------------------------------------------------------------------
// The bank section, refunds and reconciliation

/// The refunds of the caller's centre in `states`; a centre the registry no longer has is said on
/// the page (in `errors`) rather than failing it.
async fn centre_refunds(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    states: &[RefundState],
    errors: &mut Vec<FormError>,
) -> Result<Vec<payments::RefundView>, ApiError> {
    let Some(centre) = my_centre(caller) else { return Ok(Vec::new()) };
    match payments::refunds(state, caller, lang, &centre, states).await {
        Ok(list) => Ok(list),
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            errors.push(FormError::general(e.problem().detail.unwrap_or_default()));
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

fn my_centre(caller: &Caller) -> Option<String> {
    caller.principal.as_ref().map(Principal::scope).and_then(|s| s.centre.clone())
}

/// A bill looked up at the bank section.
#[derive(Debug, Default, Deserialize)]
pub struct BankQuery {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    paid: Option<String>,
}

async fn bank_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    reference: Option<&str>,
    paid: bool,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let mut errors = errors;
    let bill = match reference {
        Some(r) => match payments::bill(state, locale.lang, r).await {
            Ok(b) => Some(b),
            Err(e) if e.status() == StatusCode::NOT_FOUND => {
                errors.push(FormError::at("reference", e.problem().detail.unwrap_or_default()));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let refunds = centre_refunds(state, caller, locale.lang, &[RefundState::Approved], &mut errors).await?;
    let page = state.templates.page(
        locale,
        caller,
        "bank.html",
        json!({
            "b": bill,
            "paid": paid,
            "refunds": refunds,
            "reference": reference,
            "errors": errors,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-bank", "href": "/staff/bank" }],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/bank`: the bank section — find a bill by its reference, take its payment, pay out
/// approved refunds.
pub async fn bank(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<BankQuery>,
) -> Result<Response, ApiError> {
    let reference = q.reference.as_deref().map(str::trim).filter(|r| !r.is_empty());
    bank_page(&state, &caller, &locale, reference, q.paid.is_some(), Vec::new()).await
}

/// `POST /staff/bank/pay`: takes the payment of the bill shown (exactly the amount due).
pub async fn bank_pay(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let reference = get(&fields, "reference").unwrap_or_default();
    let amount = get(&fields, "amount").and_then(|a| a.parse().ok()).unwrap_or(0);
    match payments::pay(&state, &caller, locale.lang, &reference, &PayRequest { amount, currency: None })
        .await
    {
        Ok(b) => Ok(Redirect::to(&format!("/staff/bank?reference={}&paid=1", b.reference)).into_response()),
        Err(e) if refusable(&e) => {
            let status = e.status();
            let page =
                bank_page(&state, &caller, &locale, Some(&reference), false, vec![form_error(&e, &[])])
                    .await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /staff/refunds/{id}/execute`: the bank section pays an approved refund out.
pub async fn refund_execute(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    match payments::refund_step(&state, &caller, locale.lang, id, RefundStep::Execute).await {
        Ok(_) => Ok(Redirect::to("/staff/bank").into_response()),
        Err(e) if refusable(&e) => {
            let status = e.status();
            let page = bank_page(&state, &caller, &locale, None, false, vec![form_error(&e, &[])]).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn refunds_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    errors: Vec<FormError>,
) -> Result<Response, ApiError> {
    let mut errors = errors;
    let refunds = centre_refunds(state, caller, locale.lang, &[], &mut errors).await?;
    let page = state.templates.page(
        locale,
        caller,
        "refunds.html",
        json!({
            "refunds": refunds,
            "errors": errors,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-refunds", "href": "/staff/refunds" }],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/refunds`: the centre's refunds, those asked for with approve and decline buttons.
pub async fn refunds(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    refunds_page(&state, &caller, &locale, Vec::new()).await
}

/// `POST /staff/refunds/{id}/decide`: the centre manager approves (`step=approve`) or declines.
pub async fn refund_decide(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = fields_of(&body)?;
    let step = match field(&fields, "step") {
        Some("approve") => RefundStep::Approve,
        Some("decline") => RefundStep::Decline,
        _ => return Err(ApiError::unprocessable("step", "approve or decline")),
    };
    match payments::refund_step(&state, &caller, locale.lang, id, step).await {
        Ok(_) => Ok(Redirect::to("/staff/refunds").into_response()),
        Err(e) if refusable(&e) => {
            let status = e.status();
            let page = refunds_page(&state, &caller, &locale, vec![form_error(&e, &[])]).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The centre and day to reconcile.
#[derive(Debug, Default, Deserialize)]
pub struct ReconcileQuery {
    #[serde(default)]
    centre: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// `GET /staff/reconciliation`: a centre's money for a day, and whether it balances.
pub async fn reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<ReconcileQuery>,
) -> Result<Response, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let fallback = c.country.default_language();
    let centre = my_centre(&caller)
        .or(q.centre.clone())
        .or_else(|| c.centres.first().map(|x| x.code.as_str().to_owned()));
    let mut errors = Vec::new();
    let view = match &centre {
        Some(code) => match payments::reconciliation(&state, &caller, code, q.date.as_deref()).await {
            Ok(v) => Some(v),
            Err(e) if e.status() == StatusCode::BAD_REQUEST => {
                errors.push(FormError::at("date", e.problem().detail.unwrap_or_default()));
                None
            }
            Err(e) if e.status() == StatusCode::NOT_FOUND => {
                errors.push(FormError::general(e.problem().detail.unwrap_or_default()));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let fmt = |minor: i64| money(c, locale.lang, minor);
    let amounts = view.as_ref().map(|v| {
        json!({
            "opening": fmt(v.opening_outstanding), "issued": fmt(v.issued.amount), "cancelled": fmt(v.cancelled.amount),
            "paid": fmt(v.paid.amount), "refunded": fmt(v.refunded.amount), "closing": fmt(v.closing_outstanding),
            "net": fmt(v.net_collected),
            "takers": v.takers.iter().map(|t| json!({ "payments": fmt(t.payments.amount), "refunds": fmt(t.refunds.amount) })).collect::<Vec<_>>(),
        })
    });
    let centres: Vec<Value> = c
        .centres
        .iter()
        .map(|x| json!({ "code": x.code.as_str(), "name": x.name.get_or(locale.lang, fallback), "selected": centre.as_deref() == Some(x.code.as_str()) }))
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "reconciliation.html",
        json!({
            "r": view,
            "amounts": amounts,
            "centres": centres,
            "pick": my_centre(&caller).is_none(),
            "date": q.date,
            "errors": errors,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-reconciliation", "href": "/staff/reconciliation" }],
        }),
    )?;
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_read_in_major_units() {
        assert_eq!(parse_amount("12.50"), Some(1250));
        assert_eq!(parse_amount("12,5"), Some(1250));
        assert_eq!(parse_amount(" 7 "), Some(700));
        assert_eq!(parse_amount("0.05"), Some(5));
        for bad in ["", "1.234", "-1", "1e3", ".5", "abc"] {
            assert_eq!(parse_amount(bad), None, "{bad:?}");
        }
    }
}
