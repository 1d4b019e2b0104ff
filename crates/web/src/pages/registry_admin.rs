//! Changing the registry: uploading a catalogue file, editing a service, removing one. Every change
//! makes a new catalogue version and is checked whole first, so an edit that would orphan a window
//! or break a service's channels is refused with the reason, and nothing changes.

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::{Locale, format_money};
use crate::problem::ApiError;
use crate::registry::{WEEK, hhmm, no_such, weekday_slug};
use crate::templates::FormError;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use onestop_domain::calendar::Timeframe;
use onestop_domain::catalogue::{Catalogue, CatalogueErrors, Channel, fingerprint, parse_catalogue, revise};
use onestop_domain::fees::parse_amount;
use serde_json::{Value, json};

const CHANNELS: [(Channel, &str); 5] = [
    (Channel::Centre, "centre"),
    (Channel::MobileBus, "mobile_bus"),
    (Channel::HomeService, "home_service"),
    (Channel::Online, "online"),
    (Channel::CallCentre, "call_centre"),
];

fn problems(errors: &CatalogueErrors) -> Vec<Value> {
    errors
        .errors()
        .iter()
        .map(|e| json!({ "line": e.line, "field": e.field, "message": e.message }))
        .collect()
}

async fn render(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    status: StatusCode,
    problems: Vec<Value>,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let current = state.store.current_catalogue().await?;
    let loaded = state.registry.current(state.store.as_ref()).await?;
    let lang = locale.lang;
    let links = |kind: &str| -> Vec<Value> {
        loaded
            .as_ref()
            .map(|l| {
                let c = &l.catalogue;
                let dl = c.country.default_language();
                match kind {
                    "provider" => c
                        .providers
                        .iter()
                        .map(|p| json!({ "code": p.code.as_str(), "name": p.name.get_or(lang, dl) }))
                        .collect(),
                    _ => c
                        .centres
                        .iter()
                        .map(|x| json!({ "code": x.code.as_str(), "name": x.name.get_or(lang, dl) }))
                        .collect(),
                }
            })
            .unwrap_or_default()
    };
    let providers = links("provider");
    let centres = links("centre");
    let services: Vec<Value> = loaded
        .as_ref()
        .map(|l| {
            let c = &l.catalogue;
            c.services
                .iter()
                .map(|s| json!({ "code": s.code.as_str(), "name": s.name.get_or(lang, c.country.default_language()) }))
                .collect()
        })
        .unwrap_or_default();
    let page = state.templates.page(
        locale,
        caller,
        "registry_admin.html",
        json!({
            "current": current.map(|v| json!({
                "version": v.version, "label": v.label, "saved_by": v.saved_by,
                "saved_at": onestop_store::canonical_timestamp(v.saved_at),
            })),
            "services": services,
            "providers": providers,
            "centres": centres,
            "problems": problems,
            "notice": notice,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-registry", "href": "/admin/registry" }],
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /admin/registry`.
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    render(&state, &caller, &locale, StatusCode::OK, Vec::new(), None).await
}

async fn save(
    state: &AppState,
    caller: &Caller,
    text: &str,
    label: &str,
    summary: String,
) -> Result<i64, ApiError> {
    let now = state.now();
    let event = caller.event(now, "catalogue.change", summary);
    Ok(state.store.save_catalogue(text, &fingerprint(text), label, now, event).await?)
}

/// `POST /admin/registry/upload`: a whole catalogue file, checked before anything is saved.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let mut file: Option<(String, String)> = None;
    while let Some(field) =
        form.next_field().await.map_err(|e| ApiError::bad_request("catalogue", e.to_string()))?
    {
        if field.name() == Some("catalogue") {
            let name = field.file_name().unwrap_or("catalogue.yaml").to_owned();
            let bytes = field.bytes().await.map_err(|e| ApiError::bad_request("catalogue", e.to_string()))?;
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::bad_request("catalogue", "the file is not UTF-8 text"))?;
            file = Some((name, text));
        }
    }
    let Some((name, text)) = file.filter(|(_, t)| !t.trim().is_empty()) else {
        let message = state.templates.text(&locale, "registry-no-file", &[]);
        return render(
            &state,
            &caller,
            &locale,
            StatusCode::BAD_REQUEST,
            vec![json!({ "line": 0, "field": "", "message": message })],
            None,
        )
        .await;
    };
    let checked = {
        let text = text.clone();
        tokio::task::spawn_blocking(move || parse_catalogue(&text)).await.map_err(|_| ApiError::internal())?
    };
    match checked {
        Err(errors) => {
            render(&state, &caller, &locale, StatusCode::BAD_REQUEST, problems(&errors), None).await
        }
        Ok(catalogue) => {
            let summary = format!(
                "uploaded {name}: {} services, {} centres",
                catalogue.services.len(),
                catalogue.centres.len()
            );
            let version = save(&state, &caller, &text, &name, summary).await?;
            let notice =
                state.templates.text(&locale, "registry-saved", &[("version", FluentValue::from(version))]);
            render(&state, &caller, &locale, StatusCode::OK, Vec::new(), Some(notice)).await
        }
    }
}

async fn catalogue(state: &AppState) -> Result<Catalogue, ApiError> {
    Ok(state.registry.require(state.store.as_ref()).await?.catalogue.clone())
}

async fn edit_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    status: StatusCode,
    c: &Catalogue,
    code: &str,
    (errors, problems): (Vec<FormError>, Vec<Value>),
) -> Result<Response, ApiError> {
    let s = c.service(code).ok_or_else(|| no_such("service", code))?;
    let minor = u32::from(c.country.currency.minor_units);
    let major = |amount: i64| format_money("en", amount, "", minor).replace(',', "").trim().to_owned();
    let page = state.templates.page(
        locale,
        caller,
        "service_edit.html",
        json!({
            "code": code,
            "names": c.country.languages.iter().map(|l| json!({ "lang": l, "name": s.name.get(l).unwrap_or(""), "description": s.description.get(l).unwrap_or("") })).collect::<Vec<_>>(),
            "state_fee": major(s.fees.state),
            "service_fee": major(s.fees.service),
            "currency": c.country.currency.code.clone(),
            "days": s.timeframe.working_days(),
            "minutes": s.handling_minutes,
            "channels": CHANNELS.iter().map(|(ch, slug)| json!({ "slug": slug, "on": s.channels.contains(ch) })).collect::<Vec<_>>(),
            "errors": errors,
            "problems": problems,
            "crumbs": [
                { "key": "nav-staff-home", "href": "/staff" },
                { "key": "nav-registry", "href": "/admin/registry" },
                { "key": "service-title", "label": code, "href": format!("/admin/registry/services/{code}") },
            ],
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /admin/registry/services/{code}`.
pub async fn edit_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let c = catalogue(&state).await?;
    edit_page(&state, &caller, &locale, StatusCode::OK, &c, &code, (Vec::new(), Vec::new())).await
}

/// `POST /admin/registry/services/{code}`: saves an edited service as a new catalogue version.
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    let minor = u32::from(c.country.currency.minor_units);
    let languages = c.country.languages.clone();
    let field = |name: &str| field_of(&fields, name);
    let mut errors = Vec::new();
    let state_fee = parse_amount(&field("state_fee"), minor)
        .map_err(|_| {
            errors
                .push(FormError::at("state_fee", state.templates.text(&locale, "registry-error-amount", &[])))
        })
        .ok();
    let service_fee = parse_amount(&field("service_fee"), minor)
        .map_err(|_| {
            errors.push(FormError::at(
                "service_fee",
                state.templates.text(&locale, "registry-error-amount", &[]),
            ))
        })
        .ok();
    let days = field("days")
        .parse::<u32>()
        .map_err(|_| {
            errors.push(FormError::at("days", state.templates.text(&locale, "registry-error-number", &[])))
        })
        .ok();
    let minutes = field("minutes")
        .parse::<u32>()
        .map_err(|_| {
            errors.push(FormError::at("minutes", state.templates.text(&locale, "registry-error-number", &[])))
        })
        .ok();
    let channels: Vec<Channel> = CHANNELS
        .iter()
        .filter(|(_, slug)| fields.iter().any(|(k, v)| k == "channel" && v == slug))
        .map(|(ch, _)| *ch)
        .collect();
    let Some(service) = c.services.iter_mut().find(|s| s.code.as_str() == code) else {
        return Err(no_such("service", &code));
    };
    for lang in &languages {
        let name = field(&format!("name_{lang}"));
        let description = field(&format!("description_{lang}"));
        if name.is_empty() {
            errors.push(FormError::at(
                "name_az",
                state.templates.text(
                    &locale,
                    "registry-error-name",
                    &[("lang", FluentValue::from(lang.clone()))],
                ),
            ));
        }
        service.name = std::mem::take(&mut service.name).with(lang, name);
        service.description = std::mem::take(&mut service.description).with(lang, description);
    }
    if let (Some(state_fee), Some(service_fee), Some(days), Some(minutes)) =
        (state_fee, service_fee, days, minutes)
    {
        service.fees.state = state_fee;
        service.fees.service = service_fee;
        service.timeframe = Timeframe::new(days);
        service.handling_minutes = minutes;
    }
    service.channels = channels;
    if !errors.is_empty() {
        let feedback = (errors, Vec::new());
        return edit_page(&state, &caller, &locale, StatusCode::BAD_REQUEST, &c, &code, feedback).await;
    }
    match revise(&c) {
        Err(found) => {
            let original = catalogue(&state).await?;
            edit_page(
                &state,
                &caller,
                &locale,
                StatusCode::CONFLICT,
                &original,
                &code,
                (Vec::new(), problems(&found)),
            )
            .await
        }
        Ok(text) => {
            save(&state, &caller, &text, &format!("edit of {code}"), format!("edited service {code}"))
                .await?;
            Ok(Redirect::to(&format!("/services/{code}")).into_response())
        }
    }
}

/// `POST /admin/registry/services/{code}/remove`: refused while a window still serves it.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    let before = c.services.len();
    c.services.retain(|s| s.code.as_str() != code);
    if c.services.len() == before {
        return Err(no_such("service", &code));
    }
    match revise(&c) {
        Err(found) => {
            let event = caller.event(
                state.now(),
                "catalogue.change",
                format!("refused removal of service {code}: {found}"),
            );
            state.store.append_audit(event.refused().with_record(format!("service:{code}"))).await?;
            render(&state, &caller, &locale, StatusCode::CONFLICT, problems(&found), None).await
        }
        Ok(text) => {
            let version = save(
                &state,
                &caller,
                &text,
                &format!("removal of {code}"),
                format!("removed service {code}"),
            )
            .await?;
            let notice =
                state.templates.text(&locale, "registry-saved", &[("version", FluentValue::from(version))]);
            render(&state, &caller, &locale, StatusCode::OK, Vec::new(), Some(notice)).await
        }
    }
}

/// What the provider or centre edit page shows.
struct Entity<'a> {
    kind: &'static str,
    code: &'a str,
    texts: Vec<Value>,
    hours: Vec<Value>,
    windows: Vec<Value>,
}

async fn entity_page(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    status: StatusCode,
    entity: Entity<'_>,
    (errors, problems): (Vec<FormError>, Vec<Value>),
) -> Result<Response, ApiError> {
    let href = format!("/admin/registry/{}s/{}", entity.kind, entity.code);
    let page = state.templates.page(
        locale,
        caller,
        "entity_edit.html",
        json!({
            "kind": entity.kind,
            "code": entity.code,
            "action": href,
            "texts": entity.texts,
            "hours": entity.hours,
            "windows": entity.windows,
            "errors": errors,
            "problems": problems,
            "crumbs": [
                { "key": "nav-staff-home", "href": "/staff" },
                { "key": "nav-registry", "href": "/admin/registry" },
                { "key": "service-title", "label": entity.code, "href": href },
            ],
        }),
    )?;
    Ok((status, page).into_response())
}

fn text_fields(c: &Catalogue, fields: &[(&'static str, &onestop_domain::catalogue::Text)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (field, text) in fields {
        for lang in &c.country.languages {
            out.push(json!({ "field": format!("{field}_{lang}"), "key": format!("edit-{field}"), "lang": lang, "value": text.get(lang).unwrap_or("") }));
        }
    }
    out
}

fn provider_entity<'a>(c: &Catalogue, code: &'a str) -> Result<Entity<'a>, ApiError> {
    let p = c.provider(code).ok_or_else(|| no_such("provider", code))?;
    Ok(Entity {
        kind: "provider",
        code,
        texts: text_fields(c, &[("name", &p.name)]),
        hours: Vec::new(),
        windows: Vec::new(),
    })
}

fn centre_entity<'a>(c: &Catalogue, code: &'a str) -> Result<Entity<'a>, ApiError> {
    let centre = c.centre(code).ok_or_else(|| no_such("centre", code))?;
    let hours = WEEK
        .iter()
        .map(|day| {
            let slug = weekday_slug(*day);
            let (open, close) =
                centre.hours_on(*day).map_or((String::new(), String::new()), |(o, cl)| (hhmm(o), hhmm(cl)));
            json!({ "day": slug, "open": open, "close": close })
        })
        .collect();
    let windows = centre
        .windows
        .iter()
        .map(|w| json!({ "number": w.number, "floor": w.floor, "provider": w.provider.as_str(), "services": w.services.len() }))
        .collect();
    Ok(Entity {
        kind: "centre",
        code,
        texts: text_fields(c, &[("name", &centre.name), ("address", &centre.address)]),
        hours,
        windows,
    })
}

/// `GET /admin/registry/providers/{code}`.
pub async fn provider_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let c = catalogue(&state).await?;
    let entity = provider_entity(&c, &code)?;
    entity_page(&state, &caller, &locale, StatusCode::OK, entity, (Vec::new(), Vec::new())).await
}

/// `GET /admin/registry/centres/{code}`.
pub async fn centre_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let c = catalogue(&state).await?;
    let entity = centre_entity(&c, &code)?;
    entity_page(&state, &caller, &locale, StatusCode::OK, entity, (Vec::new(), Vec::new())).await
}

/// Saves `edited` as a new version, or shows the edit page again with what does not hold.
#[allow(clippy::too_many_arguments)] // The page needs each of these; grouping them would only rename them.
async fn save_entity(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    edited: &Catalogue,
    kind: &'static str,
    code: &str,
    errors: Vec<FormError>,
    summary: String,
) -> Result<Response, ApiError> {
    let original = catalogue(state).await?;
    let entity =
        |c: &Catalogue| if kind == "provider" { provider_entity(c, code) } else { centre_entity(c, code) };
    if !errors.is_empty() {
        return entity_page(
            state,
            caller,
            locale,
            StatusCode::BAD_REQUEST,
            entity(edited)?,
            (errors, Vec::new()),
        )
        .await;
    }
    match revise(edited) {
        Err(found) => {
            let event = caller.event(state.now(), "catalogue.change", format!("refused: {summary}: {found}"));
            state.store.append_audit(event.refused().with_record(format!("{kind}:{code}"))).await?;
            entity_page(
                state,
                caller,
                locale,
                StatusCode::CONFLICT,
                entity(&original)?,
                (Vec::new(), problems(&found)),
            )
            .await
        }
        Ok(text) => {
            save(state, caller, &text, &summary, summary.clone()).await?;
            Ok(Redirect::to("/admin/registry").into_response())
        }
    }
}

fn field_of(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// `POST /admin/registry/providers/{code}`: renames a provider.
pub async fn provider_edit(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    let languages = c.country.languages.clone();
    let provider =
        c.providers.iter_mut().find(|p| p.code.as_str() == code).ok_or_else(|| no_such("provider", &code))?;
    for lang in &languages {
        provider.name =
            std::mem::take(&mut provider.name).with(lang, field_of(&fields, &format!("name_{lang}")));
    }
    save_entity(
        &state,
        &caller,
        &locale,
        &c,
        "provider",
        &code,
        Vec::new(),
        format!("edited provider {code}"),
    )
    .await
}

/// `POST /admin/registry/providers/{code}/remove`: refused while services or windows name it.
pub async fn provider_remove(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    if c.provider(&code).is_none() {
        return Err(no_such("provider", &code));
    }
    c.providers.retain(|p| p.code.as_str() != code);
    match revise(&c) {
        Err(found) => {
            let event = caller.event(
                state.now(),
                "catalogue.change",
                format!("refused removal of provider {code}: {found}"),
            );
            state.store.append_audit(event.refused().with_record(format!("provider:{code}"))).await?;
            render(&state, &caller, &locale, StatusCode::CONFLICT, problems(&found), None).await
        }
        Ok(text) => {
            save(&state, &caller, &text, &format!("removal of {code}"), format!("removed provider {code}"))
                .await?;
            Ok(Redirect::to("/admin/registry").into_response())
        }
    }
}

/// `POST /admin/registry/centres/{code}`: renames a centre, moves it, changes its weekly hours.
pub async fn centre_edit(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    let languages = c.country.languages.clone();
    let centre =
        c.centres.iter_mut().find(|x| x.code.as_str() == code).ok_or_else(|| no_such("centre", &code))?;
    for lang in &languages {
        centre.name = std::mem::take(&mut centre.name).with(lang, field_of(&fields, &format!("name_{lang}")));
        centre.address =
            std::mem::take(&mut centre.address).with(lang, field_of(&fields, &format!("address_{lang}")));
    }
    let mut errors = Vec::new();
    let mut hours: Vec<onestop_domain::catalogue::OpeningHours> = Vec::new();
    for day in WEEK {
        let slug = weekday_slug(day);
        let (open, close) =
            (field_of(&fields, &format!("open_{slug}")), field_of(&fields, &format!("close_{slug}")));
        if open.is_empty() && close.is_empty() {
            continue;
        }
        match (open.parse::<jiff::civil::Time>(), close.parse::<jiff::civil::Time>()) {
            (Ok(open), Ok(close)) => match hours.iter_mut().find(|h| h.open == open && h.close == close) {
                Some(same) => same.days.push(day),
                None => hours.push(onestop_domain::catalogue::OpeningHours { days: vec![day], open, close }),
            },
            _ => errors.push(FormError::at(
                "hours",
                state.templates.text(
                    &locale,
                    "registry-error-hours",
                    &[(
                        "day",
                        FluentValue::from(state.templates.text(&locale, &format!("weekday-{slug}"), &[])),
                    )],
                ),
            )),
        }
    }
    centre.hours = hours;
    save_entity(&state, &caller, &locale, &c, "centre", &code, errors, format!("edited centre {code}")).await
}

/// `POST /admin/registry/centres/{code}/windows/{number}/remove`: closes a window.
pub async fn window_remove(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path((code, number)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let mut c = catalogue(&state).await?;
    let centre =
        c.centres.iter_mut().find(|x| x.code.as_str() == code).ok_or_else(|| no_such("centre", &code))?;
    let before = centre.windows.len();
    centre.windows.retain(|w| w.number != number);
    if centre.windows.len() == before {
        return Err(ApiError::not_found(format!("centre {code} has no window {number}")));
    }
    save_entity(
        &state,
        &caller,
        &locale,
        &c,
        "centre",
        &code,
        Vec::new(),
        format!("removed window {number} of centre {code}"),
    )
    .await
}
