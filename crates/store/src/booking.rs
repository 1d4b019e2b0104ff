//! The storage contract of online appointments.
//!
//! An appointment takes a place of its slot (centre, service, start, channel) when it is held.
//! Holding checks the slot's capacity, the person's other active booking of the service and their
//! no-show cool-down, inserts the appointment, its one-time-code message (into the outbox) and its
//! audit entry, in one transaction; holds of one slot are serialised (SQLite: the writer lock;
//! PostgreSQL: a transaction-scoped advisory lock per slot), so a slot is never over capacity,
//! whatever the concurrency. A person's second active booking of a service is also refused by a
//! unique index.
//!
//! A place is taken while its appointment is held and unexpired, confirmed, checked in or a
//! no-show, and, once cancelled, until its release time.

use crate::StoreError;
use crate::queue::{NewTicket, TicketRecord};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::booking::{AppointmentState, BookingChannel};
use onestop_domain::catalogue::{CentreCode, ServiceCode};
use onestop_domain::notify::Message;
use onestop_domain::pii::Fin;
use onestop_domain::queue::ticket::TicketId;

/// An appointment to hold (or, when rescheduling, to confirm at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    /// Its reference, e.g. `AP-7KQ2-M9XD`.
    pub reference: String,
    /// The centre.
    pub centre: CentreCode,
    /// The service.
    pub service: ServiceCode,
    /// The channel whose share it takes.
    pub channel: BookingChannel,
    /// The slot's start.
    pub starts_at: Timestamp,
    /// The slot's end.
    pub ends_at: Timestamp,
    /// The slot's places for the channel.
    pub capacity: u32,
    /// The person's national ID number.
    pub fin: Fin,
    /// The person's name.
    pub name: String,
    /// Where to email.
    pub email: Option<String>,
    /// Where to send SMS.
    pub phone: Option<String>,
    /// The person's language (`az`, `en`, `ru`).
    pub lang: String,
    /// The one-time code's hash (`onestop_domain::booking::code_hash`).
    pub code_hash: String,
    /// When an unconfirmed hold lapses.
    pub expires_at: Timestamp,
    /// The message to put in the outbox with it (the code, or a confirmation).
    pub message: Option<Message>,
}

/// The no-show rule checked when holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoShowRule {
    /// No-shows since `since` that bar the person.
    pub limit: u32,
    /// The start of the period no-shows count in.
    pub since: Timestamp,
}

/// An appointment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// Its id.
    pub id: i64,
    /// Its reference.
    pub reference: String,
    /// The centre.
    pub centre: CentreCode,
    /// The service.
    pub service: ServiceCode,
    /// The channel.
    pub channel: BookingChannel,
    /// Start.
    pub starts_at: Timestamp,
    /// End.
    pub ends_at: Timestamp,
    /// The person's national ID number.
    pub fin: Fin,
    /// The person's name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Language.
    pub lang: String,
    /// Its state.
    pub state: AppointmentState,
    /// When it was held.
    pub created_at: Timestamp,
    /// When the hold lapses.
    pub expires_at: Timestamp,
    /// Wrong codes so far.
    pub code_attempts: u32,
    /// When confirmed.
    pub confirmed_at: Option<Timestamp>,
    /// When cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// When a cancelled place returns to the slot.
    pub released_at: Option<Timestamp>,
    /// When the reminder was written.
    pub reminded_at: Option<Timestamp>,
    /// The ticket it became at check-in.
    pub ticket: Option<TicketId>,
}

impl Appointment {
    /// Whether it is held or confirmed at `now` (an unconfirmed hold past its time is not).
    pub fn is_active(&self, now: Timestamp) -> bool {
        match self.state {
            AppointmentState::Confirmed => true,
            AppointmentState::Held => self.expires_at > now,
            _ => false,
        }
    }
}

/// Places taken of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotUse {
    /// The slot's start.
    pub starts_at: Timestamp,
    /// Places taken.
    pub taken: u32,
}

/// Why a hold (or a reschedule's new place) was refused.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    /// The slot has no free place for the channel.
    #[error("the slot is full")]
    Full,
    /// The person holds or has booked this service already.
    #[error("this person already has an active booking for this service")]
    AlreadyBooked,
    /// The person missed too many appointments recently.
    #[error("too many missed appointments: booking is possible again after {until}")]
    CoolDown {
        /// When the person may book again.
        until: Timestamp,
    },
    /// Rescheduling: no active appointment with that reference and ID.
    #[error("no active appointment with that reference and ID")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a confirmation, cancellation or check-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// No appointment with that reference (and ID, where one is given).
    #[error("no appointment with that reference")]
    NotFound,
    /// Its state does not allow it.
    #[error("the appointment is {}", .0.as_str())]
    State(AppointmentState),
    /// The hold lapsed before the code came.
    #[error("the hold has expired: book again")]
    Expired,
    /// The code is wrong; `left` tries remain.
    #[error("the code is wrong ({left} tries left)")]
    WrongCode {
        /// Tries left before the hold is dropped.
        left: u32,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Appointments.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Places taken at `now` of each slot of `service` at `centre` for `channel` starting in
    /// `[from, to)`; slots with none taken are left out.
    async fn slot_use(
        &self,
        centre: &CentreCode,
        service: &ServiceCode,
        channel: BookingChannel,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<SlotUse>, StoreError>;

    /// Holds a place: refused when the slot is full, the person has an active booking of the
    /// service, or their no-shows since `no_shows.since` reach the limit. Inserts the appointment
    /// (state `held`), its message and `audit` in one transaction.
    async fn hold_appointment(
        &self,
        new: NewAppointment,
        no_shows: NoShowRule,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, HoldError>;

    /// The appointment with `reference`.
    async fn appointment(&self, reference: &str) -> Result<Option<Appointment>, StoreError>;

    /// The appointment checked in as queue ticket `ticket`, if one was.
    async fn appointment_of_ticket(&self, ticket: TicketId) -> Result<Option<Appointment>, StoreError>;

    /// Confirms a held appointment whose code hashes to `code_hash`, with `message` and `audit`. A
    /// wrong code counts; at `max_attempts` wrong codes the hold is dropped (state `expired`).
    async fn confirm_appointment(
        &self,
        reference: &str,
        code_hash: &str,
        max_attempts: u32,
        message: Option<Message>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, ChangeError>;

    /// Cancels the active appointment `reference` of person `fin`; its place returns to the slot
    /// at `release_at`.
    async fn cancel_appointment(
        &self,
        reference: &str,
        fin: &Fin,
        release_at: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, ChangeError>;

    /// Moves the active appointment `reference` of `new.fin` to `new`'s slot: the old one is
    /// cancelled (its place returns at `release_at`) and `new` is confirmed at once, in one
    /// transaction; refused like a hold when the new slot is full.
    async fn reschedule_appointment(
        &self,
        reference: &str,
        new: NewAppointment,
        release_at: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, HoldError>;

    /// Checks in the confirmed appointment `reference`: issues `ticket` (its origin the
    /// appointment) and marks the appointment checked in, with `audit`, in one transaction.
    async fn check_in_appointment(
        &self,
        reference: &str,
        ticket: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(Appointment, TicketRecord), ChangeError>;

    /// Marks every confirmed appointment that started before `started_before` a no-show (counted
    /// against its person), with one `audit` entry when any; answers them.
    async fn mark_no_shows(
        &self,
        started_before: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Vec<Appointment>, StoreError>;

    /// Up to `limit` confirmed appointments starting in `[from, to)` with no reminder yet.
    async fn appointments_to_remind(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<Appointment>, StoreError>;

    /// Records the reminder of appointment `id` and puts `message` in the outbox, once: false
    /// (and nothing written) when it was already reminded.
    async fn remind_appointment(&self, id: i64, message: Message, now: Timestamp)
    -> Result<bool, StoreError>;
}
