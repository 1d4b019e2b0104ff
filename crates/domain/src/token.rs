//! Secret tokens: session cookies and device bearer tokens. The server draws 32 random bytes and
//! hands them out once; the database keeps only their SHA-256, so a copy of the database cannot be
//! used to sign in.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The prefix of device tokens, so a leaked one is recognisable in a scan.
pub const DEVICE_PREFIX: &str = "ost_";

/// Renders 32 random bytes as a token: URL-safe hex, optionally prefixed.
pub fn render(prefix: &str, secret: &[u8; 32]) -> String {
    secret.iter().fold(String::from(prefix), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The SHA-256 of a presented token, in hex: what the database stores and looks up.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Compares two secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_render_and_digest() {
        let token = render(DEVICE_PREFIX, &[0xab; 32]);
        assert_eq!(token.len(), 4 + 64);
        assert!(token.starts_with("ost_abab"));
        assert_eq!(digest(&token).len(), 64);
        assert_ne!(digest(&token), digest("ost_other"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
