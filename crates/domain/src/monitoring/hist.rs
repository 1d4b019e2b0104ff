//! Duration histograms with a fixed resolution, so that percentiles computed from rollups equal
//! percentiles computed from raw events exactly.
//!
//! A duration is counted in whole seconds (a fraction is dropped, a negative duration counts as
//! zero) and falls in one bucket:
//!
//! | durations       | bucket width | buckets |
//! |-----------------|--------------|---------|
//! | 0 – 10 minutes  | 10 seconds   | 60      |
//! | 10 – 60 minutes | 1 minute     | 50      |
//! | 1 – 4 hours     | 5 minutes    | 36      |
//! | 4 hours or more | one bucket   | 1       |
//!
//! A percentile is the **nearest rank**: of `n` durations in ascending order, the `p`-th
//! percentile is the `⌈p·n/100⌉`-th (at least the first), reported as the lower bound of its
//! bucket. Since buckets are ordered, the bucket of the `k`-th smallest duration is the first
//! bucket whose running count reaches `k` — so merging histograms (adding their counts) and then
//! taking a percentile gives the same figure as sorting every raw duration, taking the `k`-th and
//! rounding it down to its bucket ([`round_down`]). That is what the property tests check.

use serde::{Deserialize, Serialize};

/// The number of buckets.
pub const BUCKETS: usize = 147;

/// Durations of at least this many seconds share the last bucket.
pub const OVERFLOW_SECS: i64 = 4 * 3600;

/// The bucket of a duration of `secs` whole seconds.
pub fn bucket_of(secs: i64) -> usize {
    let secs = secs.max(0);
    let index = if secs < 600 {
        secs / 10
    } else if secs < 3600 {
        60 + (secs - 600) / 60
    } else if secs < OVERFLOW_SECS {
        110 + (secs - 3600) / 300
    } else {
        146
    };
    usize::try_from(index).unwrap_or(BUCKETS - 1)
}

/// The lower bound of bucket `bucket`, in seconds.
pub fn lower_bound(bucket: usize) -> i64 {
    let b = i64::try_from(bucket.min(BUCKETS - 1)).unwrap_or(146);
    if b < 60 {
        b * 10
    } else if b < 110 {
        600 + (b - 60) * 60
    } else if b < 146 {
        3600 + (b - 110) * 300
    } else {
        OVERFLOW_SECS
    }
}

/// A duration of `secs` seconds rounded down to its bucket's lower bound: the resolution every
/// reported percentile has.
pub fn round_down(secs: i64) -> i64 {
    lower_bound(bucket_of(secs))
}

/// The rank of the `p`-th percentile among `n` values by the nearest-rank method (1-based):
/// `⌈p·n/100⌉`, at least 1. `p` is in percent (50 for the median).
pub fn nearest_rank(p: u32, n: u64) -> u64 {
    (u64::from(p) * n).div_ceil(100).max(1)
}

/// Counts of durations per bucket, with their number and exact sum.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Histogram {
    /// Either empty (every count zero: most cells have no durations, and a report reads hundreds
    /// of thousands of cells) or one count per bucket.
    counts: Vec<u64>,
    /// Durations counted.
    pub n: u64,
    /// Their sum in whole seconds, for means.
    pub sum_secs: i64,
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        let count = |h: &Histogram, b: usize| h.counts.get(b).copied().unwrap_or(0);
        self.n == other.n
            && self.sum_secs == other.sum_secs
            && (0..BUCKETS).all(|b| count(self, b) == count(other, b))
    }
}

impl Eq for Histogram {}

impl Histogram {
    /// The counts, one per bucket, allocated on first use.
    fn counts_mut(&mut self) -> &mut [u64] {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        &mut self.counts
    }

    /// Counts one duration of `secs` whole seconds (negative counts as zero).
    pub fn add(&mut self, secs: i64) {
        let secs = secs.max(0);
        self.counts_mut()[bucket_of(secs)] += 1;
        self.n += 1;
        self.sum_secs += secs;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if !other.counts.is_empty() {
            for (mine, theirs) in self.counts_mut().iter_mut().zip(&other.counts) {
                *mine += theirs;
            }
        }
        self.n += other.n;
        self.sum_secs += other.sum_secs;
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The `p`-th percentile in seconds (rounded down to its bucket), `None` when empty.
    pub fn percentile(&self, p: u32) -> Option<i64> {
        if self.n == 0 {
            return None;
        }
        let rank = nearest_rank(p, self.n);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(lower_bound(bucket));
            }
        }
        Some(OVERFLOW_SECS)
    }

    /// The mean in whole seconds (rounded down), `None` when empty.
    pub fn mean(&self) -> Option<i64> {
        let n = i64::try_from(self.n).ok().filter(|n| *n > 0)?;
        Some(self.sum_secs.div_euclid(n))
    }

    /// How many durations are below `secs` seconds, counting whole buckets: exact when `secs` is
    /// a bucket bound ([`lower_bound`]), as targets such as 15 or 20 minutes are.
    pub fn below(&self, secs: i64) -> u64 {
        let end = bucket_of(secs).min(self.counts.len());
        self.counts[..end].iter().sum()
    }

    /// The counts as compact text, `bucket:count` pairs of non-empty buckets joined by `,` (empty
    /// text for an empty histogram): how storage keeps them.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (bucket, count) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&format!("{bucket}:{count}"));
        }
        out
    }

    /// The histogram of `text` (as [`Histogram::encode`] writes it) with its `n` and `sum_secs`,
    /// or `None` when the text does not read or disagrees with `n`.
    pub fn decode(text: &str, n: u64, sum_secs: i64) -> Option<Histogram> {
        let mut h = Histogram { counts: Vec::new(), n, sum_secs };
        let mut total = 0;
        for pair in text.split(',').filter(|p| !p.is_empty()) {
            let (bucket, count) = pair.split_once(':')?;
            let bucket: usize = bucket.parse().ok().filter(|b| *b < BUCKETS)?;
            let count: u64 = count.parse().ok()?;
            h.counts_mut()[bucket] += count;
            total += count;
        }
        (total == n).then_some(h)
    }
}

/// The `p`-th percentile of raw durations by the nearest-rank method, rounded down to its
/// bucket: what [`Histogram::percentile`] answers, computed the slow way, for checks.
pub fn brute_percentile(durations: &[i64], p: u32) -> Option<i64> {
    if durations.is_empty() {
        return None;
    }
    let mut sorted: Vec<i64> = durations.iter().map(|d| (*d).max(0)).collect();
    sorted.sort_unstable();
    let n = u64::try_from(sorted.len()).unwrap_or(u64::MAX);
    let rank = usize::try_from(nearest_rank(p, n)).unwrap_or(usize::MAX);
    sorted.get(rank - 1).map(|d| round_down(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_duration_in_order() {
        let mut last = 0;
        for secs in 0..(OVERFLOW_SECS + 1000) {
            let b = bucket_of(secs);
            assert!(b >= last && b < BUCKETS, "{secs}");
            assert!(lower_bound(b) <= secs);
            if b + 1 < BUCKETS {
                assert!(secs < lower_bound(b + 1), "{secs}");
            }
            last = b;
        }
        assert_eq!(bucket_of(-5), 0);
        assert_eq!((bucket_of(599), bucket_of(600), bucket_of(3599), bucket_of(3600)), (59, 60, 109, 110));
        assert_eq!((lower_bound(146), bucket_of(100_000)), (OVERFLOW_SECS, 146));
        assert_eq!((round_down(452), round_down(754), round_down(4000)), (450, 720, 3900));
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!((nearest_rank(50, 1), nearest_rank(50, 4), nearest_rank(50, 5)), (1, 2, 3));
        assert_eq!((nearest_rank(90, 10), nearest_rank(90, 11), nearest_rank(0, 7)), (9, 10, 1));
        let raw = [30, 610, 5, 1200, 95, 95, 400];
        let mut h = Histogram::default();
        raw.iter().for_each(|d| h.add(*d));
        for p in [0, 10, 50, 90, 99, 100] {
            assert_eq!(h.percentile(p), brute_percentile(&raw, p), "p{p}");
        }
        assert_eq!(h.percentile(50), Some(90));
        assert_eq!(h.mean(), Some((30 + 610 + 5 + 1200 + 95 + 95 + 400) / 7));
        assert_eq!(Histogram::default().percentile(50), None);
    }

    #[test]
    fn merged_histograms_answer_as_the_raw_values_do() {
        // A small linear congruential sequence: deterministic, varied.
        let mut x: u64 = 12345;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            i64::try_from((x >> 33) % 20_000).unwrap()
        };
        let parts: Vec<Vec<i64>> = (0..7).map(|i| (0..(i * 13 + 1)).map(|_| next()).collect()).collect();
        let mut merged = Histogram::default();
        for part in &parts {
            let mut h = Histogram::default();
            part.iter().for_each(|d| h.add(*d));
            let again = Histogram::decode(&h.encode(), h.n, h.sum_secs).unwrap();
            assert_eq!(again, h);
            merged.merge(&again);
        }
        let all: Vec<i64> = parts.concat();
        for p in 1..=100 {
            assert_eq!(merged.percentile(p), brute_percentile(&all, p), "p{p}");
        }
        assert_eq!(merged.below(900), all.iter().filter(|d| **d < 900).count() as u64);
        assert_eq!(Histogram::decode("3:2", 3, 0), None, "counts disagree with n");
        assert_eq!(Histogram::decode("999:1", 1, 0), None);
        assert_eq!(Histogram::decode("", 0, 0), Some(Histogram::default()));
        assert_eq!(Histogram::decode("4:0", 0, 0), Some(Histogram::default()), "zeros are no counts");
        let mut none = Histogram::default();
        none.merge(&Histogram::default());
        assert_eq!((none.percentile(50), none.below(900), none.encode()), (None, 0, String::new()));
        none.merge(&merged);
        assert_eq!(none, merged, "merging into an empty histogram copies the counts");
    }
}
