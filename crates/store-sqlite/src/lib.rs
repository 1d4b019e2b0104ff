//! onestop's embedded default storage: SQLite through sqlx.
//!
//! The database runs in WAL mode with `synchronous = FULL` (a commit is on disk before it is
//! acknowledged, so an acknowledged change survives a power cut, not only a crash of the process),
//! a busy timeout and foreign keys on. Every write transaction
//! begins `IMMEDIATE`, so it takes the single writer lock up front and never fails half-way on a
//! snapshot upgrade; transactions are kept short. The hot paths (the queue, audit appends) run
//! through [`engine`]: a writer thread that commits concurrent writes in groups, and a syncer
//! thread that syncs the log after them and only then acknowledges them. Timestamps are stored as
//! canonical RFC 3339 text (see [`onestop_store::canonical_timestamp`]).

mod audit;
mod booking;
mod cases;
mod complaints;
mod dump;
mod engine;
mod feedback;
mod ideas;
mod idempotency;
mod identity;
mod memo;
mod monitoring;
mod outbox;
mod queue;
mod registry;
mod surveys;

use async_trait::async_trait;
use jiff::Timestamp;
use onestop_store::dump::{DumpError, DumpSummary};
use onestop_store::{Backend, PoolStats, StoreError, SystemStore};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a connection waits for the writer lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many change signals a slow reader may lag behind before it loses some (and re-reads the log).
const CHANGE_SIGNALS: usize = 1024;

/// The migrations of this backend, embedded at build time from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The connection settings every connection of the store uses, for `url`: WAL, `synchronous =
/// FULL`, the busy timeout, foreign keys; the file is created when missing. Public so that a
/// benchmark's baseline runs with exactly the store's durability.
pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Other(format!("bad SQLite URL {url:?}: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true))
}

/// A onestop store on an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Told each centre whose queue event log grew, after the write commits.
    changes: tokio::sync::broadcast::Sender<onestop_domain::catalogue::CentreCode>,
    /// The in-process queue of writers (see [`SqliteStore::begin_write`]).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The group-committing writer thread and the reader connections of the hot paths.
    engine: Arc<engine::Engine>,
    /// Each centre's signed-in windows, forgotten after each sign-in or sign-out commits.
    sessions: Arc<memo::Memo<Vec<onestop_store::queue::WindowSession>>>,
}

impl SqliteStore {
    /// Opens (creating it and its folder if missing) the database at `url`, e.g.
    /// `sqlite://./data/onestop.db`. Does not migrate: call [`SqliteStore::migrate`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let file = options.get_filename().to_owned();
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Other(format!("cannot create folder {}: {e}", parent.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Other(format!("cannot open SQLite database {}: {e}", file.display())))?;
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_SIGNALS);
        let writer = Arc::default();
        let engine = Arc::new(engine::Engine::start(&file, BUSY_TIMEOUT, Arc::clone(&writer))?);
        Ok(Self { pool, changes, writer, engine, sessions: Arc::default() })
    }

    /// Applies the migrations not yet applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    /// Begins a write transaction that holds the writer lock from its first statement. Writers of
    /// this process first queue, in order, on an in-process lock: SQLite admits one writer at a
    /// time anyway, and its busy handler would make the others sleep and retry, which costs far
    /// more than the wait itself under concurrent load.
    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let guard = Arc::clone(&self.writer).lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        Ok(WriteTx { tx, _writer: guard })
    }
}

/// A write transaction holding this process's writer lock until it commits or is dropped (which
/// rolls it back).
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _writer: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    /// Commits the transaction, then releases the writer lock.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// A timestamp as this backend stores it.
pub(crate) fn ts(at: Timestamp) -> String {
    onestop_store::canonical_timestamp(at)
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
impl SystemStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
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
            group_commit: Some(self.engine.counts()),
        }
    }

    async fn export_dump(&self, dir: &Path) -> Result<DumpSummary, DumpError> {
        dump::export(&self.pool, dir).await
    }

    async fn import_dump(&self, dir: &Path) -> Result<DumpSummary, DumpError> {
        let tx = self.begin_write().await?;
        dump::import(tx, dir).await
    }

    async fn close(&self) {
        self.engine.close();
        self.pool.close().await;
    }
}
