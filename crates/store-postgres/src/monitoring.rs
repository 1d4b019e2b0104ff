//! Monitoring on PostgreSQL: raw events of a centre's day, rollup cells and fold watermarks. A fold
//! is one transaction that locks the centre's watermark row (`FOR UPDATE`, or the advisory lock of
//! its first fold), so two servers folding at once never count a day twice.

use crate::audit::append;
use crate::queue::{date, day_records};
use crate::{PgStore, db, read_ts, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::audit::AuditEvent;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::monitoring::rollup::{
    ObservedApplication, ObservedMoney, ObservedRating, ObservedTicket,
};
use onestop_domain::monitoring::{CellKey, Cells, Cuboid, DayActivity, Filter, Grain, Tally};
use onestop_store::StoreError;
use onestop_store::monitoring::{
    AppraisalComment, COUNT_COLUMNS, ComplaintTally, IndexInput, IndexScore, KEY_COLUMNS, MonitoringStore,
    NewAppraisalComment, NewReport, ReportInfo, StatRead, StatRow, StatSnapshot, cell_columns, cell_read_sql,
    key_texts, tally_counts, tally_from,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap};

/// The advisory-lock namespace of folds.
const FOLD_LOCK: i32 = 0x6d6f_6e69; // "moni"

fn read_date(row: &PgRow, column: &str) -> Result<Date, StoreError> {
    row.try_get::<jiff_sqlx::Date, _>(column).map(|d| d.to_jiff()).map_err(db)
}

async fn watermarks(conn: &mut PgConnection) -> Result<BTreeMap<String, Date>, StoreError> {
    let rows =
        sqlx::query("SELECT centre, through FROM stat_folds").fetch_all(&mut *conn).await.map_err(db)?;
    rows.iter().map(|r| Ok((r.get::<String, _>("centre"), read_date(r, "through")?))).collect()
}

/// A cell row read with the columns of [`cell_columns`], by position (a lookup by name hashes the
/// name: millions of lookups for a report over a quarter's cells).
fn stat_row(r: &PgRow) -> Result<StatRow, StoreError> {
    let text = |i: usize| r.try_get::<&str, _>(i).map_err(db);
    let key = |i: usize| text(i).map(str::to_owned);
    let cuboid = text(0)?;
    let mut counts = [0i64; 23];
    for (i, slot) in counts.iter_mut().enumerate() {
        *slot = r.try_get(KEYS_END + i).map_err(db)?;
    }
    let hist = KEYS_END + COUNT_COLUMNS.len();
    Ok(StatRow {
        cuboid: Cuboid::parse(cuboid).ok_or_else(|| StoreError::invalid("cuboid", cuboid))?,
        period: r.try_get::<jiff_sqlx::Date, _>(2).map_err(db)?.to_jiff(),
        key: CellKey {
            centre: key(3)?,
            service: key(4)?,
            provider: key(5)?,
            origin: key(6)?,
            hour: r.try_get(7).map_err(db)?,
            officer: key(8)?,
            channel: key(9)?,
        },
        tally: tally_from(counts, text(hist)?, text(hist + 1)?)?,
    })
}

/// The position after the key columns in [`cell_columns`] (cuboid, grain, period, then the keys).
const KEYS_END: usize = 3 + KEY_COLUMNS.len();

/// Writes `rows` (cuboid, grain, period, key, tally) in multi-row statements; existing cells are
/// replaced.
async fn put_cells(
    conn: &mut PgConnection,
    rows: &[(Cuboid, Grain, Date, &CellKey, &Tally)],
) -> Result<(), StoreError> {
    // PostgreSQL takes at most 65,535 parameters a statement; a cell has 35.
    for chunk in rows.chunks(1500) {
        let mut b = QueryBuilder::<Postgres>::new(format!("INSERT INTO stat_cells ({}) ", cell_columns()));
        b.push_values(chunk, |mut values, (cuboid, grain, period, key, tally)| {
            values.push_bind(cuboid.as_str()).push_bind(grain.as_str()).push_bind(date(*period));
            let [centre, service, provider, origin, officer, channel] = key_texts(key);
            for text in [centre, service, provider, origin] {
                values.push_bind(text.to_owned());
            }
            values.push_bind(key.hour).push_bind(officer.to_owned()).push_bind(channel.to_owned());
            for n in tally_counts(tally) {
                values.push_bind(n);
            }
            values.push_bind(tally.wait.encode()).push_bind(tally.service.encode());
        });
        b.push(
            " ON CONFLICT (cuboid, grain, period, centre, service, provider, origin, hour, officer, channel) DO UPDATE SET ",
        );
        let mut sets = b.separated(", ");
        for name in COUNT_COLUMNS.iter().chain(&["wait_hist", "service_hist"]) {
            sets.push(format!("{name} = EXCLUDED.{name}"));
        }
        b.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// The month cells of `centre` in `cuboid` for `month`.
async fn month_cells(
    conn: &mut PgConnection,
    cuboid: Cuboid,
    month: Date,
    centre: &str,
) -> Result<Vec<StatRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM stat_cells WHERE cuboid = $1 AND grain = 'm' AND period = $2 AND centre = $3",
        cell_columns()
    ))
    .bind(cuboid.as_str())
    .bind(date(month))
    .bind(centre)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(stat_row).collect()
}

fn filtered(b: &mut QueryBuilder<'_, Postgres>, filter: &Filter) {
    for (column, want) in [
        ("centre", &filter.centre),
        ("provider", &filter.provider),
        ("service", &filter.service),
        ("officer", &filter.officer),
    ] {
        if let Some(want) = want {
            b.push(format!(" AND {column} = ")).push_bind(want.clone());
        }
    }
}

#[async_trait]
impl MonitoringStore for PgStore {
    async fn fold_watermarks(&self) -> Result<BTreeMap<String, Date>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        watermarks(&mut conn).await
    }

    async fn first_activity(&self, centre: &str) -> Result<(Option<Date>, Option<Timestamp>), StoreError> {
        let row = sqlx::query(
            "SELECT LEAST((SELECT MIN(day) FROM tickets WHERE centre = $1),
                          (SELECT MIN(accepted_on) FROM applications WHERE centre = $1),
                          (SELECT MIN(on_day) FROM payments WHERE centre = $1)) AS d,
                    (SELECT MIN(at) FROM ratings WHERE centre = $1) AS a",
        )
        .bind(centre)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        let day = row.try_get::<Option<jiff_sqlx::Date>, _>("d").map_err(db)?.map(|d| d.to_jiff());
        let rated = crate::opt_ts(&row, "a")?;
        Ok((day, rated))
    }

    async fn has_open_tickets(&self, centre: &str, day: Date) -> Result<bool, StoreError> {
        let found = sqlx::query(
            "SELECT 1 FROM tickets WHERE centre = $1 AND day = $2 AND state <> 'finished' LIMIT 1",
        )
        .bind(centre)
        .bind(date(day))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(found.is_some())
    }

    async fn day_activity(
        &self,
        centre: &str,
        day: Date,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DayActivity, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let records = day_records(&mut tx, &CentreCode::new(centre), day, false).await?;
        let rows = sqlx::query(
            "SELECT s.ticket_id, s.officer FROM ticket_steps s JOIN tickets t ON t.id = s.ticket_id
             WHERE t.centre = $1 AND t.day = $2 ORDER BY s.ticket_id, s.seq",
        )
        .bind(centre)
        .bind(date(day))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut officers: HashMap<i64, Vec<Option<String>>> = HashMap::new();
        for r in &rows {
            officers.entry(r.get("ticket_id")).or_default().push(r.get("officer"));
        }
        let tickets = records
            .into_iter()
            .map(|r| ObservedTicket {
                officers: officers.remove(&r.ticket.id.0).unwrap_or_default(),
                ticket: r.ticket,
                day: r.day,
            })
            .collect();
        let rows = sqlx::query(
            "SELECT at, channel, centre, service, provider, officer, score FROM ratings
             WHERE centre = $1 AND at >= $2 AND at < $3 ORDER BY id",
        )
        .bind(centre)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let ratings = rows
            .iter()
            .map(|r| {
                Ok(ObservedRating {
                    at: read_ts(r, "at")?,
                    channel: r.get("channel"),
                    centre: r.get("centre"),
                    service: r.get("service"),
                    provider: r.get("provider"),
                    officer: r.get("officer"),
                    score: u8::try_from(r.get::<i64, _>("score")).unwrap_or(0),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let rows = sqlx::query(
            "SELECT centre, service, provider, officer, accepted_on, deadline_on, done_on FROM applications
             WHERE centre = $1 AND (accepted_on = $2 OR done_on = $2) ORDER BY id",
        )
        .bind(centre)
        .bind(date(day))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let applications = rows
            .iter()
            .map(|r| {
                let officer: String = r.get("officer");
                Ok(ObservedApplication {
                    centre: r.get("centre"),
                    service: r.get("service"),
                    provider: r.get("provider"),
                    officer: officer.strip_prefix("staff:").unwrap_or(&officer).to_owned(),
                    accepted_on: read_date(r, "accepted_on")?,
                    deadline_on: read_date(r, "deadline_on")?,
                    done_on: r
                        .try_get::<Option<jiff_sqlx::Date>, _>("done_on")
                        .map_err(db)?
                        .map(|d| d.to_jiff()),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let rows = sqlx::query(
            "SELECT p.centre, b.service, b.provider, p.channel, p.amount FROM payments p
             JOIN bills b ON b.id = p.bill_id WHERE p.centre = $1 AND p.on_day = $2
             UNION ALL
             SELECT f.centre, b.service, b.provider, 'refund', f.amount FROM refunds f
             JOIN bills b ON b.id = f.bill_id WHERE f.centre = $1 AND f.executed_on = $2",
        )
        .bind(centre)
        .bind(date(day))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let money = rows
            .iter()
            .map(|r| ObservedMoney {
                centre: r.get(0),
                service: r.get(1),
                provider: r.get(2),
                channel: r.get(3),
                amount: r.get(4),
            })
            .collect();
        tx.commit().await.map_err(db)?;
        Ok(DayActivity { day: Some(day), tickets, ratings, applications, money })
    }

    async fn fold_day(
        &self,
        centre: &str,
        day: Date,
        cells: &Cells,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(FOLD_LOCK)
            .bind(centre)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let through = sqlx::query("SELECT through FROM stat_folds WHERE centre = $1")
            .bind(centre)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .map(|r| read_date(&r, "through"))
            .transpose()?;
        if let Some(through) = through.filter(|t| *t >= day) {
            return Err(StoreError::Conflict(format!("{centre} is folded through {through} already")));
        }
        let month = day.first_of_month();
        // The month's cells of the cuboids the day touches, read once, then added to.
        let mut sums: HashMap<(Cuboid, CellKey), Tally> = HashMap::new();
        for cuboid in Cuboid::ALL.into_iter().filter(|c| cells.keys().any(|(k, _)| k == c)) {
            for row in month_cells(&mut tx, cuboid, month, centre).await? {
                sums.insert((row.cuboid, row.key), row.tally);
            }
        }
        for ((cuboid, key), tally) in cells {
            sums.entry((*cuboid, key.clone())).or_default().merge(tally);
        }
        let day_rows: Vec<_> = cells.iter().map(|((c, k), t)| (*c, Grain::Day, day, k, t)).collect();
        put_cells(&mut tx, &day_rows).await?;
        let month_rows: Vec<_> = cells
            .keys()
            .filter_map(|(c, k)| sums.get(&(*c, k.clone())).map(|t| (*c, Grain::Month, month, k, t)))
            .collect();
        put_cells(&mut tx, &month_rows).await?;
        sqlx::query(
            "INSERT INTO stat_folds (centre, through, folded_at) VALUES ($1, $2, $3)
             ON CONFLICT (centre) DO UPDATE SET through = $2, folded_at = $3",
        )
        .bind(centre)
        .bind(date(day))
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn read_stats(&self, q: &StatRead) -> Result<StatSnapshot, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let watermarks = watermarks(&mut tx).await?;
        let mut rows = Vec::new();
        let (select, group) = cell_read_sql(q, "string_agg");
        if !q.months.is_empty() {
            let mut b =
                QueryBuilder::<Postgres>::new(format!("SELECT {select} FROM stat_cells WHERE cuboid = "));
            b.push_bind(q.cuboid.as_str()).push(" AND grain = 'm' AND period = ANY(");
            b.push_bind(q.months.iter().map(|m| date(*m)).collect::<Vec<_>>()).push(")");
            filtered(&mut b, &q.filter);
            b.push(format!(" GROUP BY {group}"));
            for r in b.build().fetch_all(&mut *tx).await.map_err(db)? {
                rows.push(stat_row(&r)?);
            }
        }
        for (from, to) in &q.days {
            let mut b =
                QueryBuilder::<Postgres>::new(format!("SELECT {select} FROM stat_cells WHERE cuboid = "));
            b.push_bind(q.cuboid.as_str()).push(" AND grain = 'd' AND period BETWEEN ");
            b.push_bind(date(*from)).push(" AND ").push_bind(date(*to));
            filtered(&mut b, &q.filter);
            b.push(format!(" GROUP BY {group}"));
            for r in b.build().fetch_all(&mut *tx).await.map_err(db)? {
                rows.push(stat_row(&r)?);
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(StatSnapshot { watermarks, rows })
    }

    async fn complaint_tallies(
        &self,
        from: Timestamp,
        to: Timestamp,
        today: Date,
    ) -> Result<Vec<ComplaintTally>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.subject_kind, c.subject_code, c.category, COUNT(*) AS received,
                 SUM(CASE WHEN v.upheld THEN 1 ELSE 0 END) AS upheld,
                 SUM(CASE WHEN c.answered_on IS NOT NULL AND c.answered_on <= c.due_on THEN 1 ELSE 0 END) AS on_time,
                 SUM(CASE WHEN c.answered_on IS NOT NULL AND c.answered_on > c.due_on THEN 1 ELSE 0 END) AS late,
                 SUM(CASE WHEN c.status IN ('received', 'assigned', 'reopened') AND c.due_on < $1
                     THEN 1 ELSE 0 END) AS overdue
             FROM complaints c LEFT JOIN complaint_verdicts v ON v.complaint_id = c.id
             WHERE c.received_at >= $2 AND c.received_at < $3
             GROUP BY c.subject_kind, c.subject_code, c.category
             ORDER BY c.subject_kind, c.subject_code, c.category",
        )
        .bind(date(today))
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let n =
                    |name: &str| r.try_get::<i64, _>(name).map(|v| u64::try_from(v).unwrap_or(0)).map_err(db);
                Ok(ComplaintTally {
                    subject_kind: r.get("subject_kind"),
                    subject_code: r.get("subject_code"),
                    category: r.get("category"),
                    received: n("received")?,
                    upheld: n("upheld")?,
                    on_time: n("on_time")?,
                    late: n("late")?,
                    overdue: n("overdue")?,
                })
            })
            .collect()
    }

    async fn overdue_applications(
        &self,
        today: Date,
    ) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT centre, service, provider, COUNT(*) AS n FROM applications
             WHERE done_at IS NULL AND deadline_on < $1 GROUP BY centre, service, provider
             ORDER BY centre, service, provider",
        )
        .bind(date(today))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get("centre"),
                    r.get("service"),
                    r.get("provider"),
                    u64::try_from(r.get::<i64, _>("n")).unwrap_or(0),
                )
            })
            .collect())
    }

    async fn refusals_by_actor(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows = sqlx::query(
            "SELECT actor, COUNT(*) AS n FROM audit_log WHERE at >= $1 AND at < $2 AND outcome = 'refused'
             GROUP BY actor",
        )
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<String, _>("actor"), u64::try_from(r.get::<i64, _>("n")).unwrap_or(0)))
            .collect())
    }

    async fn set_complaint_verdict(
        &self,
        reference: &str,
        upheld: bool,
        by: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM complaints WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("complaint {reference}")))?;
        sqlx::query(
            "INSERT INTO complaint_verdicts (complaint_id, upheld, decided_by, decided_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (complaint_id) DO UPDATE SET upheld = $2, decided_by = $3, decided_at = $4",
        )
        .bind(id)
        .bind(upheld)
        .bind(by)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn add_appraisal_comment(
        &self,
        comment: &NewAppraisalComment,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<AppraisalComment, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO appraisal_comments (officer, period, author, at, body) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(&comment.officer)
        .bind(&comment.period)
        .bind(&comment.author)
        .bind(ts(now))
        .bind(&comment.body)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(AppraisalComment { id, at: onestop_store::queue::to_micros(now), comment: comment.clone() })
    }

    async fn appraisal_comments(&self, officer: &str) -> Result<Vec<AppraisalComment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, officer, period, author, at, body FROM appraisal_comments WHERE officer = $1
             ORDER BY id DESC",
        )
        .bind(officer)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(AppraisalComment {
                    id: r.get("id"),
                    at: read_ts(r, "at")?,
                    comment: NewAppraisalComment {
                        officer: r.get("officer"),
                        period: r.get("period"),
                        author: r.get("author"),
                        body: r.get("body"),
                    },
                })
            })
            .collect()
    }

    async fn put_index_input(
        &self,
        input: &IndexInput,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO index_inputs (quarter, provider, training_tenths, entered_by, entered_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (quarter, provider) DO UPDATE SET training_tenths = $3, entered_by = $4, entered_at = $5",
        )
        .bind(&input.quarter)
        .bind(&input.provider)
        .bind(input.training_tenths)
        .bind(&input.entered_by)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append(&mut tx, audit).await?;
        tx.commit().await.map_err(db)
    }

    async fn index_inputs(&self, quarter: &str) -> Result<Vec<IndexInput>, StoreError> {
        let rows = sqlx::query(
            "SELECT quarter, provider, training_tenths, entered_by FROM index_inputs WHERE quarter = $1
             ORDER BY provider",
        )
        .bind(quarter)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| IndexInput {
                quarter: r.get("quarter"),
                provider: r.get("provider"),
                training_tenths: r.get("training_tenths"),
                entered_by: r.get("entered_by"),
            })
            .collect())
    }

    async fn put_index_scores(&self, quarter: &str, scores: &[IndexScore]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM index_scores WHERE quarter = $1")
            .bind(quarter)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for s in scores {
            let [a, b, c, d, e, f, total] = s.scores;
            sqlx::query(
                "INSERT INTO index_scores (quarter, service, provider, methodology, information, duration,
                     electronic, training, feedback, satisfaction, total, breakdown, computed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(quarter)
            .bind(&s.service)
            .bind(&s.provider)
            .bind(&s.methodology)
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(d)
            .bind(e)
            .bind(f)
            .bind(total)
            .bind(&s.breakdown)
            .bind(ts(s.computed_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn index_scores(&self, quarter: Option<&str>) -> Result<Vec<IndexScore>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM index_scores WHERE $1::TEXT IS NULL OR quarter = $1 ORDER BY quarter, service",
        )
        .bind(quarter)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(IndexScore {
                    quarter: r.get("quarter"),
                    service: r.get("service"),
                    provider: r.get("provider"),
                    methodology: r.get("methodology"),
                    scores: [
                        r.get("information"),
                        r.get("duration"),
                        r.get("electronic"),
                        r.get("training"),
                        r.get("feedback"),
                        r.get("satisfaction"),
                        r.get("total"),
                    ],
                    breakdown: r.get("breakdown"),
                    computed_at: read_ts(r, "computed_at")?,
                })
            })
            .collect()
    }

    async fn put_report(&self, report: &NewReport, now: Timestamp) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO reports (period, scope, format, generated_at, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (period, scope, format) DO UPDATE SET generated_at = $4, body = $5
             RETURNING id",
        )
        .bind(&report.period)
        .bind(&report.scope)
        .bind(&report.format)
        .bind(ts(now))
        .bind(&report.body)
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    async fn reports(&self) -> Result<Vec<ReportInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, period, scope, format, generated_at, LENGTH(body)::BIGINT AS size FROM reports
             ORDER BY period DESC, scope, format",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(report_info).collect()
    }

    async fn report(&self, id: i64) -> Result<Option<(ReportInfo, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, period, scope, format, generated_at, LENGTH(body)::BIGINT AS size, body FROM reports
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| Ok((report_info(&r)?, r.get::<Vec<u8>, _>("body")))).transpose()
    }
}

fn report_info(r: &PgRow) -> Result<ReportInfo, StoreError> {
    Ok(ReportInfo {
        id: r.get("id"),
        period: r.get("period"),
        scope: r.get("scope"),
        format: r.get("format"),
        generated_at: read_ts(r, "generated_at")?,
        size: r.get("size"),
    })
}
