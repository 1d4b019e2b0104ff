//! The queue on SQLite: tickets, their steps, counters, window sessions and the event log.
//!
//! Every write runs in one `BEGIN IMMEDIATE` transaction, which holds the database's single writer
//! lock from its first statement: that serialises the writes of every centre, so numbers never
//! repeat, two windows never call the same ticket, and event ids increase in commit order. After a
//! write commits, the centre is sent to the store's broadcast channel for [`QueueStore::queue_changes`].

use crate::audit::append;
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::{CentreCode, GroupCode, ServiceCode};
use onestop_domain::pii::Fin;
use onestop_domain::queue::calling::{Candidate, WindowContext, next_ticket};
use onestop_domain::queue::number::{TicketNumber, next_number};
use onestop_domain::queue::ticket::{
    Action, ActionName, Origin, Outcome, ParkReason, PriorityGroup, StateName, Step, Ticket, TicketId,
    TicketRules, TicketState, TransferTarget, WindowNumber,
};
use onestop_store::StoreError;
use onestop_store::parse_timestamp;
use onestop_store::queue::{
    ActError, Acted, Called, DayClosed, EventKind, Holder, NewTicket, QueueEvent, QueueStore,
    SERVICE_TIME_HISTORY, ServiceTimes, StateColumns, TicketRecord, WindowSession, about_ticket, to_micros,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::collections::{BTreeMap, HashMap};

const TICKET_COLUMNS: &str = "t.id, t.centre, t.service, t.grp, t.day, t.number, t.origin, t.appointment_at,
    t.priority, t.issued_at, t.reserved_for, t.follows, t.state, t.window_number, t.state_at, t.recalls,
    t.park_reason, t.park_note, t.outcome, t.outcome_reason, t.transfer_service, t.transfer_window,
    t.holder_fin, t.holder_name";

const STEP_COLUMNS: &str = "s.ticket_id, s.at, s.action, s.from_state, s.to_state, s.window_number";

const EVENT_COLUMNS: &str = "id, centre, at, kind, ticket_id, number, service, window_number, waiting";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Other(format!("stored {what} {value:?} is not valid"))
}

fn window_of(value: Option<i64>) -> Result<Option<WindowNumber>, StoreError> {
    value.map(|w| WindowNumber::try_from(w).map_err(|_| bad("window", &w.to_string()))).transpose()
}

fn opt_ts(row: &SqliteRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.get::<Option<String>, _>(column).as_deref().map(parse_timestamp).transpose()
}

fn step(row: &SqliteRow) -> Result<Step, StoreError> {
    let action: String = row.get("action");
    let from: String = row.get("from_state");
    let to: String = row.get("to_state");
    Ok(Step {
        at: parse_timestamp(row.get("at"))?,
        action: ActionName::parse(&action).ok_or_else(|| bad("action", &action))?,
        from: StateName::parse(&from).ok_or_else(|| bad("state", &from))?,
        to: StateName::parse(&to).ok_or_else(|| bad("state", &to))?,
        window: window_of(row.get("window_number"))?,
    })
}

fn state(row: &SqliteRow) -> Result<TicketState, StoreError> {
    let name: String = row.get("state");
    let window = window_of(row.get("window_number"))?;
    let at = parse_timestamp(row.get("state_at"))?;
    let need_window = || window.ok_or_else(|| bad("ticket window", "NULL"));
    Ok(match StateName::parse(&name).ok_or_else(|| bad("state", &name))? {
        StateName::Waiting => TicketState::Waiting,
        StateName::Called => {
            let recalls: i64 = row.get("recalls");
            TicketState::Called {
                window: need_window()?,
                at,
                recalls: u32::try_from(recalls).map_err(|_| bad("recalls", &recalls.to_string()))?,
            }
        }
        StateName::Serving => TicketState::Serving { window: need_window()?, since: at },
        StateName::Parked => {
            let kind: String = row.get::<Option<String>, _>("park_reason").unwrap_or_default();
            TicketState::Parked {
                window: need_window()?,
                reason: ParkReason::from_kind(&kind, row.get("park_note"))
                    .ok_or_else(|| bad("park reason", &kind))?,
            }
        }
        StateName::Finished => {
            let kind: String = row.get::<Option<String>, _>("outcome").unwrap_or_default();
            let reason: Option<String> = row.get("outcome_reason");
            let outcome = match kind.as_str() {
                "served" => Outcome::Served,
                "not_served" => Outcome::NotServed { reason: reason.unwrap_or_default() },
                "no_show" => Outcome::NoShow,
                "centre_closed" => Outcome::CentreClosed,
                "transferred" => {
                    let service: Option<String> = row.get("transfer_service");
                    let to = match (service, window_of(row.get("transfer_window"))?) {
                        (Some(service), _) => TransferTarget::Service(ServiceCode::new(service)),
                        (None, Some(window)) => TransferTarget::Window(window),
                        (None, None) => return Err(bad("transfer target", "NULL")),
                    };
                    Outcome::Transferred { to }
                }
                _ => return Err(bad("outcome", &kind)),
            };
            TicketState::Finished { outcome }
        }
    })
}

/// A ticket row (selected with [`TICKET_COLUMNS`]) and its steps.
fn record(row: &SqliteRow, steps: Vec<Step>) -> Result<TicketRecord, StoreError> {
    let number: String = row.get("number");
    let origin: String = row.get("origin");
    let priority: Option<String> = row.get("priority");
    let day: String = row.get("day");
    let fin: Option<String> = row.get("holder_fin");
    let ticket = Ticket {
        id: TicketId(row.get("id")),
        number: TicketNumber::parse(&number).map_err(|_| bad("ticket number", &number))?,
        centre: CentreCode::new(row.get::<String, _>("centre")),
        service: ServiceCode::new(row.get::<String, _>("service")),
        origin: Origin::from_kind(&origin, opt_ts(row, "appointment_at")?)
            .ok_or_else(|| bad("origin", &origin))?,
        priority: priority
            .map(|p| PriorityGroup::parse(&p).ok_or_else(|| bad("priority", &p)))
            .transpose()?,
        issued_at: parse_timestamp(row.get("issued_at"))?,
        reserved_for: window_of(row.get("reserved_for"))?,
        follows: row.get::<Option<i64>, _>("follows").map(TicketId),
        state: state(row)?,
        steps,
    };
    Ok(TicketRecord {
        ticket,
        day: day.parse::<Date>().map_err(|_| bad("day", &day))?,
        group: GroupCode::new(row.get::<String, _>("grp")),
        holder: fin
            .map(|f| {
                Ok::<_, StoreError>(Holder {
                    fin: Fin::parse(&f).map_err(|_| bad("FIN", "…"))?,
                    name: row.get("holder_name"),
                })
            })
            .transpose()?,
    })
}

/// The ticket `id` with its steps.
async fn load(conn: &mut SqliteConnection, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
    let Some(row) = sqlx::query(&format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = ?"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
    else {
        return Ok(None);
    };
    let steps = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM ticket_steps s WHERE s.ticket_id = ? ORDER BY s.seq"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let steps = steps.iter().map(step).collect::<Result<_, _>>()?;
    record(&row, steps).map(Some)
}

/// The tickets of `centre` on `day` (only the open ones when `open_only`), oldest first, with steps.
async fn day_records(
    conn: &mut SqliteConnection,
    centre: &CentreCode,
    day: Date,
    open_only: bool,
) -> Result<Vec<TicketRecord>, StoreError> {
    let filter = if open_only { " AND t.state <> 'finished'" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.centre = ? AND t.day = ?{filter} ORDER BY t.id"
    ))
    .bind(centre.as_str())
    .bind(day.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let step_rows = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM ticket_steps s JOIN tickets t ON t.id = s.ticket_id
         WHERE t.centre = ? AND t.day = ?{filter} ORDER BY s.ticket_id, s.seq"
    ))
    .bind(centre.as_str())
    .bind(day.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    for row in &step_rows {
        steps.entry(row.get("ticket_id")).or_default().push(step(row)?);
    }
    rows.iter().map(|row| record(row, steps.remove(&row.get::<i64, _>("id")).unwrap_or_default())).collect()
}

/// Inserts a new ticket (its steps must be empty) and answers its id.
async fn insert_ticket(conn: &mut SqliteConnection, rec: &TicketRecord) -> Result<TicketId, StoreError> {
    let t = &rec.ticket;
    let c = StateColumns::of(t);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (centre, service, grp, day, prefix, sequence, number, origin, appointment_at,
             priority, issued_at, reserved_for, follows, state, window_number, state_at, recalls, park_reason,
             park_note, outcome, outcome_reason, transfer_service, transfer_window, holder_fin, holder_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(t.centre.as_str())
    .bind(t.service.as_str())
    .bind(rec.group.as_str())
    .bind(rec.day.to_string())
    .bind(t.number.prefix().to_string())
    .bind(i64::from(t.number.sequence()))
    .bind(t.number.to_string())
    .bind(t.origin.kind())
    .bind(t.origin.booked_at().map(ts))
    .bind(t.priority.map(PriorityGroup::as_str))
    .bind(ts(t.issued_at))
    .bind(t.reserved_for.map(i64::from))
    .bind(t.follows.map(|f| f.0))
    .bind(c.state)
    .bind(c.window)
    .bind(ts(c.state_at))
    .bind(c.recalls)
    .bind(c.park_reason)
    .bind(c.park_note)
    .bind(c.outcome)
    .bind(c.outcome_reason)
    .bind(c.transfer_service)
    .bind(c.transfer_window)
    .bind(rec.holder.as_ref().map(|h| h.fin.reveal().to_owned()))
    .bind(rec.holder.as_ref().and_then(|h| h.name.clone()))
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(TicketId(id))
}

/// Stores the state of `ticket` after one more step, and that step.
async fn save_step(conn: &mut SqliteConnection, ticket: &Ticket) -> Result<(), StoreError> {
    let c = StateColumns::of(ticket);
    sqlx::query(
        "UPDATE tickets SET reserved_for = ?, state = ?, window_number = ?, state_at = ?, recalls = ?,
             park_reason = ?, park_note = ?, outcome = ?, outcome_reason = ?, transfer_service = ?,
             transfer_window = ?
         WHERE id = ?",
    )
    .bind(ticket.reserved_for.map(i64::from))
    .bind(c.state)
    .bind(c.window)
    .bind(ts(c.state_at))
    .bind(c.recalls)
    .bind(c.park_reason)
    .bind(c.park_note)
    .bind(c.outcome)
    .bind(c.outcome_reason)
    .bind(c.transfer_service)
    .bind(c.transfer_window)
    .bind(ticket.id.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let Some(step) = ticket.steps.last() else {
        return Err(StoreError::Other(format!("ticket {} has no step to save", ticket.id)));
    };
    sqlx::query(
        "INSERT INTO ticket_steps (ticket_id, seq, at, action, from_state, to_state, window_number)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ticket.id.0)
    .bind(i64::try_from(ticket.steps.len()).unwrap_or(i64::MAX))
    .bind(ts(step.at))
    .bind(step.action.as_str())
    .bind(step.from.as_str())
    .bind(step.to.as_str())
    .bind(step.window.map(i64::from))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The waiting tickets of `service` at `centre` on `day`.
async fn waiting(
    conn: &mut SqliteConnection,
    centre: &CentreCode,
    day: Date,
    service: &ServiceCode,
) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE centre = ? AND day = ? AND state = 'waiting' AND service = ?",
    )
    .bind(centre.as_str())
    .bind(day.to_string())
    .bind(service.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Appends an event to the centre's log.
async fn event(
    conn: &mut SqliteConnection,
    centre: &CentreCode,
    at: Timestamp,
    kind: EventKind,
    ticket: Option<&Ticket>,
    window: Option<WindowNumber>,
    waiting: Option<u32>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO queue_events (centre, at, kind, ticket_id, number, service, window_number, waiting)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(centre.as_str())
    .bind(ts(at))
    .bind(kind.as_str())
    .bind(ticket.map(|t| t.id.0))
    .bind(ticket.map(|t| t.number.to_string()))
    .bind(ticket.map(|t| t.service.as_str().to_owned()))
    .bind(window.map(i64::from))
    .bind(waiting.map(i64::from))
    .fetch_one(&mut *conn)
    .await
    .map_err(db)
}

fn queue_event(row: &SqliteRow) -> Result<QueueEvent, StoreError> {
    let kind: String = row.get("kind");
    Ok(QueueEvent {
        id: row.get("id"),
        centre: CentreCode::new(row.get::<String, _>("centre")),
        at: parse_timestamp(row.get("at"))?,
        kind: EventKind::parse(&kind).ok_or_else(|| bad("event kind", &kind))?,
        ticket: row.get::<Option<i64>, _>("ticket_id").map(TicketId),
        number: row.get("number"),
        service: row.get::<Option<String>, _>("service").map(ServiceCode::new),
        window: window_of(row.get("window_number"))?,
        waiting: row.get::<Option<i64>, _>("waiting").map(|w| u32::try_from(w).unwrap_or(u32::MAX)),
    })
}

fn session(row: &SqliteRow) -> Result<WindowSession, StoreError> {
    Ok(WindowSession {
        centre: CentreCode::new(row.get::<String, _>("centre")),
        window: window_of(Some(row.get("window_number")))?.unwrap_or_default(),
        staff_id: row.get("staff_id"),
        login: row.get("login"),
        since: parse_timestamp(row.get("since"))?,
    })
}

impl SqliteStore {
    /// Tells the readers of [`QueueStore::queue_changes`] that `centre`'s log grew.
    pub(crate) fn changed(&self, centre: &CentreCode) {
        // No receiver is not an error: nobody is watching.
        let _ = self.changes.send(centre.clone());
    }
}

/// Keeps the service duration of a ticket that just finished served or not served, and prunes its
/// service's history at the centre to the newest [`SERVICE_TIME_HISTORY`].
async fn record_service_time(
    conn: &mut SqliteConnection,
    ticket: &Ticket,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !matches!(ticket.outcome(), Some(Outcome::Served | Outcome::NotServed { .. })) {
        return Ok(());
    }
    let Some(duration) = ticket.service_time() else { return Ok(()) };
    sqlx::query(
        "INSERT INTO recent_service_times (ticket_id, centre, service, finished_at, duration_ms)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(ticket.id.0)
    .bind(ticket.centre.as_str())
    .bind(ticket.service.as_str())
    .bind(ts(now))
    .bind(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "DELETE FROM recent_service_times WHERE centre = ?1 AND service = ?2 AND ticket_id NOT IN (
             SELECT ticket_id FROM recent_service_times WHERE centre = ?1 AND service = ?2
             ORDER BY finished_at DESC, ticket_id DESC LIMIT ?3)",
    )
    .bind(ticket.centre.as_str())
    .bind(ticket.service.as_str())
    .bind(i64::from(SERVICE_TIME_HISTORY))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Issues a ticket inside the open transaction on `conn` (which must hold the centre's write
/// lock): takes the next number, stores the ticket and appends its event. Answers the ticket.
pub(crate) async fn issue_in(
    conn: &mut SqliteConnection,
    new: NewTicket,
    now: Timestamp,
) -> Result<TicketRecord, StoreError> {
    let issued: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_counters (centre, prefix, day, issued) VALUES (?, ?, ?, 1)
             ON CONFLICT (centre, prefix, day) DO UPDATE SET issued = issued + 1 RETURNING issued",
    )
    .bind(new.centre.as_str())
    .bind(new.prefix.to_string())
    .bind(new.day.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let before = u32::try_from(issued - 1).unwrap_or(u32::MAX);
    let number =
        next_number(new.prefix, &new.group, before).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let mut rec = TicketRecord {
        ticket: Ticket::issue(
            TicketId(0),
            number,
            new.centre.clone(),
            new.service.clone(),
            new.origin,
            new.priority,
            now,
        ),
        day: new.day,
        group: new.group,
        holder: new.holder,
    };
    rec.ticket.id = insert_ticket(&mut *conn, &rec).await?;
    let waiting = waiting(&mut *conn, &new.centre, new.day, &new.service).await?;
    event(&mut *conn, &new.centre, now, EventKind::Issued, Some(&rec.ticket), None, Some(waiting)).await?;
    Ok(rec)
}

#[async_trait]
impl QueueStore for SqliteStore {
    async fn issue_ticket(
        &self,
        new: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<TicketRecord, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let rec = issue_in(&mut tx, new.clone(), now).await?;
        let number = rec.ticket.number;
        append(&mut tx, about_ticket(audit, rec.ticket.id, &format!("ticket {number}"))).await?;
        tx.commit().await.map_err(db)?;
        self.changed(&new.centre);
        Ok(rec)
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        load(&mut conn, id).await
    }

    async fn call_next(
        &self,
        centre: &CentreCode,
        day: Date,
        window: &WindowContext,
        rules: TicketRules,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Option<Called>, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, service, issued_at, priority, appointment_at, reserved_for FROM tickets
             WHERE centre = ? AND day = ? AND state = 'waiting' AND state_at <= ?",
        )
        .bind(centre.as_str())
        .bind(day.to_string())
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let candidates = rows
            .iter()
            .map(|row| {
                let priority: Option<String> = row.get("priority");
                Ok(Candidate {
                    id: TicketId(row.get("id")),
                    service: ServiceCode::new(row.get::<String, _>("service")),
                    issued_at: parse_timestamp(row.get("issued_at"))?,
                    priority: priority
                        .map(|p| PriorityGroup::parse(&p).ok_or_else(|| bad("priority", &p)))
                        .transpose()?,
                    appointment: opt_ts(row, "appointment_at")?,
                    returning_to: window_of(row.get("reserved_for"))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let Some(chosen) = next_ticket(window, &candidates, now) else {
            return Ok(None);
        };
        let mut rec = load(&mut tx, chosen.id)
            .await?
            .ok_or_else(|| StoreError::Other(format!("ticket {} vanished", chosen.id)))?;
        rec.ticket = rules
            .apply(&rec.ticket, Action::Call { window: window.number }, now)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        save_step(&mut tx, &rec.ticket).await?;
        let still = candidates.iter().filter(|c| c.service == rec.ticket.service).count() - 1;
        let still = u32::try_from(still).unwrap_or(u32::MAX);
        event(&mut tx, centre, now, EventKind::Called, Some(&rec.ticket), Some(window.number), Some(still))
            .await?;
        let detail = format!(
            "ticket {} to window {} by rule {}",
            rec.ticket.number,
            window.number,
            chosen.rule.as_str()
        );
        append(&mut tx, about_ticket(audit, rec.ticket.id, &detail)).await?;
        tx.commit().await.map_err(db)?;
        self.changed(centre);
        Ok(Some(Called { ticket: rec, rule: chosen.rule }))
    }

    #[allow(clippy::too_many_arguments)] // the contract's shape: who, what, which rules, when, audited
    async fn act(
        &self,
        centre: &CentreCode,
        id: TicketId,
        window: Option<WindowNumber>,
        action: Action,
        rules: TicketRules,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Acted, ActError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let mut rec = match load(&mut tx, id).await? {
            Some(rec) if rec.ticket.centre == *centre => rec,
            _ => return Err(ActError::NotFound(id)),
        };
        if let Some(w) = window
            && rec.ticket.state.window() != Some(w)
        {
            return Err(ActError::NotAtWindow { number: rec.ticket.number.to_string(), window: w });
        }
        let name = action.name();
        rec.ticket = rules.apply(&rec.ticket, action, now)?;
        save_step(&mut tx, &rec.ticket).await?;
        record_service_time(&mut tx, &rec.ticket, now).await?;
        let mut follow_on = None;
        if let Some(next) = rec.ticket.follow_on(TicketId(0)) {
            let mut next = TicketRecord {
                ticket: next,
                day: rec.day,
                group: rec.group.clone(),
                holder: rec.holder.clone(),
            };
            next.ticket.id = insert_ticket(&mut tx, &next).await?;
            follow_on = Some(next);
        }
        let step_window = rec.ticket.steps.last().and_then(|s| s.window);
        let count = waiting(&mut tx, centre, rec.day, &rec.ticket.service).await?;
        event(&mut tx, centre, now, EventKind::of(name), Some(&rec.ticket), step_window, Some(count)).await?;
        let mut detail = format!("ticket {}", rec.ticket.number);
        if let Some(next) = &follow_on {
            let count = waiting(&mut tx, centre, next.day, &next.ticket.service).await?;
            let reserved = next.ticket.reserved_for;
            event(&mut tx, centre, now, EventKind::Issued, Some(&next.ticket), reserved, Some(count)).await?;
            detail = format!("{detail}, follow-on ticket {}", next.ticket.id);
        }
        append(&mut tx, about_ticket(audit, id, &detail)).await?;
        tx.commit().await.map_err(db)?;
        self.changed(centre);
        Ok(Acted { ticket: rec, follow_on })
    }

    async fn day_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        day_records(&mut conn, centre, day, false).await
    }

    async fn open_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        day_records(&mut conn, centre, day, true).await
    }

    async fn service_times(&self, centre: &CentreCode, limit: u32) -> Result<Vec<ServiceTimes>, StoreError> {
        let rows = sqlx::query(
            "SELECT service, duration_ms FROM (
                 SELECT service, duration_ms, finished_at, ticket_id, ROW_NUMBER() OVER (
                     PARTITION BY service ORDER BY finished_at DESC, ticket_id DESC) AS rn
                 FROM recent_service_times WHERE centre = ?
             ) WHERE rn <= ? ORDER BY service, finished_at DESC, ticket_id DESC",
        )
        .bind(centre.as_str())
        .bind(i64::from(limit.min(SERVICE_TIME_HISTORY)))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(ServiceTimes::group(rows.iter().map(|r| (r.get("service"), r.get("duration_ms")))))
    }

    async fn close_day(
        &self,
        centre: &CentreCode,
        day: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DayClosed, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let open = day_records(&mut tx, centre, day, true).await?;
        let mut waiting: HashMap<ServiceCode, u32> = HashMap::new();
        for rec in &open {
            if rec.ticket.state == TicketState::Waiting {
                *waiting.entry(rec.ticket.service.clone()).or_default() += 1;
            }
        }
        let closed_now = u32::try_from(open.len()).unwrap_or(u32::MAX);
        for rec in open {
            let was_waiting = rec.ticket.state == TicketState::Waiting;
            let closed = TicketRules::default()
                .apply(&rec.ticket, Action::CloseDay, now)
                .map_err(|e| StoreError::Conflict(format!("ticket {}: {e}", rec.ticket.number)))?;
            save_step(&mut tx, &closed).await?;
            let left = waiting.entry(closed.service.clone()).or_default();
            if was_waiting {
                *left = left.saturating_sub(1);
            }
            let step_window = closed.steps.last().and_then(|s| s.window);
            event(&mut tx, centre, now, EventKind::Closed, Some(&closed), step_window, Some(*left)).await?;
        }
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) AS n FROM tickets WHERE centre = ? AND day = ? GROUP BY outcome",
        )
        .bind(centre.as_str())
        .bind(day.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut issued = 0;
        for row in &rows {
            let n = u32::try_from(row.get::<i64, _>("n")).unwrap_or(u32::MAX);
            issued += n;
            let outcome: Option<String> = row.get("outcome");
            let outcome =
                outcome.ok_or_else(|| StoreError::Other("an open ticket survived the close".into()))?;
            counts.insert(outcome, n);
        }
        let by_outcome: Vec<(String, u32)> =
            Outcome::NAMES.iter().map(|name| (name.to_string(), counts.remove(*name).unwrap_or(0))).collect();
        if let Some(unknown) = counts.keys().next() {
            return Err(bad("outcome", unknown));
        }
        let mut audit = audit;
        audit.record.get_or_insert_with(|| format!("queue:{centre}:{day}"));
        audit.summary = format!("{} ({closed_now} of {issued} tickets closed)", audit.summary);
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        self.changed(centre);
        Ok(DayClosed { issued, closed_now, by_outcome })
    }

    async fn queue_events(
        &self,
        centre: &CentreCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<QueueEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM queue_events WHERE centre = ? AND id > ? ORDER BY id LIMIT ?"
        ))
        .bind(centre.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(queue_event).collect()
    }

    async fn last_queue_event(&self, centre: &CentreCode) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM queue_events WHERE centre = ?")
            .bind(centre.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn queue_changes(&self) -> Result<tokio::sync::broadcast::Receiver<CentreCode>, StoreError> {
        Ok(self.changes.subscribe())
    }

    async fn open_window(
        &self,
        centre: &CentreCode,
        window: WindowNumber,
        staff_id: i64,
        login: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<WindowSession, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let held = sqlx::query(
            "SELECT centre, window_number, staff_id, login, since FROM window_sessions
             WHERE centre = ? AND window_number = ?",
        )
        .bind(centre.as_str())
        .bind(i64::from(window))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(row) = held {
            let held = session(&row)?;
            if held.staff_id == staff_id {
                return Ok(held);
            }
            return Err(StoreError::Conflict(format!(
                "window {window} at {centre} is held by another officer ({})",
                held.login
            )));
        }
        let left =
            sqlx::query("DELETE FROM window_sessions WHERE staff_id = ? RETURNING centre, window_number")
                .bind(staff_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let mut left_centre = None;
        if let Some(row) = left {
            let from = CentreCode::new(row.get::<String, _>("centre"));
            let number = window_of(Some(row.get("window_number")))?;
            event(&mut tx, &from, now, EventKind::WindowClosed, None, number, None).await?;
            left_centre = Some(from);
        }
        sqlx::query(
            "INSERT INTO window_sessions (centre, window_number, staff_id, login, since) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(centre.as_str())
        .bind(i64::from(window))
        .bind(staff_id)
        .bind(login)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        event(&mut tx, centre, now, EventKind::WindowOpened, None, Some(window), None).await?;
        let mut audit = audit;
        audit.record.get_or_insert_with(|| format!("window:{centre}:{window}"));
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        if let Some(from) = left_centre.filter(|c| c != centre) {
            self.changed(&from);
        }
        self.changed(centre);
        Ok(WindowSession { centre: centre.clone(), window, staff_id, login: login.to_owned(), since: now })
    }

    async fn close_window(
        &self,
        centre: &CentreCode,
        staff_id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Option<WindowNumber>, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let left: Option<i64> = sqlx::query_scalar(
            "DELETE FROM window_sessions WHERE centre = ? AND staff_id = ? RETURNING window_number",
        )
        .bind(centre.as_str())
        .bind(staff_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(window) = window_of(left)? else {
            return Ok(None);
        };
        event(&mut tx, centre, now, EventKind::WindowClosed, None, Some(window), None).await?;
        let mut audit = audit;
        audit.record.get_or_insert_with(|| format!("window:{centre}:{window}"));
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        self.changed(centre);
        Ok(Some(window))
    }

    async fn open_windows(&self, centre: &CentreCode) -> Result<Vec<WindowSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT centre, window_number, staff_id, login, since FROM window_sessions
             WHERE centre = ? ORDER BY window_number",
        )
        .bind(centre.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(session).collect()
    }
}
