//! Online appointments' flows, shared by the JSON API (`api::booking`) and the pages
//! (`pages::booking`): free slots, holding a slot behind the proof-of-work challenge and the rate
//! limits, confirming with the one-time code, cancelling, rescheduling, checking in at the centre,
//! and the server's periodic reminders and no-show sweep.
//!
//! Capacity comes from the registry (`onestop_domain::booking::capacity`); the store counts the
//! places taken and refuses a full slot in the same transaction that would take it.

pub mod guard;
pub mod messages;

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::{Catalog, format_datetime};
use crate::problem::ApiError;
use crate::queue::{TicketView, Viewer, centre, local_day, prefixes_at};
use crate::registry::no_such;
use axum::http::StatusCode;
use fluent_bundle::FluentValue;
use jiff::civil::Date;
use jiff::{SignedDuration, Span, Timestamp};
use onestop_domain::audit::AuditEvent;
use onestop_domain::booking::capacity::{Slot, slot_at, slots};
use onestop_domain::booking::ics::{CalendarEvent, calendar};
use onestop_domain::booking::pow::{self, PowError};
use onestop_domain::booking::{
    AppointmentState, BookingChannel, BookingError, BookingRules, code_hash, is_reference, one_time_code,
    reference,
};
use onestop_domain::catalogue::{Catalogue, Centre, Service};
use onestop_domain::identity::{Denial, Permission, Target};
use onestop_domain::pii::{Fin, Phone};
use onestop_domain::queue::day::zone;
use onestop_domain::queue::ticket::Origin;
use onestop_store::Store;
use onestop_store::booking::{Appointment, ChangeError, HoldError, NewAppointment, NoShowRule};
use onestop_store::queue::{Holder, NewTicket};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Booking's settings: the rules and the defences' thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The domain's thresholds.
    pub rules: BookingRules,
    /// Zero bits the proof of work needs (0: no challenge).
    pub pow_difficulty: u8,
    /// How long a challenge stays valid.
    pub pow_ttl: SignedDuration,
    /// Booking attempts per client address per minute.
    pub per_ip_per_minute: u32,
    /// Booking attempts per national ID per hour.
    pub per_id_per_hour: u32,
    /// Whether the dev mailbox (`/dev/mailbox`) shows the outbox: demos only, never in production.
    pub dev_mailbox: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: BookingRules::default(),
            pow_difficulty: 16,
            pow_ttl: SignedDuration::from_mins(5),
            per_ip_per_minute: 20,
            per_id_per_hour: 10,
            dev_mailbox: false,
        }
    }
}

/// Booking's state in the application: settings and the per-process defences.
#[derive(Debug)]
pub struct Booking {
    /// The settings.
    pub settings: Settings,
    /// The defences.
    pub guard: guard::Guard,
}

impl Booking {
    /// Booking with `settings`, signing challenges with `secret`.
    pub fn new(settings: Settings, secret: [u8; 32]) -> Booking {
        Booking { settings, guard: guard::Guard::new(secret) }
    }
}

// ---------------------------------------------------------------------------------------------
// Views and requests

/// A slot and its free places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlotView {
    /// Start (RFC 3339, UTC).
    pub starts_at: String,
    /// End (RFC 3339, UTC).
    pub ends_at: String,
    /// Start in the centre's local time, `HH:MM`.
    pub local_time: String,
    /// Places for the channel.
    pub capacity: u32,
    /// Places free now.
    pub free: u32,
}

/// The slots of a service at a centre on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SlotsView {
    /// The centre's code.
    pub centre: String,
    /// The service's code.
    pub service: String,
    /// The date (`YYYY-MM-DD`).
    pub date: String,
    /// The channel whose share is shown.
    pub channel: String,
    /// The first bookable date.
    pub bookable_from: String,
    /// The last bookable date.
    pub bookable_through: String,
    /// The slots, free or not.
    pub slots: Vec<SlotView>,
}

/// An appointment, without personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppointmentView {
    /// Its reference, e.g. `AP-7KQ2-M9XD`.
    pub reference: String,
    /// `held`, `confirmed`, `cancelled`, `expired`, `checked_in` or `no_show`.
    pub state: String,
    /// The centre's code.
    pub centre: String,
    /// The centre's name in the caller's language.
    pub centre_name: String,
    /// The service's code.
    pub service: String,
    /// The service's name in the caller's language.
    pub service_name: String,
    /// Start (RFC 3339, UTC).
    pub starts_at: String,
    /// End (RFC 3339, UTC).
    pub ends_at: String,
    /// Start in the centre's time, as the caller's language writes it.
    pub local_time: String,
    /// While held: when the hold lapses without the code (RFC 3339).
    pub hold_expires_at: Option<String>,
    /// While held: where the code was sent, masked.
    pub code_sent_to: Option<String>,
    /// After check-in: the queue ticket's id.
    pub ticket: Option<i64>,
    /// The calendar file (RFC 5545).
    pub calendar_url: String,
    /// The QR code to show at the centre (SVG).
    pub qr_url: String,
    /// The public page of the booking.
    pub page_url: String,
}

/// A booking request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct BookRequest {
    /// The centre's code.
    pub centre: String,
    /// The service's code.
    pub service: String,
    /// The slot's start (RFC 3339), as listed by the slots endpoint.
    pub starts_at: String,
    /// The person's national ID number.
    pub national_id: String,
    /// The person's name.
    pub name: String,
    /// Where to email the code (this or `phone` is required).
    #[serde(default)]
    pub email: Option<String>,
    /// Where to send the code by SMS.
    #[serde(default)]
    pub phone: Option<String>,
    /// `website` (default), or `call_centre`/`info_desk` for staff booking on a citizen's behalf.
    #[serde(default)]
    pub channel: Option<String>,
    /// The proof-of-work challenge (website bookings).
    #[serde(default)]
    pub pow_challenge: Option<String>,
    /// The nonce that solves it.
    #[serde(default)]
    pub pow_nonce: Option<String>,
}

/// A proof-of-work challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChallengeView {
    /// The text to hash with a nonce: find `nonce` with SHA-256(`challenge:nonce`) starting with
    /// `difficulty` zero bits.
    pub challenge: String,
    /// Zero bits required.
    pub difficulty: u8,
    /// Seconds it stays valid.
    pub expires_in_seconds: i64,
}

/// A check-in's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckedInView {
    /// The appointment, now checked in.
    pub appointment: AppointmentView,
    /// Its queue ticket.
    pub ticket: TicketView,
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn unprocessable(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable(field, detail)
}

fn denied(denial: Denial) -> ApiError {
    match denial {
        Denial::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"),
        other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()),
    }
}

fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no randomness");
        ApiError::internal()
    })?;
    Ok(bytes)
}

/// The service `code` as bookable at `centre` (a window there serves it), or the problem.
fn bookable<'a>(c: &'a Catalogue, centre: &Centre, code: &str) -> Result<&'a Service, ApiError> {
    let service =
        c.service(code).ok_or_else(|| unprocessable("service", format!("there is no service {code}")))?;
    if centre.windows_for(code).next().is_none() {
        return Err(unprocessable(
            "service",
            format!("service {code} is not offered at centre {}", centre.code.as_str()),
        ));
    }
    Ok(service)
}

fn days(n: i64) -> Span {
    Span::new().days(n)
}

/// The bookable dates at `centre` at `now`.
fn window(c: &Catalogue, centre: &Centre, rules: &BookingRules, now: Timestamp) -> (Date, Date, Date) {
    let today = onestop_domain::queue::day::local_date(centre, &c.country, now);
    let first = today.checked_add(days(rules.first_day)).unwrap_or(today);
    let last = today.checked_add(days(rules.last_day)).unwrap_or(today);
    (today, first, last)
}

/// A service offered at a centre through a channel: what free places are counted of.
struct Offer<'a> {
    store: &'a dyn Store,
    c: &'a Catalogue,
    centre: &'a Centre,
    service: &'a Service,
    channel: BookingChannel,
    rules: &'a BookingRules,
}

impl Offer<'_> {
    /// The slots of `day` with their free places at `now`.
    async fn free_slots(&self, day: Date, now: Timestamp) -> Result<Vec<(Slot, u32)>, ApiError> {
        let (centre, service) = (self.centre, self.service);
        let all = slots(centre, &self.c.country, service, day, self.rules.share(self.channel));
        let (Some(first), Some(last)) = (all.first(), all.last()) else { return Ok(Vec::new()) };
        let used = self
            .store
            .slot_use(&centre.code, &service.code, self.channel, first.starts_at, last.ends_at, now)
            .await?;
        Ok(all
            .into_iter()
            .filter(|s| self.rules.bookable_start(s.starts_at, now).is_ok())
            .map(|s| {
                let taken = used.iter().find(|u| u.starts_at == s.starts_at).map_or(0, |u| u.taken);
                (s, s.capacity.saturating_sub(taken))
            })
            .collect())
    }

    /// Up to `n` free slots after `after`, from `after`'s day through the last bookable day;
    /// `known` is a day's slots already read.
    async fn next_free(
        &self,
        after: Timestamp,
        now: Timestamp,
        n: usize,
        known: Option<(Date, &[(Slot, u32)])>,
    ) -> Result<Vec<String>, ApiError> {
        let (_, first, last) = window(self.c, self.centre, self.rules, now);
        let mut day = first.max(onestop_domain::queue::day::local_date(self.centre, &self.c.country, after));
        let mut out = Vec::new();
        while day <= last && out.len() < n {
            let slots = match known {
                Some((d, slots)) if d == day => slots.to_vec(),
                _ => self.free_slots(day, now).await?,
            };
            for (slot, free) in slots {
                if free > 0 && slot.starts_at > after && out.len() < n {
                    out.push(slot.starts_at.to_string());
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        Ok(out)
    }
}

fn view(c: &Catalogue, a: &Appointment, lang: &str, now: Timestamp) -> AppointmentView {
    let fallback = c.country.default_language();
    let centre = c.centre(a.centre.as_str());
    let held = a.state == AppointmentState::Held && a.expires_at > now;
    let masked = |text: &str| -> String {
        let keep: String = text.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{keep}")
    };
    AppointmentView {
        reference: a.reference.clone(),
        state: if a.state == AppointmentState::Held && !held {
            AppointmentState::Expired.as_str().to_owned()
        } else {
            a.state.as_str().to_owned()
        },
        centre: a.centre.as_str().to_owned(),
        centre_name: centre
            .map_or_else(|| a.centre.as_str().to_owned(), |x| x.name.get_or(lang, fallback).to_owned()),
        service: a.service.as_str().to_owned(),
        service_name: c
            .service(a.service.as_str())
            .map_or_else(|| a.service.as_str().to_owned(), |s| s.name.get_or(lang, fallback).to_owned()),
        starts_at: a.starts_at.to_string(),
        ends_at: a.ends_at.to_string(),
        local_time: centre.map_or_else(
            || a.starts_at.to_string(),
            |x| format_datetime(lang, a.starts_at, &zone(x, &c.country)),
        ),
        hold_expires_at: held.then(|| a.expires_at.to_string()),
        code_sent_to: held.then(|| a.email.as_deref().or(a.phone.as_deref()).map(masked)).flatten(),
        ticket: a.ticket.map(|t| t.0),
        calendar_url: format!("/api/v1/appointments/{}/calendar.ics", a.reference),
        qr_url: format!("/api/v1/appointments/{}/qr.svg", a.reference),
        page_url: format!("/appointments/{}", a.reference),
    }
}

fn hold_error(e: HoldError) -> ApiError {
    match e {
        HoldError::Full => ApiError::conflict("the slot is full"),
        HoldError::AlreadyBooked => {
            ApiError::conflict("this national ID already has an active booking for this service")
        }
        HoldError::CoolDown { until } => ApiError::new(
            StatusCode::FORBIDDEN,
            format!("too many missed appointments: booking is possible again from {until}"),
        ),
        HoldError::NotFound => {
            ApiError::not_found("no confirmed appointment with that reference and national ID")
        }
        HoldError::Store(e) => e.into(),
    }
}

fn change_error(e: ChangeError) -> ApiError {
    match e {
        ChangeError::NotFound => ApiError::not_found("no appointment with that reference and national ID"),
        ChangeError::State(s) => ApiError::conflict(format!("the appointment is {}", s.as_str())),
        ChangeError::Expired => {
            ApiError::new(StatusCode::GONE, "the hold has expired before the code came: book again")
        }
        ChangeError::WrongCode { left } => {
            unprocessable("code", format!("the code is wrong ({left} tries left)"))
        }
        ChangeError::Store(e) => e.into(),
    }
}

fn parse_fin(text: &str) -> Result<Fin, ApiError> {
    Fin::parse(text.trim())
        .map_err(|e| unprocessable("national_id", format!("the national ID is not valid: {e}")))
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim().parse().map_err(|_| {
        unprocessable(field, format!("{text:?} is not a time: use RFC 3339, e.g. 2026-11-30T06:00:00Z"))
    })
}

fn check_reference(reference: &str) -> Result<(), ApiError> {
    if is_reference(reference) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("{reference:?} is not a booking reference (like AP-7KQ2-M9XD)")))
    }
}

fn channel_of(caller: &Caller, centre: &str, name: Option<&str>) -> Result<BookingChannel, ApiError> {
    let channel = match name {
        None => BookingChannel::Website,
        Some(n) => BookingChannel::parse(n).ok_or_else(|| {
            unprocessable("channel", format!("unknown channel {n:?}: use website, call_centre or info_desk"))
        })?,
    };
    if channel != BookingChannel::Website {
        caller
            .authorize(Permission::BookForCitizen, Target { centre: Some(centre), ..Target::ANY })
            .map_err(denied)?;
    }
    Ok(channel)
}

// ---------------------------------------------------------------------------------------------
// Flows

/// A fresh proof-of-work challenge.
pub fn challenge(state: &AppState) -> Result<ChallengeView, ApiError> {
    let settings = &state.booking.settings;
    let c = pow::issue(state.booking.guard.secret(), settings.pow_difficulty, state.now(), random()?);
    Ok(ChallengeView {
        challenge: c.text,
        difficulty: c.difficulty,
        expires_in_seconds: settings.pow_ttl.as_secs(),
    })
}

/// The slots of `service` at centre `code` on `date` for `channel`.
pub async fn slots_of(
    state: &AppState,
    caller: &Caller,
    code: &str,
    service: &str,
    date: &str,
    channel: Option<&str>,
) -> Result<SlotsView, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = centre(c, code)?;
    let service = bookable(c, centre, service)?;
    let channel = channel_of(caller, code, channel)?;
    let rules = &state.booking.settings.rules;
    let day: Date = date
        .parse()
        .map_err(|_| ApiError::bad_request("date", format!("{date:?} is not a date: use YYYY-MM-DD")))?;
    let (today, first, last) = window(c, centre, rules, now);
    rules.bookable_day(today, day).map_err(|e| unprocessable("date", e.to_string()))?;
    let offer = Offer { store: state.store.as_ref(), c, centre, service, channel, rules };
    let slots = offer.free_slots(day, now).await?;
    Ok(SlotsView {
        centre: code.to_owned(),
        service: service.code.as_str().to_owned(),
        date: day.to_string(),
        channel: channel.as_str().to_owned(),
        bookable_from: first.to_string(),
        bookable_through: last.to_string(),
        slots: slots
            .into_iter()
            .map(|(s, free)| SlotView {
                starts_at: s.starts_at.to_string(),
                ends_at: s.ends_at.to_string(),
                local_time: format!("{:02}:{:02}", s.local.hour(), s.local.minute()),
                capacity: s.capacity,
                free,
            })
            .collect(),
    })
}

/// The free places of `service` at every centre offering it over the bookable window, for the
/// service's page: `(centre code, free places)`.
pub async fn free_by_centre(state: &AppState, service: &str) -> Result<Vec<(String, u32)>, ApiError> {
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let rules = &state.booking.settings.rules;
    let Some(svc) = c.service(service) else { return Err(no_such("service", service)) };
    let mut out = Vec::new();
    for centre in c.centres.iter().filter(|x| x.windows_for(service).next().is_some()) {
        let (_, first, last) = window(c, centre, rules, now);
        let offer = Offer {
            store: state.store.as_ref(),
            c,
            centre,
            service: svc,
            channel: BookingChannel::Website,
            rules,
        };
        let mut day = first;
        let mut free = 0u32;
        while day <= last {
            for (_, f) in offer.free_slots(day, now).await? {
                free = free.saturating_add(f);
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        out.push((centre.code.as_str().to_owned(), free));
    }
    Ok(out)
}

/// Holds a slot for a person and sends the one-time code through the outbox.
pub async fn hold(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    request: BookRequest,
) -> Result<AppointmentView, ApiError> {
    let now = state.now();
    let settings = &state.booking.settings;
    let guard = &state.booking.guard;
    // Input first: a malformed request costs nothing and holds nothing.
    let fin = parse_fin(&request.national_id)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(unprocessable("name", "give the name (at most 100 characters)"));
    }
    let email = request.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        let ok = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !e.contains(char::is_whitespace);
        if !ok {
            return Err(unprocessable("email", format!("{e:?} is not an email address")));
        }
    }
    let phone = match request.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            Phone::parse(p)
                .map_err(|e| unprocessable("phone", format!("the phone number is not valid: {e}")))?,
        ),
        None => None,
    };
    let Some(to) = onestop_domain::notify::recipient(email, phone.as_ref().map(Phone::reveal)) else {
        return Err(unprocessable("email", "give an email address or a phone number for the code"));
    };
    let starts_at = parse_time("starts_at", &request.starts_at)?;
    let channel = channel_of(caller, &request.centre, request.channel.as_deref())?;
    if channel == BookingChannel::Website {
        let ip = caller.origin.as_deref().unwrap_or("unknown");
        if !guard.admit_ip(ip, settings.per_ip_per_minute, now) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many booking attempts from this address: wait a minute",
            ));
        }
        if settings.pow_difficulty > 0 {
            let (Some(challenge), Some(nonce)) =
                (request.pow_challenge.as_deref(), request.pow_nonce.as_deref())
            else {
                return Err(unprocessable(
                    "pow_nonce",
                    "solve the proof-of-work challenge first (GET /api/v1/appointments/challenge)",
                ));
            };
            let id =
                pow::verify(guard.secret(), challenge, nonce, now, settings.pow_ttl, settings.pow_difficulty)
                    .map_err(|e| match e {
                        PowError::Expired | PowError::TooEasy => {
                            unprocessable("pow_challenge", e.to_string())
                        }
                        PowError::Forged | PowError::Unsolved => unprocessable("pow_nonce", e.to_string()),
                    })?;
            if !guard.spend(&id, now + settings.pow_ttl, now) {
                return Err(unprocessable(
                    "pow_challenge",
                    "this proof-of-work challenge was used already: fetch a new one",
                ));
            }
        }
        if !guard.admit_id(fin.reveal(), settings.per_id_per_hour, now) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many booking attempts for this national ID: try again later",
            ));
        }
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = c
        .centre(&request.centre)
        .ok_or_else(|| unprocessable("centre", format!("there is no centre {}", request.centre)))?;
    let service = bookable(c, centre, &request.service)?;
    let rules = &settings.rules;
    let (today, _, _) = window(c, centre, rules, now);
    let day = onestop_domain::queue::day::local_date(centre, &c.country, starts_at);
    rules.bookable_day(today, day).map_err(|e: BookingError| unprocessable("starts_at", e.to_string()))?;
    rules.bookable_start(starts_at, now).map_err(|e| unprocessable("starts_at", e.to_string()))?;
    let slot = slot_at(centre, &c.country, service, starts_at, rules.share(channel)).ok_or_else(|| {
        unprocessable(
            "starts_at",
            format!("no {} slot of {} starts at {starts_at}", channel.as_str(), service.code.as_str()),
        )
    })?;
    // A full slot is refused here, with the next free ones from the same read: under a rush most
    // attempts end here, at two reads (the store checks again under its lock when it is not).
    let offer = Offer { store: state.store.as_ref(), c, centre, service, channel, rules };
    let day_slots = offer.free_slots(day, now).await?;
    if day_slots.iter().any(|(s, free)| s.starts_at == slot.starts_at && *free == 0) {
        let next = offer.next_free(starts_at, now, 5, Some((day, &day_slots))).await?;
        return Err(ApiError::conflict("the slot is full: choose one of the next free slots")
            .with_next_free_slots(next));
    }
    let reference = reference(random()?);
    let code = one_time_code(random()?);
    let hold_minutes = rules.hold.as_mins();
    let about = messages::About {
        reference: &reference,
        centre: centre.code.as_str(),
        service: service.code.as_str(),
        starts_at,
        lang,
    };
    let message = messages::render(
        &state.templates.catalog,
        c,
        "code",
        &about,
        to,
        &[("code", FluentValue::from(code.clone())), ("minutes", FluentValue::from(hold_minutes))],
    );
    let new = NewAppointment {
        reference: reference.clone(),
        centre: centre.code.clone(),
        service: service.code.clone(),
        channel,
        starts_at: slot.starts_at,
        ends_at: slot.ends_at,
        capacity: slot.capacity,
        fin,
        name: name.to_owned(),
        email: email.map(str::to_owned),
        phone: phone.map(|p| p.reveal().to_owned()),
        lang: lang.to_owned(),
        code_hash: code_hash(&reference, &code),
        expires_at: now + rules.hold,
        message: Some(message),
    };
    let audit = caller
        .event(
            now,
            "appointment.hold",
            format!("held {} at {} for {}", service.code.as_str(), centre.code.as_str(), slot.starts_at),
        )
        .with_record(format!("appointment:{reference}"));
    let no_shows = NoShowRule { limit: rules.no_show_limit, since: now - rules.cool_down };
    match state.store.hold_appointment(new, no_shows, now, audit).await {
        Ok(held) => Ok(view(c, &held, lang, now)),
        Err(HoldError::Full) => {
            let next = offer.next_free(starts_at, now, 5, None).await?;
            Err(ApiError::conflict("the slot is full: choose one of the next free slots")
                .with_next_free_slots(next))
        }
        Err(e) => Err(hold_error(e)),
    }
}

/// The appointment `reference`, without personal data.
pub async fn get(
    state: &AppState,
    lang: &str,
    reference: &str,
) -> Result<(AppointmentView, Appointment), ApiError> {
    check_reference(reference)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let a = state
        .store
        .appointment(reference)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no appointment {reference}")))?;
    Ok((view(&loaded.catalogue, &a, lang, state.now()), a))
}

/// Confirms a held appointment with its one-time code.
pub async fn confirm(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
    code: &str,
) -> Result<AppointmentView, ApiError> {
    check_reference(reference)?;
    let now = state.now();
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unprocessable("code", "the code has six digits"));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let a = state
        .store
        .appointment(reference)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no appointment {reference}")))?;
    let message = onestop_domain::notify::recipient(a.email.as_deref(), a.phone.as_deref()).map(|to| {
        messages::render(&state.templates.catalog, c, "confirmed", &messages::About::of(&a), to, &[])
    });
    let audit = caller.event(now, "appointment.confirm", format!("confirmed appointment {reference}"));
    let rules = &state.booking.settings.rules;
    let done = state
        .store
        .confirm_appointment(reference, &code_hash(reference, code), rules.code_attempts, message, now, audit)
        .await
        .map_err(change_error)?;
    Ok(view(c, &done, lang, now))
}

/// Cancels an appointment, by reference and national ID.
pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
    national_id: &str,
) -> Result<AppointmentView, ApiError> {
    check_reference(reference)?;
    let fin = parse_fin(national_id)?;
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let rules = &state.booking.settings.rules;
    let audit = caller.event(now, "appointment.cancel", format!("cancelled appointment {reference}"));
    let done = state
        .store
        .cancel_appointment(reference, &fin, now + rules.release_delay, now, audit)
        .await
        .map_err(change_error)?;
    Ok(view(&loaded.catalogue, &done, lang, now))
}

/// Moves a confirmed appointment to another slot of the same service (at the same or another
/// centre): a new reference, confirmed at once; the old place is released after the delay.
pub async fn reschedule(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
    national_id: &str,
    starts_at: &str,
    centre_code: Option<&str>,
) -> Result<AppointmentView, ApiError> {
    check_reference(reference)?;
    let fin = parse_fin(national_id)?;
    let starts_at = parse_time("starts_at", starts_at)?;
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let old = state
        .store
        .appointment(reference)
        .await?
        .filter(|a| a.fin == fin)
        .ok_or_else(|| ApiError::not_found("no appointment with that reference and national ID"))?;
    let code = centre_code.unwrap_or(old.centre.as_str());
    let centre =
        c.centre(code).ok_or_else(|| unprocessable("centre", format!("there is no centre {code}")))?;
    let service = bookable(c, centre, old.service.as_str())?;
    let rules = &state.booking.settings.rules;
    let (today, _, _) = window(c, centre, rules, now);
    let day = onestop_domain::queue::day::local_date(centre, &c.country, starts_at);
    rules.bookable_day(today, day).map_err(|e| unprocessable("starts_at", e.to_string()))?;
    rules.bookable_start(starts_at, now).map_err(|e| unprocessable("starts_at", e.to_string()))?;
    let slot = slot_at(centre, &c.country, service, starts_at, rules.share(old.channel))
        .ok_or_else(|| unprocessable("starts_at", format!("no slot starts at {starts_at}")))?;
    let new_ref = onestop_domain::booking::reference(random()?);
    let about = messages::About {
        reference: &new_ref,
        centre: centre.code.as_str(),
        service: service.code.as_str(),
        starts_at: slot.starts_at,
        lang: &old.lang,
    };
    let message = onestop_domain::notify::recipient(old.email.as_deref(), old.phone.as_deref())
        .map(|to| messages::render(&state.templates.catalog, c, "confirmed", &about, to, &[]));
    let new = NewAppointment {
        reference: new_ref.clone(),
        centre: centre.code.clone(),
        service: service.code.clone(),
        channel: old.channel,
        starts_at: slot.starts_at,
        ends_at: slot.ends_at,
        capacity: slot.capacity,
        fin,
        name: old.name.clone(),
        email: old.email.clone(),
        phone: old.phone.clone(),
        lang: old.lang.clone(),
        code_hash: code_hash(&new_ref, &one_time_code(random()?)),
        expires_at: now,
        message,
    };
    let audit =
        caller.event(now, "appointment.reschedule", format!("moved appointment {reference} to {new_ref}"));
    match state.store.reschedule_appointment(reference, new, now + rules.release_delay, now, audit).await {
        Ok(moved) => Ok(view(c, &moved, lang, now)),
        Err(HoldError::Full) => {
            let next = Offer { store: state.store.as_ref(), c, centre, service, channel: old.channel, rules }
                .next_free(starts_at, now, 5, None)
                .await?;
            Err(ApiError::conflict("the slot is full: choose one of the next free slots")
                .with_next_free_slots(next))
        }
        Err(e) => Err(hold_error(e)),
    }
}

/// Checks an appointment in at its centre (kiosk or info desk): it becomes a queue ticket.
pub async fn check_in(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    reference: &str,
) -> Result<CheckedInView, ApiError> {
    check_reference(reference)?;
    let now = state.now();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let a = state
        .store
        .appointment(reference)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no appointment {reference}")))?;
    let code = a.centre.as_str();
    caller
        .authorize(Permission::CheckInAppointment, Target { centre: Some(code), ..Target::ANY })
        .map_err(denied)?;
    if a.state != AppointmentState::Confirmed {
        return Err(ApiError::conflict(format!("the appointment is {}", a.state.as_str())));
    }
    let rules = &state.booking.settings.rules;
    rules.check_in(a.starts_at, now).map_err(|e| match e {
        BookingError::TooEarly { from } => ApiError::conflict(format!("check-in opens at {from}")),
        other => ApiError::conflict(other.to_string()),
    })?;
    let centre = centre(c, code)?;
    // No opening check: the window opens before the first slot, which may be at opening time;
    // the ticket then waits for the first call.
    let service = bookable(c, centre, a.service.as_str())?;
    let prefixes = prefixes_at(c, centre).map_err(|e| {
        tracing::error!(centre = code, error = %e, "the centre's groups cannot all have a prefix letter");
        ApiError::internal()
    })?;
    let prefix = *prefixes.get(&service.group).ok_or_else(ApiError::internal)?;
    let ticket = NewTicket {
        centre: centre.code.clone(),
        service: service.code.clone(),
        group: service.group.clone(),
        prefix,
        day: local_day(c, centre, now)?,
        origin: Origin::Appointment { at: a.starts_at },
        priority: None,
        holder: Some(Holder { fin: a.fin.clone(), name: Some(a.name.clone()) }),
    };
    let audit = caller
        .event(now, "appointment.check_in", format!("checked in appointment {reference}"))
        .with_record(format!("appointment:{reference}"));
    let (done, record) =
        state.store.check_in_appointment(reference, ticket, now, audit).await.map_err(change_error)?;
    let viewer = Viewer { state, caller, lang, catalogue: c };
    let ticket = viewer.view_read(&record, now).await?;
    Ok(CheckedInView { appointment: view(c, &done, lang, now), ticket })
}

/// The calendar file of an appointment.
pub async fn ics(state: &AppState, lang: &str, reference: &str) -> Result<String, ApiError> {
    let (v, a) = get(state, lang, reference).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let fallback = c.country.default_language();
    let address =
        c.centre(a.centre.as_str()).map_or(String::new(), |x| x.address.get_or(lang, fallback).to_owned());
    let catalog = &state.templates.catalog;
    let description = catalog.text(
        lang,
        "booking-ics-description",
        &[("reference", FluentValue::from(a.reference.clone()))],
    );
    Ok(calendar(&CalendarEvent {
        uid: format!("{}@onestop", a.reference),
        stamp: a.created_at,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        summary: format!("{} — {}", v.service_name, v.centre_name),
        location: format!("{}, {}", v.centre_name, address),
        description,
        url: Some(format!("{}appointments/{}", state.public_url, a.reference)),
    }))
}

/// The QR code of an appointment's reference, as SVG (the kiosk scans it to check in).
pub async fn qr(state: &AppState, reference: &str) -> Result<String, ApiError> {
    let (_, a) = get(state, "en", reference).await?;
    let code = qrcode::QrCode::new(a.reference.as_bytes()).map_err(|_| ApiError::internal())?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
}

// ---------------------------------------------------------------------------------------------
// Periodic work (the server's background tasks call these with the time)

/// Marks the confirmed appointments past their grace period as no-shows.
pub async fn sweep_no_shows(
    store: &dyn Store,
    rules: &BookingRules,
    now: Timestamp,
) -> Result<usize, String> {
    let audit = AuditEvent::new(now, "system", "appointment.no_show", "marked missed appointments no-shows");
    let missed = store.mark_no_shows(now - rules.grace, now, audit).await.map_err(|e| e.to_string())?;
    Ok(missed.len())
}

/// Writes the reminders of the appointments of the next day (starting within 24 hours and not
/// before `lead_min` from now) through the outbox; answers how many.
pub async fn send_reminders(
    store: &dyn Store,
    catalogue: &Catalogue,
    catalog: &Catalog,
    now: Timestamp,
) -> Result<usize, String> {
    let mut sent = 0;
    loop {
        let due = store
            .appointments_to_remind(now, now + SignedDuration::from_hours(24), 200)
            .await
            .map_err(|e| e.to_string())?;
        if due.is_empty() {
            return Ok(sent);
        }
        let mut progressed = false;
        for a in &due {
            let Some(to) = onestop_domain::notify::recipient(a.email.as_deref(), a.phone.as_deref()) else {
                continue;
            };
            let message = messages::render(catalog, catalogue, "reminder", &messages::About::of(a), to, &[]);
            if store.remind_appointment(a.id, message, now).await.map_err(|e| e.to_string())? {
                sent += 1;
                progressed = true;
            }
        }
        if !progressed {
            return Ok(sent);
        }
    }
}
