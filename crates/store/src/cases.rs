//! The storage contract of applications, bills, payments and refunds.
//!
//! Every change is one transaction holding its append-only row (an application action, a payment,
//! a refund step), the projections it moves (`applications.state`, `bills.paid`), its audit entry
//! and the notice to the applicant in the outbox. Rules are the domain's
//! ([`onestop_domain::cases`], [`onestop_domain::payments`]); the store applies them to what it
//! reads inside the transaction, so two racing payments of one bill never both succeed.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::cases::workflow::{StepError, Workflow};
use onestop_domain::fees::Waiver;
use onestop_domain::identity::Role;
use onestop_domain::notify::Message;
use onestop_domain::payments::{
    OnlineStatus, PaymentChannel, PaymentError, Purpose, Reconciliation, RefundError, RefundReason,
    RefundState, RefundStep,
};
use onestop_domain::queue::ticket::TicketId;

/// A bill to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBill {
    /// Its payment reference (see [`onestop_domain::payments::payment_reference`]).
    pub reference: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The state fee after exemptions, minor units.
    pub state_fee: i64,
    /// The service fee (or the delivery fee) after exemptions, minor units.
    pub service_fee: i64,
    /// The currency.
    pub currency: String,
    /// The fees waived and why.
    pub waivers: Vec<Waiver>,
    /// The centre's local day of issue.
    pub issued_on: Date,
}

impl NewBill {
    /// `state_fee + service_fee`.
    pub fn total(&self) -> i64 {
        self.state_fee.saturating_add(self.service_fee)
    }
}

/// An application to create when an officer accepts a ticket's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    /// Its tracking number (reserved by [`CaseStore::reserve_tracking`]).
    pub tracking: String,
    /// The centre.
    pub centre: String,
    /// The service's provider.
    pub provider: String,
    /// The service.
    pub service: String,
    /// The workflow's name.
    pub workflow: String,
    /// The state it starts in, and the day it is due to leave it.
    pub initial: (String, Option<Date>),
    /// When the fee bill charges something: the state after the `bill` action, and its due day.
    pub billed: Option<(String, Option<Date>)>,
    /// The ticket whose documents were accepted.
    pub ticket: Option<TicketId>,
    /// The accepting officer (`staff:LOGIN`).
    pub officer: String,
    /// The officer's role.
    pub role: Role,
    /// The applicant's national ID number.
    pub applicant_fin: String,
    /// The applicant's name, if read from the card.
    pub applicant_name: Option<String>,
    /// An email address for notices.
    pub contact_email: Option<String>,
    /// A phone number for notices.
    pub contact_phone: Option<String>,
    /// The applicant's language.
    pub lang: String,
    /// The documents received.
    pub documents: Vec<String>,
    /// The centre's local day of acceptance.
    pub accepted_on: Date,
    /// The legal deadline.
    pub deadline_on: Date,
    /// The fee bill.
    pub bill: NewBill,
    /// The client's idempotency key of the `accept` action.
    pub key: Option<String>,
    /// The notice to the applicant.
    pub message: Option<Message>,
}

/// One action of an application's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    /// Its place in the history, from 1.
    pub seq: u32,
    /// When.
    pub at: Timestamp,
    /// The action.
    pub action: String,
    /// The state before (none for `accept`).
    pub from_state: Option<String>,
    /// The state after.
    pub to_state: String,
    /// Who took it.
    pub actor: String,
    /// Their role.
    pub role: String,
    /// The reason given.
    pub reason: Option<String>,
}

/// A payment of a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Internal id.
    pub id: i64,
    /// Amount, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Where it was taken.
    pub channel: PaymentChannel,
    /// The centre.
    pub centre: String,
    /// Who took it: `staff:LOGIN`, `device:ID` or `online:PAYMENT_ID`.
    pub taken_by: String,
    /// When.
    pub at: Timestamp,
    /// The centre's local day.
    pub on_day: Date,
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// Internal id.
    pub id: i64,
    /// The bill's reference.
    pub bill: String,
    /// The bill's centre.
    pub centre: String,
    /// Amount, minor units.
    pub amount: i64,
    /// Why.
    pub reason: RefundReason,
    /// Remarks of the requester.
    pub note: Option<String>,
    /// Where it is.
    pub state: RefundState,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// Who approved or declined.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// Who paid it out.
    pub executed_by: Option<String>,
    /// When.
    pub executed_at: Option<Timestamp>,
}

/// A bill as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillRecord {
    /// Internal id.
    pub id: i64,
    /// Its payment reference.
    pub reference: String,
    /// The application's tracking number.
    pub tracking: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The centre.
    pub centre: String,
    /// The provider.
    pub provider: String,
    /// The service.
    pub service: String,
    /// State fee, minor units.
    pub state_fee: i64,
    /// Service (or delivery) fee, minor units.
    pub service_fee: i64,
    /// Total, minor units.
    pub total: i64,
    /// Currency.
    pub currency: String,
    /// Fees waived and why.
    pub waivers: Vec<Waiver>,
    /// When issued.
    pub issued_at: Timestamp,
    /// The centre's local day of issue.
    pub issued_on: Date,
    /// Paid so far.
    pub paid: i64,
    /// Refunded so far.
    pub refunded: i64,
    /// When cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
    /// Its payment.
    pub payment: Option<PaymentRecord>,
    /// Its refunds, oldest first.
    pub refunds: Vec<RefundRecord>,
}

impl BillRecord {
    /// Whether nothing is left to pay (a bill of nothing counts as paid; a cancelled one does not).
    pub fn settled(&self) -> bool {
        self.cancelled_at.is_none() && self.paid >= self.total
    }

    /// What is left to pay.
    pub fn due(&self) -> i64 {
        if self.cancelled_at.is_some() { 0 } else { (self.total - self.paid).max(0) }
    }
}

/// An application as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    /// Internal id.
    pub id: i64,
    /// Its tracking number.
    pub tracking: String,
    /// The centre.
    pub centre: String,
    /// The provider.
    pub provider: String,
    /// The service.
    pub service: String,
    /// The workflow's name.
    pub workflow: String,
    /// The ticket whose documents were accepted.
    pub ticket: Option<TicketId>,
    /// The accepting officer.
    pub officer: String,
    /// The applicant's national ID number (personal data).
    pub applicant_fin: String,
    /// The applicant's name.
    pub applicant_name: Option<String>,
    /// Email for notices (personal data).
    pub contact_email: Option<String>,
    /// Phone for notices (personal data).
    pub contact_phone: Option<String>,
    /// The applicant's language.
    pub lang: String,
    /// The documents received.
    pub documents: Vec<String>,
    /// Its state.
    pub state: String,
    /// Since when.
    pub state_since: Timestamp,
    /// The day it is due to leave the state.
    pub state_due_on: Option<Date>,
    /// When accepted.
    pub accepted_at: Timestamp,
    /// The local day of acceptance.
    pub accepted_on: Date,
    /// The legal deadline.
    pub deadline_on: Date,
    /// When it first reached a `done` state or was rejected.
    pub done_at: Option<Timestamp>,
    /// The local day of that.
    pub done_on: Option<Date>,
    /// The delivery address, when delivery was ordered.
    pub delivery_address: Option<String>,
    /// Its history, oldest first.
    pub history: Vec<ActionRecord>,
    /// Its bills, oldest first.
    pub bills: Vec<BillRecord>,
}

impl ApplicationRecord {
    /// Whether every fee bill is settled.
    pub fn fees_paid(&self) -> bool {
        self.bills.iter().filter(|b| b.purpose == Purpose::Fees).all(BillRecord::settled)
    }

    /// Whether a delivery is ordered and its bill settled.
    pub fn delivery_paid(&self) -> bool {
        self.delivery_address.is_some()
            && self.bills.iter().any(|b| b.purpose == Purpose::Delivery && b.settled())
    }
}

/// A workflow action to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationChange {
    /// The application's workflow.
    pub workflow: Workflow,
    /// The action.
    pub action: String,
    /// Who takes it (`staff:LOGIN`).
    pub actor: String,
    /// Their role.
    pub role: Role,
    /// The reason given.
    pub reason: Option<String>,
    /// The client's idempotency key.
    pub key: Option<String>,
    /// The local day today.
    pub today: Date,
    /// The day the application is due to leave the state the action leads to.
    pub due_on: Option<Date>,
    /// The notice to the applicant.
    pub message: Option<Message>,
}

/// A payment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// Amount, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Where.
    pub channel: PaymentChannel,
    /// The centre where it is taken (must be the bill's).
    pub centre: String,
    /// Who takes it.
    pub taken_by: String,
    /// The centre's local day.
    pub on_day: Date,
    /// The notice to the applicant.
    pub message: Option<Message>,
}

/// A refund to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// Amount, minor units.
    pub amount: i64,
    /// Why.
    pub reason: RefundReason,
    /// Remarks.
    pub note: Option<String>,
    /// Who asks.
    pub requested_by: String,
}

/// An online payment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOnlinePayment {
    /// Its public id.
    pub id: String,
    /// The bill's reference.
    pub bill: String,
    /// Amount, minor units (must be the amount due).
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// What it is for, shown to the payer.
    pub description: String,
    /// Where to send the payer afterwards.
    pub return_url: Option<String>,
    /// The acquirer's name.
    pub acquirer: String,
}

/// An online payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlinePaymentRecord {
    /// Its public id.
    pub id: String,
    /// The bill's reference.
    pub bill: String,
    /// Amount, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// What it is for.
    pub description: String,
    /// Where to send the payer afterwards.
    pub return_url: Option<String>,
    /// Where it is.
    pub status: OnlineStatus,
    /// The acquirer's name.
    pub acquirer: String,
    /// The acquirer's authorisation code.
    pub auth_code: Option<String>,
    /// The card's brand.
    pub card_brand: Option<String>,
    /// The card's last four digits.
    pub card_last4: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// When created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A change of an online payment's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineChange {
    /// The status it must be in.
    pub from: OnlineStatus,
    /// The status it moves to.
    pub to: OnlineStatus,
    /// The acquirer's authorisation code.
    pub auth_code: Option<String>,
    /// The card's brand.
    pub card_brand: Option<String>,
    /// The card's last four digits.
    pub card_last4: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// On success: the payment of the bill, recorded in the same transaction.
    pub payment: Option<NewPayment>,
}

/// Which applications to list. Empty fields are not filtered on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    /// At this centre.
    pub centre: Option<String>,
    /// Of this provider.
    pub provider: Option<String>,
    /// In these states.
    pub states: Vec<String>,
    /// Not yet done or rejected.
    pub open: bool,
    /// With a legal deadline before this day.
    pub deadline_before: Option<Date>,
    /// Of this applicant.
    pub applicant_fin: Option<String>,
}

/// Why a change of an application, bill or refund failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No such application, bill, refund or online payment.
    #[error("no {0}")]
    NotFound(String),
    /// The workflow refuses the action.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The payment is refused.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// The refund or its step is refused.
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// It conflicts with what is stored: the ticket already has an application, an idempotency
    /// key was used for another action, the bill belongs to another centre, the online payment
    /// moved on.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applications, bills, payments and refunds.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Gives out the next tracking sequence number of `year` (numbers of failed creations are not
    /// reused).
    async fn reserve_tracking(&self, year: i16) -> Result<u32, StoreError>;

    /// Creates an application with its `accept` action, its fee bill and, when the bill charges
    /// something, its `bill` action, with `audit` and the notice, in one transaction. A ticket has
    /// at most one application: creating a second is a [`CaseError::Conflict`], unless `key` is
    /// the key of the first, which answers the first.
    async fn create_application(
        &self,
        new: NewApplication,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError>;

    /// The application with `tracking`, with its history and bills.
    async fn application(&self, tracking: &str) -> Result<Option<ApplicationRecord>, StoreError>;

    /// The application made from `ticket`, with its history and bills.
    async fn application_of_ticket(&self, ticket: TicketId) -> Result<Option<ApplicationRecord>, StoreError>;

    /// Up to `limit` applications `filter` admits, newest first, with bills but without history.
    async fn applications(
        &self,
        filter: &ApplicationFilter,
        limit: u32,
    ) -> Result<Vec<ApplicationRecord>, StoreError>;

    /// Takes a workflow action, decided by the change's workflow against the stored state and
    /// bills; appends it with `audit` and the notice. When the action leads to a final state that
    /// is not `done` (a rejection), unpaid bills are cancelled. An action whose `key` was already
    /// used on this application answers the application as it is when it was the same action,
    /// and is a conflict otherwise. Nothing is written when refused.
    async fn act_on_application(
        &self,
        tracking: &str,
        change: ApplicationChange,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError>;

    /// Orders delivery of the ready document to `address`, issuing `bill` (the delivery fee).
    /// Refused when delivery is already ordered or the application is in none of `states` (those
    /// its workflow can still dispatch from).
    #[allow(clippy::too_many_arguments)]
    async fn order_delivery(
        &self,
        tracking: &str,
        address: &str,
        states: &[String],
        bill: NewBill,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError>;

    /// The bill with `reference`, with its payment and refunds.
    async fn bill(&self, reference: &str) -> Result<Option<BillRecord>, StoreError>;

    /// Records a payment of the bill with `reference`, checked by
    /// [`onestop_domain::payments::check_payment`] against the stored bill; the payment's centre
    /// must be the bill's. With `audit` and the notice, in one transaction.
    async fn pay_bill(
        &self,
        reference: &str,
        payment: NewPayment,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<BillRecord, CaseError>;

    /// Asks for a refund on the bill with `reference`, checked by
    /// [`onestop_domain::payments::check_refund`] against its payment and the refunds not
    /// declined.
    async fn request_refund(
        &self,
        reference: &str,
        refund: NewRefund,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RefundRecord, CaseError>;

    /// Takes a step on refund `id` by `actor`; executing it adds to the bill's refunded amount,
    /// on `today`.
    async fn refund_step(
        &self,
        id: i64,
        step: RefundStep,
        actor: &str,
        today: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RefundRecord, CaseError>;

    /// Refund `id`.
    async fn refund(&self, id: i64) -> Result<Option<RefundRecord>, StoreError>;

    /// The refunds of bills of `centre` in `states` (all when empty), oldest first.
    async fn refunds(&self, centre: &str, states: &[RefundState]) -> Result<Vec<RefundRecord>, StoreError>;

    /// Creates an online payment of the bill, status `created`; its amount must be the amount due.
    async fn create_online_payment(
        &self,
        new: NewOnlinePayment,
        now: Timestamp,
    ) -> Result<OnlinePaymentRecord, CaseError>;

    /// The online payment `id`.
    async fn online_payment(&self, id: &str) -> Result<Option<OnlinePaymentRecord>, StoreError>;

    /// Moves online payment `id` from `change.from` to `change.to` (a conflict if it is not in
    /// `from`), recording the bill's payment when the change carries one, in one transaction.
    async fn change_online_payment(
        &self,
        id: &str,
        change: OnlineChange,
        now: Timestamp,
        audit: Option<AuditEvent>,
    ) -> Result<OnlinePaymentRecord, CaseError>;

    /// The money of `centre` on `day` (see [`Reconciliation`]).
    async fn reconciliation(&self, centre: &str, day: Date) -> Result<Reconciliation, StoreError>;
}

/// A value as the JSON text both backends store in a text column (documents, waivers).
pub fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

/// What [`from_json_text`] reads.
pub trait Decode: serde::de::DeserializeOwned {}

impl<T: serde::de::DeserializeOwned> Decode for T {}

/// Reads back [`json_text`] stored in `column`.
pub fn from_json_text<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::invalid(column, text))
}
