//! The tamper-evident audit trail.
//!
//! Every state change appends an entry in the same transaction as the change. Each entry carries
//! the SHA-256 of its own content and of the entry before it, so editing or deleting an entry breaks
//! the chain at that point. Periodically the chain's head is signed with the agency's Ed25519 key;
//! someone with write access to the database but not the key cannot rewrite history and re-sign it.
//! [`ChainVerifier`] walks a chain and its signatures and names the first entry that is wrong.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the action was carried out or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The change was made.
    Done,
    /// The request was refused (bad credentials, no permission, a missing CSRF token, …).
    Refused,
}

impl Outcome {
    /// The outcome's name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
        }
    }

    /// Reads a stored outcome.
    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "done" => Some(Outcome::Done),
            "refused" => Some(Outcome::Refused),
            _ => None,
        }
    }
}

/// What happened, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened (kept to the microsecond).
    pub at: Timestamp,
    /// Who did it: `staff:LOGIN`, `device:ID`, `cli:USER`, `anonymous` or `system`.
    pub actor: String,
    /// The actor's role or device kind, when known.
    pub role: Option<String>,
    /// Where the request came from: an IP address, `cli`, or a device.
    pub origin: Option<String>,
    /// What was done, dotted: `staff.create`, `session.start`, `sign_in.fail`, `access.refused`.
    pub action: String,
    /// The record touched: `staff:LOGIN`, `device:ID`, a route.
    pub record: Option<String>,
    /// A short before/after summary, free of personal data.
    pub summary: String,
    /// Done or refused.
    pub outcome: Outcome,
}

impl AuditEvent {
    /// An event with the given essentials; origin, role and record are set with the `with_*` methods.
    pub fn new(at: Timestamp, actor: impl Into<String>, action: &str, summary: impl Into<String>) -> Self {
        AuditEvent {
            at,
            actor: actor.into(),
            role: None,
            origin: None,
            action: action.to_owned(),
            record: None,
            summary: summary.into(),
            outcome: Outcome::Done,
        }
    }

    /// Sets the actor's role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Sets the origin.
    pub fn with_origin(mut self, origin: Option<String>) -> Self {
        self.origin = origin;
        self
    }

    /// Sets the record touched.
    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }

    /// Marks the event as a refusal.
    pub fn refused(mut self) -> Self {
        self.outcome = Outcome::Refused;
        self
    }
}

/// An entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its position, from 1 without gaps.
    pub seq: i64,
    /// The hash of the entry before it ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// The hash of this entry's content and `prev_hash`.
    pub hash: String,
    /// What happened.
    pub event: AuditEvent,
}

/// The newest entry's position and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The newest entry's position.
    pub seq: i64,
    /// The newest entry's hash.
    pub hash: String,
}

/// Appends `event` after `head` (or starts the chain): the entry to store.
pub fn seal(head: Option<&ChainHead>, mut event: AuditEvent) -> AuditEntry {
    event.at = Timestamp::from_microsecond(event.at.as_microsecond()).expect("an existing timestamp");
    let seq = head.map_or(1, |h| h.seq + 1);
    let prev_hash = head.map_or(GENESIS_HASH.to_owned(), |h| h.hash.clone());
    let hash = entry_hash(seq, &prev_hash, &event);
    AuditEntry { seq, prev_hash, hash, event }
}

/// The hash of an entry: SHA-256 over its fields, each length-prefixed, in lower-case hex.
pub fn entry_hash(seq: i64, prev_hash: &str, event: &AuditEvent) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    field(b"onestop-audit-v1");
    field(&seq.to_be_bytes());
    field(prev_hash.as_bytes());
    field(&event.at.as_microsecond().to_be_bytes());
    field(event.actor.as_bytes());
    field(event.role.as_deref().unwrap_or("\u{0}").as_bytes());
    field(event.origin.as_deref().unwrap_or("\u{0}").as_bytes());
    field(event.action.as_bytes());
    field(event.record.as_deref().unwrap_or("\u{0}").as_bytes());
    field(event.summary.as_bytes());
    field(event.outcome.as_str().as_bytes());
    hex(&hash.finalize())
}

/// A signature over the chain's head at some moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSignature {
    /// The signed entry's position.
    pub seq: i64,
    /// The signed entry's hash.
    pub hash: String,
    /// The Ed25519 signature (64 bytes) of [`signing_message`].
    pub signature: Vec<u8>,
    /// Which key signed: see [`key_id`].
    pub key_id: String,
    /// When it was signed.
    pub signed_at: Timestamp,
}

/// The bytes that are signed for a head.
pub fn signing_message(seq: i64, hash: &str) -> Vec<u8> {
    format!("onestop-audit-head:v1:{seq}:{hash}").into_bytes()
}

/// A short, stable name of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(key.as_bytes())[..8])
}

/// Signs `head` with `key` at `now`.
pub fn sign(key: &SigningKey, head: &ChainHead, now: Timestamp) -> AuditSignature {
    AuditSignature {
        seq: head.seq,
        hash: head.hash.clone(),
        signature: key.sign(&signing_message(head.seq, &head.hash)).to_bytes().to_vec(),
        key_id: key_id(&key.verifying_key()),
        signed_at: now,
    }
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq} is broken: {reason}")]
pub struct Broken {
    /// The entry at fault.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a successful verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// Signatures checked.
    pub signatures: u64,
}

/// Walks a chain entry by entry (in `seq` order), checking links, hashes and signatures.
#[derive(Debug)]
pub struct ChainVerifier {
    key: Option<VerifyingKey>,
    signatures: Vec<AuditSignature>,
    next_signature: usize,
    expected_seq: i64,
    prev_hash: String,
    entries: u64,
}

impl ChainVerifier {
    /// A verifier of the given signatures with `key`. Without a key, signatures are refused
    /// (a chain that was signed cannot be called verified without checking them).
    pub fn new(key: Option<VerifyingKey>, mut signatures: Vec<AuditSignature>) -> Self {
        signatures.sort_by_key(|s| s.seq);
        ChainVerifier {
            key,
            signatures,
            next_signature: 0,
            expected_seq: 1,
            prev_hash: GENESIS_HASH.into(),
            entries: 0,
        }
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), Broken> {
        let broken = |reason: String| Broken { seq: entry.seq, reason };
        if entry.seq != self.expected_seq {
            return Err(Broken {
                seq: self.expected_seq,
                reason: format!("it is missing (the chain jumps to entry {})", entry.seq),
            });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(broken("it does not follow the entry before it (its previous hash differs)".into()));
        }
        if entry_hash(entry.seq, &entry.prev_hash, &entry.event) != entry.hash {
            return Err(broken("its content does not match its hash (it was edited)".into()));
        }
        while let Some(signature) = self.signatures.get(self.next_signature).filter(|s| s.seq == entry.seq) {
            if signature.hash != entry.hash {
                return Err(broken(format!("it differs from what was signed at {}", signature.signed_at)));
            }
            let Some(key) = &self.key else {
                return Err(broken("it is signed but no verifying key was given".into()));
            };
            if signature.key_id != key_id(key) {
                return Err(broken(format!(
                    "it was signed with key {}, not the configured key {}",
                    signature.key_id,
                    key_id(key)
                )));
            }
            let valid = Signature::from_slice(&signature.signature)
                .is_ok_and(|s| key.verify(&signing_message(signature.seq, &signature.hash), &s).is_ok());
            if !valid {
                return Err(broken("its signature is not valid".into()));
            }
            self.next_signature += 1;
        }
        if let Some(skipped) = self.signatures.get(self.next_signature).filter(|s| s.seq < entry.seq) {
            return Err(Broken { seq: skipped.seq, reason: "it was signed but is gone".into() });
        }
        self.prev_hash.clone_from(&entry.hash);
        self.expected_seq += 1;
        self.entries += 1;
        Ok(())
    }

    /// Finishes: every signature must have met its entry.
    pub fn finish(self) -> Result<Verified, Broken> {
        if let Some(orphan) = self.signatures.get(self.next_signature) {
            return Err(Broken {
                seq: orphan.seq,
                reason: "it was signed but is gone (the chain was cut short)".into(),
            });
        }
        Ok(Verified { entries: self.entries, signatures: self.next_signature as u64 })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let head = entries.last().map(|e| ChainHead { seq: e.seq, hash: e.hash.clone() });
            let event = AuditEvent::new(at(i), "staff:admin", "staff.create", format!("created staff:u{i}"))
                .with_record(format!("staff:u{i}"));
            entries.push(seal(head.as_ref(), event));
        }
        entries
    }

    fn verify(
        entries: &[AuditEntry],
        key: Option<VerifyingKey>,
        sigs: Vec<AuditSignature>,
    ) -> Result<Verified, Broken> {
        let mut v = ChainVerifier::new(key, sigs);
        for e in entries {
            v.push(e)?;
        }
        v.finish()
    }

    fn head(e: &AuditEntry) -> ChainHead {
        ChainHead { seq: e.seq, hash: e.hash.clone() }
    }

    #[test]
    fn an_intact_signed_chain_verifies() {
        let entries = chain(6);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[5].seq, 6);
        let key = SigningKey::from_bytes(&[9; 32]);
        let sigs = vec![sign(&key, &head(&entries[2]), at(10)), sign(&key, &head(&entries[5]), at(20))];
        assert_eq!(
            verify(&entries, Some(key.verifying_key()), sigs),
            Ok(Verified { entries: 6, signatures: 2 })
        );
    }

    #[test]
    fn an_edit_is_named() {
        let mut entries = chain(6);
        entries[3].event.summary = "created staff:nobody".into();
        assert_eq!(verify(&entries, None, vec![]).unwrap_err().seq, 4);
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut entries = chain(6);
        entries[3].event.summary = "created staff:nobody".into();
        entries[3].hash = entry_hash(4, &entries[3].prev_hash, &entries[3].event);
        let err = verify(&entries, None, vec![]).unwrap_err();
        assert_eq!(err.seq, 5);
        assert!(err.reason.contains("does not follow"));
    }

    #[test]
    fn a_rewritten_history_fails_its_signature() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let entries = chain(6);
        let sigs = vec![sign(&key, &head(&entries[4]), at(10))];
        // Rewrite entry 2 and re-chain everything after it, as someone with the database could.
        let mut forged: Vec<AuditEntry> = entries[..1].to_vec();
        for (i, e) in entries[1..].iter().enumerate() {
            let mut event = e.event.clone();
            if i == 0 {
                event.summary = "nothing happened".into();
            }
            let h = head(forged.last().unwrap());
            forged.push(seal(Some(&h), event));
        }
        let err = verify(&forged, Some(key.verifying_key()), sigs.clone()).unwrap_err();
        assert_eq!(err.seq, 5);
        // A signature made by another key is refused too.
        let other = SigningKey::from_bytes(&[1; 32]);
        let err = verify(&entries, Some(other.verifying_key()), sigs).unwrap_err();
        assert!(err.reason.contains("signed with key"), "{err}");
    }

    #[test]
    fn deletions_and_truncations_are_named() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let mut entries = chain(6);
        let sigs = vec![sign(&key, &head(&entries[5]), at(10))];
        let mut gap = entries.clone();
        gap.remove(2);
        let err = verify(&gap, Some(key.verifying_key()), sigs.clone()).unwrap_err();
        assert_eq!(err, Broken { seq: 3, reason: "it is missing (the chain jumps to entry 4)".into() });
        entries.truncate(4);
        let err = verify(&entries, Some(key.verifying_key()), sigs).unwrap_err();
        assert_eq!(err.seq, 6);
        assert!(err.reason.contains("cut short"));
    }

    #[test]
    fn a_tampered_signature_is_named() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let entries = chain(3);
        let mut sig = sign(&key, &head(&entries[1]), at(10));
        sig.signature[0] ^= 1;
        let err = verify(&entries, Some(key.verifying_key()), vec![sig]).unwrap_err();
        assert_eq!(err, Broken { seq: 2, reason: "its signature is not valid".into() });
    }

    #[test]
    fn timestamps_are_sealed_to_the_microsecond() {
        let event = AuditEvent::new(
            Timestamp::from_nanosecond(1_800_000_000_123_456_789).unwrap(),
            "system",
            "x",
            "y",
        );
        let entry = seal(None, event);
        assert_eq!(entry.event.at.subsec_nanosecond(), 123_456_000);
        assert_eq!(entry.hash, entry_hash(1, GENESIS_HASH, &entry.event));
    }
}
