//! Ratings: a score of 1 to 5 with optional reasons and a comment, and the satisfaction rate (the
//! share of ratings of 4 or 5).

use serde::{Deserialize, Serialize};

/// The longest comment a rating keeps, in characters.
pub const COMMENT_MAX: usize = 1000;

/// A score from 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Score(u8);

impl Score {
    /// The score `value`, if it is 1 to 5.
    pub fn new(value: i64) -> Result<Score, RatingError> {
        u8::try_from(value).ok().filter(|v| (1..=5).contains(v)).map(Score).ok_or(RatingError::Score(value))
    }

    /// The number.
    pub fn value(self) -> u8 {
        self.0
    }

    /// Whether the score counts as satisfied: 4 or 5.
    pub fn satisfied(self) -> bool {
        self.0 >= 4
    }
}

impl TryFrom<i64> for Score {
    type Error = RatingError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Score::new(value)
    }
}

impl From<Score> for i64 {
    fn from(score: Score) -> i64 {
        i64::from(score.0)
    }
}

/// A reason a citizen may tick beside the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// How long the wait was.
    WaitingTime,
    /// How polite the officer was.
    Courtesy,
    /// How well the officer knew the service.
    Competence,
    /// How fast the service was.
    Speed,
    /// How clear the information given was.
    Information,
    /// The premises: cleanliness, comfort, accessibility.
    Premises,
}

impl Reason {
    /// Every reason, in the order screens show them.
    pub const ALL: [Reason; 6] = [
        Reason::WaitingTime,
        Reason::Courtesy,
        Reason::Competence,
        Reason::Speed,
        Reason::Information,
        Reason::Premises,
    ];

    /// The reason's name in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::WaitingTime => "waiting_time",
            Reason::Courtesy => "courtesy",
            Reason::Competence => "competence",
            Reason::Speed => "speed",
            Reason::Information => "information",
            Reason::Premises => "premises",
        }
    }

    /// The reason named `name`.
    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Where a rating was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// The feedback tablet at the window, right after the service, about that ticket.
    Tablet,
    /// The exit-poll screen of a centre, about the visit as a whole.
    ExitPoll,
}

impl RatingChannel {
    /// The channel's name in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RatingChannel::Tablet => "tablet",
            RatingChannel::ExitPoll => "exit_poll",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<RatingChannel> {
        [RatingChannel::Tablet, RatingChannel::ExitPoll].into_iter().find(|c| c.as_str() == name)
    }
}

/// What a citizen said: the score, reasons and a comment, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The score.
    pub score: Score,
    /// The reasons ticked, each once, in [`Reason::ALL`] order.
    pub reasons: Vec<Reason>,
    /// The comment, trimmed; `None` when empty.
    pub comment: Option<String>,
}

/// Why a rating is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    /// The score is not 1 to 5.
    #[error("the score must be a whole number from 1 to 5, not {0}")]
    Score(i64),
    /// A reason is not one of [`Reason::ALL`].
    #[error("{0:?} is not a reason: use waiting_time, courtesy, competence, speed, information or premises")]
    Reason(String),
    /// The comment is too long.
    #[error("the comment is longer than {COMMENT_MAX} characters")]
    CommentTooLong,
}

impl RatingError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            RatingError::Score(_) => "score",
            RatingError::Reason(_) => "reasons",
            RatingError::CommentTooLong => "comment",
        }
    }
}

impl Verdict {
    /// Checks a score, reason names and a comment.
    pub fn parse(score: i64, reasons: &[String], comment: Option<&str>) -> Result<Verdict, RatingError> {
        let score = Score::new(score)?;
        let mut picked = Vec::new();
        for name in reasons {
            let reason = Reason::parse(name).ok_or_else(|| RatingError::Reason(name.clone()))?;
            picked.push(reason);
        }
        picked.sort();
        picked.dedup();
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > COMMENT_MAX) {
            return Err(RatingError::CommentTooLong);
        }
        Ok(Verdict { score, reasons: picked, comment: comment.map(str::to_owned) })
    }

    /// The reasons as stored: names joined by `,`.
    pub fn reasons_text(&self) -> String {
        self.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// Parses stored reasons (names joined by `,`), skipping unknown names.
pub fn parse_reasons(text: &str) -> Vec<Reason> {
    text.split(',').filter_map(Reason::parse).collect()
}

/// Ratings counted: how many, and how many were 4 or 5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Satisfaction {
    /// Ratings given.
    pub ratings: u64,
    /// Of them, scores of 4 or 5.
    pub satisfied: u64,
}

impl Satisfaction {
    /// The satisfaction rate in tenths of a percent (985 is 98.5 %), rounded half up; `None`
    /// without ratings.
    pub fn per_mille(&self) -> Option<u64> {
        (self.ratings > 0).then(|| (self.satisfied * 2000 + self.ratings) / (2 * self.ratings))
    }

    /// The rate as a percentage with one decimal, e.g. `98.5`, for display.
    pub fn percent_text(&self) -> Option<String> {
        self.per_mille().map(|m| format!("{}.{}", m / 10, m % 10))
    }

    /// Adds one score.
    pub fn add(&mut self, score: Score) {
        self.ratings += 1;
        if score.satisfied() {
            self.satisfied += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_one_to_five() {
        assert!(Score::new(0).is_err());
        assert!(Score::new(6).is_err());
        assert!(Score::new(-1).is_err());
        assert_eq!(Score::new(5).unwrap().value(), 5);
        assert!(Score::new(4).unwrap().satisfied());
        assert!(!Score::new(3).unwrap().satisfied());
    }

    #[test]
    fn verdicts_check_reasons_and_comment() {
        let v =
            Verdict::parse(4, &["speed".into(), "courtesy".into(), "speed".into()], Some("  fine ")).unwrap();
        assert_eq!(v.reasons, vec![Reason::Courtesy, Reason::Speed]);
        assert_eq!(v.reasons_text(), "courtesy,speed");
        assert_eq!(v.comment.as_deref(), Some("fine"));
        assert_eq!(parse_reasons(&v.reasons_text()), v.reasons);
        assert_eq!(Verdict::parse(4, &["rude".into()], None).unwrap_err().field(), "reasons");
        assert_eq!(Verdict::parse(4, &[], Some(&"x".repeat(1001))).unwrap_err(), RatingError::CommentTooLong);
        assert_eq!(Verdict::parse(4, &[], Some("  ")).unwrap().comment, None);
    }

    #[test]
    fn satisfaction_is_the_share_of_fours_and_fives() {
        let mut s = Satisfaction::default();
        assert_eq!(s.per_mille(), None);
        for v in [5, 4, 3, 1, 5, 5, 4, 2] {
            s.add(Score::new(v).unwrap());
        }
        assert_eq!(s, Satisfaction { ratings: 8, satisfied: 5 });
        assert_eq!(s.per_mille(), Some(625));
        assert_eq!(s.percent_text().as_deref(), Some("62.5"));
        let third = Satisfaction { ratings: 3, satisfied: 2 };
        assert_eq!(third.per_mille(), Some(667));
    }
}
