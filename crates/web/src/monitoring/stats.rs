//! Statistics over a period: the JSON and CSV tables of any cuboid and grouping, the dashboard's
//! figures and the live overview of every centre.

use super::{clock_text, context, percent, reach, today};
use crate::AppState;
use crate::auth::Caller;
use crate::pages::queue::tr;
use crate::problem::ApiError;
use jiff::civil::Date;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::identity::Permission;
use onestop_domain::monitoring::{Cuboid, Filter, GroupBy, Grouped, Period, Tally};
use onestop_store::monitoring::{ComplaintTally, StatSpan};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which statistics to compute.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `flow` (tickets by origin; the default), `hours` (by hour of issue), `officers`, `ratings`.
    pub cuboid: Option<String>,
    /// `total` (the default), `centre`, `service`, `provider`, `origin`, `hour`, `officer`,
    /// `channel`, `day`, `weekday`, `weekday_hour`, `month`, `officer_service`, `service_origin`.
    pub by: Option<String>,
    /// A month `2026-11`, quarter `2026-Q4` or year `2026` (instead of `from` and `to`).
    pub period: Option<String>,
    /// The first local day counted (`YYYY-MM-DD`); default: 30 days before `to`.
    pub from: Option<String>,
    /// The last local day counted; default: today.
    pub to: Option<String>,
    /// Only this centre (a centre manager: their own).
    pub centre: Option<String>,
    /// Only this provider's services.
    pub provider: Option<String>,
    /// Only this service.
    pub service: Option<String>,
    /// Only this officer (login).
    pub officer: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// The figures of one group.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FigureRow {
    /// The group's key (a code, login, day, `1-09` for Monday 09:00…); "" for the total.
    pub key: String,
    /// Its name in the request's language.
    pub name: String,
    /// Tickets, follow-ons of transfers included.
    pub tickets: u64,
    /// Visits (tickets that are not follow-ons).
    pub visits: u64,
    /// Tickets called.
    pub called: u64,
    /// Served.
    pub served: u64,
    /// Not served.
    pub not_served: u64,
    /// No-shows.
    pub no_show: u64,
    /// Transferred.
    pub transferred: u64,
    /// Abandoned: never called, still waiting at the close.
    pub abandoned: u64,
    /// Services longer than the service's norm.
    pub over_norm: u64,
    /// Median wait, seconds (rounded down to the histogram's resolution).
    pub wait_p50_secs: Option<i64>,
    /// 90th percentile wait, seconds.
    pub wait_p90_secs: Option<i64>,
    /// Mean wait, seconds.
    pub wait_mean_secs: Option<i64>,
    /// Median service time, seconds.
    pub service_p50_secs: Option<i64>,
    /// 90th percentile service time, seconds.
    pub service_p90_secs: Option<i64>,
    /// No-shows per ticket called, percent.
    pub no_show_percent: Option<f64>,
    /// Abandoned per visit, percent.
    pub abandoned_percent: Option<f64>,
    /// Ratings.
    pub ratings: u64,
    /// Ratings of 4 and 5, percent.
    pub satisfaction_percent: Option<f64>,
}

impl FigureRow {
    /// The row of `tally` for group `key` named `name`.
    pub fn of(key: &str, name: String, t: &Tally) -> FigureRow {
        FigureRow {
            key: key.to_owned(),
            name,
            tickets: t.tickets,
            visits: t.visits,
            called: t.called,
            served: t.served,
            not_served: t.not_served,
            no_show: t.no_show,
            transferred: t.transferred,
            abandoned: t.abandoned,
            over_norm: t.over_norm,
            wait_p50_secs: t.wait.percentile(50),
            wait_p90_secs: t.wait.percentile(90),
            wait_mean_secs: t.wait.mean(),
            service_p50_secs: t.service.percentile(50),
            service_p90_secs: t.service.percentile(90),
            no_show_percent: percent(t.no_show_rate()),
            abandoned_percent: percent(t.abandonment_rate()),
            ratings: t.ratings,
            satisfaction_percent: percent(t.satisfaction()),
        }
    }

    /// The CSV header of [`FigureRow::cells`].
    pub const HEADER: [&'static str; 20] = [
        "key",
        "name",
        "tickets",
        "visits",
        "called",
        "served",
        "not_served",
        "no_show",
        "transferred",
        "abandoned",
        "over_norm",
        "wait_p50_secs",
        "wait_p90_secs",
        "wait_mean_secs",
        "service_p50_secs",
        "service_p90_secs",
        "no_show_percent",
        "abandoned_percent",
        "ratings",
        "satisfaction_percent",
    ];

    /// The row's values as text, in [`FigureRow::HEADER`] order.
    pub fn cells(&self) -> Vec<String> {
        let o = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let f = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        vec![
            self.key.clone(),
            self.name.clone(),
            self.tickets.to_string(),
            self.visits.to_string(),
            self.called.to_string(),
            self.served.to_string(),
            self.not_served.to_string(),
            self.no_show.to_string(),
            self.transferred.to_string(),
            self.abandoned.to_string(),
            self.over_norm.to_string(),
            o(self.wait_p50_secs),
            o(self.wait_p90_secs),
            o(self.wait_mean_secs),
            o(self.service_p50_secs),
            o(self.service_p90_secs),
            f(self.no_show_percent),
            f(self.abandoned_percent),
            self.ratings.to_string(),
            f(self.satisfaction_percent),
        ]
    }
}

/// Statistics of one cuboid over a period, grouped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// The cuboid.
    pub cuboid: String,
    /// The grouping.
    pub by: String,
    /// The first day counted.
    pub from: String,
    /// The last day counted.
    pub to: String,
    /// The centre counted, if one.
    pub centre: Option<String>,
    /// The provider counted, if one.
    pub provider: Option<String>,
    /// The service counted, if one.
    pub service: Option<String>,
    /// The officer counted, if one.
    pub officer: Option<String>,
    /// One row per group, in key order.
    pub rows: Vec<FigureRow>,
}

/// Text as CSV (RFC 4180): fields quoted when they hold a comma, quote or line break.
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let field = |f: &str| {
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_owned()
        }
    };
    let mut out = header.iter().map(|h| field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

fn parse_day(field: &str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<Date>()
                .map_err(|_| ApiError::bad_request(field, format!("{field} must be a date YYYY-MM-DD")))
        })
        .transpose()
}

/// The days `[from, to]` a query asks for: its period, else its dates, else the 30 days to today.
pub fn range(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<(Date, Date), ApiError> {
    if let Some(p) = period.filter(|p| !p.is_empty()) {
        let p = Period::parse(p)
            .ok_or_else(|| ApiError::bad_request("period", "period must be 2026-11, 2026-Q4 or 2026"))?;
        return Ok((p.first_day(), p.last_day()));
    }
    let to = parse_day("to", to)?.unwrap_or(today);
    let from =
        parse_day("from", from)?.unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(30)).unwrap_or(to));
    if from > to {
        return Err(ApiError::bad_request("from", "from must not be after to"));
    }
    if to.since(from).map(|s| s.get_days()).unwrap_or(0) > 3700 {
        return Err(ApiError::bad_request("from", "a period of at most ten years"));
    }
    Ok((from, to))
}

fn opt(text: &Option<String>) -> Option<String> {
    text.clone().filter(|t| !t.is_empty())
}

/// Figures of `cuboid` over `[from, to]` admitted by `filter`, grouped `by`.
pub async fn grouped(
    state: &AppState,
    c: &Catalogue,
    cuboid: Cuboid,
    by: GroupBy,
    span: (Date, Date),
    filter: &Filter,
) -> Result<Grouped, ApiError> {
    Ok(read(state, c, &[(cuboid, by)], span, filter, true).await?.pop().unwrap_or_default())
}

/// Counts of `cuboid` over `[from, to]` admitted by `filter`, grouped `by`, without waits and
/// service times (every tally's durations are empty): the heat map's visits, read cheaply.
pub async fn counted(
    state: &AppState,
    c: &Catalogue,
    cuboid: Cuboid,
    by: GroupBy,
    span: (Date, Date),
    filter: &Filter,
) -> Result<Grouped, ApiError> {
    Ok(read(state, c, &[(cuboid, by)], span, filter, false).await?.pop().unwrap_or_default())
}

/// Figures over `[from, to]` admitted by `filter` for each of `wants` (a cuboid and a grouping, in
/// their order), from one read of each cuboid's cells and of each raw day.
pub async fn grouped_by(
    state: &AppState,
    c: &Catalogue,
    wants: &[(Cuboid, GroupBy)],
    span: (Date, Date),
    filter: &Filter,
) -> Result<Vec<Grouped>, ApiError> {
    read(state, c, wants, span, filter, true).await
}

/// [`onestop_store::monitoring::statistics_by`] with the registry's centres and today's date.
async fn read(
    state: &AppState,
    c: &Catalogue,
    wants: &[(Cuboid, GroupBy)],
    (from, to): (Date, Date),
    filter: &Filter,
    durations: bool,
) -> Result<Vec<Grouped>, ApiError> {
    let (ctx, centres) = context(c);
    let q = StatSpan { from, to, filter: filter.clone(), durations };
    let today = today(state, c);
    Ok(onestop_store::monitoring::statistics_by(state.store.as_ref(), &ctx, &centres, &q, wants, today)
        .await?)
}

/// The name of group `key` of grouping `by`, in `lang`.
pub fn name_of(c: &Catalogue, lang: &str, by: GroupBy, key: &str) -> String {
    let found = match by {
        GroupBy::Centre => c.centre(key).map(|x| tr(&x.name, lang, c)),
        GroupBy::Service => c.service(key).map(|x| tr(&x.name, lang, c)),
        GroupBy::Provider => c.provider(key).map(|x| tr(&x.name, lang, c)),
        _ => None,
    };
    found.unwrap_or_else(|| key.to_owned())
}

/// The statistics a query asks for.
pub async fn view(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    q: &StatsQuery,
) -> Result<StatsView, ApiError> {
    let centre = reach(caller, Permission::ReadStatistics, q.centre.as_deref())?;
    let cuboid = match q.cuboid.as_deref().filter(|c| !c.is_empty()) {
        None => Cuboid::Flow,
        Some(name) => Cuboid::parse(name).ok_or_else(|| {
            ApiError::bad_request("cuboid", format!("{name:?} is not one of flow, hours, officers, ratings"))
        })?,
    };
    let by = match q.by.as_deref().filter(|b| !b.is_empty()) {
        None => GroupBy::Total,
        Some(name) => GroupBy::parse(name)
            .ok_or_else(|| ApiError::bad_request("by", format!("{name:?} is not a grouping")))?,
    };
    if !cuboid.groups_by(by) {
        return Err(ApiError::bad_request(
            "by",
            format!("the {} statistics cannot be grouped by {}", cuboid.as_str(), by.as_str()),
        ));
    }
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let (from, to) = range(q.period.as_deref(), q.from.as_deref(), q.to.as_deref(), today(state, c))?;
    let filter = Filter {
        centre: centre.clone(),
        provider: opt(&q.provider),
        service: opt(&q.service),
        officer: opt(&q.officer),
    };
    let groups = grouped(state, c, cuboid, by, (from, to), &filter).await?;
    Ok(StatsView {
        cuboid: cuboid.as_str().into(),
        by: by.as_str().into(),
        from: from.to_string(),
        to: to.to_string(),
        centre,
        provider: filter.provider,
        service: filter.service,
        officer: filter.officer,
        rows: groups.iter().map(|(k, t)| FigureRow::of(k, name_of(c, lang, by, k), t)).collect(),
    })
}

/// One cell of the heat map: visits issued on a weekday (1 = Monday) at an hour.
#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    /// 1–7.
    pub weekday: i8,
    /// 0–23.
    pub hour: i8,
    /// Visits.
    pub visits: u64,
}

/// Complaints of a category in the period and how their deadlines went.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DeadlineRow {
    /// The category.
    pub category: String,
    /// Received.
    pub received: u64,
    /// Answered on time.
    pub on_time: u64,
    /// Answered late.
    pub late: u64,
    /// Open past the due day.
    pub overdue: u64,
}

/// Everything a dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// The filter.
    pub centre: Option<String>,
    /// The filter.
    pub provider: Option<String>,
    /// The filter.
    pub service: Option<String>,
    /// All tickets and ratings of the period together.
    pub total: FigureRow,
    /// Per centre (ratings merged in).
    pub by_centre: Vec<FigureRow>,
    /// Per provider.
    pub by_provider: Vec<FigureRow>,
    /// Per service, most visits first.
    pub by_service: Vec<FigureRow>,
    /// Per origin.
    pub by_origin: Vec<FigureRow>,
    /// Per day (or per month over long periods), for waits over time.
    pub over_time: Vec<FigureRow>,
    /// Whether `over_time` is per month.
    pub monthly: bool,
    /// Visits per weekday and hour.
    pub heat: Vec<HeatCell>,
    /// Complaint deadlines per category.
    pub deadlines: Vec<DeadlineRow>,
}

/// Adds the ratings of `ratings` into rows of flow figures with the same keys.
fn with_ratings(flow: &Grouped, ratings: &Grouped) -> Grouped {
    let mut out = flow.clone();
    for (key, r) in ratings {
        let t = out.entry(key.clone()).or_default();
        t.ratings += r.ratings;
        t.rating_sum += r.rating_sum;
        t.satisfied += r.satisfied;
    }
    out
}

/// The complaints received in `[from, to]`, per category, about subjects the filter admits.
pub async fn deadlines(
    state: &AppState,
    c: &Catalogue,
    (from, to): (Date, Date),
    filter: &Filter,
) -> Result<Vec<DeadlineRow>, ApiError> {
    let zone = super::country_zone(c);
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::bad_request("from", "out of range"))
    };
    let end = to.tomorrow().map_err(|_| ApiError::bad_request("to", "out of range"))?;
    let tallies = state.store.complaint_tallies(start(from)?, start(end)?, today(state, c)).await?;
    let admitted = |t: &ComplaintTally| match t.subject_kind.as_str() {
        "centre" => {
            filter.centre.as_deref().is_none_or(|x| x == t.subject_code)
                && filter.service.is_none()
                && filter.provider.is_none()
        }
        "service" => {
            filter.service.as_deref().is_none_or(|x| x == t.subject_code)
                && filter
                    .provider
                    .as_deref()
                    .is_none_or(|p| c.service(&t.subject_code).is_some_and(|s| s.provider == p))
                && filter.centre.is_none()
        }
        "provider" => {
            filter.provider.as_deref().is_none_or(|x| x == t.subject_code)
                && filter.service.is_none()
                && filter.centre.is_none()
        }
        _ => filter.centre.is_none() && filter.service.is_none() && filter.provider.is_none(),
    };
    let mut rows: std::collections::BTreeMap<String, DeadlineRow> = Default::default();
    // Applications against their legal deadline: finished on time or late in the period, and
    // those still open past it now.
    let apps = grouped(state, c, Cuboid::Applications, GroupBy::Total, (from, to), filter).await?;
    let overdue: u64 = state
        .store
        .overdue_applications(today(state, c))
        .await?
        .iter()
        .filter(|(centre, service, provider, _)| {
            filter.centre.as_deref().is_none_or(|x| x == centre)
                && filter.service.as_deref().is_none_or(|x| x == service)
                && filter.provider.as_deref().is_none_or(|x| x == provider)
        })
        .map(|(_, _, _, n)| n)
        .sum();
    let a = apps.get("").cloned().unwrap_or_default();
    if a.finished > 0 || overdue > 0 {
        rows.insert(
            "applications".into(),
            DeadlineRow {
                category: "applications".into(),
                received: a.accepted,
                on_time: a.on_time,
                late: a.finished - a.on_time,
                overdue,
            },
        );
    }
    for t in tallies.iter().filter(|t| admitted(t)) {
        let row = rows
            .entry(t.category.clone())
            .or_insert_with(|| DeadlineRow { category: t.category.clone(), ..DeadlineRow::default() });
        row.received += t.received;
        row.on_time += t.on_time;
        row.late += t.late;
        row.overdue += t.overdue;
    }
    Ok(rows.into_values().collect())
}

/// The dashboard of a period, optionally of one centre, provider or service.
pub async fn dashboard(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    q: &StatsQuery,
) -> Result<Dashboard, ApiError> {
    let centre = reach(caller, Permission::ReadStatistics, q.centre.as_deref())?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let span = range(q.period.as_deref(), q.from.as_deref(), q.to.as_deref(), today(state, c))?;
    let filter = Filter {
        centre: centre.clone(),
        provider: opt(&q.provider),
        service: opt(&q.service),
        officer: None,
    };
    let rows = |by: GroupBy, g: &Grouped| -> Vec<FigureRow> {
        g.iter().map(|(k, t)| FigureRow::of(k, name_of(c, lang, by, k), t)).collect()
    };
    let monthly = span.1.since(span.0).map(|s| s.get_days()).unwrap_or(0) > 92;
    let time_by = if monthly { GroupBy::Month } else { GroupBy::Day };
    use GroupBy::{Centre, Origin, Provider, Service, Total};
    let (flow, ratings) = (Cuboid::Flow, Cuboid::Ratings);
    let wants = [
        (flow, Total),
        (flow, Centre),
        (flow, Provider),
        (flow, Service),
        (flow, Origin),
        (flow, time_by),
        (ratings, Total),
        (ratings, Centre),
        (ratings, Provider),
        (ratings, Service),
    ];
    let [
        total,
        by_centre,
        by_provider,
        by_service,
        by_origin,
        over_time,
        r_total,
        r_centre,
        r_provider,
        r_service,
    ] = <[Grouped; 10]>::try_from(grouped_by(state, c, &wants, span, &filter).await?)
        .map_err(|_| ApiError::internal())?;
    let total = with_ratings(&total, &r_total);
    let by_centre = with_ratings(&by_centre, &r_centre);
    let by_provider = with_ratings(&by_provider, &r_provider);
    let by_service = with_ratings(&by_service, &r_service);
    let heat = counted(state, c, Cuboid::Hours, GroupBy::WeekdayHour, span, &filter).await?;
    let mut by_service = rows(GroupBy::Service, &by_service);
    by_service.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.key.cmp(&b.key)));
    Ok(Dashboard {
        from: span.0.to_string(),
        to: span.1.to_string(),
        centre,
        provider: filter.provider.clone(),
        service: filter.service.clone(),
        total: FigureRow::of("", String::new(), total.get("").unwrap_or(&Tally::default())),
        by_centre: rows(GroupBy::Centre, &by_centre),
        by_provider: rows(GroupBy::Provider, &by_provider),
        by_service,
        by_origin: rows(GroupBy::Origin, &by_origin),
        over_time: rows(time_by, &over_time),
        monthly,
        heat: heat
            .iter()
            .filter_map(|(k, t)| {
                let (d, h) = k.split_once('-')?;
                Some(HeatCell { weekday: d.parse().ok()?, hour: h.parse().ok()?, visits: t.visits })
            })
            .collect(),
        deadlines: deadlines(state, c, span, &filter).await?,
    })
}

/// A centre's queue right now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveCentre {
    /// The centre's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// `centre`, `mobile_bus` or `utility_centre`.
    pub kind: String,
    /// Its local date.
    pub day: String,
    /// Tickets waiting now.
    pub waiting: u32,
    /// Served today.
    pub served_today: u32,
    /// Windows with an officer signed in.
    pub open_windows: u32,
    /// The longest median wait today among its services, minutes.
    pub longest_median_wait_minutes: Option<u32>,
    /// The service with the most people waiting.
    pub busiest_service: Option<String>,
}

/// Every centre's queue now.
pub async fn live(state: &AppState, caller: &Caller, lang: &str) -> Result<Vec<LiveCentre>, ApiError> {
    let centre = reach(caller, Permission::ReadStatistics, None)?;
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let mut out = Vec::new();
    for x in c.centres.iter().filter(|x| centre.as_deref().is_none_or(|only| x.code == only)) {
        let q = crate::queue::centre_queue(state, lang, x.code.as_str()).await?;
        let busiest =
            q.services.iter().filter(|s| s.waiting > 0).max_by_key(|s| s.waiting).map(|s| s.name.clone());
        out.push(LiveCentre {
            code: q.centre.clone(),
            name: tr(&x.name, lang, c),
            kind: serde_json::to_value(x.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            day: q.day.clone(),
            waiting: q.services.iter().map(|s| s.waiting).sum(),
            served_today: q.services.iter().map(|s| s.served_today).sum(),
            open_windows: q.open_windows,
            longest_median_wait_minutes: q.services.iter().filter_map(|s| s.median_wait_minutes).max(),
            busiest_service: busiest,
        });
    }
    Ok(out)
}

/// A row's wait and service times as clock text, for pages.
pub fn times(row: &FigureRow) -> [String; 4] {
    [
        clock_text(row.wait_p50_secs),
        clock_text(row.wait_p90_secs),
        clock_text(row.service_p50_secs),
        clock_text(row.service_p90_secs),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn ranges_and_csv() {
        let today = date(2026, 11, 28);
        assert_eq!(
            range(Some("2026-Q4"), None, None, today).unwrap(),
            (date(2026, 10, 1), date(2026, 12, 31))
        );
        assert_eq!(range(None, None, None, today).unwrap(), (date(2026, 10, 29), today));
        assert_eq!(
            range(None, Some("2026-11-01"), Some("2026-11-02"), today).unwrap(),
            (date(2026, 11, 1), date(2026, 11, 2))
        );
        assert_eq!(range(None, Some("2026-11-03"), Some("2026-11-02"), today).unwrap_err().status(), 400);
        assert_eq!(range(Some("2026-13"), None, None, today).unwrap_err().status(), 400);
        let text =
            csv(&["a", "b"], [vec!["x,y".into(), "say \"hi\"".into()], vec!["ə".into(), String::new()]]);
        assert_eq!(text, "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\nə,\r\n");
    }
}
