//! Online appointments on PostgreSQL. A hold takes a transaction-scoped advisory lock on its slot
//! before counting the slot's places, so holds of one slot are serialised and no slot is ever over
//! capacity; holds of other slots run in parallel. A person's second active booking of a service
//! is refused by the unique index `appointments_one_active` when two race. (The booking flow
//! refuses a slot it reads full before asking for a hold.)

use crate::audit::append;
use crate::outbox::enqueue;
use crate::queue::{issue_in, lock, notify};
use crate::{PgStore, db, opt_ts, read_ts, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::booking::{AppointmentState, BookingChannel};
use onestop_domain::catalogue::{CentreCode, ServiceCode};
use onestop_domain::notify::Message;
use onestop_domain::pii::Fin;
use onestop_domain::queue::ticket::TicketId;
use onestop_store::StoreError;
use onestop_store::booking::{
    Appointment, BookingStore, ChangeError, HoldError, NewAppointment, NoShowRule, SlotUse,
};
use onestop_store::queue::{NewTicket, TicketRecord, to_micros};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

const COLUMNS: &str = "id, reference, centre, service, channel, starts_at, ends_at, person_fin, person_name,
    email, phone, lang, state, created_at, expires_at, code_attempts, confirmed_at, cancelled_at, released_at,
    reminded_at, ticket_id";

/// Whether an appointment row takes a place of its slot at `$1`.
const TAKES_PLACE: &str = "(state IN ('confirmed', 'checked_in', 'no_show')
    OR (state = 'held' AND expires_at > $1) OR (state = 'cancelled' AND released_at > $1))";

fn appointment(row: &PgRow) -> Result<Appointment, StoreError> {
    let channel: String = row.get("channel");
    let state: String = row.get("state");
    let fin: String = row.get("person_fin");
    let attempts: i64 = row.get("code_attempts");
    Ok(Appointment {
        id: row.get("id"),
        reference: row.get("reference"),
        centre: CentreCode::new(row.get::<String, _>("centre")),
        service: ServiceCode::new(row.get::<String, _>("service")),
        channel: BookingChannel::parse(&channel).ok_or_else(|| StoreError::invalid("channel", &channel))?,
        starts_at: read_ts(row, "starts_at")?,
        ends_at: read_ts(row, "ends_at")?,
        fin: Fin::parse(&fin).map_err(|_| StoreError::invalid("FIN", "…"))?,
        name: row.get("person_name"),
        email: row.get("email"),
        phone: row.get("phone"),
        lang: row.get("lang"),
        state: AppointmentState::parse(&state)
            .ok_or_else(|| StoreError::invalid("appointment state", &state))?,
        created_at: read_ts(row, "created_at")?,
        expires_at: read_ts(row, "expires_at")?,
        code_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        confirmed_at: opt_ts(row, "confirmed_at")?,
        cancelled_at: opt_ts(row, "cancelled_at")?,
        released_at: opt_ts(row, "released_at")?,
        reminded_at: opt_ts(row, "reminded_at")?,
        ticket: row.get::<Option<i64>, _>("ticket_id").map(TicketId),
    })
}

async fn by_reference(conn: &mut PgConnection, reference: &str) -> Result<Option<Appointment>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM appointments WHERE reference = $1"))
        .bind(reference)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .as_ref()
        .map(appointment)
        .transpose()
}

/// Places of the slot of `new` taken at `now`.
async fn taken(conn: &mut PgConnection, new: &NewAppointment, now: Timestamp) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM appointments
         WHERE centre = $2 AND service = $3 AND starts_at = $4 AND channel = $5 AND {TAKES_PLACE}"
    ))
    .bind(ts(now))
    .bind(new.centre.as_str())
    .bind(new.service.as_str())
    .bind(ts(new.starts_at))
    .bind(new.channel.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Refuses a person barred by their no-shows.
async fn check_no_shows(
    conn: &mut PgConnection,
    fin: &Fin,
    rule: NoShowRule,
    now: Timestamp,
) -> Result<(), HoldError> {
    if rule.limit == 0 {
        return Ok(());
    }
    let nth: Option<jiff_sqlx::Timestamp> = sqlx::query_scalar(
        "SELECT at FROM appointment_no_shows WHERE person_fin = $1 AND at >= $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(fin.reveal())
    .bind(ts(rule.since))
    .bind(i64::from(rule.limit - 1))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match nth {
        Some(at) => Err(HoldError::CoolDown { until: at.to_jiff() + now.duration_since(rule.since) }),
        None => Ok(()),
    }
}

/// Inserts `new` in `state` (after the checks), with its message.
async fn insert(
    conn: &mut PgConnection,
    new: &NewAppointment,
    state: AppointmentState,
    replaces: Option<i64>,
    now: Timestamp,
) -> Result<Appointment, HoldError> {
    sqlx::query(
        "UPDATE appointments SET state = 'expired'
         WHERE person_fin = $1 AND service = $2 AND state = 'held' AND expires_at <= $3",
    )
    .bind(new.fin.reveal())
    .bind(new.service.as_str())
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let active: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE person_fin = $1 AND service = $2 AND state IN ('held', 'confirmed')",
    )
    .bind(new.fin.reveal())
    .bind(new.service.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    if active.is_some() {
        return Err(HoldError::AlreadyBooked);
    }
    if taken(conn, new, now).await? >= new.capacity {
        return Err(HoldError::Full);
    }
    let confirmed_at = (state == AppointmentState::Confirmed).then(|| ts(now));
    let row = sqlx::query(&format!(
        "INSERT INTO appointments (reference, centre, service, channel, starts_at, ends_at, person_fin,
             person_name, email, phone, lang, state, created_at, expires_at, code_hash, code_attempts,
             confirmed_at, replaces)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, $17) RETURNING {COLUMNS}"
    ))
    .bind(&new.reference)
    .bind(new.centre.as_str())
    .bind(new.service.as_str())
    .bind(new.channel.as_str())
    .bind(ts(new.starts_at))
    .bind(ts(new.ends_at))
    .bind(new.fin.reveal())
    .bind(&new.name)
    .bind(&new.email)
    .bind(&new.phone)
    .bind(&new.lang)
    .bind(state.as_str())
    .bind(ts(now))
    .bind(ts(new.expires_at))
    .bind(&new.code_hash)
    .bind(confirmed_at)
    .bind(replaces)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match db(e) {
        // The unique index: a racing hold of the same person and service committed first.
        StoreError::Conflict(m) if m.contains("one_active") => HoldError::AlreadyBooked,
        other => HoldError::Store(other),
    })?;
    if let Some(message) = &new.message {
        enqueue(conn, message, now).await?;
    }
    Ok(appointment(&row)?)
}

fn about(mut audit: AuditEvent, reference: &str) -> AuditEvent {
    audit.record.get_or_insert_with(|| format!("appointment:{reference}"));
    audit
}

/// Runs `UPDATE appointments SET {sets} WHERE id = $n` (binding the times `binds` as `$1`…, then
/// the id) and answers the appointment after it.
async fn update(
    conn: &mut PgConnection,
    id: i64,
    sets: &str,
    binds: &[Option<jiff_sqlx::Timestamp>],
) -> Result<Appointment, StoreError> {
    let sql = format!("UPDATE appointments SET {sets} WHERE id = ${} RETURNING {COLUMNS}", binds.len() + 1);
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = query.bind(*b);
    }
    let row = query.bind(id).fetch_one(&mut *conn).await.map_err(db)?;
    appointment(&row)
}

/// The first key of the advisory locks that serialise the holds of each slot (the second is a
/// hash of the slot).
const SLOT_LOCKS: i32 = 0x6f6e_626b;

/// Takes the lock of `new`'s slot until the transaction ends.
async fn lock_slot(conn: &mut PgConnection, new: &NewAppointment) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(SLOT_LOCKS)
        .bind(format!(
            "{}|{}|{}|{}",
            new.centre.as_str(),
            new.service.as_str(),
            new.starts_at.as_microsecond(),
            new.channel.as_str()
        ))
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(db)
}

#[async_trait]
impl BookingStore for PgStore {
    async fn slot_use(
        &self,
        centre: &CentreCode,
        service: &ServiceCode,
        channel: BookingChannel,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<SlotUse>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT starts_at, COUNT(*) AS taken FROM appointments
             WHERE centre = $2 AND service = $3 AND channel = $4 AND starts_at >= $5 AND starts_at < $6
               AND {TAKES_PLACE}
             GROUP BY starts_at ORDER BY starts_at"
        ))
        .bind(ts(to_micros(now)))
        .bind(centre.as_str())
        .bind(service.as_str())
        .bind(channel.as_str())
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(SlotUse {
                    starts_at: read_ts(r, "starts_at")?,
                    taken: u32::try_from(r.get::<i64, _>("taken")).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    async fn hold_appointment(
        &self,
        new: NewAppointment,
        no_shows: NoShowRule,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, HoldError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        lock_slot(&mut tx, &new).await?;
        check_no_shows(&mut tx, &new.fin, no_shows, now).await?;
        let held = insert(&mut tx, &new, AppointmentState::Held, None, now).await?;
        append(&mut tx, about(audit, &held.reference)).await?;
        tx.commit().await.map_err(db)?;
        Ok(held)
    }

    async fn appointment(&self, reference: &str) -> Result<Option<Appointment>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        by_reference(&mut conn, reference).await
    }

    async fn appointment_of_ticket(&self, ticket: TicketId) -> Result<Option<Appointment>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM appointments WHERE ticket_id = $1"))
            .bind(ticket.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(appointment)
            .transpose()
    }

    async fn confirm_appointment(
        &self,
        reference: &str,
        code_hash: &str,
        max_attempts: u32,
        message: Option<Message>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, ChangeError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let a = by_reference(&mut tx, reference).await?.ok_or(ChangeError::NotFound)?;
        if a.state != AppointmentState::Held {
            return Err(ChangeError::State(a.state));
        }
        if a.expires_at <= now {
            update(&mut tx, a.id, "state = 'expired'", &[]).await?;
            tx.commit().await.map_err(db)?;
            return Err(ChangeError::Expired);
        }
        let stored: String = sqlx::query_scalar("SELECT code_hash FROM appointments WHERE id = $1")
            .bind(a.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if stored != code_hash {
            let attempts = a.code_attempts + 1;
            let sets = if attempts >= max_attempts {
                "code_attempts = code_attempts + 1, state = 'expired'"
            } else {
                "code_attempts = code_attempts + 1"
            };
            update(&mut tx, a.id, sets, &[]).await?;
            tx.commit().await.map_err(db)?;
            return Err(ChangeError::WrongCode { left: max_attempts.saturating_sub(attempts) });
        }
        let done = update(&mut tx, a.id, "state = 'confirmed', confirmed_at = $1", &[Some(ts(now))]).await?;
        if let Some(message) = &message {
            enqueue(&mut tx, message, now).await?;
        }
        append(&mut tx, about(audit, reference)).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    async fn cancel_appointment(
        &self,
        reference: &str,
        fin: &Fin,
        release_at: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, ChangeError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let a =
            by_reference(&mut tx, reference).await?.filter(|a| a.fin == *fin).ok_or(ChangeError::NotFound)?;
        if !a.is_active(now) {
            return Err(ChangeError::State(a.state));
        }
        let done = update(
            &mut tx,
            a.id,
            "state = 'cancelled', cancelled_at = $1, released_at = $2",
            &[Some(ts(now)), Some(ts(to_micros(release_at)))],
        )
        .await?;
        append(&mut tx, about(audit, reference)).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    async fn reschedule_appointment(
        &self,
        reference: &str,
        new: NewAppointment,
        release_at: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, HoldError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let old = by_reference(&mut tx, reference)
            .await?
            .filter(|a| a.fin == new.fin && a.state == AppointmentState::Confirmed)
            .ok_or(HoldError::NotFound)?;
        lock_slot(&mut tx, &new).await?;
        update(
            &mut tx,
            old.id,
            "state = 'cancelled', cancelled_at = $1, released_at = $2",
            &[Some(ts(now)), Some(ts(to_micros(release_at)))],
        )
        .await?;
        let moved = insert(&mut tx, &new, AppointmentState::Confirmed, Some(old.id), now).await?;
        append(&mut tx, about(audit, &moved.reference)).await?;
        tx.commit().await.map_err(db)?;
        Ok(moved)
    }

    async fn check_in_appointment(
        &self,
        reference: &str,
        ticket: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(Appointment, TicketRecord), ChangeError> {
        let now = to_micros(now);
        let centre = ticket.centre.clone();
        let mut tx = self.begin_write().await?;
        lock(&mut tx, &centre).await?;
        let a = by_reference(&mut tx, reference).await?.ok_or(ChangeError::NotFound)?;
        if a.state != AppointmentState::Confirmed {
            return Err(ChangeError::State(a.state));
        }
        let record = issue_in(&mut tx, ticket, now).await?;
        let row = sqlx::query(&format!(
            "UPDATE appointments SET state = 'checked_in', ticket_id = $1 WHERE id = $2 RETURNING {COLUMNS}"
        ))
        .bind(record.ticket.id.0)
        .bind(a.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let done = appointment(&row)?;
        append(&mut tx, about(audit, reference)).await?;
        notify(&mut tx, &centre).await?;
        tx.commit().await.map_err(db)?;
        Ok((done, record))
    }

    async fn mark_no_shows(
        &self,
        started_before: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Vec<Appointment>, StoreError> {
        let _ = now;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE appointments SET state = 'no_show' WHERE state = 'confirmed' AND starts_at < $1
             RETURNING {COLUMNS}"
        ))
        .bind(ts(started_before))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let missed = rows.iter().map(appointment).collect::<Result<Vec<_>, _>>()?;
        if missed.is_empty() {
            return Ok(missed);
        }
        for a in &missed {
            sqlx::query(
                "INSERT INTO appointment_no_shows (appointment_id, person_fin, at) VALUES ($1, $2, $3)",
            )
            .bind(a.id)
            .bind(a.fin.reveal())
            .bind(ts(a.starts_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        let mut audit = audit;
        audit.summary = format!("{} ({} appointments)", audit.summary, missed.len());
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(missed)
    }

    async fn appointments_to_remind(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<Appointment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM appointments
             WHERE state = 'confirmed' AND reminded_at IS NULL AND starts_at >= $1 AND starts_at < $2
             ORDER BY starts_at, id LIMIT $3"
        ))
        .bind(ts(from))
        .bind(ts(to))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(appointment).collect()
    }

    async fn remind_appointment(
        &self,
        id: i64,
        message: Message,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE appointments SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND state = 'confirmed'",
        )
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        enqueue(&mut tx, &message, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }
}
