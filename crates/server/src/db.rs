//! Choosing and opening the database from its URL.

use crate::config::DatabaseConfig;
use onestop_store::{Store, StoreError};
use onestop_store_postgres::PgStore;
use onestop_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A database URL this build can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file.
    Sqlite {
        /// The file's path, relative to the working folder unless absolute.
        path: PathBuf,
    },
    /// A PostgreSQL server.
    Postgres,
}

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    /// No `scheme:` at all.
    #[error("{0:?} is not a database URL: use sqlite://PATH or postgres://USER@HOST/DB")]
    NotAUrl(String),
    /// A scheme other than sqlite and postgres.
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    Scheme(String),
    /// An SQLite URL without a file.
    #[error("{0:?} names no SQLite file: use sqlite://PATH, e.g. sqlite://./data/onestop.db")]
    NoFile(String),
    /// A malformed PostgreSQL URL.
    #[error("malformed PostgreSQL URL: {0}")]
    Postgres(String),
}

impl DatabaseUrl {
    /// Checks a URL without touching the database.
    pub fn parse(url: &str) -> Result<DatabaseUrl, UrlError> {
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(UrlError::NotAUrl(url.to_owned()));
        };
        match scheme {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                let path = path.split('?').next().unwrap_or_default();
                if path.is_empty() || path == ":memory:" {
                    return Err(UrlError::NoFile(url.to_owned()));
                }
                Ok(DatabaseUrl::Sqlite { path: PathBuf::from(path) })
            }
            "postgres" | "postgresql" => {
                let parsed = url::Url::parse(url).map_err(|e| UrlError::Postgres(e.to_string()))?;
                let has_socket = parsed.query_pairs().any(|(k, _)| k == "host");
                if parsed.host_str().is_none_or(str::is_empty) && !has_socket {
                    return Err(UrlError::Postgres("no host: use postgres://USER@HOST/DB".into()));
                }
                Ok(DatabaseUrl::Postgres)
            }
            "" => Err(UrlError::NotAUrl(url.to_owned())),
            other if other.contains('/') || other.contains('.') => Err(UrlError::NotAUrl(url.to_owned())),
            other => Err(UrlError::Scheme(other.to_owned())),
        }
    }
}

/// Replaces the password of a URL (in its user part or a `password=` parameter) with `***`.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_owned() };
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let in_query = pairs.iter().any(|(k, _)| k == "password");
    if parsed.password().is_none() && !in_query {
        return url.to_owned();
    }
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if in_query {
        let mut query = parsed.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, if k == "password" { "***" } else { v });
        }
    }
    parsed.to_string()
}

/// Whether opening may create and migrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Create the SQLite file and its folder if missing, and apply pending migrations.
    CreateAndMigrate,
    /// The database must exist already; leave its schema as it is.
    Existing,
}

/// Opens the configured database. Errors are one line, fit to show as they are.
pub async fn open(config: &DatabaseConfig, mode: Open) -> Result<Arc<dyn Store>, StoreError> {
    let url = DatabaseUrl::parse(&config.url).map_err(|e| StoreError::Other(e.to_string()))?;
    let store: Arc<dyn Store> = match url {
        DatabaseUrl::Sqlite { path } => {
            if mode == Open::Existing && !path.is_file() {
                return Err(StoreError::Other(format!("there is no SQLite database at {}", path.display())));
            }
            let store = SqliteStore::connect(&config.url, config.max_connections).await?;
            if mode == Open::CreateAndMigrate {
                store.migrate().await?;
            }
            Arc::new(store)
        }
        DatabaseUrl::Postgres => {
            let timeout = Duration::from_secs(config.connect_timeout_secs.max(1));
            let store = PgStore::connect(&config.url, config.max_connections, timeout).await?;
            if mode == Open::CreateAndMigrate {
                store.migrate().await?;
            }
            Arc::new(store)
        }
    };
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_anything_is_touched() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/onestop.db"),
            Ok(DatabaseUrl::Sqlite { path: "./data/onestop.db".into() })
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/onestop.db"),
            Ok(DatabaseUrl::Sqlite { path: "/var/lib/onestop.db".into() })
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:rel.db?mode=rwc"),
            Ok(DatabaseUrl::Sqlite { path: "rel.db".into() })
        );
        assert_eq!(DatabaseUrl::parse("postgres://u:p@localhost:5432/onestop"), Ok(DatabaseUrl::Postgres));
        assert_eq!(
            DatabaseUrl::parse("postgresql:///onestop?host=/run/postgresql&user=u"),
            Ok(DatabaseUrl::Postgres)
        );

        assert!(
            matches!(DatabaseUrl::parse("mysql://localhost/x"), Err(UrlError::Scheme(s)) if s == "mysql")
        );
        assert!(matches!(DatabaseUrl::parse("./data/onestop.db"), Err(UrlError::NotAUrl(_))));
        assert!(matches!(DatabaseUrl::parse("sqlite://"), Err(UrlError::NoFile(_))));
        assert!(matches!(DatabaseUrl::parse("sqlite::memory:"), Err(UrlError::NoFile(_))));
        assert!(matches!(DatabaseUrl::parse("postgres://u@:5432/x"), Err(UrlError::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("postgres://[::1/x"), Err(UrlError::Postgres(_))));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u@h/db?password=pw&sslmode=require"),
            "postgres://u@h/db?password=***&sslmode=require"
        );
        assert_eq!(redact("sqlite://./data/onestop.db"), "sqlite://./data/onestop.db");
    }
}
