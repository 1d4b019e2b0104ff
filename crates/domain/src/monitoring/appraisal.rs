//! Officer appraisal (case study §2.10: "performance appraisal … on a monthly, quarterly and annual
//! basis"): an officer's figures over a period and a weighted score from 0 to 100.
//!
//! Each component scores 0–1000 (per mille):
//!
//! | component | from | score |
//! |---|---|---|
//! | volume | tickets served | served ÷ the median served of the officers appraised with them, at most 1 |
//! | speed | median service time against the served-weighted norm of their services | 1 up to the norm, falling to 0 at twice the norm |
//! | satisfaction | ratings given at their window | the share of 4 and 5 |
//! | complaints | complaints about them the monitoring department upheld | 1 − ¼ per upheld complaint, at least 0 |
//! | no-shows | tickets they marked no-show, per ticket called | 1 − 5 × the rate (0 at 20 %) |
//! | deadlines | their applications finished after the legal deadline | 1 − breached ÷ finished |
//! | audit | their refused actions in the audit trail | 1 − 0.1 per refusal, at least 0 |
//!
//! The score is the weighted mean of the components that have data (weights in the
//! configuration), so an officer without ratings is not marked down for it.

use serde::Serialize;

use super::Tally;

/// The weights of the components (any non-negative integers; they are normalised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weights {
    /// Tickets served.
    pub volume: u32,
    /// Service time against the norm.
    pub speed: u32,
    /// Satisfaction rate.
    pub satisfaction: u32,
    /// Upheld complaints.
    pub complaints: u32,
    /// No-shows.
    pub no_shows: u32,
    /// Deadline breaches.
    pub deadlines: u32,
    /// Audit violations.
    pub audit: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            volume: 20,
            speed: 20,
            satisfaction: 25,
            complaints: 15,
            no_shows: 10,
            deadlines: 5,
            audit: 5,
        }
    }
}

/// An officer's figures over a period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OfficerFigures {
    /// The officer's login.
    pub officer: String,
    /// Tickets and ratings attributed to them.
    pub tally: Tally,
    /// The norm of their services, weighted by the tickets they served of each, in seconds.
    pub norm_secs: Option<i64>,
    /// Complaints about them received in the period.
    pub complaints: u64,
    /// Of which upheld.
    pub upheld: u64,
    /// Applications they accepted that finished in the period, and how many after the deadline
    /// (`None` while no application data exists).
    pub applications: Option<(u64, u64)>,
    /// Their refused actions in the audit trail.
    pub audit_violations: u64,
}

/// One component of a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// `volume`, `speed`, `satisfaction`, `complaints`, `no_shows`, `deadlines`, `audit`.
    pub name: &'static str,
    /// Its weight.
    pub weight: u32,
    /// 0–1000, `None` without data.
    pub score: Option<u64>,
}

/// An appraisal: the components and the weighted score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appraisal {
    /// The components, in the table's order.
    pub components: Vec<Component>,
    /// The weighted score, 0–1000, `None` when no component has data.
    pub score: Option<u64>,
}

/// The score of `f`, against the median served of its peers.
pub fn appraise(f: &OfficerFigures, peer_median_served: u64, w: &Weights) -> Appraisal {
    let t = &f.tally;
    let volume = (peer_median_served > 0).then(|| (t.served * 1000 / peer_median_served).min(1000));
    let speed = match (t.service.percentile(50), f.norm_secs.filter(|n| *n > 0)) {
        (Some(median), Some(norm)) if median <= norm => Some(1000),
        (Some(median), Some(norm)) => Some(u64::try_from((2000 - median * 1000 / norm).max(0)).unwrap_or(0)),
        _ => None,
    };
    let no_shows = t.no_show_rate().map(|rate| 1000u64.saturating_sub(rate * 5));
    let deadlines =
        f.applications.filter(|(n, _)| *n > 0).map(|(n, late)| 1000 - (late * 1000 / n).min(1000));
    let components = vec![
        Component { name: "volume", weight: w.volume, score: volume },
        Component { name: "speed", weight: w.speed, score: speed },
        Component { name: "satisfaction", weight: w.satisfaction, score: t.satisfaction() },
        Component {
            name: "complaints",
            weight: w.complaints,
            score: Some(1000u64.saturating_sub(250 * f.upheld)),
        },
        Component { name: "no_shows", weight: w.no_shows, score: no_shows },
        Component { name: "deadlines", weight: w.deadlines, score: deadlines },
        Component {
            name: "audit",
            weight: w.audit,
            score: Some(1000u64.saturating_sub(100 * f.audit_violations)),
        },
    ];
    let (sum, weights) = components
        .iter()
        .filter_map(|c| c.score.map(|s| (s * u64::from(c.weight), u64::from(c.weight))))
        .fold((0, 0), |(a, b), (s, w)| (a + s, b + w));
    let score = (weights > 0).then(|| (sum + weights / 2) / weights);
    Appraisal { components, score }
}

/// The median of `values` by the nearest-rank method (0 when empty).
pub fn median(values: &mut [u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let n = u64::try_from(values.len()).unwrap_or(u64::MAX);
    let rank = usize::try_from(super::hist::nearest_rank(50, n)).unwrap_or(1);
    values[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(served: u64, service: &[i64], ratings: &[u8]) -> OfficerFigures {
        let mut tally = Tally { served, called: served, tickets: served, ..Tally::default() };
        service.iter().for_each(|s| tally.service.add(*s));
        ratings.iter().for_each(|r| tally.add_rating(*r));
        OfficerFigures { officer: "ali".into(), tally, norm_secs: Some(600), ..OfficerFigures::default() }
    }

    #[test]
    fn components_score_and_weigh() {
        let w = Weights::default();
        let fast = appraise(&figures(100, &[300, 400, 500], &[5, 5, 4, 2]), 100, &w);
        let by = |a: &Appraisal, name: &str| a.components.iter().find(|c| c.name == name).unwrap().score;
        assert_eq!(by(&fast, "volume"), Some(1000));
        assert_eq!(by(&fast, "speed"), Some(1000));
        assert_eq!(by(&fast, "satisfaction"), Some(750));
        assert_eq!(by(&fast, "deadlines"), None, "no application data: left out");
        // (20·1000 + 20·1000 + 25·750 + 15·1000 + 10·1000 + 5·1000) / 95
        assert_eq!(fast.score, Some((20_000 + 20_000 + 18_750 + 15_000 + 10_000 + 5_000 + 47) / 95));

        let mut slow = figures(50, &[900, 900, 900], &[]);
        slow.upheld = 2;
        slow.audit_violations = 3;
        slow.tally.no_show = 5;
        slow.tally.called = 55;
        slow.applications = Some((10, 1));
        let a = appraise(&slow, 100, &w);
        assert_eq!(by(&a, "volume"), Some(500));
        assert_eq!(by(&a, "speed"), Some(500), "1.5 times the norm");
        assert_eq!(
            (by(&a, "satisfaction"), by(&a, "complaints"), by(&a, "audit")),
            (None, Some(500), Some(700))
        );
        assert_eq!((by(&a, "no_shows"), by(&a, "deadlines")), (Some(1000 - 91 * 5), Some(900)));
        assert_eq!(
            appraise(&OfficerFigures::default(), 0, &Weights { complaints: 0, audit: 0, ..w }).score,
            None
        );
        assert_eq!(median(&mut [5, 1, 3, 9]), 3);
    }
}
