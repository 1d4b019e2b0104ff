//! The YAML document as a tree of located nodes.
//!
//! The catalogue is read in two passes. serde-saphyr parses the text into a [`Node`] tree in which
//! every value knows its line and column. Each top-level item (a provider, a service, a centre) is
//! then deserialized from its own subtree (see `de.rs`), so that one broken item does not hide the
//! errors of the others; an error carries the path of the innermost node it arose in, which the
//! [`Index`] turns into a line and a readable field path.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML value with the place where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub line: usize,
    pub column: usize,
    pub value: Value,
}

/// The kinds of YAML values the catalogue uses. Mappings keep their keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| k.scalar_text().as_deref() == Some(key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The text of a scalar (strings as they are, numbers and booleans as written by Rust).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::UInt(u) => Some(u.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// A short name of the kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error: the text is not YAML at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses YAML text into a located tree. Duplicate keys are kept (the catalogue checks reports
/// them with their place); booleans are only `true` and `false`, so `no` stays a string.
pub(crate) fn load(text: &str) -> Result<Node, SyntaxError> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, options) {
        Ok(raw) => Ok(raw.into()),
        Err(err) => {
            let (line, column) = err
                .location()
                .map(|l| (usize::try_from(l.line()).unwrap_or(0), usize::try_from(l.column()).unwrap_or(0)))
                .unwrap_or((0, 0));
            let mut render = serde_saphyr::RenderOptions::new(&serde_saphyr::UserMessageFormatter);
            render.snippets = serde_saphyr::SnippetMode::Off;
            let message = err.render_with_options(render);
            let message = strip_location_suffix(&message).to_owned();
            Err(SyntaxError { line: line.max(1), column: column.max(1), message })
        }
    }
}

/// The user formatter appends " at line L, column C"; the catalogue error carries those itself.
fn strip_location_suffix(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(", column ") => &message[..at],
        _ => message,
    }
}

/// What serde-saphyr deserializes into: the value tree with its spans.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl From<Spanned<Raw>> for Node {
    fn from(spanned: Spanned<Raw>) -> Node {
        let line = usize::try_from(spanned.referenced.line()).unwrap_or(0);
        let column = usize::try_from(spanned.referenced.column()).unwrap_or(0);
        let value = match spanned.value {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(b),
            Raw::Int(i) => Value::Int(i),
            Raw::UInt(u) => Value::UInt(u),
            Raw::Float(f) => Value::Float(f),
            Raw::Str(s) => Value::Str(s),
            Raw::Seq(items) => Value::Seq(items.into_iter().map(Node::from).collect()),
            Raw::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
        };
        Node { line, column, value }
    }
}

impl<'de> de::Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
                Ok(Raw::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::UInt(u), Raw::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
                Ok(Raw::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Raw>>()? {
                    let value = map.next_value::<Spanned<Raw>>()?;
                    entries.push((key, value));
                }
                Ok(Raw::Map(entries))
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

/// Where each node of the document is, by its index path (`services.3.fees.state`), with the
/// readable path shown to people (`services[MOJ-BIRTH-REG].fees.state`): list items are named by
/// their `code` when they have one, else by their position from 0.
#[derive(Debug, Default)]
pub(crate) struct Index {
    places: HashMap<String, Place>,
}

/// One node's line, column and readable path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub line: usize,
    pub column: usize,
    pub field: String,
}

impl Index {
    /// Indexes every node of the tree.
    pub fn new(root: &Node) -> Index {
        let mut index = Index::default();
        index.add(root, String::new(), String::new());
        index
    }

    fn add(&mut self, node: &Node, path: String, field: String) {
        match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let label = match item.get("code").and_then(Node::scalar_text) {
                        Some(code) if !code.is_empty() => code,
                        _ => i.to_string(),
                    };
                    self.add(item, join(&path, &i.to_string()), format!("{field}[{label}]"));
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries {
                    let name = key.scalar_text().unwrap_or_else(|| "?".to_owned());
                    // The first of duplicate keys keeps the place; the check reports the others.
                    let child = join(&path, &name);
                    if !self.places.contains_key(&child) {
                        self.add(value, child, join(&field, &name));
                    }
                }
            }
            _ => {}
        }
        self.places.insert(path, Place { line: node.line, column: node.column, field });
    }

    /// The place of `path`, or of its nearest ancestor that is in the document (an absent field
    /// is reported at the item that lacks it). Segments not in the document are appended to the
    /// readable path.
    pub fn place(&self, path: &str) -> Place {
        let mut prefix = path;
        loop {
            if let Some(place) = self.places.get(prefix) {
                let mut place = place.clone();
                if prefix.len() < path.len() {
                    let rest = path[prefix.len()..].trim_start_matches('.');
                    for segment in rest.split('.') {
                        if segment.bytes().all(|b| b.is_ascii_digit()) {
                            place.field = format!("{}[{segment}]", place.field);
                        } else {
                            place.field = join(&place.field, segment);
                        }
                    }
                }
                return place;
            }
            match prefix.rfind('.') {
                Some(dot) => prefix = &prefix[..dot],
                None if !prefix.is_empty() => prefix = "",
                None => return Place { line: 1, column: 1, field: path.to_owned() },
            }
        }
    }
}

/// `a.b`, or `b` when `a` is empty.
pub(crate) fn join(path: &str, segment: &str) -> String {
    if path.is_empty() { segment.to_owned() } else { format!("{path}.{segment}") }
}

/// Every duplicate key in every mapping of the tree: (index path of the mapping, key, key node).
pub(crate) fn duplicate_keys<'a>(node: &'a Node, path: &str, out: &mut Vec<(String, String, &'a Node)>) {
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                duplicate_keys(item, &join(path, &i.to_string()), out);
            }
        }
        Value::Map(entries) => {
            let mut seen = BTreeSet::new();
            for (key, value) in entries {
                let name = key.scalar_text().unwrap_or_default();
                if seen.insert(name.clone()) {
                    duplicate_keys(value, &join(path, &name), out);
                } else {
                    out.push((path.to_owned(), name, key));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        match load(text) {
            Ok(node) => node,
            Err(err) => panic!("{err:?}"),
        }
    }

    #[test]
    fn nodes_know_their_lines_and_plain_words_stay_text() {
        let root = tree("a: 1\nb:\n  - code: X\n    on: no\n  - y\n");
        let b = root.get("b").map(|b| b.line);
        assert_eq!(b, Some(3));
        let Some(Node { value: Value::Seq(items), .. }) = root.get("b") else { panic!("b is a list") };
        assert_eq!(items[0].get("on").map(|n| &n.value), Some(&Value::Str("no".to_owned())));
        assert_eq!(items[1].line, 5);
    }

    #[test]
    fn the_index_names_items_by_code_and_falls_back_to_ancestors() {
        let root = tree("services:\n  - code: S-1\n    fees:\n      state: 5\n  - name: x\n");
        let index = Index::new(&root);
        let state = index.place("services.0.fees.state");
        assert_eq!((state.line, state.field.as_str()), (4, "services[S-1].fees.state"));
        let absent = index.place("services.1.fees.state");
        assert_eq!((absent.line, absent.field.as_str()), (5, "services[1].fees.state"));
        let listed = index.place("services.1.steps.2");
        assert_eq!(listed.field, "services[1].steps[2]");
        assert_eq!(index.place("").line, 1);
    }

    #[test]
    fn duplicate_keys_are_found_with_their_lines() {
        let root = tree("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n");
        let mut found = Vec::new();
        duplicate_keys(&root, "", &mut found);
        let found: Vec<_> =
            found.iter().map(|(path, key, node)| (path.as_str(), key.as_str(), node.line)).collect();
        assert_eq!(found, vec![("b", "c", 4), ("", "a", 5)]);
    }

    #[test]
    fn syntax_errors_have_a_place_and_a_plain_message() {
        let err = match load("a: [1, 2\nb: 3\n") {
            Ok(_) => panic!("not YAML"),
            Err(err) => err,
        };
        assert_eq!(err.line, 2);
        assert!(err.column >= 1);
        assert!(!err.message.contains(" at line "), "{}", err.message);
    }
}
