//! Open311 GeoReport v2 over complaints and suggestions, so existing Open311 clients work
//! against onestop: `services`, a service's definition, `requests` (GET and POST) and one
//! request, each as `.json` or `.xml`.
//!
//! Services are the complaint categories (`service_code` is the category's name); a request's
//! `service_request_id` is the complaint's reference; `status` is `open` while the complaint
//! awaits its answer and `closed` once answered or closed, the answer being its `status_notes`.
//! Posting needs an `api_key`: an integration device token (`onestop token issue --kind
//! integration`). Errors are the spec's list of `{code, description}`, never problem documents;
//! times are W3C date-times with the country's offset.

use crate::AppState;
use crate::auth::Caller;
use crate::complaints::{self, ComplaintRequest, clockwork};
use crate::i18n::Locale;
use crate::pages::queue::tr;
use crate::problem::{ApiError, OwnErrorFormat};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use onestop_domain::catalogue::Catalogue;
use onestop_domain::feedback::complaint::{Category, Status, SubjectKind};
use onestop_domain::identity::DeviceKind;
use onestop_domain::token;
use onestop_store::complaints::{ComplaintFilter, ComplaintRecord};
use serde::Deserialize;
use serde_json::{Value, json};

/// The most requests one query answers, and the longest period it spans.
const MAX_REQUESTS: u32 = 1000;
const MAX_DAYS: i64 = 90;

/// A response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

impl Format {
    fn of(extension: &str) -> Option<Format> {
        match extension {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }
}

/// An error in the spec's shape.
struct Failure {
    status: StatusCode,
    description: String,
}

fn fail(status: StatusCode, description: impl Into<String>) -> Failure {
    Failure { status, description: description.into() }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        let status = match e.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            other => other,
        };
        let description = e.problem().detail.unwrap_or_else(|| e.problem().title);
        Failure { status, description }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a JSON value as XML: objects become elements named by their keys, arrays repeat
/// `item` elements, `null` an empty element.
fn xml_value(out: &mut String, name: &str, value: &Value, item: &str) {
    match value {
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (key, v) in map {
                let child_item = match key.as_str() {
                    "attributes" => "attribute",
                    "values" => "value",
                    _ => "item",
                };
                xml_value(out, key, v, child_item);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for v in items {
                xml_value(out, item, v, "item");
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn render(format: Format, status: StatusCode, root: &str, item: &str, value: &Value) -> Response {
    match format {
        Format::Json => {
            let body = serde_json::to_vec(value).unwrap_or_default();
            (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response()
        }
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            xml_value(&mut out, root, value, item);
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out).into_response()
        }
    }
}

fn error_response(format: Format, failure: Failure) -> Response {
    let body = json!([{ "code": failure.status.as_u16(), "description": failure.description }]);
    let mut response = render(format, failure.status, "errors", "error", &body);
    response.extensions_mut().insert(OwnErrorFormat);
    response
}

fn answer(format: Format, result: Result<(StatusCode, &str, &str, Value), Failure>) -> Response {
    match result {
        Ok((status, root, item, value)) => render(format, status, root, item, &value),
        Err(failure) => error_response(format, failure),
    }
}

/// Splits `name.ext` into the name and a format.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    Some((name, Format::of(ext)?))
}

/// The 404 of a path with no known format, in JSON.
fn no_format(file: &str) -> Response {
    error_response(Format::Json, fail(StatusCode::NOT_FOUND, format!("there is nothing at {file}")))
}

/// Query parameters every method takes.
#[derive(Debug, Default, Deserialize)]
pub struct Jurisdiction {
    jurisdiction_id: Option<String>,
}

fn check_jurisdiction(state: &AppState, given: Option<&str>) -> Result<(), Failure> {
    match given.filter(|j| !j.is_empty()) {
        Some(j) if j != state.feedback.open311_jurisdiction => {
            Err(fail(StatusCode::NOT_FOUND, format!("jurisdiction_id {j:?} is not served here")))
        }
        _ => Ok(()),
    }
}

fn service_name(state: &AppState, locale: &Locale, category: Category) -> String {
    state.templates.text(locale, &format!("complaint-category-{}", category.as_str()), &[])
}

fn service(state: &AppState, locale: &Locale, category: Category) -> Value {
    let description = state.templates.text(
        locale,
        "open311-service-description",
        &[("days", i64::from(category.answer_within()).into())],
    );
    json!({
        "service_code": category.as_str(),
        "service_name": service_name(state, locale, category),
        "description": description,
        "metadata": true,
        "type": "realtime",
        "keywords": if category.is_suggestion() { "suggestion,idea" } else { "complaint" },
        "group": if category.is_suggestion() { "suggestions" } else { "complaints" },
    })
}

async fn catalogue(state: &AppState) -> Result<std::sync::Arc<crate::registry::Loaded>, Failure> {
    Ok(state.registry.require(state.store.as_ref()).await?)
}

async fn services_list(state: &AppState, locale: &Locale, j: &Jurisdiction) -> Result<Value, Failure> {
    check_jurisdiction(state, j.jurisdiction_id.as_deref())?;
    Ok(Value::Array(Category::ALL.iter().map(|c| service(state, locale, *c)).collect()))
}

async fn definition(
    state: &AppState,
    locale: &Locale,
    code: &str,
    j: &Jurisdiction,
) -> Result<Value, Failure> {
    check_jurisdiction(state, j.jurisdiction_id.as_deref())?;
    let category = Category::parse(code)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("service_code {code:?} not found")))?;
    let loaded = catalogue(state).await?;
    let c = &loaded.catalogue;
    let t = |key: &str| state.templates.text(locale, key, &[]);
    let kinds: Vec<Value> = SubjectKind::ALL
        .iter()
        .map(|k| json!({ "key": k.as_str(), "name": t(&format!("complaint-subject-{}", k.as_str())) }))
        .collect();
    let centres: Vec<Value> = c
        .centres
        .iter()
        .map(|x| json!({ "key": x.code.as_str(), "name": tr(&x.name, locale.lang, c) }))
        .collect();
    Ok(json!({
        "service_code": category.as_str(),
        "attributes": [
            {
                "variable": true, "code": "subject_kind", "datatype": "singlevaluelist", "required": false,
                "datatype_description": null, "order": 1, "description": t("open311-attr-subject-kind"),
                "values": kinds,
            },
            {
                "variable": true, "code": "subject", "datatype": "string", "required": false,
                "datatype_description": t("open311-attr-subject-format"), "order": 2,
                "description": t("open311-attr-subject"),
            },
            {
                "variable": true, "code": "centre", "datatype": "singlevaluelist", "required": false,
                "datatype_description": null, "order": 3, "description": t("open311-attr-centre"),
                "values": centres,
            },
        ],
    }))
}

/// `GET /open311/v2/services.json`.
pub async fn services_json(
    State(state): State<AppState>,
    locale: Locale,
    Query(j): Query<Jurisdiction>,
) -> Response {
    answer(
        Format::Json,
        services_list(&state, &locale, &j).await.map(|v| (StatusCode::OK, "services", "service", v)),
    )
}

/// `GET /open311/v2/services.xml`.
pub async fn services_xml(
    State(state): State<AppState>,
    locale: Locale,
    Query(j): Query<Jurisdiction>,
) -> Response {
    answer(
        Format::Xml,
        services_list(&state, &locale, &j).await.map(|v| (StatusCode::OK, "services", "service", v)),
    )
}

/// `GET /open311/v2/services/{service_code}.json|xml`: the service's definition.
pub async fn service_definition(
    State(state): State<AppState>,
    locale: Locale,
    Path(file): Path<String>,
    Query(j): Query<Jurisdiction>,
) -> Response {
    let Some((code, format)) = split(&file) else { return no_format(&file) };
    let result = definition(&state, &locale, code, &j).await;
    answer(format, result.map(|v| (StatusCode::OK, "service_definition", "item", v)))
}

fn w3c(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn is_open(status: Status) -> bool {
    status.awaits_answer()
}

fn request_view(
    state: &AppState,
    locale: &Locale,
    c: &Catalogue,
    zone: &TimeZone,
    r: &ComplaintRecord,
) -> Value {
    let centre = r.centre.as_deref().and_then(|code| c.centre(code));
    let expected = r
        .due_on
        .at(23, 59, 59, 0)
        .to_zoned(zone.clone())
        .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .ok();
    let notice =
        state.templates.text(locale, "open311-service-notice", &[("date", r.due_on.to_string().into())]);
    json!({
        "service_request_id": r.reference,
        "status": if is_open(r.status) { "open" } else { "closed" },
        "status_notes": r.answer,
        "service_name": service_name(state, locale, r.category),
        "service_code": r.category.as_str(),
        "description": r.text,
        "agency_responsible": state.templates.text(locale, "open311-agency-responsible", &[]),
        "service_notice": notice,
        "requested_datetime": w3c(r.received_at, zone),
        "updated_datetime": w3c(r.updated_at, zone),
        "expected_datetime": expected,
        "address": centre.map(|x| tr(&x.address, locale.lang, c)),
        "address_id": centre.map(|x| x.code.as_str().to_owned()),
        "zipcode": null,
        "lat": centre.map(|x| x.location.lat),
        "long": centre.map(|x| x.location.lon),
        "media_url": null,
    })
}

/// The query of `GET requests`.
#[derive(Debug, Default, Deserialize)]
pub struct RequestsQuery {
    jurisdiction_id: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

fn parse_time(field: &str, text: Option<&str>) -> Result<Option<Timestamp>, Failure> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<Timestamp>().map_err(|_| {
                fail(
                    StatusCode::BAD_REQUEST,
                    format!("{field} must be a W3C date-time such as 2026-11-28T09:00:00+04:00"),
                )
            })
        })
        .transpose()
}

async fn requests_list(state: &AppState, locale: &Locale, q: &RequestsQuery) -> Result<Value, Failure> {
    check_jurisdiction(state, q.jurisdiction_id.as_deref())?;
    let loaded = catalogue(state).await?;
    let c = &loaded.catalogue;
    let clock = clockwork(state, c)?;
    let mut filter = ComplaintFilter::default();
    let ids: Vec<String> = q
        .service_request_id
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect();
    let mut wanted_status: Option<Vec<bool>> = None;
    if ids.is_empty() {
        if let Some(code) = q.service_code.as_deref().filter(|s| !s.is_empty()) {
            filter.category =
                Some(Category::parse(code).ok_or_else(|| {
                    fail(StatusCode::BAD_REQUEST, format!("service_code {code:?} not found"))
                })?);
        }
        let end = parse_time("end_date", q.end_date.as_deref())?;
        let start = parse_time("start_date", q.start_date.as_deref())?;
        let span = Span::new().days(MAX_DAYS);
        let (from, to) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (
                s,
                s.to_zoned(TimeZone::UTC)
                    .checked_add(span)
                    .map_err(|_| fail(StatusCode::BAD_REQUEST, "start_date out of range"))?
                    .timestamp(),
            ),
            (None, Some(e)) => (
                e.to_zoned(TimeZone::UTC)
                    .checked_sub(span)
                    .map_err(|_| fail(StatusCode::BAD_REQUEST, "end_date out of range"))?
                    .timestamp(),
                e,
            ),
            (None, None) => {
                let now = state.now();
                (
                    now.to_zoned(TimeZone::UTC)
                        .checked_sub(span)
                        .map_err(|_| fail(StatusCode::BAD_REQUEST, "out of range"))?
                        .timestamp(),
                    now,
                )
            }
        };
        if from > to {
            return Err(fail(StatusCode::BAD_REQUEST, "start_date must be before end_date"));
        }
        if to.duration_since(from).as_hours() > MAX_DAYS * 24 {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("start_date and end_date may not span more than {MAX_DAYS} days"),
            ));
        }
        filter.from = Some(from);
        filter.to = Some(to + jiff::SignedDuration::from_micros(1));
        if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
            let mut list = Vec::new();
            for s in status.split(',').map(str::trim) {
                match s {
                    "open" => list.push(true),
                    "closed" => list.push(false),
                    other => {
                        return Err(fail(
                            StatusCode::BAD_REQUEST,
                            format!("status {other:?} is not open or closed"),
                        ));
                    }
                }
            }
            wanted_status = Some(list);
        }
    } else {
        filter.references = ids;
    }
    let records = state.store.complaints(&filter, MAX_REQUESTS).await.map_err(ApiError::from)?;
    Ok(Value::Array(
        records
            .iter()
            .filter(|r| wanted_status.as_ref().is_none_or(|w| w.contains(&is_open(r.status))))
            .map(|r| request_view(state, locale, c, &clock.zone, r))
            .collect(),
    ))
}

/// `GET /open311/v2/requests.json`.
pub async fn requests_json(
    State(state): State<AppState>,
    locale: Locale,
    Query(q): Query<RequestsQuery>,
) -> Response {
    answer(
        Format::Json,
        requests_list(&state, &locale, &q).await.map(|v| (StatusCode::OK, "service_requests", "request", v)),
    )
}

/// `GET /open311/v2/requests.xml`.
pub async fn requests_xml(
    State(state): State<AppState>,
    locale: Locale,
    Query(q): Query<RequestsQuery>,
) -> Response {
    answer(
        Format::Xml,
        requests_list(&state, &locale, &q).await.map(|v| (StatusCode::OK, "service_requests", "request", v)),
    )
}

async fn one_request(
    state: &AppState,
    locale: &Locale,
    id: &str,
    j: &Jurisdiction,
) -> Result<Value, Failure> {
    check_jurisdiction(state, j.jurisdiction_id.as_deref())?;
    let record = complaints::find(state, id).await?;
    let loaded = catalogue(state).await?;
    let zone = clockwork(state, &loaded.catalogue)?.zone;
    Ok(json!([request_view(state, locale, &loaded.catalogue, &zone, &record)]))
}

/// `GET /open311/v2/requests/{service_request_id}.json|xml`.
pub async fn request(
    State(state): State<AppState>,
    locale: Locale,
    Path(file): Path<String>,
    Query(j): Query<Jurisdiction>,
) -> Response {
    let Some((id, format)) = split(&file) else { return no_format(&file) };
    let result = one_request(&state, &locale, id, &j).await;
    answer(format, result.map(|v| (StatusCode::OK, "service_requests", "request", v)))
}

async fn post(state: &AppState, caller: &Caller, locale: &Locale, body: &[u8]) -> Result<Value, Failure> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, format!("the body is not form data: {e}")))?;
    let get =
        |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    check_jurisdiction(state, get("jurisdiction_id"))?;
    let key =
        get("api_key").ok_or_else(|| fail(StatusCode::FORBIDDEN, "api_key is required to post a request"))?;
    let device = if key.is_ascii() && !key.contains(';') {
        state.store.device_by_token(&token::digest(key)).await.map_err(ApiError::from)?
    } else {
        None
    };
    let Some(device) = device.filter(|d| d.revoked_at.is_none() && d.kind == DeviceKind::Integration) else {
        return Err(fail(StatusCode::FORBIDDEN, "invalid api_key"));
    };
    let code =
        get("service_code").ok_or_else(|| fail(StatusCode::BAD_REQUEST, "service_code is required"))?;
    if Category::parse(code).is_none() {
        return Err(fail(StatusCode::BAD_REQUEST, format!("service_code {code:?} not found")));
    }
    let located = (get("lat").is_some() && get("long").is_some())
        || get("address_string").is_some()
        || get("address_id").is_some();
    if !located {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    for coordinate in ["lat", "long"] {
        if get(coordinate).is_some_and(|v| v.parse::<f64>().is_err()) {
            return Err(fail(StatusCode::BAD_REQUEST, format!("{coordinate} must be a number")));
        }
    }
    let loaded = catalogue(state).await?;
    let centre = match get("address_id").or(get("attribute[centre]")) {
        Some(id) if loaded.catalogue.centre(id).is_none() => {
            return Err(fail(StatusCode::BAD_REQUEST, format!("address_id {id:?} is not a centre")));
        }
        other => other.map(str::to_owned),
    };
    let name = [get("first_name"), get("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let request = ComplaintRequest {
        category: code.to_owned(),
        subject_kind: get("attribute[subject_kind]").map(str::to_owned),
        subject: get("attribute[subject]").map(str::to_owned),
        text: get("description").unwrap_or_default().to_owned(),
        name: Some(name).filter(|n| !n.is_empty()),
        email: get("email").map(str::to_owned),
        phone: get("phone").map(str::to_owned),
        address: None,
        channel: None,
        centre,
    };
    let mut as_device = caller.clone();
    as_device.principal =
        Some(onestop_domain::identity::Principal::Device(onestop_domain::identity::DevicePrincipal {
            token_id: device.id,
            kind: device.kind,
            scope: device.scope,
        }));
    let record = complaints::register(state, &as_device, &request, true, locale.lang).await?;
    let notice =
        state.templates.text(locale, "open311-service-notice", &[("date", record.due_on.to_string().into())]);
    Ok(json!([{ "service_request_id": record.reference, "service_notice": notice, "account_id": null }]))
}

/// `POST /open311/v2/requests.json`: creates a request (form-encoded, with `api_key`).
pub async fn post_json(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Response {
    answer(
        Format::Json,
        post(&state, &caller, &locale, &body)
            .await
            .map(|v| (StatusCode::CREATED, "service_requests", "request", v)),
    )
}

/// `POST /open311/v2/requests.xml`.
pub async fn post_xml(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    body: Bytes,
) -> Response {
    answer(
        Format::Xml,
        post(&state, &caller, &locale, &body)
            .await
            .map(|v| (StatusCode::CREATED, "service_requests", "request", v)),
    )
}
