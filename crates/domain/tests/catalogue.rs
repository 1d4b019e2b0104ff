//! The catalogue file format: the ASAN demo data, broken files, and another country's file.

use std::sync::OnceLock;

use jiff::civil::{Time, Weekday, date};
use onestop_domain::catalogue::{
    Catalogue, CatalogueError, CatalogueErrors, CentreKind, Channel, DayHours, Document, ProviderKind,
    Sector, ServiceCode, ServiceKind, Source, Text, parse_catalogue, to_yaml,
};
use onestop_domain::fees::{Facts, Rule};

const DEMO: &str = include_str!("../../../catalogue/asan-demo.yaml");

/// The demo catalogue, parsed once for all the tests of this file.
fn demo() -> &'static Catalogue {
    static DEMO_CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    DEMO_CATALOGUE.get_or_init(|| match parse_catalogue(DEMO) {
        Ok(catalogue) => catalogue,
        Err(errors) => panic!("{errors}"),
    })
}

fn errors(text: &str) -> Vec<CatalogueError> {
    match parse_catalogue(text) {
        Ok(_) => panic!("the catalogue should have been rejected"),
        Err(CatalogueErrors(errors)) => {
            assert!(!errors.is_empty());
            errors
        }
    }
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    match text.lines().position(|line| line.contains(needle)) {
        Some(i) => i + 1,
        None => panic!("`{needle}` is not in the text"),
    }
}

fn hm(hour: i8, minute: i8) -> Time {
    Time::constant(hour, minute, 0, 0)
}

// ---- the demo catalogue --------------------------------------------------------------------

#[test]
fn the_demo_has_at_least_60_services_from_at_least_20_providers() {
    let c = demo();
    assert!(c.services.len() >= 60, "{} services", c.services.len());
    assert!(c.providers.len() >= 20, "{} providers", c.providers.len());
    let rendering: std::collections::BTreeSet<_> = c.services.iter().map(|s| s.provider.as_str()).collect();
    assert!(rendering.len() >= 20, "{} providers render services", rendering.len());
    for provider in &c.providers {
        assert!(!c.services_of(provider.code.as_str()).is_empty(), "{} renders nothing", provider.code);
    }
}

#[test]
fn the_demo_has_every_public_service_of_table_1_under_its_ten_entities() {
    let c = demo();
    let table_1: &[(&str, &[&str])] = &[
        (
            "MOJ",
            &[
                "MOJ-BIRTH-REG",
                "MOJ-DEATH-REG",
                "MOJ-MARRIAGE-REG",
                "MOJ-DIVORCE-REG",
                "MOJ-ADOPTION-REG",
                "MOJ-PATERNITY-REG",
                "MOJ-NAME-CHANGE-REG",
                "MOJ-CERT-REISSUE",
                "MOJ-NOTARY-POA",
            ],
        ),
        (
            "MIA",
            &[
                "MIA-ID-CARD",
                "MIA-PASSPORT",
                "MIA-DRIVING-LICENCE",
                "MIA-CONVICTION-RECORD",
                "MIA-DOMICILE-REF",
            ],
        ),
        (
            "MOT",
            &[
                "MOT-TAX-REG-PERSON",
                "MOT-REG-LOCAL-ENTITY",
                "MOT-REG-FOREIGN-ENTITY",
                "MOT-REG-FOREIGN-BRANCH",
            ],
        ),
        ("SCPI", &["SCPI-APARTMENT-EXTRACT", "SCPI-REGISTRY-REF", "SCPI-HOUSE-EXTRACT"]),
        ("SCC", &["SCC-DECLARATION", "SCC-VEHICLE-EXTENSION"]),
        ("SMS", &["SMS-TEMP-RESIDENCE", "SMS-PERM-RESIDENCE", "SMS-WORK-PERMIT", "SMS-CITIZENSHIP-QUERY"]),
        ("MLSPP", &["MLSPP-AGE-PENSION", "MLSPP-DISABILITY-PENSION", "MLSPP-SURVIVOR-ALLOWANCE"]),
        ("SSMC", &["SSMC-MIL-REG", "SSMC-MIL-DEREG"]),
        ("MOE", &["MOE-LICENCE"]),
        ("NAD", &["NAD-REF-PERSON", "NAD-REF-ENTITY"]),
    ];
    for (entity, services) in table_1 {
        let provider = c.provider(entity).unwrap_or_else(|| panic!("{entity} is missing"));
        assert_eq!(provider.sector, Sector::Public);
        assert_eq!(provider.source, Source::CaseStudy);
        for code in *services {
            let service = c.service(code).unwrap_or_else(|| panic!("{code} is missing"));
            assert_eq!(service.provider, *entity);
            assert_eq!(service.kind, ServiceKind::Public);
        }
    }
    let public: Vec<_> = c.services.iter().filter(|s| s.kind == ServiceKind::Public).collect();
    let entities: std::collections::BTreeSet<_> = public.iter().map(|s| s.provider.as_str()).collect();
    assert_eq!(entities.len(), 10, "{entities:?}");
}

#[test]
fn the_demo_has_the_functional_subsidiary_services_of_table_2_and_four_banks() {
    let c = demo();
    let banks: Vec<_> = c.providers.iter().filter(|p| p.kind == ProviderKind::Bank).collect();
    assert_eq!(banks.len(), 4);
    for bank in &banks {
        assert_eq!(bank.sector, Sector::Private);
        for suffix in ["ACCOUNT", "EXCHANGE", "FEE-PAYMENT", "FINE-PAYMENT"] {
            let code = format!("{}-{suffix}", bank.code);
            let service = c.service(&code).unwrap_or_else(|| panic!("{code} is missing"));
            assert_eq!(service.kind, ServiceKind::FunctionalSubsidiary);
        }
    }
    for kind in [
        ProviderKind::Insurer,
        ProviderKind::Legal,
        ProviderKind::Translation,
        ProviderKind::Medical,
        ProviderKind::Photo,
        ProviderKind::Utility,
        ProviderKind::Telecom,
        ProviderKind::Tourism,
        ProviderKind::Delivery,
        ProviderKind::TicketSales,
        ProviderKind::PaymentTerminals,
        ProviderKind::CentralBank,
    ] {
        let provider = c.providers.iter().find(|p| p.kind == kind);
        let provider = provider.unwrap_or_else(|| panic!("no provider of kind {kind:?}"));
        let services = c.services_of(provider.code.as_str());
        assert!(services.iter().all(|s| s.kind == ServiceKind::FunctionalSubsidiary), "{kind:?}");
    }
    let utilities = c.providers.iter().filter(|p| p.kind == ProviderKind::Utility).count();
    assert_eq!(utilities, 3, "electricity, gas and water");
}

#[test]
fn the_demo_has_eleven_centres_and_ten_buses_with_asan_hours() {
    let c = demo();
    let centres: Vec<_> = c.centres.iter().filter(|x| x.kind == CentreKind::Centre).collect();
    assert_eq!(centres.len(), 11);
    let in_baku = centres.iter().filter(|x| x.code.as_str().starts_with("BAKU-")).count();
    assert_eq!(in_baku, 5);
    for code in ["SUMGAYIT", "GANJA", "SABIRABAD", "BARDA", "GABALA", "MASALLY"] {
        assert!(c.centre(code).is_some(), "{code}");
    }
    for centre in &centres {
        for day in [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday]
        {
            assert_eq!(centre.hours_on(day), Some((hm(10, 0), hm(20, 0))), "{} on {day:?}", centre.code);
        }
        for day in [Weekday::Saturday, Weekday::Sunday] {
            assert_eq!(centre.hours_on(day), Some((hm(10, 0), hm(17, 0))), "{} on {day:?}", centre.code);
        }
        assert!(centre.floors.len() >= 2, "{}", centre.code);
        assert_eq!(centre.time_zone(&c.country), "Asia/Baku");
    }
    let buses: Vec<_> = c.buses().collect();
    assert_eq!(buses.len(), 10);
    for bus in &buses {
        assert!(!bus.hours.is_empty(), "{}", bus.code);
        assert!(bus.hours_on(Weekday::Monday).is_some(), "{}", bus.code);
        assert!(!bus.timetable.is_empty(), "{}", bus.code);
    }
    let special = c.centre("BAKU-1").map(|b| b.special_days.clone()).unwrap_or_default();
    assert!(special.iter().any(|d| d.hours == DayHours::Open { open: hm(10, 0), close: hm(15, 0) }));
}

#[test]
fn hours_on_a_date_follow_special_days_then_holidays_then_the_week() {
    let c = demo();
    let baku = c.centre("BAKU-1").unwrap_or_else(|| panic!("BAKU-1"));
    let on = |y, m, d| baku.hours_on_date(date(y, m, d), &c.country);
    assert_eq!(on(2026, 3, 16), Some((hm(10, 0), hm(20, 0))), "a Monday");
    assert_eq!(on(2026, 3, 15), Some((hm(10, 0), hm(17, 0))), "a Sunday");
    assert_eq!(on(2026, 3, 19), Some((hm(10, 0), hm(15, 0))), "the eve of Novruz");
    assert_eq!(on(2026, 3, 23), None, "Novruz");
    assert_eq!(on(2026, 3, 24), Some((hm(10, 0), hm(17, 0))), "on duty during Novruz");
    let bus = c.centre("BUS-01").unwrap_or_else(|| panic!("BUS-01"));
    assert_eq!(bus.hours_on_date(date(2026, 1, 18), &c.country), None, "buses rest on Sundays");
    let stop = bus.stop_on(date(2026, 1, 20)).map(|s| s.place.get("en").unwrap_or("").to_owned());
    assert_eq!(stop.as_deref(), Some("Ismayilli"));
    assert!(bus.stop_on(date(2026, 6, 1)).is_none());
}

#[test]
fn every_floor_of_every_centre_has_a_bank_section_of_a_bank() {
    let c = demo();
    for centre in &c.centres {
        for floor in &centre.floors {
            assert!(centre.bank_sections.iter().any(|b| b.floor == *floor), "{} floor {floor}", centre.code);
        }
        for section in &centre.bank_sections {
            assert_eq!(c.provider(section.provider.as_str()).map(|p| p.kind), Some(ProviderKind::Bank));
        }
    }
}

#[test]
fn windows_serve_each_entity_in_every_centre() {
    let c = demo();
    for centre in c.centres.iter().filter(|x| x.kind == CentreKind::Centre) {
        for entity in ["MOJ", "MIA", "MOT", "SCPI", "SCC", "SMS", "MLSPP", "SSMC", "MOE", "NAD"] {
            assert!(
                centre.windows.iter().any(|w| w.provider == entity),
                "{} has no {entity} window",
                centre.code
            );
        }
        for window in &centre.windows {
            for service in &window.services {
                assert_eq!(
                    c.service(service.as_str()).map(|s| s.provider.clone()),
                    Some(window.provider.clone())
                );
            }
        }
    }
}

#[test]
fn buses_offer_the_services_the_case_study_lists_for_them() {
    let c = demo();
    let on_buses = [
        "MOJ-NOTARY-POA",
        "MOJ-BIRTH-REG",
        "MOJ-DEATH-REG",
        "MOJ-MARRIAGE-REG",
        "MOJ-DIVORCE-REG",
        "MOJ-NAME-CHANGE-REG",
        "MIA-ID-CARD",
        "MIA-PASSPORT",
        "MIA-DRIVING-LICENCE",
        "MLSPP-AGE-PENSION",
        "SCPI-APARTMENT-EXTRACT",
        "PHOTO-DOCUMENT",
        "MEDICAL-CERT-16-PLUS",
    ];
    for bus in c.buses() {
        for code in on_buses {
            let service = c.service(code).unwrap_or_else(|| panic!("{code}"));
            assert!(bus.offers(service), "{} does not offer {code}", bus.code);
            assert!(service.channels.contains(&Channel::MobileBus), "{code}");
        }
        let providers: Vec<_> =
            bus.windows.iter().filter_map(|w| c.provider(w.provider.as_str())).map(|p| p.kind).collect();
        assert!(providers.contains(&ProviderKind::Insurer), "{}", bus.code);
        assert!(!bus.bank_sections.is_empty(), "{}", bus.code);
        let public: std::collections::BTreeSet<_> = bus
            .windows
            .iter()
            .filter(|w| c.provider(w.provider.as_str()).map(|p| p.sector) == Some(Sector::Public))
            .map(|w| w.provider.as_str())
            .collect();
        assert_eq!(public, ["MIA", "MLSPP", "MOJ", "SCPI"].into_iter().collect(), "{}", bus.code);
    }
}

#[test]
fn offered_at_is_derived_from_windows_and_bank_sections() {
    let c = demo();
    assert_eq!(c.offered_at("MIA-ID-CARD").len(), 21, "11 centres and 10 buses");
    let work_permit = c.offered_at("SMS-WORK-PERMIT");
    assert_eq!(work_permit.len(), 11);
    assert!(work_permit.iter().all(|x| x.kind == CentreKind::Centre));
    let account = c.offered_at("KAPITAL-ACCOUNT");
    assert!(account.iter().any(|x| x.code == "BAKU-1") && account.iter().any(|x| x.code == "BUS-01"));
    assert!(account.iter().all(|x| x.bank_sections.iter().any(|b| b.provider == "KAPITAL")));
    assert!(c.offered_at("SAPSSI-ONLINE-QUEUE").is_empty(), "online only");
    assert!(c.offered_at("NO-SUCH-SERVICE").is_empty());
    let baku1 = c.centre("BAKU-1").map(|x| x.windows_for("MIA-PASSPORT").count());
    assert_eq!(baku1, Some(4));
}

#[test]
fn the_services_the_case_study_calls_free_charge_no_state_fee() {
    let c = demo();
    for code in [
        "MIA-CONVICTION-RECORD",
        "SSMC-MIL-REG",
        "SSMC-MIL-DEREG",
        "MLSPP-AGE-PENSION",
        "MLSPP-DISABILITY-PENSION",
        "MLSPP-SURVIVOR-ALLOWANCE",
    ] {
        let service = c.service(code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!((service.fees.state, service.fees.service), (0, 0), "{code}");
        assert_eq!(service.fees.source, Source::CaseStudy, "{code}");
    }
    let id_card = c.service("MIA-ID-CARD").map(|s| s.fees.clone()).unwrap_or_else(|| panic!("MIA-ID-CARD"));
    let fees = id_card.to_fees(&c.country.currency.code, "en").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fees.currency, "AZN");
    assert_eq!(fees.bill(&Facts::new(Some(15), Vec::<String>::new())).total, 0, "under 16: free");
    assert!(fees.bill(&Facts::new(Some(30), Vec::<String>::new())).total > 0, "adults pay");
    assert_eq!(id_card.exemptions[0].reason.get("en"), Some("Persons under 16"));

    let home =
        c.service("SAPSSI-HOME-SERVICE").map(|s| s.fees.clone()).unwrap_or_else(|| panic!("home service"));
    let fees = home.to_fees("AZN", "az").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fees.bill(&Facts::new(Some(40), ["disability"])).total,
        0,
        "free for people with disabilities"
    );
    assert!(fees.bill(&Facts::new(Some(40), Vec::<String>::new())).total > 0);
}

#[test]
fn every_fee_not_stated_by_the_case_study_is_marked_assumed() {
    let c = demo();
    for service in &c.services {
        if service.fees.state > 0 || service.fees.service > 0 {
            assert_eq!(service.fees.source, Source::Assumed, "{}", service.code);
        }
        assert!(service.handling_minutes > 0);
    }
    assert_eq!(c.country.holidays.source, Source::Assumed);
}

#[test]
fn every_text_is_in_azerbaijani_english_and_russian() {
    let c = demo();
    assert_eq!(c.country.languages, ["az", "en", "ru"]);
    assert_eq!(c.country.default_language(), "az");
    let cyrillic = |s: &str| s.chars().any(|ch| ('\u{0400}'..='\u{04FF}').contains(&ch));
    for service in &c.services {
        for text in [&service.name, &service.description] {
            assert!(text.get("az").is_some_and(|s| !s.is_empty()), "{}", service.code);
            assert!(text.get("en").is_some_and(|s| !s.is_empty()), "{}", service.code);
            assert!(text.get("ru").is_some_and(cyrillic), "{} is not in Cyrillic", service.code);
        }
    }
    let birth = c.service("MOJ-BIRTH-REG").map(|s| s.name.get("az").unwrap_or("").to_owned());
    assert_eq!(birth.as_deref(), Some("Doğumun dövlət qeydiyyatı"));
}

#[test]
fn the_country_comes_from_the_file() {
    let c = demo();
    let country = &c.country;
    assert_eq!((country.code.as_str(), country.currency.code.as_str()), ("AZ", "AZN"));
    assert_eq!(country.currency.minor_units, 2);
    assert_eq!(country.time_zone, "Asia/Baku");
    assert_eq!(country.phone_prefix, "+994");
    assert!(country.national_id.is_valid("5ZK7P2M"));
    assert!(!country.national_id.is_valid("5zk7p2m"));
    assert!(!country.national_id.is_valid("5ZK7P2"));
    assert_eq!(country.weekend, [Weekday::Saturday, Weekday::Sunday]);
    let calendar = country.calendar().unwrap_or_else(|e| panic!("{e}"));
    assert!(!calendar.is_working_day(date(2026, 3, 23)), "Novruz");
    // An ID card applied for on the Wednesday before Novruz: ten working days later.
    let id_card = c.service("MIA-ID-CARD").map(|s| s.timeframe).unwrap_or_else(|| panic!("MIA-ID-CARD"));
    assert_eq!(calendar.deadline(date(2026, 3, 18), id_card), date(2026, 4, 8));
}

#[test]
fn import_export_import_gives_an_identical_registry() {
    let first = demo();
    let yaml = to_yaml(first);
    let second = match parse_catalogue(&yaml) {
        Ok(c) => c,
        Err(errors) => panic!("{errors}\n---\n{yaml}"),
    };
    assert_eq!(*first, second);
    assert_eq!(to_yaml(&second), yaml, "export is stable");
    let georgia = match parse_catalogue(GEORGIA) {
        Ok(c) => c,
        Err(errors) => panic!("{errors}"),
    };
    assert_eq!(parse_catalogue(&to_yaml(&georgia)), Ok(georgia));
}

// ---- broken files ----------------------------------------------------------------------------

const BROKEN: &str = r#"format: onestop-catalogue
version: 1
country:
  code: AZ
  name: {az: Azərbaycan, en: Azerbaijan}
  currency: {code: AZN, minor_units: 2}
  languages: [az, en]
  time_zone: Asia/Baku
  national_id: {name: {az: FİN, en: PIN}, length: 7, alphabet: alnum_upper}
  phone_prefix: "+994"
  weekend: [saturday, sunday]
groups:
  - {code: identity, name: {az: Şəxsiyyət sənədləri, en: Identity documents}}
providers:
  - {code: MIA, sector: public, kind: ministry, name: {az: Daxili İşlər Nazirliyi, en: Ministry of Internal Affairs}}
  - {code: MIA, sector: public, kind: ministry, name: {az: Təkrar, en: Again}}
services:
  - code: MIA-ID-CARD
    provider: MIA
    group: identity
    kind: public
    name: {az: Şəxsiyyət vəsiqəsi, en: Identity card}
    description: {az: Vəsiqə verilir., en: An identity card is issued.}
    timeframe: P1X
    handling_minutes: 15
    fees:
      state: -500
      service: 0
      exemptions:
        - {rule: "age < < 16", waives: state, reason: {az: 16 yaşınadək, en: Under 16}}
    channels: [centre]
  - code: MOJ-BIRTH-REG
    provider: MOJ
    group: identity
    kind: public
    name: {az: Doğumun qeydiyyatı, en: Registration of birth}
    description: {az: Doğum qeydə alınır., en: A birth is registered.}
    timeframe: P0D
    handling_minutes: 20
    fees: {state: 0, service: 0}
    channels: [centre]
centres:
  - code: BAKU-1
    kind: centre
    name: {az: Bakı 1, en: Baku 1}
    address: {az: Bakı, en: Baku}
    location: {lat: 40.4, lon: 49.87}
    hours:
      - {days: [monday, tuesday, wednesday], open: "10:00", close: "20:00"}
      - {days: [tuesday], open: "12:00", close: "18:00"}
    floors: [1]
    windows:
      - {number: 1, floor: 1, provider: MIA, services: [MIA-ID-CARD]}
"#;

#[test]
fn a_broken_file_is_rejected_with_every_error_by_line_and_field() {
    let found = errors(BROKEN);
    let summary: Vec<(usize, &str)> = found.iter().map(|e| (e.line, e.field.as_str())).collect();
    let rule_column = match Rule::parse("age < < 16") {
        Ok(_) => panic!("the rule should be bad"),
        Err(e) => e.column,
    };
    let expected = vec![
        (line_of(BROKEN, "en: Again"), "providers[MIA].code"),
        (line_of(BROKEN, "timeframe: P1X"), "services[MIA-ID-CARD].timeframe"),
        (line_of(BROKEN, "state: -500"), "services[MIA-ID-CARD].fees.state"),
        (line_of(BROKEN, "age < < 16"), "services[MIA-ID-CARD].fees.exemptions[0].rule"),
        (line_of(BROKEN, "provider: MOJ"), "services[MOJ-BIRTH-REG].provider"),
        (line_of(BROKEN, "days: [tuesday]"), "centres[BAKU-1].hours[1].days[0]"),
    ];
    assert_eq!(summary, expected, "{found:#?}");
    assert!(found[0].message.contains("duplicate provider code `MIA`"), "{}", found[0].message);
    assert!(found[1].message.contains("P1X"), "{}", found[1].message);
    assert!(found[2].message.contains("negative"), "{}", found[2].message);
    assert!(found[3].message.contains(&format!("column {rule_column}")), "{}", found[3].message);
    assert!(found[4].message.contains("unknown provider `MOJ`"), "{}", found[4].message);
    assert!(found[5].message.contains("overlapping hours"), "{}", found[5].message);
    let report = CatalogueErrors(found).to_string();
    assert!(report.starts_with("the catalogue has 6 errors"), "{report}");
}

/// BROKEN with its six errors fixed: a valid catalogue to break in one place at a time.
fn valid() -> String {
    let text = BROKEN
        .replace("  - {code: MIA, sector: public, kind: ministry, name: {az: Təkrar, en: Again}}\n", "")
        .replace("timeframe: P1X", "timeframe: P10D")
        .replace("state: -500", "state: 500")
        .replace("age < < 16", "age < 16")
        .replace("provider: MOJ", "provider: MIA")
        .replace("      - {days: [tuesday], open: \"12:00\", close: \"18:00\"}\n", "");
    if let Err(errors) = parse_catalogue(&text) {
        panic!("{errors}");
    }
    text
}

fn one_error(text: &str) -> CatalogueError {
    let mut found = errors(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

#[test]
fn yaml_syntax_errors_give_one_error_with_line_and_column() {
    let text = valid().replace("  weekend: [saturday, sunday]", "  weekend: [saturday, sunday");
    let error = one_error(&text);
    assert!(error.message.starts_with("not valid YAML"), "{error:?}");
    assert!(error.line >= line_of(&text, "weekend:"), "{error:?}");
    assert!(error.column >= 1);
}

#[test]
fn an_unknown_format_or_version_is_refused_before_anything_else() {
    let error = one_error(&valid().replace("format: onestop-catalogue", "format: something-else"));
    assert_eq!((error.line, error.field.as_str()), (1, "format"));
    let text = valid().replace("version: 1", "version: 2").replace("state: 500", "state: -1");
    let error = one_error(&text);
    assert_eq!((error.line, error.field.as_str()), (2, "version"));
    assert!(error.message.contains("version"), "{error:?}");
}

#[test]
fn unknown_keys_are_refused_where_they_are() {
    let text = valid().replace("    handling_minutes: 15\n", "    handling_minutes: 15\n    colour: red\n");
    let error = one_error(&text);
    assert_eq!(error.line, line_of(&text, "colour: red"));
    assert_eq!(error.field, "services[MIA-ID-CARD].colour");
    assert!(error.message.contains("unknown field `colour`"), "{error:?}");
}

#[test]
fn wrong_types_and_missing_fields_are_reported_per_item() {
    let text = valid()
        .replace("handling_minutes: 15", "handling_minutes: fifteen")
        .replace("    handling_minutes: 20\n", "");
    let found = errors(&text);
    let summary: Vec<(usize, &str)> = found.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (line_of(&text, "handling_minutes: fifteen"), "services[MIA-ID-CARD].handling_minutes"),
            (line_of(&text, "code: MOJ-BIRTH-REG"), "services[MOJ-BIRTH-REG]"),
        ],
        "{found:#?}"
    );
    assert!(found[1].message.contains("missing field `handling_minutes`"), "{found:#?}");
}

#[test]
fn texts_need_every_declared_language_and_no_other() {
    let text = valid().replace("name: {az: Bakı 1, en: Baku 1}", "name: {az: Bakı 1, ru: Баку 1}");
    let found = errors(&text);
    let line = line_of(&text, "Баку 1");
    let fields: Vec<(usize, &str)> = found.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(fields, vec![(line, "centres[BAKU-1].name"), (line, "centres[BAKU-1].name.ru")], "{found:#?}");
    assert!(found[0].message.contains("`en` text is missing"), "{found:#?}");
    assert!(found[1].message.contains("not a language declared"), "{found:#?}");
}

#[test]
fn coordinates_must_be_on_earth() {
    let error = one_error(&valid().replace("lat: 40.4, lon: 49.87", "lat: 140.4, lon: 49.87"));
    assert_eq!(error.field, "centres[BAKU-1].location.lat");
}

#[test]
fn hours_must_open_before_they_close() {
    let error =
        one_error(&valid().replace(r#"open: "10:00", close: "20:00""#, r#"open: "20:00", close: "10:00""#));
    assert_eq!(error.field, "centres[BAKU-1].hours[0].close");
    let error = one_error(&valid().replace(r#"close: "20:00""#, r#"close: "8pm""#));
    assert_eq!(error.field, "centres[BAKU-1].hours[0].close");
    assert!(error.message.contains("HH:MM"), "{error:?}");
}

#[test]
fn windows_must_render_their_providers_known_services_on_a_known_floor() {
    let base = valid();
    let window = "      - {number: 1, floor: 1, provider: MIA, services: [MIA-ID-CARD]}\n";
    let text = base.replace(
        window,
        &format!(
            "{window}      - {{number: 1, floor: 2, provider: MIA, services: [MIA-ID-CARD, MIA-NOPE]}}\n      - {{number: 3, floor: 1, provider: MIA, services: [MOJ-BIRTH-REG]}}\n"
        ),
    );
    // Make the second service belong to another provider, for the window of number 3.
    let text = text
        .replace(
            "providers:\n",
            "providers:\n  - {code: MOJ, sector: public, kind: ministry, name: {az: Ədliyyə Nazirliyi, en: Ministry of Justice}}\n",
        )
        .replace("    provider: MIA\n    group: identity\n    kind: public\n    name: {az: Doğumun", "    provider: MOJ\n    group: identity\n    kind: public\n    name: {az: Doğumun");
    let found = errors(&text);
    let fields: Vec<&str> = found.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "centres[BAKU-1].windows[1].number",
            "centres[BAKU-1].windows[1].floor",
            "centres[BAKU-1].windows[1].services[1]",
            "centres[BAKU-1].windows[2].services[0]",
        ],
        "{found:#?}"
    );
    assert!(found[2].message.contains("unknown service `MIA-NOPE`"));
    assert!(found[3].message.contains("rendered by `MOJ`"), "{found:#?}");
}

#[test]
fn bank_sections_belong_to_banks() {
    let text = valid().replace(
        "    windows:\n",
        "    bank_sections:\n      - {code: B1, floor: 1, provider: MIA}\n    windows:\n",
    );
    let error = one_error(&text);
    assert_eq!(error.field, "centres[BAKU-1].bank_sections[B1].provider");
    assert!(error.message.contains("not a bank"), "{error:?}");
}

#[test]
fn a_key_given_twice_is_reported_on_its_own_line() {
    let text =
        valid().replace("    handling_minutes: 15\n", "    handling_minutes: 15\n    handling_minutes: 16\n");
    let error = one_error(&text);
    assert_eq!(error.line, line_of(&text, "handling_minutes: 16"));
    assert_eq!(error.field, "services[MIA-ID-CARD].handling_minutes");
}

#[test]
fn a_bad_demo_file_lists_errors_from_all_over_it() {
    let text = DEMO
        .replacen("timeframe: P10D", "timeframe: 10 days", 1)
        .replacen("provider: SCPI\n", "provider: SCPI-X\n", 1)
        .replacen("{lat: 40.589, lon: 49.668}", "{lat: 40.589, lon: 249.668}", 1);
    let found = errors(&text);
    let fields: Vec<&str> = found.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "services[MIA-ID-CARD].timeframe",
            "services[SCPI-APARTMENT-EXTRACT].provider",
            "centres[SUMGAYIT].location.lon",
        ],
        "{found:#?}"
    );
}

// ---- another country -------------------------------------------------------------------------

const GEORGIA: &str = r#"format: onestop-catalogue
version: 1
country:
  code: GE
  name: {ka: საქართველო, en: Georgia}
  currency: {code: GEL, minor_units: 2}
  languages: [ka, en]
  time_zone: Asia/Tbilisi
  national_id: {name: {ka: პირადი ნომერი, en: Personal number}, length: 11, alphabet: digits}
  phone_prefix: "+995"
  weekend: [saturday, sunday]
  holidays:
    source: assumed
    days:
      - {date: 2026-01-01, name: {ka: ახალი წელი, en: New Year}}
      - {date: 2026-01-07, name: {ka: შობა, en: Orthodox Christmas}}
      - {date: 2026-05-26, name: {ka: დამოუკიდებლობის დღე, en: Independence Day}}
groups:
  - {code: identity, name: {ka: პირადობის დამადასტურებელი დოკუმენტები, en: Identity documents}}
providers:
  - code: PSDA
    sector: public
    kind: agency
    name: {ka: სახელმწიფო სერვისების განვითარების სააგენტო, en: Public Service Development Agency}
services:
  - code: PSDA-ID-CARD
    provider: PSDA
    group: identity
    kind: public
    name: {ka: პირადობის მოწმობის გაცემა, en: Issue of an identity card}
    description: {ka: გაიცემა ელექტრონული პირადობის მოწმობა., en: An electronic identity card is issued.}
    timeframe: P10D
    handling_minutes: 15
    fees:
      state: 3000
      service: 0
      exemptions:
        - {rule: pensioner or age < 18, waives: state, reason: {ka: შეღავათი, en: Reduced groups}}
      source: assumed
    channels: [centre, online]
centres:
  - code: TBILISI-1
    kind: centre
    name: {ka: თბილისის იუსტიციის სახლი, en: Tbilisi Public Service Hall}
    address: {ka: "სანაპიროს ქ. 2, თბილისი", en: "2 Sanapiro Street, Tbilisi"}
    location: {lat: 41.6946, lon: 44.8073}
    hours:
      - {days: [monday, tuesday, wednesday, thursday, friday, saturday], open: "09:00", close: "20:00"}
    floors: [1]
    windows:
      - {number: 1, floor: 1, provider: PSDA, services: [PSDA-ID-CARD]}
"#;

#[test]
fn another_country_runs_onestop_with_its_own_file() {
    let c = match parse_catalogue(GEORGIA) {
        Ok(c) => c,
        Err(errors) => panic!("{errors}"),
    };
    assert_eq!(c.country.code, "GE");
    assert_eq!(c.country.currency.code, "GEL");
    assert_eq!(c.country.languages, ["ka", "en"]);
    assert_eq!(c.country.default_language(), "ka");
    assert_eq!(c.country.time_zone, "Asia/Tbilisi");
    assert!(c.country.national_id.is_valid("01001012345"));
    assert!(!c.country.national_id.is_valid("5ZK7P2M"));
    let calendar = c.country.calendar().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(calendar.holiday(date(2026, 1, 7)), Some("შობა"));
    let centre = c.centre("TBILISI-1").unwrap_or_else(|| panic!("TBILISI-1"));
    assert_eq!(centre.hours_on(Weekday::Saturday), Some((hm(9, 0), hm(20, 0))));
    assert_eq!(centre.hours_on(Weekday::Sunday), None);
    assert_eq!(centre.name.get_or("de", "ka"), "თბილისის იუსტიციის სახლი");
    let service = c.service("PSDA-ID-CARD").unwrap_or_else(|| panic!("PSDA-ID-CARD"));
    let fees = service.fees.to_fees(&c.country.currency.code, "en").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fees.bill(&Facts::new(Some(70), ["pensioner"])).total, 0);
    assert_eq!(fees.bill(&Facts::new(Some(30), Vec::<String>::new())).total, 3000);
    // The Azerbaijani text the ASAN file has is not a language of this file.
    let error = one_error(
        &GEORGIA.replace("{ka: საქართველო, en: Georgia}", "{ka: საქართველო, en: Georgia, az: Gürcüstan}"),
    );
    assert_eq!(error.field, "country.name.az");
}

#[test]
fn texts_that_look_like_other_yaml_survive_export() {
    let mut c = match parse_catalogue(GEORGIA) {
        Ok(c) => c,
        Err(errors) => panic!("{errors}"),
    };
    let awkward = [
        "  leading and trailing  ",
        "two  spaces, a # hash and a: colon",
        "yes",
        "null",
        "~",
        "0123",
        "+995",
        "2026-01-01",
        "10:00",
        "line one\nline two\n",
        "\"double\" and 'single' quotes",
        "- dash",
        "a backslash \\ and a tab\t",
        "a very long text that goes on and on, well past eighty characters, so that a serializer might want to fold it",
    ];
    let service = &mut c.services[0];
    for value in awkward {
        let text = Text::new().with("ka", value).with("en", value);
        service.documents.push(Document { name: text.clone(), notes: Some(text) });
    }
    service.code = ServiceCode::new("108");
    c.centres[0].windows[0].services = vec![ServiceCode::new("108")];
    let yaml = to_yaml(&c);
    assert_eq!(parse_catalogue(&yaml), Ok(c), "{yaml}");
}

#[test]
fn services_are_found_by_words_in_any_language() {
    let catalogue = onestop_domain::catalogue::parse_catalogue(DEMO).expect("the demo parses");
    let passport = catalogue.service("MIA-PASSPORT").expect("the passport service");
    assert!(passport.matches_words(""));
    assert!(passport.matches_words("PASSPORT"));
    assert!(passport.matches_words("паспорт"));
    assert!(passport.matches_words("pasport"));
    assert!(!passport.matches_words("passport marriage"), "every word must appear");
    let found: Vec<_> = catalogue
        .services
        .iter()
        .filter(|s| s.matches_words("conviction"))
        .map(|s| s.code.as_str())
        .collect();
    assert_eq!(found, ["MIA-CONVICTION-RECORD"]);
}
