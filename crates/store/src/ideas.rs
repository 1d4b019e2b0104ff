//! The storage contract of the Bank of Ideas: ideas, the commission's scores and decisions, and
//! rewards. A score or a decision is checked against the stored idea in the transaction that
//! writes it, with its audit entry.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::idea::{IdeaError, IdeaStatus};

/// An idea to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdea {
    /// Its public reference.
    pub reference: String,
    /// The title.
    pub title: String,
    /// The description.
    pub text: String,
    /// The author's name, if given (shown publicly).
    pub author: Option<String>,
    /// How to reach the author about a reward (never public).
    pub contact: Option<String>,
}

/// One commission member's scores of an idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberScores {
    /// The member's login.
    pub member: String,
    /// Per criterion, in the published order.
    pub scores: Vec<(String, u8)>,
    /// When last scored.
    pub at: Timestamp,
}

/// The reward of an accepted idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    /// The amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// A note, e.g. how it is paid.
    pub note: Option<String>,
}

/// An idea as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaRecord {
    /// Internal id.
    pub id: i64,
    /// Its public reference.
    pub reference: String,
    /// The title.
    pub title: String,
    /// The description.
    pub text: String,
    /// The author's name.
    pub author: Option<String>,
    /// How to reach the author.
    pub contact: Option<String>,
    /// Where it stands.
    pub status: IdeaStatus,
    /// When submitted.
    pub submitted_at: Timestamp,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// The commission's scores, by member login.
    pub scores: Vec<MemberScores>,
    /// The reward, once accepted.
    pub reward: Option<Reward>,
}

/// Why scoring or deciding failed.
#[derive(Debug, thiserror::Error)]
pub enum IdeaStepError {
    /// No idea has the reference.
    #[error("no idea {0}")]
    NotFound(String),
    /// The rules refuse it.
    #[error(transparent)]
    Rule(#[from] IdeaError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Bank of Ideas.
#[async_trait]
pub trait IdeaStore: Send + Sync {
    /// Stores a submitted idea with `audit`.
    async fn submit_idea(
        &self,
        new: NewIdea,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, StoreError>;

    /// The idea with `reference`, with scores and reward.
    async fn idea(&self, reference: &str) -> Result<Option<IdeaRecord>, StoreError>;

    /// The newest `limit` ideas, with scores and rewards.
    async fn ideas(&self, limit: u32) -> Result<Vec<IdeaRecord>, StoreError>;

    /// Records (or replaces) `member`'s scores of an open idea, which is then under review.
    async fn score_idea(
        &self,
        reference: &str,
        member: &str,
        scores: Vec<(String, u8)>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, IdeaStepError>;

    /// Accepts (with `reward`) or rejects a scored, open idea, checked by
    /// `onestop_domain::feedback::idea::check_decision` against what is stored.
    async fn decide_idea(
        &self,
        reference: &str,
        accept: bool,
        reward: Option<Reward>,
        member: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<IdeaRecord, IdeaStepError>;
}
