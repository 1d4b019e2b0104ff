//! Server-rendered pages: the templates, embedded at build time, and what every page is given.

use crate::auth::Caller;
use crate::problem::ApiError;
use axum::response::Html;
use minijinja::Environment;
use onestop_domain::identity::Role;
use serde::Serialize;

/// The compiled templates.
pub struct Templates(Environment<'static>);

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Loads every template.
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("errors.html", include_str!("../templates/errors.html")),
            ("sign_in.html", include_str!("../templates/sign_in.html")),
            ("staff_home.html", include_str!("../templates/staff_home.html")),
            ("password.html", include_str!("../templates/password.html")),
            ("staff_list.html", include_str!("../templates/staff_list.html")),
        ] {
            env.add_template(name, source).expect("templates are valid");
        }
        Templates(env)
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<Html<String>, ApiError> {
        let template = self.0.get_template(name).map_err(|e| {
            tracing::error!(error = %e, name, "missing template");
            ApiError::internal()
        })?;
        template.render(context).map(Html).map_err(|e| {
            tracing::error!(error = %e, name, "template failed");
            ApiError::internal()
        })
    }
}

/// The signed-in staff member as pages show them.
#[derive(Debug, Serialize)]
pub struct CallerView {
    /// Full name.
    pub name: String,
    /// Login.
    pub login: String,
    /// Role name.
    pub role: &'static str,
    /// Role in words.
    pub role_label: &'static str,
    /// Centre, if bound to one.
    pub centre: Option<String>,
    /// Provider, if bound to one.
    pub provider: Option<String>,
    /// The session's CSRF token, for forms.
    pub csrf: String,
}

impl CallerView {
    /// The view of a signed-in staff caller; `None` for anyone else.
    pub fn of(caller: &Caller) -> Option<CallerView> {
        let staff = caller.staff()?;
        Some(CallerView {
            name: caller.name.clone().unwrap_or_default(),
            login: staff.login.clone(),
            role: staff.role.as_str(),
            role_label: role_label(staff.role),
            centre: staff.scope.centre.clone(),
            provider: staff.scope.provider.clone(),
            csrf: caller.session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default(),
        })
    }
}

/// A role in words.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::AgencyAdmin => "agency administrator",
        Role::CentreManager => "centre manager",
        Role::InfoDesk => "information desk",
        Role::Officer => "officer",
        Role::BankTeller => "bank teller",
        Role::MonitoringAnalyst => "monitoring analyst",
        Role::CallCentreOperator => "call-centre operator",
        Role::Volunteer => "volunteer",
        Role::CommissionMember => "commission member",
    }
}

/// One problem with a submitted form, linked to its field.
#[derive(Debug, Serialize)]
pub struct FormError {
    /// The `id` of the field at fault, if one is.
    pub field: Option<&'static str>,
    /// What is wrong, in words.
    pub message: String,
}

impl FormError {
    /// A problem with `field`.
    pub fn at(field: &'static str, message: impl Into<String>) -> Self {
        FormError { field: Some(field), message: message.into() }
    }

    /// A problem with the form as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        FormError { field: None, message: message.into() }
    }
}
