//! Every role against every route, on both databases. Each route of the application must have a
//! row in `TABLE`: a route added without one fails `every_route_is_in_the_table`, so each later
//! capability states here who may use its routes.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_domain::identity::DeviceKind;
use onestop_domain::identity::Role::{self, *};
use onestop_store_tests::TestDb;
use onestop_web::routes::Access;
use support::{Session, TestApp, problem};

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Anyone, signed in or not.
    Public,
    /// Every staff role.
    AllStaff,
    /// Only these roles.
    Only(&'static [Role]),
    /// These roles, and devices of these kinds (the centre's screens).
    WithDevices(&'static [Role], &'static [DeviceKind]),
}

const MANAGERS: &[Role] = &[AgencyAdmin, CentreManager];
/// Who may issue tickets.
const ISSUERS: &[Role] = &[AgencyAdmin, CentreManager, InfoDesk];
/// Who may check appointments in.
const CHECKERS: &[Role] = &[AgencyAdmin, CentreManager, InfoDesk];
/// Who may serve at a window.
const SERVERS: &[Role] = &[AgencyAdmin, Officer];
/// Who may send a parked ticket back to its window.
const RETURNERS: &[Role] = &[AgencyAdmin, CentreManager, InfoDesk, Officer, BankTeller];
/// Who may watch the live queue: everyone but the commission.
const WATCHERS: &[Role] = &[
    AgencyAdmin,
    CentreManager,
    InfoDesk,
    Officer,
    BankTeller,
    MonitoringAnalyst,
    CallCentreOperator,
    Volunteer,
];
/// Who read statistics, appraisals, reports: the department and centre managers (their centre).
const STATS: &[Role] = &[AgencyAdmin, CentreManager, MonitoringAnalyst];
/// The monitoring department, who handle complaints.
const MONITORING: &[Role] = &[AgencyAdmin, MonitoringAnalyst];
/// Who read complaints with their contact details: the department and the call centre.
const COMPLAINT_READERS: &[Role] = &[AgencyAdmin, MonitoringAnalyst, CallCentreOperator];
/// Who registers complaints on a citizen's behalf (phone, paper journal, social networks).
const COMPLAINT_REGISTRARS: &[Role] =
    &[AgencyAdmin, CentreManager, InfoDesk, MonitoringAnalyst, CallCentreOperator];
/// Who reads applications with the applicant's details: every role but volunteers and the commission.
const APPLICATION_READERS: &[Role] =
    &[AgencyAdmin, CentreManager, InfoDesk, Officer, BankTeller, MonitoringAnalyst, CallCentreOperator];
/// Who take workflow actions on applications (the workflow decides which action).
const APPLICATION_ACTORS: &[Role] = &[CentreManager, InfoDesk, Officer];
/// Who may ask for a refund.
const REFUND_REQUESTERS: &[Role] = &[CentreManager, InfoDesk, Officer, BankTeller];
/// Who read bills, refunds and the reconciliation.
const PAYMENT_READERS: &[Role] = &[AgencyAdmin, CentreManager, BankTeller, MonitoringAnalyst];
/// Money is taken only by the bank section and payment terminals.
const CASHIERS: Who = Who::WithDevices(&[BankTeller], &[DeviceKind::Terminal]);
/// Only feedback tablets rate a service.
const TABLETS: Who = Who::WithDevices(&[], &[DeviceKind::Tablet]);
const SCREENS: &[DeviceKind] =
    &[DeviceKind::Kiosk, DeviceKind::Display, DeviceKind::Tablet, DeviceKind::Integration];

/// The access table: method, path, who.
const TABLE: &[(&str, &str, Who)] = &[
    ("GET", "/healthz", Who::Public),
    ("GET", "/readyz", Who::Public),
    ("GET", "/metrics", Who::Public),
    ("GET", "/api/v1/openapi.json", Who::Public),
    ("GET", "/", Who::Public),
    ("GET", "/assets/{*path}", Who::Public),
    ("GET", "/sign-in", Who::Public),
    ("POST", "/sign-in", Who::Public),
    ("GET", "/services", Who::Public),
    ("GET", "/services/{code}", Who::Public),
    ("GET", "/centres", Who::Public),
    ("GET", "/centres/{code}", Who::Public),
    ("GET", "/api/v1/registry/cpsv-ap.ttl", Who::Public),
    ("GET", "/api/v1/registry/cpsv-ap.jsonld", Who::Public),
    ("GET", "/api/v1/providers", Who::Public),
    ("GET", "/api/v1/services", Who::Public),
    ("GET", "/api/v1/services/{code}", Who::Public),
    ("GET", "/api/v1/centres", Who::Public),
    ("GET", "/api/v1/centres/{code}", Who::Public),
    (
        "POST",
        "/api/v1/centres/{code}/tickets",
        Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration]),
    ),
    ("GET", "/api/v1/tickets/{id}", Who::Public),
    (
        "POST",
        "/api/v1/tickets/{id}/return",
        Who::WithDevices(RETURNERS, &[DeviceKind::Terminal, DeviceKind::Integration]),
    ),
    ("GET", "/api/v1/windows/{id}", Who::WithDevices(WATCHERS, SCREENS)),
    ("POST", "/api/v1/windows/{id}/sign-in", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/sign-out", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/call-next", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/recall", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/start", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/no-show", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/finish", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/park", Who::Only(SERVERS)),
    ("POST", "/api/v1/windows/{id}/transfer", Who::Only(SERVERS)),
    ("POST", "/api/v1/centres/{code}/close-day", Who::Only(MANAGERS)),
    ("GET", "/api/v1/centres/{code}/queue", Who::Public),
    ("GET", "/api/v1/centres/{code}/slots", Who::Public),
    ("GET", "/api/v1/appointments/challenge", Who::Public),
    ("POST", "/api/v1/appointments", Who::Public),
    ("GET", "/api/v1/appointments/{ref}", Who::Public),
    ("DELETE", "/api/v1/appointments/{ref}", Who::Public),
    ("POST", "/api/v1/appointments/{ref}/confirm", Who::Public),
    ("POST", "/api/v1/appointments/{ref}/reschedule", Who::Public),
    (
        "POST",
        "/api/v1/appointments/{ref}/check-in",
        Who::WithDevices(CHECKERS, &[DeviceKind::Kiosk, DeviceKind::Integration]),
    ),
    ("GET", "/api/v1/appointments/{ref}/calendar.ics", Who::Public),
    ("GET", "/api/v1/appointments/{ref}/qr.svg", Who::Public),
    ("GET", "/book", Who::Public),
    ("GET", "/book/{service}", Who::Public),
    ("GET", "/book/{service}/{centre}", Who::Public),
    ("POST", "/book/{service}/{centre}", Who::Public),
    ("GET", "/appointments/{ref}", Who::Public),
    ("GET", "/appointments/{ref}/confirm", Who::Public),
    ("POST", "/appointments/{ref}/confirm", Who::Public),
    ("POST", "/appointments/{ref}/cancel", Who::Public),
    ("GET", "/dev/mailbox", Who::Public),
    ("GET", "/dev/mailbox.json", Who::Public),
    ("GET", "/api/v1/services/{code}/queues", Who::Public),
    ("GET", "/api/v1/centres/{code}/events", Who::WithDevices(WATCHERS, SCREENS)),
    ("GET", "/api/v1/me", Who::AllStaff),
    ("GET", "/api/v1/staff", Who::Only(MANAGERS)),
    ("GET", "/api/v1/audit", Who::Only(&[AgencyAdmin, MonitoringAnalyst])),
    ("POST", "/sign-out", Who::AllStaff),
    ("GET", "/staff", Who::AllStaff),
    ("GET", "/account/password", Who::AllStaff),
    ("POST", "/account/password", Who::AllStaff),
    ("GET", "/admin/staff", Who::Only(MANAGERS)),
    ("GET", "/admin/audit", Who::Only(&[AgencyAdmin, MonitoringAnalyst])),
    ("GET", "/admin/registry", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/upload", Who::Only(&[AgencyAdmin])),
    ("GET", "/admin/registry/services/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/services/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/services/{code}/remove", Who::Only(&[AgencyAdmin])),
    ("GET", "/admin/registry/providers/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/providers/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/providers/{code}/remove", Who::Only(&[AgencyAdmin])),
    ("GET", "/admin/registry/centres/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/centres/{code}", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/registry/centres/{code}/windows/{number}/remove", Who::Only(&[AgencyAdmin])),
    ("POST", "/admin/staff", Who::Only(MANAGERS)),
    ("POST", "/admin/staff/{login}/suspend", Who::Only(MANAGERS)),
    ("POST", "/admin/staff/{login}/activate", Who::Only(MANAGERS)),
    ("POST", "/admin/staff/{login}/reset-password", Who::Only(MANAGERS)),
    ("POST", "/admin/staff/{login}/end-sessions", Who::Only(MANAGERS)),
    ("GET", "/queues", Who::Public),
    ("GET", "/queues/compare", Who::Public),
    ("GET", "/tickets/{id}", Who::Public),
    ("GET", "/tickets/{id}/print", Who::Public),
    ("GET", "/screens/pair", Who::Public),
    ("POST", "/screens/pair", Who::Public),
    ("POST", "/screens/unpair", Who::Public),
    ("GET", "/screens/kiosk", Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration])),
    (
        "GET",
        "/screens/complaint-booth",
        Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration]),
    ),
    ("GET", "/screens/hall", Who::WithDevices(WATCHERS, SCREENS)),
    ("GET", "/screens/window", Who::WithDevices(WATCHERS, SCREENS)),
    ("GET", "/staff/window", Who::Only(&[AgencyAdmin, Officer])),
    ("GET", "/staff/desk", Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration])),
    ("POST", "/api/v1/tickets/{id}/rating", TABLETS),
    ("POST", "/api/v1/centres/{code}/exit-poll", Who::Public),
    ("GET", "/api/v1/satisfaction", Who::Public),
    ("POST", "/api/v1/complaints", Who::Public),
    ("GET", "/api/v1/complaints", Who::Only(COMPLAINT_READERS)),
    ("GET", "/api/v1/complaints/breaches", Who::Only(COMPLAINT_READERS)),
    ("GET", "/api/v1/complaints/{reference}", Who::Public),
    ("POST", "/api/v1/complaints/{reference}/reopen", Who::Public),
    ("POST", "/api/v1/complaints/{reference}/assign", Who::Only(MONITORING)),
    ("POST", "/api/v1/complaints/{reference}/answer", Who::Only(MONITORING)),
    ("POST", "/api/v1/complaints/{reference}/close", Who::Only(MONITORING)),
    ("GET", "/open311/v2/services.json", Who::Public),
    ("GET", "/open311/v2/services.xml", Who::Public),
    ("GET", "/open311/v2/services/{file}", Who::Public),
    ("GET", "/open311/v2/requests.json", Who::Public),
    ("POST", "/open311/v2/requests.json", Who::Public),
    ("GET", "/open311/v2/requests.xml", Who::Public),
    ("POST", "/open311/v2/requests.xml", Who::Public),
    ("GET", "/open311/v2/requests/{file}", Who::Public),
    ("GET", "/screens/feedback", TABLETS),
    ("GET", "/centres/{code}/exit-poll", Who::Public),
    ("POST", "/centres/{code}/exit-poll", Who::Public),
    ("GET", "/transparency", Who::Public),
    ("GET", "/complaints", Who::Public),
    ("POST", "/complaints", Who::Public),
    ("GET", "/complaints/find", Who::Public),
    ("GET", "/complaints/{reference}", Who::Public),
    ("POST", "/complaints/{reference}/reopen", Who::Public),
    ("GET", "/staff/complaints", Who::Only(COMPLAINT_READERS)),
    ("GET", "/staff/staffing", Who::Only(MANAGERS)),
    ("GET", "/staff/centres/{code}/staffing", Who::Only(MANAGERS)),
    ("GET", "/staff/complaints/new", Who::Only(COMPLAINT_REGISTRARS)),
    ("POST", "/staff/complaints/new", Who::Only(COMPLAINT_REGISTRARS)),
    ("GET", "/staff/complaints/{reference}", Who::Only(COMPLAINT_READERS)),
    ("POST", "/staff/complaints/{reference}/{step}", Who::Only(MONITORING)),
    ("GET", "/api/v1/ideas/criteria", Who::Public),
    ("POST", "/api/v1/ideas", Who::Public),
    ("GET", "/api/v1/ideas", Who::Public),
    ("GET", "/api/v1/ideas/{reference}", Who::Public),
    ("POST", "/api/v1/ideas/{reference}/scores", Who::Only(&[AgencyAdmin, CommissionMember])),
    ("POST", "/api/v1/ideas/{reference}/decision", Who::Only(&[AgencyAdmin, CommissionMember])),
    ("POST", "/api/v1/surveys", Who::Only(MONITORING)),
    ("POST", "/api/v1/surveys/{survey}/publish", Who::Only(MONITORING)),
    ("GET", "/api/v1/surveys/{survey}", Who::Public),
    ("POST", "/api/v1/surveys/{survey}/responses", Who::Public),
    ("GET", "/api/v1/surveys/{survey}/results", Who::Only(MONITORING)),
    ("POST", "/api/v1/tickets/{id}/application", Who::Only(&[Officer])),
    ("GET", "/api/v1/applications", Who::Only(APPLICATION_READERS)),
    ("GET", "/api/v1/applications/{tracking}", Who::Only(APPLICATION_READERS)),
    ("POST", "/api/v1/applications/{tracking}/actions", Who::Only(APPLICATION_ACTORS)),
    ("POST", "/api/v1/applications/track", Who::Public),
    ("POST", "/api/v1/applications/{tracking}/delivery", Who::Public),
    (
        "POST",
        "/api/v1/applications/{tracking}/collection-ticket",
        Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration]),
    ),
    (
        "POST",
        "/staff/applications/{tracking}/collect",
        Who::WithDevices(ISSUERS, &[DeviceKind::Kiosk, DeviceKind::Integration]),
    ),
    ("GET", "/api/v1/bills/{reference}", Who::Public),
    ("GET", "/api/v1/bills/{reference}/qr", Who::Public),
    ("POST", "/api/v1/bills/{reference}/payments", CASHIERS),
    ("POST", "/api/v1/bills/{reference}/refunds", Who::Only(REFUND_REQUESTERS)),
    ("POST", "/api/v1/refunds/{id}/approve", Who::Only(&[CentreManager])),
    ("POST", "/api/v1/refunds/{id}/decline", Who::Only(&[CentreManager])),
    ("POST", "/api/v1/refunds/{id}/execute", Who::Only(&[BankTeller])),
    ("GET", "/api/v1/centres/{code}/refunds", Who::Only(PAYMENT_READERS)),
    ("GET", "/api/v1/centres/{code}/reconciliation", Who::Only(PAYMENT_READERS)),
    ("POST", "/api/v1/payments", Who::Public),
    ("GET", "/api/v1/payments/{id}", Who::Public),
    ("POST", "/api/v1/payments/{id}/pay", Who::Public),
    ("POST", "/api/v1/payments/{id}/confirm", Who::Public),
    ("POST", "/api/v1/payments/{id}/cancel", Who::Public),
    ("GET", "/track", Who::Public),
    ("POST", "/track", Who::Public),
    ("GET", "/bills/{reference}", Who::Public),
    ("POST", "/bills/{reference}/pay", Who::Public),
    ("GET", "/pay/{id}", Who::Public),
    ("POST", "/pay/{id}", Who::Public),
    ("GET", "/staff/window/accept", Who::Only(&[Officer])),
    ("POST", "/staff/window/accept", Who::Only(&[Officer])),
    ("GET", "/staff/applications", Who::Only(APPLICATION_READERS)),
    ("GET", "/staff/applications/{tracking}", Who::Only(APPLICATION_READERS)),
    ("POST", "/staff/applications/{tracking}/act", Who::Only(APPLICATION_ACTORS)),
    ("POST", "/staff/bills/{reference}/refund", Who::Only(REFUND_REQUESTERS)),
    ("GET", "/staff/bank", CASHIERS),
    ("POST", "/staff/bank/pay", CASHIERS),
    ("POST", "/staff/refunds/{id}/execute", Who::Only(&[BankTeller])),
    ("GET", "/staff/refunds", Who::Only(&[CentreManager])),
    ("POST", "/staff/refunds/{id}/decide", Who::Only(&[CentreManager])),
    ("GET", "/staff/reconciliation", Who::Only(PAYMENT_READERS)),
    ("GET", "/ideas", Who::Public),
    ("POST", "/ideas", Who::Public),
    ("GET", "/surveys/{survey}", Who::Public),
    ("POST", "/surveys/{survey}", Who::Public),
    ("GET", "/api/v1/statistics", Who::Only(STATS)),
    ("GET", "/api/v1/statistics/live", Who::Only(STATS)),
    ("POST", "/api/v1/statistics/fold", Who::Only(MONITORING)),
    ("GET", "/api/v1/appraisals", Who::Only(STATS)),
    ("GET", "/api/v1/appraisals/{login}", Who::Only(STATS)),
    ("POST", "/api/v1/appraisals/{login}/comments", Who::Only(MANAGERS)),
    ("POST", "/api/v1/complaints/{reference}/verdict", Who::Only(MONITORING)),
    ("GET", "/api/v1/index", Who::Public),
    ("POST", "/api/v1/index/compute", Who::Only(MONITORING)),
    ("POST", "/api/v1/index/training", Who::Only(MONITORING)),
    ("GET", "/api/v1/reports", Who::Only(STATS)),
    ("GET", "/api/v1/reports/stored/{id}", Who::Only(STATS)),
    ("GET", "/api/v1/reports/{period}/{report}", Who::Only(STATS)),
    ("GET", "/monitoring", Who::Only(STATS)),
    ("GET", "/monitoring/live", Who::Only(STATS)),
    ("GET", "/monitoring/officers", Who::Only(STATS)),
    ("GET", "/monitoring/officers/{login}", Who::Only(STATS)),
    ("POST", "/monitoring/officers/{login}/comments", Who::Only(MANAGERS)),
    ("GET", "/monitoring/reports", Who::Only(STATS)),
    ("GET", "/monitoring/reports/download", Who::Only(STATS)),
    ("GET", "/monitoring/index", Who::Only(STATS)),
    ("POST", "/monitoring/index/compute", Who::Only(MONITORING)),
    ("POST", "/monitoring/index/training", Who::Only(MONITORING)),
];

fn allowed(who: Who, role: Role) -> bool {
    match who {
        Who::Public | Who::AllStaff => true,
        Who::Only(roles) | Who::WithDevices(roles, _) => roles.contains(&role),
    }
}

#[test]
fn every_route_is_in_the_table() {
    let specs = onestop_web::route_specs();
    for spec in &specs {
        let row = TABLE.iter().find(|(m, p, _)| *m == spec.method.as_str() && *p == spec.path);
        let Some((_, _, who)) = row else {
            panic!("{} {} has no row in the access table of tests/access.rs", spec.method, spec.path);
        };
        let public = matches!(who, Who::Public);
        assert_eq!(
            public,
            spec.access == Access::Public,
            "{} {}: the table and the route disagree",
            spec.method,
            spec.path
        );
        // The devices a row names are exactly the kinds the route's permission admits.
        if let Access::Requires(permission) = spec.access {
            let granted: Vec<DeviceKind> =
                DeviceKind::ALL.into_iter().filter(|k| k.grants(permission)).collect();
            let listed: Vec<DeviceKind> = match who {
                Who::WithDevices(_, kinds) => {
                    DeviceKind::ALL.into_iter().filter(|k| kinds.contains(k)).collect()
                }
                _ => Vec::new(),
            };
            let granted: Vec<DeviceKind> = if permission == onestop_domain::identity::Permission::Identify {
                Vec::new()
            } else {
                granted
            };
            assert_eq!(
                listed, granted,
                "{} {}: devices in the table and the grants disagree",
                spec.method, spec.path
            );
        }
    }
    for (method, path, _) in TABLE {
        assert!(
            specs.iter().any(|s| s.method.as_str() == *method && s.path == *path),
            "{method} {path} is in the table but not routed"
        );
    }
}

/// The account every `{login}` route acts on: a volunteer at the managers' centre.
const TARGET: &str = "target";
/// The survey every `{survey}` route names (created before the walk).
const SURVEY: &str = "visit";
/// The complaint every `{reference}` route names (registered before the walk).
const COMPLAINT: &str = "FB-2345-6789";
/// The application every `{tracking}` route names (created before the walk).
const TRACKING: &str = "AS-2026-000001";
/// The centre of every centre-bound account and device here (in the demo catalogue).
const CENTRE: &str = "BAKU-1";

async fn call(app: &TestApp, session: Option<&Session>, method: &str, path: &str) -> reqwest::Response {
    let path = path
        .replace("{login}", TARGET)
        .replace("{*path}", "uswds/css/uswds.min.css")
        .replace("{number}", "1")
        .replace("{survey}", SURVEY)
        .replace("{reference}", COMPLAINT)
        .replace("{period}", "2026-11")
        .replace("{report}", "network.pdf")
        .replace("{tracking}", TRACKING)
        .replace("/windows/{id}", "/windows/BAKU-1:1")
        .replace("{id}", "1");
    // Each kind of record gets a code that exists, so allowed GETs answer 200.
    let path = if path.starts_with("/admin/registry/providers/") {
        path.replace("{code}", "MIA")
    } else if path.starts_with("/admin/registry/centres/")
        || path.starts_with("/api/v1/centres/")
        || path.starts_with("/centres/")
        || path.starts_with("/staff/centres/")
    {
        path.replace("{code}", "BAKU-1")
    } else {
        path.replace("{code}", "MIA-ID-CARD")
    };
    let client = app.client();
    let mut request = if method == "GET" {
        client.get(app.url(&path))
    } else {
        client.post(app.url(&path)).form(&[("x", "")])
    };
    if let Some(session) = session {
        request = request.header("cookie", &session.cookie).header("x-csrf-token", &session.csrf);
    }
    request.send().await.unwrap()
}

on_both_databases!(every_role_meets_every_route, devices_are_held_to_their_scope);

async fn every_role_meets_every_route(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    for role in Role::ALL {
        let (centre, provider) = match role.reach() {
            onestop_domain::identity::Reach::Network => (None, None),
            onestop_domain::identity::Reach::Centre => (Some(CENTRE), None),
            onestop_domain::identity::Reach::ProviderAtCentre => (Some(CENTRE), Some("MIA")),
        };
        app.staff(role.as_str(), role, centre, provider).await;
    }
    app.staff(TARGET, Volunteer, Some(CENTRE), None).await;
    let demo = onestop_server::admin::DEMO_CATALOGUE;
    onestop_server::admin::catalogue_import(app.store.as_ref(), demo, "asan-demo.yaml").await.unwrap();
    let survey = onestop_store::surveys::NewSurvey {
        code: SURVEY.into(),
        title: "Visit".into(),
        questions: vec![onestop_domain::feedback::survey::Question::Text { prompt: "Else?".into() }],
        channels: vec![onestop_domain::feedback::survey::SurveyChannel::Web],
    };
    let event = onestop_domain::audit::AuditEvent::new(app.now(), "cli:test", "survey.create", "test survey");
    app.store.create_survey(survey, app.now(), event).await.unwrap();
    let today = app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let complaint = onestop_store::complaints::NewComplaint {
        reference: COMPLAINT.into(),
        channel: onestop_domain::feedback::complaint::Channel::Web,
        category: onestop_domain::feedback::complaint::Category::Other,
        subject: onestop_domain::feedback::complaint::Subject {
            kind: onestop_domain::feedback::complaint::SubjectKind::Agency,
            code: String::new(),
        },
        centre: None,
        text: "Slow".into(),
        contact: onestop_domain::feedback::complaint::Contact {
            name: None,
            email: Some("a@b.az".into()),
            phone: None,
            address: None,
        },
        entered_by: None,
        received_on: today,
        due_on: today,
        lang: "az".into(),
        message: None,
    };
    let event = onestop_domain::audit::AuditEvent::new(app.now(), "cli:test", "complaint.register", "test");
    app.store.register_complaint(complaint, app.now(), event).await.unwrap();
    // Report 1, of the managers' centre, for the stored-report route.
    let report = onestop_store::monitoring::NewReport {
        period: "2026-10".into(),
        scope: CENTRE.into(),
        format: "pdf".into(),
        body: b"%PDF-1.7".to_vec(),
    };
    assert_eq!(app.store.put_report(&report, app.now()).await.unwrap(), 1);
    let application = onestop_store::cases::NewApplication {
        tracking: TRACKING.into(),
        centre: CENTRE.into(),
        provider: "MIA".into(),
        service: "MIA-ID-CARD".into(),
        workflow: "standard".into(),
        initial: ("accepted".into(), None),
        billed: Some(("awaiting_payment".into(), None)),
        ticket: None,
        officer: "staff:officer".into(),
        role: Officer,
        applicant_fin: "5ZXC7RT".into(),
        applicant_name: None,
        contact_email: None,
        contact_phone: None,
        lang: "az".into(),
        documents: vec!["ID card".into()],
        accepted_on: today,
        deadline_on: today,
        bill: onestop_store::cases::NewBill {
            reference: "100000000009".into(),
            purpose: onestop_domain::payments::Purpose::Fees,
            state_fee: 500,
            service_fee: 0,
            currency: "AZN".into(),
            waivers: Vec::new(),
            issued_on: today,
        },
        key: None,
        message: None,
    };
    let event = onestop_domain::audit::AuditEvent::new(app.now(), "cli:test", "application.accept", "test");
    app.store.create_application(application, app.now(), event).await.unwrap();

    for (method, path, who) in TABLE {
        if matches!(who, Who::Public) {
            let response = call(&app, None, method, path).await;
            if path.starts_with("/open311/") && *method == "POST" {
                // Public, but GeoReport v2 demands an api_key to post: its own 403.
                assert_eq!(response.status(), 403, "{method} {path}");
                let body = response.text().await.unwrap();
                assert!(
                    body.contains(r#""code":403"#) || body.contains("<code>403</code>"),
                    "{method} {path}: {body}"
                );
                continue;
            }
            assert!(
                ![401, 403].contains(&response.status().as_u16()),
                "anonymous {method} {path}: {}",
                response.status()
            );
            continue;
        }
        // Nobody signed in: 401 and a problem saying so.
        let body = problem(call(&app, None, method, path).await, 401).await;
        assert_eq!(body["detail"], "sign in first", "{method} {path}");

        for role in Role::ALL {
            // A session of its own, since some routes end sessions or change passwords.
            let session = app.sign_in(role.as_str()).await;
            let response = call(&app, Some(&session), method, path).await;
            let status = response.status().as_u16();
            if allowed(*who, role) {
                assert!(![401, 403].contains(&status), "{role} {method} {path} was refused: {status}");
                if *method == "GET" {
                    assert_eq!(status, 200, "{role} {method} {path}");
                }
            } else {
                let body = problem(response, 403).await;
                assert_eq!(body["detail"], "your role may not do this", "{role} {method} {path}");
            }
        }
    }
    // Every refusal of a signed-in role was audited.
    let refused = app.audit("access.refused").await;
    let expected: usize = TABLE
        .iter()
        .map(|(_, _, who)| match who {
            Who::Only(roles) | Who::WithDevices(roles, _) => Role::ALL.len() - roles.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(refused.len(), expected);
    assert!(refused.iter().all(|e| e.event.outcome == onestop_domain::audit::Outcome::Refused));
    app.stop().await;
}

async fn devices_are_held_to_their_scope(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let (id, kiosk) =
        onestop_server::admin::token_issue(app.store.as_ref(), "kiosk", "AZ-B1".into(), None, None)
            .await
            .unwrap();
    let bearer = |method: &str, path: &str| {
        let request =
            if method == "GET" { app.client().get(app.url(path)) } else { app.client().post(app.url(path)) };
        request.bearer_auth(&kiosk)
    };
    let me: serde_json::Value = bearer("GET", "/api/v1/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["actor"], format!("device:{id}"));
    assert_eq!(me["role"], "kiosk");
    assert_eq!(me["centre"], "AZ-B1");
    assert!(me["csrf_token"].is_null());

    for (method, path, who) in TABLE {
        let path_here = path.replace("{login}", TARGET);
        match who {
            Who::WithDevices(_, kinds) if kinds.contains(&DeviceKind::Kiosk) => {
                let status = bearer(method, &path_here).send().await.unwrap().status().as_u16();
                assert!(![401, 403].contains(&status), "a kiosk was refused {method} {path}: {status}");
            }
            Who::AllStaff | Who::Only(_) | Who::WithDevices(..) if *path != "/api/v1/me" => {
                let body = problem(bearer(method, &path_here).send().await.unwrap(), 403).await;
                assert_eq!(body["detail"], "your role may not do this", "{method} {path}");
            }
            _ => {}
        }
    }
    let refused = app.audit("access.refused").await;
    assert!(
        refused
            .iter()
            .all(|e| e.event.actor == format!("device:{id}") && e.event.role.as_deref() == Some("kiosk"))
    );
    assert_eq!(
        refused.len(),
        TABLE
            .iter()
            .filter(|(_, p, w)| match w {
                Who::Public => false,
                Who::WithDevices(_, kinds) => !kinds.contains(&DeviceKind::Kiosk),
                _ => *p != "/api/v1/me",
            })
            .count()
    );

    // A revoked token is refused outright, and the refusal is audited.
    onestop_server::admin::token_revoke(app.store.as_ref(), id).await.unwrap();
    let body = problem(bearer("GET", "/api/v1/me").send().await.unwrap(), 401).await;
    assert_eq!(body["detail"], format!("device token {id} was revoked: sign in again"));
    assert!(app.audit("access.refused").await[0].event.summary.contains("was revoked"));
    // An unknown token too.
    let response = app.client().get(app.url("/api/v1/me")).bearer_auth("ost_forged").send().await.unwrap();
    assert_eq!(problem(response, 401).await["detail"], "the bearer token is not known: sign in again");
    app.stop().await;
}
