//! Open data: the registry as CPSV-AP 3.2.0, in Turtle ([`to_turtle`]) and JSON-LD ([`to_jsonld`]).
//!
//! CPSV-AP (the EU's Core Public Service Vocabulary Application Profile) is how public
//! administrations publish what services they offer. Both functions describe the same RDF graph,
//! which conforms to the official SHACL shapes of release 3.2.0 (`scripts/check-cpsv.py` checks
//! an export with pyshacl). The output is deterministic: nodes ordered by IRI, properties by name,
//! values by their text, so the same catalogue always gives the same bytes.
//!
//! # What is exported
//!
//! CPSV-AP describes *public* services: every `cpsv:PublicService` must have a competent
//! authority that is a `cv:PublicOrganisation`. A company is not one, and the catalogue names no
//! public body answerable for the companies' services, so only the services of public-sector
//! providers ([`Sector::Public`]) are exported ([`exported_services`]), functional subsidiary ones
//! of public bodies included. The services of companies (banks, insurers, utilities…) are left
//! out rather than given an authority the catalogue does not state.
//!
//! # Mapping
//!
//! IRIs are minted under `{base}id/`; `base` is the public base URL, e.g.
//! `https://onestop.example/` (a missing final `/` is added). Every node that the shapes require
//! to have one carries exactly one `dct:identifier`.
//!
//! - **service** → `cpsv:PublicService` `{base}id/service/{code}`: `dct:identifier` the code,
//!   `dct:title` the name and `dct:description` in every language, `cv:processingTime` the legal
//!   timeframe as `xsd:duration` (`P10D`; the catalogue counts working days), `dct:spatial` the
//!   country.
//! - **provider** (public sector) → `cv:PublicOrganisation` (also `org:Organization`,
//!   `foaf:Agent`) `{base}id/organisation/{code}`, via `cv:hasCompetentAuthority`:
//!   `dct:identifier`, `skos:prefLabel` and `dct:title` the name, `dct:spatial` the country.
//! - **country** → `dct:Location`: the EU country authority IRI (`…/authority/country/AZE`).
//! - **state fee, service fee** → `cv:Cost` `{base}id/cost/{code}/state-fee` (`service-fee`),
//!   via `cv:hasCost`, also when zero: `cv:hasValue` in major units as `xsd:double` (written from
//!   the integer minor units, never through a float), `cv:currency` the EU currency authority IRI
//!   (a `skos:Concept`), `dct:description` "State fee"@en.
//! - **fee exemption** → `cpsv:Rule` `{base}id/rule/{code}/exemption/{n}`, via `cpsv:follows`:
//!   `dct:title` the reason in every language, `dct:description` the fee it waives and the rule
//!   (`Waives the state fee where: age < 16`), `dct:type` fee exemption.
//! - **steps** → one `cpsv:Rule` `{base}id/rule/{code}/procedure`, via `cpsv:follows`:
//!   `dct:title` the service's name, `dct:description` the numbered steps in every language,
//!   `dct:type` procedure.
//! - **document** → `cv:Evidence` `{base}id/evidence/{code}/{n}`, via `cpsv:hasInput`: `dct:title`
//!   the name, `dct:description` the notes.
//! - **group, kind** → `skos:Concept`s, via `cv:isClassifiedBy`.
//! - **centre or bus offering the service** → `cv:Channel` `{base}id/channel/centre/{code}`, via
//!   `cv:hasChannel`: `dct:type` centre, mobile bus or utility centre, `dct:description` its name,
//!   `locn:address` a `locn:Address` (`locn:fullAddress`), `locn:location` a `dct:Location` with a
//!   WKT point (`locn:geometry`), `cv:openingHours` and `cv:specialOpeningHoursSpecification`
//!   `time:TemporalEntity`s (`dct:description`, weekly hours with `cv:frequency` WEEKLY).
//! - **a channel no listed place serves** (online, call centre, home service; centre or bus when
//!   no place is listed) → `cv:Channel` `{base}id/channel/{channel}` of that type.
//!
//! The code lists the shapes ask for are onestop's own `skos:ConceptScheme`s under
//! `{base}id/concept/` (channel type, rule type, service group, service kind), each concept with
//! `skos:notation` its catalogue spelling. Every code-list IRI referenced is typed in the export
//! (`skos:Concept`, `dct:Location`), as the shapes' `sh:class` checks need. Life events, handling
//! minutes, windows, bank sections and bus timetables have no CPSV-AP counterpart and are not
//! exported. Labels that the catalogue does not hold (fee, channel and rule kinds, weekday hours)
//! are in English; every catalogue text keeps all its languages.
//!
//! The JSON-LD carries the official CPSV-AP 3.2.0 context inline (vendored in
//! `src/cpsv/cpsv-ap.jsonld`, © European Union, CC-BY 4.0), followed by the prefixes it uses, as
//! the official example does, so it needs no network to be read.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Time, Weekday};
use serde_json::Value;

use crate::catalogue::{
    Catalogue, Centre, CentreKind, Channel, DayHours, Sector, Service, ServiceKind, Text,
};
use crate::fees::Waives;

/// The media type of [`to_turtle`]'s output.
pub const TURTLE_MEDIA_TYPE: &str = "text/turtle; charset=utf-8";

/// The media type of [`to_jsonld`]'s output.
pub const JSONLD_MEDIA_TYPE: &str = "application/ld+json";

/// The official context, unchanged (see `cpsv/README.md`).
const OFFICIAL_CONTEXT: &str = include_str!("cpsv/cpsv-ap.jsonld");

/// Where the official context is published; used only should the embedded copy not parse.
const OFFICIAL_CONTEXT_IRI: &str =
    "https://semiceu.github.io/uri.semic.eu-generated/CPSV-AP/releases/3.2.0/context/cpsv-ap.jsonld";

/// The prefixes of both outputs.
const PREFIXES: &[(&str, &str)] = &[
    ("cpsv", "http://purl.org/vocab/cpsv#"),
    ("cv", "http://data.europa.eu/m8g/"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("time", "http://www.w3.org/2006/time#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// The EU Publications Office's authority tables.
const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

/// The services the export describes: those of public-sector providers, in file order.
///
/// A `cpsv:PublicService` needs a `cv:PublicOrganisation` as its competent authority, which a
/// company is not; see the module documentation.
pub fn exported_services(catalogue: &Catalogue) -> impl Iterator<Item = &Service> + '_ {
    catalogue.services.iter().filter(|service| {
        catalogue.provider(service.provider.as_str()).is_some_and(|p| p.sector == Sector::Public)
    })
}

/// The registry as CPSV-AP 3.2.0 Turtle, with IRIs minted under `base`, an absolute URL (e.g.
/// `https://onestop.example/`). Deterministic: the same catalogue gives the same bytes, whatever
/// the order of its lists.
pub fn to_turtle(catalogue: &Catalogue, base: &str) -> String {
    let graph = build(catalogue, base);
    let mut out = String::from("# The onestop registry as CPSV-AP 3.2.0.\n");
    for (prefix, namespace) in PREFIXES {
        out.push_str(&format!("@prefix {prefix}: <{namespace}> .\n"));
    }
    for (subject, node) in &graph.nodes {
        out.push_str(&format!("\n<{subject}>"));
        let mut first = true;
        let mut separator = |out: &mut String| {
            out.push_str(if first { " " } else { " ;\n    " });
            first = false;
        };
        if !node.types.is_empty() {
            separator(&mut out);
            let types: Vec<&str> = node.types.iter().copied().collect();
            out.push_str(&format!("a {}", types.join(", ")));
        }
        for (predicate, objects) in &node.properties {
            separator(&mut out);
            let objects: Vec<String> = objects.iter().map(Object::turtle).collect();
            // A long list is written one value a line.
            let long = objects.iter().map(|o| o.len() + 2).sum::<usize>() > 100;
            out.push_str(&format!("{predicate} {}", objects.join(if long { ",\n        " } else { ", " })));
        }
        out.push_str(" .\n");
    }
    out
}

/// The registry as CPSV-AP 3.2.0 JSON-LD: the same graph as [`to_turtle`], with the official
/// context inline. Deterministic: the same catalogue gives the same bytes.
pub fn to_jsonld(catalogue: &Catalogue, base: &str) -> String {
    let graph = build(catalogue, base);
    let nodes: Vec<Value> = graph
        .nodes
        .iter()
        .map(|(subject, node)| {
            let mut entries = BTreeMap::new();
            entries.insert("@id".to_owned(), Value::String(subject.clone()));
            let types: Vec<Value> =
                node.types.iter().map(|t| Value::String(jsonld_class(t).to_owned())).collect();
            if !types.is_empty() {
                entries.insert("@type".to_owned(), one_or_many(types));
            }
            for (predicate, objects) in &node.properties {
                let values = objects.iter().map(Object::jsonld).collect();
                entries.insert((*predicate).to_owned(), one_or_many(values));
            }
            object(entries)
        })
        .collect();
    let prefixes = PREFIXES
        .iter()
        .map(|(prefix, namespace)| ((*prefix).to_owned(), Value::String((*namespace).to_owned())));
    let mut document = BTreeMap::new();
    document
        .insert("@context".to_owned(), Value::Array(vec![official_context(), object(prefixes.collect())]));
    document.insert("@graph".to_owned(), Value::Array(nodes));
    match serde_json::to_string_pretty(&object(document)) {
        Ok(mut json) => {
            json.push('\n');
            json
        }
        // A `Value` has string keys only, which the serializer always accepts.
        Err(_) => String::from("{}\n"),
    }
}

// ---- the graph -----------------------------------------------------------------------------

/// An RDF object, ordered IRIs first and texts by language. IRIs are absolute and safe to write
/// between `<>`; predicates, classes and datatypes are prefixed names of [`PREFIXES`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Object {
    Iri(String),
    Plain(String),
    Lang { language: String, value: String },
    Typed { value: String, datatype: &'static str },
}

impl Object {
    fn turtle(&self) -> String {
        match self {
            Object::Iri(iri) => format!("<{iri}>"),
            Object::Plain(value) => turtle_string(value),
            Object::Lang { value, language } => format!("{}@{language}", turtle_string(value)),
            Object::Typed { value, datatype } => format!("{}^^{datatype}", turtle_string(value)),
        }
    }

    fn jsonld(&self) -> Value {
        let entries: Vec<(&str, &str)> = match self {
            Object::Iri(iri) => vec![("@id", iri)],
            Object::Plain(value) => return Value::String(value.clone()),
            Object::Lang { value, language } => vec![("@language", language), ("@value", value)],
            Object::Typed { value, datatype } => vec![("@type", datatype), ("@value", value)],
        };
        object(entries.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v.to_owned()))).collect())
    }
}

#[derive(Debug, Default)]
struct Node {
    types: BTreeSet<&'static str>,
    properties: BTreeMap<&'static str, BTreeSet<Object>>,
}

/// A set of triples grouped by subject; adding a triple twice keeps one.
#[derive(Debug, Default)]
struct Graph {
    nodes: BTreeMap<String, Node>,
}

impl Graph {
    fn typed(&mut self, subject: &str, class: &'static str) {
        self.nodes.entry(subject.to_owned()).or_default().types.insert(class);
    }

    fn add(&mut self, subject: &str, predicate: &'static str, object: Object) {
        self.nodes
            .entry(subject.to_owned())
            .or_default()
            .properties
            .entry(predicate)
            .or_default()
            .insert(object);
    }

    fn link(&mut self, subject: &str, predicate: &'static str, object: &str) {
        self.add(subject, predicate, Object::Iri(object.to_owned()));
    }

    fn plain(&mut self, subject: &str, predicate: &'static str, value: &str) {
        self.add(subject, predicate, Object::Plain(value.to_owned()));
    }

    fn english(&mut self, subject: &str, predicate: &'static str, value: &str) {
        self.lang(subject, predicate, "en", value);
    }

    fn lang(&mut self, subject: &str, predicate: &'static str, language: &str, value: &str) {
        // A blank text is no text; a tag that is not a language tag cannot be written.
        if !value.trim().is_empty() && is_language_tag(language) {
            let object = Object::Lang { language: language.to_owned(), value: value.to_owned() };
            self.add(subject, predicate, object);
        }
    }

    /// Every language of `text`.
    fn text(&mut self, subject: &str, predicate: &'static str, text: &Text) {
        for (language, value) in text.iter() {
            self.lang(subject, predicate, language, value);
        }
    }
}

/// Mints the export's IRIs.
struct Ids {
    base: String,
}

impl Ids {
    fn new(base: &str) -> Ids {
        let mut base = safe_iri(base);
        if !base.ends_with('/') {
            base.push('/');
        }
        Ids { base }
    }

    /// `{base}id/{segments…}`, each segment percent-encoded.
    fn id(&self, segments: &[&str]) -> String {
        let mut iri = format!("{}id", self.base);
        for segment in segments {
            iri.push('/');
            iri.push_str(&percent_encode(segment));
        }
        iri
    }
}

/// Builds the graph both outputs write.
fn build(catalogue: &Catalogue, base: &str) -> Graph {
    let ids = Ids::new(base);
    let mut graph = Graph::default();
    let country = country(&mut graph, catalogue, &ids);
    let currency = format!("{EU_AUTHORITY}currency/{}", percent_encode(&catalogue.country.currency.code));
    graph.typed(&currency, "skos:Concept");

    for service in exported_services(catalogue) {
        let code = service.code.as_str();
        let s = ids.id(&["service", code]);
        graph.typed(&s, "cpsv:PublicService");
        graph.plain(&s, "dct:identifier", code);
        graph.text(&s, "dct:title", &service.name);
        graph.text(&s, "dct:description", &service.description);
        let timeframe = service.timeframe.to_string();
        graph.add(&s, "cv:processingTime", Object::Typed { value: timeframe, datatype: "xsd:duration" });
        graph.link(&s, "dct:spatial", &country);

        if let Some(provider) = catalogue.provider(service.provider.as_str()) {
            let o = ids.id(&["organisation", provider.code.as_str()]);
            for class in ["cv:PublicOrganisation", "org:Organization", "foaf:Agent"] {
                graph.typed(&o, class);
            }
            graph.plain(&o, "dct:identifier", provider.code.as_str());
            graph.text(&o, "skos:prefLabel", &provider.name);
            graph.text(&o, "dct:title", &provider.name);
            graph.link(&o, "dct:spatial", &country);
            graph.link(&s, "cv:hasCompetentAuthority", &o);
        }

        let fees = [
            (service.fees.state, "state-fee", "State fee"),
            (service.fees.service, "service-fee", "Service fee"),
        ];
        for (amount, which, label) in fees {
            let c = ids.id(&["cost", code, which]);
            graph.typed(&c, "cv:Cost");
            graph.plain(&c, "dct:identifier", &format!("{code}/{which}"));
            let value = major_units(amount, catalogue.country.currency.minor_units);
            graph.add(&c, "cv:hasValue", Object::Typed { value, datatype: "xsd:double" });
            graph.link(&c, "cv:currency", &currency);
            graph.english(&c, "dct:description", label);
            graph.link(&s, "cv:hasCost", &c);
        }

        for (n, document) in (1..).zip(&service.documents) {
            let e = ids.id(&["evidence", code, &n.to_string()]);
            graph.typed(&e, "cv:Evidence");
            graph.plain(&e, "dct:identifier", &format!("{code}/evidence/{n}"));
            graph.text(&e, "dct:title", &document.name);
            if let Some(notes) = &document.notes {
                graph.text(&e, "dct:description", notes);
            }
            graph.link(&s, "cpsv:hasInput", &e);
        }

        if !service.steps.is_empty() {
            let r = ids.id(&["rule", code, "procedure"]);
            graph.typed(&r, "cpsv:Rule");
            graph.plain(&r, "dct:identifier", &format!("{code}/procedure"));
            graph.text(&r, "dct:title", &service.name);
            for (language, steps) in numbered_steps(&service.steps) {
                graph.lang(&r, "dct:description", &language, &steps);
            }
            let kind = concept(&mut graph, &ids, &RULE_TYPE, "procedure", &Label::English("Procedure"));
            graph.link(&r, "dct:type", &kind);
            graph.link(&s, "cpsv:follows", &r);
        }

        for (n, exemption) in (1..).zip(&service.fees.exemptions) {
            let r = ids.id(&["rule", code, "exemption", &n.to_string()]);
            graph.typed(&r, "cpsv:Rule");
            graph.plain(&r, "dct:identifier", &format!("{code}/exemption/{n}"));
            graph.text(&r, "dct:title", &exemption.reason);
            let waived = match exemption.waives {
                Waives::State => "the state fee",
                Waives::Service => "the service fee",
                Waives::Both => "the state fee and the service fee",
            };
            graph.english(&r, "dct:description", &format!("Waives {waived} where: {}", exemption.rule));
            let kind =
                concept(&mut graph, &ids, &RULE_TYPE, "fee-exemption", &Label::English("Fee exemption"));
            graph.link(&r, "dct:type", &kind);
            graph.link(&s, "cpsv:follows", &r);
        }

        let group_name = catalogue.group(service.group.as_str()).map(|g| g.name.clone()).unwrap_or_default();
        let group = concept(&mut graph, &ids, &GROUP, service.group.as_str(), &Label::Text(group_name));
        graph.link(&s, "cv:isClassifiedBy", &group);
        let (kind, label) = match service.kind {
            ServiceKind::Public => ("public", "Public service"),
            ServiceKind::FunctionalSubsidiary => ("functional_subsidiary", "Functional subsidiary service"),
        };
        let kind = concept(&mut graph, &ids, &SERVICE_KIND, kind, &Label::English(label));
        graph.link(&s, "cv:isClassifiedBy", &kind);

        let places = catalogue.offered_at(code);
        for centre in &places {
            let channel = place_channel(&mut graph, &ids, centre);
            graph.link(&s, "cv:hasChannel", &channel);
        }
        for &channel in &service.channels {
            if places.iter().any(|centre| channel_of(centre.kind) == channel) {
                continue;
            }
            let (type_code, label) = channel_type(channel);
            let c = ids.id(&["channel", type_code]);
            graph.typed(&c, "cv:Channel");
            graph.plain(&c, "dct:identifier", type_code);
            graph.english(&c, "dct:description", label);
            let kind = concept(&mut graph, &ids, &CHANNEL_TYPE, type_code, &Label::English(label));
            graph.link(&c, "dct:type", &kind);
            graph.link(&s, "cv:hasChannel", &c);
        }
    }
    graph
}

/// The country as a `dct:Location`: its EU authority IRI, or one of the export's own for a code
/// that is not in ISO 3166-1.
fn country(graph: &mut Graph, catalogue: &Catalogue, ids: &Ids) -> String {
    let code = catalogue.country.code.as_str();
    match alpha3(code) {
        Some(alpha3) => {
            let iri = format!("{EU_AUTHORITY}country/{alpha3}");
            graph.typed(&iri, "dct:Location");
            iri
        }
        None => {
            let iri = ids.id(&["location", "country", code]);
            graph.typed(&iri, "dct:Location");
            graph.plain(&iri, "dct:identifier", code);
            graph.text(&iri, "skos:prefLabel", &catalogue.country.name);
            iri
        }
    }
}

/// A centre or bus as a channel, with its address, place, hours and special days.
fn place_channel(graph: &mut Graph, ids: &Ids, centre: &Centre) -> String {
    let code = centre.code.as_str();
    let c = ids.id(&["channel", "centre", code]);
    if graph.nodes.contains_key(&c) {
        return c;
    }
    graph.typed(&c, "cv:Channel");
    graph.plain(&c, "dct:identifier", code);
    graph.text(&c, "dct:description", &centre.name);
    let (type_code, label) = match centre.kind {
        CentreKind::Centre => channel_type(Channel::Centre),
        CentreKind::MobileBus => channel_type(Channel::MobileBus),
        CentreKind::UtilityCentre => ("utility_centre", "Utility service centre"),
    };
    let kind = concept(graph, ids, &CHANNEL_TYPE, type_code, &Label::English(label));
    graph.link(&c, "dct:type", &kind);

    let address = ids.id(&["address", code]);
    graph.typed(&address, "locn:Address");
    graph.text(&address, "locn:fullAddress", &centre.address);
    graph.link(&c, "locn:address", &address);

    let location = ids.id(&["location", code]);
    graph.typed(&location, "dct:Location");
    let point = format!("POINT({} {})", centre.location.lon, centre.location.lat);
    graph.add(&location, "locn:geometry", Object::Typed { value: point, datatype: "gsp:wktLiteral" });
    graph.link(&c, "locn:location", &location);

    let weekly = format!("{EU_AUTHORITY}frequency/WEEKLY");
    for (n, hours) in (1..).zip(&centre.hours) {
        let h = ids.id(&["hours", code, &n.to_string()]);
        graph.typed(&h, "time:TemporalEntity");
        let text = format!("{} {}", days(&hours.days), span(hours.open, hours.close));
        graph.english(&h, "dct:description", &text);
        graph.typed(&weekly, "skos:Concept");
        graph.link(&h, "cv:frequency", &weekly);
        graph.link(&c, "cv:openingHours", &h);
    }
    for special in &centre.special_days {
        let date = special.date.to_string();
        let h = ids.id(&["hours", code, "special", &date]);
        graph.typed(&h, "time:TemporalEntity");
        let hours = match special.hours {
            DayHours::Closed => None,
            DayHours::Open { open, close } => Some(span(open, close)),
        };
        let english_note = special.note.as_ref().and_then(|note| note.get("en"));
        let english = match (&hours, english_note) {
            (Some(hours), None) => format!("{date}, {hours}"),
            (Some(hours), Some(note)) => format!("{date}, {hours}: {note}"),
            (None, None) => format!("{date}, closed"),
            (None, Some(note)) => format!("{date}, closed: {note}"),
        };
        graph.english(&h, "dct:description", &english);
        for (language, note) in special.note.iter().flat_map(Text::iter).filter(|(l, _)| *l != "en") {
            let text = match &hours {
                Some(hours) => format!("{date}, {hours}: {note}"),
                None => format!("{date}: {note}"),
            };
            graph.lang(&h, "dct:description", language, &text);
        }
        graph.link(&c, "cv:specialOpeningHoursSpecification", &h);
    }
    c
}

/// The channel a kind of place serves.
fn channel_of(kind: CentreKind) -> Channel {
    match kind {
        CentreKind::Centre | CentreKind::UtilityCentre => Channel::Centre,
        CentreKind::MobileBus => Channel::MobileBus,
    }
}

/// A channel's code (its catalogue spelling) and English label.
fn channel_type(channel: Channel) -> (&'static str, &'static str) {
    match channel {
        Channel::Centre => ("centre", "Service centre"),
        Channel::MobileBus => ("mobile_bus", "Mobile service bus"),
        Channel::HomeService => ("home_service", "Home service"),
        Channel::Online => ("online", "Online"),
        Channel::CallCentre => ("call_centre", "Call centre"),
    }
}

// ---- the export's own code lists -------------------------------------------------------------

/// One of the export's concept schemes: its IRI segment and English title.
struct Scheme {
    segment: &'static str,
    title: &'static str,
}

const CHANNEL_TYPE: Scheme = Scheme { segment: "channel-type", title: "Channel types" };
const RULE_TYPE: Scheme = Scheme { segment: "rule-type", title: "Rule types" };
const GROUP: Scheme = Scheme { segment: "group", title: "Service groups" };
const SERVICE_KIND: Scheme = Scheme { segment: "service-kind", title: "Service kinds" };

enum Label {
    English(&'static str),
    Text(Text),
}

/// The concept `code` of `scheme`, `{base}id/concept/{scheme}/{code}`.
fn concept(graph: &mut Graph, ids: &Ids, scheme: &Scheme, code: &str, label: &Label) -> String {
    let scheme_iri = ids.id(&["concept", scheme.segment]);
    graph.typed(&scheme_iri, "skos:ConceptScheme");
    graph.english(&scheme_iri, "dct:title", scheme.title);
    let iri = ids.id(&["concept", scheme.segment, code]);
    graph.typed(&iri, "skos:Concept");
    graph.plain(&iri, "skos:notation", code);
    graph.link(&iri, "skos:inScheme", &scheme_iri);
    match label {
        Label::English(label) => graph.english(&iri, "skos:prefLabel", label),
        Label::Text(text) => graph.text(&iri, "skos:prefLabel", text),
    }
    iri
}

// ---- values --------------------------------------------------------------------------------

/// `minor` minor units in major units, written exactly: 500 with 2 places is `5.00`.
fn major_units(minor: i64, places: u8) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let mut digits = minor.unsigned_abs().to_string();
    let places = usize::from(places);
    if places == 0 {
        return format!("{sign}{digits}");
    }
    if digits.len() <= places {
        digits = format!("{}{digits}", "0".repeat(places + 1 - digits.len()));
    }
    let (whole, fraction) = digits.split_at(digits.len() - places);
    format!("{sign}{whole}.{fraction}")
}

/// The steps numbered one per line, per language.
fn numbered_steps(steps: &[Text]) -> BTreeMap<String, String> {
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for (n, step) in (1..).zip(steps) {
        for (language, value) in step.iter() {
            let text = texts.entry(language.to_owned()).or_default();
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("{n}. {value}"));
        }
    }
    texts
}

/// `Monday to Friday`, or the days listed: `Saturday, Sunday`.
fn days(days: &[Weekday]) -> String {
    let mut days = days.to_vec();
    days.sort_by_key(|d| d.to_monday_zero_offset());
    days.dedup();
    let consecutive =
        days.windows(2).all(|w| w[1].to_monday_zero_offset() == w[0].to_monday_zero_offset() + 1);
    match days.as_slice() {
        [first, .., last] if days.len() > 2 && consecutive => {
            format!("{} to {}", weekday(*first), weekday(*last))
        }
        _ => days.iter().map(|d| weekday(*d)).collect::<Vec<_>>().join(", "),
    }
}

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// `10:00–20:00`.
fn span(open: Time, close: Time) -> String {
    format!("{:02}:{:02}–{:02}:{:02}", open.hour(), open.minute(), close.hour(), close.minute())
}

/// A Turtle string literal: `"…"` with `"`, `\` and control characters escaped.
fn turtle_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A language tag as Turtle and JSON-LD accept it: letters, then `-` and letters or digits.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An IRI segment: every byte but the unreserved characters percent-encoded.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `iri` with the characters that may not appear in a Turtle IRI (spaces, controls,
/// `<>"{}|^`\`) percent-encoded.
fn safe_iri(iri: &str) -> String {
    let mut out = String::with_capacity(iri.len());
    for c in iri.chars() {
        if c <= ' ' || c == '\u{7f}' || "<>\"{}|^`\\".contains(c) {
            let mut buffer = [0; 4];
            for b in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---- JSON-LD -------------------------------------------------------------------------------

/// The official context's term for a class, where it has one; else the prefixed name.
fn jsonld_class(class: &'static str) -> &'static str {
    match class {
        "cpsv:PublicService" => "PublicService",
        "cv:PublicOrganisation" => "PublicOrganization",
        "org:Organization" => "Organization",
        "foaf:Agent" => "Agent",
        "cv:Cost" => "Cost",
        "cv:Channel" => "Channel",
        "cv:Evidence" => "Evidence",
        "cpsv:Rule" => "Rule",
        "skos:Concept" => "Concept",
        "dct:Location" => "Location",
        "locn:Address" => "Address",
        "time:TemporalEntity" => "TemporalEntity",
        other => other,
    }
}

/// The official context object, keys sorted; its published IRI should the copy not parse.
fn official_context() -> Value {
    match serde_json::from_str::<Value>(OFFICIAL_CONTEXT) {
        Ok(Value::Object(mut file)) => match file.remove("@context") {
            Some(context) => sorted(context),
            None => Value::String(OFFICIAL_CONTEXT_IRI.to_owned()),
        },
        _ => Value::String(OFFICIAL_CONTEXT_IRI.to_owned()),
    }
}

/// `value` with every object's keys in sorted order, whichever map serde_json is built with.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => object(map.into_iter().map(|(k, v)| (k, sorted(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// A JSON object with its keys in sorted order.
fn object(entries: BTreeMap<String, Value>) -> Value {
    Value::Object(entries.into_iter().collect())
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 { values.remove(0) } else { Value::Array(values) }
}

/// ISO 3166-1 alpha-2 to alpha-3, from the iso-codes 4.15 tables: `AZ` → `AZE`.
fn alpha3(alpha2: &str) -> Option<&'static str> {
    const TABLE: &str = concat!(
        "ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO AQATA ARARG ASASM ATAUT AUAUS AWABW AXALA ",
        "AZAZE BABIH BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES ",
        "BRBRA BSBHS BTBTN BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK ",
        "CLCHL CMCMR CNCHN COCOL CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA ",
        "DODOM DZDZA ECECU EEEST EGEGY EHESH ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA ",
        "GAGAB GBGBR GDGRD GEGEO GFGUF GGGGY GHGHA GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GSSGS ",
        "GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD HNHND HRHRV HTHTI HUHUN IDIDN IEIRL ILISR IMIMN ININD ",
        "IOIOT IQIRQ IRIRN ISISL ITITA JEJEY JMJAM JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA ",
        "KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA ",
        "LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD MLMLI MMMMR MNMNG MOMAC MPMNP MQMTQ ",
        "MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM NCNCL NENER NFNFK NGNGA NINIC ",
        "NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG PHPHL PKPAK PLPOL PMSPM ",
        "PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA SASAU SBSLB SCSYC ",
        "SDSDN SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD STSTP SVSLV ",
        "SXSXM SYSYR SZSWZ TCTCA TDTCD TFATF TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON TRTUR ",
        "TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA UMUMI USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR ",
        "VNVNM VUVUT WFWLF WSWSM YEYEM YTMYT ZAZAF ZMZMB ZWZWE ",
    );
    if alpha2.len() != 2 {
        return None;
    }
    TABLE.split(' ').find(|entry| entry.len() == 5 && entry.starts_with(alpha2)).map(|entry| &entry[2..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::parse_catalogue;

    const BASE: &str = "https://onestop.example/";

    fn demo() -> Catalogue {
        match parse_catalogue(include_str!("../../../catalogue/asan-demo.yaml")) {
            Ok(catalogue) => catalogue,
            Err(errors) => panic!("{errors}"),
        }
    }

    #[test]
    fn amounts_are_written_exactly_in_major_units() {
        assert_eq!(major_units(500, 2), "5.00");
        assert_eq!(major_units(5, 2), "0.05");
        assert_eq!(major_units(0, 2), "0.00");
        assert_eq!(major_units(123_456, 2), "1234.56");
        assert_eq!(major_units(7, 0), "7");
        assert_eq!(major_units(1, 3), "0.001");
        assert_eq!(major_units(-250, 2), "-2.50");
    }

    #[test]
    fn turtle_strings_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(turtle_string("plain"), "\"plain\"");
        assert_eq!(turtle_string("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(turtle_string("a\\b"), "\"a\\\\b\"");
        assert_eq!(turtle_string("one\ntwo\r\tthree"), "\"one\\ntwo\\r\\tthree\"");
        assert_eq!(turtle_string("bell\u{7}"), "\"bell\\u0007\"");
        assert_eq!(turtle_string("Ədliyyə — Министерство"), "\"Ədliyyə — Министерство\"");
    }

    #[test]
    fn iris_are_minted_under_the_base_with_safe_segments() {
        let ids = Ids::new("https://onestop.example");
        assert_eq!(ids.id(&["service", "MIA-ID-CARD"]), "https://onestop.example/id/service/MIA-ID-CARD");
        assert_eq!(ids.id(&["x", "a b/c"]), "https://onestop.example/id/x/a%20b%2Fc");
        assert_eq!(Ids::new("https://x.example/a b/").id(&[]), "https://x.example/a%20b/id");
        assert_eq!(safe_iri("https://x.example/<\">"), "https://x.example/%3C%22%3E");
    }

    #[test]
    fn countries_map_to_the_eu_authority_codes() {
        assert_eq!(alpha3("AZ"), Some("AZE"));
        assert_eq!(alpha3("GE"), Some("GEO"));
        assert_eq!(alpha3("ZW"), Some("ZWE"));
        assert_eq!(alpha3("AD"), Some("AND"));
        assert_eq!(alpha3("XX"), None);
        assert_eq!(alpha3("AZE"), None);
        assert_eq!(alpha3(""), None);
    }

    #[test]
    fn weekdays_are_written_as_ranges_or_lists() {
        use Weekday::*;
        assert_eq!(days(&[Friday, Monday, Tuesday, Wednesday, Thursday]), "Monday to Friday");
        assert_eq!(days(&[Saturday, Sunday]), "Saturday, Sunday");
        assert_eq!(days(&[Monday, Wednesday, Friday]), "Monday, Wednesday, Friday");
        assert_eq!(days(&[Sunday]), "Sunday");
    }

    #[test]
    fn language_tags_are_checked() {
        assert!(is_language_tag("az"));
        assert!(is_language_tag("az-Latn"));
        assert!(!is_language_tag(""));
        assert!(!is_language_tag("a z"));
        assert!(!is_language_tag("az-"));
    }

    #[test]
    fn only_the_services_of_public_bodies_are_exported() {
        let catalogue = demo();
        let exported: Vec<&str> = exported_services(&catalogue).map(|s| s.code.as_str()).collect();
        assert!(exported.contains(&"MIA-ID-CARD"));
        assert!(exported.contains(&"CBAR-CREDIT-REPORT"), "a public body's functional subsidiary service");
        assert!(!exported.contains(&"KAPITAL-ACCOUNT"), "a bank's service");
        let turtle = to_turtle(&catalogue, BASE);
        assert!(turtle.contains("<https://onestop.example/id/service/MIA-ID-CARD> a cpsv:PublicService"));
        assert!(!turtle.contains("KAPITAL-ACCOUNT"));
    }

    #[test]
    fn the_same_catalogue_gives_the_same_bytes() {
        let catalogue = demo();
        assert_eq!(to_turtle(&catalogue, BASE), to_turtle(&catalogue, BASE));
        assert_eq!(to_jsonld(&catalogue, BASE), to_jsonld(&catalogue, BASE));
        let mut reordered = catalogue.clone();
        reordered.services.reverse();
        reordered.centres.reverse();
        reordered.providers.reverse();
        assert_eq!(to_turtle(&reordered, BASE), to_turtle(&catalogue, BASE));
    }

    #[test]
    fn texts_with_quotes_and_line_breaks_are_escaped_in_both_outputs() {
        let mut catalogue = demo();
        let Some(service) = catalogue.services.iter_mut().find(|s| s.code == "MIA-ID-CARD") else {
            panic!("no MIA-ID-CARD")
        };
        service.name = Text::new().with("en", "The \"new\" card\\\nline two").with("az", "Ş");
        let turtle = to_turtle(&catalogue, BASE);
        assert!(turtle.contains(r#"dct:title "Ş"@az, "The \"new\" card\\\nline two"@en ;"#), "{turtle}");
        let json: Value = match serde_json::from_str(&to_jsonld(&catalogue, BASE)) {
            Ok(json) => json,
            Err(e) => panic!("{e}"),
        };
        let graph = json["@graph"].as_array().cloned().unwrap_or_default();
        let Some(node) = graph.iter().find(|n| n["@id"] == "https://onestop.example/id/service/MIA-ID-CARD")
        else {
            panic!("the service is not in the JSON-LD")
        };
        assert_eq!(node["@type"], "PublicService");
        assert!(node["dct:title"].as_array().is_some_and(|titles| {
            titles.iter().any(|t| t["@language"] == "en" && t["@value"] == "The \"new\" card\\\nline two")
        }));
    }

    #[test]
    fn the_jsonld_embeds_the_official_context() {
        let json: Value = match serde_json::from_str(&to_jsonld(&demo(), BASE)) {
            Ok(json) => json,
            Err(e) => panic!("{e}"),
        };
        let context = &json["@context"];
        assert_eq!(context[0]["PublicService"], "http://purl.org/vocab/cpsv#PublicService");
        assert_eq!(context[0]["PublicOrganization"], "http://data.europa.eu/m8g/PublicOrganisation");
        assert_eq!(context[1]["cv"], "http://data.europa.eu/m8g/");
    }
}
