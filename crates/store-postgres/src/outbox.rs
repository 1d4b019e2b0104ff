//! The notification outbox on PostgreSQL. Areas insert their messages with [`enqueue`] inside their
//! own transactions; workers claim due messages with `FOR UPDATE SKIP LOCKED`, so two workers never
//! take the same one and neither waits for the other.

use crate::{PgStore, db, opt_ts, read_ts, ts};
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::notify::{Message, MessageChannel};
use onestop_store::StoreError;
use onestop_store::outbox::{DeliveryState, OutboxMessage, OutboxStore};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

const COLUMNS: &str = "id, created_at, channel, recipient, subject, body, topic, record, state, attempts,
    next_attempt_at, last_error, sent_at";

/// Puts `message` in the outbox within the open transaction on `conn`.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    message: &Message,
    now: Timestamp,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO outbox (created_at, channel, recipient, subject, body, topic, record, state, attempts,
             next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $1) RETURNING id",
    )
    .bind(ts(now))
    .bind(message.channel.as_str())
    .bind(&message.recipient)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(&message.topic)
    .bind(&message.record)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)
}

fn row_message(row: &PgRow) -> Result<OutboxMessage, StoreError> {
    let channel: String = row.get("channel");
    let state: String = row.get("state");
    let attempts: i64 = row.get("attempts");
    Ok(OutboxMessage {
        id: row.get("id"),
        created_at: read_ts(row, "created_at")?,
        message: Message {
            channel: MessageChannel::parse(&channel)
                .ok_or_else(|| StoreError::invalid("channel", &channel))?,
            recipient: row.get("recipient"),
            subject: row.get("subject"),
            body: row.get("body"),
            topic: row.get("topic"),
            record: row.get("record"),
        },
        state: DeliveryState::parse(&state).ok_or_else(|| StoreError::invalid("delivery state", &state))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: read_ts(row, "next_attempt_at")?,
        last_error: row.get("last_error"),
        sent_at: opt_ts(row, "sent_at")?,
    })
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn enqueue_message(&self, message: &Message, now: Timestamp) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = enqueue(&mut tx, message, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn claim_messages(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET next_attempt_at = $1
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $2
                          ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING {COLUMNS}"
        ))
        .bind(ts(now + lease))
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut out = rows.iter().map(row_message).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    async fn messages_sent(&self, ids: &[i64], now: Timestamp) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for id in ids {
            sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2")
                .bind(ts(now))
                .bind(*id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1,
                 state = CASE WHEN $2::TIMESTAMPTZ IS NULL THEN 'failed' ELSE 'pending' END,
                 next_attempt_at = COALESCE($2, next_attempt_at)
             WHERE id = $3",
        )
        .bind(error)
        .bind(retry_at.map(ts))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn outbox_messages(
        &self,
        recipient: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE $1::TEXT IS NULL OR recipient = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(recipient)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(row_message).collect()
    }
}
