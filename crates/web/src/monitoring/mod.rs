//! Monitoring and assessment (case study §2.7, §2.12), shared by the API and the pages:
//! statistics over any period from the rollups ([`stats`]), the dashboards' charts as SVG
//! ([`charts`]), officers' appraisals ([`appraisal`]), the ASAN Service Index ([`index`]) and the
//! periodic reports as XLSX and PDF ([`reports`], [`pdf`]).
//!
//! Who reads what: agency admins and monitoring analysts the whole network; a centre manager their
//! own centre (a request without a centre is narrowed to it, one naming another centre refused).

pub mod appraisal;
pub mod charts;
pub mod index;
pub mod pdf;
pub mod reports;
pub mod stats;

use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;
use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::identity::{Denial, Permission, Target};
use onestop_domain::monitoring::{Context, appraisal as scoring, index as indexing};

/// Settings of monitoring (config `[monitoring]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringSettings {
    /// Minutes after a centre's local midnight before its day is folded (late ratings).
    pub fold_grace_minutes: i64,
    /// The weights of officers' appraisals.
    pub appraisal: scoring::Weights,
    /// The Index's weights and targets.
    pub index: indexing::Settings,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        MonitoringSettings {
            fold_grace_minutes: 30,
            appraisal: scoring::Weights::default(),
            index: indexing::Settings::default(),
        }
    }
}

/// The answer to a refused permission check.
pub(crate) fn denied(denial: Denial) -> ApiError {
    match denial {
        Denial::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "sign in first"),
        other => ApiError::new(StatusCode::FORBIDDEN, other.to_string()),
    }
}

/// The centre a caller's request about statistics is limited to: the one asked for, or a centre
/// manager's own; refused when the caller may not read statistics there.
pub fn reach(
    caller: &Caller,
    permission: Permission,
    centre: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let centre = centre.filter(|c| !c.is_empty());
    let own = caller.staff().and_then(|s| s.scope.centre.clone());
    let wanted = centre.map(str::to_owned).or(own);
    caller.authorize(permission, Target { centre: wanted.as_deref(), ..Target::ANY }).map_err(denied)?;
    Ok(wanted)
}

/// The country's time zone.
pub(crate) fn country_zone(c: &Catalogue) -> TimeZone {
    TimeZone::get(&c.country.time_zone).unwrap_or_else(|_| crate::templates::default_zone())
}

/// Today in the country's time zone.
pub(crate) fn today(state: &AppState, c: &Catalogue) -> Date {
    state.now().to_zoned(country_zone(c)).date()
}

/// The statistics context of a registry and its centres' codes.
pub(crate) fn context(c: &Catalogue) -> (Context, Vec<String>) {
    (Context::from_catalogue(c), c.centres.iter().map(|x| x.code.as_str().to_owned()).collect())
}

/// Folds every day that is over into the rollups (the server runs this periodically).
pub async fn fold_now(
    state: &AppState,
    limit: usize,
) -> Result<onestop_store::monitoring::FoldReport, ApiError> {
    let loaded = state.registry.require(state.store.as_ref()).await?;
    let (ctx, centres) = context(&loaded.catalogue);
    let grace = jiff::SignedDuration::from_mins(state.monitoring.fold_grace_minutes);
    Ok(onestop_store::monitoring::catch_up(state.store.as_ref(), &ctx, &centres, state.now(), grace, limit)
        .await?)
}

/// A duration in seconds as `m:ss` or `h:mm:ss`.
pub fn clock_text(secs: Option<i64>) -> String {
    let Some(secs) = secs else { return "—".into() };
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// Per mille as a percent with one decimal.
pub fn percent(per_mille: Option<u64>) -> Option<f64> {
    per_mille.map(|m| m as f64 / 10.0)
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, LANGUAGES};

    /// Every message key the reports and pages of monitoring name in code exists in every language.
    #[test]
    fn keys_named_in_code_are_translated() {
        let catalog = Catalog::new();
        let mut checked = 0;
        for source in [include_str!("reports.rs"), include_str!("../pages/monitoring.rs")] {
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for prefix in ["\"report-", "\"monitoring-", "\"index-", "\"appraisal"] {
                for piece in source.split(prefix).skip(1) {
                    let key = format!("{}{}", &prefix[1..], piece.split('"').next().unwrap_or_default());
                    if key.ends_with('-') || key.contains('{') || key.contains('.') {
                        continue;
                    }
                    for lang in LANGUAGES {
                        assert!(catalog.has(lang, &key), "{key} is missing in {lang}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} keys found");
    }
}
