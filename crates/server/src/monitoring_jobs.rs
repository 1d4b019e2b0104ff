//! The monitoring department's scheduled work: the reports of the month, quarter and year just
//! closed (once each, for the network and every centre), and the ASAN Service Index of the current
//! quarter (recomputed each run) and of the previous one (once it has closed). The server runs
//! [`run`] every `monitoring.report_interval_secs`; the fold runs on its own interval.

use onestop_domain::monitoring::Period;
use onestop_web::AppState;
use onestop_web::problem::ApiError;

/// One run: answers how many report files were stored.
pub async fn run(state: &AppState) -> Result<usize, ApiError> {
    let Some(loaded) = state.registry.current(state.store.as_ref()).await? else { return Ok(0) };
    let zone =
        jiff::tz::TimeZone::get(&loaded.catalogue.country.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = state.now().to_zoned(zone).date();
    let current = Period::quarter_of(today);
    let stored = state.store.index_scores(Some(&current.previous().to_string())).await?;
    if stored.is_empty() {
        onestop_web::monitoring::index::compute(state, current.previous()).await?;
    }
    onestop_web::monitoring::index::compute(state, current).await?;
    onestop_web::monitoring::reports::produce_closed(state).await
}
