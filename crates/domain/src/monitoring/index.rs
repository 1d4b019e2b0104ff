//! The ASAN Service Index (case study §2.12): every service of the registry scored 0–100 on six
//! parameters, each a formula over the platform's own data, with manual input only where no data
//! can exist (training hours). Scores are kept in tenths (0–1000); the methodology's version is
//! stored with every score, so a later change of formula never rewrites history.
//!
//! Methodology `asan-index/1` (each part scores 0–1000):
//!
//! 1. **Information and means of applying** — 60 % the share of 8 information items the registry
//!    holds (after the Single Digital Gateway's information list: name and description in every
//!    language, required documents, procedure steps, legal timeframe, fees, handling time, where it
//!    is offered) and 40 % the means of applying: channels among centre, mobile bus, online, call
//!    centre and home service, plus online booking, out of 6.
//! 2. **Duration against the legal timeframe** — the mean of what has data: applications
//!    finished within the legal deadline (once applications exist), visits called within the wait
//!    target (`monitoring.wait_target_minutes`), services finished within the service's norm.
//! 3. **Electronization and integration** — 40 % an online channel, 30 % digital take-up (visits
//!    booked online, against a target share of 30 %), 30 % once-only (documents the citizen need
//!    not bring: 1 − 0.2 per required document).
//! 4. **Training of staff** — the provider's training hours per officer in the quarter (manual
//!    input) against the target (`monitoring.index_training_hours`); 0 without input.
//! 5. **Feedback and monitoring mechanisms** — half rating coverage (ratings per finished service,
//!    against a target of 20 %), half complaints about the service answered on time (1 with none).
//! 6. **Satisfaction** — the share of ratings of 4 and 5 (0 without ratings).
//!
//! The total is the weighted mean of the six (weights in the configuration). Anchors: the EU
//! eGovernment Benchmark (online availability, digital take-up, pre-filled data / once-only), the
//! Single Digital Gateway's information-quality list, the GOV.UK service KPIs (completion, user
//! satisfaction, digital take-up).

use serde::Serialize;
use serde_json::{Value, json};

use super::Tally;

/// The methodology version stored with every score.
pub const METHODOLOGY: &str = "asan-index/1";

/// The parameters' names, in order.
pub const PARAMETERS: [&str; 6] =
    ["information", "duration", "electronic", "training", "feedback", "satisfaction"];

/// Weights and targets of the Index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// The weights of the six parameters, in [`PARAMETERS`] order.
    pub weights: [u32; 6],
    /// Training hours per officer per quarter that score full marks, in tenths.
    pub training_target_tenths: i64,
    /// Waits under this many seconds count as within target.
    pub wait_target_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { weights: [20, 20, 15, 10, 15, 20], training_target_tenths: 100, wait_target_secs: 15 * 60 }
    }
}

/// What the Index reads of one service over a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceInputs {
    /// The information items the registry holds for it, of the 8.
    pub information_items: u32,
    /// Its channels among the 5.
    pub channels: u32,
    /// Whether it can be booked online (offered at a centre).
    pub bookable: bool,
    /// Whether one channel is online.
    pub online: bool,
    /// Documents the citizen must bring.
    pub documents: u32,
    /// Its tickets' figures (flow) and ratings over the quarter.
    pub tally: Tally,
    /// Visits booked online (tickets of origin appointment that are visits).
    pub booked_visits: u64,
    /// Complaints about it answered, and of those on time.
    pub complaints_answered: u64,
    /// …answered on or before the due day.
    pub complaints_on_time: u64,
    /// Applications finished, and of those within the legal deadline (`None` without data).
    pub applications: Option<(u64, u64)>,
    /// The provider's training hours per officer, in tenths (`None` without input).
    pub training_tenths: Option<i64>,
}

fn share(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| (part * 1000 / whole).min(1000))
}

fn against(part: u64, whole: u64, target_per_mille: u64) -> u64 {
    share(part, whole).map_or(0, |s| (s * 1000 / target_per_mille).min(1000))
}

/// The six parameters and the total in tenths (0–1000), and the breakdown of every input.
pub fn score(i: &ServiceInputs, s: &Settings) -> ([i64; 7], Value) {
    let t = &i.tally;
    let information_share = u64::from(i.information_items.min(8)) * 1000 / 8;
    let means = (u64::from(i.channels.min(5)) + u64::from(i.bookable)) * 1000 / 6;
    let information = (600 * information_share + 400 * means) / 1000;

    let deadline = i.applications.and_then(|(n, ok)| share(ok, n));
    let wait_target = share(t.wait.below(s.wait_target_secs), t.wait.n);
    let within_norm = share(t.service.n.saturating_sub(t.over_norm), t.service.n);
    let parts: Vec<u64> = [deadline, wait_target, within_norm].into_iter().flatten().collect();
    let duration = if parts.is_empty() { 0 } else { parts.iter().sum::<u64>() / parts.len() as u64 };

    let uptake = against(i.booked_visits, t.visits, 300);
    let once_only = 1000u64.saturating_sub(200 * u64::from(i.documents));
    let electronic = (400 * u64::from(i.online) * 1000 + 300 * uptake + 300 * once_only) / 1000;

    let training = i.training_tenths.map_or(0, |h| {
        let target = s.training_target_tenths.max(1);
        u64::try_from((h.max(0) * 1000 / target).min(1000)).unwrap_or(0)
    });

    let finished = t.served + t.not_served;
    let coverage = against(t.ratings, finished, 200);
    let handling = share(i.complaints_on_time, i.complaints_answered).unwrap_or(1000);
    let feedback = (coverage + handling) / 2;

    let satisfaction = t.satisfaction().unwrap_or(0);

    let params = [information, duration, electronic, training, feedback, satisfaction];
    let weights: u64 = s.weights.iter().map(|w| u64::from(*w)).sum();
    let weighted: u64 = params.iter().zip(s.weights).map(|(p, w)| p * u64::from(w)).sum();
    let total = (weighted + weights / 2).checked_div(weights).unwrap_or(0);
    let tenths = |v: u64| i64::try_from(v).unwrap_or(0);
    let breakdown = json!({
        "methodology": METHODOLOGY,
        "information": { "items": i.information_items, "of": 8, "channels": i.channels, "bookable": i.bookable },
        "duration": {
            "applications": i.applications.map(|(n, ok)| json!({ "finished": n, "on_time": ok })),
            "waits": t.wait.n, "waits_within_target": t.wait.below(s.wait_target_secs),
            "wait_target_secs": s.wait_target_secs,
            "services": t.service.n, "over_norm": t.over_norm,
        },
        "electronic": { "online": i.online, "visits": t.visits, "booked_online": i.booked_visits, "documents": i.documents },
        "training": { "hours_tenths": i.training_tenths, "target_tenths": s.training_target_tenths },
        "feedback": {
            "finished": finished, "ratings": t.ratings,
            "complaints_answered": i.complaints_answered, "complaints_on_time": i.complaints_on_time,
        },
        "satisfaction": { "ratings": t.ratings, "satisfied": t.satisfied },
        "weights": s.weights,
    });
    (
        [
            tenths(information),
            tenths(duration),
            tenths(electronic),
            tenths(training),
            tenths(feedback),
            tenths(satisfaction),
            tenths(total),
        ],
        breakdown,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_follows_its_formula() {
        let mut tally = Tally { visits: 100, served: 90, not_served: 10, over_norm: 25, ..Tally::default() };
        for secs in [60, 300, 600, 1200] {
            tally.wait.add(secs);
        }
        for _ in 0..100 {
            tally.service.add(400);
        }
        tally.over_norm = 25;
        [5, 5, 4, 3, 1].iter().for_each(|r| tally.add_rating(*r));
        let inputs = ServiceInputs {
            information_items: 8,
            channels: 2,
            bookable: true,
            online: true,
            documents: 2,
            tally,
            booked_visits: 15,
            complaints_answered: 4,
            complaints_on_time: 3,
            applications: None,
            training_tenths: Some(50),
        };
        let (scores, breakdown) = score(&inputs, &Settings::default());
        // information: 0.6·1 + 0.4·3/6
        assert_eq!(scores[0], 800);
        // duration: waits under 15 min 3/4, within norm 75/100
        assert_eq!(scores[1], 750);
        // electronic: 0.4 + 0.3·(15 % of 30 %) + 0.3·(1 − 0.4)
        assert_eq!(scores[2], 400 + 150 + 180);
        assert_eq!(scores[3], 500);
        // feedback: coverage 5 %/20 % = 250, handling 750
        assert_eq!(scores[4], 500);
        assert_eq!(scores[5], 600);
        let total = (800 * 20 + 750 * 20 + 730 * 15 + 500 * 10 + 500 * 15 + 600 * 20 + 50) / 100;
        assert_eq!(scores[6], total);
        assert_eq!(breakdown["methodology"], METHODOLOGY);
        assert_eq!(breakdown["duration"]["waits_within_target"], 3);

        let empty = score(&ServiceInputs::default(), &Settings::default()).0;
        assert_eq!(
            empty,
            [0, 0, 300, 0, 500, 0, (300 * 15 + 500 * 15 + 50) / 100],
            "no documents: once-only"
        );
        let with_deadlines = ServiceInputs { applications: Some((10, 9)), ..inputs };
        assert_eq!(score(&with_deadlines, &Settings::default()).0[1], (900 + 750 + 750) / 3);
    }
}
