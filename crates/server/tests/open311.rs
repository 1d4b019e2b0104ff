//! Open311 GeoReport v2 over complaints and suggestions, on both databases: every method in JSON
//! and XML, every field and status against the specification, its error format, `api_key` and
//! `jurisdiction_id`.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_domain::identity::Role;
use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import, token_issue};
use onestop_store::complaints::ComplaintFilter;
use onestop_store_tests::TestDb;
use serde_json::{Value, json};
use support::TestApp;

on_both_databases!(services_and_their_definitions, requests_are_posted_and_followed, errors_follow_the_spec);

/// The fields of a service in GET services, as the specification lists them.
const SERVICE_FIELDS: [&str; 7] =
    ["description", "group", "keywords", "metadata", "service_code", "service_name", "type"];
/// The fields of a service request in GET requests, as the specification lists them.
const REQUEST_FIELDS: [&str; 17] = [
    "address",
    "address_id",
    "agency_responsible",
    "description",
    "expected_datetime",
    "lat",
    "long",
    "media_url",
    "requested_datetime",
    "service_code",
    "service_name",
    "service_notice",
    "service_request_id",
    "status",
    "status_notes",
    "updated_datetime",
    "zipcode",
];
/// The fields of an attribute in a service definition.
const ATTRIBUTE_FIELDS: [&str; 7] =
    ["code", "datatype", "datatype_description", "description", "order", "required", "variable"];

async fn app(db: &TestDb) -> TestApp {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

async fn json_200(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    response.json().await.unwrap()
}

async fn xml_200(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "text/xml; charset=utf-8");
    let text = response.text().await.unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{text}");
    text
}

/// A W3C date-time with an offset, e.g. `2026-11-28T13:00:00+04:00`.
fn is_w3c(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 25
        && b[4] == b'-'
        && b[10] == b'T'
        && (b[19] == b'+' || b[19] == b'-')
        && text.parse::<jiff::Timestamp>().is_ok()
}

async fn services_and_their_definitions(db: &TestDb) {
    let app = app(db).await;
    let services = json_200(&app, "/open311/v2/services.json").await;
    let services = services.as_array().unwrap();
    let codes: Vec<_> = services.iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["waiting_time", "staff_conduct", "corruption", "service_quality", "premises", "other", "suggestion"]
    );
    for s in services {
        assert_eq!(keys(s), SERVICE_FIELDS, "{s}");
        assert_eq!(s["metadata"], true);
        assert!(["realtime", "batch", "blackbox"].contains(&s["type"].as_str().unwrap()));
    }
    assert_eq!(services[2]["service_name"], "A request for an informal payment");
    assert_eq!(services[2]["description"], "Answered within 3 working days.");
    assert_eq!(
        (services[6]["group"].as_str(), services[0]["group"].as_str()),
        (Some("suggestions"), Some("complaints"))
    );
    // The same in Russian.
    let ru: Value = app
        .client()
        .get(app.url("/open311/v2/services.json"))
        .header("accept-language", "ru")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ru[0]["service_name"], "Время ожидания");

    let xml = xml_200(&app, "/open311/v2/services.xml").await;
    assert!(xml.contains("<services><service><description>"), "{xml}");
    assert!(xml.contains("<service_code>waiting_time</service_code>"));
    assert!(xml.contains("<metadata>true</metadata>"));
    assert_eq!(xml.matches("<service>").count(), 7);

    let definition = json_200(&app, "/open311/v2/services/corruption.json").await;
    assert_eq!(keys(&definition), ["attributes", "service_code"]);
    assert_eq!(definition["service_code"], "corruption");
    let attributes = definition["attributes"].as_array().unwrap();
    for (i, a) in attributes.iter().enumerate() {
        let mut expected: Vec<&str> = ATTRIBUTE_FIELDS.to_vec();
        if a["datatype"] == "singlevaluelist" {
            expected.push("values");
            expected.sort();
            for v in a["values"].as_array().unwrap() {
                assert_eq!(keys(v), ["key", "name"]);
            }
        }
        assert_eq!(keys(a), expected, "{a}");
        assert_eq!(a["order"], i + 1);
        assert!(
            ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
                .contains(&a["datatype"].as_str().unwrap())
        );
        assert_eq!(a["variable"], true);
    }
    assert_eq!(attributes[0]["code"], "subject_kind");
    assert_eq!(attributes[0]["values"][1], json!({"key": "centre", "name": "A centre"}));
    assert!(attributes[2]["values"].as_array().unwrap().iter().any(|v| v["key"] == "BAKU-1"));
    let xml = xml_200(&app, "/open311/v2/services/corruption.xml").await;
    assert!(xml.contains("<service_definition><attributes><attribute>"), "{xml}");
    assert!(xml.contains("<values><value><key>agency</key>"));
    assert!(xml.contains("<datatype_description/>"));
    app.stop().await;
}

async fn post(app: &TestApp, ext: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client().post(app.url(&format!("/open311/v2/requests.{ext}"))).form(form).send().await.unwrap()
}

async fn requests_are_posted_and_followed(db: &TestDb) {
    let app = app(db).await;
    let (_, key) = token_issue(app.store.as_ref(), "integration", "BAKU-1".into(), None, None).await.unwrap();
    let form = [
        ("api_key", key.as_str()),
        ("jurisdiction_id", "onestop"),
        ("service_code", "waiting_time"),
        ("address_id", "BAKU-1"),
        ("description", "Two hours in line"),
        ("email", "leyla@example.az"),
        ("first_name", "Leyla"),
        ("attribute[subject_kind]", "service"),
        ("attribute[subject]", "MIA-ID-CARD"),
    ];
    let response = post(&app, "json", &form).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let created = &created.as_array().unwrap()[0];
    assert_eq!(keys(created), ["account_id", "service_notice", "service_request_id"]);
    assert!(created["account_id"].is_null());
    let id = created["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(created["service_notice"], "An answer is due by 2026-12-11.");
    let stored = app.store.complaint(&id).await.unwrap().unwrap();
    assert_eq!(stored.channel.as_str(), "open311");
    assert_eq!(stored.subject.code, "MIA-ID-CARD");
    assert_eq!(stored.centre.as_deref(), Some("BAKU-1"));
    assert_eq!(stored.contact.name.as_deref(), Some("Leyla"));

    let one = json_200(&app, &format!("/open311/v2/requests/{id}.json")).await;
    let one = one.as_array().unwrap();
    assert_eq!(one.len(), 1);
    let r = &one[0];
    assert_eq!(keys(r), REQUEST_FIELDS);
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert!(r["status_notes"].is_null());
    assert_eq!(r["service_code"], "waiting_time");
    assert_eq!(r["service_name"], "Waiting time");
    assert_eq!(r["description"], "Two hours in line");
    assert_eq!(r["agency_responsible"], "Monitoring department");
    assert_eq!(r["address_id"], "BAKU-1");
    assert!(r["lat"].is_f64() && r["long"].is_f64());
    assert!(r["zipcode"].is_null() && r["media_url"].is_null());
    assert!(r.to_string().find("leyla@example.az").is_none(), "no contact details");
    assert_eq!(r["requested_datetime"], "2026-11-28T13:00:00+04:00");
    for field in ["requested_datetime", "updated_datetime", "expected_datetime"] {
        assert!(is_w3c(r[field].as_str().unwrap()), "{field}: {}", r[field]);
    }
    assert_eq!(r["expected_datetime"], "2026-12-11T23:59:59+04:00");

    // A second request, posted as XML; then the first is answered and so closed.
    let form_xml = [
        ("api_key", key.as_str()),
        ("service_code", "suggestion"),
        ("lat", "40.4"),
        ("long", "49.8"),
        ("description", "More chairs"),
        ("phone", "+994501112233"),
    ];
    let response = post(&app, "xml", &form_xml).await;
    assert_eq!(response.status(), 201);
    let xml = response.text().await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><service_requests><request><account_id/><service_notice>"), "{xml}");
    let second = xml.split("<service_request_id>").nth(1).unwrap().split('<').next().unwrap().to_owned();

    app.staff("aysel", Role::MonitoringAnalyst, None, None).await;
    let analyst = app.sign_in("aysel").await;
    for (step, body) in [("assign", json!({})), ("answer", json!({"answer": "We opened two more windows."}))]
    {
        let response =
            analyst.post(&app, &format!("/api/v1/complaints/{id}/{step}")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let r = json_200(&app, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(r[0]["status"], "closed");
    assert_eq!(r[0]["status_notes"], "We opened two more windows.");

    // Searching: by ids, by status, by service code, by period.
    let both = json_200(&app, &format!("/open311/v2/requests.json?service_request_id={id},{second}")).await;
    assert_eq!(both.as_array().unwrap().len(), 2);
    let open = json_200(&app, "/open311/v2/requests.json?status=open").await;
    assert_eq!(
        open.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [second.as_str()]
    );
    let closed = json_200(&app, "/open311/v2/requests.json?status=closed").await;
    assert_eq!(closed[0]["service_request_id"], id.as_str());
    assert_eq!(
        json_200(&app, "/open311/v2/requests.json?status=open,closed").await.as_array().unwrap().len(),
        2
    );
    let suggestions = json_200(&app, "/open311/v2/requests.json?service_code=suggestion").await;
    assert_eq!(suggestions.as_array().unwrap().len(), 1);
    let earlier = json_200(
        &app,
        "/open311/v2/requests.json?start_date=2026-10-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
    )
    .await;
    assert!(earlier.as_array().unwrap().is_empty());
    let xml = xml_200(&app, &format!("/open311/v2/requests/{id}.xml")).await;
    assert!(xml.contains("<service_requests><request><address>"), "{xml}");
    assert!(xml.contains("<status>closed</status>"));
    assert!(xml.contains("<zipcode/>"));
    let xml = xml_200(&app, "/open311/v2/requests.xml").await;
    assert_eq!(xml.matches("<request>").count(), 2);
    app.stop().await;
}

async fn errors(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    let body: Value = response.json().await.unwrap();
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(keys(&list[0]), ["code", "description"]);
    assert_eq!(list[0]["code"], status);
    list[0].clone()
}

async fn errors_follow_the_spec(db: &TestDb) {
    let app = app(db).await;
    let (_, key) = token_issue(app.store.as_ref(), "integration", "BAKU-1".into(), None, None).await.unwrap();
    let (_, kiosk) = token_issue(app.store.as_ref(), "kiosk", "BAKU-1".into(), None, None).await.unwrap();
    let base = |api_key: &'static str| {
        vec![
            ("service_code", "other"),
            ("address_string", "Baku"),
            ("description", "x"),
            ("email", "a@b.az"),
            ("api_key", api_key),
        ]
    };
    let leaked = |k: &str| -> &'static str { Box::leak(k.to_owned().into_boxed_str()) };
    let key = leaked(&key);
    let kiosk = leaked(&kiosk);

    let e = errors(post(&app, "json", &base("")[..4]).await, 403).await;
    assert_eq!(e["description"], "api_key is required to post a request");
    assert_eq!(errors(post(&app, "json", &base(kiosk)).await, 403).await["description"], "invalid api_key");
    assert_eq!(
        errors(post(&app, "json", &base("ost_forged")).await, 403).await["description"],
        "invalid api_key"
    );
    let mut no_code = base(key);
    no_code.remove(0);
    assert_eq!(
        errors(post(&app, "json", &no_code).await, 400).await["description"],
        "service_code is required"
    );
    let mut nowhere = base(key);
    nowhere.remove(1);
    let e = errors(post(&app, "json", &nowhere).await, 400).await;
    assert_eq!(e["description"], "a location is required: lat and long, address_string or address_id");
    let mut silent = base(key);
    silent[2] = ("description", " ");
    assert_eq!(
        errors(post(&app, "json", &silent).await, 400).await["description"],
        "write what the complaint or suggestion is about"
    );
    let mut unreachable = base(key);
    unreachable.remove(3);
    let e = errors(post(&app, "json", &unreachable).await, 400).await;
    assert_eq!(
        e["description"],
        "give an email address, a phone number or a postal address to receive the answer"
    );
    let mut elsewhere = base(key);
    elsewhere.push(("jurisdiction_id", "paris.fr"));
    errors(post(&app, "json", &elsewhere).await, 404).await;
    assert!(app.store.complaints(&ComplaintFilter::default(), 10).await.unwrap().is_empty(), "nothing saved");

    errors(app.get("/open311/v2/services/potholes.json").await, 404).await;
    errors(app.get("/open311/v2/requests/FB-2222-2222.json").await, 404).await;
    errors(app.get("/open311/v2/services.json?jurisdiction_id=paris.fr").await, 404).await;
    errors(app.get("/open311/v2/requests.json?status=pending").await, 400).await;
    errors(
        app.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z")
            .await,
        400,
    )
    .await;
    // Errors in XML come as the spec's list too.
    let response = app.get("/open311/v2/services/potholes.xml").await;
    assert_eq!(response.status(), 404);
    let xml = response.text().await.unwrap();
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors><error><code>404</code><description>"
        ),
        "{xml}"
    );
    app.stop().await;
}
