//! Periodic reports — monthly, quarterly and annual, for the network or one centre — as XLSX
//! (one sheet per table, numbers as numbers) and PDF (the same tables), in the requested language.
//! The scheduled job ([`produce_closed`]) stores each closed period's reports once.

use super::appraisal::AppraisalQuery;
use super::stats::{FigureRow, StatsQuery, dashboard};
use super::{clock_text, today};
use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use onestop_domain::monitoring::{Period, PeriodKind};
use onestop_store::monitoring::NewReport;

/// A cell of a report's table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with one decimal (a percent, a score).
    Num(f64),
    /// Nothing to show.
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => format!("{x:.1}"),
            Cell::Empty => "—".into(),
        }
    }
}

/// A table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its title (also the sheet's name, shortened).
    pub title: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// A report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Its title.
    pub title: String,
    /// Lines under the title (period, scope, when produced).
    pub lines: Vec<String>,
    /// Its tables.
    pub sections: Vec<Section>,
}

fn int(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Num)
}

fn secs(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, |s| Cell::Text(clock_text(Some(s))))
}

/// Builds the report of `period` for the network or `centre`, in `lang`.
pub async fn build(
    state: &AppState,
    caller: &Caller,
    lang: &str,
    period: Period,
    centre: Option<String>,
) -> Result<Report, ApiError> {
    let t = |key: &str| state.templates.catalog.text(lang, key, &[]);
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let q = StatsQuery { period: Some(period.to_string()), centre: centre.clone(), ..StatsQuery::default() };
    let d = dashboard(state, caller, lang, &q).await?;
    let scope_name = match &d.centre {
        Some(code) => super::stats::name_of(c, lang, onestop_domain::monitoring::GroupBy::Centre, code),
        None => t("report-network"),
    };
    let title =
        format!("{} — {} — {}", t(&format!("report-title-{}", period.kind.as_str())), period, scope_name);
    let figures_header = || -> Vec<String> {
        [
            "report-col-name",
            "report-col-visits",
            "report-col-served",
            "report-col-not-served",
            "report-col-no-show",
            "report-col-no-show-rate",
            "report-col-abandoned-rate",
            "report-col-wait-p50",
            "report-col-wait-p90",
            "report-col-service-p50",
            "report-col-over-norm",
            "report-col-ratings",
            "report-col-satisfaction",
        ]
        .iter()
        .map(|k| t(k))
        .collect()
    };
    let figures = |r: &FigureRow| -> Vec<Cell> {
        vec![
            Cell::Text(if r.name.is_empty() { r.key.clone() } else { r.name.clone() }),
            int(r.visits),
            int(r.served),
            int(r.not_served),
            int(r.no_show),
            num(r.no_show_percent),
            num(r.abandoned_percent),
            secs(r.wait_p50_secs),
            secs(r.wait_p90_secs),
            secs(r.service_p50_secs),
            int(r.over_norm),
            int(r.ratings),
            num(r.satisfaction_percent),
        ]
    };
    let total = &d.total;
    let unit = 10f64.powi(i32::from(c.country.currency.minor_units));
    let complaints: Vec<&super::stats::DeadlineRow> =
        d.deadlines.iter().filter(|r| r.category != "applications").collect();
    let applications = d.deadlines.iter().find(|r| r.category == "applications");
    let money_filter = onestop_domain::monitoring::Filter { centre: d.centre.clone(), ..Default::default() };
    let money = super::stats::grouped(
        state,
        c,
        onestop_domain::monitoring::Cuboid::Payments,
        onestop_domain::monitoring::GroupBy::Total,
        (period.first_day(), period.last_day()),
        &money_filter,
    )
    .await?
    .remove("")
    .unwrap_or_default();
    let summary = vec![
        ("report-col-visits", int(total.visits)),
        ("report-col-tickets", int(total.tickets)),
        ("report-col-served", int(total.served)),
        ("report-col-not-served", int(total.not_served)),
        ("report-col-no-show", int(total.no_show)),
        ("report-col-no-show-rate", num(total.no_show_percent)),
        ("report-col-abandoned", int(total.abandoned)),
        ("report-col-abandoned-rate", num(total.abandoned_percent)),
        ("report-col-wait-p50", secs(total.wait_p50_secs)),
        ("report-col-wait-p90", secs(total.wait_p90_secs)),
        ("report-col-wait-mean", secs(total.wait_mean_secs)),
        ("report-col-service-p50", secs(total.service_p50_secs)),
        ("report-col-service-p90", secs(total.service_p90_secs)),
        ("report-col-over-norm", int(total.over_norm)),
        ("report-col-ratings", int(total.ratings)),
        ("report-col-satisfaction", num(total.satisfaction_percent)),
        ("report-col-complaints", int(complaints.iter().map(|r| r.received).sum())),
        ("report-col-on-time", int(complaints.iter().map(|r| r.on_time).sum())),
        ("report-col-late", int(complaints.iter().map(|r| r.late).sum())),
        ("report-col-overdue", int(complaints.iter().map(|r| r.overdue).sum())),
        ("report-col-applications", int(applications.map_or(0, |r| r.received))),
        ("report-col-applications-on-time", int(applications.map_or(0, |r| r.on_time))),
        ("report-col-applications-late", int(applications.map_or(0, |r| r.late))),
        ("report-col-applications-overdue", int(applications.map_or(0, |r| r.overdue))),
        ("report-col-payments", int(money.payments)),
        ("report-col-paid", Cell::Num(money.paid as f64 / unit)),
        ("report-col-refunded", Cell::Num(money.refunded as f64 / unit)),
    ];
    let mut sections = vec![Section {
        title: t("report-summary"),
        header: vec![t("report-col-figure"), t("report-col-value")],
        rows: summary.into_iter().map(|(k, v)| vec![Cell::Text(t(k)), v]).collect(),
    }];
    let table = |key: &str, rows: &[FigureRow]| Section {
        title: t(key),
        header: figures_header(),
        rows: rows.iter().map(figures).collect(),
    };
    if d.centre.is_none() {
        sections.push(table("report-by-centre", &d.by_centre));
    }
    sections.push(table("report-by-provider", &d.by_provider));
    sections.push(table("report-by-service", &d.by_service));
    let mut by_origin = d.by_origin.clone();
    for r in &mut by_origin {
        r.name = t(&format!("origin-{}", r.key));
    }
    sections.push(table("report-by-origin", &by_origin));
    sections.push(Section {
        title: t("report-deadlines"),
        header: [
            "report-col-category",
            "report-col-complaints",
            "report-col-on-time",
            "report-col-late",
            "report-col-overdue",
        ]
        .iter()
        .map(|k| t(k))
        .collect(),
        rows: d
            .deadlines
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(t(&format!("complaint-category-{}", r.category))),
                    int(r.received),
                    int(r.on_time),
                    int(r.late),
                    int(r.overdue),
                ]
            })
            .collect(),
    });
    if d.centre.is_some() {
        let q = AppraisalQuery { period: Some(period.to_string()), centre: centre.clone(), format: None };
        let view = super::appraisal::list(state, caller, &q).await?;
        sections.push(Section {
            title: t("report-officers"),
            header: [
                "report-col-officer",
                "report-col-served",
                "report-col-service-p50",
                "report-col-ratings",
                "report-col-satisfaction",
                "report-col-upheld",
                "report-col-score",
            ]
            .iter()
            .map(|k| t(k))
            .collect(),
            rows: view
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(if r.name.is_empty() {
                            r.officer.clone()
                        } else {
                            format!("{} ({})", r.name, r.officer)
                        }),
                        int(r.served),
                        secs(r.median_service_secs),
                        int(r.ratings),
                        num(r.satisfaction_percent),
                        int(r.upheld),
                        num(r.score),
                    ]
                })
                .collect(),
        });
    } else {
        let quarter = Period::quarter_of(period.last_day());
        let index = super::index::view(state, lang, Some(&quarter.to_string())).await?;
        sections.push(Section {
            title: format!("{} {}", t("report-index"), quarter),
            header: ["report-col-rank", "report-col-name", "report-col-services", "report-col-score"]
                .iter()
                .map(|k| t(k))
                .collect(),
            rows: index
                .providers
                .iter()
                .map(|p| {
                    vec![
                        int(p.rank as u64),
                        Cell::Text(p.name.clone()),
                        int(p.services as u64),
                        Cell::Num(p.mean_total),
                    ]
                })
                .collect(),
        });
    }
    let produced = crate::i18n::format_datetime(lang, state.now(), &super::country_zone(c));
    Ok(Report {
        title,
        lines: vec![
            format!("{}: {} – {}", t("report-period"), d.from, d.to),
            format!("{}: {produced}", t("report-produced")),
            t("report-resolution"),
        ],
        sections,
    })
}

/// The report as an XLSX workbook: the title sheet, then one sheet per table.
pub fn xlsx(report: &Report) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "the XLSX report could not be written");
        ApiError::internal()
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Report").map_err(failed)?;
    sheet.write_string_with_format(0, 0, &report.title, &bold).map_err(failed)?;
    for (i, line) in report.lines.iter().enumerate() {
        sheet.write_string(u32::try_from(i + 1).unwrap_or(0), 0, line).map_err(failed)?;
    }
    sheet.set_column_width(0, 80).map_err(failed)?;
    let mut used = std::collections::BTreeSet::new();
    for (n, section) in report.sections.iter().enumerate() {
        let sheet = book.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\ and unique.
        let clean: String = section.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(27).collect();
        let name = if used.insert(clean.clone()) {
            clean
        } else {
            format!("{} {}", clean.chars().take(24).collect::<String>(), n)
        };
        sheet.set_name(&name).map_err(failed)?;
        for (col, h) in section.header.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, col, h, &bold).map_err(failed)?;
            sheet.set_column_width(col, if col == 0 { 42 } else { 14 }).map_err(failed)?;
        }
        for (r, row) in section.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (col, cell) in row.iter().enumerate() {
                let col = u16::try_from(col).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(t) => sheet.write_string(r, col, t).map(|_| ()),
                    Cell::Int(v) => sheet.write_number(r, col, *v as f64).map(|_| ()),
                    Cell::Num(v) => sheet.write_number(r, col, *v).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(failed)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
    }
    book.save_to_buffer().map_err(failed)
}

/// The report as a PDF.
pub fn pdf(report: &Report) -> Vec<u8> {
    let mut doc = super::pdf::Document::new(&report.title);
    for line in &report.lines {
        doc.line(line);
    }
    for section in &report.sections {
        doc.heading(&section.title, 11.0);
        let rows: Vec<Vec<String>> =
            section.rows.iter().map(|r| r.iter().map(Cell::text).collect()).collect();
        doc.table(&section.header, &rows);
    }
    doc.finish()
}

/// The file of `report` in `format` (`xlsx` or `pdf`), with its content type.
pub fn file(report: &Report, format: &str) -> Result<(Vec<u8>, &'static str), ApiError> {
    match format {
        "xlsx" => Ok((xlsx(report)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
        "pdf" => Ok((pdf(report), "application/pdf")),
        other => Err(ApiError::bad_request("format", format!("{other:?}: use xlsx or pdf"))),
    }
}

/// Produces and stores the reports of the latest closed month, quarter and year, for the network
/// and every centre, that are not stored yet; answers how many it stored.
pub async fn produce_closed(state: &AppState) -> Result<usize, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let c = &loaded.catalogue;
    let today = today(state, c);
    let lang = c.country.default_language().to_owned();
    let stored: std::collections::BTreeSet<(String, String, String)> =
        state.store.reports().await?.into_iter().map(|r| (r.period, r.scope, r.format)).collect();
    let system = Caller::system();
    let mut scopes: Vec<Option<String>> = vec![None];
    scopes.extend(c.centres.iter().map(|x| Some(x.code.as_str().to_owned())));
    let mut made = 0;
    for kind in PeriodKind::ALL {
        let period = Period::of(kind, today).previous();
        for scope in &scopes {
            let key =
                |format: &str| (period.to_string(), scope.clone().unwrap_or_default(), format.to_owned());
            if stored.contains(&key("xlsx")) && stored.contains(&key("pdf")) {
                continue;
            }
            let report = build(state, &system, &lang, period, scope.clone()).await?;
            for format in ["xlsx", "pdf"] {
                let (body, _) = file(&report, format)?;
                let new = NewReport {
                    period: period.to_string(),
                    scope: scope.clone().unwrap_or_default(),
                    format: format.into(),
                    body,
                };
                state.store.put_report(&new, state.now()).await?;
                made += 1;
            }
        }
    }
    Ok(made)
}
