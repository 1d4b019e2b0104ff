//! Online appointments on SQLite. Every change runs on the engine's writer (see
//! [`crate::engine`]), which serialises the holds of every slot: capacity is counted and the place
//! taken in one write, so no slot is ever over capacity. (The booking flow refuses a slot it reads
//! full before asking for a hold, so a rush on full slots does not queue for the writer.)

use crate::audit::append_on;
use crate::engine::{all, at, col, exec, one, opt_at};
use crate::outbox::enqueue_on;
use crate::queue::issue_on;
use crate::{SqliteStore, ts};
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
use rusqlite::{Connection, Row, params, params_from_iter};

const COLUMNS: &str = "id, reference, centre, service, channel, starts_at, ends_at, person_fin, person_name,
    email, phone, lang, state, created_at, expires_at, code_attempts, confirmed_at, cancelled_at, released_at,
    reminded_at, ticket_id";

/// Whether an appointment row takes a place of its slot at `?1`.
const TAKES_PLACE: &str = "(state IN ('confirmed', 'checked_in', 'no_show')
    OR (state = 'held' AND expires_at > ?1) OR (state = 'cancelled' AND released_at > ?1))";

fn appointment(row: &Row) -> Result<Appointment, StoreError> {
    let channel: String = col(row, "channel")?;
    let state: String = col(row, "state")?;
    let fin: String = col(row, "person_fin")?;
    let attempts: i64 = col(row, "code_attempts")?;
    Ok(Appointment {
        id: col(row, "id")?,
        reference: col(row, "reference")?,
        centre: CentreCode::new(col::<String>(row, "centre")?),
        service: ServiceCode::new(col::<String>(row, "service")?),
        channel: BookingChannel::parse(&channel).ok_or_else(|| StoreError::invalid("channel", &channel))?,
        starts_at: at(row, "starts_at")?,
        ends_at: at(row, "ends_at")?,
        fin: Fin::parse(&fin).map_err(|_| StoreError::invalid("FIN", "…"))?,
        name: col(row, "person_name")?,
        email: col(row, "email")?,
        phone: col(row, "phone")?,
        lang: col(row, "lang")?,
        state: AppointmentState::parse(&state)
            .ok_or_else(|| StoreError::invalid("appointment state", &state))?,
        created_at: at(row, "created_at")?,
        expires_at: at(row, "expires_at")?,
        code_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        confirmed_at: opt_at(row, "confirmed_at")?,
        cancelled_at: opt_at(row, "cancelled_at")?,
        released_at: opt_at(row, "released_at")?,
        reminded_at: opt_at(row, "reminded_at")?,
        ticket: col::<Option<i64>>(row, "ticket_id")?.map(TicketId),
    })
}

fn by_reference(conn: &Connection, reference: &str) -> Result<Option<Appointment>, StoreError> {
    one(conn, &format!("SELECT {COLUMNS} FROM appointments WHERE reference = ?"), [reference], appointment)
}

/// Places of the slot of `new` taken at `now`.
fn taken(conn: &Connection, new: &NewAppointment, now: Timestamp) -> Result<u32, StoreError> {
    let n = one(
        conn,
        &format!(
            "SELECT COUNT(*) AS n FROM appointments
             WHERE centre = ?2 AND service = ?3 AND starts_at = ?4 AND channel = ?5 AND {TAKES_PLACE}"
        ),
        params![ts(now), new.centre.as_str(), new.service.as_str(), ts(new.starts_at), new.channel.as_str()],
        |row| col::<i64>(row, "n"),
    )?
    .unwrap_or(0);
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Refuses a person barred by their no-shows.
fn check_no_shows(conn: &Connection, fin: &Fin, rule: NoShowRule, now: Timestamp) -> Result<(), HoldError> {
    if rule.limit == 0 {
        return Ok(());
    }
    let nth = one(
        conn,
        "SELECT at FROM appointment_no_shows WHERE person_fin = ? AND at >= ? ORDER BY at DESC LIMIT 1 OFFSET ?",
        params![fin.reveal(), ts(rule.since), i64::from(rule.limit - 1)],
        |row| at(row, "at"),
    )?;
    match nth {
        Some(at) => Err(HoldError::CoolDown { until: at + now.duration_since(rule.since) }),
        None => Ok(()),
    }
}

/// Inserts `new` in `state` (after the checks), with its message.
fn insert(
    conn: &Connection,
    new: &NewAppointment,
    state: AppointmentState,
    replaces: Option<i64>,
    now: Timestamp,
) -> Result<Appointment, HoldError> {
    exec(
        conn,
        "UPDATE appointments SET state = 'expired'
         WHERE person_fin = ? AND service = ? AND state = 'held' AND expires_at <= ?",
        params![new.fin.reveal(), new.service.as_str(), ts(now)],
    )?;
    let active = one(
        conn,
        "SELECT id FROM appointments WHERE person_fin = ? AND service = ? AND state IN ('held', 'confirmed')",
        params![new.fin.reveal(), new.service.as_str()],
        |row| col::<i64>(row, "id"),
    )?;
    if active.is_some() {
        return Err(HoldError::AlreadyBooked);
    }
    if taken(conn, new, now)? >= new.capacity {
        return Err(HoldError::Full);
    }
    let confirmed_at = (state == AppointmentState::Confirmed).then(|| ts(now));
    let inserted = one(
        conn,
        &format!(
            "INSERT INTO appointments (reference, centre, service, channel, starts_at, ends_at, person_fin,
                 person_name, email, phone, lang, state, created_at, expires_at, code_hash, code_attempts,
                 confirmed_at, replaces)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING {COLUMNS}"
        ),
        params![
            new.reference,
            new.centre.as_str(),
            new.service.as_str(),
            new.channel.as_str(),
            ts(new.starts_at),
            ts(new.ends_at),
            new.fin.reveal(),
            new.name,
            new.email,
            new.phone,
            new.lang,
            state.as_str(),
            ts(now),
            ts(new.expires_at),
            new.code_hash,
            confirmed_at,
            replaces,
        ],
        appointment,
    )
    .map_err(|e| match e {
        // The unique index: a person's second active booking of the service.
        StoreError::Conflict(m) if m.contains("person_fin") || m.contains("one_active") => {
            HoldError::AlreadyBooked
        }
        other => HoldError::Store(other),
    })?
    .ok_or_else(|| StoreError::Other("the appointment was not stored".into()))?;
    if let Some(message) = &new.message {
        enqueue_on(conn, message, now)?;
    }
    Ok(inserted)
}

fn about(mut audit: AuditEvent, reference: &str) -> AuditEvent {
    audit.record.get_or_insert_with(|| format!("appointment:{reference}"));
    audit
}

/// Runs `UPDATE appointments SET {sets} WHERE id = ?` (binding `binds`, then the id) and answers
/// the appointment after it.
fn update(
    conn: &Connection,
    id: i64,
    sets: &str,
    binds: &[Option<String>],
) -> Result<Appointment, StoreError> {
    let sql = format!("UPDATE appointments SET {sets} WHERE id = ? RETURNING {COLUMNS}");
    let values = binds.iter().map(|b| rusqlite::types::Value::from(b.clone()));
    let values = values.chain(std::iter::once(rusqlite::types::Value::Integer(id)));
    one(conn, &sql, params_from_iter(values), appointment)?
        .ok_or_else(|| StoreError::NotFound("appointment".into()))
}

/// What a confirmation decided: kept whether or not the code was right (a wrong code counts).
type Decided = Result<Appointment, ChangeError>;

#[async_trait]
impl BookingStore for SqliteStore {
    async fn slot_use(
        &self,
        centre: &CentreCode,
        service: &ServiceCode,
        channel: BookingChannel,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<SlotUse>, StoreError> {
        self.engine.read(|conn| {
            all(
                conn,
                &format!(
                    "SELECT starts_at, COUNT(*) AS taken FROM appointments
                     WHERE centre = ?2 AND service = ?3 AND channel = ?4 AND starts_at >= ?5 AND starts_at < ?6
                       AND {TAKES_PLACE}
                     GROUP BY starts_at ORDER BY starts_at"
                ),
                params![
                    ts(to_micros(now)),
                    centre.as_str(),
                    service.as_str(),
                    channel.as_str(),
                    ts(from),
                    ts(to)
                ],
                |row| {
                    Ok(SlotUse {
                        starts_at: at(row, "starts_at")?,
                        taken: u32::try_from(col::<i64>(row, "taken")?).unwrap_or(u32::MAX),
                    })
                },
            )
        })
    }

    async fn hold_appointment(
        &self,
        new: NewAppointment,
        no_shows: NoShowRule,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Appointment, HoldError> {
        let now = to_micros(now);
        self.engine
            .write(move |conn| {
                check_no_shows(conn, &new.fin, no_shows, now)?;
                let held = insert(conn, &new, AppointmentState::Held, None, now)?;
                append_on(conn, about(audit, &held.reference))?;
                Ok(held)
            })
            .await
    }

    async fn appointment(&self, reference: &str) -> Result<Option<Appointment>, StoreError> {
        self.engine.read(|conn| by_reference(conn, reference))
    }

    async fn appointment_of_ticket(&self, ticket: TicketId) -> Result<Option<Appointment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM appointments WHERE ticket_id = ?");
        self.engine.read(|conn| one(conn, &sql, [ticket.0], appointment))
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
        let (reference, code_hash) = (reference.to_owned(), code_hash.to_owned());
        let decided: Decided = self
            .engine
            .write(move |conn| -> Result<Decided, ChangeError> {
                let a = by_reference(conn, &reference)?.ok_or(ChangeError::NotFound)?;
                if a.state != AppointmentState::Held {
                    return Err(ChangeError::State(a.state));
                }
                if a.expires_at <= now {
                    update(conn, a.id, "state = 'expired'", &[])?;
                    return Ok(Err(ChangeError::Expired));
                }
                let stored = one(conn, "SELECT code_hash FROM appointments WHERE id = ?", [a.id], |row| {
                    col::<String>(row, "code_hash")
                })?;
                if stored.as_deref() != Some(code_hash.as_str()) {
                    let attempts = a.code_attempts + 1;
                    let sets = if attempts >= max_attempts {
                        "code_attempts = code_attempts + 1, state = 'expired'"
                    } else {
                        "code_attempts = code_attempts + 1"
                    };
                    update(conn, a.id, sets, &[])?;
                    return Ok(Err(ChangeError::WrongCode { left: max_attempts.saturating_sub(attempts) }));
                }
                let done = update(conn, a.id, "state = 'confirmed', confirmed_at = ?", &[Some(ts(now))])?;
                if let Some(message) = &message {
                    enqueue_on(conn, message, now)?;
                }
                append_on(conn, about(audit, &reference))?;
                Ok(Ok(done))
            })
            .await?;
        decided
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
        let (reference, fin) = (reference.to_owned(), fin.clone());
        self.engine
            .write(move |conn| {
                let a =
                    by_reference(conn, &reference)?.filter(|a| a.fin == fin).ok_or(ChangeError::NotFound)?;
                if !a.is_active(now) {
                    return Err(ChangeError::State(a.state));
                }
                let done = update(
                    conn,
                    a.id,
                    "state = 'cancelled', cancelled_at = ?, released_at = ?",
                    &[Some(ts(now)), Some(ts(to_micros(release_at)))],
                )?;
                append_on(conn, about(audit, &reference))?;
                Ok(done)
            })
            .await
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
        let reference = reference.to_owned();
        self.engine
            .write(move |conn| {
                let old = by_reference(conn, &reference)?
                    .filter(|a| a.fin == new.fin && a.state == AppointmentState::Confirmed)
                    .ok_or(HoldError::NotFound)?;
                update(
                    conn,
                    old.id,
                    "state = 'cancelled', cancelled_at = ?, released_at = ?",
                    &[Some(ts(now)), Some(ts(to_micros(release_at)))],
                )?;
                let moved = insert(conn, &new, AppointmentState::Confirmed, Some(old.id), now)?;
                append_on(conn, about(audit, &moved.reference))?;
                Ok(moved)
            })
            .await
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
        let reference = reference.to_owned();
        let done = self
            .engine
            .write(move |conn| {
                let a = by_reference(conn, &reference)?.ok_or(ChangeError::NotFound)?;
                if a.state != AppointmentState::Confirmed {
                    return Err(ChangeError::State(a.state));
                }
                let record = issue_on(conn, ticket, now)?;
                let done = update(
                    conn,
                    a.id,
                    "state = 'checked_in', ticket_id = ?",
                    &[Some(record.ticket.id.0.to_string())],
                )?;
                append_on(conn, about(audit, &reference))?;
                Ok((done, record))
            })
            .await?;
        self.changed(&centre);
        Ok(done)
    }

    async fn mark_no_shows(
        &self,
        started_before: Timestamp,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Vec<Appointment>, StoreError> {
        let _ = now;
        self.engine
            .write(move |conn| {
                let missed = all(
                    conn,
                    &format!(
                        "UPDATE appointments SET state = 'no_show' WHERE state = 'confirmed' AND starts_at < ?
                         RETURNING {COLUMNS}"
                    ),
                    [ts(started_before)],
                    appointment,
                )?;
                if missed.is_empty() {
                    return Ok(missed);
                }
                for a in &missed {
                    exec(
                        conn,
                        "INSERT INTO appointment_no_shows (appointment_id, person_fin, at) VALUES (?, ?, ?)",
                        params![a.id, a.fin.reveal(), ts(a.starts_at)],
                    )?;
                }
                let mut audit = audit;
                audit.summary = format!("{} ({} appointments)", audit.summary, missed.len());
                append_on(conn, audit)?;
                Ok(missed)
            })
            .await
    }

    async fn appointments_to_remind(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<Appointment>, StoreError> {
        self.engine
            .read_apart(move |conn| {
                all(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM appointments
                         WHERE state = 'confirmed' AND reminded_at IS NULL AND starts_at >= ? AND starts_at < ?
                         ORDER BY starts_at, id LIMIT ?"
                    ),
                    params![ts(from), ts(to), i64::from(limit)],
                    appointment,
                )
            })
            .await
    }

    async fn remind_appointment(
        &self,
        id: i64,
        message: Message,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now = to_micros(now);
        self.engine
            .write(move |conn| {
                let done = exec(
                    conn,
                    "UPDATE appointments SET reminded_at = ?
                     WHERE id = ? AND reminded_at IS NULL AND state = 'confirmed'",
                    params![ts(now), id],
                )?;
                if done == 0 {
                    return Ok(false);
                }
                enqueue_on(conn, &message, now)?;
                Ok(true)
            })
            .await
    }
}
