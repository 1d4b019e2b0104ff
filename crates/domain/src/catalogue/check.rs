//! From the located YAML tree to a checked [`Catalogue`], collecting every error on the way.

mod centre;
mod country;
mod service;
mod values;

use std::collections::HashMap;

use super::de::{self, DeError};
use super::file::{FORMAT, FileCentre, FileCountry, FileGroup, FileProvider, FileService, VERSION};
use super::model::{Catalogue, Centre, Channel, Group, Provider, ProviderKind, Sector, Service};
use super::node::{self, Index, Node, Value, join};
use super::{CatalogueError, CatalogueErrors};
use values::codes;

const TOP_LEVEL: &[&str] = &["format", "version", "country", "groups", "providers", "services", "centres"];

/// Checks the tree and builds the catalogue, or returns every error found.
pub(crate) fn check(root: &Node) -> Result<Catalogue, CatalogueErrors> {
    let index = Index::new(root);
    let mut checker = Checker { index: &index, errors: Vec::new(), languages: None };
    let catalogue = checker.catalogue(root);
    let mut errors = checker.errors;
    errors.sort_by(|a, b| (a.line, a.column, &a.field).cmp(&(b.line, b.column, &b.field)));
    errors.dedup();
    match catalogue {
        Some(catalogue) if errors.is_empty() => Ok(catalogue),
        _ => Err(CatalogueErrors(errors)),
    }
}

/// What is known about a provider for checking references.
#[derive(Clone, Copy)]
struct ProviderFacts {
    sector: Sector,
    kind: ProviderKind,
}

/// What is known about a service for checking the windows that render it.
struct ServiceFacts {
    provider: String,
    channels: Vec<Channel>,
}

struct Checker<'a> {
    index: &'a Index,
    errors: Vec<CatalogueError>,
    /// The declared languages, once the country's are known to be valid.
    languages: Option<Vec<String>>,
}

impl Checker<'_> {
    /// Records an error at the node of `path` (or its nearest ancestor present in the file).
    fn error(&mut self, path: &str, message: impl Into<String>) {
        let place = self.index.place(path);
        self.errors.push(CatalogueError {
            line: place.line,
            column: place.column,
            field: place.field,
            message: message.into(),
        });
    }

    /// Records a deserialization error (wrong type, missing or unknown key, unknown name).
    fn de_error(&mut self, err: DeError, fallback: &str) {
        // Duplicate keys are reported once, with their own line, by `duplicate_keys`.
        if err.message.starts_with("duplicate field") {
            return;
        }
        let path = err.path.unwrap_or_else(|| fallback.to_owned());
        self.error(&path, err.message);
    }

    /// Deserializes one item, recording the error if it does not fit its shape.
    fn decode<T: serde::de::DeserializeOwned>(&mut self, node: &Node, path: &str) -> Option<T> {
        match de::decode(node, path) {
            Ok(value) => Some(value),
            Err(err) => {
                self.de_error(err, path);
                None
            }
        }
    }

    fn catalogue(&mut self, root: &Node) -> Option<Catalogue> {
        let Value::Map(entries) = &root.value else {
            self.error(
                "",
                format!("a catalogue file is a mapping with `format: {FORMAT}`, `version`, `country`, `providers`, `services` and `centres`; found {}", root.kind()),
            );
            return None;
        };
        if !self.format_and_version(root) {
            return None;
        }
        let mut duplicates = Vec::new();
        node::duplicate_keys(root, "", &mut duplicates);
        for (map_path, key, key_node) in duplicates {
            let field = join(&self.index.place(&map_path).field, &key);
            self.errors.push(CatalogueError {
                line: key_node.line,
                column: key_node.column,
                field,
                message: format!("the key `{key}` is given twice in the same mapping"),
            });
        }
        for (key, _) in entries {
            let name = key.scalar_text().unwrap_or_default();
            if !TOP_LEVEL.contains(&name.as_str()) {
                self.error(&name, format!("unknown key `{name}`; expected one of {}", TOP_LEVEL.join(", ")));
            }
        }

        let country = match root.get("country") {
            Some(node) => self.decode::<FileCountry>(node, "country").and_then(|c| self.country(c)),
            None => {
                self.error("", "the `country` is missing");
                None
            }
        };

        let groups = self.items::<FileGroup>(root, "groups", false);
        let providers = self.items::<FileProvider>(root, "providers", true);
        let services = self.items::<FileService>(root, "services", true);
        let centres = self.items::<FileCentre>(root, "centres", true);

        // What references may point at: every code in the file, even of items that did not fit
        // their shape (they are reported already), so one broken item does not cause more errors.
        let group_codes = codes(root, "groups");
        let mut provider_facts: HashMap<String, Option<ProviderFacts>> =
            codes(root, "providers").into_iter().map(|c| (c, None)).collect();
        for (_, p) in providers.iter().flatten() {
            provider_facts.insert(p.code.clone(), Some(ProviderFacts { sector: p.sector, kind: p.kind }));
        }
        let mut service_facts: HashMap<String, Option<ServiceFacts>> =
            codes(root, "services").into_iter().map(|c| (c, None)).collect();
        // A service whose provider is unknown is reported once, not again at every window.
        for (_, s) in services.iter().flatten().filter(|(_, s)| provider_facts.contains_key(&s.provider)) {
            service_facts.insert(
                s.code.clone(),
                Some(ServiceFacts { provider: s.provider.clone(), channels: s.channels.clone() }),
            );
        }

        let mut seen = HashMap::new();
        let groups: Vec<Option<Group>> = groups
            .into_iter()
            .map(|item| item.and_then(|(path, g)| self.group(&path, g, &mut seen)))
            .collect();
        let mut seen = HashMap::new();
        let providers: Vec<Option<Provider>> = providers
            .into_iter()
            .map(|item| item.and_then(|(path, p)| self.provider(&path, p, &mut seen)))
            .collect();
        let mut seen = HashMap::new();
        let services: Vec<Option<Service>> = services
            .into_iter()
            .map(|item| {
                item.and_then(|(path, s)| self.service(&path, s, &mut seen, &group_codes, &provider_facts))
            })
            .collect();
        let mut seen = HashMap::new();
        let centres: Vec<Option<Centre>> = centres
            .into_iter()
            .map(|item| {
                item.and_then(|(path, c)| self.centre(&path, c, &mut seen, &provider_facts, &service_facts))
            })
            .collect();

        Some(Catalogue {
            country: country?,
            groups: groups.into_iter().collect::<Option<_>>()?,
            providers: providers.into_iter().collect::<Option<_>>()?,
            services: services.into_iter().collect::<Option<_>>()?,
            centres: centres.into_iter().collect::<Option<_>>()?,
        })
    }

    /// Checks `format` and `version`; a file of another format or version is not read further.
    fn format_and_version(&mut self, root: &Node) -> bool {
        let mut ok = true;
        match root.get("format") {
            Some(Node { value: Value::Str(s), .. }) if s == FORMAT => {}
            Some(other) => {
                let found = other.scalar_text().unwrap_or_else(|| other.kind().to_owned());
                self.error("format", format!("unknown format `{found}`; expected `{FORMAT}`"));
                ok = false;
            }
            None => {
                self.error("", format!("the `format: {FORMAT}` line is missing"));
                ok = false;
            }
        }
        match root.get("version") {
            Some(Node { value: Value::Int(v), .. }) if *v == i64::from(VERSION) => {}
            Some(other) => {
                let found = other.scalar_text().unwrap_or_else(|| other.kind().to_owned());
                self.error(
                    "version",
                    format!("unsupported version `{found}`; this onestop reads version {VERSION}"),
                );
                ok = false;
            }
            None => {
                self.error("", format!("the `version: {VERSION}` line is missing"));
                ok = false;
            }
        }
        ok
    }

    /// Deserializes each item of the top-level list `key`, each on its own so that every broken
    /// item is reported. Returns (index path, item) for those that fit their shape.
    fn items<T: serde::de::DeserializeOwned>(
        &mut self,
        root: &Node,
        key: &str,
        required: bool,
    ) -> Vec<Option<(String, T)>> {
        match root.get(key) {
            Some(Node { value: Value::Seq(items), .. }) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{key}.{i}");
                    self.decode::<T>(item, &path).map(|value| (path, value))
                })
                .collect(),
            Some(Node { value: Value::Null, .. }) if !required => Vec::new(),
            Some(other) => {
                self.error(key, format!("`{key}` must be a list, found {}", other.kind()));
                vec![None]
            }
            None if required => {
                self.error("", format!("the `{key}` list is missing"));
                vec![None]
            }
            None => Vec::new(),
        }
    }
}
