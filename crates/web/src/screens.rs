//! The centre's screens in a browser: pairing a screen with its device token, the self-service
//! kiosk, the hall display and the window display.
//!
//! A screen is paired once: the person setting it up pastes the token `onestop token issue` printed
//! into `/screens/pair`, which keeps it in the HttpOnly, SameSite=Strict cookie
//! [`DEVICE_COOKIE`](crate::auth::DEVICE_COOKIE); [`authenticate`](crate::auth::authenticate) accepts
//! that cookie like a bearer token. The screens' scripts send
//! [`DEVICE_HEADER`](crate::auth::DEVICE_HEADER) with every request that changes anything.

use crate::AppState;
use crate::auth::{CSRF_COOKIE, Caller, DEVICE_COOKIE, cookie, random_token, set_cookie};
use crate::i18n::Locale;
use crate::pages::queue::{PlaceQuery, centre_choices, centre_of, registry, services_by_group, texts, tr};
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use onestop_domain::identity::{DeviceKind, Principal};
use onestop_domain::token;
use serde::Deserialize;
use serde_json::{Value, json};

/// How long a paired screen keeps its cookie: a year (revoking the token ends it sooner).
const PAIRED_FOR: i64 = 365 * 24 * 3600;

/// Where a device of `kind` (bound to `window` or not) shows its screen.
fn screen_of(kind: DeviceKind, window: Option<&str>) -> Option<&'static str> {
    match (kind, window) {
        (DeviceKind::Kiosk, _) => Some("/screens/kiosk"),
        (DeviceKind::Display, Some(_)) => Some("/screens/window"),
        (DeviceKind::Display, None) => Some("/screens/hall"),
        (DeviceKind::Tablet, Some(_)) => Some("/screens/feedback"),
        _ => None,
    }
}

/// What the pairing page says about the device this browser already is.
fn paired_view(caller: &Caller) -> Value {
    match &caller.principal {
        Some(Principal::Device(d)) if caller.device_cookie => json!({
            "kind": d.kind.as_str(),
            "centre": d.scope.centre,
            "window": d.scope.window,
            "screen": screen_of(d.kind, d.scope.window.as_deref()),
        }),
        _ => Value::Null,
    }
}

fn pair_page(
    state: &AppState,
    locale: &Locale,
    caller: &Caller,
    csrf: &str,
    errors: Vec<FormError>,
) -> Result<axum::response::Html<String>, ApiError> {
    state.templates.page(
        locale,
        caller,
        "screen_pair.html",
        json!({ "csrf": csrf, "errors": errors, "paired": paired_view(caller), "staff_session": caller.staff().is_some() }),
    )
}

/// `GET /screens/pair`: the form that pairs this browser with a device token.
pub async fn pair_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let csrf = cookie(&headers, CSRF_COOKIE).filter(|c| c.len() == 64).unwrap_or_else(random_token);
    let mut response = pair_page(&state, &locale, &caller, &csrf, Vec::new())?.into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &csrf, caller.secure, None));
    Ok(response)
}

/// The pairing form's fields.
#[derive(Debug, Deserialize)]
pub struct Pair {
    token: String,
    #[serde(default)]
    csrf: String,
}

/// The unpairing form's field.
#[derive(Debug, Deserialize)]
pub struct Unpair {
    csrf: String,
}

/// `POST /screens/pair`: checks the token and keeps it in the device cookie; the screen opens.
pub async fn pair(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Form(form): Form<Pair>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let csrf = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    let again = |status: StatusCode, field: Option<&'static str>, key: &str| -> Result<Response, ApiError> {
        let message = state.templates.text(&locale, key, &[]);
        let error = match field {
            Some(f) => FormError::at(f, message),
            None => FormError::general(message),
        };
        Ok((status, pair_page(&state, &locale, &caller, &csrf, vec![error])?).into_response())
    };
    if csrf.is_empty() || !token::same(&form.csrf, &csrf) {
        let event =
            caller.event(now, "csrf.refused", "POST /screens/pair: missing or wrong CSRF token").refused();
        state.store.append_audit(event.with_record("screens/pair")).await?;
        return again(StatusCode::FORBIDDEN, None, "signin-expired-form");
    }
    let presented = form.token.trim();
    let device = if presented.is_empty() || !presented.is_ascii() || presented.contains(';') {
        None
    } else {
        state.store.device_by_token(&token::digest(presented)).await?
    };
    let Some(device) = device.filter(|d| d.revoked_at.is_none()) else {
        let event = caller.event(now, "device.pair", "pairing refused: unknown or revoked token").refused();
        state.store.append_audit(event.with_record("screens/pair")).await?;
        return again(StatusCode::BAD_REQUEST, Some("token"), "pair-unknown-token");
    };
    let Some(screen) = screen_of(device.kind, device.scope.window.as_deref()) else {
        return again(StatusCode::BAD_REQUEST, Some("token"), "pair-no-screen");
    };
    let mut event = caller.event(now, "device.pair", format!("paired a browser as a {} screen", device.kind));
    event.actor = format!("device:{}", device.id);
    event.role = Some(device.kind.as_str().to_owned());
    state.store.append_audit(event.with_record(format!("device:{}", device.id))).await?;
    let mut response = Redirect::to(screen).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set_cookie(DEVICE_COOKIE, presented, caller.secure, Some(PAIRED_FOR)));
    headers.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, "", caller.secure, Some(0)));
    Ok(response)
}

/// `POST /screens/unpair`: forgets the device token this browser holds.
pub async fn unpair(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Form(form): Form<Unpair>,
) -> Result<Response, ApiError> {
    let csrf = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty() || !token::same(&form.csrf, &csrf) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "the form expired: reload the page and try again"));
    }
    if caller.device_cookie {
        let event = caller.event(state.now(), "device.unpair", "a browser forgot its device token");
        state
            .store
            .append_audit(event.with_record(caller.principal.as_ref().map(|p| p.actor()).unwrap_or_default()))
            .await?;
    }
    let mut response = Redirect::to("/screens/pair").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(DEVICE_COOKIE, "", caller.secure, Some(0)));
    Ok(response)
}

/// Words the kiosk's script shows.
pub(crate) const KIOSK_TEXTS: &[&str] = &[
    "kiosk-id-first",
    "kiosk-issuing",
    "kiosk-your-ticket",
    "kiosk-print",
    "kiosk-again",
    "ticket-window-floor",
    "ticket-minutes",
    "ticket-no-estimate",
    "ticket-people-ahead",
    "kiosk-failed",
    "kiosk-check-in-first",
    "kiosk-checking-in",
    "kiosk-check-in-failed",
];

/// Words the hall display's script shows.
pub(crate) const HALL_TEXTS: &[&str] =
    &["ticket-window-floor", "screen-reconnecting", "hall-no-calls", "hall-sound-on", "queue-waiting-count"];

/// Words the window display's script shows.
pub(crate) const WINDOW_TEXTS: &[&str] =
    &["window-free", "window-called", "window-serving", "screen-reconnecting", "window-holder-unknown"];

/// The screen's centre, or the page that lets network-wide staff choose one.
async fn screen_centre(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    q: &PlaceQuery,
    base: &str,
    title: &str,
) -> Result<Result<String, Response>, ApiError> {
    if let Some(code) = centre_of(caller, q.centre.as_deref()) {
        return Ok(Ok(code));
    }
    let loaded = registry(state).await?;
    let choices = centre_choices(&loaded.catalogue, locale.lang, base);
    let page = state.templates.page(
        locale,
        caller,
        "queues_pick.html",
        json!({ "title": title, "choices": choices }),
    )?;
    Ok(Err(page.into_response()))
}

/// `GET /screens/kiosk`: the self-service kiosk — read the ID card, pick a service, take a ticket.
pub async fn kiosk(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    let code = match screen_centre(&state, &caller, &locale, &q, "/screens/kiosk", "kiosk-title").await? {
        Ok(code) => code,
        Err(page) => return Ok(page),
    };
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code);
    let groups = centre.map(|x| services_by_group(c, x, locale.lang)).unwrap_or_default();
    let page = state.templates.page(
        &locale,
        &caller,
        "screen_kiosk.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, locale.lang, c)) },
            "groups": groups,
            "config": {
                "centre": code,
                "csrf": caller.session.as_ref().map(|s| s.csrf.clone()),
                "texts": texts(&state, &locale, KIOSK_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

/// Words the complaint booth's script shows.
pub(crate) const BOOTH_TEXTS: &[&str] = &["booth-sending", "booth-failed"];

/// `GET /screens/complaint-booth`: the electronic complaint booth of a centre — a touch form whose
/// complaints and suggestions come in by the booth channel, about the centre unless told otherwise.
pub async fn complaint_booth(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    let code =
        match screen_centre(&state, &caller, &locale, &q, "/screens/complaint-booth", "booth-title").await? {
            Ok(code) => code,
            Err(page) => return Ok(page),
        };
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code);
    let categories: Vec<&str> =
        onestop_domain::feedback::complaint::Category::ALL.iter().map(|x| x.as_str()).collect();
    let page = state.templates.page(
        &locale,
        &caller,
        "screen_booth.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, locale.lang, c)) },
            "categories": categories,
            "config": {
                "centre": code,
                "csrf": caller.session.as_ref().map(|s| s.csrf.clone()),
                "texts": texts(&state, &locale, BOOTH_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /screens/hall`: the hall display — the latest calls and the waiting per service, live.
pub async fn hall(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    let code = match screen_centre(&state, &caller, &locale, &q, "/screens/hall", "hall-title").await? {
        Ok(code) => code,
        Err(page) => return Ok(page),
    };
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code);
    let page = state.templates.page(
        &locale,
        &caller,
        "screen_hall.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, locale.lang, c)) },
            "config": { "centre": code, "texts": texts(&state, &locale, HALL_TEXTS) },
        }),
    )?;
    Ok(page.into_response())
}

/// `GET /screens/window`: the window display — who is called to this window, and for how long
/// they have been served.
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Query(q): Query<PlaceQuery>,
) -> Result<Response, ApiError> {
    let code = match screen_centre(&state, &caller, &locale, &q, "/screens/window", "window-title").await? {
        Ok(code) => code,
        Err(page) => return Ok(page),
    };
    let loaded = registry(&state).await?;
    let c = &loaded.catalogue;
    let centre = c.centre(&code);
    let bound = caller.principal.as_ref().and_then(|p| p.scope().window.clone());
    let number = bound.or_else(|| q.window.clone()).and_then(|w| w.parse::<u32>().ok());
    let Some(number) = number else {
        if matches!(caller.principal, Some(Principal::Device(_))) {
            // A display bound to no window is a hall display.
            return Ok(Redirect::to("/screens/hall").into_response());
        }
        let choices: Vec<Value> = centre
            .map(|x| {
                x.windows
                    .iter()
                    .map(|w| {
                        json!({
                            "name": state.templates.text(&locale, "window-choice", &[
                                ("number", w.number.into()), ("floor", w.floor.into()),
                            ]),
                            "href": format!("/screens/window?centre={code}&window={}", w.number),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let page = state.templates.page(
            &locale,
            &caller,
            "queues_pick.html",
            json!({ "title": "window-title", "choices": choices }),
        )?;
        return Ok(page.into_response());
    };
    let floor = centre.and_then(|x| x.windows.iter().find(|w| w.number == number)).map(|w| w.floor);
    let page = state.templates.page(
        &locale,
        &caller,
        "screen_window.html",
        json!({
            "centre": { "code": code, "name": centre.map(|x| tr(&x.name, locale.lang, c)) },
            "number": number,
            "floor": floor,
            "config": {
                "centre": code,
                "window": format!("{code}:{number}"),
                "number": number,
                "now": state.now().to_string(),
                "texts": texts(&state, &locale, WINDOW_TEXTS),
            },
        }),
    )?;
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_screen_kind_has_its_page() {
        assert_eq!(screen_of(DeviceKind::Kiosk, None), Some("/screens/kiosk"));
        assert_eq!(screen_of(DeviceKind::Display, None), Some("/screens/hall"));
        assert_eq!(screen_of(DeviceKind::Display, Some("7")), Some("/screens/window"));
        assert_eq!(screen_of(DeviceKind::Tablet, Some("7")), Some("/screens/feedback"));
        assert_eq!(screen_of(DeviceKind::Terminal, None), None);
        assert_eq!(screen_of(DeviceKind::Integration, None), None);
    }

    /// Keys the pairing page names by a value: each device kind, the refusals.
    #[test]
    fn pairing_words_exist_in_every_language() {
        let catalog = crate::i18n::Catalog::new();
        let keys = DeviceKind::ALL
            .iter()
            .map(|k| format!("device-kind-{k}"))
            .chain(["pair-unknown-token", "pair-no-screen", "signin-expired-form"].map(str::to_owned));
        for key in keys {
            for lang in crate::i18n::LANGUAGES {
                assert!(catalog.has(lang, &key), "{lang} lacks {key}");
            }
        }
    }
}
