//! Signing in and out, the staff home, and changing one's own password.

use crate::AppState;
use crate::auth::{CSRF_COOKIE, Caller, SESSION_COOKIE, cookie, random_bytes, random_token, set_cookie};
use crate::i18n::Locale;
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use onestop_domain::password::{self, MAX_LEN, MIN_LEN, PasswordError};
use onestop_domain::session::{MAX_AGE, SessionTimes};
use onestop_domain::throttle::Refusal;
use onestop_domain::token;
use onestop_store::NewSession;
use serde::Deserialize;
use serde_json::json;
use std::sync::OnceLock;

/// `?next=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a local path may be a destination after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/staff".to_owned(),
    }
}

/// `GET /sign-in`.
pub async fn sign_in_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    let csrf = cookie(&headers, CSRF_COOKIE).filter(|c| c.len() == 64).unwrap_or_else(random_token);
    let page = state.templates.page(
        &locale,
        &caller,
        "sign_in.html",
        json!({ "csrf": csrf, "next": safe_next(q.next.as_deref()), "login": "", "errors": [] }),
    );
    let mut response = page.into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &csrf, caller.secure, None));
    response
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    login: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash("no account has this password", &[0; 16]))
}

/// `POST /sign-in`: checks the form's CSRF token, the throttle and the password; starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let now = state.now();
    let login = form.login.trim().to_lowercase();
    let next = safe_next(form.next.as_deref());
    let again = |status: StatusCode, message: String| {
        let csrf = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
        let body =
            json!({ "csrf": csrf, "next": next, "login": login, "errors": [FormError::general(message)] });
        (status, state.templates.page(&locale, &caller, "sign_in.html", body)).into_response()
    };

    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !token::same(&form.csrf, &expected) {
        let event = caller.event(now, "csrf.refused", "POST /sign-in: missing or wrong CSRF token").refused();
        if let Err(e) = state.store.append_audit(event.with_record(format!("staff:{login}"))).await {
            return ApiError::from(e).into_response();
        }
        return again(StatusCode::FORBIDDEN, state.templates.text(&locale, "signin-expired-form", &[]));
    }

    let throttle = match state.store.sign_in_throttle(&login).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(refusal) = throttle.check(now) {
        let until = refusal.until();
        let (action, why) = match refusal {
            Refusal::Locked(_) => ("sign_in.locked", "the login is locked"),
            Refusal::BackOff(_) => ("sign_in.throttled", "too soon after a failed attempt"),
        };
        let event = caller.event(now, action, format!("sign-in refused: {why} until {until}")).refused();
        if let Err(e) = state.store.append_audit(event.with_record(format!("staff:{login}"))).await {
            return ApiError::from(e).into_response();
        }
        let wait = (until.as_second() - now.as_second()).max(1);
        let message =
            state.templates.text(&locale, "signin-throttled", &[("seconds", FluentValue::from(wait))]);
        let mut response = again(StatusCode::TOO_MANY_REQUESTS, message);
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return response;
    }

    let account = match state.store.staff_by_login(&login).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let stored = account.as_ref().map_or_else(|| dummy_hash().to_owned(), |(_, hash)| hash.clone());
    let typed = form.password.clone();
    let matches =
        tokio::task::spawn_blocking(move || password::verify(&typed, &stored)).await.unwrap_or(false);
    let staff = match account {
        Some((staff, _)) if matches && staff.active => staff,
        refused => {
            let why = match refused {
                None => "unknown login",
                Some(_) if !matches => "wrong password",
                Some(_) => "account suspended",
            };
            let (next_throttle, locked) = throttle.after_failure(now);
            let action = if locked { "sign_in.lock" } else { "sign_in.fail" };
            let summary = format!("sign-in failed: {why} (failure {})", throttle.failures + 1);
            let event = caller.event(now, action, summary).refused().with_record(format!("staff:{login}"));
            if let Err(e) = state.store.record_sign_in_failure(&login, next_throttle, event).await {
                return ApiError::from(e).into_response();
            }
            return again(StatusCode::UNAUTHORIZED, state.templates.text(&locale, "signin-wrong", &[]));
        }
    };

    let session_token = random_token();
    let new = NewSession {
        staff_id: staff.id,
        token_hash: token::digest(&session_token),
        csrf_token: random_token(),
        times: SessionTimes::start(now),
        origin: caller.origin.clone(),
    };
    let mut event =
        caller.event(now, "session.start", "signed in").with_record(format!("staff:{}", staff.login));
    event.actor = format!("staff:{}", staff.login);
    event.role = Some(staff.role.as_str().to_owned());
    if let Err(e) = state.store.start_session(&login, &new, event).await {
        return ApiError::from(e).into_response();
    }
    let to = if staff.must_change_password { "/account/password".to_owned() } else { next };
    let mut response = Redirect::to(&to).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &session_token, caller.secure, Some(MAX_AGE.as_secs())),
    );
    headers.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, "", caller.secure, Some(0)));
    response
}

/// `POST /sign-out`.
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(session) = &caller.session {
        let event = caller
            .event(state.now(), "session.end", "signed out")
            .with_record(format!("session:{}", session.id));
        state.store.end_session(session.id, state.now(), event).await?;
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", caller.secure, Some(0)));
    Ok(response)
}

/// `GET /staff`: the home of the caller's role, with what they may do.
pub async fn staff_home(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    Ok(state.templates.page(&locale, &caller, "staff_home.html", json!({}))?.into_response())
}

/// `GET /account/password`.
pub async fn password_form(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    let page = state.templates.page(
        &locale,
        &caller,
        "password.html",
        json!({ "must_change": caller.must_change_password, "min_len": MIN_LEN, "errors": [], "done": false }),
    )?;
    Ok(page.into_response())
}

/// A password policy refusal in the request's language.
pub(crate) fn policy_message(state: &AppState, locale: &Locale, error: &PasswordError) -> String {
    match error {
        PasswordError::TooShort => {
            state.templates.text(locale, "password-too-short", &[("min", FluentValue::from(MIN_LEN))])
        }
        PasswordError::TooLong => {
            state.templates.text(locale, "password-too-long", &[("max", FluentValue::from(MAX_LEN))])
        }
        PasswordError::ContainsLogin => state.templates.text(locale, "password-contains-login", &[]),
    }
}

/// The password form's fields.
#[derive(Debug, Deserialize)]
pub struct ChangePassword {
    current: String,
    new: String,
    confirm: String,
}

/// `POST /account/password`: the person sets their own password; their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Form(form): Form<ChangePassword>,
) -> Result<Response, ApiError> {
    let staff =
        caller.staff().ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"))?.clone();
    let (_, stored) =
        state.store.staff_by_login(&staff.login).await?.ok_or_else(|| ApiError::not_found("account"))?;
    let current = form.current.clone();
    let current_ok =
        tokio::task::spawn_blocking(move || password::verify(&current, &stored)).await.unwrap_or(false);
    let mut errors = Vec::new();
    if !current_ok {
        errors.push(FormError::at("current", state.templates.text(&locale, "password-current-wrong", &[])));
    }
    if let Err(e) = password::check_policy(&staff.login, &form.new) {
        errors.push(FormError::at("new", policy_message(&state, &locale, &e)));
    } else if form.new != form.confirm {
        errors.push(FormError::at("confirm", state.templates.text(&locale, "password-differ", &[])));
    }
    let render = |status: StatusCode, errors: Vec<FormError>, done: bool| -> Result<Response, ApiError> {
        let page = state.templates.page(
            &locale,
            &caller,
            "password.html",
            json!({ "must_change": caller.must_change_password && !done, "min_len": MIN_LEN, "errors": errors, "done": done }),
        )?;
        Ok((status, page).into_response())
    };
    if !errors.is_empty() {
        if !current_ok {
            let event = caller.event(state.now(), "staff.password_change", "refused: wrong current password");
            state.store.append_audit(event.refused().with_record(format!("staff:{}", staff.login))).await?;
        }
        return render(StatusCode::BAD_REQUEST, errors, false);
    }
    let salt: [u8; 16] = random_bytes()[..16].try_into().expect("16 bytes");
    let new = form.new.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&new, &salt))
        .await
        .map_err(|_| ApiError::internal())?;
    let now = state.now();
    let event = caller.event(now, "staff.password_change", "changed own password; other sessions ended");
    let keep = caller.session.as_ref().map(|s| s.id);
    state
        .store
        .set_password(
            &staff.login,
            &hash,
            false,
            keep,
            now,
            event.with_record(format!("staff:{}", staff.login)),
        )
        .await?;
    render(StatusCode::OK, Vec::new(), true)
}
