//! The monitoring department's pages: the dashboard (charts and the same numbers as tables, with
//! filters), the live overview of every centre, officers' appraisals, reports and the ASAN
//! Service Index. Every table links to its CSV.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::monitoring::appraisal::{self, AppraisalQuery, CommentRequest};
use crate::monitoring::charts;
use crate::monitoring::index::{self as asan, IndexQuery, TrainingRequest};
use crate::monitoring::stats::{self, FigureRow, StatsQuery};
use crate::monitoring::{clock_text, reach};
use crate::pages::feedback::{field, form_fields};
use crate::pages::queue::tr;
use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use onestop_domain::identity::{Permission, Target};
use serde_json::{Value, json};

/// A figures row with its times as clock text, for templates.
fn row(r: &FigureRow) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        let [w50, w90, s50, s90] = stats::times(r);
        map.insert("wait_p50".into(), w50.into());
        map.insert("wait_p90".into(), w90.into());
        map.insert("service_p50".into(), s50.into());
        map.insert("service_p90".into(), s90.into());
    }
    v
}

fn rows(list: &[FigureRow]) -> Vec<Value> {
    list.iter().map(row).collect()
}

/// The query string of a statistics table's CSV.
fn csv_href(d: &stats::Dashboard, cuboid: &str, by: &str) -> String {
    let mut q = vec![
        ("cuboid", cuboid.to_owned()),
        ("by", by.to_owned()),
        ("from", d.from.clone()),
        ("to", d.to.clone()),
        ("format", "csv".to_owned()),
    ];
    for (k, v) in [("centre", &d.centre), ("provider", &d.provider), ("service", &d.service)] {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    format!("/api/v1/statistics?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
}

fn crumbs(key: &str, href: &str) -> Value {
    json!([
        { "key": "nav-staff-home", "href": "/staff" },
        { "key": "nav-monitoring", "href": "/monitoring" },
        { "key": key, "href": href },
    ])
}

/// `GET /monitoring`: the dashboard of a period — flow by hour, waits over time, the service mix,
/// complaint deadlines — with the same figures as tables, filtered by period, centre, provider
/// and service.
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let d = stats::dashboard(&state, &caller, locale.lang, &q).await?;
    let t = |key: &str| state.templates.catalog.text(locale.lang, key, &[]);
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        .map(|w| t(&format!("weekday-{w}")));
    let heat_cells: Vec<(i8, i8, u64)> = d.heat.iter().map(|c| (c.weekday, c.hour, c.visits)).collect();
    let heat = charts::heat_map(
        "heat",
        &t("monitoring-heat-title"),
        &t("monitoring-heat-desc"),
        &weekdays,
        &heat_cells,
    );
    let minutes = |s: Option<i64>| s.map(|s| s as f64 / 60.0);
    let points: Vec<(String, [Option<f64>; 2])> = d
        .over_time
        .iter()
        .map(|r| (r.key.clone(), [minutes(r.wait_p50_secs), minutes(r.wait_p90_secs)]))
        .collect();
    let waits = charts::lines(
        "waits",
        &t("monitoring-waits-title"),
        &t("monitoring-waits-desc"),
        [&t("monitoring-p50"), &t("monitoring-p90")],
        &points,
    );
    let mix_items: Vec<(String, u64)> =
        d.by_service.iter().take(12).map(|r| (r.name.clone(), r.visits)).collect();
    let mix = charts::bars("mix", &t("monitoring-mix-title"), &t("monitoring-mix-desc"), &mix_items);
    let parts = [
        (t("monitoring-on-time"), "#00a91c"),
        (t("monitoring-late"), "#e8a33d"),
        (t("monitoring-overdue"), "#b50909"),
    ];
    let parts: Vec<(&str, &str)> = parts.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    let deadline_rows: Vec<(String, Vec<u64>)> = d
        .deadlines
        .iter()
        .map(|r| (t(&format!("complaint-category-{}", r.category)), vec![r.on_time, r.late, r.overdue]))
        .collect();
    let deadlines = charts::stacked(
        "deadlines",
        &t("monitoring-deadlines-title"),
        &t("monitoring-deadlines-desc"),
        &parts,
        &deadline_rows,
    );
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let own = caller.staff().and_then(|s| s.scope.centre.clone());
    let centres: Vec<Value> = c
        .centres
        .iter()
        .filter(|x| own.as_deref().is_none_or(|o| x.code == o))
        .map(|x| json!({ "code": x.code.as_str(), "name": tr(&x.name, locale.lang, c) }))
        .collect();
    let providers: Vec<Value> = c
        .providers
        .iter()
        .map(|p| json!({ "code": p.code.as_str(), "name": tr(&p.name, locale.lang, c) }))
        .collect();
    let services: Vec<Value> = c
        .services
        .iter()
        .map(|s| json!({ "code": s.code.as_str(), "name": tr(&s.name, locale.lang, c) }))
        .collect();
    let mut heat_table: Vec<Value> = Vec::new();
    for (i, name) in weekdays.iter().enumerate() {
        let day = i8::try_from(i + 1).unwrap_or(1);
        let cells: Vec<u64> = (0..24)
            .map(|h| d.heat.iter().find(|c| c.weekday == day && c.hour == h).map_or(0, |c| c.visits))
            .collect();
        heat_table.push(json!({ "name": name, "cells": cells }));
    }
    let hours: Vec<Value> = (0..24usize)
        .filter(|h| d.heat.iter().any(|c| usize::try_from(c.hour).ok() == Some(*h)))
        .map(|h| json!({ "hour": h, "label": format!("{h:02}") }))
        .collect();
    let origins: Vec<Value> = d
        .by_origin
        .iter()
        .map(|r| {
            let mut v = row(r);
            v["name"] = t(&format!("origin-{}", r.key)).into();
            v
        })
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "monitoring.html",
        json!({
            "d": {
                "from": d.from, "to": d.to, "centre": d.centre, "provider": d.provider, "service": d.service,
                "total": row(&d.total), "monthly": d.monthly,
                "by_centre": rows(&d.by_centre), "by_provider": rows(&d.by_provider),
                "by_service": rows(&d.by_service), "by_origin": origins, "over_time": rows(&d.over_time),
                "deadlines": d.deadlines,
            },
            "heat_table": heat_table,
            "hours": hours,
            "charts": { "heat": heat, "waits": waits, "mix": mix, "deadlines": deadlines },
            "csv": {
                "centre": csv_href(&d, "flow", "centre"),
                "provider": csv_href(&d, "flow", "provider"),
                "service": csv_href(&d, "flow", "service"),
                "origin": csv_href(&d, "flow", "origin"),
                "time": csv_href(&d, "flow", if d.monthly { "month" } else { "day" }),
                "heat": csv_href(&d, "hours", "weekday_hour"),
                "ratings": csv_href(&d, "ratings", "centre"),
            },
            "centres": centres, "providers": providers, "services": services,
            "may_manage": caller.authorize(Permission::ManageMonitoring, Target::ANY).is_ok(),
            "crumbs": [
                { "key": "nav-staff-home", "href": "/staff" },
                { "key": "nav-monitoring", "href": "/monitoring" },
            ],
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /monitoring/live`: every centre's queue now.
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    let centres = stats::live(&state, &caller, locale.lang).await?;
    let page = state.templates.page(
        &locale,
        &caller,
        "monitoring_live.html",
        json!({ "centres": centres, "crumbs": crumbs("monitoring-live-title", "/monitoring/live") }),
    )?;
    Ok(page.into_response())
}

/// `GET /monitoring/officers`: officers' appraisals of a period.
pub async fn officers(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<AppraisalQuery>,
) -> Result<Response, ApiError> {
    let view = appraisal::list(&state, &caller, &q).await?;
    let rows: Vec<Value> = view
        .rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            v["median_service"] = clock_text(r.median_service_secs).into();
            v["norm"] = clock_text(r.norm_secs).into();
            v
        })
        .collect();
    let csv = format!(
        "/api/v1/appraisals?{}",
        serde_urlencoded::to_string([("period", view.period.as_str()), ("format", "csv")])
            .unwrap_or_default()
    );
    let page = state.templates.page(
        &locale,
        &caller,
        "appraisals.html",
        json!({
            "view": { "period": view.period, "kind": view.kind, "centre": view.centre, "rows": rows },
            "csv": csv,
            "weights": state.monitoring.appraisal,
            "crumbs": crumbs("appraisals-title", "/monitoring/officers"),
        }),
    )?;
    Ok(page.into_response())
}

async fn officer_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    login: &str,
    period: Option<&str>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let detail = appraisal::detail(state, caller, login, period).await?;
    let current = detail.current.as_ref().map(|r| {
        let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
        v["median_service"] = clock_text(r.median_service_secs).into();
        v["norm"] = clock_text(r.norm_secs).into();
        v
    });
    let may_comment = caller
        .authorize(
            Permission::AppraiseOfficers,
            Target { centre: Some(detail.centre.as_str()), ..Target::ANY },
        )
        .is_ok();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = state.templates.page(
        locale,
        caller,
        "appraisal.html",
        json!({
            "d": detail, "current": current, "may_comment": may_comment, "error": error,
            "crumbs": [
                { "key": "nav-staff-home", "href": "/staff" },
                { "key": "nav-monitoring", "href": "/monitoring" },
                { "key": "appraisals-title", "href": "/monitoring/officers" },
                { "label": login, "href": format!("/monitoring/officers/{login}") },
            ],
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /monitoring/officers/{login}`: one officer's appraisal, history and comments.
pub async fn officer(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(login): Path<String>,
    Query(q): Query<AppraisalQuery>,
) -> Result<Response, ApiError> {
    officer_page(&state, &caller, &locale, &login, q.period.as_deref(), None).await
}

/// `POST /monitoring/officers/{login}/comments`: a manager's comment (the form without script).
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let request = CommentRequest {
        period: field(&fields, "period").unwrap_or_default().to_owned(),
        body: field(&fields, "body").unwrap_or_default().to_owned(),
    };
    match appraisal::comment(&state, &caller, &login, &request).await {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("period", request.period.as_str())]).unwrap_or_default();
            Ok(Redirect::to(&format!("/monitoring/officers/{login}?{q}")).into_response())
        }
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = state.templates.text(&locale, "appraisal-comment-invalid", &[]);
            officer_page(&state, &caller, &locale, &login, Some(&request.period), Some(message)).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /monitoring/reports`: the reports produced for closed periods, and reports of any period
/// on demand.
pub async fn reports(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    let own = reach(&caller, Permission::ReadStatistics, None)?;
    let stored: Vec<Value> = state
        .store
        .reports()
        .await?
        .into_iter()
        .filter(|r| own.as_deref().is_none_or(|c| r.scope == c))
        .map(|r| {
            json!({
                "period": r.period, "scope": r.scope, "format": r.format, "size": r.size,
                "generated_at": r.generated_at.to_string(), "href": format!("/api/v1/reports/stored/{}", r.id),
            })
        })
        .collect();
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = crate::monitoring::today(&state, c);
    let last_month = onestop_domain::monitoring::Period::month_of(today).previous();
    let centres: Vec<Value> = c
        .centres
        .iter()
        .filter(|x| own.as_deref().is_none_or(|o| x.code == o))
        .map(|x| json!({ "code": x.code.as_str(), "name": tr(&x.name, locale.lang, c) }))
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "reports.html",
        json!({
            "stored": stored, "centres": centres, "network": own.is_none(),
            "suggested": last_month.to_string(),
            "crumbs": crumbs("reports-title", "/monitoring/reports"),
        }),
    )?;
    Ok(page.into_response())
}

/// The query of the report form: a period and a scope.
#[derive(Debug, serde::Deserialize)]
pub struct ReportForm {
    period: Option<String>,
    scope: Option<String>,
    format: Option<String>,
}

/// `GET /monitoring/reports/download`: the report form's target, answering the file (of the
/// previous month when no period is given).
pub async fn report_download(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<ReportForm>,
) -> Result<Response, ApiError> {
    let period = match q.period.filter(|p| !p.is_empty()) {
        Some(p) => onestop_domain::monitoring::Period::parse(&p)
            .ok_or_else(|| ApiError::bad_request("period", "period must be 2026-11, 2026-Q4 or 2026"))?,
        None => {
            let loaded = state.registry.require(state.store.as_ref()).await?;
            onestop_domain::monitoring::Period::month_of(crate::monitoring::today(&state, &loaded.catalogue))
                .previous()
        }
    };
    let format = q.format.filter(|f| f == "pdf" || f == "xlsx").unwrap_or_else(|| "pdf".into());
    let scope = q.scope.filter(|s| !s.is_empty()).unwrap_or_else(|| "network".into());
    crate::api::monitoring::report_file(&state, &caller, locale.lang, period, &scope, &format).await
}

async fn index_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    quarter: Option<&str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let view = asan::view(state, locale.lang, quarter).await?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let providers: Vec<Value> = c
        .providers
        .iter()
        .map(|p| json!({ "code": p.code.as_str(), "name": tr(&p.name, locale.lang, c) }))
        .collect();
    let trend_items: Vec<(String, [Option<f64>; 2])> =
        view.trend.iter().map(|p| (p.quarter.clone(), [Some(p.mean_total), None])).collect();
    let t = |key: &str| state.templates.catalog.text(locale.lang, key, &[]);
    let trend = charts::lines(
        "trend",
        &t("index-trend-title"),
        &t("index-trend-desc"),
        [&t("index-mean"), ""],
        &trend_items,
    );
    let csv = format!(
        "/api/v1/index?{}",
        serde_urlencoded::to_string([("quarter", view.quarter.as_str()), ("format", "csv")])
            .unwrap_or_default()
    );
    let page = state.templates.page(
        locale,
        caller,
        "asan_index.html",
        json!({
            "view": view, "providers_all": providers, "trend_chart": trend, "csv": csv,
            "may_manage": caller.authorize(Permission::ManageMonitoring, Target::ANY).is_ok(),
            "weights": state.monitoring.index.weights,
            "error": status == StatusCode::UNPROCESSABLE_ENTITY,
            "crumbs": crumbs("index-title", "/monitoring/index"),
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /monitoring/index`: the ASAN Service Index of a quarter, with each service's breakdown.
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    index_page(&state, &caller, &locale, q.quarter.as_deref(), StatusCode::OK).await
}

/// `POST /monitoring/index/compute`: computes and stores the Index of the form's quarter.
pub async fn compute(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    reach(&caller, Permission::ManageMonitoring, None)?;
    let fields = form_fields(&body)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let quarter =
        asan::quarter_of(field(&fields, "quarter"), crate::monitoring::today(&state, &loaded.catalogue))?;
    asan::compute(&state, quarter).await?;
    Ok(Redirect::to(&format!("/monitoring/index?quarter={quarter}")).into_response())
}

/// `POST /monitoring/index/training`: a provider's training hours for a quarter.
pub async fn training(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = form_fields(&body)?;
    let quarter = field(&fields, "quarter").unwrap_or_default().to_owned();
    let request = TrainingRequest {
        quarter: quarter.clone(),
        provider: field(&fields, "provider").unwrap_or_default().to_owned(),
        hours: field(&fields, "hours").and_then(|h| h.replace(',', ".").parse().ok()).unwrap_or(-1.0),
    };
    match asan::set_training(&state, &caller, &request).await {
        Ok(()) => Ok(Redirect::to(&format!("/monitoring/index?quarter={quarter}")).into_response()),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            index_page(
                &state,
                &caller,
                &locale,
                Some(&quarter).filter(|q| !q.is_empty()).map(String::as_str),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
