//! The audit trail on PostgreSQL. Appends run inside the caller's transaction under an advisory lock,
//! so the chain cannot fork.

use crate::{PgStore, db, read_ts, ts};
use async_trait::async_trait;
use onestop_domain::audit::{AuditEntry, AuditEvent, AuditSignature, ChainHead, Outcome, seal};
use onestop_store::{AuditFilter, AuditStore, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{Column, PgConnection, Postgres, QueryBuilder, Row};

const ENTRY_COLUMNS: &str = "seq, at, actor, role, origin, action, record, summary, outcome, prev_hash, hash";

/// The newest entry of the chain.
const HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// The advisory lock that serialises appends to the chain.
const CHAIN_LOCK: i64 = 0x6f6e_6573_746f_7001;

/// Appends `event` to the chain within the open transaction on `conn`. A transaction-scoped advisory
/// lock serialises appends, so two transactions never read the same head and fork the chain. The
/// lock is held until the transaction ends, so every append of the whole system waits for the
/// commit of the one before: the busiest callers (the queue's writes) append last, just before
/// they commit, with what they can (such as `pg_notify`) before it.
pub(crate) async fn append(conn: &mut PgConnection, event: AuditEvent) -> Result<AuditEntry, StoreError> {
    let head = locked_head(conn).await?;
    let entry = seal(head.as_ref(), event);
    let e = &entry.event;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, role, origin, action, record, summary, outcome, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.seq)
    .bind(ts(e.at))
    .bind(&e.actor)
    .bind(&e.role)
    .bind(&e.origin)
    .bind(&e.action)
    .bind(&e.record)
    .bind(&e.summary)
    .bind(e.outcome.as_str())
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(entry)
}

/// The newest entry of the chain, if any.
async fn head(conn: &mut PgConnection) -> Result<Option<ChainHead>, StoreError> {
    let row = sqlx::query(HEAD).fetch_optional(&mut *conn).await.map_err(db)?;
    row.as_ref().map(chain_head).transpose()
}

/// Takes the chain's lock and reads its head, in one round trip: the two statements go together
/// (the simple query protocol), and under `READ COMMITTED` the second takes its snapshot once the
/// first holds the lock, so it sees the head that the lock's previous holder committed.
async fn locked_head(conn: &mut PgConnection) -> Result<Option<ChainHead>, StoreError> {
    let sql = format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK}); {HEAD}");
    // A query without arguments goes by the simple query protocol, which allows several statements.
    let rows = sqlx::Executor::fetch_all(&mut *conn, sql.as_str()).await.map_err(db)?;
    // The lock's row has no `seq`; the head's row, when the chain has one, does.
    rows.iter().find(|r| r.columns().iter().any(|c| c.name() == "seq")).map(chain_head).transpose()
}

fn chain_head(row: &PgRow) -> Result<ChainHead, StoreError> {
    Ok(ChainHead { seq: row.try_get("seq").map_err(db)?, hash: row.try_get("hash").map_err(db)? })
}

fn entry(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let outcome: String = row.get("outcome");
    Ok(AuditEntry {
        seq: row.get("seq"),
        prev_hash: row.get("prev_hash"),
        hash: row.get("hash"),
        event: AuditEvent {
            at: read_ts(row, "at")?,
            actor: row.get("actor"),
            role: row.get("role"),
            origin: row.get("origin"),
            action: row.get("action"),
            record: row.get("record"),
            summary: row.get("summary"),
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Other(format!("unknown audit outcome {outcome:?}")))?,
        },
    })
}

fn signature(row: &PgRow) -> Result<AuditSignature, StoreError> {
    Ok(AuditSignature {
        seq: row.get("seq"),
        hash: row.get("hash"),
        signature: row.get("signature"),
        key_id: row.get("key_id"),
        signed_at: read_ts(row, "signed_at")?,
    })
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let entry = append(&mut tx, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(entry)
    }

    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        head(&mut conn).await
    }

    async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(entry).collect()
    }

    async fn search_audit(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query =
            QueryBuilder::<Postgres>::new(format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE 1 = 1"));
        if let Some(actor) = &filter.actor {
            query.push(" AND actor = ").push_bind(actor.clone());
        }
        if let Some(action) = &filter.action {
            query.push(" AND (action = ").push_bind(action.clone());
            query.push(" OR substr(action, 1, length(").push_bind(action.clone());
            query.push(") + 1) = ").push_bind(format!("{action}.")).push(")");
        }
        if let Some(record) = &filter.record {
            query.push(" AND record = ").push_bind(record.clone());
        }
        if let Some(outcome) = filter.outcome {
            query.push(" AND outcome = ").push_bind(outcome.as_str());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ").push_bind(ts(from));
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ").push_bind(ts(to));
        }
        if let Some(before) = filter.before_seq {
            query.push(" AND seq < ").push_bind(before);
        }
        query.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit));
        let rows = query.build().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(entry).collect()
    }

    async fn audit_signatures(&self) -> Result<Vec<AuditSignature>, StoreError> {
        let rows =
            sqlx::query("SELECT seq, hash, signature, key_id, signed_at FROM audit_signatures ORDER BY seq")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(signature).collect()
    }

    async fn last_audit_signature(&self) -> Result<Option<AuditSignature>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, hash, signature, key_id, signed_at FROM audit_signatures ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(signature).transpose()
    }

    async fn store_audit_signature(&self, sig: &AuditSignature) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO audit_signatures (seq, hash, signature, key_id, signed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sig.seq)
            .bind(&sig.hash)
            .bind(&sig.signature)
            .bind(&sig.key_id)
            .bind(ts(sig.signed_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
