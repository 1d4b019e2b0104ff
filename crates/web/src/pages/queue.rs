//! The queue's pages: a ticket to follow on a phone and its 80 mm printout, the public live queues
//! of every centre and the comparison of centres for one service, the officer console and the info
//! desk.
//!
//! Pages read the queue through the same flows as the JSON API (`crate::queue`), shaped as the
//! same documented answers the screens' scripts use.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::{Locale, format_datetime};
use crate::problem::ApiError;
use crate::registry::{Loaded, no_such};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use onestop_domain::catalogue::{Catalogue, Centre, Text};
use onestop_domain::identity::Principal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// A queue answer as the JSON the API would send, for templates and the page helpers.
fn as_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "a queue answer does not serialise");
        ApiError::internal()
    })
}

pub(crate) fn tr(text: &Text, lang: &str, catalogue: &Catalogue) -> String {
    text.get_or(lang, catalogue.country.default_language()).to_owned()
}

pub(crate) async fn registry(state: &AppState) -> Result<Arc<Loaded>, ApiError> {
    state.registry.require(state.store.as_ref()).await
}

/// A ticket id from a path: digits only, so it cannot reshape the API path it is put in.
fn ticket_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| no_such("ticket", id))
}

/// The centre's time zone, the agency's when the centre is unknown.
fn zone_of(catalogue: &Catalogue, centre: &str) -> TimeZone {
    catalogue
        .centre(centre)
        .and_then(|c| TimeZone::get(c.time_zone(&catalogue.country)).ok())
        .unwrap_or_else(crate::templates::default_zone)
}

/// A TicketView of the API with the words and times a page shows.
fn ticket_for_page(ticket: &Value, lang: &str, catalogue: &Catalogue) -> Value {
    let centre = ticket["centre"].as_str().unwrap_or_default();
    let zone = zone_of(catalogue, centre);
    let time = |field: &str| {
        ticket[field]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|at| format_datetime(lang, at, &zone))
    };
    let mut view = ticket.clone();
    if let Some(fields) = view.as_object_mut() {
        fields.insert("issued".into(), json!(time("issued_at")));
        fields.insert("called".into(), json!(time("called_at")));
        fields.insert(
            "centre_name".into(),
            json!(
                catalogue.centre(centre).map_or_else(|| centre.to_owned(), |c| tr(&c.name, lang, catalogue))
            ),
        );
        fields.insert("open".into(), json!(!matches!(ticket["state"].as_str(), Some("finished"))));
    }
    view
}

/// `GET /tickets/{id}`: a ticket to follow on a phone; its script refreshes it every 30 s.
pub async fn ticket(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let number = ticket_id(&id)?;
    let loaded = registry(&state).await?;
    let ticket = as_json(&crate::queue::ticket(&state, &caller, locale.lang, number).await?)?;
    let view = ticket_for_page(&ticket, locale.lang, &loaded.catalogue);
    state.templates.page(
        &locale,
        &caller,
        "ticket.html",
        json!({
            "ticket": view,
            "config": { "ticket": number, "texts": texts(&state, &locale, TICKET_TEXTS) },
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "nav-queues", "href": "/queues" },
                { "key": "ticket-title", "label": view["number"], "href": format!("/tickets/{number}") },
            ],
        }),
    )
}

/// The QR code of `url` as inline SVG, labelled for screen readers.
pub fn qr_svg(url: &str, label: &str) -> Result<String, ApiError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "the ticket URL does not fit a QR code");
        ApiError::internal()
    })?;
    let image = code.render::<svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build();
    let start = image.find("<svg").unwrap_or(0);
    let label = label.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    Ok(image[start..].replacen(
        "<svg",
        &format!("<svg class=\"os-qr\" role=\"img\" aria-label=\"{label}\""),
        1,
    ))
}

/// `?auto=1`: print as soon as the page loads (the kiosk and the info desk open it so).
#[derive(Debug, Default, Deserialize)]
pub struct PrintQuery {
    #[serde(default)]
    auto: Option<String>,
}

/// `GET /tickets/{id}/print`: the ticket in an 80 mm thermal-printer layout with a QR code of its
/// public page.
pub async fn print(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(id): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Result<Html<String>, ApiError> {
    let number = ticket_id(&id)?;
    let loaded = registry(&state).await?;
    let ticket = as_json(&crate::queue::ticket(&state, &caller, locale.lang, number).await?)?;
    let view = ticket_for_page(&ticket, locale.lang, &loaded.catalogue);
    let url = format!("{}tickets/{number}", state.public_url);
    let label = state.templates.text(&locale, "ticket-qr-label", &[]);
    let qr = qr_svg(&url, &label)?;
    state.templates.page(
        &locale,
        &caller,
        "ticket_print.html",
        json!({ "ticket": view, "qr": qr, "url": url, "auto": q.auto.as_deref() == Some("1") }),
    )
}

/// `GET /queues`: the live queues of every centre, without personal data.
pub async fn queues(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let mut centres = Vec::new();
    for centre in c.centres.iter().filter(|x| !x.windows.is_empty()) {
        let code = centre.code.as_str();
        let queue = as_json(&crate::queue::centre_queue(&state, lang, code).await?)?;
        let services: Vec<Value> = queue["services"].as_array().cloned().unwrap_or_default();
        let sum = |field: &str| services.iter().filter_map(|s| s[field].as_u64()).sum::<u64>();
        let waits: Vec<u64> = services.iter().filter_map(|s| s["predicted_wait_minutes"].as_u64()).collect();
        centres.push(json!({
            "code": code,
            "name": tr(&centre.name, lang, c),
            "waiting": sum("waiting"),
            "served_today": sum("served_today"),
            "open_windows": queue["open_windows"],
            "longest_wait": waits.iter().max(),
            "services": services.iter().filter(|s| s["waiting"].as_u64().unwrap_or(0) > 0 || s["open_windows"].as_u64().unwrap_or(0) > 0).collect::<Vec<_>>(),
        }));
    }
    let mut services: Vec<Value> = c
        .services
        .iter()
        .filter(|s| c.centres.iter().any(|x| x.offers(s)))
        .map(|s| json!({ "code": s.code.as_str(), "name": tr(&s.name, lang, c) }))
        .collect();
    services.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    state.templates.page(
        &locale,
        &caller,
        "queues.html",
        json!({
            "centres": centres,
            "services": services,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "nav-queues", "href": "/queues" }],
        }),
    )
}

/// `?service=` of the comparison.
#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    #[serde(default)]
    service: String,
}

/// `GET /queues/compare?service=X`: the centres offering a service, the fastest first, each with
/// how much faster it is than the next.
pub async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let mut services: Vec<Value> = c
        .services
        .iter()
        .filter(|s| c.centres.iter().any(|x| x.offers(s)))
        .map(|s| json!({ "code": s.code.as_str(), "name": tr(&s.name, lang, c), "selected": s.code.as_str() == q.service }))
        .collect();
    services.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut rows = Vec::new();
    let mut headline = None;
    let mut name = None;
    if !q.service.is_empty() {
        let service = c.service(&q.service).ok_or_else(|| no_such("service", &q.service))?;
        name = Some(tr(&service.name, lang, c));
        let answer = as_json(&crate::queue::service_queues(&state, lang, service.code.as_str()).await?)?;
        let centres = answer["centres"].as_array().cloned().unwrap_or_default();
        for (i, centre) in centres.iter().enumerate() {
            let wait = centre["predicted_wait_minutes"].as_i64();
            let next = centres.get(i + 1);
            let faster = match (wait, next.and_then(|n| n["predicted_wait_minutes"].as_i64())) {
                (Some(mine), Some(theirs)) => Some(theirs - mine),
                _ => None,
            };
            let code = centre["centre"].as_str().unwrap_or_default();
            let centre_name = c
                .centre(code)
                .map_or_else(|| centre["name"].as_str().unwrap_or(code).to_owned(), |x| tr(&x.name, lang, c));
            if i == 0
                && let (Some(minutes), Some(next)) = (faster, next)
            {
                let next_code = next["centre"].as_str().unwrap_or_default();
                let next_name =
                    c.centre(next_code).map_or_else(|| next_code.to_owned(), |x| tr(&x.name, lang, c));
                headline = Some(json!({ "centre": centre_name, "next": next_name, "minutes": minutes }));
            }
            rows.push(json!({
                "code": code,
                "name": centre_name,
                "waiting": centre["waiting"],
                "open_windows": centre["open_windows"],
                "wait": wait,
                "faster": faster,
                "next": next.map(|n| {
                    let code = n["centre"].as_str().unwrap_or_default();
                    c.centre(code).map_or_else(|| code.to_owned(), |x| tr(&x.name, lang, c))
                }),
            }));
        }
    }
    state.templates.page(
        &locale,
        &caller,
        "queues_compare.html",
        json!({
            "services": services,
            "service": q.service,
            "service_name": name,
            "rows": rows,
            "headline": headline,
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "nav-queues", "href": "/queues" },
                { "key": "compare-title", "href": "/queues/compare" },
            ],
        }),
    )
}

/// The centre a staff member or device works at, or for network-wide staff the one they chose.
pub(crate) fn centre_of(caller: &Caller, chosen: Option<&str>) -> Option<String> {
    let scoped = caller.principal.as_ref().and_then(|p| p.scope().centre.clone());
    scoped.or_else(|| chosen.filter(|c| !c.is_empty()).map(str::to_owned))
}

/// The centres to choose from, for network-wide staff.
pub(crate) fn centre_choices(catalogue: &Catalogue, lang: &str, base: &str) -> Vec<Value> {
    catalogue
        .centres
        .iter()
        .filter(|c| !c.windows.is_empty())
        .map(|c| {
            json!({ "name": tr(&c.name, lang, catalogue), "href": format!("{base}?centre={}", c.code.as_str()) })
        })
        .collect()
}

/// The services a centre offers, by service group, with their required documents.
pub(crate) fn services_by_group(catalogue: &Catalogue, centre: &Centre, lang: &str) -> Vec<Value> {
    catalogue
        .groups
        .iter()
        .filter_map(|g| {
            let services: Vec<Value> = catalogue
                .services
                .iter()
                .filter(|s| s.group == g.code && centre.offers(s))
                .map(|s| {
                    json!({
                        "code": s.code.as_str(),
                        "name": tr(&s.name, lang, catalogue),
                        "documents": s.documents.iter().map(|d| tr(&d.name, lang, catalogue)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            (!services.is_empty())
                .then(|| json!({ "code": g.code.as_str(), "name": tr(&g.name, lang, catalogue), "services": services }))
        })
        .collect()
}

/// The messages named in `keys`, for a page's script.
pub(crate) fn texts(state: &AppState, locale: &Locale, keys: &[&str]) -> Value {
    let placeholders = ["number", "floor", "minutes", "count", "window", "centre", "service", "ticket"];
    let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> =
        placeholders.iter().map(|p| (*p, fluent_bundle::FluentValue::from(format!("{{{p}}}")))).collect();
    let map: serde_json::Map<String, Value> =
        keys.iter().map(|k| ((*k).to_owned(), json!(state.templates.text(locale, k, &args)))).collect();
    Value::Object(map)
}

/// Words the ticket page's script shows.
pub(crate) const TICKET_TEXTS: &[&str] = &[
    "ticket-state-waiting",
    "ticket-state-called",
    "ticket-state-serving",
    "ticket-state-parked",
    "ticket-state-finished",
    "ticket-window-floor",
    "ticket-minutes",
    "ticket-no-estimate",
];

/// Words the officer console's script shows.
pub(crate) const OFFICER_TEXTS: &[&str] = &[
    "officer-none",
    "officer-no-one-waiting",
    "officer-signed-in",
    "officer-signed-out",
    "officer-called",
    "officer-rule-returning",
    "officer-rule-appointment",
    "officer-rule-priority",
    "officer-rule-first_come",
    "officer-done",
    "officer-reason-required",
    "ticket-state-waiting",
    "ticket-state-called",
    "ticket-state-serving",
    "ticket-state-parked",
    "ticket-state-finished",
    "ticket-window-floor",
    "screen-reconnecting",
    "queue-waiting-count",
    "park-reason-payment",
    "park-reason-documents",
    "park-reason-other",
];

/// Words the info desk's script shows.
pub(crate) const DESK_TEXTS: &[&str] = &[
    "desk-tick-all",
    "desk-id-required",
    "desk-service-required",
    "ticket-window-floor",
    "ticket-minutes",
    "ticket-no-estimate",
    "ticket-people-ahead",
];

/// `?centre=&window=` of the staff and screen pages.
#[derive(Debug, Default, Deserialize)]
pub struct PlaceQuery {
    #[serde(default)]
    pub(crate) centre: Option<String>,
    #[serde(default)]
    pub(crate) window: Option<String>,
}

/// `GET /staff/window`: the officer console — sign in to a window of one's provider at one's
/// centre, then call, serve and finish tickets.
pub async fn officer(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let crumbs = json!([{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-officer", "href": "/staff/window" }]);
    let Some(code) = centre_of(&caller, q.centre.as_deref()) else {
        let page = state.templates.page(
            &locale,
            &caller,
            "queues_pick.html",
            json!({ "title": "officer-title", "choices": centre_choices(c, lang, "/staff/window"), "crumbs": crumbs }),
        )?;
        return Ok(page.into_response());
    };
    let provider = caller.staff().and_then(|s| s.scope.provider.clone());
    let centre = c.centre(&code);
    let windows: Vec<Value> = centre
        .map(|x| {
            x.windows
                .iter()
                .filter(|w| provider.as_deref().is_none_or(|p| w.provider.as_str() == p))
                .map(|w| {
                    json!({
                        "id": format!("{code}:{}", w.number),
                        "number": w.number,
                        "floor": w.floor,
                        "services": w.services.iter().filter_map(|s| c.service(s.as_str())).map(|s| tr(&s.name, lang, c)).collect::<Vec<_>>(),
                        "selected": q.window.as_deref() == Some(&w.number.to_string()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let services: Vec<Value> = centre
        .map(|x| {
            c.services
                .iter()
                .filter(|s| x.offers(s))
                .map(|s| json!({ "code": s.code.as_str(), "name": tr(&s.name, lang, c) }))
                .collect()
        })
        .unwrap_or_default();
    let page = state.templates.page(
        &locale,
        &caller,
        "officer.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, lang, c)), "known": centre.is_some() },
            "windows": windows,
            "services": services,
            "crumbs": crumbs,
            "config": {
                "centre": code,
                "login": caller.staff().map(|s| s.login.clone()),
                "csrf": caller.session.as_ref().map(|s| s.csrf.clone()),
                "now": state.now().to_string(),
                "texts": texts(&state, &locale, OFFICER_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /staff/desk`: the info desk — read the ID card, check the documents, issue a ticket.
pub async fn desk(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    if matches!(caller.principal, Some(Principal::Device(_))) {
        // A kiosk may issue tickets, but its page is the kiosk screen.
        return Ok(Redirect::to("/screens/kiosk").into_response());
    }
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let crumbs =
        json!([{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-desk", "href": "/staff/desk" }]);
    let Some(code) = centre_of(&caller, q.centre.as_deref()) else {
        let page = state.templates.page(
            &locale,
            &caller,
            "queues_pick.html",
            json!({ "title": "desk-title", "choices": centre_choices(c, lang, "/staff/desk"), "crumbs": crumbs }),
        )?;
        return Ok(page.into_response());
    };
    let centre = c.centre(&code);
    let groups = centre.map(|x| services_by_group(c, x, lang)).unwrap_or_default();
    let page = state.templates.page(
        &locale,
        &caller,
        "desk.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, lang, c)), "known": centre.is_some() },
            "groups": groups,
            "priorities": PRIORITIES,
            "crumbs": crumbs,
            "config": {
                "centre": code,
                "csrf": caller.session.as_ref().map(|s| s.csrf.clone()),
                "groups": groups,
                "texts": texts(&state, &locale, DESK_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

/// The priority groups the info desk may record, as the API names them.
pub(crate) const PRIORITIES: [&str; 5] = ["disabled", "pregnant", "elderly", "veteran", "with_infant"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, LANGUAGES};

    #[test]
    fn script_words_exist_in_every_language() {
        let catalog = Catalog::new();
        let keys = TICKET_TEXTS
            .iter()
            .chain(OFFICER_TEXTS)
            .chain(DESK_TEXTS)
            .chain(crate::screens::KIOSK_TEXTS)
            .chain(crate::screens::HALL_TEXTS)
            .chain(crate::screens::WINDOW_TEXTS)
            .map(|k| (*k).to_owned())
            .chain(PRIORITIES.iter().map(|p| format!("priority-{p}")));
        for key in keys {
            for lang in LANGUAGES {
                assert!(catalog.has(lang, &key), "{lang} lacks {key}");
            }
        }
    }

    #[test]
    fn the_qr_code_is_inline_svg_with_a_label() {
        let svg = qr_svg("https://onestop.example/tickets/42", "Follow \"this\" ticket").unwrap();
        assert!(
            svg.starts_with(
                "<svg class=\"os-qr\" role=\"img\" aria-label=\"Follow &quot;this&quot; ticket\""
            )
        );
        assert!(svg.contains("<path") || svg.contains("<rect"), "{svg}");
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn ticket_ids_are_positive_numbers() {
        assert_eq!(ticket_id("42").unwrap(), 42);
        for bad in ["0", "-1", "1?x=2", "abc", "1/print"] {
            assert_eq!(ticket_id(bad).unwrap_err().status(), axum::http::StatusCode::NOT_FOUND, "{bad}");
        }
    }
}
