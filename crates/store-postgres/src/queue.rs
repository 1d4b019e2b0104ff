//! The queue on PostgreSQL: tickets, their steps, counters, window sessions and the event log.
//!
//! Every write transaction first takes the centre's transaction-scoped advisory lock
//! (`pg_advisory_xact_lock(QUEUE_LOCKS, hashtext(centre))`), which serialises the writes of one
//! centre across every server: numbers never repeat, two windows never call the same ticket, and a
//! centre's event ids increase in commit order (an id is drawn inside the lock and the lock is held
//! until commit). Each write also does `pg_notify('onestop_queue', centre)`, delivered at commit;
//! [`QueueStore::queue_changes`] hands out receivers of a broadcast fed by one `LISTEN`ing task.

use crate::audit::append;
use crate::{PgStore, db, opt_ts, read_ts, ts};
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
use onestop_store::queue::{
    ActError, ActWith, Acted, Called, DayClosed, EventKind, Holder, IN_LINE, NewTicket, QueueEvent,
    QueueStore, SERVICE_TIME_HISTORY, ServiceTimes, StateColumns, TicketRecord, WindowSession, about_ticket,
    to_micros,
};
use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgConnection, Row};
use sqlx::{Postgres, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::broadcast;

const TICKET_COLUMNS: &str = "t.id, t.centre, t.service, t.grp, t.day, t.number, t.origin, t.appointment_at,
    t.priority, t.issued_at, t.reserved_for, t.follows, t.state, t.window_number, t.state_at, t.recalls,
    t.park_reason, t.park_note, t.outcome, t.outcome_reason, t.transfer_service, t.transfer_window,
    t.holder_fin, t.holder_name";

const STEP_COLUMNS: &str = "s.ticket_id, s.at, s.action, s.from_state, s.to_state, s.window_number";

const EVENT_COLUMNS: &str = "id, centre, at, kind, ticket_id, number, service, window_number, waiting";

/// The first key of the advisory locks that serialise each centre's queue writes (the second is
/// `hashtext(centre)`). The two-key form is a lock space apart from the one-key locks of the audit
/// chain and the registry.
const QUEUE_LOCKS: i32 = 0x6f6e_7175;

/// The `NOTIFY` channel told the centre code of each queue write.
const CHANNEL: &str = "onestop_queue";

/// Takes `centre`'s queue lock until the transaction ends.
pub(crate) async fn lock(conn: &mut PgConnection, centre: &CentreCode) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(QUEUE_LOCKS)
        .bind(centre.as_str())
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(db)
}

/// Tells listeners, once the transaction commits, that `centre`'s log grew.
pub(crate) async fn notify(conn: &mut PgConnection, centre: &CentreCode) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(centre.as_str())
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(db)
}

/// How long the listener waits before trying to reconnect after a failure.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// A date as this backend binds it.
pub(crate) fn date(day: Date) -> jiff_sqlx::Date {
    jiff_sqlx::Date::from(day)
}

fn window_of(value: Option<i64>) -> Result<Option<WindowNumber>, StoreError> {
    value
        .map(|w| WindowNumber::try_from(w).map_err(|_| StoreError::invalid("window", &w.to_string())))
        .transpose()
}

pub(crate) fn step(row: &PgRow) -> Result<Step, StoreError> {
    let action: String = row.get("action");
    let from: String = row.get("from_state");
    let to: String = row.get("to_state");
    Ok(Step {
        at: read_ts(row, "at")?,
        action: ActionName::parse(&action).ok_or_else(|| StoreError::invalid("action", &action))?,
        from: StateName::parse(&from).ok_or_else(|| StoreError::invalid("state", &from))?,
        to: StateName::parse(&to).ok_or_else(|| StoreError::invalid("state", &to))?,
        window: window_of(row.get("window_number"))?,
    })
}

fn state(row: &PgRow) -> Result<TicketState, StoreError> {
    let name: String = row.get("state");
    let window = window_of(row.get("window_number"))?;
    let at = read_ts(row, "state_at")?;
    let need_window = || window.ok_or_else(|| StoreError::invalid("ticket window", "NULL"));
    Ok(match StateName::parse(&name).ok_or_else(|| StoreError::invalid("state", &name))? {
        StateName::Waiting => TicketState::Waiting,
        StateName::Called => {
            let recalls: i64 = row.get("recalls");
            TicketState::Called {
                window: need_window()?,
                at,
                recalls: u32::try_from(recalls)
                    .map_err(|_| StoreError::invalid("recalls", &recalls.to_string()))?,
            }
        }
        StateName::Serving => TicketState::Serving { window: need_window()?, since: at },
        StateName::Parked => {
            let kind: String = row.get::<Option<String>, _>("park_reason").unwrap_or_default();
            TicketState::Parked {
                window: need_window()?,
                reason: ParkReason::from_kind(&kind, row.get("park_note"))
                    .ok_or_else(|| StoreError::invalid("park reason", &kind))?,
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
                        (None, None) => return Err(StoreError::invalid("transfer target", "NULL")),
                    };
                    Outcome::Transferred { to }
                }
                _ => return Err(StoreError::invalid("outcome", &kind)),
            };
            TicketState::Finished { outcome }
        }
    })
}

/// A ticket row (selected with [`TICKET_COLUMNS`]) and its steps.
fn record(row: &PgRow, steps: Vec<Step>) -> Result<TicketRecord, StoreError> {
    let number: String = row.get("number");
    let origin: String = row.get("origin");
    let priority: Option<String> = row.get("priority");
    let fin: Option<String> = row.get("holder_fin");
    let ticket = Ticket {
        id: TicketId(row.get("id")),
        number: TicketNumber::parse(&number).map_err(|_| StoreError::invalid("ticket number", &number))?,
        centre: CentreCode::new(row.get::<String, _>("centre")),
        service: ServiceCode::new(row.get::<String, _>("service")),
        origin: Origin::from_kind(&origin, opt_ts(row, "appointment_at")?)
            .ok_or_else(|| StoreError::invalid("origin", &origin))?,
        priority: priority
            .map(|p| PriorityGroup::parse(&p).ok_or_else(|| StoreError::invalid("priority", &p)))
            .transpose()?,
        issued_at: read_ts(row, "issued_at")?,
        reserved_for: window_of(row.get("reserved_for"))?,
        follows: row.get::<Option<i64>, _>("follows").map(TicketId),
        state: state(row)?,
        steps,
    };
    Ok(TicketRecord {
        ticket,
        day: row.try_get::<jiff_sqlx::Date, _>("day").map_err(db)?.to_jiff(),
        group: GroupCode::new(row.get::<String, _>("grp")),
        holder: fin
            .map(|f| {
                Ok::<_, StoreError>(Holder {
                    fin: Fin::parse(&f).map_err(|_| StoreError::invalid("FIN", "…"))?,
                    name: row.get("holder_name"),
                })
            })
            .transpose()?,
    })
}

/// The ticket `id` with its steps.
async fn load(conn: &mut PgConnection, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
    let Some(row) = sqlx::query(&format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
    else {
        return Ok(None);
    };
    let steps = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM ticket_steps s WHERE s.ticket_id = $1 ORDER BY s.seq"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let steps = steps.iter().map(step).collect::<Result<_, _>>()?;
    record(&row, steps).map(Some)
}

/// The condition of the partial index `tickets_open` (the tickets not finished). PostgreSQL infers
/// it from `state = 'waiting'` but not from `state = ANY($n)`, so the queries that should use that
/// index name it.
const OPEN_TICKET: &str = "state <> 'finished'";

/// The tickets of `centre` on `day` (only the open ones when `open_only`), oldest first, with steps.
pub(crate) async fn day_records(
    conn: &mut PgConnection,
    centre: &CentreCode,
    day: Date,
    open_only: bool,
) -> Result<Vec<TicketRecord>, StoreError> {
    let filter = if open_only { format!(" AND t.{OPEN_TICKET}") } else { String::new() };
    let rows = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.centre = $1 AND t.day = $2{filter} ORDER BY t.id"
    ))
    .bind(centre.as_str())
    .bind(date(day))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let step_rows = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM ticket_steps s JOIN tickets t ON t.id = s.ticket_id
         WHERE t.centre = $1 AND t.day = $2{filter} ORDER BY s.ticket_id, s.seq"
    ))
    .bind(centre.as_str())
    .bind(date(day))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    for row in &step_rows {
        steps.entry(row.get("ticket_id")).or_default().push(step(row)?);
    }
    rows.iter().map(|row| record(row, steps.remove(&row.get::<i64, _>("id")).unwrap_or_default())).collect()
}

/// The tickets of `centre` on `day` in the states [`IN_LINE`], oldest first, without steps.
async fn line_records(
    conn: &mut PgConnection,
    centre: &CentreCode,
    day: Date,
) -> Result<Vec<Ticket>, StoreError> {
    let states: Vec<&str> = IN_LINE.iter().map(|s| s.as_str()).collect();
    let rows = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t
         WHERE t.centre = $1 AND t.day = $2 AND t.{OPEN_TICKET} AND t.state = ANY($3) ORDER BY t.id"
    ))
    .bind(centre.as_str())
    .bind(date(day))
    .bind(&states)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|row| record(row, Vec::new()).map(|r| r.ticket)).collect()
}

/// Inserts a new ticket (its steps must be empty) and answers its id.
async fn insert_ticket(conn: &mut PgConnection, rec: &TicketRecord) -> Result<TicketId, StoreError> {
    let t = &rec.ticket;
    let c = StateColumns::of(t);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (centre, service, grp, day, prefix, sequence, number, origin, appointment_at,
             priority, issued_at, reserved_for, follows, state, window_number, state_at, recalls, park_reason,
             park_note, outcome, outcome_reason, transfer_service, transfer_window, holder_fin, holder_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id",
    )
    .bind(t.centre.as_str())
    .bind(t.service.as_str())
    .bind(rec.group.as_str())
    .bind(date(rec.day))
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
async fn save_step(conn: &mut PgConnection, ticket: &Ticket) -> Result<(), StoreError> {
    let c = StateColumns::of(ticket);
    sqlx::query(
        "UPDATE tickets SET reserved_for = $1, state = $2, window_number = $3, state_at = $4, recalls = $5,
             park_reason = $6, park_note = $7, outcome = $8, outcome_reason = $9, transfer_service = $10,
             transfer_window = $11
         WHERE id = $12",
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
        "INSERT INTO ticket_steps (ticket_id, seq, at, action, from_state, to_state, window_number, officer)
         VALUES ($1, $2, $3, $4, $5, $6, $7,
             (SELECT login FROM window_sessions WHERE centre = $8 AND window_number = $7))",
    )
    .bind(ticket.id.0)
    .bind(i64::try_from(ticket.steps.len()).unwrap_or(i64::MAX))
    .bind(ts(step.at))
    .bind(step.action.as_str())
    .bind(step.from.as_str())
    .bind(step.to.as_str())
    .bind(step.window.map(i64::from))
    .bind(ticket.centre.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The waiting tickets of `service` at `centre` on `day`.
async fn waiting(
    conn: &mut PgConnection,
    centre: &CentreCode,
    day: Date,
    service: &ServiceCode,
) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE centre = $1 AND day = $2 AND state = 'waiting' AND service = $3",
    )
    .bind(centre.as_str())
    .bind(date(day))
    .bind(service.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Appends an event to the centre's log.
async fn event(
    conn: &mut PgConnection,
    centre: &CentreCode,
    at: Timestamp,
    kind: EventKind,
    ticket: Option<&Ticket>,
    window: Option<WindowNumber>,
    waiting: Option<u32>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO queue_events (centre, at, kind, ticket_id, number, service, window_number, waiting)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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

fn queue_event(row: &PgRow) -> Result<QueueEvent, StoreError> {
    let kind: String = row.get("kind");
    Ok(QueueEvent {
        id: row.get("id"),
        centre: CentreCode::new(row.get::<String, _>("centre")),
        at: read_ts(row, "at")?,
        kind: EventKind::parse(&kind).ok_or_else(|| StoreError::invalid("event kind", &kind))?,
        ticket: row.get::<Option<i64>, _>("ticket_id").map(TicketId),
        number: row.get("number"),
        service: row.get::<Option<String>, _>("service").map(ServiceCode::new),
        window: window_of(row.get("window_number"))?,
        waiting: row.get::<Option<i64>, _>("waiting").map(|w| u32::try_from(w).unwrap_or(u32::MAX)),
    })
}

fn session(row: &PgRow) -> Result<WindowSession, StoreError> {
    Ok(WindowSession {
        centre: CentreCode::new(row.get::<String, _>("centre")),
        window: window_of(Some(row.get("window_number")))?.unwrap_or_default(),
        staff_id: row.get("staff_id"),
        login: row.get("login"),
        since: read_ts(row, "since")?,
    })
}

impl PgStore {
    /// Begins a queue write of `centre`: a transaction that holds the centre's lock.
    async fn begin_queue(&self, centre: &CentreCode) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.begin_write().await?;
        lock(&mut tx, centre).await?;
        Ok(tx)
    }
}

/// Starts the task that `LISTEN`s on [`CHANNEL`] and broadcasts each centre it is told to
/// `changes`; answers once it listens. After a lost connection is re-established, the task
/// broadcasts every centre it has seen, since signals sent meanwhile were lost.
pub(crate) async fn start_listener(
    pool: &sqlx::PgPool,
    changes: broadcast::Sender<CentreCode>,
) -> Result<(), StoreError> {
    let mut listener = PgListener::connect_with(pool).await.map_err(db)?;
    listener.listen(CHANNEL).await.map_err(db)?;
    tokio::spawn(async move {
        let mut seen: BTreeSet<CentreCode> = BTreeSet::new();
        let mut lost = false;
        loop {
            if lost {
                // Reconnects (and listens again) if the connection is gone.
                match listener.listen(CHANNEL).await {
                    Ok(()) => lost = false,
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(_) => {
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                        continue;
                    }
                }
                for centre in &seen {
                    let _ = changes.send(centre.clone());
                }
            }
            match listener.try_recv().await {
                Ok(Some(note)) => {
                    let centre = CentreCode::new(note.payload());
                    seen.insert(centre.clone());
                    // No receiver is not an error: nobody is watching.
                    let _ = changes.send(centre);
                }
                // The connection was lost and is re-established: signals may have been missed.
                Ok(None) => {
                    for centre in &seen {
                        let _ = changes.send(centre.clone());
                    }
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(_) => lost = true,
            }
        }
    });
    Ok(())
}

/// A row of `recent_service_times` as [`ServiceTimes::group`] reads it.
fn call_row(r: &sqlx::postgres::PgRow) -> onestop_store::queue::CallRow {
    (r.get("service"), r.get("duration_ms"), r.get("no_show"), r.get("waited_ms"))
}

/// Keeps the call of a ticket that just finished served, not served or as a no-show
/// ([`ServiceTimes::row_of`]), and prunes its service's history at the centre to the newest
/// [`SERVICE_TIME_HISTORY`].
async fn record_service_time(
    conn: &mut PgConnection,
    ticket: &Ticket,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some((duration_ms, no_show, waited_ms)) = ServiceTimes::row_of(ticket) else { return Ok(()) };
    sqlx::query(
        "INSERT INTO recent_service_times (ticket_id, centre, service, finished_at, duration_ms, no_show, waited_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ticket.id.0)
    .bind(ticket.centre.as_str())
    .bind(ticket.service.as_str())
    .bind(ts(now))
    .bind(duration_ms)
    .bind(no_show)
    .bind(waited_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "DELETE FROM recent_service_times WHERE centre = $1 AND service = $2 AND ticket_id NOT IN (
             SELECT ticket_id FROM recent_service_times WHERE centre = $1 AND service = $2
             ORDER BY finished_at DESC, ticket_id DESC LIMIT $3)",
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
    conn: &mut PgConnection,
    new: NewTicket,
    now: Timestamp,
) -> Result<TicketRecord, StoreError> {
    let issued: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_counters (centre, prefix, day, issued) VALUES ($1, $2, $3, 1)
             ON CONFLICT (centre, prefix, day) DO UPDATE SET issued = ticket_counters.issued + 1 RETURNING issued",
        )
        .bind(new.centre.as_str())
        .bind(new.prefix.to_string())
        .bind(date(new.day))
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
impl QueueStore for PgStore {
    async fn issue_ticket(
        &self,
        new: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<TicketRecord, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_queue(&new.centre).await?;
        let rec = issue_in(&mut tx, new.clone(), now).await?;
        let number = rec.ticket.number;
        notify(&mut tx, &new.centre).await?;
        append(&mut tx, about_ticket(audit, rec.ticket.id, &format!("ticket {number}"))).await?;
        tx.commit().await.map_err(db)?;
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
        let mut tx = self.begin_queue(centre).await?;
        let rows = sqlx::query(
            "SELECT id, service, issued_at, priority, appointment_at, reserved_for FROM tickets
             WHERE centre = $1 AND day = $2 AND state = 'waiting' AND state_at <= $3",
        )
        .bind(centre.as_str())
        .bind(date(day))
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
                    issued_at: read_ts(row, "issued_at")?,
                    priority: priority
                        .map(|p| PriorityGroup::parse(&p).ok_or_else(|| StoreError::invalid("priority", &p)))
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
        notify(&mut tx, centre).await?;
        append(&mut tx, about_ticket(audit, rec.ticket.id, &detail)).await?;
        tx.commit().await.map_err(db)?;
        Ok(Some(Called { ticket: rec, rule: chosen.rule }))
    }

    #[allow(clippy::too_many_arguments)] // the contract's shape: who, what, which rules, when, audited
    async fn act(
        &self,
        centre: &CentreCode,
        id: TicketId,
        window: Option<WindowNumber>,
        action: Action,
        with: ActWith,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Acted, ActError> {
        let now = to_micros(now);
        let mut tx = self.begin_queue(centre).await?;
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
        rec.ticket = with.rules.apply(&rec.ticket, action, now)?;
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
        if let Some(message) = &with.notify {
            crate::outbox::enqueue(&mut tx, message, now).await?;
        }
        notify(&mut tx, centre).await?;
        append(&mut tx, about_ticket(audit, id, &detail)).await?;
        tx.commit().await.map_err(db)?;
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

    async fn line_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<Ticket>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        line_records(&mut conn, centre, day).await
    }

    async fn service_times(
        &self,
        centre: &CentreCode,
        only: Option<&ServiceCode>,
        limit: u32,
    ) -> Result<Vec<ServiceTimes>, StoreError> {
        if let Some(service) = only {
            let rows = sqlx::query(
                "SELECT service, duration_ms, no_show, waited_ms FROM recent_service_times
                 WHERE centre = $1 AND service = $2 ORDER BY finished_at DESC, ticket_id DESC LIMIT $3",
            )
            .bind(centre.as_str())
            .bind(service.as_str())
            .bind(i64::from(limit.min(SERVICE_TIME_HISTORY)))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
            return Ok(ServiceTimes::group(rows.iter().map(call_row)));
        }
        let rows = sqlx::query(
            "SELECT service, duration_ms, no_show, waited_ms FROM (
                 SELECT service, duration_ms, no_show, waited_ms, finished_at, ticket_id, ROW_NUMBER() OVER (
                     PARTITION BY service ORDER BY finished_at DESC, ticket_id DESC) AS rn
                 FROM recent_service_times WHERE centre = $1
             ) r WHERE rn <= $2 ORDER BY service, finished_at DESC, ticket_id DESC",
        )
        .bind(centre.as_str())
        .bind(i64::from(limit.min(SERVICE_TIME_HISTORY)))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(ServiceTimes::group(rows.iter().map(call_row)))
    }

    async fn close_day(
        &self,
        centre: &CentreCode,
        day: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DayClosed, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_queue(centre).await?;
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
            "SELECT outcome, COUNT(*) AS n FROM tickets WHERE centre = $1 AND day = $2 GROUP BY outcome",
        )
        .bind(centre.as_str())
        .bind(date(day))
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
            return Err(StoreError::invalid("outcome", unknown));
        }
        let mut audit = audit;
        audit.record.get_or_insert_with(|| format!("queue:{centre}:{day}"));
        audit.summary = format!("{} ({closed_now} of {issued} tickets closed)", audit.summary);
        notify(&mut tx, centre).await?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(DayClosed { issued, closed_now, by_outcome })
    }

    async fn queue_events(
        &self,
        centre: &CentreCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<QueueEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM queue_events WHERE centre = $1 AND id > $2 ORDER BY id LIMIT $3"
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
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM queue_events WHERE centre = $1")
            .bind(centre.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn queue_changes(&self) -> Result<tokio::sync::broadcast::Receiver<CentreCode>, StoreError> {
        let receiver = self.changes.subscribe();
        self.listening.get_or_try_init(|| start_listener(&self.pool, self.changes.clone())).await?;
        Ok(receiver)
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
        // Moving an officer from another centre writes to that centre's log too: lock both, in
        // order, so neither log's ids can commit out of order.
        let before: Option<String> =
            sqlx::query_scalar("SELECT centre FROM window_sessions WHERE staff_id = $1")
                .bind(staff_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let mut locked = vec![centre.clone()];
        locked.extend(before.map(CentreCode::new).filter(|c| c != centre));
        locked.sort();
        for c in &locked {
            lock(&mut tx, c).await?;
        }
        let held = sqlx::query(
            "SELECT centre, window_number, staff_id, login, since FROM window_sessions
             WHERE centre = $1 AND window_number = $2",
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
            sqlx::query("DELETE FROM window_sessions WHERE staff_id = $1 RETURNING centre, window_number")
                .bind(staff_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if let Some(row) = left {
            let from = CentreCode::new(row.get::<String, _>("centre"));
            if !locked.contains(&from) {
                // Moved meanwhile by a racing sign-in: lock that centre as well.
                lock(&mut tx, &from).await?;
                locked.push(from.clone());
            }
            let number = window_of(Some(row.get("window_number")))?;
            event(&mut tx, &from, now, EventKind::WindowClosed, None, number, None).await?;
            notify(&mut tx, &from).await?;
        }
        sqlx::query(
            "INSERT INTO window_sessions (centre, window_number, staff_id, login, since) VALUES ($1, $2, $3, $4, $5)",
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
        notify(&mut tx, centre).await?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
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
        let mut tx = self.begin_queue(centre).await?;
        let left: Option<i64> = sqlx::query_scalar(
            "DELETE FROM window_sessions WHERE centre = $1 AND staff_id = $2 RETURNING window_number",
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
        notify(&mut tx, centre).await?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(Some(window))
    }

    async fn open_windows(&self, centre: &CentreCode) -> Result<Vec<WindowSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT centre, window_number, staff_id, login, since FROM window_sessions
             WHERE centre = $1 ORDER BY window_number",
        )
        .bind(centre.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(session).collect()
    }
}
