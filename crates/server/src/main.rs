//! `onestop`: the server and operations tool of a one-stop-shop public service agency.
//!
//! Every failure prints one line to standard error and exits with code 2.

use clap::{Parser, Subcommand};
use onestop_server::config::{self, Config, Flags, LogFormat};
use onestop_server::db::{self, Open};
use onestop_server::{admin, audit_key, demo_driver, serve, simulate, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: a request allocates and frees many small
/// buffers across the async worker threads, which glibc's allocator serves with locks and
/// consolidation passes (about a tenth of the server's time under load, see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "onestop", version, about = "Software for a one-stop-shop public service agency")]
struct Cli {
    /// A TOML config file; its keys override the defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: sqlite://PATH (default sqlite://./data/onestop.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// How to write logs.
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creating and migrating the database if needed).
    Serve {
        /// The address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Run the server with the demo network (on ./data/demo.db unless a database is configured),
    /// driven live by simulated citizens and officers.
    Demo {
        /// The address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Serve the demo network without the simulated citizens and officers.
        #[arg(long)]
        no_drive: bool,
        /// The centre the simulated people visit.
        #[arg(long, value_name = "CODE", default_value = "BAKU-1")]
        drive_centre: String,
        /// How much faster than life services go (30: a 15-minute service takes 30 seconds).
        #[arg(long, value_name = "FACTOR", default_value_t = 30.0)]
        drive_speed: f64,
    },
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate,
    /// Show the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Write every table to a portable dump folder.
    Export {
        /// The folder to write; it must not exist or be empty.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Load a dump folder into a new, empty database, all or nothing.
    Import {
        /// The folder `onestop export` wrote.
        dir: PathBuf,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage device and integration tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Check a catalogue file (providers, services, centres) and make it the registry in force.
    ImportCatalogue {
        /// The YAML file, e.g. catalogue/asan-demo.yaml.
        file: PathBuf,
    },
    /// Write the registry in force as a catalogue file.
    ExportCatalogue {
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Simulate a centre's day: waits and utilisation per hour, service and window group.
    Simulate {
        /// The centre's code, e.g. BAKU-1.
        #[arg(long, value_name = "CODE")]
        centre: String,
        /// The date (YYYY-MM-DD): its weekday, opening hours and holidays.
        #[arg(long, value_name = "DATE")]
        date: String,
        /// A plan file (TOML: demand, service times, windows open per hour; see the README).
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
        /// A catalogue file to read the centre from instead of the database's registry.
        #[arg(long, value_name = "FILE")]
        catalogue: Option<PathBuf>,
        /// Days to simulate (overrides the plan's `days`).
        #[arg(long)]
        days: Option<u64>,
        /// Also recommend windows per hour for the plan's target, as plan-file entries.
        #[arg(long)]
        recommend: bool,
    },
    /// Check and sign the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add an account. The password is asked for (twice) or, when standard input is not a
    /// terminal, read from its first line; it is never a flag.
    Add {
        /// The sign-in name: lower-case letters, digits, '.', '-', '_'.
        #[arg(long)]
        login: String,
        /// agency_admin, centre_manager, info_desk, officer, bank_teller, monitoring_analyst,
        /// call_centre_operator, volunteer or commission_member.
        #[arg(long)]
        role: String,
        /// The centre, for centre-bound roles.
        #[arg(long)]
        centre: Option<String>,
        /// The provider, for officers.
        #[arg(long)]
        provider: Option<String>,
        /// The person's full name (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// The person's national ID number.
        #[arg(long)]
        fin: Option<String>,
        /// The person's phone number, +994….
        #[arg(long)]
        phone: Option<String>,
        /// Make the person choose a new password at first sign-in.
        #[arg(long)]
        must_change_password: bool,
    },
    /// List accounts (personal data masked).
    List,
    /// Suspend an account and end its sessions.
    Disable {
        /// The account's login.
        #[arg(long)]
        login: String,
    },
    /// Reactivate a suspended account.
    Enable {
        /// The account's login.
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Issue a token and print it once; only its hash is stored.
    Issue {
        /// kiosk, display, tablet, terminal or integration.
        #[arg(long)]
        kind: String,
        /// The centre the device belongs to.
        #[arg(long)]
        centre: String,
        /// The window, for window displays and feedback tablets.
        #[arg(long)]
        window: Option<String>,
        /// A name for people, e.g. "Kiosk by the entrance".
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
    },
    /// List tokens.
    List,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walk the chain and its signatures: exit 0 with the count, or 1 naming the first broken entry.
    Verify,
    /// Sign the chain's head now (the server also does so periodically and at shutdown).
    Sign,
}

/// Reads a new password: prompted twice on a terminal, else the first line of standard input.
fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration as TOML, secrets redacted.
    Print,
}

/// A failure: its message, and exit code 1 for a broken audit chain, 2 otherwise.
struct Failure(String, u8);

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure(message, 2)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen, .. } => listen.clone(),
        _ => None,
    };
    let flags = Flags { listen, database_url: cli.database_url.clone(), log_format: cli.log_format };
    let mut config =
        Config::load(cli.config.as_deref(), std::env::vars(), &flags).map_err(|e| e.to_string())?;
    if matches!(cli.command, Command::Demo { .. }) && config.database.url == config::DEFAULT_DATABASE_URL {
        config.database.url = config::DEMO_DATABASE_URL.into();
    }
    if let Command::Simulate { centre, date, plan, catalogue, days, recommend } = &cli.command
        && let Some(file) = catalogue
    {
        // A catalogue file needs no database.
        let text =
            std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let parsed = onestop_domain::catalogue::parse_catalogue(&text)
            .map_err(|e| format!("{} is not a valid catalogue: {e}", file.display()))?;
        print!("{}", simulate::run(&parsed, centre, date, plan.as_deref(), *days, *recommend)?);
        return Ok(());
    }
    if let Command::Config { action: ConfigAction::Print } = cli.command {
        print!("{}", config.redacted_toml());
        return Ok(());
    }
    telemetry::init(&config.log);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } | Command::Demo { .. } => {
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                if matches!(cli.command, Command::Demo { .. })
                    && let Some(imported) = admin::ensure_demo_catalogue(store.as_ref()).await?
                {
                    tracing::info!("demo: {imported}");
                }
                let listener = serve::bind(&config).await?;
                let driver = match &cli.command {
                    Command::Demo { no_drive: false, drive_centre, drive_speed, .. } => {
                        let addr = listener.local_addr().map_err(|e| e.to_string())?;
                        let host = if addr.ip().is_unspecified() {
                            "127.0.0.1".to_owned()
                        } else {
                            addr.ip().to_string()
                        };
                        let base = if addr.is_ipv6() && !addr.ip().is_unspecified() {
                            format!("http://[{host}]:{}", addr.port())
                        } else {
                            format!("http://{host}:{}", addr.port())
                        };
                        let settings = demo_driver::DemoSettings {
                            centre: drive_centre.clone(),
                            speed: *drive_speed,
                            ..demo_driver::DemoSettings::default()
                        };
                        Some(demo_driver::Handle::spawn(std::sync::Arc::clone(&store), base, settings))
                    }
                    _ => None,
                };
                let shutdown = async move {
                    serve::shutdown_signal().await;
                    if let Some(driver) = driver {
                        driver.stop().await;
                    }
                };
                Ok(serve::run(&config, listener, store, shutdown).await?)
            }
            Command::Migrate => {
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                let version = store.schema_version().await.map_err(|e| e.to_string())?;
                store.close().await;
                println!("database at schema version {}", version.unwrap_or(0));
                Ok(())
            }
            Command::Export { out } => {
                let store = db::open(&config.database, Open::Existing).await.map_err(|e| e.to_string())?;
                let summary = store.export_dump(&out).await.map_err(|e| e.to_string());
                store.close().await;
                let summary = summary?;
                println!("exported {} rows of {} tables to {}", summary.rows, summary.tables, out.display());
                Ok(())
            }
            Command::Import { dir } => {
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                let summary = store.import_dump(&dir).await.map_err(|e| e.to_string());
                store.close().await;
                let summary = summary?;
                println!(
                    "imported {} rows of {} tables from {}",
                    summary.rows,
                    summary.tables,
                    dir.display()
                );
                Ok(())
            }
            Command::User { action } => {
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                let result = match action {
                    UserAction::Add {
                        login,
                        role,
                        centre,
                        provider,
                        name,
                        fin,
                        phone,
                        must_change_password,
                    } => {
                        let password = read_password()?;
                        let name = name.unwrap_or_else(|| login.clone());
                        let add = admin::UserAdd {
                            login,
                            role,
                            centre,
                            provider,
                            name,
                            fin,
                            phone,
                            must_change_password,
                        };
                        admin::user_add(store.as_ref(), add, &password).await
                    }
                    UserAction::List => admin::user_list(store.as_ref()).await,
                    UserAction::Disable { login } => {
                        admin::user_set_active(store.as_ref(), &login, false).await
                    }
                    UserAction::Enable { login } => {
                        admin::user_set_active(store.as_ref(), &login, true).await
                    }
                };
                store.close().await;
                println!("{}", result?.trim_end());
                Ok(())
            }
            Command::Token { action } => {
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                let result = match action {
                    TokenAction::Issue { kind, centre, window, label } => {
                        admin::token_issue(store.as_ref(), &kind, centre, window, label).await.map(
                            |(id, secret)| {
                                eprintln!("device token {id} issued; store it now, it is not shown again:");
                                secret
                            },
                        )
                    }
                    TokenAction::Revoke { id } => admin::token_revoke(store.as_ref(), id).await,
                    TokenAction::List => admin::token_list(store.as_ref()).await,
                };
                store.close().await;
                println!("{}", result?.trim_end());
                Ok(())
            }
            Command::Audit { action } => {
                let store = db::open(&config.database, Open::Existing).await.map_err(|e| e.to_string())?;
                let key_file = std::path::Path::new(&config.audit.signing_key_file);
                let result = match action {
                    AuditAction::Verify => {
                        let key = audit_key::load(key_file)?;
                        let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
                        let outcome = admin::audit_verify(store.as_ref(), key.as_ref(), |n| {
                            if show {
                                eprint!("\rverified {n} entries…");
                            }
                        })
                        .await;
                        if show {
                            eprintln!();
                        }
                        match outcome {
                            Ok(v) => Ok(format!(
                                "verified {} audit entries and {} signatures",
                                v.entries, v.signatures
                            )),
                            Err(admin::VerifyError::Broken(broken)) => Err(Failure(broken.to_string(), 1)),
                            Err(admin::VerifyError::Failed(why)) => Err(Failure(why, 2)),
                        }
                    }
                    AuditAction::Sign => {
                        let key = audit_key::load_or_create(key_file)?;
                        match admin::sign_audit_head(store.as_ref(), &key, onestop_server::clock::now()).await
                        {
                            Ok(Some(seq)) => Ok(format!("signed the audit trail at entry {seq}")),
                            Ok(None) => Ok("the audit trail's head is already signed (or empty)".to_owned()),
                            Err(e) => Err(Failure(e.to_string(), 2)),
                        }
                    }
                };
                store.close().await;
                println!("{}", result?);
                Ok(())
            }
            Command::Simulate { centre, date, plan, days, recommend, .. } => {
                // The registry in force, else (no database, or nothing imported) the demo network.
                let stored = match db::open(&config.database, Open::Existing).await {
                    Ok(store) => {
                        let catalogue = admin::catalogue_in_force(store.as_ref()).await;
                        store.close().await;
                        catalogue?
                    }
                    Err(_) => None,
                };
                let catalogue = match stored {
                    Some(c) => c,
                    None => {
                        eprintln!("note: no registry in the database; simulating the demo network");
                        onestop_domain::catalogue::parse_catalogue(admin::DEMO_CATALOGUE)
                            .map_err(|e| format!("the demo catalogue does not parse: {e}"))?
                    }
                };
                print!("{}", simulate::run(&catalogue, &centre, &date, plan.as_deref(), days, recommend)?);
                Ok(())
            }
            Command::ImportCatalogue { file } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let store =
                    db::open(&config.database, Open::CreateAndMigrate).await.map_err(|e| e.to_string())?;
                let label = file
                    .file_name()
                    .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
                let result = admin::catalogue_import(store.as_ref(), &text, &label).await;
                store.close().await;
                println!("{}", result?);
                Ok(())
            }
            Command::ExportCatalogue { out } => {
                let store = db::open(&config.database, Open::Existing).await.map_err(|e| e.to_string())?;
                let result = admin::catalogue_export(store.as_ref()).await;
                store.close().await;
                let yaml = result?;
                match out {
                    Some(path) => std::fs::write(&path, yaml)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                    None => print!("{yaml}"),
                }
                Ok(())
            }
            Command::Config { .. } => unreachable!("handled above"),
        }
    })
}
