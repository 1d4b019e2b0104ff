//! The storage contract suite, run against both backends, and the test support that provides
//! fresh databases: a temporary SQLite file, or a new database in a throwaway PostgreSQL cluster.
//!
//! PostgreSQL comes from `ONESTOP_TEST_POSTGRES_URL` when set (a server the caller runs; each test
//! gets a database of its own in it), or else from a cluster this process starts with `initdb` and
//! `postgres` found in `/usr/lib/postgresql/*/bin` or on `PATH`, on a unix socket in a temporary
//! folder, stopped when the process exits. Without either, PostgreSQL tests are skipped with a
//! printed reason, except with `CI=true`, where a skip is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod contract;
mod postgres;

use onestop_store::Store;
use onestop_store_postgres::PgStore;
use onestop_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;

/// Makes the throwaway PostgreSQL cluster this process starts keep PostgreSQL's durable defaults
/// (`fsync`, `synchronous_commit`, `full_page_writes` on) instead of the faster settings tests use;
/// for benchmarks. Call it before the first [`TestDb::postgres`]; it does not affect a server
/// given by `ONESTOP_TEST_POSTGRES_URL`.
pub fn durable_postgres() {
    postgres::DURABLE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// A fresh, empty database for one test, and the URL that reaches it.
pub struct TestDb {
    /// The database URL, as `onestop --database-url` takes it.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite database file in a temporary folder (removed when dropped).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}/onestop.db", dir.path().display());
        TestDb { url, _dir: Some(dir) }
    }

    /// A new database in the test PostgreSQL server, or `None` (with the reason printed) where
    /// PostgreSQL is not available. Panics instead of skipping when `CI=true`.
    pub async fn postgres() -> Option<TestDb> {
        match postgres::new_database().await {
            Ok(url) => Some(TestDb { url, _dir: None }),
            Err(reason) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("PostgreSQL tests cannot be skipped in CI: {reason}");
                }
                eprintln!("skipping a PostgreSQL test: {reason}");
                None
            }
        }
    }

    /// Opens the database and applies the migrations.
    pub async fn store(&self) -> Arc<dyn Store> {
        if self.url.starts_with("sqlite:") {
            let store = SqliteStore::connect(&self.url, 8).await.expect("open SQLite");
            store.migrate().await.expect("migrate SQLite");
            Arc::new(store)
        } else {
            let store =
                PgStore::connect(&self.url, 8, Duration::from_secs(10)).await.expect("open PostgreSQL");
            store.migrate().await.expect("migrate PostgreSQL");
            Arc::new(store)
        }
    }
}

/// Runs each named contract test (a function in [`contract`] taking `&TestDb`) against SQLite and
/// PostgreSQL, as `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::TestDb::sqlite();
                    $crate::contract::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::TestDb::postgres().await else { return };
                    $crate::contract::$name(&db).await;
                }
            )*
        }
    };
}
