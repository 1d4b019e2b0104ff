//! Idempotency keys on PostgreSQL.

use crate::{PgStore, db, read_ts, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyRecord, RequestFingerprint, StoredResponse, decide,
};
use onestop_store::{IdempotencyStore, StoreError};
use sqlx::Row;

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // A new key is claimed by the insert alone; a racing claim waits on the row and then sees it.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key.as_str())
        .bind(fingerprint.as_str())
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if inserted.rows_affected() == 1 {
            tx.commit().await.map_err(db)?;
            return Ok(Claim::Fresh);
        }
        let row = sqlx::query(
            "SELECT fingerprint, created_at,
                    response_status, response_body
             FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 FOR UPDATE",
        )
        .bind(scope)
        .bind(key.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let status: Option<i32> = row.get("response_status");
        let body: Option<Vec<u8>> = row.get("response_body");
        let existing = IdempotencyRecord {
            fingerprint: RequestFingerprint::from_stored(row.get("fingerprint")),
            created_at: read_ts(&row, "created_at")?,
            response: status.map(|s| StoredResponse {
                status: u16::try_from(s).unwrap_or(500),
                body: body.unwrap_or_default(),
            }),
        };
        let claim = decide(Some(&existing), fingerprint, now);
        if claim == Claim::Fresh {
            sqlx::query(
                "UPDATE idempotency_keys SET fingerprint = $3, created_at = $4,
                    response_status = NULL, response_body = NULL
                 WHERE scope = $1 AND idem_key = $2",
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
        let done = sqlx::query(
            "UPDATE idempotency_keys SET response_status = $1, response_body = $2
             WHERE scope = $3 AND idem_key = $4 AND response_status IS NULL",
        )
        .bind(i32::from(response.status))
        .bind(&response.body)
        .bind(scope)
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("claimed idempotency key {}", key.as_str())));
        }
        Ok(())
    }

    async fn release_idempotency_key(&self, scope: &str, key: &IdempotencyKey) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND response_status IS NULL",
        )
        .bind(scope)
        .bind(key.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        let gone = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(ts(cutoff))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(gone.rows_affected())
    }
}
