//! Moving an agency from SQLite to PostgreSQL, and the migration folders that make it possible.

#![allow(clippy::unwrap_used)]

use onestop_store_tests::TestDb;
use onestop_store_tests::contract::{assert_same_dump, fill_for_dump};
use std::path::Path;

fn migration_files(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(backend).join("migrations");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_sqlite_migration_has_a_postgres_twin() {
    let sqlite = migration_files("store-sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_files("store-postgres"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_dump_imports_into_postgres_and_exports_the_same_bytes() {
    let Some(pg) = TestDb::postgres().await else { return };
    let sqlite = TestDb::sqlite();
    let source = sqlite.store().await;
    let rows = fill_for_dump(&source).await;
    let dir = tempfile::tempdir().unwrap();
    source.export_dump(&dir.path().join("from-sqlite")).await.unwrap();

    let target = pg.store().await;
    let loaded = target.import_dump(&dir.path().join("from-sqlite")).await.unwrap();
    assert_eq!(loaded.rows, rows);
    target.export_dump(&dir.path().join("from-postgres")).await.unwrap();
    assert_same_dump(&dir.path().join("from-sqlite"), &dir.path().join("from-postgres"));

    // And back again.
    let back = TestDb::sqlite();
    back.store().await.import_dump(&dir.path().join("from-postgres")).await.unwrap();
}
