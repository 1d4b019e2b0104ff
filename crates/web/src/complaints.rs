//! The flows of complaints and suggestions, shared by the API, the pages and Open311:
//! registering one from any channel, following it by reference, the monitoring department's
//! workflow steps, the complainant's reopening, and deadline breaches.

use crate::AppState;
use crate::auth::{Caller, random_bytes};
use crate::i18n::format_date;
use crate::problem::ApiError;
use axum::http::StatusCode;
use fluent_bundle::FluentValue;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use onestop_domain::calendar::WorkingCalendar;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::feedback::complaint::{
    self, Category, Channel, ComplaintError, Status, Step, Subject, SubjectKind, check_contact, check_text,
    due_on,
};
use onestop_domain::identity::{DeviceKind, Permission, Principal, Role, Target, authorize};
use onestop_domain::notify::Message;
use onestop_store::StoreError;
use onestop_store::complaints::{
    ComplaintChange, ComplaintFilter, ComplaintRecord, ComplaintStepError, NewComplaint,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A complaint or suggestion to register.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ComplaintRequest {
    /// `waiting_time`, `staff_conduct`, `corruption`, `service_quality`, `premises`, `other` or
    /// `suggestion`.
    #[serde(default)]
    pub category: String,
    /// What it is about: `agency` (the default), `centre`, `service`, `provider` or `officer`.
    #[serde(default)]
    pub subject_kind: Option<String>,
    /// The centre, service or provider code, or the officer's login.
    #[serde(default)]
    pub subject: Option<String>,
    /// What happened, or the suggestion.
    #[serde(default)]
    pub text: String,
    /// The complainant's name.
    #[serde(default)]
    pub name: Option<String>,
    /// An email address to answer to.
    #[serde(default)]
    pub email: Option<String>,
    /// A phone number to answer to.
    #[serde(default)]
    pub phone: Option<String>,
    /// A postal address to answer to.
    #[serde(default)]
    pub address: Option<String>,
    /// Staff only: the channel it came by (`call_centre`, `paper_journal`, `social_media`).
    #[serde(default)]
    pub channel: Option<String>,
    /// The centre where it was received (a paper journal's centre).
    #[serde(default)]
    pub centre: Option<String>,
}

/// One step of a complaint's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintStepView {
    /// When (RFC 3339).
    pub at: String,
    /// `register`, `assign`, `answer`, `close` or `reopen`.
    pub step: String,
    /// The status after it.
    pub status: String,
}

/// A complaint as its complainant follows it: no contact details.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintView {
    /// The reference to follow it by.
    pub reference: String,
    /// `complaint` or `suggestion`.
    pub kind: String,
    /// The category.
    pub category: String,
    /// The channel it came by.
    pub channel: String,
    /// `agency`, `centre`, `service`, `provider` or `officer`.
    pub subject_kind: String,
    /// The subject's code or login.
    pub subject: String,
    /// `received`, `assigned`, `answered`, `closed` or `reopened`.
    pub status: String,
    /// What was written.
    pub text: String,
    /// The answer, once given.
    pub answer: Option<String>,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// The day the answer is due.
    pub due_on: String,
    /// The day it was answered.
    pub answered_on: Option<String>,
    /// Whether the answer is (or was) late.
    pub breached: bool,
    /// The last day it may be reopened, once answered.
    pub reopen_until: Option<String>,
    /// Its history, oldest first.
    pub history: Vec<ComplaintStepView>,
}

/// How to answer the complainant, for the monitoring department (the phone masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// The name given.
    pub name: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// The phone number, masked.
    pub phone_masked: Option<String>,
    /// The postal address.
    pub address: Option<String>,
}

/// A complaint as the monitoring department sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintStaffView {
    /// What the complainant sees.
    #[serde(flatten)]
    pub public: ComplaintView,
    /// How to answer.
    pub contact: ContactView,
    /// The centre where it was received.
    pub centre: Option<String>,
    /// Who entered it on the complainant's behalf.
    pub entered_by: Option<String>,
    /// The department member it is assigned to.
    pub assignee: Option<String>,
    /// How often it was reopened.
    pub reopened: u32,
}

/// The country's time zone and working calendar, and today's date there.
pub struct Clockwork {
    /// The time zone.
    pub zone: TimeZone,
    /// Working days.
    pub calendar: WorkingCalendar,
    /// Today.
    pub today: Date,
}

/// The working calendar and today's date of the registry's country.
pub fn clockwork(state: &AppState, c: &Catalogue) -> Result<Clockwork, ApiError> {
    let zone = TimeZone::get(&c.country.time_zone).unwrap_or_else(|_| crate::templates::default_zone());
    let calendar = c.country.calendar().map_err(|e| {
        tracing::error!(cause = %e, "the registry's calendar does not build");
        ApiError::internal()
    })?;
    let today = state.now().to_zoned(zone.clone()).date();
    Ok(Clockwork { zone, calendar, today })
}

fn reopen_until(state: &AppState, r: &ComplaintRecord) -> Option<String> {
    let days = i64::from(state.feedback.reopen_days);
    (matches!(r.status, Status::Answered | Status::Closed))
        .then_some(r.answered_on)
        .flatten()
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .map(|d| d.to_string())
}

/// The complainant's view of `r` as of `today`.
pub fn view(state: &AppState, r: &ComplaintRecord, today: Date) -> ComplaintView {
    ComplaintView {
        reference: r.reference.clone(),
        kind: if r.category.is_suggestion() { "suggestion" } else { "complaint" }.into(),
        category: r.category.as_str().into(),
        channel: r.channel.as_str().into(),
        subject_kind: r.subject.kind.as_str().into(),
        subject: r.subject.code.clone(),
        status: r.status.as_str().into(),
        text: r.text.clone(),
        answer: r.answer.clone(),
        received_at: r.received_at.to_string(),
        due_on: r.due_on.to_string(),
        answered_on: r.answered_on.map(|d| d.to_string()),
        breached: r.breached(today),
        reopen_until: reopen_until(state, r),
        history: r
            .history
            .iter()
            .map(|h| ComplaintStepView {
                at: h.at.to_string(),
                step: h.step.map_or("register", Step::as_str).into(),
                status: h.status.as_str().into(),
            })
            .collect(),
    }
}

/// The monitoring department's view of `r`.
pub fn staff_view(state: &AppState, r: &ComplaintRecord, today: Date) -> ComplaintStaffView {
    ComplaintStaffView {
        public: view(state, r, today),
        contact: ContactView {
            name: r.contact.name.clone(),
            email: r.contact.email.clone(),
            phone_masked: r.contact.phone.as_ref().map(|p| p.masked()),
            address: r.contact.address.clone(),
        },
        centre: r.centre.clone(),
        entered_by: r.entered_by.clone(),
        assignee: r.assignee.clone(),
        reopened: r.reopened,
    }
}

fn refused(detail: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, detail)
}

fn bad(e: ComplaintError) -> ApiError {
    ApiError::unprocessable(e.field(), e.to_string())
}

/// The channel of a complaint from `caller` asking for `asked`, and who entered it.
fn channel_of(caller: &Caller, asked: Option<&str>) -> Result<(Channel, Option<String>), ApiError> {
    let asked = asked.map(str::trim).filter(|c| !c.is_empty());
    let asked = asked
        .map(|name| {
            Channel::parse(name).filter(|c| *c != Channel::Open311 && *c != Channel::Booth).ok_or_else(|| {
                ApiError::unprocessable(
                    "channel",
                    format!("{name:?} is not a channel: use web, call_centre, paper_journal or social_media"),
                )
            })
        })
        .transpose()?;
    match (&caller.principal, asked) {
        (Some(Principal::Device(d)), None | Some(Channel::Web)) if d.kind == DeviceKind::Kiosk => {
            Ok((Channel::Booth, Some(caller.principal.as_ref().map(Principal::actor).unwrap_or_default())))
        }
        (_, None | Some(Channel::Web)) => Ok((Channel::Web, None)),
        (principal, Some(channel)) => {
            authorize(principal.as_ref(), Permission::RegisterComplaint, Target::ANY).map_err(|_| {
                refused("only call-centre and centre staff register complaints on someone's behalf")
            })?;
            Ok((channel, principal.as_ref().map(Principal::actor)))
        }
    }
}

/// Checks that the subject exists: a centre, service or provider of the registry, or an officer.
async fn subject_of(
    state: &AppState,
    c: &Catalogue,
    kind: Option<&str>,
    code: Option<&str>,
) -> Result<Subject, ApiError> {
    let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => SubjectKind::Agency,
        Some(k) => SubjectKind::parse(k).ok_or_else(|| {
            ApiError::unprocessable(
                "subject_kind",
                format!("{k:?} is not a subject: use agency, centre, service, provider or officer"),
            )
        })?,
    };
    let code = code.map(str::trim).unwrap_or_default().to_owned();
    let known = match kind {
        SubjectKind::Agency => return Ok(Subject { kind, code: String::new() }),
        SubjectKind::Centre => c.centre(&code).is_some(),
        SubjectKind::Service => c.service(&code).is_some(),
        SubjectKind::Provider => c.provider(&code).is_some(),
        SubjectKind::Officer => {
            !code.is_empty()
                && state.store.staff_by_login(&code).await?.is_some_and(|(s, _)| s.role == Role::Officer)
        }
    };
    if !known {
        return Err(ApiError::unprocessable("subject", format!("there is no {} {code:?}", kind.as_str())));
    }
    Ok(Subject { kind, code })
}

/// The notice of `kind` (`received`, `answered`, `closed` or `reopened`; Fluent keys
/// `complaint-msg-{kind}-*`) to a complainant who gave an email address (else a phone) in `lang`.
fn notice(
    state: &AppState,
    lang: &str,
    reference: &str,
    contact: &complaint::Contact,
    kind: &str,
    extra: &[(&str, FluentValue<'_>)],
) -> Option<Message> {
    let to = onestop_domain::notify::recipient(
        contact.email.as_deref(),
        contact.phone.as_ref().map(onestop_domain::pii::Phone::reveal),
    )?;
    let link = format!("{}complaints/{reference}", state.public_url);
    let mut args: Vec<(&str, FluentValue<'_>)> =
        vec![("reference", reference.to_owned().into()), ("link", link.into())];
    args.extend(extra.iter().cloned());
    let record = Some(format!("complaint:{reference}"));
    Some(state.templates.catalog.message(lang, ("complaint", kind), to, &args, record))
}

/// Registers a complaint or suggestion from `caller` (`open311` for Open311 clients), whose
/// messages are to be written in `lang`; answers it with its reference.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    request: &ComplaintRequest,
    open311: bool,
    lang: &str,
) -> Result<ComplaintRecord, ApiError> {
    let (channel, entered_by) =
        if open311 { (Channel::Open311, None) } else { channel_of(caller, request.channel.as_deref())? };
    let category = Category::parse(request.category.trim()).ok_or_else(|| {
        ApiError::unprocessable(
            "category",
            format!(
                "{:?} is not a category: use waiting_time, staff_conduct, corruption, service_quality, premises, other or suggestion",
                request.category
            ),
        )
    })?;
    let text = check_text(&request.text).map_err(bad)?;
    let contact = check_contact(
        request.name.as_deref(),
        request.email.as_deref(),
        request.phone.as_deref(),
        request.address.as_deref(),
    )
    .map_err(bad)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let subject = subject_of(state, c, request.subject_kind.as_deref(), request.subject.as_deref()).await?;
    let device_centre = match &caller.principal {
        Some(Principal::Device(d)) if channel == Channel::Booth => d.scope.centre.clone(),
        _ => None,
    };
    let centre = match device_centre.or_else(|| request.centre.clone().filter(|x| !x.trim().is_empty())) {
        Some(code) if c.centre(&code).is_none() => {
            return Err(ApiError::unprocessable("centre", format!("there is no centre {code:?}")));
        }
        other => other,
    };
    let clock = clockwork(state, c)?;
    let now = state.now();
    for _ in 0..3 {
        let random = random_bytes();
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&random[..8]);
        let reference = complaint::reference(&eight);
        let due = due_on(&clock.calendar, category, clock.today);
        let message =
            notice(state, lang, &reference, &contact, "received", &[("due", format_date(lang, due).into())]);
        let new = NewComplaint {
            reference: reference.clone(),
            channel,
            category,
            subject: subject.clone(),
            centre: centre.clone(),
            text: text.clone(),
            contact: contact.clone(),
            entered_by: entered_by.clone(),
            received_on: clock.today,
            due_on: due,
            lang: lang.to_owned(),
            message,
        };
        let summary = format!("{} registered by {} ({})", reference, channel.as_str(), category.as_str());
        let event = caller.event(now, "complaint.register", summary);
        match state.store.register_complaint(new, now, event).await {
            Err(StoreError::Conflict(_)) => continue, // the reference was taken: draw again
            other => return Ok(other?),
        }
    }
    tracing::error!("three complaint references in a row were taken");
    Err(ApiError::internal())
}

/// The complaint with `reference`, or 404.
pub async fn find(state: &AppState, reference: &str) -> Result<ComplaintRecord, ApiError> {
    let reference = reference.trim().to_ascii_uppercase();
    let missing = || ApiError::not_found(format!("there is no complaint {reference}"));
    if !complaint::is_reference(&reference) {
        return Err(missing());
    }
    state.store.complaint(&reference).await?.ok_or_else(missing)
}

/// A workflow step of the monitoring department.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StepRequest {
    /// For `assign`: the login of the department member (default: the caller).
    #[serde(default)]
    pub assignee: Option<String>,
    /// For `answer`: the answer to the complainant.
    #[serde(default)]
    pub answer: Option<String>,
}

/// Takes `step` on the complaint with `reference` for `caller`.
pub async fn advance(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    step: Step,
    request: &StepRequest,
) -> Result<ComplaintRecord, ApiError> {
    let current = find(state, reference).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let clock = clockwork(state, &loaded.catalogue)?;
    let mut change = ComplaintChange {
        step,
        assignee: None,
        answer: None,
        today: clock.today,
        due_on: None,
        reopen_days: state.feedback.reopen_days,
        message: None,
    };
    match step {
        Step::Assign => {
            let own = caller.staff().map(|s| s.login.clone());
            let login = request.assignee.clone().filter(|a| !a.trim().is_empty()).or(own).unwrap_or_default();
            let member = state.store.staff_by_login(login.trim()).await?;
            let handles =
                member.is_some_and(|(s, _)| s.active && s.role.grants(Permission::HandleComplaints));
            if !handles {
                return Err(ApiError::unprocessable(
                    "assignee",
                    format!("{login:?} is not an active member of the monitoring department"),
                ));
            }
            change.assignee = Some(login.trim().to_owned());
        }
        Step::Answer => {
            let answer = request.answer.as_deref().map(str::trim).filter(|a| !a.is_empty());
            let answer = answer.ok_or_else(|| ApiError::unprocessable("answer", "write the answer"))?;
            if answer.chars().count() > complaint::TEXT_MAX {
                return Err(ApiError::unprocessable("answer", "the answer is too long"));
            }
            change.answer = Some(answer.to_owned());
        }
        Step::Close => {}
        Step::Reopen => change.due_on = Some(due_on(&clock.calendar, current.category, clock.today)),
    }
    let lang = current.lang.as_str();
    change.message = match step {
        // Assigning is the department's own business.
        Step::Assign => None,
        Step::Answer => notice(
            state,
            lang,
            &current.reference,
            &current.contact,
            "answered",
            &[
                ("answer", change.answer.clone().unwrap_or_default().into()),
                ("days", state.feedback.reopen_days.into()),
            ],
        ),
        Step::Close => notice(state, lang, &current.reference, &current.contact, "closed", &[]),
        Step::Reopen => notice(
            state,
            lang,
            &current.reference,
            &current.contact,
            "reopened",
            &[("due", change.due_on.map(|d| format_date(lang, d)).unwrap_or_default().into())],
        ),
    };
    let now = state.now();
    let event = caller.event(
        now,
        &format!("complaint.{}", step.as_str()),
        format!("{} {}", current.reference, step.as_str()),
    );
    state.store.advance_complaint(&current.reference, change, now, event).await.map_err(|e| match e {
        ComplaintStepError::NotFound(r) => ApiError::not_found(format!("there is no complaint {r}")),
        ComplaintStepError::Workflow(w) => ApiError::conflict(w.to_string()),
        ComplaintStepError::Store(e) => e.into(),
    })
}

/// Which complaints the monitoring department lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this category.
    pub category: Option<String>,
}

/// The complaints `q` asks for, newest first (at most 500).
pub async fn list(state: &AppState, q: &ComplaintQuery) -> Result<Vec<ComplaintRecord>, ApiError> {
    let mut filter = ComplaintFilter::default();
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        filter.statuses = vec![
            Status::parse(s)
                .ok_or_else(|| ApiError::bad_request("status", format!("{s:?} is not a status")))?,
        ];
    }
    if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
        filter.category = Some(
            Category::parse(c)
                .ok_or_else(|| ApiError::bad_request("category", format!("{c:?} is not a category")))?,
        );
    }
    Ok(state.store.complaints(&filter, 500).await?)
}

/// Deadline breaches as of today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreachesView {
    /// Today, in the country's time zone.
    pub today: String,
    /// How many complaints await an answer after their due day.
    pub overdue_count: usize,
    /// How many were answered after their due day.
    pub answered_late: u64,
    /// The overdue complaints, oldest due first.
    pub overdue: Vec<ComplaintStaffView>,
}

/// The deadline breaches as of today.
pub async fn breaches(state: &AppState) -> Result<BreachesView, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let today = clockwork(state, &loaded.catalogue)?.today;
    let b = state.store.complaint_breaches(today).await?;
    Ok(BreachesView {
        today: today.to_string(),
        overdue_count: b.overdue.len(),
        answered_late: b.answered_late,
        overdue: b.overdue.iter().map(|r| staff_view(state, r, today)).collect(),
    })
}

/// Today in the registry's country.
pub async fn today(state: &AppState) -> Result<Date, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    Ok(clockwork(state, &loaded.catalogue)?.today)
}
