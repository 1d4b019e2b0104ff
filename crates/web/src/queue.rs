//! The queue's flows, shared by the JSON API (`api::queue`) and the pages: issuing a ticket,
//! showing a ticket or a window, an officer's steps at a window, returning a parked ticket,
//! closing the day, and the public statistics.
//!
//! Each flow checks the caller's scope against the centre, provider or window it touches, checks
//! the input against the catalogue, and hands the change to the store, which applies the domain's
//! rules (`onestop_domain::queue`) in one transaction with its event and audit entry. Problems are
//! English (as every API problem); names are given in the caller's language, falling back to the
//! catalogue's default.

use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use crate::registry::{hhmm, no_such};
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::catalogue::{Catalogue, Centre, CentreCode, GroupCode, Service, ServiceCode, Window};
use onestop_domain::identity::{Denial, Permission, Principal, StaffPrincipal, Target};
use onestop_domain::queue::calling::{CallingRules, WindowContext};
use onestop_domain::queue::day;
use onestop_domain::queue::mrz::{CardRead, CardReadError, read_card};
use onestop_domain::queue::number::{NumberError, assign_prefixes};
use onestop_domain::queue::predict::{DEFAULT_MIN_SAMPLES, ServiceModel};
use onestop_domain::queue::stats::{CentreDay, OpenWindow, minutes_nearest, minutes_up};
use onestop_domain::queue::ticket::{
    Action, ActionName, Origin, ParkReason, PriorityGroup, ServiceResult, Ticket, TicketId, TicketRules,
    TicketState, TransferTarget, WindowNumber,
};
use onestop_store::queue::{ActError, ActWith, Holder, NewTicket, ServiceTimes, TicketRecord, WindowSession};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use utoipa::ToSchema;

/// Recent calls per service read for the wait prediction (services and no-shows).
pub const SERVICE_TIME_SAMPLES: u32 = 50;

// ---------------------------------------------------------------------------------------------
// Views

/// A window as a ticket shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WindowRef {
    /// The window's number in its centre.
    pub number: u32,
    /// Its floor.
    pub floor: i32,
}

/// Who a ticket is for, shown only to callers allowed to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HolderView {
    /// The name as on the card, when the card's machine-readable zone was read.
    pub name: Option<String>,
    /// The national ID number with all but its last two characters hidden.
    pub fin_masked: String,
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TicketView {
    /// Its id.
    pub id: i64,
    /// Its human number, e.g. `J-017`.
    pub number: String,
    /// The centre's code.
    pub centre: String,
    /// The service's code.
    pub service: String,
    /// The service's name in the caller's language.
    pub service_name: String,
    /// `waiting`, `called`, `serving`, `parked` or `finished`.
    pub state: String,
    /// How it ended: `served`, `not_served`, `no_show`, `transferred` or `centre_closed`.
    pub outcome: Option<String>,
    /// The window it is called to, served at or parked by.
    pub window: Option<WindowRef>,
    /// The windows that serve its service at the centre (open or not).
    pub windows: Vec<WindowRef>,
    /// People called before it, while waiting.
    pub people_ahead: Option<u32>,
    /// The predicted wait, while waiting with a window open that serves it.
    pub predicted_wait_minutes: Option<u32>,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// When it was last called to a window (RFC 3339).
    pub called_at: Option<String>,
    /// Recalls since that call.
    pub recalls: u32,
    /// The public page of the ticket.
    pub ticket_url: String,
    /// Who it is for, for callers allowed to read it.
    pub holder: Option<HolderView>,
}

/// A window and what is happening there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WindowState {
    /// The centre's code.
    pub centre: String,
    /// The window's number.
    pub number: u32,
    /// Its floor.
    pub floor: i32,
    /// The provider serving there.
    pub provider: String,
    /// The services it serves.
    pub services: Vec<String>,
    /// The login of the officer signed in, if any.
    pub officer: Option<String>,
    /// The ticket called to it or being served there.
    pub current: Option<TicketView>,
    /// Tickets it parked today that have not returned.
    pub parked: Vec<TicketView>,
}

/// The answer to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallView {
    /// The ticket called, or `null` when nobody waits for this window.
    pub ticket: Option<TicketView>,
    /// Why it was first in line: `returning`, `appointment`, `priority` or `first_come`.
    pub rule: Option<String>,
}

/// The answer to a step on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActView {
    /// The ticket after the step.
    pub ticket: TicketView,
    /// After a transfer, the ticket now waiting at the new service or window.
    pub follow_on: Option<TicketView>,
}

/// How a day was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayClosedView {
    /// The centre's local date closed (`YYYY-MM-DD`).
    pub day: String,
    /// Tickets issued that day, follow-on tickets of transfers included.
    pub issued: u32,
    /// Tickets closed now with the outcome `centre_closed`.
    pub closed_now: u32,
    /// Every ticket of the day by outcome; they add up to `issued`.
    pub by_outcome: BTreeMap<String, u32>,
}

/// A service's queue at a centre today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceQueue {
    /// The service's code.
    pub service: String,
    /// Its name in the caller's language.
    pub name: String,
    /// Tickets waiting now.
    pub waiting: u32,
    /// Tickets served today.
    pub served_today: u32,
    /// The median wait of the tickets called today, in minutes.
    pub median_wait_minutes: Option<u32>,
    /// The predicted wait of a ticket issued now, in minutes; `null` with no window open.
    pub predicted_wait_minutes: Option<u32>,
    /// Open windows serving it.
    pub open_windows: u32,
}

/// A centre's queue today, without personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CentreQueue {
    /// The centre's code.
    pub centre: String,
    /// The centre's local date (`YYYY-MM-DD`).
    pub day: String,
    /// Windows with an officer signed in.
    pub open_windows: u32,
    /// Every service with a window at the centre.
    pub services: Vec<ServiceQueue>,
}

/// One service's queue at one centre, for comparing centres.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CentreLoad {
    /// The centre's code.
    pub centre: String,
    /// Its name in the caller's language.
    pub name: String,
    /// Tickets waiting now.
    pub waiting: u32,
    /// The predicted wait of a ticket issued now, in minutes; `null` with no window open.
    pub predicted_wait_minutes: Option<u32>,
    /// Open windows serving the service.
    pub open_windows: u32,
}

/// A service's queues across the centres that offer it, shortest predicted wait first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceQueues {
    /// The service's code.
    pub service: String,
    /// Its name in the caller's language.
    pub name: String,
    /// The centres with a window for it: by predicted wait, those with no window open last.
    pub centres: Vec<CentreLoad>,
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A priority group the info desk records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// People with disabilities.
    Disabled,
    /// Pregnant women.
    Pregnant,
    /// Elderly people.
    Elderly,
    /// War veterans.
    Veteran,
    /// Parents with an infant.
    WithInfant,
}

impl From<Priority> for PriorityGroup {
    fn from(p: Priority) -> PriorityGroup {
        match p {
            Priority::Disabled => PriorityGroup::Disabled,
            Priority::Pregnant => PriorityGroup::Pregnant,
            Priority::Elderly => PriorityGroup::Elderly,
            Priority::Veteran => PriorityGroup::Veteran,
            Priority::WithInfant => PriorityGroup::WithInfant,
        }
    }
}

/// A ticket to issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// The service's code, e.g. `MIA-ID-CARD`.
    pub service: String,
    /// The national ID number typed, or the TD1 machine-readable zone as a card reader emits it.
    pub id_card: String,
    /// Indexes of the service's required documents that were ticked (info desk only).
    #[serde(default)]
    pub documents: Vec<usize>,
    /// The visitor's priority group, if any.
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// How an officer finishes a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishOutcome {
    /// The service was rendered.
    Served,
    /// It could not be; a reason is required.
    NotServed,
}

/// Why a ticket is parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParkWhy {
    /// Sent to the bank section to pay.
    Payment,
    /// Sent to fetch or copy a document.
    Documents,
    /// Another reason, given in the note.
    Other,
}

/// A step an officer takes on a ticket at their window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowStep {
    /// Call it again on the screens.
    Recall,
    /// The visitor came.
    Start,
    /// The visitor did not come.
    NoShow,
    /// Finish the service.
    Finish {
        /// Served or not.
        outcome: FinishOutcome,
        /// Why not (required when not served).
        reason: Option<String>,
    },
    /// Set it aside.
    Park {
        /// Why.
        reason: ParkWhy,
        /// A note.
        note: Option<String>,
    },
    /// Send it to another service (at this centre) or window (for the same service).
    Transfer {
        /// The service.
        service: Option<String>,
        /// The window.
        window: Option<u32>,
    },
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/// A window's id in paths: `{centre}:{number}`, e.g. `BAKU-1:7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowId {
    /// The centre.
    pub centre: CentreCode,
    /// The window's number.
    pub number: WindowNumber,
}

impl WindowId {
    /// Parses `BAKU-1:7`.
    pub fn parse(text: &str) -> Result<WindowId, ApiError> {
        let bad =
            || ApiError::not_found(format!("{text:?} is not a window: use CENTRE:NUMBER, e.g. BAKU-1:7"));
        let (centre, number) = text.rsplit_once(':').ok_or_else(bad)?;
        let number = number.parse().map_err(|_| bad())?;
        if centre.is_empty() {
            return Err(bad());
        }
        Ok(WindowId { centre: CentreCode::new(centre), number })
    }
}

impl fmt::Display for WindowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.centre.as_str(), self.number)
    }
}

fn unprocessable(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable(field, detail)
}

fn denied(denial: Denial) -> ApiError {
    match denial {
        Denial::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"),
        other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()),
    }
}

fn act_error(error: ActError) -> ApiError {
    match error {
        ActError::NotFound(id) => ApiError::not_found(format!("there is no ticket {id} at this centre")),
        not_here @ ActError::NotAtWindow { .. } => ApiError::conflict(not_here.to_string()),
        ActError::Rule(rule) => ApiError::conflict(rule.to_string()),
        ActError::Store(e) => e.into(),
    }
}

/// The prefix letter of each service group served at `centre` (numbers count per centre, so
/// letters need only differ within one), by [`assign_prefixes`]: a letter of its own while the 26
/// letters last (`I` and `O` only past 24 groups), shared beyond that (groups sharing a letter
/// share its counter).
pub fn prefixes_at(c: &Catalogue, centre: &Centre) -> Result<BTreeMap<GroupCode, char>, NumberError> {
    let groups: Vec<GroupCode> = services_at(c, centre)
        .into_iter()
        .map(|s| s.group.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assign_prefixes(&groups, &BTreeMap::new())
}

/// The centre `code` of the catalogue, or 404.
pub fn centre<'a>(catalogue: &'a Catalogue, code: &str) -> Result<&'a Centre, ApiError> {
    catalogue.centre(code).ok_or_else(|| no_such("centre", code))
}

/// The window of `id` in the catalogue, with its centre, or 404.
pub fn window<'a>(catalogue: &'a Catalogue, id: &WindowId) -> Result<(&'a Centre, &'a Window), ApiError> {
    let centre = centre(catalogue, id.centre.as_str())?;
    let window = centre
        .windows
        .iter()
        .find(|w| w.number == id.number)
        .ok_or_else(|| ApiError::not_found(format!("there is no window {id}")))?;
    Ok((centre, window))
}

/// The centre's local date at `now`: the day tickets are numbered and counted by
/// (`onestop_domain::queue::day::local_date`).
pub fn local_day(catalogue: &Catalogue, centre: &Centre, now: Timestamp) -> Result<Date, ApiError> {
    Ok(day::local_date(centre, &catalogue.country, now))
}

/// Whether the centre is open at `now` (`onestop_domain::queue::day::is_open`); the problem says
/// when it opens if not.
pub fn check_open(catalogue: &Catalogue, centre: &Centre, now: Timestamp) -> Result<(), ApiError> {
    if day::is_open(centre, &catalogue.country, now) {
        return Ok(());
    }
    let local = now.to_zoned(day::zone(centre, &catalogue.country));
    let code = centre.code.as_str();
    match centre.hours_on_date(local.date(), &catalogue.country) {
        Some((open, close)) => Err(ApiError::conflict(format!(
            "centre {code} is closed now: today it is open from {} to {}",
            hhmm(open),
            hhmm(close)
        ))),
        None => Err(ApiError::conflict(format!("centre {code} is closed today"))),
    }
}

/// The windows of `centre` that serve `service`.
fn windows_of(centre: &Centre, service: &str) -> Vec<WindowRef> {
    centre.windows_for(service).map(|w| WindowRef { number: w.number, floor: w.floor }).collect()
}

fn floor_of(centre: &Centre, number: WindowNumber) -> i32 {
    centre.windows.iter().find(|w| w.number == number).map_or(0, |w| w.floor)
}

fn open_windows(centre: &Centre, sessions: &[WindowSession]) -> Vec<OpenWindow> {
    sessions
        .iter()
        .filter_map(|s| centre.windows.iter().find(|w| w.number == s.window))
        .map(|w| OpenWindow { number: w.number, services: w.services.clone() })
        .collect()
}

/// What the wait predictor knows of `service` from its recent calls: the mean service time and
/// the visitors' give-ups (`onestop_domain::queue::predict::ServiceModel::from_history`).
fn service_model(times: &[ServiceTimes], service: &Service) -> ServiceModel {
    let recent = times.iter().find(|t| t.service == service.code).map_or(&[][..], |t| &t.recent[..]);
    ServiceModel::from_history(recent, service.handling_minutes, DEFAULT_MIN_SAMPLES)
}

fn tickets_of(records: Vec<TicketRecord>) -> Vec<Ticket> {
    records.into_iter().map(|r| r.ticket).collect()
}

/// Which of the day's tickets a [`Scene`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every ticket of the day: for statistics of the day (served today, median wait).
    WholeDay,
    /// Only the tickets not ended: enough for places in line, predicted waits and windows, and
    /// read in time proportional to the queue rather than to the day.
    Open,
    /// Only the tickets in line or at a window, without their steps: enough for one waiting
    /// ticket's place and predicted wait, and the cheapest to read.
    Line,
}

/// The queue of one centre today as read from the store: what statistics and waits need.
pub struct Scene {
    /// The tickets of the day (every one, the open ones, or those in line: see [`Part`]).
    pub tickets: Vec<Ticket>,
    /// Windows with an officer signed in.
    pub sessions: Vec<WindowSession>,
    /// Recent calls of the services (service times, no-shows and waits).
    pub times: Vec<ServiceTimes>,
    /// Now.
    pub now: Timestamp,
}

impl Scene {
    /// Reads `part` of the day of `centre` at `now`, with the recent service times of every service
    /// or of the `only` one a view needs.
    pub async fn read(
        state: &AppState,
        catalogue: &Catalogue,
        centre: &Centre,
        now: Timestamp,
        part: Part,
        only: Option<&ServiceCode>,
    ) -> Result<Scene, ApiError> {
        let day = local_day(catalogue, centre, now)?;
        let store = state.store.as_ref();
        let tickets = match part {
            Part::WholeDay => tickets_of(store.day_tickets(&centre.code, day).await?),
            Part::Open => tickets_of(store.open_tickets(&centre.code, day).await?),
            Part::Line => store.line_tickets(&centre.code, day).await?,
        };
        let sessions = store.open_windows(&centre.code).await?;
        let times = store.service_times(&centre.code, only, SERVICE_TIME_SAMPLES).await?;
        Ok(Scene { tickets, sessions, times, now })
    }

    fn day<'a>(&'a self, open: &'a [OpenWindow]) -> CentreDay<'a> {
        CentreDay {
            tickets: &self.tickets,
            open_windows: open,
            rules: CallingRules::default(),
            now: self.now,
        }
    }
}

/// Shapes tickets for one caller: names in their language, the holder when they may read it.
pub struct Viewer<'a> {
    /// The application state.
    pub state: &'a AppState,
    /// Who is asking.
    pub caller: &'a Caller,
    /// The caller's language.
    pub lang: &'a str,
    /// The catalogue in force.
    pub catalogue: &'a Catalogue,
}

impl Viewer<'_> {
    fn name_of_service(&self, code: &ServiceCode) -> String {
        let fallback = self.catalogue.country.default_language();
        self.catalogue
            .service(code.as_str())
            .map_or_else(|| code.as_str().to_owned(), |s| s.name.get_or(self.lang, fallback).to_owned())
    }

    /// Whether the caller may read the holder of a ticket of `service` at `centre`, at `window`.
    fn may_read_holder(&self, centre: &Centre, service: &ServiceCode, window: Option<WindowNumber>) -> bool {
        let provider = self.catalogue.service(service.as_str()).map(|s| s.provider.as_str().to_owned());
        let window_text = window.map(|w| w.to_string());
        // A display reads holders only for the window it stands at.
        if let Some(Principal::Device(device)) = &self.caller.principal
            && (device.scope.window.is_none() || window.is_none())
        {
            return false;
        }
        self.caller
            .authorize(
                Permission::ReadTicketHolder,
                Target {
                    centre: Some(centre.code.as_str()),
                    provider: provider.as_deref(),
                    window: window_text.as_deref(),
                },
            )
            .is_ok()
    }

    /// The view of `record`; `scene` is needed only for a waiting ticket's place and wait.
    pub fn view(&self, centre: &Centre, record: &TicketRecord, scene: Option<&Scene>) -> TicketView {
        let t = &record.ticket;
        let window = t.state.window();
        let last_call = t.steps.iter().rposition(|s| s.action == ActionName::Call);
        let called_at = last_call.map(|i| t.steps[i].at.to_string());
        let recalls =
            last_call.map_or(0, |i| t.steps[i..].iter().filter(|s| s.action == ActionName::Recall).count());
        let wait = scene.and_then(|scene| {
            let open = open_windows(centre, &scene.sessions);
            let service = self.catalogue.service(t.service.as_str())?;
            scene.day(&open).ticket(t, &service_model(&scene.times, service))
        });
        let holder = record
            .holder
            .as_ref()
            .filter(|_| self.may_read_holder(centre, &t.service, window))
            .map(|h| HolderView { name: h.name.clone(), fin_masked: h.fin.masked() });
        TicketView {
            id: t.id.0,
            number: t.number.to_string(),
            centre: t.centre.as_str().to_owned(),
            service: t.service.as_str().to_owned(),
            service_name: self.name_of_service(&t.service),
            state: t.state.name().as_str().to_owned(),
            outcome: t.outcome().map(|o| o.name().to_owned()),
            window: window.map(|number| WindowRef { number, floor: floor_of(centre, number) }),
            windows: windows_of(centre, t.service.as_str()),
            people_ahead: wait.map(|w| u32::try_from(w.ahead).unwrap_or(u32::MAX)),
            predicted_wait_minutes: wait.and_then(|w| w.predicted_wait).map(minutes_up),
            issued_at: t.issued_at.to_string(),
            called_at,
            recalls: u32::try_from(recalls).unwrap_or(u32::MAX),
            ticket_url: format!("{}tickets/{}", self.state.public_url, t.id.0),
            holder,
        }
    }

    /// The view of `record`, reading the centre's day when the ticket waits.
    pub async fn view_read(&self, record: &TicketRecord, now: Timestamp) -> Result<TicketView, ApiError> {
        let centre = centre(self.catalogue, record.ticket.centre.as_str())?;
        let scene = if record.ticket.state == TicketState::Waiting {
            // The ticket's prediction needs its own service's times and the line only.
            let only = Some(&record.ticket.service);
            Some(Scene::read(self.state, self.catalogue, centre, now, Part::Line, only).await?)
        } else {
            None
        };
        Ok(self.view(centre, record, scene.as_ref()))
    }
}

// ---------------------------------------------------------------------------------------------
// Flows

/// Issues a ticket at centre `code` (see the API contract, endpoint 1).
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    code: &str,
    request: IssueRequest,
) -> Result<TicketView, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = centre(c, code)?;
    caller
        .authorize(Permission::IssueTicket, Target { centre: Some(code), ..Target::ANY })
        .map_err(denied)?;
    let service = c
        .service(&request.service)
        .filter(|s| centre.windows_for(s.code.as_str()).next().is_some())
        .ok_or_else(|| {
            unprocessable("service", format!("service {} is not offered at centre {code}", request.service))
        })?;
    let card = read_card(&request.id_card).map_err(|e| match e {
        CardReadError::BadFin => unprocessable("id_card", format!("the ID number is not valid: {e}")),
        CardReadError::Mrz(mrz) => unprocessable("id_card", format!("the ID card could not be read: {mrz}")),
    })?;
    let device = matches!(caller.principal, Some(Principal::Device(_)));
    if !device {
        let english = "en";
        let fallback = c.country.default_language();
        if let Some(bad) = request.documents.iter().find(|i| **i >= service.documents.len()) {
            return Err(unprocessable(
                "documents",
                format!("service {} has no document {bad}", service.code.as_str()),
            ));
        }
        let missing: Vec<String> = service
            .documents
            .iter()
            .enumerate()
            .filter(|(i, _)| !request.documents.contains(i))
            .map(|(i, d)| format!("{i} ({})", d.name.get_or(english, fallback)))
            .collect();
        if !missing.is_empty() {
            return Err(unprocessable(
                "documents",
                format!("tick every required document first; missing: {}", missing.join(", ")),
            ));
        }
    }
    let holder = match &card {
        CardRead::Typed(fin) => Some(Holder { fin: fin.clone(), name: None }),
        CardRead::Swiped(td1) => td1.fin.clone().map(|fin| Holder {
            fin,
            name: Some(format!("{} {}", td1.given_names, td1.surname).trim().to_owned()),
        }),
    };
    let origin = if device { Origin::Kiosk } else { Origin::InfoDesk };
    let priority = request.priority.map(PriorityGroup::from);
    let record = issue_new(state, caller, c, centre, service, (origin, priority, holder)).await?;
    let viewer = Viewer { state, caller, lang, catalogue: c };
    viewer.view_read(&record, now).await
}

/// Issues a ticket of `service` at `centre` (checked to be open now) with its origin, priority
/// group and holder: the prefix letter of its group, the centre's local day, the audit entry.
pub async fn issue_new(
    state: &AppState,
    caller: &Caller,
    c: &Catalogue,
    centre: &Centre,
    service: &Service,
    (origin, priority, holder): (Origin, Option<PriorityGroup>, Option<Holder>),
) -> Result<TicketRecord, ApiError> {
    let now = state.now();
    let code = centre.code.as_str();
    check_open(c, centre, now)?;
    let prefixes = prefixes_at(c, centre).map_err(|e| {
        tracing::error!(centre = code, error = %e, "the centre's groups cannot all have a prefix letter");
        ApiError::internal()
    })?;
    let prefix = *prefixes.get(&service.group).ok_or_else(|| {
        tracing::error!(group = service.group.as_str(), "a service's group has no prefix letter");
        ApiError::internal()
    })?;
    let how = match origin {
        Origin::Kiosk => "kiosk",
        Origin::Collection => "collection",
        Origin::Appointment { .. } => "appointment",
        Origin::InfoDesk => "info desk",
    };
    let new = NewTicket {
        centre: centre.code.clone(),
        service: service.code.clone(),
        group: service.group.clone(),
        prefix,
        day: local_day(c, centre, now)?,
        origin,
        priority,
        holder,
    };
    let audit = caller
        .event(now, "ticket.issue", format!("issued a {} ticket at {code} ({how})", service.code.as_str()))
        .with_record(format!("centre:{code}"));
    Ok(state.store.issue_ticket(new, now, audit).await?)
}

/// A ticket, for anyone with its id.
pub async fn ticket(state: &AppState, caller: &Caller, lang: &str, id: i64) -> Result<TicketView, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let record = state
        .store
        .ticket(TicketId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no ticket {id}")))?;
    Viewer { state, caller, lang, catalogue: &loaded.catalogue }.view_read(&record, state.now()).await
}

async fn window_state(
    viewer: &Viewer<'_>,
    centre: &Centre,
    window: &Window,
    sessions: &[WindowSession],
    now: Timestamp,
) -> Result<WindowState, ApiError> {
    let day = local_day(viewer.catalogue, centre, now)?;
    let records = viewer.state.store.open_tickets(&centre.code, day).await?;
    let here = |r: &&TicketRecord| r.ticket.state.window() == Some(window.number);
    let current = records
        .iter()
        .filter(here)
        .find(|r| matches!(r.ticket.state, TicketState::Called { .. } | TicketState::Serving { .. }))
        .map(|r| viewer.view(centre, r, None));
    let parked = records
        .iter()
        .filter(here)
        .filter(|r| matches!(r.ticket.state, TicketState::Parked { .. }))
        .map(|r| viewer.view(centre, r, None))
        .collect();
    Ok(WindowState {
        centre: centre.code.as_str().to_owned(),
        number: window.number,
        floor: window.floor,
        provider: window.provider.as_str().to_owned(),
        services: window.services.iter().map(|s| s.as_str().to_owned()).collect(),
        officer: sessions.iter().find(|s| s.window == window.number).map(|s| s.login.clone()),
        current,
        parked,
    })
}

/// A window, its officer, its current and parked tickets (WatchQueue at its centre and window).
pub async fn window_view(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: &str,
) -> Result<WindowState, ApiError> {
    let id = WindowId::parse(id)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (centre, window) = window(c, &id)?;
    let number = window.number.to_string();
    caller
        .authorize(
            Permission::WatchQueue,
            Target { centre: Some(centre.code.as_str()), provider: None, window: Some(&number) },
        )
        .map_err(denied)?;
    let sessions = state.store.open_windows(&centre.code).await?;
    window_state(&Viewer { state, caller, lang, catalogue: c }, centre, window, &sessions, state.now()).await
}

/// The staff member acting at a window: an officer of its provider at its centre, or an agency
/// admin (ServeAtWindow in scope).
fn officer<'a>(caller: &'a Caller, centre: &Centre, window: &Window) -> Result<&'a StaffPrincipal, ApiError> {
    let target =
        Target { centre: Some(centre.code.as_str()), provider: Some(window.provider.as_str()), window: None };
    caller.authorize(Permission::ServeAtWindow, target).map_err(denied)?;
    caller
        .staff()
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "only a signed-in officer serves at a window"))
}

/// The centre's open windows, when `staff` holds window `id` among them; else 409.
async fn holding(
    state: &AppState,
    staff: &StaffPrincipal,
    id: &WindowId,
) -> Result<Vec<WindowSession>, ApiError> {
    let sessions = state.store.open_windows(&id.centre).await?;
    if sessions.iter().any(|s| s.window == id.number && s.staff_id == staff.user_id) {
        Ok(sessions)
    } else {
        Err(ApiError::conflict(format!("you are not signed in to window {id}: sign in to it first")))
    }
}

/// Signs the calling officer in to window `id`; 409 while another officer holds it.
pub async fn sign_in(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: &str,
) -> Result<WindowState, ApiError> {
    let now = state.now();
    let id = WindowId::parse(id)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (centre, window) = window(c, &id)?;
    let staff = officer(caller, centre, window)?;
    let audit = caller
        .event(now, "window.sign_in", format!("signed in to window {id}"))
        .with_record(format!("window:{id}"));
    state.store.open_window(&centre.code, window.number, staff.user_id, &staff.login, now, audit).await?;
    let sessions = state.store.open_windows(&centre.code).await?;
    window_state(&Viewer { state, caller, lang, catalogue: c }, centre, window, &sessions, now).await
}

/// Signs the calling officer out of window `id`, which they must hold.
pub async fn sign_out(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: &str,
) -> Result<WindowState, ApiError> {
    let now = state.now();
    let id = WindowId::parse(id)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (centre, window) = window(c, &id)?;
    let staff = officer(caller, centre, window)?;
    holding(state, staff, &id).await?;
    let audit = caller
        .event(now, "window.sign_out", format!("signed out of window {id}"))
        .with_record(format!("window:{id}"));
    state.store.close_window(&centre.code, staff.user_id, now, audit).await?;
    let sessions = state.store.open_windows(&centre.code).await?;
    window_state(&Viewer { state, caller, lang, catalogue: c }, centre, window, &sessions, now).await
}

/// Calls the next ticket to window `id`, chosen by the calling rules; the officer must hold it.
pub async fn call_next(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: &str,
) -> Result<CallView, ApiError> {
    let now = state.now();
    let id = WindowId::parse(id)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (centre, window) = window(c, &id)?;
    let staff = officer(caller, centre, window)?;
    holding(state, staff, &id).await?;
    let context = WindowContext {
        number: window.number,
        services: window.services.clone(),
        rules: CallingRules::default(),
    };
    let day = local_day(c, centre, now)?;
    let audit = caller
        .event(now, "ticket.call", format!("window {id} called the next ticket"))
        .with_record(format!("window:{id}"));
    let called =
        state.store.call_next(&centre.code, day, &context, TicketRules::default(), now, audit).await?;
    let viewer = Viewer { state, caller, lang, catalogue: c };
    Ok(match called {
        Some(called) => CallView {
            ticket: Some(viewer.view(centre, &called.ticket, None)),
            rule: Some(called.rule.as_str().to_owned()),
        },
        None => CallView { ticket: None, rule: None },
    })
}

fn required(field: &str, value: Option<String>, detail: &str) -> Result<String, ApiError> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).ok_or_else(|| unprocessable(field, detail))
}

/// The domain action of `step` on `ticket` at the window of `centre`, checked against the catalogue.
async fn action_of(
    state: &AppState,
    c: &Catalogue,
    centre: &Centre,
    ticket: TicketId,
    step: WindowStep,
) -> Result<Action, ApiError> {
    Ok(match step {
        WindowStep::Recall => Action::Recall,
        WindowStep::Start => Action::Start,
        WindowStep::NoShow => Action::NoShow,
        WindowStep::Finish { outcome: FinishOutcome::Served, .. } => {
            Action::Finish { result: ServiceResult::Served }
        }
        WindowStep::Finish { outcome: FinishOutcome::NotServed, reason } => {
            let reason = required("reason", reason, "say why the service could not be rendered")?;
            Action::Finish { result: ServiceResult::NotServed { reason } }
        }
        WindowStep::Park { reason, note } => Action::Park {
            reason: match reason {
                ParkWhy::Payment => ParkReason::Payment,
                ParkWhy::Documents => ParkReason::Documents,
                ParkWhy::Other => ParkReason::Other(required("note", note, "say why the ticket is parked")?),
            },
        },
        WindowStep::Transfer { service: Some(code), window: None } => {
            if centre.windows_for(&code).next().is_none() {
                return Err(unprocessable(
                    "service",
                    format!("service {code} is not offered at centre {}", centre.code.as_str()),
                ));
            }
            let service = c.service(&code).map(|s| s.code.clone()).unwrap_or_else(|| ServiceCode::new(code));
            Action::Transfer { to: TransferTarget::Service(service) }
        }
        WindowStep::Transfer { service: None, window: Some(number) } => {
            let Some(target) = centre.windows.iter().find(|w| w.number == number) else {
                return Err(unprocessable(
                    "window",
                    format!("there is no window {number} at centre {}", centre.code.as_str()),
                ));
            };
            let record =
                state.store.ticket(ticket).await?.filter(|r| r.ticket.centre == centre.code).ok_or_else(
                    || ApiError::not_found(format!("there is no ticket {ticket} at this centre")),
                )?;
            if !target.services.contains(&record.ticket.service) {
                return Err(unprocessable(
                    "window",
                    format!("window {number} does not serve {}", record.ticket.service.as_str()),
                ));
            }
            Action::Transfer { to: TransferTarget::Window(number) }
        }
        WindowStep::Transfer { .. } => {
            return Err(unprocessable("service", "transfer to either a service or a window"));
        }
    })
}

fn audit_action(action: &Action) -> String {
    match action.name() {
        ActionName::CloseDay => "queue.close_day".to_owned(),
        other => format!("ticket.{}", other.as_str()),
    }
}

/// Takes `step` on ticket `ticket` at window `id`; the officer must hold the window and the
/// ticket must be called to, served at or parked by it.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: &str,
    ticket: i64,
    step: WindowStep,
) -> Result<ActView, ApiError> {
    let now = state.now();
    let id = WindowId::parse(id)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (centre, window) = window(c, &id)?;
    let staff = officer(caller, centre, window)?;
    holding(state, staff, &id).await?;
    let ticket = TicketId(ticket);
    let action = action_of(state, c, centre, ticket, step).await?;
    let audit = caller
        .event(now, &audit_action(&action), format!("window {id}: {} ticket {ticket}", action.name()))
        .with_record(format!("ticket:{ticket}"));
    // A finished service of a booked ticket invites its holder to the survey sent as a link.
    let notify = match action {
        Action::Finish { .. } => crate::surveys::link_after_service(state, ticket).await?,
        _ => None,
    };
    let with = ActWith { rules: TicketRules::default(), notify };
    let acted = state
        .store
        .act(&centre.code, ticket, Some(window.number), action, with, now, audit)
        .await
        .map_err(act_error)?;
    let viewer = Viewer { state, caller, lang, catalogue: c };
    let follow_on = match &acted.follow_on {
        Some(next) => Some(viewer.view_read(next, now).await?),
        None => None,
    };
    Ok(ActView { ticket: viewer.view(centre, &acted.ticket, None), follow_on })
}

/// Sends parked ticket `id` back to its window's queue, first in line (e.g. when the fee is paid).
pub async fn return_parked(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    id: i64,
) -> Result<ActView, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let record = state
        .store
        .ticket(TicketId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no ticket {id}")))?;
    let centre = centre(c, record.ticket.centre.as_str())?;
    caller
        .authorize(
            Permission::ReturnParkedTicket,
            Target { centre: Some(centre.code.as_str()), ..Target::ANY },
        )
        .map_err(denied)?;
    let audit = caller
        .event(now, "ticket.return", format!("returned ticket {id} to its window's queue"))
        .with_record(format!("ticket:{id}"));
    let acted = state
        .store
        .act(&centre.code, TicketId(id), None, Action::Return, TicketRules::default().into(), now, audit)
        .await
        .map_err(act_error)?;
    let viewer = Viewer { state, caller, lang, catalogue: c };
    Ok(ActView { ticket: viewer.view_read(&acted.ticket, now).await?, follow_on: None })
}

/// Closes today's queue at centre `code`: every open ticket ends "centre closed".
pub async fn close_day(state: &AppState, caller: &Caller, code: &str) -> Result<DayClosedView, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = centre(c, code)?;
    caller
        .authorize(Permission::CloseQueueDay, Target { centre: Some(code), ..Target::ANY })
        .map_err(denied)?;
    let day = local_day(c, centre, now)?;
    let audit = caller
        .event(now, "queue.close_day", format!("closed the queue of {code} for {day}"))
        .with_record(format!("centre:{code}"));
    let closed = state.store.close_day(&centre.code, day, now, audit).await?;
    Ok(DayClosedView {
        day: day.to_string(),
        issued: closed.issued,
        closed_now: closed.closed_now,
        by_outcome: closed.by_outcome.into_iter().collect(),
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The services with a window at `centre`, in window order, each once.
fn services_at<'a>(c: &'a Catalogue, centre: &Centre) -> Vec<&'a Service> {
    let mut seen = Vec::new();
    for code in centre.windows.iter().flat_map(|w| &w.services) {
        if let Some(service) = c.service(code.as_str())
            && !seen.iter().any(|s: &&Service| s.code == service.code)
        {
            seen.push(service);
        }
    }
    seen
}

/// The public statistics of centre `code` today.
pub async fn centre_queue(state: &AppState, lang: &str, code: &str) -> Result<CentreQueue, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = centre(c, code)?;
    let scene = Scene::read(state, c, centre, now, Part::WholeDay, None).await?;
    let open = open_windows(centre, &scene.sessions);
    let day = scene.day(&open);
    let fallback = c.country.default_language();
    let services = services_at(c, centre)
        .into_iter()
        .map(|service| {
            let stats = day.service(&service.code, &service_model(&scene.times, service));
            ServiceQueue {
                service: service.code.as_str().to_owned(),
                name: service.name.get_or(lang, fallback).to_owned(),
                waiting: count(stats.waiting),
                served_today: count(stats.served_today),
                median_wait_minutes: stats.median_wait.map(minutes_nearest),
                predicted_wait_minutes: stats.predicted_wait.map(minutes_up),
                open_windows: count(stats.open_windows),
            }
        })
        .collect();
    Ok(CentreQueue {
        centre: code.to_owned(),
        day: local_day(c, centre, now)?.to_string(),
        open_windows: count(open.len()),
        services,
    })
}

/// Service `code`'s queues at every centre with a window for it, shortest predicted wait first.
pub async fn service_queues(state: &AppState, lang: &str, code: &str) -> Result<ServiceQueues, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let service = c.service(code).ok_or_else(|| no_such("service", code))?;
    let fallback = c.country.default_language();
    let mut centres = Vec::new();
    for centre in c.centres.iter().filter(|centre| centre.windows_for(code).next().is_some()) {
        let scene = Scene::read(state, c, centre, now, Part::Open, None).await?;
        let open = open_windows(centre, &scene.sessions);
        let stats = scene.day(&open).service(&service.code, &service_model(&scene.times, service));
        centres.push((
            stats.predicted_wait,
            CentreLoad {
                centre: centre.code.as_str().to_owned(),
                name: centre.name.get_or(lang, fallback).to_owned(),
                waiting: count(stats.waiting),
                predicted_wait_minutes: stats.predicted_wait.map(minutes_up),
                open_windows: count(stats.open_windows),
            },
        ));
    }
    centres.sort_by(|(a, x), (b, y)| (a.is_none(), a, &x.centre).cmp(&(b.is_none(), b, &y.centre)));
    Ok(ServiceQueues {
        service: code.to_owned(),
        name: service.name.get_or(lang, fallback).to_owned(),
        centres: centres.into_iter().map(|(_, load)| load).collect(),
    })
}

/// Checks that the caller may watch centre `code`'s live queue; answers its code.
pub async fn watch(state: &AppState, caller: &Caller, code: &str) -> Result<CentreCode, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let centre = centre(&loaded.catalogue, code)?;
    caller.authorize(Permission::WatchQueue, Target { centre: Some(code), ..Target::ANY }).map_err(denied)?;
    Ok(centre.code.clone())
}
