//! The ASAN Service Index of a quarter: computed for every service of the registry from the
//! registry itself, the rollups, complaints and the one manual input (training hours), stored with
//! its methodology version; providers ranked by the mean of their services; the trend per quarter.

use super::stats::grouped_by;
use super::{percent, reach, today};
use crate::AppState;
use crate::auth::Caller;
use crate::pages::queue::tr;
use crate::problem::ApiError;
use onestop_domain::catalogue::{Catalogue, Channel, Service};
use onestop_domain::identity::Permission;
use onestop_domain::monitoring::index::{METHODOLOGY, PARAMETERS, ServiceInputs, score};
use onestop_domain::monitoring::{Cuboid, Filter, GroupBy, Period, PeriodKind, Tally};
use onestop_store::monitoring::{IndexInput, IndexScore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Which quarter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// `2026-Q4`; default: the current quarter.
    pub quarter: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// A service's Index.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexRow {
    /// Rank in the quarter, 1 for the best.
    pub rank: usize,
    /// The service's code.
    pub service: String,
    /// Its name.
    pub name: String,
    /// Its provider's code.
    pub provider: String,
    /// The six parameters, 0–100 with one decimal: information, duration, electronic, training,
    /// feedback, satisfaction.
    pub parameters: Vec<f64>,
    /// The weighted total, 0–100.
    pub total: f64,
    /// The inputs every parameter came from.
    pub breakdown: Value,
    /// The methodology version.
    pub methodology: String,
}

/// A provider's place in the ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderRank {
    /// Rank, 1 for the best.
    pub rank: usize,
    /// The provider's code.
    pub provider: String,
    /// Its name.
    pub name: String,
    /// Services scored.
    pub services: usize,
    /// The mean total of its services, 0–100.
    pub mean_total: f64,
}

/// The network's mean total in a quarter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    /// `2026-Q4`.
    pub quarter: String,
    /// The mean total of every service scored, 0–100.
    pub mean_total: f64,
    /// Services scored.
    pub services: usize,
}

/// The Index of a quarter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexView {
    /// The quarter.
    pub quarter: String,
    /// The parameters' names.
    pub parameters: Vec<String>,
    /// Whether the scores were stored by a computation (else computed for this answer only).
    pub stored: bool,
    /// Every service, best first.
    pub services: Vec<IndexRow>,
    /// Providers, best first.
    pub providers: Vec<ProviderRank>,
    /// Every quarter with stored scores.
    pub trend: Vec<TrendPoint>,
    /// The training hours entered for the quarter: (provider, hours).
    pub training: Vec<(String, f64)>,
}

/// A manual input of the Index.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrainingRequest {
    /// `2026-Q4`.
    pub quarter: String,
    /// The provider's code.
    pub provider: String,
    /// Training hours per officer in the quarter (one decimal).
    pub hours: f64,
}

/// The quarter a request names, else the current one.
pub fn quarter_of(text: Option<&str>, today: jiff::civil::Date) -> Result<Period, ApiError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(Period::quarter_of(today)),
        Some(t) => Period::parse(t)
            .filter(|p| p.kind == PeriodKind::Quarter)
            .ok_or_else(|| ApiError::bad_request("quarter", "quarter must be like 2026-Q4")),
    }
}

/// How many of the eight information items the registry holds for `s`.
fn information_items(c: &Catalogue, s: &Service) -> u32 {
    let complete = |t: &onestop_domain::catalogue::Text| {
        c.country.languages.iter().all(|l| t.get(l).is_some_and(|v| !v.trim().is_empty()))
    };
    let offered = !c.offered_at(s.code.as_str()).is_empty()
        || s.channels
            .iter()
            .any(|ch| matches!(ch, Channel::Online | Channel::CallCentre | Channel::HomeService));
    [
        complete(&s.name),
        complete(&s.description),
        !s.documents.is_empty(),
        !s.steps.is_empty(),
        true, // the legal timeframe: a parsed catalogue always states it
        true, // the fees: stated in every parsed catalogue, zero included
        s.handling_minutes > 0,
        offered,
    ]
    .into_iter()
    .map(u32::from)
    .sum()
}

/// Computes the Index of `quarter` for every service and stores it.
pub async fn compute(state: &AppState, quarter: Period) -> Result<Vec<IndexScore>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let scores = scores(state, c, quarter).await?;
    state.store.put_index_scores(&quarter.to_string(), &scores).await?;
    Ok(scores)
}

async fn scores(state: &AppState, c: &Catalogue, quarter: Period) -> Result<Vec<IndexScore>, ApiError> {
    let span = (quarter.first_day(), quarter.last_day());
    let all = Filter::default();
    let wants = [
        (Cuboid::Flow, GroupBy::Service),
        (Cuboid::Flow, GroupBy::ServiceOrigin),
        (Cuboid::Ratings, GroupBy::Service),
        (Cuboid::Applications, GroupBy::Service),
    ];
    let [flow, origins, ratings, applications] =
        <[_; 4]>::try_from(grouped_by(state, c, &wants, span, &all).await?)
            .map_err(|_| ApiError::internal())?;
    let zone = super::country_zone(c);
    let start = |d: jiff::civil::Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::bad_request("quarter", "out of range"))
    };
    let end = span.1.tomorrow().map_err(|_| ApiError::bad_request("quarter", "out of range"))?;
    let complaints = state.store.complaint_tallies(start(span.0)?, start(end)?, today(state, c)).await?;
    let training: BTreeMap<String, i64> = state
        .store
        .index_inputs(&quarter.to_string())
        .await?
        .into_iter()
        .map(|i| (i.provider, i.training_tenths))
        .collect();
    let now = state.now();
    let settings = state.monitoring.index;
    let mut out = Vec::new();
    for s in &c.services {
        let code = s.code.as_str();
        let mut tally = flow.get(code).cloned().unwrap_or_default();
        if let Some(r) = ratings.get(code) {
            tally.ratings = r.ratings;
            tally.rating_sum = r.rating_sum;
            tally.satisfied = r.satisfied;
        }
        let booked = origins.get(&format!("{code}|appointment")).map_or(0, |t: &Tally| t.visits);
        let about = complaints
            .iter()
            .filter(|t| t.subject_kind == "service" && t.subject_code == code && t.category != "suggestion");
        let (answered, on_time) = about.fold((0, 0), |(a, o), t| (a + t.on_time + t.late, o + t.on_time));
        let inputs = ServiceInputs {
            information_items: information_items(c, s),
            channels: u32::try_from(s.channels.len()).unwrap_or(0),
            bookable: !c.offered_at(code).is_empty(),
            online: s.channels.contains(&Channel::Online),
            documents: u32::try_from(s.documents.len()).unwrap_or(u32::MAX),
            tally,
            booked_visits: booked,
            complaints_answered: answered,
            complaints_on_time: on_time,
            applications: applications.get(code).filter(|a| a.finished > 0).map(|a| (a.finished, a.on_time)),
            training_tenths: training.get(s.provider.as_str()).copied(),
        };
        let (scores, breakdown) = score(&inputs, &settings);
        out.push(IndexScore {
            quarter: quarter.to_string(),
            service: code.to_owned(),
            provider: s.provider.as_str().to_owned(),
            methodology: METHODOLOGY.to_owned(),
            scores,
            breakdown: breakdown.to_string(),
            computed_at: now,
        });
    }
    Ok(out)
}

fn tenths(v: i64) -> f64 {
    v as f64 / 10.0
}

/// The Index of a quarter: the stored scores, or, before any computation, scores computed for this
/// answer only.
pub async fn view(state: &AppState, lang: &str, quarter: Option<&str>) -> Result<IndexView, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let quarter = quarter_of(quarter, today(state, c))?;
    let all = state.store.index_scores(None).await?;
    let mut these: Vec<IndexScore> =
        all.iter().filter(|s| s.quarter == quarter.to_string()).cloned().collect();
    let stored = !these.is_empty();
    if !stored {
        these = scores(state, c, quarter).await?;
    }
    these.sort_by(|a, b| b.scores[6].cmp(&a.scores[6]).then(a.service.cmp(&b.service)));
    let services: Vec<IndexRow> = these
        .iter()
        .enumerate()
        .map(|(i, s)| IndexRow {
            rank: i + 1,
            service: s.service.clone(),
            name: c.service(&s.service).map(|x| tr(&x.name, lang, c)).unwrap_or_else(|| s.service.clone()),
            provider: s.provider.clone(),
            parameters: s.scores[..6].iter().map(|v| tenths(*v)).collect(),
            total: tenths(s.scores[6]),
            breakdown: serde_json::from_str(&s.breakdown).unwrap_or(Value::Null),
            methodology: s.methodology.clone(),
        })
        .collect();
    let mut by_provider: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for s in &these {
        let e = by_provider.entry(s.provider.as_str()).or_default();
        e.0 += s.scores[6];
        e.1 += 1;
    }
    let mut providers: Vec<ProviderRank> = by_provider
        .into_iter()
        .map(|(p, (sum, n))| ProviderRank {
            rank: 0,
            provider: p.to_owned(),
            name: c.provider(p).map(|x| tr(&x.name, lang, c)).unwrap_or_else(|| p.to_owned()),
            services: n,
            mean_total: (sum as f64 / n.max(1) as f64).round() / 10.0,
        })
        .collect();
    providers.sort_by(|a, b| {
        b.mean_total
            .partial_cmp(&a.mean_total)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.provider.cmp(&b.provider))
    });
    for (i, p) in providers.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    let mut quarters: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for s in &all {
        let e = quarters.entry(s.quarter.as_str()).or_default();
        e.0 += s.scores[6];
        e.1 += 1;
    }
    let trend = quarters
        .into_iter()
        .map(|(q, (sum, n))| TrendPoint {
            quarter: q.to_owned(),
            mean_total: (sum as f64 / n.max(1) as f64).round() / 10.0,
            services: n,
        })
        .collect();
    let training = state
        .store
        .index_inputs(&quarter.to_string())
        .await?
        .into_iter()
        .map(|i| (i.provider, tenths(i.training_tenths)))
        .collect();
    Ok(IndexView {
        quarter: quarter.to_string(),
        parameters: PARAMETERS.iter().map(|p| (*p).to_owned()).collect(),
        stored,
        services,
        providers,
        trend,
        training,
    })
}

/// Enters a provider's training hours for a quarter.
pub async fn set_training(
    state: &AppState,
    caller: &Caller,
    request: &TrainingRequest,
) -> Result<(), ApiError> {
    reach(caller, Permission::ManageMonitoring, None)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let quarter = quarter_of(Some(&request.quarter), today(state, &loaded.catalogue))
        .map_err(|_| ApiError::unprocessable("quarter", "quarter must be like 2026-Q4"))?;
    if loaded.catalogue.provider(&request.provider).is_none() {
        return Err(ApiError::unprocessable(
            "provider",
            format!("there is no provider {}", request.provider),
        ));
    }
    if !(0.0..=1000.0).contains(&request.hours) {
        return Err(ApiError::unprocessable("hours", "hours must be between 0 and 1000"));
    }
    let input = IndexInput {
        quarter: quarter.to_string(),
        provider: request.provider.clone(),
        training_tenths: (request.hours * 10.0).round() as i64,
        entered_by: caller.staff().map(|s| s.login.clone()).unwrap_or_default(),
    };
    let now = state.now();
    let event = caller
        .event(
            now,
            "index.training",
            format!("{} training hours in {quarter}: {}", request.provider, request.hours),
        )
        .with_record(format!("index:{quarter}:{}", request.provider));
    state.store.put_index_input(&input, now, event).await?;
    Ok(())
}

/// The Index as CSV.
pub fn csv(view: &IndexView) -> String {
    let mut header = vec!["rank", "service", "name", "provider"];
    header.extend(PARAMETERS);
    header.extend(["total", "methodology"]);
    super::stats::csv(
        &header,
        view.services.iter().map(|r| {
            let mut cells = vec![r.rank.to_string(), r.service.clone(), r.name.clone(), r.provider.clone()];
            cells.extend(r.parameters.iter().map(|p| format!("{p:.1}")));
            cells.push(format!("{:.1}", r.total));
            cells.push(r.methodology.clone());
            cells
        }),
    )
}

/// Scores as percent, for pages.
pub fn as_percent(v: Option<u64>) -> Option<f64> {
    percent(v)
}
