//! Complaints and suggestions on PostgreSQL. Each workflow step is one transaction that locks the
//! complaint's row (`FOR UPDATE`), checks the step, updates, appends the history row and the audit
//! entry, and puts the notice to the complainant in the outbox.

use crate::audit::append;
use crate::outbox::enqueue;
use crate::{PgStore, db, read_ts, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::feedback::complaint::{
    Category, Channel, Contact, Status, Step, Subject, SubjectKind, next_status,
};
use onestop_domain::pii::Phone;
use onestop_store::StoreError;
use onestop_store::complaints::{
    Breaches, ComplaintChange, ComplaintEvent, ComplaintFilter, ComplaintRecord, ComplaintStepError,
    ComplaintStore, NewComplaint,
};
use onestop_store::queue::to_micros;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

const COLUMNS: &str = "id, reference, channel, category, subject_kind, subject_code, centre, body, contact_name,
    contact_email, contact_phone, contact_address, entered_by, status, assignee, answer, received_at, received_on,
    due_on, answered_on, updated_at, reopened, lang";

fn pgdate(day: Date) -> jiff_sqlx::Date {
    jiff_sqlx::Date::from(day)
}

fn date(row: &PgRow, column: &str) -> Result<Option<Date>, StoreError> {
    row.try_get::<Option<jiff_sqlx::Date>, _>(column).map(|d| d.map(|d| d.to_jiff())).map_err(db)
}

fn named<T>(row: &PgRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = row.get(column);
    parse(&text).ok_or_else(|| StoreError::invalid(column, &text))
}

fn record(row: &PgRow) -> Result<ComplaintRecord, StoreError> {
    let phone: Option<String> = row.get("contact_phone");
    let reopened: i64 = row.get("reopened");
    Ok(ComplaintRecord {
        id: row.get("id"),
        reference: row.get("reference"),
        channel: named(row, "channel", Channel::parse)?,
        category: named(row, "category", Category::parse)?,
        subject: Subject {
            kind: named(row, "subject_kind", SubjectKind::parse)?,
            code: row.get("subject_code"),
        },
        centre: row.get("centre"),
        text: row.get("body"),
        contact: Contact {
            name: row.get("contact_name"),
            email: row.get("contact_email"),
            phone: phone
                .map(|p| Phone::parse(&p).map_err(|_| StoreError::invalid("phone", "…")))
                .transpose()?,
            address: row.get("contact_address"),
        },
        entered_by: row.get("entered_by"),
        status: named(row, "status", Status::parse)?,
        assignee: row.get("assignee"),
        answer: row.get("answer"),
        received_at: read_ts(row, "received_at")?,
        received_on: date(row, "received_on")?.ok_or_else(|| StoreError::invalid("received_on", "NULL"))?,
        due_on: date(row, "due_on")?.ok_or_else(|| StoreError::invalid("due_on", "NULL"))?,
        answered_on: date(row, "answered_on")?,
        updated_at: read_ts(row, "updated_at")?,
        reopened: u32::try_from(reopened).unwrap_or(0),
        lang: row.get("lang"),
        history: Vec::new(),
    })
}

async fn history(conn: &mut PgConnection, id: i64) -> Result<Vec<ComplaintEvent>, StoreError> {
    let rows =
        sqlx::query("SELECT at, step, status FROM complaint_steps WHERE complaint_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|row| {
            let step: String = row.get("step");
            Ok(ComplaintEvent {
                at: read_ts(row, "at")?,
                step: Step::parse(&step),
                status: named(row, "status", Status::parse)?,
            })
        })
        .collect()
}

async fn add_step(
    conn: &mut PgConnection,
    id: i64,
    at: Timestamp,
    step: &str,
    status: Status,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO complaint_steps (complaint_id, seq, at, step, status)
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM complaint_steps WHERE complaint_id = $1), $2, $3, $4)",
    )
    .bind(id)
    .bind(ts(at))
    .bind(step)
    .bind(status.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn by_reference(
    conn: &mut PgConnection,
    reference: &str,
    for_update: bool,
) -> Result<Option<ComplaintRecord>, StoreError> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM complaints WHERE reference = $1{lock}"))
        .bind(reference)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let mut complaint = record(&row)?;
    complaint.history = history(conn, complaint.id).await?;
    Ok(Some(complaint))
}

#[async_trait]
impl ComplaintStore for PgStore {
    async fn register_complaint(
        &self,
        new: NewComplaint,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ComplaintRecord, StoreError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (reference, channel, category, subject_kind, subject_code, centre, body,
                 contact_name, contact_email, contact_phone, contact_address, entered_by, status, received_at,
                 received_on, due_on, updated_at, reopened, lang)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, $18) RETURNING id",
        )
        .bind(&new.reference)
        .bind(new.channel.as_str())
        .bind(new.category.as_str())
        .bind(new.subject.kind.as_str())
        .bind(&new.subject.code)
        .bind(&new.centre)
        .bind(&new.text)
        .bind(&new.contact.name)
        .bind(&new.contact.email)
        .bind(new.contact.phone.as_ref().map(Phone::reveal))
        .bind(&new.contact.address)
        .bind(&new.entered_by)
        .bind(Status::Received.as_str())
        .bind(ts(now))
        .bind(pgdate(new.received_on))
        .bind(pgdate(new.due_on))
        .bind(ts(now))
        .bind(&new.lang)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        add_step(&mut tx, id, now, "register", Status::Received).await?;
        if let Some(message) = &new.message {
            enqueue(&mut tx, message, now).await?;
        }
        append(&mut tx, audit.with_record(format!("complaint:{}", new.reference))).await?;
        let complaint = by_reference(&mut tx, &new.reference, false)
            .await?
            .ok_or_else(|| StoreError::invalid("complaint", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(complaint)
    }

    async fn complaint(&self, reference: &str) -> Result<Option<ComplaintRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        by_reference(&mut conn, reference, false).await
    }

    async fn complaints(
        &self,
        filter: &ComplaintFilter,
        limit: u32,
    ) -> Result<Vec<ComplaintRecord>, StoreError> {
        let mut b = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM complaints WHERE 1 = 1"));
        if !filter.statuses.is_empty() {
            b.push(" AND status IN (");
            let mut list = b.separated(", ");
            for s in &filter.statuses {
                list.push_bind(s.as_str());
            }
            b.push(")");
        }
        if !filter.references.is_empty() {
            b.push(" AND reference IN (");
            let mut list = b.separated(", ");
            for r in &filter.references {
                list.push_bind(r.as_str());
            }
            b.push(")");
        }
        if let Some(category) = filter.category {
            b.push(" AND category = ").push_bind(category.as_str());
        }
        if let Some(from) = filter.from {
            b.push(" AND received_at >= ").push_bind(ts(from));
        }
        if let Some(to) = filter.to {
            b.push(" AND received_at < ").push_bind(ts(to));
        }
        b.push(" ORDER BY received_at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        let rows = b.build().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(record).collect()
    }

    async fn advance_complaint(
        &self,
        reference: &str,
        change: ComplaintChange,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<ComplaintRecord, ComplaintStepError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let current = by_reference(&mut tx, reference, true)
            .await?
            .ok_or_else(|| ComplaintStepError::NotFound(reference.to_owned()))?;
        let to =
            next_status(current.status, change.step, current.answered_on, change.today, change.reopen_days)?;
        let mut b = QueryBuilder::<Postgres>::new("UPDATE complaints SET status = ");
        b.push_bind(to.as_str()).push(", updated_at = ").push_bind(ts(now));
        match change.step {
            Step::Assign => {
                b.push(", assignee = ").push_bind(change.assignee.clone());
            }
            Step::Answer => {
                b.push(", answer = ").push_bind(change.answer.clone());
                b.push(", answered_on = ").push_bind(pgdate(change.today));
            }
            Step::Close => {}
            Step::Reopen => {
                b.push(", reopened = reopened + 1, answered_on = NULL");
                if let Some(due) = change.due_on {
                    b.push(", due_on = ").push_bind(pgdate(due));
                }
            }
        }
        b.push(" WHERE id = ").push_bind(current.id);
        b.build().execute(&mut *tx).await.map_err(db)?;
        add_step(&mut tx, current.id, now, change.step.as_str(), to).await?;
        append(&mut tx, audit.with_record(format!("complaint:{reference}"))).await?;
        if let Some(message) = &change.message {
            enqueue(&mut tx, message, now).await?;
        }
        let complaint = by_reference(&mut tx, reference, false)
            .await?
            .ok_or_else(|| StoreError::invalid("complaint", "lost"))?;
        tx.commit().await.map_err(db)?;
        Ok(complaint)
    }

    async fn complaint_breaches(&self, today: Date) -> Result<Breaches, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints
             WHERE status IN ('received', 'assigned', 'reopened') AND due_on < $1 ORDER BY due_on, id"
        ))
        .bind(pgdate(today))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let answered_late: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM complaints WHERE answered_on IS NOT NULL AND answered_on > due_on",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(Breaches {
            overdue: rows.iter().map(record).collect::<Result<_, _>>()?,
            answered_late: u64::try_from(answered_late).unwrap_or(0),
        })
    }
}
