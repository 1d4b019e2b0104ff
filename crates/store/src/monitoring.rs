//! The storage contract of monitoring: the raw events of a centre's day, the rollups of folded
//! days and months, and the watermark up to which each centre is folded — plus the two
//! procedures every caller shares: [`catch_up`] (the fold job) and [`statistics_by`] (figures over any
//! period from rollups and, for days not folded yet, from raw events).
//!
//! A centre's day is **folded** once it is over (past its local midnight and a grace period) and
//! has no open ticket: its cells ([`onestop_domain::monitoring::rollup::cells_of_day`]) are stored
//! as day cells and added into the cells of its month, and the centre's watermark moves to that
//! day — in one transaction, refused if the watermark is already there, so a day is never counted
//! twice. Days after the watermark are read raw. So any statistic equals a brute-force pass over
//! the raw events, wherever the watermark stands.

use crate::StoreError;
use async_trait::async_trait;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::audit::AuditEvent;
use onestop_domain::monitoring::plan::plan;
use onestop_domain::monitoring::rollup::{cells_of_day, group_into};
use onestop_domain::monitoring::{
    CellKey, Cells, Context, Cuboid, DayActivity, Filter, GroupBy, Grouped, Tally,
};
use std::collections::{BTreeMap, BTreeSet};

/// A stored rollup cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    /// Its cuboid.
    pub cuboid: Cuboid,
    /// Its day, or the first day of its month.
    pub period: Date,
    /// Its dimensions.
    pub key: CellKey,
    /// Its figures.
    pub tally: Tally,
}

/// Which rollup cells to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRead {
    /// The cuboid.
    pub cuboid: Cuboid,
    /// Month cells of these months (their first days).
    pub months: Vec<Date>,
    /// Day cells of these inclusive ranges.
    pub days: Vec<(Date, Date)>,
    /// Only cells this admits.
    pub filter: Filter,
    /// Whether the cells' waits and service times are read: without them every tally's
    /// durations are empty, and a read of counts (the heat map's visits) costs far less.
    pub durations: bool,
    /// The key columns ([`KEY_COLUMNS`]) the answer groups by: the database adds up the cells of
    /// a period that differ only in the others, which read as empty (`''`, and -1 for the hour).
    /// The filter is applied by the database.
    pub keep: Vec<&'static str>,
}

/// Rollup cells and the watermarks they were read with, from one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatSnapshot {
    /// The last folded day of each centre.
    pub watermarks: BTreeMap<String, Date>,
    /// The cells.
    pub rows: Vec<StatRow>,
}

/// Raw events and rollups.
#[async_trait]
pub trait MonitoringStore: Send + Sync {
    /// The last folded day of each centre folded at least once.
    async fn fold_watermarks(&self) -> Result<BTreeMap<String, Date>, StoreError>;

    /// The first queue day with a ticket at `centre`, and the first rating given there.
    async fn first_activity(&self, centre: &str) -> Result<(Option<Date>, Option<Timestamp>), StoreError>;

    /// Whether `centre` has a ticket of `day` that has not ended.
    async fn has_open_tickets(&self, centre: &str, day: Date) -> Result<bool, StoreError>;

    /// The raw events of `day` at `centre`: the tickets of that queue day with their steps and the
    /// officer of each step, and the ratings given at the centre in `[from, to)` (the local day).
    async fn day_activity(
        &self,
        centre: &str,
        day: Date,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DayActivity, StoreError>;

    /// Folds `day` of `centre`: stores `cells` as its day cells, adds them into its month's cells
    /// and moves the centre's watermark to `day`, in one transaction. Refused with
    /// [`StoreError::Conflict`] when the watermark is already at or after `day`.
    async fn fold_day(
        &self,
        centre: &str,
        day: Date,
        cells: &Cells,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Rollup cells and watermarks, read in one snapshot.
    async fn read_stats(&self, read: &StatRead) -> Result<StatSnapshot, StoreError>;

    /// Complaints received in `[from, to)`, counted per subject and category, with their verdicts
    /// and deadlines as they stand on `today`.
    async fn complaint_tallies(
        &self,
        from: Timestamp,
        to: Timestamp,
        today: Date,
    ) -> Result<Vec<ComplaintTally>, StoreError>;

    /// Applications still open after their legal deadline on `today`: (centre, service, provider,
    /// how many).
    async fn overdue_applications(
        &self,
        today: Date,
    ) -> Result<Vec<(String, String, String, u64)>, StoreError>;

    /// Refused actions (audit entries with the outcome `refused`) in `[from, to)` per actor.
    async fn refusals_by_actor(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeMap<String, u64>, StoreError>;

    /// Records the monitoring department's verdict on complaint `reference` (replacing an earlier
    /// one), with `audit`. [`StoreError::NotFound`] for an unknown reference.
    async fn set_complaint_verdict(
        &self,
        reference: &str,
        upheld: bool,
        by: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError>;

    /// Adds a comment on an officer's appraisal, with `audit`.
    async fn add_appraisal_comment(
        &self,
        comment: &NewAppraisalComment,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<AppraisalComment, StoreError>;

    /// Every comment on `officer`'s appraisals, newest first.
    async fn appraisal_comments(&self, officer: &str) -> Result<Vec<AppraisalComment>, StoreError>;

    /// Sets a provider's training hours for a quarter (replacing an earlier figure), with `audit`.
    async fn put_index_input(
        &self,
        input: &IndexInput,
        now: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError>;

    /// The manual inputs of `quarter`.
    async fn index_inputs(&self, quarter: &str) -> Result<Vec<IndexInput>, StoreError>;

    /// Replaces the Index scores of `quarter` with `scores`.
    async fn put_index_scores(&self, quarter: &str, scores: &[IndexScore]) -> Result<(), StoreError>;

    /// Stored Index scores, of one quarter or every quarter, in quarter and service order.
    async fn index_scores(&self, quarter: Option<&str>) -> Result<Vec<IndexScore>, StoreError>;

    /// Stores a produced report (replacing one of the same period, scope and format); answers its id.
    async fn put_report(&self, report: &NewReport, now: Timestamp) -> Result<i64, StoreError>;

    /// The stored reports, newest period first, without their bodies.
    async fn reports(&self) -> Result<Vec<ReportInfo>, StoreError>;

    /// A stored report and its body.
    async fn report(&self, id: i64) -> Result<Option<(ReportInfo, Vec<u8>)>, StoreError>;
}

/// Complaints about one subject, of one category, received in a period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplaintTally {
    /// `agency`, `centre`, `service`, `provider` or `officer`.
    pub subject_kind: String,
    /// The subject's code or login.
    pub subject_code: String,
    /// The complaint's category (`suggestion` for suggestions).
    pub category: String,
    /// Received.
    pub received: u64,
    /// Found justified by the monitoring department.
    pub upheld: u64,
    /// Answered on or before the due day.
    pub on_time: u64,
    /// Answered after the due day.
    pub late: u64,
    /// Still awaiting an answer after the due day.
    pub overdue: u64,
}

/// A comment to add to an officer's appraisal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppraisalComment {
    /// The officer's login.
    pub officer: String,
    /// The period commented on (`2026-11`, `2026-Q4`, `2026`).
    pub period: String,
    /// Who wrote it (login).
    pub author: String,
    /// The text.
    pub body: String,
}

/// A stored appraisal comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalComment {
    /// Its id.
    pub id: i64,
    /// When it was written.
    pub at: Timestamp,
    /// What was written.
    pub comment: NewAppraisalComment,
}

/// A provider's training hours per officer in a quarter: the Index's manual input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInput {
    /// `2026-Q4`.
    pub quarter: String,
    /// The provider's code.
    pub provider: String,
    /// Hours per officer, in tenths.
    pub training_tenths: i64,
    /// Who entered it.
    pub entered_by: String,
}

/// A service's ASAN Service Index for a quarter, each parameter in tenths (0–1000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexScore {
    /// `2026-Q4`.
    pub quarter: String,
    /// The service.
    pub service: String,
    /// Its provider.
    pub provider: String,
    /// The methodology version the scores follow.
    pub methodology: String,
    /// The six parameters and the weighted total, in tenths.
    pub scores: [i64; 7],
    /// The inputs the scores came from, as JSON.
    pub breakdown: String,
    /// When computed.
    pub computed_at: Timestamp,
}

/// A report to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The period, `2026-11`, `2026-Q4` or `2026`.
    pub period: String,
    /// "" for the network, else a centre's code.
    pub scope: String,
    /// `xlsx` or `pdf`.
    pub format: String,
    /// The file.
    pub body: Vec<u8>,
}

/// A stored report, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// Its id.
    pub id: i64,
    /// The period.
    pub period: String,
    /// "" for the network, else a centre's code.
    pub scope: String,
    /// `xlsx` or `pdf`.
    pub format: String,
    /// When produced.
    pub generated_at: Timestamp,
    /// The file's size in bytes.
    pub size: i64,
}

/// What one run of [`catch_up`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldReport {
    /// Days folded (empty days included).
    pub days: usize,
    /// Cells written.
    pub cells: usize,
    /// Centres whose next day is over but still has open tickets, with that day.
    pub waiting: Vec<(String, Date)>,
}

/// Folds every centre's days that are over — at least `grace` after their local midnight — and
/// have no open ticket, in order, at most `limit` days per centre per run. `centres` are the
/// centres to look at (the registry's); centres with a watermark are looked at too.
pub async fn catch_up(
    store: &dyn MonitoringStore,
    ctx: &Context,
    centres: &[String],
    now: Timestamp,
    grace: SignedDuration,
    limit: usize,
) -> Result<FoldReport, StoreError> {
    let watermarks = store.fold_watermarks().await?;
    let mut all: BTreeSet<String> = centres.iter().cloned().collect();
    all.extend(watermarks.keys().cloned());
    let mut report = FoldReport::default();
    for centre in all {
        let start = match watermarks.get(&centre) {
            Some(wm) => wm.tomorrow().ok(),
            None => first_day(store, ctx, &centre).await?,
        };
        let Some(mut day) = start else { continue };
        let mut empty_through = None;
        let mut folded = 0;
        while folded < limit {
            let (from, to) = ctx.day_bounds(&centre, day);
            if now < to + grace {
                break;
            }
            if store.has_open_tickets(&centre, day).await? {
                report.waiting.push((centre.clone(), day));
                break;
            }
            let activity = store.day_activity(&centre, day, from, to).await?;
            if activity.is_empty() {
                empty_through = Some(day);
            } else {
                let cells = cells_of_day(&activity, ctx);
                store.fold_day(&centre, day, &cells, now).await?;
                report.cells += cells.len();
                empty_through = None;
            }
            report.days += 1;
            folded += 1;
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        if let Some(last) = empty_through {
            store.fold_day(&centre, last, &Cells::new(), now).await?;
        }
    }
    Ok(report)
}

/// The first local day with any event at `centre`.
async fn first_day(
    store: &dyn MonitoringStore,
    ctx: &Context,
    centre: &str,
) -> Result<Option<Date>, StoreError> {
    let (ticket, rating) = store.first_activity(centre).await?;
    let rating = rating.map(|at| ctx.local_day(centre, at));
    Ok(match (ticket, rating) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// The days, cells and durations [`statistics_by`] reads for every grouping it is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatSpan {
    /// The first local day counted.
    pub from: Date,
    /// The last local day counted.
    pub to: Date,
    /// Which cells count.
    pub filter: Filter,
    /// Whether waits and service times are wanted ([`StatRead::durations`]).
    pub durations: bool,
}

/// Figures over `q`'s days for each of `wants` — a cuboid and a grouping, answered in their
/// order: rollup cells of folded days (whole months from month cells), and the raw events of each
/// centre's days after its watermark up to `today`. `centres` are the centres whose raw days may
/// count (the registry's; centres with a watermark count too). One read of the cells per cuboid
/// (and per kind: month cells, or every day's) and one read of each raw day serve all of them: a
/// dashboard's tables by centre, provider, service and origin, or the Index's four inputs, cost
/// one read each.
pub async fn statistics_by(
    store: &dyn MonitoringStore,
    ctx: &Context,
    centres: &[String],
    q: &StatSpan,
    wants: &[(Cuboid, GroupBy)],
    today: Date,
) -> Result<Vec<Grouped>, StoreError> {
    let mut out: Vec<Grouped> = wants.iter().map(|_| Grouped::new()).collect();
    // The reads: a cuboid, whether it needs day cells, and the wants it answers.
    let mut reads: Vec<(Cuboid, bool, Vec<usize>)> = Vec::new();
    for (i, (cuboid, by)) in wants.iter().enumerate().filter(|(_, (c, b))| c.groups_by(*b)) {
        match reads.iter_mut().find(|(c, daily, _)| c == cuboid && *daily == by.needs_days()) {
            Some((_, _, these)) => these.push(i),
            None => reads.push((*cuboid, by.needs_days(), vec![i])),
        }
    }
    let mut all: BTreeSet<String> = centres.iter().cloned().collect();
    let mut marks = Vec::new();
    for (cuboid, _, these) in &reads {
        let p = plan(q.from, q.to, wants[these[0]].1);
        let keep: BTreeSet<&'static str> =
            these.iter().flat_map(|i| wants[*i].1.columns()).copied().collect();
        let read = StatRead {
            cuboid: *cuboid,
            months: p.months,
            days: p.days,
            filter: q.filter.clone(),
            durations: q.durations,
            keep: KEY_COLUMNS.into_iter().filter(|c| keep.contains(c)).collect(),
        };
        let snapshot = store.read_stats(&read).await?;
        for row in snapshot.rows.iter().filter(|r| r.cuboid == *cuboid) {
            for i in these {
                out[*i].entry(wants[*i].1.key(&row.key, row.period)).or_default().merge(&row.tally);
            }
        }
        all.extend(snapshot.watermarks.keys().cloned());
        marks.push(snapshot.watermarks);
    }
    if let Some(only) = &q.filter.centre {
        all.retain(|c| c == only);
    }
    let end = q.to.min(today);
    for centre in all {
        // Each want takes the raw events of the days after the watermark its own read saw.
        let mut first: Option<Option<Date>> = None;
        let mut starts: Vec<(usize, Date)> = Vec::new();
        for ((_, _, these), marks) in reads.iter().zip(&marks) {
            let start = match marks.get(&centre) {
                Some(wm) => wm.tomorrow().ok(),
                None => match first {
                    Some(known) => known,
                    None => *first.insert(first_day(store, ctx, &centre).await?),
                },
            };
            if let Some(start) = start {
                starts.extend(these.iter().map(|i| (*i, start.max(q.from))));
            }
        }
        let Some(mut day) = starts.iter().map(|(_, d)| *d).min() else { continue };
        while day <= end {
            let (from, to) = ctx.day_bounds(&centre, day);
            let activity = store.day_activity(&centre, day, from, to).await?;
            if !activity.is_empty() {
                let cells = cells_of_day(&activity, ctx);
                for (i, _) in starts.iter().filter(|(_, start)| *start <= day) {
                    let (cuboid, by) = wants[*i];
                    group_into(&mut out[*i], &cells, cuboid, &q.filter, by, day);
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
    }
    if !q.durations {
        // Raw days counted their durations too; an answer without durations has none.
        for tally in out.iter_mut().flat_map(|g| g.values_mut()) {
            tally.wait = Default::default();
            tally.service = Default::default();
        }
    }
    Ok(out)
}

/// The integer columns of a stored cell, in the order of [`tally_counts`].
pub const COUNT_COLUMNS: [&str; 23] = [
    "tickets",
    "visits",
    "called",
    "served",
    "not_served",
    "no_show",
    "transferred",
    "abandoned",
    "closed",
    "over_norm",
    "wait_n",
    "wait_sum",
    "service_n",
    "service_sum",
    "ratings",
    "rating_sum",
    "satisfied",
    "accepted",
    "finished",
    "on_time",
    "payments",
    "paid",
    "refunded",
];

/// The dimension columns of a stored cell, in the order of [`key_values`].
pub const KEY_COLUMNS: [&str; 7] = ["centre", "service", "provider", "origin", "hour", "officer", "channel"];

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A tally's integer columns (see [`COUNT_COLUMNS`]).
pub fn tally_counts(t: &Tally) -> [i64; 23] {
    [
        int(t.tickets),
        int(t.visits),
        int(t.called),
        int(t.served),
        int(t.not_served),
        int(t.no_show),
        int(t.transferred),
        int(t.abandoned),
        int(t.closed),
        int(t.over_norm),
        int(t.wait.n),
        t.wait.sum_secs,
        int(t.service.n),
        t.service.sum_secs,
        int(t.ratings),
        int(t.rating_sum),
        int(t.satisfied),
        int(t.accepted),
        int(t.finished),
        int(t.on_time),
        int(t.payments),
        t.paid,
        t.refunded,
    ]
}

/// The tally stored as `counts` (see [`COUNT_COLUMNS`]) and the two histograms' texts.
pub fn tally_from(counts: [i64; 23], wait_hist: &str, service_hist: &str) -> Result<Tally, StoreError> {
    let c = counts;
    let hist = |text: &str, n: i64, sum: i64| {
        onestop_domain::monitoring::Histogram::decode(text, count(n), sum)
            .ok_or_else(|| StoreError::invalid("histogram", text))
    };
    Ok(Tally {
        tickets: count(c[0]),
        visits: count(c[1]),
        called: count(c[2]),
        served: count(c[3]),
        not_served: count(c[4]),
        no_show: count(c[5]),
        transferred: count(c[6]),
        abandoned: count(c[7]),
        closed: count(c[8]),
        over_norm: count(c[9]),
        wait: hist(wait_hist, c[10], c[11])?,
        service: hist(service_hist, c[12], c[13])?,
        ratings: count(c[14]),
        rating_sum: count(c[15]),
        satisfied: count(c[16]),
        accepted: count(c[17]),
        finished: count(c[18]),
        on_time: count(c[19]),
        payments: count(c[20]),
        paid: c[21],
        refunded: c[22],
    })
}

/// A key's text dimensions (all but `hour`, which is [`CellKey::hour`]), in [`KEY_COLUMNS`] order.
pub fn key_texts(k: &CellKey) -> [&str; 6] {
    [&k.centre, &k.service, &k.provider, &k.origin, &k.officer, &k.channel]
}

/// The select list and the grouping of a read of cells (`concat` is the database's aggregate
/// that joins texts with a separator: `group_concat` or `string_agg`): the columns in
/// [`cell_columns`] order, the counts added up and the histograms' texts joined with `,` (which
/// [`Histogram::decode`](onestop_domain::monitoring::Histogram::decode) adds up), grouped by the
/// period and the kept key columns.
pub fn cell_read_sql(q: &StatRead, concat: &str) -> (String, String) {
    let mut cols: Vec<String> = ["cuboid", "grain", "period"].iter().map(|c| (*c).to_owned()).collect();
    let mut group = cols.clone();
    for c in KEY_COLUMNS {
        if q.keep.contains(&c) {
            cols.push(c.to_owned());
            group.push(c.to_owned());
        } else if c == "hour" {
            cols.push("CAST(-1 AS BIGINT) AS hour".to_owned());
        } else {
            cols.push(format!("CAST('' AS TEXT) AS {c}"));
        }
    }
    let durations = ["wait_n", "wait_sum", "service_n", "service_sum"];
    cols.extend(COUNT_COLUMNS.iter().map(|c| match q.durations || !durations.contains(c) {
        true => format!("CAST(SUM({c}) AS BIGINT) AS {c}"),
        false => format!("CAST(0 AS BIGINT) AS {c}"),
    }));
    for h in ["wait_hist", "service_hist"] {
        cols.push(match q.durations {
            true => format!("{concat}({h}, ',') AS {h}"),
            false => format!("CAST('' AS TEXT) AS {h}"),
        });
    }
    (cols.join(", "), group.join(", "))
}

/// The cell columns of an insert, in order: cuboid, grain, period, the keys, the counts and the two
/// histograms.
pub fn cell_columns() -> String {
    let mut cols = vec!["cuboid", "grain", "period"];
    cols.extend(KEY_COLUMNS);
    cols.extend(COUNT_COLUMNS);
    cols.extend(["wait_hist", "service_hist"]);
    cols.join(", ")
}
