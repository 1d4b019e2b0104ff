//! `onestop`: the server and operations tool of a one-stop-shop public service agency.
//!
//! Every failure prints one line to standard error and exits with code 2.

use clap::{Parser, Subcommand};
use onestop_server::config::{self, Config, Flags, LogFormat};
use onestop_server::db::{self, Open};
use onestop_server::{serve, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Run the server with the demo network (on ./data/demo.db unless a database is configured).
    Demo {
        /// The address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
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
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration as TOML, secrets redacted.
    Print,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen } => listen.clone(),
        _ => None,
    };
    let flags = Flags { listen, database_url: cli.database_url.clone(), log_format: cli.log_format };
    let mut config =
        Config::load(cli.config.as_deref(), std::env::vars(), &flags).map_err(|e| e.to_string())?;
    if matches!(cli.command, Command::Demo { .. }) && config.database.url == config::DEFAULT_DATABASE_URL {
        config.database.url = config::DEMO_DATABASE_URL.into();
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
                if matches!(cli.command, Command::Demo { .. }) {
                    tracing::info!(
                        "demo: serving the demo network (its catalogue arrives with the registry)"
                    );
                }
                let listener = serve::bind(&config).await?;
                serve::run(&config, listener, store, serve::shutdown_signal()).await
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
            Command::Config { .. } => unreachable!("handled above"),
        }
    })
}
