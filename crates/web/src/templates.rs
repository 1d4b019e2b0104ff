//! Server-rendered pages: the templates, embedded at build time, the `t` function that gives them
//! their words in the request's language, and the context every page shares (language switch,
//! navigation for the caller's role, breadcrumbs).

use crate::auth::Caller;
use crate::i18n::{Catalog, LANGUAGES, Locale};
use crate::problem::ApiError;
use axum::response::Html;
use fluent_bundle::FluentValue;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use onestop_domain::identity::{Permission, Target};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// The messages pages and handlers speak.
    pub catalog: Arc<Catalog>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// Every template, by name. Tests read these to check each `t("…")` key exists.
pub const SOURCES: [(&str, &str); 65] = [
    ("base.html", include_str!("../templates/base.html")),
    ("errors.html", include_str!("../templates/errors.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("staff_home.html", include_str!("../templates/staff_home.html")),
    ("staffing.html", include_str!("../templates/staffing.html")),
    ("password.html", include_str!("../templates/password.html")),
    ("staff_list.html", include_str!("../templates/staff_list.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("services.html", include_str!("../templates/services.html")),
    ("service.html", include_str!("../templates/service.html")),
    ("centres.html", include_str!("../templates/centres.html")),
    ("centre.html", include_str!("../templates/centre.html")),
    ("problems.html", include_str!("../templates/problems.html")),
    ("registry_admin.html", include_str!("../templates/registry_admin.html")),
    ("service_edit.html", include_str!("../templates/service_edit.html")),
    ("entity_edit.html", include_str!("../templates/entity_edit.html")),
    ("screen_base.html", include_str!("../templates/screen_base.html")),
    ("screen_pair.html", include_str!("../templates/screen_pair.html")),
    ("screen_kiosk.html", include_str!("../templates/screen_kiosk.html")),
    ("screen_hall.html", include_str!("../templates/screen_hall.html")),
    ("screen_window.html", include_str!("../templates/screen_window.html")),
    ("ticket.html", include_str!("../templates/ticket.html")),
    ("ticket_print.html", include_str!("../templates/ticket_print.html")),
    ("queues.html", include_str!("../templates/queues.html")),
    ("queues_compare.html", include_str!("../templates/queues_compare.html")),
    ("queues_pick.html", include_str!("../templates/queues_pick.html")),
    ("officer.html", include_str!("../templates/officer.html")),
    ("desk.html", include_str!("../templates/desk.html")),
    ("rating_form.html", include_str!("../templates/rating_form.html")),
    ("screen_feedback.html", include_str!("../templates/screen_feedback.html")),
    ("exit_poll.html", include_str!("../templates/exit_poll.html")),
    ("transparency.html", include_str!("../templates/transparency.html")),
    ("complaints.html", include_str!("../templates/complaints.html")),
    ("complaint.html", include_str!("../templates/complaint.html")),
    ("staff_complaints.html", include_str!("../templates/staff_complaints.html")),
    ("staff_complaint.html", include_str!("../templates/staff_complaint.html")),
    ("staff_complaint_new.html", include_str!("../templates/staff_complaint_new.html")),
    ("complaint_fields.html", include_str!("../templates/complaint_fields.html")),
    ("screen_booth.html", include_str!("../templates/screen_booth.html")),
    ("ideas.html", include_str!("../templates/ideas.html")),
    ("survey.html", include_str!("../templates/survey.html")),
    ("booking_services.html", include_str!("../templates/booking_services.html")),
    ("booking_centres.html", include_str!("../templates/booking_centres.html")),
    ("booking_slots.html", include_str!("../templates/booking_slots.html")),
    ("booking_confirm.html", include_str!("../templates/booking_confirm.html")),
    ("booking_view.html", include_str!("../templates/booking_view.html")),
    ("dev_mailbox.html", include_str!("../templates/dev_mailbox.html")),
    ("monitoring.html", include_str!("../templates/monitoring.html")),
    ("monitoring_figures.html", include_str!("../templates/monitoring_figures.html")),
    ("monitoring_live.html", include_str!("../templates/monitoring_live.html")),
    ("appraisals.html", include_str!("../templates/appraisals.html")),
    ("appraisal.html", include_str!("../templates/appraisal.html")),
    ("reports.html", include_str!("../templates/reports.html")),
    ("asan_index.html", include_str!("../templates/asan_index.html")),
    ("application_fields.html", include_str!("../templates/application_fields.html")),
    ("track.html", include_str!("../templates/track.html")),
    ("bill.html", include_str!("../templates/bill.html")),
    ("pay.html", include_str!("../templates/pay.html")),
    ("accept.html", include_str!("../templates/accept.html")),
    ("staff_applications.html", include_str!("../templates/staff_applications.html")),
    ("staff_application.html", include_str!("../templates/staff_application.html")),
    ("bank.html", include_str!("../templates/bank.html")),
    ("refunds.html", include_str!("../templates/refunds.html")),
    ("reconciliation.html", include_str!("../templates/reconciliation.html")),
];

fn fluent_args(kwargs: &Kwargs) -> Result<Vec<(String, FluentValue<'static>)>, minijinja::Error> {
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let fluent = match value.as_i64() {
            Some(n) => FluentValue::from(n),
            None => FluentValue::from(value.as_str().map_or_else(|| value.to_string(), str::to_owned)),
        };
        args.push((name.to_owned(), fluent));
    }
    Ok(args)
}

impl Templates {
    /// Loads every template and the message catalogue.
    pub fn new() -> Self {
        let catalog = Arc::new(Catalog::new());
        let mut env = Environment::new();
        for (name, source) in SOURCES {
            env.add_template(name, source).expect("templates are valid");
        }
        let messages = Arc::clone(&catalog);
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let lang = page_lang(state);
                let args = fluent_args(&kwargs)?;
                let borrowed: Vec<(&str, FluentValue<'_>)> =
                    args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                Ok(messages.text(&lang, key, &borrowed))
            },
        );
        env.add_filter("datetime", |state: &State, value: String| -> Result<String, minijinja::Error> {
            let lang = page_lang(state);
            let at: jiff::Timestamp = value.parse().map_err(|e| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("{value:?} is not a timestamp: {e}"),
                )
            })?;
            Ok(crate::i18n::format_datetime(&lang, at, &default_zone()))
        });
        Templates { env, catalog }
    }

    /// A message in the request's language, for texts made in handlers.
    pub fn text(&self, locale: &Locale, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.catalog.text(locale.lang, key, args)
    }

    /// Renders page `name` with the shared context and `extra` (a JSON object).
    pub fn page(
        &self,
        locale: &Locale,
        caller: &Caller,
        name: &str,
        extra: serde_json::Value,
    ) -> Result<Html<String>, ApiError> {
        let mut context = json!({
            "lang": locale.lang,
            "languages": LANGUAGES.iter().map(|code| json!({
                "code": code,
                "name": language_name(code),
                "href": locale.switch_to(code),
                "current": *code == locale.lang,
            })).collect::<Vec<_>>(),
            "caller": CallerView::of(caller),
            "nav": navigation(caller, &locale.here),
        });
        if let (Some(base), serde_json::Value::Object(more)) = (context.as_object_mut(), extra) {
            // The shared keys (lang, languages, caller, nav) stay as they are: a page's own data
            // cannot shadow the language switch or the navigation.
            for (key, value) in more {
                base.entry(key).or_insert(value);
            }
        }
        let template = self.env.get_template(name).map_err(|e| {
            tracing::error!(error = %e, name, "missing template");
            ApiError::internal()
        })?;
        template.render(context).map(Html).map_err(|e| {
            tracing::error!(error = %e, name, "template failed");
            ApiError::internal()
        })
    }
}

/// The language of the page being rendered.
fn page_lang(state: &State) -> String {
    state.lookup("lang").and_then(|l| l.as_str().map(str::to_owned)).unwrap_or_else(|| LANGUAGES[0].into())
}

/// The agency's home time zone, in which staff pages show times (Asia/Baku; each centre's own
/// zone arrives with the registry).
pub fn default_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Baku").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A language's name in itself, for the language switch.
pub fn language_name(code: &str) -> &'static str {
    match code {
        "az" => "Azərbaycanca",
        "en" => "English",
        "ru" => "Русский",
        _ => "?",
    }
}

/// The navigation the caller may use: what their role allows, nothing else.
fn navigation(caller: &Caller, here: &str) -> Vec<serde_json::Value> {
    let path = here.split('?').next().unwrap_or(here);
    let allowed = |p: Permission| caller.authorize(p, Target::ANY).is_ok();
    let mut items: Vec<(&str, &str)> = Vec::new();
    if caller.staff().is_some() {
        items.push(("nav-staff-home", "/staff"));
        if allowed(Permission::ServeAtWindow) {
            items.push(("nav-officer", "/staff/window"));
        }
        if allowed(Permission::IssueTicket) {
            items.push(("nav-desk", "/staff/desk"));
        }
        if allowed(Permission::PlanStaffing) {
            items.push(("nav-staffing", "/staff/staffing"));
        }
        if allowed(Permission::ReadStaff) {
            items.push(("nav-staff-accounts", "/admin/staff"));
        }
        if allowed(Permission::ReadAudit) {
            items.push(("nav-audit", "/admin/audit"));
        }
        if allowed(Permission::ManageRegistry) {
            items.push(("nav-registry", "/admin/registry"));
        }
        if allowed(Permission::ReadComplaints) {
            items.push(("nav-complaints-staff", "/staff/complaints"));
        }
        if allowed(Permission::RegisterComplaint) {
            items.push(("nav-complaint-new", "/staff/complaints/new"));
        }
        if allowed(Permission::ReadApplications) {
            items.push(("nav-applications", "/staff/applications"));
        }
        if allowed(Permission::TakePayment) {
            items.push(("nav-bank", "/staff/bank"));
        }
        if allowed(Permission::DecideRefund) {
            items.push(("nav-refunds", "/staff/refunds"));
        }
        if allowed(Permission::ReadPayments) {
            items.push(("nav-reconciliation", "/staff/reconciliation"));
        }
        if allowed(Permission::ReadStatistics) {
            items.push(("nav-monitoring", "/monitoring"));
        }
        items.push(("nav-password", "/account/password"));
    } else {
        items.push(("nav-home", "/"));
        items.push(("nav-services", "/services"));
        items.push(("nav-centres", "/centres"));
        items.push(("nav-queues", "/queues"));
        items.push(("nav-satisfaction", "/transparency"));
        items.push(("nav-complaints", "/complaints"));
        items.push(("nav-ideas", "/ideas"));
        items.push(("nav-book", "/book"));
        items.push(("nav-track", "/track"));
        items.push(("nav-sign-in", "/sign-in"));
    }
    items
        .into_iter()
        .map(|(key, href)| json!({ "key": key, "href": href, "current": href == path }))
        .collect()
}

/// The signed-in staff member as pages show them.
#[derive(Debug, Serialize)]
pub struct CallerView {
    /// Full name.
    pub name: String,
    /// Login.
    pub login: String,
    /// Role name (`officer`, …), which pages turn into words with `t("role-" ~ role)`.
    pub role: &'static str,
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
            centre: staff.scope.centre.clone(),
            provider: staff.scope.provider.clone(),
            csrf: caller.session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default(),
        })
    }
}

/// One problem with a submitted form, linked to its field.
#[derive(Debug, Serialize)]
pub struct FormError {
    /// The `id` of the field at fault, if one is.
    pub field: Option<&'static str>,
    /// What is wrong, in the request's language.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template asks for exists in every language.
    #[test]
    fn templates_use_only_translated_keys() {
        let catalog = Catalog::new();
        let mut checked = 0;
        for (name, source) in SOURCES {
            for piece in source.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                if key.ends_with('-') {
                    continue; // a prefix joined with a value, e.g. t("role-" ~ role): checked below
                }
                for lang in LANGUAGES {
                    assert!(catalog.has(lang, key), "{name} uses {key}, which {lang} lacks");
                }
                checked += 1;
            }
        }
        assert!(checked > 60, "only {checked} keys found");
        let dynamic = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .map(|d| format!("weekday-{d}"))
            .into_iter()
            .chain(
                ["centre", "mobile_bus", "home_service", "online", "call_centre"]
                    .map(|c| format!("channel-{c}")),
            )
            .chain(["state", "service", "both"].map(|w| format!("waives-{w}")))
            .chain(["info_desk", "kiosk", "appointment"].map(|o| format!("origin-{o}")))
            .chain(
                ["volume", "speed", "satisfaction", "complaints", "no_shows", "deadlines", "audit"]
                    .map(|c| format!("appraisal-component-{c}")),
            )
            .chain(onestop_domain::monitoring::index::PARAMETERS.map(|p| format!("index-param-{p}")))
            .chain(onestop_domain::monitoring::index::PARAMETERS.map(|p| format!("index-explain-{p}")))
            .chain(["month", "quarter", "year"].map(|k| format!("report-title-{k}")));
        for key in dynamic {
            for lang in LANGUAGES {
                assert!(catalog.has(lang, &key), "{lang} lacks {key}");
            }
        }
        for role in onestop_domain::identity::Role::ALL {
            for lang in LANGUAGES {
                assert!(catalog.has(lang, &format!("role-{role}")), "{lang} lacks role-{role}");
                assert!(catalog.has(lang, &format!("role-home-{role}")), "{lang} lacks role-home-{role}");
            }
        }
    }

    /// Keys used from Rust code exist too.
    #[test]
    fn rust_code_uses_only_translated_keys() {
        let catalog = Catalog::new();
        let sources = [
            include_str!("pages/account.rs"),
            include_str!("pages/staff.rs"),
            include_str!("pages/audit.rs"),
            include_str!("pages/registry_admin.rs"),
            include_str!("pages/queue.rs"),
            include_str!("pages/monitoring.rs"),
            include_str!("screens.rs"),
            include_str!("templates.rs"),
        ];
        let mut checked = 0;
        for source in sources {
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for piece in source.split(".text(&locale, \"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                for lang in LANGUAGES {
                    assert!(catalog.has(lang, key), "code uses {key}, which {lang} lacks");
                }
                checked += 1;
            }
            for piece in source.split("(\"nav-").skip(1) {
                let key = format!("nav-{}", piece.split('"').next().unwrap_or_default());
                for lang in LANGUAGES {
                    assert!(catalog.has(lang, &key), "code uses {key}, which {lang} lacks");
                }
            }
        }
        assert!(checked > 10, "only {checked} keys found");
    }
}
