//! The life of a ticket, as a state machine.
//!
//! ```text
//! Waiting ──Call──▶ Called ──Start──▶ Serving ──Finish──▶ Finished(Served | NotServed)
//!    ▲                │ ▲                │
//!    │                │ └─Recall (≤ max) │
//!    │                └──NoShow──▶ Finished(NoShow)
//!    └──Return── Parked ◀──Park──────────┘   (e.g. sent to the bank section to pay)
//!
//! Transfer (from any open state) ──▶ Finished(Transferred); a follow-on ticket then waits
//! CloseDay (from any open state) ──▶ Finished(CentreClosed)
//! ```
//!
//! [`apply`] takes a ticket, an action and the time, and returns the next ticket or an error that
//! names the state and the action. Every step is appended to [`Ticket::steps`] with its time, so
//! waits and service times can be computed afterwards ([`Ticket::waited`], [`Ticket::service_time`]).
//! A parked ticket that returns waits again reserved for its window, which calls it first
//! (see [`calling`](super::calling)); a transfer ends the ticket and [`Ticket::follow_on`] makes
//! the ticket that waits for the new service or window, with the same number and place in line.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use super::number::TicketNumber;
use crate::catalogue::{CentreCode, ServiceCode};

/// A window's number in its centre, as in the catalogue.
pub type WindowNumber = u32;

/// Recalls allowed by default before the officer must start or mark a no-show.
pub const DEFAULT_MAX_RECALLS: u32 = 2;

/// A ticket's internal id, assigned by storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketId(pub i64);

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// People called before first-come visitors (after returning tickets and appointments due).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PriorityGroup {
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

impl PriorityGroup {
    /// Every group.
    pub const ALL: [PriorityGroup; 5] = [
        PriorityGroup::Disabled,
        PriorityGroup::Pregnant,
        PriorityGroup::Elderly,
        PriorityGroup::Veteran,
        PriorityGroup::WithInfant,
    ];

    /// The group's name in storage and on the wire, e.g. `with_infant`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityGroup::Disabled => "disabled",
            PriorityGroup::Pregnant => "pregnant",
            PriorityGroup::Elderly => "elderly",
            PriorityGroup::Veteran => "veteran",
            PriorityGroup::WithInfant => "with_infant",
        }
    }

    /// The group named `name`, if any.
    pub fn parse(name: &str) -> Option<PriorityGroup> {
        PriorityGroup::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// Where a ticket was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// At the information desk, after the documents were checked.
    InfoDesk,
    /// At a self-service kiosk.
    Kiosk,
    /// By checking in an appointment booked online for the given time.
    Appointment {
        /// The booked time.
        at: Timestamp,
    },
    /// To collect a ready document (an application's collection ticket, issued by the info desk).
    Collection,
}

impl Origin {
    /// The origin's kind as stored: `info_desk`, `kiosk`, `appointment` (whose time is kept apart)
    /// or `collection`.
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::InfoDesk => "info_desk",
            Origin::Kiosk => "kiosk",
            Origin::Appointment { .. } => "appointment",
            Origin::Collection => "collection",
        }
    }

    /// The booked time of an appointment.
    pub fn booked_at(&self) -> Option<Timestamp> {
        match self {
            Origin::Appointment { at } => Some(*at),
            Origin::InfoDesk | Origin::Kiosk | Origin::Collection => None,
        }
    }

    /// The origin of kind `kind`; an appointment needs its booked time `at`.
    pub fn from_kind(kind: &str, at: Option<Timestamp>) -> Option<Origin> {
        match (kind, at) {
            ("info_desk", _) => Some(Origin::InfoDesk),
            ("kiosk", _) => Some(Origin::Kiosk),
            ("collection", _) => Some(Origin::Collection),
            ("appointment", Some(at)) => Some(Origin::Appointment { at }),
            _ => None,
        }
    }
}

/// Why a ticket is parked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParkReason {
    /// Sent to the bank section to pay a fee; returns when paid.
    Payment,
    /// Sent to fetch or copy a document.
    Documents,
    /// Another reason, as the officer wrote it.
    Other(String),
}

impl ParkReason {
    /// The reason's kind as stored: `payment`, `documents` or `other` (whose note is kept apart).
    pub fn kind(&self) -> &'static str {
        match self {
            ParkReason::Payment => "payment",
            ParkReason::Documents => "documents",
            ParkReason::Other(_) => "other",
        }
    }

    /// The officer's note of an `other` reason.
    pub fn note(&self) -> Option<&str> {
        match self {
            ParkReason::Other(note) => Some(note),
            ParkReason::Payment | ParkReason::Documents => None,
        }
    }

    /// The reason of kind `kind`; `other` takes `note` (empty when missing).
    pub fn from_kind(kind: &str, note: Option<String>) -> Option<ParkReason> {
        match kind {
            "payment" => Some(ParkReason::Payment),
            "documents" => Some(ParkReason::Documents),
            "other" => Some(ParkReason::Other(note.unwrap_or_default())),
            _ => None,
        }
    }
}

/// Where a ticket is transferred.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransferTarget {
    /// To another service's queue.
    Service(ServiceCode),
    /// To a given window, for the same service.
    Window(WindowNumber),
}

/// How a ticket ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The service was rendered (the application accepted).
    Served,
    /// The officer could not serve, for the given reason.
    NotServed {
        /// Why, as the officer wrote it.
        reason: String,
    },
    /// The visitor did not come when called.
    NoShow,
    /// Transferred; a follow-on ticket waits there.
    Transferred {
        /// Where to.
        to: TransferTarget,
    },
    /// Still open when the centre closed for the day.
    CentreClosed,
}

impl Outcome {
    /// The name of every outcome, in the order reports list them.
    pub const NAMES: [&'static str; 5] = ["served", "not_served", "no_show", "transferred", "centre_closed"];

    /// The outcome's name in storage and on the wire, e.g. `not_served`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::NotServed { .. } => "not_served",
            Outcome::NoShow => "no_show",
            Outcome::Transferred { .. } => "transferred",
            Outcome::CentreClosed => "centre_closed",
        }
    }
}

/// The result an officer gives when finishing a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceResult {
    /// Served.
    Served,
    /// Could not serve.
    NotServed {
        /// Why.
        reason: String,
    },
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// In the queue.
    Waiting,
    /// Called to a window, shown on the screens.
    Called {
        /// The window.
        window: WindowNumber,
        /// When it was last called or recalled.
        at: Timestamp,
        /// Recalls so far.
        recalls: u32,
    },
    /// Being served.
    Serving {
        /// The window.
        window: WindowNumber,
        /// Since when.
        since: Timestamp,
    },
    /// Set aside by a window, e.g. while the visitor pays at the bank section.
    Parked {
        /// The window it returns to.
        window: WindowNumber,
        /// Why.
        reason: ParkReason,
    },
    /// Ended.
    Finished {
        /// How.
        outcome: Outcome,
    },
}

/// A state's name, for errors and the step log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateName {
    /// [`TicketState::Waiting`].
    Waiting,
    /// [`TicketState::Called`].
    Called,
    /// [`TicketState::Serving`].
    Serving,
    /// [`TicketState::Parked`].
    Parked,
    /// [`TicketState::Finished`].
    Finished,
}

impl fmt::Display for StateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl StateName {
    /// Every state name.
    pub const ALL: [StateName; 5] =
        [StateName::Waiting, StateName::Called, StateName::Serving, StateName::Parked, StateName::Finished];

    /// The name in storage and on the wire, e.g. `waiting` (as [`Display`](fmt::Display) writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            StateName::Waiting => "waiting",
            StateName::Called => "called",
            StateName::Serving => "serving",
            StateName::Parked => "parked",
            StateName::Finished => "finished",
        }
    }

    /// The state named `name`, if any.
    pub fn parse(name: &str) -> Option<StateName> {
        StateName::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl TicketState {
    /// The state's name.
    pub fn name(&self) -> StateName {
        match self {
            TicketState::Waiting => StateName::Waiting,
            TicketState::Called { .. } => StateName::Called,
            TicketState::Serving { .. } => StateName::Serving,
            TicketState::Parked { .. } => StateName::Parked,
            TicketState::Finished { .. } => StateName::Finished,
        }
    }

    /// The window the ticket is at or parked by, if any.
    pub fn window(&self) -> Option<WindowNumber> {
        match self {
            TicketState::Called { window, .. }
            | TicketState::Serving { window, .. }
            | TicketState::Parked { window, .. } => Some(*window),
            TicketState::Waiting | TicketState::Finished { .. } => None,
        }
    }
}

/// Something done to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// A window calls the ticket (chosen by the calling rules, not the officer).
    Call {
        /// The calling window.
        window: WindowNumber,
    },
    /// Call it again on the screens.
    Recall,
    /// The visitor came; service starts.
    Start,
    /// The visitor did not come.
    NoShow,
    /// Set the ticket aside.
    Park {
        /// Why.
        reason: ParkReason,
    },
    /// A parked ticket returns to wait for its window, first in line.
    Return,
    /// Send it to another service or window.
    Transfer {
        /// Where.
        to: TransferTarget,
    },
    /// Finish the service.
    Finish {
        /// Served or not.
        result: ServiceResult,
    },
    /// The centre closes for the day.
    CloseDay,
}

/// An action's name, for errors and the step log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionName {
    /// [`Action::Call`].
    Call,
    /// [`Action::Recall`].
    Recall,
    /// [`Action::Start`].
    Start,
    /// [`Action::NoShow`].
    NoShow,
    /// [`Action::Park`].
    Park,
    /// [`Action::Return`].
    Return,
    /// [`Action::Transfer`].
    Transfer,
    /// [`Action::Finish`].
    Finish,
    /// [`Action::CloseDay`].
    CloseDay,
}

impl fmt::Display for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionName::Call => "call",
            ActionName::Recall => "recall",
            ActionName::Start => "start",
            ActionName::NoShow => "mark as no-show",
            ActionName::Park => "park",
            ActionName::Return => "return",
            ActionName::Transfer => "transfer",
            ActionName::Finish => "finish",
            ActionName::CloseDay => "close the day of",
        })
    }
}

impl ActionName {
    /// Every action name.
    pub const ALL: [ActionName; 9] = [
        ActionName::Call,
        ActionName::Recall,
        ActionName::Start,
        ActionName::NoShow,
        ActionName::Park,
        ActionName::Return,
        ActionName::Transfer,
        ActionName::Finish,
        ActionName::CloseDay,
    ];

    /// The name in storage, e.g. `no_show` ([`Display`](fmt::Display) writes the words of messages).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionName::Call => "call",
            ActionName::Recall => "recall",
            ActionName::Start => "start",
            ActionName::NoShow => "no_show",
            ActionName::Park => "park",
            ActionName::Return => "return",
            ActionName::Transfer => "transfer",
            ActionName::Finish => "finish",
            ActionName::CloseDay => "close_day",
        }
    }

    /// The action named `name` (as [`ActionName::as_str`] writes it), if any.
    pub fn parse(name: &str) -> Option<ActionName> {
        ActionName::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl Action {
    /// The action's name.
    pub fn name(&self) -> ActionName {
        match self {
            Action::Call { .. } => ActionName::Call,
            Action::Recall => ActionName::Recall,
            Action::Start => ActionName::Start,
            Action::NoShow => ActionName::NoShow,
            Action::Park { .. } => ActionName::Park,
            Action::Return => ActionName::Return,
            Action::Transfer { .. } => ActionName::Transfer,
            Action::Finish { .. } => ActionName::Finish,
            Action::CloseDay => ActionName::CloseDay,
        }
    }
}

/// One recorded step of a ticket's life.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    /// When.
    pub at: Timestamp,
    /// What was done.
    pub action: ActionName,
    /// The state before.
    pub from: StateName,
    /// The state after.
    pub to: StateName,
    /// The window involved, if any.
    pub window: Option<WindowNumber>,
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// Internal id.
    pub id: TicketId,
    /// Human number, e.g. `J-017`.
    pub number: TicketNumber,
    /// The centre.
    pub centre: CentreCode,
    /// The service it waits for.
    pub service: ServiceCode,
    /// Where it was issued.
    pub origin: Origin,
    /// The priority group the info desk recorded, if any.
    pub priority: Option<PriorityGroup>,
    /// When it was issued; a follow-on ticket keeps the original time, and so its place in line.
    pub issued_at: Timestamp,
    /// The only window that may call it (a returning parked ticket or a transfer to a window).
    pub reserved_for: Option<WindowNumber>,
    /// The ticket this one follows on from, after a transfer.
    pub follows: Option<TicketId>,
    /// Where it is now.
    pub state: TicketState,
    /// Every step so far, oldest first.
    pub steps: Vec<Step>,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The action is not allowed in the ticket's state.
    #[error("cannot {action} a ticket that is {from}")]
    Disallowed {
        /// The ticket's state.
        from: StateName,
        /// The action refused.
        action: ActionName,
    },
    /// The ticket was recalled as often as allowed.
    #[error("the ticket was already recalled {max} times; start the service or mark a no-show")]
    RecallLimit {
        /// The limit.
        max: u32,
    },
    /// Another window called a ticket reserved for one window.
    #[error("the ticket is reserved for window {window}")]
    ReservedForWindow {
        /// The window it is reserved for.
        window: WindowNumber,
    },
    /// The time given is before the ticket's last step.
    #[error("the time given is before the ticket's last step")]
    TimeBeforeLastStep,
}

/// Configurable rules of a centre's ticket life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketRules {
    /// Recalls allowed after the first call.
    pub max_recalls: u32,
}

impl Default for TicketRules {
    fn default() -> TicketRules {
        TicketRules { max_recalls: DEFAULT_MAX_RECALLS }
    }
}

impl Ticket {
    /// A new waiting ticket.
    pub fn issue(
        id: TicketId,
        number: TicketNumber,
        centre: CentreCode,
        service: ServiceCode,
        origin: Origin,
        priority: Option<PriorityGroup>,
        now: Timestamp,
    ) -> Ticket {
        Ticket {
            id,
            number,
            centre,
            service,
            origin,
            priority,
            issued_at: now,
            reserved_for: None,
            follows: None,
            state: TicketState::Waiting,
            steps: Vec::new(),
        }
    }

    /// The ticket's appointment time, if it checked in an appointment.
    pub fn appointment(&self) -> Option<Timestamp> {
        self.origin.booked_at()
    }

    /// Whether the ticket has not ended.
    pub fn is_open(&self) -> bool {
        self.state.name() != StateName::Finished
    }

    /// After a transfer, the ticket that waits at the new service or window: same number, centre,
    /// origin, priority and issue time (so it keeps its place in line), a new id. `None` unless this
    /// ticket ended transferred.
    pub fn follow_on(&self, id: TicketId) -> Option<Ticket> {
        let TicketState::Finished { outcome: Outcome::Transferred { to } } = &self.state else {
            return None;
        };
        let (service, reserved_for) = match to {
            TransferTarget::Service(service) => (service.clone(), None),
            TransferTarget::Window(window) => (self.service.clone(), Some(*window)),
        };
        Some(Ticket {
            id,
            service,
            reserved_for,
            follows: Some(self.id),
            state: TicketState::Waiting,
            steps: Vec::new(),
            ..self.clone()
        })
    }

    /// From issue to the first call, once called.
    pub fn waited(&self) -> Option<SignedDuration> {
        let first = self.steps.iter().find(|s| s.action == ActionName::Call)?;
        Some(first.at.duration_since(self.issued_at))
    }

    /// The time spent serving, over every spell of service (a parked ticket is served twice), once
    /// no spell is still running.
    pub fn service_time(&self) -> Option<SignedDuration> {
        service_time(&self.steps)
    }

    /// How the ticket ended, if it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            TicketState::Finished { outcome } => Some(outcome),
            _ => None,
        }
    }
}

impl TicketRules {
    /// The ticket after `action` at `now`, or why not.
    pub fn apply(&self, ticket: &Ticket, action: Action, now: Timestamp) -> Result<Ticket, QueueError> {
        let last = ticket.steps.last().map_or(ticket.issued_at, |s| s.at);
        if now < last {
            return Err(QueueError::TimeBeforeLastStep);
        }
        let from = ticket.state.name();
        let name = action.name();
        let disallowed = QueueError::Disallowed { from, action: name };
        let mut next = ticket.clone();
        let state = match (&ticket.state, action) {
            (TicketState::Finished { .. }, _) => return Err(disallowed),
            (TicketState::Waiting, Action::Call { window }) => {
                if let Some(reserved) = ticket.reserved_for.filter(|r| *r != window) {
                    return Err(QueueError::ReservedForWindow { window: reserved });
                }
                next.reserved_for = None;
                TicketState::Called { window, at: now, recalls: 0 }
            }
            (TicketState::Called { window, recalls, .. }, Action::Recall) => {
                if *recalls >= self.max_recalls {
                    return Err(QueueError::RecallLimit { max: self.max_recalls });
                }
                TicketState::Called { window: *window, at: now, recalls: recalls + 1 }
            }
            (TicketState::Called { window, .. }, Action::Start) => {
                TicketState::Serving { window: *window, since: now }
            }
            (TicketState::Called { .. }, Action::NoShow) => {
                TicketState::Finished { outcome: Outcome::NoShow }
            }
            (TicketState::Serving { window, .. }, Action::Park { reason }) => {
                TicketState::Parked { window: *window, reason }
            }
            (TicketState::Parked { window, .. }, Action::Return) => {
                next.reserved_for = Some(*window);
                TicketState::Waiting
            }
            (TicketState::Serving { .. }, Action::Finish { result }) => TicketState::Finished {
                outcome: match result {
                    ServiceResult::Served => Outcome::Served,
                    ServiceResult::NotServed { reason } => Outcome::NotServed { reason },
                },
            },
            (_, Action::Transfer { to }) => TicketState::Finished { outcome: Outcome::Transferred { to } },
            (_, Action::CloseDay) => TicketState::Finished { outcome: Outcome::CentreClosed },
            _ => return Err(disallowed),
        };
        next.steps.push(Step {
            at: now,
            action: name,
            from,
            to: state.name(),
            window: state.window().or(ticket.state.window()),
        });
        next.state = state;
        Ok(next)
    }
}

/// The time spent serving over `steps` (a ticket's steps, oldest first), summed over every spell of
/// service, once no spell is still running; `None` if it was never served. See [`Ticket::service_time`].
pub fn service_time(steps: &[Step]) -> Option<SignedDuration> {
    let mut total = SignedDuration::ZERO;
    let mut since = None;
    let mut any = false;
    for step in steps {
        if let Some(start) = since.take() {
            total += step.at.duration_since(start);
        }
        if step.to == StateName::Serving {
            since = Some(step.at);
            any = true;
        }
    }
    (any && since.is_none()).then_some(total)
}

/// [`TicketRules::apply`] with the default rules (at most [`DEFAULT_MAX_RECALLS`] recalls).
pub fn apply(ticket: &Ticket, action: Action, now: Timestamp) -> Result<Ticket, QueueError> {
    TicketRules::default().apply(ticket, action, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-03-02T06:00:00Z".parse().unwrap()
    }

    fn at(mins: i64) -> Timestamp {
        t0() + SignedDuration::from_mins(mins)
    }

    fn ticket() -> Ticket {
        Ticket::issue(
            TicketId(1),
            TicketNumber::new('J', 17).unwrap(),
            CentreCode::new("BAKU-1"),
            ServiceCode::new("MIA-ID-CARD"),
            Origin::InfoDesk,
            None,
            t0(),
        )
    }

    fn run(actions: Vec<(i64, Action)>) -> Result<Ticket, QueueError> {
        let mut t = ticket();
        for (mins, action) in actions {
            t = apply(&t, action, at(mins))?;
        }
        Ok(t)
    }

    fn served() -> Action {
        Action::Finish { result: ServiceResult::Served }
    }

    #[test]
    fn the_usual_life_records_every_step() {
        let t = run(vec![(10, Action::Call { window: 5 }), (11, Action::Start), (21, served())]).unwrap();
        assert_eq!(t.outcome(), Some(&Outcome::Served));
        let names: Vec<_> = t.steps.iter().map(|s| (s.action, s.from, s.to, s.window)).collect();
        assert_eq!(
            names,
            [
                (ActionName::Call, StateName::Waiting, StateName::Called, Some(5)),
                (ActionName::Start, StateName::Called, StateName::Serving, Some(5)),
                (ActionName::Finish, StateName::Serving, StateName::Finished, Some(5)),
            ]
        );
        assert_eq!(t.steps.iter().map(|s| s.at).collect::<Vec<_>>(), [at(10), at(11), at(21)]);
        assert_eq!(t.waited(), Some(SignedDuration::from_mins(10)));
        assert_eq!(t.service_time(), Some(SignedDuration::from_mins(10)));
    }

    #[test]
    fn recalls_are_bounded() {
        let t = run(vec![(1, Action::Call { window: 5 }), (2, Action::Recall), (3, Action::Recall)]).unwrap();
        assert_eq!(t.state, TicketState::Called { window: 5, at: at(3), recalls: 2 });
        assert_eq!(apply(&t, Action::Recall, at(4)), Err(QueueError::RecallLimit { max: 2 }));
        let strict = TicketRules { max_recalls: 0 };
        let called = apply(&ticket(), Action::Call { window: 5 }, at(1)).unwrap();
        assert_eq!(strict.apply(&called, Action::Recall, at(2)), Err(QueueError::RecallLimit { max: 0 }));
        let gone = apply(&t, Action::NoShow, at(5)).unwrap();
        assert_eq!(gone.outcome(), Some(&Outcome::NoShow));
        assert_eq!(gone.service_time(), None);
    }

    #[test]
    fn a_parked_ticket_returns_reserved_for_its_window() {
        let t = run(vec![
            (1, Action::Call { window: 5 }),
            (2, Action::Start),
            (6, Action::Park { reason: ParkReason::Payment }),
        ])
        .unwrap();
        assert_eq!(t.state, TicketState::Parked { window: 5, reason: ParkReason::Payment });
        assert_eq!(t.service_time(), Some(SignedDuration::from_mins(4)));
        let back = apply(&t, Action::Return, at(20)).unwrap();
        assert_eq!((back.state.clone(), back.reserved_for), (TicketState::Waiting, Some(5)));
        assert_eq!(
            apply(&back, Action::Call { window: 6 }, at(21)),
            Err(QueueError::ReservedForWindow { window: 5 })
        );
        let again = apply(&back, Action::Call { window: 5 }, at(21)).unwrap();
        assert_eq!(again.reserved_for, None);
        let done = run(vec![
            (1, Action::Call { window: 5 }),
            (2, Action::Start),
            (6, Action::Park { reason: ParkReason::Payment }),
            (20, Action::Return),
            (21, Action::Call { window: 5 }),
            (22, Action::Start),
            (25, served()),
        ])
        .unwrap();
        assert_eq!(done.service_time(), Some(SignedDuration::from_mins(7)));
        assert_eq!(done.waited(), Some(SignedDuration::from_mins(1)));
    }

    #[test]
    fn not_served_keeps_the_reason() {
        let reason = "passport photo missing".to_string();
        let t = run(vec![
            (1, Action::Call { window: 5 }),
            (2, Action::Start),
            (3, Action::Finish { result: ServiceResult::NotServed { reason: reason.clone() } }),
        ])
        .unwrap();
        assert_eq!(t.outcome(), Some(&Outcome::NotServed { reason }));
    }

    #[test]
    fn a_transfer_ends_the_ticket_and_a_follow_on_keeps_its_place() {
        let other = ServiceCode::new("MIA-PASSPORT");
        let t = run(vec![
            (1, Action::Call { window: 5 }),
            (2, Action::Start),
            (3, Action::Transfer { to: TransferTarget::Service(other.clone()) }),
        ])
        .unwrap();
        assert_eq!(t.outcome(), Some(&Outcome::Transferred { to: TransferTarget::Service(other.clone()) }));
        let next = t.follow_on(TicketId(2)).unwrap();
        assert_eq!((next.id, next.follows, next.service.clone()), (TicketId(2), Some(TicketId(1)), other));
        assert_eq!((next.number, next.issued_at, next.state.clone()), (t.number, t0(), TicketState::Waiting));
        assert!(next.steps.is_empty());

        let w = run(vec![
            (1, Action::Call { window: 5 }),
            (2, Action::Transfer { to: TransferTarget::Window(9) }),
        ])
        .unwrap();
        let next = w.follow_on(TicketId(3)).unwrap();
        assert_eq!((next.service, next.reserved_for), (ServiceCode::new("MIA-ID-CARD"), Some(9)));
        assert_eq!(ticket().follow_on(TicketId(4)), None);
    }

    #[test]
    fn closing_the_day_ends_every_open_state() {
        let lives: Vec<Vec<(i64, Action)>> = vec![
            vec![],
            vec![(1, Action::Call { window: 5 })],
            vec![(1, Action::Call { window: 5 }), (2, Action::Start)],
            vec![
                (1, Action::Call { window: 5 }),
                (2, Action::Start),
                (3, Action::Park { reason: ParkReason::Documents }),
            ],
        ];
        for life in lives {
            let t = run(life).unwrap();
            let closed = apply(&t, Action::CloseDay, at(600)).unwrap();
            assert_eq!(closed.outcome(), Some(&Outcome::CentreClosed));
            assert_eq!(closed.steps.last().map(|s| (s.from, s.at)), Some((t.state.name(), at(600))));
            assert!(!closed.is_open());
        }
    }

    #[test]
    fn disallowed_transitions_name_the_state_and_the_action() {
        let waiting = ticket();
        let called = apply(&waiting, Action::Call { window: 5 }, at(1)).unwrap();
        let serving = apply(&called, Action::Start, at(2)).unwrap();
        let parked = apply(&serving, Action::Park { reason: ParkReason::Other("x".into()) }, at(3)).unwrap();
        let finished = apply(&serving, served(), at(3)).unwrap();
        let all = [
            Action::Call { window: 5 },
            Action::Recall,
            Action::Start,
            Action::NoShow,
            Action::Park { reason: ParkReason::Payment },
            Action::Return,
            Action::Transfer { to: TransferTarget::Window(2) },
            served(),
            Action::CloseDay,
        ];
        let allowed: [(&Ticket, &[ActionName]); 5] = [
            (&waiting, &[ActionName::Call, ActionName::Transfer, ActionName::CloseDay]),
            (
                &called,
                &[
                    ActionName::Recall,
                    ActionName::Start,
                    ActionName::NoShow,
                    ActionName::Transfer,
                    ActionName::CloseDay,
                ],
            ),
            (&serving, &[ActionName::Park, ActionName::Transfer, ActionName::Finish, ActionName::CloseDay]),
            (&parked, &[ActionName::Return, ActionName::Transfer, ActionName::CloseDay]),
            (&finished, &[]),
        ];
        for (t, ok) in allowed {
            for action in all.clone() {
                let name = action.name();
                let result = apply(t, action, at(10));
                if ok.contains(&name) {
                    assert!(result.is_ok(), "{name} from {}", t.state.name());
                } else {
                    assert_eq!(result, Err(QueueError::Disallowed { from: t.state.name(), action: name }));
                }
            }
        }
        let message =
            QueueError::Disallowed { from: StateName::Finished, action: ActionName::Start }.to_string();
        assert_eq!(message, "cannot start a ticket that is finished");
    }

    #[test]
    fn time_does_not_run_backwards() {
        let called = apply(&ticket(), Action::Call { window: 5 }, at(5)).unwrap();
        assert_eq!(apply(&called, Action::Start, at(4)), Err(QueueError::TimeBeforeLastStep));
        assert_eq!(apply(&ticket(), Action::Call { window: 5 }, at(-1)), Err(QueueError::TimeBeforeLastStep));
        assert!(apply(&called, Action::Start, at(5)).is_ok());
    }

    #[test]
    fn stored_names_read_back() {
        for g in PriorityGroup::ALL {
            assert_eq!(PriorityGroup::parse(g.as_str()), Some(g));
        }
        assert_eq!(PriorityGroup::WithInfant.as_str(), "with_infant");
        for s in StateName::ALL {
            assert_eq!(StateName::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        for a in ActionName::ALL {
            assert_eq!(ActionName::parse(a.as_str()), Some(a));
        }
        assert_eq!((ActionName::NoShow.as_str(), ActionName::CloseDay.as_str()), ("no_show", "close_day"));
        assert_eq!(ActionName::parse("mark as no-show"), None);
        assert_eq!(StateName::parse("Waiting"), None);
        assert_eq!(PriorityGroup::parse(""), None);

        for origin in [Origin::InfoDesk, Origin::Kiosk, Origin::Appointment { at: t0() }, Origin::Collection]
        {
            assert_eq!(Origin::from_kind(origin.kind(), origin.booked_at()), Some(origin));
        }
        assert_eq!(Origin::from_kind("appointment", None), None);
        assert_eq!(Origin::from_kind("walk_in", None), None);

        for reason in [ParkReason::Payment, ParkReason::Documents, ParkReason::Other("copy".into())] {
            let note = reason.note().map(str::to_owned);
            assert_eq!(ParkReason::from_kind(reason.kind(), note), Some(reason));
        }
        assert_eq!(ParkReason::from_kind("lunch", None), None);

        let outcomes = [
            Outcome::Served,
            Outcome::NotServed { reason: "x".into() },
            Outcome::NoShow,
            Outcome::Transferred { to: TransferTarget::Window(2) },
            Outcome::CentreClosed,
        ];
        assert_eq!(outcomes.map(|o| o.name()), Outcome::NAMES);
    }
}
