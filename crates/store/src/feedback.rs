//! The storage contract of ratings: one rating per finished ticket, given at the window that
//! finished it, and exit-poll ratings of a visit; and the satisfaction rate over them.
//!
//! A rating row names the ticket, service, provider, window and officer — never the ticket's
//! holder — and no query here joins it to one.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::feedback::rating::{RatingChannel, Satisfaction, Verdict};
use onestop_domain::queue::ticket::{TicketId, WindowNumber};

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRecord {
    /// Internal id.
    pub id: i64,
    /// When it was given.
    pub at: Timestamp,
    /// Where.
    pub channel: RatingChannel,
    /// The centre.
    pub centre: CentreCode,
    /// The ticket rated (tablet ratings).
    pub ticket: Option<TicketId>,
    /// The ticket's service.
    pub service: Option<String>,
    /// The service's provider.
    pub provider: Option<String>,
    /// The window that finished the ticket.
    pub window: Option<WindowNumber>,
    /// The login of the officer signed in at that window when the rating was given.
    pub officer: Option<String>,
    /// What was said.
    pub verdict: Verdict,
}

/// A tablet's rating of the ticket just finished at its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRating {
    /// The tablet's centre.
    pub centre: CentreCode,
    /// The tablet's window.
    pub window: WindowNumber,
    /// The ticket.
    pub ticket: TicketId,
    /// The provider of the ticket's service (from the registry).
    pub provider: String,
    /// What was said.
    pub verdict: Verdict,
}

/// Why a ticket's rating is refused.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    /// No such ticket at the centre.
    #[error("no ticket {0} at this centre")]
    NoTicket(TicketId),
    /// The ticket's service has not finished (served or not served) at a window.
    #[error("ticket {0} has not finished its service yet")]
    NotFinished(String),
    /// Another window finished it.
    #[error("ticket {number} was finished at window {finished_at}, not at this tablet's window")]
    OtherWindow {
        /// The ticket's number.
        number: String,
        /// The window that finished it.
        finished_at: WindowNumber,
    },
    /// The ticket already has a rating.
    #[error("ticket {0} has already been rated")]
    AlreadyRated(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How satisfaction rates are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Per centre (exit polls included).
    Centre,
    /// Per provider.
    Provider,
    /// Per service.
    Service,
    /// Per officer login.
    Officer,
}

impl Grouping {
    /// The grouping's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Centre => "centre",
            Grouping::Provider => "provider",
            Grouping::Service => "service",
            Grouping::Officer => "officer",
        }
    }

    /// The grouping named `name`.
    pub fn parse(name: &str) -> Option<Grouping> {
        [Grouping::Centre, Grouping::Provider, Grouping::Service, Grouping::Officer]
            .into_iter()
            .find(|g| g.as_str() == name)
    }
}

/// Which ratings count. Empty fields are not filtered on; the period is `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatingFilter {
    /// Given at or after.
    pub from: Option<Timestamp>,
    /// Given before.
    pub to: Option<Timestamp>,
    /// At this centre.
    pub centre: Option<String>,
    /// Of this provider's services.
    pub provider: Option<String>,
    /// Of this service.
    pub service: Option<String>,
    /// Of this officer.
    pub officer: Option<String>,
}

/// Ratings and satisfaction.
#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Records a tablet's rating of a ticket, with `audit`, in one transaction: the ticket must be
    /// at the centre, finished (served or not served) by a step at the tablet's window, and not yet
    /// rated — two racing ratings of one ticket never both land. The officer is the one signed in
    /// at the window.
    async fn rate_ticket(
        &self,
        rating: TicketRating,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RatingRecord, RateError>;

    /// Records an exit-poll rating of a visit to `centre`, with `audit`.
    async fn rate_visit(
        &self,
        centre: &CentreCode,
        verdict: Verdict,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RatingRecord, StoreError>;

    /// The rating of ticket `id`, if it has one.
    async fn ticket_rating(&self, id: TicketId) -> Result<Option<RatingRecord>, StoreError>;

    /// Satisfaction per group (the group's code, in code order) over the ratings `filter` admits;
    /// ratings without a value for the grouping (exit polls by service) are left out.
    async fn satisfaction(
        &self,
        by: Grouping,
        filter: &RatingFilter,
    ) -> Result<Vec<(String, Satisfaction)>, StoreError>;

    /// The newest `limit` ratings `filter` admits, newest first.
    async fn ratings(&self, filter: &RatingFilter, limit: u32) -> Result<Vec<RatingRecord>, StoreError>;
}
