//! Idempotency keys: a client that retries a POST which creates something (a ticket, a booking,
//! a bill, a payment) sends the same `Idempotency-Key` and gets the first answer again instead of
//! a second record.
//!
//! The rule of what a retry gets lives here; the store keeps the records atomically.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// How long a stored answer is replayed; after this a key may be used afresh.
pub const RETENTION: SignedDuration = SignedDuration::from_hours(24);

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// A client-chosen idempotency key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    /// The key was empty.
    #[error("the Idempotency-Key is empty")]
    Empty,
    /// The key was longer than [`MAX_KEY_LEN`].
    #[error("the Idempotency-Key is longer than {MAX_KEY_LEN} characters")]
    TooLong,
    /// The key held a character outside visible ASCII.
    #[error("the Idempotency-Key may hold only visible ASCII characters")]
    BadCharacter,
}

impl IdempotencyKey {
    /// Checks and wraps a key as the client sent it.
    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        if raw.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if raw.len() > MAX_KEY_LEN {
            return Err(IdempotencyKeyError::TooLong);
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdempotencyKeyError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 of a request's method, path and body, in lower-case hex: a retry must match it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// Fingerprints a request. The parts are length-prefixed so that no two different requests
    /// can produce the same input to the hash.
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes(), body] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Self(hex(&hash.finalize()))
    }

    /// Wraps a fingerprint read back from storage.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The fingerprint as lower-case hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer given to the first request, replayed to every retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status code of the first answer.
    pub status: u16,
    /// The body of the first answer.
    pub body: Vec<u8>,
}

/// What the store holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The fingerprint of the request that first used the key.
    pub fingerprint: RequestFingerprint,
    /// When the key was first used.
    pub created_at: Timestamp,
    /// The first answer, once the first request has finished.
    pub response: Option<StoredResponse>,
}

/// What a request carrying an idempotency key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its record expired): go ahead, then store the answer.
    Fresh,
    /// The same request already finished: send this answer again, change nothing.
    Replay(StoredResponse),
    /// The same request is still being processed: ask the client to retry later.
    InFlight,
    /// The key was used for a different request: refuse.
    Mismatch,
}

/// Decides what a request may do, given the record already held for its key (if any).
pub fn decide(
    existing: Option<&IdempotencyRecord>,
    fingerprint: &RequestFingerprint,
    now: Timestamp,
) -> Claim {
    let Some(record) = existing else {
        return Claim::Fresh;
    };
    if is_expired(record, now) {
        return Claim::Fresh;
    }
    if &record.fingerprint != fingerprint {
        return Claim::Mismatch;
    }
    match &record.response {
        Some(response) => Claim::Replay(response.clone()),
        None => Claim::InFlight,
    }
}

/// Whether a record is older than [`RETENTION`] at `now`.
pub fn is_expired(record: &IdempotencyRecord, now: Timestamp) -> bool {
    now.duration_since(record.created_at) >= RETENTION
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn record(fp: &RequestFingerprint, response: Option<StoredResponse>) -> IdempotencyRecord {
        IdempotencyRecord { fingerprint: fp.clone(), created_at: at("2026-11-28T10:00:00Z"), response }
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(IdempotencyKey::parse(""), Err(IdempotencyKeyError::Empty));
        assert_eq!(IdempotencyKey::parse(&"a".repeat(256)), Err(IdempotencyKeyError::TooLong));
        assert_eq!(IdempotencyKey::parse("with space"), Err(IdempotencyKeyError::BadCharacter));
        assert_eq!(IdempotencyKey::parse("ключ"), Err(IdempotencyKeyError::BadCharacter));
        assert_eq!(IdempotencyKey::parse(&"a".repeat(255)).unwrap().as_str().len(), 255);
        assert_eq!(IdempotencyKey::parse("7f3c-01").unwrap().as_str(), "7f3c-01");
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        let a = RequestFingerprint::of("POST", "/a", b"bc");
        let b = RequestFingerprint::of("POST", "/ab", b"c");
        assert_ne!(a, b);
        assert_eq!(a, RequestFingerprint::of("POST", "/a", b"bc"));
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn a_retry_gets_what_its_record_allows() {
        let fp = RequestFingerprint::of("POST", "/x", b"{}");
        let other = RequestFingerprint::of("POST", "/x", b"{\"a\":1}");
        let now = at("2026-11-28T10:05:00Z");
        let done = StoredResponse { status: 201, body: b"{\"id\":1}".to_vec() };

        assert_eq!(decide(None, &fp, now), Claim::Fresh);
        assert_eq!(decide(Some(&record(&fp, None)), &fp, now), Claim::InFlight);
        assert_eq!(decide(Some(&record(&fp, Some(done.clone()))), &fp, now), Claim::Replay(done.clone()));
        assert_eq!(decide(Some(&record(&fp, Some(done.clone()))), &other, now), Claim::Mismatch);
        assert_eq!(decide(Some(&record(&fp, None)), &other, now), Claim::Mismatch);
    }

    #[test]
    fn records_expire_after_the_retention() {
        let fp = RequestFingerprint::of("POST", "/x", b"{}");
        let done = Some(StoredResponse { status: 201, body: vec![] });
        let just_before = at("2026-11-29T09:59:59Z");
        let at_expiry = at("2026-11-29T10:00:00Z");
        assert!(matches!(decide(Some(&record(&fp, done.clone())), &fp, just_before), Claim::Replay(_)));
        assert_eq!(decide(Some(&record(&fp, done)), &fp, at_expiry), Claim::Fresh);
    }
}
