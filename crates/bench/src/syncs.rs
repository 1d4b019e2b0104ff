//! The server's syncs of its log during a phase of the load, read from its `/metrics` (the
//! histogram `onestop_db_log_sync_seconds`): the disk's own latency, which every acknowledged
//! write waits for, to set beside the latency the load measured.

use crate::client::Api;

const BUCKET: &str = "onestop_db_log_sync_seconds_bucket{le=\"";

/// A reading of the histogram: cumulative counts by upper bound in seconds (`+Inf` as infinity),
/// in the server's order. Its counts stay zero on PostgreSQL, which commits for itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncHistogram {
    buckets: Vec<(f64, u64)>,
}

impl SyncHistogram {
    /// Reads the histogram from the server's `/metrics`.
    pub async fn read(api: &Api) -> Result<SyncHistogram, String> {
        let response = api
            .http()
            .get(format!("{}/metrics", api.base()))
            .send()
            .await
            .map_err(|e| format!("metrics: {e}"))?;
        let text = response.text().await.map_err(|e| format!("metrics: {e}"))?;
        Ok(SyncHistogram::parse(&text))
    }

    /// The histogram's buckets in Prometheus' text format.
    pub fn parse(text: &str) -> SyncHistogram {
        let buckets = text
            .lines()
            .filter_map(|line| line.strip_prefix(BUCKET))
            .filter_map(|rest| {
                let (bound, count) = rest.split_once("\"} ")?;
                let bound = if bound == "+Inf" { f64::INFINITY } else { bound.parse().ok()? };
                Some((bound, count.trim().parse().ok()?))
            })
            .collect();
        SyncHistogram { buckets }
    }

    /// The syncs made between `earlier` and this reading (both of the same server).
    pub fn since(&self, earlier: &SyncHistogram) -> SyncHistogram {
        let buckets = self
            .buckets
            .iter()
            .map(|&(bound, n)| {
                let before = earlier.buckets.iter().find(|(b, _)| *b == bound).map_or(0, |(_, n)| *n);
                (bound, n.saturating_sub(before))
            })
            .collect();
        SyncHistogram { buckets }
    }

    /// How many syncs there were.
    pub fn count(&self) -> u64 {
        self.buckets.last().map_or(0, |(_, n)| *n)
    }

    /// How many syncs took longer than `seconds`, which must be one of the bounds (else all count).
    pub fn over(&self, seconds: f64) -> u64 {
        let within = self.buckets.iter().find(|(bound, _)| *bound == seconds).map_or(0, |(_, n)| *n);
        self.count() - within
    }

    /// The bounds, in seconds, of the bucket holding the longest sync: (the bound below it, its
    /// own bound); `None` when there was no sync.
    pub fn longest(&self) -> Option<(f64, f64)> {
        let all = self.count();
        if all == 0 {
            return None;
        }
        let at = self.buckets.iter().position(|(_, n)| *n == all)?;
        let below = if at == 0 { 0.0 } else { self.buckets[at - 1].0 };
        Some((below, self.buckets[at].0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(counts: [u64; 4]) -> String {
        let bounds = ["0.001", "0.01", "0.05", "+Inf"];
        let mut text = String::from("# TYPE onestop_db_log_sync_seconds histogram\n");
        text.push_str("onestop_db_log_sync_seconds_sum 0.5\nonestop_db_log_sync_seconds_count 9\n");
        for (bound, n) in bounds.iter().zip(counts) {
            text.push_str(&format!("onestop_db_log_sync_seconds_bucket{{le=\"{bound}\"}} {n}\n"));
        }
        text.push_str("onestop_db_log_syncs 9\n");
        text
    }

    #[test]
    fn the_syncs_of_a_phase_are_the_difference_of_two_readings() {
        let before = SyncHistogram::parse(&reading([5, 8, 9, 9]));
        let after = SyncHistogram::parse(&reading([105, 110, 112, 113]));
        let phase = after.since(&before);
        assert_eq!(phase.count(), 104);
        assert_eq!(phase.over(0.001), 4);
        assert_eq!(phase.over(0.01), 2);
        assert_eq!(phase.over(0.05), 1);
        // The longest took more than 50 ms: it is in the +Inf bucket.
        assert_eq!(phase.longest(), Some((0.05, f64::INFINITY)));
        // Without a sync over 10 ms, the longest is bounded by 10 ms.
        let calm = SyncHistogram::parse(&reading([100, 108, 109, 109])).since(&before);
        assert_eq!(calm.longest(), Some((0.001, 0.01)));
        assert_eq!(calm.over(0.01), 0);
    }

    #[test]
    fn a_server_without_syncs_reads_as_none() {
        for none in
            [SyncHistogram::parse("onestop_db_group_commits 0\n"), SyncHistogram::parse(&reading([0; 4]))]
        {
            assert_eq!(none.count(), 0);
            assert_eq!(none.over(0.01), 0);
            assert_eq!(none.longest(), None);
        }
    }
}
