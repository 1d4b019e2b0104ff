//! The flows of applications, bills, payments and refunds, shared by the API and the pages.
//!
//! An officer serving a ticket accepts its documents ([`accept`]): the application gets a tracking
//! number, a legal deadline and its fee bill. Money is then taken only by the bank section of the
//! bill's centre, its payment terminal, or online through the [`crate::acquirer::Acquirer`]
//! ([`crate::payments`]); the officer's "proceed" waits for it, and paying returns a ticket
//! parked for payment to its window's queue. Every status change sends the applicant a notice
//! through the outbox, in their language.

use crate::AppState;
use crate::acquirer::{Acquirer, Sandbox};
use crate::auth::{Caller, random_bytes};
use crate::complaints::clockwork;
use crate::i18n::{format_date, format_datetime, format_money};
use crate::problem::ApiError;
use axum::http::StatusCode;
use fluent_bundle::FluentValue;
use jiff::civil::Date;
use onestop_domain::cases::workflow::{BILL, Need, StepError, Workflow, Workflows};
use onestop_domain::cases::{breached, canonical_tracking, overdue, state_due, tracking_number};
use onestop_domain::catalogue::{Catalogue, Centre, Service};
use onestop_domain::fees::{Facts, Waives};
use onestop_domain::identity::{Denial, Permission, Principal, Target};
use onestop_domain::notify::{Message, recipient};
use onestop_domain::payments::{PaymentError, Purpose, RefundError, payment_reference};
use onestop_domain::pii::Fin;
use onestop_domain::queue::ticket::{TicketId, TicketState};
use onestop_store::cases::{
    ApplicationChange, ApplicationFilter, ApplicationRecord, BillRecord, CaseError, NewApplication, NewBill,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Settings of applications and payments (config `[cases]`).
#[derive(Clone)]
pub struct Cases {
    /// The workflows in force.
    pub workflows: Arc<Workflows>,
    /// The fee for delivering a ready document, minor units.
    pub delivery_fee: i64,
    /// The acquirer of online payments.
    pub acquirer: Arc<dyn Acquirer>,
}

impl Default for Cases {
    fn default() -> Self {
        Cases { workflows: Arc::new(Workflows::builtin()), delivery_fee: 500, acquirer: Arc::new(Sandbox) }
    }
}

impl std::fmt::Debug for Cases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cases")
            .field("delivery_fee", &self.delivery_fee)
            .field("acquirer", &self.acquirer.name())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Views

/// A fee not charged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WaiverView {
    /// `state`, `service` or `both`.
    pub fee: String,
    /// The amount waived, minor units.
    pub amount: i64,
    /// The reason shown on the bill.
    pub reason: String,
}

/// A bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BillView {
    /// Its payment reference (12 digits, the last a check digit).
    pub reference: String,
    /// The application's tracking number.
    pub tracking: String,
    /// `fees` or `delivery`.
    pub purpose: String,
    /// The centre whose bank section takes it.
    pub centre: String,
    /// The service.
    pub service: String,
    /// State fee after exemptions, minor units.
    pub state_fee: i64,
    /// Service (or delivery) fee after exemptions, minor units.
    pub service_fee: i64,
    /// Total, minor units.
    pub total: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The total, written for people in the caller's language.
    pub total_text: String,
    /// The state fee, written for people.
    pub state_fee_text: String,
    /// The service fee, written for people.
    pub service_fee_text: String,
    /// Fees waived and why.
    pub waivers: Vec<WaiverView>,
    /// `unpaid`, `paid`, `cancelled` or `nothing_due`.
    pub status: String,
    /// Paid, minor units.
    pub paid: i64,
    /// Refunded, minor units.
    pub refunded: i64,
    /// Still to pay, minor units.
    pub due: i64,
    /// When and where it was paid: `bank`, `terminal` or `online`.
    pub paid_via: Option<String>,
    /// When it was paid.
    pub paid_at: Option<String>,
    /// When it was issued.
    pub issued_at: String,
}

/// One action of an application's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActionView {
    /// When.
    pub at: String,
    /// When, written for people in the country's time zone.
    pub at_text: String,
    /// The action.
    pub action: String,
    /// The state after it.
    pub state: String,
    /// The reason given.
    pub reason: Option<String>,
    /// Who took it (staff only).
    pub actor: Option<String>,
}

/// An application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApplicationView {
    /// Its tracking number.
    pub tracking: String,
    /// The centre.
    pub centre: String,
    /// The service.
    pub service: String,
    /// The service's name in the caller's language.
    pub service_name: String,
    /// Its workflow.
    pub workflow: String,
    /// Its state.
    pub state: String,
    /// Its state in the caller's language.
    pub state_text: String,
    /// Since when.
    pub state_since: String,
    /// The day it is due to leave the state.
    pub state_due_on: Option<String>,
    /// Whether it stays in the state past that day.
    pub overdue: bool,
    /// When it was accepted.
    pub accepted_at: String,
    /// The legal deadline.
    pub deadline_on: String,
    /// The legal deadline, written for people in the caller's language.
    pub deadline_text: String,
    /// Whether the legal deadline is breached.
    pub breached: bool,
    /// The day the document was ready or handed over.
    pub done_on: Option<String>,
    /// That day, written for people.
    pub done_text: Option<String>,
    /// The documents received.
    pub documents: Vec<String>,
    /// What the applicant should do or bring now, in their language.
    pub next_step: String,
    /// The delivery address, when delivery is ordered (staff only).
    pub delivery_address: Option<String>,
    /// Whether delivery is ordered.
    pub delivery_ordered: bool,
    /// Whether delivery may still be ordered.
    pub delivery_orderable: bool,
    /// Whether the document is ready to be handed over at the centre (a collection ticket may be
    /// issued).
    pub collectable: bool,
    /// The actions the caller may take now (staff only).
    pub actions: Vec<String>,
    /// The ticket the documents were accepted from.
    pub ticket: Option<i64>,
    /// The applicant's name (staff only).
    pub applicant_name: Option<String>,
    /// Its bills.
    pub bills: Vec<BillView>,
    /// Its history, oldest first.
    pub history: Vec<ActionView>,
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Accepting a ticket's documents.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AcceptRequest {
    /// The documents received, by name (in any language of the catalogue) or by number from 1.
    #[serde(default)]
    pub documents: Vec<String>,
    /// The applicant's age, for exemptions.
    #[serde(default)]
    pub age: Option<u32>,
    /// Exemption flags that hold for the applicant, e.g. `disability`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// An email address for notices.
    #[serde(default)]
    pub email: Option<String>,
    /// A phone number for notices.
    #[serde(default)]
    pub phone: Option<String>,
    /// The applicant's language (`az`, `en`, `ru`); the caller's by default.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A workflow action.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ActRequest {
    /// The action, e.g. `proceed`, `ready`, `issue`, `reject`.
    #[serde(default)]
    pub action: String,
    /// The reason (for `return` and `reject`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Following an application.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TrackRequest {
    /// The tracking number.
    #[serde(default)]
    pub tracking: String,
    /// The applicant's national ID number.
    #[serde(default)]
    pub fin: String,
}

/// Ordering delivery.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DeliveryRequest {
    /// The applicant's national ID number (when the applicant orders it).
    #[serde(default)]
    pub fin: Option<String>,
    /// The address.
    #[serde(default)]
    pub address: String,
}

// ---------------------------------------------------------------------------------------------
// Helpers

pub(crate) fn denied(denial: Denial) -> ApiError {
    match denial {
        Denial::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"),
        other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()),
    }
}

/// The HTTP answer of a refused change.
pub fn case_error(error: CaseError) -> ApiError {
    match error {
        CaseError::NotFound(what) => ApiError::not_found(format!("there is no {what}")),
        CaseError::Step(StepError::Needs(Need::Reason)) => {
            ApiError::unprocessable("reason", error.to_string())
        }
        CaseError::Step(StepError::UnknownAction { .. }) => {
            ApiError::unprocessable("action", error.to_string())
        }
        CaseError::Step(StepError::Role { .. }) => ApiError::new(StatusCode::FORBIDDEN, error.to_string()),
        CaseError::Step(_) => ApiError::conflict(error.to_string()),
        CaseError::Payment(PaymentError::WrongAmount { .. } | PaymentError::WrongCurrency(_)) => {
            ApiError::unprocessable("amount", error.to_string())
        }
        CaseError::Payment(_) => ApiError::conflict(error.to_string()),
        CaseError::Refund(RefundError::WrongState { .. }) => ApiError::conflict(error.to_string()),
        CaseError::Refund(_) => ApiError::unprocessable("amount", error.to_string()),
        CaseError::Conflict(detail) => ApiError::conflict(detail),
        CaseError::Store(onestop_store::StoreError::Conflict(_)) => {
            ApiError::conflict("someone else changed it at the same moment: reload and try again")
        }
        CaseError::Store(e) => e.into(),
    }
}

pub(crate) fn money(c: &Catalogue, lang: &str, minor: i64) -> String {
    format_money(lang, minor, &c.country.currency.code, u32::from(c.country.currency.minor_units))
}

/// A state's name in `lang` (Fluent `case-state-{state}`), or the name itself for a state of a
/// custom workflow without one.
pub fn state_text(state: &AppState, lang: &str, name: &str) -> String {
    let key = format!("case-state-{}", name.replace('_', "-"));
    if state.templates.catalog.has(lang, &key) {
        state.templates.catalog.text(lang, &key, &[])
    } else {
        name.to_owned()
    }
}

pub(crate) fn bill_view(c: &Catalogue, lang: &str, b: &BillRecord) -> BillView {
    let status = if b.cancelled_at.is_some() {
        "cancelled"
    } else if b.total == 0 {
        "nothing_due"
    } else if b.paid >= b.total {
        "paid"
    } else {
        "unpaid"
    };
    BillView {
        reference: b.reference.clone(),
        tracking: b.tracking.clone(),
        purpose: b.purpose.as_str().into(),
        centre: b.centre.clone(),
        service: b.service.clone(),
        state_fee: b.state_fee,
        service_fee: b.service_fee,
        total: b.total,
        currency: b.currency.clone(),
        total_text: money(c, lang, b.total),
        state_fee_text: money(c, lang, b.state_fee),
        service_fee_text: money(c, lang, b.service_fee),
        waivers: b
            .waivers
            .iter()
            .map(|w| WaiverView {
                fee: match w.fee {
                    Waives::State => "state",
                    Waives::Service => "service",
                    Waives::Both => "both",
                }
                .into(),
                amount: w.amount,
                reason: w.reason.clone(),
            })
            .collect(),
        status: status.into(),
        paid: b.paid,
        refunded: b.refunded,
        due: b.due(),
        paid_via: b.payment.as_ref().map(|p| p.channel.as_str().to_owned()),
        paid_at: b.payment.as_ref().map(|p| p.at.to_string()),
        issued_at: b.issued_at.to_string(),
    }
}

/// The states from which delivery may still be ordered: every state that is not final and is not
/// where dispatching leads; none when the workflow does not deliver.
fn delivery_states(workflow: &Workflow) -> Vec<String> {
    let Some(dispatch) = workflow.actions.iter().find(|a| a.needs.contains(&Need::DeliveryPaid)) else {
        return Vec::new();
    };
    workflow
        .states
        .iter()
        .filter(|(name, s)| !s.last && **name != dispatch.to)
        .map(|(name, _)| name.clone())
        .collect()
}

/// Whether an application in `state` is ready to be handed over at the centre: the state is done
/// and an action leads from it to a final done state (e.g. ready for collection → issued).
fn collectable(workflow: &Workflow, state: &str) -> bool {
    workflow.state(state).is_some_and(|s| s.done && !s.last)
        && workflow.actions_from(state).any(|a| workflow.state(&a.to).is_some_and(|t| t.done && t.last))
}

fn workflow_of<'a>(state: &'a AppState, a: &ApplicationRecord) -> Result<&'a Workflow, ApiError> {
    state.cases.workflows.named(&a.workflow).ok_or_else(|| {
        tracing::error!(workflow = %a.workflow, tracking = %a.tracking, "an application's workflow is no longer defined");
        ApiError::internal()
    })
}

fn next_step_key(a: &ApplicationRecord) -> &'static str {
    if a.bills.iter().any(|b| b.due() > 0) {
        return "case-next-pay";
    }
    match a.state.as_str() {
        "ready_for_collection" => "case-next-collect",
        "returned" => "case-next-documents",
        "out_for_delivery" => "case-next-delivery",
        "issued" | "rejected" => "case-next-none",
        _ => "case-next-wait",
    }
}

/// The view of `a` in `lang`; `staff` adds who acted, the applicant's name, the address and the
/// actions the caller's role may take.
pub fn view(
    state: &AppState,
    c: &Catalogue,
    caller: &Caller,
    lang: &str,
    a: &ApplicationRecord,
    today: Date,
    staff: bool,
) -> ApplicationView {
    let fallback = c.country.default_language();
    let zone =
        jiff::tz::TimeZone::get(&c.country.time_zone).unwrap_or_else(|_| crate::templates::default_zone());
    let service_name =
        c.service(&a.service).map_or_else(|| a.service.clone(), |s| s.name.get_or(lang, fallback).to_owned());
    let workflow = state.cases.workflows.named(&a.workflow);
    let role = caller.staff().map(|s| s.role);
    let actions = match (staff, workflow, role) {
        (true, Some(w), Some(role)) => w
            .actions_from(&a.state)
            .filter(|act| act.roles.contains(&role) && act.name != BILL)
            .map(|act| act.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    let rejected = workflow.and_then(|w| w.state(&a.state)).is_some_and(|s| s.last && !s.done);
    let orderable =
        workflow.is_some_and(|w| delivery_states(w).contains(&a.state)) && a.delivery_address.is_none();
    let mut args: Vec<(&str, FluentValue<'_>)> = vec![("tracking", a.tracking.clone().into())];
    if let Some(b) = a.bills.iter().find(|b| b.due() > 0) {
        args.push(("amount", money(c, lang, b.due()).into()));
        args.push(("reference", b.reference.clone().into()));
    }
    ApplicationView {
        tracking: a.tracking.clone(),
        centre: a.centre.clone(),
        service: a.service.clone(),
        service_name,
        workflow: a.workflow.clone(),
        state: a.state.clone(),
        state_text: state_text(state, lang, &a.state),
        state_since: a.state_since.to_string(),
        state_due_on: a.state_due_on.map(|d| d.to_string()),
        overdue: overdue(a.state_due_on, today),
        accepted_at: a.accepted_at.to_string(),
        deadline_on: a.deadline_on.to_string(),
        deadline_text: format_date(lang, a.deadline_on),
        breached: breached(a.deadline_on, a.done_on, rejected, today),
        done_on: a.done_on.map(|d| d.to_string()),
        done_text: a.done_on.map(|d| format_date(lang, d)),
        documents: a.documents.clone(),
        next_step: state.templates.catalog.text(lang, next_step_key(a), &args),
        delivery_address: if staff { a.delivery_address.clone() } else { None },
        delivery_ordered: a.delivery_address.is_some(),
        delivery_orderable: orderable,
        collectable: workflow.is_some_and(|w| collectable(w, &a.state)),
        actions,
        ticket: a.ticket.map(|t| t.0),
        applicant_name: if staff { a.applicant_name.clone() } else { None },
        bills: a.bills.iter().map(|b| bill_view(c, lang, b)).collect(),
        history: a
            .history
            .iter()
            .map(|h| ActionView {
                at: h.at.to_string(),
                at_text: format_datetime(lang, h.at, &zone),
                action: h.action.clone(),
                state: h.to_state.clone(),
                reason: h.reason.clone(),
                actor: staff.then(|| h.actor.clone()),
            })
            .collect(),
    }
}

/// The notice of `a` reaching `to_state` to the applicant, if they left a way to reach them.
fn status_notice(state: &AppState, c: &Catalogue, a: &Notice<'_>, to_state: &str) -> Option<Message> {
    let to = recipient(a.email, a.phone)?;
    let lang = a.lang;
    let mut args: Vec<(&str, FluentValue<'_>)> = vec![
        ("tracking", a.tracking.to_owned().into()),
        ("state", state_text(state, lang, to_state).into()),
        ("deadline", format_date(lang, a.deadline).into()),
        ("link", format!("{}track?tracking={}", state.public_url, a.tracking).into()),
    ];
    if let Some((amount, reference)) = &a.due {
        args.push(("amount", money(c, lang, *amount).into()));
        args.push(("reference", reference.clone().into()));
    }
    let kind = if a.due.is_some() { "billed" } else { "status" };
    Some(state.templates.catalog.message(
        lang,
        ("case", kind),
        to,
        &args,
        Some(format!("application:{}", a.tracking)),
    ))
}

struct Notice<'a> {
    tracking: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    lang: &'a str,
    deadline: Date,
    due: Option<(i64, String)>,
}

impl<'a> Notice<'a> {
    fn of(a: &'a ApplicationRecord) -> Self {
        Notice {
            tracking: &a.tracking,
            email: a.contact_email.as_deref(),
            phone: a.contact_phone.as_deref(),
            lang: &a.lang,
            deadline: a.deadline_on,
            due: None,
        }
    }
}

async fn find(state: &AppState, tracking: &str) -> Result<ApplicationRecord, ApiError> {
    let canonical = canonical_tracking(tracking).ok_or_else(|| {
        ApiError::not_found(format!("{tracking:?} is not a tracking number (AS-2026-000123)"))
    })?;
    state
        .store
        .application(&canonical)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no application {canonical}")))
}

/// The application `tracking`, for staff who may read it.
pub async fn staff_application(
    state: &AppState,
    caller: &Caller,
    tracking: &str,
) -> Result<ApplicationRecord, ApiError> {
    let a = find(state, tracking).await?;
    caller
        .authorize(
            Permission::ReadApplications,
            Target { centre: Some(&a.centre), provider: Some(&a.provider), window: None },
        )
        .map_err(denied)?;
    Ok(a)
}

/// Today at the registry's country.
pub async fn today(state: &AppState) -> Result<Date, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    Ok(clockwork(state, &loaded.catalogue)?.today)
}

pub(crate) fn centre_of<'a>(c: &'a Catalogue, code: &str) -> Result<&'a Centre, ApiError> {
    c.centre(code).ok_or_else(|| ApiError::not_found(format!("there is no centre {code}")))
}

// ---------------------------------------------------------------------------------------------
// Applications

fn documents_of(service: &Service, lang: &str, asked: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for d in asked {
        let d = d.trim();
        let found = d
            .parse::<usize>()
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| service.documents.get(i))
            .or_else(|| {
                service.documents.iter().find(|doc| doc.name.iter().any(|(_, n)| n.eq_ignore_ascii_case(d)))
            });
        let Some(doc) = found else {
            return Err(ApiError::unprocessable(
                "documents",
                format!("{d:?} is not a document of service {}", service.code.as_str()),
            ));
        };
        let name = doc.name.get_or(lang, lang).to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn contact(req: &AcceptRequest) -> Result<(Option<String>, Option<String>), ApiError> {
    let email = req.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email
        && (!e.contains('@') || e.len() > 254 || e.contains(char::is_whitespace))
    {
        return Err(ApiError::unprocessable("email", format!("{e:?} is not an email address")));
    }
    let phone = req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let phone = match phone {
        Some(p) => Some(
            onestop_domain::pii::Phone::parse(p)
                .map_err(|e| ApiError::unprocessable("phone", e.to_string()))?
                .reveal()
                .to_owned(),
        ),
        None => None,
    };
    Ok((email.map(str::to_owned), phone))
}

/// The officer serving ticket `ticket` accepts its documents: the application is created with its
/// tracking number, legal deadline, workflow and fee bill (exemptions applied by the service's
/// rules to the age and flags given). Replays under the same idempotency key answer the first.
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    ticket: i64,
    req: &AcceptRequest,
    key: Option<String>,
) -> Result<(ApplicationRecord, bool), ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let record = state
        .store
        .ticket(TicketId(ticket))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no ticket {ticket}")))?;
    let centre = centre_of(c, record.ticket.centre.as_str())?;
    let service = c.service(record.ticket.service.as_str()).ok_or_else(|| {
        ApiError::not_found(format!(
            "service {} is no longer in the registry",
            record.ticket.service.as_str()
        ))
    })?;
    caller
        .authorize(
            Permission::AcceptApplication,
            Target {
                centre: Some(centre.code.as_str()),
                provider: Some(service.provider.as_str()),
                window: None,
            },
        )
        .map_err(denied)?;
    let staff = caller
        .staff()
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "only an officer accepts documents"))?;
    // Without a key a second acceptance is refused here; with one, the store answers the first
    // acceptance when the key is its key.
    if key.is_none()
        && let Some(existing) = state.store.application_of_ticket(TicketId(ticket)).await?
    {
        return Err(ApiError::conflict(format!(
            "the ticket's documents were already accepted as application {}",
            existing.tracking
        )));
    }
    let window = match record.ticket.state {
        TicketState::Serving { window, .. } | TicketState::Called { window, .. } => window,
        _ => {
            return Err(ApiError::conflict(format!(
                "ticket {ticket} is not at a window: call and serve it first"
            )));
        }
    };
    let sessions = state.store.open_windows(&centre.code).await?;
    if !sessions.iter().any(|s| s.window == window && s.staff_id == staff.user_id) {
        return Err(ApiError::conflict(format!(
            "ticket {ticket} is at window {window}, which you do not hold"
        )));
    }
    let Some(holder) = &record.holder else {
        return Err(ApiError::unprocessable(
            "ticket",
            "the ticket has no national ID: an application needs the applicant's",
        ));
    };
    let documents = documents_of(service, c.country.default_language(), &req.documents)?;
    if documents.is_empty() {
        return Err(ApiError::unprocessable("documents", "tick the documents received"));
    }
    let (email, phone) = contact(req)?;
    let applicant_lang = match req.lang.as_deref() {
        Some(l) if crate::i18n::LANGUAGES.contains(&l) => l.to_owned(),
        Some(l) => return Err(ApiError::unprocessable("lang", format!("{l:?} is not one of az, en, ru"))),
        None => lang.to_owned(),
    };
    let clock = clockwork(state, c)?;
    let today = clock.today;
    let fees = service.fees.to_fees(&c.country.currency.code, c.country.default_language()).map_err(|e| {
        tracing::error!(service = service.code.as_str(), cause = %e, "the service's fees do not build");
        ApiError::internal()
    })?;
    let bill = fees.bill(&Facts::new(req.age, req.flags.iter().map(|f| f.trim().to_ascii_lowercase())));
    let workflow = state.cases.workflows.for_service(service.code.as_str());
    let due = |name: &str| state_due(&clock.calendar, today, workflow.state(name).and_then(|s| s.days));
    let billed = workflow.action(BILL).map(|b| (b.to.clone(), due(&b.to)));
    let deadline = onestop_domain::cases::legal_deadline(&clock.calendar, today, service.timeframe);
    let sequence = state.store.reserve_tracking(today.year()).await?;
    let tracking = tracking_number(today.year(), sequence);
    let reference = payment_reference(&random_bytes()[..8].try_into().unwrap_or([0; 8]));
    let billed_state =
        billed.clone().filter(|_| bill.total > 0).map(|b| b.0).unwrap_or(workflow.initial.clone());
    let notice = Notice {
        tracking: &tracking,
        email: email.as_deref(),
        phone: phone.as_deref(),
        lang: &applicant_lang,
        deadline,
        due: (bill.total > 0).then(|| (bill.total, reference.clone())),
    };
    let message = status_notice(state, c, &notice, &billed_state);
    let new = NewApplication {
        tracking: tracking.clone(),
        centre: centre.code.as_str().to_owned(),
        provider: service.provider.as_str().to_owned(),
        service: service.code.as_str().to_owned(),
        workflow: workflow.name.clone(),
        initial: (workflow.initial.clone(), due(&workflow.initial)),
        billed,
        ticket: Some(TicketId(ticket)),
        officer: format!("staff:{}", staff.login),
        role: staff.role,
        applicant_fin: holder.fin.reveal().to_owned(),
        applicant_name: holder.name.clone(),
        contact_email: email,
        contact_phone: phone,
        lang: applicant_lang,
        documents,
        accepted_on: today,
        deadline_on: deadline,
        bill: NewBill {
            reference,
            purpose: Purpose::Fees,
            state_fee: bill.state_fee,
            service_fee: bill.service_fee,
            currency: bill.currency,
            waivers: bill.waived,
            issued_on: today,
        },
        key: key.clone(),
        message,
    };
    let audit = caller
        .event(now, "application.accept", format!("accepted the documents of ticket {ticket} as {tracking}"))
        .with_record(format!("ticket:{ticket}"));
    let created = state.store.create_application(new, now, audit).await.map_err(case_error)?;
    let fresh = created.tracking == tracking;
    Ok((created, fresh))
}

/// Takes workflow `action` on application `tracking`; the workflow decides whether the caller's
/// role may, and the store whether the state and the bills allow it.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    tracking: &str,
    req: &ActRequest,
    key: Option<String>,
) -> Result<ApplicationRecord, ApiError> {
    let now = state.now();
    let a = find(state, tracking).await?;
    caller
        .authorize(
            Permission::ActOnApplication,
            Target { centre: Some(&a.centre), provider: Some(&a.provider), window: None },
        )
        .map_err(denied)?;
    let staff = caller
        .staff()
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "only staff act on applications"))?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let clock = clockwork(state, c)?;
    let workflow = workflow_of(state, &a)?;
    let action = req.action.trim();
    let to = workflow.action(action).filter(|_| action != BILL).map(|d| d.to.clone()).ok_or_else(|| {
        ApiError::unprocessable("action", format!("the workflow {} has no action {action:?}", workflow.name))
    })?;
    let due_on = state_due(&clock.calendar, clock.today, workflow.state(&to).and_then(|s| s.days));
    let change = ApplicationChange {
        workflow: workflow.clone(),
        action: action.to_owned(),
        actor: format!("staff:{}", staff.login),
        role: staff.role,
        reason: req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
        key,
        today: clock.today,
        due_on,
        message: status_notice(state, c, &Notice::of(&a), &to),
    };
    let audit = caller.event(
        now,
        &format!("application.{action}"),
        format!("{action} on application {}", a.tracking),
    );
    state.store.act_on_application(&a.tracking, change, now, audit).await.map_err(case_error)
}

/// The applicant follows an application by tracking number and national ID number; a wrong pair
/// is answered as if there were no such application.
pub async fn track(state: &AppState, tracking: &str, fin: &str) -> Result<ApplicationRecord, ApiError> {
    let missing = || ApiError::not_found("no application has this tracking number and ID number");
    let a = find(state, tracking).await.map_err(|_| missing())?;
    let fin = Fin::parse(fin.trim()).map_err(|_| missing())?;
    if !a.applicant_fin.eq_ignore_ascii_case(fin.reveal()) {
        return Err(missing());
    }
    Ok(a)
}

/// Orders delivery of application `tracking`'s document to an address, for the delivery fee: by
/// the applicant (with their ID number) or by staff who may act on it.
pub async fn order_delivery(
    state: &AppState,
    caller: &Caller,
    tracking: &str,
    req: &DeliveryRequest,
) -> Result<ApplicationRecord, ApiError> {
    let now = state.now();
    let a = match &req.fin {
        Some(fin) => track(state, tracking, fin).await?,
        None => {
            let a = find(state, tracking).await?;
            caller
                .authorize(
                    Permission::ActOnApplication,
                    Target { centre: Some(&a.centre), provider: Some(&a.provider), window: None },
                )
                .map_err(denied)?;
            a
        }
    };
    let address = req.address.trim();
    if address.chars().count() < 5 || address.chars().count() > 300 {
        return Err(ApiError::unprocessable(
            "address",
            "give the full delivery address (5 to 300 characters)",
        ));
    }
    let workflow = workflow_of(state, &a)?;
    let states = delivery_states(workflow);
    if states.is_empty() {
        return Err(ApiError::conflict(format!(
            "service {} is not delivered: collect it at the centre",
            a.service
        )));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = clockwork(state, c)?.today;
    let bill = NewBill {
        reference: payment_reference(&random_bytes()[..8].try_into().unwrap_or([0; 8])),
        purpose: Purpose::Delivery,
        state_fee: 0,
        service_fee: state.cases.delivery_fee,
        currency: c.country.currency.code.clone(),
        waivers: Vec::new(),
        issued_on: today,
    };
    let audit = caller.event(now, "application.delivery", format!("ordered delivery of {}", a.tracking));
    state.store.order_delivery(&a.tracking, address, &states, bill, now, audit).await.map_err(case_error)
}

/// Applications of the caller's scope (centre, and provider for officers), newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    centre: Option<&str>,
    open: bool,
) -> Result<Vec<ApplicationRecord>, ApiError> {
    let scope = caller.principal.as_ref().map(Principal::scope).cloned().unwrap_or_default();
    let centre = scope.centre.clone().or_else(|| centre.map(str::to_owned));
    caller
        .authorize(
            Permission::ReadApplications,
            Target { centre: centre.as_deref(), provider: scope.provider.as_deref(), window: None },
        )
        .map_err(denied)?;
    let filter = ApplicationFilter { centre, provider: scope.provider.clone(), open, ..Default::default() };
    Ok(state.store.applications(&filter, 200).await?)
}

/// Issues the ticket with which the applicant of `tracking` collects the ready document at its
/// centre (origin "collection", the applicant as holder): by the info desk, or by a kiosk or
/// integration given the applicant's ID number.
pub async fn collection_ticket(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    tracking: &str,
    fin: Option<&str>,
) -> Result<crate::queue::TicketView, ApiError> {
    let now = state.now();
    let a = find(state, tracking).await?;
    caller
        .authorize(Permission::IssueTicket, Target { centre: Some(&a.centre), ..Target::ANY })
        .map_err(denied)?;
    if matches!(caller.principal, Some(Principal::Device(_))) {
        let given = fin.unwrap_or_default();
        if !a.applicant_fin.eq_ignore_ascii_case(given.trim()) {
            return Err(ApiError::not_found("no application has this tracking number and ID number"));
        }
    }
    let workflow = workflow_of(state, &a)?;
    if !collectable(workflow, &a.state) {
        return Err(ApiError::conflict(format!(
            "application {} is {}: there is nothing to collect yet",
            a.tracking, a.state
        )));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = centre_of(c, &a.centre)?;
    let service =
        c.service(&a.service).filter(|s| centre.windows_for(s.code.as_str()).next().is_some()).ok_or_else(
            || ApiError::conflict(format!("service {} is no longer served at {}", a.service, a.centre)),
        )?;
    let holder = Fin::parse(&a.applicant_fin)
        .map(|fin| onestop_store::queue::Holder { fin, name: a.applicant_name.clone() })
        .map_err(|_| ApiError::internal())?;
    let origin = (onestop_domain::queue::ticket::Origin::Collection, None, Some(holder));
    let record = crate::queue::issue_new(state, caller, c, centre, service, origin).await?;
    let viewer = crate::queue::Viewer { state, caller, lang, catalogue: c };
    viewer.view_read(&record, now).await
}
