//! The portable dump: every table of a onestop database as files, the same bytes whichever backend
//! wrote them, so an agency can move from SQLite to PostgreSQL (`onestop export` / `onestop import`).
//!
//! Layout of a dump folder:
//! - `manifest.json`: `{"format": "onestop-dump", "format_version": 1, "schema_version": N,
//!   "tables": [{"name", "columns": [{"name", "type"}], "rows"}]}`, tables and columns sorted by name;
//! - `tables/<name>.jsonl`: one row per line, a JSON array of the values in the manifest's column
//!   order, rows in primary-key order.
//!
//! Values by column type: `integer` a JSON integer, `real` a JSON number, `text` a string,
//! `boolean` true/false, `bytes` base64 (standard alphabet, padded), `timestamp` RFC 3339 UTC with
//! six fractional digits, `date` `YYYY-MM-DD`; SQL NULL is `null`.

use crate::StoreError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The `format` field of every manifest.
pub const FORMAT: &str = "onestop-dump";
/// The version of the layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const TABLES: &str = "tables";

/// The type of a column as the dump knows it; each backend maps its SQL types onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    /// A 64-bit signed integer.
    Integer,
    /// A double-precision number (never money: money is integer minor units).
    Real,
    /// UTF-8 text.
    Text,
    /// True or false.
    Boolean,
    /// Raw bytes.
    Bytes,
    /// An instant, stored in UTC with microsecond precision.
    Timestamp,
    /// A calendar date.
    Date,
}

/// A column of a dumped table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The column's type.
    #[serde(rename = "type")]
    pub kind: ColumnKind,
}

/// A table as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    /// The table's name.
    pub name: String,
    /// Its columns, sorted by name.
    pub columns: Vec<Column>,
    /// How many rows its file holds.
    pub rows: u64,
}

/// The manifest of a dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version, [`FORMAT_VERSION`] for dumps this build writes.
    pub format_version: u32,
    /// The newest migration applied to the database that was dumped.
    pub schema_version: i64,
    /// The tables, sorted by name.
    pub tables: Vec<TableManifest>,
}

/// One value of one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An `integer` column's value.
    Integer(i64),
    /// A `real` column's value.
    Real(f64),
    /// A `text` column's value.
    Text(String),
    /// A `boolean` column's value.
    Boolean(bool),
    /// A `bytes` column's value.
    Bytes(Vec<u8>),
    /// A `timestamp` column's value in the canonical form of [`crate::canonical_timestamp`].
    Timestamp(String),
    /// A `date` column's value as `YYYY-MM-DD`.
    Date(String),
}

impl Value {
    fn to_json(&self) -> Result<serde_json::Value, String> {
        use serde_json::Value as J;
        Ok(match self {
            Value::Null => J::Null,
            Value::Integer(i) => J::from(*i),
            Value::Real(r) => serde_json::Number::from_f64(*r)
                .map(J::Number)
                .ok_or_else(|| format!("{r} is not a finite number"))?,
            Value::Text(s) | Value::Timestamp(s) | Value::Date(s) => J::String(s.clone()),
            Value::Boolean(b) => J::Bool(*b),
            Value::Bytes(b) => J::String(BASE64.encode(b)),
        })
    }

    /// Reads a value of a column of `kind` from its JSON form, checking it fits the type.
    pub fn from_json(kind: ColumnKind, json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        Ok(match (kind, json) {
            (_, J::Null) => Value::Null,
            (ColumnKind::Integer, J::Number(n)) => {
                Value::Integer(n.as_i64().ok_or_else(|| format!("{n} is not a 64-bit integer"))?)
            }
            (ColumnKind::Real, J::Number(n)) => {
                Value::Real(n.as_f64().ok_or_else(|| format!("{n} is not a number"))?)
            }
            (ColumnKind::Text, J::String(s)) => Value::Text(s.clone()),
            (ColumnKind::Boolean, J::Bool(b)) => Value::Boolean(*b),
            (ColumnKind::Bytes, J::String(s)) => {
                Value::Bytes(BASE64.decode(s).map_err(|e| format!("bad base64: {e}"))?)
            }
            (ColumnKind::Timestamp, J::String(s)) => {
                let ts =
                    crate::parse_timestamp(s).map_err(|_| format!("{s:?} is not an RFC 3339 timestamp"))?;
                Value::Timestamp(crate::canonical_timestamp(ts))
            }
            (ColumnKind::Date, J::String(s)) => {
                let date: jiff::civil::Date =
                    s.parse().map_err(|_| format!("{s:?} is not a YYYY-MM-DD date"))?;
                Value::Date(date.to_string())
            }
            (kind, other) => return Err(format!("expected {kind:?} value, found {other}").to_lowercase()),
        })
    }
}

/// How much a dump or import moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpSummary {
    /// Tables written or loaded.
    pub tables: usize,
    /// Rows written or loaded, over all tables.
    pub rows: u64,
}

/// Why a dump could not be written or loaded. Every variant names what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file is not what the format says it must be.
    #[error("{path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Format {
        /// The file.
        path: PathBuf,
        /// The 1-based line, where the problem is in one.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The dump was written by a layout this build does not read.
    #[error("unsupported dump format version {found} (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version the manifest states.
        found: u32,
    },
    /// The dump and the database are at different migrations.
    #[error(
        "the dump is at schema version {dump} but this database is at {database}: import with the onestop release that made the dump"
    )]
    SchemaMismatch {
        /// The dump's schema version.
        dump: i64,
        /// The database's schema version.
        database: i64,
    },
    /// The dump's tables or columns differ from the database's.
    #[error("the dump does not match this database: {0}")]
    TableMismatch(String),
    /// The target database already holds data.
    #[error("the database is not empty (table {0} has rows): import only into a new database")]
    NotEmpty(String),
    /// The folder to export into already holds files.
    #[error("{0} is not empty: export into a new folder")]
    OutputNotEmpty(PathBuf),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DumpError + '_ {
    move |source| DumpError::Io { path: path.to_owned(), source }
}

/// Writes a dump folder, table by table.
#[derive(Debug)]
pub struct DumpWriter {
    dir: PathBuf,
    manifest: Manifest,
}

impl DumpWriter {
    /// Starts a dump in `dir`, which must not exist or be empty.
    pub fn create(dir: &Path, schema_version: i64) -> Result<Self, DumpError> {
        if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(DumpError::OutputNotEmpty(dir.to_owned()));
        }
        let tables = dir.join(TABLES);
        std::fs::create_dir_all(&tables).map_err(io(&tables))?;
        Ok(Self {
            dir: dir.to_owned(),
            manifest: Manifest {
                format: FORMAT.to_owned(),
                format_version: FORMAT_VERSION,
                schema_version,
                tables: Vec::new(),
            },
        })
    }

    /// Starts the file of table `name`; its columns are sorted by name.
    pub fn table(&mut self, name: &str, mut columns: Vec<Column>) -> Result<TableWriter<'_>, DumpError> {
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        let path = self.dir.join(TABLES).join(format!("{name}.jsonl"));
        let file = File::create(&path).map_err(io(&path))?;
        self.manifest.tables.push(TableManifest { name: name.to_owned(), columns, rows: 0 });
        let entry = self.manifest.tables.last_mut().expect("just pushed");
        Ok(TableWriter { out: BufWriter::new(file), path, entry })
    }

    /// Writes the manifest, completing the dump.
    pub fn finish(mut self) -> Result<DumpSummary, DumpError> {
        self.manifest.tables.sort_by(|a, b| a.name.cmp(&b.name));
        let path = self.dir.join(MANIFEST);
        let mut text = serde_json::to_string_pretty(&self.manifest).expect("a manifest always serialises");
        text.push('\n');
        std::fs::write(&path, text).map_err(io(&path))?;
        Ok(DumpSummary {
            tables: self.manifest.tables.len(),
            rows: self.manifest.tables.iter().map(|t| t.rows).sum(),
        })
    }
}

/// Writes the rows of one table.
#[derive(Debug)]
pub struct TableWriter<'a> {
    out: BufWriter<File>,
    path: PathBuf,
    entry: &'a mut TableManifest,
}

impl TableWriter<'_> {
    /// The table's columns in the order rows must give their values.
    pub fn columns(&self) -> &[Column] {
        &self.entry.columns
    }

    /// Writes one row, values in [`TableWriter::columns`] order.
    pub fn row(&mut self, values: &[Value]) -> Result<(), DumpError> {
        let json = values
            .iter()
            .zip(&self.entry.columns)
            .map(|(v, c)| {
                v.to_json().map_err(|message| DumpError::Format {
                    path: self.path.clone(),
                    line: Some(self.entry.rows as usize + 1),
                    message: format!("column {}: {message}", c.name),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        serde_json::to_writer(&mut self.out, &json).map_err(|e| io(&self.path)(e.into()))?;
        self.out.write_all(b"\n").map_err(io(&self.path))?;
        self.entry.rows += 1;
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), DumpError> {
        self.out.flush().map_err(io(&self.path))
    }
}

/// Reads a dump folder.
#[derive(Debug)]
pub struct DumpReader {
    dir: PathBuf,
    manifest: Manifest,
}

impl DumpReader {
    /// Opens a dump, checking its manifest.
    pub fn open(dir: &Path) -> Result<Self, DumpError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let format_error = |message: String| DumpError::Format { path: path.clone(), line: None, message };
        let header: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format_error(format!("not JSON: {e}")))?;
        if header.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format_error(format!("not a onestop dump (format must be {FORMAT:?})")));
        }
        match header.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(DumpError::UnsupportedVersion { found: u32::try_from(v).unwrap_or(u32::MAX) });
            }
            None => return Err(format_error("format_version is missing".into())),
        }
        let manifest: Manifest = serde_json::from_value(header).map_err(|e| format_error(e.to_string()))?;
        let mut seen = BTreeSet::new();
        for table in &manifest.tables {
            if !seen.insert(&table.name) {
                return Err(format_error(format!("table {} is listed twice", table.name)));
            }
        }
        Ok(Self { dir: dir.to_owned(), manifest })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Checks that the dump holds exactly `tables` with exactly these columns (in any order).
    pub fn check_tables(&self, tables: &BTreeMap<String, Vec<Column>>) -> Result<(), DumpError> {
        for table in &self.manifest.tables {
            let Some(columns) = tables.get(&table.name) else {
                return Err(DumpError::TableMismatch(format!("the database has no table {}", table.name)));
            };
            let mut want = columns.clone();
            want.sort_by(|a, b| a.name.cmp(&b.name));
            if want != table.columns {
                return Err(DumpError::TableMismatch(format!(
                    "table {} has columns {} in the database but {} in the dump",
                    table.name,
                    describe(&want),
                    describe(&table.columns)
                )));
            }
        }
        let dumped: BTreeSet<_> = self.manifest.tables.iter().map(|t| &t.name).collect();
        if let Some(missing) = tables.keys().find(|t| !dumped.contains(t)) {
            return Err(DumpError::TableMismatch(format!("the dump has no table {missing}")));
        }
        Ok(())
    }

    /// The rows of table `name`, each checked against the manifest, in file order. The iterator
    /// ends with an error if the file holds more or fewer rows than the manifest says.
    pub fn rows(&self, name: &str) -> Result<RowIter, DumpError> {
        let table = self
            .manifest
            .tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| DumpError::TableMismatch(format!("the dump has no table {name}")))?;
        let path = self.dir.join(TABLES).join(format!("{name}.jsonl"));
        let file = File::open(&path).map_err(io(&path))?;
        Ok(RowIter { lines: BufReader::new(file).lines(), path, table: table.clone(), count: 0, done: false })
    }
}

/// The rows of one dumped table; see [`DumpReader::rows`].
#[derive(Debug)]
pub struct RowIter {
    lines: std::io::Lines<BufReader<File>>,
    path: PathBuf,
    table: TableManifest,
    count: u64,
    done: bool,
}

impl RowIter {
    fn parse(&self, line: &str) -> Result<Vec<Value>, DumpError> {
        let bad = |message: String| DumpError::Format {
            path: self.path.clone(),
            line: Some(self.count as usize + 1),
            message,
        };
        let json: Vec<serde_json::Value> =
            serde_json::from_str(line).map_err(|e| bad(format!("not a JSON array: {e}")))?;
        if json.len() != self.table.columns.len() {
            return Err(bad(format!("{} values for {} columns", json.len(), self.table.columns.len())));
        }
        json.iter()
            .zip(&self.table.columns)
            .map(|(v, c)| Value::from_json(c.kind, v).map_err(|m| bad(format!("column {}: {m}", c.name))))
            .collect()
    }
}

impl Iterator for RowIter {
    type Item = Result<Vec<Value>, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.lines.next() {
            Some(Ok(line)) => self.parse(&line),
            Some(Err(e)) => Err(io(&self.path)(e)),
            None if self.count == self.table.rows => {
                self.done = true;
                return None;
            }
            None => Err(DumpError::Format {
                path: self.path.clone(),
                line: None,
                message: format!("holds {} rows but the manifest says {}", self.count, self.table.rows),
            }),
        };
        match result {
            Ok(row) => {
                self.count += 1;
                Some(Ok(row))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn describe(columns: &[Column]) -> String {
    let parts: Vec<_> = columns.iter().map(|c| format!("{} {:?}", c.name, c.kind).to_lowercase()).collect();
    format!("({})", parts.join(", "))
}

/// Orders tables so that every table comes after the tables its foreign keys point to.
/// `references` holds `(table, referenced table)` pairs; a table referencing itself is allowed
/// (its rows are written in primary-key order). Ties are broken by name, so the order is stable.
pub fn import_order(tables: &[String], references: &[(String, String)]) -> Result<Vec<String>, DumpError> {
    let mut waiting_on: BTreeMap<&str, BTreeSet<&str>> =
        tables.iter().map(|t| (t.as_str(), BTreeSet::new())).collect();
    for (table, parent) in references {
        if table != parent
            && let Some(deps) = waiting_on.get_mut(table.as_str())
        {
            deps.insert(parent.as_str());
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    while !waiting_on.is_empty() {
        let ready: Vec<&str> = waiting_on.iter().filter(|(_, d)| d.is_empty()).map(|(t, _)| *t).collect();
        if ready.is_empty() {
            let cycle: Vec<_> = waiting_on.keys().copied().collect();
            return Err(DumpError::TableMismatch(format!(
                "foreign keys form a cycle among {}",
                cycle.join(", ")
            )));
        }
        for table in ready {
            waiting_on.remove(table);
            for deps in waiting_on.values_mut() {
                deps.remove(table);
            }
            order.push(table.to_owned());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column { name: "z_when".into(), kind: ColumnKind::Timestamp },
            Column { name: "a_id".into(), kind: ColumnKind::Integer },
            Column { name: "m_blob".into(), kind: ColumnKind::Bytes },
        ]
    }

    #[test]
    fn a_dump_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dump");
        let mut writer = DumpWriter::create(&out, 7).unwrap();
        let mut t = writer.table("things", columns()).unwrap();
        let names: Vec<_> = t.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a_id", "m_blob", "z_when"]);
        t.row(&[
            Value::Integer(1),
            Value::Bytes(vec![0, 255]),
            Value::Timestamp("2026-11-28T09:05:00.000000Z".into()),
        ])
        .unwrap();
        t.row(&[Value::Integer(2), Value::Null, Value::Null]).unwrap();
        t.finish().unwrap();
        let summary = writer.finish().unwrap();
        assert_eq!(summary, DumpSummary { tables: 1, rows: 2 });

        let text = std::fs::read_to_string(out.join("tables/things.jsonl")).unwrap();
        assert_eq!(text, "[1,\"AP8=\",\"2026-11-28T09:05:00.000000Z\"]\n[2,null,null]\n");

        let reader = DumpReader::open(&out).unwrap();
        assert_eq!(reader.manifest().schema_version, 7);
        let rows: Vec<_> = reader.rows("things").unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows[0][1], Value::Bytes(vec![0, 255]));
        assert_eq!(rows[1], vec![Value::Integer(2), Value::Null, Value::Null]);
    }

    #[test]
    fn exporting_into_a_folder_with_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "keep me").unwrap();
        assert!(matches!(DumpWriter::create(dir.path(), 1), Err(DumpError::OutputNotEmpty(_))));
    }

    #[test]
    fn unknown_versions_and_broken_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            r#"{"format":"onestop-dump","format_version":99,"schema_version":1,"tables":[]}"#,
        )
        .unwrap();
        assert!(matches!(DumpReader::open(dir.path()), Err(DumpError::UnsupportedVersion { found: 99 })));

        let out = dir.path().join("d");
        let mut writer = DumpWriter::create(&out, 1).unwrap();
        writer.table("things", columns()).unwrap().finish().unwrap();
        writer.finish().unwrap();
        let manifest =
            std::fs::read_to_string(out.join(MANIFEST)).unwrap().replace("\"rows\": 0", "\"rows\": 2");
        std::fs::write(out.join(MANIFEST), manifest).unwrap();
        std::fs::write(out.join("tables/things.jsonl"), "[1,null,null]\n[2,null,\"yesterday\"]\n").unwrap();
        let reader = DumpReader::open(&out).unwrap();
        let err = reader.rows("things").unwrap().find_map(Result::err).unwrap().to_string();
        assert!(
            err.ends_with("things.jsonl line 2: column z_when: \"yesterday\" is not an RFC 3339 timestamp"),
            "{err}"
        );
    }

    #[test]
    fn values_must_fit_their_column() {
        use serde_json::json;
        assert_eq!(Value::from_json(ColumnKind::Integer, &json!(5)), Ok(Value::Integer(5)));
        assert!(Value::from_json(ColumnKind::Integer, &json!(5.5)).is_err());
        assert!(Value::from_json(ColumnKind::Integer, &json!("5")).is_err());
        assert!(Value::from_json(ColumnKind::Boolean, &json!(1)).is_err());
        assert!(Value::from_json(ColumnKind::Date, &json!("2026-02-30")).is_err());
        assert_eq!(
            Value::from_json(ColumnKind::Date, &json!("2026-02-28")),
            Ok(Value::Date("2026-02-28".into()))
        );
        assert_eq!(
            Value::from_json(ColumnKind::Timestamp, &json!("2026-11-28T13:05:00+04:00")),
            Ok(Value::Timestamp("2026-11-28T09:05:00.000000Z".into()))
        );
    }

    #[test]
    fn tables_are_ordered_after_what_they_reference() {
        let tables: Vec<String> = ["tickets", "centres", "windows", "audit"].map(String::from).to_vec();
        let refs =
            [("windows", "centres"), ("tickets", "windows"), ("tickets", "centres"), ("audit", "audit")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(import_order(&tables, &refs).unwrap(), ["audit", "centres", "windows", "tickets"]);
        let cycle = [("a", "b"), ("b", "a")].map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert!(import_order(&["a".into(), "b".into()], &cycle).is_err());
    }
}
