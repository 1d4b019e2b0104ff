//! The `onestop` binary as an operator runs it: exit codes, messages, files, signals.

#![allow(clippy::unwrap_used)]

use onestop_store_tests::TestDb;
use onestop_store_tests::contract::{assert_same_dump, fill_for_dump};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn onestop(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onestop"))
        .current_dir(cwd)
        .args(args)
        .env("ONESTOP_DATABASE_CONNECT_TIMEOUT_SECS", "2")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Asserts the command failed with exit code 2 and one line on stderr containing `needle`.
fn fails_with(output: &Output, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, not: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{stderr:?} should mention {needle:?}");
    stderr
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn bad_database_urls_are_one_line_errors_that_create_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    fails_with(
        &onestop(cwd.path(), &["migrate", "--database-url", "mysql://localhost/onestop"]),
        "\"mysql\"",
    );
    fails_with(
        &onestop(cwd.path(), &["serve", "--database-url", "data/onestop.db"]),
        "is not a database URL",
    );
    fails_with(&onestop(cwd.path(), &["serve", "--database-url", "sqlite://"]), "names no SQLite file");
    fails_with(
        &onestop(cwd.path(), &["serve", "--database-url", "postgres://[::1/x"]),
        "malformed PostgreSQL URL",
    );
    fails_with(
        &onestop(cwd.path(), &["export", "--out", "dump", "--database-url", "sqlite://./nothing.db"]),
        "there is no SQLite database at ./nothing.db",
    );
    assert!(files_in(cwd.path()).is_empty(), "{:?}", files_in(cwd.path()));
}

#[test]
fn an_unreachable_postgres_is_a_clear_error() {
    let cwd = tempfile::tempdir().unwrap();
    let output = onestop(cwd.path(), &["serve", "--database-url", "postgres://onestop@127.0.0.1:1/onestop"]);
    fails_with(&output, "cannot reach PostgreSQL");
    assert!(files_in(cwd.path()).is_empty());
}

#[test]
fn config_files_with_unknown_keys_are_refused_by_name() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("onestop.toml"),
        "[server]\nlisten = \"127.0.0.1:9999\"\nlisen = \"typo\"\n",
    )
    .unwrap();
    fails_with(
        &onestop(cwd.path(), &["serve", "--config", "onestop.toml"]),
        "unknown config key `server.lisen`",
    );
    std::fs::write(cwd.path().join("broken.toml"), "[server\n").unwrap();
    fails_with(&onestop(cwd.path(), &["config", "print", "--config", "broken.toml"]), "is not valid TOML");
    fails_with(
        &onestop(cwd.path(), &["config", "print", "--config", "missing.toml"]),
        "cannot read config file missing.toml",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .current_dir(cwd.path())
        .args(["config", "print"])
        .env("ONESTOP_SERVER_LISTN", "127.0.0.1:1")
        .output()
        .unwrap();
    fails_with(&output, "unknown environment variable ONESTOP_SERVER_LISTN");
    assert_eq!(files_in(cwd.path()).len(), 2);
}

#[test]
fn config_print_shows_every_layer_and_hides_secrets() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("onestop.toml"), "[server]\nrequest_timeout_secs = 12\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .current_dir(cwd.path())
        .args([
            "config",
            "print",
            "--config",
            "onestop.toml",
            "--database-url",
            "postgres://agency:hunter2@db:5432/onestop",
        ])
        .env("ONESTOP_LOG_LEVEL", "debug")
        .output()
        .unwrap();
    let text = stdout(&output);
    let printed: toml::Table = text.parse().unwrap();
    assert_eq!(printed["server"]["request_timeout_secs"].as_integer(), Some(12));
    assert_eq!(printed["log"]["level"].as_str(), Some("debug"));
    assert_eq!(printed["database"]["url"].as_str(), Some("postgres://agency:***@db:5432/onestop"));
    assert!(!text.contains("hunter2"));
}

#[test]
fn migrate_creates_the_database_and_its_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let text = stdout(&onestop(cwd.path(), &["migrate"]));
    assert!(cwd.path().join("data/onestop.db").is_file());
    assert!(text.starts_with("database at schema version 2026"), "{text}");
    assert_eq!(stdout(&onestop(cwd.path(), &["migrate"])), text, "migrating twice changes nothing");
}

#[allow(clippy::zombie_processes)] // The caller waits for it.
/// Starts `onestop ARGS` and waits for it to log its address; answers the child and the address.
fn start(cwd: &Path, args: &[&str]) -> (std::process::Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .current_dir(cwd)
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = lines.recv_timeout(Duration::from_secs(60)).expect("the server logs its address");
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(addr) = entry["addr"].as_str() {
            return (child, addr.to_owned(), lines);
        }
    }
}

async fn serves_then_stops_on_sigterm(cwd: &Path, args: &[&str], database: &str) {
    let (mut child, addr, lines) = start(cwd, args);
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value =
        reqwest::get(format!("http://{addr}/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], database);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a SIGTERM is a clean stop, not {status}");
    // The reader thread ends at the end of the pipe, so this waits for every line.
    let log: Vec<String> = lines.iter().collect();
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:?}");
    assert!(log.last().is_some_and(|l| l.contains("database closed; onestop stopped")), "{log:?}");
}

#[tokio::test]
async fn serve_on_sqlite_answers_and_stops_cleanly() {
    let cwd = tempfile::tempdir().unwrap();
    serves_then_stops_on_sigterm(cwd.path(), &["serve"], "sqlite").await;
    assert!(cwd.path().join("data/onestop.db").is_file());
}

#[tokio::test]
async fn demo_uses_its_own_database() {
    let cwd = tempfile::tempdir().unwrap();
    serves_then_stops_on_sigterm(cwd.path(), &["demo"], "sqlite").await;
    assert!(cwd.path().join("data/demo.db").is_file());
    assert!(!cwd.path().join("data/onestop.db").exists());
}

#[tokio::test]
async fn serve_on_postgres_answers_and_stops_cleanly() {
    let Some(db) = TestDb::postgres().await else { return };
    let cwd = tempfile::tempdir().unwrap();
    serves_then_stops_on_sigterm(cwd.path(), &["serve", "--database-url", &db.url], "postgres").await;
    assert_eq!(
        files_in(&cwd.path().join("data")),
        ["audit-signing.key"],
        "no SQLite file beside a PostgreSQL server"
    );
}

#[tokio::test]
async fn an_agency_moves_from_sqlite_to_postgres() {
    let Some(pg) = TestDb::postgres().await else { return };
    let sqlite = TestDb::sqlite();
    let rows = fill_for_dump(&sqlite.store().await).await;
    let cwd = tempfile::tempdir().unwrap();

    let text =
        stdout(&onestop(cwd.path(), &["export", "--out", "from-sqlite", "--database-url", &sqlite.url]));
    assert_eq!(text.trim(), format!("exported {rows} rows of 40 tables to from-sqlite"));
    let text = stdout(&onestop(cwd.path(), &["import", "from-sqlite", "--database-url", &pg.url]));
    assert_eq!(text.trim(), format!("imported {rows} rows of 40 tables from from-sqlite"));
    stdout(&onestop(cwd.path(), &["export", "--out", "from-postgres", "--database-url", &pg.url]));
    assert_same_dump(&cwd.path().join("from-sqlite"), &cwd.path().join("from-postgres"));

    // Importing twice is refused: the database is no longer empty.
    fails_with(
        &onestop(cwd.path(), &["import", "from-sqlite", "--database-url", &pg.url]),
        "is not empty (table ",
    );
    // Exporting over an earlier dump is refused.
    fails_with(
        &onestop(cwd.path(), &["export", "--out", "from-sqlite", "--database-url", &pg.url]),
        "export into a new folder",
    );
}

#[tokio::test]
async fn bad_dumps_are_refused_and_leave_nothing() {
    let sqlite = TestDb::sqlite();
    fill_for_dump(&sqlite.store().await).await;
    let cwd = tempfile::tempdir().unwrap();
    stdout(&onestop(cwd.path(), &["export", "--out", "good", "--database-url", &sqlite.url]));

    let copy = |name: &str| {
        let to = cwd.path().join(name);
        std::fs::create_dir_all(to.join("tables")).unwrap();
        std::fs::copy(cwd.path().join("good/manifest.json"), to.join("manifest.json")).unwrap();
        for file in std::fs::read_dir(cwd.path().join("good/tables")).unwrap().flatten() {
            std::fs::copy(file.path(), to.join("tables").join(file.file_name())).unwrap();
        }
        to
    };
    let future = copy("future");
    let manifest = std::fs::read_to_string(future.join("manifest.json")).unwrap();
    std::fs::write(
        future.join("manifest.json"),
        manifest.replace("\"format_version\": 1", "\"format_version\": 7"),
    )
    .unwrap();
    let broken = copy("broken");
    let rows = std::fs::read_to_string(broken.join("tables/idempotency_keys.jsonl")).unwrap();
    std::fs::write(broken.join("tables/idempotency_keys.jsonl"), rows.replacen("[", "[\"not a number\",", 3))
        .unwrap();

    let target = TestDb::sqlite();
    fails_with(
        &onestop(cwd.path(), &["import", "future", "--database-url", &target.url]),
        "unsupported dump format version 7",
    );
    fails_with(
        &onestop(cwd.path(), &["import", "broken", "--database-url", &target.url]),
        "idempotency_keys.jsonl line 1: 7 values for 6 columns",
    );
    fails_with(
        &onestop(cwd.path(), &["import", "nowhere", "--database-url", &target.url]),
        "nowhere/manifest.json",
    );
    let text = stdout(&onestop(cwd.path(), &["export", "--out", "after", "--database-url", &target.url]));
    assert_eq!(text.trim(), "exported 0 rows of 40 tables to after");
}

fn with_password(cwd: &Path, args: &[&str], password: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_onestop"))
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_and_tokens_are_managed_from_the_command_line() {
    let cwd = tempfile::tempdir().unwrap();
    let add = [
        "user",
        "add",
        "--login",
        "aynur",
        "--role",
        "agency_admin",
        "--name",
        "Aynur Əliyeva",
        "--fin",
        "5ZK7Q2M",
    ];
    assert_eq!(
        stdout(&with_password(cwd.path(), &add, "a long enough password")).trim(),
        "added aynur (agency_admin)"
    );
    fails_with(&with_password(cwd.path(), &add, "a long enough password"), "the login aynur is taken");
    fails_with(
        &with_password(
            cwd.path(),
            &["user", "add", "--login", "short", "--role", "info_desk", "--centre", "B1"],
            "tiny",
        ),
        "at least 12 characters",
    );
    fails_with(
        &with_password(
            cwd.path(),
            &["user", "add", "--login", "rashad", "--role", "officer", "--centre", "B1"],
            "a long enough password",
        ),
        "must be bound to a provider",
    );
    fails_with(
        &with_password(
            cwd.path(),
            &["user", "add", "--login", "x1x", "--role", "boss"],
            "a long enough password",
        ),
        "unknown role \"boss\"",
    );
    let list = stdout(&onestop(cwd.path(), &["user", "list"]));
    assert!(list.contains("aynur") && list.contains("*****2M") && !list.contains("5ZK7Q2M"), "{list}");
    assert_eq!(
        stdout(&onestop(cwd.path(), &["user", "disable", "--login", "aynur"])).trim(),
        "aynur suspended; their sessions were ended"
    );
    assert!(stdout(&onestop(cwd.path(), &["user", "list"])).contains("suspended"));
    fails_with(
        &onestop(cwd.path(), &["user", "disable", "--login", "ghost"]),
        "staff account ghost not found",
    );

    let issued =
        onestop(cwd.path(), &["token", "issue", "--kind", "tablet", "--centre", "AZ-B1", "--window", "7"]);
    let token = stdout(&issued).trim().to_owned();
    assert!(token.starts_with("ost_") && token.len() == 68, "{token}");
    assert!(String::from_utf8_lossy(&issued.stderr).contains("not shown again"));
    fails_with(
        &onestop(cwd.path(), &["token", "issue", "--kind", "tablet", "--centre", "AZ-B1"]),
        "must be bound to a window",
    );
    fails_with(
        &onestop(cwd.path(), &["token", "issue", "--kind", "toaster", "--centre", "AZ-B1"]),
        "unknown device kind",
    );
    let list = stdout(&onestop(cwd.path(), &["token", "list"]));
    assert!(list.contains("tablet") && list.contains("active") && !list.contains(&token[4..]), "{list}");
    assert_eq!(
        stdout(&onestop(cwd.path(), &["token", "revoke", "1"])).trim(),
        "revoked device token 1 (tablet \"tablet at AZ-B1\")"
    );
    fails_with(&onestop(cwd.path(), &["token", "revoke", "1"]), "already revoked");
}

#[tokio::test]
async fn audit_verify_names_the_first_edited_entry() {
    let cwd = tempfile::tempdir().unwrap();
    for login in ["aynur", "kamal", "leyla", "samir"] {
        let add = ["user", "add", "--login", login, "--role", "info_desk", "--centre", "AZ-B1"];
        stdout(&with_password(cwd.path(), &add, "a long enough password"));
    }
    assert_eq!(
        stdout(&onestop(cwd.path(), &["audit", "verify"])).trim(),
        "verified 4 audit entries and 0 signatures"
    );
    assert_eq!(stdout(&onestop(cwd.path(), &["audit", "sign"])).trim(), "signed the audit trail at entry 4");
    assert!(cwd.path().join("data/audit-signing.key").is_file());
    assert_eq!(
        stdout(&onestop(cwd.path(), &["audit", "verify"])).trim(),
        "verified 4 audit entries and 1 signatures"
    );

    // Edit one row of a copy of the database, as someone with file access could. The copy is taken
    // with VACUUM INTO, which reads through the write-ahead log, so it holds every committed entry.
    let tampered = |name: &'static str, edit: &'static str| {
        let dir = cwd.path().to_owned();
        async move {
            let original = format!("sqlite://{}", dir.join("data/onestop.db").display());
            let pool = sqlx::SqlitePool::connect(&original).await.unwrap();
            let copy = dir.join(name);
            sqlx::query("VACUUM INTO ?").bind(copy.display().to_string()).execute(&pool).await.unwrap();
            pool.close().await;
            let url = format!("sqlite://{}", copy.display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let changed = sqlx::query(edit).execute(&pool).await.unwrap().rows_affected();
            assert_eq!(changed, 1, "{edit}");
            pool.close().await;
            url
        }
    };
    let url = tampered("edited.db", "UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 2").await;
    let output = onestop(cwd.path(), &["audit", "verify", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: audit entry 2 is broken: its content does not match its hash (it was edited)"
    );

    // Deleting the newest entry, which was signed, is caught by its signature.
    let url = tampered("truncated.db", "DELETE FROM audit_log WHERE seq = 4").await;
    let output = onestop(cwd.path(), &["audit", "verify", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("audit entry 4 is broken: it was signed but is gone")
    );

    // Without the key, signatures cannot be checked: that is an error, not a pass.
    std::fs::remove_file(cwd.path().join("data/audit-signing.key")).unwrap();
    fails_with(&onestop(cwd.path(), &["audit", "verify"]), "no audit signing key");
}

#[test]
fn catalogues_import_whole_or_not_at_all_and_round_trip() {
    let cwd = tempfile::tempdir().unwrap();
    let demo = onestop_server::admin::DEMO_CATALOGUE;
    // Break it in three places: every problem is listed with its line and field; nothing is saved.
    let broken = demo
        .replacen("state: 500", "state: -500", 1)
        .replacen("timeframe: P10D", "timeframe: P1X", 1)
        .replacen("provider: MIA\n", "provider: NOBODY\n", 1);
    std::fs::write(cwd.path().join("broken.yaml"), &broken).unwrap();
    let output = onestop(cwd.path(), &["import-catalogue", "broken.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: the catalogue has "), "{stderr}");
    for needle in ["fees.state", "timeframe", "NOBODY"] {
        assert!(
            stderr.lines().any(|l| l.trim_start().starts_with("line ") && l.contains(needle)),
            "{needle} in {stderr}"
        );
    }
    fails_with(&onestop(cwd.path(), &["export-catalogue"]), "no catalogue has been imported yet");

    std::fs::write(cwd.path().join("demo.yaml"), demo).unwrap();
    let said = stdout(&onestop(cwd.path(), &["import-catalogue", "demo.yaml"]));
    assert!(
        said.starts_with("imported demo.yaml as catalogue version 1: 31 providers, 88 services"),
        "{said}"
    );
    stdout(&onestop(cwd.path(), &["export-catalogue", "--out", "first.yaml"]));
    let said = stdout(&onestop(cwd.path(), &["import-catalogue", "first.yaml"]));
    assert!(said.starts_with("imported first.yaml as catalogue version 2"), "{said}");
    let second = stdout(&onestop(cwd.path(), &["export-catalogue"]));
    let first = std::fs::read_to_string(cwd.path().join("first.yaml")).unwrap();
    assert_eq!(first, second, "import → export → import gives the same registry");
    assert_eq!(
        onestop_domain::catalogue::parse_catalogue(&first).unwrap(),
        onestop_domain::catalogue::parse_catalogue(demo).unwrap()
    );
}
