//! The storage contract of the notification outbox: messages written in the transaction of the
//! event that causes them (the area's own store methods take the [`Message`] and insert it with
//! [`OutboxStore`]'s table), claimed by the server's worker for delivery, and marked sent or
//! failed with the next try's time.

use crate::StoreError;
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::notify::Message;

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for its (next) try.
    Pending,
    /// Handed to the mail server or SMS gateway.
    Sent,
    /// Given up after the last try.
    Failed,
}

impl DeliveryState {
    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<DeliveryState> {
        [DeliveryState::Pending, DeliveryState::Sent, DeliveryState::Failed]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Its id.
    pub id: i64,
    /// When the event that caused it happened.
    pub created_at: Timestamp,
    /// The message.
    pub message: Message,
    /// Where it is.
    pub state: DeliveryState,
    /// Failed tries so far.
    pub attempts: u32,
    /// When it is (next) due.
    pub next_attempt_at: Timestamp,
    /// The last failure's cause.
    pub last_error: Option<String>,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
}

/// The outbox of email and SMS messages.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Adds a message on its own (for events with no other write); areas add theirs inside their
    /// own transactions instead.
    async fn enqueue_message(&self, message: &Message, now: Timestamp) -> Result<i64, StoreError>;

    /// Claims up to `limit` pending messages due at `now`, oldest first: each is leased until
    /// `now + lease` (its due time moves there), so another worker does not take it meanwhile.
    async fn claim_messages(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Marks the messages `ids` sent at `now`, in one transaction.
    async fn messages_sent(&self, ids: &[i64], now: Timestamp) -> Result<(), StoreError>;

    /// Records a failed try of message `id`: due again at `retry_at`, or failed for good when `None`.
    async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// The newest `limit` messages, to `recipient` only when given, newest first.
    async fn outbox_messages(
        &self,
        recipient: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
}
