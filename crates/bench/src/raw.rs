//! The baseline: a raw loop of single-row durable inserts, each its own transaction, on the same
//! database as the benchmark and with the store's own connection settings (on SQLite, WAL with
//! `synchronous = FULL`; on PostgreSQL, the server's default `synchronous_commit = on`).

use crate::client::Op;
use crate::load::Samples;
use sqlx::Connection;
use std::time::Duration;

/// Inserts single rows into a scratch table for `duration`, one transaction each; the samples
/// count them as `issue` operations.
pub async fn insert_loop(database_url: &str, duration: Duration) -> Result<Samples, String> {
    let mut samples = Samples::default();
    let payload = "J-017 MIA-ID-CARD BENCH-01 waiting";
    if database_url.starts_with("sqlite:") {
        let options = onestop_store_sqlite::connect_options(database_url).map_err(|e| e.to_string())?;
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| e.to_string())?;
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let began = crate::instant();
        while began.elapsed() < duration {
            let t = crate::instant();
            sqlx::query("INSERT INTO bench_raw (payload) VALUES (?)")
                .bind(payload)
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            samples.latencies.entry(Op::Issue).or_default().push(t.elapsed());
        }
        samples.elapsed = began.elapsed();
        sqlx::query("DROP TABLE bench_raw").execute(&mut conn).await.map_err(|e| e.to_string())?;
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.map_err(|e| e.to_string())?;
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let began = crate::instant();
        while began.elapsed() < duration {
            let t = crate::instant();
            sqlx::query("INSERT INTO bench_raw (payload) VALUES ($1)")
                .bind(payload)
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            samples.latencies.entry(Op::Issue).or_default().push(t.elapsed());
        }
        samples.elapsed = began.elapsed();
        sqlx::query("DROP TABLE bench_raw").execute(&mut conn).await.map_err(|e| e.to_string())?;
    }
    Ok(samples)
}
