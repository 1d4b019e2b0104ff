//! Monitoring on SQLite: raw events of a centre's day, rollup cells (a `WITHOUT ROWID` table in
//! key order, so a month's cells are one range), and fold watermarks. A fold is one write on the
//! engine's writer: the day's cells, each month cell read, added to and written back, and the
//! watermark, refused when the watermark is already there.

use crate::audit::append_on;
use crate::engine::{all, at, col, exec, one};
use crate::queue::{OPEN_TICKET, day_records};
use crate::{SqliteStore, ts};
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
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};
use std::collections::{BTreeMap, HashMap};

fn date_of(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|_| StoreError::invalid("date", text))
}

fn watermarks(conn: &Connection) -> Result<BTreeMap<String, Date>, StoreError> {
    let rows = all(conn, "SELECT centre, through FROM stat_folds", [], |r| {
        Ok((col::<String>(r, "centre")?, date_of(&col::<String>(r, "through")?)?))
    })?;
    Ok(rows.into_iter().collect())
}

/// A cell row read with the columns of [`cell_columns`], by position: a name lookup per column
/// cost more than the rest of a report (every lookup scans the statement's column names).
fn stat_row(r: &Row) -> Result<StatRow, StoreError> {
    let at = |i: usize| r.get_ref(i).map_err(crate::engine::db);
    let text = |i: usize| at(i)?.as_str().map_err(|e| StoreError::invalid("cell", &e.to_string()));
    let cuboid = text(0)?;
    let key = |i: usize| -> Result<String, StoreError> { Ok(text(i)?.to_owned()) };
    let mut counts = [0i64; 23];
    for (i, slot) in counts.iter_mut().enumerate() {
        *slot = at(KEYS_END + i)?.as_i64().map_err(|e| StoreError::invalid("cell", &e.to_string()))?;
    }
    let hist = KEYS_END + COUNT_COLUMNS.len();
    Ok(StatRow {
        cuboid: Cuboid::parse(cuboid).ok_or_else(|| StoreError::invalid("cuboid", cuboid))?,
        period: date_of(text(2)?)?,
        key: CellKey {
            centre: key(3)?,
            service: key(4)?,
            provider: key(5)?,
            origin: key(6)?,
            hour: at(7)?.as_i64().map_err(|e| StoreError::invalid("hour", &e.to_string()))?,
            officer: key(8)?,
            channel: key(9)?,
        },
        tally: tally_from(counts, text(hist)?, text(hist + 1)?)?,
    })
}

/// The position after the key columns in [`cell_columns`] (cuboid, grain, period, then the keys).
const KEYS_END: usize = 3 + KEY_COLUMNS.len();

/// Writes (inserting or replacing) one cell.
fn put_cell(
    conn: &Connection,
    cuboid: Cuboid,
    grain: Grain,
    period: Date,
    key: &CellKey,
    tally: &Tally,
) -> Result<(), StoreError> {
    let mut values: Vec<Value> =
        vec![cuboid.as_str().to_owned().into(), grain.as_str().to_owned().into(), period.to_string().into()];
    let [centre, service, provider, origin, officer, channel] = key_texts(key);
    for text in [centre, service, provider, origin] {
        values.push(text.to_owned().into());
    }
    values.push(key.hour.into());
    values.push(officer.to_owned().into());
    values.push(channel.to_owned().into());
    values.extend(tally_counts(tally).into_iter().map(Value::from));
    values.push(tally.wait.encode().into());
    values.push(tally.service.encode().into());
    let marks = vec!["?"; values.len()].join(", ");
    let sql = format!("INSERT OR REPLACE INTO stat_cells ({}) VALUES ({marks})", cell_columns());
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.execute(params_from_iter(values)))
        .map_err(crate::engine::db)?;
    Ok(())
}

/// The month cells of `centre` in `cuboid` for `month`.
fn month_cells(
    conn: &Connection,
    cuboid: Cuboid,
    month: Date,
    centre: &str,
) -> Result<Vec<StatRow>, StoreError> {
    all(
        conn,
        &format!(
            "SELECT {} FROM stat_cells WHERE cuboid = ? AND grain = 'm' AND period = ? AND centre = ?",
            cell_columns()
        ),
        params![cuboid.as_str(), month.to_string(), centre],
        stat_row,
    )
}

fn fold(conn: &Connection, centre: &str, day: Date, cells: &Cells, now: Timestamp) -> Result<(), StoreError> {
    let through = one(conn, "SELECT through FROM stat_folds WHERE centre = ?", [centre], |r| {
        date_of(&col::<String>(r, "through")?)
    })?;
    if let Some(through) = through.filter(|t| *t >= day) {
        return Err(StoreError::Conflict(format!("{centre} is folded through {through} already")));
    }
    let month = day.first_of_month();
    // The month's cells of the cuboids the day touches, read once, then added to.
    let mut sums: HashMap<(Cuboid, CellKey), Tally> = HashMap::new();
    for cuboid in Cuboid::ALL.into_iter().filter(|c| cells.keys().any(|(k, _)| k == c)) {
        for row in month_cells(conn, cuboid, month, centre)? {
            sums.insert((row.cuboid, row.key), row.tally);
        }
    }
    for ((cuboid, key), tally) in cells {
        put_cell(conn, *cuboid, Grain::Day, day, key, tally)?;
        let sum = sums.entry((*cuboid, key.clone())).or_default();
        sum.merge(tally);
        put_cell(conn, *cuboid, Grain::Month, month, key, sum)?;
    }
    exec(
        conn,
        "INSERT INTO stat_folds (centre, through, folded_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (centre) DO UPDATE SET through = ?2, folded_at = ?3",
        params![centre, day.to_string(), ts(now)],
    )?;
    Ok(())
}

fn activity(
    conn: &Connection,
    centre: &str,
    day: Date,
    from: Timestamp,
    to: Timestamp,
) -> Result<DayActivity, StoreError> {
    let records = day_records(conn, &CentreCode::new(centre), day, false)?;
    let mut officers: HashMap<i64, Vec<Option<String>>> = HashMap::new();
    for (ticket, officer) in all(
        conn,
        "SELECT s.ticket_id, s.officer FROM ticket_steps s JOIN tickets t ON t.id = s.ticket_id
         WHERE t.centre = ? AND t.day = ? ORDER BY s.ticket_id, s.seq",
        params![centre, day.to_string()],
        |r| Ok((col::<i64>(r, "ticket_id")?, col::<Option<String>>(r, "officer")?)),
    )? {
        officers.entry(ticket).or_default().push(officer);
    }
    let tickets = records
        .into_iter()
        .map(|r| ObservedTicket {
            officers: officers.remove(&r.ticket.id.0).unwrap_or_default(),
            ticket: r.ticket,
            day: r.day,
        })
        .collect();
    let ratings = all(
        conn,
        "SELECT at, channel, centre, service, provider, officer, score FROM ratings
         WHERE centre = ? AND at >= ? AND at < ? ORDER BY id",
        params![centre, ts(from), ts(to)],
        |r| {
            Ok(ObservedRating {
                at: at(r, "at")?,
                channel: col(r, "channel")?,
                centre: col(r, "centre")?,
                service: col(r, "service")?,
                provider: col(r, "provider")?,
                officer: col(r, "officer")?,
                score: u8::try_from(col::<i64>(r, "score")?).unwrap_or(0),
            })
        },
    )?;
    let d = day.to_string();
    let date = |text: Option<String>| text.as_deref().map(date_of).transpose();
    let applications = all(
        conn,
        "SELECT centre, service, provider, officer, accepted_on, deadline_on, done_on FROM applications
         WHERE centre = ?1 AND (accepted_on = ?2 OR done_on = ?2) ORDER BY id",
        params![centre, d],
        |r| {
            let officer: String = col(r, "officer")?;
            Ok(ObservedApplication {
                centre: col(r, "centre")?,
                service: col(r, "service")?,
                provider: col(r, "provider")?,
                officer: officer.strip_prefix("staff:").unwrap_or(&officer).to_owned(),
                accepted_on: date_of(&col::<String>(r, "accepted_on")?)?,
                deadline_on: date_of(&col::<String>(r, "deadline_on")?)?,
                done_on: date(col(r, "done_on")?)?,
            })
        },
    )?;
    let money_row = |r: &Row| {
        Ok(ObservedMoney {
            centre: col(r, "centre")?,
            service: col(r, "service")?,
            provider: col(r, "provider")?,
            channel: col(r, "channel")?,
            amount: col(r, "amount")?,
        })
    };
    let mut money = all(
        conn,
        "SELECT p.centre, b.service, b.provider, p.channel, p.amount FROM payments p JOIN bills b ON b.id = p.bill_id
         WHERE p.centre = ? AND p.on_day = ? ORDER BY p.id",
        params![centre, d],
        money_row,
    )?;
    money.extend(all(
        conn,
        "SELECT f.centre, b.service, b.provider, 'refund' AS channel, f.amount FROM refunds f
         JOIN bills b ON b.id = f.bill_id WHERE f.centre = ? AND f.executed_on = ? ORDER BY f.id",
        params![centre, d],
        money_row,
    )?);
    Ok(DayActivity { day: Some(day), tickets, ratings, applications, money })
}

/// The `AND …` clauses and values of a filter.
fn filter_sql(filter: &Filter, values: &mut Vec<Value>) -> String {
    let mut sql = String::new();
    for (column, want) in [
        ("centre", &filter.centre),
        ("provider", &filter.provider),
        ("service", &filter.service),
        ("officer", &filter.officer),
    ] {
        if let Some(want) = want {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(want.clone().into());
        }
    }
    sql
}

fn read(conn: &Connection, q: &StatRead) -> Result<StatSnapshot, StoreError> {
    let watermarks = watermarks(conn)?;
    let mut rows = Vec::new();
    let mut run = |sql: String, values: Vec<Value>| -> Result<(), StoreError> {
        let mut statement = conn.prepare_cached(&sql).map_err(crate::engine::db)?;
        let mut found = statement.query(params_from_iter(values)).map_err(crate::engine::db)?;
        while let Some(r) = found.next().map_err(crate::engine::db)? {
            rows.push(stat_row(r)?);
        }
        Ok(())
    };
    let (select, group) = cell_read_sql(q, "group_concat");
    for month in &q.months {
        let mut values: Vec<Value> = vec![q.cuboid.as_str().to_owned().into(), month.to_string().into()];
        let filter = filter_sql(&q.filter, &mut values);
        run(
            format!(
                "SELECT {select} FROM stat_cells WHERE cuboid = ? AND grain = 'm' AND period = ?{filter} GROUP BY {group}"
            ),
            values,
        )?;
    }
    for (from, to) in &q.days {
        let mut values: Vec<Value> =
            vec![q.cuboid.as_str().to_owned().into(), from.to_string().into(), to.to_string().into()];
        let filter = filter_sql(&q.filter, &mut values);
        run(
            format!(
                "SELECT {select} FROM stat_cells WHERE cuboid = ? AND grain = 'd' AND period BETWEEN ? AND ?{filter} GROUP BY {group}"
            ),
            values,
        )?;
    }
    Ok(StatSnapshot { watermarks, rows })
}

#[async_trait]
impl MonitoringStore for SqliteStore {
    async fn fold_watermarks(&self) -> Result<BTreeMap<String, Date>, StoreError> {
        self.engine.read(watermarks)
    }

    async fn first_activity(&self, centre: &str) -> Result<(Option<Date>, Option<Timestamp>), StoreError> {
        self.engine.read(|conn| {
            let day = one(conn, "SELECT MIN(day) AS d FROM tickets WHERE centre = ?", [centre], |r| {
                col::<Option<String>>(r, "d")?.as_deref().map(date_of).transpose()
            })?
            .flatten();
            let accepted = one(
                conn,
                "SELECT MIN(accepted_on) AS d FROM applications WHERE centre = ?",
                [centre],
                |r| col::<Option<String>>(r, "d")?.as_deref().map(date_of).transpose(),
            )?
            .flatten();
            let paid = one(conn, "SELECT MIN(on_day) AS d FROM payments WHERE centre = ?", [centre], |r| {
                col::<Option<String>>(r, "d")?.as_deref().map(date_of).transpose()
            })?
            .flatten();
            let day = [day, accepted, paid].into_iter().flatten().min();
            let rated = one(conn, "SELECT MIN(at) AS a FROM ratings WHERE centre = ?", [centre], |r| {
                col::<Option<String>>(r, "a")?.as_deref().map(onestop_store::parse_timestamp).transpose()
            })?
            .flatten();
            Ok((day, rated))
        })
    }

    async fn has_open_tickets(&self, centre: &str, day: Date) -> Result<bool, StoreError> {
        self.engine.read(|conn| {
            one(
                conn,
                &format!(
                    "SELECT 1 AS x FROM tickets INDEXED BY tickets_open
                     WHERE centre = ? AND day = ? AND {OPEN_TICKET} LIMIT 1"
                ),
                params![centre, day.to_string()],
                |_| Ok(()),
            )
            .map(|found| found.is_some())
        })
    }

    async fn day_activity(
        &self,
        centre: &str,
        day: Date,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DayActivity, StoreError> {
        let centre = centre.to_owned();
        self.engine.read_apart(move |conn| activity(conn, &centre, day, from, to)).await
    }

    async fn fold_day(
        &self,
        centre: &str,
        day: Date,
        cells: &Cells,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (centre, cells) = (centre.to_owned(), cells.clone());
        self.engine.write(move |conn| fold(conn, &centre, day, &cells, now)).await
    }

    async fn read_stats(&self, q: &StatRead) -> Result<StatSnapshot, StoreError> {
        let q = q.clone();
        self.engine.read_apart(move |conn| read(conn, &q)).await
    }

    async fn complaint_tallies(
        &self,
        from: Timestamp,
        to: Timestamp,
        today: Date,
    ) -> Result<Vec<ComplaintTally>, StoreError> {
        self.engine
            .read_apart(move |conn| {
                all(
                    conn,
                    "SELECT c.subject_kind, c.subject_code, c.category, COUNT(*) AS received,
                         SUM(CASE WHEN v.upheld THEN 1 ELSE 0 END) AS upheld,
                         SUM(CASE WHEN c.answered_on IS NOT NULL AND c.answered_on <= c.due_on THEN 1 ELSE 0 END)
                             AS on_time,
                         SUM(CASE WHEN c.answered_on IS NOT NULL AND c.answered_on > c.due_on THEN 1 ELSE 0 END)
                             AS late,
                         SUM(CASE WHEN c.status IN ('received', 'assigned', 'reopened') AND c.due_on < ?
                             THEN 1 ELSE 0 END) AS overdue
                     FROM complaints c LEFT JOIN complaint_verdicts v ON v.complaint_id = c.id
                     WHERE c.received_at >= ? AND c.received_at < ?
                     GROUP BY c.subject_kind, c.subject_code, c.category
                     ORDER BY c.subject_kind, c.subject_code, c.category",
                    params![today.to_string(), ts(from), ts(to)],
                    |r| {
                        let n = |name: &str| col::<i64>(r, name).map(|v| u64::try_from(v).unwrap_or(0));
                        Ok(ComplaintTally {
                            subject_kind: col(r, "subject_kind")?,
                            subject_code: col(r, "subject_code")?,
                            category: col(r, "category")?,
                            received: n("received")?,
                            upheld: n("upheld")?,
                            on_time: n("on_time")?,
                            late: n("late")?,
                            overdue: n("overdue")?,
                        })
                    },
                )
            })
            .await
    }

    async fn overdue_applications(
        &self,
        today: Date,
    ) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        self.engine
            .read_apart(move |conn| {
                all(
                    conn,
                    "SELECT centre, service, provider, COUNT(*) AS n FROM applications
                     WHERE done_at IS NULL AND deadline_on < ? GROUP BY centre, service, provider
                     ORDER BY centre, service, provider",
                    [today.to_string()],
                    |r| {
                        Ok((
                            col(r, "centre")?,
                            col(r, "service")?,
                            col(r, "provider")?,
                            u64::try_from(col::<i64>(r, "n")?).unwrap_or(0),
                        ))
                    },
                )
            })
            .await
    }

    async fn refusals_by_actor(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        self.engine
            .read_apart(move |conn| {
                let rows = all(
                    conn,
                    "SELECT actor, COUNT(*) AS n FROM audit_log WHERE at >= ? AND at < ? AND outcome = 'refused'
                     GROUP BY actor",
                    params![ts(from), ts(to)],
                    |r| Ok((col::<String>(r, "actor")?, u64::try_from(col::<i64>(r, "n")?).unwrap_or(0))),
                )?;
                Ok(rows.into_iter().collect())
            })
            .await
    }

    async fn set_complaint_verdict(
        &self,
        reference: &str,
        upheld: bool,
        by: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let (reference, by) = (reference.to_owned(), by.to_owned());
        self.engine
            .write(move |conn| {
                let id = one(conn, "SELECT id FROM complaints WHERE reference = ?", [&reference], |r| {
                    col::<i64>(r, "id")
                })?
                .ok_or_else(|| StoreError::NotFound(format!("complaint {reference}")))?;
                exec(
                    conn,
                    "INSERT INTO complaint_verdicts (complaint_id, upheld, decided_by, decided_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (complaint_id) DO UPDATE SET upheld = ?2, decided_by = ?3, decided_at = ?4",
                    params![id, upheld, by, ts(now)],
                )?;
                append_on(conn, audit)?;
                Ok(())
            })
            .await
    }

    async fn add_appraisal_comment(
        &self,
        comment: &NewAppraisalComment,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<AppraisalComment, StoreError> {
        let comment = comment.clone();
        self.engine
            .write(move |conn| {
                let id = one(
                    conn,
                    "INSERT INTO appraisal_comments (officer, period, author, at, body) VALUES (?, ?, ?, ?, ?)
                     RETURNING id",
                    params![comment.officer, comment.period, comment.author, ts(now), comment.body],
                    |r| col::<i64>(r, "id"),
                )?
                .ok_or_else(|| StoreError::Other("the comment insert returned no id".into()))?;
                append_on(conn, audit)?;
                Ok(AppraisalComment { id, at: onestop_store::queue::to_micros(now), comment })
            })
            .await
    }

    async fn appraisal_comments(&self, officer: &str) -> Result<Vec<AppraisalComment>, StoreError> {
        self.engine.read(|conn| {
            all(
                conn,
                "SELECT id, officer, period, author, at, body FROM appraisal_comments WHERE officer = ?
                 ORDER BY id DESC",
                [officer],
                |r| {
                    Ok(AppraisalComment {
                        id: col(r, "id")?,
                        at: at(r, "at")?,
                        comment: NewAppraisalComment {
                            officer: col(r, "officer")?,
                            period: col(r, "period")?,
                            author: col(r, "author")?,
                            body: col(r, "body")?,
                        },
                    })
                },
            )
        })
    }

    async fn put_index_input(
        &self,
        input: &IndexInput,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        let input = input.clone();
        self.engine
            .write(move |conn| {
                exec(
                    conn,
                    "INSERT INTO index_inputs (quarter, provider, training_tenths, entered_by, entered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (quarter, provider) DO UPDATE SET training_tenths = ?3, entered_by = ?4,
                         entered_at = ?5",
                    params![input.quarter, input.provider, input.training_tenths, input.entered_by, ts(now)],
                )?;
                append_on(conn, audit)?;
                Ok(())
            })
            .await
    }

    async fn index_inputs(&self, quarter: &str) -> Result<Vec<IndexInput>, StoreError> {
        self.engine.read(|conn| {
            all(
                conn,
                "SELECT quarter, provider, training_tenths, entered_by FROM index_inputs WHERE quarter = ?
                 ORDER BY provider",
                [quarter],
                |r| {
                    Ok(IndexInput {
                        quarter: col(r, "quarter")?,
                        provider: col(r, "provider")?,
                        training_tenths: col(r, "training_tenths")?,
                        entered_by: col(r, "entered_by")?,
                    })
                },
            )
        })
    }

    async fn put_index_scores(&self, quarter: &str, scores: &[IndexScore]) -> Result<(), StoreError> {
        let (quarter, scores) = (quarter.to_owned(), scores.to_vec());
        self.engine
            .write(move |conn| {
                exec(conn, "DELETE FROM index_scores WHERE quarter = ?", [&quarter])?;
                for s in &scores {
                    let [a, b, c, d, e, f, total] = s.scores;
                    exec(
                        conn,
                        "INSERT INTO index_scores (quarter, service, provider, methodology, information, duration,
                             electronic, training, feedback, satisfaction, total, breakdown, computed_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        params![
                            quarter,
                            s.service,
                            s.provider,
                            s.methodology,
                            a,
                            b,
                            c,
                            d,
                            e,
                            f,
                            total,
                            s.breakdown,
                            ts(s.computed_at)
                        ],
                    )?;
                }
                Ok(())
            })
            .await
    }

    async fn index_scores(&self, quarter: Option<&str>) -> Result<Vec<IndexScore>, StoreError> {
        let quarter = quarter.map(str::to_owned);
        self.engine
            .read_apart(move |conn| {
                all(
                    conn,
                    "SELECT * FROM index_scores WHERE ?1 IS NULL OR quarter = ?1 ORDER BY quarter, service",
                    [quarter],
                    |r| {
                        Ok(IndexScore {
                            quarter: col(r, "quarter")?,
                            service: col(r, "service")?,
                            provider: col(r, "provider")?,
                            methodology: col(r, "methodology")?,
                            scores: [
                                col(r, "information")?,
                                col(r, "duration")?,
                                col(r, "electronic")?,
                                col(r, "training")?,
                                col(r, "feedback")?,
                                col(r, "satisfaction")?,
                                col(r, "total")?,
                            ],
                            breakdown: col(r, "breakdown")?,
                            computed_at: at(r, "computed_at")?,
                        })
                    },
                )
            })
            .await
    }

    async fn put_report(&self, report: &NewReport, now: Timestamp) -> Result<i64, StoreError> {
        let report = report.clone();
        self.engine
            .write(move |conn| {
                one(
                    conn,
                    "INSERT INTO reports (period, scope, format, generated_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (period, scope, format) DO UPDATE SET generated_at = ?4, body = ?5
                     RETURNING id",
                    params![report.period, report.scope, report.format, ts(now), report.body],
                    |r| col::<i64>(r, "id"),
                )?
                .ok_or_else(|| StoreError::Other("the report insert returned no id".into()))
            })
            .await
    }

    async fn reports(&self) -> Result<Vec<ReportInfo>, StoreError> {
        self.engine.read(|conn| {
            all(
                conn,
                "SELECT id, period, scope, format, generated_at, LENGTH(body) AS size FROM reports
                 ORDER BY period DESC, scope, format",
                [],
                report_info,
            )
        })
    }

    async fn report(&self, id: i64) -> Result<Option<(ReportInfo, Vec<u8>)>, StoreError> {
        self.engine.read(|conn| {
            one(
                conn,
                "SELECT id, period, scope, format, generated_at, LENGTH(body) AS size, body FROM reports WHERE id = ?",
                [id],
                |r| Ok((report_info(r)?, col::<Vec<u8>>(r, "body")?)),
            )
        })
    }
}

fn report_info(r: &Row) -> Result<ReportInfo, StoreError> {
    Ok(ReportInfo {
        id: col(r, "id")?,
        period: col(r, "period")?,
        scope: col(r, "scope")?,
        format: col(r, "format")?,
        generated_at: at(r, "generated_at")?,
        size: col(r, "size")?,
    })
}
