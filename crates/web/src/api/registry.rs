//! The Electronic Registry of Public Services as JSON: providers, services and centres.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use crate::registry::{hhmm, no_such, slug, weekday_slug};
use axum::Json;
use axum::extract::{Path, Query, State};
use onestop_domain::catalogue::{Catalogue, Centre, DayHours, Provider, Service, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A text in every language of the catalogue, by language code.
pub type Texts = BTreeMap<String, String>;

fn texts(text: &Text) -> Texts {
    text.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// A provider: a state entity or a company serving at the centres.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    /// Stable code, e.g. `MIA`.
    pub code: String,
    /// `public` or `private`.
    pub sector: String,
    /// `ministry`, `state_committee`, `bank`, `insurer`, …
    pub kind: String,
    /// Name by language.
    pub name: Texts,
    /// How many services it renders.
    pub services: usize,
}

fn provider_view(catalogue: &Catalogue, p: &Provider) -> ProviderView {
    ProviderView {
        code: p.code.as_str().to_owned(),
        sector: slug(p.sector),
        kind: slug(p.kind),
        name: texts(&p.name),
        services: catalogue.services_of(p.code.as_str()).len(),
    }
}

/// Money in integer minor units of a currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeView {
    /// The state fee.
    pub state: i64,
    /// The service fee.
    pub service: i64,
    /// ISO 4217 currency, e.g. `AZN`.
    pub currency: String,
    /// Digits after the decimal point in that currency.
    pub minor_units: u8,
    /// Who pays less, and why.
    pub exemptions: Vec<ExemptionView>,
}

/// An exemption from a fee.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExemptionView {
    /// The rule, e.g. `age < 16`.
    pub rule: String,
    /// `state`, `service` or `both`.
    pub waives: String,
    /// Why, by language.
    pub reason: Texts,
}

/// A service in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSummary {
    /// Stable code, e.g. `MIA-ID-CARD`.
    pub code: String,
    /// The provider's code.
    pub provider: String,
    /// The service group's code.
    pub group: String,
    /// `public` or `functional_subsidiary`.
    pub kind: String,
    /// Name by language.
    pub name: Texts,
    /// `centre`, `mobile_bus`, `home_service`, `online`, `call_centre`.
    pub channels: Vec<String>,
    /// Legal timeframe in working days, ISO 8601 (`P10D`).
    pub timeframe: String,
    /// Average handling time at the window, minutes.
    pub handling_minutes: u32,
    /// Fees and exemptions.
    pub fees: FeeView,
}

/// A required document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// What to bring, by language.
    pub name: Texts,
    /// Notes, by language.
    pub notes: Option<Texts>,
}

/// A service in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: ServiceSummary,
    /// Description by language.
    pub description: Texts,
    /// Life situations it belongs to, for search.
    pub life_events: Vec<String>,
    /// Documents to bring.
    pub documents: Vec<DocumentView>,
    /// The procedure, step by step.
    pub steps: Vec<Texts>,
    /// Codes of the centres and buses that offer it.
    pub offered_at: Vec<String>,
}

fn summary(catalogue: &Catalogue, s: &Service) -> ServiceSummary {
    let currency = &catalogue.country.currency;
    ServiceSummary {
        code: s.code.as_str().to_owned(),
        provider: s.provider.as_str().to_owned(),
        group: s.group.as_str().to_owned(),
        kind: slug(s.kind),
        name: texts(&s.name),
        channels: s.channels.iter().map(slug).collect(),
        timeframe: s.timeframe.to_string(),
        handling_minutes: s.handling_minutes,
        fees: FeeView {
            state: s.fees.state,
            service: s.fees.service,
            currency: currency.code.clone(),
            minor_units: currency.minor_units,
            exemptions: s
                .fees
                .exemptions
                .iter()
                .map(|e| ExemptionView {
                    rule: e.rule.to_string(),
                    waives: slug(e.waives),
                    reason: texts(&e.reason),
                })
                .collect(),
        },
    }
}

/// Filters of the service list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Words to find in the name or description, in any language (case does not matter).
    q: Option<String>,
    /// Only this provider's services.
    provider: Option<String>,
    /// Only this group's services.
    group: Option<String>,
    /// Only services with this channel.
    channel: Option<String>,
    /// Only services of this life situation.
    life_event: Option<String>,
}

fn matches(s: &Service, q: &ServiceQuery) -> bool {
    s.matches_words(q.q.as_deref().unwrap_or_default())
        && q.provider.as_deref().is_none_or(|p| s.provider.as_str() == p)
        && q.group.as_deref().is_none_or(|g| s.group.as_str() == g)
        && q.channel.as_deref().is_none_or(|c| s.channels.iter().any(|ch| slug(ch) == c))
        && q.life_event.as_deref().is_none_or(|e| s.life_events.iter().any(|l| l == e))
}

/// The providers, by code.
#[utoipa::path(get, path = "/api/v1/providers", tag = "registry", operation_id = "listProviders",
    responses(
        (status = 200, description = "Every provider", body = [ProviderView]),
        (status = 404, description = "No catalogue was imported", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_providers(State(state): State<AppState>) -> Result<Json<Vec<ProviderView>>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    Ok(Json(c.providers.iter().map(|p| provider_view(c, p)).collect()))
}

/// The services, filtered.
#[utoipa::path(get, path = "/api/v1/services", tag = "registry", operation_id = "listServices",
    params(ServiceQuery),
    responses(
        (status = 200, description = "The matching services", body = [ServiceSummary]),
        (status = 404, description = "No catalogue was imported", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_services(
    State(state): State<AppState>,
    Query(q): Query<ServiceQuery>,
) -> Result<Json<Vec<ServiceSummary>>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    Ok(Json(c.services.iter().filter(|s| matches(s, &q)).map(|s| summary(c, s)).collect()))
}

/// One service in full.
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = "registry", operation_id = "getService",
    params(("code" = String, Path, description = "The service's code")),
    responses(
        (status = 200, description = "The service", body = ServiceDetail),
        (status = 404, description = "No such service", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_service(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ServiceDetail>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let s = c.service(&code).ok_or_else(|| no_such("service", &code))?;
    Ok(Json(ServiceDetail {
        summary: summary(c, s),
        description: texts(&s.description),
        life_events: s.life_events.clone(),
        documents: s
            .documents
            .iter()
            .map(|d| DocumentView { name: texts(&d.name), notes: d.notes.as_ref().map(texts) })
            .collect(),
        steps: s.steps.iter().map(texts).collect(),
        offered_at: c.offered_at(&code).iter().map(|centre| centre.code.as_str().to_owned()).collect(),
    }))
}

/// Opening hours for some weekdays.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoursView {
    /// `monday` … `sunday`.
    pub days: Vec<String>,
    /// `HH:MM`, local time.
    pub open: String,
    /// `HH:MM`, local time.
    pub close: String,
}

/// A centre or bus in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CentreSummary {
    /// Stable code, e.g. `BAKU-1`.
    pub code: String,
    /// `centre`, `mobile_bus` or `utility_centre`.
    pub kind: String,
    /// Name by language.
    pub name: Texts,
    /// Address by language.
    pub address: Texts,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// IANA time zone of its hours.
    pub time_zone: String,
    /// Weekly opening hours.
    pub hours: Vec<HoursView>,
}

/// A window in a centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// Its number.
    pub number: u32,
    /// Its floor.
    pub floor: i32,
    /// The provider serving there.
    pub provider: String,
    /// The services it serves.
    pub services: Vec<String>,
}

/// A bank section in a centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankSectionView {
    /// Its code.
    pub code: String,
    /// Its floor.
    pub floor: i32,
    /// The bank.
    pub provider: String,
}

/// A day with other hours than usual.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecialDayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Closed all day.
    pub closed: bool,
    /// `HH:MM` when open.
    pub open: Option<String>,
    /// `HH:MM` when open.
    pub close: Option<String>,
}

/// A bus's stay somewhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopView {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The place by language.
    pub place: Texts,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// A centre or bus in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct CentreDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: CentreSummary,
    /// Its floors.
    pub floors: Vec<i32>,
    /// Its windows.
    pub windows: Vec<WindowView>,
    /// Its bank sections.
    pub bank_sections: Vec<BankSectionView>,
    /// Days with other hours.
    pub special_days: Vec<SpecialDayView>,
    /// For a bus: where it stands when.
    pub timetable: Vec<StopView>,
}

fn centre_summary(c: &Catalogue, centre: &Centre) -> CentreSummary {
    CentreSummary {
        code: centre.code.as_str().to_owned(),
        kind: slug(centre.kind),
        name: texts(&centre.name),
        address: texts(&centre.address),
        lat: centre.location.lat,
        lon: centre.location.lon,
        time_zone: centre.time_zone(&c.country).to_owned(),
        hours: centre
            .hours
            .iter()
            .map(|h| HoursView {
                days: h.days.iter().map(|d| weekday_slug(*d)).collect(),
                open: hhmm(h.open),
                close: hhmm(h.close),
            })
            .collect(),
    }
}

/// Filters of the centre list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CentreQuery {
    /// `centre`, `mobile_bus` or `utility_centre`.
    kind: Option<String>,
}

/// The centres and buses.
#[utoipa::path(get, path = "/api/v1/centres", tag = "registry", operation_id = "listCentres",
    params(CentreQuery),
    responses(
        (status = 200, description = "The centres and buses", body = [CentreSummary]),
        (status = 404, description = "No catalogue was imported", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_centres(
    State(state): State<AppState>,
    Query(q): Query<CentreQuery>,
) -> Result<Json<Vec<CentreSummary>>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    Ok(Json(
        c.centres
            .iter()
            .filter(|centre| q.kind.as_deref().is_none_or(|k| slug(centre.kind) == k))
            .map(|centre| centre_summary(c, centre))
            .collect(),
    ))
}

/// One centre or bus in full.
#[utoipa::path(get, path = "/api/v1/centres/{code}", tag = "registry", operation_id = "getCentre",
    params(("code" = String, Path, description = "The centre's code")),
    responses(
        (status = 200, description = "The centre", body = CentreDetail),
        (status = 404, description = "No such centre", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_centre(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<CentreDetail>, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code).ok_or_else(|| no_such("centre", &code))?;
    Ok(Json(CentreDetail {
        summary: centre_summary(c, centre),
        floors: centre.floors.clone(),
        windows: centre
            .windows
            .iter()
            .map(|w| WindowView {
                number: w.number,
                floor: w.floor,
                provider: w.provider.as_str().to_owned(),
                services: w.services.iter().map(|s| s.as_str().to_owned()).collect(),
            })
            .collect(),
        bank_sections: centre
            .bank_sections
            .iter()
            .map(|b| BankSectionView {
                code: b.code.clone(),
                floor: b.floor,
                provider: b.provider.as_str().to_owned(),
            })
            .collect(),
        special_days: centre
            .special_days
            .iter()
            .map(|d| {
                let (closed, open, close) = match &d.hours {
                    DayHours::Closed => (true, None, None),
                    DayHours::Open { open, close } => (false, Some(hhmm(*open)), Some(hhmm(*close))),
                };
                SpecialDayView { date: d.date.to_string(), closed, open, close }
            })
            .collect(),
        timetable: centre
            .timetable
            .iter()
            .map(|s| StopView {
                from: s.from.to_string(),
                to: s.to.to_string(),
                place: texts(&s.place),
                lat: s.location.lat,
                lon: s.location.lon,
            })
            .collect(),
    }))
}

async fn open_data(
    state: &AppState,
    render: fn(&Catalogue, &str) -> String,
    media_type: &'static str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let base = state.public_url.clone();
    let body = tokio::task::spawn_blocking(move || render(&loaded.catalogue, &base))
        .await
        .map_err(|_| ApiError::internal())?;
    Ok(([(axum::http::header::CONTENT_TYPE, media_type)], body).into_response())
}

/// The registry as CPSV-AP 3.2.0 in Turtle (public-sector services; see `onestop_domain::cpsv`).
#[utoipa::path(get, path = "/api/v1/registry/cpsv-ap.ttl", tag = "registry", operation_id = "cpsvTurtle",
    responses(
        (status = 200, description = "CPSV-AP 3.2.0 Turtle", body = String, content_type = "text/turtle"),
        (status = 404, description = "No catalogue was imported", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cpsv_turtle(State(state): State<AppState>) -> Result<axum::response::Response, ApiError> {
    open_data(&state, onestop_domain::cpsv::to_turtle, onestop_domain::cpsv::TURTLE_MEDIA_TYPE).await
}

/// The registry as CPSV-AP 3.2.0 in JSON-LD, with the official context inline.
#[utoipa::path(get, path = "/api/v1/registry/cpsv-ap.jsonld", tag = "registry", operation_id = "cpsvJsonLd",
    responses(
        (status = 200, description = "CPSV-AP 3.2.0 JSON-LD", body = String, content_type = "application/ld+json"),
        (status = 404, description = "No catalogue was imported", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cpsv_jsonld(State(state): State<AppState>) -> Result<axum::response::Response, ApiError> {
    open_data(&state, onestop_domain::cpsv::to_jsonld, onestop_domain::cpsv::JSONLD_MEDIA_TYPE).await
}
