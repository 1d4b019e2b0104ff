//! onestop's HTTP layer: the JSON API under `/api/v1`, operations endpoints (`/healthz`, `/readyz`,
//! `/metrics`), the OpenAPI document, and the one place errors become responses ([`problem`]).
//!
//! Handlers parse and check input, call the store and the domain, and shape answers; rules live in
//! `onestop-domain` and SQL in the store crates.

pub mod acquirer;
pub mod api;
pub mod assets;
pub mod auth;
pub mod booking;
pub mod cases;
pub mod complaints;
pub mod health;
pub mod i18n;
pub mod ideas;
pub mod idempotency;
pub mod live;
pub mod map;
pub mod metrics;
pub mod monitoring;
pub mod open311;
pub mod pages;
pub mod payments;
pub mod problem;
pub mod queue;
pub mod ratings;
pub mod registry;
pub mod routes;
pub mod screens;
pub mod surveys;
pub mod templates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use jiff::Timestamp;
use onestop_store::Store;
use routes::{Access, RouteSpec, Table};
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header that carries a request's id, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The time of day, read at the server edge and handed to handlers as a value.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What every handler can reach: a handle on [`Shared`], cloned for each request by the router,
/// the middleware and the extractors, so its clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl AppState {
    /// State over `store` reading time from `clock`, with fresh metrics and default settings
    /// (see [`Shared::new`] to change them first).
    pub fn new(store: Arc<dyn Store>, clock: Clock) -> Self {
        Shared::new(store, clock).into()
    }
}

/// The settings and services every handler reaches through an [`AppState`].
pub struct Shared {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The Prometheus metrics of this process.
    pub metrics: Arc<metrics::Metrics>,
    /// The clock.
    pub clock: Clock,
    /// The page templates.
    pub templates: Arc<templates::Templates>,
    /// Whether cookies are always marked `Secure` (set when the server sits behind TLS).
    pub secure_cookies: bool,
    /// The registry in force.
    pub registry: Arc<registry::RegistryCache>,
    /// The public base URL (ending in `/`), under which open data mints its identifiers.
    pub public_url: String,
    /// The fan-out of live queue events to screens (its task is started by [`live::start`]).
    pub live: Arc<live::LiveHub>,
    /// Settings of ratings, complaints and Open311.
    pub feedback: FeedbackSettings,
    /// Online appointments' settings and defences.
    pub booking: Arc<booking::Booking>,
    /// Monitoring's settings: fold grace, appraisal weights, the Index's weights and targets.
    pub monitoring: monitoring::MonitoringSettings,
    /// Applications' workflows, the delivery fee and the acquirer of online payments.
    pub cases: cases::Cases,
}

/// Settings of ratings, complaints and Open311 (config `[feedback]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackSettings {
    /// Days after its answer within which a complainant may reopen a complaint.
    pub reopen_days: u32,
    /// The `jurisdiction_id` Open311 clients name this server by.
    pub open311_jurisdiction: String,
}

impl Default for FeedbackSettings {
    fn default() -> Self {
        FeedbackSettings { reopen_days: 10, open311_jurisdiction: "onestop".into() }
    }
}

impl Shared {
    /// State over `store` reading time from `clock`, with fresh metrics and default settings.
    pub fn new(store: Arc<dyn Store>, clock: Clock) -> Self {
        Self {
            store,
            metrics: Arc::new(metrics::Metrics::new()),
            clock,
            templates: Arc::new(templates::Templates::new()),
            secure_cookies: false,
            registry: Arc::new(registry::RegistryCache::default()),
            public_url: "http://127.0.0.1:8080/".into(),
            live: Arc::new(live::LiveHub::default()),
            feedback: FeedbackSettings::default(),
            booking: Arc::new(booking::Booking::new(booking::Settings::default(), random_secret())),
            monitoring: monitoring::MonitoringSettings::default(),
            cases: cases::Cases::default(),
        }
    }

    /// Replaces the booking settings (a fresh proof-of-work secret comes with them).
    pub fn with_booking(mut self, settings: booking::Settings) -> Self {
        self.booking = Arc::new(booking::Booking::new(settings, random_secret()));
        self
    }

    /// The current time, from the clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

/// 32 random bytes for signing proof-of-work challenges.
fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut secret) {
        tracing::error!(error = %e, "no randomness for the proof-of-work secret");
    }
    secret
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A request that takes longer is answered 408 and its work dropped.
    pub request_timeout: Duration,
    /// The largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { request_timeout: Duration::from_secs(30), body_limit_bytes: 1024 * 1024 }
    }
}

/// The OpenAPI document's header; paths are added from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "onestop API",
        description = "The API of onestop, the software of a one-stop-shop public service agency.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics of the server"),
        (name = "identity", description = "Staff, devices and the audit trail"),
        (name = "registry", description = "The Electronic Registry of Public Services: providers, services, centres"),
        (name = "queue", description = "Tickets, windows, live screens and public queue statistics"),
        (name = "feedback", description = "Ratings, satisfaction rates, complaints and suggestions"),
        (name = "booking", description = "Online appointments: slots, holds, confirmation, cancellation, check-in"),
        (name = "monitoring", description = "Statistics, dashboards, officers' appraisals, reports and the ASAN Service Index"),
        (name = "cases", description = "Applications accepted at windows: tracking, deadlines, workflow actions, delivery"),
        (name = "payments", description = "Bills, payments at the bank section, terminals and online, refunds, reconciliation"),
    ),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// Declares how callers authenticate: a staff session cookie or a device bearer token.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A device token")).build(),
            ),
        );
    }
}

fn table() -> Table {
    use Access::{Public, Requires};
    use axum::http::Method;
    use axum::routing::post;
    use onestop_domain::identity::Permission as P;
    use pages::{
        account, audit, booking, cases, complaints, feedback, home, ideas, monitoring, queue, registry,
        registry_admin, staff, staffing, surveys,
    };
    Table::new(OpenApiRouter::with_openapi(ApiDoc::openapi()))
        .api(Public, routes!(health::healthz))
        .api(Public, routes!(health::readyz))
        .api(Requires(P::Identify), routes!(api::me::me))
        .api(Requires(P::ReadStaff), routes!(api::staff::list_staff))
        .api(Requires(P::ReadAudit), routes!(api::audit::list_audit))
        .api(Public, routes!(api::registry::list_providers))
        .api(Public, routes!(api::registry::list_services))
        .api(Public, routes!(api::registry::get_service))
        .api(Public, routes!(api::registry::list_centres))
        .api(Public, routes!(api::registry::get_centre))
        .api(Public, routes!(api::registry::cpsv_turtle))
        .api(Public, routes!(api::registry::cpsv_jsonld))
        .api(Requires(P::IssueTicket), routes!(api::queue::issue_ticket))
        .api(Public, routes!(api::queue::get_ticket))
        .api(Requires(P::ReturnParkedTicket), routes!(api::queue::return_ticket))
        .api(Requires(P::WatchQueue), routes!(api::queue::get_window))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::window_sign_in))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::window_sign_out))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::call_next))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::recall))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::start))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::no_show))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::finish))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::park))
        .api(Requires(P::ServeAtWindow), routes!(api::queue::transfer))
        .api(Requires(P::CloseQueueDay), routes!(api::queue::close_day))
        .api(Public, routes!(api::queue::centre_queue))
        .api(Public, routes!(api::queue::service_queues))
        .api(Requires(P::WatchQueue), routes!(api::queue::centre_events))
        .api(Requires(P::RateService), routes!(api::feedback::rate_ticket))
        .api(Public, routes!(api::feedback::exit_poll))
        .api(Public, routes!(api::feedback::satisfaction))
        .api(Public, routes!(api::complaints::register))
        .api(Requires(P::ReadComplaints), routes!(api::complaints::list))
        .api(Requires(P::ReadComplaints), routes!(api::complaints::breaches))
        .api(Public, routes!(api::complaints::follow))
        .api(Public, routes!(api::complaints::reopen))
        .api(Requires(P::HandleComplaints), routes!(api::complaints::assign))
        .api(Requires(P::HandleComplaints), routes!(api::complaints::answer))
        .api(Requires(P::HandleComplaints), routes!(api::complaints::close))
        .api(Public, routes!(api::ideas::criteria))
        .api(Public, routes!(api::ideas::submit))
        .api(Public, routes!(api::ideas::list))
        .api(Public, routes!(api::ideas::get))
        .api(Requires(P::ScoreIdeas), routes!(api::ideas::score))
        .api(Requires(P::ScoreIdeas), routes!(api::ideas::decide))
        .api(Requires(P::ManageSurveys), routes!(api::surveys::create))
        .api(Requires(P::ManageSurveys), routes!(api::surveys::publish))
        .api(Public, routes!(api::surveys::get))
        .api(Public, routes!(api::surveys::answer))
        .api(Requires(P::ManageSurveys), routes!(api::surveys::results))
        .page(Method::GET, "/open311/v2/services.json", Public, get(open311::services_json))
        .page(Method::GET, "/open311/v2/services.xml", Public, get(open311::services_xml))
        .page(Method::GET, "/open311/v2/services/{file}", Public, get(open311::service_definition))
        .page(Method::GET, "/open311/v2/requests.json", Public, get(open311::requests_json))
        .page(Method::POST, "/open311/v2/requests.json", Public, post(open311::post_json))
        .page(Method::GET, "/open311/v2/requests.xml", Public, get(open311::requests_xml))
        .page(Method::POST, "/open311/v2/requests.xml", Public, post(open311::post_xml))
        .page(Method::GET, "/open311/v2/requests/{file}", Public, get(open311::request))
        .api(Public, routes!(api::booking::list_slots))
        .api(Public, routes!(api::booking::challenge))
        .api(Public, routes!(api::booking::hold))
        .api(Public, routes!(api::booking::get_appointment, api::booking::cancel))
        .api(Public, routes!(api::booking::confirm))
        .api(Public, routes!(api::booking::reschedule))
        .api(Requires(P::CheckInAppointment), routes!(api::booking::check_in))
        .api(Public, routes!(api::booking::calendar))
        .api(Public, routes!(api::booking::qr))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::statistics))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::live))
        .api(Requires(P::ManageMonitoring), routes!(api::monitoring::fold))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::appraisals))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::appraisal_detail))
        .api(Requires(P::AppraiseOfficers), routes!(api::monitoring::comment))
        .api(Requires(P::HandleComplaints), routes!(api::monitoring::verdict))
        .api(Public, routes!(api::monitoring::index))
        .api(Requires(P::ManageMonitoring), routes!(api::monitoring::compute_index))
        .api(Requires(P::ManageMonitoring), routes!(api::monitoring::training))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::list_reports))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::stored_report))
        .api(Requires(P::ReadStatistics), routes!(api::monitoring::report))
        .api(Requires(P::AcceptApplication), routes!(api::cases::accept))
        .api(Requires(P::ReadApplications), routes!(api::cases::list))
        .api(Requires(P::ReadApplications), routes!(api::cases::get))
        .api(Requires(P::ActOnApplication), routes!(api::cases::act))
        .api(Public, routes!(api::cases::track))
        .api(Public, routes!(api::cases::delivery))
        .api(Requires(P::IssueTicket), routes!(api::cases::collection_ticket))
        .api(Public, routes!(api::payments::get_bill))
        .api(Public, routes!(api::payments::bill_qr))
        .api(Requires(P::TakePayment), routes!(api::payments::pay_bill))
        .api(Requires(P::RequestRefund), routes!(api::payments::request_refund))
        .api(Requires(P::DecideRefund), routes!(api::payments::approve_refund))
        .api(Requires(P::DecideRefund), routes!(api::payments::decline_refund))
        .api(Requires(P::ExecuteRefund), routes!(api::payments::execute_refund))
        .api(Requires(P::ReadPayments), routes!(api::payments::refunds))
        .api(Requires(P::ReadPayments), routes!(api::payments::reconciliation))
        .api(Public, routes!(api::payments::create_payment))
        .api(Public, routes!(api::payments::get_payment))
        .api(Public, routes!(api::payments::submit_payment))
        .api(Public, routes!(api::payments::confirm_payment))
        .api(Public, routes!(api::payments::cancel_payment))
        .page(Method::GET, "/metrics", Public, get(metrics::render))
        .page(Method::GET, "/", Public, get(home::home))
        .page(Method::GET, "/assets/{*path}", Public, get(assets::serve))
        .page(Method::GET, "/services", Public, get(registry::catalogue))
        .page(Method::GET, "/services/{code}", Public, get(registry::service))
        .page(Method::GET, "/centres", Public, get(registry::centres))
        .page(Method::GET, "/centres/{code}", Public, get(registry::centre))
        .page(Method::GET, "/queues", Public, get(queue::queues))
        .page(Method::GET, "/queues/compare", Public, get(queue::compare))
        .page(Method::GET, "/tickets/{id}", Public, get(queue::ticket))
        .page(Method::GET, "/tickets/{id}/print", Public, get(queue::print))
        .page(Method::GET, "/book", Public, get(booking::services))
        .page(Method::GET, "/book/{service}", Public, get(booking::centres))
        .page(Method::GET, "/book/{service}/{centre}", Public, get(booking::slots))
        .page(Method::POST, "/book/{service}/{centre}", Public, post(booking::book))
        .page(Method::GET, "/appointments/{ref}", Public, get(booking::show))
        .page(Method::GET, "/appointments/{ref}/confirm", Public, get(booking::confirm_form))
        .page(Method::POST, "/appointments/{ref}/confirm", Public, post(booking::confirm))
        .page(Method::POST, "/appointments/{ref}/cancel", Public, post(booking::cancel))
        .page(Method::GET, "/dev/mailbox", Public, get(booking::mailbox))
        .page(Method::GET, "/dev/mailbox.json", Public, get(booking::mailbox_json))
        .page(Method::GET, "/screens/pair", Public, get(screens::pair_form))
        .page(Method::POST, "/screens/pair", Public, post(screens::pair))
        .page(Method::POST, "/screens/unpair", Public, post(screens::unpair))
        .page(Method::GET, "/screens/kiosk", Requires(P::IssueTicket), get(screens::kiosk))
        .page(
            Method::GET,
            "/screens/complaint-booth",
            Requires(P::IssueTicket),
            get(screens::complaint_booth),
        )
        .page(Method::GET, "/screens/hall", Requires(P::WatchQueue), get(screens::hall))
        .page(Method::GET, "/screens/window", Requires(P::WatchQueue), get(screens::window))
        .page(Method::GET, "/staff/window", Requires(P::ServeAtWindow), get(queue::officer))
        .page(Method::GET, "/staff/desk", Requires(P::IssueTicket), get(queue::desk))
        .page(Method::GET, "/staff/staffing", Requires(P::PlanStaffing), get(staffing::pick))
        .page(Method::GET, "/staff/centres/{code}/staffing", Requires(P::PlanStaffing), get(staffing::page))
        .page(Method::GET, "/screens/feedback", Requires(P::RateService), get(feedback::tablet))
        .page(Method::GET, "/centres/{code}/exit-poll", Public, get(feedback::exit_poll_form))
        .page(Method::POST, "/centres/{code}/exit-poll", Public, post(feedback::exit_poll))
        .page(Method::GET, "/transparency", Public, get(feedback::transparency))
        .page(Method::GET, "/complaints", Public, get(complaints::form))
        .page(Method::POST, "/complaints", Public, post(complaints::submit))
        .page(Method::GET, "/complaints/find", Public, get(complaints::find))
        .page(Method::GET, "/complaints/{reference}", Public, get(complaints::follow))
        .page(Method::POST, "/complaints/{reference}/reopen", Public, post(complaints::reopen))
        .page(Method::GET, "/staff/complaints", Requires(P::ReadComplaints), get(complaints::staff_list))
        .page(
            Method::GET,
            "/staff/complaints/new",
            Requires(P::RegisterComplaint),
            get(complaints::staff_new),
        )
        .page(
            Method::POST,
            "/staff/complaints/new",
            Requires(P::RegisterComplaint),
            post(complaints::staff_create),
        )
        .page(
            Method::GET,
            "/staff/complaints/{reference}",
            Requires(P::ReadComplaints),
            get(complaints::staff_complaint),
        )
        .page(
            Method::POST,
            "/staff/complaints/{reference}/{step}",
            Requires(P::HandleComplaints),
            post(complaints::staff_step),
        )
        .page(Method::GET, "/monitoring", Requires(P::ReadStatistics), get(monitoring::dashboard))
        .page(Method::GET, "/monitoring/live", Requires(P::ReadStatistics), get(monitoring::live))
        .page(Method::GET, "/monitoring/officers", Requires(P::ReadStatistics), get(monitoring::officers))
        .page(
            Method::GET,
            "/monitoring/officers/{login}",
            Requires(P::ReadStatistics),
            get(monitoring::officer),
        )
        .page(
            Method::POST,
            "/monitoring/officers/{login}/comments",
            Requires(P::AppraiseOfficers),
            post(monitoring::comment),
        )
        .page(Method::GET, "/monitoring/reports", Requires(P::ReadStatistics), get(monitoring::reports))
        .page(
            Method::GET,
            "/monitoring/reports/download",
            Requires(P::ReadStatistics),
            get(monitoring::report_download),
        )
        .page(Method::GET, "/monitoring/index", Requires(P::ReadStatistics), get(monitoring::index))
        .page(
            Method::POST,
            "/monitoring/index/compute",
            Requires(P::ManageMonitoring),
            post(monitoring::compute),
        )
        .page(
            Method::POST,
            "/monitoring/index/training",
            Requires(P::ManageMonitoring),
            post(monitoring::training),
        )
        .page(Method::GET, "/track", Public, get(cases::track_form))
        .page(Method::POST, "/track", Public, post(cases::track))
        .page(Method::GET, "/bills/{reference}", Public, get(cases::bill))
        .page(Method::POST, "/bills/{reference}/pay", Public, post(cases::bill_pay))
        .page(Method::GET, "/pay/{id}", Public, get(cases::pay_form))
        .page(Method::POST, "/pay/{id}", Public, post(cases::pay_submit))
        .page(Method::GET, "/staff/window/accept", Requires(P::AcceptApplication), get(cases::accept_form))
        .page(Method::POST, "/staff/window/accept", Requires(P::AcceptApplication), post(cases::accept))
        .page(Method::GET, "/staff/applications", Requires(P::ReadApplications), get(cases::staff_list))
        .page(
            Method::GET,
            "/staff/applications/{tracking}",
            Requires(P::ReadApplications),
            get(cases::staff_application),
        )
        .page(
            Method::POST,
            "/staff/applications/{tracking}/act",
            Requires(P::ActOnApplication),
            post(cases::staff_act),
        )
        .page(
            Method::POST,
            "/staff/applications/{tracking}/collect",
            Requires(P::IssueTicket),
            post(cases::staff_collect),
        )
        .page(
            Method::POST,
            "/staff/bills/{reference}/refund",
            Requires(P::RequestRefund),
            post(cases::staff_refund),
        )
        .page(Method::GET, "/staff/bank", Requires(P::TakePayment), get(cases::bank))
        .page(Method::POST, "/staff/bank/pay", Requires(P::TakePayment), post(cases::bank_pay))
        .page(
            Method::POST,
            "/staff/refunds/{id}/execute",
            Requires(P::ExecuteRefund),
            post(cases::refund_execute),
        )
        .page(Method::GET, "/staff/refunds", Requires(P::DecideRefund), get(cases::refunds))
        .page(
            Method::POST,
            "/staff/refunds/{id}/decide",
            Requires(P::DecideRefund),
            post(cases::refund_decide),
        )
        .page(Method::GET, "/staff/reconciliation", Requires(P::ReadPayments), get(cases::reconciliation))
        .page(Method::GET, "/ideas", Public, get(ideas::list))
        .page(Method::POST, "/ideas", Public, post(ideas::submit))
        .page(Method::GET, "/surveys/{survey}", Public, get(surveys::form))
        .page(Method::POST, "/surveys/{survey}", Public, post(surveys::answer))
        .page(Method::GET, "/sign-in", Public, get(account::sign_in_form))
        .page(Method::POST, "/sign-in", Public, post(account::sign_in))
        .page(Method::POST, "/sign-out", Requires(P::UseStaffArea), post(account::sign_out))
        .page(Method::GET, "/staff", Requires(P::UseStaffArea), get(account::staff_home))
        .page(Method::GET, "/account/password", Requires(P::ChangeOwnPassword), get(account::password_form))
        .page(
            Method::POST,
            "/account/password",
            Requires(P::ChangeOwnPassword),
            post(account::change_password),
        )
        .page(Method::GET, "/admin/staff", Requires(P::ReadStaff), get(staff::list))
        .page(Method::GET, "/admin/audit", Requires(P::ReadAudit), get(audit::page))
        .page(Method::GET, "/admin/registry", Requires(P::ManageRegistry), get(registry_admin::overview))
        .page(
            Method::POST,
            "/admin/registry/upload",
            Requires(P::ManageRegistry),
            post(registry_admin::upload),
        )
        .page(
            Method::GET,
            "/admin/registry/services/{code}",
            Requires(P::ManageRegistry),
            get(registry_admin::edit_form),
        )
        .page(
            Method::POST,
            "/admin/registry/services/{code}",
            Requires(P::ManageRegistry),
            post(registry_admin::edit),
        )
        .page(
            Method::POST,
            "/admin/registry/services/{code}/remove",
            Requires(P::ManageRegistry),
            post(registry_admin::remove),
        )
        .page(
            Method::GET,
            "/admin/registry/providers/{code}",
            Requires(P::ManageRegistry),
            get(registry_admin::provider_form),
        )
        .page(
            Method::POST,
            "/admin/registry/providers/{code}",
            Requires(P::ManageRegistry),
            post(registry_admin::provider_edit),
        )
        .page(
            Method::POST,
            "/admin/registry/providers/{code}/remove",
            Requires(P::ManageRegistry),
            post(registry_admin::provider_remove),
        )
        .page(
            Method::GET,
            "/admin/registry/centres/{code}",
            Requires(P::ManageRegistry),
            get(registry_admin::centre_form),
        )
        .page(
            Method::POST,
            "/admin/registry/centres/{code}",
            Requires(P::ManageRegistry),
            post(registry_admin::centre_edit),
        )
        .page(
            Method::POST,
            "/admin/registry/centres/{code}/windows/{number}/remove",
            Requires(P::ManageRegistry),
            post(registry_admin::window_remove),
        )
        .page(Method::POST, "/admin/staff", Requires(P::ManageStaff), post(staff::create))
        .page(Method::POST, "/admin/staff/{login}/suspend", Requires(P::ManageStaff), post(staff::suspend))
        .page(Method::POST, "/admin/staff/{login}/activate", Requires(P::ManageStaff), post(staff::activate))
        .page(
            Method::POST,
            "/admin/staff/{login}/reset-password",
            Requires(P::ManageStaff),
            post(staff::reset_password),
        )
        .page(
            Method::POST,
            "/admin/staff/{login}/end-sessions",
            Requires(P::ManageStaff),
            post(staff::end_sessions),
        )
}

/// Every route with the access it needs (the OpenAPI document route included).
pub fn route_specs() -> Vec<RouteSpec> {
    let mut specs = table().specs;
    specs.push(RouteSpec {
        method: axum::http::Method::GET,
        path: "/api/v1/openapi.json".into(),
        access: Access::Public,
    });
    specs
}

/// The whole application: routes, and the layers every request passes through.
pub fn app(state: AppState, limits: HttpLimits) -> Router {
    let (api, document) = table().router.split_for_parts();
    let document = document.to_pretty_json().expect("the OpenAPI document always serialises");
    let routes = api
        .route("/api/v1/openapi.json", get(move || openapi_json(document.clone())))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::record))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            |State(state): State<AppState>, request, next| auth::authenticate(state, request, next),
        ))
        .layer(axum::middleware::from_fn(i18n::negotiate))
        .with_state(state);

    // Layers wrap from the inside out: the last added sees a request first.
    routes
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(axum::middleware::from_fn(problem::problems_only))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
                    tracing::info_span!("request", id = id.unwrap_or("-"), method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn openapi_json(document: String) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], document)
}
