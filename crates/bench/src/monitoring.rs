//! The monitoring benchmark of issue #9: a generator that writes millions of tickets (with their
//! steps, ratings and applications) over years across the demo network straight into the
//! database — SQLite through prepared statements in large transactions, PostgreSQL through
//! `COPY` — and the timings of the fold, the monthly network report and a one-centre dashboard,
//! beside DuckDB computing the same figures from the same data exported to Parquet.
//!
//! The data are deterministic (a seeded generator), so SQLite and PostgreSQL hold the same rows
//! and DuckDB reads exactly those.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::catalogue::{Catalogue, parse_catalogue};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// xorshift64*: fast and deterministic.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (not 0).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 11) % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An exponentially distributed number of seconds with mean `mean`.
    fn exp(&mut self, mean: f64) -> i64 {
        (-mean * (1.0 - self.unit()).ln()) as i64
    }
}

/// A centre of the generated network: its code, zone, services (with their provider, norm in
/// seconds and whether they charge a fee) and windows.
struct Place {
    code: String,
    zone: TimeZone,
    weight: f64,
    services: Vec<(String, String, i64)>,
    /// The windows serving each service (by index in `services`); a bank section's services get
    /// window 900 + its index.
    windows: Vec<Vec<u32>>,
}

fn places(c: &Catalogue) -> Vec<Place> {
    c.centres
        .iter()
        .map(|centre| {
            let services: Vec<(String, String, i64)> = c
                .services
                .iter()
                .filter(|s| centre.offers(s))
                .map(|s| {
                    (
                        s.code.as_str().to_owned(),
                        s.provider.as_str().to_owned(),
                        i64::from(s.handling_minutes) * 60,
                    )
                })
                .collect();
            let windows: Vec<Vec<u32>> = services
                .iter()
                .map(|(code, _, _)| {
                    let serving: Vec<u32> = centre.windows_for(code).map(|w| w.number).collect();
                    if serving.is_empty() { vec![900] } else { serving }
                })
                .collect();
            Place {
                code: centre.code.as_str().to_owned(),
                zone: onestop_domain::queue::day::zone(centre, &c.country),
                weight: centre.windows.len().max(1) as f64,
                services,
                windows,
            }
        })
        .filter(|p| !p.services.is_empty())
        .collect()
}

/// The last ids given out, carried from one call of [`generate`] to the next.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ids {
    ticket: u64,
    rating: u64,
    application: u64,
}

/// Rows written so far, per table.
#[derive(Debug, Default, Clone)]
pub struct Written {
    /// Tickets.
    pub tickets: u64,
    /// Ticket steps.
    pub steps: u64,
    /// Ratings.
    pub ratings: u64,
    /// Applications.
    pub applications: u64,
}

/// A sink of rows: each row's values as text (`None` for NULL), in the table's column order.
pub trait Sink {
    /// Adds a row to `table`.
    fn row(&mut self, table: Table, values: &[Option<&str>]) -> Result<(), String>;
}

/// The tables the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// `tickets`.
    Tickets,
    /// `ticket_steps`.
    Steps,
    /// `ratings`.
    Ratings,
    /// `applications`.
    Applications,
}

impl Table {
    /// Every table, in the order foreign keys need.
    pub const ALL: [Table; 4] = [Table::Tickets, Table::Steps, Table::Ratings, Table::Applications];

    /// The table and its columns.
    pub fn columns(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Table::Tickets => (
                "tickets",
                &[
                    "id",
                    "centre",
                    "service",
                    "grp",
                    "day",
                    "prefix",
                    "sequence",
                    "number",
                    "origin",
                    "appointment_at",
                    "issued_at",
                    "state",
                    "window_number",
                    "state_at",
                    "recalls",
                    "outcome",
                    "outcome_reason",
                ],
            ),
            Table::Steps => (
                "ticket_steps",
                &["ticket_id", "seq", "at", "action", "from_state", "to_state", "window_number", "officer"],
            ),
            Table::Ratings => (
                "ratings",
                &[
                    "id",
                    "at",
                    "channel",
                    "centre",
                    "ticket_id",
                    "service",
                    "provider",
                    "window_number",
                    "officer",
                    "score",
                    "reasons",
                ],
            ),
            Table::Applications => (
                "applications",
                &[
                    "id",
                    "tracking",
                    "centre",
                    "provider",
                    "service",
                    "workflow",
                    "ticket_id",
                    "officer",
                    "applicant_fin",
                    "lang",
                    "documents",
                    "state",
                    "state_since",
                    "accepted_at",
                    "accepted_on",
                    "deadline_on",
                    "done_at",
                    "done_on",
                    "actions",
                ],
            ),
        }
    }
}

fn ts(at: Timestamp) -> String {
    onestop_store::canonical_timestamp(at)
}

/// Generates `tickets` tickets over `days` days from `first` across the demo network into `sink`,
/// with their steps, ratings (about a third of the finished ones) and applications (four in five
/// served tickets). Deterministic for a seed.
pub fn generate(
    sink: &mut dyn Sink,
    tickets: u64,
    first: Date,
    days: u32,
    seed: u64,
    ids: &mut Ids,
    mut progress: impl FnMut(&Written),
) -> Result<Written, String> {
    let c = parse_catalogue(onestop_server::admin::DEMO_CATALOGUE).map_err(|e| format!("{e:?}"))?;
    let places = places(&c);
    let total_weight: f64 = places.iter().map(|p| p.weight).sum();
    let per_day = tickets as f64 / f64::from(days.max(1));
    let mut rng = Rng::new(seed);
    let mut w = Written::default();
    let (mut ticket_id, mut rating_id, mut app_id) = (ids.ticket, ids.rating, ids.application);
    // The hours of a day a ticket is issued at, weighted like a real centre's flow (09–19).
    let hours: [(i8, f64); 10] = [
        (9, 0.8),
        (10, 1.3),
        (11, 1.4),
        (12, 1.1),
        (13, 0.9),
        (14, 1.1),
        (15, 1.2),
        (16, 1.0),
        (17, 0.8),
        (18, 0.4),
    ];
    let hour_total: f64 = hours.iter().map(|h| h.1).sum();
    let mut buf = String::new();
    for d in 0..days {
        let day = first.checked_add(jiff::Span::new().days(i64::from(d))).map_err(|e| e.to_string())?;
        let weekday = match day.weekday() {
            Weekday::Saturday => 0.7,
            Weekday::Sunday => 0.5,
            _ => 1.0,
        };
        for place in &places {
            let expected = per_day * place.weight / total_weight * weekday / 0.886;
            let n = (expected * (0.85 + 0.3 * rng.unit())).round() as u64;
            let mut sequences: HashMap<char, u32> = HashMap::new();
            let mut issued: Vec<(Timestamp, usize, char)> =
                Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            for _ in 0..n {
                let mut pick = rng.unit() * hour_total;
                let mut hour = 9;
                for (h, weight) in hours {
                    hour = h;
                    if pick < weight {
                        break;
                    }
                    pick -= weight;
                }
                let minute = i8::try_from(rng.below(60)).unwrap_or(0);
                let second = i8::try_from(rng.below(60)).unwrap_or(0);
                let at = day
                    .at(hour, minute, second, 0)
                    .to_zoned(place.zone.clone())
                    .map_err(|e| e.to_string())?
                    .timestamp();
                let service = usize::try_from(rng.below(place.services.len() as u64)).unwrap_or(0);
                let prefix = char::from(b'A' + u8::try_from(service % 24).unwrap_or(0));
                issued.push((at, service, prefix));
            }
            issued.sort_by_key(|i| i.0);
            let close =
                day.at(19, 30, 0, 0).to_zoned(place.zone.clone()).map_err(|e| e.to_string())?.timestamp();
            for (at, service, prefix) in issued {
                ticket_id += 1;
                let (code, provider, norm) = &place.services[service];
                let sequence = sequences.entry(prefix).and_modify(|s| *s += 1).or_insert(1);
                if *sequence > 9999 {
                    continue;
                }
                let number = format!("{prefix}-{sequence:03}");
                let origin = match rng.below(100) {
                    0..70 => "kiosk",
                    70..85 => "info_desk",
                    _ => "appointment",
                };
                let serving = &place.windows[service];
                let window = serving[usize::try_from(rng.below(serving.len() as u64)).unwrap_or(0)];
                let officer = format!("officer.{}.{window}", place.code.to_lowercase());
                let called = at + SignedDuration::from_secs(rng.exp(480.0).min(3 * 3600));
                let roll = rng.below(100);
                let (outcome, steps): (&str, Vec<(&str, &str, &str, Timestamp)>) = if roll < 4
                    || called >= close
                {
                    ("centre_closed", vec![("close_day", "waiting", "finished", close.max(at))])
                } else if roll < 9 {
                    let gone = called + SignedDuration::from_secs(120);
                    (
                        "no_show",
                        vec![("call", "waiting", "called", called), ("no_show", "called", "finished", gone)],
                    )
                } else {
                    let start = called + SignedDuration::from_secs(20 + rng.exp(40.0));
                    let served = (*norm as f64 * (0.5 + rng.unit())) as i64;
                    let end = start + SignedDuration::from_secs(served.max(30));
                    let outcome = if roll < 13 { "not_served" } else { "served" };
                    (
                        outcome,
                        vec![
                            ("call", "waiting", "called", called),
                            ("start", "called", "serving", start),
                            ("finish", "serving", "finished", end),
                        ],
                    )
                };
                let last = steps.last().map_or(at, |s| s.3);
                let (id, seq_text, day_text) = (ticket_id.to_string(), sequence.to_string(), day.to_string());
                let window_text = window.to_string();
                let appointment = (origin == "appointment").then(|| ts(at));
                let reason = (outcome == "not_served").then_some("documents missing");
                let window_of_state = (outcome != "centre_closed").then_some(window_text.as_str());
                sink.row(
                    Table::Tickets,
                    &[
                        Some(&id),
                        Some(&place.code),
                        Some(code),
                        Some("general"),
                        Some(&day_text),
                        Some(&prefix.to_string()),
                        Some(&seq_text),
                        Some(&number),
                        Some(origin),
                        appointment.as_deref(),
                        Some(&ts(at)),
                        Some("finished"),
                        None,
                        Some(&ts(last)),
                        Some("0"),
                        Some(outcome),
                        reason,
                    ],
                )?;
                w.tickets += 1;
                for (i, (action, from, to, step_at)) in steps.iter().enumerate() {
                    let window = (*action != "close_day").then_some(window_of_state).flatten();
                    let officer = window.map(|_| officer.as_str());
                    sink.row(
                        Table::Steps,
                        &[
                            Some(&id),
                            Some(&(i + 1).to_string()),
                            Some(&ts(*step_at)),
                            Some(action),
                            Some(from),
                            Some(to),
                            window,
                            officer,
                        ],
                    )?;
                    w.steps += 1;
                }
                let finished = matches!(outcome, "served" | "not_served");
                if finished && rng.below(3) == 0 {
                    rating_id += 1;
                    let score = match rng.below(100) {
                        0..3 => 1,
                        3..7 => 2,
                        7..15 => 3,
                        15..40 => 4,
                        _ => 5,
                    };
                    sink.row(
                        Table::Ratings,
                        &[
                            Some(&rating_id.to_string()),
                            Some(&ts(last + SignedDuration::from_secs(20))),
                            Some("tablet"),
                            Some(&place.code),
                            Some(&id),
                            Some(code),
                            Some(provider),
                            Some(&window_text),
                            Some(&officer),
                            Some(&score.to_string()),
                            Some(""),
                        ],
                    )?;
                    w.ratings += 1;
                }
                if outcome == "served" && rng.below(5) != 0 {
                    app_id += 1;
                    let deadline = day.checked_add(jiff::Span::new().days(14)).map_err(|e| e.to_string())?;
                    let took = if rng.below(20) == 0 { 15 + rng.below(10) } else { rng.below(14) };
                    let done = day
                        .checked_add(jiff::Span::new().days(i64::try_from(took).unwrap_or(0)))
                        .map_err(|e| e.to_string())?;
                    let done_at = done
                        .at(12, 0, 0, 0)
                        .to_zoned(place.zone.clone())
                        .map_err(|e| e.to_string())?
                        .timestamp();
                    buf.clear();
                    let _ = write!(buf, "AS-{}-{app_id:07}", day.year());
                    sink.row(
                        Table::Applications,
                        &[
                            Some(&app_id.to_string()),
                            Some(&buf),
                            Some(&place.code),
                            Some(provider),
                            Some(code),
                            Some("standard"),
                            Some(&id),
                            Some(&format!("staff:{officer}")),
                            Some("5ZXC7RT"),
                            Some("az"),
                            Some("[]"),
                            Some("issued"),
                            Some(&ts(done_at)),
                            Some(&ts(last)),
                            Some(&day_text),
                            Some(&deadline.to_string()),
                            Some(&ts(done_at)),
                            Some(&done.to_string()),
                            Some("1"),
                        ],
                    )?;
                    w.applications += 1;
                }
            }
        }
        progress(&w);
    }
    *ids = Ids { ticket: ticket_id, rating: rating_id, application: app_id };
    Ok(w)
}

/// [`generate`] one day at a time (each day seeded from `seed` and its index, so any sink gets the
/// same rows), calling `after_day` after each.
pub fn generate_days<S: Sink>(
    sink: &mut S,
    tickets: u64,
    first: Date,
    days: u32,
    seed: u64,
    mut after_day: impl FnMut(&mut S, &Written) -> Result<(), String>,
) -> Result<Written, String> {
    let mut written = Written::default();
    let mut ids = Ids::default();
    let per_day = tickets / u64::from(days.max(1));
    for d in 0..days {
        let day = first.checked_add(jiff::Span::new().days(i64::from(d))).map_err(|e| e.to_string())?;
        let w = generate(
            sink,
            per_day,
            day,
            1,
            seed.wrapping_add(u64::from(d)).wrapping_mul(0x9E37_79B9),
            &mut ids,
            |_| {},
        )?;
        written.tickets += w.tickets;
        written.steps += w.steps;
        written.ratings += w.ratings;
        written.applications += w.applications;
        after_day(sink, &written)?;
    }
    Ok(written)
}

/// SQLite: prepared statements in transactions of two million rows, `synchronous = OFF` while
/// loading (a failed load is thrown away), then `ANALYZE` and a checkpoint.
pub struct SqliteSink {
    conn: rusqlite::Connection,
    pending: usize,
}

impl SqliteSink {
    /// Opens the migrated database file at `path`.
    pub fn open(path: &std::path::Path) -> Result<SqliteSink, String> {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| e.to_string())?;
        conn.execute_batch(
            "PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY;
             PRAGMA foreign_keys = OFF; BEGIN",
        )
        .map_err(|e| e.to_string())?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(SqliteSink { conn, pending: 0 })
    }

    /// Commits and puts the database back in WAL mode.
    pub fn finish(self) -> Result<(), String> {
        self.conn.execute_batch("COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)").map_err(|e| e.to_string())
    }
}

impl Sink for SqliteSink {
    fn row(&mut self, table: Table, values: &[Option<&str>]) -> Result<(), String> {
        let (name, columns) = table.columns();
        let sql = format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            columns.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| e.to_string())?;
        statement.execute(rusqlite::params_from_iter(values.iter())).map_err(|e| format!("{name}: {e}"))?;
        self.pending += 1;
        if self.pending >= 2_000_000 {
            self.conn.execute_batch("COMMIT; BEGIN").map_err(|e| e.to_string())?;
            self.pending = 0;
        }
        Ok(())
    }
}

/// PostgreSQL: rows buffered per table as `COPY` text, sent in chunks.
#[derive(Default)]
pub struct CopySink {
    buffers: HashMap<Table, Vec<u8>>,
    /// Chunks ready to send, in order.
    pub ready: Vec<(Table, Vec<u8>)>,
}

impl CopySink {
    /// Moves every partly filled buffer to `ready`.
    pub fn flush_all(&mut self) {
        for table in Table::ALL {
            if let Some(buffer) = self.buffers.remove(&table).filter(|b| !b.is_empty()) {
                self.ready.push((table, buffer));
            }
        }
    }

    /// The `COPY … FROM STDIN` statement of `table`.
    pub fn statement(table: Table) -> String {
        let (name, columns) = table.columns();
        format!("COPY {name} ({}) FROM STDIN", columns.join(", "))
    }
}

impl Sink for CopySink {
    fn row(&mut self, table: Table, values: &[Option<&str>]) -> Result<(), String> {
        let buffer = self.buffers.entry(table).or_default();
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                buffer.push(b'\t');
            }
            match value {
                None => buffer.extend_from_slice(b"\\N"),
                Some(v) => {
                    for b in v.bytes() {
                        match b {
                            b'\\' => buffer.extend_from_slice(b"\\\\"),
                            b'\t' => buffer.extend_from_slice(b"\\t"),
                            b'\n' => buffer.extend_from_slice(b"\\n"),
                            _ => buffer.push(b),
                        }
                    }
                }
            }
        }
        buffer.push(b'\n');
        if buffer.len() > 16 << 20 {
            let full = std::mem::take(buffer);
            self.ready.push((table, full));
        }
        Ok(())
    }
}

/// Writes the rows of `sql` (on the SQLite file at `path`) as CSV with a header to `out`.
pub fn export_csv(path: &std::path::Path, sql: &str, out: &std::path::Path) -> Result<u64, String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let names: Vec<String> = statement.column_names().iter().map(|s| (*s).to_owned()).collect();
    let file = std::fs::File::create(out).map_err(|e| e.to_string())?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(file, "{}", names.join(",")).map_err(|e| e.to_string())?;
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    let mut n = 0;
    let mut line = String::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        line.clear();
        for i in 0..names.len() {
            if i > 0 {
                line.push(',');
            }
            match row.get_ref(i).map_err(|e| e.to_string())? {
                rusqlite::types::ValueRef::Null => {}
                rusqlite::types::ValueRef::Integer(v) => {
                    let _ = write!(line, "{v}");
                }
                rusqlite::types::ValueRef::Real(v) => {
                    let _ = write!(line, "{v}");
                }
                rusqlite::types::ValueRef::Text(t) => line.push_str(&String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(_) => {}
            }
        }
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
        n += 1;
    }
    file.flush().map_err(|e| e.to_string())?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Count(HashMap<Table, u64>);

    impl Sink for Count {
        fn row(&mut self, table: Table, values: &[Option<&str>]) -> Result<(), String> {
            assert_eq!(values.len(), table.columns().1.len(), "{table:?}");
            *self.0.entry(table).or_default() += 1;
            Ok(())
        }
    }

    #[test]
    fn the_generator_is_deterministic_and_fills_every_table() {
        let mut a = Count::default();
        let mut b = Count::default();
        let first = jiff::civil::date(2025, 1, 1);
        let wa = generate_days(&mut a, 20_000, first, 10, 7, |_, _| Ok(())).unwrap();
        generate_days(&mut b, 20_000, first, 10, 7, |_, _| Ok(())).unwrap();
        assert_eq!(a.0, b.0);
        assert!((18_000..22_000).contains(&wa.tickets), "{wa:?}");
        assert!(
            wa.steps > 2 * wa.tickets && wa.ratings > wa.tickets / 5 && wa.applications > wa.tickets / 2,
            "{wa:?}"
        );
    }
}

/// What the benchmark measured on one backend.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// Rows generated.
    pub written: Written,
    /// Seconds to generate and load them.
    pub load_secs: f64,
    /// Seconds of the fold catching up on every day.
    pub fold_secs: f64,
    /// Days folded.
    pub fold_days: usize,
    /// Median seconds of the monthly network report's figures.
    pub network_secs: f64,
    /// Median seconds of the whole monthly network report (figures, Index, complaints), and of
    /// rendering it as XLSX and PDF.
    pub report_secs: f64,
    /// …rendering.
    pub render_secs: f64,
    /// Median seconds of one centre's dashboard over the month.
    pub dashboard_secs: f64,
    /// The figures, for the comparison with DuckDB: (query, key, figures).
    pub figures: Vec<(String, String, Vec<i64>)>,
}

fn secs(since: std::time::Instant) -> f64 {
    crate::instant().duration_since(since).as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    crate::stats::median(&mut v)
}

/// The figures DuckDB also computes, from a tally: visits, served, no-shows, abandoned, wait p50
/// and p90, service p50 and p90 (-1 for none).
pub fn figures_of(t: &onestop_domain::monitoring::Tally) -> Vec<i64> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    vec![
        n(t.visits),
        n(t.served),
        n(t.no_show),
        n(t.abandoned),
        t.wait.percentile(50).unwrap_or(-1),
        t.wait.percentile(90).unwrap_or(-1),
        t.service.percentile(50).unwrap_or(-1),
        t.service.percentile(90).unwrap_or(-1),
    ]
}

/// Fills the database at `url` (migrated, empty) with the generated data.
pub async fn load(url: &str, tickets: u64, first: Date, days: u32, seed: u64) -> Result<Written, String> {
    let progress = |w: &Written| {
        if w.tickets > 0 && w.tickets % 1_000_000 < 20_000 {
            eprintln!(
                "· {} tickets, {} steps, {} ratings, {} applications",
                w.tickets, w.steps, w.ratings, w.applications
            );
        }
    };
    if let Some(file) = url.strip_prefix("sqlite://") {
        let path = std::path::PathBuf::from(file);
        return tokio::task::spawn_blocking(move || {
            let mut sink = SqliteSink::open(&path)?;
            let written = generate_days(&mut sink, tickets, first, days, seed, |_, w| {
                progress(w);
                Ok(())
            })?;
            sink.finish()?;
            Ok(written)
        })
        .await
        .map_err(|e| e.to_string())?;
    }
    use sqlx::Connection;
    let (chunks, mut receive) = tokio::sync::mpsc::channel::<(Table, Vec<u8>)>(4);
    let generator = tokio::task::spawn_blocking(move || {
        let send = |sink: &mut CopySink| -> Result<(), String> {
            for chunk in sink.ready.drain(..) {
                chunks.blocking_send(chunk).map_err(|_| "the loader stopped".to_owned())?;
            }
            Ok(())
        };
        let mut sink = CopySink::default();
        let written = generate_days(&mut sink, tickets, first, days, seed, |sink, w| {
            progress(w);
            send(sink)
        })?;
        sink.flush_all();
        send(&mut sink)?;
        Ok::<Written, String>(written)
    });
    let mut conn = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
    // The rows arrive table by table in chunks: a step may come before its ticket.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    while let Some((table, chunk)) = receive.recv().await {
        let mut copy = conn.copy_in_raw(&CopySink::statement(table)).await.map_err(|e| e.to_string())?;
        copy.send(chunk).await.map_err(|e| e.to_string())?;
        copy.finish().await.map_err(|e| format!("{table:?}: {e}"))?;
    }
    sqlx::query("SET session_replication_role = DEFAULT")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("ANALYZE").execute(&mut conn).await.map_err(|e| e.to_string())?;
    generator.await.map_err(|e| e.to_string())?
}

/// Generates (when the database is empty), folds and times the queries on the database at `url`.
pub async fn measure(
    url: &str,
    tickets: u64,
    first: Date,
    days: u32,
    runs: usize,
    month: onestop_domain::monitoring::Period,
    centre: &str,
) -> Result<Measured, String> {
    use onestop_domain::monitoring::{Context, Cuboid, Filter, GroupBy};
    use onestop_web::monitoring::stats::{StatsQuery, dashboard, grouped};
    let mut m = Measured::default();
    let store = crate::setup::open(url).await?;
    if store.current_catalogue().await.map_err(|e| e.to_string())?.is_none() {
        onestop_server::admin::catalogue_import(
            store.as_ref(),
            onestop_server::admin::DEMO_CATALOGUE,
            "asan-demo.yaml",
        )
        .await?;
    }
    let first_day = store.first_activity(centre).await.map_err(|e| e.to_string())?.0;
    if first_day.is_none() {
        eprintln!("· generating {tickets} tickets over {days} days");
        let started = crate::instant();
        store.close().await;
        drop(store);
        m.written = load(url, tickets, first, days, 9).await?;
        m.load_secs = secs(started);
    } else {
        store.close().await;
        drop(store);
    }
    let store = crate::setup::open(url).await?;
    let catalogue = parse_catalogue(onestop_server::admin::DEMO_CATALOGUE).map_err(|e| format!("{e:?}"))?;
    let ctx = Context::from_catalogue(&catalogue);
    let centres: Vec<String> = catalogue.centres.iter().map(|c| c.code.as_str().to_owned()).collect();
    let end = first.checked_add(jiff::Span::new().days(i64::from(days) + 1)).map_err(|e| e.to_string())?;
    let now =
        end.to_zoned(TimeZone::UTC).map_err(|e| e.to_string())?.timestamp() + SignedDuration::from_hours(12);
    eprintln!("· folding every day");
    let started = crate::instant();
    let report = onestop_store::monitoring::catch_up(
        store.as_ref(),
        &ctx,
        &centres,
        now,
        SignedDuration::from_mins(30),
        100_000,
    )
    .await
    .map_err(|e| e.to_string())?;
    m.fold_secs = secs(started);
    m.fold_days = report.days;
    let clock: onestop_web::Clock = std::sync::Arc::new(move || now);
    let state = onestop_web::AppState::new(std::sync::Arc::clone(&store), clock);
    let system = onestop_web::auth::Caller::system();
    let span = (month.first_day(), month.last_day());
    let all = Filter::default();
    eprintln!("· timing the monthly network report and {centre}'s dashboard ({runs} runs each)");
    let (mut network, mut report, mut render, mut board) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        let started = crate::instant();
        let mut figures = Vec::new();
        for by in [GroupBy::Centre, GroupBy::Service, GroupBy::Provider, GroupBy::Total] {
            let g = grouped(&state, &catalogue, Cuboid::Flow, by, span, &all)
                .await
                .map_err(|e| format!("{e:?}"))?;
            figures.extend(
                g.iter().map(|(k, t)| (format!("network-{}", by.as_str()), k.clone(), figures_of(t))),
            );
        }
        let ratings = grouped(&state, &catalogue, Cuboid::Ratings, GroupBy::Centre, span, &all)
            .await
            .map_err(|e| format!("{e:?}"))?;
        figures.extend(ratings.iter().map(|(k, t)| {
            (
                "network-ratings".to_owned(),
                k.clone(),
                vec![i64::try_from(t.ratings).unwrap_or(0), i64::try_from(t.satisfied).unwrap_or(0)],
            )
        }));
        let t_network = secs(started);
        let started = crate::instant();
        let built = onestop_web::monitoring::reports::build(&state, &system, "en", month, None)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let t_report = secs(started);
        let started = crate::instant();
        let xlsx = onestop_web::monitoring::reports::xlsx(&built).map_err(|e| format!("{e:?}"))?;
        let pdf = onestop_web::monitoring::reports::pdf(&built);
        let t_render = secs(started);
        if xlsx.is_empty() || pdf.is_empty() {
            return Err("an empty report".into());
        }
        let started = crate::instant();
        let q = StatsQuery {
            period: Some(month.to_string()),
            centre: Some(centre.into()),
            ..StatsQuery::default()
        };
        let d = dashboard(&state, &system, "en", &q).await.map_err(|e| format!("{e:?}"))?;
        let t_board = secs(started);
        if run == 0 {
            // The first run warms the caches; it is not counted.
            let day_rows = d.over_time.iter().map(|r| {
                let v = |x: Option<i64>| x.unwrap_or(-1);
                let n = |x: u64| i64::try_from(x).unwrap_or(0);
                (
                    "dashboard-day".to_owned(),
                    r.key.clone(),
                    vec![
                        n(r.visits),
                        n(r.served),
                        n(r.no_show),
                        n(r.abandoned),
                        v(r.wait_p50_secs),
                        v(r.wait_p90_secs),
                        v(r.service_p50_secs),
                        v(r.service_p90_secs),
                    ],
                )
            });
            figures.extend(day_rows);
            figures.extend(d.heat.iter().map(|h| {
                (
                    "dashboard-heat".to_owned(),
                    format!("{}-{:02}", h.weekday, h.hour),
                    vec![i64::try_from(h.visits).unwrap_or(0)],
                )
            }));
            m.figures = figures;
            continue;
        }
        network.push(t_network);
        report.push(t_report);
        render.push(t_render);
        board.push(t_board);
    }
    m.network_secs = median(network);
    m.report_secs = median(report);
    m.render_secs = median(render);
    m.dashboard_secs = median(board);
    store.close().await;
    Ok(m)
}

/// Exports the SQLite database at `file` to CSV files in `dir` for DuckDB.
pub fn export(file: &std::path::Path, dir: &std::path::Path) -> Result<(), String> {
    for (name, sql) in [
        ("tickets", "SELECT id, centre, service, day, origin, issued_at, follows, outcome FROM tickets"),
        ("steps", "SELECT ticket_id, seq, at, action, to_state FROM ticket_steps"),
        ("ratings", "SELECT centre, service, provider, at, score FROM ratings"),
    ] {
        export_csv(file, sql, &dir.join(format!("{name}.csv")))?;
    }
    let c = parse_catalogue(onestop_server::admin::DEMO_CATALOGUE).map_err(|e| format!("{e:?}"))?;
    let mut providers = String::from("service,provider\n");
    for s in &c.services {
        let _ = writeln!(providers, "{},{}", s.code, s.provider);
    }
    std::fs::write(dir.join("providers.csv"), providers).map_err(|e| e.to_string())
}
