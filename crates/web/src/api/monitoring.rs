//! Monitoring and assessment as JSON (and CSV, XLSX, PDF): statistics, the live overview, the fold,
//! officers' appraisals, complaint verdicts, the ASAN Service Index and reports. Handlers parse
//! HTTP and call the flows in [`crate::monitoring`].

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::monitoring::appraisal::{
    self, AppraisalDetail, AppraisalQuery, AppraisalsView, CommentRequest, CommentView,
};
use crate::monitoring::index::{self as asan, IndexQuery, IndexView, TrainingRequest};
use crate::monitoring::stats::{self, LiveCentre, StatsQuery, StatsView};
use crate::monitoring::{reach, reports};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onestop_domain::identity::Permission;
use onestop_domain::monitoring::Period;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        body,
    )
        .into_response()
}

fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
    match format.unwrap_or("json") {
        "" | "json" => Ok(false),
        "csv" => Ok(true),
        other => Err(ApiError::bad_request("format", format!("{other:?}: use json or csv"))),
    }
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::unprocessable("body", format!("the request body does not read: {e}")))
}

/// Statistics from recorded events over a period: counts, waits and service times (median and
/// 90th percentile), no-show and abandonment rates and satisfaction, grouped as asked. JSON, or
/// CSV with `format=csv`.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "monitoring", operation_id = "statistics",
    security(("session" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = StatsView),
        (status = 400, description = "A bad cuboid, grouping, period or date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read statistics, or not of that centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn statistics(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(q.format.as_deref())?;
    let view = stats::view(&state, &caller, locale.lang, &q).await?;
    if csv {
        let body = stats::csv(&stats::FigureRow::HEADER, view.rows.iter().map(stats::FigureRow::cells));
        return Ok(csv_response(
            &format!("statistics-{}-{}-{}-{}", view.cuboid, view.by, view.from, view.to),
            body,
        ));
    }
    Ok(Json(view).into_response())
}

/// Every centre's queue now: waiting, served today, open windows, the longest median wait.
#[utoipa::path(get, path = "/api/v1/statistics/live", tag = "monitoring", operation_id = "liveOverview",
    security(("session" = [])),
    responses(
        (status = 200, description = "Every centre (a centre manager: theirs)", body = [LiveCentre]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read statistics", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Json<Vec<LiveCentre>>, ApiError> {
    Ok(Json(stats::live(&state, &caller, locale.lang).await?))
}

/// What a fold did.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoldView {
    /// Days folded (empty days included).
    pub days: usize,
    /// Rollup cells written.
    pub cells: usize,
    /// Centres whose next day is over but still has open tickets: (centre, day).
    pub waiting: Vec<(String, String)>,
}

/// Folds every centre's days that are over into the rollups now (the server also does this every
/// `monitoring.fold_interval_secs`).
#[utoipa::path(post, path = "/api/v1/statistics/fold", tag = "monitoring", operation_id = "foldStatistics",
    security(("session" = [])),
    responses(
        (status = 200, description = "What was folded", body = FoldView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not run the monitoring department's work", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn fold(State(state): State<AppState>, caller: Caller) -> Result<Json<FoldView>, ApiError> {
    reach(&caller, Permission::ManageMonitoring, None)?;
    let report = crate::monitoring::fold_now(&state, 10_000).await?;
    Ok(Json(FoldView {
        days: report.days,
        cells: report.cells,
        waiting: report.waiting.into_iter().map(|(c, d)| (c, d.to_string())).collect(),
    }))
}

/// Officers' appraisals of a month, quarter or year: figures, components and the weighted score.
/// JSON, or CSV with `format=csv`.
#[utoipa::path(get, path = "/api/v1/appraisals", tag = "monitoring", operation_id = "appraisals",
    security(("session" = [])),
    params(AppraisalQuery),
    responses(
        (status = 200, description = "The appraisals, best score first", body = AppraisalsView),
        (status = 400, description = "A bad period", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read appraisals, or not of that centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn appraisals(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AppraisalQuery>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(q.format.as_deref())?;
    let view = appraisal::list(&state, &caller, &q).await?;
    if csv {
        return Ok(csv_response(&format!("appraisals-{}", view.period), appraisal::csv(&view)));
    }
    Ok(Json(view).into_response())
}

/// The period asked for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `2026-11`, `2026-Q4` or `2026`; default: the current month.
    pub period: Option<String>,
}

/// One officer's appraisal of a period, the twelve months, four quarters and two years up to it,
/// and the managers' comments.
#[utoipa::path(get, path = "/api/v1/appraisals/{login}", tag = "monitoring", operation_id = "appraisal",
    security(("session" = [])),
    params(("login" = String, Path, description = "The officer's login"), PeriodQuery),
    responses(
        (status = 200, description = "The appraisal", body = AppraisalDetail),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not of the caller's centre", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn appraisal_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<AppraisalDetail>, ApiError> {
    Ok(Json(appraisal::detail(&state, &caller, &login, q.period.as_deref()).await?))
}

/// A manager's comment on an officer's appraisal of a period (kept with the history).
#[utoipa::path(post, path = "/api/v1/appraisals/{login}/comments", tag = "monitoring", operation_id = "commentAppraisal",
    security(("session" = [])),
    params(("login" = String, Path, description = "The officer's login")),
    request_body = CommentRequest,
    responses(
        (status = 201, description = "The comment", body = CommentView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not comment, or not on that centre's officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad period or an empty or too long text", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let request: CommentRequest = json_body(&body)?;
    Ok((StatusCode::CREATED, Json(appraisal::comment(&state, &caller, &login, &request).await?)))
}

/// The monitoring department's verdict on a complaint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerdictRequest {
    /// Whether the complaint was found justified.
    pub upheld: bool,
}

/// Records whether a complaint was upheld (officers' appraisals count the upheld complaints about
/// them); a later verdict replaces an earlier one.
#[utoipa::path(post, path = "/api/v1/complaints/{reference}/verdict", tag = "monitoring", operation_id = "complaintVerdict",
    security(("session" = [])),
    params(("reference" = String, Path, description = "The complaint's reference")),
    request_body = VerdictRequest,
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the monitoring department", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verdict(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let request: VerdictRequest = json_body(&body)?;
    let now = state.now();
    let by = caller.staff().map(|s| s.login.clone()).unwrap_or_default();
    let event = caller
        .event(
            now,
            "complaint.verdict",
            format!("complaint {reference}: {}", if request.upheld { "upheld" } else { "not upheld" }),
        )
        .with_record(format!("complaint:{reference}"));
    state.store.set_complaint_verdict(&reference, request.upheld, &by, now, event).await.map_err(
        |e| match e {
            onestop_store::StoreError::NotFound(_) => {
                ApiError::not_found(format!("there is no complaint {reference}"))
            }
            e => e.into(),
        },
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ASAN Service Index of a quarter: every service scored 0–100 on six parameters with the
/// inputs behind each, providers ranked, and the trend per quarter. JSON, or CSV with
/// `format=csv`.
#[utoipa::path(get, path = "/api/v1/index", tag = "monitoring", operation_id = "serviceIndex",
    params(IndexQuery),
    responses(
        (status = 200, description = "The Index", body = IndexView),
        (status = 400, description = "A bad quarter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn index(
    State(state): State<AppState>,
    locale: Locale,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(q.format.as_deref())?;
    let view = asan::view(&state, locale.lang, q.quarter.as_deref()).await?;
    if csv {
        return Ok(csv_response(&format!("asan-index-{}", view.quarter), asan::csv(&view)));
    }
    Ok(Json(view).into_response())
}

/// The quarter to compute.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ComputeRequest {
    /// `2026-Q4`; default: the current quarter.
    pub quarter: Option<String>,
}

/// Computes and stores the Index of a quarter (the report job does so for the quarter just
/// closed).
#[utoipa::path(post, path = "/api/v1/index/compute", tag = "monitoring", operation_id = "computeIndex",
    security(("session" = [])),
    request_body = ComputeRequest,
    responses(
        (status = 200, description = "The Index as stored", body = IndexView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the monitoring department", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad quarter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn compute_index(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Json<IndexView>, ApiError> {
    reach(&caller, Permission::ManageMonitoring, None)?;
    let request: ComputeRequest =
        if body.is_empty() { ComputeRequest { quarter: None } } else { json_body(&body)? };
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let quarter =
        asan::quarter_of(request.quarter.as_deref(), crate::monitoring::today(&state, &loaded.catalogue))
            .map_err(|_| ApiError::unprocessable("quarter", "quarter must be like 2026-Q4"))?;
    asan::compute(&state, quarter).await?;
    Ok(Json(asan::view(&state, locale.lang, Some(&quarter.to_string())).await?))
}

/// Enters a provider's training hours per officer for a quarter: the Index's one manual input.
#[utoipa::path(post, path = "/api/v1/index/training", tag = "monitoring", operation_id = "indexTraining",
    security(("session" = [])),
    request_body = TrainingRequest,
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the monitoring department", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad quarter, provider or number of hours", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn training(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let request: TrainingRequest = json_body(&body)?;
    asan::set_training(&state, &caller, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A stored report, without its file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Its id.
    pub id: i64,
    /// The period.
    pub period: String,
    /// "" for the network, else the centre's code.
    pub scope: String,
    /// `xlsx` or `pdf`.
    pub format: String,
    /// When produced (RFC 3339).
    pub generated_at: String,
    /// Bytes.
    pub size: i64,
    /// Where to download it.
    pub href: String,
}

/// The reports the scheduled job produced for closed periods (a centre manager: the network's and
/// their centre's).
#[utoipa::path(get, path = "/api/v1/reports", tag = "monitoring", operation_id = "reports",
    security(("session" = [])),
    responses(
        (status = 200, description = "Stored reports, newest period first", body = [ReportView]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read reports", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_reports(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    let own = reach(&caller, Permission::ReadStatistics, None)?;
    Ok(Json(
        state
            .store
            .reports()
            .await?
            .into_iter()
            .filter(|r| own.as_deref().is_none_or(|c| r.scope == c))
            .map(|r| ReportView {
                href: format!("/api/v1/reports/stored/{}", r.id),
                id: r.id,
                period: r.period,
                scope: r.scope,
                format: r.format,
                generated_at: r.generated_at.to_string(),
                size: r.size,
            })
            .collect(),
    ))
}

fn file_response(name: &str, body: Vec<u8>, media: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// A stored report's file.
#[utoipa::path(get, path = "/api/v1/reports/stored/{id}", tag = "monitoring", operation_id = "storedReport",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The XLSX or PDF file", content_type = "application/octet-stream"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre's report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stored_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (info, body) = state
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no report {id}")))?;
    let allowed = reach(
        &caller,
        Permission::ReadStatistics,
        Some(&info.scope).filter(|s| !s.is_empty()).map(String::as_str),
    )?;
    if allowed.is_some() && info.scope.is_empty() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "this belongs to another centre"));
    }
    let media = if info.format == "pdf" {
        "application/pdf"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let scope = if info.scope.is_empty() { "network" } else { &info.scope };
    Ok(file_response(&format!("report-{}-{scope}.{}", info.period, info.format), body, media))
}

/// The report of a month, quarter or year, produced now: `network.xlsx`, `network.pdf`, or a
/// centre's, such as `BAKU-1.pdf` (a centre manager gets their centre's).
#[utoipa::path(get, path = "/api/v1/reports/{period}/{report}", tag = "monitoring", operation_id = "report",
    security(("session" = [])),
    params(
        ("period" = String, Path, description = "`2026-11`, `2026-Q4` or `2026`"),
        ("report" = String, Path, description = "`network.xlsx`, `network.pdf`, `CENTRE.xlsx` or `CENTRE.pdf`"),
    ),
    responses(
        (status = 200, description = "The XLSX or PDF file", content_type = "application/octet-stream"),
        (status = 400, description = "A bad period or format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another centre's report", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path((period, report)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let period = Period::parse(&period)
        .ok_or_else(|| ApiError::bad_request("period", "period must be 2026-11, 2026-Q4 or 2026"))?;
    let (scope, format) = report
        .rsplit_once('.')
        .ok_or_else(|| ApiError::bad_request("report", "name the report like network.pdf"))?;
    report_file(&state, &caller, locale.lang, period, scope, format).await
}

/// The report of `period` for `scope` (`network` or a centre's code) as a `format` file, produced
/// now; a centre manager gets their centre's.
pub async fn report_file(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    period: Period,
    scope: &str,
    format: &str,
) -> Result<Response, ApiError> {
    let centre = reach(caller, Permission::ReadStatistics, Some(scope).filter(|s| *s != "network"))?;
    let built = reports::build(state, caller, lang, period, centre.clone()).await?;
    let (body, media) = reports::file(&built, format)?;
    let scope = centre.unwrap_or_else(|| "network".into());
    Ok(file_response(&format!("report-{period}-{scope}.{format}"), body, media))
}
