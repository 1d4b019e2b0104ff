//! The flows of the Bank of Ideas, shared by the API and the pages: submitting an idea, the
//! commission's scores and decision, and each idea's public status.

use crate::AppState;
use crate::auth::{Caller, random_bytes};
use crate::problem::ApiError;
use onestop_domain::feedback::complaint;
use onestop_domain::feedback::idea::{
    self, CRITERIA, IdeaError, check_idea, check_scores, max_total, weighted_total,
};
use onestop_store::StoreError;
use onestop_store::ideas::{IdeaRecord, IdeaStepError, NewIdea, Reward};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A published criterion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionView {
    /// Its code.
    pub code: String,
    /// Its weight in the total.
    pub weight: u8,
    /// The highest score on it.
    pub max_score: u8,
}

/// The published criteria.
pub fn criteria() -> Vec<CriterionView> {
    CRITERIA
        .iter()
        .map(|c| CriterionView { code: c.code.into(), weight: c.weight, max_score: idea::MAX_SCORE })
        .collect()
}

/// An idea to submit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct IdeaRequest {
    /// A short title.
    #[serde(default)]
    pub title: String,
    /// What the idea is.
    #[serde(default)]
    pub text: String,
    /// The author's name, shown publicly if given.
    #[serde(default)]
    pub author: Option<String>,
    /// How to reach the author about a reward (never shown).
    #[serde(default)]
    pub contact: Option<String>,
}

/// A reward.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RewardView {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// A note.
    pub note: Option<String>,
}

/// An idea as the public sees it (no contact details).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdeaView {
    /// Its reference.
    pub reference: String,
    /// The title.
    pub title: String,
    /// The description.
    pub text: String,
    /// The author, if named.
    pub author: Option<String>,
    /// `submitted`, `under_review`, `accepted` or `rejected`.
    pub status: String,
    /// When submitted (RFC 3339).
    pub submitted_at: String,
    /// How many commission members scored it.
    pub reviewers: usize,
    /// The mean weighted score as a share of the highest, in percent (one decimal).
    pub score_percent: Option<f64>,
    /// The mean score per criterion.
    pub criteria: BTreeMap<String, f64>,
    /// The reward, once accepted.
    pub reward: Option<RewardView>,
}

/// The public view of `r`.
pub fn view(r: &IdeaRecord) -> IdeaView {
    let n = r.scores.len();
    let score_percent = (n > 0).then(|| {
        let total: u32 = r.scores.iter().map(|m| weighted_total(&m.scores)).sum();
        (f64::from(total) * 1000.0 / (f64::from(max_total()) * n as f64)).round() / 10.0
    });
    let mut criteria = BTreeMap::new();
    if n > 0 {
        for c in CRITERIA {
            let sum: u32 = r
                .scores
                .iter()
                .flat_map(|m| m.scores.iter().filter(|(k, _)| k == c.code).map(|(_, s)| u32::from(*s)))
                .sum();
            criteria.insert(c.code.to_owned(), (f64::from(sum) * 100.0 / n as f64).round() / 100.0);
        }
    }
    IdeaView {
        reference: r.reference.clone(),
        title: r.title.clone(),
        text: r.text.clone(),
        author: r.author.clone(),
        status: r.status.as_str().into(),
        submitted_at: r.submitted_at.to_string(),
        reviewers: n,
        score_percent,
        criteria,
        reward: r.reward.as_ref().map(|w| RewardView {
            amount_minor: w.amount_minor,
            currency: w.currency.clone(),
            note: w.note.clone(),
        }),
    }
}

fn rule(e: IdeaError) -> ApiError {
    match e {
        IdeaError::Decided | IdeaError::NotScored => ApiError::conflict(e.to_string()),
        other => ApiError::unprocessable(other.field(), other.to_string()),
    }
}

fn step_error(e: IdeaStepError) -> ApiError {
    match e {
        IdeaStepError::NotFound(r) => ApiError::not_found(format!("there is no idea {r}")),
        IdeaStepError::Rule(e) => rule(e),
        IdeaStepError::Store(e) => e.into(),
    }
}

/// Submits an idea; answers it with its reference.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    request: &IdeaRequest,
) -> Result<IdeaRecord, ApiError> {
    let (title, text) = check_idea(&request.title, &request.text).map_err(rule)?;
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let now = state.now();
    for _ in 0..3 {
        let random = random_bytes();
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&random[..8]);
        let reference = format!("ID-{}", &complaint::reference(&eight)[3..]);
        let new = NewIdea {
            reference: reference.clone(),
            title: title.clone(),
            text: text.clone(),
            author: clean(&request.author),
            contact: clean(&request.contact),
        };
        let event = caller.event(now, "idea.submit", format!("idea {reference} submitted"));
        match state.store.submit_idea(new, now, event).await {
            Err(StoreError::Conflict(_)) => continue,
            other => return Ok(other?),
        }
    }
    Err(ApiError::internal())
}

/// The idea with `reference`, or 404.
pub async fn find(state: &AppState, reference: &str) -> Result<IdeaRecord, ApiError> {
    let reference = reference.trim().to_ascii_uppercase();
    state
        .store
        .idea(&reference)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no idea {reference}")))
}

/// A commission member's scores: criterion code → 0 to 5.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ScoresRequest {
    /// A score from 0 to 5 for every published criterion.
    #[serde(default)]
    pub scores: BTreeMap<String, i64>,
}

/// Records the caller's scores of an idea.
pub async fn score(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    request: &ScoresRequest,
) -> Result<IdeaRecord, ApiError> {
    let member = caller.staff().map(|s| s.login.clone()).ok_or_else(|| {
        ApiError::new(axum::http::StatusCode::FORBIDDEN, "only commission members score ideas")
    })?;
    let scores: Vec<(String, i64)> = request.scores.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let scores = check_scores(&scores).map_err(rule)?;
    let idea = find(state, reference).await?;
    let now = state.now();
    let event =
        caller.event(now, "idea.score", format!("{} scored: {}", idea.reference, weighted_total(&scores)));
    state.store.score_idea(&idea.reference, &member, scores, now, event).await.map_err(step_error)
}

/// The commission's decision.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// Accept (with a reward) or reject.
    #[serde(default)]
    pub accept: bool,
    /// The reward in minor units of the country's currency, for an accepted idea.
    #[serde(default)]
    pub reward_minor: Option<i64>,
    /// A note on the reward.
    #[serde(default)]
    pub note: Option<String>,
}

/// Accepts or rejects an idea.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    request: &DecisionRequest,
) -> Result<IdeaRecord, ApiError> {
    let member = caller.staff().map(|s| s.login.clone()).ok_or_else(|| {
        ApiError::new(axum::http::StatusCode::FORBIDDEN, "only commission members decide on ideas")
    })?;
    let idea = find(state, reference).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let reward = request.reward_minor.map(|amount_minor| Reward {
        amount_minor,
        currency: loaded.catalogue.country.currency.code.clone(),
        note: request.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
    });
    let now = state.now();
    let verb = if request.accept { "accepted" } else { "rejected" };
    let event = caller.event(now, "idea.decide", format!("{} {verb}", idea.reference));
    state
        .store
        .decide_idea(&idea.reference, request.accept, reward, &member, now, event)
        .await
        .map_err(step_error)
}
