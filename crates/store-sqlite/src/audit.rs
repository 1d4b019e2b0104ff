//! The audit trail on SQLite. Appends run inside the caller's `BEGIN IMMEDIATE` transaction, which
//! holds the single writer lock, so the chain cannot fork.

use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use onestop_domain::audit::{AuditEntry, AuditEvent, AuditSignature, ChainHead, Outcome, seal};
use onestop_store::{AuditFilter, AuditStore, StoreError, parse_timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

const ENTRY_COLUMNS: &str = "seq, at, actor, role, origin, action, record, summary, outcome, prev_hash, hash";

/// Inserts an entry; the binding order of [`append`] and [`append_on`].
const INSERT_ENTRY: &str = "INSERT INTO audit_log
    (seq, at, actor, role, origin, action, record, summary, outcome, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The newest entry's sequence number and hash.
const HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// Appends `event` to the chain within the open transaction on `conn`.
pub(crate) async fn append(conn: &mut SqliteConnection, event: AuditEvent) -> Result<AuditEntry, StoreError> {
    let head = sqlx::query(HEAD).fetch_optional(&mut *conn).await.map_err(db)?;
    let head = head.map(|r| ChainHead { seq: r.get("seq"), hash: r.get("hash") });
    let entry = seal(head.as_ref(), event);
    let e = &entry.event;
    sqlx::query(INSERT_ENTRY)
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

/// [`append`] for the engine's connections (see [`crate::engine`]), within their open transaction.
pub(crate) fn append_on(conn: &rusqlite::Connection, event: AuditEvent) -> Result<AuditEntry, StoreError> {
    use crate::engine::db;
    use rusqlite::OptionalExtension;
    let head = conn
        .prepare_cached(HEAD)
        .and_then(|mut s| {
            s.query_row([], |r| Ok(ChainHead { seq: r.get("seq")?, hash: r.get("hash")? })).optional()
        })
        .map_err(db)?;
    let entry = seal(head.as_ref(), event);
    let e = &entry.event;
    conn.prepare_cached(INSERT_ENTRY)
        .and_then(|mut s| {
            s.execute(rusqlite::params![
                entry.seq,
                ts(e.at),
                e.actor,
                e.role,
                e.origin,
                e.action,
                e.record,
                e.summary,
                e.outcome.as_str(),
                entry.prev_hash,
                entry.hash
            ])
        })
        .map_err(db)?;
    Ok(entry)
}

fn entry(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let outcome: String = row.get("outcome");
    Ok(AuditEntry {
        seq: row.get("seq"),
        prev_hash: row.get("prev_hash"),
        hash: row.get("hash"),
        event: AuditEvent {
            at: parse_timestamp(row.get("at"))?,
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

fn signature(row: &SqliteRow) -> Result<AuditSignature, StoreError> {
    Ok(AuditSignature {
        seq: row.get("seq"),
        hash: row.get("hash"),
        signature: row.get("signature"),
        key_id: row.get("key_id"),
        signed_at: parse_timestamp(row.get("signed_at"))?,
    })
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        self.engine.write(move |conn| append_on(conn, event)).await
    }

    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError> {
        let head = sqlx::query(HEAD).fetch_optional(&self.pool).await.map_err(db)?;
        Ok(head.map(|r| ChainHead { seq: r.get("seq"), hash: r.get("hash") }))
    }

    async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"))
                .bind(after_seq)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(entry).collect()
    }

    async fn search_audit(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE 1 = 1"));
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
        sqlx::query(
            "INSERT INTO audit_signatures (seq, hash, signature, key_id, signed_at) VALUES (?, ?, ?, ?, ?)",
        )
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
