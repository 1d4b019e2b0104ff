//! The Bank of Ideas: anyone submits an idea; the commission scores it against published
//! criteria; accepted ideas get a reward and every idea a public status.

use serde::{Deserialize, Serialize};

/// The highest score a member gives on one criterion.
pub const MAX_SCORE: u8 = 5;

/// A published criterion ideas are scored against, with its weight in the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Criterion {
    /// Its code.
    pub code: &'static str,
    /// How much it weighs.
    pub weight: u8,
}

/// The published criteria.
pub const CRITERIA: [Criterion; 4] = [
    Criterion { code: "citizen_benefit", weight: 3 },
    Criterion { code: "feasibility", weight: 2 },
    Criterion { code: "cost_saving", weight: 2 },
    Criterion { code: "novelty", weight: 1 },
];

/// The weighted total of one member's scores, out of [`max_total`].
pub fn weighted_total(scores: &[(String, u8)]) -> u32 {
    CRITERIA
        .iter()
        .map(|c| {
            let s = scores.iter().find(|(code, _)| code == c.code).map_or(0, |(_, s)| *s);
            u32::from(c.weight) * u32::from(s)
        })
        .sum()
}

/// The highest weighted total.
pub fn max_total() -> u32 {
    CRITERIA.iter().map(|c| u32::from(c.weight) * u32::from(MAX_SCORE)).sum()
}

/// Where an idea stands, publicly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    /// Submitted, not yet scored.
    Submitted,
    /// Scored by at least one commission member.
    UnderReview,
    /// Accepted, with a reward.
    Accepted,
    /// Not accepted.
    Rejected,
}

impl IdeaStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdeaStatus::Submitted => "submitted",
            IdeaStatus::UnderReview => "under_review",
            IdeaStatus::Accepted => "accepted",
            IdeaStatus::Rejected => "rejected",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<IdeaStatus> {
        [IdeaStatus::Submitted, IdeaStatus::UnderReview, IdeaStatus::Accepted, IdeaStatus::Rejected]
            .into_iter()
            .find(|s| s.as_str() == name)
    }

    /// Whether the commission still works on it.
    pub fn open(self) -> bool {
        matches!(self, IdeaStatus::Submitted | IdeaStatus::UnderReview)
    }
}

/// Why an idea, a score or a decision is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdeaError {
    /// The title is empty or longer than 200 characters.
    #[error("give the idea a title of at most 200 characters")]
    Title,
    /// The description is empty or longer than 5000 characters.
    #[error("describe the idea in at most 5000 characters")]
    Text,
    /// A criterion is unknown, missing or scored out of 0 to 5.
    #[error("score every criterion ({0}) from 0 to 5")]
    Scores(String),
    /// The idea was decided already.
    #[error("the idea was already decided")]
    Decided,
    /// A decision before any score.
    #[error("the commission has not scored the idea yet")]
    NotScored,
    /// An acceptance without a positive reward, or a rejection with one.
    #[error("an accepted idea needs a reward greater than zero; a rejected one none")]
    Reward,
}

impl IdeaError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            IdeaError::Title => "title",
            IdeaError::Text => "text",
            IdeaError::Scores(_) => "scores",
            IdeaError::Decided | IdeaError::NotScored => "decision",
            IdeaError::Reward => "reward_minor",
        }
    }
}

/// Checks a title and description; answers them trimmed.
pub fn check_idea(title: &str, text: &str) -> Result<(String, String), IdeaError> {
    let (title, text) = (title.trim(), text.trim());
    if title.is_empty() || title.chars().count() > 200 {
        return Err(IdeaError::Title);
    }
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(IdeaError::Text);
    }
    Ok((title.to_owned(), text.to_owned()))
}

fn criteria_list() -> String {
    CRITERIA.iter().map(|c| c.code).collect::<Vec<_>>().join(", ")
}

/// Checks a member's scores: every criterion exactly once, each 0 to 5; answers them in
/// [`CRITERIA`] order.
pub fn check_scores(scores: &[(String, i64)]) -> Result<Vec<(String, u8)>, IdeaError> {
    let refused = || IdeaError::Scores(criteria_list());
    if scores.len() != CRITERIA.len() {
        return Err(refused());
    }
    CRITERIA
        .iter()
        .map(|c| {
            let mut found = scores.iter().filter(|(code, _)| code == c.code);
            let (Some((_, s)), None) = (found.next(), found.next()) else { return Err(refused()) };
            let s = u8::try_from(*s).ok().filter(|s| *s <= MAX_SCORE).ok_or_else(refused)?;
            Ok((c.code.to_owned(), s))
        })
        .collect()
}

/// Checks a decision on an idea in `status` scored by `members` members.
pub fn check_decision(
    status: IdeaStatus,
    members: usize,
    accept: bool,
    reward_minor: Option<i64>,
) -> Result<IdeaStatus, IdeaError> {
    if !status.open() {
        return Err(IdeaError::Decided);
    }
    if members == 0 {
        return Err(IdeaError::NotScored);
    }
    match (accept, reward_minor) {
        (true, Some(r)) if r > 0 => Ok(IdeaStatus::Accepted),
        (false, None) => Ok(IdeaStatus::Rejected),
        _ => Err(IdeaError::Reward),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(v: i64) -> Vec<(String, i64)> {
        CRITERIA.iter().map(|c| (c.code.to_owned(), v)).collect()
    }

    #[test]
    fn scores_cover_every_criterion_within_range() {
        let ok = check_scores(&all(4)).unwrap();
        assert_eq!(weighted_total(&ok), 32);
        assert_eq!(max_total(), 40);
        assert!(check_scores(&all(6)).is_err());
        assert!(check_scores(&all(-1)).is_err());
        assert!(check_scores(&all(3)[..3]).is_err());
        let mut twice = all(3);
        twice[3].0 = "feasibility".into();
        assert_eq!(check_scores(&twice).unwrap_err().field(), "scores");
    }

    #[test]
    fn decisions_need_scores_and_a_reward_for_acceptance() {
        assert_eq!(check_decision(IdeaStatus::Submitted, 0, true, Some(100)), Err(IdeaError::NotScored));
        assert_eq!(check_decision(IdeaStatus::UnderReview, 1, true, Some(5000)), Ok(IdeaStatus::Accepted));
        assert_eq!(check_decision(IdeaStatus::UnderReview, 1, true, None), Err(IdeaError::Reward));
        assert_eq!(check_decision(IdeaStatus::UnderReview, 1, true, Some(0)), Err(IdeaError::Reward));
        assert_eq!(check_decision(IdeaStatus::UnderReview, 1, false, None), Ok(IdeaStatus::Rejected));
        assert_eq!(check_decision(IdeaStatus::Accepted, 1, false, None), Err(IdeaError::Decided));
        assert!(check_idea(" ", "x").is_err());
        assert_eq!(check_idea(" Queue SMS ", " Text me ").unwrap(), ("Queue SMS".into(), "Text me".into()));
    }
}
