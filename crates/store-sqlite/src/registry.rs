//! Registry versions on SQLite.

use crate::audit::append;
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_store::{CatalogueVersion, RegistryStore, StoreError, parse_timestamp};
use sqlx::Row;

#[async_trait]
impl RegistryStore for SqliteStore {
    async fn save_catalogue(
        &self,
        body: &str,
        sha256: &str,
        label: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO catalogue_versions (version, saved_at, saved_by, label, sha256, body)
             SELECT COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ? FROM catalogue_versions RETURNING version",
        )
        .bind(ts(now))
        .bind(&audit.actor)
        .bind(label)
        .bind(sha256)
        .bind(body)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let mut audit = audit;
        audit.record = Some(format!("catalogue:{version}"));
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn current_catalogue(&self) -> Result<Option<CatalogueVersion>, StoreError> {
        let row = sqlx::query(
            "SELECT version, saved_at, saved_by, label, sha256, body FROM catalogue_versions
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(CatalogueVersion {
                version: r.get("version"),
                saved_at: parse_timestamp(r.get("saved_at"))?,
                saved_by: r.get("saved_by"),
                label: r.get("label"),
                sha256: r.get("sha256"),
                body: r.get("body"),
            })
        })
        .transpose()
    }

    async fn current_catalogue_version(&self) -> Result<Option<i64>, StoreError> {
        self.engine.read(|conn| {
            crate::engine::one(conn, "SELECT MAX(version) AS v FROM catalogue_versions", [], |row| {
                crate::engine::col::<Option<i64>>(row, "v")
            })
            .map(Option::flatten)
        })
    }
}
