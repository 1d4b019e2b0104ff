//! Ratings on PostgreSQL: one per ticket (a unique `ticket_id`; the ticket row is locked while
//! its rating is checked and written), exit-poll ratings, and satisfaction grouped in SQL.

use crate::audit::append;
use crate::{PgStore, db, read_ts, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::feedback::rating::{RatingChannel, Satisfaction, Score, Verdict, parse_reasons};
use onestop_domain::queue::ticket::{TicketId, WindowNumber};
use onestop_store::StoreError;
use onestop_store::feedback::{FeedbackStore, Grouping, RateError, RatingFilter, RatingRecord, TicketRating};
use onestop_store::queue::to_micros;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

const COLUMNS: &str =
    "id, at, channel, centre, ticket_id, service, provider, window_number, officer, score, reasons, comment";

fn rating(row: &PgRow) -> Result<RatingRecord, StoreError> {
    let channel: String = row.get("channel");
    let score: i64 = row.get("score");
    let window: Option<i64> = row.get("window_number");
    Ok(RatingRecord {
        id: row.get("id"),
        at: read_ts(row, "at")?,
        channel: RatingChannel::parse(&channel)
            .ok_or_else(|| StoreError::invalid("rating channel", &channel))?,
        centre: CentreCode::new(row.get::<String, _>("centre")),
        ticket: row.get::<Option<i64>, _>("ticket_id").map(TicketId),
        service: row.get("service"),
        provider: row.get("provider"),
        window: window
            .map(|w| WindowNumber::try_from(w).map_err(|_| StoreError::invalid("window", &w.to_string())))
            .transpose()?,
        officer: row.get("officer"),
        verdict: Verdict {
            score: Score::new(score).map_err(|_| StoreError::invalid("score", &score.to_string()))?,
            reasons: parse_reasons(row.get("reasons")),
            comment: row.get("comment"),
        },
    })
}

#[allow(clippy::too_many_arguments)] // one row's columns
async fn insert(
    conn: &mut PgConnection,
    at: Timestamp,
    channel: RatingChannel,
    centre: &CentreCode,
    ticket: Option<TicketId>,
    service: Option<&str>,
    provider: Option<&str>,
    window: Option<WindowNumber>,
    officer: Option<&str>,
    verdict: &Verdict,
) -> Result<RatingRecord, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO ratings (at, channel, centre, ticket_id, service, provider, window_number, officer, score,
             reasons, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
    ))
    .bind(ts(at))
    .bind(channel.as_str())
    .bind(centre.as_str())
    .bind(ticket.map(|t| t.0))
    .bind(service)
    .bind(provider)
    .bind(window.map(i64::from))
    .bind(officer)
    .bind(i64::from(verdict.score))
    .bind(verdict.reasons_text())
    .bind(&verdict.comment)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    rating(&row)
}

fn filtered<'a>(builder: &mut QueryBuilder<'a, Postgres>, filter: &'a RatingFilter) {
    builder.push(" WHERE 1 = 1");
    if let Some(from) = filter.from {
        builder.push(" AND at >= ").push_bind(ts(from));
    }
    if let Some(to) = filter.to {
        builder.push(" AND at < ").push_bind(ts(to));
    }
    for (column, value) in [
        ("centre", &filter.centre),
        ("provider", &filter.provider),
        ("service", &filter.service),
        ("officer", &filter.officer),
    ] {
        if let Some(value) = value {
            builder.push(format!(" AND {column} = ")).push_bind(value.as_str());
        }
    }
}

#[async_trait]
impl FeedbackStore for PgStore {
    async fn rate_ticket(
        &self,
        r: TicketRating,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RatingRecord, RateError> {
        let now = to_micros(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT t.number, t.service, t.state, t.outcome,
                 (SELECT s.window_number FROM ticket_steps s WHERE s.ticket_id = t.id AND s.action = 'finish'
                  ORDER BY s.seq DESC LIMIT 1) AS finished_at
             FROM tickets t WHERE t.id = $1 AND t.centre = $2 FOR UPDATE",
        )
        .bind(r.ticket.0)
        .bind(r.centre.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(RateError::NoTicket(r.ticket))?;
        let number: String = row.get("number");
        let outcome: Option<String> = row.get("outcome");
        let finished_at: Option<i64> = row.get("finished_at");
        let finished = matches!(outcome.as_deref(), Some("served" | "not_served"));
        let Some(finished_at) = finished_at.filter(|_| finished) else {
            return Err(RateError::NotFinished(number));
        };
        if finished_at != i64::from(r.window) {
            let finished_at =
                WindowNumber::try_from(finished_at).map_err(|_| StoreError::invalid("window", "?"))?;
            return Err(RateError::OtherWindow { number, finished_at });
        }
        let rated: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ratings WHERE ticket_id = $1")
            .bind(r.ticket.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if rated > 0 {
            return Err(RateError::AlreadyRated(number));
        }
        let service: String = row.get("service");
        let officer: Option<String> =
            sqlx::query_scalar("SELECT login FROM window_sessions WHERE centre = $1 AND window_number = $2")
                .bind(r.centre.as_str())
                .bind(i64::from(r.window))
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let record = insert(
            &mut tx,
            now,
            RatingChannel::Tablet,
            &r.centre,
            Some(r.ticket),
            Some(&service),
            Some(&r.provider),
            Some(r.window),
            officer.as_deref(),
            &r.verdict,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => RateError::AlreadyRated(number.clone()),
            other => RateError::Store(other),
        })?;
        append(&mut tx, audit.with_record(format!("rating:{}", record.id))).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn rate_visit(
        &self,
        centre: &CentreCode,
        verdict: Verdict,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<RatingRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let record = insert(
            &mut tx,
            to_micros(now),
            RatingChannel::ExitPoll,
            centre,
            None,
            None,
            None,
            None,
            None,
            &verdict,
        )
        .await?;
        append(&mut tx, audit.with_record(format!("rating:{}", record.id))).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn ticket_rating(&self, id: TicketId) -> Result<Option<RatingRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM ratings WHERE ticket_id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(rating).transpose()
    }

    async fn satisfaction(
        &self,
        by: Grouping,
        filter: &RatingFilter,
    ) -> Result<Vec<(String, Satisfaction)>, StoreError> {
        let column = by.as_str();
        let mut builder = QueryBuilder::<Postgres>::new(format!(
            "SELECT {column} AS code, COUNT(*) AS ratings,
                 SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END)::BIGINT AS satisfied
             FROM ratings"
        ));
        filtered(&mut builder, filter);
        builder.push(format!(" AND {column} IS NOT NULL GROUP BY {column} ORDER BY {column} COLLATE \"C\""));
        let rows = builder.build().fetch_all(&self.pool).await.map_err(db)?;
        Ok(rows
            .iter()
            .map(|row| {
                let count = |c: &str| u64::try_from(row.get::<i64, _>(c)).unwrap_or(0);
                (row.get("code"), Satisfaction { ratings: count("ratings"), satisfied: count("satisfied") })
            })
            .collect())
    }

    async fn ratings(&self, filter: &RatingFilter, limit: u32) -> Result<Vec<RatingRecord>, StoreError> {
        let mut builder = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM ratings"));
        filtered(&mut builder, filter);
        builder.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        let rows = builder.build().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(rating).collect()
    }
}
