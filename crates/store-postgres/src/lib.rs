//! onestop's scale-out storage: PostgreSQL through sqlx.
//!
//! Timestamps are `TIMESTAMPTZ`; SQL that leans on PostgreSQL's strengths (`SKIP LOCKED`,
//! `LISTEN/NOTIFY`, partial indexes) lives here and only here.

mod audit;
mod booking;
mod cases;
mod complaints;
mod dump;
mod feedback;
mod ideas;
mod idempotency;
mod identity;
mod monitoring;
mod outbox;
mod queue;
mod registry;
mod surveys;

use async_trait::async_trait;
use onestop_store::dump::{DumpError, DumpSummary};
use onestop_store::{Backend, PoolStats, StoreError, SystemStore};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// How many change signals a slow reader may lag behind before it loses some (and re-reads the log).
const CHANGE_SIGNALS: usize = 1024;

/// The migrations of this backend, embedded at build time from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A onestop store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Told each centre whose queue event log grew, by the `LISTEN`ing task.
    changes: tokio::sync::broadcast::Sender<onestop_domain::catalogue::CentreCode>,
    /// Set once the `LISTEN`ing task runs (started by the first `queue_changes`).
    listening: std::sync::Arc<tokio::sync::OnceCell<()>>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, or with
    /// `?host=/socket/dir`). Fails within `connect_timeout` when the server does not answer.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        connect_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?
            .application_name("onestop");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(connect_timeout)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Other(format!("cannot reach PostgreSQL: {e}")))?;
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_SIGNALS);
        Ok(Self { pool, changes, listening: std::sync::Arc::default() })
    }

    /// Creates an empty database named `name` on this server (letters, digits and `_` only), for
    /// tests and for setting up an agency's database.
    pub async fn create_database(&self, name: &str) -> Result<(), StoreError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Other(format!("bad database name {name:?}")));
        }
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&self.pool).await.map(|_| ()).map_err(db)
    }

    /// Begins a write transaction.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db)
    }

    /// Applies the migrations not yet applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }
}

/// A timestamp as this backend binds it.
pub(crate) fn ts(at: jiff::Timestamp) -> jiff_sqlx::Timestamp {
    jiff_sqlx::Timestamp::from(at)
}

/// Reads a `TIMESTAMPTZ` column.
pub(crate) fn read_ts(row: &sqlx::postgres::PgRow, column: &str) -> Result<jiff::Timestamp, StoreError> {
    use sqlx::Row;
    row.try_get::<jiff_sqlx::Timestamp, _>(column).map(|t| t.to_jiff()).map_err(db)
}

/// Reads a nullable `TIMESTAMPTZ` column.
pub(crate) fn opt_ts(
    row: &sqlx::postgres::PgRow,
    column: &str,
) -> Result<Option<jiff::Timestamp>, StoreError> {
    use sqlx::Row;
    row.try_get::<Option<jiff_sqlx::Timestamp>, _>(column).map(|t| t.map(|t| t.to_jiff())).map_err(db)
}

/// Maps a driver error onto the storage contract's errors.
pub(crate) fn db(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound("record".into()),
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(e.message().to_owned()),
        _ => StoreError::Other(error.to_string()),
    }
}

#[async_trait]
impl SystemStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(db)
    }

    async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        dump::schema_version(&self.pool).await
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
            group_commit: None,
        }
    }

    async fn export_dump(&self, dir: &Path) -> Result<DumpSummary, DumpError> {
        dump::export(&self.pool, dir).await
    }

    async fn import_dump(&self, dir: &Path) -> Result<DumpSummary, DumpError> {
        dump::import(&self.pool, dir).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
