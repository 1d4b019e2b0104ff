//! The notification outbox on SQLite. Areas insert their messages inside their own writes — with
//! [`enqueue_on`] on the engine's writer, or [`enqueue`] in an sqlx write transaction; the worker
//! claims due messages on the engine's single writer, so two workers never take the same one.

use crate::engine::{all, at, col, exec, one, opt_at};
use crate::{SqliteStore, ts};
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::notify::{Message, MessageChannel};
use onestop_store::StoreError;
use onestop_store::outbox::{DeliveryState, OutboxMessage, OutboxStore};
use rusqlite::{Connection, Row, params};
use sqlx::SqliteConnection;

const COLUMNS: &str = "id, created_at, channel, recipient, subject, body, topic, record, state, attempts,
    next_attempt_at, last_error, sent_at";

/// Inserts a message: `?1` now, then channel, recipient, subject, body, topic and record.
const INSERT: &str =
    "INSERT INTO outbox (created_at, channel, recipient, subject, body, topic, record, state,
        attempts, next_attempt_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?1) RETURNING id";

/// Puts `message` in the outbox within the engine's open write on `conn`.
pub(crate) fn enqueue_on(conn: &Connection, message: &Message, now: Timestamp) -> Result<i64, StoreError> {
    let params = params![
        ts(now),
        message.channel.as_str(),
        message.recipient,
        message.subject,
        message.body,
        message.topic,
        message.record
    ];
    one(conn, INSERT, params, |row| col::<i64>(row, "id"))?
        .ok_or_else(|| StoreError::Other("the message was not stored".into()))
}

/// Puts `message` in the outbox within the open sqlx transaction on `conn`.
pub(crate) async fn enqueue(
    conn: &mut SqliteConnection,
    message: &Message,
    now: Timestamp,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(INSERT)
        .bind(ts(now))
        .bind(message.channel.as_str())
        .bind(&message.recipient)
        .bind(&message.subject)
        .bind(&message.body)
        .bind(&message.topic)
        .bind(&message.record)
        .fetch_one(&mut *conn)
        .await
        .map_err(crate::db)
}

fn row_message(row: &Row) -> Result<OutboxMessage, StoreError> {
    let channel: String = col(row, "channel")?;
    let state: String = col(row, "state")?;
    let attempts: i64 = col(row, "attempts")?;
    Ok(OutboxMessage {
        id: col(row, "id")?,
        created_at: at(row, "created_at")?,
        message: Message {
            channel: MessageChannel::parse(&channel)
                .ok_or_else(|| StoreError::invalid("channel", &channel))?,
            recipient: col(row, "recipient")?,
            subject: col(row, "subject")?,
            body: col(row, "body")?,
            topic: col(row, "topic")?,
            record: col(row, "record")?,
        },
        state: DeliveryState::parse(&state).ok_or_else(|| StoreError::invalid("delivery state", &state))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: at(row, "next_attempt_at")?,
        last_error: col(row, "last_error")?,
        sent_at: opt_at(row, "sent_at")?,
    })
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue_message(&self, message: &Message, now: Timestamp) -> Result<i64, StoreError> {
        let message = message.clone();
        self.engine.write(move |conn| enqueue_on(conn, &message, now)).await
    }

    async fn claim_messages(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut out = self
            .engine
            .write(move |conn| {
                all(
                    conn,
                    &format!(
                        "UPDATE outbox SET next_attempt_at = ?1
                         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?2
                                      ORDER BY next_attempt_at, id LIMIT ?3)
                         RETURNING {COLUMNS}"
                    ),
                    params![ts(now + lease), ts(now), i64::from(limit)],
                    row_message,
                )
            })
            .await?;
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    async fn messages_sent(&self, ids: &[i64], now: Timestamp) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.engine
            .write(move |conn| {
                for id in ids {
                    exec(
                        conn,
                        "UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                        params![ts(now), id],
                    )?;
                }
                Ok(())
            })
            .await
    }

    async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.engine
            .write(move |conn| {
                exec(
                    conn,
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?1,
                         state = CASE WHEN ?2 IS NULL THEN 'failed' ELSE 'pending' END,
                         next_attempt_at = COALESCE(?2, next_attempt_at)
                     WHERE id = ?3",
                    params![error, retry_at.map(ts), id],
                )
                .map(drop)
            })
            .await
    }

    async fn outbox_messages(
        &self,
        recipient: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let recipient = recipient.map(str::to_owned);
        self.engine
            .read_apart(move |conn| {
                all(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM outbox WHERE ?1 IS NULL OR recipient = ?1 ORDER BY id DESC LIMIT ?2"
                    ),
                    params![recipient, i64::from(limit)],
                    row_message,
                )
            })
            .await
    }
}
