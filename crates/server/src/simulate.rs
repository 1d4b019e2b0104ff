//! `onestop simulate`: a centre's day in the simulator (`onestop_sim`), printed as tables.

use jiff::civil::Date;
use onestop_domain::catalogue::Catalogue;
use onestop_sim::plan::PlanFile;
use std::path::Path;

/// Simulates `centre` on `date` with the plan file at `plan` (none: the assumed demand, every
/// window open), `days` overriding the plan's; with `recommend`, adds the staffing planner's
/// windows per hour. Answers the text to print.
pub fn run(
    catalogue: &Catalogue,
    centre: &str,
    date: &str,
    plan: Option<&Path>,
    days: Option<u64>,
    recommend: bool,
) -> Result<String, String> {
    let date: Date =
        date.parse().map_err(|e| format!("--date: \"{date}\" is not a date (YYYY-MM-DD): {e}"))?;
    let mut plan = match plan {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            PlanFile::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => PlanFile::default(),
    };
    if let Some(days) = days {
        plan.days = Some(days);
    }
    let report = onestop_sim::report::simulate(catalogue, centre, date, &plan).map_err(|e| e.to_string())?;
    let mut out = report.render();
    if recommend {
        let advice =
            onestop_sim::planner::recommend(catalogue, centre, date, &plan, 6).map_err(|e| e.to_string())?;
        out.push('\n');
        out.push_str(&advice.render());
        out.push('\n');
        out.push_str(&advice.to_toml());
    }
    Ok(out)
}
