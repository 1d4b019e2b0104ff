//! The proof-of-work challenge on the booking form: the server hands out a signed challenge; the
//! client finds a nonce such that SHA-256 of `challenge:nonce` starts with `difficulty` zero bits.
//! A citizen's browser does that in about a second; a bot pays the same for every attempt. The
//! server checks a solution with two hashes and no storage (the web layer remembers spent
//! challenges until they expire, so each is used once).

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// A challenge as handed out: `difficulty.issued.random.mac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The text the client hashes with its nonce.
    pub text: String,
    /// Zero bits required.
    pub difficulty: u8,
}

/// Why a solution is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// Not a challenge this server issued.
    #[error("the proof-of-work challenge is not one this server issued")]
    Forged,
    /// Issued too long ago.
    #[error("the proof-of-work challenge has expired: fetch a new one")]
    Expired,
    /// Issued with less work than now required.
    #[error("the proof-of-work challenge is too easy: fetch a new one")]
    TooEasy,
    /// The nonce does not solve it.
    #[error("the proof of work does not solve the challenge")]
    Unsolved,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn mac(secret: &[u8], body: &str) -> String {
    hex(&hmac_sha256(secret, body.as_bytes())[..16])
}

/// A new challenge of `difficulty` bits issued at `now`, signed with `secret`.
pub fn issue(secret: &[u8], difficulty: u8, now: Timestamp, random: [u8; 16]) -> Challenge {
    let body = format!("{difficulty}.{}.{}", now.as_second(), hex(&random));
    Challenge { text: format!("{body}.{}", mac(secret, &body)), difficulty }
}

/// The zero bits at the start of SHA-256 of `challenge:nonce`.
pub fn zero_bits(challenge: &str, nonce: &str) -> u32 {
    let digest = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
    let mut bits = 0;
    for b in digest {
        if b == 0 {
            bits += 8;
        } else {
            bits += b.leading_zeros();
            break;
        }
    }
    bits
}

/// Checks `nonce` against `challenge`: issued by `secret`, no older than `ttl` at `now`, of at
/// least `min_difficulty` bits, and solved. Answers the challenge's random part, which identifies
/// it for single use.
pub fn verify(
    secret: &[u8],
    challenge: &str,
    nonce: &str,
    now: Timestamp,
    ttl: SignedDuration,
    min_difficulty: u8,
) -> Result<String, PowError> {
    let (body, given) = challenge.rsplit_once('.').ok_or(PowError::Forged)?;
    if nonce.len() > 64 || given.len() != 32 || mac(secret, body) != given {
        return Err(PowError::Forged);
    }
    let mut parts = body.split('.');
    let (Some(d), Some(issued), Some(random), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PowError::Forged);
    };
    let difficulty: u8 = d.parse().map_err(|_| PowError::Forged)?;
    let issued: i64 = issued.parse().map_err(|_| PowError::Forged)?;
    let issued = Timestamp::from_second(issued).map_err(|_| PowError::Forged)?;
    if now > issued + ttl || issued > now + SignedDuration::from_mins(1) {
        return Err(PowError::Expired);
    }
    if difficulty < min_difficulty {
        return Err(PowError::TooEasy);
    }
    if zero_bits(challenge, nonce) < u32::from(difficulty) {
        return Err(PowError::Unsolved);
    }
    Ok(random.to_owned())
}

/// Finds a nonce for `challenge` (what the browser's script does; used by tests and benchmarks).
pub fn solve(challenge: &Challenge) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| zero_bits(&challenge.text, n) >= u32::from(challenge.difficulty))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn a_solved_challenge_verifies_once_forged_or_stale_ones_do_not() {
        let now: Timestamp = "2026-11-28T09:00:00Z".parse().unwrap();
        let ttl = SignedDuration::from_mins(5);
        let c = issue(b"secret", 8, now, [7; 16]);
        let nonce = solve(&c);
        assert!(zero_bits(&c.text, &nonce) >= 8);
        assert_eq!(verify(b"secret", &c.text, &nonce, now, ttl, 8), Ok(hex(&[7; 16])));
        assert_eq!(verify(b"other", &c.text, &nonce, now, ttl, 8), Err(PowError::Forged));
        assert_eq!(verify(b"secret", &c.text, &nonce, now, ttl, 9), Err(PowError::TooEasy));
        let later = now + SignedDuration::from_mins(6);
        assert_eq!(verify(b"secret", &c.text, &nonce, later, ttl, 8), Err(PowError::Expired));
        let wrong = (0u64..).map(|n| n.to_string()).find(|n| zero_bits(&c.text, n) < 8).unwrap();
        assert_eq!(verify(b"secret", &c.text, &wrong, now, ttl, 8), Err(PowError::Unsolved));
        let tampered = c.text.replacen("8.", "1.", 1);
        assert_eq!(verify(b"secret", &tampered, &nonce, now, ttl, 1), Err(PowError::Forged));
    }
}
