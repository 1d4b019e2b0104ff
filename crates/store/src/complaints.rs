//! The storage contract of complaints and suggestions: registering one from any channel,
//! following it by reference, its workflow steps, and deadline-breach detection.
//!
//! Every workflow step runs in one transaction holding the status change, its history row and
//! its audit entry and the notice to the complainant in the notification outbox.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::complaint::{
    Category, Channel, Contact, Status, Step, Subject, WorkflowError, breached,
};
use onestop_domain::notify::Message;

/// A complaint or suggestion to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    /// Its reference (see `onestop_domain::feedback::complaint::reference`).
    pub reference: String,
    /// Where it came in.
    pub channel: Channel,
    /// Its category.
    pub category: Category,
    /// What it is about.
    pub subject: Subject,
    /// The centre where it was received (booth, paper journal), if any.
    pub centre: Option<String>,
    /// What the complainant wrote.
    pub text: String,
    /// How to answer.
    pub contact: Contact,
    /// The staff member or device who entered it, for channels entered on someone's behalf.
    pub entered_by: Option<String>,
    /// The local day it was received.
    pub received_on: Date,
    /// The day the answer is due.
    pub due_on: Date,
    /// The complainant's language, for the messages to them.
    pub lang: String,
    /// The acknowledgement to the complainant, put in the outbox with the registration.
    pub message: Option<Message>,
}

/// One step of a complaint's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintEvent {
    /// When.
    pub at: Timestamp,
    /// Which step (`None` for the registration).
    pub step: Option<Step>,
    /// The status after it.
    pub status: Status,
}

/// A complaint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRecord {
    /// Internal id.
    pub id: i64,
    /// Its reference.
    pub reference: String,
    /// Where it came in.
    pub channel: Channel,
    /// Its category.
    pub category: Category,
    /// What it is about.
    pub subject: Subject,
    /// Where it was received.
    pub centre: Option<String>,
    /// The text.
    pub text: String,
    /// How to answer (personal data: never on a public endpoint).
    pub contact: Contact,
    /// Who entered it.
    pub entered_by: Option<String>,
    /// Where it is.
    pub status: Status,
    /// The monitoring department member it is assigned to.
    pub assignee: Option<String>,
    /// The answer given.
    pub answer: Option<String>,
    /// When it was received.
    pub received_at: Timestamp,
    /// The local day it was received.
    pub received_on: Date,
    /// The day the (current) answer is due.
    pub due_on: Date,
    /// The local day of the latest answer.
    pub answered_on: Option<Date>,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// How often it was reopened.
    pub reopened: u32,
    /// The complainant's language.
    pub lang: String,
    /// Its history, oldest first (empty in lists).
    pub history: Vec<ComplaintEvent>,
}

impl ComplaintRecord {
    /// Whether it breaches its deadline as of `today`.
    pub fn breached(&self, today: Date) -> bool {
        breached(self.status, self.due_on, self.answered_on, today)
    }
}

/// A workflow step to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintChange {
    /// The step.
    pub step: Step,
    /// For [`Step::Assign`]: the login of the monitoring department member.
    pub assignee: Option<String>,
    /// For [`Step::Answer`]: the answer.
    pub answer: Option<String>,
    /// The local day today.
    pub today: Date,
    /// For [`Step::Reopen`]: the new due day of the answer.
    pub due_on: Option<Date>,
    /// Days after the answer within which it may be reopened.
    pub reopen_days: u32,
    /// The notice to the complainant, put in the outbox with the step.
    pub message: Option<Message>,
}

/// Why a workflow step failed.
#[derive(Debug, thiserror::Error)]
pub enum ComplaintStepError {
    /// No complaint has the reference.
    #[error("no complaint {0}")]
    NotFound(String),
    /// The workflow refuses the step.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which complaints to list. Empty fields are not filtered on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    /// In these statuses.
    pub statuses: Vec<Status>,
    /// Of this category.
    pub category: Option<Category>,
    /// Received at or after.
    pub from: Option<Timestamp>,
    /// Received before.
    pub to: Option<Timestamp>,
    /// With these references.
    pub references: Vec<String>,
}

/// Deadline breaches as of a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaches {
    /// Complaints still awaiting an answer after their due day, oldest due first.
    pub overdue: Vec<ComplaintRecord>,
    /// Complaints answered after their due day.
    pub answered_late: u64,
}

/// Complaints and suggestions.
#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Registers a complaint, status received, with `audit`, in one transaction.
    async fn register_complaint(
        &self,
        new: NewComplaint,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ComplaintRecord, StoreError>;

    /// The complaint with `reference`, with its history.
    async fn complaint(&self, reference: &str) -> Result<Option<ComplaintRecord>, StoreError>;

    /// Up to `limit` complaints `filter` admits, newest first, without history.
    async fn complaints(
        &self,
        filter: &ComplaintFilter,
        limit: u32,
    ) -> Result<Vec<ComplaintRecord>, StoreError>;

    /// Takes a workflow step on the complaint with `reference`: the status change (checked by
    /// `onestop_domain::feedback::complaint::next_status` against the stored status), its
    /// history row and `audit`, in one transaction; nothing is written when refused.
    async fn advance_complaint(
        &self,
        reference: &str,
        change: ComplaintChange,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ComplaintRecord, ComplaintStepError>;

    /// The deadline breaches as of `today`.
    async fn complaint_breaches(&self, today: Date) -> Result<Breaches, StoreError>;
}
