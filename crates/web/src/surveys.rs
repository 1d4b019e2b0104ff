//! The flows of surveys, shared by the API and the pages: an analyst defines and publishes a
//! questionnaire; people answer it on the web, on a feedback tablet or through a link sent after
//! service; the responses are tallied.

use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use onestop_domain::feedback::survey::{
    Answer, Question, SurveyChannel, SurveyError, Tally, check_answers, check_survey, tally,
};
use onestop_domain::identity::{DeviceKind, Permission, Principal, Target, check_code};
use onestop_store::surveys::{NewSurvey, SurveyRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A survey to define.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SurveyRequest {
    /// Its code in URLs (letters, digits, `-`, `_`).
    pub code: String,
    /// Its title.
    pub title: String,
    /// The questions: `{"kind": "scale", "prompt", "min", "max"}`, `{"kind": "choice", "prompt",
    /// "options"}` or `{"kind": "text", "prompt"}`.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// Where it is published: `web`, `tablet`, `link`.
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<SurveyChannel>,
}

/// A survey as it is answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    /// Its code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// The questions.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// Where it is published.
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<SurveyChannel>,
    /// Whether it takes answers.
    pub published: bool,
    /// The link to send after service.
    pub link: String,
}

/// The view of `r`.
pub fn view(state: &AppState, r: &SurveyRecord) -> SurveyView {
    SurveyView {
        code: r.code.clone(),
        title: r.title.clone(),
        questions: r.questions.clone(),
        channels: r.channels.clone(),
        published: r.published_at.is_some(),
        link: format!("{}surveys/{}?via=link", state.public_url, r.code),
    }
}

fn definition(e: SurveyError) -> ApiError {
    ApiError::unprocessable("questions", e.to_string())
}

/// Defines a survey (unpublished).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: &SurveyRequest,
) -> Result<SurveyRecord, ApiError> {
    check_code(&request.code).map_err(|e| ApiError::unprocessable("code", e.to_string()))?;
    check_survey(&request.title, &request.questions).map_err(definition)?;
    if request.channels.is_empty() {
        return Err(ApiError::unprocessable("channels", "publish on at least one of web, tablet or link"));
    }
    let now = state.now();
    let event = caller.event(now, "survey.create", format!("survey {} defined", request.code));
    let new = NewSurvey {
        code: request.code.clone(),
        title: request.title.trim().to_owned(),
        questions: request.questions.clone(),
        channels: request.channels.clone(),
    };
    Ok(state.store.create_survey(new, now, event).await?)
}

/// Publishes a survey.
pub async fn publish(state: &AppState, caller: &Caller, code: &str) -> Result<SurveyRecord, ApiError> {
    let now = state.now();
    let event = caller.event(now, "survey.publish", format!("survey {code} published"));
    Ok(state.store.publish_survey(code, now, event).await?)
}

/// The survey `code`: published ones for anyone, unpublished ones for those who manage surveys.
pub async fn find(state: &AppState, caller: &Caller, code: &str) -> Result<SurveyRecord, ApiError> {
    let missing = || ApiError::not_found(format!("there is no survey {code}"));
    let record = state.store.survey(code).await?.ok_or_else(missing)?;
    let manager = caller.authorize(Permission::ManageSurveys, Target::ANY).is_ok();
    if record.published_at.is_none() && !manager {
        return Err(missing());
    }
    Ok(record)
}

/// A response.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResponseRequest {
    /// One answer per question: a number for scale and choice (the option's index from 0), a
    /// text for text questions.
    #[schema(value_type = Vec<Object>)]
    pub answers: Vec<Answer>,
    /// `link` when answered through the link sent after service.
    #[serde(default)]
    pub via: Option<String>,
}

/// Records a response to a published survey from the channel the caller is on.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    code: &str,
    request: &ResponseRequest,
) -> Result<(), ApiError> {
    let survey = state.store.survey(code).await?.filter(|s| s.published_at.is_some());
    let survey = survey.ok_or_else(|| ApiError::not_found(format!("there is no survey {code}")))?;
    let channel = match (&caller.principal, request.via.as_deref()) {
        (Some(Principal::Device(d)), _) if d.kind == DeviceKind::Tablet => SurveyChannel::Tablet,
        (_, Some("link")) => SurveyChannel::Link,
        _ => SurveyChannel::Web,
    };
    if !survey.channels.contains(&channel) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            format!("this survey is not published on the {} channel", channel.as_str()),
        ));
    }
    check_answers(&survey.questions, &request.answers)
        .map_err(|e| ApiError::unprocessable("answers", e.to_string()))?;
    let now = state.now();
    let event =
        caller.event(now, "survey.answer", format!("a response to survey {code} ({})", channel.as_str()));
    state.store.answer_survey(survey.id, channel, &request.answers, now, event).await?;
    Ok(())
}

/// One question's results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResult {
    /// The question.
    #[schema(value_type = Object)]
    pub question: Question,
    /// Its tally.
    #[schema(value_type = Object)]
    pub tally: Tally,
}

/// A survey's results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyResults {
    /// Its code.
    pub code: String,
    /// Responses received.
    pub responses: usize,
    /// Per question.
    pub questions: Vec<QuestionResult>,
}

/// The aggregated responses to `code`.
pub async fn results(state: &AppState, caller: &Caller, code: &str) -> Result<SurveyResults, ApiError> {
    let survey = find(state, caller, code).await?;
    let responses = state.store.survey_responses(survey.id).await?;
    let tallies = tally(&survey.questions, &responses);
    Ok(SurveyResults {
        code: survey.code.clone(),
        responses: responses.len(),
        questions: survey
            .questions
            .into_iter()
            .zip(tallies)
            .map(|(question, tally)| QuestionResult { question, tally })
            .collect(),
    })
}

/// The invitation to the newest survey published as a link, for the holder of ticket `ticket`
/// who booked it online (the only holders whose email or phone is known), in their language; `None`
/// when no such survey is published or the ticket came without a booking.
pub async fn link_after_service(
    state: &AppState,
    ticket: onestop_domain::queue::ticket::TicketId,
) -> Result<Option<onestop_domain::notify::Message>, ApiError> {
    use onestop_domain::notify::recipient;
    let Some(a) = state.store.appointment_of_ticket(ticket).await? else { return Ok(None) };
    let Some(to) = recipient(a.email.as_deref(), a.phone.as_deref()) else { return Ok(None) };
    let surveys = state.store.surveys().await?;
    let Some(survey) = surveys
        .iter()
        .filter(|s| s.published_at.is_some() && s.channels.contains(&SurveyChannel::Link))
        .max_by_key(|s| s.published_at)
    else {
        return Ok(None);
    };
    let link = format!("{}surveys/{}?via=link", state.public_url, survey.code);
    let args = [("title", survey.title.clone().into()), ("link", link.into())];
    let record = Some(format!("survey:{}", survey.code));
    Ok(Some(state.templates.catalog.message(&a.lang, ("survey", "link"), to, &args, record)))
}
