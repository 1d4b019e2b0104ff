//! The registry over HTTP on both databases, on the real ASAN demo catalogue.

#![allow(clippy::unwrap_used)]

mod support;

use onestop_server::admin::{DEMO_CATALOGUE, catalogue_import};
use onestop_store_tests::TestDb;
use serde_json::Value;
use std::collections::BTreeSet;
use support::{TestApp, problem};

on_both_databases!(
    the_demo_network_is_served,
    a_new_catalogue_version_takes_effect_at_once,
    people_find_services_and_centres_in_their_language,
    admins_change_the_registry_only_in_ways_that_hold,
    admins_edit_providers_and_centres
);

async fn json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn the_demo_network_is_served(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    let body = problem(app.get("/api/v1/services").await, 404).await;
    assert_eq!(body["detail"], "no catalogue has been imported yet");
    let said = catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    assert!(said.starts_with("imported asan-demo.yaml as catalogue version 1"), "{said}");

    let services = json(&app, "/api/v1/services").await;
    let services = services.as_array().unwrap();
    let providers: BTreeSet<_> = services.iter().map(|s| s["provider"].as_str().unwrap()).collect();
    assert!(services.len() >= 60, "{} services", services.len());
    assert!(providers.len() >= 20, "{} providers", providers.len());
    assert_eq!(json(&app, "/api/v1/providers").await.as_array().unwrap().len(), providers.len());

    let centres = json(&app, "/api/v1/centres?kind=centre").await;
    let buses = json(&app, "/api/v1/centres?kind=mobile_bus").await;
    assert_eq!(centres.as_array().unwrap().len(), 11);
    assert_eq!(buses.as_array().unwrap().len(), 10);
    for centre in centres.as_array().unwrap() {
        let hours = &centre["hours"];
        assert_eq!(hours[0]["open"], "10:00", "{centre}");
        assert_eq!(hours[0]["close"], "20:00", "{centre}");
        assert_eq!(hours[1]["days"], serde_json::json!(["saturday", "sunday"]), "{centre}");
        assert_eq!(hours[1]["close"], "17:00", "{centre}");
        assert_eq!(centre["time_zone"], "Asia/Baku");
    }
    let baku = centres
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"]["en"].as_str().unwrap().contains("Baku"))
        .count();
    assert_eq!(baku, 5);

    // A service in full: fees in minor units with their exemption, documents, steps, where offered.
    let id_card = json(&app, "/api/v1/services/MIA-ID-CARD").await;
    assert_eq!(id_card["provider"], "MIA");
    assert_eq!(id_card["timeframe"], "P10D");
    assert_eq!(id_card["fees"]["currency"], "AZN");
    assert_eq!(id_card["fees"]["exemptions"][0]["rule"], "age < 16");
    assert!(id_card["documents"].as_array().unwrap().len() >= 2);
    assert!(!id_card["steps"].as_array().unwrap().is_empty());
    assert!(id_card["offered_at"].as_array().unwrap().len() >= 11, "at every centre and the buses");
    for lang in ["az", "en", "ru"] {
        assert!(!id_card["name"][lang].as_str().unwrap().is_empty(), "{lang}");
    }
    let free = json(&app, "/api/v1/services?q=conviction").await;
    assert_eq!(free[0]["fees"]["state"], 0, "{free}");

    // Search by name in any language, and filters.
    let passport = |v: &Value| v.as_array().unwrap().iter().any(|s| s["code"] == "MIA-PASSPORT");
    assert!(passport(&json(&app, "/api/v1/services?q=passport").await));
    assert!(
        passport(&json(&app, "/api/v1/services?q=%D0%9F%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82").await),
        "Паспорт"
    );
    assert!(passport(&json(&app, "/api/v1/services?q=pasport").await), "pasport (Azerbaijani)");
    let mia = json(&app, "/api/v1/services?provider=MIA").await;
    assert!(mia.as_array().unwrap().iter().all(|s| s["provider"] == "MIA"));
    let on_buses = json(&app, "/api/v1/services?channel=mobile_bus").await;
    assert!(
        on_buses
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["channels"].as_array().unwrap().contains(&"mobile_bus".into()))
    );
    assert!(json(&app, "/api/v1/services?q=no+such+service+anywhere").await.as_array().unwrap().is_empty());

    // A centre in full: windows per entity and a bank section on every floor.
    let code = centres[0]["code"].as_str().unwrap();
    let centre = json(&app, &format!("/api/v1/centres/{code}")).await;
    let floors: BTreeSet<i64> =
        centre["floors"].as_array().unwrap().iter().map(|f| f.as_i64().unwrap()).collect();
    let bank_floors: BTreeSet<i64> =
        centre["bank_sections"].as_array().unwrap().iter().map(|b| b["floor"].as_i64().unwrap()).collect();
    assert_eq!(floors, bank_floors);
    assert!(centre["windows"].as_array().unwrap().iter().any(|w| w["provider"] == "MOJ"));
    let bus = json(&app, &format!("/api/v1/centres/{}", buses[0]["code"].as_str().unwrap())).await;
    assert!(!bus["timetable"].as_array().unwrap().is_empty());

    assert_eq!(
        problem(app.get("/api/v1/services/NOPE").await, 404).await["detail"],
        "there is no service NOPE"
    );
    assert_eq!(
        problem(app.get("/api/v1/centres/NOPE").await, 404).await["detail"],
        "there is no centre NOPE"
    );
    app.stop().await;
}

async fn a_new_catalogue_version_takes_effect_at_once(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    let before = json(&app, "/api/v1/services/MIA-ID-CARD").await;
    assert_eq!(before["name"]["en"], "Issue and renewal of identity cards");
    let again = catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    assert_eq!(again, "asan-demo.yaml is already catalogue version 1; nothing changed");

    let renamed = DEMO_CATALOGUE.replacen(
        "Issue and renewal of identity cards",
        "Identity cards: issue and renewal",
        1,
    );
    let said = catalogue_import(app.store.as_ref(), &renamed, "renamed.yaml").await.unwrap();
    assert!(said.starts_with("imported renamed.yaml as catalogue version 2"), "{said}");
    let after = json(&app, "/api/v1/services/MIA-ID-CARD").await;
    assert_eq!(after["name"]["en"], "Identity cards: issue and renewal");

    // A broken catalogue changes nothing.
    let broken = DEMO_CATALOGUE.replacen("state: 500", "state: -500", 1);
    let err = catalogue_import(app.store.as_ref(), &broken, "broken.yaml").await.unwrap_err();
    assert!(err.contains("fees.state"), "{err}");
    assert_eq!(app.store.current_catalogue_version().await.unwrap(), Some(2));
    let audited = app.audit("catalogue.import").await;
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0].event.record.as_deref(), Some("catalogue:2"));
    app.stop().await;
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    response.text().await.unwrap()
}

async fn people_find_services_and_centres_in_their_language(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();

    let found = page(&app, "/services?q=passport&lang=en").await;
    assert!(found.contains("href=\"/services/MIA-PASSPORT\""), "{found}");
    assert!(!found.contains("href=\"/services/MOJ-BIRTH-REG\""));
    let az = page(&app, "/services?q=pasport&lang=az").await;
    assert!(az.contains("href=\"/services/MIA-PASSPORT\"") && az.contains("lang=\"az\""));
    let by_provider = page(&app, "/services?provider=MOJ&lang=en").await;
    assert!(by_provider.contains("MOJ-") && !by_provider.contains("href=\"/services/MIA-PASSPORT\""));

    // A service in full, with its fee in the page's language and schema.org data for search engines.
    let en = page(&app, "/services/MIA-ID-CARD?lang=en").await;
    assert!(en.contains("Issue and renewal of identity cards"));
    assert!(en.contains("AZN\u{a0}5.00"), "the state fee of 500 qəpik");
    assert!(en.contains("10 working days"));
    assert!(en.contains("\"@type\":\"GovernmentService\""));
    assert!(en.contains("Persons under 16"));
    let ru = page(&app, "/services/MIA-ID-CARD?lang=ru").await;
    assert!(ru.contains("5,00\u{a0}AZN") && ru.contains("10 рабочих дней"), "Russian money and plural");
    let free = page(&app, "/services/MIA-CONVICTION-RECORD?lang=en").await;
    assert!(free.contains(">Free<"), "conviction records are free");

    // Centres with today's hours: 2026-11-28 is a Saturday, so 10:00–17:00.
    let centres = page(&app, "/centres?lang=en").await;
    assert_eq!(centres.matches("class=\"usa-link\" href=\"/centres/").count(), 21);
    assert!(centres.contains("Open today 10:00–17:00"), "{centres}");
    let baku = page(&app, "/centres/BAKU-1?lang=en").await;
    assert!(
        baku.contains("\"@type\":\"GovernmentOffice\"")
            && baku.contains("Monday")
            && baku.contains("10:00–20:00")
    );
    assert!(baku.contains("Bank sections"));
    // A browser that states no language gets Azerbaijani.
    let az_centre = reqwest::get(app.url("/centres/BAKU-1")).await.unwrap().text().await.unwrap();
    assert!(az_centre.contains("Bazar ertəsi"), "Azerbaijani by default");
    assert_eq!(app.get("/services/NOPE").await.status(), 404);
    // The map: centres as circles and buses as squares, each a link to its page.
    assert!(centres.contains("<svg") && centres.contains("href=\"/centres/BAKU-1\""));
    assert_eq!(centres.matches("os-map__marker--bus").count(), 10);
    assert_eq!(centres.matches("os-map__marker--centre").count(), 11);

    // Open data: CPSV-AP 3.2.0, identifiers minted under the public URL.
    let turtle = app.get("/api/v1/registry/cpsv-ap.ttl").await;
    assert_eq!(turtle.headers()["content-type"], "text/turtle; charset=utf-8");
    let turtle = turtle.text().await.unwrap();
    assert!(turtle.contains("<http://127.0.0.1:8080/id/service/MIA-ID-CARD>"), "{}", &turtle[..500]);
    assert!(turtle.contains("cpsv:PublicService"));
    let jsonld = app.get("/api/v1/registry/cpsv-ap.jsonld").await;
    assert_eq!(jsonld.headers()["content-type"], "application/ld+json");
    let jsonld: Value = jsonld.json().await.unwrap();
    assert!(jsonld["@context"].is_array() || jsonld["@context"].is_object());
    app.stop().await;
}

async fn admins_change_the_registry_only_in_ways_that_hold(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app.staff("aynur", onestop_domain::identity::Role::AgencyAdmin, None, None).await;
    let admin = app.sign_in("aynur").await;

    let form =
        admin.get(&app, "/admin/registry/services/MIA-ID-CARD").send().await.unwrap().text().await.unwrap();
    assert!(form.contains("value=\"5.00\""), "the state fee in major units");
    let fields = |state_fee: &str, channels: &[&str]| {
        let mut f: Vec<(String, String)> = vec![
            ("name_az".into(), "Şəxsiyyət vəsiqəsi".into()),
            ("name_en".into(), "Identity cards".into()),
            ("name_ru".into(), "Удостоверения личности".into()),
            ("description_az".into(), "Vəsiqə verilir.".into()),
            ("description_en".into(), "An identity card is issued.".into()),
            ("description_ru".into(), "Выдаётся удостоверение.".into()),
            ("state_fee".into(), state_fee.into()),
            ("service_fee".into(), "0".into()),
            ("days".into(), "10".into()),
            ("minutes".into(), "15".into()),
        ];
        f.extend(channels.iter().map(|c| ("channel".to_owned(), (*c).to_owned())));
        f
    };
    let saved = admin
        .post(&app, "/admin/registry/services/MIA-ID-CARD")
        .form(&fields("6.50", &["centre", "mobile_bus"]))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let page = page(&app, "/services/MIA-ID-CARD?lang=en").await;
    assert!(page.contains("Identity cards") && page.contains("AZN\u{a0}6.50"), "{page}");
    assert_eq!(app.store.current_catalogue_version().await.unwrap(), Some(2));

    // Taking the service away from centres would leave windows serving what no centre offers: refused.
    let broken = admin
        .post(&app, "/admin/registry/services/MIA-ID-CARD")
        .form(&fields("6.50", &["online"]))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 409);
    let text = broken.text().await.unwrap();
    assert!(text.contains("nothing was changed") && text.contains("windows"), "{text}");
    let bad_fee = admin
        .post(&app, "/admin/registry/services/MIA-ID-CARD")
        .form(&fields("-1", &["centre"]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_fee.status(), 400);
    let text = bad_fee.text().await.unwrap();
    assert!(
        text.contains("Write an amount such as 5 or 5.50.") && text.contains("href=\"#state_fee\""),
        "{text}"
    );
    // Removing a service that windows still serve is refused with the reason, and audited.
    let removal = admin.post(&app, "/admin/registry/services/MIA-ID-CARD/remove").send().await.unwrap();
    assert_eq!(removal.status(), 409);
    assert!(removal.text().await.unwrap().contains("MIA-ID-CARD"));
    assert_eq!(app.store.current_catalogue_version().await.unwrap(), Some(2));
    assert!(
        app.audit("catalogue.change")
            .await
            .iter()
            .any(|e| e.event.outcome == onestop_domain::audit::Outcome::Refused)
    );

    // Uploading a file: a broken one lists every problem by line and field; a good one is saved.
    let upload = |text: String| {
        let part = reqwest::multipart::Part::text(text).file_name("catalogue.yaml");
        let form = reqwest::multipart::Form::new().text("csrf", admin.csrf.clone()).part("catalogue", part);
        app.client().post(app.url("/admin/registry/upload")).header("cookie", &admin.cookie).multipart(form)
    };
    let broken = DEMO_CATALOGUE.replacen("state: 500", "state: -500", 1).replacen(
        "timeframe: P10D",
        "timeframe: P1X",
        1,
    );
    let response = upload(broken).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("2 problems: nothing was changed")
            && text.contains("fees.state")
            && text.contains("timeframe"),
        "{text}"
    );
    let response = upload(DEMO_CATALOGUE.to_owned()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Saved as catalogue version 3"));
    app.stop().await;
}

async fn admins_edit_providers_and_centres(db: &TestDb) {
    let app = TestApp::spawn(db).await;
    catalogue_import(app.store.as_ref(), DEMO_CATALOGUE, "asan-demo.yaml").await.unwrap();
    app.staff("aynur", onestop_domain::identity::Role::AgencyAdmin, None, None).await;
    let admin = app.sign_in("aynur").await;

    // Renaming a provider.
    let names =
        [("name_az", "Daxili İşlər Nazirliyi (DİN)"), ("name_en", "Interior Ministry"), ("name_ru", "МВД")];
    assert_eq!(
        admin.post(&app, "/admin/registry/providers/MIA").form(&names).send().await.unwrap().status(),
        303
    );
    let providers = json(&app, "/api/v1/providers").await;
    let mia = providers.as_array().unwrap().iter().find(|p| p["code"] == "MIA").unwrap().clone();
    assert_eq!(mia["name"]["en"], "Interior Ministry");
    // Removing a provider whose services and windows remain is refused with the reasons.
    let refused = admin.post(&app, "/admin/registry/providers/MIA/remove").send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("MIA"));

    // Closing BAKU-1 on Sundays and removing a window.
    let form = admin.get(&app, "/admin/registry/centres/BAKU-1").send().await.unwrap().text().await.unwrap();
    assert!(form.contains("name=\"open_monday\" value=\"10:00\""), "{form}");
    let mut fields: Vec<(String, String)> = Vec::new();
    for (lang, name) in [("az", "Bakı 1"), ("en", "Baku 1"), ("ru", "Баку 1")] {
        fields.push((format!("name_{lang}"), name.into()));
        fields.push((format!("address_{lang}"), "Nizami 1".into()));
    }
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        fields.push((format!("open_{day}"), "10:00".into()));
        fields.push((format!("close_{day}"), "20:00".into()));
    }
    fields.push(("open_saturday".into(), "10:00".into()));
    fields.push(("close_saturday".into(), "17:00".into()));
    assert_eq!(
        admin.post(&app, "/admin/registry/centres/BAKU-1").form(&fields).send().await.unwrap().status(),
        303
    );
    let baku = json(&app, "/api/v1/centres/BAKU-1").await;
    assert_eq!(baku["name"]["en"], "Baku 1");
    assert_eq!(baku["hours"].as_array().unwrap().len(), 2);
    assert!(!baku["hours"].to_string().contains("sunday"), "closed on Sundays: {}", baku["hours"]);
    fields.push(("open_sunday".into(), "ten".into()));
    fields.push(("close_sunday".into(), "17:00".into()));
    let bad_hours = admin.post(&app, "/admin/registry/centres/BAKU-1").form(&fields).send().await.unwrap();
    assert_eq!(bad_hours.status(), 400);
    let text = bad_hours.text().await.unwrap();
    assert!(text.contains("The hours of Sunday are not times such as 10:00."), "{text}");

    let windows = baku["windows"].as_array().unwrap().len();
    let number = baku["windows"][0]["number"].as_i64().unwrap();
    let removed = admin
        .post(&app, &format!("/admin/registry/centres/BAKU-1/windows/{number}/remove"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 303);
    assert_eq!(json(&app, "/api/v1/centres/BAKU-1").await["windows"].as_array().unwrap().len(), windows - 1);
    assert_eq!(app.store.current_catalogue_version().await.unwrap(), Some(4));
    app.stop().await;
}
