//! Monitoring on SQLite: raw events of a centre's day, rollup cells (a `WITHOUT ROWID` table in
//! key order, so a month's cells are one range), and fold watermarks. A fold is one write on the
//! engine's writer: the day's cells, each month cell read, added to and written back, and the
//! watermark, refused when the watermark is already there.

use crate::engine::{all, at, col, exec, one};
use crate::queue::day_records;
use crate::{SqliteStore, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use onestop_domain::catalogue::CentreCode;
use onestop_domain::monitoring::rollup::{ObservedRating, ObservedTicket};
use onestop_domain::monitoring::{CellKey, Cells, Cuboid, DayActivity, Filter, Grain, Tally};
use onestop_store::StoreError;
use onestop_store::monitoring::{
    COUNT_COLUMNS, MonitoringStore, StatRead, StatRow, StatSnapshot, cell_columns, key_texts, tally_counts,
    tally_from,
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

/// The cell row read with `SELECT *`-like columns.
fn stat_row(r: &Row) -> Result<StatRow, StoreError> {
    let cuboid: String = col(r, "cuboid")?;
    let mut counts = [0i64; 17];
    for (slot, name) in counts.iter_mut().zip(COUNT_COLUMNS) {
        *slot = col(r, name)?;
    }
    Ok(StatRow {
        cuboid: Cuboid::parse(&cuboid).ok_or_else(|| StoreError::invalid("cuboid", &cuboid))?,
        period: date_of(&col::<String>(r, "period")?)?,
        key: CellKey {
            centre: col(r, "centre")?,
            service: col(r, "service")?,
            provider: col(r, "provider")?,
            origin: col(r, "origin")?,
            hour: col(r, "hour")?,
            officer: col(r, "officer")?,
            channel: col(r, "channel")?,
        },
        tally: tally_from(counts, &col::<String>(r, "wait_hist")?, &col::<String>(r, "service_hist")?)?,
    })
}

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

fn month_cell(
    conn: &Connection,
    cuboid: Cuboid,
    month: Date,
    key: &CellKey,
) -> Result<Option<Tally>, StoreError> {
    let [centre, service, provider, origin, officer, channel] = key_texts(key);
    one(
        conn,
        "SELECT * FROM stat_cells WHERE cuboid = ? AND grain = 'm' AND period = ? AND centre = ? AND service = ?
             AND provider = ? AND origin = ? AND hour = ? AND officer = ? AND channel = ?",
        params![cuboid.as_str(), month.to_string(), centre, service, provider, origin, key.hour, officer, channel],
        |r| stat_row(r).map(|row| row.tally),
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
    for ((cuboid, key), tally) in cells {
        put_cell(conn, *cuboid, Grain::Day, day, key, tally)?;
        let mut sum = month_cell(conn, *cuboid, month, key)?.unwrap_or_default();
        sum.merge(tally);
        put_cell(conn, *cuboid, Grain::Month, month, key, &sum)?;
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
    Ok(DayActivity { tickets, ratings })
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
    for month in &q.months {
        let mut values: Vec<Value> = vec![q.cuboid.as_str().to_owned().into(), month.to_string().into()];
        let filter = filter_sql(&q.filter, &mut values);
        run(
            format!("SELECT * FROM stat_cells WHERE cuboid = ? AND grain = 'm' AND period = ?{filter}"),
            values,
        )?;
    }
    for (from, to) in &q.days {
        let mut values: Vec<Value> =
            vec![q.cuboid.as_str().to_owned().into(), from.to_string().into(), to.to_string().into()];
        let filter = filter_sql(&q.filter, &mut values);
        run(
            format!(
                "SELECT * FROM stat_cells WHERE cuboid = ? AND grain = 'd' AND period BETWEEN ? AND ?{filter}"
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
                "SELECT 1 AS x FROM tickets WHERE centre = ? AND day = ?
                     AND state IN ('waiting', 'called', 'serving', 'parked') LIMIT 1",
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
}
