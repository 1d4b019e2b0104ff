//! The storage contract of surveys: questionnaires, their publication and their responses.
//! Questions and answers are stored as JSON text, encoded and decoded here so both backends
//! agree.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::survey::{Answer, Question, SurveyChannel};

/// A survey to create (unpublished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// Its code in URLs, e.g. `visit-2026`.
    pub code: String,
    /// Its title.
    pub title: String,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// Where it will be published.
    pub channels: Vec<SurveyChannel>,
}

/// A survey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRecord {
    /// Internal id.
    pub id: i64,
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// The questions.
    pub questions: Vec<Question>,
    /// Where it is published.
    pub channels: Vec<SurveyChannel>,
    /// When created.
    pub created_at: Timestamp,
    /// When published; unpublished surveys take no answers.
    pub published_at: Option<Timestamp>,
}

/// Questions as stored.
pub fn encode_questions(questions: &[Question]) -> String {
    serde_json::to_string(questions).unwrap_or_else(|_| "[]".into())
}

/// Questions from storage.
pub fn decode_questions(text: &str) -> Result<Vec<Question>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored survey questions: {e}")))
}

/// Answers as stored.
pub fn encode_answers(answers: &[Answer]) -> String {
    serde_json::to_string(answers).unwrap_or_else(|_| "[]".into())
}

/// Answers from storage.
pub fn decode_answers(text: &str) -> Result<Vec<Answer>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored survey answers: {e}")))
}

/// Channels as stored: names joined by `,`.
pub fn encode_channels(channels: &[SurveyChannel]) -> String {
    channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

/// Channels from storage.
pub fn decode_channels(text: &str) -> Vec<SurveyChannel> {
    text.split(',').filter_map(SurveyChannel::parse).collect()
}

/// Surveys.
#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Creates a survey with `audit`; a taken code is a [`StoreError::Conflict`].
    async fn create_survey(
        &self,
        new: NewSurvey,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<SurveyRecord, StoreError>;

    /// Publishes the survey `code` (again: no change); [`StoreError::NotFound`] if none.
    async fn publish_survey(
        &self,
        code: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<SurveyRecord, StoreError>;

    /// The survey `code`.
    async fn survey(&self, code: &str) -> Result<Option<SurveyRecord>, StoreError>;

    /// Every survey, newest first.
    async fn surveys(&self) -> Result<Vec<SurveyRecord>, StoreError>;

    /// Stores one response (checked by the caller against the questions) from `channel`.
    async fn answer_survey(
        &self,
        survey_id: i64,
        channel: SurveyChannel,
        answers: &[Answer],
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError>;

    /// Every response to the survey, oldest first.
    async fn survey_responses(&self, survey_id: i64) -> Result<Vec<Vec<Answer>>, StoreError>;
}
