//! Staff sign-in sessions: how long they last and when they end.

use jiff::{SignedDuration, Timestamp};

/// How long a session lasts at most: a working day and a bit.
pub const MAX_AGE: SignedDuration = SignedDuration::from_hours(12);
/// How long a session survives without a request.
pub const IDLE_LIMIT: SignedDuration = SignedDuration::from_mins(60);
/// How often a session's last-seen time is written (not on every request).
pub const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);

/// The times that decide whether a session still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// When it started.
    pub created_at: Timestamp,
    /// When it was last used (to within [`TOUCH_EVERY`]).
    pub last_seen_at: Timestamp,
    /// When it ends regardless of use.
    pub expires_at: Timestamp,
    /// When it was ended by sign-out, suspension, a password change or an admin.
    pub revoked_at: Option<Timestamp>,
}

/// Why a session no longer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionEnded {
    /// It was signed out or revoked.
    #[error("the session was ended")]
    Revoked,
    /// It reached its maximum age.
    #[error("the session expired")]
    Expired,
    /// It was unused for too long.
    #[error("the session timed out after inactivity")]
    Idle,
}

impl SessionTimes {
    /// Times of a session started at `now`.
    pub fn start(now: Timestamp) -> SessionTimes {
        SessionTimes { created_at: now, last_seen_at: now, expires_at: now + MAX_AGE, revoked_at: None }
    }

    /// Whether the session holds at `now`.
    pub fn check(&self, now: Timestamp) -> Result<(), SessionEnded> {
        if self.revoked_at.is_some_and(|r| r <= now) {
            return Err(SessionEnded::Revoked);
        }
        if now >= self.expires_at {
            return Err(SessionEnded::Expired);
        }
        if now >= self.last_seen_at + IDLE_LIMIT {
            return Err(SessionEnded::Idle);
        }
        Ok(())
    }

    /// Whether a request at `now` should record itself as the session's last use.
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        now >= self.last_seen_at + TOUCH_EVERY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mins: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + mins * 60).unwrap()
    }

    #[test]
    fn sessions_end_by_revocation_age_or_idleness() {
        let s = SessionTimes::start(at(0));
        assert_eq!(s.check(at(59)), Ok(()));
        assert_eq!(s.check(at(60)), Err(SessionEnded::Idle));
        let busy = SessionTimes { last_seen_at: at(12 * 60 - 5), ..s };
        assert_eq!(busy.check(at(12 * 60 - 1)), Ok(()));
        assert_eq!(busy.check(at(12 * 60)), Err(SessionEnded::Expired));
        let revoked = SessionTimes { revoked_at: Some(at(3)), ..s };
        assert_eq!(revoked.check(at(2)), Ok(()));
        assert_eq!(revoked.check(at(3)), Err(SessionEnded::Revoked));
        assert!(!s.needs_touch(at(0)));
        assert!(s.needs_touch(at(1)));
    }
}
