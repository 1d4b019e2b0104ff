//! Applications, bills, payments and refunds on SQLite. Every change is one `BEGIN IMMEDIATE`
//! transaction: read what the rule needs, decide by the domain's rule, append the row, move the
//! projections, append the audit entry and put the notice in the outbox. The single writer makes
//! the read-decide-write atomic; `payments.bill_id` being unique backs it up.

use crate::audit::append;
use crate::outbox::enqueue;
use crate::{SqliteStore, db, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::cases::workflow::{ACCEPT, BILL, StepFacts};
use onestop_domain::payments::{
    OnlineStatus, PaymentChannel, Purpose, Reconciliation, RefundReason, RefundState, RefundStep, TakerLine,
    Tally, check_payment, check_refund, refund_step,
};
use onestop_domain::queue::ticket::TicketId;
use onestop_store::cases::{
    ActionRecord, ApplicationChange, ApplicationFilter, ApplicationRecord, BillRecord, CaseError, CaseStore,
    NewApplication, NewBill, NewOnlinePayment, NewPayment, NewRefund, OnlineChange, OnlinePaymentRecord,
    PaymentRecord, RefundRecord, from_json_text, json_text,
};
use onestop_store::queue::to_micros;
use onestop_store::{StoreError, parse_timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::BTreeMap;

const APPLICATION: &str = "id, tracking, centre, provider, service, workflow, ticket_id, officer, applicant_fin,
    applicant_name, contact_email, contact_phone, lang, documents, state, state_since, state_due_on, accepted_at,
    accepted_on, deadline_on, done_at, done_on, delivery_address";

const BILL_COLUMNS: &str = "b.id, b.reference, a.tracking, b.purpose, b.centre, b.provider, b.service, b.state_fee,
    b.service_fee, b.total, b.currency, b.waivers, b.issued_at, b.issued_on, b.paid, b.refunded, b.cancelled_at";

const REFUND: &str =
    "r.id, b.reference AS bill, r.centre, r.amount, r.reason, r.note, r.state, r.requested_by,
    r.requested_at, r.decided_by, r.decided_at, r.executed_by, r.executed_at";

const ONLINE: &str = "o.id, b.reference AS bill, o.amount, o.currency, o.description, o.return_url, o.status,
    o.acquirer, o.auth_code, o.card_brand, o.card_last4, o.failure, o.created_at, o.updated_at";

fn day(row: &SqliteRow, column: &str) -> Result<Option<Date>, StoreError> {
    row.get::<Option<String>, _>(column)
        .map(|d| d.parse::<Date>().map_err(|_| StoreError::invalid(column, &d)))
        .transpose()
}

fn day_of(row: &SqliteRow, column: &str) -> Result<Date, StoreError> {
    day(row, column)?.ok_or_else(|| StoreError::invalid(column, "NULL"))
}

fn at(row: &SqliteRow, column: &str) -> Result<Timestamp, StoreError> {
    parse_timestamp(row.get(column))
}

fn opt_at(row: &SqliteRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.get::<Option<&str>, _>(column).map(parse_timestamp).transpose()
}

fn named<T>(row: &SqliteRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = row.get(column);
    parse(&text).ok_or_else(|| StoreError::invalid(column, &text))
}

fn json<T: onestop_store::cases::Decode>(row: &SqliteRow, column: &str) -> Result<T, StoreError> {
    from_json_text(column, row.get(column))
}

fn application(row: &SqliteRow) -> Result<ApplicationRecord, StoreError> {
    Ok(ApplicationRecord {
        id: row.get("id"),
        tracking: row.get("tracking"),
        centre: row.get("centre"),
        provider: row.get("provider"),
        service: row.get("service"),
        workflow: row.get("workflow"),
        ticket: row.get::<Option<i64>, _>("ticket_id").map(TicketId),
        officer: row.get("officer"),
        applicant_fin: row.get("applicant_fin"),
        applicant_name: row.get("applicant_name"),
        contact_email: row.get("contact_email"),
        contact_phone: row.get("contact_phone"),
        lang: row.get("lang"),
        documents: json(row, "documents")?,
        state: row.get("state"),
        state_since: at(row, "state_since")?,
        state_due_on: day(row, "state_due_on")?,
        accepted_at: at(row, "accepted_at")?,
        accepted_on: day_of(row, "accepted_on")?,
        deadline_on: day_of(row, "deadline_on")?,
        done_at: opt_at(row, "done_at")?,
        done_on: day(row, "done_on")?,
        delivery_address: row.get("delivery_address"),
        history: Vec::new(),
        bills: Vec::new(),
    })
}

fn bill(row: &SqliteRow) -> Result<BillRecord, StoreError> {
    Ok(BillRecord {
        id: row.get("id"),
        reference: row.get("reference"),
        tracking: row.get("tracking"),
        purpose: named(row, "purpose", Purpose::parse)?,
        centre: row.get("centre"),
        provider: row.get("provider"),
        service: row.get("service"),
        state_fee: row.get("state_fee"),
        service_fee: row.get("service_fee"),
        total: row.get("total"),
        currency: row.get("currency"),
        waivers: json(row, "waivers")?,
        issued_at: at(row, "issued_at")?,
        issued_on: day_of(row, "issued_on")?,
        paid: row.get("paid"),
        refunded: row.get("refunded"),
        cancelled_at: opt_at(row, "cancelled_at")?,
        payment: None,
        refunds: Vec::new(),
    })
}

fn payment(row: &SqliteRow) -> Result<PaymentRecord, StoreError> {
    Ok(PaymentRecord {
        id: row.get("id"),
        amount: row.get("amount"),
        currency: row.get("currency"),
        channel: named(row, "channel", PaymentChannel::parse)?,
        centre: row.get("centre"),
        taken_by: row.get("taken_by"),
        at: at(row, "at")?,
        on_day: day_of(row, "on_day")?,
    })
}

fn refund(row: &SqliteRow) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: row.get("id"),
        bill: row.get("bill"),
        centre: row.get("centre"),
        amount: row.get("amount"),
        reason: named(row, "reason", RefundReason::parse)?,
        note: row.get("note"),
        state: named(row, "state", RefundState::parse)?,
        requested_by: row.get("requested_by"),
        requested_at: at(row, "requested_at")?,
        decided_by: row.get("decided_by"),
        decided_at: opt_at(row, "decided_at")?,
        executed_by: row.get("executed_by"),
        executed_at: opt_at(row, "executed_at")?,
    })
}

fn online(row: &SqliteRow) -> Result<OnlinePaymentRecord, StoreError> {
    Ok(OnlinePaymentRecord {
        id: row.get("id"),
        bill: row.get("bill"),
        amount: row.get("amount"),
        currency: row.get("currency"),
        description: row.get("description"),
        return_url: row.get("return_url"),
        status: named(row, "status", OnlineStatus::parse)?,
        acquirer: row.get("acquirer"),
        auth_code: row.get("auth_code"),
        card_brand: row.get("card_brand"),
        card_last4: row.get("card_last4"),
        failure: row.get("failure"),
        created_at: at(row, "created_at")?,
        updated_at: at(row, "updated_at")?,
    })
}

/// The bills of the applications `ids` (or of the bill `reference`), with payments and refunds.
async fn bills_where(
    conn: &mut SqliteConnection,
    ids: &[i64],
    reference: Option<&str>,
) -> Result<Vec<BillRecord>, StoreError> {
    let mut b = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {BILL_COLUMNS} FROM bills b JOIN applications a ON a.id = b.application_id WHERE "
    ));
    match reference {
        Some(r) => {
            b.push("b.reference = ").push_bind(r.to_owned());
        }
        None if ids.is_empty() => return Ok(Vec::new()),
        None => {
            b.push("b.application_id IN (");
            let mut list = b.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            b.push(")");
        }
    }
    b.push(" ORDER BY b.id");
    let rows = b.build().fetch_all(&mut *conn).await.map_err(db)?;
    let mut bills: Vec<BillRecord> = rows.iter().map(bill).collect::<Result<_, _>>()?;
    if bills.is_empty() {
        return Ok(bills);
    }
    let mut index = BTreeMap::new();
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT bill_id, id, amount, currency, channel, centre, taken_by, at, on_day FROM payments WHERE bill_id IN (",
    );
    let mut list = q.separated(", ");
    for (i, b) in bills.iter().enumerate() {
        index.insert(b.id, i);
        list.push_bind(b.id);
    }
    q.push(")");
    for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
        let bill_id: i64 = row.get("bill_id");
        if let Some(i) = index.get(&bill_id) {
            bills[*i].payment = Some(payment(&row)?);
        }
    }
    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT r.bill_id, {REFUND} FROM refunds r JOIN bills b ON b.id = r.bill_id WHERE r.bill_id IN ("
    ));
    let mut list = q.separated(", ");
    for b in &bills {
        list.push_bind(b.id);
    }
    q.push(") ORDER BY r.id");
    for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
        let bill_id: i64 = row.get("bill_id");
        if let Some(i) = index.get(&bill_id) {
            bills[*i].refunds.push(refund(&row)?);
        }
    }
    Ok(bills)
}

async fn history(conn: &mut SqliteConnection, id: i64) -> Result<Vec<ActionRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, action, from_state, to_state, actor, role, reason FROM application_actions
         WHERE application_id = ? ORDER BY seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(ActionRecord {
                seq: u32::try_from(row.get::<i64, _>("seq")).unwrap_or(0),
                at: at(row, "at")?,
                action: row.get("action"),
                from_state: row.get("from_state"),
                to_state: row.get("to_state"),
                actor: row.get("actor"),
                role: row.get("role"),
                reason: row.get("reason"),
            })
        })
        .collect()
}

async fn full(
    conn: &mut SqliteConnection,
    row: Option<SqliteRow>,
) -> Result<Option<ApplicationRecord>, StoreError> {
    let Some(row) = row else { return Ok(None) };
    let mut a = application(&row)?;
    a.history = history(conn, a.id).await?;
    a.bills = bills_where(conn, &[a.id], None).await?;
    Ok(Some(a))
}

async fn by_tracking(
    conn: &mut SqliteConnection,
    tracking: &str,
) -> Result<Option<ApplicationRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {APPLICATION} FROM applications WHERE tracking = ?"))
        .bind(tracking)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    full(conn, row).await
}

async fn one_bill(conn: &mut SqliteConnection, reference: &str) -> Result<Option<BillRecord>, StoreError> {
    Ok(bills_where(conn, &[], Some(reference)).await?.pop())
}

async fn one_refund(conn: &mut SqliteConnection, id: i64) -> Result<Option<RefundRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {REFUND} FROM refunds r JOIN bills b ON b.id = r.bill_id WHERE r.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.as_ref().map(refund).transpose()
}

async fn one_online(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<OnlinePaymentRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ONLINE} FROM online_payments o JOIN bills b ON b.id = o.bill_id WHERE o.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.as_ref().map(online).transpose()
}

#[allow(clippy::too_many_arguments)]
async fn add_action(
    conn: &mut SqliteConnection,
    id: i64,
    now: Timestamp,
    action: &str,
    from: Option<&str>,
    to: &str,
    actor: &str,
    role: &str,
    reason: Option<&str>,
    key: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO application_actions (application_id, seq, at, action, from_state, to_state, actor, role,
             reason, idempotency_key)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM application_actions WHERE application_id = ?),
             ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(id)
    .bind(ts(now))
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(role)
    .bind(reason)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE applications SET actions = actions + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

async fn insert_bill(
    conn: &mut SqliteConnection,
    application: i64,
    centre: &str,
    provider: &str,
    service: &str,
    new: &NewBill,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO bills (reference, application_id, purpose, centre, provider, service, state_fee, service_fee,
             total, currency, waivers, issued_at, issued_on, paid, refunded)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
    )
    .bind(&new.reference)
    .bind(application)
    .bind(new.purpose.as_str())
    .bind(centre)
    .bind(provider)
    .bind(service)
    .bind(new.state_fee)
    .bind(new.service_fee)
    .bind(new.total())
    .bind(&new.currency)
    .bind(json_text(&new.waivers)?)
    .bind(ts(now))
    .bind(new.issued_on.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn insert_payment(
    conn: &mut SqliteConnection,
    bill: &BillRecord,
    p: &NewPayment,
    now: Timestamp,
) -> Result<(), CaseError> {
    if p.centre != bill.centre {
        return Err(CaseError::Conflict(format!("the bill belongs to centre {}", bill.centre)));
    }
    check_payment(bill.total, bill.paid, bill.cancelled_at.is_some(), &bill.currency, p.amount, &p.currency)?;
    sqlx::query(
        "INSERT INTO payments (bill_id, amount, currency, channel, centre, taken_by, at, on_day)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(bill.id)
    .bind(p.amount)
    .bind(&p.currency)
    .bind(p.channel.as_str())
    .bind(&p.centre)
    .bind(&p.taken_by)
    .bind(ts(now))
    .bind(p.on_day.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE bills SET paid = paid + ? WHERE id = ?")
        .bind(p.amount)
        .bind(bill.id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if let Some(message) = &p.message {
        enqueue(conn, message, now).await?;
    }
    Ok(())
}

#[async_trait]
impl CaseStore for SqliteStore {
    async fn reserve_tracking(&self, year: i16) -> Result<u32, StoreError> {
        let mut tx = self.begin_write().await?;
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO tracking_counters (year, last) VALUES (?, 1)
             ON CONFLICT (year) DO UPDATE SET last = tracking_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        u32::try_from(last).map_err(|_| StoreError::invalid("tracking counter", &last.to_string()))
    }

    async fn create_application(
        &self,
        new: NewApplication,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        if let Some(ticket) = new.ticket {
            let row = sqlx::query(&format!("SELECT {APPLICATION} FROM applications WHERE ticket_id = ?"))
                .bind(ticket.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            if let Some(existing) = full(&mut tx, row).await? {
                let same_key: Option<i64> = match &new.key {
                    Some(key) => sqlx::query_scalar(
                        "SELECT seq FROM application_actions WHERE application_id = ? AND idempotency_key = ?
                         AND action = ?",
                    )
                    .bind(existing.id)
                    .bind(key)
                    .bind(ACCEPT)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?,
                    None => None,
                };
                return match same_key {
                    Some(_) => Ok(existing),
                    None => Err(CaseError::Conflict(format!(
                        "the ticket's documents were already accepted as application {}",
                        existing.tracking
                    ))),
                };
            }
        }
        let (state, due) = new.billed.clone().filter(|_| new.bill.total() > 0).unwrap_or(new.initial.clone());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (tracking, centre, provider, service, workflow, ticket_id, officer,
                 applicant_fin, applicant_name, contact_email, contact_phone, lang, documents, state, state_since,
                 state_due_on, accepted_at, accepted_on, deadline_on, actions)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
        )
        .bind(&new.tracking)
        .bind(&new.centre)
        .bind(&new.provider)
        .bind(&new.service)
        .bind(&new.workflow)
        .bind(new.ticket.map(|t| t.0))
        .bind(&new.officer)
        .bind(&new.applicant_fin)
        .bind(&new.applicant_name)
        .bind(&new.contact_email)
        .bind(&new.contact_phone)
        .bind(&new.lang)
        .bind(json_text(&new.documents)?)
        .bind(&state)
        .bind(ts(now))
        .bind(due.map(|d| d.to_string()))
        .bind(ts(now))
        .bind(new.accepted_on.to_string())
        .bind(new.deadline_on.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let role = new.role.as_str();
        add_action(
            &mut tx,
            id,
            now,
            ACCEPT,
            None,
            &new.initial.0,
            &new.officer,
            role,
            None,
            new.key.as_deref(),
        )
        .await?;
        insert_bill(&mut tx, id, &new.centre, &new.provider, &new.service, &new.bill, now).await?;
        if state != new.initial.0 {
            add_action(&mut tx, id, now, BILL, Some(&new.initial.0), &state, &new.officer, role, None, None)
                .await?;
        }
        if let Some(message) = &new.message {
            enqueue(&mut tx, message, now).await?;
        }
        append(&mut tx, audit.with_record(format!("application:{}", new.tracking))).await?;
        let record = by_tracking(&mut tx, &new.tracking)
            .await?
            .ok_or_else(|| StoreError::invalid("application", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn application(&self, tracking: &str) -> Result<Option<ApplicationRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        by_tracking(&mut conn, tracking).await
    }

    async fn application_of_ticket(&self, ticket: TicketId) -> Result<Option<ApplicationRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let row = sqlx::query(&format!("SELECT {APPLICATION} FROM applications WHERE ticket_id = ?"))
            .bind(ticket.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        full(&mut conn, row).await
    }

    async fn applications(
        &self,
        filter: &ApplicationFilter,
        limit: u32,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut b =
            QueryBuilder::<Sqlite>::new(format!("SELECT {APPLICATION} FROM applications WHERE 1 = 1"));
        if let Some(centre) = &filter.centre {
            b.push(" AND centre = ").push_bind(centre.clone());
        }
        if let Some(provider) = &filter.provider {
            b.push(" AND provider = ").push_bind(provider.clone());
        }
        if let Some(fin) = &filter.applicant_fin {
            b.push(" AND applicant_fin = ").push_bind(fin.clone());
        }
        if !filter.states.is_empty() {
            b.push(" AND state IN (");
            let mut list = b.separated(", ");
            for s in &filter.states {
                list.push_bind(s.clone());
            }
            b.push(")");
        }
        if filter.open {
            b.push(" AND done_at IS NULL");
        }
        if let Some(before) = filter.deadline_before {
            b.push(" AND deadline_on < ").push_bind(before.to_string());
        }
        b.push(" ORDER BY accepted_at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        let rows = b.build().fetch_all(&mut *conn).await.map_err(db)?;
        let mut apps: Vec<ApplicationRecord> = rows.iter().map(application).collect::<Result<_, _>>()?;
        let ids: Vec<i64> = apps.iter().map(|a| a.id).collect();
        let mut by_id: BTreeMap<String, Vec<BillRecord>> = BTreeMap::new();
        for bill in bills_where(&mut conn, &ids, None).await? {
            by_id.entry(bill.tracking.clone()).or_default().push(bill);
        }
        for a in &mut apps {
            a.bills = by_id.remove(&a.tracking).unwrap_or_default();
        }
        Ok(apps)
    }

    async fn act_on_application(
        &self,
        tracking: &str,
        change: ApplicationChange,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let current = by_tracking(&mut tx, tracking)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("application {tracking}")))?;
        if let Some(key) = &change.key {
            let used: Option<String> = sqlx::query_scalar(
                "SELECT action FROM application_actions WHERE application_id = ? AND idempotency_key = ?",
            )
            .bind(current.id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            match used {
                Some(action) if action == change.action => return Ok(current),
                Some(action) => {
                    return Err(CaseError::Conflict(format!("the idempotency key was used for {action}")));
                }
                None => {}
            }
        }
        if change.workflow.name != current.workflow {
            return Err(CaseError::Conflict(format!(
                "the application follows workflow {}",
                current.workflow
            )));
        }
        let facts = StepFacts {
            reason: change.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
            paid: current.fees_paid(),
            delivery_paid: current.delivery_paid(),
        };
        let step = change.workflow.step(&current.state, &change.action, change.role, facts)?;
        let ends = step.state.done || step.state.last;
        let mut b = QueryBuilder::<Sqlite>::new("UPDATE applications SET state = ");
        b.push_bind(step.to.to_owned()).push(", state_since = ").push_bind(ts(now));
        b.push(", state_due_on = ").push_bind(change.due_on.map(|d| d.to_string()));
        if ends && current.done_at.is_none() {
            b.push(", done_at = ")
                .push_bind(ts(now))
                .push(", done_on = ")
                .push_bind(change.today.to_string());
        }
        b.push(" WHERE id = ").push_bind(current.id);
        b.build().execute(&mut *tx).await.map_err(db)?;
        add_action(
            &mut tx,
            current.id,
            now,
            &change.action,
            Some(&current.state),
            step.to,
            &change.actor,
            change.role.as_str(),
            change.reason.as_deref(),
            change.key.as_deref(),
        )
        .await?;
        if step.state.last && !step.state.done {
            sqlx::query(
                "UPDATE bills SET cancelled_at = ?, cancelled_on = ?
                 WHERE application_id = ? AND paid = 0 AND total > 0 AND cancelled_at IS NULL",
            )
            .bind(ts(now))
            .bind(change.today.to_string())
            .bind(current.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        if let Some(message) = &change.message {
            enqueue(&mut tx, message, now).await?;
        }
        append(&mut tx, audit.with_record(format!("application:{tracking}"))).await?;
        let record = by_tracking(&mut tx, tracking)
            .await?
            .ok_or_else(|| StoreError::invalid("application", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn order_delivery(
        &self,
        tracking: &str,
        address: &str,
        states: &[String],
        bill: NewBill,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ApplicationRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let current = by_tracking(&mut tx, tracking)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("application {tracking}")))?;
        if current.delivery_address.is_some() {
            return Err(CaseError::Conflict("delivery is already ordered".into()));
        }
        if !states.contains(&current.state) {
            return Err(CaseError::Conflict(format!("the application is {}", current.state)));
        }
        sqlx::query("UPDATE applications SET delivery_address = ? WHERE id = ?")
            .bind(address)
            .bind(current.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_bill(&mut tx, current.id, &current.centre, &current.provider, &current.service, &bill, now)
            .await?;
        append(&mut tx, audit.with_record(format!("application:{tracking}"))).await?;
        let record = by_tracking(&mut tx, tracking)
            .await?
            .ok_or_else(|| StoreError::invalid("application", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn bill(&self, reference: &str) -> Result<Option<BillRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        one_bill(&mut conn, reference).await
    }

    async fn pay_bill(
        &self,
        reference: &str,
        payment: NewPayment,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<BillRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let bill = one_bill(&mut tx, reference)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("bill {reference}")))?;
        insert_payment(&mut tx, &bill, &payment, now).await?;
        append(&mut tx, audit.with_record(format!("bill:{reference}"))).await?;
        let bill = one_bill(&mut tx, reference).await?.ok_or_else(|| StoreError::invalid("bill", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(bill)
    }

    async fn request_refund(
        &self,
        reference: &str,
        new: NewRefund,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RefundRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let bill = one_bill(&mut tx, reference)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("bill {reference}")))?;
        let committed: i64 = bill.refunds.iter().filter(|r| r.state.counts()).map(|r| r.amount).sum();
        check_refund(bill.paid, committed, new.amount)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO refunds (bill_id, centre, amount, reason, note, state, requested_by, requested_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(bill.id)
        .bind(&bill.centre)
        .bind(new.amount)
        .bind(new.reason.as_str())
        .bind(&new.note)
        .bind(RefundState::Requested.as_str())
        .bind(&new.requested_by)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit.with_record(format!("refund:{id}"))).await?;
        let record = one_refund(&mut tx, id).await?.ok_or_else(|| StoreError::invalid("refund", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn refund_step(
        &self,
        id: i64,
        step: RefundStep,
        actor: &str,
        today: Date,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RefundRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let current =
            one_refund(&mut tx, id).await?.ok_or_else(|| CaseError::NotFound(format!("refund {id}")))?;
        let to = refund_step(current.state, step)?;
        let sql = match step {
            RefundStep::Approve | RefundStep::Decline => {
                "UPDATE refunds SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?"
            }
            RefundStep::Execute => {
                "UPDATE refunds SET state = ?, executed_by = ?, executed_at = ?, executed_on = ? WHERE id = ?"
            }
        };
        let mut q = sqlx::query(sql).bind(to.as_str()).bind(actor).bind(ts(now));
        if step == RefundStep::Execute {
            q = q.bind(today.to_string());
        }
        q.bind(id).execute(&mut *tx).await.map_err(db)?;
        if step == RefundStep::Execute {
            sqlx::query("UPDATE bills SET refunded = refunded + ? WHERE reference = ?")
                .bind(current.amount)
                .bind(&current.bill)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        append(&mut tx, audit.with_record(format!("refund:{id}"))).await?;
        let record = one_refund(&mut tx, id).await?.ok_or_else(|| StoreError::invalid("refund", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn refund(&self, id: i64) -> Result<Option<RefundRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        one_refund(&mut conn, id).await
    }

    async fn refunds(&self, centre: &str, states: &[RefundState]) -> Result<Vec<RefundRecord>, StoreError> {
        let mut b = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {REFUND} FROM refunds r JOIN bills b ON b.id = r.bill_id WHERE r.centre = "
        ));
        b.push_bind(centre.to_owned());
        if !states.is_empty() {
            b.push(" AND r.state IN (");
            let mut list = b.separated(", ");
            for s in states {
                list.push_bind(s.as_str());
            }
            b.push(")");
        }
        b.push(" ORDER BY r.id");
        let rows = b.build().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(refund).collect()
    }

    async fn create_online_payment(
        &self,
        new: NewOnlinePayment,
        now: Timestamp,
    ) -> Result<OnlinePaymentRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let bill = one_bill(&mut tx, &new.bill)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("bill {}", new.bill)))?;
        check_payment(
            bill.total,
            bill.paid,
            bill.cancelled_at.is_some(),
            &bill.currency,
            new.amount,
            &new.currency,
        )?;
        sqlx::query(
            "INSERT INTO online_payments (id, bill_id, amount, currency, description, return_url, status, acquirer,
                 created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.id)
        .bind(bill.id)
        .bind(new.amount)
        .bind(&new.currency)
        .bind(&new.description)
        .bind(&new.return_url)
        .bind(OnlineStatus::Created.as_str())
        .bind(&new.acquirer)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let record =
            one_online(&mut tx, &new.id).await?.ok_or_else(|| StoreError::invalid("payment", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn online_payment(&self, id: &str) -> Result<Option<OnlinePaymentRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        one_online(&mut conn, id).await
    }

    async fn change_online_payment(
        &self,
        id: &str,
        change: OnlineChange,
        now: Timestamp,
        audit: Option<AuditEvent>,
    ) -> Result<OnlinePaymentRecord, CaseError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let current =
            one_online(&mut tx, id).await?.ok_or_else(|| CaseError::NotFound(format!("payment {id}")))?;
        if current.status != change.from {
            return Err(CaseError::Conflict(format!("the payment is {}", current.status.as_str())));
        }
        if let Some(payment) = &change.payment {
            let bill =
                one_bill(&mut tx, &current.bill).await?.ok_or_else(|| StoreError::invalid("bill", "lost"))?;
            insert_payment(&mut tx, &bill, payment, now).await?;
        }
        sqlx::query(
            "UPDATE online_payments SET status = ?, auth_code = COALESCE(?, auth_code),
                 card_brand = COALESCE(?, card_brand), card_last4 = COALESCE(?, card_last4),
                 failure = COALESCE(?, failure), updated_at = ?
             WHERE id = ?",
        )
        .bind(change.to.as_str())
        .bind(&change.auth_code)
        .bind(&change.card_brand)
        .bind(&change.card_last4)
        .bind(&change.failure)
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(audit) = audit {
            append(&mut tx, audit.with_record(format!("payment:{id}"))).await?;
        }
        let record = one_online(&mut tx, id).await?.ok_or_else(|| StoreError::invalid("payment", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn reconciliation(&self, centre: &str, day: Date) -> Result<Reconciliation, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let d = day.to_string();
        let outstanding = |inclusive: bool| {
            let (issued, cancelled, paid) = if inclusive { ("<=", ">", "<=") } else { ("<", ">=", "<") };
            format!(
                "SELECT COALESCE(SUM(b.total), 0) FROM bills b WHERE b.centre = ? AND b.issued_on {issued} ?
                   AND (b.cancelled_on IS NULL OR b.cancelled_on {cancelled} ?)
                   AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.bill_id = b.id AND p.on_day {paid} ?)"
            )
        };
        let mut sums = [0i64; 2];
        for (i, inclusive) in [false, true].into_iter().enumerate() {
            sums[i] = sqlx::query_scalar(&outstanding(inclusive))
                .bind(centre)
                .bind(&d)
                .bind(&d)
                .bind(&d)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
        }
        let tally = |row: &SqliteRow| Tally {
            count: u64::try_from(row.get::<i64, _>("n")).unwrap_or(0),
            amount: row.get("amount"),
        };
        let mut tallies = Vec::new();
        for sql in [
            "SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS amount FROM bills WHERE centre = ? AND issued_on = ?",
            "SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS amount FROM bills WHERE centre = ? AND cancelled_on = ?",
            "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS amount FROM payments WHERE centre = ? AND on_day = ?",
            "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS amount FROM refunds WHERE centre = ? AND executed_on = ?",
        ] {
            let row = sqlx::query(sql).bind(centre).bind(&d).fetch_one(&mut *conn).await.map_err(db)?;
            tallies.push(tally(&row));
        }
        let mut takers: BTreeMap<(PaymentChannel, String), TakerLine> = BTreeMap::new();
        let rows = sqlx::query(
            "SELECT channel, taken_by AS taker, 'payment' AS kind, COUNT(*) AS n, SUM(amount) AS amount
               FROM payments WHERE centre = ? AND on_day = ? GROUP BY channel, taken_by
             UNION ALL
             SELECT 'bank' AS channel, executed_by AS taker, 'refund' AS kind, COUNT(*) AS n, SUM(amount) AS amount
               FROM refunds WHERE centre = ? AND executed_on = ? GROUP BY executed_by",
        )
        .bind(centre)
        .bind(&d)
        .bind(centre)
        .bind(&d)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for row in &rows {
            let channel = named(row, "channel", PaymentChannel::parse)?;
            let taker: String = row.get("taker");
            let kind: String = row.get("kind");
            let line = takers.entry((channel, taker.clone())).or_insert_with(|| TakerLine {
                channel,
                taker,
                payments: Tally::default(),
                refunds: Tally::default(),
            });
            if kind == "payment" {
                line.payments = tally(row);
            } else {
                line.refunds = tally(row);
            }
        }
        let [issued, cancelled, paid, refunded] = tallies[..] else {
            return Err(StoreError::Other("reconciliation tallies".into()));
        };
        Ok(Reconciliation {
            opening_outstanding: sums[0],
            issued,
            cancelled,
            paid,
            refunded,
            closing_outstanding: sums[1],
            takers: takers.into_values().collect(),
        })
    }
}
