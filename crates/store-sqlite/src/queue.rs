//! The queue on SQLite: tickets, their steps, counters, window sessions and the event log.
//!
//! Every write runs on the engine's writer thread (see [`crate::engine`]) inside its batch's
//! `BEGIN IMMEDIATE` transaction, in a savepoint of its own: the database's single writer lock
//! serialises the writes of every centre, so numbers never repeat, two windows never call the same
//! ticket, and event ids increase in commit order. A write is answered once its batch is on disk;
//! then the centre is sent to the store's broadcast channel for [`QueueStore::queue_changes`].

use crate::audit::append_on;
use crate::engine::{all, at, col, exec, one, opt_at};
use crate::outbox::enqueue_on;
use crate::{SqliteStore, ts};
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
use rusqlite::{Connection, Row, params};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const TICKET_COLUMNS: &str = "t.id, t.centre, t.service, t.grp, t.day, t.number, t.origin, t.appointment_at,
    t.priority, t.issued_at, t.reserved_for, t.follows, t.state, t.window_number, t.state_at, t.recalls,
    t.park_reason, t.park_note, t.outcome, t.outcome_reason, t.transfer_service, t.transfer_window,
    t.holder_fin, t.holder_name";

/// The columns [`TICKET_COLUMNS`] selects, in its order: a ticket row is read by position, as reading
/// a column by name compares the names of the columns before it on every read, and a centre's line
/// is read with every ticket issued.
#[derive(Debug, Clone, Copy)]
enum Tc {
    Id,
    Centre,
    Service,
    Grp,
    Day,
    Number,
    Origin,
    AppointmentAt,
    Priority,
    IssuedAt,
    ReservedFor,
    Follows,
    State,
    WindowNumber,
    StateAt,
    Recalls,
    ParkReason,
    ParkNote,
    Outcome,
    OutcomeReason,
    TransferService,
    TransferWindow,
    HolderFin,
    HolderName,
}

impl Tc {
    /// Column `self` of a ticket row.
    fn of<T: rusqlite::types::FromSql>(self, row: &Row) -> Result<T, StoreError> {
        col(row, self as usize)
    }

    /// Timestamp column `self` of a ticket row.
    fn at(self, row: &Row) -> Result<Timestamp, StoreError> {
        onestop_store::parse_timestamp(&self.of::<String>(row)?)
    }

    /// Nullable timestamp column `self` of a ticket row.
    fn opt_at(self, row: &Row) -> Result<Option<Timestamp>, StoreError> {
        self.of::<Option<String>>(row)?.as_deref().map(onestop_store::parse_timestamp).transpose()
    }
}

const STEP_COLUMNS: &str = "s.ticket_id, s.at, s.action, s.from_state, s.to_state, s.window_number";

const EVENT_COLUMNS: &str = "id, centre, at, kind, ticket_id, number, service, window_number, waiting";

const SESSION_COLUMNS: &str = "centre, window_number, staff_id, login, since";

fn window_of(value: Option<i64>) -> Result<Option<WindowNumber>, StoreError> {
    value
        .map(|w| WindowNumber::try_from(w).map_err(|_| StoreError::invalid("window", &w.to_string())))
        .transpose()
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn step(row: &Row) -> Result<Step, StoreError> {
    let action: String = col(row, "action")?;
    let from: String = col(row, "from_state")?;
    let to: String = col(row, "to_state")?;
    Ok(Step {
        at: at(row, "at")?,
        action: ActionName::parse(&action).ok_or_else(|| StoreError::invalid("action", &action))?,
        from: StateName::parse(&from).ok_or_else(|| StoreError::invalid("state", &from))?,
        to: StateName::parse(&to).ok_or_else(|| StoreError::invalid("state", &to))?,
        window: window_of(col(row, "window_number")?)?,
    })
}

fn state(row: &Row) -> Result<TicketState, StoreError> {
    let name: String = Tc::State.of(row)?;
    let window = window_of(Tc::WindowNumber.of(row)?)?;
    let at = Tc::StateAt.at(row)?;
    let need_window = || window.ok_or_else(|| StoreError::invalid("ticket window", "NULL"));
    Ok(match StateName::parse(&name).ok_or_else(|| StoreError::invalid("state", &name))? {
        StateName::Waiting => TicketState::Waiting,
        StateName::Called => {
            let recalls: i64 = Tc::Recalls.of(row)?;
            TicketState::Called {
                window: need_window()?,
                at,
                recalls: u32::try_from(recalls)
                    .map_err(|_| StoreError::invalid("recalls", &recalls.to_string()))?,
            }
        }
        StateName::Serving => TicketState::Serving { window: need_window()?, since: at },
        StateName::Parked => {
            let kind: String = Tc::ParkReason.of::<Option<String>>(row)?.unwrap_or_default();
            TicketState::Parked {
                window: need_window()?,
                reason: ParkReason::from_kind(&kind, Tc::ParkNote.of(row)?)
                    .ok_or_else(|| StoreError::invalid("park reason", &kind))?,
            }
        }
        StateName::Finished => {
            let kind: String = Tc::Outcome.of::<Option<String>>(row)?.unwrap_or_default();
            let reason: Option<String> = Tc::OutcomeReason.of(row)?;
            let outcome = match kind.as_str() {
                "served" => Outcome::Served,
                "not_served" => Outcome::NotServed { reason: reason.unwrap_or_default() },
                "no_show" => Outcome::NoShow,
                "centre_closed" => Outcome::CentreClosed,
                "transferred" => {
                    let service: Option<String> = Tc::TransferService.of(row)?;
                    let to = match (service, window_of(Tc::TransferWindow.of(row)?)?) {
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

/// A ticket row, selected with [`TICKET_COLUMNS`] first and read by position ([`Tc`]), without its
/// steps.
fn record(row: &Row) -> Result<TicketRecord, StoreError> {
    let number: String = Tc::Number.of(row)?;
    let origin: String = Tc::Origin.of(row)?;
    let priority: Option<String> = Tc::Priority.of(row)?;
    let day: String = Tc::Day.of(row)?;
    let fin: Option<String> = Tc::HolderFin.of(row)?;
    let ticket = Ticket {
        id: TicketId(Tc::Id.of(row)?),
        number: TicketNumber::parse(&number).map_err(|_| StoreError::invalid("ticket number", &number))?,
        centre: CentreCode::new(Tc::Centre.of::<String>(row)?),
        service: ServiceCode::new(Tc::Service.of::<String>(row)?),
        origin: Origin::from_kind(&origin, Tc::AppointmentAt.opt_at(row)?)
            .ok_or_else(|| StoreError::invalid("origin", &origin))?,
        priority: priority
            .map(|p| PriorityGroup::parse(&p).ok_or_else(|| StoreError::invalid("priority", &p)))
            .transpose()?,
        issued_at: Tc::IssuedAt.at(row)?,
        reserved_for: window_of(Tc::ReservedFor.of(row)?)?,
        follows: Tc::Follows.of::<Option<i64>>(row)?.map(TicketId),
        state: state(row)?,
        steps: Vec::new(),
    };
    Ok(TicketRecord {
        ticket,
        day: day.parse::<Date>().map_err(|_| StoreError::invalid("day", &day))?,
        group: GroupCode::new(Tc::Grp.of::<String>(row)?),
        holder: fin
            .map(|f| {
                Ok::<_, StoreError>(Holder {
                    fin: Fin::parse(&f).map_err(|_| StoreError::invalid("FIN", "…"))?,
                    name: Tc::HolderName.of(row)?,
                })
            })
            .transpose()?,
    })
}

fn queue_event(row: &Row) -> Result<QueueEvent, StoreError> {
    let kind: String = col(row, "kind")?;
    Ok(QueueEvent {
        id: col(row, "id")?,
        centre: CentreCode::new(col::<String>(row, "centre")?),
        at: at(row, "at")?,
        kind: EventKind::parse(&kind).ok_or_else(|| StoreError::invalid("event kind", &kind))?,
        ticket: col::<Option<i64>>(row, "ticket_id")?.map(TicketId),
        number: col(row, "number")?,
        service: col::<Option<String>>(row, "service")?.map(ServiceCode::new),
        window: window_of(col(row, "window_number")?)?,
        waiting: col::<Option<i64>>(row, "waiting")?.map(count),
    })
}

fn session(row: &Row) -> Result<WindowSession, StoreError> {
    Ok(WindowSession {
        centre: CentreCode::new(col::<String>(row, "centre")?),
        window: window_of(Some(col(row, "window_number")?))?.unwrap_or_default(),
        staff_id: col(row, "staff_id")?,
        login: col(row, "login")?,
        since: at(row, "since")?,
    })
}

/// The ticket `id` with its steps.
fn load(conn: &Connection, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = ?");
    let Some(mut rec) = one(conn, &sql, [id.0], record)? else {
        return Ok(None);
    };
    let sql = format!("SELECT {STEP_COLUMNS} FROM ticket_steps s WHERE s.ticket_id = ? ORDER BY s.seq");
    rec.ticket.steps = all(conn, &sql, [id.0], step)?;
    Ok(Some(rec))
}

/// The condition of the partial index `tickets_open` (the tickets not finished): a query may use
/// that index only when its own `WHERE` names this condition (SQLite does not infer it from `state =
/// 'waiting'`). Queries also name the index (`INDEXED BY`): without statistics the planner would
/// rather walk all of a centre's day in `tickets_day`, whose order spares it sorting a few rows.
pub(crate) const OPEN_TICKET: &str = "state <> 'finished'";

/// `IN ('waiting', ...)` for `states`: a literal list, which an index on (centre, day, state) seeks.
fn states_in(states: impl IntoIterator<Item = StateName>) -> String {
    let quoted: Vec<String> = states.into_iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!("IN ({})", quoted.join(", "))
}

/// The tickets of `centre` on `day` (only the open ones when `open_only`), oldest first, with steps.
pub(crate) fn day_records(
    conn: &Connection,
    centre: &CentreCode,
    day: Date,
    open_only: bool,
) -> Result<Vec<TicketRecord>, StoreError> {
    // The open tickets through their own index; all of the day's through `tickets_day`.
    let (index, filter) = if open_only {
        (" INDEXED BY tickets_open", format!(" AND t.{OPEN_TICKET}"))
    } else {
        ("", String::new())
    };
    let day = day.to_string();
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t{index} WHERE t.centre = ? AND t.day = ?{filter} ORDER BY t.id"
    );
    let mut records = all(conn, &sql, params![centre.as_str(), day], record)?;
    let sql = format!(
        "SELECT {STEP_COLUMNS} FROM ticket_steps s JOIN tickets t{index} ON t.id = s.ticket_id
         WHERE t.centre = ? AND t.day = ?{filter} ORDER BY s.ticket_id, s.seq"
    );
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    for (ticket, step) in
        all(conn, &sql, params![centre.as_str(), day], |row| Ok((col::<i64>(row, "ticket_id")?, step(row)?)))?
    {
        steps.entry(ticket).or_default().push(step);
    }
    for rec in &mut records {
        rec.ticket.steps = steps.remove(&rec.ticket.id.0).unwrap_or_default();
    }
    Ok(records)
}

/// The tickets of `centre` on `day` in the states [`IN_LINE`], oldest first, without steps.
fn line_records(conn: &Connection, centre: &CentreCode, day: Date) -> Result<Vec<Ticket>, StoreError> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t INDEXED BY tickets_open
             WHERE t.centre = ? AND t.day = ? AND t.{OPEN_TICKET}
             AND t.state {} ORDER BY t.id",
        states_in(IN_LINE)
    );
    let records = all(conn, &sql, params![centre.as_str(), day.to_string()], record)?;
    Ok(records.into_iter().map(|r| r.ticket).collect())
}

/// Inserts a new ticket (its steps must be empty) and answers its id.
fn insert_ticket(conn: &Connection, rec: &TicketRecord) -> Result<TicketId, StoreError> {
    let t = &rec.ticket;
    let c = StateColumns::of(t);
    let holder_fin = rec.holder.as_ref().map(|h| h.fin.reveal().to_owned());
    let holder_name = rec.holder.as_ref().and_then(|h| h.name.clone());
    let id = one(
        conn,
        "INSERT INTO tickets (centre, service, grp, day, prefix, sequence, number, origin, appointment_at,
             priority, issued_at, reserved_for, follows, state, window_number, state_at, recalls, park_reason,
             park_note, outcome, outcome_reason, transfer_service, transfer_window, holder_fin, holder_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            t.centre.as_str(),
            t.service.as_str(),
            rec.group.as_str(),
            rec.day.to_string(),
            t.number.prefix().to_string(),
            i64::from(t.number.sequence()),
            t.number.to_string(),
            t.origin.kind(),
            t.origin.booked_at().map(ts),
            t.priority.map(PriorityGroup::as_str),
            ts(t.issued_at),
            t.reserved_for.map(i64::from),
            t.follows.map(|f| f.0),
            c.state,
            c.window,
            ts(c.state_at),
            c.recalls,
            c.park_reason,
            c.park_note,
            c.outcome,
            c.outcome_reason,
            c.transfer_service,
            c.transfer_window,
            holder_fin,
            holder_name,
        ],
        |row| col::<i64>(row, "id"),
    )?
    .ok_or_else(|| StoreError::Other("the ticket insert returned no id".into()))?;
    Ok(TicketId(id))
}

/// Stores the state of `ticket` after one more step, and that step.
fn save_step(conn: &Connection, ticket: &Ticket) -> Result<(), StoreError> {
    let c = StateColumns::of(ticket);
    exec(
        conn,
        "UPDATE tickets SET reserved_for = ?, state = ?, window_number = ?, state_at = ?, recalls = ?,
             park_reason = ?, park_note = ?, outcome = ?, outcome_reason = ?, transfer_service = ?,
             transfer_window = ?
         WHERE id = ?",
        params![
            ticket.reserved_for.map(i64::from),
            c.state,
            c.window,
            ts(c.state_at),
            c.recalls,
            c.park_reason,
            c.park_note,
            c.outcome,
            c.outcome_reason,
            c.transfer_service,
            c.transfer_window,
            ticket.id.0,
        ],
    )?;
    let Some(step) = ticket.steps.last() else {
        return Err(StoreError::Other(format!("ticket {} has no step to save", ticket.id)));
    };
    exec(
        conn,
        "INSERT INTO ticket_steps (ticket_id, seq, at, action, from_state, to_state, window_number, officer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
             (SELECT login FROM window_sessions WHERE centre = ?8 AND window_number = ?7))",
        params![
            ticket.id.0,
            i64::try_from(ticket.steps.len()).unwrap_or(i64::MAX),
            ts(step.at),
            step.action.as_str(),
            step.from.as_str(),
            step.to.as_str(),
            step.window.map(i64::from),
            ticket.centre.as_str(),
        ],
    )?;
    Ok(())
}

/// The waiting tickets of `service` at `centre` on `day`.
fn waiting(
    conn: &Connection,
    centre: &CentreCode,
    day: Date,
    service: &ServiceCode,
) -> Result<u32, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM tickets INDEXED BY tickets_open
         WHERE centre = ? AND day = ? AND {OPEN_TICKET} AND state = 'waiting' AND service = ?"
    );
    let n = one(conn, &sql, params![centre.as_str(), day.to_string(), service.as_str()], |row| {
        col::<i64>(row, "n")
    })?;
    Ok(count(n.unwrap_or(0)))
}

/// Appends an event to the centre's log.
fn event(
    conn: &Connection,
    centre: &CentreCode,
    at: Timestamp,
    kind: EventKind,
    ticket: Option<&Ticket>,
    window: Option<WindowNumber>,
    waiting: Option<u32>,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO queue_events (centre, at, kind, ticket_id, number, service, window_number, waiting)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            centre.as_str(),
            ts(at),
            kind.as_str(),
            ticket.map(|t| t.id.0),
            ticket.map(|t| t.number.to_string()),
            ticket.map(|t| t.service.as_str()),
            window.map(i64::from),
            waiting.map(i64::from),
        ],
    )
    .map(|_| ())
}

/// Keeps the call of a ticket that just finished served, not served or as a no-show
/// ([`ServiceTimes::row_of`]), and prunes its service's history at the centre to the newest
/// [`SERVICE_TIME_HISTORY`].
fn record_service_time(conn: &Connection, ticket: &Ticket, now: Timestamp) -> Result<(), StoreError> {
    let Some((duration_ms, no_show, waited_ms)) = ServiceTimes::row_of(ticket) else { return Ok(()) };
    exec(
        conn,
        "INSERT INTO recent_service_times (ticket_id, centre, service, finished_at, duration_ms, no_show, waited_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            ticket.id.0,
            ticket.centre.as_str(),
            ticket.service.as_str(),
            ts(now),
            duration_ms,
            no_show,
            waited_ms
        ],
    )?;
    prune_service_times(conn, ticket.centre.as_str(), ticket.service.as_str())
}

/// Deletes the service times of `service` at `centre` past the newest [`SERVICE_TIME_HISTORY`]:
/// walks the covering index from the newest entry and deletes what lies past the bound (one row
/// after each new one), instead of building the set of the newest to keep.
fn prune_service_times(conn: &Connection, centre: &str, service: &str) -> Result<(), StoreError> {
    exec(
        conn,
        "DELETE FROM recent_service_times WHERE ticket_id IN (
             SELECT ticket_id FROM recent_service_times WHERE centre = ?1 AND service = ?2
             ORDER BY finished_at DESC, ticket_id DESC LIMIT -1 OFFSET ?3)",
        params![centre, service, i64::from(SERVICE_TIME_HISTORY)],
    )?;
    Ok(())
}

fn issue(
    conn: &Connection,
    new: NewTicket,
    now: Timestamp,
    audit: AuditEvent,
) -> Result<TicketRecord, StoreError> {
    let rec = issue_on(conn, new, now)?;
    let number = rec.ticket.number;
    append_on(conn, about_ticket(audit, rec.ticket.id, &format!("ticket {number}")))?;
    Ok(rec)
}

/// Issues a ticket in the engine's open write on `conn`: takes the next number, stores the ticket
/// and appends its event (the caller appends the audit entry). Answers the ticket.
pub(crate) fn issue_on(
    conn: &Connection,
    new: NewTicket,
    now: Timestamp,
) -> Result<TicketRecord, StoreError> {
    let issued = one(
        conn,
        "INSERT INTO ticket_counters (centre, prefix, day, issued) VALUES (?, ?, ?, 1)
         ON CONFLICT (centre, prefix, day) DO UPDATE SET issued = issued + 1 RETURNING issued",
        params![new.centre.as_str(), new.prefix.to_string(), new.day.to_string()],
        |row| col::<i64>(row, "issued"),
    )?
    .unwrap_or(1);
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
    rec.ticket.id = insert_ticket(conn, &rec)?;
    let waiting = waiting(conn, &new.centre, new.day, &new.service)?;
    event(conn, &new.centre, now, EventKind::Issued, Some(&rec.ticket), None, Some(waiting))?;
    Ok(rec)
}

fn call(
    conn: &Connection,
    centre: &CentreCode,
    day: Date,
    window: &WindowContext,
    rules: TicketRules,
    now: Timestamp,
    audit: AuditEvent,
) -> Result<Option<Called>, StoreError> {
    let sql = format!(
        "SELECT id, service, issued_at, priority, appointment_at, reserved_for
         FROM tickets INDEXED BY tickets_open
         WHERE centre = ? AND day = ? AND {OPEN_TICKET} AND state = 'waiting' AND state_at <= ?"
    );
    let candidates = all(conn, &sql, params![centre.as_str(), day.to_string(), ts(now)], |row| {
        let priority: Option<String> = col(row, "priority")?;
        Ok(Candidate {
            id: TicketId(col(row, "id")?),
            service: ServiceCode::new(col::<String>(row, "service")?),
            issued_at: at(row, "issued_at")?,
            priority: priority
                .map(|p| PriorityGroup::parse(&p).ok_or_else(|| StoreError::invalid("priority", &p)))
                .transpose()?,
            appointment: opt_at(row, "appointment_at")?,
            returning_to: window_of(col(row, "reserved_for")?)?,
        })
    })?;
    let Some(chosen) = next_ticket(window, &candidates, now) else {
        return Ok(None);
    };
    let mut rec =
        load(conn, chosen.id)?.ok_or_else(|| StoreError::Other(format!("ticket {} vanished", chosen.id)))?;
    rec.ticket = rules
        .apply(&rec.ticket, Action::Call { window: window.number }, now)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    save_step(conn, &rec.ticket)?;
    let still = candidates.iter().filter(|c| c.service == rec.ticket.service).count() - 1;
    let still = u32::try_from(still).unwrap_or(u32::MAX);
    event(conn, centre, now, EventKind::Called, Some(&rec.ticket), Some(window.number), Some(still))?;
    let detail =
        format!("ticket {} to window {} by rule {}", rec.ticket.number, window.number, chosen.rule.as_str());
    append_on(conn, about_ticket(audit, rec.ticket.id, &detail))?;
    Ok(Some(Called { ticket: rec, rule: chosen.rule }))
}

/// What [`act_on`] is asked to do.
struct ActRequest {
    centre: CentreCode,
    id: TicketId,
    window: Option<WindowNumber>,
    action: Action,
    with: ActWith,
    now: Timestamp,
    audit: AuditEvent,
}

fn act_on(conn: &Connection, r: ActRequest) -> Result<Acted, ActError> {
    let (centre, id, now) = (&r.centre, r.id, r.now);
    let mut rec = match load(conn, id)? {
        Some(rec) if rec.ticket.centre == *centre => rec,
        _ => return Err(ActError::NotFound(id)),
    };
    if let Some(w) = r.window
        && rec.ticket.state.window() != Some(w)
    {
        return Err(ActError::NotAtWindow { number: rec.ticket.number.to_string(), window: w });
    }
    let name = r.action.name();
    rec.ticket = r.with.rules.apply(&rec.ticket, r.action, now)?;
    save_step(conn, &rec.ticket)?;
    record_service_time(conn, &rec.ticket, now)?;
    let mut follow_on = None;
    if let Some(next) = rec.ticket.follow_on(TicketId(0)) {
        let mut next =
            TicketRecord { ticket: next, day: rec.day, group: rec.group.clone(), holder: rec.holder.clone() };
        next.ticket.id = insert_ticket(conn, &next)?;
        follow_on = Some(next);
    }
    let step_window = rec.ticket.steps.last().and_then(|s| s.window);
    let n = waiting(conn, centre, rec.day, &rec.ticket.service)?;
    event(conn, centre, now, EventKind::of(name), Some(&rec.ticket), step_window, Some(n))?;
    let mut detail = format!("ticket {}", rec.ticket.number);
    if let Some(next) = &follow_on {
        let n = waiting(conn, centre, next.day, &next.ticket.service)?;
        let reserved = next.ticket.reserved_for;
        event(conn, centre, now, EventKind::Issued, Some(&next.ticket), reserved, Some(n))?;
        detail = format!("{detail}, follow-on ticket {}", next.ticket.id);
    }
    append_on(conn, about_ticket(r.audit, id, &detail))?;
    if let Some(message) = &r.with.notify {
        enqueue_on(conn, message, now)?;
    }
    Ok(Acted { ticket: rec, follow_on })
}

fn close(
    conn: &Connection,
    centre: &CentreCode,
    day: Date,
    now: Timestamp,
    mut audit: AuditEvent,
) -> Result<DayClosed, StoreError> {
    let open = day_records(conn, centre, day, true)?;
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
        save_step(conn, &closed)?;
        let left = waiting.entry(closed.service.clone()).or_default();
        if was_waiting {
            *left = left.saturating_sub(1);
        }
        let step_window = closed.steps.last().and_then(|s| s.window);
        event(conn, centre, now, EventKind::Closed, Some(&closed), step_window, Some(*left))?;
    }
    let rows = all(
        conn,
        "SELECT outcome, COUNT(*) AS n FROM tickets WHERE centre = ? AND day = ? GROUP BY outcome",
        params![centre.as_str(), day.to_string()],
        |row| Ok((col::<Option<String>>(row, "outcome")?, count(col(row, "n")?))),
    )?;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut issued = 0;
    for (outcome, n) in rows {
        issued += n;
        let outcome = outcome.ok_or_else(|| StoreError::Other("an open ticket survived the close".into()))?;
        counts.insert(outcome, n);
    }
    let by_outcome: Vec<(String, u32)> =
        Outcome::NAMES.iter().map(|name| (name.to_string(), counts.remove(*name).unwrap_or(0))).collect();
    if let Some(unknown) = counts.keys().next() {
        return Err(StoreError::invalid("outcome", unknown));
    }
    audit.record.get_or_insert_with(|| format!("queue:{centre}:{day}"));
    audit.summary = format!("{} ({closed_now} of {issued} tickets closed)", audit.summary);
    append_on(conn, audit)?;
    Ok(DayClosed { issued, closed_now, by_outcome })
}

/// Signs staff member `staff_id` in to `window` at `centre`, leaving any window they held; answers
/// the session and the centre they left, if another.
fn sign_in(
    conn: &Connection,
    centre: &CentreCode,
    window: WindowNumber,
    staff_id: i64,
    login: &str,
    now: Timestamp,
    mut audit: AuditEvent,
) -> Result<(WindowSession, Option<CentreCode>), StoreError> {
    let held = one(
        conn,
        &format!("SELECT {SESSION_COLUMNS} FROM window_sessions WHERE centre = ? AND window_number = ?"),
        params![centre.as_str(), i64::from(window)],
        session,
    )?;
    if let Some(held) = held {
        if held.staff_id == staff_id {
            return Ok((held, None));
        }
        return Err(StoreError::Conflict(format!(
            "window {window} at {centre} is held by another officer ({})",
            held.login
        )));
    }
    let left = one(
        conn,
        "DELETE FROM window_sessions WHERE staff_id = ? RETURNING centre, window_number",
        [staff_id],
        |row| {
            Ok((CentreCode::new(col::<String>(row, "centre")?), window_of(Some(col(row, "window_number")?))?))
        },
    )?;
    let mut left_centre = None;
    if let Some((from, number)) = left {
        event(conn, &from, now, EventKind::WindowClosed, None, number, None)?;
        left_centre = Some(from).filter(|c| c != centre);
    }
    exec(
        conn,
        "INSERT INTO window_sessions (centre, window_number, staff_id, login, since) VALUES (?, ?, ?, ?, ?)",
        params![centre.as_str(), i64::from(window), staff_id, login, ts(now)],
    )?;
    event(conn, centre, now, EventKind::WindowOpened, None, Some(window), None)?;
    audit.record.get_or_insert_with(|| format!("window:{centre}:{window}"));
    append_on(conn, audit)?;
    let session =
        WindowSession { centre: centre.clone(), window, staff_id, login: login.to_owned(), since: now };
    Ok((session, left_centre))
}

fn sign_out(
    conn: &Connection,
    centre: &CentreCode,
    staff_id: i64,
    now: Timestamp,
    mut audit: AuditEvent,
) -> Result<Option<WindowNumber>, StoreError> {
    let left = one(
        conn,
        "DELETE FROM window_sessions WHERE centre = ? AND staff_id = ? RETURNING window_number",
        params![centre.as_str(), staff_id],
        |row| col::<i64>(row, "window_number"),
    )?;
    let Some(window) = window_of(left)? else {
        return Ok(None);
    };
    event(conn, centre, now, EventKind::WindowClosed, None, Some(window), None)?;
    audit.record.get_or_insert_with(|| format!("window:{centre}:{window}"));
    append_on(conn, audit)?;
    Ok(Some(window))
}

impl SqliteStore {
    /// Tells the readers of [`QueueStore::queue_changes`] that `centre`'s log grew.
    pub(crate) fn changed(&self, centre: &CentreCode) {
        // No receiver is not an error: nobody is watching.
        let _ = self.changes.send(centre.clone());
    }
}

#[async_trait]
impl QueueStore for SqliteStore {
    async fn issue_ticket(
        &self,
        new: NewTicket,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<TicketRecord, StoreError> {
        let centre = new.centre.clone();
        let rec = self.engine.write(move |conn| issue(conn, new, to_micros(now), audit)).await?;
        self.changed(&centre);
        Ok(rec)
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
        self.engine.read(|conn| load(conn, id))
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
        let (c, w) = (centre.clone(), window.clone());
        let called =
            self.engine.write(move |conn| call(conn, &c, day, &w, rules, to_micros(now), audit)).await?;
        if called.is_some() {
            self.changed(centre);
        }
        Ok(called)
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
        let request =
            ActRequest { centre: centre.clone(), id, window, action, with, now: to_micros(now), audit };
        let acted = self.engine.write(move |conn| act_on(conn, request)).await?;
        self.changed(centre);
        Ok(acted)
    }

    async fn day_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError> {
        let centre = centre.clone();
        self.engine.read_apart(move |conn| day_records(conn, &centre, day, false)).await
    }

    async fn open_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<TicketRecord>, StoreError> {
        self.engine.read(|conn| day_records(conn, centre, day, true))
    }

    async fn line_tickets(&self, centre: &CentreCode, day: Date) -> Result<Vec<Ticket>, StoreError> {
        self.engine.read(|conn| line_records(conn, centre, day))
    }

    async fn service_times(
        &self,
        centre: &CentreCode,
        only: Option<&ServiceCode>,
        limit: u32,
    ) -> Result<Vec<ServiceTimes>, StoreError> {
        let limit = i64::from(limit.min(SERVICE_TIME_HISTORY));
        let duration = |row: &Row| {
            Ok((
                col::<String>(row, "service")?,
                col::<i64>(row, "duration_ms")?,
                col::<bool>(row, "no_show")?,
                col::<Option<i64>>(row, "waited_ms")?,
            ))
        };
        if let Some(service) = only {
            // One service: the newest entries of the covering index, nothing else.
            let rows = self.engine.read(|conn| {
                all(
                    conn,
                    "SELECT service, duration_ms, no_show, waited_ms FROM recent_service_times
                     WHERE centre = ? AND service = ? ORDER BY finished_at DESC, ticket_id DESC LIMIT ?",
                    params![centre.as_str(), service.as_str(), limit],
                    duration,
                )
            })?;
            return Ok(ServiceTimes::group(rows.into_iter()));
        }
        let rows = self.engine.read(|conn| {
            all(
                conn,
                "SELECT service, duration_ms, no_show, waited_ms FROM (
                         SELECT service, duration_ms, no_show, waited_ms, finished_at, ticket_id, ROW_NUMBER()
                             OVER (PARTITION BY service ORDER BY finished_at DESC, ticket_id DESC) AS rn
                         FROM recent_service_times WHERE centre = ?
                     ) WHERE rn <= ? ORDER BY service, finished_at DESC, ticket_id DESC",
                params![centre.as_str(), limit],
                duration,
            )
        })?;
        Ok(ServiceTimes::group(rows.into_iter()))
    }

    async fn close_day(
        &self,
        centre: &CentreCode,
        day: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<DayClosed, StoreError> {
        let c = centre.clone();
        let closed = self.engine.write(move |conn| close(conn, &c, day, to_micros(now), audit)).await?;
        self.changed(centre);
        Ok(closed)
    }

    async fn queue_events(
        &self,
        centre: &CentreCode,
        after: i64,
        limit: u32,
    ) -> Result<Vec<QueueEvent>, StoreError> {
        self.engine.read(|conn| {
            all(
                conn,
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM queue_events WHERE centre = ? AND id > ? ORDER BY id LIMIT ?"
                ),
                params![centre.as_str(), after, i64::from(limit)],
                queue_event,
            )
        })
    }

    async fn last_queue_event(&self, centre: &CentreCode) -> Result<i64, StoreError> {
        self.engine.read(|conn| {
            one(
                conn,
                "SELECT COALESCE(MAX(id), 0) AS last FROM queue_events WHERE centre = ?",
                [centre.as_str()],
                |row| col::<i64>(row, "last"),
            )
            .map(Option::unwrap_or_default)
        })
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
        let (c, who) = (centre.clone(), login.to_owned());
        let (sessions, at) = (Arc::clone(&self.sessions), centre.clone());
        let (session, left) = self
            .engine
            .write_then(
                move |conn| sign_in(conn, &c, window, staff_id, &who, to_micros(now), audit),
                move |(_, left): &(WindowSession, Option<CentreCode>)| {
                    sessions.forget(&at);
                    if let Some(from) = left {
                        sessions.forget(from);
                    }
                },
            )
            .await?;
        if let Some(from) = left {
            self.changed(&from);
        }
        self.changed(centre);
        Ok(session)
    }

    async fn close_window(
        &self,
        centre: &CentreCode,
        staff_id: i64,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<Option<WindowNumber>, StoreError> {
        let c = centre.clone();
        let (sessions, at) = (Arc::clone(&self.sessions), centre.clone());
        let left = self
            .engine
            .write_then(
                move |conn| sign_out(conn, &c, staff_id, to_micros(now), audit),
                move |_: &Option<WindowNumber>| sessions.forget(&at),
            )
            .await?;
        if left.is_some() {
            self.changed(centre);
        }
        Ok(left)
    }

    async fn open_windows(&self, centre: &CentreCode) -> Result<Vec<WindowSession>, StoreError> {
        // Read on every view of a centre and changed only by sign-ins and sign-outs: remembered.
        let sessions = self.sessions.get_or_read(centre, || {
            self.engine.read(|conn| {
            all(
                conn,
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM window_sessions WHERE centre = ? ORDER BY window_number"
                ),
                [centre.as_str()],
                session,
            )
        })
        })?;
        Ok(sessions.as_ref().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory database with every migration of the store ([`crate::MIGRATOR`]) applied.
    fn migrated() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for migration in crate::MIGRATOR.iter() {
            conn.execute_batch(&migration.sql).unwrap();
        }
        conn
    }

    #[test]
    fn pruning_keeps_the_newest_service_times_of_that_service_only() {
        let conn = migrated();
        // The history's rows stand alone here, without the tickets they were taken from.
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let add = |id: i64, service: &str, minute: i64| {
            let at = format!("2026-11-29T{:02}:{:02}:00.000000Z", 9 + minute / 60, minute % 60);
            conn.execute(
                "INSERT INTO recent_service_times (ticket_id, centre, service, finished_at, duration_ms)
                 VALUES (?, 'SAB', ?, ?, 60000)",
                params![id, service, at],
            )
            .unwrap();
        };
        let total = i64::from(SERVICE_TIME_HISTORY) + 5;
        // Ids out of the order of time, so that the bound follows the time, not the id; two
        // entries share the oldest kept minute, which the id then orders.
        for minute in 0..total {
            add(1000 - minute, "MIA-ID-CARD", minute);
        }
        add(2000, "MIA-ID-CARD", 5);
        for minute in 0..3 {
            add(3000 + minute, "ASAN-PAY", minute);
        }
        prune_service_times(&conn, "SAB", "MIA-ID-CARD").unwrap();
        let kept = |service: &str| -> Vec<i64> {
            let mut stmt = conn
                .prepare("SELECT ticket_id FROM recent_service_times WHERE service = ? ORDER BY ticket_id")
                .unwrap();
            stmt.query_map([service], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        // The newest 100: minutes 6..=104 (ids 994 down to 896) and, of the two at minute 5, the
        // one with the higher id (2000).
        let mut newest: Vec<i64> = (6..total).map(|minute| 1000 - minute).collect();
        newest.push(2000);
        newest.sort();
        assert_eq!(kept("MIA-ID-CARD"), newest);
        assert_eq!(kept("ASAN-PAY"), vec![3000, 3001, 3002], "another service's history is untouched");
    }

    #[test]
    fn each_ticket_column_is_read_at_its_place_in_the_select() {
        let every = [
            Tc::Id,
            Tc::Centre,
            Tc::Service,
            Tc::Grp,
            Tc::Day,
            Tc::Number,
            Tc::Origin,
            Tc::AppointmentAt,
            Tc::Priority,
            Tc::IssuedAt,
            Tc::ReservedFor,
            Tc::Follows,
            Tc::State,
            Tc::WindowNumber,
            Tc::StateAt,
            Tc::Recalls,
            Tc::ParkReason,
            Tc::ParkNote,
            Tc::Outcome,
            Tc::OutcomeReason,
            Tc::TransferService,
            Tc::TransferWindow,
            Tc::HolderFin,
            Tc::HolderName,
        ];
        let selected: Vec<&str> = TICKET_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(selected.len(), every.len(), "one position per selected column");
        for column in every {
            let name: String = format!("{column:?}")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let gap = (i > 0 && c.is_uppercase()).then_some('_');
                    gap.into_iter().chain(c.to_lowercase())
                })
                .collect();
            assert_eq!(
                selected[column as usize],
                format!("t.{name}"),
                "{column:?} is read at the wrong place"
            );
        }
    }
}
