//! Idempotency keys on SQLite.

use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyRecord, RequestFingerprint, StoredResponse, decide,
};
use onestop_store::{IdempotencyStore, StoreError, parse_timestamp};
use sqlx::Row;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT fingerprint, created_at, response_status, response_body
             FROM idempotency_keys WHERE scope = ? AND idem_key = ?",
        )
        .bind(scope)
        .bind(key.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let existing = row
            .map(|row| -> Result<IdempotencyRecord, StoreError> {
                let status: Option<i64> = row.get("response_status");
                let body: Option<Vec<u8>> = row.get("response_body");
                Ok(IdempotencyRecord {
                    fingerprint: RequestFingerprint::from_stored(row.get("fingerprint")),
                    created_at: parse_timestamp(row.get("created_at"))?,
                    response: status.map(|s| StoredResponse {
                        status: u16::try_from(s).unwrap_or(500),
                        body: body.unwrap_or_default(),
                    }),
                })
            })
            .transpose()?;
        let claim = decide(existing.as_ref(), fingerprint, now);
        if claim == Claim::Fresh {
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (scope, idem_key) DO UPDATE SET
                    fingerprint = excluded.fingerprint, created_at = excluded.created_at,
                    response_status = NULL, response_body = NULL",
            )
            .bind(scope)
            .bind(key.as_str())
            .bind(fingerprint.as_str())
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE idempotency_keys SET response_status = ?, response_body = ?
             WHERE scope = ? AND idem_key = ? AND response_status IS NULL",
        )
        .bind(i64::from(response.status))
        .bind(&response.body)
        .bind(scope)
        .bind(key.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("claimed idempotency key {}", key.as_str())));
        }
        tx.commit().await.map_err(db)
    }

    async fn release_idempotency_key(&self, scope: &str, key: &IdempotencyKey) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND response_status IS NULL",
        )
        .bind(scope)
        .bind(key.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(ts(cutoff))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(gone.rows_affected())
    }
}
