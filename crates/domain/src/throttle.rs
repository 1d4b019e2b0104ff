//! Throttling of failed sign-ins, per login: after a few failures each further attempt must wait
//! longer (1 s, 2 s, 4 s … up to a minute), and after many the login is locked for a while.
//! A success clears it. The same rule applies to logins that do not exist, so a caller cannot
//! tell them apart by how they are throttled.

use jiff::{SignedDuration, Timestamp};

/// Failures allowed before back-off starts.
pub const FREE_FAILURES: u32 = 3;
/// The longest back-off between attempts.
pub const MAX_BACKOFF: SignedDuration = SignedDuration::from_secs(60);
/// Failures in a row that lock the login.
pub const LOCK_AFTER: u32 = 10;
/// How long a lock lasts.
pub const LOCK_FOR: SignedDuration = SignedDuration::from_mins(15);

/// The throttle state of one login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttle {
    /// Failures in a row since the last success or the end of the last lock.
    pub failures: u32,
    /// When the last failure happened.
    pub last_failure: Option<Timestamp>,
    /// Until when the login is locked, if it is.
    pub locked_until: Option<Timestamp>,
}

/// Why an attempt may not be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too soon after the last failure: wait until the given time.
    BackOff(Timestamp),
    /// The login is locked until the given time.
    Locked(Timestamp),
}

impl Refusal {
    /// When the next attempt may be made.
    pub fn until(self) -> Timestamp {
        match self {
            Refusal::BackOff(t) | Refusal::Locked(t) => t,
        }
    }
}

impl Throttle {
    /// Whether an attempt may be made at `now`.
    pub fn check(&self, now: Timestamp) -> Result<(), Refusal> {
        if let Some(until) = self.locked_until
            && now < until
        {
            return Err(Refusal::Locked(until));
        }
        if let Some(wait) = self.backoff()
            && let Some(last) = self.last_failure
            && now < last + wait
        {
            return Err(Refusal::BackOff(last + wait));
        }
        Ok(())
    }

    fn backoff(&self) -> Option<SignedDuration> {
        let over = self.failures.checked_sub(FREE_FAILURES)?;
        let secs = 1i64.checked_shl(over.min(16)).unwrap_or(i64::MAX);
        Some(SignedDuration::from_secs(secs).min(MAX_BACKOFF))
    }

    /// The state after a failed attempt at `now`; the second value says whether it locked.
    pub fn after_failure(&self, now: Timestamp) -> (Throttle, bool) {
        let expired_lock = self.locked_until.is_some_and(|until| now >= until);
        let failures = if expired_lock { 1 } else { self.failures + 1 };
        let locks = failures >= LOCK_AFTER;
        let next = Throttle {
            failures: if locks { 0 } else { failures },
            last_failure: Some(now),
            locked_until: if locks {
                Some(now + LOCK_FOR)
            } else if expired_lock {
                None
            } else {
                self.locked_until
            },
        };
        (next, locks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn three_failures_are_free_then_waits_double() {
        let mut t = Throttle::default();
        for i in 0..3 {
            assert_eq!(t.check(at(i)), Ok(()));
            t = t.after_failure(at(i)).0;
        }
        // Fourth failure recorded at 2 s; the next attempt must wait 1 s.
        assert_eq!(t.check(at(2)), Err(Refusal::BackOff(at(3))));
        assert_eq!(t.check(at(3)), Ok(()));
        t = t.after_failure(at(3)).0;
        assert_eq!(t.check(at(4)), Err(Refusal::BackOff(at(5))));
        t = t.after_failure(at(5)).0;
        assert_eq!(t.check(at(8)), Err(Refusal::BackOff(at(9))));
    }

    #[test]
    fn backoff_is_capped() {
        let t = Throttle { failures: 9, last_failure: Some(at(0)), locked_until: None };
        assert_eq!(t.check(at(59)), Err(Refusal::BackOff(at(60))));
        let t = Throttle { failures: 40, last_failure: Some(at(0)), locked_until: None };
        assert_eq!(t.check(at(60)), Ok(()));
    }

    #[test]
    fn ten_failures_lock_for_fifteen_minutes() {
        let t = Throttle { failures: 9, last_failure: Some(at(0)), locked_until: None };
        let (locked, locks) = t.after_failure(at(100));
        assert!(locks);
        let until = at(100) + LOCK_FOR;
        assert_eq!(locked.check(at(101)), Err(Refusal::Locked(until)));
        assert_eq!(locked.check(until), Ok(()));
        // A failure after the lock ends starts counting afresh.
        let (after, locks) = locked.after_failure(until);
        assert!(!locks);
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked_until, None);
    }
}
