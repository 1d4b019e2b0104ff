//! The staffing page of a centre (`/staff/centres/{code}/staffing`): for one day, per window
//! group (windows that render the same services) and opening hour, the windows that worked
//! against the windows the staffing formulas recommend for a service-level target
//! (`onestop_domain::staffing::advise`: Erlang A with the visitors' patience, Erlang C beside it).
//!
//! - **Current**: the windows of the group that called a ticket in that hour (from the day's
//!   tickets), and for the hour now at least the windows with an officer signed in.
//! - **Demand**: the day's tickets per service and hour when the day has enough of them (30),
//!   else the assumed profile (`staffing::typical_arrivals`), said so on the page.
//! - **Service time**: the same estimate the wait predictor uses (the mean of the service times
//!   among the last 50 calls, those beyond ten medians left out, else the catalogue's handling
//!   time).

use std::collections::{BTreeMap, BTreeSet};

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Locale;
use crate::pages::queue::{registry, tr};
use crate::problem::ApiError;
use crate::registry::no_such;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use onestop_domain::identity::{Denial, Permission, Target};
use onestop_domain::queue::day;
use onestop_domain::queue::predict::{DEFAULT_MIN_SAMPLES, mean_service_time};
use onestop_domain::queue::ticket::ActionName;
use onestop_domain::staffing::{self, Target as SlTarget};
use serde::Deserialize;
use serde_json::json;

/// Tickets a day needs before its own demand is used instead of the assumed profile.
const OBSERVED_MIN_TICKETS: usize = 30;

/// The page's choices.
#[derive(Debug, Default, Deserialize)]
pub struct StaffingQuery {
    /// The day (`YYYY-MM-DD`), today by default.
    pub date: Option<String>,
    /// The target's minutes (default 15).
    pub minutes: Option<String>,
    /// The target's share in percent (default 80).
    pub share: Option<String>,
    /// The visitors' mean patience in minutes (default 30).
    pub patience: Option<String>,
    /// For network-wide staff: the centre to open.
    pub centre: Option<String>,
}

fn denied(denial: Denial) -> ApiError {
    match denial {
        Denial::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"),
        other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()),
    }
}

fn number(
    field: &str,
    text: Option<&str>,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<f64, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(t) => t.parse::<f64>().ok().filter(|v| range.contains(v)).ok_or_else(|| {
            ApiError::unprocessable(
                field,
                format!("{field} must be a number from {} to {}", range.start(), range.end()),
            )
        }),
    }
}

/// `GET /staff/staffing`: the centres the caller may plan (a centre manager's own), to choose
/// from; `?centre=CODE` goes to that centre's page.
pub async fn pick(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<StaffingQuery>,
) -> Result<Response, ApiError> {
    if let Some(code) = q.centre.as_deref().filter(|c| !c.is_empty()) {
        return Ok(Redirect::to(&format!("/staff/centres/{}/staffing", urlencode(code))).into_response());
    }
    let own = caller.principal.as_ref().and_then(|p| p.scope().centre.clone());
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let choices: Vec<_> = c
        .centres
        .iter()
        .filter(|x| !x.windows.is_empty())
        .filter(|x| own.as_deref().is_none_or(|o| x.code == o))
        .map(|x| {
            json!({ "name": tr(&x.name, locale.lang, c), "href": format!("/staff/centres/{}/staffing", x.code.as_str()) })
        })
        .collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "queues_pick.html",
        json!({ "title": "staffing-title", "choices": choices }),
    )?;
    Ok(page.into_response())
}

fn urlencode(text: &str) -> String {
    text.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch.to_string()
            } else {
                format!("%{:02X}", ch as u32)
            }
        })
        .collect()
}

/// `GET /staff/centres/{code}/staffing`.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    Query(q): Query<StaffingQuery>,
) -> Result<Response, ApiError> {
    caller
        .authorize(Permission::PlanStaffing, Target { centre: Some(&code), ..Target::ANY })
        .map_err(denied)?;
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code).ok_or_else(|| no_such("centre", &code))?;
    let now = state.now();
    let today = day::local_date(centre, &c.country, now);
    let date: Date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::unprocessable("date", format!("{d:?} is not a date (YYYY-MM-DD)")))?,
    };
    let minutes = number("minutes", q.minutes.as_deref(), 15.0, 1.0..=240.0)?;
    let share = number("share", q.share.as_deref(), 80.0, 1.0..=99.9)?;
    let patience = number("patience", q.patience.as_deref(), 30.0, 1.0..=600.0)?;
    let target = SlTarget { within: minutes * 60.0, share: share / 100.0 };
    let zone = day::zone(centre, &c.country);
    let hours = centre.hours_on_date(date, &c.country);

    let store = state.store.as_ref();
    let tickets = store.day_tickets(&centre.code, date).await?;
    let times = store.service_times(&centre.code, None, crate::queue::SERVICE_TIME_SAMPLES).await?;
    let signed_in: BTreeSet<u32> = if date == today {
        store.open_windows(&centre.code).await?.into_iter().map(|s| s.window).collect()
    } else {
        BTreeSet::new()
    };
    let hour_of = |at: jiff::Timestamp| at.to_zoned(zone.clone()).hour();
    let observed = tickets.len() >= OBSERVED_MIN_TICKETS;
    // Issued per (service, hour); windows that called per hour.
    let mut issued: BTreeMap<(String, i8), f64> = BTreeMap::new();
    let mut worked: BTreeMap<i8, BTreeSet<u32>> = BTreeMap::new();
    for record in &tickets {
        let t = &record.ticket;
        if t.follows.is_none() {
            *issued.entry((t.service.as_str().to_owned(), hour_of(t.issued_at))).or_default() += 1.0;
        }
        for step in t.steps.iter().filter(|s| s.action == ActionName::Call) {
            if let Some(w) = step.window {
                worked.entry(hour_of(step.at)).or_default().insert(w);
            }
        }
    }
    let hour_now = (date == today).then(|| hour_of(now));

    let (open_hour, close_hour) = match hours {
        Some((open, close)) => {
            (open.hour(), if close.minute() > 0 { close.hour() + 1 } else { close.hour() })
        }
        None => (0, 0),
    };
    let hour_list: Vec<i8> = (open_hour..close_hour).collect();
    let mut short = false;
    let groups: Vec<_> = staffing::window_groups(centre)
        .into_iter()
        .map(|group| {
            let cells: Vec<_> = hour_list
                .iter()
                .map(|&hour| {
                    let mut arrivals = 0.0;
                    let mut weighted = 0.0;
                    let typical = staffing::typical_arrivals(&group, c, 0.7, hour, date.weekday());
                    for (service, assumed) in typical {
                        let demand = if observed {
                            issued.get(&(service.as_str().to_owned(), hour)).copied().unwrap_or(0.0)
                        } else {
                            assumed
                        };
                        let handling = c.service(service.as_str()).map_or(10, |s| s.handling_minutes);
                        let recent = times
                            .iter()
                            .find(|t| t.service == service)
                            .map(|t| t.service_times())
                            .unwrap_or_default();
                        let mean =
                            mean_service_time(&recent, handling, DEFAULT_MIN_SAMPLES).mean.as_secs_f64();
                        arrivals += demand;
                        weighted += demand * mean;
                    }
                    let mean_service = if arrivals > 0.0 {
                        weighted / arrivals
                    } else {
                        staffing::mean_handling_minutes(&group, c) * 60.0
                    };
                    let cap = group.windows.len() * 4 + 10;
                    let advice = staffing::advise(hour, arrivals, mean_service, target, patience * 60.0, cap);
                    let mut current: BTreeSet<u32> = worked
                        .get(&hour)
                        .map(|w| w.iter().copied().filter(|n| group.windows.contains(n)).collect())
                        .unwrap_or_default();
                    if hour_now == Some(hour) {
                        current.extend(signed_in.iter().copied().filter(|n| group.windows.contains(n)));
                    }
                    let known = observed || !current.is_empty() || hour_now == Some(hour);
                    let recommended = advice.erlang_a;
                    let beyond = recommended.is_none_or(|n| n > group.windows.len());
                    short |= beyond;
                    let status = match (known, recommended) {
                        (_, None) => "short",
                        (false, Some(_)) => "unknown",
                        (true, Some(n)) if current.len() < n => "under",
                        (true, Some(n)) if current.len() > n => "over",
                        _ => "ok",
                    };
                    json!({
                        "hour": format!("{hour:02}:00"),
                        "arrivals": format!("{:.0}", advice.arrivals),
                        "current": known.then_some(current.len()),
                        "recommended": recommended.map_or_else(|| format!(">{cap}"), |n| n.to_string()),
                        "erlang_c": advice.erlang_c.map_or_else(|| format!(">{cap}"), |n| n.to_string()),
                        "service_level": format!("{:.0}", advice.service_level * 100.0),
                        "beyond": beyond,
                        "status": status,
                    })
                })
                .collect();
            let services: Vec<String> = group
                .services
                .iter()
                .filter_map(|s| c.service(s.as_str()))
                .map(|s| tr(&s.name, locale.lang, c))
                .collect();
            let provider = c
                .provider(group.provider.as_str())
                .map_or_else(|| group.provider.as_str().to_owned(), |p| tr(&p.name, locale.lang, c));
            json!({
                "label": group.label(),
                "size": group.windows.len(),
                "provider": provider,
                "services": services,
                "cells": cells,
            })
        })
        .collect();
    let hour_labels: Vec<String> = hour_list.iter().map(|h| format!("{h:02}:00")).collect();
    let crumbs = json!([{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-staffing", "href": "/staff/staffing" }]);
    let page = state.templates.page(
        &locale,
        &caller,
        "staffing.html",
        json!({
            "centre": { "code": centre.code.as_str(), "name": tr(&centre.name, locale.lang, c) },
            "date": date.to_string(),
            "minutes": minutes,
            "share": share,
            "patience": patience,
            "closed": hours.is_none(),
            "observed": observed,
            "tickets": tickets.len(),
            "hours": hour_labels,
            "groups": groups,
            "short": short,
            "crumbs": crumbs,
        }),
    )?;
    Ok(page.into_response())
}
