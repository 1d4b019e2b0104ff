//! Staff accounts: the list, adding one, suspending, reactivating, resetting a password and
//! signing someone out everywhere. Centre managers see and manage their own centre only.

use crate::AppState;
use crate::auth::{Caller, random_bytes};
use crate::i18n::Locale;
use crate::pages::account::policy_message;
use crate::problem::ApiError;
use crate::templates::FormError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use onestop_domain::identity::{
    Denial, Permission, Role, Scope, ScopeError, check_login, check_staff_scope, staff_target,
};
use onestop_domain::password;
use onestop_domain::pii::{Fin, Phone};
use onestop_store::{NewStaff, StaffRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// A staff account as shown to others: personal data masked unless the viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    /// Sign-in name.
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role.
    pub role: String,
    /// Centre code, for centre-bound roles.
    pub centre: Option<String>,
    /// Provider code, for officers.
    pub provider: Option<String>,
    /// National ID number, masked (`*****2M`) unless the viewer may see it.
    pub fin: Option<String>,
    /// Phone number, masked unless the viewer may see it.
    pub phone: Option<String>,
    /// False while suspended.
    pub active: bool,
    /// True until the person sets their own password.
    pub must_change_password: bool,
}

impl StaffView {
    /// The view of `record` for `caller`.
    pub fn of(record: StaffRecord, caller: &Caller) -> StaffView {
        let reveal = caller.authorize(Permission::RevealPersonalData, staff_target(&record.scope)).is_ok();
        StaffView {
            fin: record.fin.map(|f| if reveal { f.reveal().to_owned() } else { f.masked() }),
            phone: record.phone.map(|p| if reveal { p.reveal().to_owned() } else { p.masked() }),
            login: record.login,
            full_name: record.full_name,
            role: record.role.as_str().to_owned(),
            centre: record.scope.centre,
            provider: record.scope.provider,
            active: record.active,
            must_change_password: record.must_change_password,
        }
    }
}

/// The accounts `caller` may see: all for network-wide roles, their centre's for centre managers.
pub(crate) async fn visible_staff(state: &AppState, caller: &Caller) -> Result<Vec<StaffView>, ApiError> {
    let centre = caller.staff().and_then(|s| s.scope.centre.clone());
    let records = state.store.list_staff(centre.as_deref()).await?;
    Ok(records.into_iter().map(|r| StaffView::of(r, caller)).collect())
}

fn forbidden(denial: Denial) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, denial.to_string())
}

/// The add-account form's fields.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct NewStaffForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    centre: String,
    #[serde(default)]
    provider: String,
    #[serde(default, skip_serializing)]
    fin: String,
    #[serde(default, skip_serializing)]
    phone: String,
    #[serde(default, skip_serializing)]
    password: String,
}

async fn render_list(
    state: &AppState,
    caller: &Caller,
    locale: &Locale,
    status: StatusCode,
    form: &NewStaffForm,
    errors: Vec<FormError>,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let staff = visible_staff(state, caller).await?;
    let roles: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let page = state.templates.page(
        locale,
        caller,
        "staff_list.html",
        json!({
            "staff": staff,
            "crumbs": [{ "key": "nav-staff-home", "href": "/staff" }, { "key": "nav-staff-accounts", "href": "/admin/staff" }],
            "scope_centre": caller.staff().and_then(|s| s.scope.centre.clone()),
            "can_manage": caller.authorize(Permission::ManageStaff, onestop_domain::identity::Target::ANY).is_ok(),
            "roles": roles,
            "form": form,
            "errors": errors,
            "notice": notice,
        }),
    )?;
    Ok((status, page).into_response())
}

/// `GET /admin/staff`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
) -> Result<Response, ApiError> {
    render_list(&state, &caller, &locale, StatusCode::OK, &NewStaffForm::default(), Vec::new(), None).await
}

fn opt(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `POST /admin/staff`: adds an account with a temporary password the person must replace.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Form(form): Form<NewStaffForm>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let login = form.login.trim().to_lowercase();
    if check_login(&login).is_err() {
        errors.push(FormError::at("login", state.templates.text(&locale, "staff-error-login", &[])));
    }
    if form.full_name.trim().is_empty() {
        errors.push(FormError::at("full_name", state.templates.text(&locale, "staff-error-name", &[])));
    }
    let role = form
        .role
        .parse::<Role>()
        .map_err(|_| {
            errors.push(FormError::at("role", state.templates.text(&locale, "staff-error-role", &[])))
        })
        .ok();
    let scope = Scope { centre: opt(&form.centre), provider: opt(&form.provider), window: None };
    if let Some(role) = role
        && let Err(e) = check_staff_scope(role, &scope)
    {
        errors.push(scope_error(&state, &locale, &e));
    }
    let fin = opt(&form.fin)
        .map(|f| Fin::parse(&f))
        .transpose()
        .map_err(|_| errors.push(FormError::at("fin", state.templates.text(&locale, "staff-error-fin", &[]))))
        .ok()
        .flatten();
    let phone = opt(&form.phone)
        .map(|p| Phone::parse(&p))
        .transpose()
        .map_err(|_| {
            errors.push(FormError::at("phone", state.templates.text(&locale, "staff-error-phone", &[])))
        })
        .ok()
        .flatten();
    if let Err(e) = password::check_policy(&login, &form.password) {
        errors.push(FormError::at("password", policy_message(&state, &locale, &e)));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return render_list(&state, &caller, &locale, StatusCode::BAD_REQUEST, &form, errors, None).await;
    };
    if let Err(denial) = caller.authorize(Permission::ManageStaff, staff_target(&scope)) {
        let event = caller.event(state.now(), "staff.create", format!("refused: {denial}")).refused();
        state.store.append_audit(event.with_record(format!("staff:{login}"))).await?;
        return Err(forbidden(denial));
    }
    let salt: [u8; 16] = random_bytes()[..16].try_into().expect("16 bytes");
    let typed = form.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&typed, &salt))
        .await
        .map_err(|_| ApiError::internal())?;
    let new = NewStaff {
        login: login.clone(),
        full_name: form.full_name.trim().to_owned(),
        fin,
        phone,
        role,
        scope: scope.clone(),
        password_hash,
        must_change_password: true,
    };
    let now = state.now();
    let summary = format!(
        "created {role} account{}",
        scope.centre.as_ref().map(|c| format!(" at {c}")).unwrap_or_default()
    );
    let event = caller.event(now, "staff.create", summary).with_record(format!("staff:{login}"));
    match state.store.create_staff(&new, now, event).await {
        Ok(_) => Ok(Redirect::to("/admin/staff").into_response()),
        Err(onestop_store::StoreError::Conflict(why)) => {
            let message = if why.contains("FIN") {
                state.templates.text(&locale, "staff-error-taken-fin", &[])
            } else {
                state.templates.text(
                    &locale,
                    "staff-error-taken-login",
                    &[("login", FluentValue::from(login.clone()))],
                )
            };
            let field = if why.contains("FIN") { "fin" } else { "login" };
            render_list(
                &state,
                &caller,
                &locale,
                StatusCode::CONFLICT,
                &form,
                vec![FormError::at(field, message)],
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads the account and checks the caller may manage it; refusals are audited.
async fn managed(
    state: &AppState,
    caller: &Caller,
    login: &str,
    action: &str,
) -> Result<StaffRecord, ApiError> {
    let (record, _) = state
        .store
        .staff_by_login(login)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("staff account {login}")))?;
    if let Err(denial) = caller.authorize(Permission::ManageStaff, staff_target(&record.scope)) {
        let event = caller.event(state.now(), action, format!("refused: {denial}")).refused();
        state.store.append_audit(event.with_record(format!("staff:{login}"))).await?;
        return Err(forbidden(denial));
    }
    Ok(record)
}

/// `POST /admin/staff/{login}/suspend`.
pub async fn suspend(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    set_active(state, caller, login, false).await
}

/// `POST /admin/staff/{login}/activate`.
pub async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    set_active(state, caller, login, true).await
}

async fn set_active(
    state: AppState,
    caller: Caller,
    login: String,
    active: bool,
) -> Result<Response, ApiError> {
    let action = if active { "staff.activate" } else { "staff.suspend" };
    let record = managed(&state, &caller, &login, action).await?;
    if caller.staff().is_some_and(|s| s.login == login) && !active {
        return Err(ApiError::conflict("you cannot suspend your own account"));
    }
    let word = |a: bool| if a { "active" } else { "suspended" };
    let now = state.now();
    let event = caller.event(now, action, format!("status: {} → {}", word(record.active), word(active)));
    state.store.set_staff_active(&login, active, now, event.with_record(format!("staff:{login}"))).await?;
    Ok(Redirect::to("/admin/staff").into_response())
}

/// The reset form's field.
#[derive(Debug, Deserialize)]
pub struct Reset {
    #[serde(default)]
    password: String,
}

/// `POST /admin/staff/{login}/reset-password`: a temporary password; the person must replace it.
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(login): Path<String>,
    Form(form): Form<Reset>,
) -> Result<Response, ApiError> {
    managed(&state, &caller, &login, "staff.password_reset").await?;
    if let Err(e) = password::check_policy(&login, &form.password) {
        let errors = vec![FormError::general(policy_message(&state, &locale, &e))];
        return render_list(
            &state,
            &caller,
            &locale,
            StatusCode::BAD_REQUEST,
            &NewStaffForm::default(),
            errors,
            None,
        )
        .await;
    }
    let salt: [u8; 16] = random_bytes()[..16].try_into().expect("16 bytes");
    let typed = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&typed, &salt))
        .await
        .map_err(|_| ApiError::internal())?;
    let now = state.now();
    let event = caller.event(now, "staff.password_reset", "temporary password set; sessions ended");
    state
        .store
        .set_password(&login, &hash, true, None, now, event.with_record(format!("staff:{login}")))
        .await?;
    let notice =
        state.templates.text(&locale, "staff-reset-done", &[("login", FluentValue::from(login.clone()))]);
    render_list(&state, &caller, &locale, StatusCode::OK, &NewStaffForm::default(), Vec::new(), Some(notice))
        .await
}

/// `POST /admin/staff/{login}/end-sessions`.
pub async fn end_sessions(
    State(state): State<AppState>,
    caller: Caller,
    locale: Locale,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    managed(&state, &caller, &login, "session.end_all").await?;
    let now = state.now();
    let event = caller.event(now, "session.end_all", "every session ended by an administrator");
    let ended =
        state.store.end_staff_sessions(&login, now, event.with_record(format!("staff:{login}"))).await?;
    let notice = state.templates.text(
        &locale,
        "staff-sessions-ended",
        &[("count", FluentValue::from(ended)), ("login", FluentValue::from(login.clone()))],
    );
    render_list(&state, &caller, &locale, StatusCode::OK, &NewStaffForm::default(), Vec::new(), Some(notice))
        .await
}

/// A scope refusal in the request's language, on the field at fault.
fn scope_error(state: &AppState, locale: &Locale, error: &ScopeError) -> FormError {
    let role_name = |role: Role| state.templates.text(locale, &format!("role-{role}"), &[]);
    match error {
        ScopeError::CentreRequired(role) => FormError::at(
            "centre",
            state.templates.text(
                locale,
                "staff-error-centre-required",
                &[("role", FluentValue::from(role_name(*role)))],
            ),
        ),
        ScopeError::ProviderRequired(_) => {
            FormError::at("provider", state.templates.text(locale, "staff-error-provider-required", &[]))
        }
        ScopeError::NoCentre(role) => FormError::at(
            "centre",
            state.templates.text(
                locale,
                "staff-error-no-centre",
                &[("role", FluentValue::from(role_name(*role)))],
            ),
        ),
        ScopeError::NoProvider(_) => {
            FormError::at("provider", state.templates.text(locale, "staff-error-no-provider", &[]))
        }
        ScopeError::BadCode(_) => {
            FormError::at("centre", state.templates.text(locale, "staff-error-code", &[]))
        }
    }
}
