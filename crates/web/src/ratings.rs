//! The flows of ratings, shared by the API and the pages: a feedback tablet rating the ticket
//! just finished at its window, an exit-poll rating of a visit, the ticket a tablet is waiting to
//! have rated, and satisfaction rates over a period.

use crate::AppState;
use crate::auth::Caller;
use crate::pages::queue::tr;
use crate::problem::ApiError;
use crate::queue;
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::feedback::rating::{RatingError, Satisfaction, Verdict};
use onestop_domain::identity::{DeviceKind, Permission, Principal, Target, authorize};
use onestop_domain::queue::ticket::{ActionName, Outcome, TicketId, TicketState, WindowNumber};
use onestop_store::feedback::{Grouping, RateError, RatingFilter, RatingRecord, TicketRating};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A rating: a score of 1 to 5, optional reasons and a comment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i64,
    /// Reasons: `waiting_time`, `courtesy`, `competence`, `speed`, `information`, `premises`.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// A comment (at most 1000 characters).
    #[serde(default)]
    pub comment: Option<String>,
}

/// A rating as given (the comment is not echoed to public callers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingView {
    /// The rating's id.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// `tablet` or `exit_poll`.
    pub channel: String,
    /// The centre.
    pub centre: String,
    /// The ticket rated, for tablet ratings.
    pub ticket: Option<i64>,
    /// The ticket's service.
    pub service: Option<String>,
    /// The service's provider.
    pub provider: Option<String>,
    /// The window that served the ticket.
    pub window: Option<u32>,
    /// The score.
    pub score: u8,
    /// The reasons ticked.
    pub reasons: Vec<String>,
}

impl From<&RatingRecord> for RatingView {
    fn from(r: &RatingRecord) -> Self {
        RatingView {
            id: r.id,
            at: r.at.to_string(),
            channel: r.channel.as_str().to_owned(),
            centre: r.centre.as_str().to_owned(),
            ticket: r.ticket.map(|t| t.0),
            service: r.service.clone(),
            provider: r.provider.clone(),
            window: r.window,
            score: r.verdict.score.value(),
            reasons: r.verdict.reasons.iter().map(|x| x.as_str().to_owned()).collect(),
        }
    }
}

fn verdict(request: &RatingRequest) -> Result<Verdict, ApiError> {
    Verdict::parse(request.score, &request.reasons, request.comment.as_deref())
        .map_err(|e: RatingError| ApiError::unprocessable(e.field(), e.to_string()))
}

/// The centre and window of the feedback tablet calling, or 403.
pub fn tablet_place(caller: &Caller) -> Result<(CentreCode, WindowNumber), ApiError> {
    let refused = || ApiError::new(StatusCode::FORBIDDEN, "only a feedback tablet at a window gives ratings");
    let Some(Principal::Device(d)) = &caller.principal else { return Err(refused()) };
    if d.kind != DeviceKind::Tablet {
        return Err(refused());
    }
    let centre = d.scope.centre.clone().ok_or_else(refused)?;
    let window =
        d.scope.window.as_deref().and_then(|w| w.parse::<WindowNumber>().ok()).ok_or_else(refused)?;
    Ok((CentreCode::new(centre), window))
}

/// The tablet rates ticket `id`, finished at its window: one rating per ticket.
pub async fn rate_ticket(
    state: &AppState,
    caller: &Caller,
    id: i64,
    request: &RatingRequest,
) -> Result<RatingView, ApiError> {
    let (centre, window) = tablet_place(caller)?;
    let verdict = verdict(request)?;
    let now = state.now();
    let no_ticket = || ApiError::not_found(format!("there is no ticket {id} at this centre"));
    let ticket = state.store.ticket(TicketId(id)).await?.filter(|t| t.ticket.centre == centre);
    let ticket = ticket.ok_or_else(no_ticket)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let provider = loaded
        .catalogue
        .service(ticket.ticket.service.as_str())
        .map(|s| s.provider.to_string())
        .unwrap_or_default();
    let number = ticket.ticket.number.to_string();
    let event = caller.event(now, "rating.give", format!("rated ticket {number}: {}", verdict.score.value()));
    let rating = TicketRating { centre, window, ticket: TicketId(id), provider, verdict };
    let record = state.store.rate_ticket(rating, now, event).await.map_err(|e| match e {
        RateError::NoTicket(_) => no_ticket(),
        e @ RateError::NotFinished(_) => ApiError::conflict(e.to_string()),
        e @ RateError::OtherWindow { .. } => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
        e @ RateError::AlreadyRated(_) => ApiError::conflict(e.to_string()),
        RateError::Store(e) => e.into(),
    })?;
    Ok(RatingView::from(&record))
}

/// An exit-poll rating of a visit to centre `code`.
pub async fn rate_visit(
    state: &AppState,
    caller: &Caller,
    code: &str,
    request: &RatingRequest,
) -> Result<RatingView, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let centre = queue::centre(&loaded.catalogue, code)?;
    let verdict = verdict(request)?;
    let now = state.now();
    let event =
        caller.event(now, "rating.exit_poll", format!("exit poll at {code}: {}", verdict.score.value()));
    let record = state.store.rate_visit(&centre.code, verdict, now, event).await?;
    Ok(RatingView::from(&record))
}

/// The ticket finished at the tablet's window today that waits for its rating: the last one
/// finished (served or not served) there, if it has no rating yet.
pub async fn pending_ticket(
    state: &AppState,
    centre: &CentreCode,
    window: WindowNumber,
) -> Result<Option<(i64, String)>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let Some(place) = loaded.catalogue.centre(centre.as_str()) else { return Ok(None) };
    let day = queue::local_day(&loaded.catalogue, place, state.now())?;
    let tickets = state.store.day_tickets(centre, day).await?;
    let last = tickets
        .iter()
        .filter_map(|t| {
            let finished = matches!(
                t.ticket.state,
                TicketState::Finished { outcome: Outcome::Served | Outcome::NotServed { .. } }
            );
            let step = t.ticket.steps.iter().rev().find(|s| s.action == ActionName::Finish)?;
            (finished && step.window == Some(window)).then_some((step.at, t))
        })
        .max_by_key(|(at, _)| *at);
    let Some((_, t)) = last else { return Ok(None) };
    if state.store.ticket_rating(t.ticket.id).await?.is_some() {
        return Ok(None);
    }
    Ok(Some((t.ticket.id.0, t.ticket.number.to_string())))
}

/// Which satisfaction rates to compute.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionQuery {
    /// Group by `centre` (the default), `provider`, `service` or `officer` (staff who read
    /// feedback only).
    pub by: Option<String>,
    /// The first day counted (local date, `YYYY-MM-DD`); default: 30 days before `to`.
    pub from: Option<String>,
    /// The last day counted (local date); default: today.
    pub to: Option<String>,
    /// Only this centre.
    pub centre: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this service.
    pub service: Option<String>,
}

/// One group's satisfaction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SatisfactionRow {
    /// The centre, provider or service code, or the officer's login.
    pub code: String,
    /// Its name in the request's language.
    pub name: String,
    /// Ratings given.
    pub ratings: u64,
    /// Ratings of 4 or 5.
    pub satisfied: u64,
    /// The share of 4 and 5 in percent with one decimal, e.g. `98.5`.
    pub rate_percent: Option<f64>,
}

/// Satisfaction rates over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SatisfactionView {
    /// The grouping.
    pub by: String,
    /// The first day counted.
    pub from: String,
    /// The last day counted.
    pub to: String,
    /// All ratings of the period together.
    pub overall: SatisfactionRow,
    /// Per group, in code order.
    pub groups: Vec<SatisfactionRow>,
}

fn row(code: String, name: String, s: Satisfaction) -> SatisfactionRow {
    let rate_percent = s.per_mille().map(|m| m as f64 / 10.0);
    SatisfactionRow { code, name, ratings: s.ratings, satisfied: s.satisfied, rate_percent }
}

fn parse_day(field: &str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<Date>()
                .map_err(|_| ApiError::bad_request(field, format!("{field} must be a date YYYY-MM-DD")))
        })
        .transpose()
}

fn start_of(day: Date, zone: &TimeZone) -> Result<Timestamp, ApiError> {
    day.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|_| ApiError::bad_request("from", "the date is out of range"))
}

/// Satisfaction rates per centre, provider, service or officer over a period.
pub async fn satisfaction(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    q: &SatisfactionQuery,
) -> Result<SatisfactionView, ApiError> {
    let by = match q.by.as_deref().filter(|b| !b.is_empty()) {
        None => Grouping::Centre,
        Some(b) => Grouping::parse(b).ok_or_else(|| {
            ApiError::bad_request(
                "by",
                format!("{b:?} is not a grouping: use centre, provider, service or officer"),
            )
        })?,
    };
    if by == Grouping::Officer {
        authorize(caller.principal.as_ref(), Permission::ReadFeedback, Target::ANY).map_err(|d| match d {
            onestop_domain::identity::Denial::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "sign in first: officers' rates are for staff")
            }
            _ => ApiError::new(StatusCode::FORBIDDEN, "your role may not read officers' satisfaction rates"),
        })?;
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let zone = TimeZone::get(&c.country.time_zone).unwrap_or_else(|_| crate::templates::default_zone());
    let today = state.now().to_zoned(zone.clone()).date();
    let to = parse_day("to", q.to.as_deref())?.unwrap_or(today);
    let from = parse_day("from", q.from.as_deref())?
        .unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(30)).unwrap_or(to));
    if from > to {
        return Err(ApiError::bad_request("from", "from must not be after to"));
    }
    let end = to.tomorrow().map_err(|_| ApiError::bad_request("to", "the date is out of range"))?;
    let filter = RatingFilter {
        from: Some(start_of(from, &zone)?),
        to: Some(start_of(end, &zone)?),
        centre: q.centre.clone().filter(|x| !x.is_empty()),
        provider: q.provider.clone().filter(|x| !x.is_empty()),
        service: q.service.clone().filter(|x| !x.is_empty()),
        officer: None,
    };
    let groups = state.store.satisfaction(by, &filter).await?;
    let totals = state.store.satisfaction(Grouping::Centre, &filter).await?;
    let overall = totals.iter().fold(Satisfaction::default(), |mut acc, (_, s)| {
        acc.ratings += s.ratings;
        acc.satisfied += s.satisfied;
        acc
    });
    let name_of = |code: &str| -> String {
        match by {
            Grouping::Centre => c.centre(code).map(|x| tr(&x.name, lang, c)),
            Grouping::Provider => c.provider(code).map(|x| tr(&x.name, lang, c)),
            Grouping::Service => c.service(code).map(|x| tr(&x.name, lang, c)),
            Grouping::Officer => None,
        }
        .unwrap_or_else(|| code.to_owned())
    };
    Ok(SatisfactionView {
        by: by.as_str().to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        overall: row(String::new(), String::new(), overall),
        groups: groups.into_iter().map(|(code, s)| row(code.clone(), name_of(&code), s)).collect(),
    })
}
