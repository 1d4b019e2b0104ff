//! The booking form's defences, per process: the proof-of-work secret and the challenges already
//! spent, and fixed-window rate limits per client address and per national ID.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept per map before expired ones are swept.
const SWEEP_AT: usize = 50_000;

/// Counts per key in fixed windows.
#[derive(Debug, Default)]
struct Windows {
    counts: HashMap<String, (i64, u32)>,
}

impl Windows {
    /// Counts one more for `key` in the window of `length` at `now`; false when over `limit`.
    fn admit(&mut self, key: &str, limit: u32, length: SignedDuration, now: Timestamp) -> bool {
        let secs = length.as_secs().max(1);
        let window = now.as_second().div_euclid(secs);
        if self.counts.len() >= SWEEP_AT {
            self.counts.retain(|_, (w, _)| *w == window);
        }
        let entry = self.counts.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= limit
    }
}

/// The defences of one process.
#[derive(Debug)]
pub struct Guard {
    secret: [u8; 32],
    spent: Mutex<HashMap<String, Timestamp>>,
    by_ip: Mutex<Windows>,
    by_id: Mutex<Windows>,
}

impl Guard {
    /// A guard signing challenges with `secret`.
    pub fn new(secret: [u8; 32]) -> Guard {
        Guard { secret, spent: Mutex::default(), by_ip: Mutex::default(), by_id: Mutex::default() }
    }

    /// The secret challenges are signed with.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Marks challenge `id` spent until `until`; false when it was spent already.
    pub fn spend(&self, id: &str, until: Timestamp, now: Timestamp) -> bool {
        let mut spent = self.spent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if spent.len() >= SWEEP_AT {
            spent.retain(|_, t| *t > now);
        }
        match spent.get(id) {
            Some(t) if *t > now => false,
            _ => {
                spent.insert(id.to_owned(), until);
                true
            }
        }
    }

    /// Admits one more attempt from address `ip` (`limit` a minute).
    pub fn admit_ip(&self, ip: &str, limit: u32, now: Timestamp) -> bool {
        let mut w = self.by_ip.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        w.admit(ip, limit, SignedDuration::from_mins(1), now)
    }

    /// Admits one more attempt for national ID `fin` (`limit` an hour).
    pub fn admit_id(&self, fin: &str, limit: u32, now: Timestamp) -> bool {
        let mut w = self.by_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        w.admit(fin, limit, SignedDuration::from_hours(1), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_window_and_challenges_spend_once() {
        let g = Guard::new([1; 32]);
        let now: Timestamp = "2026-11-28T09:00:00Z".parse().unwrap();
        assert!(g.admit_ip("1.2.3.4", 2, now));
        assert!(g.admit_ip("1.2.3.4", 2, now));
        assert!(!g.admit_ip("1.2.3.4", 2, now));
        assert!(g.admit_ip("5.6.7.8", 2, now));
        assert!(g.admit_ip("1.2.3.4", 2, now + SignedDuration::from_mins(1)));
        assert!(g.admit_id("5ABC12K", 1, now));
        assert!(!g.admit_id("5ABC12K", 1, now + SignedDuration::from_mins(59)));
        let until = now + SignedDuration::from_mins(5);
        assert!(g.spend("c1", until, now));
        assert!(!g.spend("c1", until, now));
        assert!(g.spend("c1", until, until));
    }
}
