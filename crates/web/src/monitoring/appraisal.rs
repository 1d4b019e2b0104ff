//! Officers' appraisals per month, quarter or year: the figures of each officer from the rollups,
//! complaints upheld against them and their refused actions in the audit trail, the weighted score
//! (see [`onestop_domain::monitoring::appraisal`]), their history and managers' comments.

use super::stats::grouped;
use super::{context, denied, percent, reach, today};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use jiff::civil::Date;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::identity::{Permission, Target};
use onestop_domain::monitoring::appraisal::{OfficerFigures, appraise, median};
use onestop_domain::monitoring::{Cuboid, Filter, GroupBy, Period, PeriodKind};
use onestop_store::monitoring::NewAppraisalComment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Which appraisals.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppraisalQuery {
    /// `2026-11`, `2026-Q4` or `2026`; default: the current month.
    pub period: Option<String>,
    /// Only officers of this centre (a centre manager: their own).
    pub centre: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// A component of a score, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentView {
    /// `volume`, `speed`, `satisfaction`, `complaints`, `no_shows`, `deadlines`, `audit`.
    pub name: String,
    /// Its weight.
    pub weight: u32,
    /// 0–100 with one decimal; `null` without data.
    pub score: Option<f64>,
}

/// One officer's appraisal over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppraisalRow {
    /// The officer's login.
    pub officer: String,
    /// Their full name.
    pub name: String,
    /// Their centre.
    pub centre: String,
    /// Their provider.
    pub provider: String,
    /// Tickets served.
    pub served: u64,
    /// Not served.
    pub not_served: u64,
    /// Tickets called.
    pub called: u64,
    /// No-shows they marked.
    pub no_show: u64,
    /// Median service time, seconds.
    pub median_service_secs: Option<i64>,
    /// The norm of their services weighted by what they served, seconds.
    pub norm_secs: Option<i64>,
    /// Ratings at their window.
    pub ratings: u64,
    /// Share of 4 and 5, percent.
    pub satisfaction_percent: Option<f64>,
    /// Complaints about them received.
    pub complaints: u64,
    /// Of which upheld.
    pub upheld: u64,
    /// Applications they accepted that finished after their legal deadline (`null` without any
    /// finished in the period).
    pub deadline_breaches: Option<u64>,
    /// Refused actions in the audit trail.
    pub audit_violations: u64,
    /// The components.
    pub components: Vec<ComponentView>,
    /// The weighted score, 0–100 with one decimal.
    pub score: Option<f64>,
}

/// The appraisals of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppraisalsView {
    /// The period.
    pub period: String,
    /// `month`, `quarter` or `year`.
    pub kind: String,
    /// The centre, if one.
    pub centre: Option<String>,
    /// One row per officer with tickets or ratings in the period, best score first.
    pub rows: Vec<AppraisalRow>,
}

/// A manager's comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    /// When (RFC 3339).
    pub at: String,
    /// The period commented on.
    pub period: String,
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub body: String,
}

/// One officer's appraisal with its history and comments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppraisalDetail {
    /// The period shown.
    pub period: String,
    /// The appraisal of that period (`null` without activity).
    pub current: Option<AppraisalRow>,
    /// The twelve months, four quarters and two years up to the period: (period, score, served).
    pub history: Vec<HistoryPoint>,
    /// Comments, newest first.
    pub comments: Vec<CommentView>,
    /// The officer's login.
    pub officer: String,
    /// Their name.
    pub name: String,
    /// Their centre.
    pub centre: String,
}

/// A past period's score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// The period.
    pub period: String,
    /// `month`, `quarter`, `year`.
    pub kind: String,
    /// The score, 0–100.
    pub score: Option<f64>,
    /// Tickets served.
    pub served: u64,
}

/// A comment to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CommentRequest {
    /// The period commented on (`2026-11`, `2026-Q4`, `2026`).
    pub period: String,
    /// The text (1–2000 characters).
    pub body: String,
}

/// The period a request names, else the current month.
pub fn period_of(text: Option<&str>, today: Date) -> Result<Period, ApiError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(Period::month_of(today)),
        Some(t) => Period::parse(t)
            .ok_or_else(|| ApiError::bad_request("period", "period must be 2026-11, 2026-Q4 or 2026")),
    }
}

/// The appraisals of `period`, of one officer or all, at one centre or all.
async fn rows(
    state: &AppState,
    c: &Catalogue,
    period: Period,
    centre: Option<String>,
    only: Option<&str>,
) -> Result<Vec<AppraisalRow>, ApiError> {
    let span = (period.first_day(), period.last_day());
    let filter = Filter { centre: centre.clone(), officer: only.map(str::to_owned), ..Filter::default() };
    let officers = grouped(state, c, Cuboid::Officers, GroupBy::Officer, span, &filter).await?;
    let applications = grouped(state, c, Cuboid::Applications, GroupBy::Officer, span, &filter).await?;
    let per_service = grouped(state, c, Cuboid::Officers, GroupBy::OfficerService, span, &filter).await?;
    let (ctx, _) = context(c);
    let mut norms: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (key, t) in &per_service {
        let Some((officer, service)) = key.split_once('|') else { continue };
        let n = i64::try_from(t.service.n).unwrap_or(0);
        if let Some(norm) = ctx.norms.get(service).filter(|_| n > 0) {
            let entry = norms.entry(officer).or_default();
            entry.0 += norm * n;
            entry.1 += n;
        }
    }
    let zone = super::country_zone(c);
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::bad_request("period", "out of range"))
    };
    let (from, to) = (
        start(span.0)?,
        start(span.1.tomorrow().map_err(|_| ApiError::bad_request("period", "out of range"))?)?,
    );
    let complaints = state.store.complaint_tallies(from, to, today(state, c)).await?;
    let refusals = state.store.refusals_by_actor(from, to).await?;
    let staff: BTreeMap<String, onestop_store::StaffRecord> =
        state.store.list_staff(centre.as_deref()).await?.into_iter().map(|s| (s.login.clone(), s)).collect();
    let mut served: Vec<u64> = officers.values().map(|t| t.served).collect();
    let peer = median(&mut served);
    let weights = state.monitoring.appraisal;
    let mut out: Vec<AppraisalRow> = officers
        .iter()
        .filter(|(login, _)| !login.is_empty())
        .map(|(login, tally)| {
            let mine = complaints.iter().filter(|t| t.subject_kind == "officer" && t.subject_code == *login);
            let (received, upheld) = mine.fold((0, 0), |(r, u), t| (r + t.received, u + t.upheld));
            let figures = OfficerFigures {
                officer: login.clone(),
                tally: tally.clone(),
                norm_secs: norms.get(login.as_str()).and_then(|(sum, n)| sum.checked_div(*n)),
                complaints: received,
                upheld,
                applications: applications
                    .get(login)
                    .filter(|a| a.finished > 0)
                    .map(|a| (a.finished, a.finished - a.on_time)),
                audit_violations: refusals.get(&format!("staff:{login}")).copied().unwrap_or(0),
            };
            let a = appraise(&figures, peer, &weights);
            let record = staff.get(login);
            AppraisalRow {
                officer: login.clone(),
                name: record.map(|s| s.full_name.clone()).unwrap_or_default(),
                centre: record.and_then(|s| s.scope.centre.clone()).unwrap_or_default(),
                provider: record.and_then(|s| s.scope.provider.clone()).unwrap_or_default(),
                served: tally.served,
                not_served: tally.not_served,
                called: tally.called,
                no_show: tally.no_show,
                median_service_secs: tally.service.percentile(50),
                norm_secs: figures.norm_secs,
                ratings: tally.ratings,
                satisfaction_percent: percent(tally.satisfaction()),
                complaints: received,
                upheld,
                deadline_breaches: figures.applications.map(|(_, late)| late),
                audit_violations: figures.audit_violations,
                components: a
                    .components
                    .iter()
                    .map(|c| ComponentView { name: c.name.into(), weight: c.weight, score: percent(c.score) })
                    .collect(),
                score: percent(a.score),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.officer.cmp(&b.officer))
    });
    Ok(out)
}

/// The appraisals of a period.
pub async fn list(state: &AppState, caller: &Caller, q: &AppraisalQuery) -> Result<AppraisalsView, ApiError> {
    let centre = reach(caller, Permission::ReadStatistics, q.centre.as_deref())?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let period = period_of(q.period.as_deref(), today(state, c))?;
    Ok(AppraisalsView {
        period: period.to_string(),
        kind: period.kind.as_str().into(),
        rows: rows(state, c, period, centre.clone(), None).await?,
        centre,
    })
}

/// The staff account `login` (officers are the ones with figures; any account's page reads, empty)
/// and their centre; refused unless the caller may do `permission` there.
async fn officer(
    state: &AppState,
    caller: &Caller,
    login: &str,
    permission: Permission,
) -> Result<onestop_store::StaffRecord, ApiError> {
    let (record, _) = state
        .store
        .staff_by_login(login)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no staff account {login}")))?;
    caller
        .authorize(permission, Target { centre: record.scope.centre.as_deref(), ..Target::ANY })
        .map_err(denied)?;
    Ok(record)
}

/// One officer's appraisal of a period, with the history up to it and the comments.
pub async fn detail(
    state: &AppState,
    caller: &Caller,
    login: &str,
    period: Option<&str>,
) -> Result<AppraisalDetail, ApiError> {
    let record = officer(state, caller, login, Permission::ReadStatistics).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let period = period_of(period, today(state, c))?;
    let current = rows(state, c, period, None, Some(login)).await?.into_iter().next();
    let end = period.last_day();
    let mut history = Vec::new();
    for (kind, count) in [(PeriodKind::Month, 12), (PeriodKind::Quarter, 4), (PeriodKind::Year, 2)] {
        let mut p = Period::of(kind, end);
        let mut points = Vec::new();
        for _ in 0..count {
            let row = rows(state, c, p, None, Some(login)).await?.into_iter().next();
            points.push(HistoryPoint {
                period: p.to_string(),
                kind: kind.as_str().into(),
                score: row.as_ref().and_then(|r| r.score),
                served: row.as_ref().map_or(0, |r| r.served),
            });
            p = p.previous();
        }
        points.reverse();
        history.extend(points);
    }
    let comments = state
        .store
        .appraisal_comments(login)
        .await?
        .into_iter()
        .map(|c| CommentView {
            at: c.at.to_string(),
            period: c.comment.period,
            author: c.comment.author,
            body: c.comment.body,
        })
        .collect();
    Ok(AppraisalDetail {
        period: period.to_string(),
        current,
        history,
        comments,
        officer: login.to_owned(),
        name: record.full_name,
        centre: record.scope.centre.unwrap_or_default(),
    })
}

/// A manager comments on an officer's appraisal.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    login: &str,
    request: &CommentRequest,
) -> Result<CommentView, ApiError> {
    officer(state, caller, login, Permission::AppraiseOfficers).await?;
    let period = Period::parse(&request.period)
        .ok_or_else(|| ApiError::unprocessable("period", "period must be 2026-11, 2026-Q4 or 2026"))?;
    let body = request.body.trim();
    if body.is_empty() || body.chars().count() > 2000 {
        return Err(ApiError::unprocessable("body", "a comment has 1 to 2000 characters"));
    }
    let author = caller.staff().map(|s| s.login.clone()).unwrap_or_default();
    let now = state.now();
    let event = caller
        .event(now, "appraisal.comment", format!("comment on {login}'s appraisal of {period}"))
        .with_record(format!("officer:{login}"));
    let new =
        NewAppraisalComment { officer: login.into(), period: period.to_string(), author, body: body.into() };
    let stored = state.store.add_appraisal_comment(&new, now, event).await?;
    Ok(CommentView {
        at: stored.at.to_string(),
        period: stored.comment.period,
        author: stored.comment.author,
        body: stored.comment.body,
    })
}

/// The appraisals as CSV.
pub fn csv(view: &AppraisalsView) -> String {
    let mut header = vec![
        "officer",
        "name",
        "centre",
        "provider",
        "served",
        "not_served",
        "called",
        "no_show",
        "median_service_secs",
        "norm_secs",
        "ratings",
        "satisfaction_percent",
        "complaints",
        "upheld",
        "audit_violations",
    ];
    let names: Vec<String> = view
        .rows
        .first()
        .map(|r| r.components.iter().map(|c| format!("score_{}", c.name)).collect())
        .unwrap_or_default();
    header.extend(names.iter().map(String::as_str));
    header.push("score");
    let f = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    let o = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    super::stats::csv(
        &header,
        view.rows.iter().map(|r| {
            let mut cells = vec![
                r.officer.clone(),
                r.name.clone(),
                r.centre.clone(),
                r.provider.clone(),
                r.served.to_string(),
                r.not_served.to_string(),
                r.called.to_string(),
                r.no_show.to_string(),
                o(r.median_service_secs),
                o(r.norm_secs),
                r.ratings.to_string(),
                f(r.satisfaction_percent),
                r.complaints.to_string(),
                r.upheld.to_string(),
                r.audit_violations.to_string(),
            ];
            cells.extend(r.components.iter().map(|c| f(c.score)));
            cells.push(f(r.score));
            cells
        }),
    )
}
