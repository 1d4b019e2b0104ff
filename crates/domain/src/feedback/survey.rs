//! Surveys: a short questionnaire of scale, choice and text questions an analyst defines and
//! publishes on the web, on feedback tablets or as a link sent after service; answers are
//! checked against it, and responses aggregated.

use serde::{Deserialize, Serialize};

/// The most questions a survey has.
pub const MAX_QUESTIONS: usize = 20;
/// The longest text answer.
pub const TEXT_MAX: usize = 2000;

/// A question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Question {
    /// A number from `min` to `max`, e.g. 1 to 5.
    Scale {
        /// What is asked.
        prompt: String,
        /// The lowest answer.
        min: i64,
        /// The highest answer.
        max: i64,
    },
    /// One of `options`.
    Choice {
        /// What is asked.
        prompt: String,
        /// The options, answered by their index from 0.
        options: Vec<String>,
    },
    /// Free text.
    Text {
        /// What is asked.
        prompt: String,
    },
}

/// Where a survey is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyChannel {
    /// The public web page.
    Web,
    /// The feedback tablets.
    Tablet,
    /// A link sent after service.
    Link,
}

impl SurveyChannel {
    /// The channel's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyChannel::Web => "web",
            SurveyChannel::Tablet => "tablet",
            SurveyChannel::Link => "link",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<SurveyChannel> {
        [SurveyChannel::Web, SurveyChannel::Tablet, SurveyChannel::Link]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// An answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// A scale value or a choice's index.
    Number(i64),
    /// A text.
    Text(String),
}

/// Why a survey or an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    /// The definition is not usable.
    #[error("{0}")]
    Definition(String),
    /// The answers do not match the questions.
    #[error("answer {question}: {reason}")]
    Answer {
        /// The question's index from 0.
        question: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Checks a survey's title and questions.
pub fn check_survey(title: &str, questions: &[Question]) -> Result<(), SurveyError> {
    let bad = |m: &str| Err(SurveyError::Definition(m.to_owned()));
    if title.trim().is_empty() || title.chars().count() > 200 {
        return bad("give the survey a title of at most 200 characters");
    }
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return bad("a survey has 1 to 20 questions");
    }
    for q in questions {
        let prompt = match q {
            Question::Scale { prompt, min, max } => {
                if !(0..=100).contains(min) || !(0..=100).contains(max) || min >= max {
                    return bad("a scale runs from a lower to a higher number between 0 and 100");
                }
                prompt
            }
            Question::Choice { prompt, options } => {
                if !(2..=10).contains(&options.len()) || options.iter().any(|o| o.trim().is_empty()) {
                    return bad("a choice has 2 to 10 options, none empty");
                }
                prompt
            }
            Question::Text { prompt } => prompt,
        };
        if prompt.trim().is_empty() {
            return bad("every question needs a prompt");
        }
    }
    Ok(())
}

/// Checks `answers` against `questions`: one per question, in range; text may be empty.
pub fn check_answers(questions: &[Question], answers: &[Answer]) -> Result<(), SurveyError> {
    let wrong = |question: usize, reason: String| Err(SurveyError::Answer { question, reason });
    if answers.len() != questions.len() {
        return wrong(
            answers.len().min(questions.len()),
            format!("answer all {} questions", questions.len()),
        );
    }
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        match (q, a) {
            (Question::Scale { min, max, .. }, Answer::Number(n)) if (min..=max).contains(&n) => {}
            (Question::Scale { min, max, .. }, _) => {
                return wrong(i, format!("give a number from {min} to {max}"));
            }
            (Question::Choice { options, .. }, Answer::Number(n))
                if usize::try_from(*n).is_ok_and(|n| n < options.len()) => {}
            (Question::Choice { options, .. }, _) => {
                return wrong(i, format!("choose an option from 0 to {}", options.len() - 1));
            }
            (Question::Text { .. }, Answer::Text(t)) if t.chars().count() <= TEXT_MAX => {}
            (Question::Text { .. }, _) => return wrong(i, format!("write at most {TEXT_MAX} characters")),
        }
    }
    Ok(())
}

/// The aggregate of one question over every response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tally {
    /// A scale: how many answered each value, and the mean.
    Scale {
        /// Responses.
        responses: u64,
        /// Count per value from `min` to `max`.
        counts: Vec<u64>,
        /// The mean, if any response.
        mean: Option<f64>,
    },
    /// A choice: how many chose each option.
    Choice {
        /// Responses.
        responses: u64,
        /// Count per option.
        counts: Vec<u64>,
    },
    /// Free text: how many wrote something, and the latest texts.
    Text {
        /// Non-empty answers.
        responses: u64,
        /// Up to 20 of the newest, newest first.
        latest: Vec<String>,
    },
}

/// Aggregates `responses` (oldest first) to `questions`.
pub fn tally(questions: &[Question], responses: &[Vec<Answer>]) -> Vec<Tally> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let answers = responses.iter().filter_map(|r| r.get(i));
            match q {
                Question::Scale { min, max, .. } => {
                    let mut counts = vec![0u64; usize::try_from(max - min + 1).unwrap_or(0)];
                    let (mut n, mut sum) = (0u64, 0i64);
                    for a in answers {
                        if let Answer::Number(v) = a
                            && let Some(c) = usize::try_from(v - min).ok().and_then(|k| counts.get_mut(k))
                        {
                            *c += 1;
                            n += 1;
                            sum += v;
                        }
                    }
                    let mean = (n > 0).then(|| (sum as f64 / n as f64 * 100.0).round() / 100.0);
                    Tally::Scale { responses: n, counts, mean }
                }
                Question::Choice { options, .. } => {
                    let mut counts = vec![0u64; options.len()];
                    for a in answers {
                        if let Answer::Number(v) = a
                            && let Some(c) = usize::try_from(*v).ok().and_then(|k| counts.get_mut(k))
                        {
                            *c += 1;
                        }
                    }
                    Tally::Choice { responses: counts.iter().sum(), counts }
                }
                Question::Text { .. } => {
                    let texts: Vec<String> = answers
                        .filter_map(|a| match a {
                            Answer::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
                            _ => None,
                        })
                        .collect();
                    let latest = texts.iter().rev().take(20).cloned().collect();
                    Tally::Text { responses: texts.len() as u64, latest }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<Question> {
        vec![
            Question::Scale { prompt: "How easy?".into(), min: 1, max: 5 },
            Question::Choice {
                prompt: "How did you come?".into(),
                options: vec!["Bus".into(), "Car".into()],
            },
            Question::Text { prompt: "Anything else?".into() },
        ]
    }

    #[test]
    fn definitions_are_checked() {
        assert!(check_survey("Visit", &questions()).is_ok());
        assert!(check_survey(" ", &questions()).is_err());
        assert!(check_survey("Visit", &[]).is_err());
        let bad_scale = [Question::Scale { prompt: "x".into(), min: 5, max: 5 }];
        assert!(check_survey("Visit", &bad_scale).is_err());
        let one_option = [Question::Choice { prompt: "x".into(), options: vec!["a".into()] }];
        assert!(check_survey("Visit", &one_option).is_err());
    }

    #[test]
    fn answers_out_of_range_are_refused() {
        let q = questions();
        let ok = vec![Answer::Number(4), Answer::Number(1), Answer::Text("Thanks".into())];
        assert!(check_answers(&q, &ok).is_ok());
        let high = vec![Answer::Number(6), Answer::Number(1), Answer::Text(String::new())];
        assert!(matches!(check_answers(&q, &high), Err(SurveyError::Answer { question: 0, .. })));
        let choice = vec![Answer::Number(3), Answer::Number(2), Answer::Text(String::new())];
        assert!(matches!(check_answers(&q, &choice), Err(SurveyError::Answer { question: 1, .. })));
        assert!(check_answers(&q, &ok[..2]).is_err());
        let text_as_number = vec![Answer::Number(3), Answer::Number(0), Answer::Number(1)];
        assert!(check_answers(&q, &text_as_number).is_err());
    }

    #[test]
    fn responses_are_tallied() {
        let q = questions();
        let r = vec![
            vec![Answer::Number(5), Answer::Number(0), Answer::Text("Good".into())],
            vec![Answer::Number(2), Answer::Number(0), Answer::Text(" ".into())],
        ];
        let t = tally(&q, &r);
        assert_eq!(t[0], Tally::Scale { responses: 2, counts: vec![0, 1, 0, 0, 1], mean: Some(3.5) });
        assert_eq!(t[1], Tally::Choice { responses: 2, counts: vec![2, 0] });
        assert_eq!(t[2], Tally::Text { responses: 1, latest: vec!["Good".into()] });
    }
}
