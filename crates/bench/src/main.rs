//! `onestop-bench queue`: the queue benchmark of issue #5 — sustained ticket operations over 50
//! centres × 20 windows against a real server, the raw insert baseline on the same database, the
//! latency at a fixed rate, and the fan-out of a call to many hall screens.
//! `onestop-bench booking`: the booking storm of issue #6 — 20,000 attempts from 500 clients for
//! 2,000 places released at once, checked for overbooking afterwards. Each prints a Markdown
//! report; `docs/benchmarks.md` records the figures and the commands.

use clap::{Parser, Subcommand, ValueEnum};
use onestop_bench::client::{Api, Op};
use onestop_bench::load::{self, Samples};
use onestop_bench::server::Server;
use onestop_bench::stats::{median, ms, percentile};
use onestop_bench::syncs::SyncHistogram;
use onestop_bench::{booking, raw, screens, setup};
use std::time::Duration;

/// mimalloc, as in the server: the load generator shares the machine's cores with the server, so
/// every cycle it spends in the C library's allocator is one the server under test does not get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "onestop-bench", about = "Benchmarks of onestop")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Command {
    /// Ticket operations per second and latency, against the raw insert baseline; call fan-out.
    Queue {
        /// The database to run on (PostgreSQL: `ONESTOP_TEST_POSTGRES_URL`, or a throwaway cluster).
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Backend,
        /// Centres of the benchmark network.
        #[arg(long, default_value_t = 50)]
        centres: usize,
        /// Windows per centre.
        #[arg(long, default_value_t = 20)]
        windows: u32,
        /// Seconds of each measured phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Repetitions of the baseline and the closed loop; their medians are reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Concurrent clients of the closed loop; by default one per window, each driving its own
        /// window's visits as that window's officer and its centre's kiosk would.
        #[arg(long)]
        clients: Option<usize>,
        /// Operations per second of the open loop.
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        /// Hall screens following one centre during the fan-out.
        #[arg(long, default_value_t = 1000)]
        screens: usize,
        /// Calls made during the fan-out.
        #[arg(long, default_value_t = 50)]
        calls: usize,
    },
    /// Monitoring at scale: millions of tickets generated over two years, the fold, the monthly
    /// network report and a one-centre dashboard on SQLite and PostgreSQL, beside DuckDB.
    Monitoring {
        /// Tickets to generate.
        #[arg(long, default_value_t = 10_000_000)]
        tickets: u64,
        /// Days they span, from 2024-12-01.
        #[arg(long, default_value_t = 730)]
        days: u32,
        /// Timed runs of each query (after one warm-up run); their medians are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The month reported (default: the last whole month of the data).
        #[arg(long)]
        month: Option<String>,
        /// The centre of the dashboard.
        #[arg(long, default_value = "BAKU-1")]
        centre: String,
        /// Keep the SQLite database and the exports here (and reuse a database found there).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Skip PostgreSQL.
        #[arg(long)]
        no_postgres: bool,
        /// Skip DuckDB.
        #[arg(long)]
        no_duckdb: bool,
        /// Skip SQLite (and DuckDB, which reads SQLite's export), so that PostgreSQL has the disk:
        /// its figures are then compared with those an earlier run left in `--dir`.
        #[arg(long)]
        no_sqlite: bool,
        /// Measure PostgreSQL on this database (reusing the data found there) instead of a fresh
        /// database in a throwaway cluster.
        #[arg(long)]
        postgres_url: Option<String>,
    },
    /// A booking storm: many clients racing for one day's places released at once.
    Booking {
        /// The database to run on (PostgreSQL: `ONESTOP_TEST_POSTGRES_URL`, or a throwaway cluster).
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Backend,
        /// Windows of the benchmark centre: 40 places each on the day (50 → 2,000).
        #[arg(long, default_value_t = 50)]
        windows: u32,
        /// Concurrent clients.
        #[arg(long, default_value_t = 500)]
        clients: usize,
        /// Booking attempts in all.
        #[arg(long, default_value_t = 20_000)]
        attempts: usize,
        /// Zero bits of the proof of work the server asks for during the run.
        #[arg(long, default_value_t = 4)]
        difficulty: u8,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn progress(text: &str) {
    eprintln!("· {text}");
}

fn op_table(samples: &Samples) -> String {
    let mut out = String::from("| operation | count | p50 ms | p99 ms |\n|---|---:|---:|---:|\n");
    for op in Op::ALL {
        let mut l = samples.latencies.get(&op).cloned().unwrap_or_default();
        let n = l.len();
        out.push_str(&format!(
            "| {} | {n} | {:.2} | {:.2} |\n",
            op.name(),
            ms(percentile(&mut l, 50.0)),
            ms(percentile(&mut l, 99.0))
        ));
    }
    out
}

/// A fresh database for a run: its URL, and what keeps a throwaway PostgreSQL database alive.
async fn database(
    backend: Backend,
    dir: &std::path::Path,
) -> Result<(String, Option<onestop_store_tests::TestDb>), String> {
    Ok(match backend {
        Backend::Sqlite => (format!("sqlite://{}/bench.db", dir.display()), None),
        Backend::Postgres => {
            onestop_store_tests::durable_postgres();
            let db = onestop_store_tests::TestDb::postgres().await.ok_or("PostgreSQL is not available")?;
            (db.url.clone(), Some(db))
        }
    })
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Queue { backend, centres, windows, seconds, runs, clients, rate, screens, calls } => {
            queue(backend, centres, windows, seconds, runs, clients, rate, screens, calls).await
        }
        Command::Booking { backend, windows, clients, attempts, difficulty } => {
            booking_storm(backend, windows, clients, attempts, difficulty).await
        }
        Command::Monitoring {
            tickets,
            days,
            runs,
            month,
            centre,
            dir,
            no_postgres,
            no_duckdb,
            no_sqlite,
            postgres_url,
        } => {
            let on = Backends {
                sqlite: !no_sqlite,
                postgres: !no_postgres,
                duckdb: !no_duckdb && !no_sqlite,
                postgres_url,
            };
            monitoring(tickets, days, runs, month, &centre, dir, on).await
        }
    }
}

async fn booking_storm(
    backend: Backend,
    windows: u32,
    clients: usize,
    attempts: usize,
    difficulty: u8,
) -> Result<(), String> {
    use onestop_domain::booking::BookingChannel;
    use onestop_domain::catalogue::{CentreCode, ServiceCode};
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (url, _postgres) = database(backend, dir.path()).await?;
    let store = setup::open(&url).await?;
    onestop_server::admin::catalogue_import(
        store.as_ref(),
        &booking::catalogue(windows),
        "booking benchmark",
    )
    .await?;
    store.close().await;
    progress("starting the server");
    let server = Server::start_with(dir.path(), &url, &booking::server_env(difficulty)).await?;
    let now = onestop_server::clock::now();
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date().tomorrow().map_err(|e| e.to_string())?;
    let before = booking::slot_starts(&server.base, &day.to_string()).await?;
    let capacity: u64 = before.iter().map(|(_, c, _)| c).sum();
    progress(&format!(
        "{} slots, {capacity} places on {day}; {attempts} attempts from {clients} clients",
        before.len()
    ));
    let starts: Vec<String> = before.iter().map(|(s, _, _)| s.clone()).collect();
    let mut storm = booking::storm(&server.base, starts, clients, attempts).await;

    // Read back: from the API, and from the database itself.
    let after = booking::slot_starts(&server.base, &day.to_string()).await?;
    let api_taken: u64 = after.iter().map(|(_, c, f)| c - f).sum();
    let store = setup::open(&url).await?;
    let from = day.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| e.to_string())?.timestamp();
    let to = from + jiff::SignedDuration::from_hours(24);
    let used = store
        .slot_use(
            &CentreCode::new(booking::CENTRE),
            &ServiceCode::new(booking::SERVICE),
            BookingChannel::Website,
            from,
            to,
            onestop_server::clock::now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let db_taken: u64 = used.iter().map(|u| u64::from(u.taken)).sum();
    let over: usize = used
        .iter()
        .filter(|u| {
            let cap = before.iter().find(|(s, _, _)| s.parse::<jiff::Timestamp>().ok() == Some(u.starts_at));
            cap.is_none_or(|(_, c, _)| u64::from(u.taken) > *c)
        })
        .count();
    store.close().await;
    server.stop().await?;

    let rate = storm.attempts as f64 / storm.elapsed.as_secs_f64();
    println!("## Booking storm — {}", if backend == Backend::Sqlite { "SQLite" } else { "PostgreSQL" });
    println!();
    println!(
        "{} slots × {windows} windows = {capacity} places released at once; {clients} clients, proof of work {difficulty} bits.",
        before.len()
    );
    println!();
    println!("| measure | value |\n|---|---:|");
    println!("| booking attempts (holds) | {} |", storm.attempts);
    println!("| completed (confirmed) bookings | {} |", storm.confirmed);
    println!("| capacity | {capacity} |");
    println!("| places taken after the run: database / API | {db_taken} / {api_taken} |");
    println!("| slots above capacity | {over} |");
    println!("| refused as full (409) | {} |", storm.full);
    println!("| other failures | {} |", storm.errors);
    println!("| wall time s | {:.2} |", storm.elapsed.as_secs_f64());
    println!("| attempts/s | {rate:.0} |");
    println!(
        "| hold request p50 / p99 ms | {:.2} / {:.2} |",
        ms(percentile(&mut storm.hold_latencies, 50.0)),
        ms(percentile(&mut storm.hold_latencies, 99.0))
    );
    println!(
        "| whole attempt (challenge, hold, code, confirm) p50 / p99 ms | {:.2} / {:.2} |",
        ms(percentile(&mut storm.attempt_latencies, 50.0)),
        ms(percentile(&mut storm.attempt_latencies, 99.0))
    );
    if storm.errors > 0 {
        return Err(format!("{} attempts failed, e.g. {:?}", storm.errors, storm.first_errors));
    }
    if storm.confirmed as u64 != capacity || db_taken != capacity || api_taken != capacity || over > 0 {
        return Err(format!(
            "bookings {} / places taken {db_taken} (API {api_taken}) / capacity {capacity} / over {over}: they must all agree",
            storm.confirmed
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)] // the subcommand's options
async fn queue(
    backend: Backend,
    centres: usize,
    windows: u32,
    seconds: u64,
    runs: usize,
    clients: Option<usize>,
    rate: f64,
    screens: usize,
    calls: usize,
) -> Result<(), String> {
    let clients = clients.unwrap_or(centres * windows as usize);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (url, _postgres) = database(backend, dir.path()).await?;
    progress(&format!("filling {} centres × {windows} windows (and one for the fan-out)", centres));
    let store = setup::open(&url).await?;
    let mut network = setup::fill(store.as_ref(), centres + 1, windows).await?;
    store.close().await;
    let fan_devices = network.devices.pop().ok_or("no centre")?;
    let fan_officer = network.officers.split_off(centres * windows as usize).remove(0);

    progress("starting the server");
    let mut server = Server::start(dir.path(), &url).await?;
    progress("waiting for the server's first monitoring report run (at most 300 s)");
    if !server.reports_made(Duration::from_secs(300)).await {
        progress("it did not say it ended; measuring anyway");
    }
    let api = Api::new(&server.base);
    load::sign_in_all(&api, &network, 16).await?;
    api.sign_in(&fan_officer).await?;

    let phase = Duration::from_secs(seconds);
    let (mut raw_rates, mut op_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_closed = Samples::default();
    for run in 1..=runs {
        progress(&format!("run {run}/{runs}: raw insert loop, {seconds} s"));
        let baseline = raw::insert_loop(&url, phase).await?;
        progress(&format!("run {run}/{runs}: closed loop, {clients} clients, {seconds} s"));
        let closed = load::closed_loop(&api, &network, clients, phase, Default::default()).await;
        if closed.errors > 0 {
            return Err(format!("{} operations failed, e.g. {:?}", closed.errors, closed.first_errors));
        }
        raw_rates.push(baseline.rate());
        op_rates.push(closed.rate());
        ratios.push(closed.rate() / baseline.rate());
        progress(&format!(
            "run {run}: raw {:.0}/s, operations {:.0}/s, ratio {:.2}",
            baseline.rate(),
            closed.rate(),
            closed.rate() / baseline.rate()
        ));
        last_closed = closed;
    }

    progress(&format!("open loop at {rate} operations/s, {seconds} s"));
    let syncs_before = SyncHistogram::read(&api).await?;
    let open = load::open_loop(&api, &network, rate, phase).await;
    let open_syncs = SyncHistogram::read(&api).await?.since(&syncs_before);
    progress(&format!("fan-out: {screens} hall screens, {calls} calls"));
    let (mut delays, missing) =
        screens::fan_out(&api, &fan_devices, &fan_officer, screens, calls, Duration::from_millis(100))
            .await?;
    server.stop().await?;

    let (p50, p99) = last_closed.p50_p99();
    let (open_p50, open_p99) = open.p50_p99();
    println!("## Queue benchmark — {}", if backend == Backend::Sqlite { "SQLite" } else { "PostgreSQL" });
    println!();
    println!("{centres} centres × {windows} windows; {runs} runs of {seconds} s; medians over the runs.");
    println!();
    println!("| measure | value |\n|---|---:|");
    println!("| raw single-row durable inserts/s (median) | {:.0} |", median(&mut raw_rates));
    println!(
        "| ticket operations/s, closed loop of {clients} clients (median) | {:.0} |",
        median(&mut op_rates)
    );
    println!("| ratio to the raw loop (median of the runs' ratios) | {:.2} |", median(&mut ratios));
    println!("| p50 / p99 ms, closed loop (last run) | {p50:.2} / {p99:.2} |");
    println!(
        "| open loop: offered {rate:.0}/s, achieved {:.0}/s, p50 / p99 ms | {open_p50:.2} / {open_p99:.2} |",
        open.rate()
    );
    println!(
        "| open loop: operations skipped (all windows busy) / failed | {} / {} |",
        open.skipped, open.errors
    );
    // Only SQLite's writer syncs a log of its own (PostgreSQL's counts stay zero).
    if let Some((lower, upper)) = open_syncs.longest() {
        let longest = if upper.is_infinite() {
            format!("> {}", lower * 1e3)
        } else {
            format!("{}–{}", lower * 1e3, upper * 1e3)
        };
        println!(
            "| open loop: syncs of the log / over 10 ms / the longest, ms | {} / {} / {longest} |",
            open_syncs.count(),
            open_syncs.over(0.01)
        );
    }
    println!(
        "| call → {screens} hall screens over SSE, p50 / p99 ms | {:.2} / {:.2} |",
        ms(percentile(&mut delays, 50.0)),
        ms(percentile(&mut delays, 99.0))
    );
    println!("| deliveries missing (of {}) | {missing} |", screens * calls);
    println!();
    println!("Closed loop, last run, by operation:\n");
    print!("{}", op_table(&last_closed));
    println!("\nOpen loop by operation:\n");
    print!("{}", op_table(&open));
    Ok(())
}

#[allow(clippy::too_many_arguments)] // the command's options
async fn monitoring(
    tickets: u64,
    days: u32,
    runs: usize,
    month: Option<String>,
    centre: &str,
    dir: Option<std::path::PathBuf>,
    on: Backends,
) -> Result<(), String> {
    use onestop_bench::monitoring::{Measured, measure};
    use onestop_domain::monitoring::Period;
    let first = jiff::civil::date(2024, 12, 1);
    let last = first.checked_add(jiff::Span::new().days(i64::from(days) - 1)).map_err(|e| e.to_string())?;
    let month = match month {
        Some(m) => Period::parse(&m).ok_or("--month must be like 2026-10")?,
        None => {
            let m = Period::month_of(last);
            if m.last_day() == last { m } else { m.previous() }
        }
    };
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = dir.unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("monitoring.db");
    // SQLite's figures stay in `--dir`, so that a later PostgreSQL-only run is checked against them.
    let saved = dir.join("figures.json");
    let sqlite = if on.sqlite {
        let url = format!("sqlite://{}", file.display());
        progress(&format!("SQLite at {}", file.display()));
        let s = measure(&url, tickets, first, days, runs, month, centre).await?;
        progress(&measured_line("SQLite", &s));
        std::fs::write(&saved, serde_json::to_vec(&s.figures).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Some(s)
    } else {
        None
    };
    let duck: Option<serde_json::Value> = if on.duckdb {
        progress("exporting to CSV for DuckDB");
        onestop_bench::monitoring::export(&file, &dir)?;
        let output = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench-duckdb.py"))
            .args([
                dir.display().to_string(),
                month.first_day().to_string(),
                month.last_day().to_string(),
                centre.to_owned(),
                runs.to_string(),
            ])
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !output.status.success() {
            return Err(format!("DuckDB failed: {}", String::from_utf8_lossy(&output.stderr)));
        }
        for name in ["tickets.csv.gz", "steps.csv.gz", "ratings.csv.gz", "providers.csv"] {
            let _ = std::fs::remove_file(dir.join(name));
        }
        Some(serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let pg = if on.postgres {
        progress("PostgreSQL");
        // A throwaway database lives as long as `_throwaway`.
        let (url, _throwaway) = match &on.postgres_url {
            Some(url) => (url.clone(), None),
            None => {
                onestop_store_tests::durable_postgres();
                let db =
                    onestop_store_tests::TestDb::postgres().await.ok_or("PostgreSQL is not available")?;
                (db.url.clone(), Some(db))
            }
        };
        let p = measure(&url, tickets, first, days, runs, month, centre).await?;
        progress(&measured_line("PostgreSQL", &p));
        Some(p)
    } else {
        None
    };
    let pg_agrees = match (&pg, &sqlite) {
        (None, _) => None,
        (Some(p), Some(s)) => Some((p.figures == s.figures, "this run's SQLite")),
        (Some(p), None) => match std::fs::read(&saved) {
            Ok(bytes) => {
                let s: Vec<(String, String, Vec<i64>)> =
                    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", saved.display()))?;
                Some((p.figures == s, "SQLite's, saved by an earlier run in --dir"))
            }
            Err(_) => None,
        },
    };
    if let Some((false, with)) = pg_agrees {
        return Err(format!("PostgreSQL's figures differ from {with}"));
    }
    let written = sqlite.as_ref().or(pg.as_ref()).map(|m| m.written.clone()).unwrap_or_default();
    println!("## Monitoring — {tickets} tickets over {days} days, month {month}, dashboard of {centre}");
    println!();
    println!(
        "Rows generated: {} tickets, {} steps, {} ratings, {} applications.",
        written.tickets, written.steps, written.ratings, written.applications
    );
    println!();
    println!("| | SQLite | PostgreSQL | DuckDB (Parquet) |\n|---|---:|---:|---:|");
    let of = |m: &Option<Measured>, f: fn(&Measured) -> f64, digits: usize| {
        m.as_ref().map_or("—".to_owned(), |m| format!("{:.*}", digits, f(m)))
    };
    let dv = |key: &str| duck.as_ref().and_then(|d| d[key].as_f64());
    let dd = |key: &str| dv(key).map_or("—".to_owned(), |v| format!("{v:.3}"));
    let days_folded = sqlite.as_ref().or(pg.as_ref()).map_or(0, |m| m.fold_days);
    println!(
        "| generate and load, s | {} | {} | {} |",
        of(&sqlite, |m| m.load_secs, 1),
        of(&pg, |m| m.load_secs, 1),
        dd("load_secs")
    );
    println!(
        "| fold of every day ({days_folded} centre-days), s | {} | {} | — |",
        of(&sqlite, |m| m.fold_secs, 1),
        of(&pg, |m| m.fold_secs, 1)
    );
    println!(
        "| monthly network report, figures (median), s | {} | {} | {} |",
        of(&sqlite, |m| m.network_secs, 3),
        of(&pg, |m| m.network_secs, 3),
        dd("network_secs")
    );
    println!(
        "| monthly network report, whole (median), s | {} | {} | — |",
        of(&sqlite, |m| m.report_secs, 3),
        of(&pg, |m| m.report_secs, 3)
    );
    println!(
        "| …rendered as XLSX and PDF (median), s | {} | {} | — |",
        of(&sqlite, |m| m.render_secs, 3),
        of(&pg, |m| m.render_secs, 3)
    );
    println!(
        "| one-centre dashboard (median), s | {} | {} | {} |",
        of(&sqlite, |m| m.dashboard_secs, 3),
        of(&pg, |m| m.dashboard_secs, 3),
        dd("dashboard_secs")
    );
    if let (Some(n), Some(d), Some(s)) = (dv("network_secs"), dv("dashboard_secs"), &sqlite) {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!();
        println!(
            "Ratio to DuckDB (onestop ÷ DuckDB; under 2 meets the target): network report SQLite {:.2}, dashboard SQLite {:.2}",
            ratio(s.network_secs, n),
            ratio(s.dashboard_secs, d)
        );
        if let Some(p) = &pg {
            println!(
                "PostgreSQL: network report {:.2}, dashboard {:.2}",
                ratio(p.network_secs, n),
                ratio(p.dashboard_secs, d)
            );
        }
    }
    if let Some((_, with)) = pg_agrees {
        println!();
        println!("PostgreSQL's figures equal {with}: yes");
    }
    if let (Some(d), Some(s)) = (&duck, &sqlite) {
        let agree = figures_agree(&s.figures, d);
        println!();
        println!("Figures equal to DuckDB's: {agree}");
        if !agree.starts_with("yes") {
            return Err(format!("onestop and DuckDB disagree: {agree}"));
        }
        println!("DuckDB {}", d["duckdb"].as_str().unwrap_or("?"));
    }
    Ok(())
}

/// One line of what a monitoring run measured on `name`.
fn measured_line(name: &str, m: &onestop_bench::monitoring::Measured) -> String {
    format!(
        "{name}: fold {:.1} s ({} days), network figures {:.3} s, whole report {:.3} s, rendering {:.3} s, dashboard {:.3} s",
        m.fold_secs, m.fold_days, m.network_secs, m.report_secs, m.render_secs, m.dashboard_secs
    )
}

/// Which engines a monitoring run measures.
#[derive(Debug, Clone)]
struct Backends {
    sqlite: bool,
    postgres: bool,
    duckdb: bool,
    /// PostgreSQL's database, when not a throwaway one.
    postgres_url: Option<String>,
}

/// Compares onestop's figures with DuckDB's: "yes (n rows)" or the first difference.
fn figures_agree(ours: &[(String, String, Vec<i64>)], duck: &serde_json::Value) -> String {
    let theirs = |query: &str, section: &str| -> std::collections::BTreeMap<String, Vec<i64>> {
        duck[section][query]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        let r = r.as_array()?;
                        let key = r
                            .first()?
                            .as_str()
                            .map(str::to_owned)
                            .or_else(|| r.first().map(|v| v.to_string()))?;
                        Some((key, r[1..].iter().map(|v| v.as_i64().unwrap_or(-1)).collect()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut compared = 0;
    for (name, section, query) in [
        ("network-centre", "network", "centre"),
        ("network-service", "network", "service"),
        ("network-provider", "network", "provider"),
        ("network-total", "network", "total"),
        ("network-ratings", "network", "ratings"),
        ("dashboard-day", "dashboard", "day"),
        ("dashboard-heat", "dashboard", "heat"),
    ] {
        let want = theirs(query, section);
        let got: std::collections::BTreeMap<String, Vec<i64>> =
            ours.iter().filter(|(q, _, _)| q == name).map(|(_, k, v)| (k.clone(), v.clone())).collect();
        if got != want {
            let diff = got
                .iter()
                .find(|(k, v)| want.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}: {v:?} vs {:?}", want.get(k)));
            return format!(
                "no, {name} differs ({} vs {} rows; {})",
                got.len(),
                want.len(),
                diff.unwrap_or_default()
            );
        }
        compared += got.len();
    }
    format!("yes ({compared} rows compared)")
}
