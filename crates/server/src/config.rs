//! Configuration: built-in defaults, then an optional TOML file, then `ONESTOP_*` environment
//! variables, then command-line flags; each layer overrides the one before.
//!
//! Every key has a default, so the set of keys is the shape of [`Config::default`]. A file key or
//! an `ONESTOP_*` variable outside that set is an error naming it. A key's environment variable is
//! `ONESTOP_` and its dotted path in upper case with `_` for `.`: `database.url` is
//! `ONESTOP_DATABASE_URL`. Variables starting `ONESTOP_TEST_` belong to the test suite and are
//! left alone.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The database a fresh install uses: an SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/onestop.db";
/// The database `onestop demo` uses unless one is configured, kept apart from real data.
pub const DEMO_DATABASE_URL: &str = "sqlite://./data/demo.db";

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Logging.
    pub log: LogConfig,
    /// The audit trail.
    pub audit: AuditConfig,
    /// Ratings, complaints and Open311.
    pub feedback: FeedbackConfig,
    /// Online appointments.
    pub booking: BookingConfig,
    /// The notification outbox's delivery.
    pub notify: NotifyConfig,
    /// Monitoring: the fold, reports, appraisal weights and the Index.
    pub monitoring: MonitoringConfig,
    /// Applications and payments.
    pub cases: CasesConfig,
}

/// `[monitoring]`: statistics, reports, officers' appraisal and the ASAN Service Index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Seconds between folds of the days that are over into the rollups.
    pub fold_interval_secs: u64,
    /// Minutes after a centre's local midnight before its day is folded (ratings given late).
    pub fold_grace_minutes: i64,
    /// Seconds between runs of the report job (reports of closed periods, the Index).
    pub report_interval_secs: u64,
    /// Waits under this many minutes count as within target (the Index).
    pub wait_target_minutes: i64,
    /// Training hours per officer per quarter that score full marks (the Index).
    pub index_training_hours: i64,
    /// The Index's weights: information, duration, electronization, training, feedback,
    /// satisfaction.
    pub index_weight_information: u32,
    /// See `index_weight_information`.
    pub index_weight_duration: u32,
    /// See `index_weight_information`.
    pub index_weight_electronic: u32,
    /// See `index_weight_information`.
    pub index_weight_training: u32,
    /// See `index_weight_information`.
    pub index_weight_feedback: u32,
    /// See `index_weight_information`.
    pub index_weight_satisfaction: u32,
    /// Appraisal weights: tickets served.
    pub appraisal_weight_volume: u32,
    /// Service time against the norm.
    pub appraisal_weight_speed: u32,
    /// Satisfaction rate.
    pub appraisal_weight_satisfaction: u32,
    /// Upheld complaints.
    pub appraisal_weight_complaints: u32,
    /// No-shows.
    pub appraisal_weight_no_shows: u32,
    /// Deadline breaches.
    pub appraisal_weight_deadlines: u32,
    /// Audit violations.
    pub appraisal_weight_audit: u32,
}

/// `[cases]`: applications and payments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesConfig {
    /// The fee for delivering a ready document to an address, in minor units (qəpik).
    pub delivery_fee: i64,
    /// A YAML file of application workflows replacing the built-in ones (empty: built-in); the
    /// format is documented in `crates/domain/src/cases/workflows.yaml`.
    pub workflows_file: String,
}

/// `[booking]`: the thresholds of online appointments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingConfig {
    /// The first bookable day, in days after today (1: tomorrow).
    pub first_day: i64,
    /// The last bookable day, in days after today (7: a week ahead).
    pub last_day: i64,
    /// Minutes a held slot waits for its one-time code.
    pub hold_minutes: i64,
    /// Minutes a cancelled place stays taken before it is offered again.
    pub release_delay_minutes: i64,
    /// Minutes before its time an appointment may be checked in.
    pub check_in_before_minutes: i64,
    /// Minutes after its time an appointment may still be checked in; later it is a no-show.
    pub grace_minutes: i64,
    /// Wrong one-time codes before a hold is dropped.
    pub code_attempts: u32,
    /// No-shows within `cool_down_days` that bar a person from booking (0: never).
    pub no_show_limit: u32,
    /// Days no-shows count against a person.
    pub cool_down_days: i64,
    /// Percent of each slot's capacity for the website.
    pub share_website_percent: u32,
    /// Percent for the call centre.
    pub share_call_centre_percent: u32,
    /// Percent for the information desk (the rest of the capacity is for walk-ins).
    pub share_info_desk_percent: u32,
    /// Zero bits the booking form's proof of work needs (0: no challenge).
    pub pow_difficulty: u8,
    /// Seconds a proof-of-work challenge stays valid.
    pub pow_ttl_secs: i64,
    /// Booking attempts per client address per minute.
    pub per_ip_per_minute: u32,
    /// Booking attempts per national ID per hour.
    pub per_id_per_hour: u32,
    /// Seconds between runs of the reminder and no-show sweep.
    pub sweep_interval_secs: u64,
}

/// `[notify]`: how the outbox's messages leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// `mailbox` (kept for the dev mailbox, nothing leaves the machine) or `smtp`.
    pub email_transport: String,
    /// `mailbox` or `gateway` (an HTTP POST of `{"to", "text"}` to `sms_gateway_url`).
    pub sms_transport: String,
    /// Show the outbox at `/dev/mailbox` (demos only: it shows one-time codes).
    pub dev_mailbox: bool,
    /// The SMTP server's host.
    pub smtp_host: String,
    /// Its port.
    pub smtp_port: u16,
    /// The sender address.
    pub smtp_from: String,
    /// The SMTP user (empty: no authentication).
    pub smtp_username: String,
    /// The SMTP password.
    pub smtp_password: String,
    /// The SMS gateway's URL.
    pub sms_gateway_url: String,
    /// Milliseconds between looks for due messages.
    pub poll_interval_ms: u64,
    /// Seconds before the first retry; doubled after each further failure.
    pub retry_first_secs: i64,
    /// The longest wait between retries, in seconds.
    pub retry_max_secs: i64,
    /// Tries before a message is given up.
    pub max_attempts: u32,
}

/// `[server]`: the HTTP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The address to listen on, `IP:PORT`.
    pub listen: String,
    /// Seconds a request may take before it is answered 408.
    pub request_timeout_secs: u64,
    /// The largest request body accepted, in bytes.
    pub body_limit_bytes: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or ctrl-c.
    pub shutdown_grace_secs: u64,
    /// The public base URL of this server, under which open data (CPSV-AP) mints identifiers.
    pub public_url: String,
    /// Mark cookies `Secure` always (set when a TLS proxy that does not send
    /// `X-Forwarded-Proto: https` sits in front).
    pub secure_cookies: bool,
}

/// `[database]`: where the data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (the embedded default) or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    pub url: String,
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// Seconds to wait for the database to answer before giving up.
    pub connect_timeout_secs: u64,
}

/// `[log]`: what the server logs and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `onestop_web=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

/// `[audit]`: the tamper-evident audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The file holding the Ed25519 key that signs the chain's head (created by `serve` if
    /// missing). Keep it away from the database and its backups.
    pub signing_key_file: String,
    /// Seconds between signatures of the chain's head.
    pub sign_interval_secs: u64,
}

/// `[feedback]`: ratings, complaints and Open311.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackConfig {
    /// Days after its answer within which a complainant may reopen a complaint.
    pub reopen_days: u32,
    /// The `jurisdiction_id` Open311 clients name this server by.
    pub open311_jurisdiction: String,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig {
                listen: "127.0.0.1:8080".into(),
                request_timeout_secs: 30,
                body_limit_bytes: 1024 * 1024,
                shutdown_grace_secs: 20,
                public_url: "http://127.0.0.1:8080/".into(),
                secure_cookies: false,
            },
            database: DatabaseConfig {
                url: DEFAULT_DATABASE_URL.into(),
                max_connections: 16,
                connect_timeout_secs: 5,
            },
            log: LogConfig { format: LogFormat::Text, level: "info,sqlx=warn".into() },
            audit: AuditConfig {
                signing_key_file: "./data/audit-signing.key".into(),
                sign_interval_secs: 60,
            },
            feedback: FeedbackConfig { reopen_days: 10, open311_jurisdiction: "onestop".into() },
            cases: CasesConfig { delivery_fee: 500, workflows_file: String::new() },
            booking: BookingConfig {
                first_day: 1,
                last_day: 7,
                hold_minutes: 10,
                release_delay_minutes: 60,
                check_in_before_minutes: 10,
                grace_minutes: 15,
                code_attempts: 5,
                no_show_limit: 2,
                cool_down_days: 30,
                share_website_percent: 30,
                share_call_centre_percent: 10,
                share_info_desk_percent: 10,
                pow_difficulty: 16,
                pow_ttl_secs: 300,
                per_ip_per_minute: 20,
                per_id_per_hour: 10,
                sweep_interval_secs: 60,
            },
            notify: NotifyConfig {
                email_transport: "mailbox".into(),
                sms_transport: "mailbox".into(),
                dev_mailbox: false,
                smtp_host: "127.0.0.1".into(),
                smtp_port: 25,
                smtp_from: "onestop@localhost".into(),
                smtp_username: String::new(),
                smtp_password: String::new(),
                sms_gateway_url: String::new(),
                poll_interval_ms: 1000,
                retry_first_secs: 10,
                retry_max_secs: 1800,
                max_attempts: 8,
            },
            monitoring: MonitoringConfig {
                fold_interval_secs: 300,
                fold_grace_minutes: 30,
                report_interval_secs: 3600,
                wait_target_minutes: 15,
                index_training_hours: 10,
                index_weight_information: 20,
                index_weight_duration: 20,
                index_weight_electronic: 15,
                index_weight_training: 10,
                index_weight_feedback: 15,
                index_weight_satisfaction: 20,
                appraisal_weight_volume: 20,
                appraisal_weight_speed: 20,
                appraisal_weight_satisfaction: 25,
                appraisal_weight_complaints: 15,
                appraisal_weight_no_shows: 10,
                appraisal_weight_deadlines: 5,
                appraisal_weight_audit: 5,
            },
        }
    }
}

/// Why the configuration could not be built. Each names the key or file at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {reason}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// A key that does not exist.
    #[error("unknown config key `{key}` in {origin}")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// Where it was found.
        origin: String,
    },
    /// An `ONESTOP_*` variable that names no key.
    #[error("unknown environment variable {0}: no config key is called that")]
    UnknownVariable(String),
    /// A value of the wrong type or out of range.
    #[error("config key `{key}` in {origin}: {reason}")]
    BadValue {
        /// The dotted key.
        key: String,
        /// Where the value came from.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Builds the effective configuration from the layers.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Flags,
    ) -> Result<Config, ConfigError> {
        let mut merged = Value::try_from(Config::default()).expect("defaults serialise");
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Unreadable { path: path.to_owned(), reason: e.to_string() })?;
            let table: Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: path.to_owned(),
                reason: one_line(&e),
            })?;
            let source = format!("config file {}", path.display());
            merge(as_table(&mut merged), table, "", &source)?;
        }
        let leaves = leaves(&merged);
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("ONESTOP_") && !k.starts_with("ONESTOP_TEST_"))
            .collect();
        vars.sort();
        for (name, raw) in vars {
            let key = leaves
                .iter()
                .find(|key| env_name(key) == name)
                .ok_or_else(|| ConfigError::UnknownVariable(name.clone()))?;
            set(&mut merged, key, &raw, &format!("environment variable {name}"))?;
        }
        let flag_values = [
            ("server.listen", "--listen", flags.listen.clone()),
            ("database.url", "--database-url", flags.database_url.clone()),
            (
                "log.format",
                "--log-format",
                flags.log_format.map(|f| if f == LogFormat::Json { "json" } else { "text" }.into()),
            ),
        ];
        for (key, flag, value) in flag_values {
            if let Some(value) = value {
                set(&mut merged, key, &value, &format!("flag {flag}"))?;
            }
        }
        let config: Config = merged.try_into().map_err(|e: toml::de::Error| ConfigError::BadValue {
            key: "?".into(),
            origin: "the merged configuration".into(),
            reason: one_line(&e),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: String| ConfigError::BadValue {
            key: key.into(),
            origin: "the configuration".into(),
            reason,
        };
        self.server.listen.parse::<SocketAddr>().map_err(|_| {
            bad("server.listen", format!("{:?} is not an address like 127.0.0.1:8080", self.server.listen))
        })?;
        match url::Url::parse(&self.server.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(bad(
                    "server.public_url",
                    format!("{:?} is not an http(s) URL", self.server.public_url),
                ));
            }
        }
        crate::db::DatabaseUrl::parse(&self.database.url).map_err(|e| bad("database.url", e.to_string()))?;
        if self.database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be at least 1".into()));
        }
        if self.server.request_timeout_secs == 0 {
            return Err(bad("server.request_timeout_secs", "must be at least 1".into()));
        }
        if self.audit.sign_interval_secs == 0 {
            return Err(bad("audit.sign_interval_secs", "must be at least 1".into()));
        }
        if self.cases.delivery_fee < 0 {
            return Err(bad("cases.delivery_fee", "must not be negative".into()));
        }
        if self.feedback.open311_jurisdiction.trim().is_empty() {
            return Err(bad("feedback.open311_jurisdiction", "must not be empty".into()));
        }
        if self.server.body_limit_bytes == 0 {
            return Err(bad("server.body_limit_bytes", "must be at least 1".into()));
        }
        let b = &self.booking;
        if b.first_day < 0 || b.last_day < b.first_day {
            return Err(bad(
                "booking.last_day",
                "must be at least booking.first_day, which is at least 0".into(),
            ));
        }
        if b.share_website_percent + b.share_call_centre_percent + b.share_info_desk_percent > 100 {
            return Err(bad(
                "booking.share_website_percent",
                "the channels' shares add up to more than 100".into(),
            ));
        }
        if b.pow_difficulty > 32 {
            return Err(bad("booking.pow_difficulty", "at most 32 bits".into()));
        }
        if b.hold_minutes < 1 || b.pow_ttl_secs < 1 || b.sweep_interval_secs == 0 {
            return Err(bad(
                "booking.hold_minutes",
                "holds, challenges and the sweep need at least 1".into(),
            ));
        }
        let n = &self.notify;
        if !matches!(n.email_transport.as_str(), "mailbox" | "smtp") {
            return Err(bad(
                "notify.email_transport",
                format!("{:?}: use mailbox or smtp", n.email_transport),
            ));
        }
        match n.sms_transport.as_str() {
            "mailbox" => {}
            "gateway" => match url::Url::parse(&n.sms_gateway_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return Err(bad("notify.sms_gateway_url", "the SMS gateway needs an http(s) URL".into()));
                }
            },
            other => return Err(bad("notify.sms_transport", format!("{other:?}: use mailbox or gateway"))),
        }
        if n.max_attempts == 0 || n.poll_interval_ms == 0 || n.retry_first_secs < 1 {
            return Err(bad(
                "notify.max_attempts",
                "attempts, poll interval and retry wait need at least 1".into(),
            ));
        }
        let m = &self.monitoring;
        if m.fold_interval_secs == 0 || m.report_interval_secs == 0 || m.fold_grace_minutes < 0 {
            return Err(bad(
                "monitoring.fold_interval_secs",
                "the fold and report intervals need at least 1 and the grace at least 0".into(),
            ));
        }
        let index = self.monitoring_settings().index;
        if index.weights.iter().sum::<u32>() == 0 || m.index_training_hours < 1 || m.wait_target_minutes < 1 {
            return Err(bad(
                "monitoring.index_weight_information",
                "the Index needs a weight above 0, a training target and a wait target of at least 1".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| bad("log.level", format!("{:?} is not a log filter: {e}", self.log.level)))?;
        Ok(())
    }

    /// The booking settings of the web layer.
    pub fn booking_settings(&self) -> onestop_web::booking::Settings {
        use jiff::SignedDuration;
        let b = &self.booking;
        onestop_web::booking::Settings {
            rules: onestop_domain::booking::BookingRules {
                first_day: b.first_day,
                last_day: b.last_day,
                hold: SignedDuration::from_mins(b.hold_minutes),
                release_delay: SignedDuration::from_mins(b.release_delay_minutes),
                check_in_before: SignedDuration::from_mins(b.check_in_before_minutes),
                grace: SignedDuration::from_mins(b.grace_minutes),
                code_attempts: b.code_attempts,
                no_show_limit: b.no_show_limit,
                cool_down: SignedDuration::from_hours(24 * b.cool_down_days),
                share_website: b.share_website_percent,
                share_call_centre: b.share_call_centre_percent,
                share_info_desk: b.share_info_desk_percent,
            },
            pow_difficulty: b.pow_difficulty,
            pow_ttl: SignedDuration::from_secs(b.pow_ttl_secs),
            per_ip_per_minute: b.per_ip_per_minute,
            per_id_per_hour: b.per_id_per_hour,
            dev_mailbox: self.notify.dev_mailbox,
        }
    }

    /// The monitoring settings of the web layer.
    pub fn monitoring_settings(&self) -> onestop_web::monitoring::MonitoringSettings {
        let m = &self.monitoring;
        onestop_web::monitoring::MonitoringSettings {
            fold_grace_minutes: m.fold_grace_minutes,
            appraisal: onestop_domain::monitoring::appraisal::Weights {
                volume: m.appraisal_weight_volume,
                speed: m.appraisal_weight_speed,
                satisfaction: m.appraisal_weight_satisfaction,
                complaints: m.appraisal_weight_complaints,
                no_shows: m.appraisal_weight_no_shows,
                deadlines: m.appraisal_weight_deadlines,
                audit: m.appraisal_weight_audit,
            },
            index: onestop_domain::monitoring::index::Settings {
                weights: [
                    m.index_weight_information,
                    m.index_weight_duration,
                    m.index_weight_electronic,
                    m.index_weight_training,
                    m.index_weight_feedback,
                    m.index_weight_satisfaction,
                ],
                training_target_tenths: m.index_training_hours * 10,
                wait_target_secs: m.wait_target_minutes * 60,
            },
        }
    }

    /// The listen address (checked by [`Config::load`]).
    pub fn listen_addr(&self) -> SocketAddr {
        self.server.listen.parse().expect("validated on load")
    }

    /// The configuration as TOML with secrets (database passwords) replaced by `***`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = crate::db::redact(&shown.database.url);
        if !shown.notify.smtp_password.is_empty() {
            shown.notify.smtp_password = "***".into();
        }
        toml::to_string_pretty(&shown).expect("config serialises")
    }
}

fn one_line(error: &toml::de::Error) -> String {
    error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn as_table(value: &mut Value) -> &mut Table {
    value.as_table_mut().expect("the config root is a table")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// Overlays `layer` on `base`, refusing keys `base` lacks and values of another type.
fn merge(base: &mut Table, layer: Table, prefix: &str, source: &str) -> Result<(), ConfigError> {
    for (name, value) in layer {
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let Some(slot) = base.get_mut(&name) else {
            return Err(ConfigError::UnknownKey { key, origin: source.into() });
        };
        match (slot, value) {
            (Value::Table(inner), Value::Table(layer)) => merge(inner, layer, &key, source)?,
            (slot, value) if std::mem::discriminant(slot) == std::mem::discriminant(&value) => *slot = value,
            (slot, value) => {
                return Err(ConfigError::BadValue {
                    key,
                    origin: source.into(),
                    reason: format!("expected {}, found {}", type_name(slot), type_name(&value)),
                });
            }
        }
    }
    Ok(())
}

/// The dotted paths of every leaf key.
fn leaves(value: &Value) -> Vec<String> {
    fn walk(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Table(table) => {
                for (name, inner) in table {
                    let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                    walk(inner, &key, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// The environment variable of a dotted key.
pub fn env_name(key: &str) -> String {
    format!("ONESTOP_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Sets the leaf at `key` from text, parsed as the type the leaf already has.
fn set(root: &mut Value, key: &str, raw: &str, source: &str) -> Result<(), ConfigError> {
    let slot = key.split('.').try_fold(root, |v, part| v.get_mut(part)).expect("key comes from the defaults");
    let bad = |reason: String| ConfigError::BadValue { key: key.into(), origin: source.into(), reason };
    *slot = match slot {
        Value::String(_) => Value::String(raw.to_owned()),
        Value::Integer(_) => {
            Value::Integer(raw.trim().parse().map_err(|_| bad(format!("{raw:?} is not an integer")))?)
        }
        Value::Boolean(_) => Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(bad(format!("{raw:?} is not true or false"))),
        }),
        other => return Err(bad(format!("cannot be set from text (expected {})", type_name(other)))),
    };
    Ok(())
}

/// The web's settings of applications and payments from `[cases]`: the workflows file read and
/// checked (a one-line error naming the key when it is not), the sandbox acquirer.
pub fn cases_settings(config: &CasesConfig) -> Result<onestop_web::cases::Cases, String> {
    use onestop_domain::cases::workflow::Workflows;
    let workflows = if config.workflows_file.trim().is_empty() {
        Workflows::builtin()
    } else {
        let text = std::fs::read_to_string(&config.workflows_file)
            .map_err(|e| format!("cases.workflows_file: cannot read {}: {e}", config.workflows_file))?;
        Workflows::parse(&text).map_err(|e| format!("cases.workflows_file: {e}"))?
    };
    Ok(onestop_web::cases::Cases {
        workflows: std::sync::Arc::new(workflows),
        delivery_fee: config.delivery_fee,
        ..onestop_web::cases::Cases::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn defaults_stand_alone() {
        let config = Config::load(None, env(&[("HOME", "/root")]), &Flags::default()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.database.url, "sqlite://./data/onestop.db");
        assert_eq!(config.listen_addr().to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        let f = file(
            "[server]\nlisten = \"0.0.0.0:9000\"\nrequest_timeout_secs = 5\n[database]\nurl = \"sqlite://./from-file.db\"\n",
        );
        let vars = env(&[("ONESTOP_DATABASE_URL", "sqlite://./from-env.db"), ("ONESTOP_LOG_FORMAT", "json")]);
        let config = Config::load(Some(f.path()), vars.clone(), &Flags::default()).unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:9000");
        assert_eq!(config.server.request_timeout_secs, 5);
        assert_eq!(config.database.url, "sqlite://./from-env.db");
        assert_eq!(config.log.format, LogFormat::Json);

        let flags = Flags {
            database_url: Some("sqlite://./from-flag.db".into()),
            log_format: Some(LogFormat::Text),
            ..Flags::default()
        };
        let config = Config::load(Some(f.path()), vars, &flags).unwrap();
        assert_eq!(config.database.url, "sqlite://./from-flag.db");
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(config.server.listen, "0.0.0.0:9000");
    }

    #[test]
    fn unknown_keys_are_named() {
        let f = file("[server]\nlisten = \"127.0.0.1:1\"\nlisen = \"oops\"\n");
        let err = Config::load(Some(f.path()), env(&[]), &Flags::default()).unwrap_err();
        assert!(matches!(&err, ConfigError::UnknownKey { key, .. } if key == "server.lisen"), "{err}");

        let f = file("[smtp]\nhost = \"x\"\n");
        let err = Config::load(Some(f.path()), env(&[]), &Flags::default()).unwrap_err();
        assert!(err.to_string().starts_with("unknown config key `smtp` in config file"), "{err}");

        let err = Config::load(None, env(&[("ONESTOP_DATABASE_URI", "x")]), &Flags::default()).unwrap_err();
        assert_eq!(err, ConfigError::UnknownVariable("ONESTOP_DATABASE_URI".into()));
        // The test suite's own variables are not configuration.
        assert!(Config::load(None, env(&[("ONESTOP_TEST_POSTGRES_URL", "x")]), &Flags::default()).is_ok());
    }

    #[test]
    fn bad_values_are_named() {
        let f = file("[server]\nrequest_timeout_secs = \"soon\"\n");
        let err = Config::load(Some(f.path()), env(&[]), &Flags::default()).unwrap_err().to_string();
        assert!(
            err.contains("`server.request_timeout_secs`")
                && err.contains("expected an integer, found a string"),
            "{err}"
        );

        let err = Config::load(None, env(&[("ONESTOP_DATABASE_MAX_CONNECTIONS", "many")]), &Flags::default())
            .unwrap_err();
        assert!(err.to_string().contains("environment variable ONESTOP_DATABASE_MAX_CONNECTIONS"), "{err}");

        let f = file("[server\nlisten=");
        let err = Config::load(Some(f.path()), env(&[]), &Flags::default()).unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }));
        assert!(!err.to_string().contains('\n'));

        let flags = Flags { listen: Some("localhost".into()), ..Flags::default() };
        let err = Config::load(None, env(&[]), &flags).unwrap_err().to_string();
        assert!(err.contains("`server.listen`") && err.contains("not an address"), "{err}");

        let flags = Flags { database_url: Some("mysql://db/x".into()), ..Flags::default() };
        let err = Config::load(None, env(&[]), &flags).unwrap_err().to_string();
        assert!(err.contains("`database.url`") && err.contains("mysql"), "{err}");

        let err = Config::load(None, env(&[("ONESTOP_LOG_FORMAT", "xml")]), &Flags::default()).unwrap_err();
        assert!(err.to_string().contains("xml"), "{err}");
    }

    #[test]
    fn every_key_has_a_variable() {
        let keys = leaves(&Value::try_from(Config::default()).unwrap());
        assert!(keys.contains(&"database.url".to_string()));
        assert_eq!(env_name("database.url"), "ONESTOP_DATABASE_URL");
        assert_eq!(env_name("server.shutdown_grace_secs"), "ONESTOP_SERVER_SHUTDOWN_GRACE_SECS");
    }

    #[test]
    fn printing_hides_passwords() {
        let flags = Flags {
            database_url: Some("postgres://onestop:s3cret@db.example:5432/onestop".into()),
            ..Flags::default()
        };
        let shown = Config::load(None, env(&[]), &flags).unwrap().redacted_toml();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://onestop:***@db.example:5432/onestop"), "{shown}");
    }

    #[test]
    fn a_workflows_file_replaces_the_built_in_ones_or_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("workflows.yaml");
        let mut config = CasesConfig { delivery_fee: 700, workflows_file: String::new() };
        let built_in = cases_settings(&config).unwrap();
        assert_eq!((built_in.workflows.all().len(), built_in.delivery_fee), (2, 700));
        std::fs::write(
            &file,
            onestop_domain::cases::workflow::BUILTIN.replace("default: true", "default: false"),
        )
        .unwrap();
        config.workflows_file = file.display().to_string();
        let err = cases_settings(&config).unwrap_err();
        assert!(err.starts_with("cases.workflows_file: ") && err.contains("exactly one"), "{err}");
        std::fs::write(&file, onestop_domain::cases::workflow::BUILTIN).unwrap();
        assert_eq!(cases_settings(&config).unwrap().workflows.all().len(), 2);
        config.workflows_file = dir.path().join("missing.yaml").display().to_string();
        assert!(cases_settings(&config).unwrap_err().contains("cannot read"));
        let negative = Config::load(None, env(&[("ONESTOP_CASES_DELIVERY_FEE", "-1")]), &Flags::default());
        assert!(negative.unwrap_err().to_string().contains("cases.delivery_fee"));
    }
}
