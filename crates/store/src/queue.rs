//! The storage contract of the queue: tickets and their steps, ticket counters, officers signed in
//! to windows, and the per-centre event log that live screens follow.
//!
//! Every write runs the domain's rules (`onestop_domain::queue`) inside one transaction that also
//! appends the queue event and the audit entry, so a change, its event and its record land together
//! or not at all. Writes of one centre are serialised (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
//! transaction-scoped advisory lock per centre), which is what makes two windows calling at the same
//! instant get different tickets, keeps ticket numbers unique within a day, and makes a centre's
//! event ids increase in commit order (so a screen that resumes after event `n` misses nothing).

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::{CentreCode, GroupCode, ServiceCode};
use onestop_domain::pii::Fin;
use onestop_domain::queue::calling::{CallRule, WindowContext};
use onestop_domain::queue::predict::{CallEnd, RecentCall};
use onestop_domain::queue::ticket::{
    Action, ActionName, Origin, Outcome, PriorityGroup, QueueError, StateName, Ticket, TicketId, TicketRules,
    TicketState, TransferTarget, WindowNumber,
};

/// The citizen a ticket was issued to, as read from the ID card (never shown publicly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The national ID number (FIN).
    pub fin: Fin,
    /// The name as on the card, when the machine-readable zone was read.
    pub name: Option<String>,
}

/// A ticket to issue. The caller has checked that the centre offers the service and is open, and
/// that the required documents were ticked; storage assigns the id and the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// The centre.
    pub centre: CentreCode,
    /// The service.
    pub service: ServiceCode,
    /// The service's group.
    pub group: GroupCode,
    /// The group's prefix letter, whose counter at the centre numbers the ticket (groups sharing a
    /// letter share its counter).
    pub prefix: char,
    /// The centre's local date, the day the counter counts.
    pub day: Date,
    /// Where it is issued.
    pub origin: Origin,
    /// The priority group the info desk recorded.
    pub priority: Option<PriorityGroup>,
    /// Who it is for, when the ID card was read or the number typed.
    pub holder: Option<Holder>,
}

/// A ticket as stored: the domain ticket with its day, group and holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// The ticket, with every step so far.
    pub ticket: Ticket,
    /// The centre's local date it was issued on.
    pub day: Date,
    /// The service's group.
    pub group: GroupCode,
    /// Who it is for, if known.
    pub holder: Option<Holder>,
}

/// What happened to a ticket, as live screens are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A ticket was issued (also the follow-on ticket of a transfer).
    Issued,
    /// A ticket was called to a window.
    Called,
    /// A called ticket was called again.
    Recalled,
    /// Service started.
    Started,
    /// The visitor did not come.
    NoShow,
    /// Set aside by its window.
    Parked,
    /// Back in line for its window.
    Returned,
    /// Sent to another service or window.
    Transferred,
    /// Service finished.
    Finished,
    /// Closed with the centre at the end of the day.
    Closed,
    /// An officer signed in to a window.
    WindowOpened,
    /// An officer signed out of a window.
    WindowClosed,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 12] = [
        EventKind::Issued,
        EventKind::Called,
        EventKind::Recalled,
        EventKind::Started,
        EventKind::NoShow,
        EventKind::Parked,
        EventKind::Returned,
        EventKind::Transferred,
        EventKind::Finished,
        EventKind::Closed,
        EventKind::WindowOpened,
        EventKind::WindowClosed,
    ];

    /// The kind's name in the database and on the wire, e.g. `called`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Issued => "issued",
            EventKind::Called => "called",
            EventKind::Recalled => "recalled",
            EventKind::Started => "started",
            EventKind::NoShow => "no_show",
            EventKind::Parked => "parked",
            EventKind::Returned => "returned",
            EventKind::Transferred => "transferred",
            EventKind::Finished => "finished",
            EventKind::Closed => "closed",
            EventKind::WindowOpened => "window_opened",
            EventKind::WindowClosed => "window_closed",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The event that records a ticket `action`.
    pub fn of(action: ActionName) -> EventKind {
        match action {
            ActionName::Call => EventKind::Called,
            ActionName::Recall => EventKind::Recalled,
            ActionName::Start => EventKind::Started,
            ActionName::NoShow => EventKind::NoShow,
            ActionName::Park => EventKind::Parked,
            ActionName::Return => EventKind::Returned,
            ActionName::Transfer => EventKind::Transferred,
            ActionName::Finish => EventKind::Finished,
            ActionName::CloseDay => EventKind::Closed,
        }
    }
}

/// One entry of a centre's event log. It carries no personal data: screens in the hall show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEvent {
    /// Position in the log; increases in commit order within a centre.
    pub id: i64,
    /// The centre.
    pub centre: CentreCode,
    /// When.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The ticket, for ticket events.
    pub ticket: Option<TicketId>,
    /// The ticket's number, e.g. `J-017`.
    pub number: Option<String>,
    /// The ticket's service.
    pub service: Option<ServiceCode>,
    /// The window involved.
    pub window: Option<WindowNumber>,
    /// Tickets of the service still waiting at the centre after this event.
    pub waiting: Option<u32>,
}

/// An officer signed in to a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSession {
    /// The centre.
    pub centre: CentreCode,
    /// The window.
    pub window: WindowNumber,
    /// The officer's account id.
    pub staff_id: i64,
    /// The officer's login.
    pub login: String,
    /// Since when.
    pub since: Timestamp,
}

/// The result of an action on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    /// The ticket after the action.
    pub ticket: TicketRecord,
    /// After a transfer, the ticket that now waits at the new service or window.
    pub follow_on: Option<TicketRecord>,
}

/// A called ticket and the calling rule that chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Called {
    /// The ticket, now called to the window.
    pub ticket: TicketRecord,
    /// Why it was first in line.
    pub rule: CallRule,
}

/// Why an action on a ticket was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// No such ticket at this centre.
    #[error("no ticket {0} at this centre")]
    NotFound(TicketId),
    /// The ticket is at, or parked by, another window (or none) — it is not this officer's.
    #[error("ticket {number} is not at window {window}")]
    NotAtWindow {
        /// The ticket's number.
        number: String,
        /// The window that acted.
        window: WindowNumber,
    },
    /// The queue's rules refuse the action in the ticket's state.
    #[error(transparent)]
    Rule(#[from] QueueError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a day was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayClosed {
    /// Tickets issued that day (follow-on tickets of transfers included).
    pub issued: u32,
    /// Tickets that were still open and are now closed with the outcome "centre closed".
    pub closed_now: u32,
    /// Tickets finished, by outcome name (`served`, `not_served`, `no_show`, `transferred`,
    /// `centre_closed`), after closing; they add up to `issued`.
    pub by_outcome: Vec<(String, u32)>,
}

/// The recent calls of a service at a centre, for the wait prediction: service times, and the
/// no-shows with their waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTimes {
    /// The service.
    pub service: ServiceCode,
    /// The most recent calls that ended (served, not served or no-show), newest first.
    pub recent: Vec<RecentCall>,
}

/// A row of the recent calls as the backends store it: service, duration in ms (of the service,
/// or of the call until the no-show), whether it was a no-show, and the wait before the first
/// call in ms (`None` when not a wait in this line).
pub type CallRow = (String, i64, bool, Option<i64>);

impl ServiceTimes {
    /// Groups rows ordered by service and then newest first.
    pub fn group(rows: impl Iterator<Item = CallRow>) -> Vec<ServiceTimes> {
        let mut out: Vec<ServiceTimes> = Vec::new();
        for (service, ms, no_show, waited) in rows {
            let duration = SignedDuration::from_millis(ms);
            let call = RecentCall {
                waited: waited.map(SignedDuration::from_millis),
                end: if no_show { CallEnd::NoShow(duration) } else { CallEnd::Served(duration) },
            };
            match out.last_mut() {
                Some(last) if last.service == *service.as_str() => last.recent.push(call),
                _ => out.push(ServiceTimes { service: ServiceCode::new(service), recent: vec![call] }),
            }
        }
        out
    }

    /// The service times among the recent calls (no-shows left out), newest first.
    pub fn service_times(&self) -> Vec<SignedDuration> {
        self.recent.iter().filter_map(RecentCall::service_time).collect()
    }

    /// The row stored for a ticket that just finished, if it makes a call for its service's
    /// history ([`RecentCall::of`]): duration in ms, no-show, wait in ms.
    pub fn row_of(ticket: &Ticket) -> Option<(i64, bool, Option<i64>)> {
        let call = RecentCall::of(ticket)?;
        let ms = |d: SignedDuration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let (duration, no_show) = match call.end {
            CallEnd::Served(d) => (d, false),
            CallEnd::NoShow(d) => (d, true),
        };
        Some((ms(duration), no_show, call.waited.map(ms)))
    }
}

/// A ticket's state as the backends store it, in columns: the state's name, window and time, and
/// what the state carries (recalls, park reason, outcome and its reason or transfer target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateColumns {
    /// The state's name (`waiting`, `called`, …).
    pub state: &'static str,
    /// The window the ticket is at or parked by.
    pub window: Option<i64>,
    /// The time of the last step (or the issue).
    pub state_at: Timestamp,
    /// Recalls so far, while called.
    pub recalls: i64,
    /// Why it is parked (`payment`, `documents`, `other`).
    pub park_reason: Option<&'static str>,
    /// The officer's note on an `other` park reason.
    pub park_note: Option<String>,
    /// How it ended (`served`, `not_served`, …).
    pub outcome: Option<&'static str>,
    /// Why it was not served.
    pub outcome_reason: Option<String>,
    /// The service it was transferred to.
    pub transfer_service: Option<String>,
    /// The window it was transferred to.
    pub transfer_window: Option<i64>,
}

impl StateColumns {
    /// The columns of `ticket`'s state.
    pub fn of(ticket: &Ticket) -> StateColumns {
        let mut c = StateColumns {
            state: ticket.state.name().as_str(),
            window: ticket.state.window().map(i64::from),
            state_at: ticket.steps.last().map_or(ticket.issued_at, |s| s.at),
            recalls: 0,
            park_reason: None,
            park_note: None,
            outcome: None,
            outcome_reason: None,
            transfer_service: None,
            transfer_window: None,
        };
        match &ticket.state {
            TicketState::Waiting | TicketState::Serving { .. } => {}
            TicketState::Called { recalls, .. } => c.recalls = i64::from(*recalls),
            TicketState::Parked { reason, .. } => {
                c.park_reason = Some(reason.kind());
                c.park_note = reason.note().map(str::to_owned);
            }
            TicketState::Finished { outcome } => {
                c.outcome = Some(outcome.name());
                match outcome {
                    Outcome::NotServed { reason } => c.outcome_reason = Some(reason.clone()),
                    Outcome::Transferred { to: TransferTarget::Service(service) } => {
                        c.transfer_service = Some(service.as_str().to_owned());
                    }
                    Outcome::Transferred { to: TransferTarget::Window(window) } => {
                        c.transfer_window = Some(i64::from(*window));
                    }
                    Outcome::Served | Outcome::NoShow | Outcome::CentreClosed => {}
                }
            }
        }
        c
    }
}

/// `audit` about ticket `id`, with `detail` (never personal data) added to its summary.
pub fn about_ticket(mut audit: AuditEvent, id: TicketId, detail: &str) -> AuditEvent {
    audit.record.get_or_insert_with(|| format!("ticket:{id}"));
    if !detail.is_empty() {
        audit.summary = format!("{} ({detail})", audit.summary);
    }
    audit
}

/// A time as the queue stores it: to the microsecond, so what a write answers equals what a read
/// finds.
pub fn to_micros(at: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(at.as_microsecond()).unwrap_or(at)
}

/// The states of the tickets [`QueueStore::line_tickets`] reads: in line, or at a window.
pub const IN_LINE: [StateName; 3] = [StateName::Waiting, StateName::Called, StateName::Serving];

/// How many of the newest calls of each service at a centre are kept for
/// [`QueueStore::service_times`].
pub const SERVICE_TIME_HISTORY: u32 = 100;

/// What a ticket step carries besides its action.
#[derive(Debug, Clone, Default)]
pub struct ActWith {
    /// The ticket rules in force (the recall limit).
    pub rules: TicketRules,
    /// A message to put in the notification outbox in the step's own transaction, such as the
    /// survey link sent after service.
    pub notify: Option<onestop_domain::notify::Message>,
}

impl From<TicketRules> for ActWith {
    fn from(rules: TicketRules) -> Self {
        ActWith { rules, notify: None }
    }
}

/// Tickets, windows and the centre event log.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// Issues a ticket: takes the next number of its prefix letter at its centre that day, stores
    /// the ticket, appends an [`EventKind::Issued`] event and `audit`, in one transaction. Numbers
    /// never repeat within a centre and day, whatever the concurrency.
    async fn issue_ticket(
        &self,
        new: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<TicketRecord, StoreError>;

    /// The ticket with `id`, with its steps, if it exists.
    async fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>, StoreError>;

    /// Calls the ticket `window` should serve next at `centre` on `day`, chosen by
    /// `onestop_domain::queue::calling::next_ticket` among the tickets waiting at `now` (one issued
    /// or returned by a request that committed first but read the clock later is left for the next
    /// call, so steps stay in time order), and marks it called,
    /// with its event and `audit`. `None` (and nothing written) when no ticket may be called. Two
    /// windows calling at once never get the same ticket.
    async fn call_next(
        &self,
        centre: &CentreCode,
        day: Date,
        window: &WindowContext,
        rules: TicketRules,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Option<Called>, StoreError>;

    /// Applies `action` to ticket `id` of `centre` on behalf of `window`: the ticket must be called
    /// to, served at or parked by that window (`None` for actions of the centre itself, such as a
    /// parked ticket returning when paid). Appends the step, the event and `audit`; a transfer also
    /// creates the follow-on ticket, and `with.notify` goes to the outbox. Nothing is written when
    /// refused.
    #[allow(clippy::too_many_arguments)] // the contract's shape: who, what, which rules, when, audited
    async fn act(
        &self,
        centre: &CentreCode,
        id: TicketId,
        window: Option<WindowNumber>,
        action: Action,
        with: ActWith,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Acted, ActError>;

    /// Every ticket of `centre` issued on `day`, oldest first, with their steps.
    async fn day_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError>;

    /// The tickets of `centre` issued on `day` that have not ended (waiting, called, serving,
    /// parked), oldest first, with their steps: what a ticket's place in line and a window's state
    /// need, read in time proportional to the queue, not to the day.
    async fn open_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError>;

    /// The tickets of `centre` issued on `day` in line or at a window ([`IN_LINE`]: waiting,
    /// called, serving), oldest first, **without** their steps: what a waiting ticket's place in
    /// line and predicted wait need (`onestop_domain::queue::stats::CentreDay::ticket`), read at
    /// less cost than [`QueueStore::open_tickets`].
    async fn line_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<Ticket>, StoreError>;

    /// Up to `limit` (at most [`SERVICE_TIME_HISTORY`]) most recent calls that ended of each
    /// service at `centre` — or of the `only` one — newest first: served or not served with the
    /// service time, no-shows with the time from the call to the no-show, each with its wait
    /// before the first call ([`RecentCall::of`]). Storage keeps them as tickets finish, so this
    /// reads a bounded history however long the centre has run.
    async fn service_times(
        &self,
        centre: &CentreCode,
        only: Option<&ServiceCode>,
        limit: u32,
    ) -> Result<Vec<ServiceTimes>, StoreError>;

    /// Closes `day` at `centre`: every open ticket ends with the outcome "centre closed" (a step
    /// and an event each), with one `audit` entry; answers the reconciled counts.
    async fn close_day(
        &self,
        centre: &CentreCode,
        day: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DayClosed, StoreError>;

    /// Up to `limit` events of `centre` after position `after`, oldest first.
    async fn queue_events(
        &self,
        centre: &CentreCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<QueueEvent>, StoreError>;

    /// The position of the newest event of `centre` (0 if none).
    async fn last_queue_event(&self, centre: &CentreCode) -> Result<i64, StoreError>;

    /// A receiver told the centre code whenever a centre's event log grows, by this process or (on
    /// PostgreSQL, through `LISTEN`/`NOTIFY`) by any process on the same database. A signal may be
    /// repeated or, after a lag, lost: readers then read the log from their last position.
    async fn queue_changes(&self) -> Result<tokio::sync::broadcast::Receiver<CentreCode>, StoreError>;

    /// Signs officer `login` (account `staff_id`) in to `window` at `centre`. Refused with
    /// [`StoreError::Conflict`] while another officer holds the window; signing in again to one's
    /// own window is a no-op. An officer holds at most one window: signing in elsewhere leaves the
    /// previous one. Appends an event and `audit`.
    async fn open_window(
        &self,
        centre: &CentreCode,
        window: WindowNumber,
        staff_id: i64,
        login: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<WindowSession, StoreError>;

    /// Signs the officer out of their window at `centre`, if they hold one (answers which).
    async fn close_window(
        &self,
        centre: &CentreCode,
        staff_id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Option<WindowNumber>, StoreError>;

    /// The windows of `centre` with an officer signed in.
    async fn open_windows(&self, centre: &CentreCode) -> Result<Vec<WindowSession>, StoreError>;
}
