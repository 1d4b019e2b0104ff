//! Who is calling: session cookies for staff in the browser, bearer tokens for devices; the
//! permission guard every protected route passes; CSRF protection of state-changing requests.

use crate::AppState;
use crate::problem::ApiError;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::identity::{
    Denial, DevicePrincipal, Permission, Principal, StaffPrincipal, Target, authorize,
};
use onestop_domain::token;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The cookie holding a staff session's token.
pub const SESSION_COOKIE: &str = "onestop_session";
/// The cookie holding the CSRF token of the sign-in form (before there is a session).
pub const CSRF_COOKIE: &str = "onestop_csrf";
/// The header API calls made with a session cookie put the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field pages put the CSRF token in.
pub const CSRF_FIELD: &str = "csrf";
/// The cookie a paired screen (kiosk, hall or window display, tablet) holds its device token in.
pub const DEVICE_COOKIE: &str = "onestop_device";
/// The header state-changing requests authenticated by [`DEVICE_COOKIE`] must carry (with the
/// value `1`): a screen's own scripts set it, a cross-site form cannot.
pub const DEVICE_HEADER: &str = "x-onestop-device";

/// The session a staff caller came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    /// The session's id.
    pub id: i64,
    /// The token forms and API calls must echo.
    pub csrf: String,
}

/// Who is calling, as the authentication layer found out. Handlers take it as an extractor.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The authenticated staff member or device, if any.
    pub principal: Option<Principal>,
    /// The staff member's full name, for pages.
    pub name: Option<String>,
    /// The session, when the caller came with a session cookie.
    pub session: Option<SessionRef>,
    /// True when the account must set a new password before anything else.
    pub must_change_password: bool,
    /// Why presented credentials did not hold (expired session, revoked token, …).
    pub failure: Option<String>,
    /// The client's address.
    pub origin: Option<String>,
    /// Whether the request reached us over TLS (directly or through a proxy that says so).
    pub secure: bool,
    /// True when the caller is a device that came with the [`DEVICE_COOKIE`] rather than a bearer
    /// token: its state-changing requests must carry [`DEVICE_HEADER`].
    pub device_cookie: bool,
}

impl Caller {
    /// An audit event by this caller.
    pub fn event(&self, at: Timestamp, action: &str, summary: impl Into<String>) -> AuditEvent {
        let (actor, role) = match &self.principal {
            Some(p) => (p.actor(), Some(p.role_name().to_owned())),
            None => ("anonymous".to_owned(), None),
        };
        let mut event = AuditEvent::new(at, actor, action, summary).with_origin(self.origin.clone());
        event.role = role;
        event
    }

    /// The signed-in staff member, if the caller is one.
    pub fn staff(&self) -> Option<&StaffPrincipal> {
        match &self.principal {
            Some(Principal::Staff(s)) => Some(s),
            _ => None,
        }
    }

    /// The server itself, for its scheduled work (the report job): an agency-wide principal that
    /// no request can present.
    pub fn system() -> Caller {
        Caller {
            principal: Some(Principal::Staff(onestop_domain::identity::StaffPrincipal {
                user_id: 0,
                login: "system".into(),
                role: onestop_domain::identity::Role::AgencyAdmin,
                scope: onestop_domain::identity::Scope::default(),
            })),
            name: Some("onestop".into()),
            ..Caller::default()
        }
    }

    /// The one permission check, with this caller as the principal.
    pub fn authorize(&self, permission: Permission, target: Target<'_>) -> Result<(), Denial> {
        authorize(self.principal.as_ref(), permission, target)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or_default())
    }
}

/// Draws 32 random bytes from the operating system.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes
}

/// A fresh random token as hex.
pub fn random_token() -> String {
    token::render("", &random_bytes())
}

/// The value of cookie `name` in the request's headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, Secure when `secure`.
/// `max_age` of zero deletes the cookie; `None` makes it last for the browser session.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).expect("cookie values are hex")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn is_secure(request: &Request, state: &AppState) -> bool {
    state.secure_cookies
        || request.uri().scheme_str() == Some("https")
        || request
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// Middleware on every request: finds the caller and puts a [`Caller`] in the request.
pub async fn authenticate(state: AppState, mut request: Request, next: Next) -> Response {
    let origin = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let mut caller = Caller { origin, secure: is_secure(&request, &state), ..Caller::default() };
    let now = state.now();
    if let Some(presented) = bearer(request.headers()) {
        if let Err(e) = device(&state, presented, "the bearer token", &mut caller).await {
            return e.into_response();
        }
    } else if let Some(presented) = cookie(request.headers(), SESSION_COOKIE) {
        match state.store.session_by_token(&token::digest(&presented)).await {
            Ok(Some(session)) => match (session.times.check(now), session.staff.active) {
                (Err(ended), _) => caller.failure = Some(ended.to_string()),
                (Ok(()), false) => caller.failure = Some("the account is suspended".into()),
                (Ok(()), true) => {
                    if session.times.needs_touch(now)
                        && let Err(e) = state.store.touch_session(session.id, now).await
                    {
                        tracing::warn!(error = %e, "could not record session use");
                    }
                    let staff = session.staff;
                    caller.must_change_password = staff.must_change_password;
                    caller.name = Some(staff.full_name);
                    caller.session = Some(SessionRef { id: session.id, csrf: session.csrf_token });
                    caller.principal = Some(Principal::Staff(StaffPrincipal {
                        user_id: staff.id,
                        login: staff.login,
                        role: staff.role,
                        scope: staff.scope,
                    }));
                }
            },
            Ok(None) => caller.failure = Some("the session is not known".into()),
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(presented) = cookie(request.headers(), DEVICE_COOKIE) {
        if let Err(e) = device(&state, &presented, "the device cookie", &mut caller).await {
            return e.into_response();
        }
        caller.device_cookie = caller.principal.is_some();
    }
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(state);
    next.run(request).await
}

/// Finds the device holding token `presented` (brought as `how`) and makes it the caller, or
/// records why it does not hold.
async fn device(state: &AppState, presented: &str, how: &str, caller: &mut Caller) -> Result<(), ApiError> {
    match state.store.device_by_token(&token::digest(presented)).await? {
        Some(device) if device.revoked_at.is_none() => {
            caller.principal = Some(Principal::Device(DevicePrincipal {
                token_id: device.id,
                kind: device.kind,
                scope: device.scope,
            }));
        }
        Some(device) => caller.failure = Some(format!("device token {} was revoked", device.id)),
        None => caller.failure = Some(format!("{how} is not known")),
    }
    Ok(())
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// Route middleware: lets the request through only if the caller holds `permission`, and, for
/// state-changing requests made with a session cookie, echoes the session's CSRF token.
/// Every refusal of presented credentials is audited.
pub async fn require(permission: Permission, request: Request, next: Next) -> Response {
    let state = request.extensions().get::<AppState>().cloned().expect("authenticate runs first");
    let caller = request.extensions().get::<Caller>().cloned().unwrap_or_default();
    let path = request.uri().path().to_owned();
    let html = wants_html(request.headers()) && request.method() == Method::GET;
    let now = state.now();

    if let Err(denial) = caller.authorize(permission, Target::ANY) {
        let presented = caller.principal.is_some() || caller.failure.is_some();
        if presented {
            let why = caller.failure.clone().unwrap_or_else(|| denial.to_string());
            let event =
                caller.event(now, "access.refused", format!("{} {path}: {why}", request.method())).refused();
            if let Err(e) = state.store.append_audit(event.with_record(path.clone())).await {
                return ApiError::from(e).into_response();
            }
        }
        return match denial {
            // A screen that is not paired (or whose token was revoked) goes to the pairing page.
            Denial::Unauthenticated if html && path.starts_with("/screens/") => {
                Redirect::to("/screens/pair").into_response()
            }
            Denial::Unauthenticated if html => {
                Redirect::to(&format!("/sign-in?next={}", encode(&path))).into_response()
            }
            Denial::Unauthenticated => {
                let detail =
                    caller.failure.map_or("sign in first".to_owned(), |f| format!("{f}: sign in again"));
                ApiError::new(StatusCode::UNAUTHORIZED, detail).into_response()
            }
            other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()).into_response(),
        };
    }

    if caller.must_change_password && permission != Permission::ChangeOwnPassword && path != "/sign-out" {
        return if html {
            Redirect::to("/account/password").into_response()
        } else {
            ApiError::new(StatusCode::FORBIDDEN, "set a new password first").into_response()
        };
    }

    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if caller.device_cookie
        && unsafe_method
        && request.headers().get(DEVICE_HEADER).is_none_or(|v| v.as_bytes() != b"1")
    {
        let method = request.method().clone();
        let event = caller.event(
            now,
            "csrf.refused",
            format!("{method} {path}: a paired screen without {DEVICE_HEADER}"),
        );
        if let Err(e) = state.store.append_audit(event.refused().with_record(path)).await {
            return ApiError::from(e).into_response();
        }
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a paired screen's requests that change anything must carry the header {DEVICE_HEADER}: 1"
            ),
        )
        .into_response();
    }
    let request = match (&caller.session, unsafe_method) {
        (Some(session), true) => match check_csrf(request, &session.csrf).await {
            Ok(request) => request,
            Err(method) => {
                let event = caller.event(
                    now,
                    "csrf.refused",
                    format!("{method} {path}: missing or wrong CSRF token"),
                );
                if let Err(e) = state.store.append_audit(event.refused().with_record(path)).await {
                    return ApiError::from(e).into_response();
                }
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "the CSRF token is missing or wrong: reload the page and try again",
                )
                .into_response();
            }
        },
        _ => request,
    };
    next.run(request).await
}

/// Checks the CSRF token in the header or, for forms, in the `csrf` field; gives the request back
/// (with its body restored) when it matches.
async fn check_csrf(request: Request, expected: &str) -> Result<Request, Method> {
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if token::same(sent, expected) { Ok(request) } else { Err(request.method().clone()) };
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
    let kind = content_type.as_ref().map(|v| v.as_bytes()).unwrap_or_default();
    let is_form = kind.starts_with(b"application/x-www-form-urlencoded");
    let is_multipart = kind.starts_with(b"multipart/form-data");
    if !is_form && !is_multipart {
        return Err(request.method().clone());
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else { return Err(parts.method) };
    let sent = if is_form {
        form_field(&bytes, CSRF_FIELD)
    } else {
        multipart_field(content_type, &bytes, CSRF_FIELD).await
    };
    if sent.as_deref().is_some_and(|s| token::same(s, expected)) {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(parts.method)
    }
}

/// The value of text field `name` in a `multipart/form-data` body.
async fn multipart_field(content_type: Option<HeaderValue>, body: &[u8], name: &str) -> Option<String> {
    use axum::extract::{FromRequest, Multipart};
    let mut request = Request::new(Body::from(body.to_vec()));
    request.headers_mut().insert(header::CONTENT_TYPE, content_type?);
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// The value of `name` in a URL-encoded form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Percent-encodes a path for a `next=` parameter.
pub fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
