//! Public pages of the registry: the service catalogue with search, a service in full, the centres
//! and buses with today's hours, and a centre in full. Each detail page embeds schema.org JSON-LD.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::{Locale, format_money};
use crate::map::{Marker, MarkerKind, render_svg};
use crate::problem::ApiError;
use crate::registry::{Loaded, WEEK, hhmm, no_such, slug, weekday_slug};
use axum::extract::{Path, Query, State};
use axum::response::Html;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use onestop_domain::catalogue::{Catalogue, Centre, CentreKind, DayHours, Service, Text};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn tr(text: &Text, lang: &str, catalogue: &Catalogue) -> String {
    text.get_or(lang, catalogue.country.default_language()).to_owned()
}

fn weekday_key(day: Weekday) -> String {
    format!("weekday-{}", weekday_slug(day))
}

async fn registry(state: &AppState) -> Result<Arc<Loaded>, ApiError> {
    state.registry.require(state.store.as_ref()).await
}

/// Today's date and hours of a centre, in its own time zone.
fn today(state: &AppState, centre: &Centre, catalogue: &Catalogue) -> (Date, Option<(Time, Time)>) {
    let zone = TimeZone::get(centre.time_zone(&catalogue.country)).unwrap_or(TimeZone::UTC);
    let date = state.now().to_zoned(zone).date();
    (date, centre.hours_on_date(date, &catalogue.country))
}

fn money(lang: &str, catalogue: &Catalogue, minor: i64) -> String {
    let currency = &catalogue.country.currency;
    format_money(lang, minor, &currency.code, u32::from(currency.minor_units))
}

/// The catalogue's filters.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    group: String,
}

fn service_matches(service: &Service, q: &CatalogueQuery) -> bool {
    service.matches_words(&q.q)
        && (q.provider.is_empty() || service.provider.as_str() == q.provider)
        && (q.group.is_empty() || service.group.as_str() == q.group)
}

fn service_card(lang: &str, c: &Catalogue, s: &Service) -> Value {
    json!({
        "code": s.code.as_str(),
        "name": tr(&s.name, lang, c),
        "provider": c.provider(s.provider.as_str()).map(|p| tr(&p.name, lang, c)).unwrap_or_default(),
        "free": s.fees.state == 0 && s.fees.service == 0,
        "fee": money(lang, c, s.fees.state + s.fees.service),
        "days": s.timeframe.working_days(),
    })
}

/// `GET /services`: the catalogue, searchable by words in any language, provider and group.
pub async fn catalogue(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<CatalogueQuery>,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let services: Vec<Value> =
        c.services.iter().filter(|s| service_matches(s, &q)).map(|s| service_card(lang, c, s)).collect();
    let providers: Vec<Value> = c
        .providers
        .iter()
        .map(|p| json!({ "code": p.code.as_str(), "name": tr(&p.name, lang, c), "selected": p.code.as_str() == q.provider }))
        .collect();
    let groups: Vec<Value> = c
        .groups
        .iter()
        .map(|g| json!({ "code": g.code.as_str(), "name": tr(&g.name, lang, c), "selected": g.code.as_str() == q.group }))
        .collect();
    state.templates.page(
        &locale,
        &caller,
        "services.html",
        json!({
            "services": services,
            "providers": providers,
            "groups": groups,
            "q": q.q,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "nav-services", "href": "/services" }],
        }),
    )
}

/// `GET /services/{code}`: one service in full, where and when it is available.
pub async fn service(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let s = c.service(&code).ok_or_else(|| no_such("service", &code))?;
    let provider = c.provider(s.provider.as_str());
    let offered: Vec<Value> = c
        .offered_at(&code)
        .iter()
        .map(|centre| {
            let (_, hours) = today(&state, centre, c);
            json!({
                "code": centre.code.as_str(),
                "name": tr(&centre.name, lang, c),
                "bus": centre.kind == CentreKind::MobileBus,
                "open": hours.map(|(o, cl)| format!("{}–{}", hhmm(o), hhmm(cl))),
            })
        })
        .collect();
    let exemptions: Vec<Value> = s
        .fees
        .exemptions
        .iter()
        .map(|e| json!({ "reason": tr(&e.reason, lang, c), "waives": slug(e.waives) }))
        .collect();
    let schema = json!({
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "identifier": s.code.as_str(),
        "name": tr(&s.name, lang, c),
        "description": tr(&s.description, lang, c),
        "serviceOperator": provider.map(|p| json!({ "@type": "GovernmentOrganization", "name": tr(&p.name, lang, c) })),
        "areaServed": { "@type": "Country", "name": tr(&c.country.name, lang, c) },
        "availableChannel": offered.iter().map(|o| json!({
            "@type": "ServiceChannel",
            "serviceLocation": { "@type": "GovernmentOffice", "name": o["name"] },
        })).collect::<Vec<_>>(),
    });
    state.templates.page(
        &locale,
        &caller,
        "service.html",
        json!({
            // Booked online where a centre's windows serve it.
            "bookable": c.centres.iter().any(|x| x.windows_for(s.code.as_str()).next().is_some()),
            "service": {
                "code": s.code.as_str(),
                "name": tr(&s.name, lang, c),
                "description": tr(&s.description, lang, c),
                "provider": provider.map(|p| tr(&p.name, lang, c)),
                "documents": s.documents.iter().map(|d| json!({
                    "name": tr(&d.name, lang, c),
                    "notes": d.notes.as_ref().map(|n| tr(n, lang, c)),
                })).collect::<Vec<_>>(),
                "steps": s.steps.iter().map(|t| tr(t, lang, c)).collect::<Vec<_>>(),
                "days": s.timeframe.working_days(),
                "minutes": s.handling_minutes,
                "state_fee": money(lang, c, s.fees.state),
                "service_fee": money(lang, c, s.fees.service),
                "free": s.fees.state == 0 && s.fees.service == 0,
                "exemptions": exemptions,
                "channels": s.channels.iter().map(|ch| format!("channel-{}", slug(ch))).collect::<Vec<_>>(),
            },
            "offered": offered,
            "schema": serde_json::to_string(&schema).unwrap_or_default().replace("</", "<\\/"),
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "nav-services", "href": "/services" },
                { "key": "service-title", "label": tr(&s.name, lang, c), "href": format!("/services/{code}") },
            ],
        }),
    )
}

fn centre_card(state: &AppState, lang: &str, c: &Catalogue, centre: &Centre) -> Value {
    let (date, hours) = today(state, centre, c);
    json!({
        "code": centre.code.as_str(),
        "name": tr(&centre.name, lang, c),
        "address": tr(&centre.address, lang, c),
        "kind": slug(centre.kind),
        "open": hours.map(|(o, cl)| format!("{}–{}", hhmm(o), hhmm(cl))),
        "stop": centre.stop_on(date).map(|s| tr(&s.place, lang, c)),
    })
}

/// `GET /centres`: centres and buses with today's hours.
pub async fn centres(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let (buses, centres): (Vec<&Centre>, Vec<&Centre>) =
        c.centres.iter().partition(|x| x.kind == CentreKind::MobileBus);
    let markers: Vec<Marker> = c
        .centres
        .iter()
        .map(|x| {
            let (date, _) = today(&state, x, c);
            let at = x.stop_on(date).map_or(&x.location, |stop| &stop.location);
            Marker {
                lat: at.lat,
                lon: at.lon,
                kind: if x.kind == CentreKind::MobileBus { MarkerKind::Bus } else { MarkerKind::Centre },
                label: tr(&x.name, lang, c),
                href: format!("/centres/{}", x.code.as_str()),
            }
        })
        .collect();
    let title = state.templates.text(&locale, "centres-map", &[]);
    let map = render_svg(&c.country.code, &markers, &title);
    state.templates.page(
        &locale,
        &caller,
        "centres.html",
        json!({
            "centres": centres.iter().map(|x| centre_card(&state, lang, c, x)).collect::<Vec<_>>(),
            "buses": buses.iter().map(|x| centre_card(&state, lang, c, x)).collect::<Vec<_>>(),
            "map": map,
            "crumbs": [{ "key": "nav-home", "href": "/" }, { "key": "nav-centres", "href": "/centres" }],
        }),
    )
}

/// `GET /centres/{code}`: a centre or bus in full.
pub async fn centre(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Html<String>, ApiError> {
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let lang = locale.lang;
    let centre = c.centre(&code).ok_or_else(|| no_such("centre", &code))?;
    let week: Vec<Value> = WEEK
        .iter()
        .map(|day| {
            json!({
                "day": weekday_key(*day),
                "hours": centre.hours_on(*day).map(|(o, cl)| format!("{}–{}", hhmm(o), hhmm(cl))),
            })
        })
        .collect();
    let mut providers: Vec<Value> = Vec::new();
    for provider in &c.providers {
        let windows: Vec<_> = centre.windows.iter().filter(|w| w.provider == provider.code).collect();
        if windows.is_empty() {
            continue;
        }
        providers.push(json!({
            "name": tr(&provider.name, lang, c),
            "windows": windows.iter().map(|w| json!({ "number": w.number, "floor": w.floor })).collect::<Vec<_>>(),
        }));
    }
    let special: Vec<Value> = centre
        .special_days
        .iter()
        .map(|d| {
            let hours = match &d.hours {
                DayHours::Closed => None,
                DayHours::Open { open, close } => Some(format!("{}–{}", hhmm(*open), hhmm(*close))),
            };
            json!({ "date": d.date.to_string(), "hours": hours, "note": d.note.as_ref().map(|n| tr(n, lang, c)) })
        })
        .collect();
    let timetable: Vec<Value> = centre
        .timetable
        .iter()
        .map(
            |s| json!({ "from": s.from.to_string(), "to": s.to.to_string(), "place": tr(&s.place, lang, c) }),
        )
        .collect();
    let card = centre_card(&state, lang, c, centre);
    let schema = json!({
        "@context": "https://schema.org",
        "@type": "GovernmentOffice",
        "identifier": centre.code.as_str(),
        "name": card["name"],
        "address": card["address"],
        "geo": { "@type": "GeoCoordinates", "latitude": centre.location.lat, "longitude": centre.location.lon },
        "openingHoursSpecification": centre.hours.iter().map(|h| json!({
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": h.days.iter().map(|d| format!("https://schema.org/{d:?}")).collect::<Vec<_>>(),
            "opens": hhmm(h.open),
            "closes": hhmm(h.close),
        })).collect::<Vec<_>>(),
    });
    state.templates.page(
        &locale,
        &caller,
        "centre.html",
        json!({
            "centre": card,
            "week": week,
            "providers": providers,
            "banks": centre.bank_sections.iter().map(|b| json!({
                "name": c.provider(b.provider.as_str()).map(|p| tr(&p.name, lang, c)),
                "floor": b.floor,
            })).collect::<Vec<_>>(),
            "special": special,
            "timetable": timetable,
            "schema": serde_json::to_string(&schema).unwrap_or_default().replace("</", "<\\/"),
            "crumbs": [
                { "key": "nav-home", "href": "/" },
                { "key": "nav-centres", "href": "/centres" },
                { "key": "centre-title", "label": card["name"], "href": format!("/centres/{code}") },
            ],
        }),
    )
}
